/* test_sortkey.c -- RFC 5256 base subjects (the section 2.1 steps, one
 * case each, and their combinations), the sent date (zones, no Date), the
 * first address of an ENVELOPE list (mailbox, RFC 5957 display value,
 * groups, literals) and the i;unicode-casemap form (RFC 5051). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/sortkey.h"
#include "tests/unit/harness.h"

static struct buf out = BUF_INITIALIZER;

static const char *base(const char *s, int *refwd)
{
    buf_reset(&out);
    *refwd = sortkey_base_subject(s, strlen(s), &out);
    return buf_cstring(&out);
}

#define BASE(in, want, want_refwd)                                            \
    do {                                                                      \
        int rf_;                                                              \
        TEST_ASSERT_STR(base(in, &rf_), want);                                \
        TEST_ASSERT_INT(rf_, want_refwd);                                     \
    } while (0)

static void test_base_subject_steps(void)
{
    BASE("meeting", "meeting", 0);
    BASE("", "", 0);
    /* (1) tabs and line ends to spaces, runs to one space */
    BASE("a\tb  \r\n c", "a b c", 0);
    /* (1) RFC 2047 words decoded */
    BASE("=?UTF-8?Q?Caf=C3=A9?= au lait", "Caf\xc3\xa9 au lait", 0);
    BASE("Re: =?ISO-8859-1?Q?caf=E9?=", "caf\xc3\xa9", 1);
    /* (2) trailers: "(fwd)" and white space, as often as they match */
    BASE("lunch (fwd)", "lunch", 1);
    BASE("lunch (FWD) (fwd)  ", "lunch", 1);
    BASE("lunch(fwd)", "lunch", 1);
    /* (3) leaders: re, fw, fwd, any case, blobs before, blob inside */
    BASE("Re: lunch", "lunch", 1);
    BASE("RE:lunch", "lunch", 1);
    BASE("Fw: lunch", "lunch", 1);
    BASE("FWD: lunch", "lunch", 1);
    BASE("re : lunch", "lunch", 1);
    BASE("Re[2]: lunch", "lunch", 1);
    BASE("Re [2] : lunch", "lunch", 1);
    BASE("[list] Re: lunch", "lunch", 1);
    BASE("[a][b] Re: Re: Fwd: lunch", "lunch", 1);
    BASE("   lunch", "lunch", 0);
    /* not a leader: "re" must be followed by ":" */
    BASE("Rex: lunch", "Rex: lunch", 0);
    BASE("Re lunch", "Re lunch", 0);
    BASE("Fwdx: lunch", "Fwdx: lunch", 0);
    /* (4) a blob is removed only when something is left */
    BASE("[list] lunch", "lunch", 0);
    BASE("[list]", "[list]", 0);
    BASE("[a] [b]", "[b]", 0);
    BASE("[unclosed lunch", "[unclosed lunch", 0);
    /* (5) (3) and (4) repeated */
    BASE("[list] [x] Re: [y] lunch", "lunch", 1);
    /* (6) "[fwd: ...]" taken off, and everything again */
    BASE("[Fwd: Re: lunch]", "lunch", 1);
    BASE("[fwd: [fwd: lunch (fwd)]]", "lunch", 1);
    BASE("[fwd: lunch", "[fwd: lunch", 0);     /* no "]": no (6) */
}

static void test_base_subject_rfc_cases(void)
{
    /* The forms RFC 5256 2.1 and its ABNF name, and what Cyrus and
     * Dovecot give for them. */
    BASE("Re: Fwd: [PATCH] fix", "fix", 1);
    BASE("[PATCH] fix", "fix", 0);
    BASE("Re: [list] Re: [list] topic", "topic", 1);
    BASE("Fwd: [list] Re: apples", "apples", 1);
    BASE("[list] Lunch (fwd)", "Lunch", 1);
    BASE("re:", "", 1);
    BASE("Re: (fwd)", "", 1);
    BASE("[fwd: ]", "", 1);
    /* 8-bit blob content (UTF-8 after decoding) */
    BASE("[\xc3\xa9t\xc3\xa9] Re: x", "x", 1);
}

static void test_sent_date(void)
{
    static const char m1[] = "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n";
    static const char m2[] = "Date: Tue, 8 Feb 1994 05:52:25 +0000\r\n\r\n";
    static const char m3[] = "Date: garbage\r\n\r\n";
    static const char m4[] = "Subject: none\r\n\r\n";
    struct message_info *a = NULL, *b = NULL, *c = NULL, *d = NULL;

    TEST_ASSERT_INT(message_parse(m1, sizeof(m1) - 1, &a), 0);
    TEST_ASSERT_INT(message_parse(m2, sizeof(m2) - 1, &b), 0);
    TEST_ASSERT_INT(message_parse(m3, sizeof(m3) - 1, &c), 0);
    TEST_ASSERT_INT(message_parse(m4, sizeof(m4) - 1, &d), 0);
    /* the zone is applied: the two are the same instant */
    TEST_ASSERT_INT(sortkey_sent_date(a->sent_date, 5), 760686745);
    TEST_ASSERT_INT(sortkey_sent_date(b->sent_date, 5), 760686745);
    /* unreadable or absent: the INTERNALDATE */
    TEST_ASSERT_INT(sortkey_sent_date(c->sent_date, 1234), 1234);
    TEST_ASSERT_INT(sortkey_sent_date(d->sent_date, 99), 99);
    message_info_free(&a);
    message_info_free(&b);
    message_info_free(&c);
    message_info_free(&d);
}

static const char *addr(const char *list, int display)
{
    buf_reset(&out);
    sortkey_address(list, strlen(list), display, &out);
    return buf_cstring(&out);
}

static void test_address(void)
{
    const char *l = "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")"
                    "(NIL NIL \"b\" \"c.org\"))";

    TEST_ASSERT_STR(addr(l, 0), "foobar");
    TEST_ASSERT_STR(addr(l, 1), "Fred Foobar");
    TEST_ASSERT_STR(addr("((NIL NIL \"b\" \"c.org\"))", 1), "b@c.org");
    TEST_ASSERT_STR(addr("((\"\" NIL \"b\" \"c.org\"))", 1), "b@c.org");
    TEST_ASSERT_STR(addr("NIL", 0), "");
    TEST_ASSERT_STR(addr("NIL", 1), "");
    /* RFC 2047 in the display name; escapes in quoted strings */
    TEST_ASSERT_STR(addr("((\"=?UTF-8?Q?=C3=84nne?=\" NIL \"a\" \"b\"))", 1),
                    "\xc3\x84nne");
    TEST_ASSERT_STR(addr("((\"a \\\"q\\\" b\" NIL \"x\\\\y\" \"h\"))", 1),
                    "a \"q\" b");
    TEST_ASSERT_STR(addr("((\"n\" NIL \"x\\\\y\" \"h\"))", 0), "x\\y");
    /* a literal */
    TEST_ASSERT_STR(addr("(({3}\r\nN\xc3\xa9 NIL \"m\" \"h\"))", 1),
                    "N\xc3\xa9");
    /* a group: its first entry names it */
    TEST_ASSERT_STR(addr("((NIL NIL \"team\" NIL)(NIL NIL \"a\" \"b\")"
                         "(NIL NIL NIL NIL))", 0), "team");
    TEST_ASSERT_STR(addr("((NIL NIL \"team\" NIL)(NIL NIL NIL NIL))", 1),
                    "team");
    /* malformed: nothing */
    TEST_ASSERT_STR(addr("((\"unterminated NIL", 0), "");
    TEST_ASSERT_STR(addr("(({99}\r\nab NIL \"m\" \"h\"))", 0), "");
    TEST_ASSERT_STR(addr("(", 0), "");
}

static void test_envelope_split(void)
{
    static const char env[] =
        "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"afternoon (meeting)\" "
        "((\"Fred\" NIL \"foobar\" \"x.com\")) ((\"Fred\" NIL \"foobar\" "
        "\"x.com\")) NIL ((NIL NIL \"mooch\" \"y.edu\")) "
        "((NIL NIL \"cc1\" \"z\")) NIL NIL \"<id@x>\")";
    struct sortkey_envelope e;

    TEST_ASSERT_INT(sortkey_envelope_split(env, strlen(env), &e), 0);
    TEST_ASSERT_STR(addr(e.from, 0), "foobar");
    buf_reset(&out);
    sortkey_address(e.to, e.to_len, 0, &out);
    TEST_ASSERT_STR(buf_cstring(&out), "mooch");
    buf_reset(&out);
    sortkey_address(e.cc, e.cc_len, 0, &out);
    TEST_ASSERT_STR(buf_cstring(&out), "cc1");
    TEST_ASSERT_INT(sortkey_envelope_split("(NIL", 4, &e), -1);
    TEST_ASSERT(e.from == NULL);
}

static const char *cm(const char *s)
{
    buf_reset(&out);
    charset_casemap(s, strlen(s), &out);
    return buf_cstring(&out);
}

static void test_casemap(void)
{
    /* RFC 5051: titlecase, then full decomposition */
    TEST_ASSERT_STR(cm("Hello, World_1"), "HELLO, WORLD_1");
    TEST_ASSERT_STR(cm("\xc3\xa4"), "A\xcc\x88");          /* ä -> A + U+0308 */
    TEST_ASSERT_STR(cm("\xc3\x84"), "A\xcc\x88");          /* Ä */
    TEST_ASSERT_STR(cm("\xc3\x9f"), "\xc3\x9f");           /* ß has no titlecase */
    TEST_ASSERT_STR(cm("\xef\xac\x81"), "fi");             /* U+FB01 ligature */
    TEST_ASSERT_STR(cm("\xef\xbc\xa1"), "A");              /* fullwidth A */
    TEST_ASSERT_STR(cm("\xd0\xbf\xd1\x80\xd0\xb8"),        /* при */
                    "\xd0\x9f\xd0\xa0\xd0\x98");           /* ПРИ */
    TEST_ASSERT_STR(cm("\xc7\x86"), "Dz\xcc\x8c");         /* dž: Dž, D z U+030C */
    TEST_ASSERT_STR(cm("\xea\xb0\x80"), "\xea\xb0\x80");   /* Hangul kept */
    TEST_ASSERT_STR(cm("\xff"), "\xef\xbf\xbd");           /* bad UTF-8 */
    /* the order the collation gives: Ä with A, before B */
    {
        char *a = xstrdup(cm("\xc3\x84nne")), *b = xstrdup(cm("bob"));
        TEST_ASSERT(strcmp(a, b) < 0);
        TEST_ASSERT(strcmp(a, "\xc3\x84NNE") < 0);   /* octet order */
        free(a);
        free(b);
        a = xstrdup(cm("apple"));
        TEST_ASSERT_STR(cm("APPLE"), a);
        free(a);
    }
}

TEST_MAIN("sortkey", TEST_CASE(test_base_subject_steps),
          TEST_CASE(test_base_subject_rfc_cases), TEST_CASE(test_sent_date),
          TEST_CASE(test_address), TEST_CASE(test_envelope_split),
          TEST_CASE(test_casemap))
