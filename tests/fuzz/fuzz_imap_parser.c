/* fuzz_imap_parser.c -- libFuzzer target for imap/imapd/imap_parser.c.
 *
 * The first input byte picks a set of limits (tiny ones reach every limit
 * path quickly); the rest is what a client sends.  It goes through a real
 * struct prot reading a memfd, and the parser is driven the way imapd
 * drives it: a continuation is granted or refused (imap_parser_reset), BAD
 * goes on, FATAL ends.  Checked beyond "no crash, no leak, no overread":
 *   - every read makes progress (at most 2 results per input byte + 2);
 *   - every OK command, written back with imap_parser_command_format(),
 *     parses again into the same command (a second parser, default limits).
 *
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers, see
 * tests/fuzz/fuzz.mk); run by tools/fuzz (minutes) and
 * tests/proto/test_fuzz.py (seconds), with the seed corpus
 * tests/fuzz/corpus_imap_parser.
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/prot.h"
#include "lib/util.h"
#include "imap/imapd/imap_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct imap_parser_limits profiles[] = {
    { 0, 0, 0, 0, 0, 0 },                       /* the defaults */
    { 64, 16, 24, 200, 2, 6 },                  /* tiny */
    { 512, 128, 300, 4096, 4, 40 },             /* small */
    { 1, 1, 1, 1, 1, 1 },                       /* minimal */
};

static int devnull = -1;

/* A prot reading exactly these bytes, then end of stream. */
static struct prot *prot_over(const void *bytes, size_t n, int *fd_r)
{
    int fd = memfd_create("imap-fuzz", 0);

    if (fd < 0 || retry_write(fd, bytes, n) != (ssize_t)n ||
        lseek(fd, 0, SEEK_SET) != 0)
        abort();
    *fd_r = fd;
    return prot_new(fd, devnull);
}

static void check_round_trip(const struct imap_parser_command *cmd)
{
    struct buf a = BUF_INITIALIZER, b = BUF_INITIALIZER;
    struct imap_parser_command *again = NULL;
    struct imap_parser *p;
    struct prot *in;
    int fd;

    imap_parser_command_format(cmd, &a);
    in = prot_over(a.s, a.len, &fd);
    p = imap_parser_new(in, NULL);
    if (imap_parser_read(p, &again) != IMAP_PARSER_OK)
        abort();
    imap_parser_command_format(again, &b);
    if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0)
        abort();
    imap_parser_command_free(&again);
    imap_parser_free(&p);
    prot_free(&in);
    close(fd);
    buf_free(&a);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct imap_parser *p;
    struct prot *in;
    size_t rounds = 0;
    int fd;

    if (size < 1)
        return 0;
    if (devnull < 0 && (devnull = open("/dev/null", O_WRONLY)) < 0)
        abort();
    in = prot_over(data + 1, size - 1, &fd);
    p = imap_parser_new(in, &profiles[data[0] % 4]);
    for (;;) {
        struct imap_parser_command *cmd = NULL;
        enum imap_parser_result r = imap_parser_read(p, &cmd);

        if (++rounds > 2 * size + 2)
            abort();                    /* no progress */
        if (r == IMAP_PARSER_FATAL)
            break;
        if (r == IMAP_PARSER_OK) {
            check_round_trip(cmd);
            imap_parser_command_free(&cmd);
        } else if (r == IMAP_PARSER_NEED_CONTINUATION) {
            prot_puts(in, "+ go ahead\r\n");
            if (imap_parser_literal_size(p) % 3 == 0)
                imap_parser_reset(p);
        }
    }
    imap_parser_free(&p);
    prot_free(&in);
    close(fd);
    return 0;
}
