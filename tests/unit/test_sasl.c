/* test_sasl.c -- Cyrus SASL glue with real libsasl2, a real sasldb made
 * with saslpasswd2, client and server in two processes over a socketpair:
 * mechanism lists and the plaintext rule, LOGIN-style password checks,
 * PLAIN / CRAM-MD5 / DIGEST-MD5 right and wrong, bad client data, and the
 * DIGEST-MD5 security layer carrying lines both ways through prot. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/deflate.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/sasl_glue.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

/* LeakSanitizer hook (ignored without ASan).  libsasl2's DIGEST-MD5 plugin
 * fetches OpenSSL's RC4 for auth-conf (EVP_CIPHER_fetch) and never releases
 * it.  The plugin is unloaded by exit and libcrypto has no frame pointers,
 * so the report shows libcrypto frames only.  Nothing in this program or
 * in sasl_glue calls OpenSSL, so a libcrypto leak here is never ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcrypto.so\n";
}

#define REALM "chapar.test"
#define ALL_MECHS "PLAIN LOGIN CRAM-MD5 DIGEST-MD5"

/* ---- setup ----------------------------------------------------------------- */

struct options {
    char *sasldb;
    const char *mech_list;
};

static struct options opts;

static const char *test_getopt(const char *option, void *rock)
{
    struct options *o = rock;

    if (!strcmp(option, "pwcheck_method"))
        return "auxprop";
    if (!strcmp(option, "auxprop_plugin"))
        return "sasldb";
    if (!strcmp(option, "sasldb_path"))
        return o->sasldb;
    if (!strcmp(option, "mech_list"))
        return o->mech_list;
    return NULL;
}

/* A sasldb with alice@chapar.test / secret, and a server using it. */
static void server_setup(const char *mech_list)
{
    char *cmd;

    opts.sasldb = xstrdup(test_path("sasldb2"));
    opts.mech_list = mech_list;
    cmd = xasprintf("echo secret | saslpasswd2 -f %s -p -c -u " REALM
                    " alice", opts.sasldb);
    TEST_ASSERT(system(cmd) == 0);
    free(cmd);
    TEST_ASSERT_INT(sasl_glue_server_init("chapar-test", test_getopt, &opts),
                    ERR_OK);
}

static struct sasl_glue *server_session(unsigned flags)
{
    struct sasl_glue *s = NULL;
    TEST_ASSERT_INT(sasl_glue_server_new("imap", REALM, NULL,
                                         "127.0.0.1;143", "127.0.0.1;40000",
                                         flags, &s), ERR_OK);
    return s;
}

static void make_pair(int sv[2])
{
    TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
}

static int child_status(pid_t pid)
{
    int status;
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* ---- a tiny framing for the exchange: "<WORD> <len>\r\n<len bytes>" ------ */

static int send_msg(struct prot *p, const char *word, const struct buf *data)
{
    prot_printf(p, "%s %zu\r\n", word, data ? data->len : 0);
    if (data)
        prot_write(p, data->s, data->len);
    return prot_flush(p);
}

/* Read one message; the word goes to word[WORD_SIZE], the bytes to data. */
#define WORD_SIZE 32
static int recv_msg(struct prot *p, char *word, struct buf *data)
{
    struct buf line = BUF_INITIALIZER;
    long long len = 0;
    char *sp;
    int r;

    buf_reset(data);
    if ((r = prot_readline(p, &line)))
        goto done;
    sp = strchr(buf_cstring(&line), ' ');
    r = ERR_PROTOCOL;
    if (!sp || sp - line.s >= WORD_SIZE)
        goto done;
    *sp = '\0';
    snprintf(word, WORD_SIZE, "%s", line.s);
    if (util_parse_long(sp + 1, 0, 1 << 20, &len))
        goto done;
    r = prot_read_exact(p, (size_t)len, data);
done:
    buf_free(&line);
    return r;
}

/* ---- the two sides ------------------------------------------------------------ */

/* Server: "AUTH:<mech> <len>" (or "AUTH-:<mech> 0" for no initial
 * response), then challenges "C" / responses "R", then "OK 0" or "NO 0". */
static int serve_auth(struct prot *p, struct sasl_glue *s)
{
    struct buf in = BUF_INITIALIZER, out = BUF_INITIALIZER;
    char word[WORD_SIZE], mech[64];
    int r, done = 0, has_initial;

    if ((r = recv_msg(p, word, &in)))
        return r;
    /* word is "AUTH:<mech>" or "AUTH-:<mech>" (no initial response). */
    if (!strchr(word, ':'))
        return ERR_PROTOCOL;
    has_initial = !strncmp(word, "AUTH:", 5);
    snprintf(mech, sizeof(mech), "%s", strchr(word, ':') + 1);
    r = sasl_glue_server_start(s, mech, has_initial ? in.s ? in.s : "" : NULL,
                               in.len, &out, &done);
    while (!r && !done) {
        if ((r = send_msg(p, "C", &out)) || (r = recv_msg(p, word, &in)))
            break;
        r = sasl_glue_server_step(s, in.s, in.len, &out, &done);
    }
    send_msg(p, r ? "NO" : "OK", NULL);
    buf_free(&in);
    buf_free(&out);
    return r;
}

/* Client (in the child): authenticate, return the server's verdict. */
static int client_auth(struct prot *p, struct sasl_glue *c, const char *mechs)
{
    struct buf in = BUF_INITIALIZER, out = BUF_INITIALIZER;
    const char *mech;
    char word[WORD_SIZE];
    int r, has_out, done;

    if ((r = sasl_glue_client_start(c, mechs, &mech, &out, &has_out, &done)))
        return 100 + r;
    snprintf(word, sizeof(word), "AUTH%s:%s", has_out ? "" : "-", mech);
    if ((r = send_msg(p, word, &out)))
        return 100 + r;
    for (;;) {
        if ((r = recv_msg(p, word, &in)))
            return 100 + r;
        if (!strcmp(word, "OK"))
            break;
        if (!strcmp(word, "NO")) {
            r = ERR_PERM;
            break;
        }
        if ((r = sasl_glue_client_step(c, in.s, in.len, &out, &done)) ||
            (r = send_msg(p, "R", &out)))
            return 100 + r;
    }
    buf_free(&in);
    buf_free(&out);
    return r;
}

/* Run one authentication: the child logs in with `password` over `mech`
 * and exits with the outcome; the parent serves it.  Returns the server's
 * result; *client_r gets the child's. */
static int run_auth(const char *mech, const char *user, const char *password,
                    unsigned flags, int *client_r, char **username_r)
{
    struct sasl_glue *s = server_session(flags);
    struct prot *p;
    pid_t pid;
    int sv[2], r;

    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        struct sasl_glue *c = NULL;
        struct prot *cp = prot_new(sv[1], sv[1]);
        close(sv[0]);
        if (sasl_glue_client_init() ||
            sasl_glue_client_new("imap", REALM, user, password, 0, 0, &c))
            _exit(98);
        _exit(client_auth(cp, c, mech));
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(prot_set_timeout(p, 20), ERR_OK);
    r = serve_auth(p, s);
    *client_r = child_status(pid);
    if (username_r) {
        const char *u = sasl_glue_username(s);
        *username_r = r == ERR_OK && u ? xstrdup(u) : NULL;
    }
    prot_free(&p);
    sasl_glue_free(&s);
    TEST_ASSERT(s == NULL);
    close(sv[0]);
    return r;
}

static void check_mech(const char *mech, unsigned flags)
{
    char *user = NULL;
    int client;

    TEST_ASSERT_INT(run_auth(mech, "alice", "secret", flags, &client, &user),
                    ERR_OK);
    TEST_ASSERT_INT(client, ERR_OK);
    TEST_ASSERT(user && !strncmp(user, "alice", 5));
    free(user);
    TEST_ASSERT_INT(run_auth(mech, "alice", "wrong", flags, &client, NULL),
                    ERR_PERM);
    TEST_ASSERT_INT(client, ERR_PERM);
    TEST_ASSERT_INT(run_auth(mech, "mallory", "secret", flags, &client, NULL),
                    ERR_PERM);
    TEST_ASSERT_INT(client, ERR_PERM);
}

/* ---- tests --------------------------------------------------------------------- */

static void test_mechlist_and_plaintext(void)
{
    struct buf list = BUF_INITIALIZER, out = BUF_INITIALIZER;
    struct sasl_glue *s;
    int done;

    server_setup(ALL_MECHS);
    s = server_session(0);
    TEST_ASSERT(sasl_glue_username(s) == NULL);
    /* Before TLS: no password in the clear. */
    TEST_ASSERT_INT(sasl_glue_plaintext_allowed(s), 0);
    TEST_ASSERT_INT(sasl_glue_mechlist(s, "AUTH=", &list), ERR_OK);
    TEST_ASSERT(strstr(buf_cstring(&list), "AUTH=CRAM-MD5"));
    TEST_ASSERT(strstr(buf_cstring(&list), "AUTH=DIGEST-MD5"));
    TEST_ASSERT(!strstr(buf_cstring(&list), "PLAIN"));
    TEST_ASSERT(!strstr(buf_cstring(&list), "LOGIN"));
    TEST_ASSERT(!strstr(buf_cstring(&list), "ANONYMOUS"));
    TEST_ASSERT(!strstr(buf_cstring(&list), "  "));
    TEST_ASSERT_INT(sasl_glue_server_start(s, "PLAIN", "\0alice\0secret", 13,
                                           &out, &done), ERR_NOTSUPP);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "secret"), ERR_NOTSUPP);
    /* TLS on: now they are offered. */
    TEST_ASSERT_INT(sasl_glue_set_tls(s, 256, NULL), ERR_OK);
    TEST_ASSERT_INT(sasl_glue_plaintext_allowed(s), 1);
    TEST_ASSERT_INT(sasl_glue_mechlist(s, "AUTH=", &list), ERR_OK);
    TEST_ASSERT(strstr(buf_cstring(&list), "AUTH=PLAIN"));
    TEST_ASSERT(strstr(buf_cstring(&list), "AUTH=LOGIN"));
    sasl_glue_free(&s);
    /* allowplaintext: offered without TLS; POP3-style list without prefix. */
    s = server_session(SASL_GLUE_PLAINTEXT);
    TEST_ASSERT_INT(sasl_glue_plaintext_allowed(s), 1);
    TEST_ASSERT_INT(sasl_glue_mechlist(s, "", &list), ERR_OK);
    TEST_ASSERT(strstr(buf_cstring(&list), "PLAIN"));
    TEST_ASSERT(!strstr(buf_cstring(&list), "AUTH="));
    TEST_ASSERT(list.len && list.s[0] != ' ' && list.s[list.len - 1] != ' ');
    /* A mechanism outside mech_list is neither offered nor accepted. */
    TEST_ASSERT(!strstr(buf_cstring(&list), "SCRAM"));
    TEST_ASSERT_INT(sasl_glue_server_start(s, "SCRAM-SHA-256", NULL, 0, &out,
                                           &done), ERR_NOTSUPP);
    TEST_ASSERT_INT(sasl_glue_server_start(s, "NO-SUCH-MECH", NULL, 0, &out,
                                           &done), ERR_NOTSUPP);
    sasl_glue_free(&s);
    sasl_glue_free(&s);     /* NULL is fine */
    buf_free(&list);
    buf_free(&out);
    sasl_glue_done();
}

static void test_checkpass(void)
{
    struct sasl_glue *s;

    server_setup(ALL_MECHS);
    s = server_session(SASL_GLUE_PLAINTEXT);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "secret"), ERR_OK);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "Secret"), ERR_PERM);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", ""), ERR_PERM);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "bob", "secret"), ERR_PERM);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "", "secret"), ERR_PERM);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, NULL, "secret"), ERR_BADARG);
    TEST_ASSERT(*sasl_glue_errdetail(s));
    sasl_glue_free(&s);
    sasl_glue_done();
}

static void test_auth_plain(void)
{
    server_setup(ALL_MECHS);
    check_mech("PLAIN", SASL_GLUE_PLAINTEXT);
}

static void test_auth_cram_md5(void)
{
    server_setup(ALL_MECHS);
    check_mech("CRAM-MD5", 0);
}

static void test_auth_digest_md5(void)
{
    server_setup(ALL_MECHS);
    check_mech("DIGEST-MD5", 0);
}

/* Malformed client data is an error, not a crash. */
static void test_bad_client_data(void)
{
    struct buf out = BUF_INITIALIZER;
    struct sasl_glue *s;
    int done, r;

    server_setup(ALL_MECHS);
    s = server_session(SASL_GLUE_PLAINTEXT);
    r = sasl_glue_server_start(s, "PLAIN", "no nul bytes", 12, &out, &done);
    TEST_ASSERT(r == ERR_PROTOCOL || r == ERR_PERM);
    sasl_glue_free(&s);
    s = server_session(SASL_GLUE_PLAINTEXT);
    r = sasl_glue_server_start(s, "PLAIN", "\0\0\0\0", 4, &out, &done);
    TEST_ASSERT(r != ERR_OK);
    sasl_glue_free(&s);
    s = server_session(0);
    TEST_ASSERT_INT(sasl_glue_server_start(s, "DIGEST-MD5", NULL, 0, &out,
                                           &done), ERR_OK);
    TEST_ASSERT(!done && out.len > 0);         /* the challenge */
    r = sasl_glue_server_step(s, "username=\"alice\",nonce=,,,=\"", 28, &out,
                              &done);
    TEST_ASSERT(r != ERR_OK);
    sasl_glue_free(&s);
    s = server_session(0);
    TEST_ASSERT_INT(sasl_glue_server_start(s, "CRAM-MD5", NULL, 0, &out,
                                           &done), ERR_OK);
    r = sasl_glue_server_step(s, "", 0, &out, &done);
    TEST_ASSERT(r != ERR_OK);
    sasl_glue_free(&s);
    s = server_session(0);
    TEST_ASSERT_INT(sasl_glue_server_start(s, NULL, NULL, 0, &out, &done),
                    ERR_BADARG);
    /* PLAIN authenticated fine but has no layer to install. */
    sasl_glue_free(&s);
    buf_free(&out);
    sasl_glue_done();
}

/* ---- the security layer ----------------------------------------------------------- */

#define BIG_LINE (256 * 1024)   /* far above SASL_GLUE_MAXBUF (65536) */

static void fill_big(struct buf *b, char seed)
{
    buf_reset(b);
    for (size_t i = 0; i < BIG_LINE; i++)
        buf_putc(b, (char)('A' + (seed + i) % 26));
}

/* In a child: a prot on fd authenticated with DIGEST-MD5 and its layer
 * installed (the child exits 96..98 if that fails). */
static struct prot *layered_client(int fd)
{
    struct sasl_glue *c = NULL;
    struct prot *p = prot_new(fd, fd);

    if (sasl_glue_client_init() ||
        sasl_glue_client_new("imap", REALM, "alice", "secret", 2, 256, &c))
        _exit(98);
    prot_set_maxline(p, 2 * BIG_LINE);
    prot_set_timeout(p, 20);
    if (client_auth(p, c, "DIGEST-MD5") != ERR_OK)
        _exit(97);
    if (sasl_glue_ssf(c) < 2 || sasl_glue_set_layer(p, &c) || c != NULL)
        _exit(96);
    return p;
}

/* In the child: authenticate with a layer, then talk through it. */
static void layer_client(int fd)
{
    struct buf line = BUF_INITIALIZER, big = BUF_INITIALIZER;
    struct prot *p = layered_client(fd);

    fill_big(&big, 3);
    prot_puts(p, "a1 hello through the layer\r\n");
    prot_write(p, big.s, big.len);
    prot_puts(p, "\r\n");
    if (prot_readline(p, &line) || strcmp(buf_cstring(&line), "* hi"))
        _exit(95);
    fill_big(&big, 7);
    if (prot_readline(p, &line) || buf_cmp(&line, &big))
        _exit(94);
    if (prot_readline(p, &line) || strcmp(buf_cstring(&line), "a1 OK"))
        _exit(93);
    prot_free(&p);
    buf_free(&line);
    buf_free(&big);
    _exit(0);
}

static void test_digest_security_layer(void)
{
    struct buf line = BUF_INITIALIZER, big = BUF_INITIALIZER;
    struct sasl_glue *s;
    struct prot *p;
    unsigned ssf;
    pid_t pid;
    int sv[2];

    server_setup(ALL_MECHS);
    s = server_session(0);
    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        layer_client(sv[1]);
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    prot_set_maxline(p, 2 * BIG_LINE);
    prot_set_timeout(p, 20);
    TEST_ASSERT_INT(serve_auth(p, s), ERR_OK);
    ssf = sasl_glue_ssf(s);
    TEST_ASSERT(ssf >= 2);          /* auth-conf: an encrypting layer */
    TEST_ASSERT(!strncmp(sasl_glue_username(s), "alice", 5));
    TEST_ASSERT_INT(sasl_glue_set_layer(p, &s), ERR_OK);
    TEST_ASSERT(s == NULL);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "a1 hello through the layer");
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    fill_big(&big, 3);
    TEST_ASSERT_INT(buf_cmp(&line, &big), 0);
    TEST_ASSERT_INT(prot_puts(p, "* hi\r\n"), ERR_OK);
    fill_big(&big, 7);
    TEST_ASSERT_INT(prot_write(p, big.s, big.len), ERR_OK);
    TEST_ASSERT_INT(prot_puts(p, "\r\na1 OK\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    TEST_ASSERT_INT(child_status(pid), 0);
    /* The client left: end of stream through the layer. */
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_EOF);
    prot_free(&p);
    buf_free(&line);
    buf_free(&big);
    sasl_glue_done();
}

/* Garbage instead of layer packets: a protocol error, not a crash. */
static void test_layer_rejects_garbage(void)
{
    struct buf line = BUF_INITIALIZER;
    struct sasl_glue *s;
    struct prot *p;
    pid_t pid;
    int sv[2];

    server_setup(ALL_MECHS);
    s = server_session(0);
    make_pair(sv);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        struct sasl_glue *c = NULL;
        struct prot *cp = prot_new(sv[1], sv[1]);
        close(sv[0]);
        if (sasl_glue_client_init() ||
            sasl_glue_client_new("imap", REALM, "alice", "secret", 1, 256,
                                 &c) ||
            client_auth(cp, c, "DIGEST-MD5") != ERR_OK)
            _exit(1);
        /* A packet header promising 16 bytes, then bytes that are not. */
        _exit(retry_write(sv[1], "\0\0\0\x10" "0123456789abcdef", 20) == 20
              ? 0 : 1);
    }
    close(sv[1]);
    p = prot_new(sv[0], sv[0]);
    prot_set_timeout(p, 20);
    TEST_ASSERT_INT(serve_auth(p, s), ERR_OK);
    TEST_ASSERT_INT(sasl_glue_set_layer(p, &s), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_PROTOCOL);
    TEST_ASSERT_INT(child_status(pid), 0);
    prot_free(&p);
    buf_free(&line);
    sasl_glue_done();
}

/* ---- COMPRESS over the security layer (RFC 4978 section 3) ---------------- */

/* In a child: copy bytes between a and b until either side closes, then
 * write to count_fd how many went from b to a. */
static void relay(int a, int b, int count_fd)
{
    struct pollfd pfd[2] = { { .fd = a, .events = POLLIN },
                             { .fd = b, .events = POLLIN } };
    unsigned long long from_b = 0;
    char tmp[65536];

    while (poll(pfd, 2, 20000) > 0) {
        for (int i = 0; i < 2; i++) {
            ssize_t n;

            if (!pfd[i].revents)
                continue;
            n = read(pfd[i].fd, tmp, sizeof(tmp));
            if (n <= 0 || retry_write(pfd[1 - i].fd, tmp, (size_t)n) != n)
                goto done;
            if (i == 1)
                from_b += (unsigned long long)n;
        }
    }
done:
    (void)!retry_write(count_fd, &from_b, sizeof(from_b));
    _exit(0);
}

/* In the child: DIGEST-MD5 with a layer, COMPRESS on top, a big line. */
static void compress_client(int fd)
{
    struct buf line = BUF_INITIALIZER, big = BUF_INITIALIZER, err = BUF_INITIALIZER;
    struct prot *p = layered_client(fd);

    if (deflate_start(p, &err))
        _exit(95);
    fill_big(&big, 3);
    prot_write(p, big.s, big.len);
    prot_puts(p, "\r\n");
    if (prot_readline(p, &line) || strcmp(buf_cstring(&line), "* hi"))
        _exit(94);
    prot_free(&p);
    _exit(0);
}

/* COMPRESS pushed after the SASL layer compresses before the layer
 * encrypts (RFC 4978 section 3's order): 256 kB of text cross the wire in
 * far fewer bytes, which encrypted data could not be compressed to. */
static void test_compress_over_security_layer(void)
{
    struct buf line = BUF_INITIALIZER, big = BUF_INITIALIZER, err = BUF_INITIALIZER;
    unsigned long long wire = 0;
    struct sasl_glue *s;
    struct prot *p;
    pid_t client, relayer;
    int sv[2], cv[2], cnt[2];

    server_setup(ALL_MECHS);
    s = server_session(0);
    make_pair(sv);
    make_pair(cv);
    TEST_ASSERT(pipe(cnt) == 0);
    client = fork();
    TEST_ASSERT(client >= 0);
    if (client == 0)
        compress_client(cv[1]);
    relayer = fork();
    TEST_ASSERT(relayer >= 0);
    if (relayer == 0)
        relay(sv[1], cv[0], cnt[1]);
    close(sv[1]);
    close(cv[0]);
    close(cv[1]);
    close(cnt[1]);
    p = prot_new(sv[0], sv[0]);
    prot_set_maxline(p, 2 * BIG_LINE);
    prot_set_timeout(p, 20);
    TEST_ASSERT_INT(serve_auth(p, s), ERR_OK);
    TEST_ASSERT(sasl_glue_ssf(s) >= 2);
    TEST_ASSERT_INT(sasl_glue_set_layer(p, &s), ERR_OK);
    TEST_ASSERT_INT(deflate_start(p, &err), ERR_OK);
    TEST_ASSERT_INT(prot_readline(p, &line), ERR_OK);
    fill_big(&big, 3);
    TEST_ASSERT_INT(buf_cmp(&line, &big), 0);
    TEST_ASSERT_INT(prot_puts(p, "* hi\r\n"), ERR_OK);
    TEST_ASSERT_INT(prot_flush(p), ERR_OK);
    TEST_ASSERT_INT(child_status(client), 0);
    TEST_ASSERT(read(cnt[0], &wire, sizeof(wire)) == (ssize_t)sizeof(wire));
    TEST_ASSERT_INT(child_status(relayer), 0);
    TEST_ASSERT(wire > 0 && wire < BIG_LINE / 20);
    close(cnt[0]);
    prot_free(&p);
    buf_free(&line);
    buf_free(&big);
    buf_free(&err);
    sasl_glue_done();
}

/* Without a negotiated layer there is nothing to install. */
static void test_no_layer_without_ssf(void)
{
    struct sasl_glue *s;
    struct prot *p;
    int sv[2];

    server_setup(ALL_MECHS);
    s = server_session(SASL_GLUE_PLAINTEXT);
    make_pair(sv);
    p = prot_new(sv[0], sv[0]);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "secret"), ERR_OK);
    TEST_ASSERT_INT(sasl_glue_ssf(s), 0);
    TEST_ASSERT_INT(sasl_glue_set_layer(p, &s), ERR_BADARG);
    TEST_ASSERT(s != NULL);                   /* still ours */
    sasl_glue_free(&s);
    prot_free(&p);
    sasl_glue_done();
}

TEST_MAIN("sasl",
          TEST_CASE(test_mechlist_and_plaintext),
          TEST_CASE(test_checkpass),
          TEST_CASE(test_auth_plain),
          TEST_CASE(test_auth_cram_md5),
          TEST_CASE(test_auth_digest_md5),
          TEST_CASE(test_bad_client_data),
          TEST_CASE(test_digest_security_layer),
          TEST_CASE(test_layer_rejects_garbage),
          TEST_CASE(test_compress_over_security_layer),
          TEST_CASE(test_no_layer_without_ssf))
