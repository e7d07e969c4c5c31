/* mboxlist_annotate.c -- RFC 5464 METADATA entries of mailboxes and of
 * the server (mboxlist.h, "annotations"): the entry table, the rights,
 * the limits and annotations.db.
 *
 * annotations.db (doc/format.md): key = scope NUL owner NUL entry, where
 * scope is the mailbox's unique id ("" for the server), owner the user of
 * a private entry ("" for a shared one) and entry the name without its
 * "/shared" or "/private" (lower case, "/comment").  Value: u8 version
 * (1), the value's bytes, u32 CRC-32 (big-endian) of the bytes before.  A
 * corrupt value is logged and skipped, never served.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"

#define ANNOT_VERSION 1
#define CMU "/vendor/cmu/cyrus-imapd/"

/* ---- the entries the server defines ------------------------------------ */

#define A_SERVER  0x01      /* of the server (else of a mailbox) */
#define A_SHARED  0x02      /* has a shared form */
#define A_PRIVATE 0x04      /* has a private form */
#define A_DIGITS  0x08      /* value: decimal digits */
#define A_LINE    0x10      /* value: one line (no CR, LF or NUL) */
#define A_FILE    0x20      /* value: configdirectory/msg/<file> */
#define A_RECORD  0x40      /* read-only, from the mailboxes.db record */

struct annot_def {
    const char *name;       /* without /shared or /private */
    unsigned flags;
    const char *file;       /* A_FILE */
};

static const struct annot_def annot_defs[] = {
    { "/comment", A_SHARED | A_PRIVATE, NULL },
    { CMU "expire", A_SHARED | A_DIGITS, NULL },
    { CMU "partition", A_SHARED | A_RECORD, NULL },
    { CMU "uniqueid", A_SHARED | A_RECORD, NULL },
    { "/comment", A_SERVER | A_SHARED | A_PRIVATE, NULL },
    { "/admin", A_SERVER | A_SHARED, NULL },
    { "/motd", A_SERVER | A_SHARED | A_LINE | A_FILE, "motd" },
    { CMU "shutdown", A_SERVER | A_SHARED | A_LINE | A_FILE, "shutdown" },
    { CMU "expire", A_SERVER | A_SHARED | A_DIGITS, NULL },
};
#define NDEFS (sizeof(annot_defs) / sizeof(*annot_defs))

static const struct annot_def *annot_def(int server, const char *name)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (!!(annot_defs[i].flags & A_SERVER) == !!server &&
            !strcmp(annot_defs[i].name, name))
            return &annot_defs[i];
    return NULL;
}

int mboxlist_annot_entry_check(const char *entry, int wild, struct buf *out,
                               const char **why)
{
    size_t len = strlen(entry), top = 0;

    *why = NULL;
    if (len > MBOXLIST_ANNOT_ENTRY_MAX)
        *why = "Entry name too long";
    else if (!strncasecmp(entry, "/shared", 7))
        top = 7;
    else if (!strncasecmp(entry, "/private", 8))
        top = 8;
    else
        *why = "Entry name must start with /shared or /private";
    if (!*why && entry[top] != '/' && (entry[top] || !wild))
        *why = entry[top] ? "Entry name must start with /shared or /private"
                          : "Entry name needs a part after /shared or "
                            "/private";
    for (size_t i = 0; !*why && i < len; i++) {
        unsigned char c = (unsigned char)entry[i];
        if (c <= 0x20 || c >= 0x7f)
            *why = "Entry name may only hold printable US-ASCII";
        else if ((c == '*' || c == '%') && !wild)
            *why = "Entry name may not contain * or %";
        else if (c == '/' && (entry[i + 1] == '/' || !entry[i + 1]))
            *why = "Entry name may not contain // or end with /";
    }
    if (*why)
        return ERR_BADARG;
    buf_reset(out);
    for (size_t i = 0; i < len; i++)
        buf_putc(out, (char)tolower((unsigned char)entry[i]));
    buf_cstring(out);
    return ERR_OK;
}

/* ---- the database ------------------------------------------------------ */

static struct {
    struct db *db;
    pid_t pid;
    char *configdir;
} annot;

void mboxlist_annot_close(void)
{
    if (annot.db)
        db_close(&annot.db);
    free(annot.configdir);
    annot.configdir = NULL;
}

static int annot_db(struct db **db_r)
{
    const char *configdir = conf_getstring(CONF_CONFIGDIRECTORY);
    struct buf path = BUF_INITIALIZER;
    struct db_env *env;
    struct db *mdb;
    int r;

    if (annot.db && (annot.pid != getpid() ||
                     strcmp(annot.configdir, configdir)))
        mboxlist_annot_close();
    if (!annot.db) {
        if ((r = mboxlist_db_get(&env, &mdb)))
            return r;
        buf_printf(&path, "%s/%s", configdir, MBOXLIST_ANNOT_DB_FILE);
        r = db_open(env, buf_cstring(&path), DB_OPEN_CREATE, &annot.db);
        buf_free(&path);
        if (r) {
            log_error("mboxlist: cannot open the annotations database: "
                      "dir=<%s> error=<%s>", configdir, error_string(r));
            return r;
        }
        annot.pid = getpid();
        annot.configdir = xstrdup(configdir);
    }
    *db_r = annot.db;
    return ERR_OK;
}

static void annot_key(struct buf *key, const char *scope, const char *owner,
                      const char *name)
{
    buf_reset(key);
    buf_appendcstr(key, scope);
    buf_putc(key, '\0');
    if (owner) {
        buf_appendcstr(key, owner);
        buf_putc(key, '\0');
        if (name)
            buf_appendcstr(key, name);
    }
}

static void annot_encode(const char *value, size_t len, struct buf *out)
{
    unsigned char crc[4];

    buf_reset(out);
    buf_putc(out, ANNOT_VERSION);
    buf_appendmap(out, value, len);
    util_put32(crc, util_crc32(0, out->s, out->len));
    buf_appendmap(out, (const char *)crc, 4);
}

/* ERR_OK if val is a value of ours (its bytes: val + 1, len - 5). */
static int annot_decode(const void *val, size_t len)
{
    const unsigned char *v = val;

    if (len < 5 || v[0] != ANNOT_VERSION ||
        util_get32(v + len - 4) != util_crc32(0, v, len - 4))
        return ERR_BADFORMAT;
    return ERR_OK;
}

/* ---- reading ----------------------------------------------------------- */

struct list_rock {
    const char *me;             /* the caller's userid */
    int shared_ok;              /* may read shared entries */
    struct buf entry;
    mboxlist_annot_fn *fn;
    void *rock;
    size_t scopelen;
};

static int list_one(const void *key, size_t keylen, const void *val,
                    size_t vallen, void *rock)
{
    struct list_rock *lr = rock;
    const char *owner = (const char *)key + lr->scopelen + 1, *name;
    const char *end = (const char *)key + keylen;

    name = memchr(owner, '\0', (size_t)(end - owner));
    if (!name++)
        return 0;
    if (*owner ? strcmp(owner, lr->me) : !lr->shared_ok)
        return 0;
    if (annot_decode(val, vallen)) {
        log_error("mboxlist: corrupt annotation skipped: entry=<%.*s>",
                  (int)(end - name), name);
        return 0;
    }
    buf_setcstr(&lr->entry, *owner ? "/private" : "/shared");
    buf_appendmap(&lr->entry, name, (size_t)(end - name));
    return lr->fn(buf_cstring(&lr->entry), (const char *)val + 1,
                  vallen - 5, lr->rock);
}

/* The computed entries: record fields (mailbox) or files (server); fn
 * gets them before the stored ones. */
static int list_computed(const struct mboxlist_entry *e, unsigned rights,
                         int shared_ok, mboxlist_annot_fn *fn, void *rock)
{
    struct buf path = BUF_INITIALIZER;
    char *data;
    size_t len;
    int r = 0;

    if (e) {
        if (e->specialuse)
            r = fn("/private/specialuse", e->specialuse,
                   strlen(e->specialuse), rock);
        /* Where it lives is for who administers it (as in Cyrus). */
        if (!r && (rights & ACL_ADMIN))
            r = fn("/shared" CMU "partition", e->partition,
                   strlen(e->partition), rock);
        if (!r && shared_ok)
            r = fn("/shared" CMU "uniqueid", e->uniqueid,
                   strlen(e->uniqueid), rock);
        return r;
    }
    for (size_t i = 0; !r && i < NDEFS; i++) {
        if (!(annot_defs[i].flags & A_FILE))
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/msg/%s", conf_getstring(CONF_CONFIGDIRECTORY),
                   annot_defs[i].file);
        if (util_read_file(buf_cstring(&path), &data, &len))
            continue;
        len = strcspn(data, "\r\n");
        buf_reset(&path);
        buf_printf(&path, "/shared%s", annot_defs[i].name);
        if (len)
            r = fn(buf_cstring(&path), data, len, rock);
        free(data);
    }
    buf_free(&path);
    return r;
}

int mboxlist_annot_list(const char *name, const struct auth_state *who,
                        mboxlist_annot_fn *fn, void *rock)
{
    struct mboxlist_entry e;
    struct list_rock lr;
    struct buf prefix = BUF_INITIALIZER;
    unsigned rights = ACL_ALL;
    struct db *db;
    int r, server = !*name;

    memset(&e, 0, sizeof(e));
    if (!server &&
        (r = mboxlist_lookup_access(name, who, 0, &e, &rights)))
        return r;
    memset(&lr, 0, sizeof(lr));
    lr.me = auth_userid(who);
    lr.shared_ok = server || auth_is_admin(who) || (rights & ACL_READ);
    lr.fn = fn;
    lr.rock = rock;
    lr.scopelen = server ? 0 : strlen(e.uniqueid);
    r = list_computed(server ? NULL : &e, rights, lr.shared_ok, fn, rock);
    if (!r)
        r = annot_db(&db);
    annot_key(&prefix, server ? "" : e.uniqueid, NULL, NULL);
    if (!r)
        r = db_foreach(db, NULL, prefix.s, prefix.len, list_one, &lr);
    buf_free(&prefix);
    buf_free(&lr.entry);
    mboxlist_entry_fini(&e);
    return r;
}

/* ---- writing ----------------------------------------------------------- */

/* One change, checked: where it goes. */
struct annot_plan {
    const struct annot_def *def;    /* NULL: undefined */
    const char *name;               /* without /shared or /private */
    int private;
};

/* Check change c against the table, the rights and the limits (not the
 * entry count, which needs the database). */
static int annot_check(int server, unsigned rights, int admin,
                       const struct mboxlist_annot_change *c,
                       struct annot_plan *p, const char **why)
{
    const char *entry = c->entry;

    *why = "";
    p->private = !strncmp(entry, "/private/", 9);
    if (!p->private && strncmp(entry, "/shared/", 8)) {
        *why = "not an entry name";
        return ERR_BADARG;
    }
    p->name = entry + (p->private ? 8 : 7);
    p->def = annot_def(server, p->name);
    if (!p->def && (!conf_getswitch(CONF_ANNOTATION_ALLOW_UNDEFINED) ||
                    (!server && !strcmp(p->name, "/specialuse")))) {
        *why = "no such entry (annotation_allow_undefined is off)";
        return ERR_BADARG;
    }
    if (p->def && !(p->def->flags & (p->private ? A_PRIVATE : A_SHARED))) {
        *why = p->private ? "the entry has no private form"
                          : "the entry is private only";
        return p->private ? ERR_NOTSUPP : ERR_BADARG;
    }
    if (p->def && (p->def->flags & A_RECORD)) {
        *why = "the entry is read-only";
        return ERR_PERM;
    }
    /* Rights: RFC 5464 3.3; administrators may do anything, except that
     * the server's shared entries are theirs alone. */
    if (!admin && !p->private && (server || !(rights & ACL_WRITE))) {
        *why = server ? "only administrators set shared server entries"
                      : "shared entries need the w right";
        return ERR_PERM;
    }
    if (!c->value)
        return ERR_OK;
    if (c->len > (size_t)conf_getint(CONF_ANNOTATION_MAXSIZE))
        return ERR_TOOBIG;
    if (p->def && (p->def->flags & A_DIGITS))
        for (size_t i = 0; i < c->len; i++)
            if (!isdigit((unsigned char)c->value[i])) {
                *why = "the value must be a number of days";
                return ERR_BADARG;
            }
    if (p->def && (p->def->flags & A_LINE) &&
        (memchr(c->value, '\r', c->len) || memchr(c->value, '\n', c->len) ||
         memchr(c->value, '\0', c->len))) {
        *why = "the value must be one line";
        return ERR_BADARG;
    }
    return ERR_OK;
}

/* The file of a server entry: written (atomically) or removed. */
static int annot_file(const struct annot_def *def,
                      const struct mboxlist_annot_change *c)
{
    struct buf path = BUF_INITIALIZER;
    int r = ERR_OK;

    buf_printf(&path, "%s/msg", conf_getstring(CONF_CONFIGDIRECTORY));
    if (c->value && c->len) {
        if (!(r = util_mkdir_p(buf_cstring(&path), 0755))) {
            buf_printf(&path, "/%s", def->file);
            r = util_atomic_replace(buf_cstring(&path), c->value, c->len,
                                    0644);
        }
    } else {
        buf_printf(&path, "/%s", def->file);
        if (unlink(buf_cstring(&path)) && errno != ENOENT) {
            log_error("mboxlist: cannot remove %s: %m", buf_cstring(&path));
            r = ERR_IO;
        } else if (!r) {
            util_fsync_parent(buf_cstring(&path));
        }
    }
    buf_free(&path);
    return r;
}

struct store_rock {
    const char *name;               /* internal mailbox name, "" server */
    const char *uniqueid;           /* as looked up ("" server) */
    const char *me;
    const struct mboxlist_annot_change *c;
    const struct annot_plan *p;
    size_t n;
    size_t *bad;
    struct db *adb;
};

static int count_one(const void *key, size_t keylen, const void *val,
                     size_t vallen, void *rock)
{
    (void)key;
    (void)keylen;
    (void)val;
    (void)vallen;
    ++*(size_t *)rock;
    return 0;
}

static int store_txn(struct db *db, struct db_txn *txn, void *rock)
{
    struct store_rock *sr = rock;
    struct buf key = BUF_INITIALIZER, val = BUF_INITIALIZER;
    struct mboxlist_entry e;
    int r = ERR_OK;

    (void)db;
    if (*sr->name) {
        if ((r = mboxlist_intent_check(txn, sr->name)))
            return r;
        if ((r = mboxlist_fetch(txn, sr->name, &e)))
            return r;
        if (strcmp(e.uniqueid, sr->uniqueid))
            r = ERR_NOTFOUND;       /* deleted and made again meanwhile */
        mboxlist_entry_fini(&e);
    }
    for (size_t i = 0; !r && i < sr->n; i++) {
        const char *owner = sr->p[i].private ? sr->me : "";
        if (sr->p[i].def && (sr->p[i].def->flags & A_FILE))
            continue;
        annot_key(&key, sr->uniqueid, owner, sr->p[i].name);
        if (!sr->c[i].value) {
            r = db_delete(sr->adb, txn, key.s, key.len);
            if (r == ERR_NOTFOUND)
                r = ERR_OK;
            continue;
        }
        if (db_fetch(sr->adb, txn, key.s, key.len, NULL) == ERR_NOTFOUND) {
            size_t count = 0;
            annot_key(&key, sr->uniqueid, owner, NULL);
            r = db_foreach(sr->adb, txn, key.s, key.len, count_one, &count);
            if (!r && count >= (size_t)conf_getint(CONF_ANNOTATION_MAXENTRIES)) {
                *sr->bad = i;
                r = ERR_QUOTA;
            }
            annot_key(&key, sr->uniqueid, owner, sr->p[i].name);
        }
        annot_encode(sr->c[i].value, sr->c[i].len, &val);
        if (!r)
            r = db_store(sr->adb, txn, key.s, key.len, val.s, val.len);
    }
    buf_free(&key);
    buf_free(&val);
    return r;
}

int mboxlist_annot_store(const char *name, const struct auth_state *who,
                         const struct mboxlist_annot_change *changes,
                         size_t n, size_t *bad_r, const char **why_r)
{
    struct annot_plan *plan = xcalloc(n ? n : 1, sizeof(*plan));
    struct mboxlist_entry e;
    struct store_rock sr;
    unsigned rights = 0;
    size_t bad = 0;
    const char *why = "";
    int r = ERR_OK, admin = auth_is_admin(who), server = !*name;

    memset(&e, 0, sizeof(e));
    if (!server)
        r = mboxlist_lookup_access(name, who, 0, &e, &rights);
    for (size_t i = 0; !r && i < n; i++)
        if ((r = annot_check(server, rights, admin, &changes[i], &plan[i],
                             &why)))
            bad = i;
    memset(&sr, 0, sizeof(sr));
    sr.name = name;
    sr.uniqueid = server ? "" : e.uniqueid;
    sr.me = auth_userid(who);
    sr.c = changes;
    sr.p = plan;
    sr.n = n;
    sr.bad = &bad;
    if (!r)
        r = annot_db(&sr.adb);
    for (int round = 0; !r; round++) {
        r = mboxlist_txn_run(store_txn, &sr);
        if (r != ERR_AGAIN || round >= MBOXLIST_MAX_RETRIES)
            break;
        r = mboxlist_intent_settle(name, 0);    /* wait, and go again */
    }
    /* The files of server entries, after the database. */
    for (size_t i = 0; !r && i < n; i++)
        if (plan[i].def && (plan[i].def->flags & A_FILE) &&
            (r = annot_file(plan[i].def, &changes[i])))
            bad = i;
    if (!r)
        for (size_t i = 0; i < n; i++)
            log_info("metadata %s: mailbox=<%s> entry=<%s> size=<%zu> "
                     "by=<%s>", changes[i].value ? "set" : "removed",
                     server ? "" : name, changes[i].entry, changes[i].len,
                     sr.me);
    *bad_r = bad;
    *why_r = why;
    mboxlist_entry_fini(&e);
    free(plan);
    return r == ERR_AGAIN ? ERR_LOCKED : r;
}

struct drop_rock {
    struct db *db;
    struct db_txn *txn;
    const char *owner;          /* only this owner's (NULL: every key) */
};

static int drop_one(const void *key, size_t keylen, const void *val,
                    size_t vallen, void *rock)
{
    struct drop_rock *dr = rock;
    const char *k = key, *end = k + keylen, *owner;

    (void)val;
    (void)vallen;
    if (dr->owner) {
        owner = memchr(k, '\0', keylen);
        if (!owner++ || (size_t)(end - owner) <= strlen(dr->owner) ||
            memcmp(owner, dr->owner, strlen(dr->owner) + 1))
            return 0;
    }
    return db_delete(dr->db, dr->txn, key, keylen);
}

int mboxlist_annot_drop(struct db_txn *txn, const char *uniqueid)
{
    struct buf key = BUF_INITIALIZER;
    struct drop_rock dr;
    int r;

    if (!uniqueid || !*uniqueid)
        return ERR_OK;
    if ((r = annot_db(&dr.db)))
        return r;
    dr.txn = txn;
    dr.owner = NULL;
    annot_key(&key, uniqueid, NULL, NULL);
    r = db_foreach(dr.db, txn, key.s, key.len, drop_one, &dr);
    buf_free(&key);
    return r;
}

int mboxlist_annot_drop_user(struct db_txn *txn, const char *userid)
{
    struct drop_rock dr;
    int r;

    if (!userid || !*userid)
        return ERR_OK;
    if ((r = annot_db(&dr.db)))
        return r;
    dr.txn = txn;
    dr.owner = userid;
    return db_foreach(dr.db, txn, "", 0, drop_one, &dr);
}
