/* test_imap_parser.c -- the IMAP command parser, driven through a real prot
 * over a socketpair: the test writes the client's bytes and reads what the
 * server sends back.  Covers the grammar, literals and continuations,
 * every limit (BAD, then the next command parses), syntax errors, FETCH
 * sections, APPEND, end of stream and timeouts; then random commands
 * checked against an independent description, and random garbage. */
#include "config.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/imapd/imap_parser.h"
#include "tests/unit/harness.h"

/* ---- a connection: server prot + parser on sv[0], the client on sv[1] --- */

struct conn {
    int sv[2];
    struct prot *prot;
    struct imap_parser *parser;
    pid_t writer;
};

static const struct imap_parser_limits small_limits = {
    .max_line = 200, .max_literal = 100, .max_literal_total = 150,
    .max_discard = 100000, .max_depth = 3, .max_args = 10,
};

static void conn_open(struct conn *c, const struct imap_parser_limits *lim)
{
    TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, c->sv) == 0);
    c->prot = prot_new(c->sv[0], c->sv[0]);
    c->parser = imap_parser_new(c->prot, lim);
    c->writer = 0;
}

static void conn_close(struct conn *c)
{
    int status;

    imap_parser_free(&c->parser);
    TEST_ASSERT(c->parser == NULL);
    prot_free(&c->prot);
    close(c->sv[0]);
    close(c->sv[1]);
    if (c->writer > 0)
        TEST_ASSERT(waitpid(c->writer, &status, 0) == c->writer);
}

/* Small client data goes straight into the socket.  Big data is written by
 * a child (the socket buffer would fill before the parser reads); a test
 * sends everything that follows big data in the same call. */
static void send_bytes(struct conn *c, const void *data, size_t n)
{
    if (n <= 16384) {
        TEST_ASSERT(retry_write(c->sv[1], data, n) == (ssize_t)n);
        return;
    }
    TEST_ASSERT(c->writer == 0);
    c->writer = fork();
    TEST_ASSERT(c->writer >= 0);
    if (c->writer == 0)
        _exit(retry_write(c->sv[1], data, n) == (ssize_t)n ? 0 : 1);
}

static void send_str(struct conn *c, const char *s)
{
    send_bytes(c, s, strlen(s));
}

static void send_eof(struct conn *c) { shutdown(c->sv[1], SHUT_WR); }

/* What the server sent to the client within a short while. */
static void client_received(struct conn *c, struct buf *out)
{
    struct pollfd pfd = { .fd = c->sv[1], .events = POLLIN };
    char tmp[4096];

    buf_reset(out);
    while (poll(&pfd, 1, 100) > 0) {
        ssize_t n = read(c->sv[1], tmp, sizeof(tmp));
        if (n <= 0)
            break;
        buf_appendmap(out, tmp, (size_t)n);
    }
}

static struct imap_parser_command *expect_ok(struct conn *c)
{
    struct imap_parser_command *cmd = NULL;
    const char *why = NULL;
    enum imap_parser_result r = imap_parser_read(c->parser, &cmd);

    if (r != IMAP_PARSER_OK) {
        imap_parser_error(c->parser, &why);
        test_fail(__FILE__, __LINE__, "result %d, expected OK (%s)", (int)r,
                  why);
    }
    TEST_ASSERT(cmd != NULL);
    return cmd;
}

/* Parse one command and compare it, in canonical form, with `want`. */
static void expect_cmd(struct conn *c, const char *want)
{
    struct imap_parser_command *cmd = expect_ok(c);
    struct buf out = BUF_INITIALIZER;

    imap_parser_command_format(cmd, &out);
    TEST_ASSERT_MEM(out.s, out.len, want, strlen(want));
    imap_parser_command_free(&cmd);
    TEST_ASSERT(cmd == NULL);
    buf_free(&out);
}

static void expect_result(struct conn *c, enum imap_parser_result want,
                          enum imap_parser_error err, const char *tag,
                          const char *reason)
{
    struct imap_parser_command *cmd = (void *)&cmd;  /* must be reset */
    const char *why = NULL;

    TEST_ASSERT_INT(imap_parser_read(c->parser, &cmd), want);
    TEST_ASSERT(cmd == NULL);
    TEST_ASSERT_INT(imap_parser_error(c->parser, &why), err);
    if (reason)
        TEST_ASSERT_STR(why, reason);
    if (tag)
        TEST_ASSERT_STR(imap_parser_tag(c->parser), tag);
    else if (want == IMAP_PARSER_BAD)
        TEST_ASSERT(imap_parser_tag(c->parser) == NULL);
}

static void expect_bad(struct conn *c, enum imap_parser_error err,
                       const char *tag, const char *reason)
{
    expect_result(c, IMAP_PARSER_BAD, err, tag, reason);
}

static void expect_syntax(struct conn *c, const char *tag, const char *reason)
{
    expect_bad(c, IMAP_PARSER_ERR_SYNTAX, tag, reason);
}

/* ---- the grammar -------------------------------------------------------- */

static void test_simple_commands(void)
{
    struct conn c;
    struct imap_parser_command *cmd;
    const char *s;

    conn_open(&c, NULL);
    send_str(&c, "a1 NOOP\r\nA2 login bob secret\r\nx.3 SELECT INBOX\n"
                 "a4 CAPABILITY\r\n");
    cmd = expect_ok(&c);
    TEST_ASSERT_STR(cmd->tag, "a1");
    TEST_ASSERT_STR(cmd->name, "NOOP");
    TEST_ASSERT(imap_parser_command_is(cmd, "noop"));
    TEST_ASSERT(!imap_parser_command_is(cmd, "NOOPX"));
    TEST_ASSERT_INT(cmd->nargs, 0);
    TEST_ASSERT(cmd->args == NULL);
    imap_parser_command_free(&cmd);

    cmd = expect_ok(&c);
    TEST_ASSERT_STR(cmd->tag, "A2");
    TEST_ASSERT_STR(cmd->name, "login");
    TEST_ASSERT(imap_parser_command_is(cmd, "LOGIN"));
    TEST_ASSERT_INT(cmd->nargs, 2);
    TEST_ASSERT_INT(cmd->args[0].type, IMAP_ARG_ATOM);
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[0], &s));
    TEST_ASSERT_STR(s, "bob");
    TEST_ASSERT(!imap_arg_get_string(&cmd->args[0], &s));  /* an atom */
    TEST_ASSERT(imap_arg_get_atom(&cmd->args[1], &s));
    TEST_ASSERT_STR(s, "secret");
    TEST_ASSERT_INT(cmd->args[1].len, 6);
    imap_parser_command_free(&cmd);

    expect_cmd(&c, "x.3 SELECT INBOX\r\n");              /* bare LF */
    expect_cmd(&c, "a4 CAPABILITY\r\n");
    TEST_ASSERT_INT(imap_parser_error(c.parser, NULL), IMAP_PARSER_ERR_NONE);
    imap_parser_command_free(&cmd);                      /* NULL is fine */
    conn_close(&c);
}

static void test_quoted_strings(void)
{
    struct conn c;
    struct imap_parser_command *cmd;
    const char *s;

    conn_open(&c, NULL);
    send_str(&c, "a1 LOGIN \"b\\\"o\\\\b\" \"p w (x) {3}\"\r\n"
                 "a2 X \"\" \"caf\xc3\xa9\" \"NIL\" nil\r\n");
    cmd = expect_ok(&c);
    TEST_ASSERT_INT(cmd->args[0].type, IMAP_ARG_QUOTED);
    TEST_ASSERT(imap_arg_get_string(&cmd->args[0], &s));
    TEST_ASSERT_STR(s, "b\"o\\b");
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[1], &s));
    TEST_ASSERT_STR(s, "p w (x) {3}");
    imap_parser_command_free(&cmd);

    cmd = expect_ok(&c);
    TEST_ASSERT_INT(cmd->nargs, 4);
    TEST_ASSERT_INT(cmd->args[0].len, 0);
    TEST_ASSERT_STR(cmd->args[0].str, "");
    TEST_ASSERT_STR(cmd->args[1].str, "caf\xc3\xa9");     /* UTF-8 kept */
    TEST_ASSERT_INT(cmd->args[2].type, IMAP_ARG_QUOTED);  /* "NIL" is no NIL */
    TEST_ASSERT_INT(cmd->args[3].type, IMAP_ARG_NIL);
    TEST_ASSERT_STR(cmd->args[3].str, "nil");
    TEST_ASSERT(imap_arg_get_nstring(&cmd->args[3], &s) && s == NULL);
    TEST_ASSERT(imap_arg_get_nstring(&cmd->args[2], &s));
    TEST_ASSERT_STR(s, "NIL");
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[3], &s));  /* mailbox "nil" */
    TEST_ASSERT_STR(s, "nil");
    imap_parser_command_free(&cmd);
    conn_close(&c);
}

static void test_literal_binary(void)
{
    static const char data[] = "ab\r\n\0c\nd";           /* 8 bytes */
    static const char wire[] = "a1 APPEND box {8+}\r\nab\r\n\0c\nd NIL\r\n"
                               "a2 NOOP\r\n";
    struct conn c;
    struct imap_parser_command *cmd;
    struct buf got = BUF_INITIALIZER;
    const char *s;
    size_t n;

    conn_open(&c, NULL);
    send_bytes(&c, wire, sizeof(wire) - 1);
    cmd = expect_ok(&c);
    TEST_ASSERT_INT(cmd->nargs, 3);
    TEST_ASSERT_INT(cmd->args[1].type, IMAP_ARG_LITERAL);
    TEST_ASSERT(cmd->args[1].flags & IMAP_ARG_F_NONSYNC);
    TEST_ASSERT(!(cmd->args[1].flags & IMAP_ARG_F_LITERAL8));
    TEST_ASSERT(imap_arg_get_literal(&cmd->args[1], &s, &n));
    TEST_ASSERT_MEM(s, n, data, sizeof(data) - 1);
    TEST_ASSERT(s[n] == '\0');
    /* A NUL cannot pass as a C string. */
    TEST_ASSERT(!imap_arg_get_string(&cmd->args[1], &s));
    TEST_ASSERT(!imap_arg_get_astring(&cmd->args[1], &s));
    TEST_ASSERT(!imap_arg_get_literal(&cmd->args[0], &s, &n));
    TEST_ASSERT_INT(cmd->args[2].type, IMAP_ARG_NIL);
    imap_parser_command_free(&cmd);
    expect_cmd(&c, "a2 NOOP\r\n");
    /* LITERAL+ asks for no continuation: nothing went to the client. */
    client_received(&c, &got);
    TEST_ASSERT_INT(got.len, 0);
    buf_free(&got);
    conn_close(&c);
}

static void test_sync_literal_continuation(void)
{
    struct conn c;
    struct imap_parser_command *cmd = NULL;
    struct buf got = BUF_INITIALIZER;
    const char *s;

    conn_open(&c, NULL);
    send_str(&c, "a1 LOGIN {3}\r\n");
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd),
                    IMAP_PARSER_NEED_CONTINUATION);
    TEST_ASSERT(cmd == NULL);
    TEST_ASSERT_STR(imap_parser_tag(c.parser), "a1");
    TEST_ASSERT_STR(imap_parser_name(c.parser), "LOGIN");
    TEST_ASSERT_INT(imap_parser_literal_size(c.parser), 3);
    /* The server words the continuation; the client waits for it. */
    prot_printf(c.prot, "+ go ahead\r\n");
    prot_flush(c.prot);
    client_received(&c, &got);
    TEST_ASSERT_STR(buf_cstring(&got), "+ go ahead\r\n");
    send_str(&c, "bob {6}\r\n");
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd),
                    IMAP_PARSER_NEED_CONTINUATION);
    TEST_ASSERT_INT(imap_parser_literal_size(c.parser), 6);
    /* Not flushed by hand: the parser's read flushes before it waits. */
    prot_printf(c.prot, "+ more\r\n");
    send_str(&c, "secret\r\n");
    cmd = expect_ok(&c);
    TEST_ASSERT_INT(cmd->nargs, 2);
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[0], &s));
    TEST_ASSERT_STR(s, "bob");
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[1], &s));
    TEST_ASSERT_STR(s, "secret");
    TEST_ASSERT(!(cmd->args[1].flags & IMAP_ARG_F_NONSYNC));
    TEST_ASSERT_INT(imap_parser_literal_size(c.parser), 0);
    imap_parser_command_free(&cmd);

    /* A literal inside a list, then more after it. */
    send_str(&c, "a2 X ({2}\r\n");
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd),
                    IMAP_PARSER_NEED_CONTINUATION);
    prot_printf(c.prot, "+ ok\r\n");
    send_str(&c, "ab {1+}\r\nc) d\r\n");
    expect_cmd(&c, "a2 X ({2+}\r\nab {1+}\r\nc) d\r\n");
    client_received(&c, &got);
    TEST_ASSERT_STR(buf_cstring(&got), "+ more\r\n+ ok\r\n");
    buf_free(&got);
    conn_close(&c);
}

static void test_sync_literal_refused_by_server(void)
{
    struct conn c;
    struct imap_parser_command *cmd = NULL;

    conn_open(&c, NULL);
    send_str(&c, "a1 APPEND box (\\Seen) {50}\r\n");
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd),
                    IMAP_PARSER_NEED_CONTINUATION);
    TEST_ASSERT_INT(imap_parser_literal_size(c.parser), 50);
    /* Over quota, say: the server answers NO and forgets the command; the
     * client sends no literal, its next command follows. */
    imap_parser_reset(c.parser);
    TEST_ASSERT(imap_parser_tag(c.parser) == NULL);
    TEST_ASSERT_INT(imap_parser_literal_size(c.parser), 0);
    send_str(&c, "a2 NOOP\r\n");
    expect_cmd(&c, "a2 NOOP\r\n");
    conn_close(&c);
}

/* The parser never reads past the end of a command. */
static void test_stream_left_at_command_end(void)
{
    struct conn c;
    struct buf line = BUF_INITIALIZER;

    conn_open(&c, NULL);
    send_str(&c, "a1 IDLE\r\nDONE\r\na2 APPEND x {2+}\r\nhi\r\nrest");
    expect_cmd(&c, "a1 IDLE\r\n");
    TEST_ASSERT_INT(prot_readline(c.prot, &line), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&line), "DONE");
    expect_cmd(&c, "a2 APPEND x {2+}\r\nhi\r\n");
    TEST_ASSERT_INT(prot_input_pending(c.prot), 4);
    buf_free(&line);
    conn_close(&c);
}

/* ---- limits: BAD, and the next command parses --------------------------- */

static void fill(struct buf *b, char ch, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(b, ch);
}

static void test_limit_line(void)
{
    struct conn c;
    struct buf w = BUF_INITIALIZER;

    conn_open(&c, &small_limits);
    buf_appendcstr(&w, "a1 NOOP ");
    fill(&w, 'x', 300);
    buf_appendcstr(&w, "\r\na2 NOOP\r\n");
    /* The budget counts all lines of a command, literals excluded. */
    buf_appendcstr(&w, "a3 X ");
    fill(&w, 'a', 150);
    buf_appendcstr(&w, " {3+}\r\nabc ");
    fill(&w, 'b', 100);
    buf_appendcstr(&w, "\r\na4 NOOP\r\n");
    /* A dropped line that announced a literal: its bytes are skipped, not
     * taken for a command. */
    buf_appendcstr(&w, "a5 X ");
    fill(&w, 'y', 300);
    buf_appendcstr(&w, " {11+}\r\na6 LOGOUT\r\n tail\r\na7 NOOP\r\n");
    /* Exactly at the limit is fine: 200 bytes. */
    buf_appendcstr(&w, "a8 X ");
    fill(&w, 'z', 195);
    buf_appendcstr(&w, "\r\n");
    send_bytes(&c, w.s, w.len);
    expect_bad(&c, IMAP_PARSER_ERR_LINE_TOO_LONG, "a1", "Line too long");
    expect_cmd(&c, "a2 NOOP\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_LINE_TOO_LONG, "a3", "Line too long");
    expect_cmd(&c, "a4 NOOP\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_LINE_TOO_LONG, "a5", NULL);
    expect_cmd(&c, "a7 NOOP\r\n");
    {
        struct imap_parser_command *cmd = expect_ok(&c);
        TEST_ASSERT_INT(cmd->args[0].len, 195);
        imap_parser_command_free(&cmd);
    }
    buf_free(&w);
    conn_close(&c);
}

static void test_limit_literal_sync(void)
{
    struct conn c;
    struct buf got = BUF_INITIALIZER;

    conn_open(&c, &small_limits);
    send_str(&c, "a1 APPEND box {101}\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_LITERAL_TOO_BIG, "a1", "Literal too big");
    TEST_ASSERT_STR(imap_parser_name(c.parser), "APPEND");
    /* The client got no "+" and sends no literal: the next command. */
    send_str(&c, "a2 NOOP\r\n");
    expect_cmd(&c, "a2 NOOP\r\n");
    send_str(&c, "a3 X {99999999999999999999999}\r\na4 NOOP\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_LITERAL_TOO_BIG, "a3", NULL);
    expect_cmd(&c, "a4 NOOP\r\n");
    client_received(&c, &got);
    TEST_ASSERT_INT(got.len, 0);
    buf_free(&got);
    conn_close(&c);
}

static void test_limit_literal_nonsync(void)
{
    struct conn c;
    struct buf w = BUF_INITIALIZER;

    conn_open(&c, &small_limits);
    /* Too big but under max_discard: read and dropped, with what follows
     * it in the command (another literal here). */
    buf_appendcstr(&w, "a1 APPEND box {5000+}\r\n");
    for (size_t i = 0; i < 5000; i++)
        buf_putc(&w, (char)"a9 LOGOUT\r\n"[i % 11]);
    buf_appendcstr(&w, " more {3+}\r\nxyz\r\na2 NOOP\r\n");
    /* Two literals, each fine, together over max_literal_total (150). */
    buf_appendcstr(&w, "a3 X {80+}\r\n");
    fill(&w, 'p', 80);
    buf_appendcstr(&w, " {80+}\r\n");
    fill(&w, 'q', 80);
    buf_appendcstr(&w, "\r\na4 X {70+}\r\n");
    fill(&w, 'r', 70);
    buf_appendcstr(&w, " {80+}\r\n");
    fill(&w, 's', 80);
    buf_appendcstr(&w, "\r\n");
    send_bytes(&c, w.s, w.len);
    expect_bad(&c, IMAP_PARSER_ERR_LITERAL_TOO_BIG, "a1", "Literal too big");
    expect_cmd(&c, "a2 NOOP\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_LITERAL_TOO_BIG, "a3", NULL);
    {
        struct imap_parser_command *cmd = expect_ok(&c);   /* 150 exactly */
        TEST_ASSERT_STR(cmd->tag, "a4");
        TEST_ASSERT_INT(cmd->args[0].len + cmd->args[1].len, 150);
        imap_parser_command_free(&cmd);
    }
    buf_free(&w);
    conn_close(&c);
}

/* LITERAL- (RFC 7888 4): max_nonsync bounds {n+} only; a larger one is
 * BAD NONSYNC_TOO_BIG and its bytes are dropped; {n} of that size and
 * {n+} at the bound pass. */
static void test_limit_literal_minus(void)
{
    const struct imap_parser_limits lim = { .max_literal = 100,
                                            .max_nonsync = 40 };
    struct imap_parser_command *cmd;
    struct conn c;
    struct buf w = BUF_INITIALIZER;

    conn_open(&c, &lim);
    buf_appendcstr(&w, "a1 APPEND box {41+}\r\n");
    fill(&w, 'x', 41);
    buf_appendcstr(&w, "\r\na2 APPEND box {40+}\r\n");
    fill(&w, 'y', 40);
    buf_appendcstr(&w, "\r\na3 APPEND box {60}\r\n");
    send_bytes(&c, w.s, w.len);
    expect_bad(&c, IMAP_PARSER_ERR_NONSYNC_TOO_BIG, "a1",
               "Non-synchronizing literal too big");
    cmd = expect_ok(&c);
    TEST_ASSERT_STR(cmd->tag, "a2");
    TEST_ASSERT_INT(cmd->args[1].len, 40);
    imap_parser_command_free(&cmd);
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd),
                    IMAP_PARSER_NEED_CONTINUATION);
    TEST_ASSERT_INT(imap_parser_literal_size(c.parser), 60);
    buf_reset(&w);
    fill(&w, 'z', 60);
    buf_appendcstr(&w, "\r\n");
    send_bytes(&c, w.s, w.len);
    cmd = expect_ok(&c);
    TEST_ASSERT_STR(cmd->tag, "a3");
    TEST_ASSERT_INT(cmd->args[1].len, 60);
    imap_parser_command_free(&cmd);
    buf_free(&w);
    conn_close(&c);
}

static void test_limit_literal_beyond_discard(void)
{
    struct conn c;
    struct buf w = BUF_INITIALIZER;
    struct imap_parser_command *cmd = NULL;

    conn_open(&c, &small_limits);
    buf_appendcstr(&w, "a1 APPEND box {200000+}\r\n");
    fill(&w, 'm', 1000);
    send_bytes(&c, w.s, w.len);
    expect_result(&c, IMAP_PARSER_FATAL, IMAP_PARSER_ERR_LITERAL_TOO_BIG, "a1",
                  "Literal too big");
    /* Nothing of it was read, and FATAL stays. */
    send_str(&c, "\r\na2 NOOP\r\n");
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd), IMAP_PARSER_FATAL);
    imap_parser_reset(c.parser);
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd), IMAP_PARSER_FATAL);
    TEST_ASSERT(cmd == NULL);
    buf_free(&w);
    conn_close(&c);
}

static void test_limit_depth_and_args(void)
{
    struct conn c;

    conn_open(&c, &small_limits);
    send_str(&c, "a1 X (((a)))\r\n"
                 "a2 X ((((a))))\r\n"
                 "a3 X () (()) ((()))\r\n"
                 "a4 X 1 2 3 4 5 6 7 8 9 10\r\n"
                 "a5 X 1 2 3 4 5 6 7 8 9 10 11\r\n"
                 "a6 X (1 2 3 4 5 6 7 8 9)\r\n"
                 "a7 X (1 2 3 4 5 6 7 8 9 10)\r\n"
                 "a8 X 1 2 3 4 5 6 7 8 9 {1+}\r\nz\r\n"
                 "a9 X 1 2 3 4 5 6 7 8 9 10 {1+}\r\nz\r\n"
                 "b1 NOOP\r\n");
    expect_cmd(&c, "a1 X (((a)))\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_TOO_DEEP, "a2", "Nesting too deep");
    expect_cmd(&c, "a3 X () (()) ((()))\r\n");
    expect_cmd(&c, "a4 X 1 2 3 4 5 6 7 8 9 10\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_TOO_MANY_ARGS, "a5", "Too many arguments");
    expect_cmd(&c, "a6 X (1 2 3 4 5 6 7 8 9)\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_TOO_MANY_ARGS, "a7", NULL);
    expect_cmd(&c, "a8 X 1 2 3 4 5 6 7 8 9 {1+}\r\nz\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_TOO_MANY_ARGS, "a9", NULL);
    expect_cmd(&c, "b1 NOOP\r\n");
    conn_close(&c);
}

static void test_limits_changed_between_commands(void)
{
    struct conn c;
    struct imap_parser_limits lim, big = small_limits;

    conn_open(&c, &small_limits);
    imap_parser_get_limits(c.parser, &lim);
    TEST_ASSERT_INT(lim.max_line, 200);
    TEST_ASSERT_INT(lim.max_depth, 3);
    send_str(&c, "a1 X ((((a))))\r\n");
    expect_bad(&c, IMAP_PARSER_ERR_TOO_DEEP, "a1", NULL);
    big.max_depth = 5;
    imap_parser_set_limits(c.parser, &big);
    send_str(&c, "a2 X ((((a))))\r\n");
    expect_cmd(&c, "a2 X ((((a))))\r\n");
    imap_parser_set_limits(c.parser, NULL);
    imap_parser_get_limits(c.parser, &lim);
    TEST_ASSERT_INT(lim.max_line, IMAP_PARSER_DEFAULT_MAX_LINE);
    TEST_ASSERT_INT(lim.max_literal_total, IMAP_PARSER_DEFAULT_MAX_LITERAL);
    TEST_ASSERT_INT(lim.max_args, IMAP_PARSER_DEFAULT_MAX_ARGS);
    conn_close(&c);
}

/* ---- syntax errors ------------------------------------------------------ */

static void test_syntax_errors(void)
{
    struct conn c;

    conn_open(&c, NULL);
    send_str(&c, " NOOP\r\n"
                 "* NOOP\r\n"
                 "a+1 NOOP\r\n"
                 "a1\r\n"
                 "a2 \r\n"
                 "a3 LOGIN \"bob\r\n"
                 "a4 LOGIN \"b\\ob\" x\r\n"
                 "a5 SELECT caf\xc3\xa9\r\n"
                 "\r\n"
                 "\n"
                 "a6 NOOP \r\n"
                 "a7 X a  b\r\n"
                 "a8 X (a\r\n"
                 "a9 X a)\r\n"
                 "b1 X ( a)\r\n"
                 "b2 X (a )\r\n"
                 "b3 X \"a\"b\r\n"
                 "b4 X {5}x\r\n"
                 "b5 X {}\r\n"
                 "b6 X a{b\r\n"
                 "b7 X a\tb\r\n"
                 "b8 NO(OP\r\n"
                 "b9 NOOP\r\n");
    expect_syntax(&c, NULL, "Missing tag");
    expect_syntax(&c, NULL, "Invalid character in tag");
    expect_syntax(&c, NULL, "Invalid character in tag");
    expect_syntax(&c, "a1", "Missing command");
    expect_syntax(&c, "a2", "Missing command");
    expect_syntax(&c, "a3", "Unterminated quoted string");
    expect_syntax(&c, "a4", "Invalid escape in quoted string");
    expect_syntax(&c, "a5", "Invalid character in atom");
    expect_syntax(&c, NULL, "Empty command line");
    expect_syntax(&c, NULL, "Empty command line");
    expect_syntax(&c, "a6", "Unexpected space at end of line");
    expect_syntax(&c, "a7", "Unexpected space");
    expect_syntax(&c, "a8", "Missing ')'");
    expect_syntax(&c, "a9", "Unexpected ')'");
    expect_syntax(&c, "b1", "Unexpected space");
    expect_syntax(&c, "b2", "Unexpected space");
    expect_syntax(&c, "b3", "Missing space after argument");
    expect_syntax(&c, "b4", "Invalid literal");
    expect_syntax(&c, "b5", "Invalid literal");
    expect_syntax(&c, "b6", "Invalid character in atom");
    expect_syntax(&c, "b7", "Invalid character in atom");
    expect_syntax(&c, "b8", "Invalid character in command name");
    TEST_ASSERT_STR(imap_parser_tag(c.parser), "b8");
    TEST_ASSERT(imap_parser_name(c.parser) == NULL);
    expect_cmd(&c, "b9 NOOP\r\n");
    conn_close(&c);
}

/* An error before a literal announcement: a synchronizing literal is
 * never sent; a non-synchronizing one (and what follows) is skipped. */
static void test_error_then_literal(void)
{
    static const char wire[] =
        "a1 X \x80 {5}\r\n"
        "a2 X \x80 {5+}\r\nhello {3+}\r\na3 \r\n"
        "a4 X (a {2+}\r\n)) (\r\n"
        "a5 NOOP\r\n";
    struct conn c;

    conn_open(&c, NULL);
    send_bytes(&c, wire, sizeof(wire) - 1);
    expect_syntax(&c, "a1", "Invalid character in atom");
    expect_syntax(&c, "a2", "Invalid character in atom");
    /* the literal "))" is data: the line after it opens a list */
    expect_syntax(&c, "a4", "Missing ')'");
    expect_cmd(&c, "a5 NOOP\r\n");
    conn_close(&c);
}

/* ---- FETCH, STORE, LIST, APPEND ----------------------------------------- */

static void test_fetch_sections(void)
{
    struct conn c;
    struct imap_parser_command *cmd;
    const struct imap_arg *list;
    size_t n;
    const char *s;

    conn_open(&c, NULL);
    send_str(&c, "a1 FETCH 1:*,7 (FLAGS BODY[HEADER.FIELDS (FROM TO)]<0.100> "
                 "BODY.PEEK[1.2.MIME] BINARY.PEEK[1]<0.10> body[] "
                 "BINARY.SIZE[2])\r\n"
                 "a2 UID FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT "
                 "(\"Sub ject]\" X-Foo)]\r\n"
                 "a3 FETCH 1 BODY[HEADER\r\n"
                 "a4 FETCH 1 BODY[HEADER.FIELDS ((A))]\r\n"
                 "a5 FETCH 1 BODY[HEADER.FIELDS {3}\r\n"
                 "a6 SELECT [Gmail]/Sent\r\n"
                 "a7 SELECT foo[bar\r\n");
    cmd = expect_ok(&c);
    TEST_ASSERT_INT(cmd->nargs, 2);
    TEST_ASSERT(imap_arg_get_atom(&cmd->args[0], &s));
    TEST_ASSERT_STR(s, "1:*,7");
    TEST_ASSERT(imap_arg_get_list(&cmd->args[1], &list, &n));
    TEST_ASSERT_INT(n, 6);
    TEST_ASSERT_STR(list[0].str, "FLAGS");
    TEST_ASSERT(!(list[0].flags & IMAP_ARG_F_SECTION));
    TEST_ASSERT_STR(list[1].str, "BODY[HEADER.FIELDS (FROM TO)]<0.100>");
    TEST_ASSERT_INT(list[1].type, IMAP_ARG_ATOM);
    TEST_ASSERT(list[1].flags & IMAP_ARG_F_SECTION);
    TEST_ASSERT(imap_arg_get_atom(&list[1], &s));
    TEST_ASSERT(!imap_arg_get_astring(&list[1], &s));
    TEST_ASSERT_STR(list[2].str, "BODY.PEEK[1.2.MIME]");
    TEST_ASSERT_STR(list[3].str, "BINARY.PEEK[1]<0.10>");
    TEST_ASSERT_STR(list[4].str, "body[]");
    TEST_ASSERT_STR(list[5].str, "BINARY.SIZE[2]");
    imap_parser_command_free(&cmd);

    cmd = expect_ok(&c);
    TEST_ASSERT_STR(cmd->name, "UID");
    TEST_ASSERT(imap_arg_atom_is(&cmd->args[0], "fetch"));
    TEST_ASSERT_STR(cmd->args[2].str,
                    "BODY.PEEK[HEADER.FIELDS.NOT (\"Sub ject]\" X-Foo)]");
    imap_parser_command_free(&cmd);

    expect_syntax(&c, "a3", "Unterminated section");
    expect_syntax(&c, "a4", "Invalid character in section");
    expect_syntax(&c, "a5", "Invalid character in section");
    expect_cmd(&c, "a6 SELECT [Gmail]/Sent\r\n");
    expect_cmd(&c, "a7 SELECT foo[bar\r\n");
    conn_close(&c);
}

static void test_store_list_search_atoms(void)
{
    struct conn c;
    struct imap_parser_command *cmd;
    const struct imap_arg *list;
    size_t n;
    const char *s;

    conn_open(&c, NULL);
    send_str(&c, "a1 STORE 1,3:5 +FLAGS.SILENT (\\Seen \\Deleted $Junk)\r\n"
                 "a2 LIST \"\" %\r\n"
                 "a3 LIST \"\" INBOX.*\r\n"
                 "a4 UID SEARCH CHARSET UTF-8 SUBJECT \"\xd0\x96\" "
                 "MODSEQ 620162338\r\n");
    cmd = expect_ok(&c);
    TEST_ASSERT(imap_arg_get_list(&cmd->args[2], &list, &n));
    TEST_ASSERT_INT(n, 3);
    TEST_ASSERT_STR(list[0].str, "\\Seen");
    TEST_ASSERT_STR(list[2].str, "$Junk");
    TEST_ASSERT(!imap_arg_get_list(&cmd->args[1], &list, &n));
    imap_parser_command_free(&cmd);
    cmd = expect_ok(&c);
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[0], &s));
    TEST_ASSERT_STR(s, "");
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[1], &s));
    TEST_ASSERT_STR(s, "%");
    imap_parser_command_free(&cmd);
    expect_cmd(&c, "a3 LIST \"\" INBOX.*\r\n");
    expect_cmd(&c, "a4 UID SEARCH CHARSET UTF-8 SUBJECT \"\xd0\x96\" "
                   "MODSEQ 620162338\r\n");
    conn_close(&c);
}

static void test_append(void)
{
    static const char msg[] = "From: a@b\r\nSubject: hi\r\n\r\nbody\r\n";
    static const char bin[] = "\0\1\2\r\n\3";
    static const char want2[] =
        "a2 APPEND INBOX ~{6+}\r\n\0\1\2\r\n\3 (\\Seen) {2+}\r\nhi\r\n";
    struct conn c;
    struct imap_parser_command *cmd = NULL;
    struct buf w = BUF_INITIALIZER;
    const struct imap_arg *list;
    const char *s;
    size_t n;

    conn_open(&c, NULL);
    buf_printf(&w, "a1 APPEND INBOX (\\Seen \\Flagged) "
                   "\"17-Jul-1996 02:44:25 -0700\" {%zu}\r\n",
               sizeof(msg) - 1);
    send_bytes(&c, w.s, w.len);
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd),
                    IMAP_PARSER_NEED_CONTINUATION);
    TEST_ASSERT_STR(imap_parser_name(c.parser), "APPEND");
    TEST_ASSERT_INT(imap_parser_literal_size(c.parser), sizeof(msg) - 1);
    prot_printf(c.prot, "+ Ready for literal data\r\n");
    send_str(&c, msg);
    send_str(&c, "\r\n");
    cmd = expect_ok(&c);
    TEST_ASSERT_INT(cmd->nargs, 4);
    TEST_ASSERT(imap_arg_get_astring(&cmd->args[0], &s));
    TEST_ASSERT_STR(s, "INBOX");
    TEST_ASSERT(imap_arg_get_list(&cmd->args[1], &list, &n));
    TEST_ASSERT_INT(n, 2);
    TEST_ASSERT(imap_arg_atom_is(&list[1], "\\flagged"));
    TEST_ASSERT(imap_arg_get_string(&cmd->args[2], &s));
    TEST_ASSERT_STR(s, "17-Jul-1996 02:44:25 -0700");
    TEST_ASSERT(imap_arg_get_literal(&cmd->args[3], &s, &n));
    TEST_ASSERT_MEM(s, n, msg, sizeof(msg) - 1);
    imap_parser_command_free(&cmd);

    /* literal8 (RFC 3516) and a MULTIAPPEND-style second message. */
    buf_reset(&w);
    buf_appendcstr(&w, "a2 APPEND INBOX ~{6+}\r\n");
    buf_appendmap(&w, bin, sizeof(bin) - 1);
    buf_appendcstr(&w, " (\\Seen) {2+}\r\nhi\r\n");
    send_bytes(&c, w.s, w.len);
    cmd = expect_ok(&c);
    TEST_ASSERT_INT(cmd->nargs, 4);
    TEST_ASSERT_INT(cmd->args[1].type, IMAP_ARG_LITERAL);
    TEST_ASSERT(cmd->args[1].flags & IMAP_ARG_F_LITERAL8);
    TEST_ASSERT(imap_arg_get_literal(&cmd->args[1], &s, &n));
    TEST_ASSERT_MEM(s, n, bin, sizeof(bin) - 1);
    TEST_ASSERT(!(cmd->args[3].flags & IMAP_ARG_F_LITERAL8));
    buf_reset(&w);
    imap_parser_command_format(cmd, &w);
    TEST_ASSERT_MEM(w.s, w.len, want2, sizeof(want2) - 1);
    imap_parser_command_free(&cmd);
    /* "~" alone is an atom. */
    send_str(&c, "a3 X ~ ~a\r\n");
    expect_cmd(&c, "a3 X ~ ~a\r\n");
    buf_free(&w);
    conn_close(&c);
}

/* ---- end of stream, timeouts -------------------------------------------- */

static void test_eof(void)
{
    struct conn c;
    struct imap_parser_command *cmd = NULL;

    conn_open(&c, NULL);
    send_str(&c, "a1 APPEND box {10+}\r\nabc");
    send_eof(&c);
    expect_result(&c, IMAP_PARSER_FATAL, IMAP_PARSER_ERR_EOF, NULL, NULL);
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd), IMAP_PARSER_FATAL);
    conn_close(&c);

    conn_open(&c, NULL);
    send_str(&c, "a1 NOOP\r\na2 NOO");
    send_eof(&c);
    expect_cmd(&c, "a1 NOOP\r\n");
    expect_result(&c, IMAP_PARSER_FATAL, IMAP_PARSER_ERR_EOF, NULL,
                  "Connection closed");
    conn_close(&c);

    /* EOF while a bad command's literal is being skipped. */
    conn_open(&c, &small_limits);
    send_str(&c, "a1 X {500+}\r\nabc");
    send_eof(&c);
    expect_result(&c, IMAP_PARSER_FATAL, IMAP_PARSER_ERR_EOF, NULL, NULL);
    conn_close(&c);

    /* EOF after a continuation request. */
    conn_open(&c, NULL);
    send_str(&c, "a1 LOGIN {3}\r\n");
    TEST_ASSERT_INT(imap_parser_read(c.parser, &cmd),
                    IMAP_PARSER_NEED_CONTINUATION);
    send_str(&c, "ab");
    send_eof(&c);
    expect_result(&c, IMAP_PARSER_FATAL, IMAP_PARSER_ERR_EOF, NULL, NULL);
    conn_close(&c);
}

static void test_timeout(void)
{
    struct conn c;

    conn_open(&c, NULL);
    TEST_ASSERT_INT(prot_set_timeout(c.prot, 1), ERR_OK);
    send_str(&c, "a1 NOOP");
    expect_result(&c, IMAP_PARSER_FATAL, IMAP_PARSER_ERR_TIMEOUT, NULL, NULL);
    conn_close(&c);
}

/* ---- argument getters --------------------------------------------------- */

static void test_number_getters(void)
{
    struct conn c;
    struct imap_parser_command *cmd;
    uint32_t n32 = 7;
    uint64_t n64 = 7;

    conn_open(&c, NULL);
    send_str(&c, "a1 X 0 4294967295 4294967296 00012 -1 1a "
                 "9223372036854775807 9223372036854775808 \"5\" "
                 "99999999999999999999999\r\n");
    cmd = expect_ok(&c);
    TEST_ASSERT(imap_arg_get_number(&cmd->args[0], &n32) && n32 == 0);
    TEST_ASSERT(!imap_arg_get_nz_number(&cmd->args[0], &n32));
    TEST_ASSERT(imap_arg_get_nz_number(&cmd->args[1], &n32));
    TEST_ASSERT(n32 == UINT32_MAX);
    TEST_ASSERT(!imap_arg_get_number(&cmd->args[2], &n32));
    TEST_ASSERT(n32 == UINT32_MAX);                      /* untouched */
    TEST_ASSERT(imap_arg_get_number64(&cmd->args[2], &n64));
    TEST_ASSERT(n64 == 4294967296ULL);
    TEST_ASSERT(imap_arg_get_number(&cmd->args[3], &n32) && n32 == 12);
    TEST_ASSERT(!imap_arg_get_number(&cmd->args[4], &n32));
    TEST_ASSERT(!imap_arg_get_number(&cmd->args[5], &n32));
    TEST_ASSERT(imap_arg_get_number64(&cmd->args[6], &n64));
    TEST_ASSERT(n64 == 9223372036854775807ULL);
    TEST_ASSERT(!imap_arg_get_number64(&cmd->args[7], &n64));
    TEST_ASSERT(!imap_arg_get_number(&cmd->args[8], &n32));  /* quoted */
    TEST_ASSERT(!imap_arg_get_number64(&cmd->args[9], &n64));
    imap_parser_command_free(&cmd);

    TEST_ASSERT(imap_parser_parse_number("100", 3, 100, &n64) && n64 == 100);
    TEST_ASSERT(!imap_parser_parse_number("101", 3, 100, &n64));
    TEST_ASSERT(!imap_parser_parse_number("5", 0, 100, &n64));
    TEST_ASSERT(imap_parser_parse_number("0.100", 1, 9, &n64) && n64 == 0);
    TEST_ASSERT(imap_parser_parse_number("18446744073709551615", 20,
                                         UINT64_MAX, &n64));
    TEST_ASSERT(n64 == UINT64_MAX);
    TEST_ASSERT(!imap_parser_parse_number("18446744073709551616", 20,
                                          UINT64_MAX, &n64));
    TEST_ASSERT(!imap_parser_parse_number("5", 1, 4, &n64));
    TEST_ASSERT(imap_parser_parse_number("0", 1, 0, &n64) && n64 == 0);
    conn_close(&c);
}

/* ---- randomized: commands against an independent description ------------ */

static unsigned long rng_state;

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng_state >> 33) % n);
}

static void describe_bytes(struct buf *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch > 0x20 && ch < 0x7f && ch != '%')
            buf_putc(d, (char)ch);
        else
            buf_printf(d, "%%%02x", ch);
    }
}

/* The description of parsed arguments: A:atom N:nil Q:quoted L:literal
 * L8:literal8 (...) -- what gen_arg() writes for what it sends. */
static void describe(struct buf *d, const struct imap_arg *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct imap_arg *a = &args[i];
        static const char *const prefix[] = { "A:", "N:", "Q:", "L:", "" };

        buf_putc(d, ' ');
        if (a->type == IMAP_ARG_LIST) {
            buf_putc(d, '(');
            describe(d, a->list, a->count);
            buf_appendcstr(d, " )");
            continue;
        }
        if (a->flags & IMAP_ARG_F_LITERAL8)
            buf_appendcstr(d, "L8:");
        else
            buf_appendcstr(d, prefix[a->type]);
        describe_bytes(d, a->str, a->len);
    }
}

static void gen_arg(struct buf *w, struct buf *d, unsigned depth,
                    unsigned *budget)
{
    static const char atom_chars[] = "abcXYZ019.:*%\\$-_+]<>!#&'";
    static const char *const sections[] = {
        "BODY[HEADER.FIELDS (FROM TO)]<0.100>", "body.peek[1.2.MIME]",
        "BINARY[]", "BODY[HEADER.FIELDS.NOT (\"a b\" \"x\\\"y\")]",
    };
    unsigned kind = rnd(depth < 3 ? 7 : 6), n;
    char tmp[64];

    --*budget;
    buf_putc(d, ' ');
    switch (kind) {
    case 0: case 1:         /* atom */
        n = 1 + rnd(8);
        for (unsigned i = 0; i < n; i++)
            tmp[i] = atom_chars[rnd(sizeof(atom_chars) - 1)];
        buf_appendmap(w, tmp, n);
        buf_appendcstr(d, "A:");
        describe_bytes(d, tmp, n);
        break;
    case 2: {               /* NIL, a section atom */
        const char *s = rnd(2) ? (rnd(2) ? "NIL" : "nIl")
                               : sections[rnd(4)];
        buf_appendcstr(w, s);
        buf_appendcstr(d, s[0] == 'N' || s[0] == 'n' ? "N:" : "A:");
        describe_bytes(d, s, strlen(s));
        break;
    }
    case 3:                 /* quoted, escapes and 8-bit */
        n = rnd(10);
        buf_putc(w, '"');
        for (unsigned i = 0; i < n; i++) {
            static const char qchars[] = "ab \"\\(){}~*%]\xc3\xa9\x7f";
            tmp[i] = qchars[rnd(sizeof(qchars) - 1)];
            if (tmp[i] == '"' || tmp[i] == '\\')
                buf_putc(w, '\\');
            buf_putc(w, tmp[i]);
        }
        buf_putc(w, '"');
        buf_appendcstr(d, "Q:");
        describe_bytes(d, tmp, n);
        break;
    case 4: case 5: {       /* literal or literal8, any bytes */
        bool l8 = rnd(4) == 0;
        n = rnd(20);
        for (unsigned i = 0; i < n; i++)
            tmp[i] = (char)rnd(256);
        buf_printf(w, "%s{%u+}\r\n", l8 ? "~" : "", n);
        buf_appendmap(w, tmp, n);
        buf_appendcstr(d, l8 ? "L8:" : "L:");
        describe_bytes(d, tmp, n);
        break;
    }
    default:                /* list */
        n = rnd(4);
        buf_putc(w, '(');
        buf_putc(d, '(');
        for (unsigned i = 0; i < n && *budget > 0; i++) {
            if (i)
                buf_putc(w, ' ');
            gen_arg(w, d, depth + 1, budget);
        }
        buf_putc(w, ')');
        buf_appendcstr(d, " )");
        break;
    }
}

static void test_random_commands(void)
{
    enum { NCMD = 300 };
    struct conn c;
    struct buf w = BUF_INITIALIZER, want[NCMD], got = BUF_INITIALIZER;

    rng_state = 20260821;
    conn_open(&c, NULL);
    for (unsigned k = 0; k < NCMD; k++) {
        unsigned nargs = rnd(6), budget = 30;

        buf_init(&want[k]);
        buf_printf(&w, "t%u CMD%u", k, k);
        buf_printf(&want[k], "t%u CMD%u", k, k);
        for (unsigned i = 0; i < nargs && budget > 0; i++) {
            buf_putc(&w, ' ');
            gen_arg(&w, &want[k], 0, &budget);
        }
        buf_appendcstr(&w, rnd(5) ? "\r\n" : "\n");
    }
    send_bytes(&c, w.s, w.len);
    for (unsigned k = 0; k < NCMD; k++) {
        struct imap_parser_command *cmd = expect_ok(&c);

        buf_reset(&got);
        buf_printf(&got, "%s %s", cmd->tag, cmd->name);
        describe(&got, cmd->args, cmd->nargs);
        TEST_ASSERT_STR(buf_cstring(&got), buf_cstring(&want[k]));
        imap_parser_command_free(&cmd);
        buf_free(&want[k]);
    }
    buf_free(&got);
    buf_free(&w);
    conn_close(&c);
}

/* ---- randomized: garbage never breaks the parser ------------------------ */

/* Parse the canonical form of cmd with a fresh parser: it must come back
 * the same. */
static void check_round_trip(const struct imap_parser_command *cmd)
{
    struct conn c;
    struct buf a = BUF_INITIALIZER, b = BUF_INITIALIZER;
    struct imap_parser_command *again;

    imap_parser_command_format(cmd, &a);
    conn_open(&c, NULL);
    send_bytes(&c, a.s, a.len);
    again = expect_ok(&c);
    imap_parser_command_format(again, &b);
    TEST_ASSERT_MEM(a.s, a.len, b.s, b.len);
    imap_parser_command_free(&again);
    conn_close(&c);
    buf_free(&a);
    buf_free(&b);
}

static void test_random_garbage(void)
{
    static const char *const pieces[] = {
        " ", "(", ")", "\"", "\\", "{", "}", "+", "~", "[", "]", "<", ">",
        "\r\n", "\n", "\r", "{3}\r\n", "{5+}\r\n", "~{2+}\r\n", "{120+}\r\n",
        "{40+}\r\n", "{150+}\r\n", "a3 NOOP\r\n", "a4 FETCH 1 (FLAGS)\r\n",
        "a5 LOGIN {3}\r\n", "NIL", "BODY[", "BODY.PEEK[HEADER.FIELDS (", "a1 ",
        "a2 FETCH 1 ", "x", "\x80", "\0", "*", "%", "0.1",
    };
    struct conn c;
    struct buf w = BUF_INITIALIZER;
    unsigned counts[4] = { 0, 0, 0, 0 };
    bool done = false;

    rng_state = 42;
    for (unsigned i = 0; i < 20000; i++) {
        if (rnd(8) == 0) {
            buf_putc(&w, (char)rnd(256));
        } else {
            const char *s = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
            buf_appendmap(&w, s, s[0] ? strlen(s) : 1);
        }
    }
    conn_open(&c, &small_limits);
    send_bytes(&c, w.s, w.len);
    /* The writer child keeps its own copy; EOF comes when it is done. */
    close(c.sv[1]);
    c.sv[1] = -1;
    while (!done) {
        struct imap_parser_command *cmd = NULL;
        enum imap_parser_result r = imap_parser_read(c.parser, &cmd);
        const char *why = NULL;

        TEST_ASSERT(r <= IMAP_PARSER_FATAL);
        counts[r]++;
        imap_parser_error(c.parser, &why);
        TEST_ASSERT(why != NULL);
        if (r == IMAP_PARSER_OK) {
            check_round_trip(cmd);
            imap_parser_command_free(&cmd);
        } else if (r == IMAP_PARSER_NEED_CONTINUATION) {
            if (imap_parser_literal_size(c.parser) % 3 == 0)
                imap_parser_reset(c.parser);
        } else if (r == IMAP_PARSER_BAD) {
            TEST_ASSERT(why[0] != '\0');
        } else {
            done = true;
        }
        TEST_ASSERT(cmd == NULL);
    }
    printf("# ok %u, continuation %u, bad %u\n", counts[0], counts[1],
           counts[2]);
    TEST_ASSERT_INT(imap_parser_error(c.parser, NULL), IMAP_PARSER_ERR_EOF);
    TEST_ASSERT(counts[IMAP_PARSER_OK] > 5);
    TEST_ASSERT(counts[IMAP_PARSER_BAD] > 100);
    TEST_ASSERT(counts[IMAP_PARSER_NEED_CONTINUATION] > 3);
    buf_free(&w);
    conn_close(&c);
}

TEST_MAIN("imap_parser",
          TEST_CASE(test_simple_commands),
          TEST_CASE(test_quoted_strings),
          TEST_CASE(test_literal_binary),
          TEST_CASE(test_sync_literal_continuation),
          TEST_CASE(test_sync_literal_refused_by_server),
          TEST_CASE(test_stream_left_at_command_end),
          TEST_CASE(test_limit_line),
          TEST_CASE(test_limit_literal_sync),
          TEST_CASE(test_limit_literal_nonsync),
          TEST_CASE(test_limit_literal_minus),
          TEST_CASE(test_limit_literal_beyond_discard),
          TEST_CASE(test_limit_depth_and_args),
          TEST_CASE(test_limits_changed_between_commands),
          TEST_CASE(test_syntax_errors),
          TEST_CASE(test_error_then_literal),
          TEST_CASE(test_fetch_sections),
          TEST_CASE(test_store_list_search_atoms),
          TEST_CASE(test_append),
          TEST_CASE(test_eof),
          TEST_CASE(test_timeout),
          TEST_CASE(test_number_getters),
          TEST_CASE(test_random_commands),
          TEST_CASE(test_random_garbage))
