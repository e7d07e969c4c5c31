/* test_db_crash.c -- the Berkeley DB environment across crashes: writers
 * killed with SIGKILL mid-transaction, dead processes' locks freed by
 * recovery (on demand, by a live process on its own, never by a server
 * under master), clean exits that cause no recovery, recovery under a
 * live process, and no recovery taken for a process closing normally. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/util.h"
#include "tests/unit/db_check.h"
#include "tests/unit/harness.h"

#define KILL_KEYS_PER_TXN 8

/* Commit transactions of KILL_KEYS_PER_TXN keys forever, reporting each
 * committed number on the pipe, until killed. */
static void killed_writer(int start, int report)
{
    struct db_env *env;
    struct db *db;
    char key[64], val[700];

    alarm(100);
    if (db_env_open(test_path(ENVDIR), &env) ||
        db_open(env, "kill.db", DB_OPEN_CREATE, &db))
        _exit(1);
    memset(val, 'v', sizeof(val));
    for (int n = start;; n++) {
        struct db_txn *txn;
        int r = db_begin(env, &txn);
        for (int j = 0; !r && j < KILL_KEYS_PER_TXN; j++) {
            snprintf(key, sizeof(key), "k%08d-%d", n, j);
            r = db_store(db, txn, key, strlen(key), val, sizeof(val));
        }
        if (r || db_commit(&txn) != ERR_OK)
            _exit(2);
        if (write(report, &n, sizeof(n)) != sizeof(n))
            _exit(3);
    }
}

static int keys_of_txn(struct db *db, int n)
{
    char key[64];
    int present = 0;
    for (int j = 0; j < KILL_KEYS_PER_TXN; j++) {
        snprintf(key, sizeof(key), "k%08d-%d", n, j);
        present += db_fetch(db, NULL, key, strlen(key), NULL) == ERR_OK;
    }
    return present;
}

static void test_writer_killed_mid_transaction(void)
{
    unsigned seed = (unsigned)getpid();

    alarm(110);
    for (int round = 0; round < 5; round++) {
        int start = round * 1000000, last, v, p[2], partial;
        struct db_env *env;
        struct db *db;
        pid_t pid;

        TEST_ASSERT(pipe(p) == 0);
        pid = fork();
        if (pid == 0) {
            close(p[0]);
            killed_writer(start, p[1]);
        }
        close(p[1]);
        TEST_ASSERT_INT(read(p[0], &last, sizeof(last)), sizeof(last));
        usleep(5000 + rand_r(&seed) % 60000);
        kill(pid, SIGKILL);
        TEST_ASSERT_INT(wait_child(pid), 128 + SIGKILL);
        while (read(p[0], &v, sizeof(v)) == sizeof(v))
            last = v;
        close(p[0]);

        /* This process opens the environment after the writer died. */
        env = open_env();
        db = open_db(env, "kill.db");
        for (int n = start; n <= last; n++)
            TEST_ASSERT_INT(keys_of_txn(db, n), KILL_KEYS_PER_TXN);
        /* The transaction in progress is all there (committed just before
         * the kill, not yet reported) or not at all; none after it. */
        partial = keys_of_txn(db, last + 1);
        TEST_ASSERT(partial == 0 || partial == KILL_KEYS_PER_TXN);
        TEST_ASSERT_INT(keys_of_txn(db, last + 2), 0);
        /* Usable for new writes, including the keys the dead transaction
         * had locked. */
        store_str(db, NULL, "k99999999-0", "after");
        for (int j = 0; j < KILL_KEYS_PER_TXN; j++) {
            char key[64];
            snprintf(key, sizeof(key), "k%08d-%d", last + 1, j);
            store_str(db, NULL, key, "rewritten");
        }
        close_all(&db, &env);
    }
}

/* db_env_check() in a process that has the environment open frees the
 * locks of a killed peer (also while the peer is an unreaped zombie). */
static void test_check_frees_dead_process_locks(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "d.db");

    alarm(60);
    for (int zombie = 0; zombie < 2; zombie++) {
        pid_t pid = start_dead_holder();
        while (zombie && proc_state(pid) != 'Z')
            usleep(1000);
        if (!zombie)
            TEST_ASSERT_INT(wait_child(pid), 128 + SIGKILL);
        TEST_ASSERT_INT(db_env_check(env), ERR_OK);
        check_value(db, NULL, "held", NULL);        /* aborted */
        store_str(db, NULL, "held", "alive");
        check_value(db, NULL, "held", "alive");
        TEST_ASSERT_INT(db_delete(db, NULL, "held", 4), ERR_OK);
        if (zombie)
            TEST_ASSERT_INT(wait_child(pid), 128 + SIGKILL);
        TEST_ASSERT_INT(db_env_check(env), ERR_OK); /* nothing to do */
    }
    close_all(&db, &env);
}

/* Without anyone calling db_env_check(): a live process running into a
 * dead process's locks notices and heals, both for single operations and
 * for its own transactions retried on ERR_CONFLICT. */
static void test_live_process_heals_itself(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "d.db");
    time_t t0;
    int tries = 0, r;

    alarm(60);
    TEST_ASSERT_INT(wait_child(start_dead_holder()), 128 + SIGKILL);
    t0 = time(NULL);
    store_str(db, NULL, "held", "single");
    TEST_ASSERT(time(NULL) - t0 < 5);       /* well before the 10 s limit */
    check_value(db, NULL, "held", "single");

    TEST_ASSERT_INT(wait_child(start_dead_holder()), 128 + SIGKILL);
    do {
        struct db_txn *txn;
        TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
        r = db_store(db, txn, "held", 4, "txn", 3);
        r = r ? (db_abort(&txn), r) : db_commit(&txn);
        TEST_ASSERT(r == ERR_OK || r == ERR_CONFLICT);
    } while (r == ERR_CONFLICT && ++tries < 1000);
    TEST_ASSERT_INT(r, ERR_OK);
    check_value(db, NULL, "held", "txn");
    close_all(&db, &env);
}

/* A process that exit()s without closing still unregisters (atexit), so it
 * does not make the next opener recover and disturb live users; one that
 * dies without exit() does (which shows the test can tell). */
static void exit_child(int clean)
{
    struct db_env *env;
    struct db *db;

    alarm(60);
    if (db_env_open(test_path(ENVDIR), &env) ||
        db_open(env, "other.db", DB_OPEN_CREATE, &db) ||
        db_store(db, NULL, "x", 1, "y", 1))
        _exit(1);
    if (clean)
        exit(0);
    _exit(0);
}

static void test_exit_without_close(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "x.db");

    alarm(60);
    for (int clean = 1; clean >= 0; clean--) {
        struct db_txn *txn;
        pid_t pid;

        TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
        store_str(db, txn, "a", "1");
        pid = fork();
        if (pid == 0)
            exit_child(clean);
        TEST_ASSERT_INT(wait_child(pid), 0);
        /* Another process opens the environment. */
        pid = fork();
        if (pid == 0) {
            struct db_env *e2;
            _exit(db_env_open(test_path(ENVDIR), &e2) ||
                  db_env_close(&e2) ? 1 : 0);
        }
        TEST_ASSERT_INT(wait_child(pid), 0);
        TEST_ASSERT_INT(db_store(db, txn, "b", 1, "2", 1),
                        clean ? ERR_OK : ERR_CONFLICT);
        TEST_ASSERT_INT(db_commit(&txn), clean ? ERR_OK : ERR_CONFLICT);
    }
    close_all(&db, &env);
}

/* Another process runs recovery while we have everything open and a
 * transaction in progress: the transaction is lost (ERR_CONFLICT) and the
 * handles heal themselves. */
static void test_recovery_under_live_process(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "r.db");
    struct db_txn *txn;
    pid_t pid;

    alarm(60);
    store_str(db, NULL, "a", "1");
    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    store_str(db, txn, "b", "2");
    pid = fork();
    if (pid == 0) {
        db_fork_child();
        _exit(db_env_recover(test_path(ENVDIR)) == ERR_OK ? 0 : 1);
    }
    TEST_ASSERT_INT(wait_child(pid), 0);
    TEST_ASSERT_INT(db_store(db, txn, "c", 1, "3", 1), ERR_CONFLICT);
    TEST_ASSERT_INT(db_commit(&txn), ERR_CONFLICT);
    check_value(db, NULL, "a", "1");
    check_value(db, NULL, "b", NULL);
    check_value(db, NULL, "c", NULL);
    store_str(db, NULL, "d", "4");
    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    store_str(db, txn, "e", "5");
    TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    close_all(&db, &env);

    env = open_env();
    db = open_db(env, "r.db");
    check_value(db, NULL, "d", "4");
    check_value(db, NULL, "e", "5");
    close_all(&db, &env);
    TEST_ASSERT_INT(db_env_recover(test_path("nonexistent")), ERR_NOTFOUND);
}

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under master (this test process plays it: CHAPAR_MASTER_PID names it) a
 * server never recovers: it waits until master does, however long the
 * dead process's registration stays. */
static void test_server_waits_for_master(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "d.db");
    char pidstr[32];
    long long waited;
    int p[2];
    pid_t server;

    alarm(60);
    snprintf(pidstr, sizeof(pidstr), "%ld", (long)getpid());
    setenv("CHAPAR_MASTER_PID", pidstr, 1);
    TEST_ASSERT_INT(wait_child(start_dead_holder()), 128 + SIGKILL);
    TEST_ASSERT(pipe(p) == 0);
    server = fork();
    if (server == 0) {
        struct db_env *e2;
        struct db *d2;
        long long t0 = ms_now(), dt;
        close(p[0]);
        db_fork_child();
        /* Joining waits for recovery; then the dead holder's lock is
         * gone. */
        if (db_env_open(test_path(ENVDIR), &e2) ||
            db_open(e2, "d.db", 0, &d2) ||
            db_store(d2, NULL, "held", 4, "server", 6))
            _exit(1);
        dt = ms_now() - t0;
        _exit(write(p[1], &dt, sizeof(dt)) == sizeof(dt) ? 0 : 2);
    }
    close(p[1]);
    /* Master takes its time; the server must not step in meanwhile. */
    usleep(1500 * 1000);
    TEST_ASSERT_INT(waitpid(server, NULL, WNOHANG), 0);
    TEST_ASSERT_INT(db_env_check(env), ERR_OK);     /* master recovers */
    TEST_ASSERT_INT(wait_child(server), 0);
    TEST_ASSERT_INT(read(p[0], &waited, sizeof(waited)), sizeof(waited));
    close(p[0]);
    TEST_ASSERT(waited >= 1400);
    check_value(db, NULL, "held", "server");
    unsetenv("CHAPAR_MASTER_PID");
    close_all(&db, &env);
}

/* Processes opening, writing and closing the environment as fast as they
 * can (sessions logging in and out) never make anyone recover: a
 * transaction held open across all of it commits. */
#define CHURN_PROCS 6
#define CHURN_ROUNDS 60

static void test_no_recovery_for_closing_processes(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "p.db");
    struct db *cdb = open_db(env, "c.db");
    struct db_txn *txn;
    pid_t kids[CHURN_PROCS];

    alarm(100);
    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    store_str(db, txn, "parent", "open");
    for (int k = 0; k < CHURN_PROCS; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            for (int i = 0; i < CHURN_ROUNDS; i++) {
                struct db_env *e2;
                struct db *d2;
                char key[32];
                int n = snprintf(key, sizeof(key), "k%d-%d", k, i);
                db_fork_child();
                if (db_env_open(test_path(ENVDIR), &e2) ||
                    db_open(e2, "c.db", 0, &d2) ||
                    db_store(d2, NULL, key, (size_t)n, "v", 1) ||
                    db_close(&d2) || db_env_close(&e2))
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < CHURN_PROCS; k++)
        TEST_ASSERT_INT(wait_child(kids[k]), 0);
    /* A recovery would have doomed it (ERR_CONFLICT). */
    TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    check_value(db, NULL, "parent", "open");
    check_value(cdb, NULL, "k0-0", "v");
    TEST_ASSERT_INT(db_close(&cdb), ERR_OK);
    close_all(&db, &env);
}

/* A process killed at any instant inside the engine (opening, writing,
 * closing: some of it under the engine's mutexes, such as the region's
 * reference count) never makes the recovering process hang: it gives up
 * its own handle to the old regions without taking their mutexes.  (CI
 * saw master hang 15 s in its recovery at stop after SIGTERM caught an
 * imapd closing the environment.) */
#define MUTEX_KILLS 150

static void test_killed_inside_the_engine(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "m.db");

    alarm(120);
    srand((unsigned)getpid());
    for (int i = 0; i < MUTEX_KILLS; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            db_fork_child();
            for (int n = 0;; n++) {
                struct db_env *e2;
                struct db *d2;
                char key[32];
                int len = snprintf(key, sizeof(key), "k%d", n % 50);
                if (db_env_open(test_path(ENVDIR), &e2) ||
                    db_open(e2, "m.db", 0, &d2) ||
                    db_store(d2, NULL, key, (size_t)len, "v", 1) ||
                    db_close(&d2) || db_env_close(&e2))
                    _exit(1);
            }
        }
        usleep(2000 + (useconds_t)(rand() % 20000));
        kill(pid, SIGKILL);
        TEST_ASSERT_INT(wait_child(pid), 128 + SIGKILL);
        TEST_ASSERT_INT(db_env_check(env), ERR_OK);
        store_str(db, NULL, "alive", "yes");
    }
    check_value(db, NULL, "alive", "yes");
    close_all(&db, &env);
}

TEST_MAIN("db_crash",
          TEST_CASE(test_writer_killed_mid_transaction),
          TEST_CASE(test_check_frees_dead_process_locks),
          TEST_CASE(test_live_process_heals_itself),
          TEST_CASE(test_exit_without_close),
          TEST_CASE(test_recovery_under_live_process),
          TEST_CASE(test_server_waits_for_master),
          TEST_CASE(test_no_recovery_for_closing_processes),
          TEST_CASE(test_killed_inside_the_engine))
