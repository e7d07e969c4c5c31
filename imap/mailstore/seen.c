/* seen.c -- per-user \Seen state in one lib/db database per user; see
 * seen.h for the file location and the value format.
 *
 * Every operation goes through lib/db, which serialises writers and makes
 * each store durable; seen_update() is the one read-modify-write and runs
 * in a transaction retried on conflict.  A user's database is deleted
 * by unlink(2) of the closed file, and renamed by copying its records
 * (the engine does not allow renaming files behind its back).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/seen.h"

/* Give up a read-modify-write after this many conflicts in a row. */
#define SEEN_MAX_RETRIES 100
#define SEEN_FIELDS 5

struct seen {
    struct db_env *env;
    struct db *db;
    char *userid;
};

struct seen_copy {
    struct seen *to;
    struct db_txn *txn;
    int error;
};

static int seen_user_path(const char *userid, struct buf *path)
{
    return mboxname_user_file(conf_getstring(CONF_CONFIGDIRECTORY), userid,
                              "seen", path);
}

int seen_open(const char *userid, int flags, struct seen **seen_r)
{
    struct buf path = BUF_INITIALIZER, envdir = BUF_INITIALIZER;
    struct seen *s = NULL;
    int r;

    *seen_r = NULL;
    if ((r = seen_user_path(userid, &path)))
        goto done;
    if (!(flags & SEEN_CREATE) && access(buf_cstring(&path), F_OK) < 0) {
        r = ERR_NOTFOUND;
        goto done;
    }
    if (flags & SEEN_CREATE) {
        /* The hash-letter directory: path minus "/<userid>.seen". */
        char *dir = xstrndup(path.s, (size_t)(strrchr(path.s, '/') - path.s));
        r = util_mkdir_p(dir, 0700);
        free(dir);
        if (r)
            goto done;
    }
    buf_printf(&envdir, "%s/db", conf_getstring(CONF_CONFIGDIRECTORY));
    s = xzmalloc(sizeof(*s));
    s->userid = xstrdup(userid);
    if ((r = db_env_open(buf_cstring(&envdir), &s->env)))
        goto done;
    r = db_open(s->env, buf_cstring(&path),
                (flags & SEEN_CREATE) ? DB_OPEN_CREATE : 0, &s->db);
done:
    if (r) {
        if (r != ERR_NOTFOUND && r != ERR_BADNAME)
            log_error("seen: cannot open: user=<%s> error=<%s>", userid,
                      error_string(r));
        seen_close(&s);
    }
    *seen_r = s;
    buf_free(&path);
    buf_free(&envdir);
    return r;
}

void seen_close(struct seen **seenp)
{
    struct seen *s = *seenp;
    if (!s)
        return;
    if (s->db)
        db_close(&s->db);
    if (s->env)
        db_env_close(&s->env);
    free(s->userid);
    free(s);
    *seenp = NULL;
}

void seen_data_fini(struct seen_data *data)
{
    seqset_free(&data->seenuids);
}

static void seen_data_empty(struct seen_data *data)
{
    memset(data, 0, sizeof(*data));
    data->seenuids = seqset_new();
}

/* ---- value codec -------------------------------------------------------- */

void seen_value_encode(const struct seen_data *data, struct buf *out)
{
    struct buf uids = BUF_INITIALIZER;
    if (data->seenuids)
        seqset_format(data->seenuids, &uids);
    buf_reset(out);
    buf_printf(out, "%d %" PRId64 " %" PRIu32 " %" PRId64 " %s", SEEN_VERSION,
               data->lastread, data->lastuid, data->lastchange,
               buf_cstring(&uids));
    buf_free(&uids);
}

/* A decimal field: digits with an optional leading '-', nothing else
 * (strtoll alone would also take blanks and '+'). */
static int seen_parse_field(const char *s, long long min, long long max,
                            long long *v)
{
    const char *d = (*s == '-') ? s + 1 : s;
    if (*d < '0' || *d > '9')
        return ERR_BADFORMAT;
    return util_parse_long(s, min, max, v) ? ERR_BADFORMAT : ERR_OK;
}

int seen_value_decode(const char *val, size_t len, struct seen_data *data)
{
    char *copy = NULL, *field[SEEN_FIELDS], *p;
    long long v[SEEN_FIELDS - 1];
    int r = ERR_BADFORMAT;

    seen_data_empty(data);
    if (memchr(val, '\0', len))
        goto done;
    copy = xstrndup(val, len);
    /* Exactly five fields separated by single spaces; the last (the set)
     * may be empty and holds no space. */
    p = copy;
    for (int i = 0; i < SEEN_FIELDS; i++) {
        field[i] = p;
        if (i < SEEN_FIELDS - 1) {
            if (!(p = strchr(p, ' ')))
                goto done;
            *p++ = '\0';
        }
    }
    if (strcmp(field[0], "1") != 0 ||
        seen_parse_field(field[1], INT64_MIN, INT64_MAX, &v[1]) ||
        seen_parse_field(field[2], 0, UINT32_MAX, &v[2]) ||
        seen_parse_field(field[3], INT64_MIN, INT64_MAX, &v[3]))
        goto done;
    if (field[4][0] != '\0') {
        struct seqset *set;
        /* Stored sets are explicit numbers: "*" has no meaning here. */
        if (strchr(field[4], '*') || seqset_parse(field[4], 0, &set))
            goto done;
        seqset_free(&data->seenuids);
        data->seenuids = set;
    }
    data->lastread = v[1];
    data->lastuid = (uint32_t)v[2];
    data->lastchange = v[3];
    r = ERR_OK;
done:
    if (r) {
        seen_data_fini(data);
        seen_data_empty(data);
    }
    free(copy);
    return r;
}

/* ---- records ------------------------------------------------------------ */

static int seen_fetch(struct seen *s, struct db_txn *txn, const char *uniqueid,
                      struct seen_data *data)
{
    struct buf val = BUF_INITIALIZER;
    int r = db_fetch(s->db, txn, uniqueid, strlen(uniqueid), &val);

    if (r == ERR_OK) {
        r = seen_value_decode(val.s ? val.s : "", val.len, data);
        if (r)
            log_error("seen: corrupt record: user=<%s> uniqueid=<%s>",
                      s->userid, uniqueid);
    } else {
        seen_data_empty(data);
    }
    buf_free(&val);
    return r;
}

int seen_read(struct seen *s, const char *uniqueid, struct seen_data *data)
{
    return seen_fetch(s, NULL, uniqueid, data);
}

int seen_write(struct seen *s, const char *uniqueid,
               const struct seen_data *data)
{
    struct buf val = BUF_INITIALIZER;
    int r;
    seen_value_encode(data, &val);
    r = db_store(s->db, NULL, uniqueid, strlen(uniqueid), val.s, val.len);
    buf_free(&val);
    return r;
}

/* One attempt of seen_update(). */
static int seen_update_once(struct seen *s, const char *uniqueid,
                            seen_update_fn *fn, void *rock)
{
    struct seen_data data;
    struct buf val = BUF_INITIALIZER;
    struct db_txn *txn = NULL;
    int r;

    if ((r = db_begin(s->env, &txn)))
        return r;
    r = seen_fetch(s, txn, uniqueid, &data);
    /* A corrupt record is replaced by whatever fn makes of the empty
     * state: the loss was logged, and refusing would wedge the mailbox. */
    if (r == ERR_NOTFOUND || r == ERR_BADFORMAT)
        r = ERR_OK;
    if (!r)
        r = fn(&data, rock);
    if (!r) {
        seen_value_encode(&data, &val);
        r = db_store(s->db, txn, uniqueid, strlen(uniqueid), val.s, val.len);
    }
    if (!r)
        r = db_commit(&txn);
    else
        db_abort(&txn);
    seen_data_fini(&data);
    buf_free(&val);
    return r;
}

int seen_update(struct seen *s, const char *uniqueid, seen_update_fn *fn,
                void *rock)
{
    int r, tries = 0;
    do {
        r = seen_update_once(s, uniqueid, fn, rock);
    } while (r == ERR_CONFLICT && ++tries < SEEN_MAX_RETRIES);
    return r;
}

/* ---- the changes every caller makes ------------------------------------ */

struct seen_change {
    const uint32_t *uids;
    size_t n;
    int on;
    uint32_t lastuid;
    int64_t now;
    int lastread_only;
};

static int seen_apply(struct seen_data *data, void *rock)
{
    const struct seen_change *c = rock;

    if (c->lastread_only) {
        data->lastread = c->now;
        data->lastuid = c->lastuid;
        return ERR_OK;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (c->on)
            seqset_add(data->seenuids, c->uids[i]);
        else
            seqset_remove(data->seenuids, c->uids[i]);
    }
    data->lastchange = c->now;
    if (c->lastuid > data->lastuid)
        data->lastuid = c->lastuid;
    return ERR_OK;
}

int seen_change_uids(struct seen *s, const char *uniqueid,
                     const uint32_t *uids, size_t n, int on, uint32_t lastuid)
{
    struct seen_change c = { uids, n, on, lastuid, time(NULL), 0 };
    return seen_update(s, uniqueid, seen_apply, &c);
}

int seen_note_read(struct seen *s, const char *uniqueid, uint32_t lastuid)
{
    struct seen_change c = { NULL, 0, 0, lastuid, time(NULL), 1 };
    return seen_update(s, uniqueid, seen_apply, &c);
}

int seen_add_appended(const char *userid, const char *uniqueid,
                      const uint32_t *uids, size_t n, uint32_t lastuid)
{
    struct seen *s = NULL;
    int r;

    if (!n)
        return ERR_OK;
    r = seen_open(userid, SEEN_CREATE, &s);
    if (!r)
        r = seen_change_uids(s, uniqueid, uids, n, 1, lastuid);
    if (r)
        log_error("seen: \\Seen of appended messages not stored: user=<%s> "
                  "uniqueid=<%s>: %s", userid, uniqueid, error_string(r));
    seen_close(&s);
    return r;
}

int seen_delete_mailbox(struct seen *s, const char *uniqueid)
{
    return db_delete(s->db, NULL, uniqueid, strlen(uniqueid));
}

/* ---- the user's file ------------------------------------------------------ */

static int seen_copy_record(const void *key, size_t keylen, const void *val,
                            size_t vallen, void *rock)
{
    struct seen_copy *c = rock;
    int r = db_store(c->to->db, c->txn, key, keylen, val, vallen);
    /* Keep the db's error distinct from "stopped by fn" (see db.h). */
    c->error = r;
    return r ? 1 : 0;
}

/* Copy every record of from into to in one transaction. */
static int seen_copy_all(struct seen *from, struct seen *to)
{
    struct seen_copy c = { to, NULL, ERR_OK };
    int r, tries = 0;

    do {
        if ((r = db_begin(from->env, &c.txn)))
            return r;
        c.error = ERR_OK;
        r = db_foreach(from->db, c.txn, "", 0, seen_copy_record, &c);
        if (r == 1)
            r = c.error;
        if (!r)
            r = db_commit(&c.txn);
        else
            db_abort(&c.txn);
    } while (r == ERR_CONFLICT && ++tries < SEEN_MAX_RETRIES);
    return r;
}

int seen_rename_user(const char *olduser, const char *newuser)
{
    struct seen *from = NULL, *to = NULL;
    int r;

    if ((r = mboxname_validate_userid(newuser)))
        return r;
    if (!strcmp(olduser, newuser))
        return ERR_BADARG;
    if ((r = seen_open(olduser, 0, &from)) == ERR_NOTFOUND)
        return ERR_OK;                  /* nothing to carry over */
    if (r)
        return r;
    /* The engine identifies its files by an id kept inside them, so a
     * database cannot be renamed behind its back: copy the records into
     * a fresh file instead, then remove the old one.  A crash in between
     * leaves both, which is harmless (the keys are unique ids). */
    if ((r = seen_delete_user(newuser)) ||
        (r = seen_open(newuser, SEEN_CREATE, &to)) ||
        (r = seen_copy_all(from, to)))
        goto done;
    seen_close(&from);
    r = seen_delete_user(olduser);
done:
    if (r)
        log_error("seen: user rename failed: from=<%s> to=<%s> error=<%s>",
                  olduser, newuser, error_string(r));
    seen_close(&from);
    seen_close(&to);
    return r;
}

int seen_delete_user(const char *userid)
{
    struct buf path = BUF_INITIALIZER;
    int r = seen_user_path(userid, &path);

    if (!r && unlink(buf_cstring(&path)) < 0) {
        if (errno != ENOENT) {
            log_error_errno("seen: cannot remove: file=<%s>", path.s);
            r = ERR_IO;
        }
    } else if (!r) {
        r = util_fsync_parent(path.s);
    }
    buf_free(&path);
    return r;
}
