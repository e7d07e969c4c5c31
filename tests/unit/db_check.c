/* db_check.c -- helpers of the Berkeley DB unit tests; see db_check.h. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/util.h"
#include "tests/unit/db_check.h"
#include "tests/unit/harness.h"

void capture(int prio, const char *line, void *rock)
{
    (void)prio;
    buf_printf(rock, "%s\n", line);
}

struct db_env *open_env(void)
{
    struct db_env *env = NULL;
    TEST_ASSERT_INT(db_env_open(test_path(ENVDIR), &env), ERR_OK);
    TEST_ASSERT(env != NULL);
    return env;
}

struct db *open_db(struct db_env *env, const char *file)
{
    struct db *db = NULL;
    TEST_ASSERT_INT(db_open(env, file, DB_OPEN_CREATE, &db), ERR_OK);
    return db;
}

void store_str(struct db *db, struct db_txn *txn, const char *k,
                      const char *v)
{
    TEST_ASSERT_INT(db_store(db, txn, k, strlen(k), v, strlen(v)), ERR_OK);
}

/* expect NULL: the key must be absent. */
void check_value(struct db *db, struct db_txn *txn, const char *k,
                        const char *expect)
{
    struct buf v = BUF_INITIALIZER;
    int r = db_fetch(db, txn, k, strlen(k), &v);

    if (!expect) {
        TEST_ASSERT_INT(r, ERR_NOTFOUND);
        TEST_ASSERT_INT(v.len, 0);
    } else {
        TEST_ASSERT_INT(r, ERR_OK);
        TEST_ASSERT_MEM(v.s, v.len, expect, strlen(expect));
    }
    buf_free(&v);
}

void close_all(struct db **db, struct db_env **env)
{
    TEST_ASSERT_INT(db_close(db), ERR_OK);
    TEST_ASSERT(*db == NULL);
    TEST_ASSERT_INT(db_env_close(env), ERR_OK);
    TEST_ASSERT(*env == NULL);
}

/* Wait for a child and return its exit code (128+signal if killed). */
int wait_child(pid_t pid)
{
    int status;
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A child that takes write locks on "held" in d.db and is then killed
 * (after *pid_r is reported), leaving its registration and locks behind. */
pid_t start_dead_holder(void)
{
    int p[2];
    char c;
    pid_t pid;

    TEST_ASSERT(pipe(p) == 0);
    pid = fork();
    if (pid == 0) {
        struct db_env *env;
        struct db *db;
        struct db_txn *txn;
        alarm(60);
        close(p[0]);
        db_fork_child();
        if (db_env_open(test_path(ENVDIR), &env) ||
            db_open(env, "d.db", 0, &db) || db_begin(env, &txn) ||
            db_store(db, txn, "held", 4, "dead", 4) ||
            write(p[1], "L", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(p[1]);
    TEST_ASSERT_INT(read(p[0], &c, 1), 1);
    close(p[0]);
    kill(pid, SIGKILL);
    return pid;
}

/* The state letter of /proc/<pid>/stat ('Z' for a zombie). */
int proc_state(pid_t pid)
{
    char path[64], *st, *p;
    int state = 0;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (util_read_file(path, &st, NULL) == ERR_OK) {
        p = strrchr(st, ')');
        state = p ? p[2] : 0;
        free(st);
    }
    return state;
}

