/* test_digest.c -- SHA-1 against FIPS 180 vectors (one-shot and
 * incremental), hex output, random bytes. */
#include "config.h"

#include <string.h>

#include "lib/digest.h"
#include "tests/unit/harness.h"

static const char *sha1_hex(const char *s)
{
    static char hex[2 * DIGEST_SHA1_LEN + 1];
    unsigned char d[DIGEST_SHA1_LEN];
    digest_sha1(s, strlen(s), d);
    digest_hex(d, sizeof(d), hex);
    return hex;
}

static void test_sha1_vectors(void)
{
    TEST_ASSERT_STR(sha1_hex("abc"),
                    "a9993e364706816aba3e25717850c26c9cd0d89d");
    TEST_ASSERT_STR(sha1_hex(""),
                    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    TEST_ASSERT_STR(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmno"
                             "mnopnopq"),
                    "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void test_sha1_incremental_equals_one_shot(void)
{
    unsigned char a[DIGEST_SHA1_LEN], b[DIGEST_SHA1_LEN];
    char big[100000];
    struct digest_ctx *ctx;
    memset(big, 'q', sizeof(big));
    digest_sha1(big, sizeof(big), a);
    ctx = digest_sha1_begin();
    for (size_t off = 0; off < sizeof(big); off += 777) {
        size_t n = sizeof(big) - off < 777 ? sizeof(big) - off : 777;
        digest_update(ctx, big + off, n);
    }
    digest_end(&ctx, b);
    TEST_ASSERT(ctx == NULL);
    TEST_ASSERT_MEM(a, sizeof(a), b, sizeof(b));
}

static void test_random_differs(void)
{
    unsigned char x[16], y[16];
    digest_random(x, sizeof(x));
    digest_random(y, sizeof(y));
    TEST_ASSERT(memcmp(x, y, sizeof(x)) != 0);
}

TEST_MAIN("digest",
          TEST_CASE(test_sha1_vectors),
          TEST_CASE(test_sha1_incremental_equals_one_shot),
          TEST_CASE(test_random_differs))
