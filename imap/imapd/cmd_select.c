/* cmd_select.c -- SELECT, EXAMINE, CLOSE, UNSELECT (RFC 3691), CHECK and
 * IDLE (RFC 2177): choosing and leaving the selected mailbox, and waiting
 * for changes to it.
 *
 * IDLE polls the mailbox every imapidlepoll seconds (one stat and one
 * header read when nothing changed) while waiting for DONE, so new mail
 * from another process and flag changes from another session appear
 * within about that interval.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/server/procinfo.h"
#include "imap/mailstore/quota.h"

int imapd_mailbox_name(struct imapd_session *s, const char *external,
                       struct buf *internal)
{
    int r = mboxname_to_internal(external, s->userid, internal);
    if (!r && mboxname_validate(buf_cstring(internal)))
        r = ERR_BADNAME;
    return r ? ERR_BADNAME : ERR_OK;
}

/* SPEC.md: SELECT of a mailbox over quotawarn percent sends an ALERT when
 * the user may delete messages there. */
static void imapd_quota_alert(struct imapd_session *s, unsigned rights)
{
    struct mailbox *mb = index_mailbox(s->index);
    struct quota q;

    if (!mb->quotaroot || !(rights & (ACL_DELETEMSG | ACL_EXPUNGE)) ||
        quota_read(mb->quotaroot, &q))
        return;
    for (int res = 0; res < QUOTA_NUMRESOURCES; res++) {
        int pct = quota_percent(&q, (enum quota_resource)res);
        if (q.limit[res] >= 0 && pct >= conf_getint(CONF_QUOTAWARN)) {
            prot_printf(s->prot, "* OK [ALERT] Your mailbox is %d%% full "
                        "(%s quota of %s)\r\n", pct,
                        res == QUOTA_STORAGE ? "storage" : "message",
                        q.root);
            break;
        }
    }
    quota_fini(&q);
}

void imapd_unselect(struct imapd_session *s)
{
    index_close(&s->index);
    if (s->state == IMAPD_SELECTED)
        s->state = IMAPD_AUTH;
    procinfo_mailbox(NULL);
}

void cmd_select(struct imapd_session *s, const struct imapd_command *c)
{
    struct mboxlist_entry entry;
    struct index_open_params params;
    struct buf name = BUF_INITIALIZER, path = BUF_INITIALIZER;
    const struct imap_arg *params_list;
    struct index_qresync qr;
    struct buf error = BUF_INITIALIZER;
    const char *ext;
    size_t nparams = 0;
    unsigned rights = 0;
    int examine = !strcmp(c->name, "EXAMINE"), r, have_qr = 0;

    memset(&entry, 0, sizeof(entry));
    memset(&qr, 0, sizeof(qr));
    if (c->nargs < 1 || c->nargs > 2 ||
        !imap_arg_get_astring(&c->args[0], &ext) ||
        (c->nargs == 2 &&
         !imap_arg_get_list(&c->args[1], &params_list, &nparams))) {
        imapd_tagged_bad(s, c->tag, "%s needs a mailbox name", c->name);
        return;
    }
    for (size_t i = 0; i < nparams; i++) {
        if (imap_arg_atom_is(&params_list[i], "QRESYNC") && !have_qr &&
            i + 1 < nparams) {
            /* RFC 7162 3.2.5: BAD unless ENABLE QRESYNC came first */
            if (!s->qresync_enabled) {
                imapd_tagged_bad(s, c->tag, "QRESYNC needs ENABLE QRESYNC "
                                            "first");
                goto done;
            }
            if (index_qresync_parse(&params_list[++i], &qr, &error)) {
                imapd_tagged_bad(s, c->tag, "%s", buf_cstring(&error));
                goto done;
            }
            have_qr = 1;
            continue;
        }
        if (!imap_arg_atom_is(&params_list[i], "CONDSTORE")) {
            imapd_tagged_bad(s, c->tag, "Unknown %s parameter", c->name);
            goto done;
        }
        s->condstore_enabled = 1;
    }
    /* RFC 3501: a failed SELECT leaves no mailbox selected. */
    if (s->state == IMAPD_SELECTED) {
        imapd_unselect(s);
        prot_puts(s->prot, "* OK [CLOSED] Previous mailbox closed\r\n");
    }
    r = imapd_mailbox_name(s, ext, &name);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r)
        r = mboxlist_lookup_access(buf_cstring(&name), s->auth, ACL_READ,
                                   &entry, &rights);
    if (!r)
        r = mboxlist_entry_path(&entry, &path);
    if (!r) {
        memset(&params, 0, sizeof(params));
        params.name = name.s;
        params.path = buf_cstring(&path);
        /* The anonymous identity keeps no \Seen state, so "s" gives it
         * nothing to write. */
        params.userid = auth_is_anonymous(s->auth) ? NULL : s->userid;
        params.rights = auth_is_anonymous(s->auth) ? rights & ~ACL_SEEN
                                                   : rights;
        params.examine = examine;
        r = index_open(&params, &s->index);
    }
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    if (s->condstore_enabled)
        index_set_condstore(s->index, 1);
    if (s->qresync_enabled)
        index_set_qresync(s->index);
    index_select_responses(s->index, s->prot);
    imapd_quota_alert(s, rights);
    if (have_qr && (r = index_qresync_select(s->index, s->prot, &qr))) {
        imapd_unselect(s);
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    s->state = IMAPD_SELECTED;
    procinfo_mailbox(name.s);
    log_info("open: user=<%s> mailbox=<%s>%s", s->userid, name.s,
             examine ? " examine" : "");
    imapd_tagged_ok(s, c->tag, "[%s] Completed",
                    index_is_readonly(s->index) ? "READ-ONLY" : "READ-WRITE");
done:
    index_qresync_fini(&qr);
    buf_free(&error);
    mboxlist_entry_fini(&entry);
    buf_free(&name);
    buf_free(&path);
}

void cmd_close(struct imapd_session *s, const struct imapd_command *c)
{
    int r;
    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to CLOSE");
        return;
    }
    r = index_close_expunge(&s->index);
    s->state = IMAPD_AUTH;
    procinfo_mailbox(NULL);
    if (r)
        imapd_tagged_error(s, c->tag, r, "Expunge on close failed");
    else
        imapd_tagged_ok(s, c->tag, "Completed");
}

void cmd_unselect(struct imapd_session *s, const struct imapd_command *c)
{
    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to UNSELECT");
        return;
    }
    imapd_unselect(s);
    imapd_tagged_ok(s, c->tag, "Completed");
}

void cmd_check(struct imapd_session *s, const struct imapd_command *c)
{
    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to CHECK");
        return;
    }
    imapd_tagged_ok(s, c->tag, "Completed");
}

void cmd_idle(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf line = BUF_INITIALIZER;
    int poll_ms = (int)conf_getint(CONF_IMAPIDLEPOLL) * 1000;
    int r;

    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to IDLE");
        return;
    }
    if (poll_ms <= 0)
        poll_ms = 1000;
    prot_puts(s->prot, "+ idling\r\n");
    for (;;) {
        if (imapd_shutdown_pending(s) ||
            (s->index && imapd_check_updates(s, 1))) {
            buf_free(&line);
            return;
        }
        prot_flush(s->prot);
        if (prot_wait_input(s->prot, poll_ms) > 0)
            break;
    }
    r = prot_readline(s->prot, &line);
    if (r == ERR_OK && !strcasecmp(buf_cstring(&line), "DONE"))
        imapd_tagged_ok(s, c->tag, "Completed");
    else if (r == ERR_OK || r == ERR_TOOBIG)
        imapd_tagged_bad(s, c->tag, "Expected DONE");
    else if (!prot_interrupted())
        s->state = IMAPD_LOGOUT;
    /* Stopping: the command loop's next read ends and says goodbye. */
    buf_free(&line);
}
