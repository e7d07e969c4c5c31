/* test_login_limit.c -- the password-guessing limits: per-user and
 * per-address lockouts, shared between processes, names canonified, a
 * success clearing the user's count, and the state file surviving damage
 * (a bad header is rebuilt, a torn slot reads as empty) and writers killed
 * at any instant. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/util.h"
#include "imap/server/login_limit.h"
#include "tests/unit/harness.h"

#define HOST1 "one.example [192.0.2.1]"
#define HOST2 "two.example [192.0.2.2]"
#define HOST3 "three.example [192.0.2.3]"

static void setup(int user_limit, int client_limit)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;

    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n"
               "failedloginpause: 0\nloginlimit_user: %d\n"
               "loginlimit_client: %d\nloginlimit_lockout: 60\n",
               test_tmpdir(), test_tmpdir(), user_limit, client_limit);
    if (conf_load_text("test.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "config: %s", buf_cstring(&err));
    util_mkdir_p(test_path("conf"), 0700);
    buf_free(&conf);
    buf_free(&err);
}

static void test_user_lockout(void)
{
    setup(3, 0);
    login_limit_failed(HOST1, "plaintext", "alice", "wrong");
    login_limit_failed(HOST2, "plaintext", "Alice", "wrong");
    TEST_ASSERT_INT(login_limit_check(HOST3, "plaintext", "alice"),
                    LOGIN_LIMIT_OK);
    login_limit_failed(HOST3, "plaintext", "ALICE", "wrong");
    /* Three failures under three spellings from three addresses. */
    TEST_ASSERT_INT(login_limit_check(HOST1, "plaintext", "alice"),
                    LOGIN_LIMIT_USER);
    TEST_ASSERT_INT(login_limit_check(HOST1, "PLAIN", "aLiCe"),
                    LOGIN_LIMIT_USER);
    TEST_ASSERT_INT(login_limit_check(HOST1, "plaintext", "bob"),
                    LOGIN_LIMIT_OK);
    TEST_ASSERT_INT(login_limit_check(HOST1, "PLAIN", NULL), LOGIN_LIMIT_OK);
    /* A success does not lift a lockout (it cannot happen while locked). */
    login_limit_succeeded("alice");
    TEST_ASSERT_INT(login_limit_check(HOST1, "plaintext", "alice"),
                    LOGIN_LIMIT_USER);
}

static void test_success_clears_the_user(void)
{
    setup(3, 0);
    login_limit_failed(HOST1, "plaintext", "bob", "wrong");
    login_limit_failed(HOST1, "plaintext", "bob", "wrong");
    login_limit_succeeded("bob");
    login_limit_failed(HOST1, "plaintext", "bob", "wrong");
    login_limit_failed(HOST1, "plaintext", "bob", "wrong");
    TEST_ASSERT_INT(login_limit_check(HOST1, "plaintext", "bob"),
                    LOGIN_LIMIT_OK);
    login_limit_failed(HOST1, "plaintext", "bob", "wrong");
    TEST_ASSERT_INT(login_limit_check(HOST1, "plaintext", "bob"),
                    LOGIN_LIMIT_USER);
}

static void test_client_lockout(void)
{
    setup(0, 2);
    login_limit_failed(HOST1, "plaintext", "u1", "wrong");
    login_limit_failed(HOST1, "plaintext", "u2", "wrong");
    TEST_ASSERT_INT(login_limit_check(HOST1, "plaintext", "alice"),
                    LOGIN_LIMIT_CLIENT);
    TEST_ASSERT_INT(login_limit_check(HOST1, "PLAIN", NULL),
                    LOGIN_LIMIT_CLIENT);
    TEST_ASSERT_INT(login_limit_check(HOST2, "plaintext", "alice"),
                    LOGIN_LIMIT_OK);
    /* Local clients have no address to count. */
    login_limit_failed("[local]", "plaintext", "u3", "wrong");
    login_limit_failed("[local]", "plaintext", "u4", "wrong");
    TEST_ASSERT_INT(login_limit_check("[local]", "plaintext", "alice"),
                    LOGIN_LIMIT_OK);
}

static void fail_three(void *rock)
{
    (void)rock;
    for (int i = 0; i < 3; i++)
        login_limit_failed(HOST1, "plaintext", "carol", "wrong");
    exit(0);
}

static void test_shared_between_processes(void)
{
    setup(3, 0);
    TEST_ASSERT_INT(login_limit_check(HOST2, "plaintext", "carol"),
                    LOGIN_LIMIT_OK);
    TEST_ASSERT_INT(test_run_child(fail_three, NULL), 0);
    TEST_ASSERT_INT(login_limit_check(HOST2, "plaintext", "carol"),
                    LOGIN_LIMIT_USER);
}

static void check_in_child(void *rock)
{
    exit(login_limit_check(HOST2, "plaintext", (const char *)rock));
}

static void test_damaged_file(void)
{
    unsigned char *data;
    struct stat st;
    int fd;

    setup(2, 0);
    /* A foreign file is rebuilt at the first use. */
    test_write_file("conf/loginlimit", "not a login limit file\n");
    login_limit_failed(HOST1, "plaintext", "dave", "wrong");
    login_limit_failed(HOST1, "plaintext", "dave", "wrong");
    TEST_ASSERT_INT(login_limit_check(HOST1, "plaintext", "dave"),
                    LOGIN_LIMIT_USER);
    TEST_ASSERT(stat(test_path("conf/loginlimit"), &st) == 0);
    TEST_ASSERT(st.st_size > 4096 && (st.st_mode & 077) == 0);
    /* Every slot torn (a byte flipped after its CRC was written): the
     * lockout reads as no record at all, in another process. */
    fd = open(test_path("conf/loginlimit"), O_RDWR);
    TEST_ASSERT(fd >= 0);
    data = malloc((size_t)st.st_size);
    TEST_ASSERT(pread(fd, data, (size_t)st.st_size, 0) == st.st_size);
    TEST_ASSERT_INT(test_run_child(check_in_child, "dave"),
                    LOGIN_LIMIT_USER);
    for (off_t off = 64; off + 32 <= st.st_size; off += 32)
        data[off + 9] ^= 0x40;
    TEST_ASSERT(pwrite(fd, data, (size_t)st.st_size, 0) == st.st_size);
    TEST_ASSERT_INT(test_run_child(check_in_child, "dave"), LOGIN_LIMIT_OK);
    /* A header damaged under running processes: the next one to use the
     * file rebuilds it in place. */
    data[0] ^= 0xff;
    TEST_ASSERT(pwrite(fd, data, 64, 0) == 64);
    TEST_ASSERT_INT(test_run_child(check_in_child, "dave"), LOGIN_LIMIT_OK);
    TEST_ASSERT(pread(fd, data, 8, 0) == 8 && !memcmp(data, "CHAPARLL", 8));
    close(fd);
    free(data);
}

/* Writers killed with SIGKILL at random instants (the file's creation
 * included: it is removed before every third round): after each kill a
 * fresh process still counts and locks out, and an untouched name is
 * not locked. */
static void fail_forever(void *rock)
{
    char user[32];
    (void)rock;
    for (unsigned i = 0;; i++) {
        snprintf(user, sizeof(user), "w%u", i % 97);
        login_limit_failed(HOST1, "plaintext", user, "wrong");
    }
}

static void fail_named_three(void *rock)
{
    for (int i = 0; i < 3; i++)
        login_limit_failed(HOST2, "plaintext", rock, "wrong");
    exit(0);
}

static void test_killed_writers(void)
{
    char user[32];

    setup(3, 0);
    srand((unsigned)getpid());
    for (int round = 0; round < 30; round++) {
        pid_t pid;
        if (round % 3 == 0)
            unlink(test_path("conf/loginlimit"));
        pid = fork();
        TEST_ASSERT(pid >= 0);
        if (pid == 0)
            fail_forever(NULL);
        usleep((useconds_t)(rand() % 3000));
        kill(pid, SIGKILL);
        TEST_ASSERT(waitpid(pid, NULL, 0) == pid);
        snprintf(user, sizeof(user), "fresh%d", round);
        TEST_ASSERT_INT(test_run_child(check_in_child, user),
                        LOGIN_LIMIT_OK);
        TEST_ASSERT_INT(test_run_child(fail_named_three, user), 0);
        TEST_ASSERT_INT(test_run_child(check_in_child, user),
                        LOGIN_LIMIT_USER);
    }
}

TEST_MAIN("login_limit",
          TEST_CASE(test_user_lockout),
          TEST_CASE(test_success_clears_the_user),
          TEST_CASE(test_client_lockout),
          TEST_CASE(test_shared_between_processes),
          TEST_CASE(test_damaged_file),
          TEST_CASE(test_killed_writers))
