/* cmd_list.c -- LIST and LSUB (RFC 3501 6.3.8, 6.3.9) with the CHILDREN
 * attributes on LIST (RFC 3348).
 *
 * The reference is joined to the pattern (one separator dropped when both
 * bring one).  One walk collects every name the user may see under the
 * pattern's literal prefix (LIST: mboxlist_find_external(), which already
 * drops mailboxes without `l`; LSUB: the subscriptions that still exist
 * and are visible).  From that set:
 *   - a name matching the pattern is listed; LIST adds \HasChildren when a
 *     visible name lies below it, else \HasNoChildren;
 *   - with `%` in the pattern, a level above a visible name that matches
 *     but is not itself listed appears with \Noselect (RFC 3501: "matching
 *     levels of hierarchy are also returned"), e.g. "user" for
 *     `LIST "" "%"` when another user's folder is shared with us.
 * Children are judged only among visible names, so the attributes leak
 * nothing about mailboxes the user may not see.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/glob.h"
#include "lib/hash.h"
#include "lib/strarray.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/subs.h"

/* Marker value for the hash sets below (only presence matters). */
static char list_present;

struct list_state {
    struct imapd_session *s;
    int lsub;
    struct glob *g;
    int levels;                 /* the pattern has '%': list levels */
    struct strarray names;      /* visible names, walk order */
    struct hash *visible;       /* the same, as a set */
    struct hash *parents;       /* every proper ancestor of a visible name */
    struct hash *emitted;       /* already answered */
};

static int list_collect(const char *name, const struct mboxlist_entry *e,
                        void *rock)
{
    struct list_state *ls = rock;
    (void)e;
    strarray_append(&ls->names, name);
    return 0;
}

/* LSUB's walk: subscribed names that exist and are visible, external,
 * the user's own first (as LIST has them; subs_list() sorts by internal
 * name, so each group keeps its order). */
static int list_collect_subs(struct list_state *ls)
{
    struct strarray subs = STRARRAY_INITIALIZER, others = STRARRAY_INITIALIZER;
    struct buf ext = BUF_INITIALIZER;
    int r = subs_list(ls->s->userid, &subs);

    for (size_t i = 0; !r && i < subs.count; i++) {
        const char *name = subs.data[i];
        if (mboxlist_lookup_access(name, ls->s->auth, 0, NULL, NULL) ||
            mboxname_to_external(name, ls->s->userid, &ext))
            continue;
        if (!strcmp(buf_cstring(&ext), "INBOX") ||
            !strncmp(ext.s, "INBOX.", 6))
            strarray_append(&ls->names, ext.s);
        else
            strarray_append(&others, ext.s);
    }
    for (size_t i = 0; i < others.count; i++)
        strarray_append(&ls->names, others.data[i]);
    strarray_fini(&subs);
    strarray_fini(&others);
    buf_free(&ext);
    return r;
}

/* Index the collected names: the set itself and all their ancestors. */
static void list_index(struct list_state *ls)
{
    struct buf prefix = BUF_INITIALIZER;

    for (size_t i = 0; i < ls->names.count; i++) {
        const char *name = ls->names.data[i];
        hash_insert(ls->visible, name, &list_present);
        for (const char *p = strchr(name, MBOXNAME_SEP); p;
             p = strchr(p + 1, MBOXNAME_SEP)) {
            buf_setmap(&prefix, name, (size_t)(p - name));
            hash_insert(ls->parents, buf_cstring(&prefix), &list_present);
        }
    }
    buf_free(&prefix);
}

static void list_emit(struct list_state *ls, const char *name,
                      const char *attrs)
{
    hash_insert(ls->emitted, name, &list_present);
    prot_printf(ls->s->prot, "* %s (%s) \".\" ", ls->lsub ? "LSUB" : "LIST",
                attrs);
    imapd_write_astring(ls->s->prot, name, strlen(name));
    prot_puts(ls->s->prot, "\r\n");
}

/* The levels above name that match the pattern and are not listed on
 * their own: \Noselect. */
static void list_levels(struct list_state *ls, const char *name)
{
    struct buf prefix = BUF_INITIALIZER;

    for (const char *p = strchr(name, MBOXNAME_SEP); p;
         p = strchr(p + 1, MBOXNAME_SEP)) {
        buf_setmap(&prefix, name, (size_t)(p - name));
        if (!glob_match(ls->g, buf_cstring(&prefix)) ||
            hash_lookup(ls->visible, prefix.s) ||
            hash_lookup(ls->emitted, prefix.s))
            continue;
        list_emit(ls, prefix.s,
                  ls->lsub ? "\\Noselect" : "\\Noselect \\HasChildren");
    }
    buf_free(&prefix);
}

static void list_answer(struct list_state *ls)
{
    for (size_t i = 0; i < ls->names.count; i++) {
        const char *name = ls->names.data[i];
        if (hash_lookup(ls->emitted, name))
            continue;
        if (glob_match(ls->g, name)) {
            const char *attrs = "";
            if (!ls->lsub)
                attrs = hash_lookup(ls->parents, name) ? "\\HasChildren"
                                                       : "\\HasNoChildren";
            list_emit(ls, name, attrs);
        } else if (ls->levels) {
            list_levels(ls, name);
        }
    }
}

/* reference + pattern (RFC 3501 6.3.8: the reference is prepended). */
static void list_join(const char *ref, const char *pattern, struct buf *out)
{
    size_t rlen = strlen(ref);
    buf_setcstr(out, ref);
    if (rlen && ref[rlen - 1] == MBOXNAME_SEP && pattern[0] == MBOXNAME_SEP)
        pattern++;
    buf_appendcstr(out, pattern);
}

/* LIST ref "": the hierarchy separator and the root of the reference. */
static void list_root(struct imapd_session *s, const char *ref)
{
    const char *sep = strchr(ref, MBOXNAME_SEP);
    size_t len = sep ? (size_t)(sep - ref) + 1 : 0;

    prot_puts(s->prot, "* LIST (\\Noselect) \".\" ");
    imapd_write_astring(s->prot, ref, len);
    prot_puts(s->prot, "\r\n");
}

static int list_run(struct list_state *ls, const char *pattern)
{
    struct buf broad = BUF_INITIALIZER;
    const char *lit;
    size_t len;
    int r;

    ls->g = glob_new(pattern, MBOXNAME_SEP, GLOB_INBOXCASE);
    ls->levels = strchr(pattern, '%') != NULL;
    ls->visible = hash_new(64);
    ls->parents = hash_new(64);
    ls->emitted = hash_new(64);
    if (ls->lsub) {
        r = list_collect_subs(ls);
    } else {
        /* Everything under the literal prefix: the matches, their
         * children and the names whose levels may match. */
        lit = glob_literal_prefix(ls->g, &len);
        buf_setmap(&broad, lit, len);
        buf_putc(&broad, '*');
        r = mboxlist_find_external(buf_cstring(&broad), ls->s->userid,
                                   ls->s->auth, list_collect, ls);
    }
    if (!r) {
        list_index(ls);
        list_answer(ls);
    }
    buf_free(&broad);
    return r;
}

/* LIST reference pattern / LSUB reference pattern */
void cmd_list(struct imapd_session *s, const struct imapd_command *c)
{
    struct list_state ls;
    struct buf pattern = BUF_INITIALIZER;
    const char *ref, *pat;
    int r = ERR_OK;

    memset(&ls, 0, sizeof(ls));
    ls.s = s;
    ls.lsub = !strcmp(c->name, "LSUB");
    if (c->nargs != 2 || !imap_arg_get_astring(&c->args[0], &ref) ||
        !imap_arg_get_astring(&c->args[1], &pat)) {
        imapd_tagged_bad(s, c->tag, "%s needs a reference and a pattern",
                         c->name);
        return;
    }
    if (!*pat) {
        if (!ls.lsub)
            list_root(s, ref);
    } else {
        list_join(ref, pat, &pattern);
        r = list_run(&ls, buf_cstring(&pattern));
    }
    if (r)
        imapd_tagged_error(s, c->tag, r, NULL);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
    glob_free(&ls.g);
    hash_free(&ls.visible, NULL);
    hash_free(&ls.parents, NULL);
    hash_free(&ls.emitted, NULL);
    strarray_fini(&ls.names);
    buf_free(&pattern);
}
