/* sieve_check.c -- give every node of a parsed script its meaning, or say
 * which line is wrong (sieve_check.h).  One table lists the commands and
 * tests: name, op, the extension it needs, the tags it takes and the kinds
 * of its positional arguments. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "imap/sieve/sieve_check.h"
#include "imap/sieve/sieve_private.h"

/* Tag groups a command accepts. */
#define TG_COMPARATOR 0x01
#define TG_MATCH      0x02
#define TG_ADDRPART   0x04
#define TG_SIZE       0x08
#define TG_COPY       0x10
#define TG_CREATE     0x20
#define TG_FLAGS      0x40
#define TG_DAYS       0x80
#define TG_SUBJECT    0x100
#define TG_FROM       0x200
#define TG_ADDRESSES  0x400
#define TG_MIME       0x800
#define TG_HANDLE     0x1000
#define TG_VACATION   (TG_DAYS | TG_SUBJECT | TG_FROM | TG_ADDRESSES | \
                       TG_MIME | TG_HANDLE)

enum { NO_TESTS, ONE_TEST, TEST_LIST };

struct sieve_def {
    const char *name;
    enum sieve_op op;
    int is_test;
    const char *ext;            /* required extension, or NULL */
    unsigned tags;
    const char *pos;            /* positional args: S list, s one string, N */
    int tests;
    int block;
};

static const struct sieve_def sieve_defs[] = {
    { "require", SOP_REQUIRE, 0, NULL, 0, "S", NO_TESTS, 0 },
    { "if", SOP_IF, 0, NULL, 0, "", ONE_TEST, 1 },
    { "elsif", SOP_ELSIF, 0, NULL, 0, "", ONE_TEST, 1 },
    { "else", SOP_ELSE, 0, NULL, 0, "", NO_TESTS, 1 },
    { "stop", SOP_STOP, 0, NULL, 0, "", NO_TESTS, 0 },
    { "keep", SOP_KEEP, 0, NULL, TG_FLAGS, "", NO_TESTS, 0 },
    { "discard", SOP_DISCARD, 0, NULL, 0, "", NO_TESTS, 0 },
    { "redirect", SOP_REDIRECT, 0, NULL, TG_COPY, "s", NO_TESTS, 0 },
    { "fileinto", SOP_FILEINTO, 0, "fileinto", TG_COPY | TG_CREATE | TG_FLAGS,
      "s", NO_TESTS, 0 },
    { "reject", SOP_REJECT, 0, "reject", 0, "s", NO_TESTS, 0 },
    { "ereject", SOP_EREJECT, 0, "ereject", 0, "s", NO_TESTS, 0 },
    { "setflag", SOP_SETFLAG, 0, "imap4flags", 0, "S", NO_TESTS, 0 },
    { "addflag", SOP_ADDFLAG, 0, "imap4flags", 0, "S", NO_TESTS, 0 },
    { "removeflag", SOP_REMOVEFLAG, 0, "imap4flags", 0, "S", NO_TESTS, 0 },
    { "vacation", SOP_VACATION, 0, "vacation", TG_VACATION, "s", NO_TESTS,
      0 },
    { "address", SOP_ADDRESS, 1, NULL, TG_COMPARATOR | TG_MATCH | TG_ADDRPART,
      "SS", NO_TESTS, 0 },
    { "envelope", SOP_ENVELOPE, 1, "envelope",
      TG_COMPARATOR | TG_MATCH | TG_ADDRPART, "SS", NO_TESTS, 0 },
    { "header", SOP_HEADER, 1, NULL, TG_COMPARATOR | TG_MATCH, "SS",
      NO_TESTS, 0 },
    { "exists", SOP_EXISTS, 1, NULL, 0, "S", NO_TESTS, 0 },
    { "size", SOP_SIZE, 1, NULL, TG_SIZE, "N", NO_TESTS, 0 },
    { "allof", SOP_ALLOF, 1, NULL, 0, "", TEST_LIST, 0 },
    { "anyof", SOP_ANYOF, 1, NULL, 0, "", TEST_LIST, 0 },
    { "not", SOP_NOT, 1, NULL, 0, "", ONE_TEST, 0 },
    { "true", SOP_TRUE, 1, NULL, 0, "", NO_TESTS, 0 },
    { "false", SOP_FALSE, 1, NULL, 0, "", NO_TESTS, 0 },
    { "hasflag", SOP_HASFLAG, 1, "imap4flags", TG_COMPARATOR | TG_MATCH, "S",
      NO_TESTS, 0 },
};

static const char *const sieve_extensions[] = {
    "fileinto", "envelope", "reject", "ereject", "imap4flags", "copy",
    "mailbox", "comparator-i;octet", "comparator-i;ascii-casemap",
    "vacation", "vacation-seconds"
};

struct checker {
    struct strarray required;
    int *failed;
    struct buf *err;
};

static int cerr(struct checker *c, int line, const char *fmt, ...)
    CHAPAR_FORMAT(3, 4);
static int cerr(struct checker *c, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sieve_verror(c->failed, c->err, ERR_BADFORMAT, line, fmt, ap);
    va_end(ap);
    return 0;
}

static int check_require(struct checker *c, const struct sieve_node *n)
{
    const struct strarray *l = &n->args[0].strs;

    for (size_t i = 0; i < l->count; i++) {
        size_t k;
        for (k = 0; k < sizeof(sieve_extensions) / sizeof(*sieve_extensions);
             k++)
            if (!strcmp(l->data[i], sieve_extensions[k]))
                break;
        if (k == sizeof(sieve_extensions) / sizeof(*sieve_extensions))
            return cerr(c, n->line, "unsupported extension \"%s\"",
                        l->data[i]);
        strarray_add(&c->required, l->data[i]);
    }
    return 1;
}

static int has_ext(struct checker *c, const char *ext)
{
    return strarray_find(&c->required, ext) >= 0;
}

/* The tags: the group each belongs to, the value it sets, the extension
 * it needs beyond its command's, and the argument it takes (0 none, 's'
 * one string, 'S' a string list, 'N' a number). */
static const struct sieve_tag {
    const char *name;
    unsigned group;
    int value;
    const char *ext;
    char arg;
} sieve_tags[] = {
    { "is", TG_MATCH, SMATCH_IS, NULL, 0 },
    { "contains", TG_MATCH, SMATCH_CONTAINS, NULL, 0 },
    { "matches", TG_MATCH, SMATCH_MATCHES, NULL, 0 },
    { "all", TG_ADDRPART, SADDR_ALL, NULL, 0 },
    { "localpart", TG_ADDRPART, SADDR_LOCALPART, NULL, 0 },
    { "domain", TG_ADDRPART, SADDR_DOMAIN, NULL, 0 },
    { "over", TG_SIZE, STAG_OVER, NULL, 0 },
    { "under", TG_SIZE, STAG_UNDER, NULL, 0 },
    { "copy", TG_COPY, STAG_COPY, "copy", 0 },
    { "create", TG_CREATE, STAG_CREATE, "mailbox", 0 },
    { "comparator", TG_COMPARATOR, 0, NULL, 's' },
    { "flags", TG_FLAGS, 0, "imap4flags", 'S' },
    { "days", TG_DAYS, 86400, NULL, 'N' },
    { "seconds", TG_DAYS, 1, "vacation-seconds", 'N' },
    { "subject", TG_SUBJECT, 0, NULL, 's' },
    { "from", TG_FROM, 0, NULL, 's' },
    { "addresses", TG_ADDRESSES, 0, NULL, 'S' },
    { "mime", TG_MIME, STAG_MIME, NULL, 0 },
    { "handle", TG_HANDLE, 0, NULL, 's' },
};

/* The argument of tag tg (args[*i + 1]), checked; NULL after an error. */
static const struct sieve_arg *tag_arg(struct checker *c, struct sieve_node *n,
                                       size_t *i, const struct sieve_tag *tg)
{
    const struct sieve_arg *a = &n->args[*i];
    const struct sieve_arg *v = ++*i < n->nargs ? &n->args[*i] : NULL;
    int ok = v && (tg->arg == 'N' ? v->kind == SARG_NUMBER
                                  : v->kind == SARG_STRINGS &&
                                    (tg->arg == 'S' || (!v->is_list &&
                                                        v->strs.count == 1)));

    if (!ok)
        cerr(c, a->line, ":%s needs %s", tg->name, tg->arg == 'N'
             ? "a number" : tg->arg == 'S' ? "a string list" : "one string");
    return ok ? v : NULL;
}

/* One tag (args[*i]) of n: 0 after an error. */
static int check_tag(struct checker *c, struct sieve_node *n,
                     const struct sieve_def *d, size_t *i, unsigned *seen)
{
    const struct sieve_arg *a = &n->args[*i], *v = NULL;
    const char *t = a->strs.data[0];
    const struct sieve_tag *tg = NULL;

    for (size_t k = 0; k < sizeof(sieve_tags) / sizeof(*sieve_tags); k++)
        if (!strcmp(t, sieve_tags[k].name))
            tg = &sieve_tags[k];
    if (!tg || !(d->tags & tg->group))
        return cerr(c, a->line, "\"%s\" does not take :%s", d->name, t);
    if (tg->ext && !has_ext(c, tg->ext))
        return cerr(c, a->line, ":%s needs require \"%s\"", t, tg->ext);
    if (*seen & tg->group)
        return cerr(c, a->line, "\"%s\" given :%s with another tag of its "
                    "kind", d->name, t);
    *seen |= tg->group;
    if (tg->arg && !(v = tag_arg(c, n, i, tg)))
        return 0;
    switch (tg->group) {
    case TG_MATCH: n->match = (enum sieve_match)tg->value; break;
    case TG_ADDRPART: n->addrpart = (enum sieve_addrpart)tg->value; break;
    case TG_FLAGS: n->flags = &v->strs; break;
    case TG_ADDRESSES: n->addresses = &v->strs; break;
    case TG_SUBJECT: n->subject = v->strs.data[0]; break;
    case TG_FROM: n->from = v->strs.data[0]; break;
    case TG_HANDLE: n->handle = v->strs.data[0]; break;
    case TG_DAYS:
        if (v->num > (uint64_t)INT64_MAX / 86400)
            return cerr(c, a->line, ":%s too large", t);
        n->seconds = (int64_t)v->num * tg->value;
        break;
    case TG_COMPARATOR:
        t = v->strs.data[0];
        if (!strcmp(t, "i;octet"))
            n->comparator = SCMP_OCTET;
        else if (!strcmp(t, "i;ascii-casemap"))
            n->comparator = SCMP_CASEMAP;
        else
            return cerr(c, a->line, "unsupported comparator \"%s\"", t);
        break;
    default:
        n->tags |= (unsigned)tg->value;
    }
    return 1;
}

/* A valid redirect address: local@domain, printable, no spaces. */
static int address_ok(const char *s)
{
    const char *at = strrchr(s, '@');

    if (!at || at == s || !at[1])
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("<>(),;", *s))
            return 0;
    return 1;
}

static int check_node(struct checker *c, struct sieve_node *n, int is_test);

static int check_args(struct checker *c, struct sieve_node *n,
                      const struct sieve_def *d)
{
    unsigned seen = 0;
    size_t i = 0, npos = 0;
    const char *pos = d->pos;

    n->comparator = SCMP_CASEMAP;
    n->match = SMATCH_IS;
    n->addrpart = SADDR_ALL;
    n->seconds = -1;
    for (; i < n->nargs && n->args[i].kind == SARG_TAG; i++)
        if (!check_tag(c, n, d, &i, &seen))
            return 0;
    for (; i < n->nargs; i++, npos++) {
        const struct sieve_arg *a = &n->args[i];
        char want = npos < strlen(pos) ? pos[npos] : 0;
        if (!want)
            return cerr(c, a->line, "too many arguments to \"%s\"", d->name);
        if (a->kind == SARG_TAG)
            return cerr(c, a->line, "tag :%s after the positional "
                        "arguments of \"%s\"", a->strs.data[0], d->name);
        if (want == 'N' ? a->kind != SARG_NUMBER
                        : a->kind != SARG_STRINGS ||
                          (want == 's' && (a->is_list ||
                                           a->strs.count != 1)))
            return cerr(c, a->line, "argument %zu of \"%s\" must be %s",
                        npos + 1, d->name, want == 'N' ? "a number" :
                        want == 's' ? "one string" : "a string list");
        if (npos == 0)
            n->list1 = &a->strs;
        else
            n->list2 = &a->strs;
        n->num = a->num;
    }
    if (npos < strlen(pos))
        return cerr(c, n->line, "\"%s\" needs %zu argument%s", d->name,
                    strlen(pos), strlen(pos) > 1 ? "s" : "");
    if (d->op == SOP_SIZE && !(n->tags & (STAG_OVER | STAG_UNDER)))
        return cerr(c, n->line, "\"size\" needs :over or :under");
    if (d->op == SOP_REDIRECT && !address_ok(n->list1->data[0]))
        return cerr(c, n->line, "invalid redirect address \"%s\"",
                    n->list1->data[0]);
    if (d->op == SOP_FILEINTO && !*n->list1->data[0])
        return cerr(c, n->line, "empty mailbox name");
    if (d->op == SOP_ENVELOPE)
        for (size_t k = 0; k < n->list1->count; k++)
            if (strcasecmp(n->list1->data[k], "from") &&
                strcasecmp(n->list1->data[k], "to"))
                return cerr(c, n->line, "unsupported envelope part \"%s\"",
                            n->list1->data[k]);
    return 1;
}

static int check_children(struct checker *c, struct sieve_node *n,
                          const struct sieve_def *d)
{
    if (d->tests == NO_TESTS && n->has_tests)
        return cerr(c, n->line, "\"%s\" takes no test", d->name);
    if (d->tests == ONE_TEST && n->has_tests != 1)
        return cerr(c, n->line, "\"%s\" needs one test", d->name);
    if (d->tests == TEST_LIST && n->has_tests != 2)
        return cerr(c, n->line, "\"%s\" needs a test list in ( )", d->name);
    if (d->tests == TEST_LIST && !n->ntests)
        return cerr(c, n->line, "\"%s\" needs at least one test", d->name);
    if (d->block && !n->has_block)
        return cerr(c, n->line, "\"%s\" needs a block { }", d->name);
    if (!d->block && n->has_block)
        return cerr(c, n->line, "\"%s\" takes no block", d->name);
    for (size_t i = 0; i < n->ntests; i++)
        if (!check_node(c, &n->tests[i], 1))
            return 0;
    return 1;
}

static int check_list(struct checker *c, struct sieve_node *cmds, size_t n,
                      int top);

static int check_node(struct checker *c, struct sieve_node *n, int is_test)
{
    const struct sieve_def *d = NULL;

    for (size_t i = 0; i < sizeof(sieve_defs) / sizeof(*sieve_defs); i++)
        if (!strcmp(n->name, sieve_defs[i].name)) {
            d = &sieve_defs[i];
            break;
        }
    if (!d)
        return cerr(c, n->line, "unknown %s \"%s\"",
                    is_test ? "test" : "command", n->name);
    if (d->is_test != is_test)
        return cerr(c, n->line, "\"%s\" is a %s, not a %s", n->name,
                    d->is_test ? "test" : "command",
                    is_test ? "test" : "command");
    if (d->ext && !has_ext(c, d->ext))
        return cerr(c, n->line, "\"%s\" needs require \"%s\"", n->name,
                    d->ext);
    n->op = d->op;
    if (!check_args(c, n, d) || !check_children(c, n, d))
        return 0;
    if (n->op == SOP_REQUIRE)
        return check_require(c, n);
    return check_list(c, n->block, n->nblock, 0);
}

static int check_list(struct checker *c, struct sieve_node *cmds, size_t n,
                      int top)
{
    int others = 0;             /* a command other than require seen */

    for (size_t i = 0; i < n; i++) {
        struct sieve_node *x = &cmds[i];
        if (!check_node(c, x, 0))
            return 0;
        if (x->op == SOP_REQUIRE && (!top || others))
            return cerr(c, x->line, "require must come before other "
                        "commands");
        if (x->op != SOP_REQUIRE)
            others = 1;
        if ((x->op == SOP_ELSIF || x->op == SOP_ELSE) &&
            (!i || (cmds[i - 1].op != SOP_IF && cmds[i - 1].op != SOP_ELSIF)))
            return cerr(c, x->line, "\"%s\" without an if before it",
                        x->name);
    }
    return 1;
}

void sieve_check(struct sieve_script *s, int *failed, struct buf *err)
{
    struct checker c;

    memset(&c, 0, sizeof(c));
    c.failed = failed;
    c.err = err;
    check_list(&c, s->cmds, s->ncmds, 1);
    strarray_fini(&c.required);
}
