/* test_base64.c -- RFC 4648 test vectors and strict decoding. */
#include "config.h"

#include <stdlib.h>

#include "lib/base64.h"
#include "lib/error.h"
#include "tests/unit/harness.h"

static void test_rfc4648_vectors(void)
{
    static const char *const plain[] = { "", "f", "fo", "foo", "foob",
                                         "fooba", "foobar" };
    static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    struct buf b = BUF_INITIALIZER;
    for (int i = 0; i < 7; i++) {
        buf_reset(&b);
        base64_encode(plain[i], strlen(plain[i]), &b);
        TEST_ASSERT_STR(buf_cstring(&b), enc[i]);
        TEST_ASSERT_INT(base64_decode(enc[i], strlen(enc[i]), &b), ERR_OK);
        TEST_ASSERT_MEM(b.s, b.len, plain[i], strlen(plain[i]));
    }
    buf_free(&b);
}

static void test_binary_round_trip(void)
{
    struct buf e = BUF_INITIALIZER, d = BUF_INITIALIZER;
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    base64_encode(all, sizeof(all), &e);
    TEST_ASSERT_INT(base64_decode(e.s, e.len, &d), ERR_OK);
    TEST_ASSERT_MEM(d.s, d.len, all, sizeof(all));
    buf_free(&e);
    buf_free(&d);
}

static void test_strict_decoding(void)
{
    static const char *const bad[] = { "Zg=", "Zg", "Z===", "Zm9v!", "Zg==Zg==",
                                       "Zm 9", "=Zg=", "Zm=v" };
    struct buf b = BUF_INITIALIZER;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        TEST_ASSERT_INT(base64_decode(bad[i], strlen(bad[i]), &b), ERR_BADARG);
    buf_free(&b);
}

TEST_MAIN("base64",
          TEST_CASE(test_rfc4648_vectors),
          TEST_CASE(test_binary_round_trip),
          TEST_CASE(test_strict_decoding))
