/* harness.h -- Chapar's tiny unit-test harness.
 *
 * A test program is a list of cases:
 *     static void test_append(void) { TEST_ASSERT(...); }
 *     TEST_MAIN("buf", TEST_CASE(test_append), TEST_CASE(test_other))
 * Every case runs in its own forked child, in a fresh temporary directory
 * (test_tmpdir(), also the child's working directory, removed afterwards),
 * with a 120 s alarm.  A failed assertion prints file:line and the
 * expression, and ends that case only.  Output is TAP-like ("ok 3 - name",
 * "not ok 4 - name") and ends with the line "<suite>: N passed, M failed",
 * which tests/run-all sums.  Exit status: 0 if all passed, 1 otherwise.
 * `prog NAME` runs only the cases whose name contains NAME.
 */
#ifndef CHAPAR_TEST_HARNESS_H
#define CHAPAR_TEST_HARNESS_H

#include <stddef.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

#define TEST_CASE(fn) { #fn, fn }

int test_main(const char *suite, const struct test_case *cases, size_t n,
              int argc, char **argv);

#define TEST_MAIN(suite, ...)                                                 \
    int main(int argc, char **argv)                                           \
    {                                                                         \
        static const struct test_case cases[] = { __VA_ARGS__ };              \
        return test_main(suite, cases, sizeof(cases) / sizeof(cases[0]),      \
                         argc, argv);                                         \
    }

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define TEST_ASSERT(expr)                                                     \
    do {                                                                      \
        if (!(expr))                                                          \
            test_fail(__FILE__, __LINE__, "assertion failed: %s", #expr);     \
    } while (0)

#define TEST_ASSERT_INT(a, b)                                                 \
    do {                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                   \
        if (a_ != b_)                                                         \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld",  \
                      #a, a_, #b, b_);                                        \
    } while (0)

#define TEST_ASSERT_STR(a, b)                                                 \
    do {                                                                      \
        const char *a_ = (a), *b_ = (b);                                      \
        if (!a_ || !b_ || strcmp(a_, b_))                                     \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"",    \
                      #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");            \
    } while (0)

#define TEST_ASSERT_MEM(a, alen, b, blen)                                     \
    do {                                                                      \
        size_t al_ = (alen), bl_ = (blen);                                    \
        if (al_ != bl_ || memcmp((a), (b), al_))                              \
            test_fail(__FILE__, __LINE__, "%s (%zu bytes) differs from %s "   \
                      "(%zu bytes)", #a, al_, #b, bl_);                       \
    } while (0)

/* The case's private temporary directory (absolute path). */
const char *test_tmpdir(void);
/* A path inside test_tmpdir(), in a static rotating buffer. */
const char *test_path(const char *name);
/* Write a file inside the temp dir; returns its path (test_path). */
const char *test_write_file(const char *name, const char *contents);

/* Run fn(rock) in a child; returns its exit status, or 128+signal if it was
 * killed.  For testing code that must exit (log_fatal) or crash. */
int test_run_child(void (*fn)(void *rock), void *rock);

/* Directory holding the test programs' sources (for data files). */
const char *test_srcdir(void);

#endif
