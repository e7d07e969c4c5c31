/* charset.c -- transfer encodings, RFC 2047 words, charsets to UTF-8 and
 * the case-folded search form; see charset.h.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/charset.h"

#define REPLACEMENT 0xFFFD

static const struct {
    const char *name;
    int id;
} charset_names[] = {
    { "us-ascii", CHARSET_US_ASCII },
    { "ascii", CHARSET_US_ASCII },
    { "ansi_x3.4-1968", CHARSET_US_ASCII },
    { "utf-8", CHARSET_UTF8 },
    { "utf8", CHARSET_UTF8 },
    { "iso-8859-1", CHARSET_ISO_8859_1 },
    { "iso8859-1", CHARSET_ISO_8859_1 },
    { "iso_8859-1", CHARSET_ISO_8859_1 },
    { "latin1", CHARSET_ISO_8859_1 },
    { "l1", CHARSET_ISO_8859_1 },
    { "windows-1252", CHARSET_WINDOWS_1252 },
    { "cp1252", CHARSET_WINDOWS_1252 },
};

/* windows-1252 0x80..0x9F (0: unassigned). */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

int charset_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(charset_names) / sizeof(charset_names[0]);
         i++) {
        if (strlen(charset_names[i].name) == len &&
            !strncasecmp(charset_names[i].name, name, len))
            return charset_names[i].id;
    }
    return charset_iconv_lookup(name, len);
}

/* c as UTF-8 in b; the number of bytes. */
static size_t utf8_encode(uint32_t c, char b[4])
{
    if (c < 0x80) {
        b[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        b[0] = (char)(0xC0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        b[0] = (char)(0xE0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (c >> 18));
    b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static void put_utf8(struct buf *out, uint32_t c)
{
    char b[4];

    buf_appendmap(out, b, utf8_encode(c, b));
}

/* One code point from UTF-8 at s[*i..len); invalid or truncated sequences
 * (overlong forms, surrogates, > U+10FFFF) give REPLACEMENT and skip one
 * byte. */
static uint32_t get_utf8(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp, min;
    size_t n;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        (*i)++;
        return REPLACEMENT;
    }
    if (*i + n >= len) {
        (*i)++;
        return REPLACEMENT;
    }
    for (size_t k = 1; k <= n; k++) {
        if ((s[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return REPLACEMENT;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        (*i)++;
        return REPLACEMENT;
    }
    *i += n + 1;
    return cp;
}

/* The number of leading bytes below 0x80 in s[0..len). */
static size_t ascii_run(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            break;
        i += 8;
    }
    while (i < len && s[i] < 0x80)
        i++;
    return i;
}

void charset_to_utf8(int cs, const char *s, size_t len, struct buf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    if (cs >= CHARSET_ICONV) {
        charset_iconv_to_utf8(cs, s, len, out);
        return;
    }
    buf_ensure(out, len);
    while (i < len) {
        unsigned char c = u[i];
        if (c < 0x80) {
            size_t run = ascii_run(u + i, len - i);
            buf_appendmap(out, s + i, run);
            i += run;
            continue;
        }
        switch (cs) {
        case CHARSET_UTF8:
            put_utf8(out, get_utf8(u, len, &i));
            continue;
        case CHARSET_ISO_8859_1:
            put_utf8(out, c);
            break;
        case CHARSET_WINDOWS_1252:
            put_utf8(out, c >= 0xA0 ? c
                          : cp1252_high[c - 0x80] ? cp1252_high[c - 0x80]
                                                  : REPLACEMENT);
            break;
        default:
            put_utf8(out, REPLACEMENT);
            break;
        }
        i++;
    }
}

/* ---- transfer encodings ------------------------------------------------- */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

void charset_decode_qp(const char *s, size_t len, int header, struct buf *out)
{
    size_t i = 0;

    buf_ensure(out, len);
    while (i < len) {
        char c = s[i];
        if (c == '_' && header) {
            buf_putc(out, ' ');
            i++;
        } else if (c != '=') {
            size_t k = i + 1;
            while (k < len && s[k] != '=' && !(header && s[k] == '_'))
                k++;
            buf_appendmap(out, s + i, k - i);
            i = k;
        } else if (i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            buf_putc(out, (char)(hexval((unsigned char)s[i + 1]) * 16 +
                                 hexval((unsigned char)s[i + 2])));
            i += 3;
        } else {
            /* A soft line break: "=" then optional white space, then the
             * line end (or the end of the text). */
            size_t k = i + 1;
            while (k < len && (s[k] == ' ' || s[k] == '\t'))
                k++;
            if (k == len || s[k] == '\n' || (s[k] == '\r' && k + 1 < len &&
                                              s[k + 1] == '\n')) {
                i = k == len ? len : k + (s[k] == '\r' ? 2 : 1);
            } else {
                buf_putc(out, '=');
                i++;
            }
        }
    }
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

void charset_decode_base64(const char *s, size_t len, struct buf *out)
{
    uint32_t acc = 0;
    int bits = 0;

    char *o;

    buf_ensure(out, len / 4 * 3 + 3);
    o = out->s + out->len;
    for (size_t i = 0; i < len; i++) {
        int v;
        if (s[i] == '=')
            break;
        if ((v = b64val((unsigned char)s[i])) < 0)
            continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)((acc >> bits) & 0xFF);
        }
    }
    out->len = (size_t)(o - out->s);
}

/* The charset a body part is read in. */
static int body_charset(const char *charset)
{
    int cs = charset ? charset_lookup(charset, strlen(charset))
                     : CHARSET_US_ASCII;

    /* Unlabelled 8-bit text is far more often Latin-1 than anything. */
    return cs == CHARSET_US_ASCII ? CHARSET_WINDOWS_1252 : cs;
}

void charset_decode_body(const char *s, size_t len, const char *encoding,
                         const char *charset, struct buf *out)
{
    struct buf raw = BUF_INITIALIZER;
    int cs = body_charset(charset);

    if (encoding && !strcasecmp(encoding, "BASE64")) {
        charset_decode_base64(s, len, &raw);
        charset_to_utf8(cs, raw.s, raw.len, out);
    } else if (encoding && !strcasecmp(encoding, "QUOTED-PRINTABLE")) {
        charset_decode_qp(s, len, 0, &raw);
        charset_to_utf8(cs, raw.s, raw.len, out);
    } else {
        charset_to_utf8(cs, s, len, out);
    }
    buf_free(&raw);
}

/* ---- RFC 2047 ----------------------------------------------------------- */

/* Longest encoded word we decode (RFC 2047 says 75; mail is sloppier).
 * Bounding it keeps a hostile header linear. */
#define WORD_MAX 1024
#define CHARSET_NAME_MAX 64

/* An encoded word "=?charset?X?text?=" at s[0..len); its length, or 0.
 * The decoded UTF-8 is appended to out only when it is one we can read. */
static size_t encoded_word(const char *s, size_t len, struct buf *out)
{
    const char *cs, *enc, *text, *end, *star;
    struct buf raw = BUF_INITIALIZER;
    int id;

    if (len > WORD_MAX)
        len = WORD_MAX;
    if (len < 8 || s[0] != '=' || s[1] != '?')
        return 0;
    cs = s + 2;
    enc = memchr(cs, '?', len - 2 < CHARSET_NAME_MAX ? len - 2
                                                     : CHARSET_NAME_MAX);
    if (!enc || enc == cs || (size_t)(enc - s) + 3 >= len || enc[2] != '?')
        return 0;
    text = enc + 3;
    for (end = text; end + 1 < s + len; end++) {
        if (end[0] == '?' && end[1] == '=')
            break;
        if (end[0] == ' ' || end[0] == '\t' || end[0] == '\r' ||
            end[0] == '\n')
            return 0;
    }
    if (end + 1 >= s + len)
        return 0;
    /* RFC 2231 allows "charset*language". */
    star = memchr(cs, '*', (size_t)(enc - cs));
    id = charset_lookup(cs, (size_t)((star ? star : enc) - cs));
    if (id == CHARSET_UNKNOWN)
        return 0;
    if (enc[1] == 'B' || enc[1] == 'b')
        charset_decode_base64(text, (size_t)(end - text), &raw);
    else if (enc[1] == 'Q' || enc[1] == 'q')
        charset_decode_qp(text, (size_t)(end - text), 1, &raw);
    else
        return 0;
    charset_to_utf8(id, raw.s, raw.len, out);
    buf_free(&raw);
    return (size_t)(end + 2 - s);
}

static int only_white(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r' && s[k] != '\n')
            return 0;
    return 1;
}

void charset_decode_header(const char *s, size_t len, struct buf *out)
{
    struct buf word = BUF_INITIALIZER;
    size_t i = 0, plain = 0;
    int after_word = 0;

    while (i < len) {
        size_t n;
        if (s[i] != '=' || i + 1 >= len || s[i + 1] != '?') {
            i++;
            continue;
        }
        buf_reset(&word);
        if (!(n = encoded_word(s + i, len - i, &word))) {
            i++;
            continue;
        }
        /* White space alone between two encoded words is dropped. */
        if (!after_word || !only_white(s + plain, i - plain))
            charset_to_utf8(CHARSET_UTF8, s + plain, i - plain, out);
        buf_appendbuf(out, &word);
        i += n;
        plain = i;
        after_word = 1;
    }
    charset_to_utf8(CHARSET_UTF8, s + plain, len - plain, out);
    buf_free(&word);
}

/* ---- search form -------------------------------------------------------- */

static uint32_t fold(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130)
            return 'i';
        if (c == 0x178)
            return 0xFF;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (c & 1) ? c + 1 : c;
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F)
            return c;
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

void charset_search_form(const char *s, size_t len, struct buf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    int space = 0;

    buf_ensure(out, len);
    while (i < len) {
        uint32_t c = get_utf8(u, len, &i);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = 1;
            continue;
        }
        if (space) {
            buf_putc(out, ' ');
            space = 0;
        }
        put_utf8(out, fold(c));
    }
    if (space)
        buf_putc(out, ' ');
}

int charset_search_match(const char *hay, size_t hlen, const char *needle,
                         size_t nlen)
{
    if (!nlen)
        return 1;
    return hlen >= nlen && memmem(hay, hlen, needle, nlen) != NULL;
}

/* ---- streaming search --------------------------------------------------- */

/* The matcher below gives the same answer as charset_to_utf8() (or
 * charset_decode_body()), then charset_search_form(), then
 * charset_search_match(), without building either copy: it looks for the
 * bytes that can begin the needle's first character (memchr on each, or a
 * word-at-a-time scan for non-ASCII bytes) and at each one decodes,
 * folds and compares in step with the needle.  A space in the needle
 * takes a whole run of white space.  Text is read in the caller's charset;
 * every byte that is not a UTF-8 continuation byte starts a character
 * when UTF-8 is decoded from the start, so starting at such a byte is the
 * same as decoding from the beginning.  A key of ASCII without spaces, the
 * usual case, takes a shorter way (scan_ascii). */

/* How rare c is in mail text, roughly: letters by English frequency,
 * then everything else. */
static int char_rank(unsigned char c)
{
    static const char common[] = " etaoinsrhldcumfpgwybvkxjqz";
    const char *p = c ? strchr(common, c) : NULL;

    return p ? (int)(p - common) : 12;
}

void charset_needle_init(struct charset_needle *n, const char *form,
                         size_t len)
{
    size_t i = 0;

    n->s = xmalloc(len + 1);
    memcpy(n->s, form, len);
    n->s[len] = '\0';
    n->len = len;
    n->first = len ? get_utf8((const unsigned char *)form, len, &i) : 0;
    n->ascii = len > 0;
    n->has_i = memchr(form, 'i', len) != NULL;
    for (i = 0; i < len; i++)
        if ((unsigned char)form[i] >= 0x80 || form[i] == ' ')
            n->ascii = 0;
    n->anchor = 0;
    for (i = 1; i < len; i++)
        if (char_rank((unsigned char)form[i]) >
            char_rank((unsigned char)form[n->anchor]))
            n->anchor = i;
}

void charset_needle_free(struct charset_needle *n)
{
    free(n->s);
    n->s = NULL;
    n->len = 0;
}

static int is_white(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One character of text in charset cs at u[*i], as charset_to_utf8 reads
 * it. */
static uint32_t next_char(int cs, const unsigned char *u, size_t len,
                          size_t *i)
{
    unsigned char c = u[*i];

    if (c < 0x80 || cs == CHARSET_ISO_8859_1) {
        (*i)++;
        return c;
    }
    if (cs == CHARSET_UTF8)
        return get_utf8(u, len, i);
    (*i)++;
    if (cs == CHARSET_WINDOWS_1252)
        return c >= 0xA0 ? c : cp1252_high[c - 0x80] ? cp1252_high[c - 0x80]
                                                      : REPLACEMENT;
    return REPLACEMENT;
}

/* Does the needle match the text starting at u[pos]? */
static int match_at(const struct charset_needle *n, int cs,
                    const unsigned char *u, size_t len, size_t pos)
{
    const unsigned char *k = (const unsigned char *)n->s;
    const unsigned char *kend = k + n->len;
    size_t i = pos;

    while (k < kend) {
        uint32_t c;
        if (i >= len)
            return 0;
        if (*k == ' ') {
            if (!is_white(u[i]))
                return 0;
            while (i < len && is_white(u[i]))
                i++;
            k++;
            continue;
        }
        if (u[i] < 0x80) {
            c = u[i++];
            if (c >= 'A' && c <= 'Z')
                c += 32;
            if (c != *k++)
                return 0;
            continue;
        }
        c = fold(next_char(cs, u, len, &i));
        if (c < 0x80) {
            if (c != *k++)
                return 0;
        } else {
            char b[4];
            size_t bl = utf8_encode(c, b);
            if ((size_t)(kend - k) < bl || memcmp(k, b, bl))
                return 0;
            k += bl;
        }
    }
    return 1;
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* The first match at or after one of the bytes in cand[0..ncand). */
static int scan_bytes(const struct charset_needle *n, int cs,
                      const unsigned char *u, size_t len,
                      const unsigned char *cand, size_t ncand)
{
    const unsigned char *next[4], *end = u + len;
    /* After an ASCII first character, an ASCII second one that is not a
     * space is checked here before the full comparison. */
    unsigned char second = n->len > 1 && n->s[0] != ' ' &&
                                   (unsigned char)n->s[0] < 0x80 &&
                                   (unsigned char)n->s[1] < 0x80 &&
                                   n->s[1] != ' '
                               ? (unsigned char)n->s[1]
                               : 0;

    for (size_t j = 0; j < ncand; j++)
        next[j] = memchr(u, cand[j], len);
    for (;;) {
        size_t best = ncand;
        const unsigned char *p;
        for (size_t j = 0; j < ncand; j++)
            if (next[j] && (best == ncand || next[j] < next[best]))
                best = j;
        if (best == ncand)
            return 0;
        p = next[best];
        if (!(second && *p < 0x80 && p + 1 < end && p[1] < 0x80 &&
              ascii_lower(p[1]) != second) &&
            match_at(n, cs, u, len, (size_t)(p - u)))
            return 1;
        next[best] = memchr(next[best] + 1, cand[best],
                            (size_t)(end - next[best] - 1));
    }
}

/* The first match at a non-ASCII byte (a UTF-8 lead byte in UTF-8). */
static int scan_high(const struct charset_needle *n, int cs,
                     const unsigned char *u, size_t len)
{
    size_t i = 0;

    while (i < len) {
        i += ascii_run(u + i, len - i);
        if (i >= len)
            break;
        if ((cs != CHARSET_UTF8 || u[i] >= 0xC0) && match_at(n, cs, u, len, i))
            return 1;
        i++;
    }
    return 0;
}

/* The plain way, for a needle that starts with U+FFFD (which a stray
 * continuation byte also decodes to). */
static int search_slow(const struct charset_needle *n, int cs, const char *s,
                       size_t len)
{
    struct buf utf8 = BUF_INITIALIZER, form = BUF_INITIALIZER;
    int found;

    charset_to_utf8(cs, s, len, &utf8);
    charset_search_form(utf8.s ? utf8.s : "", utf8.len, &form);
    found = charset_search_match(form.s ? form.s : "", form.len, n->s,
                                 n->len);
    buf_free(&utf8);
    buf_free(&form);
    return found;
}

/* An ASCII needle without spaces matches exactly where the raw bytes equal
 * it but for case: no other byte decodes and folds to ASCII, save U+0130
 * (dealt with by the caller), and white space cannot be part of a match.
 * So look (memchr, both cases) for its rarest letter, at n->anchor, and
 * compare the whole needle around each one found. */
static int scan_ascii(const struct charset_needle *n, const unsigned char *u,
                      size_t len)
{
    const unsigned char *k = (const unsigned char *)n->s;
    const unsigned char *next[2], *end = u + len;
    unsigned char cand[2];
    size_t m = n->len, a = n->anchor, ncand = 1;

    if (len < m)
        return 0;
    cand[0] = k[a];
    if (k[a] >= 'a' && k[a] <= 'z')
        cand[ncand++] = (unsigned char)(k[a] - 32);
    /* the anchor can only be at [a, len - m + a] */
    for (size_t j = 0; j < ncand; j++)
        next[j] = memchr(u + a, cand[j], len - m + 1);
    for (;;) {
        size_t best = ncand, i = 0;
        const unsigned char *start;
        for (size_t j = 0; j < ncand; j++)
            if (next[j] && (best == ncand || next[j] < next[best]))
                best = j;
        if (best == ncand)
            return 0;
        start = next[best] - a;
        while (i < m && ascii_lower(start[i]) == k[i])
            i++;
        if (i == m)
            return 1;
        next[best] = memchr(next[best] + 1, cand[best],
                            (size_t)(end - (m - a - 1) - (next[best] + 1)));
    }
}

int charset_search_text(const struct charset_needle *n, int cs,
                        const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char cand[4];
    size_t ncand = 0;
    uint32_t f = n->first;

    if (!n->len)
        return 1;
    if (!len)
        return 0;
    if (cs >= CHARSET_ICONV) {
        /* ASCII bytes may not be ASCII here (UTF-16, ISO-2022-JP): match
         * on the converted text. */
        struct buf utf8 = BUF_INITIALIZER;
        int found;
        charset_iconv_to_utf8(cs, s, len, &utf8);
        found = charset_search_text(n, CHARSET_UTF8, utf8.s ? utf8.s : "",
                                    utf8.len);
        buf_free(&utf8);
        return found;
    }
    if (n->ascii &&
        (cs != CHARSET_UTF8 || !n->has_i || !memchr(s, 0xC4, len)))
        return scan_ascii(n, u, len);
    if (f == REPLACEMENT)
        return search_slow(n, cs, s, len);
    if (f >= 0x80)
        return scan_high(n, cs, u, len);
    if (f == ' ') {
        memcpy(cand, " \t\r\n", 4);
        ncand = 4;
    } else {
        cand[ncand++] = (unsigned char)f;
        if (f >= 'a' && f <= 'z')
            cand[ncand++] = (unsigned char)(f - 32);
        if (f == 'i' && cs == CHARSET_UTF8)
            cand[ncand++] = 0xC4;       /* U+0130 folds to "i" */
    }
    return scan_bytes(n, cs, u, len, cand, ncand);
}

int charset_search_body(const struct charset_needle *n, const char *s,
                        size_t len, const char *encoding, const char *charset,
                        struct buf *scratch)
{
    int cs = body_charset(charset);

    if (encoding && !strcasecmp(encoding, "BASE64")) {
        buf_reset(scratch);
        charset_decode_base64(s, len, scratch);
    } else if (encoding && !strcasecmp(encoding, "QUOTED-PRINTABLE")) {
        buf_reset(scratch);
        charset_decode_qp(s, len, 0, scratch);
    } else {
        return charset_search_text(n, cs, s, len);
    }
    return charset_search_text(n, cs, scratch->s ? scratch->s : "",
                               scratch->len);
}

int charset_search_header(const struct charset_needle *n, const char *s,
                          size_t len, struct buf *scratch)
{
    if (!memmem(s, len, "=?", 2))
        return charset_search_text(n, CHARSET_UTF8, s, len);
    buf_reset(scratch);
    charset_decode_header(s, len, scratch);
    return charset_search_text(n, CHARSET_UTF8,
                               scratch->s ? scratch->s : "", scratch->len);
}
