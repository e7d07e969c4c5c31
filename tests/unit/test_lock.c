/* test_lock.c -- file locks between processes: conflicts, timeouts, death
 * of the holder, OFD semantics, and files replaced while we wait. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/lock.h"
#include "lib/util.h"
#include "tests/unit/harness.h"

/* A child process holding a lock until release() (or a kill). */
struct holder {
    pid_t pid;
    int ctl;                    /* closing it tells the child to exit */
};

#define HOLD_CLOSE_SECOND_FD 0x1    /* open+close another fd while holding */
#define HOLD_RENAME_AFTER    0x2    /* replace the file, then release */

static void holder_main(const char *path, int mode, int how, int up, int down)
{
    int fd = open(path, O_RDWR), fd2;
    char c;

    alarm(60);      /* never outlive a failed test */
    if (fd < 0 || lock_fd(fd, mode, LOCK_FOREVER) != ERR_OK)
        _exit(1);
    if (how & HOLD_CLOSE_SECOND_FD) {
        /* With classic fcntl locks this close would drop our lock. */
        if ((fd2 = open(path, O_RDONLY)) < 0)
            _exit(1);
        close(fd2);
    }
    if (write(up, "L", 1) != 1)
        _exit(1);
    if (how & HOLD_RENAME_AFTER) {
        usleep(200000);         /* the parent is waiting for our lock */
        if (util_atomic_replace(path, "new", 3, 0600) != ERR_OK)
            _exit(1);
        usleep(50000);
        _exit(0);               /* releases the lock on the old inode */
    }
    /* EOF when the parent closes its end. */
    _exit(read(down, &c, 1) == 0 ? 0 : 1);
}

static struct holder hold(const char *path, int mode, int how)
{
    struct holder h;
    int up[2], down[2];
    char c;

    TEST_ASSERT(pipe(up) == 0 && pipe(down) == 0);
    h.pid = fork();
    TEST_ASSERT(h.pid >= 0);
    if (h.pid == 0) {
        close(up[0]);
        close(down[1]);
        holder_main(path, mode, how, up[1], down[0]);
    }
    close(up[1]);
    close(down[0]);
    TEST_ASSERT_INT(read(up[0], &c, 1), 1);
    close(up[0]);
    h.ctl = down[1];
    return h;
}

static void release(struct holder *h)
{
    int status;
    close(h->ctl);
    TEST_ASSERT(waitpid(h->pid, &status, 0) == h->pid);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_rw(const char *name)
{
    int fd = open(test_path(name), O_RDWR | O_CREAT, 0600);
    TEST_ASSERT(fd >= 0);
    return fd;
}

static void test_exclusive_excludes_others(void)
{
    int fd = open_rw("f");
    struct holder h = hold(test_path("f"), LOCK_EXCLUSIVE, 0);

    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_LOCKED);
    TEST_ASSERT_INT(lock_fd(fd, LOCK_SHARED, LOCK_NOWAIT), ERR_LOCKED);
    release(&h);
    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_OK);
    TEST_ASSERT_INT(lock_unlock(fd), ERR_OK);
    close(fd);
}

static void test_timeout_expires(void)
{
    int fd = open_rw("f");
    struct holder h = hold(test_path("f"), LOCK_EXCLUSIVE, 0);
    long long t0 = now_ms(), elapsed;

    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, 300), ERR_TIMEOUT);
    elapsed = now_ms() - t0;
    TEST_ASSERT(elapsed >= 295);
    TEST_ASSERT(elapsed < 1500);
    release(&h);
    close(fd);
}

/* A timed or blocking wait gets the lock when the holder lets go. */
static void test_waits_until_released(void)
{
    int fd = open_rw("f");
    struct holder h;
    pid_t killer;
    long long t0;

    for (int blocking = 0; blocking < 2; blocking++) {
        h = hold(test_path("f"), LOCK_EXCLUSIVE, 0);
        killer = fork();
        if (killer == 0) {
            usleep(150000);
            kill(h.pid, SIGTERM);
            _exit(0);
        }
        t0 = now_ms();
        TEST_ASSERT_INT(lock_fd(fd, LOCK_SHARED,
                                blocking ? LOCK_FOREVER : 10000), ERR_OK);
        TEST_ASSERT(now_ms() - t0 >= 100);
        waitpid(killer, NULL, 0);
        waitpid(h.pid, NULL, 0);
        close(h.ctl);
        TEST_ASSERT_INT(lock_unlock(fd), ERR_OK);
    }
    close(fd);
}

static void test_shared_locks(void)
{
    int fd = open_rw("f");
    struct holder h = hold(test_path("f"), LOCK_SHARED, 0);

    TEST_ASSERT_INT(lock_fd(fd, LOCK_SHARED, LOCK_NOWAIT), ERR_OK);
    TEST_ASSERT_INT(lock_unlock(fd), ERR_OK);
    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_LOCKED);
    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, 100), ERR_TIMEOUT);
    release(&h);
    /* Converting our own lock: shared, then exclusive, on one fd. */
    TEST_ASSERT_INT(lock_fd(fd, LOCK_SHARED, LOCK_NOWAIT), ERR_OK);
    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_OK);
    close(fd);
}

static void test_holder_killed(void)
{
    int fd = open_rw("f");
    struct holder h = hold(test_path("f"), LOCK_EXCLUSIVE, 0);

    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_LOCKED);
    kill(h.pid, SIGKILL);
    waitpid(h.pid, NULL, 0);
    close(h.ctl);
    TEST_ASSERT_INT(lock_fd(fd, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_OK);
    close(fd);
}

/* OFD semantics: the holder opening and closing another descriptor of the
 * same file keeps its lock (a classic fcntl lock would be gone). */
static void test_close_other_fd_keeps_lock(void)
{
    int fd = open_rw("f");
    struct holder h = hold(test_path("f"), LOCK_EXCLUSIVE,
                           HOLD_CLOSE_SECOND_FD);

    TEST_ASSERT_INT(lock_fd(fd, LOCK_SHARED, LOCK_NOWAIT), ERR_LOCKED);
    release(&h);
    close(fd);
}

/* The same inside one process: two opens are two lock owners. */
static void test_two_opens_in_one_process(void)
{
    int fd1 = open_rw("f"), fd2 = open_rw("f"), fd3;

    TEST_ASSERT_INT(lock_fd(fd1, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_OK);
    TEST_ASSERT_INT(lock_fd(fd2, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_LOCKED);
    fd3 = open_rw("f");
    close(fd3);
    TEST_ASSERT_INT(lock_fd(fd2, LOCK_SHARED, LOCK_NOWAIT), ERR_LOCKED);
    close(fd1);
    TEST_ASSERT_INT(lock_fd(fd2, LOCK_EXCLUSIVE, LOCK_NOWAIT), ERR_OK);
    close(fd2);
}

/* A writer replaces the file by rename while we wait for its lock: we must
 * end up holding a lock on the new file, not the unlinked old one. */
static void test_open_locked_follows_rename(void)
{
    for (int blocking = 0; blocking < 2; blocking++) {
        const char *path = test_write_file("index", "old");
        struct stat fst, pst;
        struct holder h = hold(path, LOCK_EXCLUSIVE, HOLD_RENAME_AFTER);
        char data[16];
        int fd;
        ssize_t n;

        TEST_ASSERT_INT(lock_open_locked(path, O_RDWR, 0, LOCK_EXCLUSIVE,
                                         blocking ? LOCK_FOREVER : 10000,
                                         &fd), ERR_OK);
        n = pread(fd, data, sizeof(data), 0);
        TEST_ASSERT_MEM(data, n, "new", 3);
        TEST_ASSERT(fstat(fd, &fst) == 0 && stat(path, &pst) == 0);
        TEST_ASSERT(fst.st_ino == pst.st_ino);
        TEST_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        waitpid(h.pid, NULL, 0);
        close(h.ctl);
        close(fd);
    }
}

static void test_open_locked_errors(void)
{
    int fd = 123;

    TEST_ASSERT_INT(lock_open_locked(test_path("missing"), O_RDWR, 0,
                                     LOCK_EXCLUSIVE, LOCK_NOWAIT, &fd),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(fd, -1);
    TEST_ASSERT_INT(lock_open_locked(test_path("new"), O_RDWR | O_CREAT, 0600,
                                     LOCK_EXCLUSIVE, LOCK_NOWAIT, &fd),
                    ERR_OK);
    TEST_ASSERT(fd >= 0);
    close(fd);
    TEST_ASSERT_INT(lock_open_locked(test_path("nodir/x"), O_RDWR | O_CREAT,
                                     0600, LOCK_SHARED, LOCK_NOWAIT, &fd),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(lock_open_locked(test_tmpdir(), O_RDWR, 0,
                                     LOCK_SHARED, LOCK_NOWAIT, &fd), ERR_IO);
    TEST_ASSERT_INT(lock_fd(-1, LOCK_SHARED, LOCK_NOWAIT), ERR_IO);
    TEST_ASSERT_INT(lock_fd(-1, LOCK_SHARED, 50), ERR_IO);
    fd = open_rw("f");
    TEST_ASSERT_INT(lock_fd(fd, 7, LOCK_NOWAIT), ERR_BADARG);
    close(fd);
}

TEST_MAIN("lock",
          TEST_CASE(test_exclusive_excludes_others),
          TEST_CASE(test_timeout_expires),
          TEST_CASE(test_waits_until_released),
          TEST_CASE(test_shared_locks),
          TEST_CASE(test_holder_killed),
          TEST_CASE(test_close_other_fd_keeps_lock),
          TEST_CASE(test_two_opens_in_one_process),
          TEST_CASE(test_open_locked_follows_rename),
          TEST_CASE(test_open_locked_errors))
