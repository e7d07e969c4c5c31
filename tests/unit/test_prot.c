/* test_prot.c -- the protocol stream: lines, limits, literals, timeouts,
 * buffering and flushing, sticky write errors, telemetry, layers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
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

static void put_str(int fd, const char *s) { put(fd, s, strlen(s)); }

/* Read what the peer sent within timeout_ms into b (appending). */
static void peer_drain(int fd, struct buf *b, int timeout_ms)
{
    char tmp[65536];
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    while (poll(&pfd, 1, timeout_ms) > 0) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n <= 0)
            break;
        buf_appendmap(b, tmp, (size_t)n);
        timeout_ms = 100;
    }
}

static int fd_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    return poll(&pfd, 1, 0) > 0;
}

static double elapsed_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A child that writes `n` pattern bytes (and optionally a tail), then exits. */
static pid_t spawn_writer(int fd, size_t n, const char *tail)
{
    pid_t pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        char chunk[8192];
        size_t done = 0;
        while (done < n) {
            size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
            for (size_t i = 0; i < k; i++)
                chunk[i] = (char)('a' + (done + i) % 26);
            if (retry_write(fd, chunk, k) != (ssize_t)k)
                _exit(1);
            done += k;
        }
        if (tail && retry_write(fd, tail, strlen(tail)) < 0)
            _exit(1);
        _exit(0);
    }
    return pid;
}

static void reap_ok(pid_t pid)
{
    int status;
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- reading lines -------------------------------------------------------- */

static void test_readline_terminators(void)
{
    static const char input[] = "a1 NOOP\r\nbare\n\r\nx\ry\r\n\nnul\0in\0line\r\n"
                                "last";
    struct buf line = BUF_INITIALIZER;
    struct prot *p;
    int sv[2];

    make_pair(sv);
    put(sv[1], input, sizeof(input) - 1);
    shutdown(sv[1], SHUT_WR);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a1 NOOP");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "bare");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(line.len, 0);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "x\ry");     /* a lone CR is data */
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(line.len, 0);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_MEM(line.s, line.len, "nul\0in\0line", 11);
    /* A last line without LF is not a line. */
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_EOF);
    TEST_ASSERT_MEM(line.s, line.len, "last", 4);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_EOF);
    TEST_ASSERT_INT(prot_bytes_in(p), sizeof(input) - 1);
    prot_free(&p);
    TEST_ASSERT(p == NULL);
    prot_free(&p);
    buf_free(&line);
    close(sv[0]);
    close(sv[1]);
}

static void test_readline_limit(void)
{
    struct buf line = BUF_INITIALIZER;
    struct prot *p;
    int sv[2];

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_maxline(p, 0), ERR_BADARG);
    TEST_ASSERT_INT(prot_set_maxline(p, 10), ERR_OK);
    put_str(sv[1], "0123456789\r\n"       /* exactly the limit */
                   "0123456789\n"
                   "01234567890\r\n"      /* one over */
                   "next\r\n"
                   "012345678\r\r\n"      /* 9 + a CR of data = 10 */
                   "0123456789\rx\n"      /* the CR is not the end */
                   "a2 NOOP\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "0123456789");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "0123456789");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_TOOBIG);
    TEST_ASSERT_STR(buf_cstring(&line), "0123456789");  /* the tag survives */
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "next");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "012345678\r");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_TOOBIG);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a2 NOOP");
    prot_free(&p);
    buf_free(&line);
}

/* A line of megabytes is read through and dropped, in bounded memory, and
 * the session goes on with the next line. */
static void test_readline_huge_line(void)
{
    struct buf line = BUF_INITIALIZER;
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = spawn_writer(sv[1], 3 * 1024 * 1024, "\r\na3 NOOP\r\n");
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_maxline(p, 1000), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_TOOBIG);
    TEST_ASSERT_INT(line.len, 1000);
    TEST_ASSERT(line.alloc < 8192);
    TEST_ASSERT(!memcmp(line.s, "abcdefghij", 10));
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a3 NOOP");
    reap_ok(pid);
    close(sv[1]);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_EOF);
    prot_free(&p);
    buf_free(&line);
}

/* ---- literals and raw reads --------------------------------------------- */

static void test_read_exact_and_skip(void)
{
    static const char input[] = "A {10}\r\nab\r\n\0cd\nef tail\r\n"
                                "SKIPME!!next\r\nxyz";
    struct buf out = BUF_INITIALIZER, line = BUF_INITIALIZER;
    struct prot *p;
    char small[4];
    size_t n;
    int sv[2];

    make_pair(sv);
    put(sv[1], input, sizeof(input) - 1);
    shutdown(sv[1], SHUT_WR);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "A {10}");
    buf_setcstr(&out, ">");
    TEST_ASSERT_INT(prot_read_exact(p, 10, &out), ERR_OK);   /* appends */
    TEST_ASSERT_MEM(out.s, out.len, ">ab\r\n\0cd\nef", 11);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), " tail");
    TEST_ASSERT_INT(prot_skip(p, 8), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "next");
    TEST_ASSERT_INT(prot_read(p, small, 0, &n), ERR_BADARG);
    TEST_ASSERT_INT(prot_read(p, small, 2, &n), ERR_OK);
    TEST_ASSERT_MEM(small, n, "xy", 2);
    /* The stream ends inside a literal: what came is kept. */
    buf_reset(&out);
    TEST_ASSERT_INT(prot_read_exact(p, 5, &out), ERR_EOF);
    TEST_ASSERT_MEM(out.s, out.len, "z", 1);
    TEST_ASSERT_INT(prot_skip(p, 1), ERR_EOF);
    TEST_ASSERT_INT(prot_read(p, small, sizeof(small), &n), ERR_EOF);
    TEST_ASSERT_INT(n, 0);
    prot_free(&p);
    buf_free(&out);
    buf_free(&line);
}

static void test_read_exact_large(void)
{
    struct buf out = BUF_INITIALIZER, line = BUF_INITIALIZER;
    size_t n = 5 * 1024 * 1024 + 17;
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = spawn_writer(sv[1], 2 * n, "\r\nafter\r\n");
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_read_exact(p, n, &out), ERR_OK);
    TEST_ASSERT_INT(out.len, n);
    for (size_t i = 0; i < n; i += 4093)
        TEST_ASSERT(out.s[i] == (char)('a' + i % 26));
    TEST_ASSERT(out.s[n - 1] == (char)('a' + (n - 1) % 26));
    TEST_ASSERT_INT(prot_skip(p, n), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(line.len, 0);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "after");
    reap_ok(pid);
    prot_free(&p);
    buf_free(&out);
    buf_free(&line);
}

/* ---- timeouts and waiting ------------------------------------------------ */

static void test_read_timeout(void)
{
    struct buf line = BUF_INITIALIZER;
    struct timespec t0;
    struct prot *p;
    double secs;
    int sv[2];

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_timeout(p, -1), ERR_BADARG);
    TEST_ASSERT_INT(prot_set_timeout(p, 1), ERR_OK);
    put_str(sv[1], "a1 partial");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_TIMEOUT);
    secs = elapsed_since(&t0);
    TEST_ASSERT(secs >= 0.9 && secs < 5);
    prot_free(&p);
    buf_free(&line);
}

/* A peer that sends a byte every 300 ms resets every per-wait timeout;
 * the deadline still ends the read after its 2 s, and once removed the
 * stream reads on. */
static void test_deadline(void)
{
    struct buf line = BUF_INITIALIZER;
    struct timespec t0;
    struct prot *p;
    double secs;
    pid_t pid;
    int sv[2], status;

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        for (int i = 0; i < 12; i++) {
            struct timespec pause = { 0, 300 * 1000000L };
            if (write(sv[1], "x", 1) != 1)
                _exit(1);
            nanosleep(&pause, NULL);
        }
        _exit(write(sv[1], "\n", 1) == 1 ? 0 : 1);
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_deadline(p, -1), ERR_BADARG);
    TEST_ASSERT_INT(prot_set_timeout(p, 1), ERR_OK);
    TEST_ASSERT_INT(prot_set_deadline(p, 2), ERR_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_TIMEOUT);
    secs = elapsed_since(&t0);
    TEST_ASSERT(secs >= 1.9 && secs < 3.5);
    /* Without it the rest of the line arrives (the per-wait timeout of
     * 1 s is never reached). */
    TEST_ASSERT_INT(prot_set_deadline(p, 0), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                WEXITSTATUS(status) == 0);
    prot_free(&p);
    close(sv[0]);
    buf_free(&line);
}

static void test_wait_input(void)
{
    struct buf line = BUF_INITIALIZER, got = BUF_INITIALIZER;
    struct timespec t0;
    struct prot *p;
    double secs;
    int sv[2];

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    /* Nothing to read: 0 after the time. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TEST_ASSERT_INT(prot_wait_input(p, 300), 0);
    secs = elapsed_since(&t0);
    TEST_ASSERT(secs >= 0.25 && secs < 5);
    /* Waiting flushes output (IDLE's "+ idling" must reach the client). */
    TEST_ASSERT_INT(prot_puts(p, "+ idling\r\n"), ERR_OK);
    TEST_ASSERT(!fd_readable(sv[1]));
    TEST_ASSERT_INT(prot_wait_input(p, 0), 0);
    peer_drain(sv[1], &got, 1000);
    TEST_ASSERT_STR(buf_cstring(&got), "+ idling\r\n");
    /* Readable fd: 1.  Then input is buffered but the fd is drained: 1. */
    put_str(sv[1], "DONE\r\na2 NOOP\r\n");
    TEST_ASSERT_INT(prot_wait_input(p, 5000), 1);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "DONE");
    TEST_ASSERT(!fd_readable(sv[0]));
    TEST_ASSERT_INT(prot_input_pending(p), 9);
    TEST_ASSERT_INT(prot_wait_input(p, 0), 1);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(prot_input_pending(p), 0);
    TEST_ASSERT_INT(prot_wait_input(p, 50), 0);
    /* End of stream counts as input: the read reports it. */
    close(sv[1]);
    TEST_ASSERT_INT(prot_wait_input(p, 5000), 1);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_EOF);
    prot_free(&p);
    buf_free(&line);
    buf_free(&got);
}

/* What a client pipelines behind STARTTLS sits in the buffer; it can be
 * counted and dropped, and the next read sees only later bytes. */
static void test_discard_input(void)
{
    struct buf line = BUF_INITIALIZER;
    struct prot *p;
    int sv[2];

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    put_str(sv[1], "a STARTTLS\r\nb LOGIN x y\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a STARTTLS");
    TEST_ASSERT_INT(prot_input_pending(p), 13);
    TEST_ASSERT_INT(prot_discard_input(p), 13);
    TEST_ASSERT_INT(prot_input_pending(p), 0);
    TEST_ASSERT_INT(prot_discard_input(p), 0);
    put_str(sv[1], "c NOOP\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "c NOOP");
    prot_free(&p);
    buf_free(&line);
}

/* ---- writing -------------------------------------------------------------- */

static void test_output_buffering(void)
{
    struct buf got = BUF_INITIALIZER;
    char chunk[1000];
    struct prot *p;
    size_t sent = 0;
    int sv[2];

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_printf(p, "* %d EXISTS %s %zu\r\n", 42, "x",
                                (size_t)7), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "a1 OK\r\n"), ERR_OK);
    TEST_ASSERT(!fd_readable(sv[1]));          /* still buffered */
    TEST_ASSERT_INT(prot_bytes_out(p), 0);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    peer_drain(sv[1], &got, 1000);
    TEST_ASSERT_STR(buf_cstring(&got), "* 42 EXISTS x 7\r\na1 OK\r\n");
    TEST_ASSERT_INT(prot_bytes_out(p), got.len);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);    /* nothing left: fine */

    /* Passing the threshold sends without an explicit flush. */
    memset(chunk, 'z', sizeof(chunk));
    while (sent + sizeof(chunk) < PROT_FLUSH_THRESHOLD) {
        TEST_ASSERT_INT(prot_write(p, chunk, sizeof(chunk)), ERR_OK);
        sent += sizeof(chunk);
    }
    TEST_ASSERT(!fd_readable(sv[1]));
    TEST_ASSERT_INT(prot_write(p, chunk, sizeof(chunk)), ERR_OK);
    sent += sizeof(chunk);
    buf_reset(&got);
    peer_drain(sv[1], &got, 1000);
    TEST_ASSERT_INT(got.len, sent);
    prot_free(&p);
    buf_free(&got);
}

/* A server that writes its greeting and reads the next command must not
 * deadlock with a client that waits for the greeting. */
static void test_flush_before_read(void)
{
    struct buf line = BUF_INITIALIZER;
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        char greeting[64];
        ssize_t n = read(sv[1], greeting, sizeof(greeting));
        if (n < 4 || memcmp(greeting, "* OK", 4))
            _exit(1);
        _exit(retry_write(sv[1], "a1 LOGOUT\r\n", 11) == 11 ? 0 : 1);
    }
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_timeout(p, 10), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "* OK ready\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a1 LOGOUT");
    reap_ok(pid);
    prot_free(&p);
    buf_free(&line);
}

/* A peer that went away: the error sticks, SIGPIPE never kills us. */
static void test_write_error_sticky(void)
{
    struct prot *p;
    int sv[2];

    signal(SIGPIPE, SIG_DFL);   /* the harness ignores it; we must not rely */
    make_pair(sv);
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_error(p), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "* BYE\r\n"), ERR_OK);   /* buffered */
    TEST_ASSERT_INT(prot_flush(p), ERR_IO);
    TEST_ASSERT_INT(errno, EPIPE);
    TEST_ASSERT_INT(prot_error(p), ERR_IO);
    TEST_ASSERT_INT(prot_puts(p, "more\r\n"), ERR_IO);
    TEST_ASSERT_INT(prot_printf(p, "%s", "more"), ERR_IO);
    TEST_ASSERT_INT(prot_flush(p), ERR_IO);
    TEST_ASSERT_INT(prot_bytes_out(p), 0);
    prot_free(&p);
    /* A bad fd: ERR_IO both ways, errno kept for the log. */
    p = prot_new(-1, -1);
    TEST_ASSERT_INT(prot_read(p, (char[4]){0}, 4, &(size_t){0}), ERR_IO);
    TEST_ASSERT_INT(errno, EBADF);
    TEST_ASSERT_INT(prot_puts(p, "x"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_IO);
    prot_free(&p);
}

/* A peer that stops reading cannot hold a server forever. */
static void test_write_timeout(void)
{
    size_t big = 8 * 1024 * 1024;
    char *data = xzmalloc(big);
    struct timespec t0;
    struct prot *p;
    double secs;
    int sv[2];

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_timeout(p, 1), ERR_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TEST_ASSERT_INT(prot_write(p, data, big), ERR_TIMEOUT);
    secs = elapsed_since(&t0);
    TEST_ASSERT(secs >= 0.9 && secs < 5);
    TEST_ASSERT_INT(prot_error(p), ERR_TIMEOUT);
    prot_free(&p);
    free(data);
    close(sv[1]);
}

/* Megabytes in big and small writes arrive intact and in order. */
static void test_large_output(void)
{
    size_t big = 3 * 1024 * 1024;
    char *data = xmalloc(big);
    uint32_t crc = 0;
    struct prot *p;
    pid_t pid;
    int sv[2];

    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 31 + (i >> 11));
    crc = util_crc32(0, data, big);
    crc = util_crc32(crc, "small line\r\n", 12);
    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        char tmp[65536];
        uint32_t c = 0;
        size_t total = 0;
        ssize_t n;
        close(sv[0]);
        while ((n = read(sv[1], tmp, sizeof(tmp))) > 0) {
            c = util_crc32(c, tmp, (size_t)n);
            total += (size_t)n;
        }
        _exit(total == big + 12 && c == crc ? 0 : 1);
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_timeout(p, 30), ERR_OK);
    TEST_ASSERT_INT(prot_write(p, data, 100), ERR_OK);
    TEST_ASSERT_INT(prot_write(p, data + 100, big - 100), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "small line\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    TEST_ASSERT_INT(prot_bytes_out(p), big + 12);
    prot_set_close_on_free(p, 1);
    prot_free(&p);
    reap_ok(pid);
    free(data);
}

/* inetd style: input and output are different fds (here two pipes). */
static void test_separate_fds(void)
{
    struct buf line = BUF_INITIALIZER, got = BUF_INITIALIZER;
    int in[2], out[2];
    struct prot *p;

    TEST_ASSERT(pipe(in) == 0 && pipe(out) == 0);
    p = prot_new(in[0], out[1]);
    put_str(in[1], "a1 CAPABILITY\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a1 CAPABILITY");
    TEST_ASSERT_INT(prot_puts(p, "* CAPABILITY IMAP4rev1\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    peer_drain(out[0], &got, 1000);
    TEST_ASSERT_STR(buf_cstring(&got), "* CAPABILITY IMAP4rev1\r\n");
    /* close_on_free closes both fds. */
    prot_set_close_on_free(p, 1);
    prot_free(&p);
    TEST_ASSERT(fcntl(in[0], F_GETFD) < 0 && errno == EBADF);
    TEST_ASSERT(fcntl(out[1], F_GETFD) < 0 && errno == EBADF);
    /* Without it the fds stay open. */
    p = prot_new(in[1], out[0]);
    prot_free(&p);
    TEST_ASSERT(fcntl(in[1], F_GETFD) >= 0 && fcntl(out[0], F_GETFD) >= 0);
    buf_free(&line);
    buf_free(&got);
}

/* ---- telemetry ------------------------------------------------------------ */

static void test_telemetry(void)
{
    struct buf line = BUF_INITIALIZER, got = BUF_INITIALIZER;
    int sv[2], fd;
    struct prot *p;
    char *log;
    size_t len;

    make_pair(sv);
    fd = open(test_path("telemetry"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    TEST_ASSERT(fd >= 0);
    p = prot_new(sv[0], sv[0]);
    prot_set_telemetry(p, fd, 0);
    put_str(sv[1], "a1 NOOP\r\na2 CAPA");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "a1 OK\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    put_str(sv[1], "BILITY\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a2 CAPABILITY");
    /* Turned off: nothing more is logged. */
    prot_set_telemetry(p, -1, 0);
    TEST_ASSERT_INT(prot_puts(p, "a2 OK\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    TEST_ASSERT_INT(util_read_file(test_path("telemetry"), &log, &len),
                    ERR_OK);
    TEST_ASSERT_STR(log, "<a1 NOOP\r\n<a2 CAPA\n>a1 OK\r\n<BILITY\r\n");
    TEST_ASSERT(fcntl(fd, F_GETFD) >= 0);    /* not ours to close */
    free(log);
    close(fd);
    prot_free(&p);
    buf_free(&line);
    buf_free(&got);
}

static void test_telemetry_timestamps(void)
{
    struct buf line = BUF_INITIALIZER;
    int sv[2], fd;
    struct prot *p;
    char *log;
    size_t len;

    make_pair(sv);
    fd = open(test_path("telemetry"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    TEST_ASSERT(fd >= 0);
    p = prot_new(sv[0], sv[0]);
    prot_set_telemetry(p, fd, 1);
    put_str(sv[1], "a1 NOOP\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "a1 OK\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    usleep(2100 * 1000);
    put_str(sv[1], "a2 LOGOUT\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(util_read_file(test_path("telemetry"), &log, &len),
                    ERR_OK);
    TEST_ASSERT_STR(log, "<0<a1 NOOP\r\n>0>a1 OK\r\n<2<a2 LOGOUT\r\n");
    free(log);
    close(fd);
    prot_free(&p);
    buf_free(&line);
}

/* ---- layers ------------------------------------------------------------------ */

/* A test layer: XOR with a key, handing out at most one decoded byte per
 * read so that it really holds decoded input (pending). */
struct xor_layer {
    unsigned char key;
    struct buf held;
    size_t pos;
    int *freed;
};

static int xor_read(void *ctx, struct prot_stage *below, void *buf,
                    size_t size, size_t *n_r)
{
    struct xor_layer *x = ctx;
    char raw[64];
    size_t n;
    int r;

    if (x->pos == x->held.len) {
        if ((r = prot_stage_read(below, raw, sizeof(raw), &n)))
            return r;
        buf_reset(&x->held);
        for (size_t i = 0; i < n; i++)
            buf_putc(&x->held, (char)(raw[i] ^ x->key));
        x->pos = 0;
    }
    (void)size;
    *(char *)buf = x->held.s[x->pos++];
    *n_r = 1;
    return ERR_OK;
}

static int xor_write(void *ctx, struct prot_stage *below, const void *buf,
                     size_t n)
{
    struct xor_layer *x = ctx;
    struct buf enc = BUF_INITIALIZER;
    int r;

    for (size_t i = 0; i < n; i++)
        buf_putc(&enc, (char)(((const char *)buf)[i] ^ x->key));
    r = prot_stage_write(below, enc.s, enc.len);
    buf_free(&enc);
    return r;
}

static size_t xor_pending(void *ctx)
{
    struct xor_layer *x = ctx;
    return x->held.len - x->pos;
}

static void xor_free(void *ctx)
{
    struct xor_layer *x = ctx;
    (*x->freed)++;
    buf_free(&x->held);
    free(x);
}

static const struct prot_layer xor_ops = {
    "xor", xor_read, xor_write, xor_pending, xor_free, NULL
};

static struct xor_layer *xor_new(unsigned char key, int *freed)
{
    struct xor_layer *x = xzmalloc(sizeof(*x));
    x->key = key;
    x->freed = freed;
    return x;
}

static void put_xor(int fd, const char *s, unsigned char key)
{
    struct buf b = BUF_INITIALIZER;
    for (; *s; s++)
        buf_putc(&b, (char)(*s ^ key));
    put(fd, b.s, b.len);
    buf_free(&b);
}

static void test_layers(void)
{
    struct buf line = BUF_INITIALIZER, got = BUF_INITIALIZER;
    struct xor_layer *x1, *x2;
    int sv[2], freed = 0;
    struct prot *p;

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    put_str(sv[1], "a STARTX\r\nb injected\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "a OK go\r\n"), ERR_OK);
    x1 = xor_new(0x5a, &freed);
    TEST_ASSERT_INT(prot_set_layer(p, &xor_ops, x1), ERR_OK);
    TEST_ASSERT(prot_layer_ctx(p, &xor_ops) == x1);
    /* The answer went out in the clear, before the layer. */
    peer_drain(sv[1], &got, 1000);
    TEST_ASSERT_STR(buf_cstring(&got), "a OK go\r\n");
    /* The pipelined plaintext is gone; only layered input is read. */
    TEST_ASSERT_INT(prot_input_pending(p), 0);
    put_xor(sv[1], "c INSIDE\r\nd NEXT\r\n", 0x5a);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "c INSIDE");
    /* The layer holds decoded bytes: they count as pending input. */
    TEST_ASSERT(!fd_readable(sv[0]));
    TEST_ASSERT_INT(prot_input_pending(p), 8);
    TEST_ASSERT_INT(prot_wait_input(p, 0), 1);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "d NEXT");
    TEST_ASSERT_INT(prot_puts(p, "c OK\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    buf_reset(&got);
    peer_drain(sv[1], &got, 1000);
    TEST_ASSERT_INT(got.len, 6);
    TEST_ASSERT(got.s[0] == ('c' ^ 0x5a));

    /* A second layer stacks on top: output is encoded by it first. */
    x2 = xor_new(0x21, &freed);
    TEST_ASSERT_INT(prot_set_layer(p, &xor_ops, x2), ERR_OK);
    put_xor(sv[1], "e TWO\r\n", 0x5a ^ 0x21);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "e TWO");
    TEST_ASSERT_INT(prot_puts(p, "e OK\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    buf_reset(&got);
    peer_drain(sv[1], &got, 1000);
    TEST_ASSERT_INT(got.len, 6);
    TEST_ASSERT(got.s[0] == ('e' ^ 0x5a ^ 0x21));
    /* Byte counters are application bytes, above the layers. */
    TEST_ASSERT_INT(prot_bytes_out(p), 9 + 6 + 6);
    prot_free(&p);
    TEST_ASSERT_INT(freed, 2);
    buf_free(&line);
    buf_free(&got);
}

static void test_layer_limit(void)
{
    int freed = 0, sv[2];
    struct prot *p;
    struct xor_layer *x;

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    for (int i = 0; i < PROT_MAX_LAYERS; i++)
        TEST_ASSERT_INT(prot_set_layer(p, &xor_ops, xor_new(1, &freed)),
                        ERR_OK);
    x = xor_new(1, &freed);
    TEST_ASSERT_INT(prot_set_layer(p, &xor_ops, x), ERR_BADARG);
    xor_free(x);                /* refused: still ours */
    prot_free(&p);
    TEST_ASSERT_INT(freed, PROT_MAX_LAYERS + 1);
    /* A layer is not pushed when the flush before it fails. */
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_puts(p, "x\r\n"), ERR_OK);
    x = xor_new(1, &freed);
    TEST_ASSERT_INT(prot_set_layer(p, &xor_ops, x), ERR_IO);
    TEST_ASSERT(prot_layer_ctx(p, &xor_ops) == NULL);
    xor_free(x);
    prot_free(&p);
}

/* prot_set_idle: the call comes once a wait has seen no input for the
 * set time, not again until input came, and not while input is there.
 * The idle call itself sends the next line, so nothing depends on timing. */
static int idle_calls;
static int idle_peer = -1;

static void on_idle(void)
{
    idle_calls++;
    put_str(idle_peer, "after idle\r\n");
}

static void test_idle_call(void)
{
    int sv[2];
    struct prot *p;
    struct buf line = BUF_INITIALIZER;

    make_pair(sv);
    idle_peer = sv[1];
    idle_calls = 0;
    p = prot_new(sv[0], sv[0]);
    prot_set_timeout(p, 30);
    prot_set_idle(p, 20, on_idle);
    /* input already there: no idle call */
    put_str(sv[1], "ready\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "ready");
    TEST_ASSERT_INT(idle_calls, 0);
    /* nothing comes: called once, and its line is read */
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "after idle");
    TEST_ASSERT_INT(idle_calls, 1);
    /* input came since: a new idle period calls again */
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(idle_calls, 2);
    /* prot_wait_input (IDLE): a wait as long as the idle time calls it,
     * once; a shorter one does not */
    prot_set_idle(p, 20, on_idle);
    idle_peer = -1;
    TEST_ASSERT_INT(prot_wait_input(p, 5), 0);
    TEST_ASSERT_INT(idle_calls, 2);
    idle_peer = sv[1];
    TEST_ASSERT(prot_wait_input(p, 20) >= 0);
    TEST_ASSERT_INT(idle_calls, 3);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "after idle");
    /* off */
    prot_set_idle(p, 20, NULL);
    put_str(sv[1], "x\r\n");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(idle_calls, 3);
    buf_free(&line);
    prot_free(&p);
    close(sv[0]);
    close(sv[1]);
}

TEST_MAIN("prot",
          TEST_CASE(test_readline_terminators),
          TEST_CASE(test_readline_limit),
          TEST_CASE(test_readline_huge_line),
          TEST_CASE(test_read_exact_and_skip),
          TEST_CASE(test_read_exact_large),
          TEST_CASE(test_read_timeout),
          TEST_CASE(test_deadline),
          TEST_CASE(test_wait_input),
          TEST_CASE(test_discard_input),
          TEST_CASE(test_output_buffering),
          TEST_CASE(test_flush_before_read),
          TEST_CASE(test_write_error_sticky),
          TEST_CASE(test_write_timeout),
          TEST_CASE(test_large_output),
          TEST_CASE(test_separate_fds),
          TEST_CASE(test_telemetry),
          TEST_CASE(test_telemetry_timestamps),
          TEST_CASE(test_layers),
          TEST_CASE(test_layer_limit),
          TEST_CASE(test_idle_call))
