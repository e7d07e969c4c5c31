/* test_message.c -- the RFC 5322/MIME parser: normalisation, ENVELOPE and
 * addresses, dates, the cache encoding, and hostile or foreign input
 * (nothing may crash, loop, or leave a range outside the message).  The
 * BODYSTRUCTURE and section cases are in test_message_mime.c. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/message_private.h"
#include "tests/unit/harness.h"
#include "tests/unit/message_check.h"

/* ---- normalisation ------------------------------------------------------ */

static void test_normalize_line_ends(void)
{
    struct buf out = BUF_INITIALIZER;
    static const char in[] = "A: 1\nB: 2\r\nC: 3\r\rD: 4\n\nx\ry\r\nz\n";
    static const char want[] =
        "A: 1\r\nB: 2\r\nC: 3\r\n\r\nD: 4\r\n\r\nx\r\ny\r\nz\r\n";

    TEST_ASSERT_INT(message_normalize(in, sizeof(in) - 1, 1, &out), ERR_OK);
    TEST_ASSERT_MEM(out.s, out.len, want, sizeof(want) - 1);
    /* already normal: unchanged */
    TEST_ASSERT_INT(message_normalize(want, sizeof(want) - 1, 1, &out), ERR_OK);
    TEST_ASSERT_MEM(out.s, out.len, want, sizeof(want) - 1);
    /* empty */
    TEST_ASSERT_INT(message_normalize("", 0, 0, &out), ERR_OK);
    TEST_ASSERT_INT(out.len, 0);
    buf_free(&out);
}

static void test_normalize_8bit_and_nul(void)
{
    struct buf out = BUF_INITIALIZER;
    static const char in[] = "Subject: caf\xc3\xa9\0!\n\nbody \xc3\xa9\0end\n";
    static const char want[] = "Subject: cafXX !\r\n\r\nbody \xc3\xa9\0end\r\n";
    static const char noheader[] = "\nSubject: \xc3\xa9\n";

    TEST_ASSERT_INT(message_normalize(in, sizeof(in) - 1, 0, &out), ERR_OK);
    TEST_ASSERT_MEM(out.s, out.len, want, sizeof(want) - 1);
    /* reject8bit refuses 8-bit header bytes and leaves nothing behind */
    TEST_ASSERT_INT(message_normalize(in, sizeof(in) - 1, 1, &out),
                    ERR_BADFORMAT);
    TEST_ASSERT_INT(out.len, 0);
    /* ... but not 8-bit body bytes, nor NUL anywhere */
    TEST_ASSERT_INT(message_normalize("S: a\0b\n\n\xff\0", 8, 1, &out), ERR_OK);
    TEST_ASSERT_MEM(out.s, out.len, "S: a b\r\n\r\n\xff\0", 10);
    /* a message starting with an empty line has no header at all */
    TEST_ASSERT_INT(message_normalize(noheader, sizeof(noheader) - 1, 1, &out),
                    ERR_OK);
    TEST_ASSERT_MEM(out.s, out.len, "\r\nSubject: \xc3\xa9\r\n", 15);
    buf_free(&out);
}

static void test_unix_from(void)
{
    TEST_ASSERT_INT(message_has_unix_from("From joe Mon Feb  7 1994\n", 25), 1);
    TEST_ASSERT_INT(message_has_unix_from("From: joe@example.com\n", 22), 0);
    TEST_ASSERT_INT(message_has_unix_from("From", 4), 0);
    TEST_ASSERT_INT(message_has_unix_from("", 0), 0);
    TEST_ASSERT_INT(message_has_unix_from("\nFrom x", 7), 0);
}

/* ---- ENVELOPE ----------------------------------------------------------- */

/* RFC 3501 section 8's message, with a 3028-byte, 92-line body. */
static void test_rfc3501_example(void)
{
    struct buf text = BUF_INITIALIZER;
    struct message_info *info;

    buf_appendcstr(&text,
        "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
        "From: Terry Gray <gray@cac.washington.edu>\n"
        "Subject: IMAP4rev1 WG mtg summary and minutes\n"
        "To: imap@cac.washington.edu\n"
        "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\n"
        "Message-Id: <B27397-0100000@cac.washington.edu>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
        "\n");
    for (int i = 0; i < 91; i++)
        buf_appendcstr(&text, "0123456789012345678901234567890\n");
    buf_appendcstr(&text, "01234567890123456789012\n");
    info = parse_text(buf_cstring(&text));
    TEST_ASSERT_STR(info->envelope,
        "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
        "\"IMAP4rev1 WG mtg summary and minutes\" "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((NIL NIL \"imap\" \"cac.washington.edu\")) "
        "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
        "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
        "\"<B27397-0100000@cac.washington.edu>\")");
    TEST_ASSERT_STR(info->body,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)");
    TEST_ASSERT_STR(info->bodystructure,
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92"
        " NIL NIL NIL NIL)");
    TEST_ASSERT_INT(info->body_size, 3028);
    TEST_ASSERT_INT(info->body_lines, 92);
    TEST_ASSERT_INT(info->sent_date, 837595405);
    TEST_ASSERT_STR(info->message_id, "<B27397-0100000@cac.washington.edu>");
    TEST_ASSERT_STR(info->headers[MESSAGE_HDR_CC],
                    "minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>");
    /* Content-Type is not a cached header: BODYSTRUCTURE holds it */
    TEST_ASSERT(!strncmp(info->bodystructure,
                         "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\")", 38));
    TEST_ASSERT(info->headers[MESSAGE_HDR_LIST_ID] == NULL);
    TEST_ASSERT_STR(message_header_name(MESSAGE_HDR_REPLY_TO), "Reply-To");
    message_info_free(&info);
    buf_free(&text);
}

/* RFC 3501's APPEND example, as in the brief. */
static void test_append_example(void)
{
    struct message_info *info = parse_text(
        "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\n"
        "From: Fred Foobar <foobar@Blurdybloop.COM>\n"
        "Subject: afternoon meeting\n"
        "To: mooch@owatagu.siam.edu\n"
        "Message-Id: <B27397-0100000@Blurdybloop.COM>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
        "\n"
        "Hello Joe, do you think we can meet at 3:30 tomorrow?\n");
    TEST_ASSERT_STR(info->envelope,
        "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"afternoon meeting\" "
        "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) "
        "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) "
        "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) "
        "((NIL NIL \"mooch\" \"owatagu.siam.edu\")) NIL NIL NIL "
        "\"<B27397-0100000@Blurdybloop.COM>\")");
    TEST_ASSERT_INT(info->sent_date, 760686745);
    TEST_ASSERT_INT(info->size, 310);
    TEST_ASSERT_INT(info->body_lines, 1);
    message_info_free(&info);
}

/* The address-list field of an ENVELOPE: "From: <value>" parsed alone;
 * the From member is the 3rd element. */
static char *from_of(const char *value)
{
    struct buf text = BUF_INITIALIZER;
    struct message_info *info;
    const char *env, *p;
    char *from;
    int depth = 0;

    buf_printf(&text, "From: %s\n\n", value);
    info = parse_text(buf_cstring(&text));
    env = info->envelope;
    /* skip "(" date SP subject SP: both NIL here */
    TEST_ASSERT(!strncmp(env, "(NIL NIL ", 9));
    p = env + 9;
    /* the From element ends where its parentheses balance */
    for (; *p; p++) {
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\')
                    p++;
        } else if (*p == '{') {
            char *end;
            unsigned long n = strtoul(p + 1, &end, 10);
            p = end + 2 + n;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && --depth == 0) {
            break;
        } else if (depth == 0 && *p == ' ') {
            p--;
            break;
        }
    }
    from = xstrndup(env + 9, (size_t)(p + 1 - (env + 9)));
    message_info_free(&info);
    buf_free(&text);
    return from;
}

#define ASSERT_FROM(value, expected)                                          \
    do {                                                                      \
        char *f_ = from_of(value);                                            \
        TEST_ASSERT_STR(f_, (expected));                                      \
        free(f_);                                                             \
    } while (0)

static void test_addresses(void)
{
    ASSERT_FROM("joe@example.com", "((NIL NIL \"joe\" \"example.com\"))");
    ASSERT_FROM("\"Doe, John\" <john@example.com>",
                "((\"Doe, John\" NIL \"john\" \"example.com\"))");
    /* old style: the comment is the name */
    ASSERT_FROM("john@example.com (John Doe)",
                "((\"John Doe\" NIL \"john\" \"example.com\"))");
    ASSERT_FROM("John (the man) Doe <john@example.com> (ignored)",
                "((\"John Doe\" NIL \"john\" \"example.com\"))");
    /* obsolete phrase with a dot, spaces around dots in addr-spec */
    ASSERT_FROM("John Q. Public <john . q @ example . com>",
                "((\"John Q. Public\" NIL \"john.q\" \"example.com\"))");
    /* quoted local part: RFC 3501 removes the quoting */
    ASSERT_FROM("\"john doe\"@example.com",
                "((NIL NIL \"john doe\" \"example.com\"))");
    ASSERT_FROM("<\"a\\\"b\"@example.com>",
                "((NIL NIL {3}\r\na\"b \"example.com\"))");
    /* route-addr and domain literal */
    ASSERT_FROM("Joe <@relay1,@relay2:joe@[192.0.2.1]>",
                "((\"Joe\" \"@relay1,@relay2\" \"joe\" \"[192.0.2.1]\"))");
    /* groups */
    ASSERT_FROM("undisclosed-recipients:;",
                "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))");
    ASSERT_FROM("Team: a@x.org, Bob <b@y.org>; c@z.org",
                "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.org\")"
                "(\"Bob\" NIL \"b\" \"y.org\")(NIL NIL NIL NIL)"
                "(NIL NIL \"c\" \"z.org\"))");
    /* an unclosed group is closed at the end */
    ASSERT_FROM("Team: a@x.org",
                "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.org\")"
                "(NIL NIL NIL NIL))");
    /* missing parts, per message.h */
    ASSERT_FROM("joe", "((NIL NIL \"joe\" \"MISSING_DOMAIN\"))");
    ASSERT_FROM("Joe <joe>", "((\"Joe\" NIL \"joe\" \"MISSING_DOMAIN\"))");
    ASSERT_FROM("Joe <@example.com>",
                "((\"Joe\" NIL \"MISSING_MAILBOX\" \"example.com\"))");
    ASSERT_FROM("<>", "NIL");
    ASSERT_FROM("", "NIL");
    ASSERT_FROM(",,, ,", "NIL");
    /* encoded words stay encoded */
    ASSERT_FROM("=?iso-8859-1?q?Andr=E9?= <andre@example.com>",
                "((\"=?iso-8859-1?q?Andr=E9?=\" NIL \"andre\" \"example.com\"))");
    /* garbage resynchronises at the next comma */
    ASSERT_FROM("a@b@c, <<d@e>>, f@g>, h@i",
                "((NIL NIL \"a\" \"b\")(NIL NIL \"f\" \"g\")"
                "(NIL NIL \"h\" \"i\"))");
    /* unterminated quote and comment do not run off the end */
    ASSERT_FROM("\"unterminated <x@y>", "((NIL NIL \"unterminated <x@y>\" "
                                        "\"MISSING_DOMAIN\"))");
    ASSERT_FROM("x@y (unterminated", "((\"unterminated\" NIL \"x\" \"y\"))");
}

static void test_envelope_defaults_and_strings(void)
{
    struct message_info *info = parse_text(
        "From: a@example.com\n"
        "Sender: \n"
        "Reply-To: r@example.com\n"
        "Subject: say \"hi\"\\\n"
        "Bcc: b@example.com\n"
        "In-Reply-To: <x@y>\n"
        "\n");
    /* an empty Sender is From; quotes and backslashes go as literals */
    TEST_ASSERT_STR(info->envelope,
        "(NIL {9}\r\nsay \"hi\"\\ ((NIL NIL \"a\" \"example.com\")) "
        "((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"r\" \"example.com\")) "
        "NIL NIL ((NIL NIL \"b\" \"example.com\")) \"<x@y>\" NIL)");
    TEST_ASSERT(info->message_id == NULL);
    TEST_ASSERT_INT(info->sent_date, 0);
    message_info_free(&info);

    /* no header at all */
    info = parse_text("\nbody\n");
    TEST_ASSERT_STR(info->envelope, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    message_info_free(&info);
}

static void test_duplicate_and_folded_headers(void)
{
    struct message_info *info = parse_text(
        "Subject: first\n"
        "Content-Type: text/html;\n"
        "\tcharset=\"utf-8\"\n"
        "Subject: second\n"
        "To: a@example.com,\n"
        "  b@example.com\n"
        "Content-Type: image/png\n"
        "Message-ID:\n"
        " <folded@example.com>  \n"
        "Subject : ignored, the first wins\n"
        "\n"
        "<p>x</p>\n");
    TEST_ASSERT_STR(info->headers[MESSAGE_HDR_SUBJECT], "first");
    TEST_ASSERT_STR(info->headers[MESSAGE_HDR_TO],
                    "a@example.com,  b@example.com");
    TEST_ASSERT_STR(info->message_id, "<folded@example.com>");
    TEST_ASSERT_STR(info->bodystructure,
        "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 10 1"
        " NIL NIL NIL NIL)");
    TEST_ASSERT(strstr(info->envelope, "((NIL NIL \"a\" \"example.com\")"
                                       "(NIL NIL \"b\" \"example.com\"))"));
    message_info_free(&info);
}

static void test_long_header_line(void)
{
    struct buf text = BUF_INITIALIZER, want = BUF_INITIALIZER;
    struct message_info *info;
    char *subject = xmalloc(100001);

    memset(subject, 'a', 100000);
    subject[100000] = '\0';
    buf_printf(&text, "Subject: %s\nTo: ", subject);
    for (int i = 0; i < 5000; i++)
        buf_printf(&text, "%su%d@example.com", i ? ", " : "", i);
    buf_appendcstr(&text, "\n\nbody\n");
    info = parse_text(buf_cstring(&text));
    buf_printf(&want, "(NIL {100000}\r\n%s NIL NIL NIL ((NIL NIL \"u0\" ",
               subject);
    TEST_ASSERT(!strncmp(info->envelope, want.s, want.len));
    TEST_ASSERT(strstr(info->envelope,
                       "(NIL NIL \"u4999\" \"example.com\")) NIL NIL NIL NIL)"));
    TEST_ASSERT_INT(strlen(info->headers[MESSAGE_HDR_SUBJECT]), 100000);
    message_info_free(&info);
    free(subject);
    buf_free(&text);
    buf_free(&want);
}

static void test_encoded_words_and_8bit(void)
{
    static const char raw[] =
        "Subject: =?utf-8?q?caf=C3=A9?= and caf\xc3\xa9\r\n"
        "From: \xc3\xa9t\xc3\xa9 <e@example.com>\r\n"
        "\r\n"
        "8-bit body \xc3\xa9\r\n";
    struct message_info *info;

    /* the parser takes un-normalised 8-bit headers too: literals */
    TEST_ASSERT_INT(message_parse(raw, sizeof(raw) - 1, &info), ERR_OK);
    check_consistent(info, sizeof(raw) - 1);
    TEST_ASSERT_STR(info->envelope,
        "(NIL {31}\r\n=?utf-8?q?caf=C3=A9?= and caf\xc3\xa9 "
        "(({5}\r\n\xc3\xa9t\xc3\xa9 NIL \"e\" \"example.com\")) "
        "(({5}\r\n\xc3\xa9t\xc3\xa9 NIL \"e\" \"example.com\")) "
        "(({5}\r\n\xc3\xa9t\xc3\xa9 NIL \"e\" \"example.com\")) "
        "NIL NIL NIL NIL NIL)");
    message_info_free(&info);

    /* normalised: the header's 8-bit bytes are X, the body's stay */
    info = parse_text(raw);
    TEST_ASSERT_STR(info->headers[MESSAGE_HDR_SUBJECT],
                    "=?utf-8?q?caf=C3=A9?= and cafXX");
    ASSERT_SECTION(info, "TEXT", "8-bit body \xc3\xa9\r\n");
    message_info_free(&info);
}

static void test_nul_bytes(void)
{
    static const char raw[] = "Subject: a\0b\r\n\r\nx\0y\r\nz\r\n";
    struct message_info *info;
    size_t off, len;

    TEST_ASSERT_INT(message_parse(raw, sizeof(raw) - 1, &info), ERR_OK);
    check_consistent(info, sizeof(raw) - 1);
    /* a header NUL reads as a space; a body NUL cuts nothing */
    TEST_ASSERT_STR(info->headers[MESSAGE_HDR_SUBJECT], "a b");
    TEST_ASSERT_INT(info->body_size, 8);
    TEST_ASSERT_INT(info->body_lines, 2);
    TEST_ASSERT_INT(message_find_section(info, "1", &off, &len), ERR_OK);
    TEST_ASSERT_MEM(raw + off, len, "x\0y\r\nz\r\n", 8);
    message_info_free(&info);
}

/* ---- dates -------------------------------------------------------------- */

static void assert_date(const char *s, long long expected)
{
    time_t t = 12345;
    int r = message_parse_date(s, strlen(s), &t);
    if (expected < 0) {
        if (r != ERR_BADFORMAT)
            test_fail(__FILE__, __LINE__, "date \"%s\" accepted", s);
    } else if (r != ERR_OK || t != expected) {
        test_fail(__FILE__, __LINE__, "date \"%s\": r=%d t=%lld, want %lld",
                  s, r, (long long)t, expected);
    }
}

static void test_dates(void)
{
    assert_date("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", 837595405);
    assert_date("17 Jul 1996 02:23:25 -0700", 837595405);
    assert_date("Wed,17 Jul 1996 09:23:25 GMT", 837595405);
    assert_date("Wed, 17 Jul 96 02:23:25 PDT", 837595405);
    assert_date("Wed, 17 Jul 96 02:23:25 -0700", 837595405);
    assert_date("Wednesday, 17-Jul-1996 09:23:25 UT", 837595405);
    assert_date("Wed, 17 Jul 1996 (a comment) 09:23:25", 837595405);
    assert_date("Wed, 17 Jul 1996 09:23:25 Z", 837595405);
    assert_date("  17  jul  1996  09:23:25  +0000  ", 837595405);
    assert_date("Wed Jul 17 09:23:25 1996", 837595405);
    assert_date("Wed Jul 17 02:23:25 PDT 1996", 837595405);
    assert_date("Mon, 7 Feb 1994 21:52:25 -0800", 760686745);
    assert_date("Fri, 31 Dec 49 23:59 +0000", 2524607940LL);
    assert_date("Fri, 1 Jan 099 00:00:00 +0000", 915148800);
    assert_date("Tue, 29 Feb 2000 12:00:00 +0000", 951825600);
    assert_date("Thu, 1 Jan 1970 00:00:00 +0000", 0);
    assert_date("", -1);
    assert_date("garbage", -1);
    assert_date("Wed, 17 Jul", -1);
    assert_date("Wed, 32 Jul 1996 09:23:25", -1);
    assert_date("Tue, 29 Feb 1900 12:00:00", -1);
    assert_date("Mon, 29 Feb 2001 12:00:00", -1);
    assert_date("Wed, 17 Foo 1996 09:23:25", -1);
    assert_date("Wed, 17 Jul 1996 25:23:25", -1);
    assert_date("Wed, 17 Jul 1996 09:60:25", -1);
    assert_date("Wed, 17 Jul 1996 09:23:25:11", -1);
    assert_date("Wed, 17 Jul 1969 09:23:25", -1);
    assert_date("Wed, 17 Jul 1234567890123 09:23:25", -1);
    assert_date("(unclosed comment 17 Jul 1996 09:23:25", -1);
}

/* ---- the cache encoding ------------------------------------------------- */

/* A version 2 cache entry of info, as message_info_encode wrote them
 * before version 3 (the reader must still take them). */
static void put_varint(struct buf *out, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        buf_putc(out, (char)(v | 0x80));
    buf_putc(out, (char)v);
}

static void put_str(struct buf *out, const char *s)
{
    put_varint(out, s ? strlen(s) + 1 : 0);
    if (s)
        buf_appendcstr(out, s);
}

static void encode_v2(const struct message_info *info, const char *envelope,
                      const char *content_type, struct buf *out)
{
    buf_putc(out, 2);
    put_varint(out, info->size);
    put_varint(out, info->header_size);
    put_varint(out, info->body_lines);
    put_varint(out, (uint64_t)info->sent_date << 1);
    put_str(out, envelope);
    put_str(out, info->bodystructure);
    put_varint(out, MESSAGE_HDR__COUNT + 1);
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++)
        put_str(out, info->headers[i]);
    put_str(out, content_type);
    put_varint(out, info->nsections);
    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *sec = &info->sections[i];
        put_str(out, sec->spec);
        put_str(out, sec->type);
        put_str(out, sec->subtype);
        put_str(out, sec->encoding);
        put_str(out, sec->charset);
        put_varint(out, sec->header_offset);
        put_varint(out, sec->header_size);
        put_varint(out, sec->body_offset);
        put_varint(out, sec->body_size);
        buf_putc(out, (char)sec->is_message);
        if (sec->is_message) {
            put_varint(out, sec->inner_header_offset);
            put_varint(out, sec->inner_header_size);
            put_varint(out, sec->inner_body_offset);
            put_varint(out, sec->inner_body_size);
        }
    }
}

/* Pack and unpack: exact for any wire value, compact for ours, and the
 * unpacker is safe on any bytes. */
static void test_pack_wire(void)
{
    static const char *const wires[] = {
        /* as message_body.c writes them */
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 0 "
        "4294967295 NIL NIL NIL NIL)",
        "((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)(\"TEXT\" \"HTML\" "
        "(\"CHARSET\" \"x-odd\") \"<id>\" {6}\r\nd\"e\\sc NIL \"BASE64\" 12 1) "
        "\"ALTERNATIVE\" (\"BOUNDARY\" \"\") NIL (\"en\" \"tlh\") NIL)",
        "{0}\r\n",
        /* never written by us: kept whole, still exact */
        "(a b)", "( x)", "(x )", "()", "NIL  NIL", "(\"a\\\"b\")",
        "{5}\r\nab", "007", "4294967296", "(NILS)", "", ")(", "((x)",
    };
    struct buf packed = BUF_INITIALIZER, out = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(wires) / sizeof(wires[0]); i++) {
        const char *w = wires[i];
        buf_reset(&packed);
        buf_reset(&out);
        message_pack_wire(&packed, w, strlen(w));
        TEST_ASSERT_INT(message_unpack_wire(packed.s, packed.len, &out),
                        ERR_OK);
        TEST_ASSERT_MEM(out.s, out.len, w, strlen(w));
        if (i < 3)
            TEST_ASSERT(packed.len < strlen(w));
        else
            TEST_ASSERT_INT(packed.len, strlen(w) + 1);
        if (i == 0)     /* one byte an item, the numbers 2 and 6 */
            TEST_ASSERT_INT(packed.len, 23);
    }
    /* the words table: each word is found at its own number, once */
    for (uint64_t k = 0; message_pack_word_at(k); k++) {
        const char *w = message_pack_word_at(k);
        TEST_ASSERT_INT(message_pack_word(w, strlen(w)), (long)k);
    }
    TEST_ASSERT_INT(message_pack_word("TEX", 3), -1);
    TEST_ASSERT_INT(message_pack_word("TEXTS", 5), -1);

    /* any truncation, any changed byte: ERR_OK or a refusal that leaves
     * out as it was, never a read past the end (the sanitizer build) */
    buf_reset(&packed);
    message_pack_wire(&packed, wires[1], strlen(wires[1]));
    for (size_t n = 0; n <= packed.len; n++) {
        char *copy = xmemdup(packed.s, n ? n : 1);
        buf_setcstr(&out, "keep");
        int r = message_unpack_wire(copy, n, &out);
        TEST_ASSERT(r == ERR_OK || (r == ERR_BADFORMAT && out.len == 4));
        free(copy);
    }
    for (size_t i = 0; i < packed.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char *copy = xmemdup(packed.s, packed.len);
            copy[i] ^= (char)(1 << bit);
            buf_setcstr(&out, "keep");
            int r = message_unpack_wire(copy, packed.len, &out);
            TEST_ASSERT(r == ERR_OK || (r == ERR_BADFORMAT && out.len == 4));
            free(copy);
        }
    }
    buf_free(&packed);
    buf_free(&out);
}

/* Date and In-Reply-To are not stored when the entry writes them again
 * byte for byte; every other form is stored, and all come back exact. */
static void test_cache_derived_headers(void)
{
    static const struct { const char *date; int derived; } dates[] = {
        { "Mon, 2 Feb 2026 01:01:00 +0000", 1 },
        { "Mon, 02 Feb 2026 01:01:00 +0000", 1 },
        { "2 Feb 2026 01:01:00 +0000", 1 },
        { "Sun, 1 Feb 2026 17:01:00 -0800", 1 },
        { "Mon, 2 Feb 2026 06:31:00 +0530", 1 },
        { "Fri, 13 Dec 1901 20:45:52 +0000", 0 },   /* before 1970 */
        { "Tue, 2 Feb 2026 01:01:00 +0000", 0 },    /* wrong weekday */
        { "Mon, 2 Feb 2026 01:01:00 -0000", 0 },    /* zone unknown */
        { "Mon, 2 Feb 2026 01:01:00 +0000 (UTC)", 0 },
        { "Mon, 2 Feb 2026 01:01 +0000", 0 },
        { "Mon,  2 Feb 2026 01:01:00 +0000", 0 },
        { "Mon, 2 Feb 26 01:01:00 +0000", 0 },
        { "Mon, 2 Feb 2026 01:01:00 GMT", 0 },
        { "+0000", 0 },
        { "x", 0 },
        { "Fri, 31 Dec 9999 23:59:59 +0000", 1 },
        { "Sat, 1 Jan 10000 00:00:00 +0000", 0 },
    };
    static const struct { const char *irt, *refs; int derived; } irts[] = {
        { "<b@x>", "<a@x> <b@x>", 1 },
        { "<b@x>", "<b@x>", 1 },
        { "<a@x>", "<a@x> <b@x>", 0 },
        { "<b@x> (reply)", "<a@x> <b@x>", 0 },
        { "<b@x>", "<a@x>\t<b@x> ", 1 },           /* values are trimmed */
        { "<b@x>", "<a@x> <b@x> junk", 0 },
        { "<b@x>", NULL, 0 },
        { "b@x", "b@x", 0 },
    };
    struct buf text = BUF_INITIALIZER, enc = BUF_INITIALIZER;
    struct message_info *info, *back;
    int derived;

    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        buf_reset(&text);
        buf_printf(&text, "Date: %s\nSubject: s\n\nbody\n", dates[i].date);
        info = parse_text(text.s);          /* round trips (check_consistent) */
        buf_reset(&enc);
        message_info_encode(info, &enc);
        if ((memmem(enc.s, enc.len, dates[i].date,
                    strlen(dates[i].date)) == NULL) != dates[i].derived)
            test_fail(__FILE__, __LINE__, "date %s: derived should be %d",
                      dates[i].date, dates[i].derived);
        TEST_ASSERT_INT(message_info_decode(enc.s, enc.len, &back), ERR_OK);
        TEST_ASSERT_STR(back->headers[MESSAGE_HDR_DATE], dates[i].date);
        message_info_free(&back);
        message_info_free(&info);
    }
    for (size_t i = 0; i < sizeof(irts) / sizeof(irts[0]); i++) {
        buf_reset(&text);
        buf_printf(&text, "In-Reply-To: %s\n", irts[i].irt);
        if (irts[i].refs)
            buf_printf(&text, "References: %s\n", irts[i].refs);
        buf_appendcstr(&text, "\nbody\n");
        info = parse_text(text.s);
        /* (not the raw lines, which hold the field whether derived or not) */
        free(info->header_fields);
        info->header_fields = NULL;
        buf_reset(&enc);
        message_info_encode(info, &enc);
        /* derived: the entry is no longer than without the field */
        {
            struct buf none = BUF_INITIALIZER;
            char *keep = info->headers[MESSAGE_HDR_IN_REPLY_TO];
            info->headers[MESSAGE_HDR_IN_REPLY_TO] = NULL;
            message_info_encode(info, &none);
            info->headers[MESSAGE_HDR_IN_REPLY_TO] = keep;
            derived = none.len == enc.len;
            buf_free(&none);
        }
        if (irts[i].derived != derived)
            test_fail(__FILE__, __LINE__, "in-reply-to %s: derived should be %d",
                      irts[i].irt, irts[i].derived);
        TEST_ASSERT_INT(message_info_decode(enc.s, enc.len, &back), ERR_OK);
        TEST_ASSERT_STR(back->headers[MESSAGE_HDR_IN_REPLY_TO],
                        info->headers[MESSAGE_HDR_IN_REPLY_TO]);
        message_info_free(&back);
        message_info_free(&info);
    }
    /* a derived code where none may stand is refused: in the Subject
     * slot, or an In-Reply-To taken from References that are absent */
    {
        static const struct { const char *text, *raw; } bad[] = {
            { "Subject: s\n\nbody\n", "\x04s" },
            { "In-Reply-To: <a@x>\n\nbody\n", "\x0c<a@x>" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            struct message_cache_peek pk;
            const char *at;
            size_t n = strlen(bad[i].raw);
            info = parse_text(bad[i].text);
            buf_reset(&enc);
            message_info_encode(info, &enc);
            at = memmem(enc.s, enc.len, bad[i].raw, n);
            TEST_ASSERT(at != NULL);
            buf_remove(&enc, (size_t)(at - enc.s) + 1, n - 1);
            enc.s[at - enc.s] = 1;          /* the code 2 * 0 + 1 */
            TEST_ASSERT_INT(message_cache_peek(enc.s, enc.len, &pk),
                            ERR_BADFORMAT);
            back = (struct message_info *)1;
            TEST_ASSERT_INT(message_info_decode(enc.s, enc.len, &back),
                            ERR_BADFORMAT);
            TEST_ASSERT(back == NULL);
            message_info_free(&info);
        }
    }
    buf_free(&text);
    buf_free(&enc);
}

static void test_cache_round_trip_and_corruption(void)
{
    struct message_info *info = parse_text(
        "Subject: cached\n"
        "Date: Sat, 24 Mar 2007 23:00:00 +0200\n"
        "Message-ID: <c@example.com>\n"
        "Content-Type: multipart/mixed; boundary=b\n"
        "\n"
        "--b\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "one\n"
        "--b\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "Subject: inner\n"
        "\n"
        "two\n"
        "--b--\n"), *back;
    struct buf enc = BUF_INITIALIZER, env = BUF_INITIALIZER;
    struct buf scratch = BUF_INITIALIZER;
    char *copy;

    message_info_encode(info, &enc);
    TEST_ASSERT_INT((unsigned char)enc.s[0], MESSAGE_CACHE_VERSION);
    TEST_ASSERT_INT(message_info_decode_wire(enc.s, enc.len, &back), ERR_OK);
    assert_same_info(info, back);
    message_info_free(&back);

    /* every truncation and every flipped byte is refused */
    for (size_t n = 0; n < enc.len; n++) {
        back = (struct message_info *)1;
        TEST_ASSERT_INT(message_info_decode(enc.s, n, &back), ERR_BADFORMAT);
        TEST_ASSERT(back == NULL);
        back = (struct message_info *)1;
        TEST_ASSERT_INT(message_info_decode_wire(enc.s, n, &back),
                        ERR_BADFORMAT);
        TEST_ASSERT(back == NULL);
    }
    /* a flipped byte is refused or decodes to something self-consistent
     * (cyrus.cache's own CRC catches it first); it never crashes or reads
     * past the entry (the sanitizer build checks that) */
    copy = xmemdup(enc.s, enc.len);
    for (size_t i = 0; i < enc.len; i++) {
        int r;
        copy[i] ^= 0x20;
        r = message_info_decode(copy, enc.len, &back);
        TEST_ASSERT(r == ERR_OK || r == ERR_BADFORMAT);
        TEST_ASSERT((r == ERR_OK) == (back != NULL));
        message_info_free(&back);
        r = message_info_decode_wire(copy, enc.len, &back);
        TEST_ASSERT(r == ERR_OK || r == ERR_BADFORMAT);
        TEST_ASSERT((r == ERR_OK) == (back != NULL));
        message_info_free(&back);
        copy[i] ^= 0x20;
    }
    free(copy);

    /* an entry whose ranges lie outside its message, or whose version is
     * unknown, or with trailing bytes, is refused */
    {
        struct buf bad = BUF_INITIALIZER;
        info->sections[1].body_size = info->size;
        message_info_encode(info, &bad);
        TEST_ASSERT_INT(message_info_decode(bad.s, bad.len, &back), ERR_BADFORMAT);
        buf_reset(&bad);
        info->sections[1].body_size = 1;
        message_info_encode(info, &bad);
        bad.s[0] = MESSAGE_CACHE_VERSION + 1;
        TEST_ASSERT_INT(message_info_decode(bad.s, bad.len, &back), ERR_BADFORMAT);
        bad.s[0] = 1;           /* version 1 entries are not read: reconstruct */
        TEST_ASSERT_INT(message_info_decode(bad.s, bad.len, &back), ERR_BADFORMAT);
        buf_reset(&bad);
        message_info_encode(info, &bad);
        buf_putc(&bad, 'x');
        TEST_ASSERT_INT(message_info_decode(bad.s, bad.len, &back), ERR_BADFORMAT);
        buf_free(&bad);
    }

    /* the in-place prefix agrees with the full decode */
    {
        struct message_cache_peek pk;
        TEST_ASSERT_INT(message_cache_peek(enc.s, enc.len, &pk), ERR_OK);
        TEST_ASSERT_INT(pk.size, info->size);
        TEST_ASSERT_INT(pk.header_size, info->header_size);
        TEST_ASSERT_INT(pk.body_lines, info->body_lines);
        /* BODYSTRUCTURE is stored packed, and unpacks to the same bytes */
        TEST_ASSERT(pk.bodystructure_len < strlen(info->bodystructure) / 2);
        buf_reset(&env);
        TEST_ASSERT_INT(message_cache_bodystructure(&pk, &env), ERR_OK);
        TEST_ASSERT_MEM(env.s, env.len, info->bodystructure,
                        strlen(info->bodystructure));
        /* the ENVELOPE is not stored but made again, byte for byte */
        TEST_ASSERT(pk.envelope == NULL);
        TEST_ASSERT(!memmem(enc.s, enc.len, info->envelope,
                            strlen(info->envelope)));
        buf_reset(&env);
        buf_setcstr(&scratch, "left over");
        message_cache_envelope(&pk, &scratch, &env);
        TEST_ASSERT_MEM(env.s, env.len, info->envelope,
                        strlen(info->envelope));
        TEST_ASSERT_INT(message_cache_peek(enc.s, 3, &pk), ERR_BADFORMAT);
    }

    /* a version 2 entry (the ENVELOPE and BODYSTRUCTURE stored as text,
     * Content-Type a 13th cached header) is still read, its stored
     * ENVELOPE used as it is */
    {
        struct buf v2 = BUF_INITIALIZER;
        struct message_cache_peek pk;
        encode_v2(info, "(OLD STYLE)", "multipart/mixed; boundary=b", &v2);
        TEST_ASSERT_INT(message_cache_peek(v2.s, v2.len, &pk), ERR_OK);
        TEST_ASSERT_INT(pk.version, 2);
        buf_reset(&env);
        message_cache_envelope(&pk, &scratch, &env);
        TEST_ASSERT_MEM(env.s, env.len, "(OLD STYLE)", 11);
        buf_reset(&env);
        TEST_ASSERT_INT(message_cache_bodystructure(&pk, &env), ERR_OK);
        TEST_ASSERT_MEM(env.s, env.len, info->bodystructure,
                        strlen(info->bodystructure));
        TEST_ASSERT_INT(message_info_decode_wire(v2.s, v2.len, &back), ERR_OK);
        TEST_ASSERT_STR(back->envelope, "(OLD STYLE)");
        {
            char *keep = info->envelope, *fields = info->header_fields;
            /* no raw header lines before version 4: FETCH reads the file */
            TEST_ASSERT(back->header_fields == NULL);
            info->envelope = back->envelope;
            info->header_fields = NULL;
            assert_same_info(info, back);
            info->envelope = keep;
            info->header_fields = fields;
        }
        message_info_free(&back);
        buf_free(&v2);
    }

    /* encode appends: two entries back to back decode separately */
    {
        size_t first = enc.len;
        message_info_encode(info, &enc);
        TEST_ASSERT_INT(message_info_decode(enc.s + first, enc.len - first,
                                            &back), ERR_OK);
        message_info_free(&back);
    }
    message_info_free(&info);
    buf_free(&enc);
    buf_free(&env);
    buf_free(&scratch);
}

/* ---- hostile input ------------------------------------------------------ */

/* A tiny deterministic PRNG so failures reproduce. */
static unsigned long long rng_state = 88172645463325252ULL;
static unsigned rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)rng_state;
}

/* BODY cut out of BODYSTRUCTURE: literals, nested message/rfc822 and
 * multipart extension data; anything malformed is refused unchanged. */
static void test_body_from_structure(void)
{
    static const struct { const char *bs, *body; } ok[] = {
        { "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1 NIL NIL NIL NIL)",
          "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1)" },
        { "(\"APPLICATION\" \"PDF\" ({4}\r\nN)(a \"x\") NIL {3}\r\n) ( \"BASE64\" 10 NIL (\"ATTACHMENT\" NIL) NIL NIL)",
          "(\"APPLICATION\" \"PDF\" ({4}\r\nN)(a \"x\") NIL {3}\r\n) ( \"BASE64\" 10)" },
        { "((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 9 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"HTML\" NIL NIL NIL \"8BIT\" 2 1 \"md5\" NIL NIL NIL) 4 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)",
          "((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 9 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"HTML\" NIL NIL NIL \"8BIT\" 2 1) 4) \"MIXED\")" },
    };
    static const char *const bad[] = {
        "", "(", "()", "(\"TEXT\" \"PLAIN\")", "((\"TEXT\"", "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 3 1",
        "(\"A\" \"B\" {9}\r\nx NIL NIL \"7BIT\" 3)", "(\"A\" \"B\" NIL NIL NIL \"7BIT\" 3) x",
        "(\"A\" \"B\" NIL NIL NIL \"7BIT\" 3 (NIL))",
    };
    struct buf out = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        buf_setcstr(&out, "x");
        TEST_ASSERT_INT(message_body_from_structure(ok[i].bs, strlen(ok[i].bs),
                                                    &out), ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&out) + 1, ok[i].body);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_setcstr(&out, "x");
        TEST_ASSERT_INT(message_body_from_structure(bad[i], strlen(bad[i]),
                                                    &out), ERR_BADFORMAT);
        TEST_ASSERT_STR(buf_cstring(&out), "x");
    }
    buf_free(&out);
}

static void test_mutations(void)
{
    static const char *const pieces[] = {
        "\r\n", "\n", "\r", "--", "--b", "--b--", "--c", ":", " ", "\t", "\0",
        "\xff", "\"", "\\", "(", ")", "<", ">", "@", ",", ";", "=",
        "Content-Type: multipart/mixed; boundary=b\r\n",
        "Content-Type: multipart/alternative; boundary=\"c\"\r\n",
        "Content-Type: message/rfc822\r\n", "Content-Type: multipart/digest; boundary=b\r\n",
        "From: a <b@c>, g: d@e;\r\n", "Subject: =?x?q?y?=\r\n",
        "Content-Disposition: a; f*0*=x; f*1=y\r\n", "\r\n\r\n", "Date: 1 Jan 2000 00:00 +0100\r\n",
    };
    const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
    struct buf m = BUF_INITIALIZER;

    for (int round = 0; round < 3000; round++) {
        struct message_info *info;
        int n = 1 + (int)(rng() % 40);
        buf_reset(&m);
        for (int i = 0; i < n; i++) {
            const char *p = pieces[rng() % npieces];
            buf_appendmap(&m, p, *p ? strlen(p) : 1);
        }
        TEST_ASSERT_INT(message_parse(m.s, m.len, &info), ERR_OK);
        check_consistent(info, m.len);
        message_info_free(&info);
        /* and the normalised form agrees on the structure's sanity */
        TEST_ASSERT_INT(message_normalize(m.s, m.len, 0, &msgbuf), ERR_OK);
        TEST_ASSERT_INT(message_parse(msgbuf.s, msgbuf.len, &info), ERR_OK);
        check_consistent(info, msgbuf.len);
        message_info_free(&info);
    }
    buf_free(&m);
}

/* Header shapes that would be quadratic in a naive parser: each must
 * parse in well under a second (seconds would mean O(n^2)). */
static void test_hostile_headers_are_linear(void)
{
    static const char *const shapes[][2] = {
        { "From: ", "<@a," },               /* routes that never end */
        { "To: ", "<@a,@b,@c" },
        { "To: ", "g:" },                   /* groups that never close */
        { "Cc: ", "(" },                    /* a comment that never closes */
        { "Bcc: ", "\"x\" <" },
        { "Content-Type: text/plain; ", "a*0*=x; " },   /* RFC 2231 */
        { "Content-Type: text/plain; ", "a=b; " },
        { "Content-Language: ", "x ; " },
        { "Date: ", "1 " },
    };
    struct buf text = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        struct message_info *info;
        struct timespec t0, t1;
        double secs;

        buf_setcstr(&text, shapes[i][0]);
        for (int k = 0; k < 50000; k++)
            buf_appendcstr(&text, shapes[i][1]);
        buf_appendcstr(&text, "\r\n\r\nbody\r\n");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        TEST_ASSERT_INT(message_parse(text.s, text.len, &info), ERR_OK);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double)(t1.tv_sec - t0.tv_sec) +
               (t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (secs > 3.0)
            test_fail(__FILE__, __LINE__, "shape %zu took %.2f s", i, secs);
        check_consistent(info, text.len);
        message_info_free(&info);
    }
    buf_free(&text);
}

/* Python's email test messages (Debian: libpython3.11-testsuite): odd
 * MIME written by other people.  $CHAPAR_EMAIL_CORPUS overrides the
 * directory. */
static void test_python_email_corpus(void)
{
    const char *dir = getenv("CHAPAR_EMAIL_CORPUS");
    DIR *d;
    struct dirent *de;
    int count = 0;

    if (!dir)
        dir = "/usr/lib/python3.11/test/test_email/data";
    if (!(d = opendir(dir))) {
        printf("# note: %s not found (Debian package libpython3.11-testsuite);"
               " corpus check skipped\n", dir);
        return;
    }
    while ((de = readdir(d))) {
        char *path, *data;
        size_t len;
        struct message_info *info;

        if (strncmp(de->d_name, "msg_", 4) ||
            strlen(de->d_name) < 8 ||
            strcmp(de->d_name + strlen(de->d_name) - 4, ".txt"))
            continue;
        path = strconcat(dir, "/", de->d_name, (char *)NULL);
        TEST_ASSERT_INT(util_read_file(path, &data, &len), ERR_OK);
        TEST_ASSERT_INT(message_normalize(data, len, 0, &msgbuf), ERR_OK);
        TEST_ASSERT_INT(message_parse(msgbuf.s, msgbuf.len, &info), ERR_OK);
        check_consistent(info, msgbuf.len);
        message_info_free(&info);
        /* the raw file (LF line ends, maybe 8-bit headers) too */
        TEST_ASSERT_INT(message_parse(data, len, &info), ERR_OK);
        check_consistent(info, len);
        message_info_free(&info);
        free(data);
        free(path);
        count++;
    }
    closedir(d);
    printf("# parsed %d messages from %s\n", count, dir);
    TEST_ASSERT(count > 0);
}

TEST_MAIN("message",
          TEST_CASE(test_normalize_line_ends),
          TEST_CASE(test_body_from_structure),
          TEST_CASE(test_normalize_8bit_and_nul),
          TEST_CASE(test_unix_from),
          TEST_CASE(test_rfc3501_example),
          TEST_CASE(test_append_example),
          TEST_CASE(test_addresses),
          TEST_CASE(test_envelope_defaults_and_strings),
          TEST_CASE(test_duplicate_and_folded_headers),
          TEST_CASE(test_long_header_line),
          TEST_CASE(test_encoded_words_and_8bit),
          TEST_CASE(test_nul_bytes),
          TEST_CASE(test_text_plain_default),
          TEST_CASE(test_multipart_alternative),
          TEST_CASE(test_message_rfc822_in_multipart),
          TEST_CASE(test_toplevel_message_rfc822),
          TEST_CASE(test_nested_three_deep),
          TEST_CASE(test_missing_boundary),
          TEST_CASE(test_boundary_never_closed),
          TEST_CASE(test_part_without_headers),
          TEST_CASE(test_header_only_and_empty),
          TEST_CASE(test_content_type_parameters),
          TEST_CASE(test_ten_thousand_parts),
          TEST_CASE(test_too_many_parts),
          TEST_CASE(test_depth_limit),
          TEST_CASE(test_dates),
          TEST_CASE(test_pack_wire),
          TEST_CASE(test_cache_derived_headers),
          TEST_CASE(test_cache_round_trip_and_corruption),
          TEST_CASE(test_mutations),
          TEST_CASE(test_hostile_headers_are_linear),
          TEST_CASE(test_python_email_corpus))
