/* fuzz_message.c -- libFuzzer target for the message parser
 * (imap/mailstore/message*.c): any bytes are a message.
 *
 * Each input is normalised (message_normalize, with and without
 * reject8bit) and both the raw and the normalised bytes are parsed
 * (message_parse accepts any bytes).  Checked beyond "no crash, no leak,
 * no overread" (the input is an exact-size heap copy):
 *   - message_parse always succeeds; the sizes add up and every section's
 *     ranges lie inside the message;
 *   - normalising is idempotent;
 *   - the cache record round-trips: message_info_encode, then
 *     message_info_decode_wire gives the same sizes, header values,
 *     sections, ENVELOPE, BODY and BODYSTRUCTURE, and encodes to the same
 *     bytes; message_cache_peek + message_cache_bodystructure /
 *     message_cache_envelope give the same wire strings, and
 *     message_cache_header_fields the same raw header lines;
 *   - BODY cut out of BODYSTRUCTURE is the parser's BODY;
 *   - every listed section is found again by message_find_section.
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_sections(const struct message_info *info, size_t len)
{
    CHECK(info->size == len);
    CHECK(info->header_size <= info->size);
    CHECK(info->body_size == info->size - info->header_size);
    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *s = &info->sections[i];
        size_t off, n;
        CHECK(s->spec && s->type && s->subtype && s->encoding);
        CHECK((uint64_t)s->header_offset + s->header_size <= len);
        CHECK((uint64_t)s->body_offset + s->body_size <= len);
        if (s->is_message) {
            CHECK((uint64_t)s->inner_header_offset + s->inner_header_size
                  <= len);
            CHECK((uint64_t)s->inner_body_offset + s->inner_body_size
                  <= len);
        }
        CHECK(message_section_lookup(info, s->spec) == s);
        CHECK(message_find_section(info, s->spec, &off, &n) == ERR_OK);
        CHECK(off == s->body_offset && n == s->body_size);
    }
}

static void check_same_info(const struct message_info *a,
                            const struct message_info *b)
{
    CHECK(a->size == b->size && a->header_size == b->header_size &&
          a->body_size == b->body_size && a->body_lines == b->body_lines &&
          a->sent_date == b->sent_date && a->nsections == b->nsections);
    for (int h = 0; h < MESSAGE_HDR__COUNT; h++)
        CHECK(same_str(a->headers[h], b->headers[h]));
    CHECK(same_str(a->envelope, b->envelope));
    CHECK(same_str(a->body, b->body));
    CHECK(same_str(a->bodystructure, b->bodystructure));
    for (size_t i = 0; i < a->nsections; i++) {
        const struct message_section *s = &a->sections[i],
                                     *t = &b->sections[i];
        CHECK(!strcmp(s->spec, t->spec) && !strcmp(s->type, t->type) &&
              !strcmp(s->subtype, t->subtype) &&
              !strcmp(s->encoding, t->encoding) &&
              same_str(s->charset, t->charset) &&
              s->header_offset == t->header_offset &&
              s->header_size == t->header_size &&
              s->body_offset == t->body_offset &&
              s->body_size == t->body_size && s->is_message == t->is_message);
    }
}

static void check_message(const char *msg, size_t len)
{
    struct message_info *info = NULL, *back = NULL;
    struct message_cache_peek pk;
    struct buf enc = BUF_INITIALIZER, enc2 = BUF_INITIALIZER,
               out = BUF_INITIALIZER, scratch = BUF_INITIALIZER;

    CHECK(message_parse(msg, len, &info) == ERR_OK);
    check_sections(info, len);
    CHECK(info->envelope && info->body && info->bodystructure);

    message_info_encode(info, &enc);
    CHECK(message_info_decode_wire(enc.s, enc.len, &back) == ERR_OK);
    check_same_info(info, back);
    message_info_encode(back, &enc2);
    CHECK(enc.len == enc2.len && !memcmp(enc.s, enc2.s, enc.len));

    CHECK(message_cache_peek(enc.s, enc.len, &pk) == ERR_OK);
    CHECK(pk.size == info->size && pk.header_size == info->header_size &&
          pk.body_lines == info->body_lines);
    CHECK(message_cache_bodystructure(&pk, &out) == ERR_OK);
    CHECK(!strcmp(buf_cstring(&out), info->bodystructure));
    buf_reset(&out);
    message_cache_envelope(&pk, &scratch, &out);
    CHECK(!strcmp(buf_cstring(&out), info->envelope));
    buf_reset(&out);
    /* the raw header lines come back byte for byte, or none were kept */
    if (info->header_fields) {
        CHECK(message_cache_header_fields(&pk, &out) == ERR_OK);
        CHECK(out.len == info->header_fields_len &&
              !memcmp(out.s, info->header_fields, out.len));
    } else {
        CHECK(message_cache_header_fields(&pk, &out) == ERR_NOTFOUND);
    }
    buf_reset(&out);
    CHECK(message_body_from_structure(info->bodystructure,
                                      strlen(info->bodystructure),
                                      &out) == ERR_OK);
    CHECK(!strcmp(buf_cstring(&out), info->body));

    message_info_free(&info);
    message_info_free(&back);
    buf_free(&enc);
    buf_free(&enc2);
    buf_free(&out);
    buf_free(&scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf norm = BUF_INITIALIZER, again = BUF_INITIALIZER,
               strict = BUF_INITIALIZER;
    const char *msg = (const char *)data;
    int r;

    (void)message_has_unix_from(msg, size);
    check_message(msg, size);

    CHECK(message_normalize(msg, size, 0, &norm) == ERR_OK);
    CHECK(message_normalize(norm.s ? norm.s : "", norm.len, 0, &again)
          == ERR_OK);
    CHECK(norm.len == again.len && !memcmp(norm.s, again.s, norm.len));
    r = message_normalize(msg, size, 1, &strict);
    CHECK(r == ERR_OK ? strict.len == norm.len && !memcmp(strict.s, norm.s,
                                                          norm.len)
                      : r == ERR_BADFORMAT && strict.len == 0);
    /* An exact-size copy, so that an overread is caught. */
    {
        char *copy = xmalloc(norm.len ? norm.len : 1);
        memcpy(copy, norm.s ? norm.s : "", norm.len);
        check_message(copy, norm.len);
        free(copy);
    }
    buf_free(&norm);
    buf_free(&again);
    buf_free(&strict);
    return 0;
}
