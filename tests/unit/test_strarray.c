/* test_strarray.c -- owned string arrays: append, find, split, join. */
#include "config.h"

#include <stdlib.h>

#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

static void test_append_nth_null_terminated(void)
{
    struct strarray sa = STRARRAY_INITIALIZER;
    for (int i = 0; i < 50; i++) {
        char *s = xasprintf("s%d", i);
        strarray_appendm(&sa, s);
    }
    TEST_ASSERT_INT(sa.count, 50);
    TEST_ASSERT_STR(strarray_nth(&sa, 49), "s49");
    TEST_ASSERT(strarray_nth(&sa, 50) == NULL);
    TEST_ASSERT(sa.data[50] == NULL);   /* usable as argv */
    strarray_fini(&sa);
    TEST_ASSERT_INT(sa.count, 0);
}

static void test_add_find_remove_insert(void)
{
    struct strarray sa = STRARRAY_INITIALIZER;
    TEST_ASSERT_INT(strarray_add(&sa, "a"), 0);
    TEST_ASSERT_INT(strarray_add(&sa, "b"), 1);
    TEST_ASSERT_INT(strarray_add(&sa, "a"), 0);
    TEST_ASSERT_INT(sa.count, 2);
    TEST_ASSERT_INT(strarray_find(&sa, "b"), 1);
    TEST_ASSERT_INT(strarray_find(&sa, "B"), -1);
    TEST_ASSERT_INT(strarray_find_case(&sa, "B"), 1);
    strarray_insert(&sa, 0, "z");
    TEST_ASSERT_STR(strarray_nth(&sa, 0), "z");
    strarray_remove(&sa, 1);
    TEST_ASSERT_STR(strarray_nth(&sa, 1), "b");
    TEST_ASSERT(sa.data[sa.count] == NULL);
    strarray_remove(&sa, 99);   /* out of range: nothing happens */
    TEST_ASSERT_INT(sa.count, 2);
    strarray_fini(&sa);
}

static void test_split_join_sort(void)
{
    struct strarray *sa = strarray_split("  cyrus  admin\tbob ", " \t");
    char *j;
    TEST_ASSERT_INT(sa->count, 3);
    strarray_sort(sa);
    j = strarray_join(sa, ",");
    TEST_ASSERT_STR(j, "admin,bob,cyrus");
    free(j);
    strarray_free(&sa);
    TEST_ASSERT(sa == NULL);
    sa = strarray_split("", " ");
    TEST_ASSERT_INT(sa->count, 0);
    j = strarray_join(sa, ",");
    TEST_ASSERT_STR(j, "");
    free(j);
    strarray_free(&sa);
}

TEST_MAIN("strarray",
          TEST_CASE(test_append_nth_null_terminated),
          TEST_CASE(test_add_find_remove_insert),
          TEST_CASE(test_split_join_sort))
