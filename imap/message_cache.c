/* message_cache.c -- struct message_info to bytes and back, for
 * cyrus.cache.
 *
 * Layout, version 1 (all integers big-endian; a "str" is a u32 length,
 * 0xFFFFFFFF for NULL, then that many bytes, no NUL among them):
 *   u8  version (MESSAGE_CACHE_VERSION)
 *   u32 size, header_size, body_size, body_lines
 *   u64 sent_date (two's complement)
 *   str message_id
 *   u32 header count (MESSAGE_HDR__COUNT), then that many str, in the order
 *       of enum message_header
 *   str envelope, body, bodystructure
 *   u32 section count, then per section:
 *       str spec, type, subtype, encoding, charset
 *       u32 header_offset, header_size, body_offset, body_size
 *       u8  is_message, and if 1: u32 inner_header_offset,
 *           inner_header_size, inner_body_offset, inner_body_size
 *   u32 CRC-32 of every byte before it
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
#include "imap/message.h"

#define STR_NULL 0xFFFFFFFFu
/* The smallest encoded section: 5 str lengths, 4 u32, 1 u8. */
#define SECTION_MIN_BYTES (5 * 4 + 4 * 4 + 1)

static void put8(struct buf *out, uint8_t v)
{
    buf_putc(out, (char)v);
}

static void put32(struct buf *out, uint32_t v)
{
    unsigned char b[4];
    util_put32(b, v);
    buf_appendmap(out, b, 4);
}

static void put64(struct buf *out, uint64_t v)
{
    unsigned char b[8];
    util_put64(b, v);
    buf_appendmap(out, b, 8);
}

static void putstr(struct buf *out, const char *s)
{
    size_t len;

    if (!s) {
        put32(out, STR_NULL);
        return;
    }
    len = strlen(s);
    ASSERT(len < STR_NULL);
    put32(out, (uint32_t)len);
    buf_appendmap(out, s, len);
}

static void put_section(struct buf *out, const struct message_section *s)
{
    putstr(out, s->spec);
    putstr(out, s->type);
    putstr(out, s->subtype);
    putstr(out, s->encoding);
    putstr(out, s->charset);
    put32(out, s->header_offset);
    put32(out, s->header_size);
    put32(out, s->body_offset);
    put32(out, s->body_size);
    put8(out, s->is_message ? 1 : 0);
    if (s->is_message) {
        put32(out, s->inner_header_offset);
        put32(out, s->inner_header_size);
        put32(out, s->inner_body_offset);
        put32(out, s->inner_body_size);
    }
}

void message_info_encode(const struct message_info *info, struct buf *out)
{
    size_t start = out->len;

    put8(out, MESSAGE_CACHE_VERSION);
    put32(out, info->size);
    put32(out, info->header_size);
    put32(out, info->body_size);
    put32(out, info->body_lines);
    put64(out, (uint64_t)(int64_t)info->sent_date);
    putstr(out, info->message_id);
    put32(out, MESSAGE_HDR__COUNT);
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++)
        putstr(out, info->headers[i]);
    putstr(out, info->envelope);
    putstr(out, info->body);
    putstr(out, info->bodystructure);
    ASSERT(info->nsections < STR_NULL);
    put32(out, (uint32_t)info->nsections);
    for (size_t i = 0; i < info->nsections; i++)
        put_section(out, &info->sections[i]);
    put32(out, util_crc32(0, out->s + start, out->len - start));
}

/* ---- decoding ----------------------------------------------------------- */

struct reader {
    const unsigned char *p;
    size_t left;
    int bad;                    /* set once anything did not fit */
};

static int take(struct reader *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = 1;
        return 0;
    }
    return 1;
}

static uint8_t get8(struct reader *r)
{
    uint8_t v;
    if (!take(r, 1))
        return 0;
    v = r->p[0];
    r->p++;
    r->left--;
    return v;
}

static uint32_t get32(struct reader *r)
{
    uint32_t v;
    if (!take(r, 4))
        return 0;
    v = util_get32(r->p);
    r->p += 4;
    r->left -= 4;
    return v;
}

static uint64_t get64(struct reader *r)
{
    uint64_t v;
    if (!take(r, 8))
        return 0;
    v = util_get64(r->p);
    r->p += 8;
    r->left -= 8;
    return v;
}

/* A str; NULL is allowed only if nullable.  A NUL inside is corruption:
 * callers treat these as C strings. */
static char *getstr(struct reader *r, int nullable)
{
    uint32_t len = get32(r);
    char *s;

    if (r->bad)
        return NULL;
    if (len == STR_NULL) {
        if (!nullable)
            r->bad = 1;
        return NULL;
    }
    if (!take(r, len) || memchr(r->p, '\0', len)) {
        r->bad = 1;
        return NULL;
    }
    s = xstrndup((const char *)r->p, len);
    r->p += len;
    r->left -= len;
    return s;
}

/* off + len within the message of size total. */
static int range_ok(uint32_t off, uint32_t len, uint32_t total)
{
    return (uint64_t)off + len <= total;
}

static void get_section(struct reader *r, struct message_section *s,
                        uint32_t total)
{
    s->spec = getstr(r, 0);
    s->type = getstr(r, 0);
    s->subtype = getstr(r, 0);
    s->encoding = getstr(r, 0);
    s->charset = getstr(r, 1);
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
        !range_ok(s->body_offset, s->body_size, total) ||
        !range_ok(s->inner_header_offset, s->inner_header_size, total) ||
        !range_ok(s->inner_body_offset, s->inner_body_size, total))
        r->bad = 1;
}

int message_info_decode(const char *p, size_t len,
                        struct message_info **info_r)
{
    struct reader r;
    struct message_info *info;
    uint32_t n;

    *info_r = NULL;
    if (len < 5 || util_get32((const unsigned char *)p + len - 4) !=
                       util_crc32(0, p, len - 4))
        return ERR_BADFORMAT;
    r.p = (const unsigned char *)p;
    r.left = len - 4;
    r.bad = 0;
    if (get8(&r) != MESSAGE_CACHE_VERSION)
        return ERR_BADFORMAT;

    info = xzmalloc(sizeof(*info));
    info->size = get32(&r);
    info->header_size = get32(&r);
    info->body_size = get32(&r);
    info->body_lines = get32(&r);
    info->sent_date = (time_t)(int64_t)get64(&r);
    info->message_id = getstr(&r, 1);
    if (get32(&r) != MESSAGE_HDR__COUNT)
        r.bad = 1;
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++)
        info->headers[i] = getstr(&r, 1);
    info->envelope = getstr(&r, 0);
    info->body = getstr(&r, 0);
    info->bodystructure = getstr(&r, 0);
    n = get32(&r);
    /* Every message has part 1; the count must fit in what is left. */
    if (!n || n > r.left / SECTION_MIN_BYTES)
        r.bad = 1;
    if (!r.bad) {
        info->sections = xcalloc(n, sizeof(*info->sections));
        info->nsections = n;
        for (uint32_t i = 0; i < n && !r.bad; i++)
            get_section(&r, &info->sections[i], info->size);
    }
    if ((uint64_t)info->header_size + info->body_size != info->size ||
        info->body_lines > info->body_size || r.left)
        r.bad = 1;
    if (r.bad) {
        message_info_free(&info);
        return ERR_BADFORMAT;
    }
    *info_r = info;
    return ERR_OK;
}
