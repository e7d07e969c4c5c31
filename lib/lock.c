/* lock.c -- whole-file fcntl locks with OFD preference; see lock.h.
 *
 * One primitive, lock_setlk(), issues F_OFD_SETLK[W] or F_SETLK[W] and
 * remembers, process-wide, when the kernel rejects OFD commands (EINVAL on
 * kernels before 3.15) so the fallback costs one failed call, once.
 * Timed waits poll the non-blocking form against CLOCK_MONOTONIC, so a
 * change of the wall clock cannot stretch or cut a timeout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"

/* Growth of the polling sleep of a timed wait, in microseconds. */
#define LOCK_POLL_FIRST_US 1000
#define LOCK_POLL_MAX_US   50000

#ifdef F_OFD_SETLK
/* Cleared on the first EINVAL: the kernel has no OFD locks. */
static int lock_use_ofd = 1;
#endif

/* One fcntl lock call on the whole file; returns 0 or -1 with errno. */
static int lock_setlk(int fd, short type, int wait)
{
    struct flock fl;
    int r;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;               /* to end of file, however it grows */
#ifdef F_OFD_SETLK
    if (lock_use_ofd) {
        /* l_pid must be 0 for OFD commands. */
        r = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
        if (r == 0 || errno != EINVAL)
            return r;
        /* EINVAL: either no OFD support or an fd that cannot be locked;
         * the classic call tells which (it fails with EINVAL too only in
         * the second case). */
        r = fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
        if (r == 0 || errno != EINVAL) {
            int saved = errno;
            log_warn("lock: kernel lacks OFD locks, using classic fcntl "
                     "locks (closing any fd of a file drops its locks)");
            lock_use_ofd = 0;
            errno = saved;
        }
        return r;
    }
#endif
    r = fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
    return r;
}

static long long lock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int lock_errno_to_error(int fd, const char *what)
{
    if (errno == EAGAIN || errno == EACCES)
        return ERR_LOCKED;
    if (errno == EDEADLK) {
        log_warn("lock: kernel reports deadlock: fd=<%d> op=<%s>", fd, what);
        return ERR_LOCKED;
    }
    log_error_errno("lock: fcntl failed: fd=<%d> op=<%s>", fd, what);
    return ERR_IO;
}

/* Poll the non-blocking lock until deadline_ms (CLOCK_MONOTONIC). */
static int lock_poll(int fd, short type, long long deadline_ms)
{
    long sleep_us = LOCK_POLL_FIRST_US;

    for (;;) {
        long long left;
        struct timespec ts;

        if (lock_setlk(fd, type, 0) == 0)
            return ERR_OK;
        if (errno != EAGAIN && errno != EACCES)
            return lock_errno_to_error(fd, "poll");
        left = deadline_ms - lock_now_ms();
        if (left <= 0)
            return ERR_TIMEOUT;
        if ((long long)sleep_us / 1000 > left)
            sleep_us = (long)left * 1000;
        ts.tv_sec = sleep_us / 1000000;
        ts.tv_nsec = (sleep_us % 1000000) * 1000;
        nanosleep(&ts, NULL);   /* EINTR: just poll again sooner */
        sleep_us *= 2;
        if (sleep_us > LOCK_POLL_MAX_US)
            sleep_us = LOCK_POLL_MAX_US;
    }
}

static int lock_fd_until(int fd, int lockmode, int timeout_ms,
                         long long deadline_ms)
{
    short type;

    if (lockmode == LOCK_SHARED)
        type = F_RDLCK;
    else if (lockmode == LOCK_EXCLUSIVE)
        type = F_WRLCK;
    else {
        log_error("lock: invalid lock mode: mode=<%d>", lockmode);
        return ERR_BADARG;
    }

    if (timeout_ms == LOCK_NOWAIT) {
        if (lock_setlk(fd, type, 0) == 0)
            return ERR_OK;
        return lock_errno_to_error(fd, "try");
    }
    if (timeout_ms < 0) {
        while (lock_setlk(fd, type, 1) < 0) {
            if (errno != EINTR)
                return lock_errno_to_error(fd, "wait");
        }
        return ERR_OK;
    }
    return lock_poll(fd, type, deadline_ms);
}

int lock_fd(int fd, int lockmode, int timeout_ms)
{
    long long deadline = timeout_ms > 0 ? lock_now_ms() + timeout_ms : 0;
    return lock_fd_until(fd, lockmode, timeout_ms, deadline);
}

int lock_unlock(int fd)
{
    if (lock_setlk(fd, F_UNLCK, 0) == 0)
        return ERR_OK;
    log_error_errno("lock: unlock failed: fd=<%d>", fd);
    return ERR_IO;
}

/* Does path still name the inode open on fd?  1 yes, 0 no (replaced or
 * removed), -1 on an fstat error. */
static int lock_same_file(int fd, const char *path)
{
    struct stat fst, pst;

    if (fstat(fd, &fst) < 0) {
        log_error_errno("lock: fstat failed: file=<%s>", path);
        return -1;
    }
    if (stat(path, &pst) < 0)
        return 0;
    return fst.st_ino == pst.st_ino && fst.st_dev == pst.st_dev;
}

int lock_open_locked(const char *path, int open_flags, mode_t mode,
                     int lockmode, int timeout_ms, int *fd_r)
{
    long long deadline = timeout_ms > 0 ? lock_now_ms() + timeout_ms : 0;

    *fd_r = -1;
    for (;;) {
        int fd, r, same;

        fd = open(path, open_flags | O_CLOEXEC, mode);
        if (fd < 0) {
            if (errno == ENOENT)
                return ERR_NOTFOUND;
            log_error_errno("lock: open failed: file=<%s>", path);
            return ERR_IO;
        }
        r = lock_fd_until(fd, lockmode, timeout_ms, deadline);
        if (r) {
            close(fd);
            return r;
        }
        same = lock_same_file(fd, path);
        if (same == 1) {
            *fd_r = fd;
            return ERR_OK;
        }
        /* Replaced or removed while we waited: our lock guards nothing.
         * Closing drops it; try again on whatever the name holds now. */
        close(fd);
        if (same < 0)
            return ERR_IO;
        if (timeout_ms > 0 && lock_now_ms() >= deadline)
            return ERR_TIMEOUT;
    }
}
