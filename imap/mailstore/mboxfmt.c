/* mboxfmt.c -- Berkeley mbox splitting, quoting and status fields; see
 * mboxfmt.h for the rules. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/error.h"
#include "imap/mailstore/mboxfmt.h"
#include "imap/mailstore/mboxname.h"

static const char *const days[7] = {"Sun", "Mon", "Tue", "Wed", "Thu",
                                    "Fri", "Sat"};
static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May",
                                       "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"};

static int name_index(const char *const *names, int n, const char *p,
                      size_t len)
{
    for (int i = 0; i < n; i++)
        if (len == 3 && !strncasecmp(names[i], p, 3))
            return i;
    return -1;
}

/* End of the line starting at pos: the index of its LF, or len. */
static size_t line_end(const char *data, size_t len, size_t pos)
{
    const char *nl = memchr(data + pos, '\n', len - pos);
    return nl ? (size_t)(nl - data) : len;
}

static int line_is_empty(const char *p, size_t n)
{
    return n == 0 || (n == 1 && p[0] == '\r');
}

#define MAXTOK 16

/* The decimal number of all n bytes at p (n <= 4), or -1. */
static int small_number(const char *p, size_t n)
{
    int v = 0;
    if (n == 0 || n > 4)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int mboxfmt_parse_from_line(const char *line, size_t len, time_t *date_r)
{
    const char *tok[MAXTOK];
    size_t tlen[MAXTOK];
    int ntok = 0, at = -1;
    size_t i = 5;

    if (len < 5 || memcmp(line, "From ", 5))
        return ERR_BADFORMAT;
    while (i < len && ntok < MAXTOK) {
        size_t s;
        while (i < len && (line[i] == ' ' || line[i] == '\t' ||
                           line[i] == '\r'))
            i++;
        if (i >= len)
            break;
        s = i;
        while (i < len && line[i] != ' ' && line[i] != '\t' &&
               line[i] != '\r')
            i++;
        tok[ntok] = line + s;
        tlen[ntok++] = i - s;
    }
    for (int t = 0; t + 3 < ntok; t++)
        if (name_index(days, 7, tok[t], tlen[t]) >= 0 &&
            name_index(months, 12, tok[t + 1], tlen[t + 1]) >= 0)
            at = t;
    if (at < 0)
        return ERR_BADFORMAT;

    struct tm tm;
    char num[32];
    int h = 0, m = 0, s = 0, year = -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_mon = name_index(months, 12, tok[at + 1], tlen[at + 1]);
    if (tlen[at + 2] > 2 || (tm.tm_mday = small_number(tok[at + 2],
                                                       tlen[at + 2])) < 0)
        return ERR_BADFORMAT;
    if (tlen[at + 3] >= sizeof(num))
        return ERR_BADFORMAT;
    memcpy(num, tok[at + 3], tlen[at + 3]);
    num[tlen[at + 3]] = '\0';
    if (sscanf(num, "%2d:%2d:%2d", &h, &m, &s) < 2)
        return ERR_BADFORMAT;
    /* The year: the next 4-digit word, past at most one time-zone word. */
    for (int t = at + 4; t < ntok && t <= at + 5 && year < 0; t++)
        if (tlen[t] == 4)
            year = small_number(tok[t], 4);
    if (year < 1970 || tm.tm_mday < 1 || tm.tm_mday > 31 || h < 0 ||
        m < 0 || s < 0 || h > 23 || m > 59 || s > 60)
        return ERR_BADFORMAT;
    tm.tm_year = year - 1900;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    *date_r = timegm(&tm);
    return ERR_OK;
}

static int is_from_line(const char *p, size_t n)
{
    time_t t;
    return n >= 5 && !memcmp(p, "From ", 5) &&
           mboxfmt_parse_from_line(p, n, &t) == ERR_OK;
}

void mboxfmt_reader_init(struct mboxfmt_reader *r, const char *data,
                         size_t len, enum mboxfmt_variant variant)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
    r->line = 1;
    r->variant = variant;
}

void mboxfmt_message_fini(struct mboxfmt_message *m)
{
    buf_free(&m->text);
    strarray_fini(&m->keywords);
}

/* Is the header line p[0..n) the field name (followed by ':')? */
static int field_is(const char *p, size_t n, const char *name)
{
    size_t l = strlen(name);
    return n > l && p[l] == ':' && !strncasecmp(p, name, l);
}

enum status_field { SF_NONE, SF_STATUS, SF_XSTATUS, SF_XKEYWORDS };

static enum status_field status_field(const char *p, size_t n)
{
    if (field_is(p, n, "Status"))
        return SF_STATUS;
    if (field_is(p, n, "X-Status"))
        return SF_XSTATUS;
    if (field_is(p, n, "X-Keywords"))
        return SF_XKEYWORDS;
    return SF_NONE;
}

/* The letters of Status and X-Status, in the order they are written. */
static const struct {
    enum status_field field;
    char letter;
    uint32_t flag;
} status_letters[] = {
    {SF_STATUS, 'R', MBOXFMT_SEEN},      {SF_STATUS, 'O', MBOXFMT_OLD},
    {SF_XSTATUS, 'A', MBOXFMT_ANSWERED}, {SF_XSTATUS, 'F', MBOXFMT_FLAGGED},
    {SF_XSTATUS, 'T', MBOXFMT_DRAFT},    {SF_XSTATUS, 'D', MBOXFMT_DELETED},
};
#define NLETTERS (sizeof(status_letters) / sizeof(status_letters[0]))

/* Flags and keywords from one status field's value (the text after the
 * colon, continuation lines included). */
static void status_parse(enum status_field f, const char *v, size_t n,
                         uint32_t *flags, struct strarray *keywords)
{
    for (size_t i = 0; i < n; i++)
        for (size_t l = 0; l < NLETTERS; l++)
            if (status_letters[l].field == f &&
                status_letters[l].letter == v[i])
                *flags |= status_letters[l].flag;
    if (f != SF_XKEYWORDS)
        return;
    for (size_t i = 0; i < n;) {
        size_t s;
        while (i < n && strchr(" ,\t\r\n", v[i]))
            i++;
        for (s = i; i < n && !strchr(" ,\t\r\n", v[i]); i++)
            ;
        if (i > s) {
            char *k = strndup(v + s, i - s);
            if (strarray_find(keywords, k) < 0)
                strarray_append(keywords, k);
            free(k);
        }
    }
}

/* How many '>' to drop from the line p[0..n) when reading. */
static size_t unquote_len(const char *p, size_t n, enum mboxfmt_variant v)
{
    size_t q = 0;
    while (q < n && p[q] == '>')
        q++;
    if (q == 0 || n - q < 5 || memcmp(p + q, "From ", 5))
        return 0;
    return v == MBOXFMT_MBOXRD || q == 1 ? 1 : 0;
}

/* Does the line p[0..n) get a '>' when written? */
static int needs_quote(const char *p, size_t n, enum mboxfmt_variant v)
{
    size_t q = 0;
    if (v == MBOXFMT_MBOXRD)
        while (q < n && p[q] == '>')
            q++;
    return n - q >= 5 && !memcmp(p + q, "From ", 5);
}

/* Copy the message's lines [start, end) into m: unquoted, status fields
 * taken out of the header. */
static void take_message(const struct mboxfmt_reader *r, size_t start,
                         size_t end, struct mboxfmt_message *m)
{
    const char *d = r->data;
    int in_header = 1;
    enum status_field cur = SF_NONE;   /* field being dropped */
    size_t vstart = 0;

    for (size_t pos = start; pos < end;) {
        size_t e = line_end(d, end, pos), next = e < end ? e + 1 : end;
        size_t n = e - pos;
        if (in_header) {
            int cont = n > 0 && (d[pos] == ' ' || d[pos] == '\t');
            if (cur != SF_NONE && !cont) {
                status_parse(cur, d + vstart, pos - vstart, &m->flags,
                             &m->keywords);
                cur = SF_NONE;
            }
            if (line_is_empty(d + pos, n))
                in_header = 0;
            else if (cont && cur != SF_NONE) {
                pos = next;
                continue;
            } else if ((cur = status_field(d + pos, n)) != SF_NONE) {
                vstart = (size_t)((const char *)memchr(d + pos, ':', n) - d)
                         + 1;
                pos = next;
                continue;
            } else if (r->count == 0 && (field_is(d + pos, n, "X-IMAP") ||
                                         field_is(d + pos, n, "X-IMAPbase")))
                m->internal = 1;
        }
        size_t q = unquote_len(d + pos, n, r->variant);
        buf_appendmap(&m->text, d + pos + q, next - pos - q);
        pos = next;
    }
    if (cur != SF_NONE)
        status_parse(cur, d + vstart, end - vstart, &m->flags, &m->keywords);
}

int mboxfmt_next(struct mboxfmt_reader *r, struct mboxfmt_message *m,
                 struct buf *err)
{
    const char *d = r->data;
    size_t pos = r->pos, e, body, prev_start = 0, end;
    int prev_empty = 0;
    unsigned long line = r->line;

    buf_reset(&m->text);
    strarray_fini(&m->keywords);
    m->flags = 0;
    m->internal = 0;
    if (pos >= r->len)
        return ERR_NOTFOUND;
    e = line_end(d, r->len, pos);
    if (mboxfmt_parse_from_line(d + pos, e - pos, &m->date)) {
        buf_reset(err);
        buf_printf(err, "line %lu: not an mbox file: a message must start "
                   "with a From_ line (\"From sender date\")", line);
        return ERR_BADFORMAT;
    }
    m->line = line;
    body = e < r->len ? e + 1 : r->len;
    end = r->len;
    for (size_t p = body; p < r->len;) {
        size_t le = line_end(d, r->len, p);
        line++;
        if (prev_empty && is_from_line(d + p, le - p)) {
            end = prev_start;
            break;
        }
        prev_empty = line_is_empty(d + p, le - p) && le < r->len;
        prev_start = p;
        p = le < r->len ? le + 1 : r->len;
        if (p >= r->len && prev_empty)
            end = prev_start;   /* the separator at the end of the file */
    }
    if (end < body)
        end = body;
    take_message(r, body, end, m);
    /* Skip to the next From_ line (past the separator). */
    r->pos = end;
    if (r->pos < r->len) {
        size_t le = line_end(d, r->len, r->pos);
        if (line_is_empty(d + r->pos, le - r->pos))
            r->pos = le < r->len ? le + 1 : r->len;
    }
    r->line = line + (r->pos < r->len ? 1 : 0);
    r->count++;
    return ERR_OK;
}

/* "<name> <letters>\n" for the flags of field f, if any is set. */
static void write_letters(struct buf *out, const char *name,
                          enum status_field f, uint32_t flags)
{
    size_t start = out->len;
    for (size_t l = 0; l < NLETTERS; l++) {
        if (status_letters[l].field != f ||
            !(flags & status_letters[l].flag))
            continue;
        if (out->len == start)
            buf_appendcstr(out, name);
        buf_putc(out, status_letters[l].letter);
    }
    if (out->len != start)
        buf_putc(out, '\n');
}

static void write_status(struct buf *out, uint32_t flags,
                         const struct strarray *keywords)
{
    write_letters(out, "Status: ", SF_STATUS, flags);
    write_letters(out, "X-Status: ", SF_XSTATUS, flags);
    if (keywords && keywords->count) {
        buf_appendcstr(out, "X-Keywords:");
        for (size_t i = 0; i < keywords->count; i++) {
            buf_putc(out, ' ');
            buf_appendcstr(out, keywords->data[i]);
        }
        buf_putc(out, '\n');
    }
}

void mboxfmt_write(struct buf *out, const char *msg, size_t len,
                   const char *sender, time_t date, uint32_t flags,
                   const struct strarray *keywords,
                   enum mboxfmt_variant variant)
{
    struct tm tm;
    int in_header = 1, dropping = 0;

    gmtime_r(&date, &tm);
    buf_printf(out, "From %s %s %s %2d %02d:%02d:%02d %d\n",
               sender && *sender ? sender : "MAILER-DAEMON",
               days[tm.tm_wday % 7], months[tm.tm_mon % 12], tm.tm_mday,
               tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
    for (size_t pos = 0; pos < len;) {
        size_t e = line_end(msg, len, pos), n = e - pos;
        if (n && msg[pos + n - 1] == '\r')
            n--;
        if (in_header) {
            int cont = n > 0 && (msg[pos] == ' ' || msg[pos] == '\t');
            if (n == 0) {
                write_status(out, flags, keywords);
                in_header = 0;
            } else if (cont ? dropping
                            : (dropping = status_field(msg + pos, n) !=
                                          SF_NONE)) {
                pos = e < len ? e + 1 : len;
                continue;
            }
        }
        if (needs_quote(msg + pos, n, variant))
            buf_putc(out, '>');
        buf_appendmap(out, msg + pos, n);
        buf_putc(out, '\n');
        pos = e < len ? e + 1 : len;
    }
    if (in_header)
        write_status(out, flags, keywords);
    buf_putc(out, '\n');
}

void mboxfmt_return_path(const char *msg, size_t len, struct buf *out)
{
    buf_reset(out);
    for (size_t pos = 0; pos < len;) {
        size_t e = line_end(msg, len, pos), n = e - pos;
        if (line_is_empty(msg + pos, n))
            return;
        if (field_is(msg + pos, n, "Return-Path")) {
            const char *v = msg + pos + 12, *ve = msg + e;
            while (v < ve && (*v == ' ' || *v == '\t' || *v == '<'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' ||
                              ve[-1] == '>' || ve[-1] == '\t'))
                ve--;
            buf_setmap(out, v, (size_t)(ve - v));
            return;
        }
        pos = e < len ? e + 1 : len;
    }
}

void mboxfmt_folder_component(const char *comp, struct buf *out)
{
    for (const char *p = comp; *p; p++) {
        int ok = *p != '.' && strchr(MBOXNAME_GOODCHARS, *p) &&
                 !(p == comp && *p == '~');
        buf_putc(out, ok ? *p : '_');
    }
}
