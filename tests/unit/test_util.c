/* test_util.c -- durable replace, retrying I/O, parsing, CRC, byte order. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

static void test_atomic_replace(void)
{
    const char *path = test_path("file");
    char *data;
    size_t len;
    struct stat st;

    TEST_ASSERT_INT(util_atomic_replace(path, "one\n", 4, 0600), ERR_OK);
    TEST_ASSERT_INT(util_read_file(path, &data, &len), ERR_OK);
    TEST_ASSERT_MEM(data, len, "one\n", 4);
    free(data);
    TEST_ASSERT_INT(util_atomic_replace(path, "two\0x", 5, 0600), ERR_OK);
    TEST_ASSERT_INT(util_read_file(path, &data, &len), ERR_OK);
    TEST_ASSERT_MEM(data, len, "two\0x", 5);
    free(data);
    TEST_ASSERT(stat(test_path("file.NEW"), &st) < 0);  /* no temp left */
    TEST_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
}

static void test_atomic_replace_fails_cleanly(void)
{
    /* The directory does not exist: an error, nothing created. */
    TEST_ASSERT_INT(util_atomic_replace(test_path("nodir/file"), "x", 1, 0600),
                    ERR_IO);
    TEST_ASSERT_INT(util_read_file(test_path("missing"), &(char *){0}, NULL),
                    ERR_NOTFOUND);
}

/* A writer killed while replacing leaves the old or the new contents. */
static void test_atomic_replace_survives_kill(void)
{
    const char *path = test_path("state");
    char big[65536];
    memset(big, 'N', sizeof(big));
    TEST_ASSERT_INT(util_atomic_replace(path, "OLD", 3, 0600), ERR_OK);
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        char *data;
        size_t len;
        if (pid == 0) {
            for (;;)
                util_atomic_replace(path, big, sizeof(big), 0600);
        }
        usleep(1000 * (round % 5));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        TEST_ASSERT_INT(util_read_file(path, &data, &len), ERR_OK);
        TEST_ASSERT((len == 3 && !memcmp(data, "OLD", 3)) ||
                    (len == sizeof(big) && !memcmp(data, big, len)));
        free(data);
    }
}

static void test_retry_io_pipe(void)
{
    int fds[2];
    char out[200000], in[200000];
    pid_t pid;
    TEST_ASSERT(pipe(fds) == 0);
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (char)(i * 7);
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        _exit(retry_write(fds[1], out, sizeof(out)) == (ssize_t)sizeof(out)
                  ? 0 : 1);
    }
    close(fds[1]);
    TEST_ASSERT_INT(retry_read(fds[0], in, sizeof(in)), sizeof(in));
    TEST_ASSERT_MEM(in, sizeof(in), out, sizeof(out));
    TEST_ASSERT_INT(retry_read(fds[0], in, 10), 0);  /* EOF */
    close(fds[0]);
    waitpid(pid, NULL, 0);
}

static void test_parse_long(void)
{
    long long v = -1;
    TEST_ASSERT_INT(util_parse_long("42", 0, 100, &v), ERR_OK);
    TEST_ASSERT_INT(v, 42);
    TEST_ASSERT_INT(util_parse_long("-5", -10, 10, &v), ERR_OK);
    TEST_ASSERT_INT(v, -5);
    TEST_ASSERT_INT(util_parse_long("101", 0, 100, &v), ERR_BADARG);
    TEST_ASSERT_INT(util_parse_long("12x", 0, 100, &v), ERR_BADARG);
    TEST_ASSERT_INT(util_parse_long("", 0, 100, &v), ERR_BADARG);
    TEST_ASSERT_INT(util_parse_long("99999999999999999999999", 0, 100, &v),
                    ERR_BADARG);
}

static void test_crc32_and_byte_order(void)
{
    unsigned char b[8];
    /* The standard check value of CRC-32/IEEE. */
    TEST_ASSERT_INT(util_crc32(0, "123456789", 9), 0xCBF43926U);
    TEST_ASSERT_INT(util_crc32(util_crc32(0, "12345", 5), "6789", 4),
                    0xCBF43926U);
    /* The 8-bytes-at-a-time path agrees with the bytewise definition. */
    {
        unsigned char data[1000];
        uint32_t ref = 0xFFFFFFFFU;
        for (size_t i = 0; i < sizeof(data); i++)
            data[i] = (unsigned char)(i * 131 + 7);
        for (size_t i = 0; i < sizeof(data); i++) {
            ref ^= data[i];
            for (int k = 0; k < 8; k++)
                ref = ref & 1 ? 0xEDB88320U ^ (ref >> 1) : ref >> 1;
        }
        for (size_t split = 0; split < 20; split++)
            TEST_ASSERT_INT(util_crc32(util_crc32(0, data, split),
                                       data + split, sizeof(data) - split),
                            ~ref);
        /* four at once: the same as one at a time, any length and stride */
        for (size_t len = 0; len < 40; len++) {
            for (size_t stride = len ? len : 1; stride < len + 3; stride++) {
                uint32_t four[4];
                util_crc32_x4(data + 1, stride, len, four);
                for (int k = 0; k < 4; k++)
                    TEST_ASSERT_INT(four[k],
                                    util_crc32(0, data + 1 + k * stride, len));
            }
        }
        {
            uint32_t four[4];
            util_crc32_x4(data, 96, 92, four);
            for (int k = 0; k < 4; k++)
                TEST_ASSERT_INT(four[k], util_crc32(0, data + 96 * k, 92));
        }
    }
    util_put32(b, 0x01020304U);
    TEST_ASSERT(b[0] == 1 && b[3] == 4);
    TEST_ASSERT_INT(util_get32(b), 0x01020304U);
    util_put64(b, 0x0102030405060708ULL);
    TEST_ASSERT(b[0] == 1 && b[7] == 8);
    TEST_ASSERT(util_get64(b) == 0x0102030405060708ULL);
}

static void test_mkdir_p_and_remove_tree(void)
{
    const char *deep = test_path("a/b/c/d");
    struct stat st;
    TEST_ASSERT_INT(util_mkdir_p(deep, 0700), ERR_OK);
    TEST_ASSERT(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
    TEST_ASSERT_INT(util_mkdir_p(deep, 0700), ERR_OK);  /* idempotent */
    test_write_file("a/b/file", "x");
    TEST_ASSERT_INT(util_remove_tree(test_path("a")), ERR_OK);
    TEST_ASSERT(stat(test_path("a"), &st) < 0);
    TEST_ASSERT_INT(util_remove_tree(test_path("a")), ERR_OK);
    TEST_ASSERT_INT(util_fsync_parent(test_path("x")), ERR_OK);
}

/* Another process removes the empty parents all the time (as mboxlist
 * prunes after a DELETE): mkdir -p of a leaf below them still succeeds. */
static void test_mkdir_p_races_rmdir_of_parents(void)
{
    const char *top = test_path("race"), *mid = test_path("race/m");
    const char *leaf = test_path("race/m/leaf");
    struct stat st;
    pid_t pid = fork();

    if (pid == 0) {
        /* A pause between rounds keeps the race frequent without letting
         * a slowed-down (sanitizer) parent lose it 100 times in a row. */
        for (;;) {
            rmdir(mid);
            rmdir(top);
            usleep(1000);
        }
    }
    for (int i = 0; i < 20000; i++) {
        int r = util_mkdir_p(leaf, 0700);
        if (r != ERR_OK) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            test_fail(__FILE__, __LINE__, "round %d: util_mkdir_p: %s", i,
                      error_string(r));
            return;
        }
        TEST_ASSERT(stat(leaf, &st) == 0 && S_ISDIR(st.st_mode));
        rmdir(leaf);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_days_from_civil(void)
{
    TEST_ASSERT_INT(util_days_from_civil(1970, 1, 1), 0);
    TEST_ASSERT_INT(util_days_from_civil(1969, 12, 31), -1);
    TEST_ASSERT_INT(util_days_from_civil(2000, 3, 1), 11017);   /* leap */
    TEST_ASSERT_INT(util_days_from_civil(1994, 2, 8) * 86400, 760665600);
    TEST_ASSERT_INT(util_days_from_civil(1600, 1, 1), -135140);
}

/* Private_Dirty kB of this process's [stack] mapping (/proc/self/smaps:
 * the first such line after the mapping's own). */
static long stack_dirty_kb(void)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in_stack = 0;
    long kb = -1;

    TEST_ASSERT(f != NULL);
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "[stack]"))
            in_stack = 1;
        else if (in_stack && sscanf(line, "Private_Dirty: %ld kB", &kb) == 1)
            break;
    }
    fclose(f);
    return kb;
}

/* Dirties about `depth` kB of stack below the caller. */
static __attribute__((noinline)) int deep(int depth)
{
    volatile char pad[1024];

    memset((char *)pad, depth & 0xff, sizeof(pad));
    return depth > 0 ? deep(depth - 1) + pad[7] : pad[3];
}

/* The stack below the caller is given back and the caller's own frame
 * (and the heap) is untouched. */
static void test_release_idle_memory(void)
{
    char mine[4096];
    char *keep = xmalloc(100);
    long before, after;

    memset(mine, 0x5a, sizeof(mine));
    memset(keep, 0x33, 100);
    TEST_ASSERT(deep(512) != -1);
    before = stack_dirty_kb();
    util_release_idle_memory();
    after = stack_dirty_kb();
    TEST_ASSERT(before >= 512);
    TEST_ASSERT(after >= 0 && after < before - 256);
    for (size_t i = 0; i < sizeof(mine); i++)
        TEST_ASSERT_INT(mine[i], 0x5a);
    for (int i = 0; i < 100; i++)
        TEST_ASSERT_INT(keep[i], 0x33);
    TEST_ASSERT(deep(64) != -1);        /* the stack is usable again */
    free(keep);
}

TEST_MAIN("util",
          TEST_CASE(test_atomic_replace),
          TEST_CASE(test_atomic_replace_fails_cleanly),
          TEST_CASE(test_atomic_replace_survives_kill),
          TEST_CASE(test_retry_io_pipe),
          TEST_CASE(test_parse_long),
          TEST_CASE(test_crc32_and_byte_order),
          TEST_CASE(test_mkdir_p_and_remove_tree),
          TEST_CASE(test_mkdir_p_races_rmdir_of_parents),
          TEST_CASE(test_days_from_civil),
          TEST_CASE(test_release_idle_memory))
