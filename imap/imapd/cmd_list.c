/* cmd_list.c -- LIST and LSUB (RFC 3501 6.3.8, 6.3.9) with the CHILDREN
 * attributes (RFC 3348), LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819),
 * SPECIAL-USE (RFC 6154), LIST-MYRIGHTS (RFC 8440), and Gmail's XLIST.
 * The arguments are read by cmd_list_args.c (cmd_list.h).
 *
 * The reference is joined to each pattern (one separator dropped when
 * both bring one).  Per pattern, one walk collects every name the user may
 * see under the pattern's literal prefix (mboxlist_find_external(), which
 * already drops mailboxes without `l`), with its roles and the user's
 * rights; LSUB and the SUBSCRIBED options read the subscriptions too.
 * The candidates are the visible names (LIST), the subscribed names
 * (SUBSCRIBED selection: those that do not exist or are not visible are
 * \NonExistent), or the subscribed names that exist and are visible
 * (LSUB); the SPECIAL-USE selection keeps those with a role.  Then:
 *   - a candidate matching the pattern is listed, once over all patterns;
 *   - with `%` and no selection option (REMOTE aside), a level above a
 *     candidate that matches but is not itself listed appears with
 *     \Noselect (RFC 3501: "matching levels of hierarchy are also
 *     returned"), e.g. "user" for `LIST "" "%"` when another user's folder
 *     is shared with us;
 *   - with RECURSIVEMATCH, a name matching the pattern with a candidate
 *     below it that does not match gets ("CHILDINFO" ("SUBSCRIBED")),
 *     and is listed even when it is not a candidate itself.
 * Attributes, in this order: \NonExistent (extended selection) or
 * \Noselect (a level); \HasChildren / \HasNoChildren (not in LSUB, and
 * with the SUBSCRIBED selection only when CHILDREN is asked for);
 * \Subscribed (SUBSCRIBED return option); the mailbox's roles (every
 * LIST: RFC 6154 lets a server send them unasked, which clients without
 * the return option use; not LSUB); XLIST adds \Inbox and spells \All,
 * \Junk, \Flagged as Gmail did (\AllMail, \Spam, \Starred).  After the
 * LIST line of a mailbox that exists: "* STATUS" (RETURN STATUS, when
 * the user may read it: no STATUS otherwise, nor for \Noselect and
 * \NonExistent names), then "* MYRIGHTS" (RETURN MYRIGHTS).
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
#include "lib/xmalloc.h"
#include "imap/imapd/cmd_list.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/subs.h"

/* Marker value for the hash sets below (only presence matters). */
static char list_present;

/* What the walk learnt of a visible mailbox. */
struct list_box {
    char *roles;                /* NULL: none */
    unsigned rights;            /* with RETURN (MYRIGHTS) */
};

struct list_state {
    struct imapd_session *s;
    const struct list_request *req;
    struct glob *g;
    int levels;                 /* '%' in the pattern, no selection opts */
    struct strarray names;      /* visible names, walk order */
    struct strarray cands;      /* the candidates, in order */
    struct hash *visible;       /* name -> struct list_box */
    struct hash *parents;       /* every proper ancestor of a visible name */
    struct hash *subscribed;    /* subscribed names (when needed) */
    struct hash *childinfo;     /* RECURSIVEMATCH parents */
    struct hash *emitted;       /* already answered, over all patterns */
};

/* A selection option that narrows the answer (REMOTE does not: there are
 * no remote mailboxes). */
static int list_selecting(const struct list_request *req)
{
    return (req->sel & ~LIST_SEL_REMOTE) != 0;
}

static void list_box_free(void *v)
{
    struct list_box *b = v;
    free(b->roles);
    free(b);
}

static int list_collect(const char *name, const struct mboxlist_entry *e,
                        void *rock)
{
    struct list_state *ls = rock;
    struct list_box *b = xzmalloc(sizeof(*b)), *old;

    if (e) {
        b->roles = e->specialuse ? xstrdup(e->specialuse) : NULL;
        if (ls->req->ret & LIST_RET_MYRIGHTS)
            b->rights = acl_myrights(e->acl, ls->s->auth);
    }
    strarray_append(&ls->names, name);
    if ((old = hash_insert(ls->visible, name, b)))
        list_box_free(old);
    return 0;
}

/* The subscriptions, external, the user's own first (as LIST has them;
 * subs_list() sorts by internal name, so each group keeps its order);
 * with existing set, only those that exist and are visible. */
static int list_collect_subs(struct list_state *ls, int existing,
                             struct strarray *out)
{
    struct strarray subs = STRARRAY_INITIALIZER, others = STRARRAY_INITIALIZER;
    struct buf ext = BUF_INITIALIZER;
    int r = subs_list(ls->s->userid, &subs);

    for (size_t i = 0; !r && i < subs.count; i++) {
        const char *name = subs.data[i];
        if ((existing &&
             mboxlist_lookup_access(name, ls->s->auth, 0, NULL, NULL)) ||
            mboxname_to_external(name, ls->s->userid, &ext))
            continue;
        if (!strcmp(buf_cstring(&ext), "INBOX") ||
            !strncmp(ext.s, "INBOX.", 6))
            strarray_append(out, ext.s);
        else
            strarray_append(&others, ext.s);
    }
    for (size_t i = 0; i < others.count; i++)
        strarray_append(out, others.data[i]);
    strarray_fini(&subs);
    strarray_fini(&others);
    buf_free(&ext);
    return r;
}

/* Index the visible names' ancestors. */
static void list_index(struct list_state *ls)
{
    struct buf prefix = BUF_INITIALIZER;

    for (size_t i = 0; i < ls->names.count; i++) {
        const char *name = ls->names.data[i];
        for (const char *p = strchr(name, MBOXNAME_SEP); p;
             p = strchr(p + 1, MBOXNAME_SEP)) {
            buf_setmap(&prefix, name, (size_t)(p - name));
            hash_insert(ls->parents, buf_cstring(&prefix), &list_present);
        }
    }
    buf_free(&prefix);
}

/* One role as XLIST spells it. */
static const char *list_xlist_role(const char *role, size_t len)
{
    static const char *const map[][2] = {
        { "\\All", "\\AllMail" }, { "\\Junk", "\\Spam" },
        { "\\Flagged", "\\Starred" }
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
        if (strlen(map[i][0]) == len && !strncmp(map[i][0], role, len))
            return map[i][1];
    return NULL;
}

static void list_attr(struct buf *attrs, const char *attr, size_t len)
{
    if (attrs->len)
        buf_putc(attrs, ' ');
    buf_appendmap(attrs, attr, len);
}

static void list_roles(struct list_state *ls, const char *roles,
                       struct buf *attrs)
{
    for (const char *p = roles; *p;) {
        size_t len = strcspn(p, " ");
        const char *x = ls->req->kind == LIST_XLIST ? list_xlist_role(p, len)
                                                    : NULL;
        if (x)
            list_attr(attrs, x, strlen(x));
        else
            list_attr(attrs, p, len);
        p += len;
        p += strspn(p, " ");
    }
}

static void list_attrs(struct list_state *ls, const char *name,
                       const struct list_box *b, struct buf *attrs)
{
    const struct list_request *req = ls->req;
    int children = req->kind != LIST_LSUB &&
                   (!(req->sel & LIST_SEL_SUBSCRIBED) ||
                    (req->ret & LIST_RET_CHILDREN));

    if (!b)
        buf_setcstr(attrs, list_selecting(req) ? "\\NonExistent"
                                               : "\\Noselect");
    if (children && hash_lookup(ls->parents, name))
        list_attr(attrs, "\\HasChildren", 12);
    else if (children && b)
        list_attr(attrs, "\\HasNoChildren", 14);
    if ((req->ret & LIST_RET_SUBSCRIBED) &&
        hash_lookup(ls->subscribed, name))
        list_attr(attrs, "\\Subscribed", 11);
    if (b && b->roles && req->kind != LIST_LSUB)
        list_roles(ls, b->roles, attrs);
    if (req->kind == LIST_XLIST && !strcmp(name, "INBOX"))
        list_attr(attrs, "\\Inbox", 6);
}

/* The STATUS and MYRIGHTS responses after a listed mailbox. */
static void list_extras(struct list_state *ls, const char *name,
                        const struct list_box *b)
{
    struct imapd_session *s = ls->s;
    struct buf internal = BUF_INITIALIZER;

    if ((ls->req->ret & LIST_RET_STATUS) &&
        !imapd_mailbox_name(s, name, &internal))
        status_mailbox(s, buf_cstring(&internal), name, &ls->req->status);
    if (ls->req->ret & LIST_RET_MYRIGHTS) {
        struct buf wire = BUF_INITIALIZER;
        acl_rights_to_wire(b->rights, &wire);
        prot_puts(s->prot, "* MYRIGHTS ");
        imapd_write_astring(s->prot, name, strlen(name));
        prot_putc(s->prot, ' ');
        imapd_write_atom_or_string(s->prot, buf_cstring(&wire));
        prot_puts(s->prot, "\r\n");
        buf_free(&wire);
    }
    buf_free(&internal);
}

static void list_emit(struct list_state *ls, const char *name)
{
    static const char *const verbs[] = { "LIST", "LSUB", "XLIST" };
    const struct list_box *b = hash_lookup(ls->visible, name);
    struct buf attrs = BUF_INITIALIZER;

    hash_insert(ls->emitted, name, &list_present);
    list_attrs(ls, name, b, &attrs);
    prot_printf(ls->s->prot, "* %s (%s) \".\" ", verbs[ls->req->kind],
                buf_cstring(&attrs));
    imapd_write_astring(ls->s->prot, name, strlen(name));
    if (ls->childinfo && hash_lookup(ls->childinfo, name))
        prot_puts(ls->s->prot, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
    prot_puts(ls->s->prot, "\r\n");
    if (b)
        list_extras(ls, name, b);
    buf_free(&attrs);
}

/* The levels above name that match the pattern and are not listed on
 * their own (a \Noselect level, or a RECURSIVEMATCH parent). */
static void list_levels(struct list_state *ls, const char *name,
                        struct hash *only)
{
    struct buf prefix = BUF_INITIALIZER;

    for (const char *p = strchr(name, MBOXNAME_SEP); p;
         p = strchr(p + 1, MBOXNAME_SEP)) {
        buf_setmap(&prefix, name, (size_t)(p - name));
        if (!glob_match(ls->g, buf_cstring(&prefix)) ||
            hash_lookup(ls->emitted, prefix.s))
            continue;
        if (only ? !!hash_lookup(only, prefix.s)
                 : !hash_lookup(ls->visible, prefix.s))
            list_emit(ls, prefix.s);
    }
    buf_free(&prefix);
}

/* RECURSIVEMATCH: the matching ancestors of candidates that do not match
 * themselves. */
static void list_childinfo(struct list_state *ls)
{
    struct buf prefix = BUF_INITIALIZER;

    ls->childinfo = hash_new(16);
    for (size_t i = 0; i < ls->cands.count; i++) {
        const char *name = ls->cands.data[i];
        if (glob_match(ls->g, name))
            continue;
        for (const char *p = strchr(name, MBOXNAME_SEP); p;
             p = strchr(p + 1, MBOXNAME_SEP)) {
            buf_setmap(&prefix, name, (size_t)(p - name));
            if (glob_match(ls->g, buf_cstring(&prefix)))
                hash_insert(ls->childinfo, prefix.s, &list_present);
        }
    }
    buf_free(&prefix);
}

static void list_answer(struct list_state *ls)
{
    if (ls->req->sel & LIST_SEL_RECURSIVEMATCH)
        list_childinfo(ls);
    for (size_t i = 0; i < ls->cands.count; i++) {
        const char *name = ls->cands.data[i];
        if (hash_lookup(ls->emitted, name))
            continue;
        if (glob_match(ls->g, name))
            list_emit(ls, name);
        else if (ls->childinfo)
            list_levels(ls, name, ls->childinfo);
        else if (ls->levels)
            list_levels(ls, name, NULL);
    }
}

/* The candidates (see the top of the file). */
static int list_candidates(struct list_state *ls)
{
    const struct list_request *req = ls->req;
    struct strarray subs = STRARRAY_INITIALIZER;
    const struct strarray *from = &ls->names;
    int r = ERR_OK;

    if (req->ret & LIST_RET_SUBSCRIBED) {
        r = list_collect_subs(ls, 0, &subs);
        for (size_t i = 0; i < subs.count; i++)
            hash_insert(ls->subscribed, subs.data[i], &list_present);
        if (req->sel & LIST_SEL_SUBSCRIBED)
            from = &subs;
    }
    for (size_t i = 0; !r && i < from->count; i++) {
        const struct list_box *b = hash_lookup(ls->visible, from->data[i]);
        if (!(req->sel & LIST_SEL_SPECIALUSE) || (b && b->roles))
            strarray_append(&ls->cands, from->data[i]);
    }
    strarray_fini(&subs);
    return r;
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

static void list_reset(struct list_state *ls)
{
    glob_free(&ls->g);
    hash_free(&ls->visible, list_box_free);
    hash_free(&ls->parents, NULL);
    hash_free(&ls->subscribed, NULL);
    hash_free(&ls->childinfo, NULL);
    strarray_fini(&ls->names);
    strarray_fini(&ls->cands);
}

static int list_run(struct list_state *ls, const char *pattern)
{
    struct buf broad = BUF_INITIALIZER;
    const char *lit;
    size_t len;
    int r;

    list_reset(ls);
    ls->g = glob_new(pattern, MBOXNAME_SEP, GLOB_INBOXCASE);
    ls->levels = strchr(pattern, '%') != NULL && !list_selecting(ls->req);
    ls->visible = hash_new(64);
    ls->parents = hash_new(64);
    ls->subscribed = hash_new(16);
    /* Everything under the literal prefix: the matches, their children
     * and the names whose levels may match. */
    if (ls->req->kind == LIST_LSUB) {
        /* LSUB's world is the subscribed names that exist and are
         * visible: a level above them is \Noselect even if it exists. */
        struct strarray subs = STRARRAY_INITIALIZER;
        r = list_collect_subs(ls, 1, &subs);
        for (size_t i = 0; !r && i < subs.count; i++)
            list_collect(subs.data[i], NULL, ls);
        strarray_fini(&subs);
    } else {
        lit = glob_literal_prefix(ls->g, &len);
        buf_setmap(&broad, lit, len);
        buf_putc(&broad, '*');
        r = mboxlist_find_external(buf_cstring(&broad), ls->s->userid,
                                   ls->s->auth, list_collect, ls);
    }
    if (!r)
        r = list_candidates(ls);
    if (!r) {
        list_index(ls);
        list_answer(ls);
    }
    buf_free(&broad);
    return r;
}

/* LIST [(sel)] reference pattern(s) [RETURN (opts)] / LSUB / XLIST */
void cmd_list(struct imapd_session *s, const struct imapd_command *c)
{
    struct list_request req;
    struct list_state ls;
    struct buf pattern = BUF_INITIALIZER;
    const char *err;
    int r = ERR_OK;

    if ((err = list_parse(c, &req))) {
        imapd_tagged_bad(s, c->tag, "%s", err);
        strarray_fini(&req.patterns);
        return;
    }
    memset(&ls, 0, sizeof(ls));
    ls.s = s;
    ls.req = &req;
    ls.emitted = hash_new(64);
    if (req.patterns.count == 1 && !*req.patterns.data[0]) {
        if (req.kind != LIST_LSUB)
            list_root(s, req.ref);
    } else {
        for (size_t i = 0; !r && i < req.patterns.count; i++) {
            list_join(req.ref, req.patterns.data[i], &pattern);
            r = list_run(&ls, buf_cstring(&pattern));
        }
    }
    if (r)
        imapd_tagged_error(s, c->tag, r, NULL);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
    list_reset(&ls);
    hash_free(&ls.emitted, NULL);
    strarray_fini(&req.patterns);
    buf_free(&pattern);
}
