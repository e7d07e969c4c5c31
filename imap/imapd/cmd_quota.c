/* cmd_quota.c -- GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 2087, RFC 9208)
 * over the hierarchical quota roots of quota.h, resources STORAGE (KB,
 * usage rounded up) and MESSAGE.
 *
 * Roots are mailbox names and are shown as the client sees them ("INBOX"
 * for one's own user.<me>).  Reading a root needs `r` on the mailbox it
 * names (administrators may read any); a root the user may not see
 * answers like a missing one.  SETQUOTA is for administrators only.
 *
 * SETQUOTA root () removes the root.  Creating or removing a root
 * re-roots the mailboxes below it: mboxlist_setquota() in the mailstore.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"

/* Largest limit accepted: what fits the quota file once in bytes. */
#define QUOTA_CMD_MAX_LIMIT (INT64_MAX / 1024)

static void quota_cmd_write_root(struct imapd_session *s, const char *root)
{
    struct buf ext = BUF_INITIALIZER;
    if (mboxname_to_external(root, s->userid, &ext))
        buf_setcstr(&ext, root);
    imapd_write_astring(s->prot, buf_cstring(&ext), ext.len);
    buf_free(&ext);
}

/* "* QUOTA root (STORAGE used limit MESSAGE used limit)"; unlimited
 * resources are left out. */
static void quota_cmd_write(struct imapd_session *s, const struct quota *q)
{
    const char *sep = "";

    prot_puts(s->prot, "* QUOTA ");
    quota_cmd_write_root(s, q->root);
    prot_puts(s->prot, " (");
    if (q->limit[QUOTA_STORAGE] >= 0) {
        prot_printf(s->prot, "STORAGE %lld %lld",
                    (long long)((q->used[QUOTA_STORAGE] + 1023) / 1024),
                    (long long)q->limit[QUOTA_STORAGE]);
        sep = " ";
    }
    if (q->limit[QUOTA_MESSAGE] >= 0)
        prot_printf(s->prot, "%sMESSAGE %lld %lld", sep,
                    (long long)q->used[QUOTA_MESSAGE],
                    (long long)q->limit[QUOTA_MESSAGE]);
    prot_puts(s->prot, ")\r\n");
}

/* The internal root a client names, if this user may read it. */
static int quota_cmd_root(struct imapd_session *s, const char *ext,
                          struct buf *root)
{
    int r = imapd_mailbox_name(s, ext, root);
    if (r == ERR_BADNAME)
        return ERR_NOTFOUND;
    if (!r && !s->is_admin)
        r = mboxlist_lookup_access(buf_cstring(root), s->auth, ACL_READ,
                                   NULL, NULL);
    return r;
}

/* GETQUOTA root */
void cmd_getquota(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf root = BUF_INITIALIZER;
    struct quota q;
    const char *ext;
    int r;

    memset(&q, 0, sizeof(q));
    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &ext)) {
        imapd_tagged_bad(s, c->tag, "GETQUOTA needs a quota root");
        return;
    }
    r = quota_cmd_root(s, ext, &root);
    if (!r)
        r = mboxlist_quota_read(buf_cstring(&root), &q);
    if (r == ERR_NOTFOUND) {
        imapd_tagged_no(s, c->tag, "[NONEXISTENT] No such quota root");
    } else if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
    } else {
        quota_cmd_write(s, &q);
        imapd_tagged_ok(s, c->tag, "Completed");
    }
    quota_fini(&q);
    buf_free(&root);
}

/* GETQUOTAROOT mailbox */
void cmd_getquotaroot(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER;
    struct quota q;
    char *root = NULL;
    const char *ext;
    int r;

    memset(&q, 0, sizeof(q));
    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &ext)) {
        imapd_tagged_bad(s, c->tag, "GETQUOTAROOT needs a mailbox name");
        return;
    }
    r = quota_cmd_root(s, ext, &name);
    if (!r && s->is_admin)
        r = mboxlist_lookup(buf_cstring(&name), NULL);
    /* A root whose removal a crash interrupted is gone once read. */
    for (int tries = 0; !r; tries++) {
        free(root);
        r = quota_find_root(buf_cstring(&name), &root);
        if (r == ERR_NOTFOUND) {
            r = ERR_OK;
            break;
        }
        if (!r && (r = mboxlist_quota_read(root, &q)) == ERR_NOTFOUND &&
            tries < 2)
            r = ERR_OK;
        else
            break;
    }
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    prot_puts(s->prot, "* QUOTAROOT ");
    imapd_write_astring(s->prot, ext, strlen(ext));
    if (root) {
        prot_putc(s->prot, ' ');
        quota_cmd_write_root(s, root);
    }
    prot_puts(s->prot, "\r\n");
    if (root)
        quota_cmd_write(s, &q);
    imapd_tagged_ok(s, c->tag, "Completed");
done:
    quota_fini(&q);
    free(root);
    buf_free(&name);
}

/* ---- SETQUOTA ------------------------------------------------------------ */

/* The (resource limit ...) list into limits[]; a reason for BAD or NO. */
static int quota_cmd_parse(const struct imap_arg *arg, int64_t *limits,
                           const char **error)
{
    const struct imap_arg *list;
    size_t count;

    limits[QUOTA_STORAGE] = limits[QUOTA_MESSAGE] = QUOTA_UNLIMITED;
    *error = "Invalid quota list";
    if (!imap_arg_get_list(arg, &list, &count) || count % 2)
        return ERR_BADARG;
    for (size_t i = 0; i < count; i += 2) {
        const char *res;
        uint64_t v;
        int k;
        if (!imap_arg_get_atom(&list[i], &res) ||
            !imap_arg_get_number64(&list[i + 1], &v) ||
            v > QUOTA_CMD_MAX_LIMIT)
            return ERR_BADARG;
        if (!strcasecmp(res, "STORAGE"))
            k = QUOTA_STORAGE;
        else if (!strcasecmp(res, "MESSAGE"))
            k = QUOTA_MESSAGE;
        else {
            *error = "[CANNOT] Unsupported quota resource";
            return ERR_NOTSUPP;
        }
        if (limits[k] != QUOTA_UNLIMITED) {
            *error = "Resource given twice";
            return ERR_BADARG;
        }
        limits[k] = (int64_t)v;
    }
    return ERR_OK;
}

/* SETQUOTA root (resource limit ...) */
void cmd_setquota(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf root = BUF_INITIALIZER;
    int64_t limits[QUOTA_NUMRESOURCES];
    const struct imap_arg *list;
    const char *ext, *error;
    size_t count = 0;
    struct quota q;
    int r;

    memset(&q, 0, sizeof(q));
    if (c->nargs != 2 || !imap_arg_get_astring(&c->args[0], &ext) ||
        !imap_arg_get_list(&c->args[1], &list, &count)) {
        imapd_tagged_bad(s, c->tag, "SETQUOTA needs a root and a list");
        return;
    }
    r = quota_cmd_parse(&c->args[1], limits, &error);
    if (r == ERR_BADARG) {
        imapd_tagged_bad(s, c->tag, "%s", error);
        return;
    }
    if (r) {
        imapd_tagged_no(s, c->tag, "%s", error);
        return;
    }
    if (!s->is_admin) {
        imapd_tagged_no(s, c->tag, "[NOPERM] Only administrators may set "
                        "quotas");
        return;
    }
    r = imapd_mailbox_name(s, ext, &root);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r && count)
        r = mboxlist_setquota(buf_cstring(&root), limits[QUOTA_STORAGE],
                              limits[QUOTA_MESSAGE], s->auth);
    else if (!r)
        r = mboxlist_unsetquota(buf_cstring(&root), s->auth);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    if (count && !quota_read(root.s, &q))
        quota_cmd_write(s, &q);
    imapd_tagged_ok(s, c->tag, "Completed");
done:
    quota_fini(&q);
    buf_free(&root);
}
