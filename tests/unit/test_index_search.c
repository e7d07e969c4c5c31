/* test_index_search.c -- SEARCH over the fixture mailbox: flags, sets,
 * OR/NOT nesting, dates in the server's zone and the Date: header's own
 * day, sizes, cached and uncached headers, RFC 2047 subjects, BODY inside
 * base64 and quoted-printable parts and 8-bit Latin-1, TEXT, CHARSET,
 * MODSEQ, the session's memo of an uncached field, and malformed
 * programs. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/charset.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/search.h"
#include "tests/unit/harness.h"
#include "tests/unit/index_check.h"

/* SEARCH program must answer want ("* SEARCH ..." without CRLF). */
static void search_is(struct index_state *st, const char *program,
                      const char *want)
{
    char line[1024];
    char full[1100];
    const char *got;
    int r;

    snprintf(line, sizeof(line), "%s", program);
    r = ix_run(st, line);
    if (r)
        test_fail(__FILE__, __LINE__, "%s: r=%d error=\"%s\"", program, r,
                  ix_error());
    snprintf(full, sizeof(full), "%s\r\n", want);
    got = ix_out();
    if (strcmp(got, full))
        test_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", program,
                  got, want);
}

static struct index_state *open_bob(void)
{
    ix_setup();
    return ix_open("user.bob", "bob", ACL_ALL, 0);
}

static void test_search_flags_sets(void)
{
    struct index_state *st = open_bob();

    search_is(st, "SEARCH ALL", "* SEARCH 1 2 3 4");
    search_is(st, "SEARCH FLAGGED", "* SEARCH 1");
    search_is(st, "SEARCH OR ANSWERED FLAGGED", "* SEARCH 1 3");
    search_is(st, "SEARCH NOT FLAGGED", "* SEARCH 2 3 4");
    search_is(st, "SEARCH NOT (OR ANSWERED FLAGGED)", "* SEARCH 2 4");
    search_is(st, "SEARCH OR (FROM alice UNFLAGGED) NOT OR 2:4 UID 1",
              "* SEARCH 3");
    search_is(st, "SEARCH NOT NOT NOT NOT 2", "* SEARCH 2");
    search_is(st, "SEARCH 2:3 NOT 3", "* SEARCH 2");
    search_is(st, "SEARCH *", "* SEARCH 4");
    search_is(st, "UID SEARCH UID 2:3", "* SEARCH 2 3");
    search_is(st, "UID SEARCH UID 3:*", "* SEARCH 3 4");
    search_is(st, "SEARCH UID 9", "* SEARCH");
    search_is(st, "SEARCH RECENT", "* SEARCH 1 2 3 4");
    search_is(st, "SEARCH NEW UNSEEN", "* SEARCH 1 2 3 4");
    ix_run(st, "STORE 2 +FLAGS.SILENT (\\Seen $Work)");
    ix_run(st, "STORE 4 +FLAGS.SILENT (\\Deleted \\Draft)");
    ix_out();
    search_is(st, "SEARCH SEEN", "* SEARCH 2");
    search_is(st, "SEARCH NEW", "* SEARCH 1 3 4");
    search_is(st, "SEARCH OLD", "* SEARCH");
    search_is(st, "SEARCH KEYWORD $work", "* SEARCH 2");
    search_is(st, "SEARCH UNKEYWORD $Work", "* SEARCH 1 3 4");
    search_is(st, "SEARCH KEYWORD $Nobody", "* SEARCH");
    search_is(st, "SEARCH UNKEYWORD $Nobody", "* SEARCH 1 2 3 4");
    search_is(st, "SEARCH DELETED DRAFT", "* SEARCH 4");
    search_is(st, "SEARCH UNDELETED UNDRAFT UNANSWERED", "* SEARCH 1 2");
    index_close(&st);
    /* A second session: nothing is \Recent to it any more. */
    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    search_is(st, "SEARCH OLD", "* SEARCH 1 2 3 4");
    search_is(st, "SEARCH NEW", "* SEARCH");
    index_close(&st);
}

static void test_search_dates_sizes(void)
{
    struct index_state *st = open_bob();
    char cmd[64];

    /* Internal dates: 8, 9, 10 Feb and 11 Feb 23:59:59 (UTC). */
    search_is(st, "SEARCH SINCE 10-Feb-1994", "* SEARCH 3 4");
    search_is(st, "SEARCH BEFORE 9-Feb-1994", "* SEARCH 1");
    search_is(st, "SEARCH ON 11-Feb-1994", "* SEARCH 4");
    search_is(st, "SEARCH ON \"09-feb-1994\"", "* SEARCH 2");
    search_is(st, "SEARCH SINCE 1-Jan-2000", "* SEARCH");
    /* ... by day in the server's time zone. */
    setenv("TZ", "XYZ-2", 1);
    tzset();
    search_is(st, "SEARCH ON 12-Feb-1994", "* SEARCH 4");
    setenv("TZ", "UTC", 1);
    tzset();
    /* Sent dates: the day written in Date:, whatever its zone. */
    search_is(st, "SEARCH SENTON 7-Feb-1994", "* SEARCH 1");
    search_is(st, "SEARCH SENTBEFORE 9-Feb-1994", "* SEARCH 1 2");
    search_is(st, "SEARCH SENTSINCE 9-Feb-1994", "* SEARCH 3 4");
    /* Sizes. */
    snprintf(cmd, sizeof(cmd), "SEARCH LARGER %zu", strlen(ix_msg_plain) - 1);
    search_is(st, cmd, "* SEARCH 1 2");
    snprintf(cmd, sizeof(cmd), "SEARCH SMALLER %zu", strlen(ix_msg_plain));
    search_is(st, cmd, "* SEARCH 3 4");
    search_is(st, "SEARCH LARGER 100000", "* SEARCH");
    index_close(&st);
}

static void test_search_headers(void)
{
    struct index_state *st = open_bob();

    search_is(st, "SEARCH FROM foobar", "* SEARCH 1");
    search_is(st, "SEARCH FROM \"FRED foo\"", "* SEARCH 1");
    search_is(st, "SEARCH TO example.org", "* SEARCH 2 3");
    search_is(st, "SEARCH CC deputy", "* SEARCH 1");
    search_is(st, "SEARCH BCC deputy", "* SEARCH");
    search_is(st, "SEARCH SUBJECT lunch", "* SEARCH 3");
    /* RFC 2047: the decoded text (two words, UTF-8) and the raw one. */
    search_is(st, "SEARCH SUBJECT \"grüße aus köln\"", "* SEARCH 2");
    search_is(st, "SEARCH SUBJECT \"GRÜSSE\"", "* SEARCH");
    search_is(st, "SEARCH SUBJECT \"GRÜßE\"", "* SEARCH 2");
    search_is(st, "SEARCH SUBJECT utf-8?q", "* SEARCH 2");
    search_is(st, "SEARCH FROM \"jürgen müller\"", "* SEARCH 2");
    /* HEADER: cached and not cached fields, and "" = has the field. */
    search_is(st, "SEARCH HEADER X-Mailer testmail", "* SEARCH 1");
    search_is(st, "SEARCH HEADER message-id \"\"", "* SEARCH 1");
    search_is(st, "SEARCH HEADER Content-Transfer-Encoding 8bit", "* SEARCH 4");
    search_is(st, "SEARCH HEADER X-Nothing \"\"", "* SEARCH");
    /* A folded field is one value. */
    search_is(st, "SEARCH HEADER Cc \"example.org>,   Deputy\"", "* SEARCH 1");
    index_close(&st);
}

static void test_search_body_text(void)
{
    struct index_state *st = open_bob();

    /* base64 text/plain in UTF-8 */
    search_is(st, "SEARCH BODY quartalszahlen", "* SEARCH 2");
    search_is(st, "SEARCH BODY \"GRÜßE!\"", "* SEARCH 2");
    /* quoted-printable ISO-8859-1 text/html, soft line break undone */
    search_is(st, "SEARCH BODY \"crème brûlée\"", "* SEARCH 2");
    search_is(st, "SEARCH BODY \"a softbreak\"", "* SEARCH 2");
    /* 8-bit ISO-8859-1 and the QP part; not the raw "=E9" */
    search_is(st, "SEARCH BODY \"CAFÉ\"", "* SEARCH 2 4");
    search_is(st, "SEARCH BODY \"caf=e9\"", "* SEARCH");
    /* A search key in ISO-8859-1 */
    search_is(st, "SEARCH CHARSET ISO-8859-1 BODY {4+}\r\ncaf\xe9",
              "* SEARCH 2 4");
    search_is(st, "SEARCH CHARSET us-ascii BODY cafe", "* SEARCH");
    /* Not inside a binary attachment, nor in the header for BODY */
    search_is(st, "SEARCH BODY AAECAw", "* SEARCH");
    search_is(st, "SEARCH BODY afternoon", "* SEARCH");
    /* Only text/ parts and headers are searched, as in Cyrus without a
     * search index: not the attachment for TEXT either, nor the MIME
     * header of a part (doc/rfc-conformance.md, SEARCH) */
    search_is(st, "SEARCH TEXT AAECAw", "* SEARCH");
    search_is(st, "SEARCH TEXT report.bin", "* SEARCH");
    search_is(st, "SEARCH TEXT \"Content-Transfer-Encoding: 8bit\"",
              "* SEARCH 4");
    search_is(st, "SEARCH BODY \"Content-Transfer-Encoding\"", "* SEARCH");
    /* A header key read from the file and a text key share one read */
    search_is(st, "SEARCH HEADER X-Mailer testmail TEXT \"do you think\"",
              "* SEARCH 1");
    search_is(st, "SEARCH TEXT \"do you think\" HEADER X-Mailer nothing",
              "* SEARCH");
    /* The attached message belongs to the body; TEXT adds the header */
    search_is(st, "SEARCH BODY \"lunch plans\"", "* SEARCH 3");
    search_is(st, "SEARCH BODY \"forwarded BODY\"", "* SEARCH 3");
    search_is(st, "SEARCH TEXT afternoon", "* SEARCH 1");
    search_is(st, "SEARCH TEXT \"köln\"", "* SEARCH 2");
    search_is(st, "SEARCH TEXT pizza", "* SEARCH 3");
    search_is(st, "SEARCH TEXT \"do you   think\"", "* SEARCH 1");
    search_is(st, "SEARCH OR BODY pizza BODY quartalszahlen NOT FLAGGED",
              "* SEARCH 2 3");
    index_close(&st);
}

/* An uncached field searched again reads the values the session kept,
 * not the files (search_memo.c): new messages are read, another field
 * starts afresh, and a search over part of the mailbox only adds. */
static void test_search_memo(void)
{
    struct index_state *st = open_bob();
    const char *data;
    size_t len;
    char path[600];

    /* Two uncached fields in one search take turns at the memo: right
     * answers, twice. */
    for (int i = 0; i < 2; i++)
        search_is(st, "SEARCH OR HEADER X-Mailer testmail "
                      "HEADER Content-Transfer-Encoding 8bit",
                  "* SEARCH 1 4");
    search_memo_free(&st->memo);
    search_is(st, "UID SEARCH 3:4 HEADER X-Mailer testmail", "* SEARCH");
    search_is(st, "SEARCH HEADER X-Mailer testmail", "* SEARCH 1");
    /* 1 and 2 came after 3 and 4: not kept; 3 and 4 are */
    TEST_ASSERT(!search_memo_get(st->memo, "x-mailer", 1, &data, &len));
    TEST_ASSERT(search_memo_get(st->memo, "x-mailer", 4, &data, &len));
    TEST_ASSERT_INT(len, 0);                    /* kept: no such field */
    search_is(st, "SEARCH HEADER X-Mailer \"\"", "* SEARCH 1");
    /* A new message is read; from then on it comes from the memo: its
     * file gone behind the index's back does not change the answer. */
    ix_append("user.bob", ix_msg_plain, 0, 0);
    search_is(st, "POLL", "* 5 EXISTS\r\n* 5 RECENT");
    search_is(st, "SEARCH HEADER X-Mailer TestMail", "* SEARCH 1 5");
    TEST_ASSERT(search_memo_get(st->memo, "X-MAILER", 5, &data, &len));
    snprintf(path, sizeof(path), "%s/5.", ix_dir("user.bob"));
    TEST_ASSERT_INT(unlink(path), 0);
    search_is(st, "SEARCH HEADER X-Mailer testmail", "* SEARCH 1 5");
    /* Another field: a memo of its own, read from the files (5's is
     * gone, so 5 does not match and is not kept). */
    search_is(st, "SEARCH HEADER Content-Transfer-Encoding 8bit",
              "* SEARCH 4");
    TEST_ASSERT(!search_memo_get(st->memo, "X-Mailer", 1, &data, &len));
    TEST_ASSERT(!search_memo_get(st->memo, "Content-Transfer-Encoding", 5,
                                &data, &len));
    search_is(st, "SEARCH HEADER Content-Transfer-Encoding 8bit",
              "* SEARCH 4");
    index_close(&st);
}

static void test_search_modseq_charset(void)
{
    struct index_state *st = open_bob();

    search_is(st, "SEARCH MODSEQ 4", "* SEARCH 3 4 (MODSEQ 5)");
    TEST_ASSERT(index_condstore(st));
    search_is(st, "SEARCH MODSEQ \"/flags/\\\\draft\" all 5",
              "* SEARCH 4 (MODSEQ 5)");
    search_is(st, "SEARCH MODSEQ 99", "* SEARCH");
    search_is(st, "UID SEARCH CHARSET UTF-8 SUBJECT \"köln\"", "* SEARCH 2");
    /* any charset iconv knows; others: the usual ones listed */
    search_is(st, "SEARCH CHARSET KOI8-R TEXT qqqzzz", "* SEARCH");
    TEST_ASSERT_INT(ix_run(st, "SEARCH CHARSET X-KLINGON TEXT x"),
                    ERR_NOTSUPP);
    TEST_ASSERT_STR(ix_error(), "[BADCHARSET (" CHARSET_SEARCH_LIST ")] "
                                "Unsupported charset");
    TEST_ASSERT_STR(ix_out(), "");
    index_close(&st);
}

static void search_bad(struct index_state *st, const char *program)
{
    int r = ix_run(st, program);
    if (r != ERR_BADARG || !*ix_error())
        test_fail(__FILE__, __LINE__, "%s: r=%d error=\"%s\"", program, r,
                  ix_error());
    TEST_ASSERT_STR(ix_out(), "");
}

static void test_search_malformed(void)
{
    struct index_state *st = open_bob();
    struct buf deep = BUF_INITIALIZER;

    search_bad(st, "SEARCH");
    search_bad(st, "SEARCH CHARSET");
    search_bad(st, "SEARCH CHARSET UTF-8");
    search_bad(st, "SEARCH FOO");
    search_bad(st, "SEARCH ()");
    search_bad(st, "SEARCH OR FLAGGED");
    search_bad(st, "SEARCH NOT");
    search_bad(st, "SEARCH SINCE");
    search_bad(st, "SEARCH SINCE 31-Foo-1994");
    search_bad(st, "SEARCH SINCE 1994-02-10");
    search_bad(st, "SEARCH BEFORE 1-Feb-94");
    search_bad(st, "SEARCH ON 32-Feb-1994");
    search_bad(st, "SEARCH LARGER x");
    search_bad(st, "SEARCH LARGER 99999999999");
    search_bad(st, "SEARCH UID");
    search_bad(st, "SEARCH UID 1:x");
    search_bad(st, "SEARCH 0");
    search_bad(st, "SEARCH HEADER");
    search_bad(st, "SEARCH HEADER \"a:b\" x");
    search_bad(st, "SEARCH SUBJECT");
    search_bad(st, "SEARCH \"ALL\"");
    search_bad(st, "SEARCH MODSEQ");
    for (int i = 0; i < 100; i++)
        buf_appendcstr(&deep, "NOT ");
    buf_insert(&deep, 0, "SEARCH ", 7);
    buf_appendcstr(&deep, "ALL");
    search_bad(st, buf_cstring(&deep));
    buf_free(&deep);
    index_close(&st);
}


/* Random well-formed programs: only OK, BAD or BADCHARSET, never a crash. */
static void test_search_soup(void)
{
    static const char *const words[] = {
        "ALL", "OR", "NOT", "(", ")", "BODY", "TEXT", "x", "\"\"", "SINCE",
        "1-Feb-1994", "UID", "1:*", "2,4", "LARGER", "10", "HEADER", "To",
        "KEYWORD", "$a", "CHARSET", "UTF-8", "MODSEQ", "SENTON", "NEW",
        "{3+}\r\n\xff\xfe=", "\"=?utf-8?b?\"", "SUBJECT", "*", "FROM",
    };
    struct index_state *st = open_bob();
    char line[512];

    srand(11);
    for (int i = 0; i < 500; i++) {
        int n = 1 + rand() % 8, depth = 0, r;
        size_t len = (size_t)snprintf(line, sizeof(line), "SEARCH");
        for (int k = 0; k < n; k++) {
            const char *w = words[rand() % 30];
            if (*w == ')' && !depth)
                continue;
            if (*w == '(' || *w == ')') {
                depth += *w == '(' ? 1 : -1;
                /* "(" is followed by a key, ")" closes without a space */
                len += (size_t)snprintf(line + len, sizeof(line) - len,
                                        *w == '(' ? " (ALL" : ")");
                continue;
            }
            len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", w);
        }
        while (depth-- > 0)
            len += (size_t)snprintf(line + len, sizeof(line) - len, ")");
        r = ix_run(st, line);
        if (r != ERR_OK && r != ERR_BADARG && r != ERR_NOTSUPP)
            test_fail(__FILE__, __LINE__, "%s: %d", line, r);
        ix_out();
    }
    index_close(&st);
}


/* Python's email test messages (Debian: libpython3.11-testsuite), odd
 * MIME written by others, through FETCH and SEARCH: everything answers.
 * $CHAPAR_EMAIL_CORPUS overrides the directory. */
static void test_email_corpus(void)
{
    static const char *const commands[] = {
        "FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE)",
        "FETCH 1:* (BODY[] BODY.PEEK[1.MIME] BODY.PEEK[2.1.TEXT]<0.10>)",
        "FETCH 1:* BODY.PEEK[HEADER.FIELDS (SUBJECT FROM CONTENT-TYPE)]",
        "SEARCH TEXT the", "SEARCH BODY \"dingus\"", "SEARCH SUBJECT test",
        "SEARCH SENTSINCE 1-Jan-2000", "SEARCH HEADER content-type multipart",
        "SEARCH OR FROM barry NOT TO python", "SEARCH CHARSET UTF-8 TEXT \"é\"",
    };
    const char *dir = getenv("CHAPAR_EMAIL_CORPUS");
    struct index_state *st;
    struct dirent *de;
    char cmd[64];
    int count = 0;
    DIR *d;

    if (!dir)
        dir = "/usr/lib/python3.11/test/test_email/data";
    if (!(d = opendir(dir))) {
        printf("# note: %s not found; corpus check skipped\n", dir);
        return;
    }
    ix_setup();
    ix_create("user.corpus");
    while ((de = readdir(d))) {
        char *data;
        size_t len;
        char path[1024];
        if (strncmp(de->d_name, "msg_", 4) ||
            !strstr(de->d_name, ".txt"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        TEST_ASSERT_INT(util_read_file(path, &data, &len), ERR_OK);
        ix_append("user.corpus", data, 0, 0);
        free(data);
        count++;
    }
    closedir(d);
    TEST_ASSERT(count > 0);
    st = ix_open("user.corpus", "bob", ACL_ALL, 0);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        int r = ix_run(st, commands[i]);
        if (r)
            test_fail(__FILE__, __LINE__, "%s: %d %s", commands[i], r,
                      ix_error());
        TEST_ASSERT(!strncmp(ix_out(), "* ", 2));
    }
    /* FETCH BODY[] above set \Seen on every one of them. */
    search_is(st, "SEARCH UNSEEN", "* SEARCH");
    snprintf(cmd, sizeof(cmd), " %d\r\n", count);
    TEST_ASSERT_INT(ix_run(st, "SEARCH SEEN"), ERR_OK);
    TEST_ASSERT(strstr(ix_out(), cmd) != NULL);
    printf("# %d messages from %s\n", count, dir);
    index_close(&st);
}

TEST_MAIN("index_search",
          TEST_CASE(test_search_flags_sets),
          TEST_CASE(test_search_dates_sizes),
          TEST_CASE(test_search_headers),
          TEST_CASE(test_search_body_text),
          TEST_CASE(test_search_memo),
          TEST_CASE(test_search_modseq_charset),
          TEST_CASE(test_search_malformed),
          TEST_CASE(test_search_soup),
          TEST_CASE(test_email_corpus))
