/* imapd_commands.c -- the command table and the dispatcher.
 *
 * The dispatcher alone enforces the state a command needs and the UID
 * prefix (DESIGN.md "Conventions"); it also sends the untagged updates of
 * the selected mailbox before a command runs (without EXPUNGE before the
 * commands that forbid it).  Handlers then only validate and act.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"

#define MBOX_STATES (CMD_AUTH | CMD_SELECTED)

/* Every command imapd knows: its name, its handler (cmd_*.c) and the
 * states it is valid in.  The one table; a new command is one line here. */
static const struct imapd_cmd_entry imapd_commands[] = {
    /* any state (RFC 3501 6.1, RFC 2971) */
    { "CAPABILITY", cmd_capability, CMD_ANY },
    { "NOOP", cmd_noop, CMD_ANY },
    { "LOGOUT", cmd_logout, CMD_ANY },
    { "ID", cmd_id, CMD_ANY },
    /* not authenticated (6.2) */
    { "STARTTLS", cmd_starttls, CMD_NOTAUTH },
    { "LOGIN", cmd_login, CMD_NOTAUTH },
    { "AUTHENTICATE", cmd_authenticate, CMD_NOTAUTH },
    /* authenticated (6.3) and the mailbox-management extensions */
    { "ENABLE", cmd_enable, CMD_AUTH },
    { "COMPRESS", cmd_compress, MBOX_STATES },
    { "SELECT", cmd_select, MBOX_STATES },
    { "EXAMINE", cmd_select, MBOX_STATES },
    { "IDLE", cmd_idle, MBOX_STATES },
    { "UNAUTHENTICATE", cmd_unauthenticate, MBOX_STATES },
    { "CREATE", cmd_create, MBOX_STATES },
    { "DELETE", cmd_delete, MBOX_STATES },
    { "RENAME", cmd_rename, MBOX_STATES },
    { "SUBSCRIBE", cmd_subscribe, MBOX_STATES },
    { "UNSUBSCRIBE", cmd_subscribe, MBOX_STATES },
    { "LIST", cmd_list, MBOX_STATES },
    { "LSUB", cmd_list, MBOX_STATES },
    { "XLIST", cmd_list, MBOX_STATES },
    { "GETMETADATA", cmd_getmetadata, MBOX_STATES },
    { "SETMETADATA", cmd_setmetadata, MBOX_STATES },
    { "NAMESPACE", cmd_namespace, MBOX_STATES },
    { "STATUS", cmd_status, MBOX_STATES },
    { "APPEND", cmd_append, MBOX_STATES },
    { "SETACL", cmd_setacl, MBOX_STATES },
    { "DELETEACL", cmd_setacl, MBOX_STATES },
    { "GETACL", cmd_getacl, MBOX_STATES },
    { "LISTRIGHTS", cmd_listrights, MBOX_STATES },
    { "MYRIGHTS", cmd_myrights, MBOX_STATES },
    { "GETQUOTA", cmd_getquota, MBOX_STATES },
    { "GETQUOTAROOT", cmd_getquotaroot, MBOX_STATES },
    { "SETQUOTA", cmd_setquota, MBOX_STATES },
    /* selected (6.4) */
    { "CHECK", cmd_check, CMD_SELECTED },
    { "CLOSE", cmd_close, CMD_SELECTED },
    { "UNSELECT", cmd_unselect, CMD_SELECTED },
    { "FETCH", cmd_fetch, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "STORE", cmd_store, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "SEARCH", cmd_search, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "SORT", cmd_sort, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "THREAD", cmd_thread, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    /* COPY/MOVE by number name messages as the client numbers them: an
     * EXPUNGE sent first would shift them (RFC 2180 4.4). */
    { "COPY", cmd_copy, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "MOVE", cmd_copy, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "EXPUNGE", cmd_expunge, CMD_SELECTED | CMD_UID },
    { "CANCELUPDATE", cmd_cancelupdate, CMD_SELECTED },
    { NULL, NULL, 0 }
};

static const struct imapd_cmd_entry *imapd_find(const char *name)
{
    for (const struct imapd_cmd_entry *e = imapd_commands; e->name; e++)
        if (!strcasecmp(e->name, name))
            return e;
    return NULL;
}

static unsigned imapd_state_flag(enum imapd_state state)
{
    switch (state) {
    case IMAPD_NOTAUTH: return CMD_NOTAUTH;
    case IMAPD_AUTH: return CMD_AUTH;
    case IMAPD_SELECTED: return CMD_SELECTED;
    default: return 0;
    }
}

int imapd_check_updates(struct imapd_session *s, int allow_expunge)
{
    int r = index_check_updates(s->index, s->prot, allow_expunge);
    if (r == ERR_CONFLICT) {
        /* UIDVALIDITY changed: the client's UIDs mean nothing any more. */
        prot_puts(s->prot, "* BYE [UIDVALIDITY] Mailbox was recreated; "
                           "please reconnect\r\n");
        s->state = IMAPD_LOGOUT;
    }
    return r == ERR_CONFLICT ? r : ERR_OK;
}

void imapd_dispatch(struct imapd_session *s, struct imap_parser_command *pc)
{
    struct imapd_command cmd;
    struct buf name = BUF_INITIALIZER;
    const struct imapd_cmd_entry *e;
    const char *sub;

    memset(&cmd, 0, sizeof(cmd));
    cmd.tag = pc->tag;
    cmd.args = pc->args;
    cmd.nargs = pc->nargs;
    buf_setcstr(&name, pc->name);
    if (!strcasecmp(pc->name, "UID")) {
        if (!pc->nargs || !imap_arg_get_atom(&pc->args[0], &sub)) {
            imapd_tagged_bad(s, pc->tag, "Missing command after UID");
            goto done;
        }
        cmd.uid = 1;
        buf_setcstr(&name, sub);
        cmd.args = pc->args + 1;
        cmd.nargs = pc->nargs - 1;
    }
    buf_toupper(&name);
    cmd.name = buf_cstring(&name);
    e = imapd_find(cmd.name);
    if (!e || (cmd.uid && !(e->flags & CMD_UID))) {
        imapd_tagged_bad(s, cmd.tag, "Unrecognized command");
        goto done;
    }
    if (!(e->flags & imapd_state_flag(s->state))) {
        if (s->state == IMAPD_NOTAUTH)
            imapd_tagged_bad(s, cmd.tag, "Please login first");
        else if (e->flags & CMD_SELECTED)
            imapd_tagged_bad(s, cmd.tag, "Please select a mailbox first");
        else
            imapd_tagged_bad(s, cmd.tag, "Already logged in");
        goto done;
    }
    /* Changes by other sessions are reported before the command runs. */
    if (s->state == IMAPD_SELECTED && s->index && e->handler != cmd_noop &&
        e->handler != cmd_idle &&
        imapd_check_updates(s, cmd.uid || !(e->flags & CMD_NOEXPUNGE)))
        goto done;
    e->handler(s, &cmd);
done:
    buf_free(&name);
}
