/* index_preview.c -- the PREVIEW fetch item of RFC 8970: at most 256
 * characters of UTF-8 text a client shows under a message's subject.
 *
 * The text comes from the first text/plain part of the message (any
 * depth, in part order), else the first text/html part with its tags
 * taken out and the common entities undone; a message with neither has
 * the empty preview.  The part's transfer encoding and charset are undone
 * (charset_decode_body: the charsets SEARCH reads).  Quoted lines (">")
 * are left out, the text stops at a signature separator ("-- "), runs of
 * white space and control characters become one space, and invalid UTF-8
 * is dropped.
 *
 * The work is bounded whatever the message: at most PREVIEW_RAW_MAX
 * bytes of the part are read and decoded (enough for 256 characters of
 * base64 UTF-8 text behind a long HTML head), so the cost of a FETCH
 * PREVIEW of a large message is that of a small one.  cyrus.cache holds
 * the section table, so only those bytes of the message file are read.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/message.h"

#define PREVIEW_RAW_MAX 16384

/* The part the preview comes from, or NULL. */
static const struct message_section *preview_part(
    const struct message_info *info)
{
    const struct message_section *html = NULL;

    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *s = &info->sections[i];
        if (strcmp(s->type, "TEXT"))
            continue;
        if (!strcmp(s->subtype, "PLAIN"))
            return s;
        if (!strcmp(s->subtype, "HTML") && !html)
            html = s;
    }
    return html;
}

/* Undo an HTML entity at s (after '&'), appending what it stands for;
 * the bytes used, or 0 when it is none we know. */
static size_t html_entity(const char *s, size_t len, struct buf *out)
{
    static const struct {
        const char *name;
        const char *text;
    } names[] = { { "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" },
                  { "quot;", "\"" }, { "apos;", "'" }, { "nbsp;", " " } };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i].name);
        if (len >= n && !strncasecmp(s, names[i].name, n)) {
            buf_appendcstr(out, names[i].text);
            return n;
        }
    }
    return 0;
}

/* HTML to text: tags out (a tag is a line break for our purposes, the
 * contents of <style> and <script> go too), entities undone. */
static void html_to_text(const char *s, size_t len, struct buf *out)
{
    size_t i = 0;

    while (i < len) {
        if (s[i] == '<') {
            const char *end = memchr(s + i, '>', len - i);
            size_t taglen = end ? (size_t)(end - (s + i)) + 1 : len - i;
            int skip = taglen > 6 && (!strncasecmp(s + i, "<style", 6) ||
                                      !strncasecmp(s + i, "<script", 7));
            i += taglen;
            if (skip) {     /* to the closing tag */
                while (i < len && !(s[i] == '<' && i + 1 < len &&
                                    s[i + 1] == '/'))
                    i++;
            }
            buf_putc(out, '\n');
        } else if (s[i] == '&') {
            size_t n = html_entity(s + i + 1, len - i - 1, out);
            if (!n)
                buf_putc(out, '&');
            i += n + 1;
        } else {
            buf_putc(out, s[i++]);
        }
    }
}

/* Length of the valid UTF-8 character at s (1 to 4), or 0. */
static size_t utf8_char(const unsigned char *s, size_t len)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2
                               : (s[0] & 0xf0) == 0xe0 ? 3
                               : (s[0] & 0xf8) == 0xf0 ? 4 : 0;

    if (!n || n > len || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
        return 0;
    for (size_t k = 1; k < n; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* The lines of text, quoted ones and those after a signature separator
 * left out, white space folded, cut after PREVIEW_CHARS characters. */
static void preview_fold(const char *s, size_t len, struct buf *out)
{
    size_t chars = 0, i = 0;
    int space = 0;

    while (i < len && chars < INDEX_PREVIEW_CHARS) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t k = i, lead = i;

        while (lead < end && (s[lead] == ' ' || s[lead] == '\t'))
            lead++;
        if (end - i >= 3 && !strncmp(s + i, "-- ", 3) &&
            (end - i == 3 || (end - i == 4 && s[i + 3] == '\r')))
            break;
        if (lead < end && s[lead] == '>')
            k = end;                            /* a quoted line */
        while (k < end && chars < INDEX_PREVIEW_CHARS) {
            const unsigned char *u = (const unsigned char *)s + k;
            size_t n = utf8_char(u, end - k);
            if (!n) {
                k++;                            /* not UTF-8: dropped */
            } else if (*u <= ' ' || *u == 0x7f) {
                space = 1;
                k++;
            } else {
                if (space && out->len) {
                    buf_putc(out, ' ');
                    chars++;
                }
                space = 0;
                if (chars < INDEX_PREVIEW_CHARS) {
                    buf_appendmap(out, s + k, n);
                    chars++;
                }
                k += n;
            }
        }
        space = 1;                              /* the line end */
        i = end + 1;
    }
}

void index_preview(const struct message_info *info, const char *base,
                   size_t maplen, struct buf *out)
{
    const struct message_section *part = preview_part(info);
    struct buf text = BUF_INITIALIZER, plain = BUF_INITIALIZER;
    size_t off, len;

    if (!part || !base)
        return;
    off = part->body_offset < maplen ? part->body_offset : maplen;
    len = part->body_size < maplen - off ? part->body_size : maplen - off;
    if (len > PREVIEW_RAW_MAX)
        len = PREVIEW_RAW_MAX;
    charset_decode_body(base + off, len, part->encoding, part->charset,
                        &text);
    if (!strcmp(part->subtype, "HTML")) {
        html_to_text(text.s ? text.s : "", text.len, &plain);
        preview_fold(plain.s ? plain.s : "", plain.len, out);
    } else {
        preview_fold(text.s ? text.s : "", text.len, out);
    }
    buf_free(&text);
    buf_free(&plain);
}
