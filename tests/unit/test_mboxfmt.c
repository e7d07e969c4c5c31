/* test_mboxfmt.c -- the migration formats (mboxfmt.h, maildirfmt.h):
 * mbox splitting, From_ dates, quoting in both variants, status fields to
 * flags and back, the round trip, the UW-IMAP internal data message,
 * malformed input; Maildir names, dovecot-keywords, dovecot-uidlist, the
 * bsd2cyrus folder-name map. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "imap/mailstore/maildirfmt.h"
#include "imap/mailstore/mboxfmt.h"
#include "tests/unit/harness.h"

/* A reader over text with its message and error buffers. */
struct rd {
    struct mboxfmt_reader r;
    struct mboxfmt_message m;
    struct buf err;
};

static void rd_open(struct rd *x, const char *text, enum mboxfmt_variant v)
{
    struct mboxfmt_message empty = MBOXFMT_MESSAGE_INITIALIZER;
    mboxfmt_reader_init(&x->r, text, strlen(text), v);
    x->m = empty;
    buf_init(&x->err);
}

static int rd_next(struct rd *x)
{
    return mboxfmt_next(&x->r, &x->m, &x->err);
}

static void rd_close(struct rd *x)
{
    mboxfmt_message_fini(&x->m);
    buf_free(&x->err);
}

/* Split text into messages: each one's text joined with "|". */
static char *split(const char *text, enum mboxfmt_variant v, int *n_r)
{
    struct rd x;
    struct buf all = BUF_INITIALIZER;
    int n = 0;
    rd_open(&x, text, v);
    while (rd_next(&x) == ERR_OK) {
        if (n++)
            buf_putc(&all, '|');
        buf_appendbuf(&all, &x.m.text);
    }
    *n_r = n;
    rd_close(&x);
    buf_cstring(&all);
    return buf_release(&all);
}

static void test_split(void)
{
    int n;
    char *s = split("From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n"
                    "body\nFrom here on, not a separator\n\n"
                    "From b@c Tue Jan  2 10:11:12 2024\nSubject: two\n\n"
                    "From the text, no date\n\n"
                    "From c@d Wed Jan  3 00:00:00 2024\n\nlast\n",
                    MBOXFMT_MBOXRD, &n);
    TEST_ASSERT_INT(n, 3);
    TEST_ASSERT_STR(s, "Subject: one\n\nbody\nFrom here on, not a "
                       "separator\n|Subject: two\n\nFrom the text, no "
                       "date\n|\nlast\n");
    free(s);
    /* no separator line before EOF; an empty body line kept */
    s = split("From a Mon Jan  1 00:00:00 2024\nX: 1\n\nb\n\n\n"
              "From a Mon Jan  1 00:00:00 2024\nX: 2\n\nc", MBOXFMT_MBOXRD,
              &n);
    TEST_ASSERT_INT(n, 2);
    TEST_ASSERT_STR(s, "X: 1\n\nb\n\n|X: 2\n\nc");
    free(s);
    s = split("", MBOXFMT_MBOXRD, &n);
    TEST_ASSERT_INT(n, 0);
    free(s);
}

static void test_from_dates(void)
{
    time_t t;
#define FROM(s) mboxfmt_parse_from_line(s, strlen(s), &t)
    TEST_ASSERT_INT(FROM("From a@b Mon Jan  1 00:00:00 2024"), ERR_OK);
    TEST_ASSERT_INT(t, 1704067200);
    TEST_ASSERT_INT(FROM("From a@b Mon Jan 1 00:00:01 PST 2024"), ERR_OK);
    TEST_ASSERT_INT(t, 1704067201);     /* zone ignored: read as UTC */
    TEST_ASSERT_INT(FROM("From a@b Mon Jan 1 00:00 2024 remote from x"),
                    ERR_OK);
    TEST_ASSERT_INT(t, 1704067200);
    TEST_ASSERT_INT(FROM("From MAILER-DAEMON Fri Dec 31 23:59:59 1999"),
                    ERR_OK);
    TEST_ASSERT_INT(t, 946684799);
    TEST_ASSERT_INT(FROM("From a@b"), ERR_BADFORMAT);
    TEST_ASSERT_INT(FROM("From a@b Mon Jan 1 2024"), ERR_BADFORMAT);
    TEST_ASSERT_INT(FROM("From a@b Mon Foo 1 00:00:00 2024"), ERR_BADFORMAT);
    TEST_ASSERT_INT(FROM("From a@b Mon Jan 1 25:00:00 2024"), ERR_BADFORMAT);
    TEST_ASSERT_INT(FROM("from a@b Mon Jan 1 00:00:00 2024"), ERR_BADFORMAT);
    TEST_ASSERT_INT(FROM("From a@b Mon Jan 1 -1:-5:00 2024"), ERR_BADFORMAT);
#undef FROM
    /* The line at the very end of the input, no NUL after it (an mmap'd
     * file): numbers are read within their words (the fuzzer found an
     * overread through atoi under ASan). */
    const char *line = "From a@b Mon Jan  1 00:00:00 2024";
    char *exact = malloc(strlen(line));
    memcpy(exact, line, strlen(line));
    TEST_ASSERT_INT(mboxfmt_parse_from_line(exact, strlen(line), &t), ERR_OK);
    TEST_ASSERT_INT(t, 1704067200);
    TEST_ASSERT_INT(mboxfmt_parse_from_line(exact, strlen(line) - 2, &t),
                    ERR_BADFORMAT);         /* "20": no 4-digit year */
    free(exact);
}

static void test_quoting_mboxrd(void)
{
    int n;
    char *s = split("From a Mon Jan  1 00:00:00 2024\nS: x\n\n"
                    ">From one\n>>From two\n>>>From three\nFrom four\n"
                    ">Fromage\n> From x\n",
                    MBOXFMT_MBOXRD, &n);
    TEST_ASSERT_INT(n, 1);
    TEST_ASSERT_STR(s, "S: x\n\nFrom one\n>From two\n>>From three\n"
                       "From four\n>Fromage\n> From x\n");
    free(s);
    struct buf out = BUF_INITIALIZER;
    const char *msg = "S: x\r\n\r\nFrom one\r\n>From two\r\n>>From 3\r\n"
                      ">Fromage\r\n";
    mboxfmt_write(&out, msg, strlen(msg), "a@b", 1704067200, 0, NULL,
                  MBOXFMT_MBOXRD);
    TEST_ASSERT_STR(buf_cstring(&out),
                    "From a@b Mon Jan  1 00:00:00 2024\nS: x\n\n>From one\n"
                    ">>From two\n>>>From 3\n>Fromage\n\n");
    buf_free(&out);
}

static void test_quoting_mboxo(void)
{
    int n;
    char *s = split("From a Mon Jan  1 00:00:00 2024\nS: x\n\n"
                    ">From one\n>>From two\n", MBOXFMT_MBOXO, &n);
    TEST_ASSERT_STR(s, "S: x\n\nFrom one\n>>From two\n");
    free(s);
    struct buf out = BUF_INITIALIZER;
    const char *msg = "S: x\r\n\r\nFrom one\r\n>From two\r\n";
    mboxfmt_write(&out, msg, strlen(msg), NULL, 0, 0, NULL, MBOXFMT_MBOXO);
    TEST_ASSERT_STR(buf_cstring(&out),
                    "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nS: x\n\n"
                    ">From one\n>From two\n\n");
    buf_free(&out);
}

static void test_flags(void)
{
    const char *text = "From a Mon Jan  1 00:00:00 2024\n"
                       "Subject: s\nStatus: RO\nX-Keywords: $Label1,\n"
                       " Work  $Junk\nX-Status: AFTD\nTo: x\n\n"
                       "Status: body, not a header\n";
    struct rd x;
    struct mboxfmt_message *m = &x.m;
    rd_open(&x, text, MBOXFMT_MBOXRD);
    TEST_ASSERT_INT(rd_next(&x), ERR_OK);
    TEST_ASSERT_INT(m->flags, MBOXFMT_SEEN | MBOXFMT_OLD | MBOXFMT_ANSWERED |
                             MBOXFMT_FLAGGED | MBOXFMT_DRAFT |
                             MBOXFMT_DELETED);
    TEST_ASSERT_INT(m->keywords.count, 3);
    TEST_ASSERT_STR(m->keywords.data[0], "$Label1");
    TEST_ASSERT_STR(m->keywords.data[1], "Work");
    TEST_ASSERT_STR(m->keywords.data[2], "$Junk");
    TEST_ASSERT_STR(buf_cstring(&m->text), "Subject: s\nTo: x\n\n"
                                           "Status: body, not a header\n");
    TEST_ASSERT_INT(m->internal, 0);
    TEST_ASSERT_INT(m->date, 1704067200);
    TEST_ASSERT_INT(rd_next(&x), ERR_NOTFOUND);
    rd_close(&x);
}

/* Import then export gives the same bytes (status fields at the end of
 * the header, one '>' level more or less). */
static void test_round_trip(void)
{
    const char *text =
        "From bob@example.org Mon Jan  1 00:00:00 2024\n"
        "Return-Path: <bob@example.org>\nSubject: s\nStatus: RO\n"
        "X-Status: AF\nX-Keywords: $Work\n\n>From me\n>>From you\n\n\n"
        "From MAILER-DAEMON Tue Feb 13 23:31:30 2024\n"
        "Return-Path: <>\nSubject: t\n\nno status\n\n";
    struct mboxfmt_reader r;
    struct mboxfmt_message m = MBOXFMT_MESSAGE_INITIALIZER;
    struct buf err = BUF_INITIALIZER, out = BUF_INITIALIZER,
               crlf = BUF_INITIALIZER, sender = BUF_INITIALIZER;
    mboxfmt_reader_init(&r, text, strlen(text), MBOXFMT_MBOXRD);
    while (mboxfmt_next(&r, &m, &err) == ERR_OK) {
        buf_reset(&crlf);
        for (size_t i = 0; i < m.text.len; i++) {
            if (m.text.s[i] == '\n')
                buf_putc(&crlf, '\r');
            buf_putc(&crlf, m.text.s[i]);
        }
        mboxfmt_return_path(crlf.s, crlf.len, &sender);
        mboxfmt_write(&out, crlf.s, crlf.len, buf_cstring(&sender), m.date,
                      m.flags, &m.keywords, MBOXFMT_MBOXRD);
    }
    TEST_ASSERT_STR(buf_cstring(&out), text);
    mboxfmt_message_fini(&m);
    buf_free(&err);
    buf_free(&out);
    buf_free(&crlf);
    buf_free(&sender);
}

static void test_internal_message(void)
{
    const char *text =
        "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
        "Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n"
        "X-IMAP: 1234567890 0000000002\n\nThis text is part of the "
        "internal format of your mail folder.\n\n"
        "From a Mon Jan  1 00:00:00 2024\nX-IMAP: 1\nSubject: real\n\nx\n";
    struct rd x;
    rd_open(&x, text, MBOXFMT_MBOXRD);
    TEST_ASSERT_INT(rd_next(&x), ERR_OK);
    TEST_ASSERT_INT(x.m.internal, 1);
    TEST_ASSERT_INT(rd_next(&x), ERR_OK);
    TEST_ASSERT_INT(x.m.internal, 0);     /* only the first message is */
    TEST_ASSERT_INT(rd_next(&x), ERR_NOTFOUND);
    rd_close(&x);
}

static void test_malformed(void)
{
    struct rd x;
    rd_open(&x, "Subject: no From_ line\n\nbody\n", MBOXFMT_MBOXRD);
    TEST_ASSERT_INT(rd_next(&x), ERR_BADFORMAT);
    TEST_ASSERT_STR(buf_cstring(&x.err),
                    "line 1: not an mbox file: a message must start with a "
                    "From_ line (\"From sender date\")");
    TEST_ASSERT_INT(x.r.count, 0);
    rd_close(&x);
    /* a From line without a date does not start an mbox either */
    rd_open(&x, "From nobody\n\nx\n", MBOXFMT_MBOXRD);
    TEST_ASSERT_INT(rd_next(&x), ERR_BADFORMAT);
    rd_close(&x);
}

static void test_folder_names(void)
{
    struct buf b = BUF_INITIALIZER;
    mboxfmt_folder_component("lists.debian", &b);
    buf_putc(&b, '|');
    mboxfmt_folder_component("~a(b)^c d", &b);
    buf_putc(&b, '|');
    mboxfmt_folder_component("sent-mail", &b);
    TEST_ASSERT_STR(buf_cstring(&b), "lists_debian|_a_b__c d|sent-mail");
    buf_free(&b);
}

static void test_maildir_names(void)
{
    uint32_t f, kw;
    size_t bl;
    maildirfmt_parse_name("1700000000.M1P2.host,S=120,W=124:2,FRSTDPac", &f,
                          &kw, &bl);
    TEST_ASSERT_INT(f, MAILDIRFMT_FLAGGED | MAILDIRFMT_ANSWERED |
                       MAILDIRFMT_SEEN | MAILDIRFMT_DELETED |
                       MAILDIRFMT_DRAFT);
    TEST_ASSERT_INT(kw, (1u << 0) | (1u << 2));
    TEST_ASSERT_INT(bl, strlen("1700000000.M1P2.host,S=120,W=124"));
    maildirfmt_parse_name("1700000000.M1P2.host", &f, &kw, &bl);
    TEST_ASSERT_INT(f, 0);
    TEST_ASSERT_INT(kw, 0);
    TEST_ASSERT_INT(bl, 20);
    maildirfmt_parse_name("x:1,S", &f, &kw, &bl);   /* not ":2," */
    TEST_ASSERT_INT(f, 0);
    TEST_ASSERT(maildirfmt_is_folder(".Sent"));
    TEST_ASSERT(maildirfmt_is_folder(".a.b"));
    TEST_ASSERT(!maildirfmt_is_folder("."));
    TEST_ASSERT(!maildirfmt_is_folder(".."));
    TEST_ASSERT(!maildirfmt_is_folder("cur"));
}

static void test_dovecot_files(void)
{
    struct strarray kw = STRARRAY_INITIALIZER;
    const char *k = "0 $Label1\n2 Work\nbad line\n30 toolarge\n";
    maildirfmt_parse_keywords(k, strlen(k), &kw);
    TEST_ASSERT_INT(kw.count, 3);
    TEST_ASSERT_STR(kw.data[0], "$Label1");
    TEST_ASSERT_STR(kw.data[1], "");
    TEST_ASSERT_STR(kw.data[2], "Work");
    strarray_fini(&kw);

    struct maildirfmt_uidlist ul;
    const char *u = "3 V1700000001 N7 G3085f01b7f11e8654a00000b7b4f0d09\n"
                    "5 :1700000000.M1P2.host,S=120,W=124\n"
                    "6 G3085f0 W200 S190 :1700000001.M3P4.host,S=190\n"
                    "junk\n";
    TEST_ASSERT_INT(maildirfmt_parse_uidlist(u, strlen(u), &ul), ERR_OK);
    TEST_ASSERT_INT(ul.uidvalidity, 1700000001);
    TEST_ASSERT_INT(ul.next_uid, 7);
    TEST_ASSERT_INT(ul.n, 2);
    TEST_ASSERT_INT(ul.bad_lines, 1);
    TEST_ASSERT_INT(maildirfmt_uid_of(&ul, "1700000001.M3P4.host,S=190:2,S",
                                      strlen("1700000001.M3P4.host,S=190")),
                    6);
    TEST_ASSERT_INT(maildirfmt_uid_of(&ul,
                                      "1700000000.M1P2.host,S=120,W=124",
                                      32), 5);
    TEST_ASSERT_INT(maildirfmt_uid_of(&ul, "1700000000.M1P2.host", 20), 0);
    maildirfmt_uidlist_fini(&ul);
    u = "1 1234 3\n1 a:2,S\n2 b\n";
    TEST_ASSERT_INT(maildirfmt_parse_uidlist(u, strlen(u), &ul), ERR_OK);
    TEST_ASSERT_INT(ul.uidvalidity, 1234);
    TEST_ASSERT_INT(maildirfmt_uid_of(&ul, "b", 1), 2);
    TEST_ASSERT_INT(maildirfmt_uid_of(&ul, "a", 1), 1);
    maildirfmt_uidlist_fini(&ul);
    u = "9 nonsense\n";
    TEST_ASSERT_INT(maildirfmt_parse_uidlist(u, strlen(u), &ul),
                    ERR_BADFORMAT);
}

TEST_MAIN("mboxfmt",
          TEST_CASE(test_split),
          TEST_CASE(test_from_dates),
          TEST_CASE(test_quoting_mboxrd),
          TEST_CASE(test_quoting_mboxo),
          TEST_CASE(test_flags),
          TEST_CASE(test_round_trip),
          TEST_CASE(test_internal_message),
          TEST_CASE(test_malformed),
          TEST_CASE(test_folder_names),
          TEST_CASE(test_maildir_names),
          TEST_CASE(test_dovecot_files))
