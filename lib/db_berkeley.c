/* db_berkeley.c -- lib/db.h over the Berkeley DB 5.3 transactional store:
 * databases, operations, iteration and transactions.  The environment
 * (opening, recovery, checkpoints) is db_env.c's; both share
 * db_berkeley_private.h, whose invariants hold here. */
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
#include "lib/db.h"
#include "lib/db_berkeley_private.h"
#include "lib/db_registry.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

/* ---- databases --------------------------------------------------------- */


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
