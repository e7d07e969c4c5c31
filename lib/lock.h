/* lock.h -- advisory whole-file locks: shared or exclusive, with a wait
 * policy (non-blocking, blocking, or a timeout in milliseconds).
 *
 * Which kind of lock.  Linux "open file description" locks (F_OFD_SETLK,
 * F_OFD_SETLKW) are used where the kernel has them, classic POSIX record
 * locks (F_SETLK) otherwise.  A classic lock belongs to the process: closing
 * ANY descriptor of the file in that process silently drops it, so a library
 * that opens and closes cyrus.index for a quick read would unlock the
 * caller's index.  An OFD lock belongs to the open file description: only
 * closing the last descriptor of *that* open releases it.  Both kinds are
 * released by the kernel when the holder dies (kill -9 included), and both
 * interoperate with each other and with other programs using fcntl locks.
 *
 * Fork.  fork() shares open file descriptions, so with OFD locks a child
 * shares its parent's lock: the lock lives until both have closed the
 * descriptor, and an unlock in either process releases it for both.  Lock
 * files are therefore opened O_CLOEXEC by lock_open_locked(), and a forked
 * child must close inherited lock descriptors without unlocking them.
 * (Under the classic fallback a child inherits no locks at all.)
 *
 * Waiting.  timeout_ms is LOCK_NOWAIT (0: fail at once with ERR_LOCKED),
 * LOCK_FOREVER (-1: block in the kernel until granted), or a number of
 * milliseconds.  A timed wait polls the non-blocking lock with a sleep that
 * grows from 1 ms to 50 ms: no signal handler or timer is installed, so the
 * servers' own SIGALRM/SIGCHLD handling is untouched.  The price is up to
 * ~50 ms of extra latency and no queueing fairness against blocking waiters;
 * lock waits in Chapar are short and rare, so that is the better trade.
 *
 * Returns: ERR_OK; ERR_LOCKED (non-blocking and held elsewhere, or the
 * kernel reported a deadlock); ERR_TIMEOUT (the timeout ran out); ERR_IO
 * (bad descriptor or other failure, logged with errno).  A lock on a file
 * already locked through the same descriptor is converted (shared <->
 * exclusive), as fcntl does.
 */
#ifndef CHAPAR_LOCK_H
#define CHAPAR_LOCK_H

#include <sys/types.h>

/* Lock modes. */
#define LOCK_SHARED    1
#define LOCK_EXCLUSIVE 2

/* Special timeout_ms values. */
#define LOCK_NOWAIT    0
#define LOCK_FOREVER   (-1)

/* Lock the whole file open on fd in lockmode (LOCK_SHARED needs fd open for
 * reading, LOCK_EXCLUSIVE for writing). */
int lock_fd(int fd, int lockmode, int timeout_ms);

/* Release the lock held through fd (ERR_OK even if none was held). */
int lock_unlock(int fd);

/* Open path (open(2) flags and mode; O_CLOEXEC is added, do not pass
 * O_TRUNC: that would truncate before the lock is held) and lock it.  Then
 * check that path still names the file that was locked: a writer that
 * replaces the file by rename() while we wait leaves us holding a lock on
 * the old, unlinked inode, so in that case the descriptor is closed and the
 * open+lock is retried on the new file (within the same overall timeout).
 * On ERR_OK *fd_r is the locked descriptor (the caller closes it, which
 * unlocks).  ERR_NOTFOUND if the file does not exist (and O_CREAT was not
 * given) or vanished while we waited; the errors of lock_fd() otherwise. */
int lock_open_locked(const char *path, int open_flags, mode_t mode,
                     int lockmode, int timeout_ms, int *fd_r);

#endif
