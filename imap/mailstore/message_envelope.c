/* message_envelope.c -- the ENVELOPE of RFC 3501 7.4.2: IMAP strings,
 * RFC 5322 address lists (with groups and the obsolete forms) and dates.
 *
 * Address lists are read in two steps: a lexer turns the unfolded value
 * into tokens (words, quoted strings, domain literals, dots, specials,
 * comments); a parser walks the tokens once, emitting one address per
 * comma-separated item and resynchronising at the next ',' or ';' after
 * anything it does not understand, so every input ends in a valid
 * ENVELOPE and the work is linear in the value's length.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/message_private.h"

/* Cyrus sends strings this long as literals: some clients cap quoted
 * strings. */
#define QUOTED_MAX 1024

void message_write_nstring(struct buf *out, const char *s)
{
    size_t len, i;
    int literal;

    if (!s) {
        buf_appendcstr(out, "NIL");
        return;
    }
    len = strlen(s);
    literal = len >= QUOTED_MAX;
    for (i = 0; i < len && !literal; i++) {
        unsigned char c = (unsigned char)s[i];
        literal = c == '\r' || c == '\n' || c == '"' || c == '\\' || c >= 0x80;
    }
    if (literal) {
        buf_printf(out, "{%zu}\r\n", len);
        buf_appendmap(out, s, len);
    } else {
        buf_putc(out, '"');
        buf_appendmap(out, s, len);
        buf_putc(out, '"');
    }
}

/* ---- address lexer ------------------------------------------------------ */

enum tok_type { T_WORD, T_QUOTED, T_DLITERAL, T_DOT, T_SPECIAL, T_COMMENT };

struct tok {
    enum tok_type type;
    char ch;                    /* T_SPECIAL: one of <>@,;: */
    const char *s;              /* T_QUOTED, T_COMMENT: inside, escaped */
    size_t len;
    int space;                  /* white space or a comment before it */
};

struct toks {
    struct tok *v;
    size_t n, alloc;
};

static void tok_add(struct toks *t, enum tok_type type, const char *s,
                    size_t len, int space)
{
    if (t->n == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 16;
        t->v = xreallocarray(t->v, t->alloc, sizeof(*t->v));
    }
    t->v[t->n].type = type;
    t->v[t->n].ch = *s;
    t->v[t->n].s = s;
    t->v[t->n].len = len;
    t->v[t->n].space = space;
    t->n++;
}

/* p is at an opening delimiter; returns the end of the delimited run
 * (the closing delimiter, or the NUL of an unclosed one).  Comments nest. */
static const char *scan_delimited(const char *p, char open, char close)
{
    int depth = 1;
    for (p++; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == open && open != close)
            depth++;
        else if (*p == close && --depth == 0)
            break;
    }
    return p;
}

static void tokenize(const char *p, struct toks *t)
{
    int space = 0;

    while (*p) {
        const char *end;
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            space = 1;
            p++;
            continue;
        }
        if (*p == '(' || *p == '"') {
            end = scan_delimited(p, *p, *p == '(' ? ')' : '"');
            tok_add(t, *p == '(' ? T_COMMENT : T_QUOTED, p + 1,
                    (size_t)(end - p - 1), space);
            p = *end ? end + 1 : end;
            space = t->v[t->n - 1].type == T_COMMENT;
            continue;
        }
        if (*p == '[') {
            end = scan_delimited(p, '[', ']');
            end = *end ? end + 1 : end;
            tok_add(t, T_DLITERAL, p, (size_t)(end - p), space);
        } else if (*p == '.') {
            end = p + 1;
            tok_add(t, T_DOT, p, 1, space);
        } else if (strchr("<>@,;:", *p)) {
            end = p + 1;
            tok_add(t, T_SPECIAL, p, 1, space);
        } else {
            /* A word: anything up to white space or a delimiter; a stray
             * ')' ']' or '\' is just part of it. */
            end = p + 1;
            while (*end && !strchr(" \t\r\n()<>@,;:\".[", *end))
                end++;
            tok_add(t, T_WORD, p, (size_t)(end - p), space);
        }
        space = 0;
        p = end;
    }
}

static int is_special(const struct toks *t, size_t i, char ch)
{
    return i < t->n && t->v[i].type == T_SPECIAL && t->v[i].ch == ch;
}

/* Append a token's text, undoing quoted-pair escapes. */
static void append_unescaped(struct buf *out, const struct tok *k)
{
    for (size_t i = 0; i < k->len; i++) {
        if (k->s[i] == '\\' && i + 1 < k->len)
            i++;
        buf_putc(out, k->s[i]);
    }
}

static char *release_or_null(struct buf *b)
{
    if (!b->len) {
        buf_free(b);
        return NULL;
    }
    return buf_release(b);
}

/* A display name: the words of [from, to) joined by single spaces where
 * the message had white space; comments dropped.  NULL if empty. */
static char *join_phrase(const struct toks *t, size_t from, size_t to)
{
    struct buf b = BUF_INITIALIZER;
    for (size_t i = from; i < to; i++) {
        const struct tok *k = &t->v[i];
        if (k->type == T_COMMENT || k->type == T_SPECIAL)
            continue;
        if (k->space && b.len)
            buf_putc(&b, ' ');
        append_unescaped(&b, k);
    }
    return release_or_null(&b);
}

/* A local part or domain: like a phrase, but no space around dots, so
 * "a . b" is "a.b" while "john doe" (obsolete) keeps its space. */
static char *join_addr(const struct toks *t, size_t from, size_t to)
{
    struct buf b = BUF_INITIALIZER;
    const struct tok *prev = NULL;
    for (size_t i = from; i < to; i++) {
        const struct tok *k = &t->v[i];
        if (k->type == T_COMMENT || k->type == T_SPECIAL)
            continue;
        if (prev && k->space && k->type != T_DOT && prev->type != T_DOT)
            buf_putc(&b, ' ');
        append_unescaped(&b, k);
        prev = k;
    }
    return release_or_null(&b);
}

/* An obsolete route "@a,@b": the tokens verbatim, spaces dropped. */
static char *join_route(const struct toks *t, size_t from, size_t to)
{
    struct buf b = BUF_INITIALIZER;
    for (size_t i = from; i < to; i++) {
        if (t->v[i].type != T_COMMENT)
            buf_appendmap(&b, t->v[i].s, t->v[i].len);
    }
    return release_or_null(&b);
}

/* The last comment of [from, to), trimmed: "a@b (Fred)" names Fred. */
static char *last_comment(const struct toks *t, size_t from, size_t to)
{
    struct buf b = BUF_INITIALIZER;
    size_t start = 0;
    for (size_t i = to; i > from; i--) {
        if (t->v[i - 1].type == T_COMMENT) {
            append_unescaped(&b, &t->v[i - 1]);
            break;
        }
    }
    while (b.len && (b.s[b.len - 1] == ' ' || b.s[b.len - 1] == '\t'))
        b.len--;
    while (start < b.len && (b.s[start] == ' ' || b.s[start] == '\t'))
        start++;
    buf_remove(&b, 0, start);
    return release_or_null(&b);
}

/* Where the parser's addresses go: ENVELOPE's writer or a caller of
 * message_address_each. */
struct addr_sink {
    message_address_fn *fn;
    void *rock;
};

static void emit(const struct addr_sink *out, const char *name,
                 const char *adl, const char *mailbox, const char *host)
{
    struct message_address a = { name, adl, mailbox, host };

    out->fn(&a, out->rock);
}

/* The ENVELOPE form of an address: (name adl mailbox host). */
static void write_address(const struct message_address *a, void *rock)
{
    struct buf *out = rock;

    buf_putc(out, '(');
    message_write_nstring(out, a->name);
    buf_putc(out, ' ');
    message_write_nstring(out, a->adl);
    buf_putc(out, ' ');
    message_write_nstring(out, a->mailbox);
    buf_putc(out, ' ');
    message_write_nstring(out, a->host);
    buf_putc(out, ')');
}

/* Skip the rest of an address up to ',' or ';' (kept for the caller). */
static size_t skip_rest(const struct toks *t, size_t i)
{
    while (i < t->n && !is_special(t, i, ',') && !is_special(t, i, ';'))
        i++;
    return i;
}

static size_t skip_words(const struct toks *t, size_t i)
{
    while (i < t->n && t->v[i].type != T_SPECIAL)
        i++;
    return i;
}

/* The address mailbox@domain with its names; NIL-free placeholders for a
 * missing part.  "<>" with no name is nothing at all. */
static int emit_mailbox(const struct addr_sink *out, char *name, char *adl,
                        char *mailbox, char *domain)
{
    int n = 0;
    if (name || adl || mailbox || domain) {
        emit(out, name, adl, mailbox ? mailbox : "MISSING_MAILBOX",
             domain ? domain : "MISSING_DOMAIN");
        n = 1;
    }
    free(name);
    free(adl);
    free(mailbox);
    free(domain);
    return n;
}

/* [phrase] "<" [route ":"] local "@" domain ">": start is the phrase,
 * lt the '<'.  Returns the index after the address. */
static size_t parse_angle(const struct addr_sink *out, const struct toks *t,
                          size_t start, size_t lt, int *count)
{
    size_t i = lt + 1, l0, l1, d0 = 0, d1 = 0, end;
    char *name = join_phrase(t, start, lt), *adl = NULL;

    if (is_special(t, i, '@')) {
        /* A route may hold commas; it ends at ':'.  Stopping at the next
         * '<' ';' '>' too keeps every token scanned a bounded number of
         * times, however the list is broken. */
        size_t r0 = i;
        while (i < t->n && !is_special(t, i, ':') && !is_special(t, i, '>') &&
               !is_special(t, i, '<') && !is_special(t, i, ';'))
            i++;
        if (is_special(t, i, ':'))
            adl = join_route(t, r0, i++);
        else
            i = r0;             /* no route after all: "<@x>" */
    }
    l0 = i;
    l1 = i = skip_words(t, i);
    if (is_special(t, i, '@')) {
        d0 = ++i;
        d1 = i = skip_words(t, i);
    }
    end = skip_rest(t, i);
    if (!name)
        name = last_comment(t, start, end);
    *count += emit_mailbox(out, name, adl, join_addr(t, l0, l1),
                           d1 > d0 ? join_addr(t, d0, d1) : NULL);
    return end;
}

/* local "@" domain, with no angle brackets: start is the local part, at
 * the '@'.  A comment anywhere in it gives the display name. */
static size_t parse_addr_spec(const struct addr_sink *out,
                              const struct toks *t,
                              size_t start, size_t at, int *count)
{
    size_t d1 = skip_words(t, at + 1), end = skip_rest(t, d1);
    *count += emit_mailbox(out, last_comment(t, start, end), NULL,
                           join_addr(t, start, at),
                           join_addr(t, at + 1, d1));
    return end;
}

/* Give the addresses of an address-list value to out; returns how many
 * there were. */
static int address_list(const struct addr_sink *out, const char *value)
{
    struct toks t = { NULL, 0, 0 };
    size_t i = 0;
    int in_group = 0, count = 0;

    tokenize(value, &t);
    while (i < t.n) {
        size_t start = i;
        if (is_special(&t, i, ',') || is_special(&t, i, ';')) {
            if (t.v[i].ch == ';' && in_group) {
                emit(out, NULL, NULL, NULL, NULL);
                count++;
                in_group = 0;
            }
            i++;
            continue;
        }
        i = skip_words(&t, i);
        if (is_special(&t, i, ':') && !in_group) {
            /* group start; an empty name must not read as a group end */
            char *name = join_phrase(&t, start, i);
            emit(out, NULL, NULL, name ? name : "", NULL);
            free(name);
            count++;
            in_group = 1;
            i++;
        } else if (is_special(&t, i, '<')) {
            i = parse_angle(out, &t, start, i, &count);
        } else if (is_special(&t, i, '@')) {
            i = parse_addr_spec(out, &t, start, i, &count);
        } else {
            /* Words with no '@' ("undisclosed recipients"), or a stray
             * special such as '>', which is skipped. */
            char *mailbox = join_addr(&t, start, i);
            if (mailbox)
                count += emit_mailbox(out, last_comment(&t, start, i), NULL,
                                      mailbox, NULL);
            if (i < t.n && !is_special(&t, i, ',') && !is_special(&t, i, ';'))
                i++;
        }
    }
    if (in_group) {
        emit(out, NULL, NULL, NULL, NULL);
        count++;
    }
    free(t.v);
    return count;
}

void message_address_each(const char *value, message_address_fn *fn,
                          void *rock)
{
    struct addr_sink sink = { fn, rock };

    if (value)
        address_list(&sink, value);
}

/* An env-from style field: "(" 1*address ")" or NIL if there is none. */
static void write_address_field(struct buf *out, const char *value)
{
    struct buf list = BUF_INITIALIZER;
    struct addr_sink sink = { write_address, &list };
    if (value && address_list(&sink, value)) {
        buf_putc(out, '(');
        buf_appendbuf(out, &list);
        buf_putc(out, ')');
    } else {
        buf_appendcstr(out, "NIL");
    }
    buf_free(&list);
}

void message_envelope_write(struct buf *out,
                            char *const v[MESSAGE_FLD__COUNT])
{
    static const int addr_fields[] = {
        MESSAGE_HDR_FROM, MESSAGE_HDR_SENDER, MESSAGE_HDR_REPLY_TO,
        MESSAGE_HDR_TO, MESSAGE_HDR_CC, MESSAGE_HDR_BCC,
    };
    struct buf from = BUF_INITIALIZER, field = BUF_INITIALIZER;

    buf_putc(out, '(');
    message_write_nstring(out, v[MESSAGE_HDR_DATE]);
    buf_putc(out, ' ');
    message_write_nstring(out, v[MESSAGE_HDR_SUBJECT]);
    write_address_field(&from, v[MESSAGE_HDR_FROM]);
    for (size_t i = 0; i < sizeof(addr_fields) / sizeof(addr_fields[0]); i++) {
        int f = addr_fields[i];
        buf_reset(&field);
        if (f == MESSAGE_HDR_FROM)
            buf_appendbuf(&field, &from);
        else
            write_address_field(&field, v[f]);
        /* RFC 3501: a missing or empty Sender or Reply-To is From. */
        if ((f == MESSAGE_HDR_SENDER || f == MESSAGE_HDR_REPLY_TO) &&
            field.len == 3 && !memcmp(field.s, "NIL", 3))
            buf_setmap(&field, from.s, from.len);
        buf_putc(out, ' ');
        buf_appendbuf(out, &field);
    }
    buf_putc(out, ' ');
    message_write_nstring(out, v[MESSAGE_HDR_IN_REPLY_TO]);
    buf_putc(out, ' ');
    message_write_nstring(out, v[MESSAGE_HDR_MESSAGE_ID]);
    buf_putc(out, ')');
    buf_free(&from);
    buf_free(&field);
}

/* ---- dates ------------------------------------------------------------- */

enum dtok_type { D_ALPHA, D_NUM, D_TIME, D_ZONE };

struct dtok {
    enum dtok_type type;
    const char *s;
    size_t len;
};

#define DATE_MAX_TOKENS 8

/* Split a date into words, numbers, hh:mm[:ss] and +hhmm zones; commas,
 * white space, comments and stray punctuation separate.  A '-' right
 * after a word or number separates too ("7-Feb-1994"); elsewhere it
 * signs a zone. */
static size_t date_tokens(const char *p, const char *end, struct dtok *t)
{
    size_t n = 0;
    int joins = 0;      /* a '-' here would join a word or number */

    while (p < end && n < DATE_MAX_TOKENS) {
        const char *s = p;
        enum dtok_type type;
        if (*p == '(') {
            int depth = 0;
            for (; p < end; p++) {
                if (*p == '\\' && p + 1 < end)
                    p++;
                else if (*p == '(')
                    depth++;
                else if (*p == ')' && --depth == 0)
                    break;
            }
            p += p < end;
            joins = 0;
            continue;
        }
        if ((*p == '+' || (*p == '-' && !joins)) && p + 1 < end &&
            p[1] >= '0' && p[1] <= '9') {
            for (p++; p < end && *p >= '0' && *p <= '9'; p++)
                ;
            type = D_ZONE;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
            while (p < end && ((*p >= 'a' && *p <= 'z') ||
                               (*p >= 'A' && *p <= 'Z')))
                p++;
            type = D_ALPHA;
        } else if (*p >= '0' && *p <= '9') {
            type = D_NUM;
            while (p < end && ((*p >= '0' && *p <= '9') || *p == ':')) {
                if (*p == ':')
                    type = D_TIME;
                p++;
            }
        } else {
            p++;
            joins = 0;
            continue;
        }
        t[n].type = type;
        t[n].s = s;
        t[n].len = (size_t)(p - s);
        n++;
        joins = type == D_ALPHA || type == D_NUM;
    }
    return n;
}

/* A number of at most 9 digits, or -1. */
static long date_num(const struct dtok *t)
{
    long v = 0;
    if (t->type != D_NUM || t->len > 9)
        return -1;
    for (size_t i = 0; i < t->len; i++)
        v = v * 10 + (t->s[i] - '0');
    return v;
}

static int date_word(const struct dtok *t, const char *const *names, int n)
{
    if (t->type != D_ALPHA || t->len < 3)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!strncasecmp(t->s, names[i], 3))
            return i;
    }
    return -1;
}

static int date_month(const struct dtok *t)
{
    static const char *const months[] = {
        "jan", "feb", "mar", "apr", "may", "jun",
        "jul", "aug", "sep", "oct", "nov", "dec",
    };
    return date_word(t, months, 12);
}

/* hh:mm[:ss] into seconds of the day, or -1. */
static long date_time(const struct dtok *t)
{
    long f[3] = { 0, 0, 0 };
    size_t i, k = 0, digits = 0;

    if (t->type != D_TIME)
        return -1;
    for (i = 0; i < t->len; i++) {
        if (t->s[i] == ':') {
            if (!digits || ++k > 2)
                return -1;
            digits = 0;
        } else {
            if (++digits > 2)
                return -1;
            f[k] = f[k] * 10 + (t->s[i] - '0');
        }
    }
    if (!digits || k < 1 || f[0] > 23 || f[1] > 59 || f[2] > 60)
        return -1;
    return f[0] * 3600 + f[1] * 60 + f[2];
}

/* The zone's offset east of UTC in seconds; unknown names are +0000
 * (RFC 5322 4.3), as is a malformed number. */
static long date_zone(const struct dtok *t)
{
    static const struct { const char *name; int hours; } zones[] = {
        { "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
        { "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
    };
    if (t->type == D_ZONE) {
        long hh, mm;
        if (t->len != 5)
            return 0;
        hh = (t->s[1] - '0') * 10 + (t->s[2] - '0');
        mm = (t->s[3] - '0') * 10 + (t->s[4] - '0');
        if (mm > 59)
            return 0;
        return (t->s[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    }
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        if (t->len == 3 && !strncasecmp(t->s, zones[i].name, 3))
            return zones[i].hours * 3600L;
    }
    return 0;
}

static int days_in_month(long y, long m)
{
    static const int mdays[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
    };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

int message_parse_date(const char *s, size_t len, time_t *t_r)
{
    static const char *const wdays[] = {
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    };
    struct dtok t[DATE_MAX_TOKENS];
    const struct dtok *ytok;
    size_t n = date_tokens(s, s + len, t), i = 0;
    long day, month, year, secs, zone = 0;
    long long when;

    if (n && date_word(&t[0], wdays, 7) >= 0)
        i++;
    if (i + 3 >= n)
        return ERR_BADFORMAT;
    if (t[i].type == D_NUM) {
        /* RFC 5322: day month year time [zone] */
        day = date_num(&t[i]);
        month = date_month(&t[i + 1]);
        ytok = &t[i + 2];
        secs = date_time(&t[i + 3]);
        if (i + 4 < n)
            zone = date_zone(&t[i + 4]);
    } else {
        /* asctime and date(1): month day time [zone] year [zone] */
        month = date_month(&t[i]);
        day = date_num(&t[i + 1]);
        secs = date_time(&t[i + 2]);
        ytok = &t[i + 3];
        if (t[i + 3].type == D_ALPHA && i + 4 < n) {
            zone = date_zone(&t[i + 3]);
            ytok = &t[i + 4];
        } else if (i + 4 < n) {
            zone = date_zone(&t[i + 4]);
        }
    }
    year = date_num(ytok);
    if (month < 0 || day < 1 || year < 0 || secs < 0)
        return ERR_BADFORMAT;
    month++;
    /* obsolete years: 2 digits are 19xx/20xx (cut at 50), 3 digits 1900+ */
    if (ytok->len < 3)
        year += year < 50 ? 2000 : 1900;
    else if (ytok->len == 3)
        year += 1900;
    if (year < 1970 || year > 9999 || day > days_in_month(year, month))
        return ERR_BADFORMAT;
    when = util_days_from_civil(year, month, day) * 86400 + secs - zone;
    if (when < 0)
        return ERR_BADFORMAT;
    *t_r = (time_t)when;
    return ERR_OK;
}
