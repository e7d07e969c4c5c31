/* cmd_metadata.c -- GETMETADATA and SETMETADATA (RFC 5464, METADATA and
 * METADATA-SERVER): the grammar, the options and the responses.  What
 * entries exist, who may read or write them and the limits are
 * mboxlist's (mboxlist.h, "annotations"); /private/specialuse is
 * cmd_mailbox.c's (the roles of the mailbox record).
 *
 * GETMETADATA [(options)] mailbox entries, with the options MAXSIZE n and
 * DEPTH 0|1|infinity, also accepted after the mailbox (Cyrus does; some
 * clients send them there).  entries is one entry or a parenthesised
 * list.  As in Cyrus, "*" and "%" in a GETMETADATA entry are wildcards
 * ("*" any characters, "%" any but "/"), which cyradm's `info` uses.  One
 * untagged METADATA response holds every entry found (in the order of
 * the entries asked for, each one's matches in name order); an entry asked for
 * by its exact name (DEPTH 0, no wildcard) that has no value is answered
 * with NIL.  Values longer than MAXSIZE are left out and the tagged OK
 * says [METADATA LONGENTRIES n] with the longest one's size.
 *
 * SETMETADATA mailbox (entry value ...): NIL removes an entry.  All
 * entries but /private/specialuse are set in one transaction or none is;
 * /private/specialuse, when among them, is set first on its own.
 * Unsolicited METADATA responses are not sent.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/mailstore/mboxlist.h"

#define DEPTH_INFINITY 2

/* The mailbox argument: "" is the server, else the internal name. */
static int metadata_mailbox(struct imapd_session *s, const char *ext,
                            struct buf *name)
{
    int r;

    buf_reset(name);
    if (!*ext) {
        buf_cstring(name);
        return ERR_OK;
    }
    r = imapd_mailbox_name(s, ext, name);
    return r == ERR_BADNAME ? ERR_NOTFOUND : r;
}

/* ---- GETMETADATA ---------------------------------------------------------- */

struct get_opts {
    int depth;                  /* 0, 1, DEPTH_INFINITY */
    int have_depth, have_maxsize;
    uint32_t maxsize;
};

/* (MAXSIZE n DEPTH d): 0, or -1 after BAD. */
static int get_options(struct imapd_session *s, const struct imapd_command *c,
                       const struct imap_arg *list, size_t n,
                       struct get_opts *o)
{
    const char *d;

    for (size_t i = 0; i < n; i += 2) {
        if (i + 1 >= n) {
            imapd_tagged_bad(s, c->tag, "GETMETADATA option without a value");
            return -1;
        }
        if (imap_arg_atom_is(&list[i], "MAXSIZE") && !o->have_maxsize) {
            o->have_maxsize = 1;
            if (!imap_arg_get_number(&list[i + 1], &o->maxsize)) {
                imapd_tagged_bad(s, c->tag, "MAXSIZE needs a number");
                return -1;
            }
        } else if (imap_arg_atom_is(&list[i], "DEPTH") && !o->have_depth) {
            o->have_depth = 1;
            if (!imap_arg_get_astring(&list[i + 1], &d) ||
                (strcmp(d, "0") && strcmp(d, "1") &&
                 strcasecmp(d, "infinity"))) {
                imapd_tagged_bad(s, c->tag, "DEPTH must be 0, 1 or infinity");
                return -1;
            }
            o->depth = !strcmp(d, "0") ? 0 : !strcmp(d, "1") ? 1
                                                              : DEPTH_INFINITY;
        } else {
            imapd_tagged_bad(s, c->tag, "Unknown or repeated GETMETADATA "
                             "option (MAXSIZE, DEPTH)");
            return -1;
        }
    }
    return 0;
}

/* 1 if a list looks like options (its first item is an option name). */
static int is_options(const struct imap_arg *arg)
{
    const struct imap_arg *list;
    size_t n;

    return imap_arg_get_list(arg, &list, &n) && n &&
           (imap_arg_atom_is(&list[0], "MAXSIZE") ||
            imap_arg_atom_is(&list[0], "DEPTH"));
}

struct found {
    char *entry;
    struct buf value;
    int sent;
};

struct found_list {
    struct found *f;
    size_t n, alloc;
};

static int collect(const char *entry, const char *value, size_t len,
                   void *rock)
{
    struct found_list *fl = rock;
    struct found *f;

    if (fl->n == fl->alloc) {
        fl->alloc = fl->alloc ? 2 * fl->alloc : 16;
        fl->f = xrealloc(fl->f, fl->alloc * sizeof(*fl->f));
    }
    f = &fl->f[fl->n++];
    memset(f, 0, sizeof(*f));
    f->entry = xstrdup(entry);
    buf_setmap(&f->value, value, len);
    return 0;
}

static int found_cmp(const void *a, const void *b)
{
    return strcmp(((const struct found *)a)->entry,
                  ((const struct found *)b)->entry);
}

/* Glob: "*" any characters, "%" any but "/". */
static int wild_match(const char *pat, const char *s)
{
    for (; *pat; pat++, s++) {
        if (*pat == '*' || *pat == '%') {
            for (;; s++) {
                if (wild_match(pat + 1, s))
                    return 1;
                if (!*s || (*pat == '%' && *s == '/'))
                    return 0;
            }
        }
        if (*pat != *s)
            return 0;
    }
    return !*s;
}

/* Does entry answer the request req (checked, lower case) at depth? */
static int matches(const char *req, int wild, int depth, const char *entry)
{
    size_t n = strlen(req);

    if (wild)
        return wild_match(req, entry);
    if (!strcmp(req, entry))
        return 1;
    if (!depth || strncmp(entry, req, n) || entry[n] != '/')
        return 0;
    return depth == DEPTH_INFINITY || !strchr(entry + n + 1, '/');
}

static void write_value(struct prot *p, const struct buf *v)
{
    if (memchr(v->s ? v->s : "", '\0', v->len)) {
        prot_printf(p, "~{%zu}\r\n", v->len);
        prot_write(p, v->s, v->len);
    } else {
        imapd_write_astring(p, v->s ? v->s : "", v->len);
    }
}

/* One entry pair into the response, opening it first when needed. */
static void put_pair(struct imapd_session *s, const char *mailbox, int *open,
                     const char *entry, const struct buf *value)
{
    prot_puts(s->prot, *open ? " " : "* METADATA ");
    if (!*open) {
        imapd_write_astring(s->prot, mailbox, strlen(mailbox));
        prot_puts(s->prot, " (");
    }
    *open = 1;
    imapd_write_atom_or_string(s->prot, entry);
    prot_putc(s->prot, ' ');
    if (value)
        write_value(s->prot, value);
    else
        prot_puts(s->prot, "NIL");
}

void cmd_getmetadata(struct imapd_session *s, const struct imapd_command *c)
{
    struct get_opts o = { 0, 0, 0, 0 };
    struct found_list fl = { NULL, 0, 0 };
    struct buf name = BUF_INITIALIZER;
    struct buf *reqs = NULL;
    const struct imap_arg *list, *entries;
    const char *ext, *why;
    size_t i = 0, n, nreq, longest = 0;
    int r, open = 0;

    if (c->nargs && imap_arg_get_list(&c->args[0], &list, &n)) {
        if (get_options(s, c, list, n, &o))
            return;
        i++;
    }
    if (i >= c->nargs || !imap_arg_get_astring(&c->args[i++], &ext)) {
        imapd_tagged_bad(s, c->tag, "GETMETADATA needs a mailbox and entries");
        return;
    }
    if (i + 2 == c->nargs && !o.have_depth && !o.have_maxsize &&
        is_options(&c->args[i])) {
        imap_arg_get_list(&c->args[i], &list, &n);
        if (get_options(s, c, list, n, &o))
            return;
        i++;
    }
    if (i + 1 != c->nargs) {
        imapd_tagged_bad(s, c->tag, "GETMETADATA needs a mailbox and entries");
        return;
    }
    if (!imap_arg_get_list(&c->args[i], &entries, &nreq)) {
        entries = &c->args[i];
        nreq = 1;
    }
    if (!nreq) {
        imapd_tagged_bad(s, c->tag, "GETMETADATA needs at least one entry");
        return;
    }
    reqs = xcalloc(nreq, sizeof(*reqs));
    for (size_t k = 0; k < nreq; k++) {
        const char *e;
        if (!imap_arg_get_astring(&entries[k], &e)) {
            imapd_tagged_bad(s, c->tag, "An entry must be a string");
            goto done;
        }
        if (mboxlist_annot_entry_check(e, 1, &reqs[k], &why)) {
            imapd_tagged_bad(s, c->tag, "%s", why);
            goto done;
        }
    }
    r = metadata_mailbox(s, ext, &name);
    if (!r)
        r = mboxlist_annot_list(buf_cstring(&name), s->auth, collect, &fl);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    if (fl.n)
        qsort(fl.f, fl.n, sizeof(*fl.f), found_cmp);
    for (size_t k = 0; k < nreq; k++) {
        const char *req = buf_cstring(&reqs[k]);
        int wild = strpbrk(req, "*%") != NULL, any = 0;
        for (size_t j = 0; j < fl.n; j++) {
            struct found *f = &fl.f[j];
            if (!matches(req, wild, o.depth, f->entry))
                continue;
            any = 1;
            if (f->sent)
                continue;
            f->sent = 1;
            if (o.have_maxsize && f->value.len > o.maxsize) {
                if (f->value.len > longest)
                    longest = f->value.len;
                continue;
            }
            put_pair(s, ext, &open, f->entry, &f->value);
        }
        if (!any && !wild && !o.depth && strcmp(req, "/private") &&
            strcmp(req, "/shared"))
            put_pair(s, ext, &open, req, NULL);
    }
    if (open)
        prot_puts(s->prot, ")\r\n");
    if (longest)
        imapd_tagged_ok(s, c->tag, "[METADATA LONGENTRIES %zu] Completed",
                        longest);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
done:
    for (size_t k = 0; k < nreq; k++)
        buf_free(&reqs[k]);
    free(reqs);
    for (size_t j = 0; j < fl.n; j++) {
        free(fl.f[j].entry);
        buf_free(&fl.f[j].value);
    }
    free(fl.f);
    buf_free(&name);
}

/* ---- SETMETADATA ---------------------------------------------------------- */

/* The tagged NO for mboxlist_annot_store()'s error r on entry. */
static void set_error(struct imapd_session *s, const struct imapd_command *c,
                      int r, const char *entry, const char *why)
{
    switch (r) {
    case ERR_TOOBIG:
        imapd_tagged_no(s, c->tag, "[METADATA MAXSIZE %lld] The value of %s "
                        "is too long",
                        conf_getint(CONF_ANNOTATION_MAXSIZE), entry);
        break;
    case ERR_QUOTA:
        imapd_tagged_no(s, c->tag, "[METADATA TOOMANY] Too many entries for "
                        "%s (at most %lld)", entry,
                        conf_getint(CONF_ANNOTATION_MAXENTRIES));
        break;
    case ERR_NOTSUPP:
        imapd_tagged_no(s, c->tag, "[METADATA NOPRIVATE] %s: %s", entry, why);
        break;
    case ERR_PERM:
        imapd_tagged_no(s, c->tag, "[NOPERM] Cannot set %s: %s", entry, why);
        break;
    case ERR_BADARG:
        imapd_tagged_no(s, c->tag, "[CANNOT] Cannot set %s: %s", entry, why);
        break;
    default:
        imapd_tagged_error(s, c->tag, r, NULL);
        break;
    }
}

void cmd_setmetadata(struct imapd_session *s, const struct imapd_command *c)
{
    struct mboxlist_annot_change *ch = NULL;
    struct buf name = BUF_INITIALIZER, *ents = NULL;
    const struct imap_arg *list;
    const char *ext, *why, *roles = NULL;
    size_t n, nch = 0, bad = 0;
    int r, setroles = 0;

    if (c->nargs != 2 || !imap_arg_get_astring(&c->args[0], &ext) ||
        !imap_arg_get_list(&c->args[1], &list, &n) || !n || n % 2) {
        imapd_tagged_bad(s, c->tag, "SETMETADATA needs a mailbox and "
                         "(entry value ...)");
        return;
    }
    ch = xcalloc(n / 2, sizeof(*ch));
    ents = xcalloc(n / 2, sizeof(*ents));
    for (size_t i = 0; i < n; i += 2) {
        const char *e, *v = NULL;
        size_t len = 0;
        if (!imap_arg_get_astring(&list[i], &e)) {
            imapd_tagged_bad(s, c->tag, "An entry must be a string");
            goto done;
        }
        if (mboxlist_annot_entry_check(e, 0, &ents[i / 2], &why)) {
            imapd_tagged_bad(s, c->tag, "%s", why);
            goto done;
        }
        if (list[i + 1].type == IMAP_ARG_QUOTED ||
            list[i + 1].type == IMAP_ARG_LITERAL) {
            v = list[i + 1].str;
            len = list[i + 1].len;
        } else if (list[i + 1].type != IMAP_ARG_NIL) {
            imapd_tagged_bad(s, c->tag, "A value must be a string or NIL");
            goto done;
        }
        if (*ext && !strcmp(buf_cstring(&ents[i / 2]),
                            "/private/specialuse")) {
            if (v && memchr(v, '\0', len)) {
                imapd_tagged_no(s, c->tag, "[USEATTR] Special-use "
                                "attributes cannot hold NUL");
                goto done;
            }
            setroles = 1;
            roles = v;
            continue;
        }
        ch[nch].entry = buf_cstring(&ents[i / 2]);
        ch[nch].value = v;
        ch[nch].len = len;
        nch++;
    }
    if (setroles && cmd_mailbox_setroles(s, c, ext, roles))
        goto done;
    r = metadata_mailbox(s, ext, &name);
    if (!r && nch)
        r = mboxlist_annot_store(buf_cstring(&name), s->auth, ch, nch, &bad,
                                 &why);
    if (r)
        set_error(s, c, r, nch ? ch[bad].entry : "", why);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
done:
    for (size_t i = 0; i < n / 2; i++)
        buf_free(&ents[i]);
    free(ents);
    free(ch);
    buf_free(&name);
}
