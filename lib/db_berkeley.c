/* db_berkeley.c -- lib/db.h over the Berkeley DB 5.3 transactional store.
 *
 * The only file that includes <db.h>.  Invariants:
 *  - one DB_ENV per directory per process, found through db_envs and
 *    shared by reference count; each registered in our own registry
 *    (db_registry.h), not the engine's DB_REGISTER, whose dead-process
 *    test takes a process that is closing for a dead one;
 *  - no engine call ever waits for a lock: every transaction is DB_TXN_NOWAIT
 *    and reads without a caller's txn run in one of ours, so a process that
 *    dies holding locks cannot strand a live one; conflicts are retried here
 *    (single operations) or returned as ERR_CONFLICT (caller's txn);
 *  - a BDB handle is only used by the process that opened it (env->pid);
 *    handles we abandon (inherited across fork, or dead after recovery) are
 *    never called again, only parked in db_orphans (reachable for LSan);
 *  - env->gen changes whenever the env handle is replaced, so an older
 *    db_txn is recognised as dead without touching its DB_TXN;
 *  - we never close a descriptor of __db.register while registered: the
 *    engine's registration is a classic fcntl lock, dropped by any close.
 */
#include "config.h"

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/db_registry.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

/* Environment sizing, applied when a process creates the regions.  The
 * cache is a region file that fills up to its size as pages pass through
 * it, so it is disk every installation pays: 1 MB (Cyrus's default is
 * 512 kB) holds mailboxes.db and the seen files of active users; the
 * duplicate database's pages come from the OS page cache when they miss.
 * Against 4 MB: LMTP to 100 users with 100,000 records in deliver.db ran
 * at 1,008 / 1,849 msg/s (1 / 4 connections, median of 3) against 1,098 /
 * 1,857, within this machine's noise, for 4 MB less on disk. */
#define DB_CACHE_BYTES     (1U * 1024 * 1024)
#define DB_ENV_OPEN_FLAGS  (DB_CREATE | DB_INIT_TXN | DB_INIT_LOG |         \
                            DB_INIT_LOCK | DB_INIT_MPOOL)
/* Periodic checkpoint: tried at most this often per process on commit,
 * done by the engine only after this much log or time since the last.
 * Log files are DB_LOG_MAX_BYTES each and removed once a checkpoint no
 * longer needs them (DB_LOG_AUTO_REMOVE), so the log on disk stays near
 * two files whatever the traffic: mail delivery writes a duplicate-check
 * record per message, and an unbounded log cost ~700 bytes per message.
 * Files of 256 kB rather than 1 MB keep that down to ~0.5 MB; delivery
 * checkpoints every DB_CHECKPOINT_SECS anyway, so it costs no more
 * checkpoints (LMTP rates the same within the noise). */
#define DB_CHECKPOINT_SECS 2
#define DB_CHECKPOINT_KB   256
#define DB_CHECKPOINT_MIN  5
#define DB_LOG_MAX_BYTES   (256U * 1024)
/* Single operations retry conflicts this long, looking for a dead lock
 * holder every DB_DEADCHECK_MS. */
#define DB_RETRY_MS        10000
#define DB_DEADCHECK_MS    500
/* A caller's transactions that keep conflicting: look for a dead holder
 * every this many in a row. */
#define DB_DEADCHECK_TXNS  5
/* foreach batches: records and bytes read per cursor pass. */
#define DB_BATCH_RECS      128
#define DB_BATCH_BYTES     (64 * 1024)

struct db_env {
    struct db_env *next;        /* db_envs */
    char *dir;                  /* real path; also the engine's errpfx */
    pid_t pid;                  /* the process that opened it */
    int refs;                   /* db_env_open()s + dbs + txns */
    DB_ENV *dbenv;              /* NULL: dropped, reopen on next use */
    unsigned gen;               /* bumped when dbenv is dropped */
    struct db *dbs;
    struct db_txn *active;      /* this process's open transaction */
    unsigned long txn_serial;
    int conflicts;              /* caller's txns conflicting in a row */
    struct db_registry *reg;    /* our line in the registry */
    time_t last_checkpoint;
    int quiet;                  /* drop engine messages */
    char lastmsg[256];          /* collapse repeated engine messages */
    unsigned repeats;
};

struct db {
    struct db *next;
    struct db_env *env;
    char *file;
    DB *dbp;                    /* NULL: reopen on next use */
    unsigned long touched;      /* serial of the last txn that used it */
};

struct db_txn {
    struct db_env *env;
    DB_TXN *tid;                /* NULL once aborted behind the caller */
    unsigned gen;
    unsigned long serial;
    int doomed;                 /* the error that doomed it, or 0 */
};

static struct db_env *db_envs;
static void db_backoff(int attempt);
static void db_maybe_checkpoint(struct db_env *env, int unless_master);
static int db_exiting;          /* atexit handler ran: refuse to reopen */
static void **db_orphans;
static size_t db_norphans, db_orphans_alloc;

static void db_orphan(void *p)
{
    if (!p)
        return;
    if (db_norphans == db_orphans_alloc) {
        db_orphans_alloc = db_orphans_alloc ? 2 * db_orphans_alloc : 16;
        db_orphans = xreallocarray(db_orphans, db_orphans_alloc,
                                   sizeof(*db_orphans));
    }
    db_orphans[db_norphans++] = p;
}

/* ---- engine messages ---------------------------------------------------- */

static void db_msg_flush(struct db_env *env)
{
    if (env->repeats)
        log_error("db: engine: dir=<%s>: (last message repeated %u times)",
                  env->dir, env->repeats);
    env->repeats = 0;
    env->lastmsg[0] = '\0';
}

/* Opening a foreign file makes the engine say the same thing once per page
 * size it tries; one line plus a count is enough for the log. */
static void db_errcall(const DB_ENV *dbenv, const char *pfx, const char *msg)
{
    struct db_env *env = dbenv->app_private;

    if (env && env->quiet)
        return;
    if (env) {
        if (!strncmp(env->lastmsg, msg, sizeof(env->lastmsg) - 1)) {
            env->repeats++;
            return;
        }
        db_msg_flush(env);
        snprintf(env->lastmsg, sizeof(env->lastmsg), "%s", msg);
    }
    log_error("db: engine: dir=<%s>: %s", pfx ? pfx : "", msg);
}

static void db_msgcall(const DB_ENV *dbenv, const char *msg)
{
    struct db_env *env = dbenv->app_private;
    if (!env || !env->quiet)
        log_notice("db: engine: dir=<%s>: %s", env ? env->dir : "", msg);
}

/* ---- error mapping and handle life ------------------------------------- */

static long long db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void db_env_orphan_children(struct db_env *env)
{
    for (struct db *db = env->dbs; db; db = db->next) {
        db_orphan(db->dbp);
        db->dbp = NULL;
    }
    if (env->active) {
        db_orphan(env->active->tid);
        env->active->tid = NULL;
    }
}

static void db_env_unlink(struct db_env *env)
{
    for (struct db_env **pp = &db_envs; *pp; pp = &(*pp)->next) {
        if (*pp == env) {
            *pp = env->next;
            break;
        }
    }
    env->next = NULL;
}

/* The env handle became useless (another process recovered the regions, or
 * we are about to): abandon it and everything opened through it, calling
 * into it only for the close that gives up our registry slot and fds. */
static void db_env_drop_handles(struct db_env *env)
{
    db_env_orphan_children(env);
    if (env->dbenv) {
        env->quiet = 1;
        (void)env->dbenv->close(env->dbenv, 0);
        env->quiet = 0;
        db_orphan(env->dbenv);
        env->dbenv = NULL;
    }
    env->gen++;
}

static int db_map_error(struct db_env *env, int bdb, const char *op,
                        const char *file)
{
    switch (bdb) {
    case 0:
        return ERR_OK;
    case DB_NOTFOUND:
    case DB_KEYEMPTY:
        return ERR_NOTFOUND;
    case DB_LOCK_DEADLOCK:
    case DB_LOCK_NOTGRANTED:
        return ERR_CONFLICT;
    case DB_RUNRECOVERY:
        log_crit("db: environment was recovered or failed, reopening: "
                 "dir=<%s> op=<%s> file=<%s>", env->dir, op, file);
        db_env_drop_handles(env);
        return ERR_CONFLICT;
    default:
        log_error("db: %s failed: file=<%s> error=<%s>", op, file,
                  db_strerror(bdb));
        return bdb == EACCES || bdb == EPERM ? ERR_PERM : ERR_IO;
    }
}

/* Forget the handles of an env opened by another process (our parent). */
static void db_env_forget(struct db_env *env)
{
    db_env_unlink(env);
    db_env_orphan_children(env);
    db_orphan(env->dbenv);
    env->dbenv = NULL;
    /* The registration is the parent's: drop our copy, touch nothing. */
    db_registry_forget(&env->reg);
    db_orphan(env);
}

void db_fork_child(void)
{
    struct db_env *env = db_envs, *next;
    for (; env; env = next) {
        next = env->next;
        if (env->pid != getpid())
            db_env_forget(env);
    }
}

static int db_env_inherited(const struct db_env *env, const char *what)
{
    if (env->pid == getpid())
        return 0;
    log_error("db: handle used in a process that did not open it (call "
              "db_fork_child() after fork): dir=<%s> op=<%s>", env->dir, what);
    return 1;
}

static DB_ENV *db_env_create_configured(struct db_env *env)
{
    DB_ENV *dbenv;
    int bdb;

    if ((bdb = db_env_create(&dbenv, 0)) != 0) {
        log_error("db: db_env_create failed: error=<%s>", db_strerror(bdb));
        return NULL;
    }
    dbenv->app_private = env;
    dbenv->set_errcall(dbenv, db_errcall);
    dbenv->set_msgcall(dbenv, db_msgcall);
    if (env)
        dbenv->set_errpfx(dbenv, env->dir);
    if ((bdb = dbenv->set_cachesize(dbenv, 0, DB_CACHE_BYTES, 1)) ||
        (bdb = dbenv->set_lk_detect(dbenv, DB_LOCK_DEFAULT)) ||
        (bdb = dbenv->set_lg_max(dbenv, DB_LOG_MAX_BYTES)) ||
        (bdb = dbenv->log_set_config(dbenv, DB_LOG_AUTO_REMOVE, 1))) {
        log_error("db: environment configuration failed: error=<%s>",
                  db_strerror(bdb));
        dbenv->close(dbenv, 0);
        return NULL;
    }
    return dbenv;
}

/* One open of env->dir, with recovery first if recover (DB_RECOVER: the
 * engine panics the old regions, so every other process reopens, and
 * replays the log).  The process registers first (once per env), so that
 * dying from here on is noticed.  Opens hold the recovery lock shared, so
 * that none runs while a recovery rebuilds the regions.  Returns the
 * engine's code; on success env->dbenv is set. */
static int db_env_try_open(struct db_env *env, int recover)
{
    DB_ENV *dbenv;
    int bdb, lockfd = -1;

    if (db_exiting || (!env->reg && db_registry_join(env->dir, &env->reg)))
        return EIO;
    if (!(dbenv = db_env_create_configured(env)))
        return EIO;
    if (!recover && (lockfd = db_registry_lock(env->dir, 0)) < 0) {
        dbenv->close(dbenv, 0);
        return EIO;
    }
    bdb = dbenv->open(dbenv, env->dir,
                      DB_ENV_OPEN_FLAGS | (recover ? DB_RECOVER : 0), 0600);
    db_registry_unlock(lockfd);
    db_msg_flush(env);
    if (bdb) {
        env->quiet = 1;
        dbenv->close(dbenv, 0);
        env->quiet = 0;
        return bdb;
    }
    env->dbenv = dbenv;
    return 0;
}

/* Recover (db_registry.h, WHO RECOVERS): if force (the engine says the
 * environment is unusable) or a registered process died, one process at a
 * time; our handles are given up first and env->dbenv is the recovered
 * environment after.  0 also when there was nothing to do (env->dbenv
 * then unchanged). */
static int db_env_recover_here(struct db_env *env, int force)
{
    int lockfd = db_registry_lock(env->dir, 1), bdb;

    if (lockfd < 0)
        return EIO;
    if (!force && !db_registry_has_dead(env->reg)) {
        db_registry_unlock(lockfd);
        return env->dbenv ? 0 : db_env_try_open(env, 0);
    }
    log_warn("db: %s; recovering: dir=<%s>", force ? "the environment "
             "needs recovery" : "a process died holding the environment",
             env->dir);
    db_env_drop_handles(env);
    bdb = db_env_try_open(env, 1);
    if (!bdb)
        db_registry_clear_dead(env->reg);
    else
        log_error("db: recovery failed: dir=<%s> error=<%s>", env->dir,
                  db_strerror(bdb));
    db_registry_unlock(lockfd);
    return bdb;
}

/* Join env->dir.  The registry is read before the regions are attached
 * (a dead process may hold one of the engine's mutexes there): after a
 * death, a process that may recover (db_registry.h) recovers, and one that
 * may not waits (backing off) for master to, as it does while the engine
 * says the environment is unusable; it gives up after DB_RETRY_MS. */
static int db_env_open_handle(struct db_env *env)
{
    long long start = db_now_ms();
    int bdb, may = db_registry_may_recover();

    if (db_exiting || (!env->reg && db_registry_join(env->dir, &env->reg)))
        return ERR_IO;
    for (int attempt = 0;; attempt++) {
        if (db_registry_has_dead(env->reg))
            bdb = may ? db_env_recover_here(env, 0) : DB_RUNRECOVERY;
        else if ((bdb = db_env_try_open(env, 0)) == DB_RUNRECOVERY && may)
            bdb = db_env_recover_here(env, 1);
        if (bdb != DB_RUNRECOVERY || db_now_ms() - start > DB_RETRY_MS)
            break;
        db_backoff(attempt);
    }
    if (!bdb)
        return ERR_OK;
    if (bdb == DB_RUNRECOVERY)
        log_error("db: the environment needs recovery and nobody ran it: "
                  "dir=<%s>; master does at start and when a process dies, "
                  "or run ctl_cyrusdb -r", env->dir);
    else
        log_error("db: cannot open environment: dir=<%s> error=<%s>",
                  env->dir, db_strerror(bdb));
    return bdb == EACCES ? ERR_PERM : ERR_IO;
}

static int db_open_handle(struct db *db, int create)
{
    struct db_env *env = db->env;
    DB_TXN *tid = NULL;
    DB *dbp;
    int bdb;

    if ((bdb = env->dbenv->txn_begin(env->dbenv, NULL, &tid, DB_TXN_NOWAIT)))
        return db_map_error(env, bdb, "begin", db->file);
    if ((bdb = db_create(&dbp, env->dbenv, 0)) == 0) {
        bdb = dbp->open(dbp, tid, db->file, NULL, DB_BTREE,
                        create ? DB_CREATE : 0, 0600);
        db_msg_flush(env);
        if (bdb && dbp->close(dbp, 0) != 0)
            db_orphan(dbp);
    }
    if (!bdb)
        bdb = tid->commit(tid, DB_TXN_SYNC);
    else if (tid->abort(tid) != 0)
        db_orphan(tid);
    if (!bdb) {
        db->dbp = dbp;
        return ERR_OK;
    }
    if (bdb == ENOENT)
        return ERR_NOTFOUND;
    if (bdb == EINVAL || bdb == DB_OLD_VERSION || bdb == DB_VERIFY_BAD) {
        log_error("db: not a database of ours (corrupt, or another format): "
                  "file=<%s> error=<%s>", db->file, db_strerror(bdb));
        return ERR_BADFORMAT;
    }
    return db_map_error(env, bdb, "open", db->file);
}

/* Reopen whatever db_env_drop_handles() dropped. */
static int db_env_ready(struct db_env *env)
{
    int r;

    if (env->dbenv)
        return ERR_OK;
    if ((r = db_env_open_handle(env)))
        return r;
    /* A db that fails here is retried at its next use (db_ready()). */
    for (struct db *db = env->dbs; db && env->dbenv; db = db->next)
        (void)db_open_handle(db, 0);
    log_notice("db: environment reopened: dir=<%s>", env->dir);
    return ERR_OK;
}

static int db_ready(struct db *db)
{
    int r = db_env_ready(db->env);
    if (r)
        return r;
    return db->dbp ? ERR_OK : db_open_handle(db, 0);
}

/* A process died holding the environment: its locks stay until someone
 * recovers.  Reopening makes the engine see the dead registration and run
 * recovery; every other live process then reopens too. */
static void db_env_heal(struct db_env *env)
{
    if (!db_registry_may_recover() || !db_registry_has_dead(env->reg))
        return;
    /* The dbs reopen at their next use (db_ready()). */
    (void)db_env_recover_here(env, 0);
}

/* Close the engine's env cleanly: abort our transaction, close the dbs,
 * close (freeing our registry line).  No checkpoint: that is master's
 * timer's job (db_env_maintain), never a logout's.  The wrappers stay. */
static int db_env_shutdown(struct db_env *env)
{
    DB_ENV *dbenv = env->dbenv;
    int bdb, r = ERR_OK;

    if (env->active && env->active->tid) {
        if (env->active->tid->abort(env->active->tid) != 0)
            db_orphan(env->active->tid);
        env->active->tid = NULL;
        env->active->doomed = ERR_CONFLICT;
    }
    for (struct db *db = env->dbs; db; db = db->next) {
        if (db->dbp && db->dbp->close(db->dbp, 0) != 0)
            db_orphan(db->dbp);
        db->dbp = NULL;
    }
    if (!dbenv) {
        db_registry_leave(&env->reg);
        return ERR_OK;
    }
    env->dbenv = NULL;
    if ((bdb = dbenv->close(dbenv, 0))) {
        db_orphan(dbenv);
        log_error("db: environment close failed: dir=<%s> error=<%s>",
                  env->dir, db_strerror(bdb));
        /* Stay registered: once we are gone, whoever may recovers. */
        return ERR_IO;
    }
    db_registry_leave(&env->reg);
    return r;
}

/* exit() without closing would leave a dead registration, and the next
 * process to open would run recovery and disturb every other user. */
static void db_atexit(void)
{
    for (struct db_env *env = db_envs; env; env = env->next)
        if (env->pid == getpid())
            (void)db_env_shutdown(env);
    db_exiting = 1;
}

/* Drop a reference; the last one closes the environment. */
static int db_env_release(struct db_env *env)
{
    int r = ERR_OK;

    if (--env->refs > 0)
        return ERR_OK;
    db_env_unlink(env);
    if (env->pid == getpid()) {
        r = db_env_shutdown(env);
    } else {
        db_orphan(env->dbenv);
    }
    db_msg_flush(env);
    free(env->dir);
    free(env);
    return r;
}

/* ---- environment ------------------------------------------------------- */

int db_env_open(const char *dir, struct db_env **env_r)
{
    static int atexit_done;
    struct db_env *env;
    char *real;
    int r;

    *env_r = NULL;
    db_fork_child();
    if (util_mkdir_p(dir, 0700) || !(real = realpath(dir, NULL))) {
        log_error_errno("db: cannot create environment directory: dir=<%s>",
                        dir);
        return ERR_IO;
    }
    for (env = db_envs; env; env = env->next) {
        if (!strcmp(env->dir, real)) {
            free(real);
            env->refs++;
            *env_r = env;
            return ERR_OK;
        }
    }
    env = xzmalloc(sizeof(*env));
    env->dir = real;
    env->pid = getpid();
    env->refs = 1;
    env->last_checkpoint = time(NULL);
    if ((r = db_env_open_handle(env))) {
        free(env->dir);
        free(env);
        return r;
    }
    if (!atexit_done)
        atexit_done = !atexit(db_atexit);
    env->next = db_envs;
    db_envs = env;
    *env_r = env;
    return ERR_OK;
}

int db_env_close(struct db_env **envp)
{
    struct db_env *env = *envp;

    if (!env)
        return ERR_OK;
    *envp = NULL;
    return db_env_release(env);
}

int db_env_checkpoint(struct db_env *env)
{
    int r, bdb;

    if (db_env_inherited(env, "checkpoint"))
        return ERR_INTERNAL;
    if ((r = db_env_ready(env)))
        return r;
    bdb = env->dbenv->txn_checkpoint(env->dbenv, 0, 0, 0);
    env->last_checkpoint = time(NULL);
    r = db_map_error(env, bdb, "checkpoint", env->dir);
    return r == ERR_CONFLICT ? db_env_ready(env) : r;
}

int db_env_check(struct db_env *env)
{
    if (db_env_inherited(env, "check"))
        return ERR_INTERNAL;
    db_env_heal(env);
    return db_env_ready(env);
}

int db_env_maintain(struct db_env *env)
{
    int r;

    if (db_env_inherited(env, "maintain"))
        return ERR_INTERNAL;
    db_env_heal(env);
    if ((r = db_env_ready(env)))
        return r;
    db_maybe_checkpoint(env, 0);
    return ERR_OK;
}

int db_env_recover(const char *dir)
{
    struct stat st;
    DB_ENV *dbenv;
    char *real;
    int bdb, lockfd;

    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        log_error("db: no environment to recover: dir=<%s>", dir);
        return ERR_NOTFOUND;
    }
    if ((lockfd = db_registry_lock(dir, 1)) < 0)
        return ERR_IO;
    if (!(dbenv = db_env_create_configured(NULL))) {
        db_registry_unlock(lockfd);
        return ERR_IO;
    }
    log_notice("db: running recovery: dir=<%s>", dir);
    bdb = dbenv->open(dbenv, dir, DB_ENV_OPEN_FLAGS | DB_RECOVER, 0600);
    if (dbenv->close(dbenv, 0) && !bdb)
        bdb = EIO;
    /* The dead are recovered for: free their lines, through our own
     * registration if we have one there (closing another descriptor of
     * the file would drop our lock). */
    if (!bdb && (real = realpath(dir, NULL))) {
        struct db_env *env = db_envs;
        while (env && (env->pid != getpid() || strcmp(env->dir, real)))
            env = env->next;
        if (env && env->reg)
            db_registry_clear_dead(env->reg);
        else
            db_registry_clear_dead_dir(real);
        free(real);
    }
    db_registry_unlock(lockfd);
    if (bdb) {
        log_error("db: recovery failed: dir=<%s> error=<%s>", dir,
                  db_strerror(bdb));
        return ERR_IO;
    }
    return ERR_OK;
}

/* A checkpoint when DB_CHECKPOINT_KB of log or DB_CHECKPOINT_MIN minutes
 * passed since the last one, tried at most every DB_CHECKPOINT_SECS: on
 * master's timer, and after a commit (unless_master: only in a process
 * on its own; under master its timer does it). */
static void db_maybe_checkpoint(struct db_env *env, int unless_master)
{
    time_t now = time(NULL);
    int bdb;

    if (now - env->last_checkpoint < DB_CHECKPOINT_SECS || !env->dbenv)
        return;
    if (unless_master && !db_registry_may_recover())
        return;
    env->last_checkpoint = now;
    bdb = env->dbenv->txn_checkpoint(env->dbenv, DB_CHECKPOINT_KB,
                                     DB_CHECKPOINT_MIN, 0);
    (void)db_map_error(env, bdb, "checkpoint", env->dir);
}

/* ---- databases --------------------------------------------------------- */

static void db_backoff(int attempt)
{
    static unsigned seed;
    long max_us = 1000L * (attempt < 20 ? attempt + 1 : 20);
    struct timespec ts;

    if (!seed)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    ts.tv_sec = 0;
    ts.tv_nsec = (rand_r(&seed) % max_us) * 1000L;
    nanosleep(&ts, NULL);
}

int db_open(struct db_env *env, const char *file, int flags, struct db **db_r)
{
    struct db *db;
    long long start = db_now_ms();
    int r;

    *db_r = NULL;
    if (db_env_inherited(env, "open"))
        return ERR_INTERNAL;
    db = xzmalloc(sizeof(*db));
    db->env = env;
    db->file = xstrdup(file);
    for (int attempt = 0;; attempt++) {
        r = db_env_ready(env);
        if (!r)
            r = db_open_handle(db, flags & DB_OPEN_CREATE);
        if (r != ERR_CONFLICT || db_now_ms() - start > DB_RETRY_MS)
            break;
        db_backoff(attempt);
    }
    if (r) {
        free(db->file);
        free(db);
        return r;
    }
    db->next = env->dbs;
    env->dbs = db;
    env->refs++;
    *db_r = db;
    return ERR_OK;
}

int db_close(struct db **dbp)
{
    struct db *db = *dbp;
    struct db_env *env;
    struct db **pp;
    int r = ERR_OK, bdb;

    if (!db)
        return ERR_OK;
    *dbp = NULL;
    env = db->env;
    for (pp = &env->dbs; *pp != db; pp = &(*pp)->next)
        ;
    *pp = db->next;
    if (env->pid != getpid()) {
        db_orphan(db->dbp);
    } else if (db->dbp) {
        struct db_txn *t = env->active;
        if (t && t->tid && db->touched == t->serial) {
            log_error("db: closing a database that the open transaction "
                      "used; aborting the transaction: file=<%s>", db->file);
            if (t->tid->abort(t->tid) != 0)
                db_orphan(t->tid);
            t->tid = NULL;
            t->doomed = ERR_CONFLICT;
        }
        if ((bdb = db->dbp->close(db->dbp, 0))) {
            db_orphan(db->dbp);
            log_error("db: close failed: file=<%s> error=<%s>", db->file,
                      db_strerror(bdb));
            r = ERR_IO;
        }
    }
    free(db->file);
    free(db);
    return db_env_release(env) ? ERR_IO : r;
}

/* ---- operations -------------------------------------------------------- */

/* One engine call on a ready handle; returns the engine's code. */
typedef int db_op_fn(DB *dbp, DB_TXN *tid, void *arg);

static int db_check(struct db *db, struct db_txn *txn, const char *op)
{
    struct db_env *env = db->env;

    if (db_env_inherited(env, op))
        return ERR_INTERNAL;
    db_msg_flush(env);
    if (txn && txn->env != env) {
        log_error("db: transaction of another environment: file=<%s> "
                  "op=<%s>", db->file, op);
        return ERR_BADARG;
    }
    if (!txn && env->active && db->touched == env->active->serial) {
        log_error("db: operation outside the open transaction on a database "
                  "it used would conflict with itself: file=<%s> op=<%s>",
                  db->file, op);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

static int db_run_in_txn(struct db *db, struct db_txn *txn, const char *op,
                         db_op_fn *fn, void *arg)
{
    struct db_env *env = db->env;
    int r;

    if (txn->doomed)
        return ERR_CONFLICT;
    if (txn->gen != env->gen || !txn->tid) {
        txn->doomed = ERR_CONFLICT;
        return ERR_CONFLICT;
    }
    if (!db->dbp && (r = db_ready(db))) {
        txn->doomed = r;
        return r;
    }
    db->touched = txn->serial;
    r = db_map_error(env, fn(db->dbp, txn->tid, arg), op, db->file);
    if (r && r != ERR_NOTFOUND)
        txn->doomed = r;
    return r;
}

/* txn NULL: run in a transaction of our own (also for reads: it makes the
 * read fail at once instead of waiting on a lock), retrying conflicts for
 * a while, and looking for a dead lock holder while they last. */
static int db_run_alone(struct db *db, const char *op, db_op_fn *fn,
                        void *arg)
{
    struct db_env *env = db->env;
    long long start = db_now_ms(), next_check = start + DB_DEADCHECK_MS;

    for (int attempt = 0;; attempt++) {
        DB_TXN *tid = NULL;
        long long now;
        int r, bdb;

        if ((r = db_ready(db)))
            return r;
        bdb = env->dbenv->txn_begin(env->dbenv, NULL, &tid, DB_TXN_NOWAIT);
        if (!bdb) {
            bdb = fn(db->dbp, tid, arg);
            /* DB_TXN_SYNC: durable before we return (a read-only
             * transaction has nothing to flush). */
            if (!bdb)
                bdb = tid->commit(tid, DB_TXN_SYNC);
            else if (tid->abort(tid) != 0)
                db_orphan(tid);
        }
        r = db_map_error(env, bdb, op, db->file);
        if (r != ERR_CONFLICT)
            return r;
        now = db_now_ms();
        if (now >= next_check) {
            db_env_heal(env);
            next_check = now + DB_DEADCHECK_MS;
        }
        if (now - start > DB_RETRY_MS) {
            log_error("db: giving up after conflicts: op=<%s> file=<%s>", op,
                      db->file);
            return ERR_CONFLICT;
        }
        db_backoff(attempt);
    }
}

static int db_run(struct db *db, struct db_txn *txn, const char *op,
                  db_op_fn *fn, void *arg)
{
    int r = db_check(db, txn, op);
    if (r)
        return r;
    return txn ? db_run_in_txn(db, txn, op, fn, arg)
               : db_run_alone(db, op, fn, arg);
}

static void db_dbt(DBT *d, const void *p, size_t len)
{
    memset(d, 0, sizeof(*d));
    d->data = (void *)p;
    d->size = (u_int32_t)len;
}

static int db_too_big(struct db *db, size_t keylen, size_t vallen)
{
    if (keylen <= UINT32_MAX && vallen <= UINT32_MAX)
        return 0;
    log_error("db: key or value too large: file=<%s> keylen=<%zu> "
              "vallen=<%zu>", db->file, keylen, vallen);
    return 1;
}

struct db_kv {
    const void *key;
    size_t keylen;
    const void *val;
    size_t vallen;
    struct buf *out;
};

static int db_op_get(DB *dbp, DB_TXN *tid, void *arg)
{
    struct db_kv *kv = arg;
    DBT k, v;
    int bdb;

    db_dbt(&k, kv->key, kv->keylen);
    /* Read straight into the caller's buffer, growing it if needed, so
     * the engine's allocator never owns our memory. */
    for (;;) {
        buf_reset(kv->out);
        buf_ensure(kv->out, 1);
        memset(&v, 0, sizeof(v));
        v.flags = DB_DBT_USERMEM;
        v.data = kv->out->s;
        v.ulen = kv->out->alloc > UINT32_MAX ? UINT32_MAX
                                             : (u_int32_t)kv->out->alloc;
        bdb = dbp->get(dbp, tid, &k, &v, 0);
        if (bdb != DB_BUFFER_SMALL)
            break;
        buf_ensure(kv->out, v.size);
    }
    if (!bdb)
        kv->out->len = v.size;
    return bdb;
}

static int db_op_put(DB *dbp, DB_TXN *tid, void *arg)
{
    struct db_kv *kv = arg;
    DBT k, v;

    db_dbt(&k, kv->key, kv->keylen);
    db_dbt(&v, kv->val, kv->vallen);
    return dbp->put(dbp, tid, &k, &v, 0);
}

static int db_op_del(DB *dbp, DB_TXN *tid, void *arg)
{
    struct db_kv *kv = arg;
    DBT k;

    db_dbt(&k, kv->key, kv->keylen);
    return dbp->del(dbp, tid, &k, 0);
}

int db_fetch(struct db *db, struct db_txn *txn, const void *key,
             size_t keylen, struct buf *val)
{
    struct buf scratch = BUF_INITIALIZER;
    struct db_kv kv = { key, keylen, NULL, 0, val ? val : &scratch };
    int r;

    buf_reset(kv.out);
    if (db_too_big(db, keylen, 0))
        return ERR_TOOBIG;
    r = db_run(db, txn, "fetch", db_op_get, &kv);
    if (r)
        buf_reset(kv.out);
    buf_free(&scratch);
    return r;
}

int db_store(struct db *db, struct db_txn *txn, const void *key,
             size_t keylen, const void *val, size_t vallen)
{
    struct db_kv kv = { key, keylen, val, vallen, NULL };

    if (db_too_big(db, keylen, vallen))
        return ERR_TOOBIG;
    return db_run(db, txn, "store", db_op_put, &kv);
}

int db_delete(struct db *db, struct db_txn *txn, const void *key,
              size_t keylen)
{
    struct db_kv kv = { key, keylen, NULL, 0, NULL };

    if (db_too_big(db, keylen, 0))
        return ERR_TOOBIG;
    return db_run(db, txn, "delete", db_op_del, &kv);
}

/* ---- iteration --------------------------------------------------------- */

struct db_batch {
    const void *prefix;
    size_t prefixlen;
    struct buf start;           /* resume at this key ... */
    int skip_start;             /* ... excluding it (already delivered) */
    struct buf data;            /* keys and values of this batch */
    struct { size_t koff, klen, voff, vlen; } rec[DB_BATCH_RECS];
    size_t n;
    int done;                   /* no records after this batch */
};

static int db_batch_add(struct db_batch *b, const DBT *k, const DBT *v)
{
    /* (Length checks first: an empty key or prefix may be a NULL pointer,
     * which memcmp must not see.) */
    if (k->size < b->prefixlen ||
        (b->prefixlen && memcmp(k->data, b->prefix, b->prefixlen))) {
        b->done = 1;
        return 0;
    }
    if (b->skip_start && k->size == b->start.len &&
        (!k->size || !memcmp(k->data, b->start.s, k->size)))
        return 1;
    if (b->n == DB_BATCH_RECS || b->data.len >= DB_BATCH_BYTES)
        return 0;
    b->rec[b->n].koff = b->data.len;
    b->rec[b->n].klen = k->size;
    if (k->size)
        buf_appendmap(&b->data, k->data, k->size);
    b->rec[b->n].voff = b->data.len;
    b->rec[b->n].vlen = v->size;
    if (v->size)
        buf_appendmap(&b->data, v->data, v->size);
    b->n++;
    return 1;
}

/* Read the next batch with a cursor that is closed again before any
 * callback runs, so callbacks may write to the same database. */
static int db_op_scan(DB *dbp, DB_TXN *tid, void *arg)
{
    struct db_batch *b = arg;
    DBC *dbc;
    DBT k, v;
    int bdb, cbdb, flag = b->start.len ? DB_SET_RANGE : DB_FIRST;

    b->n = 0;
    b->done = 0;
    buf_reset(&b->data);
    buf_ensure(&b->data, 1);    /* never hand fn a NULL-based pointer */
    if ((bdb = dbp->cursor(dbp, tid, &dbc, 0)) != 0)
        return bdb;
    db_dbt(&k, b->start.s, b->start.len);
    memset(&v, 0, sizeof(v));
    for (bdb = dbc->get(dbc, &k, &v, flag); !bdb;
         bdb = dbc->get(dbc, &k, &v, DB_NEXT)) {
        if (!db_batch_add(b, &k, &v))
            break;
    }
    if (bdb == DB_NOTFOUND) {
        b->done = 1;
        bdb = 0;
    }
    cbdb = dbc->close(dbc);
    return bdb ? bdb : cbdb;
}

int db_foreach(struct db *db, struct db_txn *txn, const void *prefix,
               size_t prefixlen, db_foreach_fn *fn, void *rock)
{
    struct db_batch *b;
    int r;

    if (db_too_big(db, prefixlen, 0))
        return ERR_TOOBIG;
    b = xzmalloc(sizeof(*b));
    b->prefix = prefix;
    b->prefixlen = prefixlen;
    if (prefixlen)
        buf_setmap(&b->start, prefix, prefixlen);
    for (;;) {
        size_t last;

        if ((r = db_run(db, txn, "foreach", db_op_scan, b)))
            break;
        for (size_t i = 0; i < b->n; i++) {
            r = fn(b->data.s + b->rec[i].koff, b->rec[i].klen,
                   b->data.s + b->rec[i].voff, b->rec[i].vlen, rock);
            if (r)
                goto done;
        }
        if (b->done || b->n == 0)
            break;
        last = b->n - 1;
        buf_setmap(&b->start, b->data.s + b->rec[last].koff,
                   b->rec[last].klen);
        b->skip_start = 1;
    }
done:
    buf_free(&b->start);
    buf_free(&b->data);
    free(b);
    return r;
}

/* ---- transactions ------------------------------------------------------ */

int db_begin(struct db_env *env, struct db_txn **txn_r)
{
    struct db_txn *txn;
    DB_TXN *tid = NULL;
    int r;

    *txn_r = NULL;
    if (db_env_inherited(env, "begin"))
        return ERR_INTERNAL;
    if (env->active) {
        log_error("db: a transaction is already open in this process: "
                  "dir=<%s>", env->dir);
        return ERR_INTERNAL;
    }
    /* The caller is retrying after conflicts: step aside a little (random,
     * growing), and now and then see whether a dead process holds the
     * locks we keep running into. */
    if (env->conflicts) {
        if (env->conflicts % DB_DEADCHECK_TXNS == 0)
            db_env_heal(env);
        db_backoff(env->conflicts);
    }
    /* A DB_RUNRECOVERY from begin drops the handles: one retry reopens. */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!(r = db_env_ready(env)))
            r = db_map_error(env, env->dbenv->txn_begin(env->dbenv, NULL,
                                                        &tid, DB_TXN_NOWAIT),
                             "begin", env->dir);
        if (r != ERR_CONFLICT)
            break;
    }
    if (r)
        return r;
    txn = xzmalloc(sizeof(*txn));
    txn->env = env;
    txn->tid = tid;
    txn->gen = env->gen;
    txn->serial = ++env->txn_serial;
    env->active = txn;
    env->refs++;
    *txn_r = txn;
    return ERR_OK;
}

static int db_txn_end(struct db_txn *txn, int r)
{
    struct db_env *env = txn->env;

    if (env->active == txn)
        env->active = NULL;
    if (r == ERR_CONFLICT || txn->doomed == ERR_CONFLICT)
        env->conflicts++;
    else if (r == ERR_OK)
        env->conflicts = 0;
    free(txn);
    if (db_env_release(env) && !r)
        r = ERR_IO;
    return r;
}

int db_commit(struct db_txn **txnp)
{
    struct db_txn *txn = *txnp;
    struct db_env *env;
    int r;

    if (!txn)
        return ERR_BADARG;
    *txnp = NULL;
    env = txn->env;
    if (db_env_inherited(env, "commit")) {
        db_orphan(txn->tid);
        return db_txn_end(txn, ERR_INTERNAL);
    }
    if (txn->gen != env->gen || !txn->tid) {
        r = txn->doomed ? txn->doomed : ERR_CONFLICT;
    } else if (txn->doomed) {
        if (txn->tid->abort(txn->tid) != 0)
            db_orphan(txn->tid);
        r = txn->doomed;
    } else {
        /* DB_TXN_SYNC: the log is on disk before we say ERR_OK. */
        r = db_map_error(env, txn->tid->commit(txn->tid, DB_TXN_SYNC),
                         "commit", env->dir);
        if (!r)
            db_maybe_checkpoint(env, 1);
    }
    return db_txn_end(txn, r);
}

int db_abort(struct db_txn **txnp)
{
    struct db_txn *txn = *txnp;
    struct db_env *env;
    int r = ERR_OK;

    if (!txn)
        return ERR_OK;
    *txnp = NULL;
    env = txn->env;
    if (env->pid != getpid()) {
        db_orphan(txn->tid);
    } else if (txn->gen == env->gen && txn->tid) {
        r = db_map_error(env, txn->tid->abort(txn->tid), "abort", env->dir);
        /* Under a recovered environment it is undone all the same. */
        if (r == ERR_CONFLICT)
            r = ERR_OK;
    }
    return db_txn_end(txn, r);
}
