/* db_berkeley_private.h -- what lib/db_env.c (the environment: opening,
 * registration, recovery, checkpoints, handle life) and lib/db_berkeley.c
 * (databases, operations, iteration, transactions) share; the only
 * header that includes <db.h>.  Not for other modules: lib/db.h is the
 * contract.  Invariants of both files:
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
 *    db_txn is recognised as dead without touching its DB_TXN.
 */
#ifndef CHAPAR_DB_BERKELEY_PRIVATE_H
#define CHAPAR_DB_BERKELEY_PRIVATE_H

#include <db.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/db.h"

/* Environment sizing, applied when a process creates the regions.  The
 * cache is a region file that fills up to its size as pages pass through
 * it, so it is disk every installation pays: 1 MB (Cyrus's default is
 * 512 kB) holds mailboxes.db and the seen files of active users; the
 * duplicate database's pages come from the OS page cache when they miss.
 * Against 4 MB: LMTP to 100 users with 100,000 records in deliver.db ran
 * at 1,008 / 1,849 msg/s (1 / 4 connections, median of 3) against 1,098 /
 * 1,857, within this machine's noise, for 4 MB less on disk. */
#define DB_CACHE_BYTES     (1U * 1024 * 1024)
/* The environment's lock and mutex tables, sized when it is created
 * (master, at start) from berkeley_locks_max: every open database handle
 * takes a locker and some mutexes (about 2 and 4.5 per IMAP session with a
 * mailbox selected).  The engine's own sizing (1,000 lockers, 1,862
 * mutexes here) failed the 406th concurrent session with BDB2034 "unable
 * to allocate memory for mutex", and past the mutexes the engine spun in
 * its region allocator for lockers.  Cyrus sizes the three lock tables
 * from the same option. */
#define DB_LOCKS_DEFAULT   50000U   /* before a configuration is loaded */
#define DB_MUTEXES_EXTRA   10000U
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

/* ---- db_env.c, for db_berkeley.c ------------------------------------- */

/* Park a handle we will never call again (reachable for LSan). */
void db_orphan(void *p);
/* Pass on the engine's collapsed messages. */
void db_msg_flush(struct db_env *env);
long long db_now_ms(void);
/* The engine's code as an ERR_ code; DB_RUNRECOVERY drops the handles. */
int db_map_error(struct db_env *env, int bdb, const char *op,
                 const char *file);
/* 1 (logged) if env was opened by another process (our parent). */
int db_env_inherited(const struct db_env *env, const char *what);
/* Reopen what recovery dropped: the environment, then db. */
int db_env_ready(struct db_env *env);
int db_ready(struct db *db);
int db_open_handle(struct db *db, int create);
/* A dead process holds locks we keep meeting: recover if we may. */
void db_env_heal(struct db_env *env);
/* Drop a reference; the last one closes the environment. */
int db_env_release(struct db_env *env);
/* See db_env.c. */
void db_maybe_checkpoint(struct db_env *env, int unless_master);
/* A short random sleep, growing with attempt. */
void db_backoff(int attempt);

#endif
