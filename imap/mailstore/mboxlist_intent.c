/* mboxlist_intent.c -- intents: how CREATE, DELETE and RENAME stay
 * transactions across the files on the partitions (mboxlist.h, CRASHES
 * AND INTENTS; doc/format.md).
 *
 * An intent is a record "$intent.<id>" in mailboxes.db, written in the
 * transaction that changes the mailboxes' records, and describing the
 * filesystem steps that still have to follow.  Its owner holds the lock
 * file <configdirectory>/lock/intent.<id> (an fcntl lock the kernel drops
 * when the owner dies), does the steps, deletes the intent, then the lock
 * file.  Whoever finds an intent whose lock file it can lock (the owner is
 * gone) takes it over and runs the same, idempotent steps; one it cannot
 * lock is waited for.  The steps themselves are in mboxlist_intent_steps.c
 * and mboxlist_files.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"

/* Fixed part of a value: version, kind, state, flags, started, pid,
 * uidvalidity, snap_uid, snap_count. */
#define INTENT_HEAD 32
/* db_foreach() callbacks stop with this (no ERR_ code is negative). */
#define INTENT_STOP (-1)

void (*mboxlist_intent_hook)(const char *point);

void mboxlist_intent_point(const char *point)
{
    if (mboxlist_intent_hook)
        mboxlist_intent_hook(point);
}

/* The intents this process is running: its own lookups must not wait for
 * them.  Reset in a forked child. */
static struct {
    pid_t pid;
    struct strarray ids;
} own;

static void own_set(const char *id, int add)
{
    long i;

    if (own.pid != getpid()) {
        strarray_fini(&own.ids);
        own.pid = getpid();
    }
    i = strarray_find(&own.ids, id);
    if (add && i < 0)
        strarray_append(&own.ids, id);
    else if (!add && i >= 0)
        strarray_remove(&own.ids, (size_t)i);
}

static int own_has(const char *id)
{
    return own.pid == getpid() && strarray_find(&own.ids, id) >= 0;
}

static const char *intent_kind_name(int kind)
{
    switch (kind) {
    case MBOXLIST_INTENT_CREATE: return "create";
    case MBOXLIST_INTENT_DELETE: return "delete";
    case MBOXLIST_INTENT_RENAME: return "rename";
    case MBOXLIST_INTENT_INBOX:  return "rename of an INBOX";
    }
    return "change";
}

/* ---- the intent in memory ------------------------------------------------ */

void mboxlist_intent_init(struct mboxlist_intent *in, int kind)
{
    unsigned char raw[MBOXLIST_INTENT_ID_LEN / 2];

    memset(in, 0, sizeof(*in));
    digest_random(raw, sizeof(raw));
    digest_hex(raw, sizeof(raw), in->id);
    in->kind = kind;
    in->state = MBOXLIST_INTENT_FORWARD;
    in->started = (int64_t)time(NULL);
    in->pid = (int64_t)getpid();
    in->lockfd = -1;
}

struct mboxlist_move *mboxlist_intent_add(struct mboxlist_intent *in)
{
    if (in->n == in->alloc) {
        in->alloc = in->alloc ? xmalloc_mul(in->alloc, 2) : 8;
        in->m = xreallocarray(in->m, in->alloc, sizeof(*in->m));
    }
    memset(&in->m[in->n], 0, sizeof(in->m[0]));
    return &in->m[in->n++];
}

void mboxlist_intent_fini(struct mboxlist_intent *in)
{
    for (size_t i = 0; i < in->n; i++) {
        mboxlist_entry_fini(&in->m[i].old);
        mboxlist_entry_fini(&in->m[i].new);
        free(in->m[i].oldpath);
        free(in->m[i].newpath);
    }
    free(in->m);
    free(in->oldtop);
    free(in->newtop);
    if (in->lockfd >= 0)
        close(in->lockfd);
    memset(in, 0, sizeof(*in));
    in->lockfd = -1;
}

/* ---- value codec ------------------------------------------------------- */

static void intent_put_bytes(struct buf *out, const void *p, size_t len)
{
    unsigned char n[4];
    util_put32(n, (uint32_t)len);
    buf_appendmap(out, n, 4);
    buf_appendmap(out, p ? p : "", len);
}

static void intent_put_text(struct buf *out, const char *s)
{
    intent_put_bytes(out, s, s ? strlen(s) : 0);
}

/* One side of a move: name, record value, path (all empty: none). */
static void intent_put_side(struct buf *out, const struct mboxlist_entry *e,
                            const char *path)
{
    struct buf val = BUF_INITIALIZER;

    if (e->name)
        mboxlist_entry_encode(e, &val);
    intent_put_text(out, e->name);
    intent_put_bytes(out, val.s, val.len);
    intent_put_text(out, e->name ? path : NULL);
    buf_free(&val);
}

void mboxlist_intent_encode(const struct mboxlist_intent *in, struct buf *out)
{
    unsigned char head[INTENT_HEAD], n[4];

    memset(head, 0, sizeof(head));
    head[0] = MBOXLIST_INTENT_VERSION;
    head[1] = (unsigned char)in->kind;
    head[2] = (unsigned char)in->state;
    head[3] = (unsigned char)in->flags;
    util_put64(head + 4, (uint64_t)in->started);
    util_put64(head + 12, (uint64_t)in->pid);
    util_put32(head + 20, in->uidvalidity);
    util_put32(head + 24, in->snap_uid);
    util_put32(head + 28, in->snap_count);
    buf_reset(out);
    buf_appendmap(out, head, sizeof(head));
    intent_put_text(out, in->oldtop);
    intent_put_text(out, in->newtop);
    util_put32(n, (uint32_t)in->n);
    buf_appendmap(out, n, 4);
    for (size_t i = 0; i < in->n; i++) {
        intent_put_side(out, &in->m[i].old, in->m[i].oldpath);
        intent_put_side(out, &in->m[i].new, in->m[i].newpath);
    }
    util_put32(n, util_crc32(0, out->s, out->len));
    buf_appendmap(out, n, 4);
}

/* A length-prefixed field at *pos of p[0..end): its bytes and length. */
static int intent_get_bytes(const unsigned char *p, size_t end, size_t *pos,
                            const unsigned char **data, size_t *len)
{
    if (end - *pos < 4)
        return ERR_BADFORMAT;
    *len = util_get32(p + *pos);
    *pos += 4;
    if (*len > end - *pos)
        return ERR_BADFORMAT;
    *data = p + *pos;
    *pos += *len;
    return ERR_OK;
}

/* A text field; empty gives NULL; a NUL inside is malformed. */
static int intent_get_text(const unsigned char *p, size_t end, size_t *pos,
                           char **out)
{
    const unsigned char *d;
    size_t len;
    int r = intent_get_bytes(p, end, pos, &d, &len);

    *out = NULL;
    if (!r && memchr(d, '\0', len))
        r = ERR_BADFORMAT;
    if (!r && len)
        *out = xstrndup((const char *)d, len);
    return r;
}

static int intent_get_side(const unsigned char *p, size_t end, size_t *pos,
                           struct mboxlist_entry *e, char **path)
{
    const unsigned char *val;
    size_t len;
    char *name = NULL;
    int r;

    if ((r = intent_get_text(p, end, pos, &name)) ||
        (r = intent_get_bytes(p, end, pos, &val, &len)) ||
        (r = intent_get_text(p, end, pos, path)))
        goto done;
    if (!name != !*path || (name && mboxname_validate(name)))
        r = ERR_BADFORMAT;
    else if (name)
        r = mboxlist_entry_decode(name, val, len, e);
    else if (len)
        r = ERR_BADFORMAT;
done:
    free(name);
    return r;
}

static int intent_decode_body(const unsigned char *p, size_t end,
                              struct mboxlist_intent *in)
{
    size_t pos = INTENT_HEAD;
    uint32_t n;
    int r;

    if ((r = intent_get_text(p, end, &pos, &in->oldtop)) ||
        (r = intent_get_text(p, end, &pos, &in->newtop)))
        return r;
    if (end - pos < 4)
        return ERR_BADFORMAT;
    n = util_get32(p + pos);
    pos += 4;
    for (uint32_t i = 0; i < n && !r; i++) {
        struct mboxlist_move *m;
        if (end - pos < 6 * 4)
            return ERR_BADFORMAT;
        m = mboxlist_intent_add(in);
        if (!(r = intent_get_side(p, end, &pos, &m->old, &m->oldpath)))
            r = intent_get_side(p, end, &pos, &m->new, &m->newpath);
    }
    return r ? r : pos == end ? ERR_OK : ERR_BADFORMAT;
}

int mboxlist_intent_decode(const char *id, const void *val, size_t len,
                           struct mboxlist_intent *in)
{
    const unsigned char *p = val;
    size_t end;
    int r = ERR_BADFORMAT;

    memset(in, 0, sizeof(*in));
    in->lockfd = -1;
    if (strlen(id) != MBOXLIST_INTENT_ID_LEN ||
        len < INTENT_HEAD + 3 * 4 + 4)
        goto done;
    end = len - 4;
    if (util_crc32(0, p, end) != util_get32(p + end) ||
        p[0] != MBOXLIST_INTENT_VERSION ||
        p[1] < MBOXLIST_INTENT_CREATE || p[1] > MBOXLIST_INTENT_INBOX ||
        p[2] < MBOXLIST_INTENT_FORWARD || p[2] > MBOXLIST_INTENT_BACKWARD)
        goto done;
    memcpy(in->id, id, MBOXLIST_INTENT_ID_LEN + 1);
    in->kind = p[1];
    in->state = p[2];
    in->flags = p[3];
    in->started = (int64_t)util_get64(p + 4);
    in->pid = (int64_t)util_get64(p + 12);
    in->uidvalidity = util_get32(p + 20);
    in->snap_uid = util_get32(p + 24);
    in->snap_count = util_get32(p + 28);
    r = intent_decode_body(p, end, in);
done:
    if (r) {
        log_error("mboxlist: corrupt intent: id=<%s>", id);
        mboxlist_intent_fini(in);
    }
    return r;
}

/* ---- the record and the lock file ---------------------------------------- */

static void intent_key(const char *id, struct buf *key)
{
    buf_reset(key);
    buf_printf(key, "%s%s", MBOXLIST_INTENT_PREFIX, id);
}

static void intent_lock_path(const char *id, struct buf *path)
{
    buf_reset(path);
    buf_printf(path, "%s/lock/intent.%s",
               conf_getstring(CONF_CONFIGDIRECTORY), id);
}

int mboxlist_intent_store(struct db_txn *txn,
                          const struct mboxlist_intent *in)
{
    struct buf key = BUF_INITIALIZER, val = BUF_INITIALIZER;
    struct db *db;
    int r = mboxlist_db_get(NULL, &db);

    if (!r) {
        intent_key(in->id, &key);
        mboxlist_intent_encode(in, &val);
        r = db_store(db, txn, key.s, key.len, val.s, val.len);
    }
    buf_free(&key);
    buf_free(&val);
    return r;
}

static int intent_delete(const char *id)
{
    struct buf key = BUF_INITIALIZER;
    struct db *db;
    int r = mboxlist_db_get(NULL, &db);

    if (!r) {
        intent_key(id, &key);
        r = db_delete(db, NULL, key.s, key.len);
        if (r == ERR_NOTFOUND)
            r = ERR_OK;
    }
    if (r)
        log_error("mboxlist: intent not deleted: id=<%s> error=<%s>", id,
                  error_string(r));
    buf_free(&key);
    return r;
}

/* Open and lock id's lock file (creating it and its directory). */
static int intent_lock_file(const char *id, int timeout_ms, int *fd_r)
{
    struct buf path = BUF_INITIALIZER;
    char *dir;
    int r;

    intent_lock_path(id, &path);
    dir = xstrndup(path.s, (size_t)(strrchr(path.s, '/') - path.s));
    r = util_mkdir_p(dir, 0700);
    if (!r)
        r = lock_open_locked(path.s, O_RDWR | O_CREAT, 0600, LOCK_EXCLUSIVE,
                             timeout_ms, fd_r);
    if (r == ERR_TIMEOUT)
        r = ERR_LOCKED;
    free(dir);
    buf_free(&path);
    return r;
}

/* The intent is gone from the database: so goes its lock file. */
static void intent_unlock(const char *id, int *fd)
{
    struct buf path = BUF_INITIALIZER;

    intent_lock_path(id, &path);
    if (unlink(path.s) < 0 && errno != ENOENT)
        log_warn("mboxlist: cannot remove lock file=<%s>", path.s);
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    buf_free(&path);
}

int mboxlist_intent_lock(struct mboxlist_intent *in)
{
    return intent_lock_file(in->id, LOCK_NOWAIT, &in->lockfd);
}

static int intent_reserve_txn(struct db *db, struct db_txn *txn, void *rock)
{
    struct mboxlist_intent *in = rock;
    int r;

    (void)db;
    if ((r = mboxlist_intent_check(txn, in->oldtop)) ||
        (r = mboxlist_intent_check(txn, in->newtop)))
        return r;
    in->flags |= MBOXLIST_INTENT_RESERVE;
    r = mboxlist_intent_store(txn, in);
    in->flags &= ~(unsigned)MBOXLIST_INTENT_RESERVE;
    return r;
}

int mboxlist_intent_reserve(struct mboxlist_intent *in)
{
    int r = intent_lock_file(in->id, LOCK_NOWAIT, &in->lockfd);

    if (r)
        return r;
    own_set(in->id, 1);
    if ((r = mboxlist_txn_run(intent_reserve_txn, in))) {
        own_set(in->id, 0);
        intent_unlock(in->id, &in->lockfd);
        return r;
    }
    in->reserved = 1;
    return ERR_OK;
}

void mboxlist_intent_abandon(struct mboxlist_intent *in)
{
    if (in->reserved) {
        own_set(in->id, 0);
        in->reserved = 0;
        /* Left in the database: whoever settles next takes it over. */
        if (intent_delete(in->id) && in->lockfd >= 0) {
            close(in->lockfd);
            in->lockfd = -1;
        }
    }
    if (in->lockfd >= 0)
        intent_unlock(in->id, &in->lockfd);
}

/* ---- which intents cover a name ------------------------------------------ */

static int intent_top_covers(const char *top, const char *name, int change)
{
    return top && (!strcmp(name, top) || mboxname_isdescendant(name, top) ||
                   (change && mboxname_isdescendant(top, name)));
}

static int intent_covers(const struct mboxlist_intent *in, const char *name,
                         int change)
{
    return intent_top_covers(in->oldtop, name, change) ||
           intent_top_covers(in->newtop, name, change);
}

struct intent_scan {
    const char *name;       /* NULL: every intent */
    int change;
    struct strarray ids;    /* the matching ones (not this process's) */
};

static int intent_scan_one(const void *key, size_t keylen, const void *val,
                           size_t vallen, void *rock)
{
    struct intent_scan *sc = rock;
    size_t plen = strlen(MBOXLIST_INTENT_PREFIX);
    struct mboxlist_intent in;
    char *id = xstrndup((const char *)key + plen, keylen - plen);

    if (!sc->name) {
        strarray_append(&sc->ids, id);
    } else if (!own_has(id)) {
        /* A corrupt one covers everything: the first to settle removes it
         * (intent_take_over), rather than have it ignored forever. */
        if (mboxlist_intent_decode(id, val, vallen, &in) ||
            (intent_covers(&in, sc->name, sc->change) &&
             (sc->change || !(in.flags & MBOXLIST_INTENT_RESERVE))))
            strarray_append(&sc->ids, id);
        mboxlist_intent_fini(&in);
    }
    free(id);
    return 0;
}

static int intent_scan(struct db_txn *txn, struct intent_scan *sc)
{
    struct db *db;
    int r = mboxlist_db_get(NULL, &db);

    if (!r)
        r = db_foreach(db, txn, MBOXLIST_INTENT_PREFIX,
                       strlen(MBOXLIST_INTENT_PREFIX), intent_scan_one, sc);
    return r;
}

int mboxlist_intent_check(struct db_txn *txn, const char *name)
{
    struct intent_scan sc = { name, 1, STRARRAY_INITIALIZER };
    int r = intent_scan(txn, &sc);

    if (!r && sc.ids.count)
        r = ERR_AGAIN;
    strarray_fini(&sc.ids);
    return r;
}

int mboxlist_intent_ids(struct strarray *ids)
{
    struct intent_scan sc = { NULL, 0, STRARRAY_INITIALIZER };
    int r = intent_scan(NULL, &sc);

    for (size_t i = 0; !r && i < sc.ids.count; i++)
        strarray_append(ids, sc.ids.data[i]);
    strarray_fini(&sc.ids);
    return r;
}

/* ---- running an intent ---------------------------------------------------- */

static int intent_turn_back_txn(struct db *db, struct db_txn *txn,
                                void *rock)
{
    struct mboxlist_intent *in = rock;
    int r = ERR_OK;

    for (size_t i = 0; i < in->n && !r; i++) {
        const char *name = in->m[i].new.name;
        if (name && (r = db_delete(db, txn, name, strlen(name))) ==
                        ERR_NOTFOUND)
            r = ERR_OK;
        if (!r && in->m[i].old.name)
            r = mboxlist_store(txn, &in->m[i].old);
    }
    return r ? r : mboxlist_intent_store(txn, in);
}

/* A step that cannot go on: the records go back to the old state, in one
 * transaction with the intent, which now says BACKWARD. */
static int intent_turn_back(struct mboxlist_intent *in)
{
    int r;

    in->state = MBOXLIST_INTENT_BACKWARD;
    if ((r = mboxlist_txn_run(intent_turn_back_txn, in)))
        in->state = MBOXLIST_INTENT_FORWARD;
    return r;
}

static void intent_log(const struct mboxlist_intent *in, int owner,
                       int forward, int error)
{
    const char *from = in->oldtop ? in->oldtop : "";
    const char *to = in->newtop ? in->newtop : "";

    if (owner && forward)
        return;                         /* the operation logs itself */
    if (owner)
        log_notice("mboxlist: %s rolled back: from=<%s> to=<%s> "
                   "mailboxes=<%zu> error=<%s>", intent_kind_name(in->kind),
                   from, to, in->n, error_string(error));
    else
        log_notice("mboxlist: %s an interrupted %s: from=<%s> to=<%s> "
                   "mailboxes=<%zu> pid=<%" PRId64 "> started=<%" PRId64 ">",
                   forward ? "completed" : "rolled back",
                   intent_kind_name(in->kind), from, to, in->n, in->pid,
                   in->started);
}

int mboxlist_intent_run(struct mboxlist_intent *in, struct mailbox **held,
                        mboxlist_intent_copy_fn *copy, void *rock)
{
    int owner = in->pid == (int64_t)getpid(), undo = 0, r = ERR_OK, t;

    own_set(in->id, 1);
    mboxlist_intent_point("committed");
    if (in->state == MBOXLIST_INTENT_FORWARD) {
        r = mboxlist_intent_forward(in, held, copy, rock, &undo);
        if (r && undo && (t = intent_turn_back(in))) {
            log_error("mboxlist: %s could not be rolled back: from=<%s> "
                      "to=<%s> error=<%s>; it is tried again at the next "
                      "access", intent_kind_name(in->kind),
                      in->oldtop ? in->oldtop : "",
                      in->newtop ? in->newtop : "", error_string(t));
            undo = 0;
            goto done;
        }
    }
    if (in->state == MBOXLIST_INTENT_BACKWARD) {
        mboxlist_intent_point("backward");
        mboxlist_intent_backward(in, held);
    }
    mboxlist_intent_point("steps");
    if (intent_delete(in->id) == ERR_OK) {
        intent_log(in, owner, in->state == MBOXLIST_INTENT_FORWARD, r);
        intent_unlock(in->id, &in->lockfd);
    }
done:
    for (size_t i = 0; held && i < in->n; i++)
        mailbox_close(&held[i]);
    if (in->lockfd >= 0)
        close(in->lockfd);
    in->lockfd = -1;
    own_set(in->id, 0);
    return r;
}

/* ---- taking over, waiting, recovery --------------------------------------- */

/* Run intent id if its owner is gone: ERR_OK when it is done (by us or
 * anyone), ERR_LOCKED while a live process holds it. */
static int intent_take_over(const char *id, int timeout_ms)
{
    struct buf key = BUF_INITIALIZER, val = BUF_INITIALIZER;
    struct mboxlist_intent in;
    struct db *db;
    int fd = -1, r;

    if ((r = intent_lock_file(id, timeout_ms, &fd)))
        return r == ERR_NOTFOUND ? ERR_OK : r;   /* vanished: finished */
    if ((r = mboxlist_db_get(NULL, &db)))
        goto done;
    intent_key(id, &key);
    r = db_fetch(db, NULL, key.s, key.len, &val);
    if (r == ERR_NOTFOUND) {
        r = ERR_OK;                     /* finished meanwhile */
        intent_unlock(id, &fd);
        goto done;
    }
    if (r)
        goto done;
    if (mboxlist_intent_decode(id, val.s, val.len, &in)) {
        log_error("mboxlist: corrupt intent removed: id=<%s>; run "
                  "reconstruct -m", id);
        if (!(r = intent_delete(id)))
            intent_unlock(id, &fd);
        goto done;
    }
    in.lockfd = fd;
    fd = -1;
    mboxlist_intent_run(&in, NULL, NULL, NULL);
    mboxlist_intent_fini(&in);
done:
    if (fd >= 0)
        close(fd);
    buf_free(&key);
    buf_free(&val);
    return r;
}

static int64_t intent_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keep in ids only the ones in first. */
static void intent_keep_known(struct strarray *ids, const struct strarray *first)
{
    for (size_t i = ids->count; i-- > 0;)
        if (strarray_find(first, ids->data[i]) < 0)
            strarray_remove(ids, i);
}

int mboxlist_intent_settle(const char *name, int change)
{
    struct intent_scan sc = { name, change, STRARRAY_INITIALIZER };
    struct strarray first = STRARRAY_INITIALIZER;
    int64_t deadline = intent_now_ms() + MBOXLIST_INTENT_WAIT_MS;
    useconds_t pause = 2000;
    int r;

    for (int round = 0;; round++) {
        int busy = 0;
        strarray_fini(&sc.ids);
        if ((r = intent_scan(NULL, &sc)) || !sc.ids.count)
            break;
        /* Wait for the changes under way when we came, not for ones begun
         * since: a session renaming a tree back and forth would otherwise
         * keep every reader of the tree waiting until the deadline, and
         * sessions creating children in it every rename of the tree.  A
         * change still meets those in its transaction (ERR_AGAIN: it
         * settles and plans again). */
        for (size_t i = 0; !round && i < sc.ids.count; i++)
            strarray_append(&first, sc.ids.data[i]);
        intent_keep_known(&sc.ids, &first);
        if (!sc.ids.count)
            break;
        for (size_t i = 0; !r && i < sc.ids.count; i++) {
            r = intent_take_over(sc.ids.data[i], LOCK_NOWAIT);
            if (r == ERR_LOCKED) {
                busy = 1;
                r = ERR_OK;
            }
        }
        if (r)
            break;
        if (intent_now_ms() > deadline) {
            log_warn("mboxlist: mailbox busy: mailbox=<%s> intent=<%s>; "
                     "its process is still at work", name, sc.ids.data[0]);
            r = ERR_LOCKED;
            break;
        }
        if (busy) {
            usleep(pause);
            pause = pause < 100000 ? pause * 2 : pause;
        }
    }
    strarray_fini(&sc.ids);
    strarray_fini(&first);
    return r;
}

int mboxlist_recover_intents(void)
{
    struct strarray ids = STRARRAY_INITIALIZER;
    int r = mboxlist_intent_ids(&ids), first = ERR_OK;

    for (size_t i = 0; !r && i < ids.count; i++) {
        int t = intent_take_over(ids.data[i], LOCK_NOWAIT);
        if (t == ERR_LOCKED)
            log_notice("mboxlist: an intent is left to its live process: "
                       "id=<%s>", ids.data[i]);
        else if (t && !first)
            first = t;
    }
    strarray_fini(&ids);
    return r ? r : first;
}
