/* test_tls.c -- TLS over prot with real OpenSSL and certificates made at
 * test time: handshakes and lines both ways, refused old clients and
 * plaintext peers, bad settings, STARTTLS injection, timeouts. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

/* ---- helpers --------------------------------------------------------------- */

/* A self-signed certificate for CN=localhost: <name>-cert.pem, -key.pem. */
static void make_cert(const char *name)
{
    char *cmd = xasprintf("openssl req -x509 -newkey rsa:2048 -nodes "
                          "-subj /CN=localhost -days 2 -keyout %s-key.pem "
                          "-out %s-cert.pem >/dev/null 2>&1", name, name);
    TEST_ASSERT(system(cmd) == 0);
    free(cmd);
}

static struct tls_ctx *server_ctx(const char *versions)
{
    const struct tls_server_settings set = { NULL, versions, 0 };
    struct buf err = BUF_INITIALIZER;
    struct tls_ctx *ctx = NULL;

    make_cert("srv");
    if (tls_server_ctx_new("srv-cert.pem", "srv-key.pem", &set, &ctx, &err))
        test_fail(__FILE__, __LINE__, "server ctx: %s", buf_cstring(&err));
    buf_free(&err);
    return ctx;
}

static void make_pair(int sv[2])
{
    TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
}

static void reap_ok(pid_t pid)
{
    int status;
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void capture(int prio, const char *line, void *rock)
{
    buf_printf(rock, "%d:%s\n", prio, line);
}

/* In a child: 0 = the step worked, else exit with that line number. */
#define CHILD_CHECK(expr) do { if (!(expr)) _exit(__LINE__ % 250 + 1); } \
                          while (0)

/* A client using our own client API: verify against srv-cert.pem when
 * `verify`; afterwards it says hello, checks the greeting and echoes a big
 * line, then waits for "bye". */
static void run_client(int in_fd, int out_fd, int verify)
{
    struct buf err = BUF_INITIALIZER, line = BUF_INITIALIZER;
    struct tls_ctx *ctx = NULL;
    struct prot *p = prot_new(in_fd, out_fd);

    CHILD_CHECK(tls_client_ctx_new(verify ? "srv-cert.pem" : NULL, verify,
                                   NULL, &ctx, &err) == ERR_OK);
    CHILD_CHECK(prot_puts(p, "a STARTTLS\r\n") == ERR_OK);
    CHILD_CHECK(prot_readline(p, &line) == ERR_OK);
    CHILD_CHECK(!strcmp(buf_cstring(&line), "a OK Begin TLS"));
    CHILD_CHECK(tls_start_client(ctx, p, "localhost", 10, &err) == ERR_OK);
    CHILD_CHECK(prot_readline(p, &line) == ERR_OK);
    CHILD_CHECK(!strcmp(buf_cstring(&line), "* hello client"));
    CHILD_CHECK(prot_puts(p, "b hello server\r\n") == ERR_OK);
    for (int i = 0; i < 100000; i++)
        prot_write(p, &"0123456789"[i % 10], 1);
    CHILD_CHECK(prot_puts(p, "\r\n") == ERR_OK);
    CHILD_CHECK(prot_readline(p, &line) == ERR_OK);
    CHILD_CHECK(!strcmp(buf_cstring(&line), "bye"));
    _exit(0);
}

/* The server side of run_client(). */
static void serve_client(struct tls_ctx *ctx, struct prot *p)
{
    struct buf err = BUF_INITIALIZER, line = BUF_INITIALIZER;
    struct tls_info info;

    TEST_ASSERT_INT(tls_session_info(p, &info), ERR_NOTFOUND);
    TEST_ASSERT_INT(prot_set_maxline(p, 200000), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a STARTTLS");
    TEST_ASSERT_INT(prot_puts(p, "a OK Begin TLS\r\n"), ERR_OK);
    TEST_ASSERT_INT(tls_start_server(ctx, p, 10, &err), ERR_OK);
    TEST_ASSERT_INT(tls_session_info(p, &info), ERR_OK);
    TEST_ASSERT_STR(info.version, "TLSv1.3");
    TEST_ASSERT(info.bits >= 128 && info.cipher && *info.cipher);
    TEST_ASSERT_INT(prot_puts(p, "* hello client\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "b hello server");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_INT(line.len, 100000);
    for (size_t i = 0; i < line.len; i++)
        TEST_ASSERT(line.s[i] == (char)('0' + i % 10));
    TEST_ASSERT_INT(prot_puts(p, "bye\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    /* The client leaves: end of stream through TLS. */
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_EOF);
    buf_free(&err);
    buf_free(&line);
}

/* ---- handshakes that work ------------------------------------------------- */

static void test_handshake_socketpair(void)
{
    struct tls_ctx *ctx = server_ctx(NULL);
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        run_client(sv[1], sv[1], 1);
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    serve_client(ctx, p);
    reap_ok(pid);
    prot_free(&p);
    tls_ctx_free(&ctx);
    TEST_ASSERT(ctx == NULL);
}

/* inetd style: the server reads one fd and writes another (two pipes). */
static void test_handshake_separate_fds(void)
{
    struct tls_ctx *ctx = server_ctx(NULL);
    int c2s[2], s2c[2];
    struct prot *p;
    pid_t pid;

    TEST_ASSERT(pipe(c2s) == 0 && pipe(s2c) == 0);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        close(c2s[0]);
        close(s2c[1]);
        run_client(s2c[0], c2s[1], 0);
    }
    close(c2s[1]);
    close(s2c[0]);
    p = prot_new(c2s[0], s2c[1]);
    serve_client(ctx, p);
    reap_ok(pid);
    prot_free(&p);
    tls_ctx_free(&ctx);
}

/* The client checks the server's name; a wrong one fails the handshake. */
static void test_client_verifies_hostname(void)
{
    struct tls_ctx *sctx = server_ctx(NULL), *cctx = NULL;
    struct buf err = BUF_INITIALIZER;
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        struct prot *sp = prot_new(sv[0], sv[0]);
        close(sv[1]);
        _exit(tls_start_server(sctx, sp, 10, &err) == ERR_OK ? 1 : 0);
    }
    close(sv[0]);
    TEST_ASSERT_INT(tls_client_ctx_new("srv-cert.pem", 1, NULL, &cctx, &err),
                    ERR_OK);
    p = prot_new(sv[1], sv[1]);
    TEST_ASSERT_INT(tls_start_client(cctx, p, NULL, 10, &err), ERR_BADARG);
    TEST_ASSERT_INT(tls_start_client(cctx, p, "mail.example.org", 10, &err),
                    ERR_PROTOCOL);
    TEST_ASSERT(strstr(buf_cstring(&err), "hostname mismatch"));
    reap_ok(pid);
    prot_free(&p);
    tls_ctx_free(&cctx);
    tls_ctx_free(&sctx);
    buf_free(&err);
}

/* ---- handshakes that must fail cleanly ------------------------------------ */

/* A raw OpenSSL client limited to [min, max] protocol versions; exits 0 if
 * its handshake failed (as it should). */
static void old_client(int fd, int min, int max)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL *s;

    CHILD_CHECK(c != NULL);
    SSL_CTX_set_min_proto_version(c, min);
    SSL_CTX_set_max_proto_version(c, max);
    /* OpenSSL 3 needs security level 0 to speak TLS 1.1 at all. */
    SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0");
    s = SSL_new(c);
    SSL_set_fd(s, fd);
    _exit(SSL_connect(s) == 1 ? 1 : 0);
}

static void check_refused(const char *server_versions, int client_min,
                          int client_max)
{
    struct tls_ctx *ctx = server_ctx(server_versions);
    struct buf err = BUF_INITIALIZER;
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        old_client(sv[1], client_min, client_max);
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(tls_start_server(ctx, p, 10, &err), ERR_PROTOCOL);
    TEST_ASSERT(strstr(buf_cstring(&err), "TLS handshake failed"));
    TEST_ASSERT(strstr(buf_cstring(&err), "unsupported protocol"));
    TEST_ASSERT_INT(tls_session_info(p, &(struct tls_info){0}), ERR_NOTFOUND);
    reap_ok(pid);
    prot_free(&p);
    tls_ctx_free(&ctx);
    buf_free(&err);
}

static void test_tls11_client_refused(void)
{
    check_refused(NULL, TLS1_1_VERSION, TLS1_1_VERSION);
}

static void test_tls12_client_refused_by_tls13_minimum(void)
{
    check_refused("tls1_3", TLS1_2_VERSION, TLS1_2_VERSION);
}

/* tls_versions is a set, not only a minimum: "tls1_2" alone refuses a
 * client that speaks only TLS 1.3. */
static void test_tls13_client_refused_by_tls12_only(void)
{
    check_refused("TLS1_2", TLS1_3_VERSION, TLS1_3_VERSION);
}

/* A client that talks IMAP instead of TLS: an error, no crash, no hang. */
static void test_plaintext_peer(void)
{
    struct tls_ctx *ctx = server_ctx(NULL);
    struct buf err = BUF_INITIALIZER;
    struct prot *p;
    int sv[2];

    make_pair(sv);
    TEST_ASSERT(retry_write(sv[1], "a1 LOGIN bob secret\r\n", 21) == 21);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(tls_start_server(ctx, p, 5, &err), ERR_PROTOCOL);
    TEST_ASSERT(!strncmp(buf_cstring(&err), "TLS handshake failed (OpenSSL: ",
                         31));
    prot_free(&p);
    tls_ctx_free(&ctx);
    buf_free(&err);
}

static void test_handshake_timeout_and_eof(void)
{
    struct tls_ctx *ctx = server_ctx(NULL);
    struct buf err = BUF_INITIALIZER;
    struct timespec t0, t1;
    struct prot *p;
    double secs;
    int sv[2];

    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TEST_ASSERT_INT(tls_start_server(ctx, p, 1, &err), ERR_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    TEST_ASSERT(secs >= 0.9 && secs < 5);
    TEST_ASSERT(strstr(buf_cstring(&err), "timed out"));
    TEST_ASSERT_INT(prot_get_timeout(p), 0);    /* restored */
    prot_free(&p);
    /* The peer hangs up instead. */
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(tls_start_server(ctx, p, 5, &err), ERR_EOF);
    TEST_ASSERT(strstr(buf_cstring(&err), "closed"));
    prot_free(&p);
    tls_ctx_free(&ctx);
    buf_free(&err);
}

/* Plaintext pipelined behind STARTTLS is dropped, never read as the first
 * command inside TLS (CVE-2011-0411 and kin). */
static void test_starttls_injection(void)
{
    struct buf err = BUF_INITIALIZER, line = BUF_INITIALIZER,
               logged = BUF_INITIALIZER;
    struct tls_ctx *ctx = server_ctx(NULL);
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        struct tls_ctx *cctx = NULL;
        struct prot *cp = prot_new(sv[1], sv[1]);
        close(sv[0]);
        CHILD_CHECK(tls_client_ctx_new(NULL, 0, NULL, &cctx, &err) == 0);
        /* One write: both lines reach the server together. */
        CHILD_CHECK(prot_puts(cp, "a STARTTLS\r\nb INJECTED\r\n") == 0);
        CHILD_CHECK(prot_readline(cp, &line) == ERR_OK);
        CHILD_CHECK(!strcmp(buf_cstring(&line), "a OK Begin TLS"));
        CHILD_CHECK(tls_start_client(cctx, cp, NULL, 10, &err) == ERR_OK);
        CHILD_CHECK(prot_puts(cp, "c NOOP\r\n") == ERR_OK);
        CHILD_CHECK(prot_readline(cp, &line) == ERR_OK);
        CHILD_CHECK(!strcmp(buf_cstring(&line), "c OK"));
        _exit(0);
    }
    close(sv[1]);
    log_set_capture(capture, &logged);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a STARTTLS");
    TEST_ASSERT_INT(prot_input_pending(p), 12);
    TEST_ASSERT_INT(prot_puts(p, "a OK Begin TLS\r\n"), ERR_OK);
    TEST_ASSERT_INT(tls_start_server(ctx, p, 10, &err), ERR_OK);
    TEST_ASSERT(strstr(buf_cstring(&logged), "discarded 12 bytes of "
                                             "plaintext"));
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "c NOOP");
    TEST_ASSERT_INT(prot_puts(p, "c OK\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    reap_ok(pid);
    log_set_capture(NULL, NULL);
    prot_free(&p);
    tls_ctx_free(&ctx);
    buf_free(&err);
    buf_free(&line);
    buf_free(&logged);
}

/* Inside TLS the read timeout still holds. */
static void test_timeout_inside_tls(void)
{
    struct buf err = BUF_INITIALIZER, line = BUF_INITIALIZER;
    struct tls_ctx *ctx = server_ctx(NULL);
    struct prot *p;
    pid_t pid;
    int sv[2];

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        struct tls_ctx *cctx = NULL;
        struct prot *cp = prot_new(sv[1], sv[1]);
        close(sv[0]);
        CHILD_CHECK(tls_client_ctx_new(NULL, 0, "tls1_3", &cctx, &err) == 0);
        CHILD_CHECK(tls_start_client(cctx, cp, NULL, 10, &err) == ERR_OK);
        /* Say nothing; leave when the server hangs up. */
        CHILD_CHECK(prot_readline(cp, &line) == ERR_EOF);
        _exit(0);
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(tls_start_server(ctx, p, 10, &err), ERR_OK);
    TEST_ASSERT_INT(prot_set_timeout(p, 1), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_TIMEOUT);
    prot_set_close_on_free(p, 1);
    prot_free(&p);
    reap_ok(pid);
    tls_ctx_free(&ctx);
    buf_free(&err);
    buf_free(&line);
}

/* ---- settings -------------------------------------------------------------- */

static void expect_ctx_error(const char *cert, const char *key,
                             const char *ciphers, const char *versions,
                             const char *want1, const char *want2)
{
    const struct tls_server_settings set = { ciphers, versions, 0 };
    struct buf err = BUF_INITIALIZER;
    struct tls_ctx *ctx = (struct tls_ctx *)&err;   /* must become NULL */

    TEST_ASSERT_INT(tls_server_ctx_new(cert, key, &set, &ctx, &err),
                    ERR_BADARG);
    TEST_ASSERT(ctx == NULL);
    if (!strstr(buf_cstring(&err), want1) ||
        (want2 && !strstr(buf_cstring(&err), want2)))
        test_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"/\"%s\"",
                  buf_cstring(&err), want1, want2 ? want2 : "");
    TEST_ASSERT(!strchr(buf_cstring(&err), '\n'));
    buf_free(&err);
}

static void test_bad_settings(void)
{
    struct buf err = BUF_INITIALIZER;
    struct tls_ctx *ctx = NULL;

    make_cert("a");
    make_cert("b");
    test_write_file("garbage.pem", "this is not a certificate\n");
    expect_ctx_error("missing.pem", "a-key.pem", NULL, NULL,
                     "certificate file missing.pem",
                     "No such file or directory");
    expect_ctx_error("a-cert.pem", "nokey.pem", NULL, NULL,
                     "private key file nokey.pem",
                     "No such file or directory");
    expect_ctx_error("garbage.pem", "a-key.pem", NULL, NULL,
                     "cannot load certificate file garbage.pem", "OpenSSL: ");
    expect_ctx_error("a-cert.pem", "garbage.pem", NULL, NULL,
                     "cannot load private key file garbage.pem", "OpenSSL: ");
    expect_ctx_error("a-cert.pem", "b-key.pem", NULL, NULL,
                     "private key file b-key.pem does not match certificate "
                     "file a-cert.pem", "OpenSSL: ");
    expect_ctx_error(NULL, "a-key.pem", NULL, NULL, "no certificate file",
                     NULL);
    expect_ctx_error("a-cert.pem", "a-key.pem", "NO-SUCH-CIPHER", NULL,
                     "bad TLS cipher list \"NO-SUCH-CIPHER\"", "OpenSSL: ");
    expect_ctx_error("a-cert.pem", "a-key.pem", NULL, "tls1_1 tls1_2",
                     "unsupported TLS version \"tls1_1\" (use tls1_2 and/or "
                     "tls1_3)", NULL);
    expect_ctx_error("a-cert.pem", "a-key.pem", NULL, "SSLv3",
                     "unsupported TLS version \"SSLv3\"", NULL);
    expect_ctx_error("a-cert.pem", "a-key.pem", NULL, "tls1_3 tls1_",
                     "unsupported TLS version \"tls1_\"", NULL);
    /* Only TLS 1.3 names: no TLS 1.2 suite is selected. */
    expect_ctx_error("a-cert.pem", "a-key.pem", "TLS_AES_128_GCM_SHA256",
                     NULL, "bad TLS cipher list", "OpenSSL: ");
    /* The good combination, with a cipher list and TLS 1.3 only. */
    TEST_ASSERT_INT(tls_server_ctx_new("a-cert.pem", "a-key.pem",
                                       &(struct tls_server_settings){
                                           "HIGH:!aNULL", "tls1_3", 1 },
                                       &ctx, &err),
                    ERR_OK);
    tls_ctx_free(&ctx);
    /* Client side: an unreadable CA file; wrong side for a handshake. */
    TEST_ASSERT_INT(tls_client_ctx_new("missing-ca.pem", 1, NULL, &ctx, &err),
                    ERR_BADARG);
    TEST_ASSERT(strstr(buf_cstring(&err), "CA certificate file "
                                          "missing-ca.pem"));
    TEST_ASSERT_INT(tls_client_ctx_new(NULL, 0, NULL, &ctx, &err), ERR_OK);
    {
        struct prot *p = prot_new(-1, -1);
        TEST_ASSERT_INT(tls_start_server(ctx, p, 1, &err), ERR_BADARG);
        prot_free(&p);
    }
    tls_ctx_free(&ctx);
    tls_ctx_free(&ctx);         /* NULL is fine */
    buf_free(&err);
}

TEST_MAIN("tls",
          TEST_CASE(test_handshake_socketpair),
          TEST_CASE(test_handshake_separate_fds),
          TEST_CASE(test_client_verifies_hostname),
          TEST_CASE(test_tls11_client_refused),
          TEST_CASE(test_tls12_client_refused_by_tls13_minimum),
          TEST_CASE(test_tls13_client_refused_by_tls12_only),
          TEST_CASE(test_plaintext_peer),
          TEST_CASE(test_handshake_timeout_and_eof),
          TEST_CASE(test_starttls_injection),
          TEST_CASE(test_timeout_inside_tls),
          TEST_CASE(test_bad_settings))
