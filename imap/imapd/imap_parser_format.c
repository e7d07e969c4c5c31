/* imap_parser_format.c -- imap_parser_command_format(): a parsed command
 * written back in IMAP syntax that the parser reads into the same tree
 * (imap_parser.h), for logs, tests and fuzzing. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "imap/imapd/imap_parser.h"

static void format_string(struct buf *out, const struct imap_arg *a)
{
    bool quotable = a->type == IMAP_ARG_QUOTED;

    for (size_t i = 0; quotable && i < a->len; i++)
        if (a->str[i] == '\0' || a->str[i] == '\r' || a->str[i] == '\n')
            quotable = false;
    if (!quotable) {
        buf_printf(out, "%s{%zu+}\r\n",
                   a->flags & IMAP_ARG_F_LITERAL8 ? "~" : "", a->len);
        buf_appendmap(out, a->str, a->len);
        return;
    }
    buf_putc(out, '"');
    for (size_t i = 0; i < a->len; i++) {
        if (a->str[i] == '"' || a->str[i] == '\\')
            buf_putc(out, '\\');
        buf_putc(out, a->str[i]);
    }
    buf_putc(out, '"');
}

static void format_args(struct buf *out, const struct imap_arg *args,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct imap_arg *a = &args[i];

        if (i)
            buf_putc(out, ' ');
        if (a->type == IMAP_ARG_LIST) {
            buf_putc(out, '(');
            format_args(out, a->list, a->count);
            buf_putc(out, ')');
        } else if (a->type == IMAP_ARG_ATOM || a->type == IMAP_ARG_NIL) {
            buf_appendmap(out, a->str, a->len);
        } else {
            format_string(out, a);
        }
    }
}

void imap_parser_command_format(const struct imap_parser_command *cmd,
                                struct buf *out)
{
    buf_appendcstr(out, cmd->tag);
    buf_putc(out, ' ');
    buf_appendcstr(out, cmd->name);
    if (cmd->nargs) {
        buf_putc(out, ' ');
        format_args(out, cmd->args, cmd->nargs);
    }
    buf_appendcstr(out, "\r\n");
}
