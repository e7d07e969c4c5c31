/* message_cache.c -- struct message_info to bytes and back, for
 * cyrus.cache.
 *
 * Layout, version 4 (doc/format.md has it in full).  A "varint" is an
 * unsigned LEB128 number (7 bits per byte, low group first, high bit =
 * more follows; at most 10 bytes); a "word" is a varint v: 0 for NULL,
 * 2k + 1 for word k of message_pack.c's table, 2(n + 1) for n bytes that
 * follow (no NUL); a "header value" is the same, but 2c + 1 a value
 * derived from the rest of the entry (see putheader):
 *   u8     version (MESSAGE_CACHE_VERSION)
 *   varint size, header_size, body_lines  (body_size = size - header_size)
 *   varint sent_date, zig-zag coded ((t << 1) ^ (t >> 63))
 *   varint n, then n bytes: BODYSTRUCTURE packed (message_pack_wire)
 *   varint header count (MESSAGE_HDR__COUNT), then that many header
 *          values, in the order of enum message_header
 *   varint raw header lines (message_info.header_fields): 0 when not
 *          kept, else the line count + 1, then per line a varint: 2k + 1
 *          for "Name: value\r\n" of cached header k (message_header_name,
 *          the value as header_value() gives it), or 2n and n bytes (see
 *          put_fields); FETCH reads only the prefix up to here
 *   varint section count, then per section:
 *          word spec, type, subtype, encoding, charset
 *          varint header_offset, header_size, body_offset, body_size
 *          u8 is_message, and if 1: varint inner_header_offset,
 *          inner_header_size, inner_body_offset, inner_body_size
 * ENVELOPE is derived from the header values (message_envelope_write, as
 * at parse time), BODY from BODYSTRUCTURE and the message id from the
 * Message-ID header, so none of them is stored: the ENVELOPE alone was
 * ~40% of a version 2 entry.
 *
 * Version 3 entries are still read: version 4 without the raw header
 * lines (message_cache_header_fields() says ERR_NOTFOUND, and FETCH reads
 * the file).  Version 2 entries are still read: they stored the ENVELOPE
 * as a "str" (a varint n, then n - 1 bytes; 0 for NULL) between sent_date and
 * BODYSTRUCTURE, BODYSTRUCTURE as a str (its wire text), every header
 * value and section string as a str, and Content-Type as a 13th cached
 * header.  There is no checksum here: cyrus.cache frames each entry with
 * its own CRC-32.
 *
 * The decoder trusts nothing: every length and range is checked against
 * the entry and against the message size it records.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/message_private.h"

/* The smallest encoded section: 5 words, 4 varints, 1 u8. */
#define SECTION_MIN_BYTES (5 + 4 + 1)

/* ---- encoding ----------------------------------------------------------- */

/* ---- header values that are derived ------------------------------------- *
 *
 * A header value (version 3 and later) is a varint v: 0 when the field is
 * absent, 2(n + 1) for n bytes that follow, or 2c + 1 for a value that is
 * written again from what the entry already holds:
 *   Date         c = (zone + 1440) * 4 + style: the sent date shown in the
 *                zone (minutes east of UTC) in one of the four RFC 5322
 *                forms of format_date() -- what nearly every mailer
 *                writes;
 *   In-Reply-To  c = 0: the References value from its last '<' on (a
 *                reply's In-Reply-To is the last id its References name).
 * Each is stored so only when writing it again gives the very same bytes.
 */
enum { DATE_STYLES = 4 };
/* The last second format_date() writes with a four-digit year. */
#define DATE_MAX INT64_C(253402300799)

static void put2(struct buf *out, int n)
{
    buf_putc(out, (char)('0' + n / 10 % 10));
    buf_putc(out, (char)('0' + n % 10));
}

static void format_date(struct buf *out, int64_t t, int zone, int style)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
                                      "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
                                        "Jun", "Jul", "Aug", "Sep", "Oct",
                                        "Nov", "Dec" };
    time_t local = (time_t)(t + (int64_t)zone * 60);
    int z = zone < 0 ? -zone : zone;
    struct tm tm;

    if (!gmtime_r(&local, &tm))
        memset(&tm, 0, sizeof(tm));
    /* style bit 0: no "Mon, " first; bit 1: the day as two digits */
    if (!(style & 1)) {
        buf_appendcstr(out, days[tm.tm_wday % 7]);
        buf_appendcstr(out, ", ");
    }
    if ((style & 2) || tm.tm_mday >= 10)
        put2(out, tm.tm_mday);
    else
        buf_putc(out, (char)('0' + tm.tm_mday));
    buf_putc(out, ' ');
    buf_appendcstr(out, months[tm.tm_mon % 12]);
    buf_putc(out, ' ');
    put2(out, (tm.tm_year + 1900) / 100);
    put2(out, (tm.tm_year + 1900) % 100);
    buf_putc(out, ' ');
    put2(out, tm.tm_hour);
    buf_putc(out, ':');
    put2(out, tm.tm_min);
    buf_putc(out, ':');
    put2(out, tm.tm_sec);
    buf_putc(out, ' ');
    buf_putc(out, zone < 0 ? '-' : '+');
    put2(out, z / 60);
    put2(out, z % 60);
}

/* The style code of a Date value the sent date writes again, or -1. */
static int64_t date_code(const char *v, int64_t t)
{
    size_t len = strlen(v);
    const char *z;
    struct buf b = BUF_INITIALIZER;
    int64_t code = -1;
    int zone;

    if (len < 5 || t <= 0 || t > DATE_MAX)
        return -1;
    z = v + len - 5;
    if (z[0] != '+' && z[0] != '-')
        return -1;
    for (int i = 1; i < 5; i++)
        if (z[i] < '0' || z[i] > '9')
            return -1;
    zone = ((z[1] - '0') * 10 + (z[2] - '0')) * 60 +
           (z[3] - '0') * 10 + (z[4] - '0');
    if (zone >= 1440)
        return -1;
    if (z[0] == '-')
        zone = -zone;
    for (int style = 0; style < DATE_STYLES && code < 0; style++) {
        buf_reset(&b);
        format_date(&b, t, zone, style);
        if (b.len == len && !memcmp(b.s, v, len))
            code = (int64_t)(zone + 1440) * DATE_STYLES + style;
    }
    buf_free(&b);
    return code;
}

/* The last "<..." of a References value, or NULL. */
static const char *last_ref(const char *refs, size_t len)
{
    return len ? memrchr(refs, '<', len) : NULL;
}

static void putheader(struct buf *out, const struct message_info *info,
                      int i)
{
    const char *v = info->headers[i];
    size_t len;

    if (!v) {
        message_put_varint(out, 0);
        return;
    }
    len = strlen(v);
    if (i == MESSAGE_HDR_DATE) {
        int64_t code = date_code(v, (int64_t)info->sent_date);
        if (code >= 0) {
            message_put_varint(out, 2 * (uint64_t)code + 1);
            return;
        }
    }
    if (i == MESSAGE_HDR_IN_REPLY_TO && info->headers[MESSAGE_HDR_REFERENCES]) {
        const char *refs = info->headers[MESSAGE_HDR_REFERENCES];
        const char *last = last_ref(refs, strlen(refs));
        if (last && !strcmp(last, v)) {
            message_put_varint(out, 1);
            return;
        }
    }
    message_put_varint(out, 2 * ((uint64_t)len + 1));
    buf_appendmap(out, v, len);
}

static void putword(struct buf *out, const char *s)
{
    size_t len;
    int k;

    if (!s) {
        message_put_varint(out, 0);
        return;
    }
    len = strlen(s);
    if (len && (k = message_pack_word(s, len)) >= 0) {
        message_put_varint(out, 2 * (uint64_t)k + 1);
        return;
    }
    message_put_varint(out, 2 * ((uint64_t)len + 1));
    buf_appendmap(out, s, len);
}

static void put_section(struct buf *out, const struct message_section *s)
{
    putword(out, s->spec);
    putword(out, s->type);
    putword(out, s->subtype);
    putword(out, s->encoding);
    putword(out, s->charset);
    message_put_varint(out, s->header_offset);
    message_put_varint(out, s->header_size);
    message_put_varint(out, s->body_offset);
    message_put_varint(out, s->body_size);
    buf_putc(out, s->is_message ? 1 : 0);
    if (s->is_message) {
        message_put_varint(out, s->inner_header_offset);
        message_put_varint(out, s->inner_header_size);
        message_put_varint(out, s->inner_body_offset);
        message_put_varint(out, s->inner_body_size);
    }
}

/* The cached header k whose line "Name: value\r\n" is exactly f, or -1. */
static int field_ref(const struct message_info *info,
                     const struct message_field *f)
{
    for (int k = 0; k < MESSAGE_HDR__COUNT; k++) {
        const char *name = message_header_name(k), *v = info->headers[k];
        size_t nl = strlen(name), vl;

        if (!v || f->name_len != nl || memcmp(f->line, name, nl))
            continue;
        vl = strlen(v);
        if (f->len == nl + 2 + vl + 2 && !memcmp(f->line + nl, ": ", 2) &&
            !memcmp(f->line + nl + 2, v, vl) &&
            !memcmp(f->line + nl + 2 + vl, "\r\n", 2))
            return k;
    }
    return -1;
}

/* The raw header lines (version 4): 0 when not kept, else the line count
 * + 1 and one code per line: 2k + 1 for "Name: value\r\n" of cached
 * header k (the common single-line field costs one byte), 2n for n bytes
 * that follow. */
static void put_fields(struct buf *out, const struct message_info *info)
{
    struct buf lines = BUF_INITIALIZER;
    struct message_field f;
    size_t pos = 0;
    uint64_t n = 0;

    if (!info->header_fields) {
        message_put_varint(out, 0);
        return;
    }
    while (message_header_next_field(info->header_fields,
                                     info->header_fields_len, &pos, &f)) {
        int k = field_ref(info, &f);
        if (k >= 0) {
            message_put_varint(&lines, 2 * (uint64_t)k + 1);
        } else {
            message_put_varint(&lines, 2 * (uint64_t)f.len);
            buf_appendmap(&lines, f.line, f.len);
        }
        n++;
    }
    message_put_varint(out, n + 1);
    buf_appendbuf(out, &lines);
    buf_free(&lines);
}

void message_info_encode(const struct message_info *info, struct buf *out)
{
    int64_t t = (int64_t)info->sent_date;
    struct buf packed = BUF_INITIALIZER;

    buf_putc(out, MESSAGE_CACHE_VERSION);
    message_put_varint(out, info->size);
    message_put_varint(out, info->header_size);
    message_put_varint(out, info->body_lines);
    message_put_varint(out, ((uint64_t)t << 1) ^ (uint64_t)(t >> 63));
    message_pack_wire(&packed, info->bodystructure,
                      strlen(info->bodystructure));
    message_put_varint(out, packed.len);
    buf_appendbuf(out, &packed);
    buf_free(&packed);
    message_put_varint(out, MESSAGE_HDR__COUNT);
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++)
        putheader(out, info, i);
    put_fields(out, info);
    message_put_varint(out, info->nsections);
    for (size_t i = 0; i < info->nsections; i++)
        put_section(out, &info->sections[i]);
}

/* ---- decoding ----------------------------------------------------------- */

struct reader {
    const unsigned char *p;
    size_t left;
    int bad;                    /* set once anything did not fit */
};

static uint8_t get8(struct reader *r)
{
    if (r->bad || !r->left) {
        r->bad = 1;
        return 0;
    }
    r->left--;
    return *r->p++;
}

static uint64_t getvar(struct reader *r)
{
    const unsigned char *p = r->p;
    uint64_t v;

    if (r->bad || !message_get_varint(&p, r->p + r->left, &v)) {
        r->bad = 1;
        return 0;
    }
    r->left -= (size_t)(p - r->p);
    r->p = p;
    return v;
}

/* A varint that must fit in 32 bits. */
static uint32_t get32(struct reader *r)
{
    uint64_t v = getvar(r);
    if (v > UINT32_MAX)
        r->bad = 1;
    return (uint32_t)v;
}

/* n bytes in place; with no_nul, a NUL inside is corruption (callers
 * treat those as C strings). */
static const char *getbytes(struct reader *r, uint64_t n, int no_nul)
{
    const char *s = (const char *)r->p;

    if (r->bad || n > r->left || (no_nul && memchr(s, '\0', (size_t)n))) {
        r->bad = 1;
        return NULL;
    }
    r->p += n;
    r->left -= (size_t)n;
    return s;
}

/* A str in place: *s_r and *len_r; NULL is allowed only if nullable. */
static void getstr_at(struct reader *r, int nullable, const char **s_r,
                      size_t *len_r)
{
    uint64_t n = getvar(r);

    *s_r = NULL;
    *len_r = 0;
    if (r->bad)
        return;
    if (!n) {
        if (!nullable)
            r->bad = 1;
        return;
    }
    *s_r = getbytes(r, n - 1, 1);
    *len_r = *s_r ? (size_t)(n - 1) : 0;
}

static char *getstr(struct reader *r, int nullable)
{
    const char *s;
    size_t len;

    getstr_at(r, nullable, &s, &len);
    return s ? xstrndup(s, len) : NULL;
}

/* The bytes of an even word or header-value code v (2(n + 1): n bytes;
 * 0: none) in place. */
static const char *get_coded_bytes(struct reader *r, uint64_t v,
                                   size_t *len_r)
{
    const char *s = v ? getbytes(r, v / 2 - 1, 1) : NULL;

    /* no length without bytes: a reader that went bad gives NULL, and
     * last_ref() would search NULL for len bytes */
    *len_r = s ? (size_t)(v / 2 - 1) : 0;
    return s;
}

/* A word (version 3 and later) or a str (version 2), as a fresh string. */
static char *getword(struct reader *r, int version, int nullable)
{
    uint64_t v;
    const char *s;

    if (version == 2)
        return getstr(r, nullable);
    v = getvar(r);
    if (r->bad || (!v && !nullable)) {
        r->bad = 1;
        return NULL;
    }
    if (!v)
        return NULL;
    if (v & 1) {
        if (!(s = message_pack_word_at(v >> 1))) {
            r->bad = 1;
            return NULL;
        }
        return xstrdup(s);
    }
    size_t len;
    s = get_coded_bytes(r, v, &len);
    return s ? xstrndup(s, len) : NULL;
}

/* off + len within the message of size total. */
static int range_ok(uint32_t off, uint32_t len, uint32_t total)
{
    return (uint64_t)off + len <= total;
}

static void get_section(struct reader *r, int version,
                        struct message_section *s, uint32_t total)
{
    s->spec = getword(r, version, 0);
    s->type = getword(r, version, 0);
    s->subtype = getword(r, version, 0);
    s->encoding = getword(r, version, 0);
    s->charset = getword(r, version, 1);
    s->header_offset = get32(r);
    s->header_size = get32(r);
    s->body_offset = get32(r);
    s->body_size = get32(r);
    s->is_message = get8(r);
    if (s->is_message > 1)
        r->bad = 1;
    if (s->is_message) {
        s->inner_header_offset = get32(r);
        s->inner_header_size = get32(r);
        s->inner_body_offset = get32(r);
        s->inner_body_size = get32(r);
    }
    if (!range_ok(s->header_offset, s->header_size, total) ||
        !range_ok(s->inner_header_offset, s->inner_header_size, total) ||
        !range_ok(s->body_offset, s->body_size, total) ||
        !range_ok(s->inner_body_offset, s->inner_body_size, total))
        r->bad = 1;
}

/* The coded raw header lines of a version 4 entry (see put_fields), in
 * place: every code is checked here, the header references again when
 * they are written out. */
static void get_fields(struct reader *r, struct message_cache_peek *pk)
{
    uint64_t n = getvar(r);
    const unsigned char *start = r->p;

    if (!n || r->bad)
        return;
    for (uint64_t i = 0; i < n - 1 && !r->bad; i++) {
        uint64_t v = getvar(r);
        if (v & 1) {
            if (v >> 1 >= MESSAGE_HDR__COUNT)
                r->bad = 1;
        } else if (!v) {
            r->bad = 1;
        } else {
            getbytes(r, v / 2, 0);
        }
    }
    pk->fields = (const char *)start;
    pk->fields_len = (size_t)(r->p - start);
    pk->nfields = n - 1;
}

/* The prefix, shared by peek and decode, up to the ENVELOPE's header
 * values and the raw header lines; leaves r after them. */
static void get_prefix(struct reader *r, struct message_cache_peek *pk,
                       int64_t *sent_r)
{
    uint64_t z;
    uint8_t version = get8(r);

    memset(pk, 0, sizeof(*pk));
    if (version != MESSAGE_CACHE_VERSION && version != 3 && version != 2)
        r->bad = 1;
    pk->version = version;
    pk->size = get32(r);
    pk->header_size = get32(r);
    pk->body_lines = get32(r);
    z = getvar(r);
    *sent_r = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    if (version == 2) {
        getstr_at(r, 0, &pk->envelope, &pk->envelope_len);
        getstr_at(r, 0, &pk->bodystructure, &pk->bodystructure_len);
    } else {
        pk->bodystructure_len = (size_t)getvar(r);
        pk->bodystructure = getbytes(r, pk->bodystructure_len, 0);
    }
    pk->sent_date = *sent_r;
    /* version 2 had a 13th, Content-Type, after the others */
    if (getvar(r) != MESSAGE_HDR__COUNT + (version == 2))
        r->bad = 1;
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++) {
        uint64_t v;
        if (version == 2) {
            getstr_at(r, 1, &pk->hdr[i], &pk->hdr_len[i]);
            continue;
        }
        v = getvar(r);
        if (!(v & 1)) {                 /* absent, or the bytes */
            pk->hdr[i] = get_coded_bytes(r, v, &pk->hdr_len[i]);
        } else if (i == MESSAGE_HDR_DATE &&
                   v / 2 < (uint64_t)2 * 1440 * DATE_STYLES &&
                   *sent_r > 0 && *sent_r <= DATE_MAX) {
            pk->date_code = v / 2 + 1;
        } else if (i == MESSAGE_HDR_IN_REPLY_TO && v == 1) {
            pk->irt_from_refs = 1;
        } else {
            r->bad = 1;
        }
    }
    if (version >= 4)
        get_fields(r, pk);
    if (pk->irt_from_refs &&
        !last_ref(pk->hdr[MESSAGE_HDR_REFERENCES],
                  pk->hdr_len[MESSAGE_HDR_REFERENCES]))
        r->bad = 1;
    if (pk->header_size > pk->size ||
        pk->body_lines > pk->size - pk->header_size)
        r->bad = 1;
}

int message_cache_peek(const char *p, size_t len,
                       struct message_cache_peek *pk)
{
    struct reader r = { (const unsigned char *)p, len, 0 };
    int64_t sent;

    get_prefix(&r, pk, &sent);
    return r.bad ? ERR_BADFORMAT : ERR_OK;
}

int message_cache_bodystructure(const struct message_cache_peek *pk,
                                struct buf *out)
{
    if (pk->version == 2) {             /* stored as the wire text */
        buf_appendmap(out, pk->bodystructure, pk->bodystructure_len);
        return ERR_OK;
    }
    return message_unpack_wire(pk->bodystructure, pk->bodystructure_len,
                               out);
}

/* Append header i of a peeked entry to out: 1, or 0 when it is absent. */
static int header_value(const struct message_cache_peek *pk, int i,
                        struct buf *out)
{
    if (i == MESSAGE_HDR_DATE && pk->date_code) {
        uint64_t c = pk->date_code - 1;
        format_date(out, pk->sent_date, (int)(c / DATE_STYLES) - 1440,
                    (int)(c % DATE_STYLES));
        return 1;
    }
    if (i == MESSAGE_HDR_IN_REPLY_TO && pk->irt_from_refs) {
        const char *refs = pk->hdr[MESSAGE_HDR_REFERENCES];
        size_t len = pk->hdr_len[MESSAGE_HDR_REFERENCES];
        const char *last = last_ref(refs, len);
        buf_appendmap(out, last, len - (size_t)(last - refs));
        return 1;
    }
    if (!pk->hdr[i])
        return 0;
    buf_appendmap(out, pk->hdr[i], pk->hdr_len[i]);
    return 1;
}

int message_cache_header_fields(const struct message_cache_peek *pk,
                                struct buf *out)
{
    struct reader r = { (const unsigned char *)pk->fields, pk->fields_len,
                        0 };
    size_t mark = out->len;

    if (!pk->fields)
        return ERR_NOTFOUND;
    for (uint64_t i = 0; i < pk->nfields && !r.bad; i++) {
        uint64_t v = getvar(&r);
        if (v & 1) {
            const char *name = message_header_name((int)(v >> 1));
            if (!name)
                break;
            buf_appendcstr(out, name);
            buf_appendcstr(out, ": ");
            if (!header_value(pk, (int)(v >> 1), out))
                r.bad = 1;
            buf_appendcstr(out, "\r\n");
        } else {
            const char *s = getbytes(&r, v / 2, 0);
            if (s)
                buf_appendmap(out, s, (size_t)(v / 2));
        }
    }
    if (r.bad || r.left) {
        buf_truncate(out, mark);
        return ERR_BADFORMAT;
    }
    return ERR_OK;
}

/* The header values of a peeked entry as C strings, v[i] NULL when
 * absent, pointing into *scratch (its contents are replaced). */
static void header_values(const struct message_cache_peek *pk,
                          struct buf *scratch, int n, char **v)
{
    size_t at[MESSAGE_HDR__COUNT];
    int present[MESSAGE_HDR__COUNT];

    buf_reset(scratch);
    for (int i = 0; i < n; i++) {
        at[i] = scratch->len;
        present[i] = header_value(pk, i, scratch);
        buf_putc(scratch, '\0');
    }
    /* only now: appending may have moved the buffer */
    for (int i = 0; i < n; i++)
        v[i] = present[i] ? scratch->s + at[i] : NULL;
}

void message_cache_envelope(const struct message_cache_peek *pk,
                            struct buf *scratch, struct buf *out)
{
    char *v[MESSAGE_FLD__COUNT] = { NULL };

    if (pk->envelope) {                 /* a version 2 entry stores it */
        buf_appendmap(out, pk->envelope, pk->envelope_len);
        return;
    }
    header_values(pk, scratch, MESSAGE_ENVELOPE_HDRS, v);
    message_envelope_write(out, v);
}

/* Append the ENVELOPE, BODYSTRUCTURE and BODY of a peeked entry to info;
 * 0 if the stored BODYSTRUCTURE is corrupt. */
static int decode_wire(const struct message_cache_peek *pk,
                       struct message_info *info)
{
    struct buf bs = BUF_INITIALIZER, body = BUF_INITIALIZER;
    struct buf env = BUF_INITIALIZER, scratch = BUF_INITIALIZER;

    if (message_cache_bodystructure(pk, &bs) ||
        message_body_from_structure(bs.s, bs.len, &body)) {
        buf_free(&bs);
        buf_free(&body);
        return 0;
    }
    message_cache_envelope(pk, &scratch, &env);
    info->bodystructure = buf_release(&bs);
    info->body = buf_release(&body);
    info->envelope = buf_release(&env);
    buf_free(&scratch);
    return 1;
}

static int decode(const char *p, size_t len, int wire,
                  struct message_info **info_r)
{
    struct reader r = { (const unsigned char *)p, len, 0 };
    struct message_cache_peek pk;
    struct message_info *info;
    int64_t sent;
    uint64_t n;

    *info_r = NULL;
    get_prefix(&r, &pk, &sent);
    if (r.bad)
        return ERR_BADFORMAT;
    info = xzmalloc(sizeof(*info));
    info->size = pk.size;
    info->header_size = pk.header_size;
    info->body_size = pk.size - pk.header_size;
    info->body_lines = pk.body_lines;
    info->sent_date = (time_t)sent;
    if (wire && !decode_wire(&pk, info))
        r.bad = 1;
    {
        char *v[MESSAGE_HDR__COUNT];
        struct buf values = BUF_INITIALIZER;
        header_values(&pk, &values, MESSAGE_HDR__COUNT, v);
        for (int i = 0; i < MESSAGE_HDR__COUNT; i++)
            info->headers[i] = v[i] ? xstrdup(v[i]) : NULL;
        buf_free(&values);
    }
    if (pk.fields) {
        struct buf fields = BUF_INITIALIZER;
        if (message_cache_header_fields(&pk, &fields))
            r.bad = 1;
        info->header_fields_len = fields.len;
        info->header_fields = buf_release(&fields);
    }
    if (pk.version == 2) {              /* its cached Content-Type */
        const char *ct;
        size_t ctlen;
        getstr_at(&r, 1, &ct, &ctlen);
    }
    info->message_id =
        message_extract_message_id(info->headers[MESSAGE_HDR_MESSAGE_ID]);
    n = getvar(&r);
    /* Every message has part 1; the count must fit in what is left. */
    if (!n || n > r.left / SECTION_MIN_BYTES)
        r.bad = 1;
    if (!r.bad) {
        info->sections = xcalloc((size_t)n, sizeof(*info->sections));
        info->nsections = (size_t)n;
        for (uint64_t i = 0; i < n && !r.bad; i++)
            get_section(&r, pk.version, &info->sections[i], info->size);
    }
    if (r.left)
        r.bad = 1;
    if (r.bad) {
        message_info_free(&info);
        return ERR_BADFORMAT;
    }
    *info_r = info;
    return ERR_OK;
}

int message_info_decode(const char *p, size_t len,
                        struct message_info **info_r)
{
    return decode(p, len, 0, info_r);
}

int message_info_decode_wire(const char *p, size_t len,
                             struct message_info **info_r)
{
    return decode(p, len, 1, info_r);
}
