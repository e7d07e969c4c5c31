/* test_fuzz_found.c -- regressions for the bugs the libFuzzer targets
 * (tests/fuzz) found, one case per bug, each with the input the fuzzer
 * made (also kept in that target's seed corpus).
 *
 * Each input is placed so that its last byte is the last byte before an
 * unreadable page: a read past the end faults in any build, not only
 * under AddressSanitizer.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/message.h"
#include "tests/unit/harness.h"

struct guarded {
    char *map;
    size_t maplen;
    const char *data;
};

/* A copy of len bytes that ends right before a PROT_NONE page. */
static struct guarded guarded_copy(const void *bytes, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (len + page - 1) / page + 1;
    struct guarded g;

    g.maplen = pages * page;
    g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TEST_ASSERT(g.map != MAP_FAILED);
    TEST_ASSERT(mprotect(g.map + g.maplen - page, page, PROT_NONE) == 0);
    g.data = g.map + g.maplen - page - len;
    memcpy((char *)g.data, bytes, len);
    return g;
}

static void guarded_free(struct guarded *g)
{
    munmap(g->map, g->maplen);
}

/* fuzz_mailbox_header: the major version after the magic was read with
 * atoi(), which runs on past the data when it ends in digits (no "\n",
 * no CRC line).  mailbox_header_parse takes (data, len): it must stop. */
static void test_header_version_at_end_of_data(void)
{
    static const char *inputs[] = { "Chapar mailbox header 1",
                                    "Chapar mailbox header 11111111111" };
    struct mailbox mb;

    for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
        struct guarded g = guarded_copy(inputs[i], strlen(inputs[i]));
        memset(&mb, 0, sizeof(mb));
        TEST_ASSERT_INT(mailbox_header_parse(g.data, strlen(inputs[i]), &mb),
                        ERR_BADFORMAT);
        guarded_free(&g);
    }
}

/* fuzz_cache_decode: an entry whose In-Reply-To says "the end of
 * References" and whose References claims more bytes than the entry
 * holds.  The reader went bad, but the length was kept without the
 * bytes, and the check for a "<" in References searched NULL for that
 * many bytes (a crash, not ERR_BADFORMAT). */
static void test_cache_references_longer_than_entry(void)
{
    static const unsigned char entry[] = {
        MESSAGE_CACHE_VERSION,
        0, 0, 0, 0,                 /* size, header size, lines, date */
        0,                          /* packed BODYSTRUCTURE: none */
        MESSAGE_HDR__COUNT,
        0, 0, 0, 0, 0, 0, 0, 0,     /* Date .. Bcc absent */
        1,                          /* In-Reply-To: end of References */
        0,                          /* Message-ID absent */
        100,                        /* References: 49 bytes (not there) */
    };
    struct guarded g = guarded_copy(entry, sizeof(entry));
    struct message_cache_peek pk;
    struct message_info *info = (struct message_info *)1;

    TEST_ASSERT_INT(message_cache_peek(g.data, sizeof(entry), &pk),
                    ERR_BADFORMAT);
    TEST_ASSERT_INT(message_info_decode(g.data, sizeof(entry), &info),
                    ERR_BADFORMAT);
    TEST_ASSERT(info == NULL);
    info = (struct message_info *)1;
    TEST_ASSERT_INT(message_info_decode_wire(g.data, sizeof(entry), &info),
                    ERR_BADFORMAT);
    TEST_ASSERT(info == NULL);
    guarded_free(&g);
}

/* fuzz_cache_decode: a packed BODYSTRUCTURE whose quoted string holds a
 * NUL (or a '"', CR, LF, '\\', 8-bit byte) was unpacked as it was: the
 * C string info->bodystructure ended at the NUL (a cut BODYSTRUCTURE on
 * the wire), or the quotes broke.  The writer never makes such bytes
 * (message.h), so the entry is corrupt: ERR_BADFORMAT. */
static void test_cache_bad_bytes_in_quoted_string(void)
{
    static const char msg[] =
        "Subject: x\r\nContent-Type: text/plain; charset=x-weird\r\n\r\n"
        "body\r\n";
    static const char bad[] = { '\0', '"', '\r', '\n', '\\', (char)0xe9 };
    struct message_info *info = NULL, *back = NULL;
    struct buf enc = BUF_INITIALIZER, bs = BUF_INITIALIZER;
    struct message_cache_peek pk;
    char *at;

    TEST_ASSERT_INT(message_parse(msg, sizeof(msg) - 1, &info), ERR_OK);
    message_info_encode(info, &enc);
    TEST_ASSERT_INT(message_info_decode_wire(enc.s, enc.len, &back), ERR_OK);
    TEST_ASSERT_STR(back->bodystructure, info->bodystructure);
    message_info_free(&back);
    at = memmem(enc.s, enc.len, "x-weird", 7);
    TEST_ASSERT(at != NULL);
    for (size_t i = 0; i < sizeof(bad); i++) {
        struct guarded g;
        at[1] = bad[i];
        g = guarded_copy(enc.s, enc.len);
        back = (struct message_info *)1;
        TEST_ASSERT_INT(message_info_decode_wire(g.data, enc.len, &back),
                        ERR_BADFORMAT);
        TEST_ASSERT(back == NULL);
        TEST_ASSERT_INT(message_cache_peek(g.data, enc.len, &pk), ERR_OK);
        TEST_ASSERT_INT(message_cache_bodystructure(&pk, &bs), ERR_BADFORMAT);
        TEST_ASSERT_INT(bs.len, 0);
        guarded_free(&g);
    }
    message_info_free(&info);
    buf_free(&enc);
    buf_free(&bs);
}

/* fuzz_cache_decode (long run): a version-2 entry with an empty
 * BODYSTRUCTURE.  Unpacked into an empty buf, it reached
 * message_body_from_structure(NULL, 0), whose "bs + len" is undefined on
 * NULL (UBSan stops there; the sanitizer build of this test fails without
 * the fix).  Nothing is no BODYSTRUCTURE: ERR_BADFORMAT. */
static void test_body_from_empty_structure(void)
{
    struct buf out = BUF_INITIALIZER;

    TEST_ASSERT_INT(message_body_from_structure(NULL, 0, &out),
                    ERR_BADFORMAT);
    TEST_ASSERT_INT(out.len, 0);
    TEST_ASSERT_INT(message_body_from_structure("", 0, &out), ERR_BADFORMAT);
    TEST_ASSERT_INT(out.len, 0);
}

/* fuzz_mailbox_index: a record (with a right CRC) whose cache offset is
 * within 8 of 2^64.  mailbox_cache_entry checked "off + 8 > length",
 * which wraps, and read the entry before the map (a wild read; UBSan
 * stops at the pointer overflow, so the sanitizer build of this test
 * fails without the fix).  It is a corrupt record: ERR_BADFORMAT. */
static void test_cache_offset_wraps(void)
{
    const char *dir = test_path("mbox");
    char *ipath = strconcat(dir, "/", MAILBOX_INDEX_FILE, (char *)NULL);
    unsigned char hbuf[MAILBOX_INDEX_SIZE_MAX], rbuf[MAILBOX_INDEX_SIZE_MAX];
    struct index_header h;
    struct index_record rec;
    struct mailbox *mb = NULL;
    struct buf file = BUF_INITIALIZER;
    const char *data;
    size_t len;
    char *old;
    int fd;

    TEST_ASSERT_INT(mailbox_create("user.fuzz", dir, "0123", "", NULL, 1),
                    ERR_OK);
    TEST_ASSERT_INT(util_read_file(ipath, &old, &len), ERR_OK);
    TEST_ASSERT_INT(mailbox_index_header_decode((unsigned char *)old, len, &h),
                    ERR_OK);
    h.num_records = h.last_uid = 1;
    mailbox_index_header_encode(&h, hbuf);
    memset(&rec, 0, sizeof(rec));
    rec.uid = 1;
    rec.cache_offset = UINT64_MAX - 3;
    mailbox_index_record_encode(&rec, h.record_size, rbuf);
    buf_appendmap(&file, hbuf, h.header_size);
    buf_appendmap(&file, rbuf, h.record_size);
    fd = open(ipath, O_WRONLY | O_TRUNC);
    TEST_ASSERT(fd >= 0 && retry_write(fd, file.s, file.len) ==
                               (ssize_t)file.len);
    close(fd);

    TEST_ASSERT_INT(mailbox_open("user.fuzz", dir, MAILBOX_UNLOCKED, &mb),
                    ERR_OK);
    TEST_ASSERT_INT(mailbox_read_record(mb, 0, &rec), ERR_OK);
    TEST_ASSERT(rec.cache_offset == UINT64_MAX - 3);
    TEST_ASSERT_INT(mailbox_cache_entry(mb, &rec, &data, &len),
                    ERR_BADFORMAT);
    mailbox_close(&mb);
    free(old);
    free(ipath);
    buf_free(&file);
}

TEST_MAIN("fuzz_found",
          TEST_CASE(test_header_version_at_end_of_data),
          TEST_CASE(test_cache_references_longer_than_entry),
          TEST_CASE(test_cache_bad_bytes_in_quoted_string),
          TEST_CASE(test_body_from_empty_structure),
          TEST_CASE(test_cache_offset_wraps))
