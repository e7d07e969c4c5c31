/* fuzz_cache_decode.c -- libFuzzer target for the cyrus.cache record
 * decoders (imap/mailstore/message_cache.c, message_pack.c): any bytes
 * are a cache entry, as a damaged cyrus.cache could hold.
 *
 * Checked beyond "no crash, no leak, no overread" (the input is an
 * exact-size heap buffer):
 *   - message_info_decode: on success no wire strings, and every section
 *     lies inside the entry's own message size;
 *   - message_info_decode_wire: on success BODY is BODYSTRUCTURE cut, and
 *     the record encodes to bytes that decode and encode again to the
 *     same bytes;
 *   - message_cache_peek: on success message_cache_bodystructure,
 *     message_cache_envelope and message_cache_header_fields run on what
 *     it found (any verdict);
 *   - message_body_from_structure on the raw bytes (any verdict).
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/mailstore/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_decode(const char *p, size_t len)
{
    struct message_info *info = NULL;
    int r = message_info_decode(p, len, &info);

    if (r) {
        CHECK(r == ERR_BADFORMAT && !info);
        return;
    }
    CHECK(!info->envelope && !info->body && !info->bodystructure);
    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *s = &info->sections[i];
        CHECK(s->spec && s->type && s->subtype && s->encoding);
        CHECK((uint64_t)s->header_offset + s->header_size <= info->size);
        CHECK((uint64_t)s->body_offset + s->body_size <= info->size);
    }
    message_info_free(&info);
}

static void check_decode_wire(const char *p, size_t len)
{
    struct message_info *info = NULL, *again = NULL;
    struct buf body = BUF_INITIALIZER, enc = BUF_INITIALIZER,
               enc2 = BUF_INITIALIZER;
    int r = message_info_decode_wire(p, len, &info);

    if (r) {
        CHECK(r == ERR_BADFORMAT && !info);
        return;
    }
    CHECK(info->envelope && info->body && info->bodystructure);
    CHECK(message_body_from_structure(info->bodystructure,
                                      strlen(info->bodystructure),
                                      &body) == ERR_OK);
    CHECK(!strcmp(buf_cstring(&body), info->body));
    message_info_encode(info, &enc);
    CHECK(message_info_decode_wire(enc.s, enc.len, &again) == ERR_OK);
    message_info_encode(again, &enc2);
    CHECK(enc.len == enc2.len && !memcmp(enc.s, enc2.s, enc.len));
    message_info_free(&info);
    message_info_free(&again);
    buf_free(&body);
    buf_free(&enc);
    buf_free(&enc2);
}

static void check_peek(const char *p, size_t len)
{
    struct message_cache_peek pk;
    struct buf out = BUF_INITIALIZER, scratch = BUF_INITIALIZER;

    if (message_cache_peek(p, len, &pk) == ERR_OK) {
        size_t before = out.len;
        if (message_cache_bodystructure(&pk, &out))
            CHECK(out.len == before);       /* *out unchanged */
        message_cache_envelope(&pk, &scratch, &out);
        before = out.len;
        if (message_cache_header_fields(&pk, &out))
            CHECK(out.len == before);       /* *out unchanged */
    }
    buf_free(&out);
    buf_free(&scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct buf body = BUF_INITIALIZER;

    check_decode(p, size);
    check_decode_wire(p, size);
    check_peek(p, size);
    if (message_body_from_structure(p, size, &body))
        CHECK(body.len == 0);
    buf_free(&body);
    return 0;
}
