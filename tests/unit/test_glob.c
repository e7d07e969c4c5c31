/* test_glob.c -- IMAP * and % matching, checked against a brute-force
 * recursive reference on many random patterns and names. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/glob.h"
#include "tests/unit/harness.h"

static int match(const char *pat, const char *name)
{
    struct glob *g = glob_new(pat, '.', 0);
    int r = glob_match(g, name);
    glob_free(&g);
    return r;
}

/* The obviously-correct exponential definition. */
static int ref_match(const char *p, const char *n, char sep)
{
    if (*p == '\0')
        return *n == '\0';
    if (*p == '*') {
        for (const char *q = n;; q++) {
            if (ref_match(p + 1, q, sep))
                return 1;
            if (!*q)
                return 0;
        }
    }
    if (*p == '%') {
        for (const char *q = n;; q++) {
            if (ref_match(p + 1, q, sep))
                return 1;
            if (!*q || *q == sep)
                return 0;
        }
    }
    return *n == *p && ref_match(p + 1, n + 1, sep);
}

static void test_rfc_examples(void)
{
    TEST_ASSERT(match("*", "user.bob.sent"));
    TEST_ASSERT(match("%", "INBOX"));
    TEST_ASSERT(!match("%", "INBOX.drafts"));
    TEST_ASSERT(match("INBOX.%", "INBOX.drafts"));
    TEST_ASSERT(!match("INBOX.%", "INBOX.drafts.old"));
    TEST_ASSERT(match("INBOX.*", "INBOX.drafts.old"));
    TEST_ASSERT(!match("INBOX.*", "INBOX"));
    TEST_ASSERT(match("user.%.sent", "user.bob.sent"));
    TEST_ASSERT(!match("user.%.sent", "user.bob.x.sent"));
    TEST_ASSERT(match("user.*.sent", "user.bob.x.sent"));
    TEST_ASSERT(match("a*b%c", "aXbYc"));
    TEST_ASSERT(!match("a*b%c", "aXbY.c"));
    TEST_ASSERT(match("a*b%c", "aXb.bYc"));   /* * takes the first b */
    TEST_ASSERT(match("", ""));
    TEST_ASSERT(!match("", "x"));
    TEST_ASSERT(!match("Inbox", "INBOX"));     /* case-sensitive by default */
}

static void test_inbox_case(void)
{
    struct glob *g = glob_new("inbox.%", '.', GLOB_INBOXCASE);
    TEST_ASSERT(glob_match(g, "INBOX.x"));
    TEST_ASSERT(glob_match(g, "Inbox.x"));
    TEST_ASSERT(!glob_match(g, "INBOXES.x"));
    glob_free(&g);
    g = glob_new("%", '.', GLOB_INBOXCASE);
    TEST_ASSERT(glob_match(g, "inbox"));
    glob_free(&g);
    g = glob_new("INBOXES", '.', GLOB_INBOXCASE);   /* not the INBOX */
    TEST_ASSERT(!glob_match(g, "inboxes"));
    glob_free(&g);
    TEST_ASSERT(g == NULL);
}

static void test_prefix_pruning(void)
{
    struct glob *g = glob_new("user.%.sent", '.', 0);
    size_t len;
    const char *lit = glob_literal_prefix(g, &len);
    TEST_ASSERT_INT(len, 5);
    TEST_ASSERT(!strncmp(lit, "user.", 5));
    TEST_ASSERT(glob_prefix_may_match(g, "user.bob", 8));
    TEST_ASSERT(glob_prefix_may_match(g, "user.bob.se", 11));
    TEST_ASSERT(!glob_prefix_may_match(g, "user.bob.x", 10));
    TEST_ASSERT(!glob_prefix_may_match(g, "shared", 6));
    glob_free(&g);
}

static void test_hostile_pattern_is_fast(void)
{
    /* Exponential in a naive matcher; linear-ish here.  The 120 s case
     * alarm turns a blow-up into a failure. */
    char name[4001];
    memset(name, 'a', 4000);
    name[4000] = '\0';
    for (int i = 0; i < 200; i++)
        TEST_ASSERT(!match("*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
    TEST_ASSERT(!match("%a%a%a%a%a%a%a%a%a%a%a%a%b", name));
}

static void random_string(char *out, int n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    for (int i = 0; i < n; i++)
        out[i] = alphabet[rand() % k];
    out[n] = '\0';
}

static void test_against_reference(void)
{
    char pat[12], name[14];
    srand(12345);
    for (int i = 0; i < 200000; i++) {
        struct glob *g;
        int got, want;
        random_string(pat, rand() % 9, "ab.*%");
        random_string(name, rand() % 12, "ab.");
        g = glob_new(pat, '.', 0);
        got = glob_match(g, name);
        want = ref_match(pat, name, '.');
        if (got != want)
            test_fail(__FILE__, __LINE__, "pattern \"%s\" name \"%s\": got %d,"
                      " want %d", pat, name, got, want);
        /* prefix_may_match must never deny a prefix of a matching name. */
        if (want)
            for (size_t k = 0; k <= strlen(name); k++)
                TEST_ASSERT(glob_prefix_may_match(g, name, k));
        glob_free(&g);
    }
}

TEST_MAIN("glob",
          TEST_CASE(test_rfc_examples),
          TEST_CASE(test_inbox_case),
          TEST_CASE(test_prefix_pruning),
          TEST_CASE(test_hostile_pattern_is_fast),
          TEST_CASE(test_against_reference))
