/* sortkey.c -- base subject, sent date and address sort values; see
 * sortkey.h.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/sortkey.h"

/* ---- base subject (RFC 5256 2.1) --------------------------------------- */

struct subj {
    const char *s;              /* the text left, s[0..len) */
    size_t len;
    int refwd;
};

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP at s[0..len): its length, or 0. */
static size_t blob_len(const char *s, size_t len)
{
    size_t i = 1;

    if (!len || s[0] != '[')
        return 0;
    while (i < len && s[i] != '[' && s[i] != ']' && s[i] != '\0')
        i++;
    if (i >= len || s[i] != ']')
        return 0;
    i++;
    while (i < len && is_wsp(s[i]))
        i++;
    return i;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":": its length, or
 * 0. */
static size_t refwd_len(const char *s, size_t len)
{
    size_t i;

    if (len >= 2 && !strncasecmp(s, "re", 2))
        i = 2;
    else if (len >= 3 && !strncasecmp(s, "fwd", 3))
        i = 3;
    else if (len >= 2 && !strncasecmp(s, "fw", 2))
        i = 2;
    else
        return 0;
    while (i < len && is_wsp(s[i]))
        i++;
    i += blob_len(s + i, len - i);
    if (i < len && s[i] == ':')
        return i + 1;
    return 0;
}

/* Step (2): subj-trailer = "(fwd)" / WSP, as often as it matches. */
static void strip_trailers(struct subj *t)
{
    for (;;) {
        if (t->len && is_wsp(t->s[t->len - 1])) {
            t->len--;
        } else if (t->len >= 5 &&
                   !strncasecmp(t->s + t->len - 5, "(fwd)", 5)) {
            t->len -= 5;
            t->refwd = 1;
        } else {
            return;
        }
    }
}

/* Step (3): subj-leader = (*subj-blob subj-refwd) / WSP, once; 1 if it
 * matched. */
static int strip_leader(struct subj *t)
{
    size_t i = 0, n;

    if (t->len && is_wsp(t->s[0])) {
        t->s++;
        t->len--;
        return 1;
    }
    while ((n = blob_len(t->s + i, t->len - i)))
        i += n;
    if (!(n = refwd_len(t->s + i, t->len - i)))
        return 0;
    t->s += i + n;
    t->len -= i + n;
    t->refwd = 1;
    return 1;
}

/* Step (4): a leading subj-blob, when what follows is a non-empty
 * subj-base; 1 if it was removed. */
static int strip_blob(struct subj *t)
{
    size_t n = blob_len(t->s, t->len);

    if (!n || n >= t->len)
        return 0;
    t->s += n;
    t->len -= n;
    return 1;
}

int sortkey_base_subject(const char *s, size_t len, struct buf *out)
{
    struct buf dec = BUF_INITIALIZER, norm = BUF_INITIALIZER;
    struct subj t;

    /* Step (1): decode, tabs and line ends to spaces, runs to one. */
    charset_decode_header(s, len, &dec);
    for (size_t i = 0; i < dec.len; i++) {
        char c = dec.s[i];
        if (c == '\t' || c == '\r' || c == '\n')
            c = ' ';
        if (c == ' ' && norm.len && norm.s[norm.len - 1] == ' ')
            continue;
        buf_putc(&norm, c);
    }
    t.s = norm.s ? norm.s : "";
    t.len = norm.len;
    t.refwd = 0;
    for (;;) {
        int changed;
        strip_trailers(&t);
        /* Step (5): repeat (3) and (4) until neither matches. */
        do {
            changed = 0;
            while (strip_leader(&t))
                changed = 1;
            if (strip_blob(&t))
                changed = 1;
        } while (changed);
        /* Step (6): "[fwd:" ... "]" */
        if (t.len >= 6 && !strncasecmp(t.s, "[fwd:", 5) &&
            t.s[t.len - 1] == ']') {
            t.s += 5;
            t.len -= 6;
            t.refwd = 1;
            continue;
        }
        break;
    }
    buf_appendmap(out, t.s, t.len);
    buf_free(&dec);
    buf_free(&norm);
    return t.refwd;
}

/* ---- sent date (RFC 5256 2.2) ------------------------------------------ */

int64_t sortkey_sent_date(int64_t sent_date, int64_t internaldate)
{
    return sent_date ? sent_date : internaldate;
}

/* ---- ENVELOPE address lists -------------------------------------------- */

/* The wire value at p[*i..len): skip white space, then one nstring, atom
 * or parenthesised list.  For a string, *str and *slen are its text (for a
 * quoted one still with its backslashes), *quoted set; NULL for NIL or a
 * list.  0, or -1 if malformed. */
static int wire_item(const char *p, size_t len, size_t *i, const char **str,
                     size_t *slen, int *quoted)
{
    size_t k = *i;

    *str = NULL;
    *slen = 0;
    *quoted = 0;
    while (k < len && p[k] == ' ')
        k++;
    if (k >= len)
        return -1;
    if (p[k] == '"') {
        size_t start = ++k;
        while (k < len && p[k] != '"')
            k += p[k] == '\\' ? 2 : 1;
        if (k >= len)
            return -1;
        *str = p + start;
        *slen = k - start;
        *quoted = 1;
        *i = k + 1;
        return 0;
    }
    if (p[k] == '{') {
        char *end;
        unsigned long n = strtoul(p + k + 1, &end, 10);
        size_t start = (size_t)(end - p) + 3;
        if (end >= p + len || *end != '}' || start > len || n > len - start)
            return -1;
        *str = p + start;
        *slen = n;
        *i = start + n;
        return 0;
    }
    if (p[k] == '(') {
        int depth = 0;
        do {
            if (p[k] == '(') {
                depth++;
                k++;
            } else if (p[k] == ')') {
                depth--;
                k++;
            } else {
                const char *s;
                size_t sl;
                int q;
                if (p[k] == ' ') {
                    k++;
                    continue;
                }
                if (wire_item(p, len, &k, &s, &sl, &q))
                    return -1;
            }
        } while (depth > 0 && k < len);
        if (depth)
            return -1;
        *i = k;
        return 0;
    }
    while (k < len && p[k] != ' ' && p[k] != '(' && p[k] != ')')
        k++;
    if (k == *i)
        return -1;
    *i = k;
    return 0;
}

static void put_string(const char *s, size_t len, int quoted,
                       struct buf *out)
{
    for (size_t k = 0; k < len; k++) {
        if (quoted && s[k] == '\\' && k + 1 < len)
            k++;
        buf_putc(out, s[k]);
    }
}

void sortkey_address(const char *list, size_t len, int display,
                     struct buf *out)
{
    const char *f[4];
    size_t fl[4], i = 0;
    int q[4];

    while (i < len && list[i] == ' ')
        i++;
    if (len - i < 2 || list[i] != '(' || list[i + 1] != '(')
        return;
    i += 2;
    for (int k = 0; k < 4; k++)
        if (wire_item(list, len, &i, &f[k], &fl[k], &q[k]))
            return;
    if (!display) {
        if (f[2])
            put_string(f[2], fl[2], q[2], out);
        return;
    }
    if (f[0] && fl[0]) {
        struct buf raw = BUF_INITIALIZER;
        put_string(f[0], fl[0], q[0], &raw);
        charset_decode_header(raw.s, raw.len, out);
        buf_free(&raw);
        return;
    }
    if (f[2])
        put_string(f[2], fl[2], q[2], out);
    if (f[2] && f[3]) {
        buf_putc(out, '@');
        put_string(f[3], fl[3], q[3], out);
    }
}

int sortkey_envelope_split(const char *env, size_t len,
                           struct sortkey_envelope *e)
{
    const char *start[8];
    size_t end[8], i = 0;

    memset(e, 0, sizeof(*e));
    if (!len || env[0] != '(')
        return -1;
    i = 1;
    for (int k = 0; k < 8; k++) {
        const char *s;
        size_t sl;
        int q;
        while (i < len && env[i] == ' ')
            i++;
        start[k] = env + i;
        if (wire_item(env, len, &i, &s, &sl, &q))
            return -1;
        end[k] = i;
    }
    e->from = start[2];
    e->from_len = (size_t)(env + end[2] - start[2]);
    e->to = start[5];
    e->to_len = (size_t)(env + end[5] - start[5]);
    e->cc = start[6];
    e->cc_len = (size_t)(env + end[6] - start[6]);
    return 0;
}
