/* cmd_list_args.c -- the arguments of LIST (with the RFC 5258 selection
 * and return options, RFC 5819 STATUS, RFC 6154 SPECIAL-USE, RFC 8440
 * MYRIGHTS), LSUB and XLIST, into a struct list_request (cmd_list.h has
 * the grammar and what is refused).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/error.h"
#include "imap/imapd/cmd_list.h"
#include "imap/imapd/imap_parser.h"

struct list_opt {
    const char *name;
    unsigned flag;
};

static const struct list_opt list_sel_opts[] = {
    { "SUBSCRIBED", LIST_SEL_SUBSCRIBED },
    { "REMOTE", LIST_SEL_REMOTE },
    { "RECURSIVEMATCH", LIST_SEL_RECURSIVEMATCH },
    { "SPECIAL-USE", LIST_SEL_SPECIALUSE },
    { NULL, 0 }
};

static const struct list_opt list_ret_opts[] = {
    { "SUBSCRIBED", LIST_RET_SUBSCRIBED },
    { "CHILDREN", LIST_RET_CHILDREN },
    { "SPECIAL-USE", LIST_RET_SPECIALUSE },
    { "MYRIGHTS", LIST_RET_MYRIGHTS },
    { "STATUS", LIST_RET_STATUS },
    { NULL, 0 }
};

/* The flag of atom arg in table, or 0. */
static unsigned list_opt_flag(const struct list_opt *table,
                              const struct imap_arg *arg)
{
    const char *atom;

    if (arg->type != IMAP_ARG_ATOM || !imap_arg_get_atom(arg, &atom))
        return 0;
    for (; table->name; table++)
        if (!strcasecmp(table->name, atom))
            return table->flag;
    return 0;
}

/* The options opts[0..n) from table (selection or return options) into
 * *flags.  STATUS (a return option) takes the item list that follows it
 * into *status. */
static const char *list_parse_opts(const struct list_opt *table,
                                   const struct imap_arg *opts, size_t n,
                                   unsigned *flags, struct status_items *status)
{
    int sel = table == list_sel_opts;

    for (size_t i = 0; i < n; i++) {
        unsigned f = list_opt_flag(table, &opts[i]);
        if (!f)
            return sel ? "Unknown LIST selection option"
                       : "Unknown LIST return option";
        if (*flags & f)
            return sel ? "LIST selection option given twice"
                       : "LIST return option given twice";
        *flags |= f;
        if (!sel && f == LIST_RET_STATUS &&
            (i + 1 >= n || status_items_parse(&opts[++i], status)))
            return "Invalid STATUS items in LIST RETURN";
    }
    return NULL;
}

static const char *list_parse_patterns(const struct imap_arg *arg,
                                       struct list_request *req)
{
    const struct imap_arg *pats;
    const char *pat;
    size_t n;

    if (imap_arg_get_astring(arg, &pat)) {
        strarray_append(&req->patterns, pat);
        return NULL;
    }
    if (!imap_arg_get_list(arg, &pats, &n) || !n)
        return "LIST needs a pattern or a list of patterns";
    for (size_t i = 0; i < n; i++) {
        if (!imap_arg_get_astring(&pats[i], &pat))
            return "Invalid pattern in the LIST pattern list";
        strarray_append(&req->patterns, pat);
    }
    return NULL;
}

const char *list_parse(const struct imapd_command *c,
                       struct list_request *req)
{
    const struct imap_arg *list;
    const char *err, *pat;
    size_t i = 0, n;

    memset(req, 0, sizeof(*req));
    req->kind = !strcmp(c->name, "LSUB")    ? LIST_LSUB
                : !strcmp(c->name, "XLIST") ? LIST_XLIST
                                            : LIST_PLAIN;
    if (req->kind == LIST_PLAIN && c->nargs &&
        imap_arg_get_list(&c->args[0], &list, &n)) {
        i++;
        if ((err = list_parse_opts(list_sel_opts, list, n, &req->sel, NULL)))
            return err;
        if ((req->sel & LIST_SEL_RECURSIVEMATCH) &&
            !(req->sel & LIST_SEL_SUBSCRIBED))
            return "RECURSIVEMATCH needs the SUBSCRIBED selection option";
    }
    if (c->nargs < i + 2 || !imap_arg_get_astring(&c->args[i], &req->ref))
        return req->kind == LIST_LSUB ? "LSUB needs a reference and a pattern"
                                      : "LIST needs a reference and a pattern";
    i++;
    if (req->kind != LIST_PLAIN) {
        if (c->nargs != 2 || !imap_arg_get_astring(&c->args[1], &pat))
            return "Invalid pattern";
        strarray_append(&req->patterns, pat);
        return NULL;
    }
    if ((err = list_parse_patterns(&c->args[i++], req)))
        return err;
    if (i < c->nargs) {
        if (!imap_arg_atom_is(&c->args[i], "RETURN") || i + 2 != c->nargs)
            return "Unexpected LIST arguments";
        if (!imap_arg_get_list(&c->args[i + 1], &list, &n))
            return "RETURN needs a list of options";
        if ((err = list_parse_opts(list_ret_opts, list, n, &req->ret,
                                   &req->status)))
            return err;
    }
    /* Implied return options (RFC 5258 section 3, RFC 6154 section 5). */
    if (req->sel & LIST_SEL_SUBSCRIBED)
        req->ret |= LIST_RET_SUBSCRIBED;
    if (req->sel & LIST_SEL_SPECIALUSE)
        req->ret |= LIST_RET_SPECIALUSE;
    return NULL;
}
