/* mboxlist.c -- the mailboxes database: handle, record codec, lookup,
 * the UIDVALIDITY counter, create, setacl.  Delete, rename, find,
 * dump/load and the intents live in their own mboxlist_*.c files (shared
 * helpers: mboxlist_private.h).
 *
 * Lock order: mailbox cyrus.index locks (taken in name order) before the
 * mailboxes.db transaction, quota root files last.  Rights are decided
 * with acl_myrights() before the first effect of each operation; see
 * mboxlist.h for what a crash at each step leaves behind.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"

/* Fixed part of a value: version, type, reserved, creation time. */
#define MBOXLIST_VALUE_HEAD 12

static struct {
    struct db_env *env;
    struct db *db;
    pid_t pid;
    char *configdir;
} mbl;

/* ---- the handle ------------------------------------------------------- */

void mboxlist_close(void)
{
    mboxlist_annot_close();
    if (mbl.db)
        db_close(&mbl.db);
    if (mbl.env)
        db_env_close(&mbl.env);
    free(mbl.configdir);
    mbl.configdir = NULL;
}

int mboxlist_db_get(struct db_env **env_r, struct db **db_r)
{
    const char *configdir = conf_getstring(CONF_CONFIGDIRECTORY);
    struct buf path = BUF_INITIALIZER;
    int r;

    /* A forked child, or a new configuration, needs handles of its own
     * (closing inherited ones only frees memory, see db.h). */
    if (mbl.db && (mbl.pid != getpid() || strcmp(mbl.configdir, configdir)))
        mboxlist_close();
    if (!mbl.db) {
        buf_printf(&path, "%s/db", configdir);
        r = db_env_open(buf_cstring(&path), &mbl.env);
        if (!r) {
            buf_reset(&path);
            buf_printf(&path, "%s/%s", configdir, MBOXLIST_DB_FILE);
            r = db_open(mbl.env, buf_cstring(&path), DB_OPEN_CREATE, &mbl.db);
        }
        buf_free(&path);
        if (r) {
            log_error("mboxlist: cannot open the mailboxes database: "
                      "dir=<%s> error=<%s>", configdir, error_string(r));
            mboxlist_close();
            return r;
        }
        mbl.pid = getpid();
        mbl.configdir = xstrdup(configdir);
    }
    if (env_r)
        *env_r = mbl.env;
    *db_r = mbl.db;
    return ERR_OK;
}

int mboxlist_open(void)
{
    struct db *db;
    return mboxlist_db_get(NULL, &db);
}

/* ---- records ------------------------------------------------------------ */

void mboxlist_entry_fini(struct mboxlist_entry *e)
{
    if (!e)
        return;
    free(e->name);
    free(e->partition);
    free(e->acl);
    free(e->uniqueid);
    free(e->specialuse);
    memset(e, 0, sizeof(*e));
}

static void mboxlist_put_field(struct buf *out, const char *s)
{
    unsigned char n[4];
    size_t len = s ? strlen(s) : 0;
    util_put32(n, (uint32_t)len);
    buf_appendmap(out, n, 4);
    buf_appendmap(out, s ? s : "", len);
}

void mboxlist_entry_encode(const struct mboxlist_entry *e, struct buf *out)
{
    unsigned char head[MBOXLIST_VALUE_HEAD], crc[4];

    memset(head, 0, sizeof(head));
    head[0] = MBOXLIST_FORMAT_VERSION;
    head[1] = (unsigned char)e->type;
    util_put64(head + 4, (uint64_t)e->created);
    buf_reset(out);
    buf_appendmap(out, head, sizeof(head));
    mboxlist_put_field(out, e->partition);
    mboxlist_put_field(out, e->uniqueid);
    mboxlist_put_field(out, e->acl);
    if (e->specialuse && *e->specialuse)
        mboxlist_put_field(out, e->specialuse);
    util_put32(crc, util_crc32(0, out->s, out->len));
    buf_appendmap(out, crc, 4);
}

/* One length-prefixed text field at *pos of p[0..end); no NUL inside. */
static int mboxlist_get_field(const unsigned char *p, size_t end,
                              size_t *pos, char **out)
{
    uint32_t len;

    if (end - *pos < 4)
        return ERR_BADFORMAT;
    len = util_get32(p + *pos);
    *pos += 4;
    if (len > end - *pos || memchr(p + *pos, '\0', len))
        return ERR_BADFORMAT;
    *out = xstrndup((const char *)p + *pos, len);
    *pos += len;
    return ERR_OK;
}

static int mboxlist_uniqueid_valid(const char *s)
{
    return strlen(s) == MBOXLIST_UNIQUEID_LEN &&
           strspn(s, "0123456789abcdef") == MBOXLIST_UNIQUEID_LEN;
}

/* The optional roles field: not empty, and already in canonical form. */
static int mboxlist_specialuse_valid(const char *s)
{
    struct buf norm = BUF_INITIALIZER;
    int ok = *s && !mboxlist_specialuse_normalize(s, &norm) &&
             !strcmp(buf_cstring(&norm), s);
    buf_free(&norm);
    return ok;
}

int mboxlist_entry_decode(const char *name, const void *val, size_t len,
                          struct mboxlist_entry *e)
{
    const unsigned char *p = val;
    size_t pos = MBOXLIST_VALUE_HEAD, end;
    int r = ERR_BADFORMAT;

    memset(e, 0, sizeof(*e));
    if (len < MBOXLIST_VALUE_HEAD + 4 * 3 + 4)
        goto done;
    end = len - 4;
    if (util_crc32(0, p, end) != util_get32(p + end) ||
        p[0] != MBOXLIST_FORMAT_VERSION || p[1] != MBOXLIST_TYPE_NORMAL ||
        p[2] != 0 || p[3] != 0)
        goto done;
    e->type = p[1];
    e->created = (int64_t)util_get64(p + 4);
    if (mboxlist_get_field(p, end, &pos, &e->partition) ||
        mboxlist_get_field(p, end, &pos, &e->uniqueid) ||
        mboxlist_get_field(p, end, &pos, &e->acl) ||
        !e->partition[0] || !mboxlist_uniqueid_valid(e->uniqueid))
        goto done;
    if (pos != end &&
        (mboxlist_get_field(p, end, &pos, &e->specialuse) ||
         !mboxlist_specialuse_valid(e->specialuse)))
        goto done;
    if (pos != end)
        goto done;
    e->name = xstrdup(name);
    r = ERR_OK;
done:
    if (r) {
        log_error("mboxlist: corrupt record (or unknown version %u): "
                  "mailbox=<%s>; restore it from a checkpoint",
                  len ? (unsigned)p[0] : 0u, name);
        mboxlist_entry_fini(e);
    }
    return r;
}

int mboxlist_fetch(struct db_txn *txn, const char *name,
                   struct mboxlist_entry *entry)
{
    struct buf val = BUF_INITIALIZER;
    struct db *db;
    int r;

    if (entry)
        memset(entry, 0, sizeof(*entry));
    if ((r = mboxlist_db_get(NULL, &db)))
        return r;
    r = db_fetch(db, txn, name, strlen(name), entry ? &val : NULL);
    if (!r && entry)
        r = mboxlist_entry_decode(name, val.s, val.len, entry);
    buf_free(&val);
    return r;
}

int mboxlist_store(struct db_txn *txn, const struct mboxlist_entry *entry)
{
    struct buf val = BUF_INITIALIZER;
    struct db *db;
    int r;

    if ((r = mboxlist_db_get(NULL, &db)))
        return r;
    mboxlist_entry_encode(entry, &val);
    r = db_store(db, txn, entry->name, strlen(entry->name), val.s, val.len);
    buf_free(&val);
    return r;
}

/* ---- lookups ------------------------------------------------------------ */

int mboxlist_lookup(const char *name, struct mboxlist_entry *entry)
{
    int r;

    if (entry)
        memset(entry, 0, sizeof(*entry));
    if (mboxname_validate(name))
        return ERR_NOTFOUND;
    /* A mailbox being created, deleted or renamed is looked at only once
     * that is finished (or its crashed process's work completed). */
    if ((r = mboxlist_intent_settle(name, 0)))
        return r;
    return mboxlist_fetch(NULL, name, entry);
}

int mboxlist_lookup_access(const char *name, const struct auth_state *who,
                           unsigned need, struct mboxlist_entry *entry,
                           unsigned *rights_r)
{
    struct mboxlist_entry e;
    unsigned rights = 0;
    int r = mboxlist_lookup(name, &e);

    /* A corrupt record grants nobody `l` but an admin: keep it hidden. */
    if (r == ERR_BADFORMAT && !auth_is_admin(who))
        r = ERR_NOTFOUND;
    if (!r) {
        rights = acl_myrights(e.acl, who);
        if (!(rights & ACL_LOOKUP))
            r = ERR_NOTFOUND;
        else if ((rights & need) != need)
            r = ERR_PERM;
    }
    if (rights_r)
        *rights_r = r ? 0 : rights;
    if (!r && entry)
        *entry = e;
    else
        mboxlist_entry_fini(&e);
    if (r && entry)
        memset(entry, 0, sizeof(*entry));
    return r;
}

int mboxlist_entry_path(const struct mboxlist_entry *e, struct buf *path)
{
    const char *dir = e->partition ? conf_partition_dir(e->partition) : NULL;

    buf_reset(path);
    if (!dir) {
        log_error("mboxlist: unknown partition: mailbox=<%s> partition=<%s>",
                  e->name, e->partition ? e->partition : "");
        return ERR_BADARG;
    }
    return mboxname_to_path(dir, e->name, conf_getswitch(CONF_HASHIMAPSPOOL),
                            path);
}

static int mboxlist_open_entry(const struct mboxlist_entry *e, int lockmode,
                               struct mailbox **mb_r)
{
    struct buf path = BUF_INITIALIZER;
    int r = mboxlist_entry_path(e, &path);
    if (!r)
        r = mailbox_open(e->name, buf_cstring(&path), lockmode, mb_r);
    buf_free(&path);
    return r;
}

int mboxlist_open_mailbox(const char *name, int lockmode,
                          struct mailbox **mb_r)
{
    struct mboxlist_entry e;
    int r;

    memset(&e, 0, sizeof(e));
    *mb_r = NULL;
    r = mboxlist_lookup(name, &e);
    if (!r)
        r = mboxlist_open_entry(&e, lockmode, mb_r);
    mboxlist_entry_fini(&e);
    return r;
}

int mboxlist_open_mailbox_access(const char *name,
                                 const struct auth_state *who, unsigned need,
                                 int lockmode, struct mailbox **mb_r,
                                 unsigned *rights_r)
{
    struct mboxlist_entry e;
    int r;

    memset(&e, 0, sizeof(e));
    *mb_r = NULL;
    r = mboxlist_lookup_access(name, who, need, &e, rights_r);
    if (!r)
        r = mboxlist_open_entry(&e, lockmode, mb_r);
    mboxlist_entry_fini(&e);
    return r;
}

void mboxlist_prune_dirs(const char *path, const char *partition)
{
    const char *top = conf_partition_dir(partition);
    size_t toplen;
    char *dir, *slash;

    if (!top)
        return;
    toplen = strlen(top);
    while (toplen > 1 && top[toplen - 1] == '/')
        toplen--;
    if (strncmp(path, top, toplen) || path[toplen] != '/')
        return;
    dir = xstrdup(path);
    /* rmdir() only succeeds on an empty directory: stop at the first one
     * that still holds something (or is being filled by a creator). */
    while ((slash = strrchr(dir, '/')) && (size_t)(slash - dir) > toplen) {
        *slash = '\0';
        if (rmdir(dir) < 0)
            break;
    }
    free(dir);
}

static int mboxlist_collect_one(const void *key, size_t keylen,
                                const void *val, size_t vallen, void *rock)
{
    struct mboxlist_list *list = rock;
    char *name = xstrndup(key, keylen);
    struct mboxlist_entry *e;

    if (list->n == list->alloc) {
        list->alloc = list->alloc ? xmalloc_mul(list->alloc, 2) : 16;
        list->e = xreallocarray(list->e, list->alloc, sizeof(*list->e));
    }
    e = &list->e[list->n++];
    if (mboxlist_entry_decode(name, val, vallen, e))
        e->name = name;
    else
        free(name);
    return 0;
}

int mboxlist_collect(struct db_txn *txn, const char *name, int below,
                     struct mboxlist_list *list)
{
    struct buf prefix = BUF_INITIALIZER;
    struct db *db;
    int r;

    if (list->n == list->alloc) {
        list->alloc = list->alloc ? xmalloc_mul(list->alloc, 2) : 16;
        list->e = xreallocarray(list->e, list->alloc, sizeof(*list->e));
    }
    if ((r = mboxlist_fetch(txn, name, &list->e[list->n])))
        return r;
    list->n++;
    if (!below)
        return ERR_OK;
    if ((r = mboxlist_db_get(NULL, &db)))
        return r;
    buf_printf(&prefix, "%s%c", name, MBOXNAME_SEP);
    r = db_foreach(db, txn, prefix.s, prefix.len, mboxlist_collect_one, list);
    buf_free(&prefix);
    return r;
}

void mboxlist_list_fini(struct mboxlist_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        mboxlist_entry_fini(&list->e[i]);
    free(list->e);
    memset(list, 0, sizeof(*list));
}

/* ---- the UIDVALIDITY counter ------------------------------------------- */

/* version, 3 reserved bytes, the last value, CRC-32 (mboxlist.h) */
#define MBOXLIST_COUNTER_LEN 12

/* The last UIDVALIDITY handed out, read inside txn: 0 when there is none,
 * or when the value is corrupt (logged; the next store replaces it). */
static int mboxlist_counter_get(struct db_txn *txn, uint32_t *last)
{
    static const char key[] = MBOXLIST_UIDVALIDITY_KEY;
    struct buf val = BUF_INITIALIZER;
    const unsigned char *p;
    struct db *db;
    int r;

    *last = 0;
    if ((r = mboxlist_db_get(NULL, &db)))
        return r;
    r = db_fetch(db, txn, key, sizeof(key) - 1, &val);
    p = (const unsigned char *)val.s;
    if (r == ERR_NOTFOUND)
        r = ERR_OK;
    else if (!r && (val.len != MBOXLIST_COUNTER_LEN ||
                    p[0] != MBOXLIST_FORMAT_VERSION || p[1] || p[2] || p[3] ||
                    util_crc32(0, p, 8) != util_get32(p + 8)))
        log_error("mboxlist: corrupt UIDVALIDITY counter: key=<%s>; "
                  "replaced, new values come from the clock", key);
    else if (!r)
        *last = util_get32(p + 4);
    buf_free(&val);
    return r;
}

static int mboxlist_counter_put(struct db_txn *txn, uint32_t last)
{
    static const char key[] = MBOXLIST_UIDVALIDITY_KEY;
    unsigned char val[MBOXLIST_COUNTER_LEN];
    struct db *db;
    int r;

    if ((r = mboxlist_db_get(NULL, &db)))
        return r;
    memset(val, 0, sizeof(val));
    val[0] = MBOXLIST_FORMAT_VERSION;
    util_put32(val + 4, last);
    util_put32(val + 8, util_crc32(0, val, 8));
    return db_store(db, txn, key, sizeof(key) - 1, val, sizeof(val));
}

int mboxlist_next_uidvalidity(struct db_txn *txn, uint32_t *uidvalidity_r)
{
    time_t now = time(NULL);
    uint64_t next;
    uint32_t last;
    int r;

    *uidvalidity_r = 0;
    if ((r = mboxlist_counter_get(txn, &last)))
        return r;
    next = (uint64_t)last + 1;
    if (now > 0 && (uint64_t)now > next)
        next = (uint64_t)now;
    if (next > UINT32_MAX) {
        log_error("mboxlist: UIDVALIDITY values used up: last=<%" PRIu32
                  ">", last);
        return ERR_TOOBIG;
    }
    if ((r = mboxlist_counter_put(txn, (uint32_t)next)))
        return r;
    *uidvalidity_r = (uint32_t)next;
    return ERR_OK;
}

int mboxlist_raise_uidvalidity(struct db_txn *txn, uint32_t floor)
{
    uint32_t last;
    int r = mboxlist_counter_get(txn, &last);

    if (!r && floor > last)
        r = mboxlist_counter_put(txn, floor);
    return r;
}

int mboxlist_txn_run(mboxlist_txn_fn *fn, void *rock)
{
    struct db_env *env;
    struct db *db;
    struct db_txn *txn = NULL;
    int r, tries = 0;

    if ((r = mboxlist_db_get(&env, &db)))
        return r;
    do {
        if ((r = db_begin(env, &txn)))
            break;
        if (!(r = fn(db, txn, rock)))
            r = db_commit(&txn);
        else
            db_abort(&txn);
    } while (r == ERR_CONFLICT && ++tries < MBOXLIST_MAX_RETRIES);
    return r;
}

static int new_uidvalidity_txn(struct db *db, struct db_txn *txn, void *rock)
{
    (void)db;
    return mboxlist_next_uidvalidity(txn, rock);
}

int mboxlist_new_uidvalidity(uint32_t *uidvalidity_r)
{
    int r = mboxlist_txn_run(new_uidvalidity_txn, uidvalidity_r);
    if (r)
        *uidvalidity_r = 0;
    return r;
}

/* ---- create ------------------------------------------------------------- */

void mboxlist_new_uniqueid(char *out)
{
    unsigned char raw[MBOXLIST_UNIQUEID_LEN / 2];
    digest_random(raw, sizeof(raw));
    digest_hex(raw, sizeof(raw), out);
}

int mboxlist_check_absent(struct db_txn *txn, const char *name,
                          const struct auth_state *who)
{
    struct mboxlist_entry e;
    int r = mboxlist_fetch(txn, name, &e);

    if (r == ERR_NOTFOUND)
        return ERR_OK;
    if (r == ERR_OK)
        r = (acl_myrights(e.acl, who) & ACL_LOOKUP) ? ERR_EXISTS : ERR_PERM;
    else if (r == ERR_BADFORMAT)
        r = ERR_EXISTS;
    mboxlist_entry_fini(&e);
    return r;
}

/* The record of the nearest existing ancestor of name; ERR_NOTFOUND when
 * none exists (a user INBOX's parent "user" is never a mailbox). */
static int mboxlist_nearest_ancestor(const char *name,
                                     struct mboxlist_entry *e)
{
    struct buf cur = BUF_INITIALIZER, parent = BUF_INITIALIZER;
    int r;

    buf_setcstr(&cur, name);
    memset(e, 0, sizeof(*e));
    while ((r = mboxname_parent(buf_cstring(&cur), &parent)) == ERR_OK) {
        r = mboxlist_fetch(NULL, buf_cstring(&parent), e);
        if (r != ERR_NOTFOUND)
            break;
        buf_setcstr(&cur, buf_cstring(&parent));
    }
    buf_free(&cur);
    buf_free(&parent);
    return r;
}

int mboxlist_create_rights(const char *name, const struct auth_state *who,
                           int flags, struct buf *acl)
{
    int admin = auth_is_admin(who);
    char *owner = mboxname_userid_of(name);
    /* The owner at first login: its INBOX, and folders below it that have
     * no ancestor yet (mboxlist_autocreate_user()). */
    int self = (flags & MBOXLIST_CREATE_AUTOINBOX) && owner &&
               !auth_is_anonymous(who) && !strcmp(auth_userid(who), owner);
    struct mboxlist_entry anc;
    int r;

    memset(&anc, 0, sizeof(anc));
    if (mboxname_isinbox(name)) {
        r = (admin || self) ? acl_default_inbox(owner, acl) : ERR_PERM;
        goto done;
    }
    r = mboxlist_nearest_ancestor(name, &anc);
    if (r == ERR_OK) {
        if (admin || (acl_myrights(anc.acl, who) & ACL_CREATE))
            buf_setcstr(acl, anc.acl);
        else
            r = ERR_PERM;
    } else if (r == ERR_NOTFOUND) {
        if (!admin && !self)
            r = ERR_PERM;
        else if (owner)
            r = acl_default_inbox(owner, acl);
        else if ((r = acl_default_shared(conf_getstring(CONF_DEFAULTACL),
                                         acl)))
            log_error("mboxlist: invalid defaultacl option: value=<%s>",
                      conf_getstring(CONF_DEFAULTACL));
    } else if (r == ERR_BADFORMAT && !admin) {
        r = ERR_PERM;
    }
done:
    mboxlist_entry_fini(&anc);
    free(owner);
    return r;
}

int mboxlist_create_plan(const char *name, const char *partition,
                         const struct auth_state *who, int flags,
                         struct mboxlist_move *m)
{
    struct buf acl = BUF_INITIALIZER, path = BUF_INITIALIZER;
    char uniqueid[MBOXLIST_UNIQUEID_LEN + 1];
    const char *partdir;
    int r;

    if ((r = mboxname_validate(name)))
        goto done;
    if (!partition)
        partition = conf_getstring(CONF_DEFAULTPARTITION);
    if (!(partdir = conf_partition_dir(partition))) {
        r = ERR_BADARG;
        goto done;
    }
    if ((r = mboxname_to_path(partdir, name,
                              conf_getswitch(CONF_HASHIMAPSPOOL), &path)) ||
        (r = mboxlist_check_absent(NULL, name, who)) ||
        (r = mboxlist_create_rights(name, who, flags, &acl)))
        goto done;
    mboxlist_new_uniqueid(uniqueid);
    m->new.name = xstrdup(name);
    m->new.partition = xstrdup(partition);
    m->new.acl = buf_release(&acl);
    m->new.uniqueid = xstrdup(uniqueid);
    m->new.type = MBOXLIST_TYPE_NORMAL;
    m->new.created = (int64_t)time(NULL);
    m->newpath = buf_release(&path);
done:
    buf_free(&acl);
    buf_free(&path);
    return r;
}

static int mboxlist_create_once(struct mboxlist_intent *in, struct db_env *env)
{
    const struct mboxlist_entry *e = &in->m[0].new;
    struct db_txn *txn = NULL;
    int r;

    if ((r = db_begin(env, &txn)))
        return r;
    r = mboxlist_intent_check(txn, e->name);
    if (!r && in->oldtop)
        r = mboxlist_intent_check(txn, in->oldtop);
    if (!r) {
        /* Someone may have created it since the caller's check. */
        r = mboxlist_fetch(txn, e->name, NULL);
        r = r == ERR_OK ? ERR_EXISTS : r == ERR_NOTFOUND ? ERR_OK : r;
    }
    if (!r && !(r = mboxlist_next_uidvalidity(txn, &in->uidvalidity)) &&
        !(r = mboxlist_store(txn, e)))
        r = mboxlist_intent_store(txn, in);
    if (!r)
        return db_commit(&txn);
    db_abort(&txn);
    return r;
}

int mboxlist_create_commit(struct mboxlist_intent *in)
{
    struct db_env *env;
    struct db *db;
    int r, tries = 0;

    if ((r = mboxlist_db_get(&env, &db)))
        return r;
    do {
        r = mboxlist_create_once(in, env);
    } while (r == ERR_CONFLICT && ++tries < MBOXLIST_MAX_RETRIES);
    return r;
}

int mboxlist_create(const char *name, const char *partition,
                    const struct auth_state *who, int flags)
{
    return mboxlist_create_special(name, partition, who, flags, NULL);
}

int mboxlist_create_special(const char *name, const char *partition,
                            const struct auth_state *who, int flags,
                            const char *specialuse)
{
    struct buf roles = BUF_INITIALIZER;
    struct mboxlist_intent in;
    int r;

    if (specialuse && mboxlist_specialuse_normalize(specialuse, &roles)) {
        buf_free(&roles);
        return ERR_BADARG;
    }

    for (int round = 0;; round++) {
        mboxlist_intent_init(&in, MBOXLIST_INTENT_CREATE);
        in.newtop = xstrdup(name);
        if ((r = mboxname_validate(name)) ||
            (r = mboxlist_intent_settle(name, 1)) ||
            (r = mboxlist_create_plan(name, partition, who, flags,
                                      mboxlist_intent_add(&in))))
            break;
        if (roles.len)
            in.m[0].new.specialuse = xstrdup(buf_cstring(&roles));
        if ((r = mboxlist_intent_lock(&in)))
            break;
        mboxlist_intent_point("planned");
        if ((r = mboxlist_create_commit(&in))) {
            mboxlist_intent_abandon(&in);
            if (r == ERR_AGAIN && round < MBOXLIST_MAX_RETRIES) {
                mboxlist_intent_fini(&in);
                continue;
            }
            break;
        }
        /* The record is committed: the files follow (or it goes again). */
        if (!(r = mboxlist_intent_run(&in, NULL, NULL, NULL)))
            log_info("mailbox created: mailbox=<%s> partition=<%s> by=<%s>",
                     name, in.m[0].new.partition, auth_userid(who));
        break;
    }
    mboxlist_intent_fini(&in);
    buf_free(&roles);
    return r == ERR_AGAIN ? ERR_LOCKED : r;
}

/* ---- setacl ------------------------------------------------------------- */

/* Apply the change to name's record in one transaction; the new ACL text
 * in *acl_r. */
static int mboxlist_setacl_record(const char *name, const char *identifier,
                                  const char *mod, char **acl_r)
{
    struct db_env *env;
    struct db *db;
    struct db_txn *txn = NULL;
    struct mboxlist_entry e;
    struct buf text = BUF_INITIALIZER;
    int r, tries = 0;

    *acl_r = NULL;
    if ((r = mboxlist_db_get(&env, &db)))
        return r;
    do {
        struct acl *acl = NULL;
        if ((r = db_begin(env, &txn)))
            break;
        r = mboxlist_fetch(txn, name, &e);
        /* A corrupt stored ACL is replaced rather than wedging repairs. */
        if (!r && acl_parse(e.acl, &acl)) {
            log_warn("mboxlist: corrupt ACL replaced: mailbox=<%s>", name);
            acl = acl_new();
        }
        if (!r && !(r = acl_modify(acl, identifier, mod))) {
            acl_serialize(acl, &text);
            free(e.acl);
            e.acl = xstrdup(buf_cstring(&text));
            r = mboxlist_store(txn, &e);
        }
        if (!r)
            r = db_commit(&txn);
        else
            db_abort(&txn);
        acl_free(&acl);
        if (!r)
            *acl_r = xstrdup(e.acl);
        mboxlist_entry_fini(&e);
    } while (r == ERR_CONFLICT && ++tries < MBOXLIST_MAX_RETRIES);
    buf_free(&text);
    return r;
}

int mboxlist_setacl(const char *name, const struct auth_state *who,
                    const char *identifier, const char *mod)
{
    struct mboxlist_entry e;
    struct mailbox *mb = NULL;
    char *acl = NULL;
    int r;

    if ((r = mboxlist_lookup_access(name, who, ACL_ADMIN, &e, NULL)))
        return r;
    /* Lock the mailbox first (lock order), so the header copy is written
     * in the same order as the records. */
    if (mboxlist_open_entry(&e, MAILBOX_EXCLUSIVE, &mb))
        log_warn("mboxlist: ACL changed without a cyrus.header copy: "
                 "mailbox=<%s>", name);
    r = mboxlist_setacl_record(name, identifier, mod, &acl);
    if (!r && mb) {
        free(mb->acl);
        mb->acl = xstrdup(acl);
        if (mailbox_write_header(mb))
            log_warn("mboxlist: cyrus.header ACL copy not updated: "
                     "mailbox=<%s>", name);
    }
    mailbox_close(&mb);
    free(acl);
    mboxlist_entry_fini(&e);
    return r;
}
