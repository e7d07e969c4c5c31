/* test_hash.c -- string hash table: insert, replace, delete, growth. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/hash.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

static void test_insert_lookup_replace(void)
{
    struct hash *h = hash_new(0);
    int a = 1, b = 2;
    TEST_ASSERT(hash_insert(h, "one", &a) == NULL);
    TEST_ASSERT(hash_lookup(h, "one") == &a);
    TEST_ASSERT(hash_insert(h, "one", &b) == &a);
    TEST_ASSERT(hash_lookup(h, "one") == &b);
    TEST_ASSERT(hash_lookup(h, "two") == NULL);
    TEST_ASSERT_INT(hash_count(h), 1);
    TEST_ASSERT(hash_delete(h, "one") == &b);
    TEST_ASSERT(hash_delete(h, "one") == NULL);
    TEST_ASSERT_INT(hash_count(h), 0);
    hash_free(&h, NULL);
    TEST_ASSERT(h == NULL);
}

static void count_cb(const char *key, void *value, void *rock)
{
    (void)key;
    *(long *)rock += (long)(intptr_t)value;
}

static void test_many_keys_and_foreach(void)
{
    struct hash *h = hash_new(4);
    char key[32];
    long sum = 0;
    for (long i = 1; i <= 20000; i++) {
        snprintf(key, sizeof(key), "key%ld", i);
        hash_insert(h, key, (void *)(intptr_t)i);
    }
    TEST_ASSERT_INT(hash_count(h), 20000);
    for (long i = 1; i <= 20000; i += 997) {
        snprintf(key, sizeof(key), "key%ld", i);
        TEST_ASSERT(hash_lookup(h, key) == (void *)(intptr_t)i);
    }
    hash_foreach(h, count_cb, &sum);
    TEST_ASSERT_INT(sum, 20000L * 20001L / 2);
    hash_free(&h, NULL);
}

static void test_free_values(void)
{
    struct hash *h = hash_new(0);
    hash_insert(h, "a", xstrdup("x"));
    hash_insert(h, "b", xstrdup("y"));
    hash_free(&h, free);    /* ASan reports a leak if values are not freed */
    TEST_ASSERT(h == NULL);
}

TEST_MAIN("hash",
          TEST_CASE(test_insert_lookup_replace),
          TEST_CASE(test_many_keys_and_foreach),
          TEST_CASE(test_free_values))
