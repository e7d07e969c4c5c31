/* test_deflate.c -- the COMPRESS=DEFLATE layer of prot: round trips, the
 * flush after each write, a peer's stream split anywhere, bounded
 * decoding, bad input, the end of the peer's stream, and the switch
 * (buffered input dropped, a second start refused).  The peer side is
 * either another prot with the layer or zlib used directly. */
#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/buf.h"
#include "lib/deflate.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/util.h"
#include "tests/unit/harness.h"

/* ---- helpers --------------------------------------------------------------- */

static void make_pair(int sv[2])
{
    TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
}

static void put(int fd, const void *data, size_t n)
{
    TEST_ASSERT(retry_write(fd, data, n) == (ssize_t)n);
}

/* A prot on fd with the layer on, and a read timeout so a bug cannot
 * hang the case. */
static struct prot *compressed_prot(int fd)
{
    struct prot *p = prot_new(fd, fd);
    struct buf err = BUF_INITIALIZER;

    prot_set_timeout(p, 5);
    TEST_ASSERT_INT(deflate_start(p, &err), ERR_OK);
    TEST_ASSERT(deflate_active(p));
    buf_free(&err);
    return p;
}

/* The next line read from p is `want`. */
static void expect_line(struct prot *p, const char *want)
{
    struct buf line = BUF_INITIALIZER;

    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), want);
    buf_free(&line);
}

static void close_pair(int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

/* A peer compressing with zlib itself (raw DEFLATE). */
static void peer_init(z_stream *z)
{
    memset(z, 0, sizeof(*z));
    TEST_ASSERT_INT(deflateInit2(z, 6, Z_DEFLATED, -15, 8,
                                 Z_DEFAULT_STRATEGY), Z_OK);
}

static void peer_compress(z_stream *z, const char *s, size_t n, int flush,
                          struct buf *out)
{
    unsigned char tmp[4096];

    z->next_in = (unsigned char *)(uintptr_t)s;
    z->avail_in = (uInt)n;
    do {
        z->next_out = tmp;
        z->avail_out = sizeof(tmp);
        TEST_ASSERT(deflate(z, flush) != Z_STREAM_ERROR);
        buf_appendmap(out, (char *)tmp, sizeof(tmp) - z->avail_out);
    } while (z->avail_out == 0);
}

/* Raw-inflate all of in (what a peer received) into out. */
static void peer_decompress(const struct buf *in, struct buf *out)
{
    z_stream z;
    unsigned char tmp[4096];
    int zr;

    memset(&z, 0, sizeof(z));
    TEST_ASSERT_INT(inflateInit2(&z, -15), Z_OK);
    z.next_in = (unsigned char *)in->s;
    z.avail_in = (uInt)in->len;
    do {
        z.next_out = tmp;
        z.avail_out = sizeof(tmp);
        zr = inflate(&z, Z_SYNC_FLUSH);
        TEST_ASSERT(zr == Z_OK || zr == Z_BUF_ERROR);
        buf_appendmap(out, (char *)tmp, sizeof(tmp) - z.avail_out);
    } while (z.avail_out == 0);
    TEST_ASSERT_INT(z.avail_in, 0);
    inflateEnd(&z);
}

/* Everything readable on fd within 200 ms of quiet. */
static void drain(int fd, struct buf *b)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    char tmp[65536];

    while (poll(&pfd, 1, 200) > 0) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n <= 0)
            break;
        buf_appendmap(b, tmp, (size_t)n);
    }
}

static struct buf logged = BUF_INITIALIZER;

static void capture(int prio, const char *msg, void *rock)
{
    (void)prio;
    (void)rock;
    buf_appendcstr(&logged, msg);
    buf_appendcstr(&logged, "\n");
}

/* Text that compresses (an IMAP-like response) of about n bytes. */
static void sample_text(struct buf *b, size_t n)
{
    for (unsigned i = 0; b->len < n; i++)
        buf_printf(b, "* %u FETCH (UID %u FLAGS (\\Seen) RFC822.SIZE %u)\r\n",
                   i + 1, i * 7 + 3, (i * 7919) % 100000);
}

/* ---- cases ----------------------------------------------------------------- */

/* Lines and a big block both ways between two layered prots; the wire
 * carries raw DEFLATE, smaller than the text. */
static void test_round_trip(void)
{
    int sv[2];
    struct buf text = BUF_INITIALIZER;
    struct buf got = BUF_INITIALIZER;
    struct prot *a, *b;

    make_pair(sv);
    a = compressed_prot(sv[0]);
    b = compressed_prot(sv[1]);
    sample_text(&text, 200000);
    prot_puts(a, "a1 LOGIN bob secret\r\n");
    TEST_ASSERT_INT(prot_write(a, text.s, text.len), ERR_OK);
    TEST_ASSERT_INT(prot_flush(a), ERR_OK);
    expect_line(b, "a1 LOGIN bob secret");
    TEST_ASSERT_INT(prot_read_exact(b, text.len, &got), ERR_OK);
    TEST_ASSERT_MEM(got.s, got.len, text.s, text.len);
    prot_puts(b, "a1 OK done\r\n");
    prot_flush(b);
    expect_line(a, "a1 OK done");
    TEST_ASSERT_INT(prot_input_pending(b), 0);
    prot_free(&a);
    prot_free(&b);
    close_pair(sv);
    buf_free(&text);
    buf_free(&got);
}

/* Each flush is decodable by the peer at once (Z_SYNC_FLUSH): the bytes
 * on the wire after one short response inflate to exactly it, and the
 * 200 kB of text take far fewer bytes. */
static void test_flush_is_complete(void)
{
    int sv[2];
    struct buf wire = BUF_INITIALIZER, plain = BUF_INITIALIZER;
    struct buf text = BUF_INITIALIZER;
    struct prot *a;

    make_pair(sv);
    a = compressed_prot(sv[0]);
    prot_puts(a, "* OK short\r\n");
    prot_flush(a);
    drain(sv[1], &wire);
    peer_decompress(&wire, &plain);
    TEST_ASSERT_STR(buf_cstring(&plain), "* OK short\r\n");
    sample_text(&text, 200000);
    prot_write(a, text.s, text.len);
    prot_flush(a);
    buf_reset(&wire);
    drain(sv[1], &wire);
    TEST_ASSERT(wire.len > 0 && wire.len < text.len / 4);
    prot_free(&a);
    close_pair(sv);
    buf_free(&wire);
    buf_free(&plain);
    buf_free(&text);
}

/* A peer's stream written one byte at a time, and flushed partially:
 * every line arrives whole. */
static void test_input_in_tiny_pieces(void)
{
    int sv[2];
    z_stream z;
    struct buf c = BUF_INITIALIZER;
    struct prot *b;
    pid_t pid;

    make_pair(sv);
    peer_init(&z);
    peer_compress(&z, "a1 NOOP\r\n", 9, Z_PARTIAL_FLUSH, &c);
    peer_compress(&z, "a2 SELECT INBOX\r\n", 17, Z_SYNC_FLUSH, &c);
    peer_compress(&z, "a3 LOGOUT\r\n", 11, Z_FULL_FLUSH, &c);
    deflateEnd(&z);
    b = compressed_prot(sv[1]);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        for (size_t i = 0; i < c.len; i++) {
            put(sv[0], c.s + i, 1);
            usleep(1000);
        }
        _exit(0);
    }
    expect_line(b, "a1 NOOP");
    expect_line(b, "a2 SELECT INBOX");
    expect_line(b, "a3 LOGOUT");
    prot_free(&b);
    close_pair(sv);
    buf_free(&c);
}

/* 1 MB of lines in 1 kB of input: decoded bit by bit as prot reads, and
 * until the last line the stream says input is pending (IDLE relies on
 * it) without reading the fd, which has nothing more. */
static void test_large_expansion_pending(void)
{
    int sv[2];
    z_stream z;
    struct buf text = BUF_INITIALIZER, c = BUF_INITIALIZER;
    struct prot *b;
    size_t lines = 0;

    make_pair(sv);
    while (text.len < 1024 * 1024)
        buf_appendcstr(&text, "x1 NOOP\r\n");
    peer_init(&z);
    peer_compress(&z, text.s, text.len, Z_SYNC_FLUSH, &c);
    deflateEnd(&z);
    TEST_ASSERT(c.len < 8192);
    b = compressed_prot(sv[1]);
    put(sv[0], c.s, c.len);
    for (;;) {
        expect_line(b, "x1 NOOP");
        lines++;
        if (lines * 9 == text.len)
            break;
        TEST_ASSERT(prot_input_pending(b) > 0);
        TEST_ASSERT_INT(prot_wait_input(b, 0), 1);
    }
    TEST_ASSERT_INT(prot_input_pending(b), 0);
    TEST_ASSERT_INT(prot_wait_input(b, 0), 0);
    prot_free(&b);
    close_pair(sv);
    buf_free(&text);
    buf_free(&c);
}

/* Bytes that are no DEFLATE stream (a reserved block type): ERR_PROTOCOL
 * with zlib's reason logged, and again at the next read. */
static void test_garbage_input(void)
{
    int sv[2];
    struct buf line = BUF_INITIALIZER;
    struct prot *b;
    static const unsigned char junk[] = { 0xff, 0xff, 0xff, 0xff, 0x41 };

    log_set_capture(capture, NULL);
    make_pair(sv);
    b = compressed_prot(sv[1]);
    put(sv[0], junk, sizeof(junk));
    TEST_ASSERT_INT(prot_readline(b, &line), ERR_PROTOCOL);
    TEST_ASSERT(strstr(buf_cstring(&logged),
                       "compress: undecodable DEFLATE data from the peer: "
                       "invalid block type") != NULL);
    TEST_ASSERT_INT(prot_readline(b, &line), ERR_PROTOCOL);
    prot_free(&b);
    close_pair(sv);
    buf_free(&line);
}

/* A final block ends the input (ERR_EOF after its data); anything after
 * it is ERR_PROTOCOL. */
static void test_end_of_peer_stream(void)
{
    int sv[2];
    z_stream z;
    struct buf c = BUF_INITIALIZER, line = BUF_INITIALIZER;
    struct prot *b;

    make_pair(sv);
    peer_init(&z);
    peer_compress(&z, "a1 LOGOUT\r\n", 11, Z_FINISH, &c);
    deflateEnd(&z);
    b = compressed_prot(sv[1]);
    put(sv[0], c.s, c.len);
    expect_line(b, "a1 LOGOUT");
    TEST_ASSERT_INT(prot_readline(b, &line), ERR_EOF);
    prot_free(&b);

    log_set_capture(capture, NULL);
    b = compressed_prot(sv[1]);
    buf_appendcstr(&c, "more");
    put(sv[0], c.s, c.len);
    TEST_ASSERT_INT(prot_readline(b, &line), ERR_OK);
    TEST_ASSERT_INT(prot_readline(b, &line), ERR_PROTOCOL);
    TEST_ASSERT(strstr(buf_cstring(&logged), "after the end of its DEFLATE "
                                             "stream") != NULL);
    prot_free(&b);
    close_pair(sv);
    buf_free(&c);
    buf_free(&line);
}

static int idle_calls;
static void count_idle(void) { idle_calls++; }

/* Idle (prot_set_idle), the compressor is freed; the next write makes a
 * new one, and the peer, whose decompressor went on, reads both. */
static void test_idle_releases_compressor(void)
{
    int sv[2];
    struct buf text = BUF_INITIALIZER, got = BUF_INITIALIZER;
    struct prot *a, *b;
    size_t busy;

    make_pair(sv);
    a = compressed_prot(sv[0]);
    b = compressed_prot(sv[1]);
    prot_set_idle(a, 50, count_idle);
    sample_text(&text, 100000);
    prot_write(a, text.s, text.len);
    prot_flush(a);
    TEST_ASSERT_INT(prot_read_exact(b, text.len, &got), ERR_OK);
    busy = deflate_memory(a);
    TEST_ASSERT(busy > 256 * 1024);
    TEST_ASSERT_INT(prot_wait_input(a, 200), 0);
    TEST_ASSERT_INT(idle_calls, 1);
    TEST_ASSERT(deflate_memory(a) < 64 * 1024);
    TEST_ASSERT(deflate_memory(a) + 256 * 1024 <= busy);
    prot_write(a, text.s, text.len);
    prot_puts(a, "a1 OK after idle\r\n");
    prot_flush(a);
    TEST_ASSERT(deflate_memory(a) > 256 * 1024);
    buf_reset(&got);
    TEST_ASSERT_INT(prot_read_exact(b, text.len, &got), ERR_OK);
    TEST_ASSERT_MEM(got.s, got.len, text.s, text.len);
    expect_line(b, "a1 OK after idle");
    TEST_ASSERT_INT(deflate_memory(b) > 0, 1);
    prot_free(&a);
    prot_free(&b);
    close_pair(sv);
    buf_free(&text);
    buf_free(&got);
}

/* The switch: output written before it leaves plain; input buffered
 * before it is dropped (logged); a second start is ERR_EXISTS. */
static void test_switch(void)
{
    int sv[2];
    struct buf wire = BUF_INITIALIZER;
    struct buf err = BUF_INITIALIZER;
    struct prot *b = NULL;
    z_stream z;
    struct buf c = BUF_INITIALIZER;

    log_set_capture(capture, NULL);
    make_pair(sv);
    b = prot_new(sv[1], sv[1]);
    prot_set_timeout(b, 5);
    put(sv[0], "c1 COMPRESS DEFLATE\r\npipelined\r\n", 32);
    expect_line(b, "c1 COMPRESS DEFLATE");
    TEST_ASSERT(!deflate_active(b));
    prot_puts(b, "c1 OK DEFLATE active\r\n");
    TEST_ASSERT_INT(deflate_start(b, &err), ERR_OK);
    TEST_ASSERT(strstr(buf_cstring(&logged),
                       "compress: dropped 11 bytes") != NULL);
    drain(sv[0], &wire);
    TEST_ASSERT_STR(buf_cstring(&wire), "c1 OK DEFLATE active\r\n");
    TEST_ASSERT_INT(deflate_start(b, &err), ERR_EXISTS);
    TEST_ASSERT_INT(deflate_memory(b) > 0, 1);
    TEST_ASSERT_STR(buf_cstring(&err), "DEFLATE compression is already "
                                       "active");
    peer_init(&z);
    peer_compress(&z, "c2 NOOP\r\n", 9, Z_SYNC_FLUSH, &c);
    deflateEnd(&z);
    put(sv[0], c.s, c.len);
    expect_line(b, "c2 NOOP");
    prot_free(&b);
    close_pair(sv);
    buf_free(&wire);
    buf_free(&err);
    buf_free(&c);
}

TEST_MAIN("deflate",
          TEST_CASE(test_round_trip),
          TEST_CASE(test_flush_is_complete),
          TEST_CASE(test_input_in_tiny_pieces),
          TEST_CASE(test_large_expansion_pending),
          TEST_CASE(test_garbage_input),
          TEST_CASE(test_end_of_peer_stream),
          TEST_CASE(test_idle_releases_compressor),
          TEST_CASE(test_switch))
