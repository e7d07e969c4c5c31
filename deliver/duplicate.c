/* duplicate.c -- the duplicate-delivery database (format in duplicate.h).
 *
 * Every operation is a single lib/db operation outside any transaction, so
 * it is committed durably when it returns and never holds a lock across a
 * mailbox append.  Pruning walks the whole file once, deleting as it goes
 * (lib/db.h allows changes from inside db_foreach()).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "deliver/duplicate.h"

#define DUPLICATE_VALUE_LEN 9
#define DUPLICATE_PRUNE_STOP (-1)   /* not an ERR_ code (db_foreach) */

struct duplicate {
    struct db_env *env;
    struct db *db;
};

int duplicate_open(const char *configdir, struct duplicate **dup_r)
{
    struct duplicate *dup = xzmalloc(sizeof(*dup));
    struct buf path = BUF_INITIALIZER;
    int r;

    buf_printf(&path, "%s/db", configdir);
    r = db_env_open(buf_cstring(&path), &dup->env);
    if (!r) {
        buf_reset(&path);
        buf_printf(&path, "%s/%s", configdir, DUPLICATE_DB_FILE);
        r = db_open(dup->env, buf_cstring(&path), DB_OPEN_CREATE, &dup->db);
    }
    if (r) {
        log_error("duplicate: cannot open the database: file=<%s> error=<%s>",
                  buf_cstring(&path), error_string(r));
        duplicate_close(&dup);
    }
    buf_free(&path);
    *dup_r = dup;
    return r;
}

void duplicate_close(struct duplicate **dupp)
{
    struct duplicate *dup = *dupp;
    if (!dup)
        return;
    if (dup->db)
        db_close(&dup->db);
    if (dup->env)
        db_env_close(&dup->env);
    free(dup);
    *dupp = NULL;
}

void duplicate_key(const char *msgid, const char *mailbox,
                   unsigned char key[DUPLICATE_KEY_LEN])
{
    struct digest_ctx *ctx = digest_sha1_begin();
    unsigned char sha[DIGEST_SHA1_LEN];

    /* the NUL keeps "<a@x>" + "user.bob" apart from "<a@x>user." + "bob" */
    digest_update(ctx, msgid, strlen(msgid) + 1);
    digest_update(ctx, mailbox, strlen(mailbox));
    digest_end(&ctx, sha);
    memcpy(key, sha, DUPLICATE_KEY_LEN);
}

/* The delivery time of a stored value; ERR_BADFORMAT if unreadable. */
static int duplicate_decode(const void *val, size_t len, time_t *when_r)
{
    const unsigned char *p = val;
    if (len != DUPLICATE_VALUE_LEN || p[0] != DUPLICATE_VERSION)
        return ERR_BADFORMAT;
    *when_r = (time_t)(int64_t)util_get64(p + 1);
    return ERR_OK;
}

int duplicate_check(struct duplicate *dup, const char *msgid,
                    const char *mailbox, time_t *when_r)
{
    unsigned char key[DUPLICATE_KEY_LEN];
    struct buf val = BUF_INITIALIZER;
    time_t when = 0;
    int r;

    duplicate_key(msgid, mailbox, key);
    r = db_fetch(dup->db, NULL, key, sizeof(key), &val);
    if (!r && duplicate_decode(val.s, val.len, &when)) {
        log_warn("duplicate: unreadable record ignored: msgid=<%s> "
                 "mailbox=<%s>", msgid, mailbox);
        r = ERR_NOTFOUND;
    }
    if (!r && when_r)
        *when_r = when;
    buf_free(&val);
    return r;
}

int duplicate_mark(struct duplicate *dup, const char *msgid,
                   const char *mailbox, time_t when)
{
    unsigned char key[DUPLICATE_KEY_LEN];
    unsigned char val[DUPLICATE_VALUE_LEN];
    int r;

    val[0] = DUPLICATE_VERSION;
    util_put64(val + 1, (uint64_t)(int64_t)when);
    duplicate_key(msgid, mailbox, key);
    r = db_store(dup->db, NULL, key, sizeof(key), val, sizeof(val));
    if (r)
        log_error("duplicate: cannot record: msgid=<%s> mailbox=<%s>: %s",
                  msgid, mailbox, error_string(r));
    return r;
}

struct duplicate_prune_rock {
    struct duplicate *dup;
    time_t before;
    unsigned long removed, total;
    int error;
};

static int duplicate_prune_one(const void *key, size_t keylen,
                               const void *val, size_t vallen, void *rock)
{
    struct duplicate_prune_rock *pr = rock;
    time_t when;
    int r;

    pr->total++;
    if (!duplicate_decode(val, vallen, &when) && when > pr->before)
        return 0;
    r = db_delete(pr->dup->db, NULL, key, keylen);
    if (r && r != ERR_NOTFOUND) {
        pr->error = r;
        return DUPLICATE_PRUNE_STOP;
    }
    pr->removed++;
    return 0;
}

int duplicate_prune(struct duplicate *dup, time_t before,
                    unsigned long *removed_r, unsigned long *total_r)
{
    struct duplicate_prune_rock pr = { dup, before, 0, 0, ERR_OK };
    int r = db_foreach(dup->db, NULL, NULL, 0, duplicate_prune_one, &pr);

    if (r == DUPLICATE_PRUNE_STOP)
        r = pr.error;
    if (removed_r)
        *removed_r = pr.removed;
    if (total_r)
        *total_r = pr.total;
    return r;
}
