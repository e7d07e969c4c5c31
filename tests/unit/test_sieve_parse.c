/* test_sieve_parse.c -- the Sieve parser and its check (imap/sieve/sieve.h):
 * the grammar of RFC 5228 section 8 (comments, strings, multi-line text,
 * numbers with K/M/G, tags, string lists, test lists, blocks), require and
 * the extensions, and each bound and each fault as one line that names the
 * line of the fault. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/sieve/sieve.h"
#include "imap/sieve/sieve_private.h"
#include "tests/unit/harness.h"

/* Compile src with the default limits (or lim): "ok" or the error line,
 * prefixed "TOOBIG " for ERR_TOOBIG (static buffer). */
static const char *compile_lim(const char *src, const struct sieve_limits *l)
{
    static char out[512];
    struct sieve_limits def;
    struct sieve_script *s = NULL;
    struct buf err = BUF_INITIALIZER;
    int r;

    sieve_limits_default(&def);
    r = sieve_compile(src, strlen(src), l ? l : &def, &s, &err);
    if (r) {
        TEST_ASSERT(s == NULL);
        TEST_ASSERT(r == ERR_BADFORMAT || r == ERR_TOOBIG);
        snprintf(out, sizeof(out), "%s%s", r == ERR_TOOBIG ? "TOOBIG " : "",
                 buf_cstring(&err));
    } else {
        TEST_ASSERT(s != NULL);
        snprintf(out, sizeof(out), "ok");
    }
    sieve_script_free(&s);
    TEST_ASSERT(s == NULL);
    buf_free(&err);
    return out;
}

static const char *compile(const char *src)
{
    return compile_lim(src, NULL);
}

static void test_good_scripts(void)
{
    /* RFC 5228's own examples (sections 2.4.2, 3.1, 5.1, 5.7, 6) and the
     * book's S-1 and S-3. */
    static const char *const good[] = {
        "",
        "# nothing but a comment",
        "/* bracketed\n comment */ keep;",
        "keep; discard; stop;",
        "require \"fileinto\";\n"
        "if header :contains [\"from\"] \"niceguy\" {\n"
        "    fileinto \"INBOX.Spam\";\n}\n",
        "if header :contains [\"from\"] [\"niceguy@no.shame.org\"] {\n"
        "    discard;\n}\n",
        "require [\"fileinto\", \"reject\"];\n"
        "if header :is \"Sender\" \"owner-ietf-mtg@example.com\" {\n"
        "    fileinto \"ietf\";\n"
        "} elsif address :DOMAIN :is [\"From\", \"To\"] \"example.com\" {\n"
        "    keep;\n"
        "} elsif anyof (NOT address :all :contains\n"
        "               [\"To\", \"Cc\", \"Bcc\"] \"me@example.com\",\n"
        "               header :matches \"subject\"\n"
        "               [\"*make*money*fast*\", \"*university*dipl*mas*\"]) {\n"
        "    reject \"Go away\";\n"
        "} else {\n"
        "    fileinto \"personal\";\n}\n",
        "if size :over 100K { discard; }",
        "if size :under 1M { keep; } else { discard; }",
        "if allof (exists \"From\", exists [\"To\", \"Date\"], true, "
        "not false) { keep; }",
        "if header :comparator \"i;octet\" :contains \"Subject\" \"MAKE\" "
        "{ stop; }",
        "if header :comparator \"i;ascii-casemap\" :is \"X\" \"y\" "
        "{ stop; }",
        "require \"envelope\";\n"
        "if envelope :localpart :is \"from\" \"bob\" { discard; }",
        "require [\"imap4flags\", \"fileinto\", \"copy\", \"mailbox\"];\n"
        "setflag \"\\\\Seen\"; addflag [\"a\", \"b c\"]; removeflag \"a\";\n"
        "if hasflag :contains \"b\" { fileinto :copy :create :flags "
        "\"\\\\Flagged\" \"INBOX.x\"; }\n"
        "keep :flags [\"\\\\Answered\"];",
        "require \"ereject\"; ereject text:\nline one\n..dot\n.\n;",
        "require \"reject\"; reject text: # comment\r\nsorry\r\n.\r\n;",
        "redirect \"bob@example.com\";",
        "require \"copy\"; redirect :copy \"bob@example.com\";",
        "require \"comparator-i;octet\"; keep;",
        "if header :is \"x\" \"a\\\\b\\\"c\\q\" { keep; }",
        "require \"vacation\";\nvacation :days 3 :subject \"Away\" "
        ":from \"me@example.com\" :addresses [\"me@example.net\"] :mime "
        ":handle \"h1\" text:\nContent-Type: text/plain\n\nAway.\n.\n;",
        "require [\"vacation\", \"vacation-seconds\"];\n"
        "vacation :seconds 0 \"Away.\";",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        const char *r = compile(good[i]);
        if (strcmp(r, "ok"))
            test_fail(__FILE__, __LINE__, "script %zu: %s", i, r);
    }
}

/* Quoted and multi-line strings, numbers: what the parser stores. */
static void test_strings_and_numbers(void)
{
    struct sieve_limits l;
    struct sieve_script *s = NULL;
    struct buf err = BUF_INITIALIZER;
    const char *src =
        "require \"reject\";\n"
        "if size :over 2K { keep; }\n"
        "if header :is \"x\" \"a\\\\b\\\"c\\q\" { keep; }\n"
        "reject text:\n..one\n.two\n..\n.\n;";

    sieve_limits_default(&l);
    TEST_ASSERT_INT(sieve_compile(src, strlen(src), &l, &s, &err), ERR_OK);
    TEST_ASSERT_INT(s->ncmds, 4);
    TEST_ASSERT_INT(s->cmds[1].tests[0].num, 2048);
    TEST_ASSERT_STR(s->cmds[2].tests[0].list2->data[0], "a\\b\"cq");
    TEST_ASSERT_STR(s->cmds[3].list1->data[0], ".one\r\n.two\r\n.\r\n");
    TEST_ASSERT_INT(s->cmds[3].line, 4);
    sieve_script_free(&s);
    buf_free(&err);
}

static void test_errors_name_their_line(void)
{
    static const struct { const char *src, *err; } bad[] = {
        { "keep", "line 1: expected \";\" or \"{\", found end of script" },
        { "keep;\n\nfoo;", "line 3: unknown command \"foo\"" },
        { "keep;\nif true keep;", "line 2: \"if\" needs a block { }" },
        { "if anyof () { keep; }", "line 1: expected a test, found \")\"" },
        { "keep :flags [];", "line 1: expected a string in the list, found "
          "\"]\"" },
        { "if true {\n keep;\n", "line 3: expected a command or \"}\", "
          "found end of script" },
        { "keep;\n}", "line 2: expected a command, found \"}\"" },
        { "\n\nfileinto \"x\";",
          "line 3: \"fileinto\" needs require \"fileinto\"" },
        { "require \"variables\";", "line 1: unsupported extension "
          "\"variables\"" },
        { "vacation \"away\";", "line 1: \"vacation\" needs require "
          "\"vacation\"" },
        { "require \"vacation\";\nvacation :days \"3\" \"away\";",
          "line 2: :days needs a number" },
        { "require \"vacation\";\nvacation :seconds 3 \"away\";",
          "line 2: :seconds needs require \"vacation-seconds\"" },
        { "require [\"vacation\", \"vacation-seconds\"];\n"
          "vacation :days 3 :seconds 3 \"away\";",
          "line 2: \"vacation\" given :seconds with another tag of its kind" },
        { "require \"vacation\";\nvacation :addresses \"a@b\";",
          "line 2: \"vacation\" needs 1 argument" },
        { "require \"vacation\";\nvacation :subject [\"a\", \"b\"] \"x\";",
          "line 2: :subject needs one string" },
        { "keep;\nrequire \"fileinto\";",
          "line 2: require must come before other commands" },
        { "if true { require \"fileinto\"; }",
          "line 1: require must come before other commands" },
        { "\nelse { keep; }", "line 2: \"else\" without an if before it" },
        { "keep;\nelsif true { keep; }",
          "line 2: \"elsif\" without an if before it" },
        { "if true;", "line 1: \"if\" needs a block { }" },
        { "if { keep; }", "line 1: \"if\" needs one test" },
        { "keep { }", "line 1: \"keep\" takes no block" },
        { "if foo { keep; }", "line 1: unknown test \"foo\"" },
        { "if keep { keep; }", "line 1: \"keep\" is a command, not a test" },
        { "true;", "line 1: \"true\" is a test, not a command" },
        { "if header \"a\" { keep; }", "line 1: \"header\" needs 2 "
          "arguments" },
        { "if header :is :contains \"a\" \"b\" { keep; }",
          "line 1: \"header\" given :contains with another tag of its kind" },
        { "if header :localpart \"a\" \"b\" { keep; }",
          "line 1: \"header\" does not take :localpart" },
        { "if header :comparator \"i;unicode\" \"a\" \"b\" { keep; }",
          "line 1: unsupported comparator \"i;unicode\"" },
        { "if header :comparator { keep; }",
          "line 1: :comparator needs one string" },
        { "if header \"a\" :is \"b\" { keep; }",
          "line 1: tag :is after the positional arguments of \"header\"" },
        { "if size 10 { keep; }", "line 1: \"size\" needs :over or :under" },
        { "if size :over \"10\" { keep; }",
          "line 1: argument 1 of \"size\" must be a number" },
        { "if size :over 10X { keep; }", "line 1: invalid number" },
        { "if size :over 99999999999999999999 { keep; }",
          "line 1: number too large" },
        { "redirect \"nobody\";",
          "line 1: invalid redirect address \"nobody\"" },
        { "redirect [\"a@b\"];",
          "line 1: argument 1 of \"redirect\" must be one string" },
        { "require \"fileinto\";\nfileinto :create \"x\";",
          "line 2: :create needs require \"mailbox\"" },
        { "require \"fileinto\";\nfileinto :copy \"x\";",
          "line 2: :copy needs require \"copy\"" },
        { "keep :flags \"x\";", "line 1: :flags needs require "
          "\"imap4flags\"" },
        { "require \"envelope\";\nif envelope \"auth\" \"x\" { keep; }",
          "line 2: unsupported envelope part \"auth\"" },
        { "if allof (true, ) { keep; }", "line 1: expected a test, found "
          "\")\"" },
        { "if not (true) { keep; }", "line 1: \"not\" needs one test" },
        { "if allof true { keep; }",
          "line 1: \"allof\" needs a test list in ( )" },
        { "keep;\n/* never closed\n", "line 2: unterminated comment" },
        { "require \"reject\";\nreject text:\nno end\n",
          "line 2: multi-line string without its closing \".\" line" },
        { "require \"reject\"; reject text: x\n.\n;",
          "line 1: text: must end its line" },
        { "\n\nkeep; @", "line 3: unexpected character '@'" },
        { "keep; \x01", "line 1: unexpected byte 0x01" },
        { "if header : \"a\" \"b\" { keep; }",
          "line 1: \":\" without a tag name" },
        { "if header [\"a\" \"b\"] \"c\" { keep; }",
          "line 1: expected \",\" or \"]\", found string" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        const char *r = compile(bad[i].src);
        if (strcmp(r, bad[i].err))
            test_fail(__FILE__, __LINE__, "script %zu: got \"%s\", expected "
                      "\"%s\"", i, r, bad[i].err);
    }
}

static void test_nul_byte(void)
{
    struct sieve_limits l;
    struct sieve_script *s = NULL;
    struct buf err = BUF_INITIALIZER;

    sieve_limits_default(&l);
    TEST_ASSERT_INT(sieve_compile("keep;\n\0", 7, &l, &s, &err),
                    ERR_BADFORMAT);
    TEST_ASSERT_STR(buf_cstring(&err), "line 2: NUL byte in the script");
    buf_free(&err);
}

static void test_limits(void)
{
    struct sieve_limits l;
    struct buf src = BUF_INITIALIZER;

    sieve_limits_default(&l);
    l.max_script = 10;
    TEST_ASSERT_STR(compile_lim("keep; keep;", &l),
                    "TOOBIG line 1: script larger than 10 bytes");
    TEST_ASSERT_STR(compile_lim("keep;stop;", &l), "ok");

    sieve_limits_default(&l);
    l.max_depth = 2;
    TEST_ASSERT_STR(compile_lim("if true { if true { keep; } }", &l), "ok");
    TEST_ASSERT_STR(compile_lim("if true {\n if true {\n  if true { keep; "
                                "} } }", &l),
                    "TOOBIG line 3: nested deeper than 2");
    TEST_ASSERT_STR(compile_lim("if not not not true { keep; }", &l),
                    "TOOBIG line 1: nested deeper than 2");

    sieve_limits_default(&l);
    l.max_string = 5;
    TEST_ASSERT_STR(compile_lim("if header \"abcde\" \"x\" { keep; }", &l),
                    "ok");
    TEST_ASSERT_STR(compile_lim("\nif header \"abcdef\" \"x\" { keep; }", &l),
                    "TOOBIG line 2: string longer than 5 bytes");
    l.max_string = 6;
    TEST_ASSERT_STR(compile_lim("require \"reject\";\nreject text:\n"
                                "abcdef\n.\n;", &l),
                    "TOOBIG line 2: string longer than 6 bytes");

    sieve_limits_default(&l);
    l.max_commands = 3;
    TEST_ASSERT_STR(compile_lim("keep; keep; keep;", &l), "ok");
    TEST_ASSERT_STR(compile_lim("keep;\nkeep;\nkeep;\nkeep;", &l),
                    "TOOBIG line 4: more than 3 commands and tests");
    TEST_ASSERT_STR(compile_lim("if true { keep; keep; }", &l),
                    "TOOBIG line 1: more than 3 commands and tests");

    /* The default limits take a deep but bounded script apart without
     * recursing without end: 100,000 nested "not"s. */
    sieve_limits_default(&l);
    l.max_script = 1 << 20;
    buf_appendcstr(&src, "if ");
    for (int i = 0; i < 100000; i++)
        buf_appendcstr(&src, "not ");
    buf_appendcstr(&src, "true { keep; }");
    TEST_ASSERT_STR(compile_lim(buf_cstring(&src), &l),
                    "TOOBIG line 1: nested deeper than 16");
    buf_free(&src);
}

TEST_MAIN("sieve_parse",
          TEST_CASE(test_good_scripts),
          TEST_CASE(test_strings_and_numbers),
          TEST_CASE(test_errors_name_their_line),
          TEST_CASE(test_nul_byte),
          TEST_CASE(test_limits))
