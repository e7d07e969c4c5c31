/* db_registry.h -- which processes use the Berkeley DB environment, which
 * of them died inside it, and who may recover it; for lib/db_env.c
 * only (db.h, CRASHES, is the contract users see).
 *
 * Why our own registry.  Berkeley DB 5.3's DB_REGISTER marks every opener
 * in __db.register, and an opener that finds a line whose lock it can take
 * declares that process dead, panics the environment under everybody and
 * wants recovery.  That test is racy: a process closing normally writes
 * its line free and then drops its lock, so an opener that read the line
 * just before can take the lock just after, and a live environment is
 * panicked and recovered for nothing (the "recovery storm" of a busy
 * server).  A freshly created registry also demands recovery.  So the
 * environment is opened without DB_REGISTER, as Cyrus does, and this
 * module keeps the registry:
 *
 * FILE.  <dir>/chapar.register: lines of DB_REGISTRY_LINE bytes, "%15ld\n"
 * with a pid, or DB_REGISTRY_FREE.  A process joining takes (F_SETLK) the
 * one-byte fcntl lock of a free line (or of the line after the last) and
 * writes its pid there; it keeps the file open and the lock held until it
 * leaves, when it writes the line free and closes.  No other descriptor of
 * the file is ever closed by a registered process (closing any drops its
 * fcntl locks): the check uses the registration's own descriptor.
 *
 * DEAD.  A line is a dead process's only if its lock is free, its process
 * no longer runs (gone, or a zombie: it exited) and the line still names
 * it after that was seen (a process closing normally frees its line
 * before it exits).  So a process that closes at the same instant is never
 * taken for dead.
 *
 * WHO RECOVERS.  Master (DESIGN.md, Processes) exports DB_MASTER_ENV=<its
 * pid> to the servers it starts; a process that has it, naming a live
 * process other than itself, never recovers: master does, at start and on
 * its timer.  A process on its own (a server run by inetd or a test, an
 * administrator's tool) recovers itself when it finds a dead line.
 * Recoveries and opens are serialised by DB_RECOVER_LOCK (flock: shared
 * while opening, exclusive while recovering).
 */
#ifndef CHAPAR_DB_REGISTRY_H
#define CHAPAR_DB_REGISTRY_H

#define DB_REGISTRY_FILE "chapar.register"
#define DB_REGISTRY_LINE 16
#define DB_REGISTRY_FREE "---------------\n"
#define DB_RECOVER_LOCK  "recover.lock"
#define DB_MASTER_ENV    "CHAPAR_MASTER_PID"

struct db_registry;

/* Register this process in the environment in dir.  ERR_OK or ERR_IO
 * (logged). */
int db_registry_join(const char *dir, struct db_registry **reg_r);
/* Free our line and close; sets *regp = NULL.  NULL is fine. */
void db_registry_leave(struct db_registry **regp);
/* In a forked child: drop the parent's registration without touching it
 * (the lock is the parent's); sets *regp = NULL. */
void db_registry_forget(struct db_registry **regp);
/* 1 if a process died registered (see DEAD); reg may be NULL (then 0). */
int db_registry_has_dead(struct db_registry *reg);
/* After recovery: write the lines of dead processes free. */
void db_registry_clear_dead(struct db_registry *reg);
/* The same for the registry in dir, for a process not registered there
 * (it opens and closes the file). */
void db_registry_clear_dead_dir(const char *dir);
/* 1 if this process may run recovery: it is master, or no master runs. */
int db_registry_may_recover(void);
/* flock DB_RECOVER_LOCK in dir, shared or exclusive (blocking): its fd, or
 * -1 (logged).  Release with db_registry_unlock(). */
int db_registry_lock(const char *dir, int exclusive);
void db_registry_unlock(int fd);

#endif
