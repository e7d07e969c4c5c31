/* thread.c -- ORDEREDSUBJECT, REFERENCES and REFS (RFC 5256 section 3);
 * see thread.h.
 *
 * The tree is first-child / next-sibling nodes under one root node (the
 * RFC's "root"); a node without a message is a dummy.  Every walk is a
 * loop: bottom-up work goes through the nodes in reverse breadth-first
 * order, the response is written by a walk along parent and sibling
 * links.  Sibling lists are doubly linked and children are added at the
 * front (their order is set by sorting), so every link change is O(1).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/thread.h"

struct node {
    const struct thread_msg *msg;       /* NULL: a dummy */
    size_t idx;                         /* input order of msg */
    struct node *parent, *child, *next, *prev;
    int64_t newest;                     /* REFS: newest date below */
};

struct tree {
    struct node root;
    struct node **all;                  /* every node but root */
    size_t n, alloc;
};

static struct node *node_new(struct tree *t, const struct thread_msg *msg,
                             size_t idx)
{
    struct node *x = xzmalloc(sizeof(*x));

    x->msg = msg;
    x->idx = idx;
    if (t->n == t->alloc) {
        t->alloc = t->alloc ? 2 * t->alloc : 64;
        t->all = xreallocarray(t->all, t->alloc, sizeof(*t->all));
    }
    t->all[t->n++] = x;
    return x;
}

static void tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->all[i]);
    free(t->all);
}

static void unlink_node(struct node *x)
{
    if (!x->parent)
        return;
    if (x->prev)
        x->prev->next = x->next;
    else
        x->parent->child = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->parent = NULL;
    x->next = NULL;
    x->prev = NULL;
}

/* Make x a child of p (the first). */
static void add_child(struct node *p, struct node *x)
{
    x->next = p->child;
    x->prev = NULL;
    if (p->child)
        p->child->prev = x;
    p->child = x;
    x->parent = p;
}

static int is_ancestor(const struct node *a, const struct node *x)
{
    if (!a->child)              /* the usual case, and O(1) */
        return a == x;
    for (; x; x = x->parent)
        if (x == a)
            return 1;
    return 0;
}

/* The representative message of a top-level node: itself, or a dummy's
 * first child. */
static const struct node *first_msg(const struct node *x)
{
    while (!x->msg && x->child)
        x = x->child;
    return x;
}

/* ---- sorting siblings --------------------------------------------------- */

static int by_date(const void *a, const void *b)
{
    const struct node *x = first_msg(*(struct node *const *)a);
    const struct node *y = first_msg(*(struct node *const *)b);
    int64_t dx = x->msg ? x->msg->date : 0, dy = y->msg ? y->msg->date : 0;

    if (dx != dy)
        return dx < dy ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int by_newest(const void *a, const void *b)
{
    const struct node *x = *(struct node *const *)a;
    const struct node *y = *(struct node *const *)b;

    if (x->newest != y->newest)
        return x->newest < y->newest ? -1 : 1;
    return by_date(a, b);
}

static void sort_children(struct node *p, int (*cmp)(const void *,
                                                     const void *))
{
    struct node **v, *c;
    size_t n = 0, i = 0;

    for (c = p->child; c; c = c->next)
        n++;
    if (n < 2)
        return;
    v = xcalloc(n, sizeof(*v));
    for (c = p->child; c; c = c->next)
        v[i++] = c;
    qsort(v, n, sizeof(*v), cmp);
    p->child = v[0];
    for (i = 0; i < n; i++) {
        v[i]->prev = i ? v[i - 1] : NULL;
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    }
    free(v);
}

/* Every node's children by date (dummies, which are all at the top, by
 * their first child once theirs are sorted), then the top level. */
static void sort_all(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        sort_children(t->all[i], by_date);
    sort_children(&t->root, by_date);
}

/* The nodes below root, breadth first (parents before children). */
static struct node **bfs_order(struct tree *t, size_t *n_r)
{
    struct node **v = xcalloc(t->n + 1, sizeof(*v));
    size_t head = 0, n = 0;

    for (struct node *c = t->root.child; c; c = c->next)
        v[n++] = c;
    while (head < n)
        for (struct node *c = v[head++]->child; c; c = c->next)
            v[n++] = c;
    *n_r = n;
    return v;
}

/* ---- REFERENCES step (1): links ----------------------------------------- */

/* The next "<...>" of s from *p, as a fresh string in *id; 0 at the end. */
static int next_msgid(const char **p, struct buf *id)
{
    const char *lt = strchr(*p, '<'), *gt;

    if (!lt || !(gt = strchr(lt + 1, '>')))
        return 0;
    buf_reset(id);
    buf_appendmap(id, lt, (size_t)(gt - lt) + 1);
    *p = gt + 1;
    return 1;
}

static struct node *id_node(struct tree *t, struct hash *ids, const char *id)
{
    struct node *x = hash_lookup(ids, id);

    if (!x) {
        x = node_new(t, NULL, SIZE_MAX);
        hash_insert(ids, id, x);
    }
    return x;
}

static void link_message(struct tree *t, struct hash *ids,
                         const struct thread_msg *m, size_t idx)
{
    struct buf id = BUF_INITIALIZER;
    struct node *self = NULL, *prev = NULL;
    const char *p = m->message_id ? m->message_id : "";
    const char *refs = m->references;

    if (next_msgid(&p, &id)) {
        self = hash_lookup(ids, buf_cstring(&id));
        if (self && !self->msg) {
            self->msg = m;
            self->idx = idx;
        } else if (self) {
            self = NULL;        /* a duplicate: a unique id of its own */
        } else {
            self = id_node(t, ids, buf_cstring(&id));
            self->msg = m;
            self->idx = idx;
        }
    }
    if (!self)
        self = node_new(t, m, idx);
    /* (A) each reference the parent of the next; (B) the last one the
     * parent of the message. */
    p = refs ? refs : "";
    if (!strchr(p, '<') && m->in_reply_to) {
        p = m->in_reply_to;
        if (next_msgid(&p, &id))
            prev = id_node(t, ids, buf_cstring(&id));
    } else {
        while (next_msgid(&p, &id)) {
            struct node *cur = id_node(t, ids, buf_cstring(&id));
            if (prev && cur != prev && !cur->parent &&
                !is_ancestor(cur, prev))
                add_child(prev, cur);
            prev = cur;
        }
    }
    if (self->parent)
        unlink_node(self);
    if (prev && prev != self && !is_ancestor(self, prev))
        add_child(prev, self);
    buf_free(&id);
}

/* ---- REFERENCES steps (2) and (3) --------------------------------------- */

static void gather_roots(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (!t->all[i]->parent)
            add_child(&t->root, t->all[i]);
}

/* Splice x's children into x's place among its siblings; x leaves. */
static void promote_children(struct node *x)
{
    struct node *p = x->parent, *first = x->child, *c, *last = NULL;

    if (!first) {
        unlink_node(x);
        return;
    }
    for (c = first; c; c = c->next) {
        c->parent = p;
        last = c;
    }
    first->prev = x->prev;
    if (x->prev)
        x->prev->next = first;
    else
        p->child = first;
    last->next = x->next;
    if (x->next)
        x->next->prev = last;
    x->child = NULL;
    x->parent = NULL;
    x->next = NULL;
    x->prev = NULL;
}

static void prune_dummies(struct tree *t)
{
    size_t n;
    struct node **v = bfs_order(t, &n);

    /* Children before parents, so a dummy sees its final children. */
    while (n--) {
        struct node *x = v[n];
        if (x->msg)
            continue;
        if (!x->child)
            unlink_node(x);
        else if (x->parent != &t->root || !x->child->next)
            promote_children(x);
    }
    free(v);
}

/* ---- REFERENCES step (5): subjects -------------------------------------- */

static const char *top_subject(const struct node *x)
{
    const struct node *f = first_msg(x);

    return f->msg && f->msg->subject ? f->msg->subject : "";
}

static void merge_subjects(struct tree *t)
{
    struct hash *subjects = hash_new(64);
    struct node **tops, *c;
    size_t n = 0, i = 0;

    for (c = t->root.child; c; c = c->next)
        n++;
    tops = xcalloc(n + 1, sizeof(*tops));
    for (c = t->root.child; c; c = c->next) {
        const char *s = top_subject(c);
        struct node *e;
        tops[i++] = c;
        if (!*s)
            continue;
        e = hash_lookup(subjects, s);
        /* (C) a dummy, or a non-reply over a reply, takes the place. */
        if (!e || (e->msg && (!c->msg || (e->msg->refwd && !c->msg->refwd))))
            hash_insert(subjects, s, c);
    }
    for (i = 0; i < n; i++) {
        struct node *cur = tops[i], *e, *d;
        const char *s = top_subject(cur);
        if (!*s || !(e = hash_lookup(subjects, s)) || e == cur)
            continue;
        if (!e->msg && !cur->msg) {
            while ((c = cur->child)) {
                unlink_node(c);
                add_child(e, c);
            }
            unlink_node(cur);
        } else if (!e->msg || (cur->msg && cur->msg->refwd && e->msg &&
                               !e->msg->refwd)) {
            unlink_node(cur);
            add_child(e, cur);
        } else {
            d = node_new(t, NULL, SIZE_MAX);
            /* the dummy takes e's place at the top */
            d->parent = &t->root;
            d->prev = e;
            d->next = e->next;
            if (e->next)
                e->next->prev = d;
            e->next = d;
            unlink_node(e);
            unlink_node(cur);
            add_child(d, e);
            add_child(d, cur);
            hash_insert(subjects, s, d);
        }
    }
    free(tops);
    hash_free(&subjects, NULL);
}

/* ---- REFS: newest message of each thread -------------------------------- */

static void compute_newest(struct tree *t)
{
    size_t n;
    struct node **v = bfs_order(t, &n);

    for (size_t i = 0; i < n; i++)
        v[i]->newest = v[i]->msg ? v[i]->msg->date : INT64_MIN;
    while (n--)
        if (v[n]->parent != &t->root && v[n]->newest > v[n]->parent->newest)
            v[n]->parent->newest = v[n]->newest;
    free(v);
}

/* ---- ORDEREDSUBJECT ----------------------------------------------------- */

static int by_subject(const void *a, const void *b)
{
    const struct node *x = *(struct node *const *)a;
    const struct node *y = *(struct node *const *)b;
    int r = strcmp(x->msg->subject ? x->msg->subject : "",
                   y->msg->subject ? y->msg->subject : "");

    return r ? r : by_date(a, b);
}

static void ordered_subject(struct tree *t, const struct thread_msg *msgs,
                            size_t n)
{
    struct node **v = xcalloc(n + 1, sizeof(*v));
    struct node *first = NULL;

    for (size_t i = 0; i < n; i++)
        v[i] = node_new(t, &msgs[i], i);
    qsort(v, n, sizeof(*v), by_subject);
    for (size_t i = 0; i < n; i++) {
        if (first && !strcmp(first->msg->subject ? first->msg->subject : "",
                             v[i]->msg->subject ? v[i]->msg->subject : "")) {
            add_child(first, v[i]);
        } else {
            first = v[i];
            add_child(&t->root, first);
        }
    }
    free(v);
    sort_all(t);
}

/* ---- the response ------------------------------------------------------- */

/* "(" thread ")" for the top-level node top: a message's number, then
 * its only child inline, or each of two or more children in parentheses
 * (RFC 5256 section 4, thread-list). */
static void put_thread(const struct node *top, struct buf *out)
{
    const struct node *x = top;
    int space = 0;

    buf_putc(out, '(');
    for (;;) {
        if (x->msg) {
            if (space)
                buf_putc(out, ' ');
            buf_appendu64(out, x->msg->id);
            space = 1;
        }
        if (x->child) {
            if (x->child->next) {
                if (space)
                    buf_putc(out, ' ');
                buf_putc(out, '(');
                space = 0;
            }
            x = x->child;
            continue;
        }
        for (;;) {
            if (x == top) {
                buf_putc(out, ')');
                return;
            }
            if (x->parent->child->next) {
                buf_putc(out, ')');
                if (x->next) {
                    buf_putc(out, '(');
                    space = 0;
                    x = x->next;
                    break;
                }
            }
            x = x->parent;
        }
    }
}

int thread_algorithm_lookup(const char *name)
{
    if (!strcasecmp(name, "ORDEREDSUBJECT"))
        return THREAD_ORDEREDSUBJECT;
    if (!strcasecmp(name, "REFERENCES"))
        return THREAD_REFERENCES;
    if (!strcasecmp(name, "REFS"))
        return THREAD_REFS;
    return -1;
}

void thread_build(enum thread_algorithm alg, const struct thread_msg *msgs,
                  size_t n, struct buf *out)
{
    struct tree t;

    memset(&t, 0, sizeof(t));
    if (alg == THREAD_ORDEREDSUBJECT) {
        ordered_subject(&t, msgs, n);
    } else {
        struct hash *ids = hash_new(n + 1);
        for (size_t i = 0; i < n; i++)
            link_message(&t, ids, &msgs[i], i);
        hash_free(&ids, NULL);
        gather_roots(&t);                       /* (2) */
        prune_dummies(&t);                      /* (3) */
        sort_all(&t);                           /* (4) */
        if (alg == THREAD_REFERENCES) {
            merge_subjects(&t);                 /* (5) */
            sort_all(&t);                       /* (6) */
        } else {
            compute_newest(&t);
            sort_children(&t.root, by_newest);
        }
    }
    for (const struct node *c = t.root.child; c; c = c->next)
        put_thread(c, out);
    tree_free(&t);
}
