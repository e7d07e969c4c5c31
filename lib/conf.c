/* conf.c -- parse imapd.conf against the one option table; see conf.h.
 *
 * A load builds a complete new struct conf_state and only then replaces
 * conf_current, so a bad file never leaves a half-loaded configuration.
 * Defaults go through the same value parser as file lines, so a default
 * that its own type would reject is caught (conf_resolve() panics and the
 * unit test loads the defaults).  Invariant once loaded: every option has a
 * value (str non-NULL) and the default partition exists.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/conf_cyrus.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

struct conf_entry {
    const char *name;
    enum conf_type type;
    const char *dflt;       /* NULL: required */
    const char *shown;      /* the default as the man page states it */
    long long min, max;
    const char *words;      /* ENUM, WORDS: accepted words, space-separated */
    const char *doc;
};

static const struct conf_entry conf_table[CONF__COUNT] = {
#define CONF_OPTION(en, name, type, dflt, shown, min, max, words, doc) \
    [en] = { name, type, dflt, shown, min, max, words, doc },
#include "lib/conf_options.def"
#undef CONF_OPTION
};

struct conf_alias {
    const char *name;
    enum conf_option opt;
};

static const struct conf_alias conf_aliases[] = {
#define CONF_OPTION(en, name, type, dflt, shown, min, max, words, doc)
#define CONF_ALIAS(name, id) { name, CONF_##id },
#include "lib/conf_options.def"
#undef CONF_ALIAS
#undef CONF_OPTION
};
#define CONF_NALIASES (sizeof(conf_aliases) / sizeof(conf_aliases[0]))

#define CONF_DIR_PREFIX "<configdirectory>"
#define CONF_PARTITION_PREFIX "partition-"
#define CONF_SASL_PREFIX "sasl_"

struct conf_value {
    char *str;          /* the value as written, or the canonical word */
    long long num;      /* INT, OCTAL, SWITCH; ENUM: index of the word;
                         * WORDS: bit i set when word i is listed */
    unsigned line;      /* line that set it; 0: not set in the file */
};

struct conf_state {
    char *filename;
    struct conf_value values[CONF__COUNT];
    struct strarray part_names, part_dirs;      /* sorted by name */
    struct strarray sasl_names, sasl_values;    /* sasl_ lines not in table */
    struct strarray ignored;        /* Cyrus options we do not use */
};

/* The configuration: the one global of this module (see conf.h). */
static struct conf_state *conf_current;

struct conf_parser {
    struct conf_state *st;
    const char *file;
    unsigned line;
    struct buf *error;
};

static void conf_state_free(struct conf_state **stp)
{
    struct conf_state *st = *stp;

    if (!st)
        return;
    for (size_t i = 0; i < CONF__COUNT; i++)
        free(st->values[i].str);
    strarray_fini(&st->part_names);
    strarray_fini(&st->part_dirs);
    strarray_fini(&st->sasl_names);
    strarray_fini(&st->sasl_values);
    strarray_fini(&st->ignored);
    free(st->filename);
    free(st);
    *stp = NULL;
}

/* Report "<file>:<line>: <reason>" as the load's one error. */
static int conf_fail(struct conf_parser *p, const char *fmt, ...)
    CHAPAR_FORMAT(2, 3);
static int conf_fail(struct conf_parser *p, const char *fmt, ...)
{
    va_list ap;

    buf_reset(p->error);
    buf_printf(p->error, "%s:%u: ", p->file, p->line ? p->line : 1);
    va_start(ap, fmt);
    buf_vprintf(p->error, fmt, ap);
    va_end(ap);
    return ERR_BADARG;
}

/* ---- values ----------------------------------------------------------- */

/* The bounds of an INT or OCTAL option in words; "" when unbounded. */
static void conf_range_text(const struct conf_entry *e, struct buf *out)
{
    const char *fmt = e->type == CONF_TYPE_OCTAL ? "%#llo" : "%lld";
    int has_min = e->type == CONF_TYPE_INT && e->min != CONF_NOLIMIT_MIN;
    int has_max = e->max != CONF_NOLIMIT_MAX;

    if (has_min && has_max) {
        buf_printf(out, "%lld to %lld", e->min, e->max);
    } else if (has_min) {
        buf_printf(out, "at least %lld", e->min);
    } else if (has_max) {
        buf_appendcstr(out, "at most ");
        buf_printf(out, fmt, e->max);
    }
}

static int conf_out_of_range(const struct conf_entry *e, const char *name,
                             const char *value, struct buf *reason)
{
    struct buf range = BUF_INITIALIZER;

    conf_range_text(e, &range);
    buf_printf(reason, "%s: %s is out of range", name, value);
    if (range.len)
        buf_printf(reason, " (%s)", buf_cstring(&range));
    buf_free(&range);
    return ERR_BADARG;
}

static int conf_parse_int(const struct conf_entry *e, const char *name,
                          const char *value, long long *num_r,
                          struct buf *reason)
{
    const char *p = value + (*value == '-');

    /* util_parse_long alone would take " 5" and "+5" and cannot tell a
     * typo from a number out of range; the message should. */
    if (!*p || strspn(p, "0123456789") != strlen(p)) {
        buf_printf(reason, "%s: \"%s\" is not a number", name, value);
        return ERR_BADARG;
    }
    if (util_parse_long(value, e->min, e->max, num_r))
        return conf_out_of_range(e, name, value, reason);
    return ERR_OK;
}

static int conf_parse_octal(const struct conf_entry *e, const char *name,
                            const char *value, long long *num_r,
                            struct buf *reason)
{
    long long num = 0;

    if (!*value || strspn(value, "01234567") != strlen(value)) {
        buf_printf(reason, "%s: \"%s\" is not an octal number", name,
                   value);
        return ERR_BADARG;
    }
    for (const char *p = value; *p; p++) {
        num = num * 8 + (*p - '0');
        if (num > e->max)
            return conf_out_of_range(e, name, value, reason);
    }
    *num_r = num;
    return ERR_OK;
}

static int conf_parse_switch(const char *name, const char *value,
                             long long *num_r, struct buf *reason)
{
    static const char *const yes[] = { "yes", "1", "t", "on", "true" };
    static const char *const no[] = { "no", "0", "f", "off", "false" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!strcasecmp(value, yes[i])) {
            *num_r = 1;
            return ERR_OK;
        }
        if (!strcasecmp(value, no[i])) {
            *num_r = 0;
            return ERR_OK;
        }
    }
    buf_printf(reason, "%s: \"%s\" is not a switch (use yes/no, on/off, "
               "true/false, t/f or 1/0)", name, value);
    return ERR_BADARG;
}

/* ENUM and WORDS words match in any case; the value kept is the table's
 * spelling.  ENUM takes exactly one word; WORDS one or more, separated by
 * blanks, kept once each in the table's order (num: a bit per word). */
static int conf_parse_words(const struct conf_entry *e, const char *name,
                            const char *value, struct conf_value *out,
                            struct buf *reason)
{
    struct strarray *words = strarray_split(e->words, " ");
    struct strarray *given = e->type == CONF_TYPE_ENUM
                                 ? strarray_split(value, "")
                                 : strarray_split(value, " \t");
    struct strarray kept = STRARRAY_INITIALIZER;
    const char *bad = given->count ? NULL : value;
    long long mask = 0;

    for (size_t i = 0; i < given->count && !bad; i++) {
        long idx = strarray_find_case(words, given->data[i]);
        if (idx < 0)
            bad = given->data[i];
        else
            mask |= 1LL << idx;
    }
    if (bad) {
        char *list = strarray_join(words, ", ");
        buf_printf(reason, "%s: \"%s\" is not one of %s", name, bad, list);
        free(list);
    } else {
        for (size_t i = 0; i < words->count; i++)
            if (mask & (1LL << i))
                strarray_append(&kept, words->data[i]);
        out->str = strarray_join(&kept, " ");
        out->num = e->type == CONF_TYPE_ENUM ? __builtin_ctzll(mask) : mask;
    }
    strarray_fini(&kept);
    strarray_free(&given);
    strarray_free(&words);
    return bad ? ERR_BADARG : ERR_OK;
}

/* Parse value for option e, written as name (an alias, perhaps), into *out
 * (which must be empty).  On error, appends the reason (without file and
 * line) to reason. */
static int conf_parse_value(const struct conf_entry *e, const char *name,
                            const char *value, struct conf_value *out,
                            struct buf *reason)
{
    int r = ERR_OK;

    switch (e->type) {
    case CONF_TYPE_STRING:
        break;
    case CONF_TYPE_PATH:
        if (*value && *value != '/') {
            buf_printf(reason, "%s: \"%s\" is not an absolute path", name,
                       value);
            r = ERR_BADARG;
        }
        break;
    case CONF_TYPE_INT:
        r = conf_parse_int(e, name, value, &out->num, reason);
        break;
    case CONF_TYPE_OCTAL:
        r = conf_parse_octal(e, name, value, &out->num, reason);
        break;
    case CONF_TYPE_SWITCH:
        r = conf_parse_switch(name, value, &out->num, reason);
        break;
    case CONF_TYPE_ENUM:
    case CONF_TYPE_WORDS:
        return conf_parse_words(e, name, value, out, reason);
    }
    if (!r)
        out->str = xstrdup(value);
    return r;
}

/* ---- lines ------------------------------------------------------------ */

static void conf_pairs_set(struct strarray *names, struct strarray *values,
                           const char *name, const char *value)
{
    size_t i = 0;

    while (i < names->count && strcmp(names->data[i], name) < 0)
        i++;
    if (i < names->count && !strcmp(names->data[i], name)) {
        free(values->data[i]);
        values->data[i] = xstrdup(value);
        return;
    }
    strarray_insert(names, i, name);
    strarray_insert(values, i, value);
}

static const char *conf_pairs_get(const struct strarray *names,
                                  const struct strarray *values,
                                  const char *name)
{
    long i = strarray_find(names, name);
    return i < 0 ? NULL : strarray_nth(values, (size_t)i);
}

static int conf_lookup(const char *name, enum conf_option *opt_r)
{
    for (size_t i = 0; i < CONF__COUNT; i++) {
        if (!strcmp(conf_table[i].name, name)) {
            *opt_r = (enum conf_option)i;
            return 1;
        }
    }
    for (size_t i = 0; i < CONF_NALIASES; i++) {
        if (!strcmp(conf_aliases[i].name, name)) {
            *opt_r = conf_aliases[i].opt;
            return 1;
        }
    }
    return 0;
}

static int conf_set_option(struct conf_parser *p, enum conf_option opt,
                           const char *key, const char *value)
{
    const struct conf_entry *e = &conf_table[opt];
    struct conf_value *v = &p->st->values[opt];
    struct conf_value nv = { NULL, 0, p->line };
    struct buf reason = BUF_INITIALIZER;
    int r;

    /* An empty path means "the default", so a later empty line undoes an
     * earlier one, as "last one wins" promises. */
    if (e->type == CONF_TYPE_PATH && !*value) {
        XFREE(v->str);
        v->num = 0;
        v->line = 0;
        return ERR_OK;
    }
    r = conf_parse_value(e, key, value, &nv, &reason);
    if (r)
        r = conf_fail(p, "%s", buf_cstring(&reason));
    else {
        free(v->str);
        *v = nv;
    }
    buf_free(&reason);
    return r;
}

/* Edit distance between a and b (insertions, deletions, substitutions and
 * swaps of neighbours), or more than limit: then limit + 1. */
static size_t conf_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b), d[3][64], best = limit + 1;

    if (la >= 63 || lb >= 63 || (la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *row = d[i % 3], *up = d[(i - 1) % 3], *up2 = d[(i + 1) % 3];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t v = up[j - 1] + (a[i - 1] != b[j - 1]);
            if (up[j] + 1 < v)
                v = up[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && up2[j - 2] + 1 < v)
                v = up2[j - 2] + 1;
            row[j] = v;
        }
    }
    best = d[la % 3][lb];
    return best > limit ? limit + 1 : best;
}

/* Cyrus's service-specific form "<service>_<option>" (e.g. lmtp_admins):
 * not supported, so ignored like Cyrus's own options. */
static int conf_service_prefixed(const char *key)
{
    enum conf_option opt;

    for (const char *u = strchr(key, '_'); u; u = strchr(u + 1, '_'))
        if (u[1] && (conf_lookup(u + 1, &opt) || conf_cyrus_option(u + 1)))
            return 1;
    return 0;
}

/* A name that is none of ours: a Cyrus option is noted and ignored
 * (conf_init() warns once); anything else is an error, with the nearest of
 * our names when one is close (a typo). */
static int conf_unknown(struct conf_parser *p, const char *key)
{
    const char *nearest = NULL;
    size_t best, limit = strlen(key) < 6 ? 1 : 2;

    if (conf_cyrus_option(key) || conf_service_prefixed(key)) {
        if (strarray_find(&p->st->ignored, key) < 0)
            strarray_append(&p->st->ignored, key);
        return ERR_OK;
    }
    best = limit + 1;
    for (size_t i = 0; i < CONF__COUNT; i++) {
        size_t d = conf_distance(key, conf_table[i].name, limit);
        if (d < best) {
            best = d;
            nearest = conf_table[i].name;
        }
    }
    if (nearest)
        return conf_fail(p, "unknown option \"%s\" (did you mean \"%s\"?)",
                         key, nearest);
    return conf_fail(p, "unknown option \"%s\"", key);
}

/* The partition-<name> and sasl_<name> families. */
static int conf_set_family(struct conf_parser *p, const char *key,
                           const char *value)
{
    size_t plen = strlen(CONF_PARTITION_PREFIX);
    size_t slen = strlen(CONF_SASL_PREFIX);
    struct conf_state *st = p->st;

    if (!strncmp(key, CONF_PARTITION_PREFIX, plen)) {
        if (!key[plen])
            return conf_fail(p, "%s: a partition name is needed", key);
        if (*value != '/')
            return conf_fail(p, "%s: \"%s\" is not an absolute path", key,
                             value);
        conf_pairs_set(&st->part_names, &st->part_dirs, key + plen, value);
        return ERR_OK;
    }
    if (!strncmp(key, CONF_SASL_PREFIX, slen)) {
        if (!key[slen])
            return conf_fail(p, "%s: a SASL option name is needed", key);
        conf_pairs_set(&st->sasl_names, &st->sasl_values, key + slen, value);
        return ERR_OK;
    }
    return conf_unknown(p, key);
}

static char *conf_trim(char *s)
{
    char *end = s + strlen(s);

    while (isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* One line, NUL-terminated and without its newline. */
static int conf_parse_line(struct conf_parser *p, char *line)
{
    char *key = conf_trim(line), *colon, *value;
    enum conf_option opt;

    if (!*key || *key == '#')
        return ERR_OK;
    colon = strchr(key, ':');
    if (!colon)
        return conf_fail(p, "missing ':' (expected \"option: value\")");
    *colon = '\0';
    value = conf_trim(colon + 1);
    key = conf_trim(key);
    if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
                     != strlen(key))
        return conf_fail(p, "bad option name \"%s\"", key);
    for (char *k = key; *k; k++)
        *k = (char)tolower((unsigned char)*k);
    if (conf_lookup(key, &opt))
        return conf_set_option(p, opt, key, value);
    return conf_set_family(p, key, value);
}

/* ---- the end of the file ---------------------------------------------- */

static void conf_set_hostname(struct conf_value *v)
{
    char host[256];

    if (gethostname(host, sizeof(host)) < 0) {
        log_error_errno("gethostname failed; servername is \"localhost\"");
        snprintf(host, sizeof(host), "localhost");
    }
    host[sizeof(host) - 1] = '\0';
    free(v->str);
    v->str = xstrdup(host);
}

/* Give every option not set in the file its default; check what can only
 * be checked once the whole file is read. */
static int conf_resolve(struct conf_parser *p)
{
    struct conf_state *st = p->st;
    const char *configdir, *part;
    struct buf reason = BUF_INITIALIZER;

    for (size_t i = 0; i < CONF__COUNT; i++)
        if (!st->values[i].str && !conf_table[i].dflt)
            return conf_fail(p, "missing required option \"%s\"",
                             conf_table[i].name);
    configdir = st->values[CONF_CONFIGDIRECTORY].str;
    for (size_t i = 0; i < CONF__COUNT; i++) {
        const struct conf_entry *e = &conf_table[i];
        struct buf dflt = BUF_INITIALIZER;
        size_t dlen = strlen(CONF_DIR_PREFIX);

        if (st->values[i].str)
            continue;
        if (!strncmp(e->dflt, CONF_DIR_PREFIX, dlen)) {
            buf_setcstr(&dflt, configdir);
            buf_appendcstr(&dflt, e->dflt + dlen);
        } else {
            buf_setcstr(&dflt, e->dflt);
        }
        if (conf_parse_value(e, e->name, buf_cstring(&dflt), &st->values[i],
                             &reason))
            log_panic("bad default in lib/conf_options.def: %s",
                      buf_cstring(&reason));
        buf_free(&dflt);
    }
    if (!*st->values[CONF_SERVERNAME].str)
        conf_set_hostname(&st->values[CONF_SERVERNAME]);

    part = st->values[CONF_DEFAULTPARTITION].str;
    if (!conf_pairs_get(&st->part_names, &st->part_dirs, part))
        return conf_fail(p, "the default partition \"%s\" is not defined "
                         "(add a line \"%s%s: <path>\")", part,
                         CONF_PARTITION_PREFIX, part);
    return ERR_OK;
}

static int conf_parse_text(struct conf_parser *p, const char *text,
                           size_t len)
{
    const char *end = text + len;
    struct buf line = BUF_INITIALIZER;
    int r = ERR_OK;

    for (const char *s = text; s < end && !r;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

        p->line++;
        if (memchr(s, '\0', n))
            r = conf_fail(p, "NUL byte in line");
        else {
            buf_setmap(&line, s, n);
            buf_cstring(&line);
            r = conf_parse_line(p, line.s);
        }
        s += n + 1;
    }
    buf_free(&line);
    return r ? r : conf_resolve(p);
}

/* ---- loading ---------------------------------------------------------- */

int conf_load_text(const char *name, const char *text, size_t len,
                   struct buf *error)
{
    struct buf scratch = BUF_INITIALIZER;
    struct conf_parser p = { NULL, name, 0, error ? error : &scratch };
    int r;

    p.st = xzmalloc(sizeof(*p.st));
    p.st->filename = xstrdup(name);
    r = conf_parse_text(&p, text, len);
    if (r) {
        conf_state_free(&p.st);
    } else {
        conf_state_free(&conf_current);
        conf_current = p.st;
    }
    buf_free(&scratch);
    return r;
}

int conf_load(const char *path, struct buf *error)
{
    char *data;
    size_t len;
    int r;

    if (util_read_file(path, &data, &len)) {
        if (error) {
            buf_reset(error);
            buf_printf(error, "%s: cannot read: %s", path, strerror(errno));
        }
        return ERR_IO;
    }
    r = conf_load_text(path, data, len, error);
    free(data);
    return r;
}

/* One warning line naming the Cyrus options the file sets that we ignore;
 * not again in the servers master starts (they inherit CONF_WARNED_ENV). */
static void conf_warn_ignored(void)
{
    const struct strarray *ig = &conf_current->ignored;
    struct buf list = BUF_INITIALIZER;

    if (!ig->count || getenv(CONF_WARNED_ENV))
        return;
    for (size_t i = 0; i < ig->count; i++)
        buf_printf(&list, "%s%s", i ? " " : "", ig->data[i]);
    log_warn("%s: ignoring %zu option%s of Cyrus IMAP that Chapar does not "
             "use: %s", conf_current->filename, ig->count,
             ig->count == 1 ? "" : "s", buf_cstring(&list));
    buf_free(&list);
}

size_t conf_ignored_count(void)
{
    return conf_current ? conf_current->ignored.count : 0;
}

void conf_init(const char *alt_config)
{
    struct buf error = BUF_INITIALIZER;

    if (!conf_load(alt_config ? alt_config : DEFAULT_CONFIG_FILE, &error)) {
        buf_free(&error);
        /* The enum's words are log_set_syslog()'s names. */
        (void)log_set_syslog(conf_getstring(CONF_SYSLOG_FACILITY),
                             conf_getstring(CONF_SYSLOG_PREFIX));
        conf_warn_ignored();
        return;
    }
    /* Exactly one line on stderr, whether or not the program already sent
     * its log there: turn that copy off, log, print, exit. */
    log_set_stderr(0);
    log_error("%s", buf_cstring(&error));
    fprintf(stderr, "%s\n", buf_cstring(&error));
    fflush(stderr);
    exit(EX_CONFIG);
}

void conf_refuse_root(const char *prog, int allow_root)
{
    const char *env = getenv(CONF_ALLOW_ROOT_ENV);
    char *why;

    if (geteuid() != 0 || allow_root || (env && !strcmp(env, "1")))
        return;
    why = xasprintf("must run as the %s user, not root (-U overrides)",
                    conf_getstring(CONF_CYRUS_USER));
    /* One line on stderr, as conf_init() does for a bad file. */
    log_set_stderr(0);
    log_error("%s", why);
    fprintf(stderr, "%s: %s\n", prog, why);
    fflush(stderr);
    free(why);
    exit(EX_USAGE);
}

void conf_reset(void)
{
    conf_state_free(&conf_current);
}

/* ---- getters ---------------------------------------------------------- */

static const struct conf_value *conf_get(enum conf_option opt,
                                         unsigned type_mask,
                                         const char *caller)
{
    if ((unsigned)opt >= CONF__COUNT)
        log_panic("%s: no option number %d", caller, (int)opt);
    if (!conf_current)
        log_panic("%s(%s) called before conf_load", caller,
                  conf_table[opt].name);
    if (!(type_mask & (1u << conf_table[opt].type)))
        log_panic("%s(%s): the option is not of that type", caller,
                  conf_table[opt].name);
    return &conf_current->values[opt];
}

const char *conf_getstring(enum conf_option opt)
{
    return conf_get(opt, 1u << CONF_TYPE_STRING | 1u << CONF_TYPE_PATH |
                             1u << CONF_TYPE_ENUM | 1u << CONF_TYPE_WORDS,
                    "conf_getstring")->str;
}

long long conf_getint(enum conf_option opt)
{
    return conf_get(opt, 1u << CONF_TYPE_INT | 1u << CONF_TYPE_OCTAL,
                    "conf_getint")->num;
}

int conf_getswitch(enum conf_option opt)
{
    return (int)conf_get(opt, 1u << CONF_TYPE_SWITCH, "conf_getswitch")->num;
}

const char *conf_option_name(enum conf_option opt)
{
    if ((unsigned)opt >= CONF__COUNT)
        log_panic("conf_option_name: no option number %d", (int)opt);
    return conf_table[opt].name;
}

const char *conf_filename(void)
{
    return conf_current ? conf_current->filename : NULL;
}

const char *conf_partition_dir(const char *name)
{
    if (!conf_current)
        log_panic("conf_partition_dir called before conf_load");
    return conf_pairs_get(&conf_current->part_names,
                          &conf_current->part_dirs, name);
}

void conf_partition_foreach(void (*fn)(const char *name, const char *dir,
                                       void *rock),
                            void *rock)
{
    if (!conf_current)
        log_panic("conf_partition_foreach called before conf_load");
    for (size_t i = 0; i < conf_current->part_names.count; i++)
        fn(conf_current->part_names.data[i], conf_current->part_dirs.data[i],
           rock);
}

const char *conf_sasl_option(const char *option)
{
    char *key = strconcat(CONF_SASL_PREFIX, option, (char *)NULL);
    const char *value;
    enum conf_option opt;

    if (!conf_current)
        log_panic("conf_sasl_option called before conf_load");
    if (conf_lookup(key, &opt))
        value = conf_current->values[opt].str;
    else
        value = conf_pairs_get(&conf_current->sasl_names,
                               &conf_current->sasl_values, option);
    free(key);
    return value && *value ? value : NULL;
}

/* ---- the man page ----------------------------------------------------- */

/* Text for roff: a backslash is written \e, a line must not start with a
 * control character, and '-' is \- so that option names and paths copied
 * from the page do not come out with Unicode hyphens. */
static void man_escape(struct buf *out, const char *s)
{
    if (out->len && out->s[out->len - 1] == '\n' && (*s == '.' || *s == '\''))
        buf_appendcstr(out, "\\&");
    for (; *s; s++) {
        if (*s == '\\')
            buf_appendcstr(out, "\\e");
        else if (*s == '-')
            buf_appendcstr(out, "\\-");
        else
            buf_putc(out, *s);
    }
}

static void man_bold(struct buf *out, const char *s)
{
    buf_appendcstr(out, "\\fB");
    man_escape(out, s);
    buf_appendcstr(out, "\\fR");
}

static const char *const man_head[] = {
    ".\\\" imapd.conf.5 -- generated by tools/mkconfman from",
    ".\\\" lib/conf_options.def; do not edit, regenerate with",
    ".\\\" tools/mkconfman > man/imapd.conf.5",
    ".TH IMAPD.CONF 5 \"\" \"Chapar\" \"Chapar Manual\"",
    ".SH NAME",
    "imapd.conf \\- configuration file of the Chapar mail servers",
    ".SH SYNOPSIS",
    ".B /etc/chapar/imapd.conf",
    ".SH DESCRIPTION",
    "Every Chapar program reads \\fBimapd.conf\\fR at start-up; the",
    "\\fB\\-C\\fR \\fIfile\\fR option of each program names another one, so",
    "that several instances can run on one host.",
    ".PP",
    "Each line has the form",
    ".RS",
    ".BI option: \" value\"",
    ".RE",
    ".PP",
    "Blank lines and lines whose first non-blank character is \\fB#\\fR are",
    "ignored; a \\fB#\\fR later on a line belongs to the value.  Whitespace",
    "around the option name and around the value is ignored.  Option names",
    "are case-insensitive.  When an option appears more than once, the last",
    "line wins.  An unknown option, a line without a colon, or a bad value",
    "is an error, reported as \\fIfile\\fB:\\fIline\\fB:\\fR \\fIreason\\fR",
    "(with the nearest option name when the unknown one looks like a typo of",
    "it); a program with a bad configuration exits with status 78",
    "(EX_CONFIG).",
    ".PP",
    "A Cyrus IMAP configuration file can be used as it is.  Every option that",
    "Cyrus 2.0 to 3.x documents is accepted: those listed below are used; the",
    "others (for example \\fBproc_path\\fR, \\fBhttpmodules\\fR,",
    "\\fBsieveusehomedir\\fR, \\fBsrvtab\\fR, \\fBnewsspool\\fR, the",
    "\\fBmetapartition\\-\\fR, \\fBarchivepartition\\-\\fR,",
    "\\fBsearchpartition\\-\\fR and \\fBbackuppartition\\-\\fR families,",
    "the \\fBxlist\\-\\fR names not listed below, and Cyrus's service\\-specific form",
    "\\fIservice\\fB_\\fIoption\\fR such as \\fBlmtp_admins\\fR) are",
    "ignored, and one warning line at start\\-up names them all.",
    ".PP",
    "Switches take \\fByes\\fR, \\fBon\\fR, \\fBtrue\\fR, \\fBt\\fR,",
    "\\fB1\\fR or \\fBno\\fR, \\fBoff\\fR, \\fBfalse\\fR, \\fBf\\fR,",
    "\\fB0\\fR, in any case.  Integers are decimal and must lie within the",
    "bounds given below; values outside them are rejected, not adjusted.",
    "Octal numbers take the digits 0 to 7.  Paths must be absolute; an empty",
    "path means the default.",
    ".PP",
    "A minimal file names \\fBconfigdirectory\\fR, \\fBpartition\\-default\\fR",
    "and \\fBadmins\\fR.",
    ".SS Option families",
    ".TP",
    ".BI partition\\- name",
    "Absolute path of the mail partition \\fIname\\fR.  The partition named by",
    "\\fBdefaultpartition\\fR must be defined.  Names are folded to lowercase.",
    ".TP",
    ".BI sasl_ option",
    "Handed to the SASL library as its option \\fIoption\\fR, including",
    "options not listed below (for example \\fBsasl_saslauthd_path\\fR).",
    ".SH OPTIONS",
    NULL
};

static const char *const man_tail[] = {
    ".SH FILES",
    ".TP",
    ".B /etc/chapar/imapd.conf",
    "The default configuration file (a build may choose another with",
    "\\fBconfigure \\-\\-with\\-config\\-file\\fR).",
    ".SH SEE ALSO",
    ".BR imapd (8),",
    ".BR master (8),",
    ".BR deliver (8)",
    NULL
};

static void man_lines(struct buf *out, const char *const *lines)
{
    for (; *lines; lines++) {
        buf_appendcstr(out, *lines);
        buf_putc(out, '\n');
    }
}

static void man_type(struct buf *out, const struct conf_entry *e)
{
    static const char *const names[] = {
        [CONF_TYPE_STRING] = "String",
        [CONF_TYPE_PATH] = "Absolute path",
        [CONF_TYPE_INT] = "Integer",
        [CONF_TYPE_OCTAL] = "Octal number",
        [CONF_TYPE_SWITCH] = "Switch",
        [CONF_TYPE_ENUM] = "One of",
        [CONF_TYPE_WORDS] = "One or more of",
    };
    struct buf range = BUF_INITIALIZER;

    buf_appendcstr(out, names[e->type]);
    if (e->type == CONF_TYPE_ENUM || e->type == CONF_TYPE_WORDS) {
        struct strarray *words = strarray_split(e->words, " ");
        for (size_t i = 0; i < words->count; i++) {
            buf_appendcstr(out, i ? ", " : " ");
            man_bold(out, words->data[i]);
        }
        strarray_free(&words);
    }
    if (e->type == CONF_TYPE_INT || e->type == CONF_TYPE_OCTAL)
        conf_range_text(e, &range);
    if (range.len)
        buf_printf(out, ", %s", buf_cstring(&range));
    buf_free(&range);
}

static void man_default(struct buf *out, const struct conf_entry *e)
{
    if (!e->dflt)
        buf_appendcstr(out, "; required.\n");
    else if (strcmp(e->dflt, e->shown)) {
        buf_appendcstr(out, "; default: ");
        man_escape(out, e->shown);
        buf_appendcstr(out, ".\n");
    } else if (!*e->dflt) {
        buf_appendcstr(out, "; default: empty.\n");
    } else {
        buf_appendcstr(out, "; default: ");
        man_bold(out, e->dflt);
        buf_appendcstr(out, ".\n");
    }
}

static void man_option(struct buf *out, enum conf_option opt)
{
    const struct conf_entry *e = &conf_table[opt];

    buf_appendcstr(out, ".TP\n");
    man_bold(out, e->name);
    buf_putc(out, '\n');
    man_type(out, e);
    man_default(out, e);
    man_escape(out, e->doc);
    buf_putc(out, '\n');
    for (size_t i = 0; i < CONF_NALIASES; i++) {
        if (conf_aliases[i].opt != opt)
            continue;
        buf_appendcstr(out, "Also accepted as ");
        man_bold(out, conf_aliases[i].name);
        buf_appendcstr(out, ".\n");
    }
}

static int man_cmp(const void *a, const void *b)
{
    return strcmp(conf_table[*(const enum conf_option *)a].name,
                  conf_table[*(const enum conf_option *)b].name);
}

void conf_manpage(struct buf *out)
{
    enum conf_option order[CONF__COUNT];

    for (size_t i = 0; i < CONF__COUNT; i++)
        order[i] = (enum conf_option)i;
    qsort(order, CONF__COUNT, sizeof(order[0]), man_cmp);
    man_lines(out, man_head);
    for (size_t i = 0; i < CONF__COUNT; i++)
        man_option(out, order[i]);
    man_lines(out, man_tail);
}
