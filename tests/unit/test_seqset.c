/* test_seqset.c -- IMAP sequence sets: parsing (good and hostile input),
 * "*", membership, iteration, building from lists, compressed formatting,
 * and add/remove checked against a plain bitmap on random operations. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/mailstore/seqset.h"
#include "tests/unit/harness.h"

/* Parse text and return its canonical form (static buffer), or "ERR". */
static const char *canon(const char *text, uint32_t maxval)
{
    static char out[256];
    struct seqset *set = NULL;
    struct buf b = BUF_INITIALIZER;
    if (seqset_parse(text, maxval, &set)) {
        TEST_ASSERT(set == NULL);
        return "ERR";
    }
    seqset_format(set, &b);
    TEST_ASSERT(b.len < sizeof(out));
    memcpy(out, buf_cstring(&b), b.len + 1);
    buf_free(&b);
    seqset_free(&set);
    TEST_ASSERT(set == NULL);
    return out;
}

static void test_parse_good(void)
{
    TEST_ASSERT_STR(canon("1", 10), "1");
    TEST_ASSERT_STR(canon("1:5,7,9:*", 12), "1:5,7,9:12");
    TEST_ASSERT_STR(canon("5:1", 10), "1:5");
    TEST_ASSERT_STR(canon("3,1,2", 10), "1:3");         /* adjacent merge */
    TEST_ASSERT_STR(canon("1:3,4,9:7", 10), "1:4,7:9");
    TEST_ASSERT_STR(canon("2:6,4:10,1", 0), "1:10");    /* overlaps */
    TEST_ASSERT_STR(canon("*", 42), "42");
    TEST_ASSERT_STR(canon("*:4", 2), "2:4");            /* above maxval kept */
    TEST_ASSERT_STR(canon("4294967295", 1), "4294967295");
    TEST_ASSERT_STR(canon("4294967294:*", 4294967295u), "4294967294:4294967295");
    /* An empty mailbox: "*" adds nothing alone, "n:*" is "1:n". */
    TEST_ASSERT_STR(canon("*", 0), "");
    TEST_ASSERT_STR(canon("3:*", 0), "1:3");
    TEST_ASSERT_STR(canon("7,*", 0), "7");
}

static void test_parse_bad(void)
{
    static const char *const bad[] = {
        "", ",", "1,", ",1", "1,,2", "0", "0:5", "5:0", "01", "1:02",
        "4294967296", "99999999999999999999", "1:4294967296", "1:", ":1",
        "1::2", "1:2:3", " 1", "1 ", "1, 2", "a", "1a", "-1", "+1", "1.5",
        "**", "1:**", "*1", "1\n", "1;2", "1:5,7,9:*,"
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct seqset *set = (struct seqset *)&set; /* must be reset */
        if (seqset_parse(bad[i], 10, &set) != ERR_BADARG)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        TEST_ASSERT(set == NULL);
    }
}

static void test_membership_and_iteration(void)
{
    struct seqset *set;
    struct seqset_iter it;
    uint32_t n, want[] = { 1, 2, 3, 7, 10, 11, 4294967294u, 4294967295u };
    size_t k = 0;

    TEST_ASSERT_INT(seqset_parse("10:11,1:3,7,4294967294:*", 4294967295u,
                                 &set), ERR_OK);
    TEST_ASSERT(!seqset_ismember(set, 0));
    TEST_ASSERT(seqset_ismember(set, 1));
    TEST_ASSERT(seqset_ismember(set, 3));
    TEST_ASSERT(!seqset_ismember(set, 4));
    TEST_ASSERT(!seqset_ismember(set, 6));
    TEST_ASSERT(seqset_ismember(set, 7));
    TEST_ASSERT(!seqset_ismember(set, 8));
    TEST_ASSERT(seqset_ismember(set, 11));
    TEST_ASSERT(!seqset_ismember(set, 12));
    TEST_ASSERT(seqset_ismember(set, 4294967295u));
    TEST_ASSERT_INT(seqset_count(set), 8);
    TEST_ASSERT_INT(seqset_first(set), 1);
    TEST_ASSERT_INT(seqset_last(set), 4294967295u);
    /* Ascending, and the range ending at 2^32 - 1 ends the walk. */
    seqset_iter_init(&it, set);
    while (seqset_iter_next(&it, &n)) {
        TEST_ASSERT(k < sizeof(want) / sizeof(want[0]));
        TEST_ASSERT_INT(n, want[k]);
        k++;
    }
    TEST_ASSERT_INT(k, 8);
    TEST_ASSERT(!seqset_iter_next(&it, &n));
    seqset_free(&set);

    set = seqset_new();
    seqset_iter_init(&it, set);
    TEST_ASSERT(!seqset_iter_next(&it, &n));
    TEST_ASSERT(!seqset_ismember(set, 1));
    TEST_ASSERT_INT(seqset_count(set), 0);
    TEST_ASSERT_INT(seqset_first(set), 0);
    TEST_ASSERT_INT(seqset_last(set), 0);
    seqset_free(&set);
    seqset_free(&set);          /* NULL is fine */
}

static void test_from_list_and_format(void)
{
    uint32_t nums[] = { 1, 2, 3, 4, 5, 5, 7, 9, 10, 4294967295u };
    uint32_t unsorted[] = { 3, 2 }, zero[] = { 0, 1 };
    struct seqset *set;
    struct buf b = BUF_INITIALIZER;

    TEST_ASSERT_INT(seqset_from_list(nums, 10, &set), ERR_OK);
    seqset_format(set, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "1:5,7,9:10,4294967295");
    seqset_free(&set);
    TEST_ASSERT_INT(seqset_from_list(NULL, 0, &set), ERR_OK);
    buf_setcstr(&b, "junk");
    seqset_format(set, &b);         /* replaces, not appends */
    TEST_ASSERT_INT(b.len, 0);
    seqset_free(&set);
    set = (struct seqset *)&b;
    TEST_ASSERT_INT(seqset_from_list(unsorted, 2, &set), ERR_BADARG);
    TEST_ASSERT(set == NULL);
    TEST_ASSERT_INT(seqset_from_list(zero, 2, &set), ERR_BADARG);
    TEST_ASSERT(set == NULL);
    buf_free(&b);
}

/* Random adds and removes against a bitmap over 1..N; format and re-parse
 * must give the same set. */
#define N 200
static void check_against(const struct seqset *set, const unsigned char *bit)
{
    struct seqset_iter it;
    struct buf b = BUF_INITIALIZER;
    struct seqset *again;
    uint32_t n, prev = 0;
    uint64_t count = 0;

    for (uint32_t i = 1; i <= N + 1; i++)
        TEST_ASSERT_INT(seqset_ismember(set, i), i <= N && bit[i]);
    seqset_iter_init(&it, set);
    while (seqset_iter_next(&it, &n)) {
        TEST_ASSERT(n > prev && n <= N && bit[n]);
        prev = n;
        count++;
    }
    TEST_ASSERT_INT(count, seqset_count(set));
    seqset_format(set, &b);
    if (b.len) {
        /* Canonical: no adjacent ranges, so "a:b,b+1" never appears. */
        TEST_ASSERT_INT(seqset_parse(buf_cstring(&b), N, &again), ERR_OK);
        for (uint32_t i = 1; i <= N; i++)
            TEST_ASSERT_INT(seqset_ismember(again, i), bit[i]);
        {
            struct buf b2 = BUF_INITIALIZER;
            seqset_format(again, &b2);
            TEST_ASSERT_STR(buf_cstring(&b2), buf_cstring(&b));
            buf_free(&b2);
        }
        seqset_free(&again);
    } else {
        TEST_ASSERT_INT(count, 0);
    }
    buf_free(&b);
}

/* seqset_dup: the same members, independent of the original. */
static void test_dup(void)
{
    struct seqset *set = NULL, *copy;
    struct buf b = BUF_INITIALIZER;

    copy = seqset_dup(NULL);
    TEST_ASSERT_INT(seqset_count(copy), 0);
    seqset_free(&copy);
    TEST_ASSERT_INT(seqset_parse("1:5,7,9:10", 10, &set), ERR_OK);
    copy = seqset_dup(set);
    seqset_remove(set, 3);
    seqset_add(copy, 8);
    seqset_format(copy, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "1:5,7:10");
    seqset_format(set, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "1:2,4:5,7,9:10");
    seqset_free(&set);
    seqset_free(&copy);
    set = seqset_new();
    copy = seqset_dup(set);
    seqset_add(copy, 1);
    TEST_ASSERT_INT(seqset_count(set), 0);
    seqset_free(&set);
    seqset_free(&copy);
    buf_free(&b);
}

static void test_add_remove_random(void)
{
    unsigned char bit[N + 2];
    struct seqset *set = seqset_new();

    srand(12345);
    memset(bit, 0, sizeof(bit));
    for (int round = 0; round < 4000; round++) {
        uint32_t n = (uint32_t)(rand() % N) + 1;
        if (rand() % 3) {
            seqset_add(set, n);
            bit[n] = 1;
        } else {
            seqset_remove(set, n);
            bit[n] = 0;
        }
        if (round % 50 == 0)
            check_against(set, bit);
    }
    check_against(set, bit);
    seqset_add(set, 0);             /* ignored */
    TEST_ASSERT(!seqset_ismember(set, 0));
    seqset_free(&set);
}

static void test_add_remove_edges(void)
{
    struct seqset *set;
    struct buf b = BUF_INITIALIZER;

    TEST_ASSERT_INT(seqset_parse("2:4,8:9", 10, &set), ERR_OK);
    seqset_add(set, 6);             /* isolated, in the middle */
    seqset_add(set, 1);             /* extends the first range down */
    seqset_add(set, 5);             /* joins 2:4 and 6 */
    seqset_add(set, 7);             /* joins 2:7 and 8:9 */
    seqset_format(set, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "1:9");
    seqset_remove(set, 5);          /* splits */
    seqset_remove(set, 1);
    seqset_remove(set, 9);
    seqset_remove(set, 100);        /* not a member: nothing */
    seqset_format(set, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "2:4,6:8");
    seqset_add(set, 4294967295u);
    seqset_remove(set, 4294967295u);
    seqset_format(set, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "2:4,6:8");
    seqset_free(&set);
    buf_free(&b);
}

/* A set of many items parses in n log n and compresses. */
static void test_large_input(void)
{
    struct buf text = BUF_INITIALIZER, out = BUF_INITIALIZER;
    struct seqset *set;
    for (uint32_t i = 100000; i >= 1; i--)
        buf_printf(&text, "%s%u", i == 100000 ? "" : ",", i);
    TEST_ASSERT_INT(seqset_parse(buf_cstring(&text), 1, &set), ERR_OK);
    seqset_format(set, &out);
    TEST_ASSERT_STR(buf_cstring(&out), "1:100000");
    TEST_ASSERT_INT(seqset_count(set), 100000);
    seqset_free(&set);
    buf_free(&text);
    buf_free(&out);
}

TEST_MAIN("seqset",
          TEST_CASE(test_parse_good),
          TEST_CASE(test_parse_bad),
          TEST_CASE(test_membership_and_iteration),
          TEST_CASE(test_from_list_and_format),
          TEST_CASE(test_dup),
          TEST_CASE(test_add_remove_random),
          TEST_CASE(test_add_remove_edges),
          TEST_CASE(test_large_input))
