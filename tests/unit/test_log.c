/* test_log.c -- levels, capture, the test log file, fatal and panic exits. */
#include "config.h"

#include <stdlib.h>
#include <sysexits.h>
#include <signal.h>
#include <errno.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

static void capture(int prio, const char *line, void *rock)
{
    buf_printf(rock, "%d:%s\n", prio, line);
}

static void test_capture_and_level(void)
{
    struct buf b = BUF_INITIALIZER;
    log_init("test_log");
    log_set_capture(capture, &b);
    log_info("mailbox open: mailbox=<%s>", "user.bob");
    log_debug("not shown at the default level");
    log_set_level(LOG_DEBUG);
    log_debug("now shown");
    TEST_ASSERT_STR(buf_cstring(&b),
                    "6:mailbox open: mailbox=<user.bob>\n7:now shown\n");
    buf_free(&b);
}

static void test_errno_suffix(void)
{
    struct buf b = BUF_INITIALIZER;
    log_set_capture(capture, &b);
    errno = ENOENT;
    log_error_errno("open failed: file=<%s>", "/x");
    TEST_ASSERT_STR(buf_cstring(&b),
                    "3:open failed: file=</x>: No such file or directory\n");
    TEST_ASSERT_INT(errno, ENOENT);
    buf_free(&b);
}

static void test_log_file_env(void)
{
    char *data;
    size_t len;
    setenv("CHAPAR_LOG_FILE", test_path("log"), 1);
    log_init("chaptest");
    log_warn("badlogin: %s", "localhost [127.0.0.1] plain bob");
    TEST_ASSERT_INT(util_read_file(test_path("log"), &data, &len), ERR_OK);
    TEST_ASSERT(strstr(data, "chaptest[") == data);
    TEST_ASSERT(strstr(data, "]: warning: badlogin: localhost [127.0.0.1] "
                             "plain bob\n"));
    free(data);
}

static void test_long_line_truncated(void)
{
    struct buf b = BUF_INITIALIZER;
    char *big = xmalloc(10000);
    memset(big, 'z', 9999);
    big[9999] = '\0';
    log_set_capture(capture, &b);
    log_info("%s", big);
    TEST_ASSERT(b.len < 5000);
    TEST_ASSERT(strstr(buf_cstring(&b), "...\n"));
    free(big);
    buf_free(&b);
}

static void do_fatal(void *rock) { (void)rock; log_fatal("disk on fire"); }
static void do_panic(void *rock) { (void)rock; ASSERT(1 == 2); }

static void test_fatal_exits_tempfail(void)
{
    TEST_ASSERT_INT(test_run_child(do_fatal, NULL), EX_TEMPFAIL);
}

static void test_panic_aborts(void)
{
    TEST_ASSERT_INT(test_run_child(do_panic, NULL), 128 + SIGABRT);
}

static void test_error_strings(void)
{
    TEST_ASSERT_STR(error_string(ERR_OK), "success");
    TEST_ASSERT_STR(error_string(ERR_NOTFOUND), "not found");
    TEST_ASSERT_STR(error_string(-3), "unknown error");
    TEST_ASSERT_STR(error_string(ERR__COUNT), "unknown error");
    for (int i = 0; i < ERR__COUNT; i++)
        TEST_ASSERT(strcmp(error_string(i), "unknown error") != 0);
}

TEST_MAIN("log",
          TEST_CASE(test_capture_and_level),
          TEST_CASE(test_errno_suffix),
          TEST_CASE(test_log_file_env),
          TEST_CASE(test_long_line_truncated),
          TEST_CASE(test_fatal_exits_tempfail),
          TEST_CASE(test_panic_aborts),
          TEST_CASE(test_error_strings))
