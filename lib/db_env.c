/* db_env.c -- the Berkeley DB environment of lib/db.h: opening and
 * joining (our registry, recovery when a registered process died, the
 * policy of db_registry.h), engine messages, error mapping, handle life
 * across fork and recovery, checkpoints, closing.  The databases and
 * transactions are db_berkeley.c's; what both share is in
 * db_berkeley_private.h. */
#include "config.h"

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
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/db_berkeley_private.h"
#include "lib/db_registry.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

static struct db_env *db_envs;
static int db_exiting;          /* atexit handler ran: refuse to reopen */
static void **db_orphans;
static size_t db_norphans, db_orphans_alloc;

void db_orphan(void *p)
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

void db_msg_flush(struct db_env *env)
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

long long db_now_ms(void)
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
        /* A dead process may have held one of the old regions' mutexes
         * (the reference count's, the log's, a buffer's): the close must
         * not wait for it, or we hang for ever.  The regions are being
         * given up; the close only releases our file handles. */
        (void)env->dbenv->set_flags(env->dbenv, DB_NOLOCKING, 1);
        (void)env->dbenv->close(env->dbenv, 0);
        env->quiet = 0;
        db_orphan(env->dbenv);
        env->dbenv = NULL;
    }
    env->gen++;
}

int db_map_error(struct db_env *env, int bdb, const char *op,
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

int db_env_inherited(const struct db_env *env, const char *what)
{
    if (env->pid == getpid())
        return 0;
    log_error("db: handle used in a process that did not open it (call "
              "db_fork_child() after fork): dir=<%s> op=<%s>", env->dir, what);
    return 1;
}

static DB_ENV *db_env_create_configured(struct db_env *env)
{
    /* Before a configuration is loaded (unit tests of lib/db), the
     * option's default. */
    u_int32_t locks = conf_filename()
                          ? (u_int32_t)conf_getint(CONF_BERKELEY_LOCKS_MAX)
                          : DB_LOCKS_DEFAULT;
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
    if ((bdb = dbenv->mutex_set_max(dbenv, locks + DB_MUTEXES_EXTRA)) ||
        (bdb = dbenv->set_lk_max_lockers(dbenv, locks)) ||
        (bdb = dbenv->set_lk_max_locks(dbenv, locks)) ||
        (bdb = dbenv->set_lk_max_objects(dbenv, locks)) ||
        (bdb = dbenv->set_cachesize(dbenv, 0, DB_CACHE_BYTES, 1)) ||
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

int db_open_handle(struct db *db, int create)
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
int db_env_ready(struct db_env *env)
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

int db_ready(struct db *db)
{
    int r = db_env_ready(db->env);
    if (r)
        return r;
    return db->dbp ? ERR_OK : db_open_handle(db, 0);
}

/* A process died holding the environment: its locks stay until someone
 * recovers.  Reopening makes the engine see the dead registration and run
 * recovery; every other live process then reopens too. */
void db_env_heal(struct db_env *env)
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
    if ((bdb = dbenv->close(dbenv, 0)) == DB_RUNRECOVERY) {
        /* Another process recovered the regions under us (after a
         * crash): our handle was stale and holds nothing; leave. */
        db_orphan(dbenv);
    } else if (bdb) {
        db_orphan(dbenv);
        log_error("db: environment close failed: dir=<%s> error=<%s>",
                  env->dir, db_strerror(bdb));
        /* Stay registered: once we are gone, whoever may recovers. */
        db_orphan(env->reg);
        env->reg = NULL;
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
int db_env_release(struct db_env *env)
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

int db_env_undersized(struct db_env *env)
{
    u_int32_t have = 0, want = (u_int32_t)conf_getint(CONF_BERKELEY_LOCKS_MAX) +
                               DB_MUTEXES_EXTRA;

    if (db_env_inherited(env, "size") || db_env_ready(env) ||
        env->dbenv->mutex_get_max(env->dbenv, &have))
        return 0;
    return have < want;
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
void db_maybe_checkpoint(struct db_env *env, int unless_master)
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

void db_backoff(int attempt)
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
