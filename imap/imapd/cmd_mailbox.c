/* cmd_mailbox.c -- CREATE (with RFC 6154 USE), DELETE, RENAME,
 * SUBSCRIBE, UNSUBSCRIBE, NAMESPACE, and SETMETADATA's entry
 * /private/specialuse (the roles of an existing mailbox, as Cyrus keeps
 * them; the other METADATA entries are cmd_metadata.c's).
 * A role goes to one mailbox per user, as in Cyrus: CREATE or SETMETADATA
 * giving a role another mailbox of the owner has is NO [USEATTR].
 *
 * Rights and rules are mboxlist's (mboxlist.h); this file only maps client
 * names to internal ones and errors to responses.  RENAME of one's own
 * INBOX (RFC 3501 6.3.5) is mboxlist_rename_inbox().  One IMAP rule lives
 * here because it is protocol, not mailstore:
 *   - SUBSCRIBE needs the mailbox to exist and be visible (Cyrus's rule
 *     without allowallsubscribe): NO [NONEXISTENT] otherwise.  UNSUBSCRIBE
 *     of a name that is not subscribed is OK, as in Cyrus.
 * Deleting or renaming the selected mailbox closes it (state goes back to
 * authenticated, with an untagged OK [CLOSED]).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "imap/mailstore/append.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/subs.h"

/* Close the selected mailbox if it is name, or lies below it when
 * children went too (a moved or deleted hierarchy). */
static void mailbox_close_selected(struct imapd_session *s, const char *name,
                                   int children)
{
    const char *sel;

    if (!s->index)
        return;
    sel = index_mailbox(s->index)->name;
    if (strcmp(sel, name) && !(children && mboxname_isdescendant(sel, name)))
        return;
    index_close(&s->index);
    s->state = IMAPD_AUTH;
    prot_puts(s->prot, "* OK [CLOSED] Selected mailbox closed\r\n");
}

/* 1 if name is the session user's own INBOX (user.<me>). */
static int mailbox_is_own_inbox(struct imapd_session *s, const char *name)
{
    char *owner = mboxname_isinbox(name) ? mboxname_userid_of(name) : NULL;
    int r = owner && s->userid && !strcmp(owner, s->userid);
    free(owner);
    return r;
}

/* Optional partition argument (Cyrus's CREATE/RENAME extension, used by
 * the admin client): administrators only. */
static int mailbox_partition_arg(struct imapd_session *s,
                                 const struct imapd_command *c, size_t i,
                                 const char **partition_r)
{
    *partition_r = NULL;
    if (c->nargs <= i)
        return ERR_OK;
    if (!imap_arg_get_astring(&c->args[i], partition_r) || !**partition_r) {
        imapd_tagged_bad(s, c->tag, "Invalid %s arguments", c->name);
        return ERR_BADARG;
    }
    if (!s->is_admin) {
        imapd_tagged_no(s, c->tag, "[NOPERM] Only administrators may "
                        "choose a partition");
        return ERR_PERM;
    }
    return ERR_OK;
}

/* Answer a model error, naming an unknown partition plainly. */
static void mailbox_error(struct imapd_session *s, const char *tag, int r,
                          const char *partition)
{
    if (r == ERR_BADARG && partition)
        imapd_tagged_no(s, tag, "[CANNOT] Unknown partition");
    else
        imapd_tagged_error(s, tag, r, NULL);
}

/* The canonical form of a role list into roles; -1 after NO [USEATTR]. */
static int mailbox_roles(struct imapd_session *s,
                         const struct imapd_command *c, const char *words,
                         struct buf *roles)
{
    if (!mboxlist_specialuse_normalize(words, roles))
        return 0;
    imapd_tagged_no(s, c->tag, "[USEATTR] Unsupported special-use "
                    "attribute (known: %s)", MBOXLIST_SPECIALUSE_ROLES);
    return -1;
}

/* One mailbox per role and user (mboxlist_specialuse_taken()): -1 after
 * NO [USEATTR] naming the mailbox that has one of roles already. */
static int mailbox_roles_free(struct imapd_session *s,
                              const struct imapd_command *c,
                              const char *name, const char *roles)
{
    struct buf holder = BUF_INITIALIZER, ext = BUF_INITIALIZER;
    int r = 0;

    if (*roles &&
        mboxlist_specialuse_taken(name, roles, s->auth, &holder) ==
            ERR_EXISTS) {
        if (mboxname_to_external(buf_cstring(&holder), s->userid, &ext))
            buf_setcstr(&ext, holder.s);
        imapd_tagged_no(s, c->tag, "[USEATTR] Mailbox %s already has that "
                        "special-use attribute", buf_cstring(&ext));
        r = -1;
    }
    buf_free(&holder);
    buf_free(&ext);
    return r;
}

/* RFC 4466 create-params "(PARTITION p USE (\Sent ...))" (RFC 6154
 * CREATE-SPECIAL-USE; PARTITION is Cyrus's): the partition into
 * *partition_r, the roles into roles.  -1 after a BAD or NO. */
static int mailbox_create_params(struct imapd_session *s,
                                 const struct imapd_command *c,
                                 const struct imap_arg *params, size_t n,
                                 const char **partition_r, struct buf *roles)
{
    struct buf words = BUF_INITIALIZER;
    const struct imap_arg *uses;
    size_t nuses;
    const char *atom;
    int r = 0;

    for (size_t i = 0; !r && i < n; i += 2) {
        if (i + 1 < n && imap_arg_atom_is(&params[i], "PARTITION") &&
            !*partition_r && imap_arg_get_astring(&params[i + 1], &atom) &&
            *atom) {
            if (!s->is_admin) {
                imapd_tagged_no(s, c->tag, "[NOPERM] Only administrators "
                                "may choose a partition");
                r = -1;
            }
            *partition_r = atom;
            continue;
        }
        if (!(i + 1 < n && imap_arg_atom_is(&params[i], "USE") &&
              imap_arg_get_list(&params[i + 1], &uses, &nuses))) {
            imapd_tagged_bad(s, c->tag, "Invalid CREATE parameters");
            r = -1;
            break;
        }
        for (size_t k = 0; k < nuses; k++) {
            if (uses[k].type != IMAP_ARG_ATOM ||
                !imap_arg_get_atom(&uses[k], &atom) || atom[0] != '\\' ||
                !atom[1]) {
                imapd_tagged_bad(s, c->tag, "USE needs special-use "
                                 "attributes such as \\Sent");
                r = -1;
                break;
            }
            buf_printf(&words, " %s", atom);
        }
    }
    if (!r && mailbox_roles(s, c, buf_cstring(&words), roles))
        r = -1;
    buf_free(&words);
    return r;
}

/* CREATE mailbox [partition | (create-params)] */
/* CREATE's OK names the new mailbox's MAILBOXID (RFC 8474 4.1: required
 * of an OBJECTID server), its unique id. */
static void create_ok(struct imapd_session *s, const char *tag,
                      const char *name)
{
    struct mboxlist_entry e;

    memset(&e, 0, sizeof(e));
    if (mboxlist_lookup(name, &e) == ERR_OK && e.uniqueid)
        imapd_tagged_ok(s, tag, "[MAILBOXID (%s)] Completed", e.uniqueid);
    else
        imapd_tagged_ok(s, tag, "Completed");
    mboxlist_entry_fini(&e);
}

void cmd_create(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf ext = BUF_INITIALIZER, name = BUF_INITIALIZER;
    struct buf roles = BUF_INITIALIZER;
    const struct imap_arg *params;
    const char *arg, *partition = NULL;
    size_t nparams;
    int r;

    if (c->nargs < 1 || c->nargs > 2 ||
        !imap_arg_get_astring(&c->args[0], &arg)) {
        imapd_tagged_bad(s, c->tag, "CREATE needs a mailbox name");
        return;
    }
    if (c->nargs == 2 && imap_arg_get_list(&c->args[1], &params, &nparams)) {
        if (mailbox_create_params(s, c, params, nparams, &partition,
                                  &roles)) {
            buf_free(&roles);
            return;
        }
    } else if (mailbox_partition_arg(s, c, 1, &partition)) {
        return;
    }
    /* RFC 3501 6.3.3: a trailing separator only declares the intent to
     * create children; the name is created without it. */
    buf_setcstr(&ext, arg);
    if (ext.len > 1 && ext.s[ext.len - 1] == MBOXNAME_SEP)
        buf_truncate(&ext, ext.len - 1);
    r = imapd_mailbox_name(s, buf_cstring(&ext), &name);
    if (!r && mailbox_roles_free(s, c, buf_cstring(&name),
                                 buf_cstring(&roles)))
        goto done;
    if (!r)
        r = mboxlist_create_special(buf_cstring(&name), partition, s->auth,
                                    0, buf_cstring(&roles));
    if (r)
        mailbox_error(s, c->tag, r, partition);
    else
        create_ok(s, c->tag, buf_cstring(&name));
done:
    buf_free(&ext);
    buf_free(&name);
    buf_free(&roles);
}

/* DELETE mailbox */
void cmd_delete(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER;
    const char *arg;
    int r;

    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &arg)) {
        imapd_tagged_bad(s, c->tag, "DELETE needs a mailbox name");
        return;
    }
    r = imapd_mailbox_name(s, arg, &name);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r && mailbox_is_own_inbox(s, buf_cstring(&name)) && !s->is_admin) {
        imapd_tagged_no(s, c->tag, "[CANNOT] INBOX cannot be deleted");
        goto done;
    }
    if (!r)
        r = mboxlist_delete(name.s, s->auth, 0);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    /* A user INBOX takes its whole hierarchy with it. */
    mailbox_close_selected(s, name.s, mboxname_isinbox(name.s));
    imapd_tagged_ok(s, c->tag, "Completed");
done:
    buf_free(&name);
}

/* RENAME old new [partition] */
void cmd_rename(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf oldname = BUF_INITIALIZER, newname = BUF_INITIALIZER;
    const char *oldarg, *newarg, *partition;
    int r;

    if (c->nargs < 2 || c->nargs > 3 ||
        !imap_arg_get_astring(&c->args[0], &oldarg) ||
        !imap_arg_get_astring(&c->args[1], &newarg)) {
        imapd_tagged_bad(s, c->tag, "RENAME needs two mailbox names");
        return;
    }
    if (mailbox_partition_arg(s, c, 2, &partition))
        return;
    r = imapd_mailbox_name(s, oldarg, &oldname);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r)
        r = imapd_mailbox_name(s, newarg, &newname);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    buf_cstring(&oldname);
    buf_cstring(&newname);
    if (mailbox_is_own_inbox(s, oldname.s) && !partition) {
        r = mboxlist_rename_inbox(oldname.s, newname.s, s->auth);
    } else {
        r = mboxlist_rename(oldname.s, newname.s, partition, s->auth);
        if (!r)
            mailbox_close_selected(s, oldname.s, 1);
    }
    if (r)
        mailbox_error(s, c->tag, r, partition);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
done:
    buf_free(&oldname);
    buf_free(&newname);
}

/* SUBSCRIBE mailbox / UNSUBSCRIBE mailbox */
void cmd_subscribe(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER;
    int add = !strcmp(c->name, "SUBSCRIBE"), r;
    const char *arg;

    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &arg)) {
        imapd_tagged_bad(s, c->tag, "%s needs a mailbox name", c->name);
        return;
    }
    r = imapd_mailbox_name(s, arg, &name);
    if (add) {
        if (r == ERR_BADNAME)
            r = ERR_NOTFOUND;
        if (!r)
            r = mboxlist_lookup_access(buf_cstring(&name), s->auth, 0, NULL,
                                       NULL);
        if (!r)
            r = subs_add(s->userid, name.s);
    } else {
        if (!r)
            r = subs_remove(s->userid, buf_cstring(&name));
        if (r == ERR_NOTFOUND)
            r = ERR_OK;
    }
    if (r)
        imapd_tagged_error(s, c->tag, r, NULL);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
    buf_free(&name);
}

/* NAMESPACE (RFC 2342): personal "INBOX.", other users "user.", shared
 * at the top level, all with "." as the separator. */
void cmd_namespace(struct imapd_session *s, const struct imapd_command *c)
{
    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to NAMESPACE");
        return;
    }
    prot_puts(s->prot, "* NAMESPACE ((\"INBOX.\" \".\")) "
              "((\"user.\" \".\")) ((\"\" \".\"))\r\n");
    imapd_tagged_ok(s, c->tag, "Completed");
}

/* SETMETADATA's /private/specialuse (cmd_metadata.c): value NIL or ""
 * takes the roles away.  Needs `a` (mboxlist_setspecialuse()). */
int cmd_mailbox_setroles(struct imapd_session *s,
                         const struct imapd_command *c, const char *ext,
                         const char *value)
{
    struct buf name = BUF_INITIALIZER, roles = BUF_INITIALIZER;
    int r = -1;

    if (mailbox_roles(s, c, value, &roles))
        goto done;
    r = imapd_mailbox_name(s, ext, &name);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r && mailbox_roles_free(s, c, buf_cstring(&name),
                                 buf_cstring(&roles))) {
        r = -1;
        goto done;
    }
    if (!r)
        r = mboxlist_setspecialuse(buf_cstring(&name), s->auth,
                                   buf_cstring(&roles));
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        r = -1;
    }
done:
    buf_free(&name);
    buf_free(&roles);
    return r;
}
