/* test_message_mime.c -- BODY/BODYSTRUCTURE strings and the section table
 * of the message parser: exact wire strings, BODY[section] ranges, and
 * broken or extreme MIME structure. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"
#include "tests/unit/harness.h"
#include "tests/unit/message_check.h"

void test_text_plain_default(void)
{
    struct message_info *info = parse_text(
        "From: a@example.com\nSubject: x\n\nhello\nworld\n");
    TEST_ASSERT_STR(info->body,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 14 2)");
    TEST_ASSERT_STR(info->bodystructure,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 14 2"
        " NIL NIL NIL NIL)");
    TEST_ASSERT_INT(info->nsections, 1);
    TEST_ASSERT_STR(info->sections[0].charset, "us-ascii");
    TEST_ASSERT_STR(info->sections[0].type, "TEXT");
    TEST_ASSERT_STR(info->sections[0].encoding, "7BIT");
    /* a single-part message: "1" is the body, its MIME header the header */
    ASSERT_SECTION(info, "1", "hello\r\nworld\r\n");
    ASSERT_SECTION(info, "TEXT", "hello\r\nworld\r\n");
    ASSERT_SECTION(info, "", buf_cstring(&msgbuf));
    ASSERT_SECTION(info, "HEADER", "From: a@example.com\r\nSubject: x\r\n\r\n");
    ASSERT_SECTION(info, "1.MIME", "From: a@example.com\r\nSubject: x\r\n\r\n");
    ASSERT_SECTION(info, "header.fields (From)",
                   "From: a@example.com\r\nSubject: x\r\n\r\n");
    ASSERT_SECTION(info, "HEADER.FIELDS.NOT (From)",
                   "From: a@example.com\r\nSubject: x\r\n\r\n");
    assert_section_error(info, "2", ERR_NOTFOUND);
    assert_section_error(info, "1.1", ERR_NOTFOUND);
    assert_section_error(info, "1.HEADER", ERR_NOTFOUND);
    assert_section_error(info, "99999999999", ERR_NOTFOUND);
    assert_section_error(info, "0", ERR_BADARG);
    assert_section_error(info, "01", ERR_BADARG);
    assert_section_error(info, "1.0", ERR_BADARG);
    assert_section_error(info, "1.", ERR_BADARG);
    assert_section_error(info, "1..1", ERR_BADARG);
    assert_section_error(info, "MIME", ERR_BADARG);
    assert_section_error(info, "1MIME", ERR_BADARG);
    assert_section_error(info, "BODY", ERR_BADARG);
    assert_section_error(info, "HEADER.FIELDSX", ERR_BADARG);
    message_info_free(&info);
}

static const char alternative_msg[] =
    "From: a@example.com\n"
    "Content-Type: multipart/alternative; boundary=\"XX\"\n"
    "\n"
    "preamble\n"
    "--XX\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "plain\n"
    "--XX\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>html</p>\n"
    "--XX--\n"
    "epilogue\n";

void test_multipart_alternative(void)
{
    struct message_info *info = parse_text(alternative_msg);

    TEST_ASSERT_STR(info->bodystructure,
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 1"
        " NIL NIL NIL NIL)"
        "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL"
        " \"QUOTED-PRINTABLE\" 11 1 NIL NIL NIL NIL)"
        " \"ALTERNATIVE\" (\"BOUNDARY\" \"XX\") NIL NIL NIL)");
    TEST_ASSERT_STR(info->body,
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 1)"
        "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL"
        " \"QUOTED-PRINTABLE\" 11 1) \"ALTERNATIVE\")");
    TEST_ASSERT_INT(info->nsections, 2);
    TEST_ASSERT_STR(info->sections[1].spec, "2");
    TEST_ASSERT_STR(info->sections[1].encoding, "QUOTED-PRINTABLE");
    ASSERT_SECTION(info, "1", "plain");
    ASSERT_SECTION(info, "1.MIME", "Content-Type: text/plain; charset=utf-8\r\n\r\n");
    ASSERT_SECTION(info, "2", "<p>html</p>");
    ASSERT_SECTION(info, "2.MIME",
                   "Content-Type: text/html; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    ASSERT_SECTION(info, "TEXT",
                   "preamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8"
                   "\r\n\r\nplain\r\n--XX\r\nContent-Type: text/html; "
                   "charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
                   "\r\n\r\n<p>html</p>\r\n--XX--\r\nepilogue\r\n");
    assert_section_error(info, "3", ERR_NOTFOUND);
    assert_section_error(info, "1.TEXT", ERR_NOTFOUND);
    message_info_free(&info);
}

/* Dovecot's test-imap-bodystructure.c message: its sizes and line counts
 * (7 1, 412 .. 21, 20 1, 21 1) must come out the same here, in Cyrus's
 * spelling. */
static const char dovecot_msg[] =
    "From: user@domain.org\n"
    "Date: Sat, 24 Mar 2007 23:00:00 +0200\n"
    "Mime-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"foo\n"
    " bar\"\n"
    "\n"
    "Root MIME prologue\n"
    "\n"
    "--foo bar\n"
    "Content-Type: text/x-myown; charset=us-ascii; foo=\"quoted\\\"string\"\n"
    "Content-ID: <foo@example.com>\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
    "Content-Disposition: inline; foo=bar\n"
    "Content-Description: hellodescription\n"
    "Content-Language: en, fi, se\n"
    "Content-Location: http://example.com/test.txt\n"
    "\n"
    "hello\n"
    "\n"
    "--foo bar\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: sub@domain.org\n"
    "To: sub-to1@domain.org, sub-to2@domain.org\n"
    "Date: Sun, 12 Aug 2012 12:34:56 +0300\n"
    "Subject: submsg\n"
    "Content-Type: multipart/alternative; boundary=\"sub1\"\n"
    "\n"
    "Sub MIME prologue\n"
    "--sub1\n"
    "Content-Type: text/html\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "<p>Hello world</p>\n"
    "\n"
    "--sub1\n"
    "Content-Type: text/plain\n"
    "Content-Transfer-Encoding: ?invalid\n"
    "\n"
    "Hello another world\n"
    "\n"
    "--sub1--\n"
    "Sub MIME epilogue\n"
    "\n"
    "--foo bar--\n"
    "Root MIME epilogue\n";

void test_message_rfc822_in_multipart(void)
{
    struct message_info *info = parse_text(dovecot_msg);
    static const char inner_env[] =
        "(\"Sun, 12 Aug 2012 12:34:56 +0300\" \"submsg\" "
        "((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) "
        "((NIL NIL \"sub\" \"domain.org\")) "
        "((NIL NIL \"sub-to1\" \"domain.org\")(NIL NIL \"sub-to2\" \"domain.org\")) "
        "NIL NIL NIL NIL)";
    struct buf want = BUF_INITIALIZER;

    buf_printf(&want,
        "((\"TEXT\" \"X-MYOWN\" (\"CHARSET\" \"us-ascii\" \"FOO\" {13}\r\n"
        "quoted\"string) \"<foo@example.com>\" \"hellodescription\" \"7BIT\" 7 1"
        " \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"INLINE\" (\"FOO\" \"bar\"))"
        " (\"en\" \"fi\" \"se\") \"http://example.com/test.txt\")"
        "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 412 %s"
        " ((\"TEXT\" \"HTML\" NIL NIL NIL \"8BIT\" 20 1 NIL NIL NIL NIL)"
        "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 21 1 NIL NIL NIL NIL)"
        " \"ALTERNATIVE\" (\"BOUNDARY\" \"sub1\") NIL NIL NIL) 21"
        " NIL NIL NIL NIL)"
        " \"MIXED\" (\"BOUNDARY\" \"foo bar\") NIL NIL NIL)", inner_env);
    TEST_ASSERT_STR(info->bodystructure, buf_cstring(&want));
    buf_reset(&want);
    buf_printf(&want,
        "((\"TEXT\" \"X-MYOWN\" (\"CHARSET\" \"us-ascii\" \"FOO\" {13}\r\n"
        "quoted\"string) \"<foo@example.com>\" \"hellodescription\" \"7BIT\" 7 1)"
        "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 412 %s"
        " ((\"TEXT\" \"HTML\" NIL NIL NIL \"8BIT\" 20 1)"
        "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 21 1) \"ALTERNATIVE\") 21)"
        " \"MIXED\")", inner_env);
    TEST_ASSERT_STR(info->body, buf_cstring(&want));

    /* the section table: 1, 2 (a message), 2.1, 2.2 */
    TEST_ASSERT_INT(info->nsections, 4);
    TEST_ASSERT_STR(info->sections[2].spec, "2.1");
    TEST_ASSERT_STR(info->sections[3].spec, "2.2");
    TEST_ASSERT(info->sections[1].is_message);
    TEST_ASSERT(!info->sections[2].is_message);
    TEST_ASSERT(info->sections[2].charset == NULL);
    ASSERT_SECTION(info, "1", "hello\r\n");
    ASSERT_SECTION(info, "2.HEADER",
                   "From: sub@domain.org\r\n"
                   "To: sub-to1@domain.org, sub-to2@domain.org\r\n"
                   "Date: Sun, 12 Aug 2012 12:34:56 +0300\r\n"
                   "Subject: submsg\r\n"
                   "Content-Type: multipart/alternative; boundary=\"sub1\"\r\n"
                   "\r\n");
    ASSERT_SECTION(info, "2.MIME", "Content-Type: message/rfc822\r\n\r\n");
    ASSERT_SECTION(info, "2.1", "<p>Hello world</p>\r\n");
    ASSERT_SECTION(info, "2.2.MIME", "Content-Type: text/plain\r\n"
                   "Content-Transfer-Encoding: ?invalid\r\n\r\n");
    ASSERT_SECTION(info, "2.2", "Hello another world\r\n");
    {
        char *whole = section_text(info, "2"), *text = section_text(info, "2.TEXT");
        TEST_ASSERT_INT(strlen(whole), 412);
        TEST_ASSERT(!strncmp(whole, "From: sub@domain.org\r\n", 22));
        TEST_ASSERT(!strncmp(text, "Sub MIME prologue\r\n--sub1\r\n", 27));
        /* the CRLF before "--foo bar--" belongs to that boundary */
        TEST_ASSERT(!strcmp(whole + strlen(whole) - 19, "Sub MIME epilogue\r\n"));
        TEST_ASSERT(!strcmp(text + strlen(text) - 19, "Sub MIME epilogue\r\n"));
        free(whole);
        free(text);
    }
    assert_section_error(info, "2.3", ERR_NOTFOUND);
    assert_section_error(info, "1.HEADER", ERR_NOTFOUND);
    message_info_free(&info);
    buf_free(&want);
}

/* A message that is itself message/rfc822 with a single-part inside. */
void test_toplevel_message_rfc822(void)
{
    struct message_info *info = parse_text(
        "Subject: outer\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "Subject: inner\n"
        "\n"
        "inner body\n");
    TEST_ASSERT_STR(info->bodystructure,
        "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 30"
        " (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL)"
        " (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1"
        " NIL NIL NIL NIL) 3 NIL NIL NIL NIL)");
    TEST_ASSERT_INT(info->nsections, 2);
    ASSERT_SECTION(info, "1", "Subject: inner\r\n\r\ninner body\r\n");
    ASSERT_SECTION(info, "1.HEADER", "Subject: inner\r\n\r\n");
    ASSERT_SECTION(info, "1.TEXT", "inner body\r\n");
    ASSERT_SECTION(info, "1.1", "inner body\r\n");
    ASSERT_SECTION(info, "1.1.MIME", "Subject: inner\r\n\r\n");
    ASSERT_SECTION(info, "1.MIME", "Subject: outer\r\nContent-Type: "
                   "message/rfc822\r\n\r\n");
    message_info_free(&info);
}

void test_nested_three_deep(void)
{
    struct message_info *info = parse_text(
        "Content-Type: multipart/mixed; boundary=a\n"
        "\n"
        "--a\n"
        "Content-Type: multipart/related; boundary=b\n"
        "\n"
        "--b\n"
        "Content-Type: multipart/alternative; boundary=c\n"
        "\n"
        "--c\n"
        "\n"
        "one\n"
        "--c\n"
        "Content-Type: text/html\n"
        "\n"
        "two\n"
        "--c--\n"
        "--b\n"
        "Content-Type: image/png; name=x.png\n"
        "Content-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"x.png\"\n"
        "\n"
        "iVBORw0KGgo=\n"
        "--b--\n"
        "--a\n"
        "Content-Type: text/plain\n"
        "\n"
        "three\n"
        "--a--\n");
    static const char *const specs[] = { "1", "1.1", "1.1.1", "1.1.2", "1.2", "2" };

    TEST_ASSERT_INT(info->nsections, 6);
    for (size_t i = 0; i < 6; i++)
        TEST_ASSERT_STR(info->sections[i].spec, specs[i]);
    TEST_ASSERT_STR(info->body,
        "((((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1)"
        "(\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 3 1) \"ALTERNATIVE\")"
        "(\"IMAGE\" \"PNG\" (\"NAME\" \"x.png\") NIL NIL \"BASE64\" 12)"
        " \"RELATED\")"
        "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1) \"MIXED\")");
    TEST_ASSERT(strstr(info->bodystructure,
        "(\"IMAGE\" \"PNG\" (\"NAME\" \"x.png\") NIL NIL \"BASE64\" 12 NIL"
        " (\"ATTACHMENT\" (\"FILENAME\" \"x.png\")) NIL NIL)"));
    TEST_ASSERT_STR(info->sections[1].type, "MULTIPART");
    TEST_ASSERT_STR(info->sections[1].subtype, "ALTERNATIVE");
    ASSERT_SECTION(info, "1.1.1", "one");
    ASSERT_SECTION(info, "1.1.1.MIME", "\r\n");
    ASSERT_SECTION(info, "1.1.2", "two");
    ASSERT_SECTION(info, "1.2", "iVBORw0KGgo=");
    ASSERT_SECTION(info, "2", "three");
    ASSERT_SECTION(info, "1.1", "--c\r\n\r\none\r\n--c\r\nContent-Type: "
                   "text/html\r\n\r\ntwo\r\n--c--");
    assert_section_error(info, "1.1.3", ERR_NOTFOUND);
    message_info_free(&info);
}

void test_missing_boundary(void)
{
    struct message_info *info = parse_text(
        "Content-Type: multipart/mixed\n\nsome text\n--x\n");
    /* no boundary: shown as text, whole body */
    TEST_ASSERT_STR(info->bodystructure,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 16 2"
        " NIL NIL NIL NIL)");
    ASSERT_SECTION(info, "1", "some text\r\n--x\r\n");
    message_info_free(&info);

    /* a boundary that never appears: no part either */
    info = parse_text("Content-Type: multipart/mixed; boundary=zz\n\nno parts\n");
    TEST_ASSERT_STR(info->body,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 1)");
    message_info_free(&info);

    /* an empty boundary is no boundary */
    info = parse_text("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n");
    TEST_ASSERT_STR(info->sections[0].type, "TEXT");
    message_info_free(&info);
}

void test_boundary_never_closed(void)
{
    struct message_info *info = parse_text(
        "Content-Type: multipart/mixed; boundary=outer\n"
        "\n"
        "--outer\n"
        "Content-Type: multipart/alternative; boundary=inner\n"
        "\n"
        "--inner\n"
        "\n"
        "a\n"
        "--inner\n"
        "\n"
        "b\n"
        "--outer\n"
        "\n"
        "c\n"
        "--outer-garbage is not a boundary\n"
        "--outerX neither\n"
        "d\n");
    /* the inner multipart ends at the outer boundary; the last part runs
     * to the end of the message */
    TEST_ASSERT_INT(info->nsections, 4);
    ASSERT_SECTION(info, "1.1", "a");
    ASSERT_SECTION(info, "1.2", "b");
    ASSERT_SECTION(info, "2", "c\r\n--outer-garbage is not a boundary\r\n"
                   "--outerX neither\r\nd\r\n");
    message_info_free(&info);

    /* close delimiter with transport padding, boundary with white space */
    info = parse_text(
        "Content-Type: multipart/mixed; boundary=\"b b\"\n"
        "\n"
        "--b b  \n"
        "\n"
        "x\n"
        "--b b--  \n");
    TEST_ASSERT_INT(info->nsections, 1);
    ASSERT_SECTION(info, "1", "x");
    message_info_free(&info);
}

void test_part_without_headers(void)
{
    struct message_info *info = parse_text(
        "Content-Type: multipart/mixed; boundary=b\n"
        "\n"
        "--b\n"
        "\n"
        "no headers\n"
        "--b\n"
        "--b\n"
        "Content-Type: text/plain\n"
        "--b\n"
        "Content-Type: message/rfc822\n"
        "--b--\n");
    TEST_ASSERT_INT(info->nsections, 5);
    /* 1: empty header (just the blank line), default type */
    TEST_ASSERT_INT(info->sections[0].header_size, 2);
    TEST_ASSERT_STR(info->sections[0].charset, "us-ascii");
    ASSERT_SECTION(info, "1", "no headers");
    /* 2: the boundary right after the delimiter: nothing at all */
    ASSERT_SECTION(info, "2", "");
    ASSERT_SECTION(info, "2.MIME", "");
    /* 3: a header ended by the boundary, no body */
    ASSERT_SECTION(info, "3.MIME", "Content-Type: text/plain");
    ASSERT_SECTION(info, "3", "");
    /* 4: a message/rfc822 with no body holds an empty message */
    TEST_ASSERT(info->sections[3].is_message);
    ASSERT_SECTION(info, "4.HEADER", "");
    ASSERT_SECTION(info, "4.TEXT", "");
    TEST_ASSERT(strstr(info->bodystructure,
        "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 0 "
        "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0"
        " NIL NIL NIL NIL) 0 NIL NIL NIL NIL)"));
    message_info_free(&info);
}

void test_header_only_and_empty(void)
{
    struct message_info *info = parse_text("Subject: x\nFrom: y@z");

    TEST_ASSERT_INT(info->header_size, info->size);
    TEST_ASSERT_INT(info->body_size, 0);
    TEST_ASSERT_INT(info->body_lines, 0);
    TEST_ASSERT_STR(info->headers[MESSAGE_HDR_FROM], "y@z");
    ASSERT_SECTION(info, "TEXT", "");
    ASSERT_SECTION(info, "1", "");
    message_info_free(&info);

    info = parse_text("\nBody: not a header\n");
    TEST_ASSERT_INT(info->header_size, 2);
    TEST_ASSERT(info->headers[MESSAGE_HDR_SUBJECT] == NULL);
    ASSERT_SECTION(info, "TEXT", "Body: not a header\r\n");
    message_info_free(&info);

    info = parse_text("");
    TEST_ASSERT_INT(info->size, 0);
    TEST_ASSERT_STR(info->envelope, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    TEST_ASSERT_STR(info->bodystructure,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0"
        " NIL NIL NIL NIL)");
    ASSERT_SECTION(info, "", "");
    message_info_free(&info);

    /* NULL with length 0 is an empty message too */
    TEST_ASSERT_INT(message_parse(NULL, 0, &info), ERR_OK);
    check_consistent(info, 0);
    message_info_free(&info);
}

void test_content_type_parameters(void)
{
    struct message_info *info = parse_text(
        "Content-Type: Application/Octet-Stream (a comment) ;\n"
        " name*1=\"name.txt\"; NAME*0=\"long \\\"\" ; junk ; x=\"a;b\";\n"
        " x=second; charset*=utf-8''%C3%A9; empty=\n"
        "Content-Disposition: attachment; filename*0*=utf-8''caf%C3%A9;\n"
        " filename*1=\" x.txt\"; filename*3=lost\n"
        "Content-Language: en-GB , (comment) de\n"
        "Content-ID: \n"
        "\n"
        "data\n");
    /* order kept, continuations joined, names upper case, values as
     * written, duplicates dropped, an empty value kept */
    TEST_ASSERT_STR(info->bodystructure,
        "(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" {14}\r\nlong \"name.txt"
        " \"X\" \"a;b\" \"CHARSET*\" \"utf-8''%C3%A9\" \"EMPTY\" \"\")"
        " NIL NIL \"7BIT\" 6 NIL"
        " (\"ATTACHMENT\" (\"FILENAME*\" \"utf-8''caf%C3%A9%20x.txt\""
        " \"FILENAME*3\" \"lost\")) (\"en-GB\" \"de\") NIL)");
    TEST_ASSERT(info->sections[0].charset == NULL);
    message_info_free(&info);

    /* unparseable Content-Type: the default */
    info = parse_text("Content-Type: text\n\nx\n");
    TEST_ASSERT_STR(info->body,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1)");
    message_info_free(&info);

    /* multipart/digest parts default to message/rfc822 */
    info = parse_text(
        "Content-Type: multipart/digest; boundary=d\n\n"
        "--d\n\nSubject: one\n\nbody one\n--d--\n");
    TEST_ASSERT_STR(info->body,
        "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 24"
        " (NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL)"
        " (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 8 1)"
        " 3) \"DIGEST\")");
    message_info_free(&info);
}

void test_ten_thousand_parts(void)
{
    struct buf text = BUF_INITIALIZER;
    struct message_info *info;
    struct timespec t0, t1;
    double secs;

    buf_appendcstr(&text, "Content-Type: multipart/mixed; boundary=sep\n\n");
    for (int i = 1; i <= 10000; i++)
        buf_printf(&text, "--sep\nContent-Type: text/plain\n\npart %d\n", i);
    buf_appendcstr(&text, "--sep--\n");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    info = parse_text(buf_cstring(&text));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# 10,000 parts: parse + checks in %.3f s\n", secs);
    TEST_ASSERT(secs < 10.0);
    TEST_ASSERT_INT(info->nsections, 10000);
    for (int i = 1; i <= 10000; i += 997) {
        char *want = xasprintf("part %d", i), *spec = xasprintf("%d", i);
        ASSERT_SECTION(info, spec, want);
        free(want);
        free(spec);
    }
    ASSERT_SECTION(info, "10000", "part 10000");
    assert_section_error(info, "10001", ERR_NOTFOUND);
    message_info_free(&info);
    buf_free(&text);
}

/* Past MESSAGE_MAX_PARTS parts in a message, further parts are not listed
 * but stay in their multipart's body, and the structure stays intact. */
void test_too_many_parts(void)
{
    struct buf text = BUF_INITIALIZER;
    struct message_info *info;
    char *spec;

    buf_appendcstr(&text, "Content-Type: multipart/mixed; boundary=o\n\n"
                   "--o\nContent-Type: multipart/mixed; boundary=b\n\n");
    for (int i = 0; i < MESSAGE_MAX_PARTS + 10; i++)
        buf_appendcstr(&text, "--b\n\nx\n");
    buf_appendcstr(&text, "--b--\n--o\n\nafter\n--o--\n");
    info = parse_text(buf_cstring(&text));
    /* part 1 and MESSAGE_MAX_PARTS - 1 parts inside it */
    TEST_ASSERT_INT(info->nsections, MESSAGE_MAX_PARTS);
    spec = xasprintf("1.%d", MESSAGE_MAX_PARTS - 1);
    TEST_ASSERT_STR(info->sections[info->nsections - 1].spec, spec);
    free(spec);
    assert_section_error(info, "2", ERR_NOTFOUND);
    spec = section_text(info, "1");
    TEST_ASSERT(strstr(spec, "x\r\n--b\r\n\r\nx\r\n--b--"));
    free(spec);
    spec = section_text(info, "TEXT");
    TEST_ASSERT(strstr(spec, "--b--\r\n--o\r\n\r\nafter\r\n--o--\r\n"));
    free(spec);
    message_info_free(&info);
    buf_free(&text);
}

/* Nesting past MESSAGE_MAX_DEPTH: the deepest container becomes an opaque
 * leaf, and the boundaries of the outer levels still work. */
void test_depth_limit(void)
{
    struct buf text = BUF_INITIALIZER, spec = BUF_INITIALIZER;
    struct message_info *info;
    const int levels = 150;
    const struct message_section *deepest;

    for (int i = 0; i < levels; i++)
        buf_printf(&text, "Content-Type: multipart/mixed; boundary=b%d\n\n"
                   "--b%d\n", i, i);
    buf_appendcstr(&text, "\nleaf\n");
    for (int i = levels - 1; i >= 0; i--)
        buf_printf(&text, "--b%d--\n", i);
    info = parse_text(buf_cstring(&text));
    /* parts 1, 1.1, ... : MESSAGE_MAX_DEPTH of them */
    TEST_ASSERT_INT(info->nsections, MESSAGE_MAX_DEPTH);
    deepest = &info->sections[info->nsections - 1];
    TEST_ASSERT_STR(deepest->type, "APPLICATION");
    TEST_ASSERT_STR(deepest->subtype, "OCTET-STREAM");
    for (int i = 0; i < MESSAGE_MAX_DEPTH; i++)
        buf_appendcstr(&spec, i ? ".1" : "1");
    TEST_ASSERT_STR(deepest->spec, buf_cstring(&spec));
    message_info_free(&info);

    /* the same with message/rfc822 inside message/rfc822 */
    buf_reset(&text);
    for (int i = 0; i < levels; i++)
        buf_appendcstr(&text, "Content-Type: message/rfc822\n\n");
    buf_appendcstr(&text, "Subject: deep\n\nleaf\n");
    info = parse_text(buf_cstring(&text));
    TEST_ASSERT_INT(info->nsections, MESSAGE_MAX_DEPTH + 1);
    TEST_ASSERT_STR(info->sections[info->nsections - 1].type, "APPLICATION");
    message_info_free(&info);
    buf_free(&text);
    buf_free(&spec);
}
