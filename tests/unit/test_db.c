/* test_db.c -- the key/value store over real Berkeley DB: operations,
 * binary keys, ordered prefix iteration and its reentrancy, transactions,
 * concurrent writers and deadlocks, corrupt files, fork rules, log
 * clean-up.  Crashes and recovery: test_db_crash.c. */
#include "config.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tests/unit/db_check.h"
#include "tests/unit/harness.h"

static void test_store_fetch_delete(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "t.db"), *db2 = (struct db *)&db2;

    check_value(db, NULL, "k", NULL);
    store_str(db, NULL, "k", "v1");
    check_value(db, NULL, "k", "v1");
    store_str(db, NULL, "k", "a longer second value");
    check_value(db, NULL, "k", "a longer second value");
    store_str(db, NULL, "k", "");
    check_value(db, NULL, "k", "");
    TEST_ASSERT_INT(db_fetch(db, NULL, "k", 1, NULL), ERR_OK);
    TEST_ASSERT_INT(db_delete(db, NULL, "k", 1), ERR_OK);
    check_value(db, NULL, "k", NULL);
    TEST_ASSERT_INT(db_fetch(db, NULL, "k", 1, NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(db_delete(db, NULL, "k", 1), ERR_NOTFOUND);
    store_str(db, NULL, "p", "persists");
    close_all(&db, &env);
    env = open_env();
    TEST_ASSERT_INT(db_open(env, "t.db", 0, &db), ERR_OK);
    check_value(db, NULL, "p", "persists");
    TEST_ASSERT_INT(db_open(env, "missing.db", 0, &db2), ERR_NOTFOUND);
    TEST_ASSERT(db2 == NULL);
    close_all(&db, &env);
}

static void test_binary_keys_and_values(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "bin.db");
    struct buf v = BUF_INITIALIZER;
    static const struct { const char *k; size_t kl; const char *v; size_t vl; }
    recs[] = {
        { "a\0b", 3, "\0one\0", 5 },
        { "a\0c", 3, "two", 3 },
        { "a", 1, "\0", 1 },
        { "", 0, "empty key", 9 },
        { "a\0", 2, "", 0 },
    };
    size_t n = sizeof(recs) / sizeof(recs[0]);
    char *big = xmalloc(1 << 20);

    for (size_t i = 0; i < n; i++)
        TEST_ASSERT_INT(db_store(db, NULL, recs[i].k, recs[i].kl, recs[i].v,
                                 recs[i].vl), ERR_OK);
    for (size_t i = 0; i < n; i++) {
        TEST_ASSERT_INT(db_fetch(db, NULL, recs[i].k, recs[i].kl, &v), ERR_OK);
        TEST_ASSERT_MEM(v.s, v.len, recs[i].v, recs[i].vl);
    }
    TEST_ASSERT_INT(db_delete(db, NULL, "a\0b", 3), ERR_OK);
    TEST_ASSERT_INT(db_fetch(db, NULL, "a\0b", 3, &v), ERR_NOTFOUND);
    TEST_ASSERT_INT(db_fetch(db, NULL, "a\0c", 3, &v), ERR_OK);
    TEST_ASSERT_INT(db_fetch(db, NULL, "a", 1, &v), ERR_OK);
    TEST_ASSERT_MEM(v.s, v.len, "\0", 1);

    /* A value far larger than the buffer fetch starts with. */
    for (size_t i = 0; i < (1 << 20); i++)
        big[i] = (char)(i * 31);
    TEST_ASSERT_INT(db_store(db, NULL, "big", 3, big, 1 << 20), ERR_OK);
    buf_reset(&v);
    TEST_ASSERT_INT(db_fetch(db, NULL, "big", 3, &v), ERR_OK);
    TEST_ASSERT_MEM(v.s, v.len, big, (size_t)1 << 20);
    free(big);
    buf_free(&v);
    close_all(&db, &env);
}

struct collect {
    struct buf out;
    int calls;
    int stop_after;
};

static int collect_cb(const void *k, size_t klen, const void *v, size_t vlen,
                      void *rock)
{
    struct collect *c = rock;
    c->calls++;
    buf_appendmap(&c->out, k, klen);
    buf_putc(&c->out, '=');
    buf_appendmap(&c->out, v, vlen);
    buf_putc(&c->out, ';');
    return c->stop_after && c->calls >= c->stop_after ? 42 : 0;
}

static void test_foreach_prefix_in_order(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "f.db");
    struct collect c = { BUF_INITIALIZER, 0, 0 };
    static const char all[] =
        "other=1;user=2;user.a=3;user.a.sub=4;user.b=5;user.c\0x=6;usera=7;";

    /* Stored out of order. */
    store_str(db, NULL, "user.b", "5");
    store_str(db, NULL, "usera", "7");
    store_str(db, NULL, "user.a.sub", "4");
    TEST_ASSERT_INT(db_store(db, NULL, "user.c\0x", 8, "6", 1), ERR_OK);
    store_str(db, NULL, "other", "1");
    store_str(db, NULL, "user.a", "3");
    store_str(db, NULL, "user", "2");

    TEST_ASSERT_INT(db_foreach(db, NULL, "user.", 5, collect_cb, &c), 0);
    TEST_ASSERT_MEM(c.out.s, c.out.len,
                    "user.a=3;user.a.sub=4;user.b=5;user.c\0x=6;", 42);
    TEST_ASSERT_INT(c.calls, 4);

    buf_reset(&c.out);
    c.calls = 0;
    TEST_ASSERT_INT(db_foreach(db, NULL, NULL, 0, collect_cb, &c), 0);
    TEST_ASSERT_MEM(c.out.s, c.out.len, all, sizeof(all) - 1);

    /* Early stop: the callback's value comes back, nothing more is read. */
    buf_reset(&c.out);
    c.calls = 0;
    c.stop_after = 2;
    TEST_ASSERT_INT(db_foreach(db, NULL, "user.", 5, collect_cb, &c), 42);
    TEST_ASSERT_INT(c.calls, 2);
    TEST_ASSERT_STR(buf_cstring(&c.out), "user.a=3;user.a.sub=4;");

    c.calls = 0;
    TEST_ASSERT_INT(db_foreach(db, NULL, "zzz", 3, collect_cb, &c), 0);
    TEST_ASSERT_INT(c.calls, 0);
    buf_free(&c.out);
    close_all(&db, &env);
}

struct mover {
    struct db *db;
    struct db_txn *txn;
    const char *to;             /* new prefix, same length as the old */
    int seen;
};

/* Moves each record to another prefix: a delete and a store on the very
 * database being iterated, from inside the callback. */
static int move_cb(const void *k, size_t klen, const void *v, size_t vlen,
                   void *rock)
{
    struct mover *m = rock;
    char nk[64];
    int r;

    m->seen++;
    if (klen > sizeof(nk))
        return 99;
    memcpy(nk, k, klen);
    memcpy(nk, m->to, strlen(m->to));
    if ((r = db_delete(m->db, m->txn, k, klen)))
        return 100 + r;
    if ((r = db_store(m->db, m->txn, nk, klen, v, vlen)))
        return 200 + r;
    return 0;
}

static int count_prefix(struct db *db, const char *prefix)
{
    struct collect c = { BUF_INITIALIZER, 0, 0 };
    TEST_ASSERT_INT(db_foreach(db, NULL, prefix, strlen(prefix), collect_cb,
                               &c), 0);
    buf_free(&c.out);
    return c.calls;
}

static void test_foreach_callback_writes_same_db(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "m.db");
    struct mover m = { db, NULL, "done.", 0 };
    struct db_txn *txn;
    char key[32];
    const int n = 300;          /* more than one internal batch */

    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "todo.%05d", i);
        store_str(db, txn, key, key);
    }
    TEST_ASSERT_INT(db_commit(&txn), ERR_OK);

    /* Without a transaction: each callback write commits on its own. */
    TEST_ASSERT_INT(db_foreach(db, NULL, "todo.", 5, move_cb, &m), 0);
    TEST_ASSERT_INT(m.seen, n);
    TEST_ASSERT_INT(count_prefix(db, "todo."), 0);
    TEST_ASSERT_INT(count_prefix(db, "done."), n);
    check_value(db, NULL, "done.00123", "todo.00123");

    /* Inside one transaction, the callback using the same transaction. */
    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    m.txn = txn;
    m.to = "todo.";
    m.seen = 0;
    TEST_ASSERT_INT(db_foreach(db, txn, "done.", 5, move_cb, &m), 0);
    TEST_ASSERT_INT(m.seen, n);
    TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    TEST_ASSERT_INT(count_prefix(db, "done."), 0);
    TEST_ASSERT_INT(count_prefix(db, "todo."), n);
    close_all(&db, &env);
}

static void test_txn_commit_and_abort(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "x.db");
    struct db_txn *txn = NULL;

    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    store_str(db, txn, "a", "1");
    store_str(db, txn, "b", "2");
    check_value(db, txn, "a", "1");         /* sees its own writes */
    TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    TEST_ASSERT(txn == NULL);
    check_value(db, NULL, "a", "1");
    check_value(db, NULL, "b", "2");

    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    store_str(db, txn, "c", "3");
    TEST_ASSERT_INT(db_delete(db, txn, "a", 1), ERR_OK);
    check_value(db, txn, "a", NULL);
    TEST_ASSERT_INT(db_delete(db, txn, "zz", 2), ERR_NOTFOUND);
    TEST_ASSERT_INT(db_abort(&txn), ERR_OK);
    TEST_ASSERT(txn == NULL);
    check_value(db, NULL, "a", "1");
    check_value(db, NULL, "c", NULL);

    /* NOTFOUND does not doom a transaction. */
    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    TEST_ASSERT_INT(db_fetch(db, txn, "nope", 4, NULL), ERR_NOTFOUND);
    store_str(db, txn, "d", "4");
    TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    check_value(db, NULL, "d", "4");

    TEST_ASSERT_INT(db_commit(&txn), ERR_BADARG);
    TEST_ASSERT_INT(db_abort(&txn), ERR_OK);
    close_all(&db, &env);
}

/* Patterns that would wait for themselves get an error, not a hang. */
static void test_txn_self_wait_refused(void)
{
    struct buf log = BUF_INITIALIZER;
    struct db_env *env = open_env();
    struct db *db = open_db(env, "x.db"), *other = open_db(env, "y.db");
    struct db_txn *txn, *txn2 = (struct db_txn *)&txn2;

    alarm(30);
    log_set_capture(capture, &log);
    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    TEST_ASSERT_INT(db_begin(env, &txn2), ERR_INTERNAL);
    TEST_ASSERT(txn2 == NULL);
    store_str(db, txn, "a", "1");
    TEST_ASSERT_INT(db_fetch(db, NULL, "a", 1, NULL), ERR_INTERNAL);
    TEST_ASSERT(strstr(buf_cstring(&log), "file=<x.db>"));
    store_str(other, NULL, "b", "2");       /* untouched by txn: fine */
    TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    check_value(db, NULL, "a", "1");

    /* Closing a db the open transaction used aborts the transaction. */
    TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
    store_str(db, txn, "x", "lost");
    TEST_ASSERT_INT(db_close(&db), ERR_OK);
    TEST_ASSERT_INT(db_commit(&txn), ERR_CONFLICT);
    db = open_db(env, "x.db");
    check_value(db, NULL, "x", NULL);
    log_set_capture(NULL, NULL);
    buf_free(&log);
    TEST_ASSERT_INT(db_close(&other), ERR_OK);
    close_all(&db, &env);
}

/* Environment handles are shared per directory and reference counted; a
 * data file may live outside the environment directory. */
static void test_env_sharing_and_outside_file(void)
{
    struct db_env *env = open_env(), *env2 = open_env();
    const char *abs = test_path("mailboxes.db");
    char *path = xstrdup(abs);
    struct db *db;
    struct stat st;

    TEST_ASSERT(env == env2);
    db = open_db(env, path);
    TEST_ASSERT_INT(db_env_close(&env), ERR_OK);
    /* The db keeps the environment alive. */
    store_str(db, NULL, "user.bob", "default bob lrswipcda");
    TEST_ASSERT_INT(db_env_close(&env2), ERR_OK);
    check_value(db, NULL, "user.bob", "default bob lrswipcda");
    TEST_ASSERT_INT(db_close(&db), ERR_OK);
    TEST_ASSERT(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    TEST_ASSERT(stat(test_path(ENVDIR "/mailboxes.db"), &st) < 0);

    env = open_env();
    db = open_db(env, path);
    check_value(db, NULL, "user.bob", "default bob lrswipcda");
    close_all(&db, &env);
    free(path);
}

/* Two processes whose transactions both read, then write, the same page.
 * The first writer finds the other's read lock: it must be told
 * ERR_CONFLICT at once (never wait: the other might be dead), its
 * transaction must stay doomed, and once it is gone the other commits. */
static void conflict_child(int id, int ready, int go)
{
    struct db_env *env;
    struct db *db;
    struct db_txn *txn;
    char c, val = (char)('0' + id);
    int r;

    alarm(60);      /* never outlive a failed test */
    if (db_env_open(test_path(ENVDIR), &env) ||
        db_open(env, "dl.db", 0, &db) || db_begin(env, &txn) ||
        db_fetch(db, txn, "k", 1, NULL) != ERR_OK ||
        write(ready, "R", 1) != 1 || read(go, &c, 1) != 1)
        _exit(1);
    r = db_store(db, txn, "k", 1, &val, 1);
    if (r == ERR_CONFLICT) {
        if (db_store(db, txn, "j", 1, "x", 1) != ERR_CONFLICT ||
            db_commit(&txn) != ERR_CONFLICT)
            _exit(2);
        db_close(&db);
        db_env_close(&env);
        _exit(10);
    }
    if (r || db_commit(&txn))
        _exit(3);
    db_close(&db);
    db_env_close(&env);
    _exit(0);
}

static void test_conflict_is_immediate(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "dl.db");
    int ready[2], go[2][2];
    pid_t pid[2];
    char c;

    alarm(60);
    store_str(db, NULL, "k", "-");
    close_all(&db, &env);
    TEST_ASSERT(pipe(ready) == 0 && pipe(go[0]) == 0 && pipe(go[1]) == 0);
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        if (pid[i] == 0) {
            /* Only the parent may hold write ends: its death means EOF. */
            close(ready[0]);
            close(go[0][1]);
            close(go[1][1]);
            conflict_child(i, ready[1], go[i][0]);
        }
    }
    /* Both hold read locks before either writes. */
    TEST_ASSERT_INT(read(ready[0], &c, 1), 1);
    TEST_ASSERT_INT(read(ready[0], &c, 1), 1);
    TEST_ASSERT_INT(write(go[0][1], "G", 1), 1);
    TEST_ASSERT_INT(wait_child(pid[0]), 10);
    TEST_ASSERT_INT(write(go[1][1], "G", 1), 1);
    TEST_ASSERT_INT(wait_child(pid[1]), 0);
    env = open_env();
    db = open_db(env, "dl.db");
    check_value(db, NULL, "k", "1");
    close_all(&db, &env);
}

#define CONC_TXNS 100

/* Read-increment-write a shared counter plus private and shared keys, in
 * transactions retried on ERR_CONFLICT. */
static void counter_child(int id)
{
    struct db_env *env;
    struct db *db;
    struct buf v = BUF_INITIALIZER;
    char key[32], idc = (char)('0' + id);

    alarm(100);
    db_fork_child();
    if (db_env_open(test_path(ENVDIR), &env) || db_open(env, "c.db", 0, &db))
        _exit(1);
    for (int i = 0; i < CONC_TXNS;) {
        struct db_txn *txn;
        long ctr = 0;
        int r = db_begin(env, &txn);

        if (!r) {
            r = db_fetch(db, txn, "ctr", 3, &v);
            if (r == ERR_OK)
                ctr = strtol(buf_cstring(&v), NULL, 10);
            else if (r == ERR_NOTFOUND)
                r = ERR_OK;
        }
        buf_reset(&v);
        buf_printf(&v, "%ld", ctr + 1);
        if (!r)
            r = db_store(db, txn, "ctr", 3, v.s, v.len);
        snprintf(key, sizeof(key), "p%d-%04d", id, i);
        if (!r)
            r = db_store(db, txn, key, strlen(key), key, strlen(key));
        snprintf(key, sizeof(key), "shared-%04d", i);
        if (!r)
            r = db_store(db, txn, key, strlen(key), &idc, 1);
        r = r ? (db_abort(&txn), r) : db_commit(&txn);
        if (r == ERR_OK)
            i++;
        else if (r != ERR_CONFLICT)
            _exit(2);
    }
    buf_free(&v);
    db_close(&db);
    db_env_close(&env);
    _exit(0);
}

static void test_concurrent_writers(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "c.db");
    struct buf v = BUF_INITIALIZER;
    char key[32];
    pid_t pid[2];

    alarm(110);
    /* The parent keeps its handles open across fork: the children use
     * db_fork_child() and open their own. */
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        if (pid[i] == 0)
            counter_child(i);
    }
    TEST_ASSERT_INT(wait_child(pid[0]), 0);
    TEST_ASSERT_INT(wait_child(pid[1]), 0);
    check_value(db, NULL, "ctr", "200");    /* no lost update */
    TEST_ASSERT_INT(count_prefix(db, "p0-"), CONC_TXNS);
    TEST_ASSERT_INT(count_prefix(db, "p1-"), CONC_TXNS);
    for (int i = 0; i < CONC_TXNS; i++) {
        snprintf(key, sizeof(key), "shared-%04d", i);
        TEST_ASSERT_INT(db_fetch(db, NULL, key, strlen(key), &v), ERR_OK);
        TEST_ASSERT(v.len == 1 && (v.s[0] == '0' || v.s[0] == '1'));
    }
    buf_free(&v);
    close_all(&db, &env);
}

static void test_garbage_file(void)
{
    struct buf log = BUF_INITIALIZER;
    struct db_env *env = open_env();
    struct db *db = (struct db *)&db;
    char junk[16384];
    unsigned seed = 7;
    int r;

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)rand_r(&seed);
    TEST_ASSERT_INT(util_atomic_replace(test_path("garbage.db"), junk,
                                        sizeof(junk), 0600), ERR_OK);
    test_write_file("text.db", "user.bob default bob lrswipcda\n");

    log_set_capture(capture, &log);
    r = db_open(env, test_path("garbage.db"), DB_OPEN_CREATE, &db);
    TEST_ASSERT(r == ERR_BADFORMAT || r == ERR_IO);
    TEST_ASSERT(db == NULL);
    TEST_ASSERT(strstr(buf_cstring(&log), "garbage.db>"));
    buf_reset(&log);
    r = db_open(env, test_path("text.db"), 0, &db);
    TEST_ASSERT(r == ERR_BADFORMAT || r == ERR_IO);
    TEST_ASSERT(strstr(buf_cstring(&log), "text.db>"));
    /* Repeated engine complaints are collapsed, not one per page size. */
    TEST_ASSERT(strlen(buf_cstring(&log)) < 2000);
    log_set_capture(NULL, NULL);

    /* The environment is unharmed. */
    db = open_db(env, "fine.db");
    store_str(db, NULL, "k", "v");
    check_value(db, NULL, "k", "v");
    close_all(&db, &env);
    buf_free(&log);
}

struct order {
    struct buf last;
    int n;
    int bad;
};

static int order_cb(const void *k, size_t klen, const void *v, size_t vlen,
                    void *rock)
{
    struct order *o = rock;
    struct buf key = BUF_INITIALIZER;

    buf_setmap(&key, k, klen);
    if (o->n && buf_cmp(&o->last, &key) >= 0)
        o->bad++;
    /* The value is the key reversed. */
    for (size_t i = 0; i < vlen; i++)
        if (((const char *)v)[i] != ((const char *)k)[klen - 1 - i])
            o->bad++;
    buf_free(&o->last);
    o->last = key;
    o->n++;
    return 0;
}

static void test_ten_thousand_keys(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "big.db");
    struct order o = { BUF_INITIALIZER, 0, 0 };
    char key[32], val[32];

    for (int t = 0; t < 10; t++) {
        struct db_txn *txn;
        TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
        for (int i = t; i < 10000; i += 10) {
            int len = snprintf(key, sizeof(key), "key.%d", i * 7919 % 10000);
            for (int j = 0; j < len; j++)
                val[j] = key[len - 1 - j];
            TEST_ASSERT_INT(db_store(db, txn, key, len, val, len), ERR_OK);
        }
        TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    }
    TEST_ASSERT_INT(db_foreach(db, NULL, "key.", 4, order_cb, &o), 0);
    TEST_ASSERT_INT(o.n, 10000);
    TEST_ASSERT_INT(o.bad, 0);
    buf_free(&o.last);
    TEST_ASSERT_INT(count_prefix(db, "key.99"), 111);   /* 99, 990-999, ... */
    close_all(&db, &env);
}

/* After fork a child must not use the parent's handles; it forgets them
 * and opens its own.  The parent is unaffected. */
static void fork_child_main(struct db_env *penv, struct db *pdb)
{
    struct db_env *env;
    struct db *db;

    alarm(60);
    if (db_store(pdb, NULL, "x", 1, "y", 1) != ERR_INTERNAL ||
        db_begin(penv, &(struct db_txn *){NULL}) != ERR_INTERNAL)
        _exit(1);
    db_fork_child();
    /* Closing inherited handles only frees memory. */
    if (db_close(&pdb) || db_env_close(&penv))
        _exit(2);
    if (db_env_open(test_path(ENVDIR), &env) ||
        db_open(env, "fk.db", 0, &db) ||
        db_store(db, NULL, "child", 5, "was here", 8) ||
        db_close(&db) || db_env_close(&env))
        _exit(3);
    exit(0);    /* exit(), not _exit(): let LeakSanitizer look */
}

static void test_fork_rules(void)
{
    struct db_env *env = open_env();
    struct db *db = open_db(env, "fk.db");
    pid_t pid;

    store_str(db, NULL, "parent", "1");
    pid = fork();
    if (pid == 0)
        fork_child_main(env, db);
    TEST_ASSERT_INT(wait_child(pid), 0);
    check_value(db, NULL, "child", "was here");
    store_str(db, NULL, "parent", "2");
    check_value(db, NULL, "parent", "2");
    close_all(&db, &env);
}

static int count_log_files(void)
{
    DIR *d = opendir(test_path(ENVDIR));
    struct dirent *de;
    int n = 0;

    TEST_ASSERT(d != NULL);
    while ((de = readdir(d)))
        n += !strncmp(de->d_name, "log.", 4);
    closedir(d);
    return n;
}

/* Old log files are removed at checkpoints, so the directory does not grow
 * without bound (small log files configured to make it quick). */
static void test_old_logs_removed(void)
{
    struct db_env *env;
    struct db *db;
    char key[32], val[2000];

    TEST_ASSERT_INT(util_mkdir_p(test_path(ENVDIR), 0700), ERR_OK);
    test_write_file(ENVDIR "/DB_CONFIG", "set_lg_max 65536\n");
    env = open_env();
    db = open_db(env, "l.db");
    memset(val, 'l', sizeof(val));
    for (int t = 0; t < 20; t++) {
        struct db_txn *txn;
        TEST_ASSERT_INT(db_begin(env, &txn), ERR_OK);
        for (int i = 0; i < 50; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            TEST_ASSERT_INT(db_store(db, txn, key, strlen(key), val,
                                     sizeof(val)), ERR_OK);
        }
        TEST_ASSERT_INT(db_commit(&txn), ERR_OK);
    }
    TEST_ASSERT(count_log_files() > 5);     /* ~2 MB of log written */
    TEST_ASSERT_INT(db_env_checkpoint(env), ERR_OK);
    TEST_ASSERT(count_log_files() <= 2);
    close_all(&db, &env);
}

TEST_MAIN("db",
          TEST_CASE(test_store_fetch_delete),
          TEST_CASE(test_binary_keys_and_values),
          TEST_CASE(test_foreach_prefix_in_order),
          TEST_CASE(test_foreach_callback_writes_same_db),
          TEST_CASE(test_txn_commit_and_abort),
          TEST_CASE(test_txn_self_wait_refused),
          TEST_CASE(test_env_sharing_and_outside_file),
          TEST_CASE(test_conflict_is_immediate),
          TEST_CASE(test_concurrent_writers),
          TEST_CASE(test_garbage_file),
          TEST_CASE(test_ten_thousand_keys),
          TEST_CASE(test_fork_rules),
          TEST_CASE(test_old_logs_removed))
