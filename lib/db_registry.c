/* db_registry.c -- the registry of processes using the Berkeley DB
 * environment, the dead-process test and the recovery policy
 * (db_registry.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/db_registry.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

struct db_registry {
    int fd;
    off_t off;                  /* our line */
};

/* Does pid still run?  A zombie has exited (its locks are gone); a
 * process of another user (EPERM) runs. */
static int registry_runs(pid_t pid)
{
    char path[64], buf[512], *p;
    ssize_t n;
    int fd;

    if (kill(pid, 0) < 0)
        return errno == EPERM;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 1;               /* no /proc: take it for alive */
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 1;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* The line at off into line[DB_REGISTRY_LINE + 1]; 1 if it is whole. */
static int registry_line(int fd, off_t off, char *line)
{
    ssize_t n = pread(fd, line, DB_REGISTRY_LINE, off);
    line[n > 0 ? n : 0] = '\0';
    return n == DB_REGISTRY_LINE;
}

/* F_SETLK (type F_WRLCK or F_UNLCK) or F_GETLK of the line at off. */
static int registry_lock(int fd, int cmd, short type, off_t off)
{
    struct flock fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = off;
    fl.l_len = 1;
    if (fcntl(fd, cmd, &fl) < 0)
        return -1;
    return cmd == F_GETLK ? fl.l_type == F_UNLCK : 0;
}

/* The pid of a dead process's line at off (see DEAD), or 0. */
static long registry_dead_at(int fd, off_t off)
{
    char line[DB_REGISTRY_LINE + 1], again[DB_REGISTRY_LINE + 1];
    long pid;

    if (!registry_line(fd, off, line) || !strcmp(line, DB_REGISTRY_FREE))
        return 0;
    pid = strtol(line, NULL, 10);
    if (pid <= 0 || pid == (long)getpid() ||
        registry_lock(fd, F_GETLK, F_WRLCK, off) != 1 ||
        registry_runs((pid_t)pid))
        return 0;
    return registry_line(fd, off, again) && !strcmp(line, again) ? pid : 0;
}

static int registry_open(const char *dir)
{
    char *path = strconcat(dir, "/" DB_REGISTRY_FILE, (char *)NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0)
        log_error_errno("db: cannot open registry file=<%s>", path);
    free(path);
    return fd;
}

int db_registry_join(const char *dir, struct db_registry **reg_r)
{
    char line[DB_REGISTRY_LINE + 1];
    int fd = registry_open(dir);
    off_t off;

    *reg_r = NULL;
    if (fd < 0)
        return ERR_IO;
    /* The first free line whose lock we get (a line past the end is free;
     * two joiners racing for one line: the lock decides). */
    for (off = 0;; off += DB_REGISTRY_LINE) {
        int whole = registry_line(fd, off, line);
        if (whole && strcmp(line, DB_REGISTRY_FREE))
            continue;
        if (registry_lock(fd, F_SETLK, F_WRLCK, off) < 0)
            continue;
        /* Ours now; taken and freed meanwhile is fine, taken is not. */
        if (registry_line(fd, off, line) && strcmp(line, DB_REGISTRY_FREE)) {
            registry_lock(fd, F_SETLK, F_UNLCK, off);
            continue;
        }
        break;
    }
    snprintf(line, sizeof(line), "%15ld\n", (long)getpid());
    if (pwrite(fd, line, DB_REGISTRY_LINE, off) != DB_REGISTRY_LINE) {
        log_error_errno("db: cannot register in dir=<%s>", dir);
        close(fd);
        return ERR_IO;
    }
    *reg_r = xzmalloc(sizeof(**reg_r));
    (*reg_r)->fd = fd;
    (*reg_r)->off = off;
    return ERR_OK;
}

void db_registry_leave(struct db_registry **regp)
{
    struct db_registry *reg = *regp;

    if (!reg)
        return;
    *regp = NULL;
    /* Free before the lock goes (closing drops it): a checker that sees
     * the lock free then reads a free line. */
    if (pwrite(reg->fd, DB_REGISTRY_FREE, DB_REGISTRY_LINE, reg->off) !=
        DB_REGISTRY_LINE)
        log_error_errno("db: cannot leave the registry");
    close(reg->fd);
    free(reg);
}

void db_registry_forget(struct db_registry **regp)
{
    struct db_registry *reg = *regp;

    if (!reg)
        return;
    *regp = NULL;
    close(reg->fd);             /* the parent's lock is not ours */
    free(reg);
}

static int registry_scan(int fd, int clear)
{
    char line[DB_REGISTRY_LINE + 1];
    int found = 0;

    for (off_t off = 0; registry_line(fd, off, line);
         off += DB_REGISTRY_LINE) {
        long pid = registry_dead_at(fd, off);
        if (!pid)
            continue;
        found = 1;
        if (!clear)
            break;
        if (pwrite(fd, DB_REGISTRY_FREE, DB_REGISTRY_LINE, off) ==
            DB_REGISTRY_LINE)
            log_info("db: registry: freed the line of dead pid=<%ld>", pid);
    }
    return found;
}

int db_registry_has_dead(struct db_registry *reg)
{
    return reg ? registry_scan(reg->fd, 0) : 0;
}

void db_registry_clear_dead(struct db_registry *reg)
{
    if (reg)
        (void)registry_scan(reg->fd, 1);
}

void db_registry_clear_dead_dir(const char *dir)
{
    int fd = registry_open(dir);
    if (fd >= 0) {
        (void)registry_scan(fd, 1);
        close(fd);
    }
}

int db_registry_may_recover(void)
{
    const char *v = getenv(DB_MASTER_ENV);
    char *end;
    long pid;

    if (!v || !*v)
        return 1;
    errno = 0;
    pid = strtol(v, &end, 10);
    if (errno || *end || pid <= 0 || pid == (long)getpid())
        return 1;
    return !registry_runs((pid_t)pid);
}

void db_master_export(void)
{
    char pid[32];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv(DB_MASTER_ENV, pid, 1);
}

int db_registry_lock(const char *dir, int exclusive)
{
    char *path = strconcat(dir, "/" DB_RECOVER_LOCK, (char *)NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0 || flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
        log_error_errno("db: cannot lock file=<%s>", path);
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    free(path);
    return fd;
}

void db_registry_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}
