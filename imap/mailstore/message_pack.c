/* message_pack.c -- the compact forms cyrus.cache stores: varints, MIME
 * words by number, and BODYSTRUCTURE as byte codes.
 *
 * A BODYSTRUCTURE wire string is mostly punctuation, NIL and the same few
 * dozen words ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" ...).
 * Packed, each parenthesis, NIL, number and known word is one byte (a
 * number a few), and the spaces are implied, so a single-part message's
 * 70-byte BODYSTRUCTURE takes about 15.  Unpacking gives back exactly the
 * bytes that were packed.
 *
 * The word table below is part of the cache format (since version 3): its
 * entries may only ever be appended to, never changed or reordered.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/mailstore/message_private.h"

/* Byte codes of a packed wire value.  A space comes before every item
 * except the first of a list (or of the value); PK_NOSP before an item
 * drops it (the ")(" between the parts of a multipart). */
enum {
    PK_OPEN = 1,            /* ( */
    PK_CLOSE,               /* ) */
    PK_NIL,                 /* NIL */
    PK_NUM,                 /* varint: a number */
    PK_QUOTED,              /* varint n, n bytes: "..." */
    PK_LITERAL,             /* varint n, n bytes: {n}\r\n... */
    PK_NOSP,                /* no space before the next item */
    PK_RAW,                 /* first byte only: the rest is the wire value */
    PK_WORD = 0x10          /* PK_WORD + k: word k of the table, quoted */
};

/* Upper-case names are as message_body.c writes them; parameter values
 * are as mail carries them, so both spellings of common charsets. */
static const char *const words[] = {
    "TEXT", "PLAIN", "HTML", "CHARSET", "utf-8", "UTF-8", "us-ascii",
    "US-ASCII", "7BIT", "8BIT", "BASE64", "QUOTED-PRINTABLE", "MULTIPART",
    "ALTERNATIVE", "MIXED", "RELATED", "BOUNDARY", "APPLICATION",
    "OCTET-STREAM", "NAME", "FILENAME", "ATTACHMENT", "INLINE", "IMAGE",
    "JPEG", "PNG", "GIF", "PDF", "MESSAGE", "RFC822", "iso-8859-1",
    "ISO-8859-1", "windows-1252", "Windows-1252", "iso-8859-15",
    "ISO-8859-15", "FORMAT", "flowed", "DELSP", "yes", "no", "BINARY",
    "SIGNED", "PROTOCOL", "MICALG", "application/pgp-signature",
    "application/pkcs7-signature", "sha-256", "sha256", "sha1",
    "pgp-sha256", "pgp-sha1", "PGP-SIGNATURE", "PKCS7-SIGNATURE",
    "X-PKCS7-SIGNATURE", "REPORT", "REPORT-TYPE", "delivery-status",
    "DELIVERY-STATUS", "CALENDAR", "METHOD", "REQUEST", "REPLY", "MSWORD",
    "ZIP", "VND.OPENXMLFORMATS-OFFICEDOCUMENT.WORDPROCESSINGML.DOCUMENT",
    "VND.OPENXMLFORMATS-OFFICEDOCUMENT.SPREADSHEETML.SHEET",
    "VND.OPENXMLFORMATS-OFFICEDOCUMENT.PRESENTATIONML.PRESENTATION",
    "VND.MS-EXCEL", "VND.MS-POWERPOINT", "X-ZIP-COMPRESSED", "JSON", "XML",
    "CSV", "ICS", "ENRICHED", "RTF", "DIGEST", "PARALLEL", "PARTIAL",
    "EXTERNAL-BODY", "TYPE", "START", "SIZE", "CREATION-DATE",
    "MODIFICATION-DATE", "READ-DATE", "en", "en-US", "en-GB", "de", "fr",
    "AUDIO", "VIDEO", "MPEG", "MP4", "SVG+XML", "WEBP", "TIFF", "BMP",
    "koi8-r", "KOI8-R", "iso-2022-jp", "ISO-2022-JP", "shift_jis",
    "Shift_JIS", "gb2312", "GB2312", "gbk", "GBK", "big5", "Big5", "BIG5",
    "euc-kr", "EUC-KR", "windows-1251", "Windows-1251", "iso-8859-2",
    "ISO-8859-2", "utf8", "UTF8", "unknown-8bit", "X-UNKNOWN",
    "DISPOSITION-NOTIFICATION", "RFC822-HEADERS", "GLOBAL", "ENCRYPTED",
    "PGP-ENCRYPTED", "application/pgp-encrypted", "MS-TNEF", "X-MS-TNEF",
    "VND.MS-OUTLOOK", "X-VCARD", "VCARD", "X-PATCH", "X-DIFF", "ASC",
    "PGP-KEYS", "X-MSDOWNLOAD", "X-TAR", "GZIP", "X-GZIP", "X-RAR-COMPRESSED",
    "X-7Z-COMPRESSED", "MSEXCEL", "MSPOWERPOINT", "POSTSCRIPT", "CSS",
    "JAVASCRIPT", "X-SH", "X-PYTHON", "X-C", "reply-type", "REPLY-TYPE",
    "original", "CONTENT-ID", "x-mac-type", "x-unix-mode", "0644",
    "X-MAC-TYPE", "X-UNIX-MODE", "X-APPLE-PART-URL", "NOTIFICATION",
};

#define NWORDS (sizeof(words) / sizeof(words[0]))
_Static_assert(NWORDS <= 256 - PK_WORD, "word table too long");

int message_pack_word(const char *s, size_t len)
{
    for (size_t k = 0; k < NWORDS; k++)
        if (words[k][0] == s[0] && !strncmp(words[k], s, len) &&
            words[k][len] == '\0')
            return (int)k;
    return -1;
}

const char *message_pack_word_at(uint64_t k)
{
    return k < NWORDS ? words[k] : NULL;
}

void message_put_varint(struct buf *out, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;

    while (v >= 0x80) {
        b[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (unsigned char)v;
    buf_appendmap(out, b, n);
}

int message_get_varint(const unsigned char **pp, const unsigned char *end,
                       uint64_t *v_r)
{
    const unsigned char *p = *pp;
    uint64_t v = 0;

    for (unsigned shift = 0; shift < 64 && p < end; shift += 7) {
        unsigned char b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *v_r = v;
            return 1;
        }
    }
    return 0;
}

/* ---- packing ------------------------------------------------------------- */

/* One item at *pp (not a list): its code appended to out; 0 if it is not
 * one this packer can give back exactly. */
static int pack_item(const char **pp, const char *end, struct buf *out)
{
    const char *p = *pp, *s;
    uint64_t n = 0;

    if (*p == '"') {
        for (s = ++p; p < end && *p != '"'; p++)
            if (*p == '\\')
                return 0;       /* our writer never escapes */
        if (p >= end)
            return 0;
        int k = p > s ? message_pack_word(s, (size_t)(p - s)) : -1;
        if (k >= 0) {
            buf_putc(out, (char)(PK_WORD + k));
        } else {
            buf_putc(out, PK_QUOTED);
            message_put_varint(out, (uint64_t)(p - s));
            buf_appendmap(out, s, (size_t)(p - s));
        }
        *pp = p + 1;
        return 1;
    }
    if (*p == '{') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (n > (uint64_t)(end - p))
                return 0;
            n = n * 10 + (uint64_t)(*p - '0');
        }
        if (end - p < 3 || memcmp(p, "}\r\n", 3) ||
            n > (uint64_t)(end - p - 3))
            return 0;
        buf_putc(out, PK_LITERAL);
        message_put_varint(out, n);
        buf_appendmap(out, p + 3, (size_t)n);
        *pp = p + 3 + n;
        return 1;
    }
    if (end - p >= 3 && !memcmp(p, "NIL", 3) &&
        (end - p == 3 || p[3] == ' ' || p[3] == ')')) {
        buf_putc(out, PK_NIL);
        *pp = p + 3;
        return 1;
    }
    /* a number, written without leading zeros and below 2^32 */
    for (s = p; p < end && *p >= '0' && *p <= '9' && p - s < 10; p++)
        n = n * 10 + (uint64_t)(*p - '0');
    if (p == s || (*s == '0' && p - s > 1) || n > UINT32_MAX ||
        (p < end && *p != ' ' && *p != ')'))
        return 0;
    buf_putc(out, PK_NUM);
    message_put_varint(out, n);
    *pp = p;
    return 1;
}

static int pack(const char *p, const char *end, struct buf *out)
{
    int first = 1;              /* no space before the next item */
    int depth = 0;

    while (p < end) {
        if (*p == ')') {
            if (!depth-- || first == 2)
                return 0;
            buf_putc(out, PK_CLOSE);
            p++;
            first = 0;
            continue;
        }
        if (*p == ' ') {
            if (first)
                return 0;       /* a space where none is implied */
            p++;
            if (p >= end || *p == ' ' || *p == ')')
                return 0;
        } else if (!first) {
            buf_putc(out, PK_NOSP);
        }
        if (*p == '(') {
            buf_putc(out, PK_OPEN);
            p++;
            depth++;
            first = 2;          /* 2: "(" just written, ")" may not follow */
            continue;
        }
        if (!pack_item(&p, end, out))
            return 0;
        first = 0;
    }
    return depth == 0;
}

void message_pack_wire(struct buf *out, const char *wire, size_t len)
{
    size_t start = out->len;

    if (len && pack(wire, wire + len, out))
        return;
    /* not in the shape our writer makes: keep it as it is */
    buf_truncate(out, start);
    buf_putc(out, PK_RAW);
    buf_appendmap(out, wire, len);
}

/* ---- unpacking ----------------------------------------------------------- */

/* Bytes a stored string may hold (message.h): never a NUL (a wire string
 * is a C string); inside quotes only what the writer quotes, no CR, LF,
 * '"', '\\' or 8-bit byte (those went into a literal).  A corrupt entry
 * must not make a cut or broken BODYSTRUCTURE. */
static int wire_bytes_ok(const unsigned char *p, size_t n, int quoted)
{
    for (size_t i = 0; i < n; i++)
        if (!p[i] || (quoted && (p[i] == '\r' || p[i] == '\n' ||
                                 p[i] == '"' || p[i] == '\\' ||
                                 p[i] >= 0x80)))
            return 0;
    return 1;
}

int message_unpack_wire(const char *packed, size_t len, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)packed, *end = p + len;
    size_t start = out->len;
    int first = 1, nosp = 0;
    uint64_t depth = 0, n;

    if (len && *p == PK_RAW) {
        if (!wire_bytes_ok(p + 1, len - 1, 0))
            return ERR_BADFORMAT;
        buf_appendmap(out, p + 1, len - 1);
        return ERR_OK;
    }
    while (p < end) {
        unsigned char c = *p++;
        const char *w;

        if (c == PK_CLOSE) {
            if (!depth-- || nosp)
                goto bad;
            buf_putc(out, ')');
            first = 0;
            continue;
        }
        if (c == PK_NOSP) {
            if (first || nosp)
                goto bad;
            nosp = 1;
            continue;
        }
        if (!first && !nosp)
            buf_putc(out, ' ');
        first = nosp = 0;
        switch (c) {
        case PK_OPEN:
            buf_putc(out, '(');
            depth++;
            first = 1;
            break;
        case PK_NIL:
            buf_appendcstr(out, "NIL");
            break;
        case PK_NUM:
            if (!message_get_varint(&p, end, &n) || n > UINT32_MAX)
                goto bad;
            buf_appendu64(out, n);
            break;
        case PK_QUOTED:
        case PK_LITERAL:
            if (!message_get_varint(&p, end, &n) ||
                n > (uint64_t)(end - p) ||
                !wire_bytes_ok(p, (size_t)n, c == PK_QUOTED))
                goto bad;
            if (c == PK_QUOTED) {
                buf_putc(out, '"');
                buf_appendmap(out, p, (size_t)n);
                buf_putc(out, '"');
            } else {
                buf_putc(out, '{');
                buf_appendu64(out, n);
                buf_appendcstr(out, "}\r\n");
                buf_appendmap(out, p, (size_t)n);
            }
            p += n;
            break;
        default:
            if (c < PK_WORD || !(w = message_pack_word_at(c - PK_WORD)))
                goto bad;
            buf_putc(out, '"');
            buf_appendcstr(out, w);
            buf_putc(out, '"');
            break;
        }
    }
    if (depth || nosp || out->len == start)
        goto bad;
    return ERR_OK;
bad:
    buf_truncate(out, start);
    return ERR_BADFORMAT;
}
