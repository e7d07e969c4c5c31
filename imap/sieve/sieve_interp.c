/* sieve_interp.c -- run a checked script against one message (sieve.h):
 * the tests read the message's header (unfolded; the header test sees RFC
 * 2047 words decoded, the address test the addresses as ENVELOPE parses
 * them) and the envelope; the commands collect actions and the imap4flags
 * internal variable.  Nothing is performed here. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/message.h"
#include "imap/sieve/sieve.h"
#include "imap/sieve/sieve_private.h"

struct run {
    const struct sieve_script *s;
    size_t size;
    const struct sieve_envelope *env;
    struct sieve_headers hs;
    struct sieve_result *res;
    struct buf *err;
    int failed;
    int stopped;
    int implicit_keep;
    struct strarray flags;      /* imap4flags' internal variable */
    unsigned nredirects;
};

static void rerr(struct run *r, int code, int line, const char *fmt, ...)
    CHAPAR_FORMAT(4, 5);
static void rerr(struct run *r, int code, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sieve_verror(&r->failed, r->err, code, line, fmt, ap);
    va_end(ap);
}

void sieve_limits_default(struct sieve_limits *l)
{
    l->max_script = SIEVE_DEFAULT_MAX_SCRIPT;
    l->max_depth = SIEVE_DEFAULT_MAX_DEPTH;
    l->max_string = SIEVE_DEFAULT_MAX_STRING;
    l->max_commands = SIEVE_DEFAULT_MAX_COMMANDS;
    l->max_actions = SIEVE_DEFAULT_MAX_ACTIONS;
    l->max_redirects = SIEVE_DEFAULT_MAX_REDIRECTS;
    if (conf_filename()) {
        l->max_script = (size_t)conf_getint(CONF_SIEVE_MAXSCRIPTSIZE) * 1024;
        l->max_redirects = (unsigned)conf_getint(CONF_SIEVE_MAXREDIRECTS);
    }
}

/* ---- the message -------------------------------------------------------- */

void sieve_headers_read(const char *msg, size_t len, struct sieve_headers *hs)
{
    struct message_field f;
    size_t pos = 0;

    memset(hs, 0, sizeof(*hs));
    while (message_header_next_field(msg, len, &pos, &f)) {
        const char *v = memchr(f.line, ':', f.len);
        const char *end = f.line + f.len;
        struct buf val = BUF_INITIALIZER;
        size_t skip = 0;
        if (!v)
            continue;
        for (v++; v < end; v++)
            if (*v != '\r' && *v != '\n')
                buf_putc(&val, *v);
        while (val.len && (val.s[val.len - 1] == ' ' ||
                           val.s[val.len - 1] == '\t'))
            val.len--;
        while (skip < val.len && (val.s[skip] == ' ' || val.s[skip] == '\t'))
            skip++;
        buf_cstring(&val);
        buf_remove(&val, 0, skip);
        hs->h = xreallocarray(hs->h, hs->n + 1, sizeof(*hs->h));
        hs->h[hs->n].name = f.name;
        hs->h[hs->n].name_len = f.name_len;
        hs->h[hs->n++].value = buf_release(&val);
    }
}

void sieve_headers_fini(struct sieve_headers *hs)
{
    for (size_t i = 0; i < hs->n; i++)
        free(hs->h[i].value);
    free(hs->h);
    memset(hs, 0, sizeof(*hs));
}

int sieve_hdr_is(const struct sieve_hdr *h, const char *name)
{
    return strlen(name) == h->name_len &&
           !strncasecmp(h->name, name, h->name_len);
}

const char *sieve_header_first(const struct sieve_headers *hs,
                               const char *name)
{
    for (size_t i = 0; i < hs->n; i++)
        if (sieve_hdr_is(&hs->h[i], name))
            return hs->h[i].value;
    return NULL;
}

/* 1 if any key matches value under n's comparator and match type. */
static int match_keys(const struct sieve_node *n, const char *value,
                      size_t vlen)
{
    for (size_t k = 0; k < n->list2->count; k++)
        if (sieve_match(n->comparator, n->match, value, vlen,
                        n->list2->data[k], strlen(n->list2->data[k])))
            return 1;
    return 0;
}

static int test_header(struct run *r, const struct sieve_node *n)
{
    struct buf dec = BUF_INITIALIZER;
    int hit = 0;

    for (size_t i = 0; i < n->list1->count && !hit; i++)
        for (size_t h = 0; h < r->hs.n && !hit; h++) {
            if (!sieve_hdr_is(&r->hs.h[h], n->list1->data[i]))
                continue;
            buf_reset(&dec);
            charset_decode_header(r->hs.h[h].value, strlen(r->hs.h[h].value),
                                  &dec);
            hit = match_keys(n, dec.s ? dec.s : "", dec.len);
        }
    buf_free(&dec);
    return hit;
}

/* One address against n's keys, through its address part. */
static int match_address(const struct sieve_node *n, const char *addr)
{
    const char *p;
    size_t len;

    return sieve_address_part(n->addrpart, addr, &p, &len) &&
           match_keys(n, p, len);
}

static void collect_address(const struct message_address *a, void *rock)
{
    struct strarray *out = rock;
    struct buf b = BUF_INITIALIZER;

    if (!a->mailbox || !a->host)
        return;                 /* a group's start or end */
    buf_printf(&b, "%s@%s", a->mailbox, a->host);
    strarray_appendm(out, buf_release(&b));
}

static int test_address(struct run *r, const struct sieve_node *n)
{
    struct strarray addrs = STRARRAY_INITIALIZER;
    int hit = 0;

    for (size_t i = 0; i < n->list1->count; i++)
        for (size_t h = 0; h < r->hs.n; h++)
            if (sieve_hdr_is(&r->hs.h[h], n->list1->data[i]))
                message_address_each(r->hs.h[h].value, collect_address,
                                     &addrs);
    for (size_t i = 0; i < addrs.count && !hit; i++)
        hit = match_address(n, addrs.data[i]);
    strarray_fini(&addrs);
    return hit;
}

static int test_envelope(struct run *r, const struct sieve_node *n)
{
    for (size_t i = 0; i < n->list1->count; i++) {
        int from = !strcasecmp(n->list1->data[i], "from");
        const char *v = from ? r->env->from : r->env->to;
        if (!v)
            continue;
        /* The null reverse path is "" for every address part. */
        if (!*v ? match_keys(n, "", 0) : match_address(n, v))
            return 1;
    }
    return 0;
}

static int test_exists(struct run *r, const struct sieve_node *n)
{
    for (size_t i = 0; i < n->list1->count; i++) {
        size_t h;
        for (h = 0; h < r->hs.n; h++)
            if (sieve_hdr_is(&r->hs.h[h], n->list1->data[i]))
                break;
        if (h == r->hs.n)
            return 0;
    }
    return 1;
}

static int test_hasflag(struct run *r, const struct sieve_node *n)
{
    const struct sieve_node kn = { .comparator = n->comparator,
                                   .match = n->match, .list2 = n->list1 };

    for (size_t i = 0; i < r->flags.count; i++)
        if (match_keys(&kn, r->flags.data[i], strlen(r->flags.data[i])))
            return 1;
    return 0;
}

static int eval(struct run *r, const struct sieve_node *n)
{
    switch (n->op) {
    case SOP_ADDRESS: return test_address(r, n);
    case SOP_ENVELOPE: return test_envelope(r, n);
    case SOP_HEADER: return test_header(r, n);
    case SOP_EXISTS: return test_exists(r, n);
    case SOP_SIZE:
        return n->tags & STAG_OVER ? r->size > n->num : r->size < n->num;
    case SOP_ALLOF:
        for (size_t i = 0; i < n->ntests; i++)
            if (!eval(r, &n->tests[i]))
                return 0;
        return 1;
    case SOP_ANYOF:
        for (size_t i = 0; i < n->ntests; i++)
            if (eval(r, &n->tests[i]))
                return 1;
        return 0;
    case SOP_NOT: return !eval(r, &n->tests[0]);
    case SOP_TRUE: return 1;
    case SOP_HASFLAG: return test_hasflag(r, n);
    default: return 0;
    }
}

/* ---- flags -------------------------------------------------------------- */

/* Each string of l split at spaces, added to out without repeats (flags
 * compare without case). */
static void flags_add(struct strarray *out, const struct strarray *l)
{
    for (size_t i = 0; i < l->count; i++) {
        struct strarray *w = strarray_split(l->data[i], " ");
        for (size_t k = 0; k < w->count; k++)
            if (strarray_find_case(out, w->data[k]) < 0)
                strarray_append(out, w->data[k]);
        strarray_free(&w);
    }
}

static void flags_remove(struct strarray *out, const struct strarray *l)
{
    struct strarray gone = STRARRAY_INITIALIZER;
    long i;

    flags_add(&gone, l);
    for (size_t k = 0; k < gone.count; k++)
        while ((i = strarray_find_case(out, gone.data[k])) >= 0)
            strarray_remove(out, (size_t)i);
    strarray_fini(&gone);
}

/* ---- actions ------------------------------------------------------------ */

static void add_action(struct run *r, const struct sieve_node *n,
                       enum sieve_action_kind kind, const char *target)
{
    struct sieve_result *res = r->res;
    struct sieve_action *a;

    for (size_t i = 0; i < res->count; i++) {
        a = &res->actions[i];
        if (a->kind == kind && (kind == SIEVE_ACT_KEEP ||
                                (kind == SIEVE_ACT_REDIRECT
                                     ? !strcasecmp(a->target, target)
                                     : !strcmp(a->target, target))))
            return;
    }
    if (res->count >= r->s->limits.max_actions) {
        rerr(r, ERR_TOOBIG, n ? n->line : 0, "more than %u actions",
             r->s->limits.max_actions);
        return;
    }
    if (res->count == res->alloc) {
        res->alloc = res->alloc ? 2 * res->alloc : 4;
        res->actions = xreallocarray(res->actions, res->alloc,
                                     sizeof(*res->actions));
    }
    a = &res->actions[res->count++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->target = target ? xstrdup(target) : NULL;
    a->implicit = !n;
    a->line = n ? n->line : 0;
    if (kind == SIEVE_ACT_KEEP || kind == SIEVE_ACT_FILEINTO) {
        if (n && n->flags)
            flags_add(&a->flags, n->flags);
        else
            flags_add(&a->flags, &r->flags);
    }
    if (n)
        a->create = (n->tags & STAG_CREATE) != 0;
}

static void run_list(struct run *r, const struct sieve_node *cmds, size_t n);

/* vacation: one per run (RFC 5230 4.7); it leaves the keep alone. */
static void run_vacation(struct run *r, const struct sieve_node *n)
{
    struct sieve_vacation *v;
    size_t before = r->res->count;

    for (size_t i = 0; i < r->res->count; i++)
        if (r->res->actions[i].kind == SIEVE_ACT_VACATION) {
            rerr(r, ERR_BADARG, n->line, "a second vacation");
            return;
        }
    add_action(r, n, SIEVE_ACT_VACATION, n->list1->data[0]);
    if (r->res->count == before)
        return;
    v = &r->res->actions[before].vacation;
    v->seconds = n->seconds;
    v->subject = n->subject ? xstrdup(n->subject) : NULL;
    v->from = n->from ? xstrdup(n->from) : NULL;
    v->handle = n->handle ? xstrdup(n->handle) : NULL;
    v->mime = (n->tags & STAG_MIME) != 0;
    if (n->addresses)
        for (size_t i = 0; i < n->addresses->count; i++)
            strarray_append(&v->addresses, n->addresses->data[i]);
}

static void run_command(struct run *r, const struct sieve_node *n)
{
    switch (n->op) {
    case SOP_STOP:
        r->stopped = 1;
        break;
    case SOP_KEEP:
        add_action(r, n, SIEVE_ACT_KEEP, NULL);
        r->implicit_keep = 0;
        break;
    case SOP_DISCARD:
        r->implicit_keep = 0;
        break;
    case SOP_FILEINTO:
        add_action(r, n, SIEVE_ACT_FILEINTO, n->list1->data[0]);
        if (!(n->tags & STAG_COPY))
            r->implicit_keep = 0;
        break;
    case SOP_REDIRECT:
        if (++r->nredirects > r->s->limits.max_redirects) {
            rerr(r, ERR_TOOBIG, n->line, "more than %u redirects",
                 r->s->limits.max_redirects);
            break;
        }
        add_action(r, n, SIEVE_ACT_REDIRECT, n->list1->data[0]);
        if (!(n->tags & STAG_COPY))
            r->implicit_keep = 0;
        break;
    case SOP_REJECT:
    case SOP_EREJECT:
        for (size_t i = 0; i < r->res->count; i++)
            if (r->res->actions[i].kind == SIEVE_ACT_REJECT) {
                rerr(r, ERR_BADARG, n->line, "a second reject");
                return;
            }
        add_action(r, n, SIEVE_ACT_REJECT, n->list1->data[0]);
        r->implicit_keep = 0;
        break;
    case SOP_VACATION:
        run_vacation(r, n);
        break;
    case SOP_SETFLAG:
        strarray_fini(&r->flags);
        flags_add(&r->flags, n->list1);
        break;
    case SOP_ADDFLAG:
        flags_add(&r->flags, n->list1);
        break;
    case SOP_REMOVEFLAG:
        flags_remove(&r->flags, n->list1);
        break;
    default:
        break;                  /* require; if/elsif/else in run_list */
    }
}

static void run_list(struct run *r, const struct sieve_node *cmds, size_t n)
{
    int taken = 0;              /* a branch of this if-chain ran */

    for (size_t i = 0; i < n && !r->stopped && !r->failed; i++) {
        const struct sieve_node *c = &cmds[i];
        switch (c->op) {
        case SOP_IF:
            taken = 0;
            /* fall through */
        case SOP_ELSIF:
            if (!taken && eval(r, &c->tests[0])) {
                taken = 1;
                run_list(r, c->block, c->nblock);
            }
            break;
        case SOP_ELSE:
            if (!taken)
                run_list(r, c->block, c->nblock);
            break;
        default:
            run_command(r, c);
        }
    }
}

void sieve_result_fini(struct sieve_result *res)
{
    for (size_t i = 0; i < res->count; i++) {
        struct sieve_vacation *v = &res->actions[i].vacation;
        free(res->actions[i].target);
        strarray_fini(&res->actions[i].flags);
        free(v->subject);
        free(v->from);
        free(v->handle);
        strarray_fini(&v->addresses);
    }
    free(res->actions);
    memset(res, 0, sizeof(*res));
}

int sieve_execute(const struct sieve_script *s, const char *msg, size_t len,
                  const struct sieve_envelope *env, struct sieve_result *res,
                  struct buf *err)
{
    static const struct sieve_envelope none = { NULL, NULL };
    struct run r;

    memset(&r, 0, sizeof(r));
    memset(res, 0, sizeof(*res));
    buf_reset(err);
    r.s = s;
    r.size = len;
    r.env = env ? env : &none;
    r.res = res;
    r.err = err;
    r.implicit_keep = 1;
    sieve_headers_read(msg, len, &r.hs);
    run_list(&r, s->cmds, s->ncmds);
    if (!r.failed && r.implicit_keep)
        add_action(&r, NULL, SIEVE_ACT_KEEP, NULL);
    for (size_t i = 0; i < res->count && !r.failed; i++)
        if (res->actions[i].kind == SIEVE_ACT_REJECT && res->count > 1) {
            const struct sieve_action *o = &res->actions[i ? 0 : 1];
            if (res->count == 2 && o->kind == SIEVE_ACT_VACATION)
                continue;       /* RFC 5230 4.7 leaves it to us: allowed */
            rerr(&r, ERR_BADARG, o->line > res->actions[i].line
                                     ? o->line : res->actions[i].line,
                 "reject cannot be combined with keep, fileinto or "
                 "redirect");
        }
    sieve_headers_fini(&r.hs);
    strarray_fini(&r.flags);
    if (r.failed)
        sieve_result_fini(res);
    return r.failed;
}
