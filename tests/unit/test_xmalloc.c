/* test_xmalloc.c -- the allocation family: copies, concatenation, and
 * size overflow treated as fatal (exit EX_TEMPFAIL), never a short block. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <sysexits.h>

#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

static void test_copies(void)
{
    char *a = xstrdup("hello"), *b = xstrndup("hello world", 5),
         *c = strconcat("a", "", "bc", "d", (char *)NULL),
         *d = xasprintf("%s-%d", "x", 42), *e = xmemdup("a\0b", 3);
    TEST_ASSERT_STR(a, "hello");
    TEST_ASSERT_STR(b, "hello");
    TEST_ASSERT_STR(c, "abcd");
    TEST_ASSERT_STR(d, "x-42");
    TEST_ASSERT_MEM(e, 3, "a\0b", 3);
    TEST_ASSERT(xstrdupnull(NULL) == NULL);
    free(a); free(b); free(c); free(d); free(e);
}

static void test_zeroed(void)
{
    unsigned char *p = xcalloc(100, 10);
    for (int i = 0; i < 1000; i++)
        TEST_ASSERT(p[i] == 0);
    p = xreallocarray(p, 2000, 10);
    p[19999] = 1;
    free(p);
}

static void overflow_mul(void *rock)
{
    (void)rock;
    (void)xcalloc(SIZE_MAX / 2, 3);
}

static void overflow_array(void *rock)
{
    (void)rock;
    (void)xreallocarray(NULL, SIZE_MAX / 8, 16);
}

static void overflow_add(void *rock)
{
    (void)rock;
    (void)xmalloc_add(SIZE_MAX, 2);
}

static void test_overflow_is_fatal(void)
{
    TEST_ASSERT_INT(test_run_child(overflow_mul, NULL), EX_TEMPFAIL);
    TEST_ASSERT_INT(test_run_child(overflow_array, NULL), EX_TEMPFAIL);
    TEST_ASSERT_INT(test_run_child(overflow_add, NULL), EX_TEMPFAIL);
}

TEST_MAIN("xmalloc",
          TEST_CASE(test_copies),
          TEST_CASE(test_zeroed),
          TEST_CASE(test_overflow_is_fatal))
