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
#include "imap/imap_parser.h"
#include "imap/imapd_private.h"
#include "imap/index.h"

static const struct imapd_cmd_entry imapd_core_commands[] = {
    { "CAPABILITY", cmd_capability, CMD_ANY },
    { "NOOP", cmd_noop, CMD_ANY },
    { "LOGOUT", cmd_logout, CMD_ANY },
    { "ID", cmd_id, CMD_ANY },
    { "STARTTLS", cmd_starttls, CMD_NOTAUTH },
    { "LOGIN", cmd_login, CMD_NOTAUTH },
    { "AUTHENTICATE", cmd_authenticate, CMD_NOTAUTH },
    { "ENABLE", cmd_enable, CMD_AUTH },
    { "SELECT", cmd_select, CMD_AUTH | CMD_SELECTED },
    { "EXAMINE", cmd_select, CMD_AUTH | CMD_SELECTED },
    { "IDLE", cmd_idle, CMD_AUTH | CMD_SELECTED },
    { "CHECK", cmd_check, CMD_SELECTED },
    { "CLOSE", cmd_close, CMD_SELECTED },
    { "UNSELECT", cmd_unselect, CMD_SELECTED },
    { "FETCH", cmd_fetch, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "STORE", cmd_store, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "SEARCH", cmd_search, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
    { "COPY", cmd_copy, CMD_SELECTED | CMD_UID },
    { "MOVE", cmd_copy, CMD_SELECTED | CMD_UID },
    { "EXPUNGE", cmd_expunge, CMD_SELECTED | CMD_UID },
    { NULL, NULL, 0 }
};

static const struct imapd_cmd_entry *imapd_find(const char *name)
{
    static const struct imapd_cmd_entry *const tables[] = {
        imapd_core_commands, imapd_mailbox_commands
    };
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct imapd_cmd_entry *e = tables[t]; e->name; e++)
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
