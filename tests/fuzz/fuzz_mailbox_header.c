/* fuzz_mailbox_header.c -- libFuzzer target for the cyrus.header reader
 * (mailbox_header_parse in imap/mailstore/mailbox_format.c): any bytes are
 * the file's contents.
 *
 * Each input is parsed as it is, and again with its last line replaced by
 * the right "crc" line, so that the fuzzer reaches the field parsing
 * without having to guess CRCs.  Checked beyond "no crash, no leak, no
 * overread" (exact-size heap buffers): a header that parses is written
 * back by mailbox_header_format and parses again into the same fields,
 * and that text formats to itself.
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void fields_free(struct mailbox *mb)
{
    free(mb->uniqueid);
    free(mb->quotaroot);
    free(mb->acl);
    strarray_fini(&mb->flagnames);
    memset(mb, 0, sizeof(*mb));
}

static void check_header(const char *data, size_t len)
{
    struct mailbox mb, again;
    struct buf text = BUF_INITIALIZER, text2 = BUF_INITIALIZER;
    char *copy = xmalloc(len ? len : 1);

    memcpy(copy, data, len);
    memset(&mb, 0, sizeof(mb));
    memset(&again, 0, sizeof(again));
    if (mailbox_header_parse(copy, len, &mb) == ERR_OK) {
        mailbox_header_format(&mb, &text);
        CHECK(mailbox_header_parse(text.s, text.len, &again) == ERR_OK);
        CHECK(same_str(mb.uniqueid, again.uniqueid) &&
              same_str(mb.quotaroot, again.quotaroot) &&
              same_str(mb.acl, again.acl) &&
              mb.flagnames.count == again.flagnames.count);
        for (size_t i = 0; i < mb.flagnames.count; i++)
            CHECK(!strcmp(mb.flagnames.data[i], again.flagnames.data[i]));
        mailbox_header_format(&again, &text2);
        CHECK(text.len == text2.len && !memcmp(text.s, text2.s, text.len));
    }
    fields_free(&mb);
    fields_free(&again);
    buf_free(&text);
    buf_free(&text2);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf fixed = BUF_INITIALIZER;
    const char *p = (const char *)data;
    size_t body = size;

    check_header(p, size);
    /* The same text with a right CRC line: cut a last "crc ..." line. */
    if (body && p[body - 1] == '\n')
        body--;
    while (body && p[body - 1] != '\n')
        body--;
    if (size - body < 4 || memcmp(p + body, "crc ", 4))
        body = size;
    buf_appendmap(&fixed, p, body);
    if (body && p[body - 1] != '\n')
        buf_putc(&fixed, '\n');
    buf_printf(&fixed, "crc %08x\n", util_crc32(0, fixed.s, fixed.len));
    check_header(fixed.s, fixed.len);
    buf_free(&fixed);
    return 0;
}
