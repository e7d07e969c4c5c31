/* test_map.c -- read-only mmap: growth, shrink, empty files, bad fds. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/map.h"
#include "tests/unit/harness.h"

static void capture(int prio, const char *line, void *rock)
{
    (void)prio;
    buf_printf(rock, "%s\n", line);
}

static int open_file(const char *name, const char *contents)
{
    int fd = open(test_write_file(name, contents), O_RDWR | O_APPEND);
    TEST_ASSERT(fd >= 0);
    return fd;
}

static void test_map_sees_appended_bytes(void)
{
    struct map m = MAP_INITIALIZER;
    int fd = open_file("f", "hello");

    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    TEST_ASSERT_MEM(m.base, m.len, "hello", 5);
    TEST_ASSERT_INT(write(fd, ", world", 7), 7);
    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    TEST_ASSERT_MEM(m.base, m.len, "hello, world", 12);
    map_free(&m);
    TEST_ASSERT(m.base == NULL && m.len == 0);
    map_free(&m);               /* twice is harmless */
    close(fd);
}

static void test_map_unchanged_keeps_base(void)
{
    struct map m = MAP_INITIALIZER;
    const char *base;
    int fd = open_file("f", "0123456789"), wfd;

    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    base = m.base;
    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    TEST_ASSERT(m.base == base);
    /* An in-place rewrite is seen through the shared mapping, with no
     * remap (the size did not change). */
    wfd = open(test_path("f"), O_WRONLY);
    TEST_ASSERT_INT(pwrite(wfd, "ABC", 3, 2), 3);
    close(wfd);
    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    TEST_ASSERT(m.base == base);
    TEST_ASSERT_MEM(m.base, m.len, "01ABC56789", 10);
    /* The fd is not needed once mapped. */
    close(fd);
    TEST_ASSERT_MEM(m.base, m.len, "01ABC56789", 10);
    map_free(&m);
}

static void test_map_empty_file(void)
{
    struct map m = MAP_INITIALIZER;
    int fd = open_file("empty", "");

    TEST_ASSERT_INT(map_refresh(&m, fd, "empty"), ERR_OK);
    TEST_ASSERT(m.base == NULL);
    TEST_ASSERT_INT(m.len, 0);
    TEST_ASSERT_INT(write(fd, "x", 1), 1);
    TEST_ASSERT_INT(map_refresh(&m, fd, "empty"), ERR_OK);
    TEST_ASSERT_MEM(m.base, m.len, "x", 1);
    TEST_ASSERT_INT(ftruncate(fd, 0), 0);
    TEST_ASSERT_INT(map_refresh(&m, fd, "empty"), ERR_OK);
    TEST_ASSERT(m.base == NULL && m.len == 0);
    map_free(&m);
    close(fd);
}

static void test_map_shrink(void)
{
    struct map m = MAP_INITIALIZER;
    char big[100000];
    int fd = open_file("f", "");
    volatile char sum = 0;

    memset(big, 'b', sizeof(big));
    TEST_ASSERT_INT(write(fd, big, sizeof(big)), sizeof(big));
    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    TEST_ASSERT_INT(m.len, sizeof(big));
    TEST_ASSERT_INT(ftruncate(fd, 10), 0);
    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    TEST_ASSERT_INT(m.len, 10);
    /* Every byte we are told about is readable (no SIGBUS). */
    for (size_t i = 0; i < m.len; i++)
        sum += m.base[i];
    TEST_ASSERT_MEM(m.base, m.len, big, 10);
    map_free(&m);
    close(fd);
}

/* A different file of the same size (a replaced cyrus.index) is remapped. */
static void test_map_follows_new_inode(void)
{
    struct map m = MAP_INITIALIZER;
    int fd1 = open_file("a", "AAAA"), fd2 = open_file("b", "BBBB");

    TEST_ASSERT_INT(map_refresh(&m, fd1, "a"), ERR_OK);
    TEST_ASSERT_MEM(m.base, m.len, "AAAA", 4);
    TEST_ASSERT_INT(map_refresh(&m, fd2, "b"), ERR_OK);
    TEST_ASSERT_MEM(m.base, m.len, "BBBB", 4);
    map_free(&m);
    close(fd1);
    close(fd2);
}

static void test_map_bad_fd(void)
{
    struct buf log = BUF_INITIALIZER;
    struct map m = MAP_INITIALIZER;
    int fd = open_file("f", "data");

    log_set_capture(capture, &log);
    TEST_ASSERT_INT(map_refresh(&m, fd, "f"), ERR_OK);
    close(fd);
    /* A closed fd: error, logged with the name, and the map is emptied. */
    TEST_ASSERT_INT(map_refresh(&m, fd, "user.bob/cyrus.index"), ERR_IO);
    TEST_ASSERT(m.base == NULL && m.len == 0);
    TEST_ASSERT(strstr(buf_cstring(&log), "file=<user.bob/cyrus.index>"));
    TEST_ASSERT_INT(map_refresh(&m, -1, "x"), ERR_IO);
    /* A directory has a size but cannot be mapped. */
    fd = open(test_tmpdir(), O_RDONLY);
    TEST_ASSERT(fd >= 0);
    TEST_ASSERT_INT(map_refresh(&m, fd, "somedir"), ERR_IO);
    TEST_ASSERT(m.base == NULL && m.len == 0);
    TEST_ASSERT(strstr(buf_cstring(&log), "file=<somedir>"));
    close(fd);
    map_free(&m);
    log_set_capture(NULL, NULL);
    buf_free(&log);
}

TEST_MAIN("map",
          TEST_CASE(test_map_sees_appended_bytes),
          TEST_CASE(test_map_unchanged_keeps_base),
          TEST_CASE(test_map_empty_file),
          TEST_CASE(test_map_shrink),
          TEST_CASE(test_map_follows_new_inode),
          TEST_CASE(test_map_bad_fd))
