/* test_sieve_interp.c -- running Sieve scripts (imap/sieve/sieve.h): the
 * tests (header, address and its parts, envelope, exists, size, allof,
 * anyof, not, hasflag), comparators and match types with their edge
 * cases, if/elsif/else and stop, the actions with implicit keep, :copy,
 * :create and imap4flags, and the runtime errors. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/sieve/sieve.h"
#include "imap/sieve/sieve_private.h"
#include "tests/unit/harness.h"

/* The book's Example 15-5 message (SEED-NOTES.md, Sieve test cases). */
static const char spam[] =
    "Date: Tue, 8 Jul 1999 19:21:56 -0800 (PST)\r\n"
    "From: niceguy@no.shame.org\r\n"
    "To: johndoe@work.com\r\n"
    "Subject: Make Money Fast!!!!!!!!!!\r\n"
    "\r\n"
    "Wanted, 30 people earn $28 to lose 29 pounds in 31 days!!!\r\n";

static const char folded[] =
    "From: \"Alice Example\" <Alice@Example.COM>, bob@b.example\r\n"
    "To: undisclosed-recipients:;\r\n"
    "Cc: Team: carol@c.example, dave@d.example;\r\n"
    "Subject: a folded\r\n"
    "\tsubject line\r\n"
    "Subject: a second subject\r\n"
    "X-Encoded: =?UTF-8?Q?caf=C3=A9?=\r\n"
    "X-Empty:\r\n"
    "\r\n"
    "body\r\n";

/* Run script on msg: the actions as "keep", "keep[\Seen]",
 * "fileinto:INBOX.x+create", "redirect:a@b", "reject:why", joined by
 * " "; "discard" for none; "ERR <err>" for a runtime error. */
static const char *run_env(const char *script, const char *msg,
                           const char *from, const char *to)
{
    static char out[1024];
    struct sieve_limits l;
    struct sieve_script *s = NULL;
    struct sieve_result res;
    struct sieve_envelope env = { from, to };
    struct buf err = BUF_INITIALIZER, b = BUF_INITIALIZER;
    static const char *const kinds[] = { "keep", "fileinto", "redirect",
                                         "reject", "vacation" };
    int r;

    sieve_limits_default(&l);
    r = sieve_compile(script, strlen(script), &l, &s, &err);
    if (r)
        test_fail(__FILE__, __LINE__, "compile: %s", buf_cstring(&err));
    r = sieve_execute(s, msg, strlen(msg), &env, &res, &err);
    if (r) {
        TEST_ASSERT_INT(res.count, 0);
        buf_printf(&b, "ERR %s", buf_cstring(&err));
    }
    for (size_t i = 0; i < res.count; i++) {
        const struct sieve_action *a = &res.actions[i];
        if (i)
            buf_putc(&b, ' ');
        buf_appendcstr(&b, kinds[a->kind]);
        if (a->target)
            buf_printf(&b, ":%s", a->target);
        if (a->create)
            buf_appendcstr(&b, "+create");
        if (a->implicit)
            buf_appendcstr(&b, "(implicit)");
        if (a->flags.count) {
            char *j = strarray_join(&a->flags, ",");
            buf_printf(&b, "[%s]", j);
            free(j);
        }
    }
    if (!r && !res.count)
        buf_appendcstr(&b, "discard");
    snprintf(out, sizeof(out), "%s", buf_cstring(&b));
    sieve_result_fini(&res);
    sieve_script_free(&s);
    buf_free(&err);
    buf_free(&b);
    return out;
}

static const char *run(const char *script, const char *msg)
{
    return run_env(script, msg, "sender@example.org", "rcpt@example.net");
}

/* 1 if the test expression (a Sieve test) is true of msg. */
static int holds(const char *test, const char *msg)
{
    char script[1024];
    snprintf(script, sizeof(script), "require [\"envelope\", \"fileinto\"];"
             "if %s { fileinto \"yes\"; }", test);
    return !strcmp(run(script, msg), "fileinto:yes");
}

static void test_book_examples(void)
{
    TEST_ASSERT_STR(run("require \"fileinto\";\n"
                        "if header :contains [\"from\"] \"niceguy\" {\n"
                        "    fileinto \"INBOX.Spam\";\n}\n", spam),
                    "fileinto:INBOX.Spam");
    TEST_ASSERT_STR(run("require \"reject\";\n"
                        "if header :contains \"subject\" \"Make Money Fast\" "
                        "{\n    reject \"I do not accept spam mail. "
                        "Sorry.\";\n}\n", spam),
                    "reject:I do not accept spam mail. Sorry.");
    TEST_ASSERT_STR(run("if header :contains [\"from\"] "
                        "[\"niceguy@no.shame.org\"] {\n    discard;\n}\n",
                        spam), "discard");
    TEST_ASSERT_STR(run("", spam), "keep(implicit)");
}

static void test_header(void)
{
    TEST_ASSERT(holds("header :is \"subject\" \"a folded\tsubject line\"",
                      folded));
    /* Every occurrence counts. */
    TEST_ASSERT(holds("header :is \"Subject\" \"a second subject\"", folded));
    TEST_ASSERT(holds("header :is \"x-encoded\" \"caf\xc3\xa9\"", folded));
    TEST_ASSERT(holds("header :is \"x-empty\" \"\"", folded));
    TEST_ASSERT(holds("header :contains \"x-empty\" \"\"", folded));
    TEST_ASSERT(!holds("header :contains \"x-missing\" \"\"", folded));
    TEST_ASSERT(holds("header :contains [\"x\", \"to\"] [\"zz\", \"WORK\"]",
                      spam));
    TEST_ASSERT(!holds("header :comparator \"i;octet\" :contains \"to\" "
                       "\"WORK\"", spam));
    TEST_ASSERT(holds("header :comparator \"i;octet\" :contains \"to\" "
                      "\"work\"", spam));
    TEST_ASSERT(holds("exists [\"from\", \"DATE\"]", spam));
    TEST_ASSERT(!holds("exists [\"from\", \"cc\"]", spam));
}

static void test_matches(void)
{
    static const struct { const char *value, *pattern; int hit; } m[] = {
        { "", "", 1 }, { "", "*", 1 }, { "", "?", 0 }, { "a", "?", 1 },
        { "ab", "?", 0 }, { "abc", "a*c", 1 }, { "abc", "a*b", 0 },
        { "abcbc", "*bc", 1 }, { "aXbXc", "a*b*c", 1 },
        { "make lots of money fast", "*make*money*fast*", 1 },
        { "a*b", "a\\*b", 1 }, { "axb", "a\\*b", 0 },
        { "a?b", "a\\?b", 1 }, { "axb", "a\\?b", 0 },
        { "a\\b", "a\\\\b", 1 },
        { "caf\xc3\xa9", "caf?", 1 },        /* ? is one UTF-8 character */
        { "caf\xc3\xa9", "caf??", 0 },
        { "ABC", "a?c", 1 },                /* i;ascii-casemap */
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*c", 0 },
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(*m); i++)
        if (sieve_match(SCMP_CASEMAP, SMATCH_MATCHES, m[i].value,
                        strlen(m[i].value), m[i].pattern,
                        strlen(m[i].pattern)) != m[i].hit)
            test_fail(__FILE__, __LINE__, "\"%s\" :matches \"%s\" is not %d",
                      m[i].value, m[i].pattern, m[i].hit);
    TEST_ASSERT(!sieve_match(SCMP_OCTET, SMATCH_MATCHES, "ABC", 3, "a?c",
                             3));
    TEST_ASSERT(sieve_match(SCMP_OCTET, SMATCH_IS, "abc", 3, "abc", 3));
    TEST_ASSERT(!sieve_match(SCMP_OCTET, SMATCH_IS, "abc", 3, "ab", 2));
    TEST_ASSERT(sieve_match(SCMP_CASEMAP, SMATCH_CONTAINS, "abc", 3, "", 0));
    TEST_ASSERT(sieve_match(SCMP_CASEMAP, SMATCH_CONTAINS, "aBc", 3, "bC",
                            2));
    TEST_ASSERT(!sieve_match(SCMP_CASEMAP, SMATCH_CONTAINS, "ab", 2, "abc",
                             3));
    /* Through a script, with the escapes of a quoted string. */
    TEST_ASSERT(holds("header :matches \"subject\" \"Make*!!!\"", spam));
    TEST_ASSERT(holds("header :matches \"subject\" \"*\\\\!\"", spam));
    TEST_ASSERT(!holds("header :matches \"subject\" \"Make\"", spam));
}

static void test_address(void)
{
    TEST_ASSERT(holds("address :is \"from\" \"alice@example.com\"", folded));
    TEST_ASSERT(holds("address :localpart :is \"from\" \"bob\"", folded));
    TEST_ASSERT(holds("address :domain :is \"from\" \"B.EXAMPLE\"", folded));
    TEST_ASSERT(!holds("address :is \"from\" \"Alice Example\"", folded));
    TEST_ASSERT(!holds("address :contains \"from\" \"Alice Example\"",
                       folded));
    /* Group members are addresses; the group's name is not. */
    TEST_ASSERT(holds("address :domain :is \"cc\" \"d.example\"", folded));
    TEST_ASSERT(!holds("address :localpart :is \"cc\" \"Team\"", folded));
    TEST_ASSERT(!holds("address :contains \"to\" \"undisclosed\"", folded));
    TEST_ASSERT(holds("address :all :comparator \"i;octet\" :is \"from\" "
                      "\"Alice@Example.COM\"", folded));
    TEST_ASSERT(!holds("address :all :comparator \"i;octet\" :is \"from\" "
                       "\"alice@example.com\"", folded));
}

static void test_envelope_and_size(void)
{
    const char *s = "require \"envelope\";\n"
                    "if envelope :domain :is \"to\" \"example.net\" "
                    "{ discard; }";
    TEST_ASSERT_STR(run(s, spam), "discard");
    TEST_ASSERT_STR(run_env(s, spam, "a@b", "x@other.net"),
                    "keep(implicit)");
    TEST_ASSERT_STR(run_env(s, spam, NULL, NULL), "keep(implicit)");
    /* The null reverse path is "" for every part. */
    s = "require \"envelope\";\n"
        "if envelope :localpart :is \"from\" \"\" { discard; }";
    TEST_ASSERT_STR(run_env(s, spam, "", "x@y"), "discard");
    TEST_ASSERT_STR(run_env(s, spam, "a@b", "x@y"), "keep(implicit)");

    size_t n = strlen(spam);
    char t[128];
    snprintf(t, sizeof(t), "size :over %zu", n - 1);
    TEST_ASSERT(holds(t, spam));
    snprintf(t, sizeof(t), "size :over %zu", n);
    TEST_ASSERT(!holds(t, spam));
    snprintf(t, sizeof(t), "size :under %zu", n);
    TEST_ASSERT(!holds(t, spam));
    snprintf(t, sizeof(t), "size :under %zu", n + 1);
    TEST_ASSERT(holds(t, spam));
    TEST_ASSERT(!holds("size :over 1K", spam));
    TEST_ASSERT(holds("size :under 1K", spam));
}

static void test_control(void)
{
    const char *s =
        "require \"fileinto\";\n"
        "if header :is \"subject\" \"one\" { fileinto \"1\"; }\n"
        "elsif header :is \"subject\" \"two\" { fileinto \"2\"; }\n"
        "elsif true { fileinto \"3\"; }\n"
        "else { fileinto \"4\"; }\n"
        "if false { fileinto \"5\"; } else { fileinto \"6\"; stop; "
        "fileinto \"7\"; }\n"
        "fileinto \"8\";\n";
    TEST_ASSERT_STR(run(s, "Subject: one\r\n\r\n"), "fileinto:1 fileinto:6");
    TEST_ASSERT_STR(run(s, "Subject: two\r\n\r\n"), "fileinto:2 fileinto:6");
    TEST_ASSERT_STR(run(s, spam), "fileinto:3 fileinto:6");
    TEST_ASSERT(holds("allof (true, not false)", spam));
    TEST_ASSERT(!holds("allof (true, false)", spam));
    TEST_ASSERT(holds("anyof (false, true)", spam));
    TEST_ASSERT(!holds("anyof (false, not true)", spam));
    /* stop before any action keeps. */
    TEST_ASSERT_STR(run("stop; discard;", spam), "keep(implicit)");
}

static void test_actions(void)
{
    /* Repeats are one action; keep cancels the implicit keep. */
    TEST_ASSERT_STR(run("require \"fileinto\"; fileinto \"a\"; "
                        "fileinto \"a\"; keep; keep;", spam),
                    "fileinto:a keep");
    TEST_ASSERT_STR(run("require [\"fileinto\", \"copy\"]; "
                        "fileinto :copy \"a\";", spam),
                    "fileinto:a keep(implicit)");
    TEST_ASSERT_STR(run("require [\"fileinto\", \"mailbox\"]; "
                        "fileinto :create \"INBOX.new\";", spam),
                    "fileinto:INBOX.new+create");
    TEST_ASSERT_STR(run("redirect \"a@b.example\"; "
                        "redirect \"A@B.example\";", spam),
                    "redirect:a@b.example");
    TEST_ASSERT_STR(run("require \"copy\"; redirect :copy \"a@b\";", spam),
                    "redirect:a@b keep(implicit)");
}

static void test_flags(void)
{
    TEST_ASSERT_STR(run("require \"imap4flags\";\n"
                        "setflag \"\\\\Seen junk\";\n"
                        "addflag [\"\\\\Flagged\", \"JUNK\"];\n"
                        "removeflag \"junk\";", spam),
                    "keep(implicit)[\\Seen,\\Flagged]");
    TEST_ASSERT_STR(run("require [\"imap4flags\", \"fileinto\"];\n"
                        "addflag \"a\";\n"
                        "fileinto :flags \"b c\" \"x\";\n"
                        "fileinto \"y\";\n"
                        "keep :flags \"\";", spam),
                    "fileinto:x[b,c] fileinto:y[a] keep");
    TEST_ASSERT_STR(run("require [\"imap4flags\", \"fileinto\"];\n"
                        "addflag \"$Label1 \\\\Answered\";\n"
                        "if hasflag :is \"\\\\answered\" { fileinto \"x\"; }\n"
                        "if hasflag :contains \"label2\" { fileinto \"y\"; }\n"
                        "if hasflag :matches \"$*1\" { fileinto \"z\"; }\n",
                        spam),
                    "fileinto:x[$Label1,\\Answered] "
                    "fileinto:z[$Label1,\\Answered]");
}

static void test_runtime_errors(void)
{
    struct buf s = BUF_INITIALIZER;

    TEST_ASSERT_STR(run("require \"reject\";\nkeep;\nreject \"no\";", spam),
                    "ERR line 3: reject cannot be combined with keep, "
                    "fileinto or redirect");
    TEST_ASSERT_STR(run("require \"reject\";\nreject \"no\";\n"
                        "redirect \"a@b\";", spam),
                    "ERR line 3: reject cannot be combined with keep, "
                    "fileinto or redirect");
    TEST_ASSERT_STR(run("require [\"reject\", \"ereject\"];\n"
                        "reject \"a\";\nereject \"b\";", spam),
                    "ERR line 3: a second reject");
    TEST_ASSERT_STR(run("redirect \"1@x\"; redirect \"2@x\"; redirect "
                        "\"3@x\"; redirect \"4@x\"; redirect \"5@x\";\n"
                        "redirect \"6@x\";", spam),
                    "ERR line 2: more than 5 redirects");
    buf_appendcstr(&s, "require \"fileinto\";\n");
    for (int i = 0; i < 33; i++)
        buf_printf(&s, "fileinto \"f%d\";\n", i);
    TEST_ASSERT_STR(run(buf_cstring(&s), spam),
                    "ERR line 34: more than 32 actions");
    buf_free(&s);
}

/* The one action of script run on msg (which must give exactly one
 * besides the implicit keep); freed with sieve_result_fini by the
 * caller. */
static const struct sieve_action *only_action(const char *script,
                                              const char *msg,
                                              struct sieve_result *res)
{
    struct sieve_limits l;
    struct sieve_script *s = NULL;
    struct buf err = BUF_INITIALIZER;
    struct sieve_envelope env = { "sender@example.org", "rcpt@example.net" };

    sieve_limits_default(&l);
    TEST_ASSERT_INT(sieve_compile(script, strlen(script), &l, &s, &err), 0);
    TEST_ASSERT_INT(sieve_execute(s, msg, strlen(msg), &env, res, &err), 0);
    sieve_script_free(&s);
    buf_free(&err);
    TEST_ASSERT(res->count >= 1);
    return &res->actions[0];
}

static void test_vacation_action(void)
{
    struct sieve_result res;
    const struct sieve_action *a;
    struct buf h1 = BUF_INITIALIZER, h2 = BUF_INITIALIZER;

    a = only_action("require \"vacation\";\n"
                    "vacation :days 3 :subject \"Away\" :from "
                    "\"me@example.com\" :addresses [\"me@example.net\", "
                    "\"me2@example.net\"] :mime :handle \"h1\" "
                    "\"reason\";", spam, &res);
    TEST_ASSERT_INT(a->kind, SIEVE_ACT_VACATION);
    TEST_ASSERT_STR(a->target, "reason");
    TEST_ASSERT_INT(a->vacation.seconds, 3 * 86400);
    TEST_ASSERT_STR(a->vacation.subject, "Away");
    TEST_ASSERT_STR(a->vacation.from, "me@example.com");
    TEST_ASSERT_STR(a->vacation.handle, "h1");
    TEST_ASSERT_INT(a->vacation.mime, 1);
    TEST_ASSERT_INT(a->vacation.addresses.count, 2);
    TEST_ASSERT_STR(a->vacation.addresses.data[1], "me2@example.net");
    sieve_vacation_handle(a, &h1);
    TEST_ASSERT_STR(buf_cstring(&h1), "handle:h1");
    sieve_result_fini(&res);

    a = only_action("require [\"vacation\", \"vacation-seconds\"];\n"
                    "vacation :seconds 0 \"reason\";", spam, &res);
    TEST_ASSERT_INT(a->vacation.seconds, 0);
    TEST_ASSERT(a->vacation.subject == NULL && a->vacation.from == NULL &&
                a->vacation.handle == NULL && !a->vacation.mime);
    /* Without :handle, the reason, subject and from make it. */
    sieve_vacation_handle(a, &h1);
    sieve_result_fini(&res);
    a = only_action("require \"vacation\"; vacation \"reason2\";", spam,
                    &res);
    TEST_ASSERT_INT(a->vacation.seconds, -1);
    sieve_vacation_handle(a, &h2);
    TEST_ASSERT(strcmp(buf_cstring(&h1), buf_cstring(&h2)) != 0);
    sieve_result_fini(&res);
    buf_free(&h1);
    buf_free(&h2);

    /* It leaves the implicit keep alone; only one per run. */
    TEST_ASSERT_STR(run("require \"vacation\"; vacation \"away\";", spam),
                    "vacation:away keep(implicit)");
    TEST_ASSERT_STR(run("require [\"vacation\", \"fileinto\"];\n"
                        "fileinto \"x\"; vacation \"away\";", spam),
                    "fileinto:x vacation:away");
    TEST_ASSERT_STR(run("require \"vacation\"; vacation \"a\";\n"
                        "vacation \"b\";", spam),
                    "ERR line 2: a second vacation");
}

static void test_vacation_refuse(void)
{
    struct strarray own = STRARRAY_INITIALIZER;
    struct sieve_envelope env = { "niceguy@no.shame.org", "johndoe@work.com" };
    struct sieve_envelope bounce = { "", "johndoe@work.com" };
    static const struct { const char *from, *extra, *why; } c[] = {
        { "niceguy@no.shame.org", "", NULL },
        { "MAILER-DAEMON@no.shame.org", "", "the sender is a list or a "
          "daemon" },
        { "owner-list@no.shame.org", "", "the sender is a list or a daemon" },
        { "list-request@no.shame.org", "", "the sender is a list or a "
          "daemon" },
        { "JohnDoe@Work.com", "", "sent by the user" },
        { "niceguy@no.shame.org", "Auto-Submitted: auto-replied\r\n",
          "Auto-Submitted" },
        { "niceguy@no.shame.org", "Auto-Submitted: no\r\n", NULL },
        { "niceguy@no.shame.org", "Precedence: bulk\r\n",
          "Precedence bulk, list or junk" },
        { "niceguy@no.shame.org", "Precedence: LIST\r\n",
          "Precedence bulk, list or junk" },
        { "niceguy@no.shame.org", "List-Id: <x.example>\r\n",
          "a mailing list message" },
        { "niceguy@no.shame.org", "List-Unsubscribe: <mailto:x@y>\r\n",
          "a mailing list message" },
    };
    struct buf msg = BUF_INITIALIZER;

    strarray_append(&own, "johndoe@work.com");
    TEST_ASSERT_STR(sieve_vacation_refuse(spam, strlen(spam), &bounce, &own),
                    "no envelope sender");
    TEST_ASSERT_STR(sieve_vacation_refuse(spam, strlen(spam), NULL, &own),
                    "no envelope sender");
    for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
        const char *why;
        buf_setcstr(&msg, c[i].extra);
        buf_appendcstr(&msg, spam);
        env.from = c[i].from;
        why = sieve_vacation_refuse(msg.s, msg.len, &env, &own);
        if (c[i].why ? !why || strcmp(why, c[i].why) : why != NULL)
            test_fail(__FILE__, __LINE__, "case %zu: %s", i,
                      why ? why : "(reply)");
    }
    env.from = "niceguy@no.shame.org";
    /* Not addressed to the user (Bcc'd, or a list that hides it); an
     * :addresses entry or a Cc counts; a bare local part compares as one. */
    buf_setcstr(&msg, "From: a@b\r\nTo: other@work.com\r\n\r\nx\r\n");
    TEST_ASSERT_STR(sieve_vacation_refuse(msg.s, msg.len, &env, &own),
                    "not addressed to the user");
    buf_setcstr(&msg, "From: a@b\r\nTo: other@work.com\r\n"
                "Cc: \"J\" <JOHNDOE@work.com>\r\n\r\nx\r\n");
    TEST_ASSERT(sieve_vacation_refuse(msg.s, msg.len, &env, &own) == NULL);
    strarray_fini(&own);
    strarray_append(&own, "johndoe");
    TEST_ASSERT(sieve_vacation_refuse(msg.s, msg.len, &env, &own) == NULL);
    strarray_fini(&own);
    buf_free(&msg);
}

static void test_vacation_compose(void)
{
    struct sieve_action a;
    struct buf out = BUF_INITIALIZER;
    const char *msg = "From: niceguy@no.shame.org\r\n"
                      "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
                      "Message-ID: <m1@x>\r\n"
                      "References: <m0@x>\r\n\r\nbody\r\n";

    memset(&a, 0, sizeof(a));
    a.kind = SIEVE_ACT_VACATION;
    a.target = "I am away.\nBack soon.";
    a.vacation.seconds = -1;
    sieve_vacation_compose(msg, strlen(msg), &a, "johndoe@work.com",
                           "niceguy@no.shame.org", "mail.test", 86400, &out);
    char want[1024];
    snprintf(want, sizeof(want),
             "Date: Fri, 02 Jan 1970 00:00:00 +0000\r\n"
             "From: johndoe@work.com\r\n"
             "To: niceguy@no.shame.org\r\n"
             "Subject: =?UTF-8?B?QXV0bzogY2Fmw6k=?=\r\n"
             "In-Reply-To: <m1@x>\r\n"
             "References: <m0@x> <m1@x>\r\n"
             "Message-ID: <vacation.86400.%ld@mail.test>\r\n"
             "Auto-Submitted: auto-replied (vacation)\r\n"
             "MIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n"
             "\r\n"
             "I am away.\r\nBack soon.\r\n", (long)getpid());
    TEST_ASSERT_STR(buf_cstring(&out), want);

    /* :subject and :from as given (CR/LF cannot start a new field), the
     * reason of :mime as the MIME entity it is. */
    a.vacation.subject = "Away\r\nBcc: x@y";
    a.vacation.from = "Me <me@example.com>";
    a.vacation.mime = 1;
    a.target = "Content-Type: text/plain\r\n\r\nAway.\r\n";
    sieve_vacation_compose("\r\nno header\r\n", 13, &a, "x@y", "s@t",
                           "h", 0, &out);
    snprintf(want, sizeof(want),
             "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
             "From: Me <me@example.com>\r\n"
             "To: s@t\r\n"
             "Subject: Away  Bcc: x@y\r\n"
             "Message-ID: <vacation.0.%ld@h>\r\n"
             "Auto-Submitted: auto-replied (vacation)\r\n"
             "MIME-Version: 1.0\r\n"
             "Content-Type: text/plain\r\n\r\nAway.\r\n", (long)getpid());
    TEST_ASSERT_STR(buf_cstring(&out), want);
    buf_free(&out);
}

TEST_MAIN("sieve_interp",
          TEST_CASE(test_book_examples),
          TEST_CASE(test_header),
          TEST_CASE(test_matches),
          TEST_CASE(test_address),
          TEST_CASE(test_envelope_and_size),
          TEST_CASE(test_control),
          TEST_CASE(test_actions),
          TEST_CASE(test_flags),
          TEST_CASE(test_runtime_errors),
          TEST_CASE(test_vacation_action),
          TEST_CASE(test_vacation_refuse),
          TEST_CASE(test_vacation_compose))
