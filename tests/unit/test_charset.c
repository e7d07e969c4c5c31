/* test_charset.c -- charset names, conversion to UTF-8 (Latin-1,
 * windows-1252, bad UTF-8), quoted-printable and base64 (malformed input
 * too), RFC 2047 words, the case-folded search form, and the streaming
 * matcher checked against converting, folding and memmem. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "imap/mailstore/charset.h"
#include "tests/unit/harness.h"

static struct buf out = BUF_INITIALIZER;

static const char *to_utf8(int cs, const char *s, size_t len)
{
    buf_reset(&out);
    charset_to_utf8(cs, s, len, &out);
    return buf_cstring(&out);
}

static const char *qp(const char *s, int header)
{
    buf_reset(&out);
    charset_decode_qp(s, strlen(s), header, &out);
    return buf_cstring(&out);
}

static const char *b64(const char *s)
{
    buf_reset(&out);
    charset_decode_base64(s, strlen(s), &out);
    return buf_cstring(&out);
}

static const char *hdr(const char *s)
{
    buf_reset(&out);
    charset_decode_header(s, strlen(s), &out);
    return buf_cstring(&out);
}

static const char *form(const char *s)
{
    buf_reset(&out);
    charset_search_form(s, strlen(s), &out);
    return buf_cstring(&out);
}

static void test_lookup(void)
{
    TEST_ASSERT_INT(charset_lookup("UTF-8", 5), CHARSET_UTF8);
    TEST_ASSERT_INT(charset_lookup("utf8", 4), CHARSET_UTF8);
    TEST_ASSERT_INT(charset_lookup("Us-Ascii", 8), CHARSET_US_ASCII);
    TEST_ASSERT_INT(charset_lookup("ISO-8859-1", 10), CHARSET_ISO_8859_1);
    TEST_ASSERT_INT(charset_lookup("latin1", 6), CHARSET_ISO_8859_1);
    TEST_ASSERT_INT(charset_lookup("windows-1252", 12), CHARSET_WINDOWS_1252);
    TEST_ASSERT(charset_lookup("KOI8-R", 6) >= CHARSET_ICONV);
    TEST_ASSERT_INT(charset_lookup("utf-8x", 5), CHARSET_UTF8);
    TEST_ASSERT_INT(charset_lookup("", 0), CHARSET_UNKNOWN);
}

static void test_to_utf8(void)
{
    TEST_ASSERT_STR(to_utf8(CHARSET_ISO_8859_1, "caf\xe9", 4), "caf\xc3\xa9");
    TEST_ASSERT_STR(to_utf8(CHARSET_WINDOWS_1252, "\x80 \x81", 3),
                    "\xe2\x82\xac \xef\xbf\xbd");
    TEST_ASSERT_STR(to_utf8(CHARSET_UTF8, "gr\xc3\xbc\xc3\x9f", 6),
                    "gr\xc3\xbc\xc3\x9f");
    /* Bad UTF-8: stray continuation, overlong, surrogate, truncated. */
    TEST_ASSERT_STR(to_utf8(CHARSET_UTF8, "a\x80" "b", 3),
                    "a\xef\xbf\xbd" "b");
    TEST_ASSERT_STR(to_utf8(CHARSET_UTF8, "\xc0\xaf", 2),
                    "\xef\xbf\xbd\xef\xbf\xbd");
    TEST_ASSERT_STR(to_utf8(CHARSET_UTF8, "\xed\xa0\x80", 3),
                    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    TEST_ASSERT_STR(to_utf8(CHARSET_UTF8, "x\xe2\x82", 3),
                    "x\xef\xbf\xbd\xef\xbf\xbd");
    TEST_ASSERT_STR(to_utf8(CHARSET_UTF8, "\xf0\x9f\x98\x80", 4),
                    "\xf0\x9f\x98\x80");
    /* Unknown charsets keep ASCII; NUL bytes pass. */
    TEST_ASSERT_STR(to_utf8(CHARSET_UNKNOWN, "ab\xe9", 3),
                    "ab\xef\xbf\xbd");
    TEST_ASSERT_INT(charset_lookup("x", 1), CHARSET_UNKNOWN);
    to_utf8(CHARSET_UTF8, "a\0b", 3);
    TEST_ASSERT_MEM(out.s, out.len, "a\0b", 3);
}

static void test_qp_base64(void)
{
    TEST_ASSERT_STR(qp("caf=E9 cr=e8me", 0), "caf\xe9 cr\xe8me");
    TEST_ASSERT_STR(qp("soft=\r\nbreak", 0), "softbreak");
    TEST_ASSERT_STR(qp("soft=  \r\nbreak", 0), "softbreak");
    TEST_ASSERT_STR(qp("soft=\nbreak", 0), "softbreak");
    TEST_ASSERT_STR(qp("end=", 0), "end");
    TEST_ASSERT_STR(qp("bad=ZZ =4", 0), "bad=ZZ =4");
    TEST_ASSERT_STR(qp("a_b=5F", 1), "a b_");
    TEST_ASSERT_STR(qp("a_b", 0), "a_b");
    TEST_ASSERT_STR(b64("SGVsbG8="), "Hello");
    TEST_ASSERT_STR(b64("SGVs\r\nbG8gd29y\r\nbGQ="), "Hello world");
    TEST_ASSERT_STR(b64("S G*V!sbG8"), "Hello");
    TEST_ASSERT_STR(b64("SGVsbG8=garbage"), "Hello");
    TEST_ASSERT_STR(b64("S"), "");
    TEST_ASSERT_STR(b64(""), "");
    buf_reset(&out);
    charset_decode_body("Y2Fm6Q==", 8, "BASE64", "ISO-8859-1", &out);
    TEST_ASSERT_STR(buf_cstring(&out), "caf\xc3\xa9");
    buf_reset(&out);
    charset_decode_body("caf=C3=A9", 9, "quoted-printable", "utf-8", &out);
    TEST_ASSERT_STR(buf_cstring(&out), "caf\xc3\xa9");
    buf_reset(&out);
    charset_decode_body("caf\xe9", 4, "8BIT", NULL, &out);
    TEST_ASSERT_STR(buf_cstring(&out), "caf\xc3\xa9");
}

static void test_header_words(void)
{
    TEST_ASSERT_STR(hdr("plain text"), "plain text");
    TEST_ASSERT_STR(hdr("=?iso-8859-1?q?J=FCrgen?= <j@x>"),
                    "J\xc3\xbcrgen <j@x>");
    /* White space between encoded words goes; other text stays. */
    TEST_ASSERT_STR(hdr("=?utf-8?q?a?= =?UTF-8?B?Yg==?=\r\n =?utf-8?q?c?="),
                    "abc");
    TEST_ASSERT_STR(hdr("x =?utf-8?q?a?= y =?utf-8?q?b?= z"), "x a y b z");
    TEST_ASSERT_STR(hdr("=?utf-8*en?q?lang?="), "lang");
    /* Unknown charset, bad encoding, unterminated, spaces: kept as is. */
    TEST_ASSERT_STR(hdr("=?x-klingon?q?x?= =?utf-8?x?y?="),
                    "=?x-klingon?q?x?= =?utf-8?x?y?=");
    TEST_ASSERT_STR(hdr("=?utf-8?q?open"), "=?utf-8?q?open");
    TEST_ASSERT_STR(hdr("=?utf-8?q?a b?="), "=?utf-8?q?a b?=");
    TEST_ASSERT_STR(hdr("=?=?=?"), "=?=?=?");
    TEST_ASSERT_STR(hdr("=?utf-8?q?" "?="), "");
}

static void test_search_form(void)
{
    TEST_ASSERT_STR(form("Hello  World\r\n\tAgain"), "hello world again");
    TEST_ASSERT_STR(form("\xc3\x84\xc3\x96\xc3\x9c\xc3\x89 \xc3\x9f"),
                    "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa9 \xc3\x9f");
    /* Greek, Cyrillic, Latin Extended-A (Ł -> ł, Ÿ -> ÿ) */
    TEST_ASSERT_STR(form("\xce\xa3\xd0\x96\xd0\x81\xc5\x81\xc5\xb8"),
                    "\xcf\x83\xd0\xb6\xd1\x91\xc5\x82\xc3\xbf");
    TEST_ASSERT_STR(form("\xc3\x97"), "\xc3\x97");
    TEST_ASSERT(charset_search_match("abc", 3, "", 0));
    TEST_ASSERT(charset_search_match("abc", 3, "bc", 2));
    TEST_ASSERT(!charset_search_match("ab", 2, "abc", 3));
    TEST_ASSERT(!charset_search_match("", 0, "a", 1));
}

/* Hostile input stays linear: many "=?" with no word in them. */
static void test_hostile_header(void)
{
    struct buf big = BUF_INITIALIZER;
    for (int i = 0; i < 200000; i++)
        buf_appendcstr(&big, "=?a?q?");
    buf_reset(&out);
    charset_decode_header(big.s, big.len, &out);
    TEST_ASSERT_INT(out.len, big.len);
    buf_free(&big);
}

/* ---- the streaming matcher against the plain way ---------------------- */

/* What charset_search_text must answer: convert, fold, then memmem. */
static int plain_search(int cs, const char *s, size_t len, const char *key)
{
    struct buf utf8 = BUF_INITIALIZER, form = BUF_INITIALIZER;
    int found;

    charset_to_utf8(cs, s, len, &utf8);
    charset_search_form(utf8.s ? utf8.s : "", utf8.len, &form);
    found = charset_search_match(form.s ? form.s : "", form.len, key,
                                 strlen(key));
    buf_free(&utf8);
    buf_free(&form);
    return found;
}

static int fast_search(int cs, const char *s, size_t len, const char *key)
{
    struct charset_needle n;
    int found;

    charset_needle_init(&n, key, strlen(key));
    found = charset_search_text(&n, cs, s, len);
    charset_needle_free(&n);
    return found;
}

static void search_both(int cs, const char *s, size_t len, const char *key)
{
    int want = plain_search(cs, s, len, key);

    if (fast_search(cs, s, len, key) != want)
        test_fail(__FILE__, __LINE__, "cs %d text \"%.*s\" key \"%s\": "
                  "want %d", cs, (int)len, s, key, want);
}

static void test_needle_cases(void)
{
    static const char *const keys[] = {
        "zanzibarite", "a b", " b", "b ", " ", "i", "istanbul",
        "\xc3\xa9t\xc3\xa9", "caf\xc3\xa9", "\xc5\x82", "\xc3\xbf",
        "\xef\xbf\xbd", "x\xef\xbf\xbd", "\xe2\x82\xac", "a\xc3\xa4",
        "\xcf\x83\xce\xb9", "ab",
    };
    static const char *const texts[] = {
        "The ZANZIBARITE sample", "zanzibarit", "A\r\n\t B", "a\tb",
        "xb", "  b  ", "\xc4\xb0stanbul", "\xc4\xb0", "\xc3\x89T\xc3\x89",
        "CAF\xc3\x89", "caf\xe9", "\xc5\x81", "\xc5\xb8", "\x9f",
        "a\x80" "b", "x\xc3(", "\x80", "\xe2\x82\xac", "\x80\x80",
        "A\xc3\x84", "a\xc4", "\xce\xa3\xce\x99", "\xc3", "",
        "aab", "a", "AB\0ab",
    };
    static const int sets[] = { CHARSET_UTF8, CHARSET_ISO_8859_1,
                                CHARSET_WINDOWS_1252, CHARSET_US_ASCII,
                                CHARSET_UNKNOWN };

    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        size_t tl = strlen(texts[t]) + (t == 26 ? 3 : 0);
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            for (size_t c = 0; c < sizeof(sets) / sizeof(sets[0]); c++)
                search_both(sets[c], texts[t], tl, keys[k]);
    }
    TEST_ASSERT(fast_search(CHARSET_UTF8, "The ZANZIBARITE sample", 22,
                            "zanzibarite s"));
    TEST_ASSERT(fast_search(CHARSET_UTF8, "x", 1, ""));
    TEST_ASSERT(!fast_search(CHARSET_UTF8, "", 0, "x"));
}

/* Random text from a small alphabet of awkward bytes, and keys cut from
 * the search form of other such text: both ways must agree. */
static void test_needle_random(void)
{
    static const char *const atoms[] = {
        "a", "A", "b", "i", "I", " ", "\t", "\r\n", "\xc3\xa9", "\xc3\x89",
        "\xc4\xb0", "\xc5\x81", "\xc5\x82", "\xc5\xb8", "\xe9", "\x80",
        "\xc3", "\x9f", "\xef\xbf\xbd", "\xe2\x82\xac", "=",
    };
    static const int sets[] = { CHARSET_UTF8, CHARSET_ISO_8859_1,
                                CHARSET_WINDOWS_1252, CHARSET_UNKNOWN };
    const size_t natoms = sizeof(atoms) / sizeof(atoms[0]);
    struct buf text = BUF_INITIALIZER, src = BUF_INITIALIZER;
    struct buf form = BUF_INITIALIZER, key = BUF_INITIALIZER;
    uint32_t seed = 12345;

    for (int round = 0; round < 20000; round++) {
        int cs = sets[round % 4];
        size_t tn, start, klen;
        buf_reset(&text);
        buf_reset(&src);
        buf_reset(&form);
        buf_reset(&key);
        seed = seed * 1103515245 + 12345;
        tn = (seed >> 16) % 24;
        for (size_t i = 0; i < tn; i++) {
            seed = seed * 1103515245 + 12345;
            buf_appendcstr(&text, atoms[(seed >> 16) % natoms]);
        }
        for (size_t i = 0; i < 6; i++) {
            seed = seed * 1103515245 + 12345;
            buf_appendcstr(&src, atoms[(seed >> 16) % natoms]);
        }
        /* the key: a stretch of valid search form, on character bounds */
        charset_to_utf8(CHARSET_UTF8, src.s, src.len, &key);
        charset_search_form(key.s, key.len, &form);
        seed = seed * 1103515245 + 12345;
        start = (seed >> 16) % (form.len + 1);
        while (start < form.len && (form.s[start] & 0xC0) == 0x80)
            start++;
        klen = form.len - start;
        buf_reset(&key);
        buf_appendmap(&key, form.s + start, klen);
        buf_cstring(&key);
        search_both(cs, text.s ? text.s : "", text.len, key.s);
    }
    buf_free(&text);
    buf_free(&src);
    buf_free(&form);
    buf_free(&key);
}

/* Bodies with transfer encodings and headers with encoded words. */
static void test_needle_body_header(void)
{
    struct charset_needle n;
    struct buf scratch = BUF_INITIALIZER;

    charset_needle_init(&n, "caf\xc3\xa9", 5);
    TEST_ASSERT(charset_search_body(&n, "Y2Fm6Q==", 8, "BASE64",
                                    "ISO-8859-1", &scratch));
    TEST_ASSERT(charset_search_body(&n, "CAF=C3=89", 9, "quoted-printable",
                                    "utf-8", &scratch));
    TEST_ASSERT(charset_search_body(&n, "caf\xe9", 4, "8BIT", NULL,
                                    &scratch));
    TEST_ASSERT(!charset_search_body(&n, "caf\xe9", 4, "8BIT", "utf-8",
                                     &scratch));
    TEST_ASSERT(charset_search_header(&n, "x =?iso-8859-1?q?Caf=E9?=", 25,
                                      &scratch));
    TEST_ASSERT(!charset_search_header(&n, "x =?iso-8859-1?q?Caf=E8?=", 25,
                                       &scratch));
    TEST_ASSERT(charset_search_header(&n, "Subject: CAF\xc3\x89", 14,
                                      &scratch));
    charset_needle_free(&n);
    charset_needle_init(&n, "ab", 2);
    TEST_ASSERT(charset_search_header(&n, "=?utf-8?q?a?= =?utf-8?q?b?=", 27,
                                      &scratch));
    charset_needle_free(&n);
    buf_free(&scratch);
}

/* What the search form of UTF-8 text is, as a needle. */
static void needle(struct charset_needle *n, const char *utf8)
{
    struct buf f = BUF_INITIALIZER;

    charset_search_form(utf8, strlen(utf8), &f);
    charset_needle_init(n, f.s ? f.s : "", f.len);
    buf_free(&f);
}

static void test_iconv(void)
{
    struct charset_needle n;
    struct buf scratch = BUF_INITIALIZER;
    int koi = charset_lookup("KOI8-R", 6);

    /* ids: one per name, any case, kept; names iconv does not know or
     * that carry iconv suffixes are unknown */
    TEST_ASSERT(koi >= CHARSET_ICONV);
    TEST_ASSERT_INT(charset_lookup("koi8-r", 6), koi);
    TEST_ASSERT_STR(charset_iconv_name(koi), "KOI8-R");
    TEST_ASSERT(charset_lookup("Shift_JIS", 9) >= CHARSET_ICONV);
    TEST_ASSERT(charset_lookup("Shift_JIS", 9) != koi);
    TEST_ASSERT_INT(charset_lookup("KOI8-R//TRANSLIT", 16), CHARSET_UNKNOWN);
    TEST_ASSERT_INT(charset_lookup("X-KLINGON", 9), CHARSET_UNKNOWN);
    TEST_ASSERT_INT(charset_lookup("X-KLINGON", 9), CHARSET_UNKNOWN);
    TEST_ASSERT_INT(charset_lookup("a b", 3), CHARSET_UNKNOWN);
    TEST_ASSERT(charset_iconv_name(CHARSET_UTF8) == NULL);
    /* text: Привет in KOI8-R, 会議 in ISO-2022-JP and Shift_JIS, Иван in
     * windows-1251, UTF-16 with its BOM */
    TEST_ASSERT_STR(to_utf8(koi, "\xf0\xd2\xc9\xd7\xc5\xd4", 6),
                    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
    TEST_ASSERT_STR(to_utf8(charset_lookup("ISO-2022-JP", 11),
                            "\x1b$B2q5D\x1b(B!", 11),
                    "\xe4\xbc\x9a\xe8\xad\xb0!");
    TEST_ASSERT_STR(to_utf8(charset_lookup("Shift_JIS", 9),
                            "\x89\xef\x8b\x63", 4),
                    "\xe4\xbc\x9a\xe8\xad\xb0");
    TEST_ASSERT_STR(to_utf8(charset_lookup("windows-1251", 12),
                            "\xc8\xe2\xe0\xed", 4),
                    "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd");
    TEST_ASSERT_STR(to_utf8(charset_lookup("UTF-16", 6),
                            "\xff\xfeh\0i\0", 6), "hi");
    /* bad bytes: one U+FFFD each; a truncated end: one */
    TEST_ASSERT_STR(to_utf8(charset_lookup("Shift_JIS", 9), "a\xa0\x80" "b",
                            4), "a\xef\xbf\xbd\xef\xbf\xbd" "b");
    TEST_ASSERT_STR(to_utf8(charset_lookup("Shift_JIS", 9), "a\x89", 2),
                    "a\xef\xbf\xbd");
    /* RFC 2047 words in those charsets */
    TEST_ASSERT_STR(hdr("=?KOI8-R?B?8NLJ18XU?= !"),
                    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 !");
    TEST_ASSERT_STR(hdr("=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?="),
                    "\xe4\xbc\x9a\xe8\xad\xb0");
    TEST_ASSERT_STR(hdr("=?x-klingon?q?a?="), "=?x-klingon?q?a?=");
    /* SEARCH: headers, bodies (raw, base64), case folded */
    needle(&n, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");  /* привет */
    TEST_ASSERT(charset_search_header(&n, "Re: =?KOI8-R?B?8NLJ18XU?=", 25,
                                      &scratch));
    TEST_ASSERT(charset_search_body(&n, "x \xf0\xd2\xc9\xd7\xc5\xd4 y", 10,
                                    "8BIT", "koi8-r", &scratch));
    TEST_ASSERT(charset_search_body(&n, "8NLJ18XU", 8, "BASE64", "KOI8-R",
                                    &scratch));
    TEST_ASSERT(!charset_search_body(&n, "\xf0\xd2\xc9\xd7\xc5", 5, "8BIT",
                                     "KOI8-R", &scratch));
    charset_needle_free(&n);
    needle(&n, "\xe4\xbc\x9a\xe8\xad\xb0");                          /* 会議 */
    TEST_ASSERT(charset_search_header(&n, "=?iso-2022-jp?B?GyRCMnE1RBsoQg==?=",
                                      34, &scratch));
    charset_needle_free(&n);
    /* an ASCII needle in UTF-16: found only through the conversion */
    needle(&n, "hi");
    TEST_ASSERT(charset_search_body(&n, "\xff\xfeH\0I\0", 6, "BINARY",
                                    "UTF-16", &scratch));
    charset_needle_free(&n);
    buf_free(&scratch);
}

TEST_MAIN("charset",
          TEST_CASE(test_lookup),
          TEST_CASE(test_to_utf8),
          TEST_CASE(test_qp_base64),
          TEST_CASE(test_header_words),
          TEST_CASE(test_search_form),
          TEST_CASE(test_hostile_header),
          TEST_CASE(test_needle_cases),
          TEST_CASE(test_needle_random),
          TEST_CASE(test_needle_body_header),
          TEST_CASE(test_iconv))
