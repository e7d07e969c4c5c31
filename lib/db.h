/* db.h -- the one key/value store of Chapar (Berkeley DB behind it).
 *
 * Used for mailboxes.db, the per-user .seen files and the duplicate-delivery
 * database: sorted binary keys -> binary values, shared by many server
 * processes at once, with transactions.  Only lib/db_berkeley.c knows which
 * engine is underneath; nothing here mentions it except where an
 * administrator needs to know (recovery, the files in the directory).
 *
 * ENVIRONMENT.  All databases live in one environment: a directory (the
 * configuration directory's db/ folder) holding the shared cache, the lock
 * table, the transaction log and a process registry.  db_env_open() creates
 * the directory if needed.  A process has at most one handle per directory:
 * opening the same directory again returns the same env with a reference
 * added, so independent modules may each open and close it.  Every db and
 * every transaction also holds a reference, so close order does not matter;
 * the environment really closes (after a checkpoint) when the last
 * reference goes.
 *
 * CRASHES.  A process killed at any instant (kill -9 included) loses only
 * its uncommitted transactions.  Every open registers the process; a
 * process that died registered leaves its locks and transactions behind
 * until someone runs recovery, which (as in Cyrus) is not every opener's
 * business:
 *   - master recovers the environment when it starts (if a process died
 *     registered: a crash, a power loss), and then about every second
 *     looks for a dead registration and recovers (db_env_maintain), so a
 *     killed server or tool costs the others a second of retries;
 *   - a server master started (it exports CHAPAR_MASTER_PID) never runs
 *     recovery and never checkpoints: it joins the environment, waits
 *     (backing off, up to 10 s) while the engine says recovery is needed,
 *     and retries conflicts;
 *   - a process on its own (a server run by inetd or a test, an
 *     administrator's tool) recovers when it runs into a dead
 *     registration, one process at a time (a lock file), and checkpoints
 *     now and then after commits.
 * A registration counts as dead only when its process is really gone
 * (db_registry.h): a process closing normally at that instant is never
 * taken for dead, so recovery never runs under live users by mistake.
 * No operation here ever waits for a lock (a wait for a lock held by a
 * dead process would last until recovery): a conflict is retried with a
 * short random back-off (single operations, for up to 10 s) or returned as
 * ERR_CONFLICT (inside a transaction).  Recovery invalidates every other
 * process's handles: this module notices, reopens the environment and its
 * databases in place, and reports the lost transaction as ERR_CONFLICT.  A
 * process that exit()s with handles open is closed cleanly by an atexit
 * handler (without a checkpoint), so it does not cause a recovery.  One
 * case is beyond repair in place: a process that dies inside the engine
 * while holding one of its internal mutexes can leave live processes
 * blocked in their next call; processes opened afterwards are not
 * affected.
 *
 * DATABASES.  db_open() takes a file name relative to the environment
 * directory, or an absolute path (mailboxes.db lives beside db/, not in it).
 * A data file must always be opened through the same environment.  Keys and
 * values are byte strings (NUL bytes allowed, up to 4 GB - 1 each, empty
 * keys allowed); keys sort bytewise (memcmp, shorter first on a tie).
 *
 * TRANSACTIONS.  db_begin() starts one; db_commit() makes it durable (the
 * log is fsynced before it returns ERR_OK) and db_abort() undoes it.  Both
 * free the handle and set *txnp = NULL whatever they return.  Passing txn
 * NULL to an operation runs it alone, committed durably before returning.
 * Inside a transaction a conflict (another process holds a lock we need,
 * or the environment was recovered under us) returns ERR_CONFLICT and dooms
 * the transaction: later operations in it fail with ERR_CONFLICT, and
 * db_commit() aborts it and returns ERR_CONFLICT.  The caller retries the
 * whole transaction (db_begin() backs off after conflicts):
 *     do {
 *         db_begin(env, &t); ...; r = db_commit(&t);
 *     } while (r == ERR_CONFLICT);
 * Any other error also dooms the transaction (ERR_NOTFOUND does not), and
 * db_commit() then returns that error.  Reads in a transaction lock what
 * they read until it ends (serializable).  A process may have one
 * transaction open per environment at a time (db_begin() while one is
 * open: ERR_INTERNAL), and an operation with txn NULL on a database that
 * the open transaction has used returns ERR_INTERNAL (logged): it could
 * only conflict with its own process.
 *
 * FOREACH AND REENTRANCY.  db_foreach() calls fn for each record whose key
 * starts with prefix (all records for prefixlen 0), in key order.  Records
 * are read in small batches and no cursor or lock of the iteration is held
 * while fn runs, so fn may call any function of this module, including
 * db_store()/db_delete() on the same db, with the same txn as the
 * iteration (or with NULL if the iteration's txn was NULL).  Changes made
 * by fn to keys after the current one may or may not be seen later in the
 * iteration.  With txn NULL each record is committed data but the whole is
 * not a snapshot; with a txn the iteration sees the txn's own writes and
 * keeps read locks until the end of the txn.  fn returning non-zero stops
 * the iteration and db_foreach() returns that value unchanged (so use a
 * value the caller can tell from the ERR_ codes it also expects).
 *
 * ERRORS.  ERR_OK; ERR_NOTFOUND (no such key; no such file without
 * DB_OPEN_CREATE); ERR_CONFLICT (see above); ERR_BADFORMAT (the file is not
 * a database of ours: corrupt or foreign); ERR_TOOBIG (key or value over
 * 4 GB); ERR_PERM (file permissions); ERR_INTERNAL and ERR_BADARG (misuse:
 * see TRANSACTIONS and FORK); ERR_IO (anything else).  Everything
 * but ERR_NOTFOUND and ERR_CONFLICT is logged with the file and the
 * engine's message; the engine's own diagnostics go to the log too.
 *
 * FORK.  Handles must never be used across fork().  In a child, call
 * db_fork_child() to forget every handle inherited from the parent (the
 * shared environment and the parent's registration are left alone), then
 * open new ones.  Closing an inherited handle in the child (db_close(),
 * db_env_close(), db_abort()) is also fine: it frees memory only.  Using
 * an inherited handle for anything else returns ERR_INTERNAL (logged).
 * db_env_open() in a child forgets all inherited handles by itself.  A
 * child that simply exits or execs needs to do nothing (the atexit handler
 * only closes handles that the exiting process opened).
 *
 * ADMINISTRATION.  The directory holds __db.NNN (shared regions),
 * __db.register (the process registry), DB_CONFIG (optional engine
 * settings) and log.NNNNNNNNNN (the transaction log; files no longer needed
 * are removed automatically at checkpoints) and recover.lock (serialises
 * recoveries).  Checkpoints happen on master's timer (or after commits in
 * a process on its own) once 256 kB of log or 5 minutes have passed; never
 * when a process closes.  db_env_recover() (ctl_cyrusdb -r, with the
 * servers stopped) runs recovery unconditionally.  Run the Berkeley DB command-line tools
 * (db5.3_recover, db5.3_stat, ...) on it only with the servers stopped.
 *
 * Not thread-safe: one thread per process uses this module.
 */
#ifndef CHAPAR_DB_H
#define CHAPAR_DB_H

#include <stddef.h>

#include "lib/buf.h"

struct db_env;
struct db;
struct db_txn;

/* db_open() flags */
#define DB_OPEN_CREATE 0x01     /* create the file if it does not exist */

/* Open (or create) the environment in dir, or add a reference to this
 * process's handle for it. */
int db_env_open(const char *dir, struct db_env **env_r);
/* Drop the caller's reference; sets *envp = NULL.  The environment closes
 * (checkpoint, then close) when no db or txn uses it any more. */
int db_env_close(struct db_env **envp);
/* Checkpoint now: flush the cache, let old log files be removed. */
int db_env_checkpoint(struct db_env *env);
/* If a process died while registered in the environment, recover now (its
 * locks and transactions go), if this process may (see CRASHES).  Cheap
 * when none did: reads the registry. */
int db_env_check(struct db_env *env);
/* Master's timer, about every second: db_env_check(), then a checkpoint
 * when 256 kB of log or 5 minutes have passed since the last one. */
int db_env_maintain(struct db_env *env);
/* Run recovery on the environment in dir unconditionally.  Meant for when
 * no server uses it; live users are forced to reopen (ERR_CONFLICT once). */
int db_env_recover(const char *dir);
/* 1 if the environment's regions were made with smaller lock and mutex
 * tables than berkeley_locks_max asks for now (an older Chapar made them,
 * or the option grew): master then recovers at start, which remakes them
 * (the engine sizes regions only when it creates them). */
int db_env_undersized(struct db_env *env);
/* Master only, once: mark this process as the one that recovers and
 * checkpoints; the servers it starts inherit the mark (see CRASHES). */
void db_master_export(void);
/* In a forked child: forget all handles inherited from the parent. */
void db_fork_child(void);

int db_open(struct db_env *env, const char *file, int flags, struct db **db_r);
/* Close; sets *dbp = NULL.  If this process's open transaction used the db,
 * that transaction is aborted first (logged; its db_commit() then returns
 * ERR_CONFLICT). */
int db_close(struct db **dbp);

/* Replace val's contents with the value of key.  On any error val is left
 * empty.  val may be NULL to test whether key is present. */
int db_fetch(struct db *db, struct db_txn *txn, const void *key,
             size_t keylen, struct buf *val);
/* Insert or overwrite. */
int db_store(struct db *db, struct db_txn *txn, const void *key,
             size_t keylen, const void *val, size_t vallen);
/* Remove; ERR_NOTFOUND if the key is not there. */
int db_delete(struct db *db, struct db_txn *txn, const void *key,
              size_t keylen);

/* key/val are valid only during the call. */
typedef int db_foreach_fn(const void *key, size_t keylen, const void *val,
                          size_t vallen, void *rock);
int db_foreach(struct db *db, struct db_txn *txn, const void *prefix,
               size_t prefixlen, db_foreach_fn *fn, void *rock);

int db_begin(struct db_env *env, struct db_txn **txn_r);
int db_commit(struct db_txn **txnp);
int db_abort(struct db_txn **txnp);

#endif
