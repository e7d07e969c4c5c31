/* db_check.h -- shared by the Berkeley DB unit tests (test_db.c,
 * test_db_crash.c): an environment in the case's directory ENVDIR, and
 * shortcuts that fail the case on any unexpected error. */
#ifndef CHAPAR_TESTS_DB_CHECK_H
#define CHAPAR_TESTS_DB_CHECK_H

#include <sys/types.h>

#include "lib/db.h"

#define ENVDIR "db"

/* A log sink (log_set_sink style) appending each line to a struct buf. */
void capture(int prio, const char *line, void *rock);
struct db_env *open_env(void);
struct db *open_db(struct db_env *env, const char *file);
void store_str(struct db *db, struct db_txn *txn, const char *k,
               const char *v);
/* expect NULL: the key must be absent. */
void check_value(struct db *db, struct db_txn *txn, const char *k,
                 const char *expect);
void close_all(struct db **db, struct db_env **env);
/* Wait for a child and return its exit code (128+signal if killed). */
int wait_child(pid_t pid);
/* A child that takes write locks on "held" in d.db and is then killed
 * (SIGKILL, not reaped), leaving its registration and locks behind. */
pid_t start_dead_holder(void);
/* The state letter of /proc/<pid>/stat ('Z' for a zombie). */
int proc_state(pid_t pid);

#endif
