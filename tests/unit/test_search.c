/* test_search.c -- the mailstore's search keys (search.h), built through
 * the public constructors and tested against a real mailbox: flags and
 * the session's \Seen/\Recent, sequence and UID sets, keywords, sizes,
 * modseq, internal and sent dates, cached and uncached headers, address
 * keys against the parsed addresses, an RFC
 * 2047 header found by its decoded text, BODY in base64, 8-bit Latin-1
 * and attached messages, TEXT, NOT/OR/AND nesting, expunged messages, and
 * the caller's memo of an uncached field. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/search.h"
#include "imap/mailstore/seqset.h"
#include "tests/unit/harness.h"
#include "tests/unit/mail_corpus.h"

static const char msg_plain[] =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
    "From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
    "Subject: afternoon meeting\r\n"
    "To: mooch@owatagu.siam.edu\r\n"
    "X-Mailer: TestMail 1.0\r\n"
    "\r\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

static const char msg_encoded[] =
    "Date: Tue, 8 Feb 1994 09:00:00 +0100\r\n"
    "From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@example.de>\r\n"
    "To: team@example.org\r\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_?= =?utf-8?b?S8O2bG4=?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    /* "Die Quartalszahlen sind da. Grüße!\n" */
    "RGllIFF1YXJ0YWxzemFobGVuIHNpbmQgZGEuIEdyw7zDn2UhCg==\r\n";

/* The third and fourth messages are ix_msg_fwd and ix_msg_latin1 of
 * mail_corpus.h; the fourth gets PAD_LINES lines of padding: the big one. */
#define PAD_LINES 100

static const char *box_dir(void)
{
    return test_path("spool/user/bob");
}

/* A mailbox user.bob with the four messages above, UIDs 1-4; 1 has the
 * keyword $Work. */
static struct mailbox *setup(void)
{
    static const struct append_params params = {
        .quota = APPEND_QUOTA_IGNORE
    };
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;
    struct buf big = BUF_INITIALIZER;
    struct strarray kw = STRARRAY_INITIALIZER;
    struct append_state *as = NULL;
    struct mailbox *mb = NULL;
    uint32_t uid;

    setenv("TZ", "UTC", 1);
    tzset();
    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n",
               test_tmpdir(), test_tmpdir());
    if (conf_load_text("t.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "%s", buf_cstring(&err));
    util_mkdir_p(test_path("conf/quota"), 0700);
    TEST_ASSERT_INT(util_mkdir_p(box_dir(), 0700), ERR_OK);
    TEST_ASSERT_INT(mailbox_create("user.bob", box_dir(),
                                   "0123456789abcdef0123456789abcdef", "",
                                   NULL, 42), ERR_OK);
    TEST_ASSERT_INT(mailbox_open("user.bob", box_dir(), MAILBOX_UNLOCKED,
                                 &mb), ERR_OK);
    buf_appendcstr(&big, ix_msg_latin1);
    for (int i = 0; i < PAD_LINES; i++)
        buf_appendcstr(&big, "padding padding padding padding padding\r\n");
    strarray_append(&kw, "$Work");
    TEST_ASSERT_INT(append_begin(mb, &params, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg_plain, strlen(msg_plain),
                                   ix_dates[0],
                                   FLAG_FLAGGED, &kw, &uid), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg_encoded, strlen(msg_encoded),
                                   ix_dates[1], 0, NULL, &uid), ERR_OK);
    TEST_ASSERT_INT(append_message(as, ix_msg_fwd, strlen(ix_msg_fwd),
                                   ix_dates[2],
                                   FLAG_ANSWERED, NULL, &uid), ERR_OK);
    TEST_ASSERT_INT(append_message(as, big.s, big.len, ix_dates[3], 0, NULL,
                                   &uid), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(mb, NULL), ERR_OK);
    TEST_ASSERT_INT(mb->i.num_records, 4);
    strarray_fini(&kw);
    buf_free(&conf);
    buf_free(&err);
    buf_free(&big);
    return mb;
}

/* The session's state of the test: \Seen and \Recent by UID (bit uid-1). */
static unsigned seen_mask, recent_mask;

/* The UIDs of mb's messages that match key, as " 1 3" ("" for none);
 * frees key.  The message number is the UID (no expunges here). */
static const char *run_memo(struct mailbox *mb, struct search_key *key,
                            struct search_memo **memo)
{
    static struct buf out = BUF_INITIALIZER;
    struct search_scan *scan = search_scan_new(mb, memo);
    struct index_record rec;

    buf_reset(&out);
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct search_msg msg = { 0, 0, 0, 0 };
        TEST_ASSERT_INT(mailbox_read_record(mb, n, &rec), ERR_OK);
        msg.msgno = n + 1;
        msg.seen = (seen_mask >> (rec.uid - 1)) & 1;
        msg.recent = (recent_mask >> (rec.uid - 1)) & 1;
        if (search_match(scan, key, &rec, &msg))
            buf_printf(&out, " %u", (unsigned)rec.uid);
    }
    search_scan_free(&scan);
    TEST_ASSERT(scan == NULL);
    search_key_free(&key);
    TEST_ASSERT(key == NULL);
    return buf_cstring(&out);
}

static const char *run(struct mailbox *mb, struct search_key *key)
{
    return run_memo(mb, key, NULL);
}

static struct search_key *set_key(const char *text, int uid)
{
    struct seqset *set = NULL;

    TEST_ASSERT_INT(seqset_parse(text, 4, &set), ERR_OK);
    return uid ? search_key_uidset(set) : search_key_msgset(set);
}

static struct search_key *header(const char *field, const char *s)
{
    return search_key_header(field, s, strlen(s));
}

static struct search_key *date_key(enum search_date which, const char *s)
{
    long day = 0;

    TEST_ASSERT_INT(search_date_parse(s, &day), ERR_OK);
    return search_key_date(which, day);
}

/* The AND of a and b (in cost order). */
static struct search_key *and2(struct search_key *a, struct search_key *b)
{
    struct search_key *k = search_key_and();

    search_key_add(k, a);
    search_key_add(k, b);
    return k;
}

static void test_flags(void)
{
    struct mailbox *mb = setup();

    TEST_ASSERT_STR(run(mb, search_key_all()), " 1 2 3 4");
    TEST_ASSERT_STR(run(mb, search_key_and()), " 1 2 3 4");
    TEST_ASSERT_STR(run(mb, search_key_flag(FLAG_FLAGGED, 1)), " 1");
    TEST_ASSERT_STR(run(mb, search_key_flag(FLAG_ANSWERED, 0)), " 1 2 4");
    TEST_ASSERT_STR(run(mb, search_key_flag(FLAG_DELETED, 1)), "");
    seen_mask = 0x5;            /* 1 and 3 */
    recent_mask = 0xc;          /* 3 and 4 */
    TEST_ASSERT_STR(run(mb, search_key_seen(1)), " 1 3");
    TEST_ASSERT_STR(run(mb, search_key_seen(0)), " 2 4");
    TEST_ASSERT_STR(run(mb, search_key_recent(1)), " 3 4");
    TEST_ASSERT_STR(run(mb, search_key_recent(0)), " 1 2");
    TEST_ASSERT_STR(run(mb, search_key_recent_unseen()), " 4");
    TEST_ASSERT_STR(run(mb, search_key_keyword("$work", 1)), " 1");
    TEST_ASSERT_STR(run(mb, search_key_keyword("$WORK", 0)), " 2 3 4");
    TEST_ASSERT_STR(run(mb, search_key_keyword("nosuch", 1)), "");
    TEST_ASSERT_STR(run(mb, search_key_keyword("nosuch", 0)), " 1 2 3 4");
    mailbox_close(&mb);
}

/* Sequence numbers are the session's: the same record matches a message
 * set by the number it is given, a UID set by its UID. */
static void test_sets(void)
{
    struct mailbox *mb = setup();
    struct search_scan *scan = search_scan_new(mb, NULL);
    struct search_key *bymsgno = set_key("7", 0), *byuid = set_key("7", 1);
    struct search_msg msg = { 7, 0, 0, 0 };
    struct index_record rec;

    TEST_ASSERT_STR(run(mb, set_key("2:3", 1)), " 2 3");
    TEST_ASSERT_STR(run(mb, set_key("1,4", 0)), " 1 4");
    TEST_ASSERT_STR(run(mb, set_key("3:*", 0)), " 3 4");
    TEST_ASSERT_INT(mailbox_read_record(mb, 1, &rec), ERR_OK);
    TEST_ASSERT_INT(rec.uid, 2);
    TEST_ASSERT_INT(search_match(scan, bymsgno, &rec, &msg), 1);
    TEST_ASSERT_INT(search_match(scan, byuid, &rec, &msg), 0);
    msg.msgno = 2;
    TEST_ASSERT_INT(search_match(scan, bymsgno, &rec, &msg), 0);
    search_key_free(&bymsgno);
    search_key_free(&byuid);
    search_scan_free(&scan);
    mailbox_close(&mb);
}

static void test_sizes_modseq(void)
{
    struct mailbox *mb = setup();
    struct index_record rec;
    struct buf want = BUF_INITIALIZER;

    TEST_ASSERT_STR(run(mb, search_key_larger(2000)), " 4");
    TEST_ASSERT_STR(run(mb, search_key_smaller(2000)), " 1 2 3");
    TEST_ASSERT_INT(mailbox_read_record(mb, 0, &rec), ERR_OK);
    /* strictly larger / smaller than the given size */
    TEST_ASSERT_STR(run(mb, search_key_smaller(rec.size)), "");
    TEST_ASSERT_STR(run(mb, search_key_smaller(rec.size + 1)), " 1");
    TEST_ASSERT_INT(mailbox_read_record(mb, 2, &rec), ERR_OK);
    for (uint32_t n = 0; n < 4; n++) {
        struct index_record r;
        TEST_ASSERT_INT(mailbox_read_record(mb, n, &r), ERR_OK);
        if (r.modseq >= rec.modseq)
            buf_printf(&want, " %u", (unsigned)r.uid);
    }
    TEST_ASSERT_STR(run(mb, search_key_modseq(rec.modseq)),
                    buf_cstring(&want));
    TEST_ASSERT_STR(run(mb, search_key_modseq(UINT64_MAX)), "");
    buf_free(&want);
    mailbox_close(&mb);
}

static void test_dates(void)
{
    struct mailbox *mb = setup();
    long day = 0;

    TEST_ASSERT_INT(search_date_parse("1-Jan-1970", &day), ERR_OK);
    TEST_ASSERT_INT(day, 0);
    TEST_ASSERT_INT(search_date_parse("08-feb-1994", &day), ERR_OK);
    TEST_ASSERT_INT(day, 8804);
    TEST_ASSERT_INT(search_date_parse("8-Feb-94", &day), ERR_BADARG);
    TEST_ASSERT_INT(search_date_parse("32-Feb-1994", &day), ERR_BADARG);
    TEST_ASSERT_INT(search_date_parse("8-Fob-1994", &day), ERR_BADARG);
    TEST_ASSERT_INT(search_date_parse("8-Feb-1994x", &day), ERR_BADARG);
    TEST_ASSERT_INT(search_date_parse("", &day), ERR_BADARG);
    /* internal dates: 8, 9, 10, 11 Feb (UTC) */
    TEST_ASSERT_STR(run(mb, date_key(SEARCH_BEFORE, "9-Feb-1994")), " 1");
    TEST_ASSERT_STR(run(mb, date_key(SEARCH_ON, "11-Feb-1994")), " 4");
    TEST_ASSERT_STR(run(mb, date_key(SEARCH_SINCE, "10-Feb-1994")), " 3 4");
    /* Date: days as written: 7, 8, 9, 10 Feb, whatever the zone */
    TEST_ASSERT_STR(run(mb, date_key(SEARCH_SENTON, "7-Feb-1994")), " 1");
    TEST_ASSERT_STR(run(mb, date_key(SEARCH_SENTBEFORE, "9-Feb-1994")),
                    " 1 2");
    TEST_ASSERT_STR(run(mb, date_key(SEARCH_SENTSINCE, "9-Feb-1994")),
                    " 3 4");
    mailbox_close(&mb);
}

static void test_headers(void)
{
    struct mailbox *mb = setup();

    TEST_ASSERT_STR(run(mb, header("From", "fred")), " 1");
    TEST_ASSERT_STR(run(mb, header("from", "BLURDYBLOOP.com")), " 1");
    TEST_ASSERT_STR(run(mb, header("To", "example.org")), " 2 3");
    TEST_ASSERT_STR(run(mb, header("Subject", "lunch")), " 3");
    TEST_ASSERT_STR(run(mb, header("Subject", "")), " 1 2 3 4");
    /* not cached: read from the files */
    TEST_ASSERT_STR(run(mb, header("X-Mailer", "testmail 1.0")), " 1");
    TEST_ASSERT_STR(run(mb, header("X-Mailer", "")), " 1");
    TEST_ASSERT_STR(run(mb, header("Content-Transfer-Encoding", "8BIT")),
                    " 4");
    /* RFC 2047: found by the decoded text (UTF-8 key), and raw */
    TEST_ASSERT_STR(run(mb, header("From", "J\xc3\xbcrgen m\xc3\xbcller")),
                    " 2");
    TEST_ASSERT_STR(run(mb, header("Subject",
                                   "gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln")),
                    " 2");
    TEST_ASSERT_STR(run(mb, header("Subject", "=?utf-8?q?")), " 2");
    TEST_ASSERT_STR(run(mb, header("Subject", "gruesse")), "");
    mailbox_close(&mb);
}

/* FROM, TO, CC, BCC keys (search_key_address) also match the parsed
 * addresses: display name, mailbox, host, "mailbox@host", with comments,
 * white space and quoted pairs gone; HEADER keys only the raw value. */
static void test_addresses(void)
{
    static const char msg[] =
        "From: <user-from (comment)@ (comment) domain.org>\r\n"
        "To: \"Doe, \\\"Jay\\\"\" <jay . doe@example . net>, "
        "group: x@y.z ;\r\n"
        "Cc: =?utf-8?q?J=C3=BCrgen?= <jm@example.de>\r\n"
        "Bcc: hidden@secret.example (Secret Sam)\r\n"
        "Subject: user-from@domain.org\r\n"
        "\r\n"
        "body\r\n";
    static const struct append_params params = {
        .quota = APPEND_QUOTA_IGNORE
    };
    struct mailbox *mb = setup();
    struct append_state *as = NULL;
    uint32_t uid;

    TEST_ASSERT_INT(append_begin(mb, &params, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg, strlen(msg), ix_dates[0], 0,
                                   NULL, &uid), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(mb, NULL), ERR_OK);
    TEST_ASSERT_INT(uid, 5);
#define ADDR(f, s) search_key_address(f, s, strlen(s))
    /* the compliance case: mailbox@host across comments and spaces */
    TEST_ASSERT_STR(run(mb, ADDR("From", "user-from@domain.org")), " 5");
    TEST_ASSERT_STR(run(mb, ADDR("From", "FROM@DOMAIN")), " 5");
    TEST_ASSERT_STR(run(mb, header("From", "user-from@domain.org")), "");
    /* the raw text still matches, comments included */
    TEST_ASSERT_STR(run(mb, ADDR("From", "(comment)")), " 5");
    TEST_ASSERT_STR(run(mb, ADDR("From", "fred foobar")), " 1");
    TEST_ASSERT_STR(run(mb, ADDR("From", "foobar@blurdybloop.com")), " 1");
    /* a quoted display name unescaped, dotted atoms joined */
    TEST_ASSERT_STR(run(mb, ADDR("To", "doe, \"jay\"")), " 5");
    TEST_ASSERT_STR(run(mb, ADDR("To", "jay.doe@example.net")), " 5");
    TEST_ASSERT_STR(run(mb, header("To", "jay.doe@example.net")), "");
    TEST_ASSERT_STR(run(mb, ADDR("To", "x@y.z")), " 5");
    TEST_ASSERT_STR(run(mb, ADDR("To", "example.org")), " 2 3");
    /* an RFC 2047 display name decoded; a comment name */
    TEST_ASSERT_STR(run(mb, ADDR("Cc", "J\xc3\xbcrgen")), " 5");
    TEST_ASSERT_STR(run(mb, ADDR("Bcc", "secret sam")), " 5");
    TEST_ASSERT_STR(run(mb, ADDR("Bcc", "hidden@secret.example")), " 5");
    /* the address is not found in other fields, nor across addresses */
    TEST_ASSERT_STR(run(mb, ADDR("To", "user-from@domain.org")), "");
    TEST_ASSERT_STR(run(mb, ADDR("To", "jay.doe@example.net, x")), "");
    /* an uncached field: a plain header key */
    TEST_ASSERT_STR(run(mb, ADDR("X-Mailer", "testmail")), " 1");
#undef ADDR
    mailbox_close(&mb);
}

static void test_body_text(void)
{
    struct mailbox *mb = setup();

    TEST_ASSERT_STR(run(mb, search_key_body("quartalszahlen", 14)), " 2");
    TEST_ASSERT_STR(run(mb, search_key_body("GR\xc3\x9c\xc3\x9f" "E", 7)),
                    " 2");
    TEST_ASSERT_STR(run(mb, search_key_body("caf\xc3\xa9 est", 9)), " 4");
    TEST_ASSERT_STR(run(mb, search_key_body("pizza at noon", 13)), " 3");
    /* the header of an attached message is in the body */
    TEST_ASSERT_STR(run(mb, search_key_body("lunch plans", 11)), " 3");
    /* a header is not in the body, but in the text */
    TEST_ASSERT_STR(run(mb, search_key_body("afternoon", 9)), "");
    TEST_ASSERT_STR(run(mb, search_key_text("afternoon", 9)), " 1");
    TEST_ASSERT_STR(run(mb, search_key_text("do you   think", 14)), " 1");
    TEST_ASSERT_STR(run(mb, search_key_text("example", 7)), " 2 3 4");
    TEST_ASSERT_STR(run(mb, search_key_body("nowhere", 7)), "");
    mailbox_close(&mb);
}

static void test_nesting(void)
{
    struct mailbox *mb = setup();
    struct search_key *k;

    k = search_key_or(search_key_flag(FLAG_ANSWERED, 1),
                      search_key_flag(FLAG_FLAGGED, 1));
    TEST_ASSERT_STR(run(mb, k), " 1 3");
    k = search_key_not(search_key_or(search_key_flag(FLAG_ANSWERED, 1),
                                     search_key_flag(FLAG_FLAGGED, 1)));
    TEST_ASSERT_STR(run(mb, k), " 2 4");
    /* a file key added before a record key: same answer */
    k = and2(search_key_body("pizza", 5),
             search_key_or(search_key_flag(FLAG_ANSWERED, 1),
                           search_key_flag(FLAG_FLAGGED, 1)));
    TEST_ASSERT_STR(run(mb, k), " 3");
    k = and2(search_key_not(header("From", "alice")),
             search_key_or(set_key("3:4", 1),
                           search_key_not(search_key_text("meet", 4))));
    TEST_ASSERT_STR(run(mb, k), " 2 4");
    k = search_key_and();
    search_key_add(k, search_key_not(search_key_not(search_key_all())));
    search_key_add(k, and2(search_key_smaller(2000),
                           search_key_not(set_key("2", 0))));
    search_key_add(k, header("X-Mailer", "testmail"));
    TEST_ASSERT_STR(run(mb, k), " 1");
    mailbox_close(&mb);
}

/* An expunged message is tested on the record it is given: not on its
 * cache entry or file, which may be gone. */
static void test_expunged(void)
{
    struct mailbox *mb = setup();
    struct search_scan *scan = search_scan_new(mb, NULL);
    struct search_key *flagged = search_key_flag(FLAG_FLAGGED, 1);
    struct search_key *from = header("From", "fred");
    struct search_key *body = search_key_body("meet", 4);
    struct search_key *mailer = header("X-Mailer", "testmail");
    struct search_msg msg = { 1, 0, 0, 0 };
    struct index_record rec;

    TEST_ASSERT_INT(mailbox_read_record(mb, 0, &rec), ERR_OK);
    TEST_ASSERT_INT(search_match(scan, from, &rec, &msg), 1);
    TEST_ASSERT_INT(search_match(scan, body, &rec, &msg), 1);
    msg.expunged = 1;
    TEST_ASSERT_INT(search_match(scan, flagged, &rec, &msg), 1);
    TEST_ASSERT_INT(search_match(scan, from, &rec, &msg), 0);
    TEST_ASSERT_INT(search_match(scan, body, &rec, &msg), 0);
    TEST_ASSERT_INT(search_match(scan, mailer, &rec, &msg), 0);
    search_key_free(&flagged);
    search_key_free(&from);
    search_key_free(&body);
    search_key_free(&mailer);
    search_scan_free(&scan);
    mailbox_close(&mb);
}

/* The caller's memo keeps the values of an uncached field read from the
 * files: searched again, a file gone makes no difference; another field
 * starts afresh; without a memo the files are read. */
static void test_memo(void)
{
    struct mailbox *mb = setup();
    struct search_memo *memo = NULL;
    const char *data;
    size_t len;
    char path[600];

    TEST_ASSERT(!search_memo_get(memo, "X-Mailer", 1, &data, &len));
    TEST_ASSERT_STR(run_memo(mb, header("X-Mailer", "testmail"), &memo),
                    " 1");
    TEST_ASSERT(memo != NULL);
    TEST_ASSERT(search_memo_get(memo, "x-mailer", 1, &data, &len));
    TEST_ASSERT_INT(len, 4 + strlen(" TestMail 1.0"));
    TEST_ASSERT_MEM(data + 4, len - 4, " TestMail 1.0", len - 4);
    TEST_ASSERT(search_memo_get(memo, "X-MAILER", 2, &data, &len));
    TEST_ASSERT_INT(len, 0);                    /* kept: no such field */
    snprintf(path, sizeof(path), "%s/1.", box_dir());
    TEST_ASSERT_INT(unlink(path), 0);
    TEST_ASSERT_STR(run_memo(mb, header("X-Mailer", "testmail"), &memo),
                    " 1");
    TEST_ASSERT_STR(run(mb, header("X-Mailer", "testmail")), "");
    /* another field: read from the files (1's is gone: not kept) */
    TEST_ASSERT_STR(run_memo(mb, header("Content-Transfer-Encoding", "base64"),
                             &memo), " 2");
    TEST_ASSERT(!search_memo_get(memo, "X-Mailer", 2, &data, &len));
    TEST_ASSERT(!search_memo_get(memo, "Content-Transfer-Encoding", 1, &data,
                                 &len));
    TEST_ASSERT(search_memo_get(memo, "Content-Transfer-Encoding", 4, &data,
                                &len));
    TEST_ASSERT_STR(run_memo(mb, header("X-Mailer", "testmail"), &memo), "");
    search_memo_free(&memo);
    TEST_ASSERT(memo == NULL);
    search_memo_free(&memo);
    mailbox_close(&mb);
}

TEST_MAIN("search", TEST_CASE(test_flags), TEST_CASE(test_sets),
          TEST_CASE(test_sizes_modseq), TEST_CASE(test_dates),
          TEST_CASE(test_headers), TEST_CASE(test_addresses),
          TEST_CASE(test_body_text),
          TEST_CASE(test_nesting), TEST_CASE(test_expunged),
          TEST_CASE(test_memo))
