/* test_buf.c -- struct buf: growth, binary safety, formatting, editing. */
#include "config.h"

#include <stdlib.h>

#include "lib/buf.h"
#include "tests/unit/harness.h"

static void test_append_and_cstring(void)
{
    struct buf b = BUF_INITIALIZER;
    buf_appendcstr(&b, "hello");
    buf_putc(&b, ' ');
    buf_appendmap(&b, "world!!", 5);
    TEST_ASSERT_INT(b.len, 11);
    TEST_ASSERT_STR(buf_cstring(&b), "hello world");
    buf_free(&b);
    TEST_ASSERT(b.s == NULL && b.len == 0);
}

static void test_binary_safe(void)
{
    struct buf b = BUF_INITIALIZER;
    buf_appendmap(&b, "a\0b\0c", 5);
    TEST_ASSERT_INT(b.len, 5);
    TEST_ASSERT_MEM(b.s, b.len, "a\0b\0c", 5);
    buf_cstring(&b);
    TEST_ASSERT_INT(b.len, 5);  /* the NUL is not counted */
    buf_free(&b);
}

static void test_growth_large(void)
{
    struct buf b = BUF_INITIALIZER;
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, (char)('a' + i % 26));
    TEST_ASSERT_INT(b.len, 100000);
    TEST_ASSERT(b.alloc >= b.len + 1);
    TEST_ASSERT(b.s[99999] == 'a' + 99999 % 26);
    buf_free(&b);
}

/* The inline fast paths of buf_ensure and buf_putc: every byte lands, and
 * a byte more is always there for buf_cstring's NUL, across each growth
 * step (64, 128, ...) and from an empty buffer. */
static void test_putc_ensure_edges(void)
{
    struct buf b = BUF_INITIALIZER;

    for (size_t i = 0; i < 5000; i++) {
        buf_putc(&b, (char)('a' + i % 26));
        TEST_ASSERT(b.alloc > b.len);
        TEST_ASSERT_INT(b.len, i + 1);
    }
    for (size_t i = 0; i < 5000; i++)
        TEST_ASSERT(b.s[i] == (char)('a' + i % 26));
    TEST_ASSERT_INT(strlen(buf_cstring(&b)), 5000);
    for (size_t n = 0; n < 300; n++) {
        buf_ensure(&b, n);
        TEST_ASSERT(b.alloc - b.len > n);
    }
    buf_free(&b);
    buf_ensure(&b, 0);
    TEST_ASSERT(b.s != NULL && b.alloc >= 1);
    TEST_ASSERT_STR(buf_cstring(&b), "");
    buf_free(&b);
}

static void test_printf(void)
{
    struct buf b = BUF_INITIALIZER;
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_printf(&b, "%d-%s", 42, "x");
    buf_printf(&b, "%s", big);  /* longer than the first allocation */
    TEST_ASSERT_INT(b.len, 4 + 999);
    TEST_ASSERT(!strncmp(buf_cstring(&b), "42-x", 4));
    buf_free(&b);
}

static void test_insert_remove_truncate(void)
{
    struct buf b = BUF_INITIALIZER;
    buf_setcstr(&b, "held");
    buf_insert(&b, 2, "llo wor", 7);
    TEST_ASSERT_STR(buf_cstring(&b), "hello world");
    buf_remove(&b, 0, 6);
    TEST_ASSERT_STR(buf_cstring(&b), "world");
    buf_remove(&b, 3, 100);
    TEST_ASSERT_STR(buf_cstring(&b), "wor");
    buf_truncate(&b, 10);   /* never grows */
    TEST_ASSERT_INT(b.len, 3);
    buf_truncate(&b, 1);
    TEST_ASSERT_STR(buf_cstring(&b), "w");
    buf_free(&b);
}

static void test_release_and_cmp(void)
{
    struct buf a = BUF_INITIALIZER, b = BUF_INITIALIZER;
    char *s;
    buf_setcstr(&a, "abc");
    buf_setcstr(&b, "abd");
    TEST_ASSERT(buf_cmp(&a, &b) < 0);
    buf_setcstr(&b, "ab");
    TEST_ASSERT(buf_cmp(&a, &b) > 0);
    buf_setcstr(&b, "abc");
    TEST_ASSERT(buf_cmp(&a, &b) == 0);
    s = buf_release(&a);
    TEST_ASSERT_STR(s, "abc");
    TEST_ASSERT(a.s == NULL && a.len == 0);
    free(s);
    buf_free(&b);
}

static void test_chomp_case(void)
{
    struct buf b = BUF_INITIALIZER;
    buf_setcstr(&b, "Line\r\n\n");
    buf_chomp(&b);
    TEST_ASSERT_STR(buf_cstring(&b), "Line");
    buf_toupper(&b);
    TEST_ASSERT_STR(buf_cstring(&b), "LINE");
    buf_tolower(&b);
    TEST_ASSERT_STR(buf_cstring(&b), "line");
    buf_reset(&b);
    buf_chomp(&b);
    TEST_ASSERT_INT(b.len, 0);
    buf_free(&b);
}

TEST_MAIN("buf",
          TEST_CASE(test_append_and_cstring),
          TEST_CASE(test_binary_safe),
          TEST_CASE(test_growth_large),
          TEST_CASE(test_putc_ensure_edges),
          TEST_CASE(test_printf),
          TEST_CASE(test_insert_remove_truncate),
          TEST_CASE(test_release_and_cmp),
          TEST_CASE(test_chomp_case))
