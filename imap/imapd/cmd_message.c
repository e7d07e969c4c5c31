/* cmd_message.c -- commands on the messages of the selected mailbox:
 * FETCH, STORE, SEARCH, COPY, MOVE (RFC 6851) and EXPUNGE (with UID
 * EXPUNGE, RFC 4315).  Each checks its argument count and hands the work to
 * the index module, which writes the untagged responses. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/log.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/append.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"

/* ERR_BADARG from index means a malformed request: BAD with its reason. */
void imapd_index_result(struct imapd_session *s,
                        const struct imapd_command *c, int r,
                        struct buf *error, const char *code)
{
    if (r == ERR_BADARG)
        imapd_tagged_bad(s, c->tag, "%s", error->len ? buf_cstring(error)
                                                      : "Invalid arguments");
    else if (r && error->len)
        imapd_tagged_no(s, c->tag, "%s", buf_cstring(error));
    else if (r)
        imapd_tagged_error(s, c->tag, r, NULL);
    else if (code && *code)
        imapd_tagged_ok(s, c->tag, "[%s] Completed", code);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
}

void cmd_fetch(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf error = BUF_INITIALIZER;
    int r;
    if (c->nargs < 2 || c->nargs > 3) {
        imapd_tagged_bad(s, c->tag, "FETCH needs a sequence set and items");
        return;
    }
    r = index_fetch(s->index, s->prot, c->uid, &c->args[0], &c->args[1],
                    c->nargs == 3 ? &c->args[2] : NULL, &error);
    imapd_index_result(s, c, r, &error, NULL);
    buf_free(&error);
}

void cmd_store(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf error = BUF_INITIALIZER, code = BUF_INITIALIZER;
    int r;
    if (c->nargs < 3) {
        imapd_tagged_bad(s, c->tag, "STORE needs a sequence set, an item "
                                    "and flags");
        return;
    }
    r = index_store(s->index, s->prot, c->uid, &c->args[0], &c->args[1],
                    c->nargs - 1, &code, &error);
    imapd_index_result(s, c, r, &error, buf_cstring(&code));
    buf_free(&error);
    buf_free(&code);
}

void cmd_search(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf error = BUF_INITIALIZER;
    int r;
    if (!c->nargs) {
        imapd_tagged_bad(s, c->tag, "SEARCH needs search criteria");
        return;
    }
    r = index_search(s->index, s->prot, c->tag, c->uid, c->args, c->nargs,
                     &error);
    imapd_index_result(s, c, r, &error, NULL);
    buf_free(&error);
}

/* CANCELUPDATE "tag" ... (RFC 5267 4.3.5) */
void cmd_cancelupdate(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf error = BUF_INITIALIZER;
    int r = index_cancel_update(s->index, c->args, c->nargs, &error);

    imapd_index_result(s, c, r, &error, NULL);
    buf_free(&error);
}

void cmd_copy(struct imapd_session *s, const struct imapd_command *c)
{
    struct append_result result;
    struct buf name = BUF_INITIALIZER;
    struct buf error = BUF_INITIALIZER, srcuids = BUF_INITIALIZER;
    struct mailbox *dest = NULL;
    const char *ext;
    int move = !strcmp(c->name, "MOVE"), r;

    memset(&result, 0, sizeof(result));
    if (c->nargs != 2 || !imap_arg_get_astring(&c->args[1], &ext)) {
        imapd_tagged_bad(s, c->tag, "%s needs a sequence set and a mailbox",
                         c->name);
        return;
    }
    r = imapd_mailbox_name(s, ext, &name);
    if (!r)
        r = mboxlist_open_mailbox_access(buf_cstring(&name), s->auth,
                                         ACL_INSERT, MAILBOX_UNLOCKED, &dest,
                                         NULL);
    if (r == ERR_NOTFOUND || r == ERR_BADNAME) {
        imapd_tagged_no(s, c->tag, "[TRYCREATE] Mailbox does not exist");
        goto done;
    }
    if (!r)
        r = index_copy(s->index, s->prot, c->uid, &c->args[0], dest, move,
                       &srcuids, &result, &error);
    if (!r && result.count && !move) {
        buf_reset(&error);
        buf_printf(&error, "COPYUID %u %s %u", result.uidvalidity,
                   buf_cstring(&srcuids), result.first_uid);
        if (result.last_uid != result.first_uid)
            buf_printf(&error, ":%u", result.last_uid);
        imapd_tagged_ok(s, c->tag, "[%s] Completed", buf_cstring(&error));
    } else {
        /* MOVE sent its COPYUID before the EXPUNGEs (RFC 6851). */
        imapd_index_result(s, c, r, &error, NULL);
    }
done:
    free(result.seen_uids);
    mailbox_close(&dest);
    buf_free(&name);
    buf_free(&error);
    buf_free(&srcuids);
}

void cmd_expunge(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf error = BUF_INITIALIZER, code = BUF_INITIALIZER;
    uint64_t before;
    int r;
    if (c->nargs != (c->uid ? 1u : 0u)) {
        imapd_tagged_bad(s, c->tag, "Wrong number of arguments to EXPUNGE");
        return;
    }
    before = index_highestmodseq(s->index);
    r = index_expunge(s->index, s->prot, c->uid ? &c->args[0] : NULL);
    /* RFC 7162 3.2.7: after an expunge under QRESYNC, the new modseq in
     * the tagged OK (every change up to it has just been reported) */
    if (!r && s->qresync_enabled && index_highestmodseq(s->index) != before)
        buf_printf(&code, "HIGHESTMODSEQ %" PRIu64,
                   index_highestmodseq(s->index));
    imapd_index_result(s, c, r, &error, buf_cstring(&code));
    buf_free(&error);
    buf_free(&code);
}
