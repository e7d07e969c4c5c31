/* message_check.c -- what every parse must satisfy, and helpers shared by
 * the message parser's unit tests (test_message.c, test_message_mime.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/message_private.h"
#include "tests/unit/harness.h"
#include "tests/unit/message_check.h"

/* The message under test, normalised; kept for range checks. */
struct buf msgbuf = BUF_INITIALIZER;

/* A string is well-formed IMAP: quoted strings closed, literals inside the
 * string, parentheses balanced. */
int imap_syntax_ok(const char *s)
{
    size_t len = strlen(s), i = 0;
    int depth = 0;

    while (i < len) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < len && s[i] != '"'; i++) {
                if (s[i] == '\r' || s[i] == '\n' || (s[i] & 0x80))
                    return 0;
                if (s[i] == '\\')
                    i++;
            }
            if (i >= len)
                return 0;
            i++;
        } else if (c == '{') {
            char *end;
            unsigned long n = strtoul(s + i + 1, &end, 10);
            if (*end != '}' || end[1] != '\r' || end[2] != '\n')
                return 0;
            i = (size_t)(end + 3 - s);
            if (n > len - i)
                return 0;
            i += n;
        } else {
            if (c == '(')
                depth++;
            else if (c == ')' && --depth < 0)
                return 0;
            else if (c == '\r' || c == '\n')
                return 0;
            i++;
        }
    }
    return depth == 0;
}

void assert_same_info(const struct message_info *a,
                             const struct message_info *b)
{
    TEST_ASSERT_INT(a->size, b->size);
    TEST_ASSERT_INT(a->header_size, b->header_size);
    TEST_ASSERT_INT(a->body_size, b->body_size);
    TEST_ASSERT_INT(a->body_lines, b->body_lines);
    TEST_ASSERT_INT(a->sent_date, b->sent_date);
    TEST_ASSERT(!a->message_id == !b->message_id);
    if (a->message_id)
        TEST_ASSERT_STR(a->message_id, b->message_id);
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++) {
        TEST_ASSERT(!a->headers[i] == !b->headers[i]);
        if (a->headers[i])
            TEST_ASSERT_STR(a->headers[i], b->headers[i]);
    }
    /* the raw header lines (version 4) round-trip byte for byte */
    TEST_ASSERT(!a->header_fields == !b->header_fields);
    if (a->header_fields)
        TEST_ASSERT_MEM(a->header_fields, a->header_fields_len,
                        b->header_fields, b->header_fields_len);
    TEST_ASSERT_STR(a->envelope, b->envelope);
    TEST_ASSERT_STR(a->body, b->body);
    TEST_ASSERT_STR(a->bodystructure, b->bodystructure);
    TEST_ASSERT_INT(a->nsections, b->nsections);
    for (size_t i = 0; i < a->nsections; i++) {
        const struct message_section *x = &a->sections[i], *y = &b->sections[i];
        TEST_ASSERT_STR(x->spec, y->spec);
        TEST_ASSERT_STR(x->type, y->type);
        TEST_ASSERT_STR(x->subtype, y->subtype);
        TEST_ASSERT_STR(x->encoding, y->encoding);
        TEST_ASSERT(!x->charset == !y->charset);
        if (x->charset)
            TEST_ASSERT_STR(x->charset, y->charset);
        TEST_ASSERT_INT(x->header_offset, y->header_offset);
        TEST_ASSERT_INT(x->header_size, y->header_size);
        TEST_ASSERT_INT(x->body_offset, y->body_offset);
        TEST_ASSERT_INT(x->body_size, y->body_size);
        TEST_ASSERT_INT(x->is_message, y->is_message);
        TEST_ASSERT_INT(x->inner_header_offset, y->inner_header_offset);
        TEST_ASSERT_INT(x->inner_header_size, y->inner_header_size);
        TEST_ASSERT_INT(x->inner_body_offset, y->inner_body_offset);
        TEST_ASSERT_INT(x->inner_body_size, y->inner_body_size);
    }
}

static int range_in(uint32_t off, uint32_t len, uint32_t size)
{
    return (uint64_t)off + len <= size;
}

/* What must hold for every parse of every input. */
void check_consistent(const struct message_info *info, size_t len)
{
    struct buf enc = BUF_INITIALIZER, enc2 = BUF_INITIALIZER;
    struct message_info *back;

    TEST_ASSERT_INT(info->size, len);
    TEST_ASSERT_INT((uint64_t)info->header_size + info->body_size, len);
    TEST_ASSERT(info->nsections >= 1);
    TEST_ASSERT_STR(info->sections[0].spec, "1");
    TEST_ASSERT(imap_syntax_ok(info->envelope));
    TEST_ASSERT(imap_syntax_ok(info->body));
    TEST_ASSERT(imap_syntax_ok(info->bodystructure));
    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *s = &info->sections[i];
        TEST_ASSERT(range_in(s->header_offset, s->header_size, info->size));
        TEST_ASSERT(range_in(s->body_offset, s->body_size, info->size));
        TEST_ASSERT(range_in(s->inner_header_offset, s->inner_header_size,
                             info->size));
        TEST_ASSERT(range_in(s->inner_body_offset, s->inner_body_size,
                             info->size));
        TEST_ASSERT(s->header_offset + s->header_size <= s->body_offset);
        /* the table is sorted: every spec is found by the lookup */
        TEST_ASSERT(message_section_lookup(info, s->spec) == s);
    }
    /* the BODYSTRUCTURE our writer made packs (is not kept whole) */
    message_pack_wire(&enc, info->bodystructure, strlen(info->bodystructure));
    TEST_ASSERT(enc.len < strlen(info->bodystructure));
    buf_reset(&enc);
    message_info_encode(info, &enc);
    /* the lean decode makes no wire strings */
    TEST_ASSERT_INT(message_info_decode(enc.s, enc.len, &back), ERR_OK);
    TEST_ASSERT(!back->envelope && !back->body && !back->bodystructure);
    TEST_ASSERT_INT(back->nsections, info->nsections);
    message_info_free(&back);
    TEST_ASSERT_INT(message_info_decode_wire(enc.s, enc.len, &back), ERR_OK);
    assert_same_info(info, back);
    message_info_encode(back, &enc2);
    TEST_ASSERT_MEM(enc.s, enc.len, enc2.s, enc2.len);
    message_info_free(&back);
    TEST_ASSERT(back == NULL);
    buf_free(&enc);
    buf_free(&enc2);
}

/* Normalise text written with \n line ends into msgbuf and parse it. */
struct message_info *parse_text(const char *text)
{
    struct message_info *info;

    TEST_ASSERT_INT(message_normalize(text, strlen(text), 0, &msgbuf), ERR_OK);
    TEST_ASSERT_INT(message_parse(msgbuf.s, msgbuf.len, &info), ERR_OK);
    check_consistent(info, msgbuf.len);
    return info;
}

/* The bytes of BODY[spec] of the message in msgbuf, as a fresh string. */
char *section_text(const struct message_info *info, const char *spec)
{
    size_t off, len;
    int r = message_find_section(info, spec, &off, &len);
    if (r)
        test_fail(__FILE__, __LINE__, "section %s: error %d", spec, r);
    TEST_ASSERT(off + len <= msgbuf.len);
    return xstrndup(msgbuf.s + off, len);
}

void assert_section_error(const struct message_info *info,
                                 const char *spec, int err)
{
    size_t off, len;
    TEST_ASSERT_INT(message_find_section(info, spec, &off, &len), err);
}
