/* test_index.c -- the selected-mailbox view: SELECT responses, FETCH of
 * every kind (exact bytes), \Seen by BODY[] but not BODY.PEEK[], STORE
 * with keywords, .SILENT, rights and UNCHANGEDSINCE, two sessions seeing
 * each other's changes, COPY/MOVE with COPYUID data, EXPUNGE, the lazily
 * filled view of a SELECT, a damaged record, and malformed requests.  SEARCH is in test_index_search.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/mailstore/acl.h"
#include "imap/imapd/index_private.h"
#include "tests/unit/harness.h"
#include "tests/unit/index_check.h"

#define RUN_OK(st, cmd) TEST_ASSERT_INT(ix_run((st), (cmd)), ERR_OK)

/* Run cmd, which must succeed and write exactly want. */
#define EXPECT(st, cmd, want)                                                 \
    do {                                                                      \
        RUN_OK(st, cmd);                                                      \
        TEST_ASSERT_STR(ix_out(), want);                                      \
    } while (0)

/* SELECT's responses: want, a format with one %s for the mailbox's
 * unique id (MAILBOXID, RFC 8474; random at CREATE). */
#define EXPECT_SELECT(st, want)                                               \
    do {                                                                      \
        struct buf exp_ = BUF_INITIALIZER;                                    \
        buf_printf(&exp_, want, (st)->mb->uniqueid);                          \
        EXPECT(st, "SELECT", buf_cstring(&exp_));                             \
        buf_free(&exp_);                                                      \
    } while (0)

static struct index_state *open_bob(void)
{
    ix_setup();
    return ix_open("user.bob", "bob", ACL_ALL, 0);
}

/* ---- SELECT ---------------------------------------------------------- */

static void test_select_responses(void)
{
    struct index_state *st, *ex;

    ix_setup();
    /* EXAMINE first: \Recent shows but is not claimed. */
    ex = ix_open("user.bob", "bob", ACL_ALL, 1);
    TEST_ASSERT(index_is_readonly(ex));
    EXPECT_SELECT(ex,
           "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
           "* OK [PERMANENTFLAGS ()] Ok\r\n"
           "* 4 EXISTS\r\n"
           "* 4 RECENT\r\n"
           "* OK [UNSEEN 1] Ok\r\n"
           "* OK [UIDVALIDITY 42] Ok\r\n"
           "* OK [UIDNEXT 5] Ok\r\n"
           "* OK [HIGHESTMODSEQ 5] Ok\r\n"
           "* OK [MAILBOXID (%s)] Ok\r\n");
    index_close(&ex);

    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    TEST_ASSERT(!index_is_readonly(st));
    TEST_ASSERT_INT(index_exists(st), 4);
    EXPECT_SELECT(st,
           "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
           "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
           "\\Draft \\*)] Ok\r\n"
           "* 4 EXISTS\r\n"
           "* 4 RECENT\r\n"
           "* OK [UNSEEN 1] Ok\r\n"
           "* OK [UIDVALIDITY 42] Ok\r\n"
           "* OK [UIDNEXT 5] Ok\r\n"
           "* OK [HIGHESTMODSEQ 5] Ok\r\n"
           "* OK [MAILBOXID (%s)] Ok\r\n");
    RUN_OK(st, "STORE 1:2 +FLAGS.SILENT (\\Seen)");
    EXPECT(st, "STORE 4 +FLAGS.SILENT ($Work)",
           "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
           "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
           "\\Draft $Work \\*)] Ok\r\n");
    index_close(&st);

    /* The \Recent were claimed; the first unseen is now 3; keywords are
     * listed; rights shape PERMANENTFLAGS. */
    st = ix_open("user.bob", "bob", ACL_LOOKUP | ACL_READ | ACL_SEEN, 0);
    TEST_ASSERT(!index_is_readonly(st));
    EXPECT_SELECT(st,
           "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
           "* OK [PERMANENTFLAGS (\\Seen)] Ok\r\n"
           "* 4 EXISTS\r\n"
           "* 0 RECENT\r\n"
           "* OK [UNSEEN 3] Ok\r\n"
           "* OK [UIDVALIDITY 42] Ok\r\n"
           "* OK [UIDNEXT 5] Ok\r\n"
           "* OK [HIGHESTMODSEQ 8] Ok\r\n"
           "* OK [MAILBOXID (%s)] Ok\r\n");
    index_close(&st);
    /* No rights to change anything: read-only even when SELECTed. */
    st = ix_open("user.bob", "bob", ACL_LOOKUP | ACL_READ, 0);
    TEST_ASSERT(index_is_readonly(st));
    index_close(&st);
}

/* ---- FETCH ------------------------------------------------------------ */

static void test_fetch_flags_uid(void)
{
    struct index_state *st = open_bob();

    EXPECT(st, "FETCH 1:2 (FLAGS UID)",
           "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n"
           "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\n");
    EXPECT(st, "FETCH 4:3 FLAGS",
           "* 3 FETCH (FLAGS (\\Answered \\Recent))\r\n"
           "* 4 FETCH (FLAGS (\\Recent))\r\n");
    EXPECT(st, "FETCH * UID", "* 4 FETCH (UID 4)\r\n");
    /* UID FETCH always says UID; UIDs that do not exist are ignored, and
     * "n:*" past the end still means the last message. */
    EXPECT(st, "UID FETCH 2,9 FLAGS", "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\n");
    EXPECT(st, "UID FETCH 99 FLAGS", "");
    EXPECT(st, "UID FETCH 100:* RFC822.SIZE",
           "* 4 FETCH (UID 4 RFC822.SIZE 200)\r\n");
    index_close(&st);
}

static void test_fetch_envelope_dates(void)
{
    struct index_state *st = open_bob();
    struct buf want = BUF_INITIALIZER;

    buf_printf(&want,
               "* 1 FETCH (INTERNALDATE \" 8-Feb-1994 06:00:00 +0000\" "
               "RFC822.SIZE %zu ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800 "
               "(PST)\" \"afternoon meeting\" ((\"Fred Foobar\" NIL \"foobar\" "
               "\"Blurdybloop.COM\")) ((\"Fred Foobar\" NIL \"foobar\" "
               "\"Blurdybloop.COM\")) ((\"Fred Foobar\" NIL \"foobar\" "
               "\"Blurdybloop.COM\")) ((NIL NIL \"mooch\" "
               "\"owatagu.siam.edu\")) ((\"Boss\" NIL \"boss\" "
               "\"example.org\")(\"Deputy\" NIL \"deputy\" \"example.org\")) "
               "NIL NIL \"<B27397-0100000@Blurdybloop.COM>\"))\r\n",
               strlen(ix_msg_plain));
    EXPECT(st, "FETCH 1 (ENVELOPE RFC822.SIZE INTERNALDATE)", want.s);
    /* The internal date is shown in the server's zone. */
    setenv("TZ", "XYZ7", 1);
    tzset();
    EXPECT(st, "FETCH 1 INTERNALDATE",
           "* 1 FETCH (INTERNALDATE \" 7-Feb-1994 23:00:00 -0700\")\r\n");
    setenv("TZ", "XYZ-5:30", 1);
    tzset();
    EXPECT(st, "FETCH 4 INTERNALDATE",
           "* 4 FETCH (INTERNALDATE \"12-Feb-1994 05:29:59 +0530\")\r\n");
    buf_free(&want);
    index_close(&st);
}

static void test_fetch_bodystructure(void)
{
    struct index_state *st = open_bob();

    EXPECT(st, "FETCH 2 BODYSTRUCTURE",
           "* 2 FETCH (BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" "
           "\"utf-8\") NIL NIL \"BASE64\" 52 1 NIL NIL NIL NIL)(\"TEXT\" "
           "\"HTML\" (\"CHARSET\" \"iso-8859-1\") NIL NIL "
           "\"QUOTED-PRINTABLE\" 52 2 NIL NIL NIL NIL) \"ALTERNATIVE\" "
           "(\"BOUNDARY\" \"xyz\") NIL NIL NIL)(\"APPLICATION\" "
           "\"OCTET-STREAM\" (\"NAME\" \"report.bin\") NIL NIL \"BASE64\" 16 "
           "NIL (\"ATTACHMENT\" (\"FILENAME\" \"report.bin\")) NIL NIL) "
           "\"MIXED\" (\"BOUNDARY\" \"mix\") NIL NIL NIL))\r\n");
    EXPECT(st, "FETCH 4 (BODY UID)",
           "* 4 FETCH (UID 4 BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" "
           "\"iso-8859-1\") NIL NIL \"8BIT\" 23 1))\r\n");
    index_close(&st);
}

static void test_fetch_header_fields(void)
{
    struct index_state *st = open_bob();

    EXPECT(st, "FETCH 1 BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]",
           "* 1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] {74}\r\n"
           "From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
           "Subject: afternoon meeting\r\n"
           "\r\n)\r\n");
    /* Names in any case, quoted ones echoed bare when they are atoms,
     * folded lines kept with their field, fields in message order. */
    EXPECT(st, "FETCH 1 BODY.PEEK[header.fields (\"cc\" x-mailer)]",
           "* 1 FETCH (BODY[HEADER.FIELDS (cc x-mailer)] {87}\r\n"
           "Cc: Boss <boss@example.org>,\r\n"
           "  Deputy <deputy@example.org>\r\n"
           "X-Mailer: TestMail 1.0\r\n"
           "\r\n)\r\n");
    EXPECT(st, "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Date From Subject To Cc "
               "Message-ID MIME-Version Content-Type)]",
           "* 1 FETCH (BODY[HEADER.FIELDS.NOT (Date From Subject To Cc "
           "Message-ID MIME-Version Content-Type)] {26}\r\n"
           "X-Mailer: TestMail 1.0\r\n\r\n)\r\n");
    /* A field nobody has: just the empty line. */
    EXPECT(st, "FETCH 4 BODY.PEEK[HEADER.FIELDS (X-Nothing)]",
           "* 4 FETCH (BODY[HEADER.FIELDS (X-Nothing)] {2}\r\n\r\n)\r\n");
    /* Of an attached message. */
    EXPECT(st, "FETCH 3 BODY.PEEK[2.HEADER.FIELDS (SUBJECT)]",
           "* 3 FETCH (BODY[2.HEADER.FIELDS (SUBJECT)] {24}\r\n"
           "Subject: lunch plans\r\n\r\n)\r\n");
    index_close(&st);
}

static void test_fetch_parts(void)
{
    struct index_state *st = open_bob();

    EXPECT(st, "FETCH 2 BODY.PEEK[1.2]",
           "* 2 FETCH (BODY[1.2] {52}\r\n"
           "<p>Caf=E9 cr=E8me br=FBl=E9e with a soft=\r\nbreak</p>)\r\n");
    EXPECT(st, "FETCH 2 (BODY.PEEK[1.1.MIME] BODY.PEEK[2])",
           "* 2 FETCH (BODY[1.1.MIME] {78}\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n"
           " BODY[2] {16}\r\nAAECAwQFBgcICQ==)\r\n");
    EXPECT(st, "FETCH 3 (BODY.PEEK[2.TEXT] BODY.PEEK[2.1] BODY.PEEK[1])",
           "* 3 FETCH (BODY[2.TEXT] {35}\r\n"
           "Pizza at noon, forwarded body text."
           " BODY[2.1] {35}\r\nPizza at noon, forwarded body text."
           " BODY[1] {10}\r\nSee below.)\r\n");
    /* Parts that do not exist are NIL. */
    EXPECT(st, "FETCH 1 (BODY.PEEK[3] BODY.PEEK[1.HEADER])",
           "* 1 FETCH (BODY[3] NIL BODY[1.HEADER] NIL)\r\n");
    /* 8-bit bodies go out as they are. */
    EXPECT(st, "FETCH 4 BODY.PEEK[TEXT]",
           "* 4 FETCH (BODY[TEXT] {23}\r\n"
           "Le caf\xe9 est tr\xe8s bon.\r\n)\r\n");
    index_close(&st);
}

static void test_fetch_partial(void)
{
    struct index_state *st = open_bob();

    EXPECT(st, "FETCH 1 BODY.PEEK[]<0.10>",
           "* 1 FETCH (BODY[]<0> {10}\r\nDate: Mon,)\r\n");
    EXPECT(st, "FETCH 1 BODY.PEEK[TEXT]<6.3>",
           "* 1 FETCH (BODY[TEXT]<6> {3}\r\nJoe)\r\n");
    /* Past the end: an empty string; a count past the end: what is left. */
    EXPECT(st, "FETCH 1 BODY.PEEK[TEXT]<900.10>",
           "* 1 FETCH (BODY[TEXT]<900> {0}\r\n)\r\n");
    EXPECT(st, "FETCH 1 BODY.PEEK[TEXT]<50.100>",
           "* 1 FETCH (BODY[TEXT]<50> {5}\r\now?\r\n)\r\n");
    index_close(&st);
}

static void test_fetch_sets_seen(void)
{
    struct index_state *st = open_bob(), *ro;
    struct buf want = BUF_INITIALIZER;

    /* PEEK leaves \Seen alone. */
    RUN_OK(st, "FETCH 1 BODY.PEEK[]");
    ix_out();
    EXPECT(st, "FETCH 1 FLAGS", "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\n");
    /* BODY[] sets it, and the reply says so. */
    EXPECT(st, "FETCH 1 BODY[]<0.4>",
           "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent) BODY[]<0> {4}\r\n"
           "Date)\r\n");
    /* Already \Seen: no FLAGS unless asked. */
    EXPECT(st, "FETCH 1 BODY[]<0.4>", "* 1 FETCH (BODY[]<0> {4}\r\nDate)\r\n");
    /* RFC822.HEADER does not set it, RFC822.TEXT and RFC822 do. */
    RUN_OK(st, "FETCH 4 RFC822.HEADER");
    ix_out();
    EXPECT(st, "FETCH 4 FLAGS", "* 4 FETCH (FLAGS (\\Recent))\r\n");
    EXPECT(st, "FETCH 4 RFC822.TEXT",
           "* 4 FETCH (FLAGS (\\Seen \\Recent) RFC822.TEXT {23}\r\n"
           "Le caf\xe9 est tr\xe8s bon.\r\n)\r\n");
    buf_printf(&want,
               "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) RFC822 {%zu}\r\n"
               "%s)\r\n", strlen(ix_msg_alt), ix_msg_alt);
    EXPECT(st, "UID FETCH 2 RFC822", want.s);
    index_close(&st);

    /* The state is the user's: a new session sees it. */
    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    EXPECT(st, "FETCH 1:4 FLAGS",
           "* 1 FETCH (FLAGS (\\Flagged \\Seen))\r\n"
           "* 2 FETCH (FLAGS (\\Seen))\r\n"
           "* 3 FETCH (FLAGS (\\Answered))\r\n"
           "* 4 FETCH (FLAGS (\\Seen))\r\n");
    index_close(&st);
    /* Not in a read-only view, and not without the s right. */
    ro = ix_open("user.bob", "bob", ACL_ALL, 1);
    EXPECT(ro, "FETCH 3 BODY[]<0.4>", "* 3 FETCH (BODY[]<0> {4}\r\nDate)\r\n");
    index_close(&ro);
    ro = ix_open("user.bob", "bob", ACL_READ | ACL_WRITE, 0);
    EXPECT(ro, "FETCH 3 BODY[]<0.4>", "* 3 FETCH (BODY[]<0> {4}\r\nDate)\r\n");
    EXPECT(ro, "FETCH 3 FLAGS", "* 3 FETCH (FLAGS (\\Answered))\r\n");
    index_close(&ro);
    /* Another user has his own \Seen. */
    st = ix_open("user.bob", "alice", ACL_ALL, 0);
    EXPECT(st, "FETCH 1 FLAGS", "* 1 FETCH (FLAGS (\\Flagged))\r\n");
    index_close(&st);
    buf_free(&want);
}

static void test_fetch_macros_modseq(void)
{
    struct index_state *st = open_bob();

    EXPECT(st, "FETCH 4 FAST",
           "* 4 FETCH (FLAGS (\\Recent) INTERNALDATE \"11-Feb-1994 23:59:59 "
           "+0000\" RFC822.SIZE 200)\r\n");
    EXPECT(st, "FETCH 4 ALL",
           "* 4 FETCH (FLAGS (\\Recent) INTERNALDATE \"11-Feb-1994 23:59:59 "
           "+0000\" RFC822.SIZE 200 ENVELOPE (\"Thu, 10 Feb 1994 08:00:00 "
           "+0000\" \"menu\" ((NIL NIL \"dave\" \"example.fr\")) ((NIL NIL "
           "\"dave\" \"example.fr\")) ((NIL NIL \"dave\" \"example.fr\")) NIL "
           "NIL NIL NIL NIL))\r\n");
    EXPECT(st, "FETCH 4 FULL",
           "* 4 FETCH (FLAGS (\\Recent) INTERNALDATE \"11-Feb-1994 23:59:59 "
           "+0000\" RFC822.SIZE 200 ENVELOPE (\"Thu, 10 Feb 1994 08:00:00 "
           "+0000\" \"menu\" ((NIL NIL \"dave\" \"example.fr\")) ((NIL NIL "
           "\"dave\" \"example.fr\")) ((NIL NIL \"dave\" \"example.fr\")) NIL "
           "NIL NIL NIL NIL) BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" "
           "\"iso-8859-1\") NIL NIL \"8BIT\" 23 1))\r\n");
    TEST_ASSERT(!index_condstore(st));
    EXPECT(st, "FETCH 1:2 MODSEQ",
           "* 1 FETCH (MODSEQ (2))\r\n* 2 FETCH (MODSEQ (3))\r\n");
    TEST_ASSERT(index_condstore(st));
    RUN_OK(st, "STORE 3 +FLAGS.SILENT (\\Draft)");
    ix_out();
    /* CHANGEDSINCE: only what changed after, with MODSEQ implied. */
    EXPECT(st, "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4)",
           "* 3 FETCH (UID 3 FLAGS (\\Answered \\Draft \\Recent) "
           "MODSEQ (6))\r\n* 4 FETCH (UID 4 FLAGS (\\Recent) MODSEQ (5))\r\n");
    EXPECT(st, "FETCH 1:* UID (CHANGEDSINCE 5)",
           "* 3 FETCH (UID 3 MODSEQ (6))\r\n");
    index_close(&st);
}

static void expect_bad(struct index_state *st, const char *cmd)
{
    int r = ix_run(st, cmd);
    if (r != ERR_BADARG || !*ix_error())
        test_fail(__FILE__, __LINE__, "%s: r=%d error=\"%s\"", cmd, r,
                  ix_error());
    TEST_ASSERT_STR(ix_out(), "");
}

static void test_malformed(void)
{
    struct index_state *st = open_bob();

    /* Sequence sets */
    expect_bad(st, "FETCH 5 FLAGS");
    expect_bad(st, "FETCH 3:7 FLAGS");
    expect_bad(st, "FETCH 0 FLAGS");
    expect_bad(st, "FETCH 1,,2 FLAGS");
    expect_bad(st, "FETCH \"1\" FLAGS");
    expect_bad(st, "UID FETCH x FLAGS");
    expect_bad(st, "STORE 9 +FLAGS (\\Seen)");
    expect_bad(st, "COPY 0 user.bob");
    /* Fetch items */
    expect_bad(st, "FETCH 1 FOO");
    expect_bad(st, "FETCH 1 ()");
    expect_bad(st, "FETCH 1 (FLAGS ALL)");
    expect_bad(st, "FETCH 1 BODY.PEEK");
    expect_bad(st, "FETCH 1 BODY[1.0]");
    expect_bad(st, "FETCH 1 BODY[01]");
    expect_bad(st, "FETCH 1 BODY[1.]");
    expect_bad(st, "FETCH 1 BODY[MIME]");
    expect_bad(st, "FETCH 1 BODY[TEXT.MIME]");
    expect_bad(st, "FETCH 1 BODY[HEADER.FIELDS]");
    expect_bad(st, "FETCH 1 BODY[HEADER.FIELDS ()]");
    expect_bad(st, "FETCH 1 BODY[HEADER.FIELDS (A:B)]");
    expect_bad(st, "FETCH 1 BODY[HEADER]x");
    expect_bad(st, "FETCH 1 BODY[]<1>");
    expect_bad(st, "FETCH 1 BODY[]<1.0>");
    expect_bad(st, "FETCH 1 BODY[]<a.2>");
    expect_bad(st, "FETCH 1 BINARY[HEADER]");
    expect_bad(st, "FETCH 1 BINARY.PEEK[1.MIME]");
    expect_bad(st, "FETCH 1 BINARY[1.]");
    expect_bad(st, "FETCH 1 BINARY.SIZE[1]<0.1>");
    expect_bad(st, "FETCH 1 FLAGS (CHANGEDSINCE x)");
    expect_bad(st, "FETCH 1 FLAGS (VANISHED)");
    /* Store */
    expect_bad(st, "STORE 1 FLAGS");
    expect_bad(st, "STORE 1 *FLAGS (\\Seen)");
    expect_bad(st, "STORE 1 +FLAGS (\\Foo)");
    expect_bad(st, "STORE 1 +FLAGS (\"quoted\")");
    expect_bad(st, "STORE 1 +FLAGS (a%b)");
    expect_bad(st, "STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)");
    /* Expunge */
    TEST_ASSERT_INT(ix_run(st, "UID EXPUNGE 0"), ERR_BADARG);
    /* Nothing of it changed anything. */
    EXPECT(st, "FETCH 1 FLAGS", "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\n");
    index_close(&st);
}

/* ---- STORE ------------------------------------------------------------ */

static void test_store(void)
{
    struct index_state *st = open_bob();

    EXPECT(st, "STORE 1 +FLAGS (\\Deleted)",
           "* 1 FETCH (FLAGS (\\Flagged \\Deleted \\Recent))\r\n");
    EXPECT(st, "STORE 1 -FLAGS (\\Flagged \\Recent)",
           "* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\n");
    EXPECT(st, "STORE 1:2 FLAGS (\\Answered \\Seen)",
           "* 1 FETCH (FLAGS (\\Answered \\Seen \\Recent))\r\n"
           "* 2 FETCH (FLAGS (\\Answered \\Seen \\Recent))\r\n");
    EXPECT(st, "STORE 2 +FLAGS.SILENT \\Draft", "");
    /* A new keyword is announced before the FETCH that uses it. */
    EXPECT(st, "UID STORE 2 +FLAGS ($Label1 \\Flagged)",
           "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n"
           "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
           "\\Draft $Label1 \\*)] Ok\r\n"
           "* 2 FETCH (UID 2 FLAGS (\\Answered \\Flagged \\Seen \\Draft "
           "\\Recent $Label1))\r\n");
    /* Keywords compare without case; removing an unknown one is fine. */
    EXPECT(st, "STORE 2 -FLAGS ($label1 $Never)",
           "* 2 FETCH (FLAGS (\\Answered \\Flagged \\Seen \\Draft "
           "\\Recent))\r\n");
    EXPECT(st, "STORE 2 FLAGS ()", "* 2 FETCH (FLAGS (\\Recent))\r\n");
    index_close(&st);
    /* It all went to disk (\Seen in the seen state). */
    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    EXPECT(st, "FETCH 1:2 FLAGS",
           "* 1 FETCH (FLAGS (\\Answered \\Seen))\r\n"
           "* 2 FETCH (FLAGS ())\r\n");
    index_close(&st);
    /* Read-only: NO. */
    st = ix_open("user.bob", "bob", ACL_ALL, 1);
    TEST_ASSERT_INT(ix_run(st, "STORE 1 +FLAGS (\\Seen)"), ERR_PERM);
    TEST_ASSERT_STR(ix_out(), "");
    index_close(&st);
}

static void test_store_rights(void)
{
    struct index_state *st;

    ix_setup();
    st = ix_open("user.bob", "bob", ACL_LOOKUP | ACL_READ | ACL_SEEN, 0);
    /* Nothing named may be changed: NO. */
    TEST_ASSERT_INT(ix_run(st, "STORE 1 +FLAGS (\\Deleted $X)"), ERR_PERM);
    TEST_ASSERT(*ix_error());
    /* Some may: those are changed, the rest ignored. */
    EXPECT(st, "STORE 1 +FLAGS (\\Deleted \\Seen $X)",
           "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\n");
    EXPECT(st, "STORE 1 FLAGS ()",
           "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\n");
    index_close(&st);
    st = ix_open("user.bob", "bob", ACL_LOOKUP | ACL_READ | ACL_DELETEMSG, 0);
    EXPECT(st, "STORE 3 FLAGS (\\Deleted \\Flagged)",
           "* 3 FETCH (FLAGS (\\Answered \\Deleted))\r\n");
    index_close(&st);
}

static void test_store_unchangedsince(void)
{
    struct index_state *st = open_bob();

    /* Modseqs are 2..5.  Message 2 changed after 2: not stored. */
    EXPECT(st, "STORE 1:2 (UNCHANGEDSINCE 2) +FLAGS (\\Answered)",
           "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Recent) MODSEQ (6))\r\n");
    TEST_ASSERT_STR(ix_code(), "MODIFIED 2");
    EXPECT(st, "UID STORE 1:4 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted)",
           "* 2 FETCH (UID 2 MODSEQ (7))\r\n"
           "* 3 FETCH (UID 3 MODSEQ (8))\r\n"
           "* 4 FETCH (UID 4 MODSEQ (9))\r\n");
    TEST_ASSERT_STR(ix_code(), "MODIFIED 1");
    /* A silent store that changes nothing says nothing. */
    EXPECT(st, "STORE 2 +FLAGS.SILENT (\\Deleted)", "");
    TEST_ASSERT_STR(ix_code(), "");
    /* \Seen moves the modseq too. */
    EXPECT(st, "STORE 3 +FLAGS (\\Seen)",
           "* 3 FETCH (FLAGS (\\Answered \\Deleted \\Seen \\Recent) "
           "MODSEQ (10))\r\n");
    TEST_ASSERT_INT(index_highestmodseq(st), 5);
    RUN_OK(st, "CHECK");
    TEST_ASSERT_INT(index_highestmodseq(st), 10);
    index_close(&st);
}

/* ---- two sessions ------------------------------------------------------ */

static void test_two_sessions(void)
{
    struct index_state *a, *b, *b2;

    ix_setup();
    a = ix_open("user.bob", "bob", ACL_ALL, 0);
    b = ix_open("user.bob", "alice", ACL_ALL, 0);
    b2 = ix_open("user.bob", "alice", ACL_ALL, 0);
    EXPECT(b, "CHECK", "");
    /* A flag change shows as FETCH FLAGS in the other view. */
    RUN_OK(a, "STORE 2 +FLAGS.SILENT (\\Flagged $Hot)");
    ix_out();                   /* a announced $Hot to its own client */
    EXPECT(b, "POLL",
           "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Hot)\r\n"
           "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
           "\\Draft $Hot \\*)] Ok\r\n"
           "* 2 FETCH (FLAGS (\\Flagged $Hot))\r\n");
    EXPECT(b, "POLL", "");
    /* \Seen is per user: bob's does not show to alice, alice's own other
     * session does. */
    RUN_OK(a, "STORE 3 +FLAGS.SILENT (\\Seen)");
    RUN_OK(b2, "STORE 4 +FLAGS.SILENT (\\Seen)");
    ix_out();                   /* b2 learnt of $Hot there */
    EXPECT(b, "POLL", "* 4 FETCH (FLAGS (\\Seen))\r\n");
    ix_out();
    /* Expunge: reported only where allowed; until then the message keeps
     * its number and what the index knew of it. */
    RUN_OK(a, "STORE 1 +FLAGS.SILENT (\\Deleted)");
    EXPECT(a, "EXPUNGE", "* 1 EXPUNGE\r\n");
    TEST_ASSERT_INT(index_exists(a), 3);
    EXPECT(b, "POLL", "");
    TEST_ASSERT_INT(index_exists(b), 4);
    EXPECT(b, "FETCH 1 (UID FLAGS RFC822.SIZE)",
           "* 1 FETCH (UID 1 FLAGS (\\Flagged) RFC822.SIZE 395)\r\n");
    TEST_ASSERT_INT(ix_run(b, "FETCH 1:2 (UID BODY.PEEK[HEADER.FIELDS (TO)])"),
                    ERR_NOTFOUND);
    TEST_ASSERT(!strncmp(ix_error(), "[EXPUNGEISSUED]", 15));
    TEST_ASSERT_STR(ix_out(), "* 2 FETCH (UID 2 BODY[HEADER.FIELDS (TO)] {24}"
                              "\r\nTo: team@example.org\r\n\r\n)\r\n");
    TEST_ASSERT_INT(ix_run(b, "COPY 1 user.bob"), ERR_NOTFOUND);
    EXPECT(b, "SEARCH FLAGGED", "* SEARCH 1 2\r\n");
    EXPECT(b, "CHECK", "* 1 EXPUNGE\r\n");
    TEST_ASSERT_INT(index_exists(b), 3);
    /* New mail: EXISTS and RECENT; \Recent to the first who sees it. */
    ix_append("user.bob", ix_msg_plain, 0, 0);
    EXPECT(b, "POLL", "* 4 EXISTS\r\n* 1 RECENT\r\n");
    EXPECT(a, "CHECK", "* 4 EXISTS\r\n* 3 RECENT\r\n");
    EXPECT(b, "FETCH 4 (UID FLAGS)", "* 4 FETCH (UID 5 FLAGS (\\Recent))\r\n");
    /* Expunge and arrival in one go: EXPUNGE first, then the new count. */
    RUN_OK(a, "STORE 1 +FLAGS.SILENT (\\Deleted)");
    EXPECT(a, "EXPUNGE", "* 1 EXPUNGE\r\n");
    ix_append("user.bob", ix_msg_plain, 0, 0);
    /* b2 never looked since it opened: UIDs 1 and 2 are gone, 5 and 6
     * new (5 was \Recent to b).  Its view was never filled, and UID 3's
     * record changed after its SELECT (bob's \Seen moved the modseq), so
     * its flags are told again, as CONDSTORE would tell them. */
    EXPECT(b2, "CHECK", "* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"
                        "* 1 FETCH (FLAGS (\\Answered))\r\n"
                        "* 4 EXISTS\r\n* 1 RECENT\r\n");
    EXPECT(b2, "FETCH 1:* (UID FLAGS)",
           "* 1 FETCH (UID 3 FLAGS (\\Answered))\r\n"
           "* 2 FETCH (UID 4 FLAGS (\\Seen))\r\n"
           "* 3 FETCH (UID 5 FLAGS ())\r\n"
           "* 4 FETCH (UID 6 FLAGS (\\Recent))\r\n");
    index_close(&a);
    index_close(&b);
    index_close(&b2);
}

/* ---- COPY, MOVE, EXPUNGE ------------------------------------------------ */

static void test_copy_move(void)
{
    struct index_state *st = open_bob(), *dst;
    const struct append_result *res = ix_copy_result();
    struct buf want = BUF_INITIALIZER;

    ix_create("user.bob.archive");
    RUN_OK(st, "STORE 2 +FLAGS.SILENT (\\Seen)");
    RUN_OK(st, "STORE 3 +FLAGS.SILENT ($Label)");
    ix_out();
    EXPECT(st, "COPY 2:3 user.bob.archive", "");
    TEST_ASSERT_INT(res->uidvalidity, 42);
    TEST_ASSERT_INT(res->first_uid, 1);
    TEST_ASSERT_INT(res->last_uid, 2);
    TEST_ASSERT_INT(res->count, 2);
    TEST_ASSERT(res->seen_uids == NULL);
    TEST_ASSERT_STR(ix_srcuids(), "2:3");
    EXPECT(st, "UID COPY 4,1 user.bob.archive", "");
    TEST_ASSERT_STR(ix_srcuids(), "1,4");
    TEST_ASSERT_INT(res->first_uid, 3);
    TEST_ASSERT_INT(res->last_uid, 4);
    /* Nothing named: no copy, no COPYUID. */
    EXPECT(st, "UID COPY 77 user.bob.archive", "");
    TEST_ASSERT_INT(res->count, 0);

    dst = ix_open("user.bob.archive", "bob", ACL_ALL, 0);
    buf_printf(&want,
               "* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) RFC822.SIZE %zu)\r\n"
               "* 2 FETCH (UID 2 FLAGS (\\Answered \\Recent $Label) "
               "RFC822.SIZE %zu)\r\n"
               "* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent) "
               "RFC822.SIZE %zu)\r\n"
               "* 4 FETCH (UID 4 FLAGS (\\Recent) RFC822.SIZE %zu)\r\n",
               strlen(ix_msg_alt), strlen(ix_msg_fwd), strlen(ix_msg_plain),
               strlen(ix_msg_latin1));
    EXPECT(dst, "FETCH 1:4 (UID FLAGS RFC822.SIZE)", want.s);
    buf_free(&want);

    /* MOVE: COPYUID first, then the EXPUNGEs. */
    EXPECT(st, "MOVE 2:3 user.bob.archive",
           "* OK [COPYUID 42 2:3 5:6] Ok\r\n* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n");
    TEST_ASSERT_STR(ix_srcuids(), "2:3");
    TEST_ASSERT_INT(index_exists(st), 2);
    EXPECT(st, "UID MOVE 4 user.bob.archive",
           "* OK [COPYUID 42 4 7] Ok\r\n* 2 EXPUNGE\r\n");
    EXPECT(st, "FETCH 1:* UID", "* 1 FETCH (UID 1)\r\n");
    /* \Recent stays for the session: 4 from before, 3 new. */
    EXPECT(dst, "CHECK", "* 7 EXISTS\r\n* 7 RECENT\r\n");
    EXPECT(dst, "FETCH 5:7 (UID FLAGS)",
           "* 5 FETCH (UID 5 FLAGS (\\Seen \\Recent))\r\n"
           "* 6 FETCH (UID 6 FLAGS (\\Answered \\Recent $Label))\r\n"
           "* 7 FETCH (UID 7 FLAGS (\\Recent))\r\n");
    index_close(&dst);
    index_close(&st);
    /* MOVE needs t and e where the messages are. */
    st = ix_open("user.bob", "bob", ACL_ALL & ~ACL_EXPUNGE, 0);
    TEST_ASSERT_INT(ix_run(st, "MOVE 1 user.bob.archive"), ERR_PERM);
    TEST_ASSERT_STR(ix_out(), "");
    index_close(&st);
    st = ix_open("user.bob", "bob", ACL_ALL, 1);
    TEST_ASSERT_INT(ix_run(st, "MOVE 1 user.bob.archive"), ERR_PERM);
    /* ... but COPY from a read-only view is fine. */
    RUN_OK(st, "COPY 1 user.bob.archive");
    TEST_ASSERT_INT(res->first_uid, 8);
    index_close(&st);
}

static void test_expunge(void)
{
    struct index_state *st = open_bob(), *ro;

    RUN_OK(st, "STORE 1,3:4 +FLAGS.SILENT (\\Deleted)");
    /* UID EXPUNGE: only \Deleted messages in the set. */
    EXPECT(st, "UID EXPUNGE 2:3", "* 3 EXPUNGE\r\n");
    EXPECT(st, "EXPUNGE", "* 1 EXPUNGE\r\n* 2 EXPUNGE\r\n");
    EXPECT(st, "FETCH 1:* UID", "* 1 FETCH (UID 2)\r\n");
    EXPECT(st, "EXPUNGE", "");
    /* Needs e and a read-write view. */
    ro = ix_open("user.bob", "bob", ACL_ALL, 1);
    TEST_ASSERT_INT(ix_run(ro, "EXPUNGE"), ERR_PERM);
    index_close(&ro);
    ro = ix_open("user.bob", "bob", ACL_ALL & ~ACL_EXPUNGE, 0);
    RUN_OK(ro, "STORE 1 +FLAGS.SILENT (\\Deleted)");
    TEST_ASSERT_INT(ix_run(ro, "EXPUNGE"), ERR_PERM);
    TEST_ASSERT_INT(index_close_expunge(&ro), ERR_OK);
    TEST_ASSERT(ro == NULL);
    EXPECT(st, "CHECK", "* 1 FETCH (FLAGS (\\Deleted \\Recent))\r\n");
    /* CLOSE expunges silently. */
    TEST_ASSERT_INT(index_close_expunge(&st), ERR_OK);
    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    TEST_ASSERT_INT(index_exists(st), 0);
    /* An empty mailbox: "1:*" names nothing, "1" does not exist. */
    EXPECT(st, "FETCH 1:* FLAGS", "");
    TEST_ASSERT_INT(ix_run(st, "FETCH 1 FLAGS"), ERR_BADARG);
    EXPECT(st, "SEARCH ALL", "* SEARCH\r\n");
    index_close(&st);
}


/* ---- the lazy view --------------------------------------------------- */

static size_t n_filled(const struct index_state *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->nmsgs; i++)
        n += st->msgs[i].filled;
    return n;
}

/* SELECT and a page of FETCH read a few records of 200, not all; the
 * first sync fills the rest, from the records as they were at SELECT even
 * after another session expunged. */
static void test_lazy_view(void)
{
    struct index_state *st, *a;
    const char *out;

    ix_setup();
    for (int i = 0; i < 196; i++)
        ix_append("user.bob", ix_msg_plain, 0, 0);
    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    RUN_OK(st, "STORE 1:150 +FLAGS.SILENT (\\Seen)");
    index_close(&st);

    st = ix_open("user.bob", "bob", ACL_ALL, 1);
    TEST_ASSERT_INT(index_exists(st), 200);
    RUN_OK(st, "SELECT");
    out = ix_out();
    TEST_ASSERT(strstr(out, "* 200 EXISTS\r\n* 0 RECENT\r\n"));
    TEST_ASSERT(strstr(out, "* OK [UNSEEN 151] Ok\r\n"));
    TEST_ASSERT(strstr(out, "* OK [UIDNEXT 201] Ok\r\n"));
    /* the last record, binary searches for \Recent and past the seen
     * run, and the first unseen: about 3 log2(200), not 200 */
    TEST_ASSERT(n_filled(st) <= 30);
    EXPECT(st, "FETCH 1:2 (UID FLAGS)",
           "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Seen))\r\n"
           "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n");
    EXPECT(st, "UID FETCH 198:* (UID)",
           "* 198 FETCH (UID 198)\r\n* 199 FETCH (UID 199)\r\n"
           "* 200 FETCH (UID 200)\r\n");
    TEST_ASSERT(n_filled(st) <= 40);
    TEST_ASSERT(st->lazy);

    /* Another session flags 10 and expunges 60 and 199 before our first
     * sync; we never read 60's record, we did read 199's. */
    TEST_ASSERT(!st->msgs[59].filled && st->msgs[198].filled);
    a = ix_open("user.bob", "bob", ACL_ALL, 0);
    RUN_OK(a, "STORE 10 +FLAGS.SILENT (\\Flagged)");
    RUN_OK(a, "STORE 60,199 +FLAGS.SILENT (\\Deleted)");
    EXPECT(a, "EXPUNGE", "* 60 EXPUNGE\r\n* 198 EXPUNGE\r\n");
    index_close(&a);
    EXPECT(st, "POLL", "* 10 FETCH (FLAGS (\\Flagged \\Seen))\r\n");
    TEST_ASSERT(!st->lazy);
    TEST_ASSERT_INT(n_filled(st), 200);
    /* Gone but not yet reported: what the view kept answers.  60 was
     * filled from the snapshot, which still holds the old generation's
     * record as it was last written; 199 keeps what the view knew. */
    EXPECT(st, "FETCH 60,199 (UID FLAGS RFC822.SIZE)",
           "* 60 FETCH (UID 60 FLAGS (\\Deleted \\Seen) RFC822.SIZE 395)"
           "\r\n* 199 FETCH (UID 199 FLAGS () RFC822.SIZE 395)\r\n");
    EXPECT(st, "POLL", "");
    EXPECT(st, "CHECK", "* 60 EXPUNGE\r\n* 198 EXPUNGE\r\n");
    EXPECT(st, "UID FETCH 198:* (UID)",
           "* 197 FETCH (UID 198)\r\n* 198 FETCH (UID 200)\r\n");
    index_close(&st);
}

/* A record damaged on disk (its CRC no longer matches): SELECT still
 * opens the mailbox, the other messages are served, and the damaged one
 * fails with the corruption named in the log, nothing made up. */
static void test_damaged_record(void)
{
    struct index_state *st, *other;
    char path[600];
    FILE *f;
    int c;

    ix_setup();
    snprintf(path, sizeof(path), "%s/cyrus.index", ix_dir("user.bob"));
    TEST_ASSERT((f = fopen(path, "r+b")) != NULL);
    /* record 2's system flags */
    fseek(f, MAILBOX_INDEX_HEADER_SIZE + MAILBOX_INDEX_RECORD_SIZE + 12,
          SEEK_SET);
    c = fgetc(f);
    fseek(f, MAILBOX_INDEX_HEADER_SIZE + MAILBOX_INDEX_RECORD_SIZE + 12,
          SEEK_SET);
    fputc(c ^ FLAG_DRAFT, f);
    fclose(f);

    st = ix_open("user.bob", "bob", ACL_ALL, 1);
    RUN_OK(st, "SELECT");
    TEST_ASSERT(strstr(ix_out(), "* 4 EXISTS\r\n"));
    EXPECT(st, "FETCH 1 (UID FLAGS)",
           "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n");
    TEST_ASSERT_INT(ix_run(st, "FETCH 2 (UID FLAGS)"), ERR_BADFORMAT);
    ix_out();
    EXPECT(st, "FETCH 3:4 (UID)", "* 3 FETCH (UID 3)\r\n* 4 FETCH (UID 4)\r\n");
    /* a sync after a change reads every record the checked way: the
     * damage shows there too, and the view is left as it was */
    other = ix_open("user.bob", "bob", ACL_ALL, 0);
    RUN_OK(other, "STORE 4 +FLAGS.SILENT (\\Flagged)");
    index_close(&other);
    TEST_ASSERT_INT(ix_run(st, "POLL"), ERR_BADFORMAT);
    ix_out();
    EXPECT(st, "FETCH 1 (UID)", "* 1 FETCH (UID 1)\r\n");
    index_close(&st);
}

/* Random but well-formed IMAP: whatever the items, never a crash, and
 * only the documented outcomes. */
static void test_fetch_soup(void)
{
    static const char *const sets[] = { "1", "*", "1:*", "4:2", "2,4", "9",
                                        "1:9", "0" };
    static const char *const items[] = {
        "FLAGS", "UID", "ENVELOPE", "BODY", "BODYSTRUCTURE", "RFC822",
        "RFC822.PEEK", "RFC822.HEADER", "RFC822.TEXT", "MODSEQ", "ALL",
        "BODY[]", "BODY.PEEK[1.2.3.4]", "BODY.PEEK[2.MIME]<0.1>",
        "BODY.PEEK[HEADER.FIELDS (\"\")]", "BODY[2.1.TEXT]<4.4000000000>",
        "BODY.PEEK[HEADER.FIELDS.NOT (X)]<3.2>", "BODY[999999999.1]",
        "BODY[1.MIME.TEXT]", "BODY[TEXT]<4294967295.4294967295>",
        "BODY.PEEK[1.HEADER.FIELDS (\"a b\" c)]", "INTERNALDATE",
        "BODY[HEADER.FIELDS (\"]\")]", "FOO", "BODY.PEEK[]<0.0>", "BODY[]<>",
    };
    struct index_state *st = open_bob();
    char line[512];

    srand(7);
    for (int i = 0; i < 400; i++) {
        int n = 1 + rand() % 4, r;
        size_t len = (size_t)snprintf(line, sizeof(line), "%sFETCH %s (",
                                      rand() % 2 ? "UID " : "",
                                      sets[rand() % 8]);
        for (int k = 0; k < n; k++)
            len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
                                    k ? " " : "", items[rand() % 26]);
        snprintf(line + len, sizeof(line) - len, ")");
        r = ix_run(st, line);
        if (r != ERR_OK && r != ERR_BADARG)
            test_fail(__FILE__, __LINE__, "%s: %d", line, r);
        ix_out();
    }
    index_close(&st);
}

/* A message file gone behind the index's back: NO, not a crash. */
static void test_missing_file(void)
{
    struct index_state *st = open_bob();
    char path[600];

    snprintf(path, sizeof(path), "%s/2.", ix_dir("user.bob"));
    TEST_ASSERT_INT(unlink(path), 0);
    /* (MIME-Version is not among the fields cyrus.cache keeps raw, so
     * this reads the files: test_index_hdrcache.c has the cached ones.) */
    TEST_ASSERT_INT(ix_run(st, "FETCH 1:3 BODY.PEEK[HEADER.FIELDS "
                               "(MIME-VERSION)]"),
                    ERR_NOTFOUND);
    TEST_ASSERT_STR(ix_out(),
                    "* 1 FETCH (BODY[HEADER.FIELDS (MIME-VERSION)] {21}\r\n"
                    "MIME-Version: 1.0\r\n\r\n)\r\n"
                    "* 3 FETCH (BODY[HEADER.FIELDS (MIME-VERSION)] {21}\r\n"
                    "MIME-Version: 1.0\r\n\r\n)\r\n");
    EXPECT(st, "FETCH 2 (UID ENVELOPE)",
           "* 2 FETCH (UID 2 ENVELOPE (\"Tue, 8 Feb 1994 09:00:00 +0100\" "
           "\"=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_?= =?utf-8?b?S8O2bG4=?=\" "
           "((\"=?iso-8859-1?q?J=FCrgen_M=FCller?=\" NIL \"jm\" "
           "\"example.de\")) ((\"=?iso-8859-1?q?J=FCrgen_M=FCller?=\" NIL "
           "\"jm\" \"example.de\")) ((\"=?iso-8859-1?q?J=FCrgen_M=FCller?=\" "
           "NIL \"jm\" \"example.de\")) ((NIL NIL \"team\" \"example.org\")) "
           "NIL NIL NIL NIL))\r\n");
    EXPECT(st, "SEARCH BODY quartalszahlen", "* SEARCH\r\n");
    TEST_ASSERT_INT(ix_run(st, "COPY 2 user.bob"), ERR_NOTFOUND);
    TEST_ASSERT_INT(index_exists(st), 4);
    index_close(&st);
}

TEST_MAIN("index",
          TEST_CASE(test_select_responses),
          TEST_CASE(test_fetch_flags_uid),
          TEST_CASE(test_fetch_envelope_dates),
          TEST_CASE(test_fetch_bodystructure),
          TEST_CASE(test_fetch_header_fields),
          TEST_CASE(test_fetch_parts),
          TEST_CASE(test_fetch_partial),
          TEST_CASE(test_fetch_sets_seen),
          TEST_CASE(test_fetch_macros_modseq),
          TEST_CASE(test_malformed),
          TEST_CASE(test_store),
          TEST_CASE(test_store_rights),
          TEST_CASE(test_store_unchangedsince),
          TEST_CASE(test_two_sessions),
          TEST_CASE(test_copy_move),
          TEST_CASE(test_expunge),
          TEST_CASE(test_lazy_view),
          TEST_CASE(test_damaged_record),
          TEST_CASE(test_fetch_soup),
          TEST_CASE(test_missing_file))
