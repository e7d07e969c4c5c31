/* login_limit.c -- password-guessing limits over configdirectory/loginlimit
 * (see login_limit.h for the rules and the file).
 *
 * The file is mapped shared; every access is one short critical section
 * under an fcntl lock on it, so a login costs one open at the first
 * attempt and then two lock calls and a few loads.  The header is never
 * shrunk or truncated once made (a rebuild rewrites it in place), so a
 * mapping another process holds stays valid.  Slots use open addressing
 * over a window of LL_PROBE slots from the key's home; a slot that is
 * empty, fails its CRC or has expired (no lockout, last failure older than
 * loginlimit_window) is free.  Byte order is big-endian throughout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/server/login_limit.h"

#define LL_MAGIC "CHAPARLL"
#define LL_VERSION 1
#define LL_NSLOTS 4096
#define LL_SLOT_SIZE 32
#define LL_HEADER_SIZE 64
#define LL_SECRET_SIZE 16
#define LL_FILE_SIZE (LL_HEADER_SIZE + (size_t)LL_NSLOTS * LL_SLOT_SIZE)
#define LL_PROBE 32
#define LL_LOCK_MS 2000
#define LL_NAME_MAX 256             /* bytes of a name that are hashed */

/* Header: magic[8] version[4] nslots[4] slotsize[4] secret[16] zeros
 * up to byte 60, crc[4] of bytes 0..59.
 * Slot: key[8] failures[4] last_fail[4] locked_until[4] zeros[8] crc[4]
 * of bytes 0..27; key 0 is an empty slot. */
#define LL_H_VERSION 8
#define LL_H_NSLOTS 12
#define LL_H_SLOTSIZE 16
#define LL_H_SECRET 20
#define LL_H_CRC 60
#define LL_S_CRC 28

struct ll_rec {
    uint64_t key;
    uint32_t failures, last_fail, locked_until;
};

static struct {
    int tried;                      /* opening was attempted */
    int fd;
    unsigned char *map;             /* LL_FILE_SIZE bytes, or NULL */
} ll = { 0, -1, NULL };

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

char *login_limit_path(void)
{
    return strconcat(conf_getstring(CONF_CONFIGDIRECTORY), "/loginlimit",
                     (char *)NULL);
}

/* ---- the file ------------------------------------------------------------ */

static int header_valid(const unsigned char *h)
{
    return !memcmp(h, LL_MAGIC, 8) && get32(h + LL_H_VERSION) == LL_VERSION &&
           get32(h + LL_H_NSLOTS) == LL_NSLOTS &&
           get32(h + LL_H_SLOTSIZE) == LL_SLOT_SIZE &&
           get32(h + LL_H_CRC) == util_crc32(0, h, LL_H_CRC);
}

/* Under the exclusive lock: empty slots and a fresh header, written in
 * place (never truncated: see the top of the file). */
static int ll_rebuild(int fd, const char *path)
{
    unsigned char h[LL_HEADER_SIZE];
    unsigned char *zeros = xzmalloc(LL_FILE_SIZE - LL_HEADER_SIZE);
    int r = ERR_OK;

    memset(h, 0, sizeof(h));
    memcpy(h, LL_MAGIC, 8);
    put32(h + LL_H_VERSION, LL_VERSION);
    put32(h + LL_H_NSLOTS, LL_NSLOTS);
    put32(h + LL_H_SLOTSIZE, LL_SLOT_SIZE);
    /* User names and addresses: for the server user only. */
    if (getrandom(h + LL_H_SECRET, LL_SECRET_SIZE, 0) != LL_SECRET_SIZE ||
        fchmod(fd, 0600) < 0)
        r = ERR_IO;
    put32(h + LL_H_CRC, util_crc32(0, h, LL_H_CRC));
    /* The slots first: a creator killed before the header leaves a file
     * the next one rebuilds again. */
    if (!r && (retry_pwrite(fd, zeros, LL_FILE_SIZE - LL_HEADER_SIZE,
                            LL_HEADER_SIZE) !=
                   (ssize_t)(LL_FILE_SIZE - LL_HEADER_SIZE) ||
               retry_pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)))
        r = ERR_IO;
    free(zeros);
    if (r)
        log_error("loginlimit: cannot initialize file=<%s>: %s", path,
                  strerror(errno));
    else
        log_info("loginlimit: initialized file=<%s>", path);
    return r;
}

/* Open, check (rebuilding a bad file) and map the file, once per process.
 * 1 when the limits can be applied. */
static int ll_open(void)
{
    unsigned char h[LL_HEADER_SIZE];
    char *path;
    int fd, r;

    if (ll.tried)
        return ll.map != NULL;
    ll.tried = 1;
    path = login_limit_path();
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("loginlimit: cannot open file=<%s>: %s; logins are not "
                  "limited", path, strerror(errno));
        free(path);
        return 0;
    }
    r = lock_fd(fd, LOCK_EXCLUSIVE, LL_LOCK_MS);
    if (!r && (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
               !header_valid(h)))
        r = ll_rebuild(fd, path);
    if (!r) {
        void *m = mmap(NULL, LL_FILE_SIZE, PROT_READ | PROT_WRITE,
                       MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            log_error("loginlimit: cannot map file=<%s>: %s", path,
                      strerror(errno));
        else
            ll.map = m;
    }
    lock_unlock(fd);
    if (!ll.map) {
        log_error("loginlimit: file=<%s> unusable; logins are not limited",
                  path);
        close(fd);
    } else {
        ll.fd = fd;
    }
    free(path);
    return ll.map != NULL;
}

static int ll_lock(int mode)
{
    if (lock_fd(ll.fd, mode, LL_LOCK_MS)) {
        log_error("loginlimit: cannot lock the state file; this attempt is "
                  "not limited");
        return 0;
    }
    /* Damaged since it was opened (a foreign write): rebuilt in place,
     * under the exclusive lock, so the limits apply again. */
    if (!header_valid(ll.map)) {
        char *path = login_limit_path();
        int ok = !lock_fd(ll.fd, LOCK_EXCLUSIVE, LL_LOCK_MS) &&
                 (header_valid(ll.map) || !ll_rebuild(ll.fd, path));
        free(path);
        if (!ok) {
            lock_unlock(ll.fd);
            return 0;
        }
    }
    return 1;
}

/* ---- keys and slots ------------------------------------------------------ */

/* FNV-1a over the file's secret, the kind and the name: a client cannot
 * choose names that collide with someone else's slot. */
static uint64_t ll_key(char kind, const char *name)
{
    const unsigned char *secret = ll.map + LL_H_SECRET;
    uint64_t h = 1469598103934665603ULL;
    size_t n = strnlen(name, LL_NAME_MAX);

    for (size_t i = 0; i < LL_SECRET_SIZE; i++)
        h = (h ^ secret[i]) * 1099511628211ULL;
    h = (h ^ (unsigned char)kind) * 1099511628211ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
    return h ? h : 1;
}

static unsigned char *ll_slot(size_t i)
{
    return ll.map + LL_HEADER_SIZE + (i % LL_NSLOTS) * LL_SLOT_SIZE;
}

static void rec_store(unsigned char *p, const struct ll_rec *r)
{
    memset(p, 0, LL_SLOT_SIZE);
    put32(p, (uint32_t)(r->key >> 32));
    put32(p + 4, (uint32_t)r->key);
    put32(p + 8, r->failures);
    put32(p + 12, r->last_fail);
    put32(p + 16, r->locked_until);
    put32(p + LL_S_CRC, util_crc32(0, p, LL_S_CRC));
}

/* 1 if the slot holds a record that is still in force at now. */
static int rec_load(const unsigned char *p, uint32_t now, struct ll_rec *r)
{
    uint64_t window = (uint64_t)conf_getint(CONF_LOGINLIMIT_WINDOW);

    r->key = (uint64_t)get32(p) << 32 | get32(p + 4);
    r->failures = get32(p + 8);
    r->last_fail = get32(p + 12);
    r->locked_until = get32(p + 16);
    if (!r->key || get32(p + LL_S_CRC) != util_crc32(0, p, LL_S_CRC))
        return 0;
    return r->locked_until > now || (uint64_t)r->last_fail + window > now;
}

/* The slot of key (record in *r), or NULL.  With create, a missing one is
 * made in a free slot, else in the unlocked one with the oldest failure;
 * NULL only when the whole window is locked. */
static unsigned char *ll_find(uint64_t key, uint32_t now, int create,
                              struct ll_rec *r)
{
    unsigned char *free_slot = NULL, *victim = NULL;
    uint32_t victim_time = 0;
    struct ll_rec cur;

    for (size_t i = 0; i < LL_PROBE; i++) {
        unsigned char *p = ll_slot((size_t)(key % LL_NSLOTS) + i);
        if (!rec_load(p, now, &cur)) {
            if (!free_slot)
                free_slot = p;
            continue;
        }
        if (cur.key == key) {
            *r = cur;
            return p;
        }
        if (cur.locked_until <= now && (!victim || cur.last_fail < victim_time)) {
            victim = p;
            victim_time = cur.last_fail;
        }
    }
    if (!create || !(free_slot || victim))
        return NULL;
    memset(r, 0, sizeof(*r));
    r->key = key;
    return free_slot ? free_slot : victim;
}

/* ---- what is counted ----------------------------------------------------- */

/* The names counted for this attempt: "u" the user (canonified), "a" the
 * client address; NULL where there is none or its limit is off. */
struct ll_names {
    struct buf user;
    char addr[64];
    int has_user, has_addr;
};

static void ll_names_init(struct ll_names *n, const char *clienthost,
                          const char *user)
{
    const char *open = clienthost ? strrchr(clienthost, '[') : NULL;
    const char *close = open ? strchr(open, ']') : NULL;

    memset(n, 0, sizeof(*n));
    buf_init(&n->user);
    if (user && *user && conf_getint(CONF_LOGINLIMIT_USER) > 0) {
        if (auth_canonify_userid(user, strlen(user), &n->user)) {
            buf_reset(&n->user);
            for (const char *s = user; *s; s++)
                buf_putc(&n->user, (char)(*s >= 'A' && *s <= 'Z'
                                          ? *s - 'A' + 'a' : *s));
        }
        n->has_user = 1;
    }
    if (close && conf_getint(CONF_LOGINLIMIT_CLIENT) > 0 &&
        (size_t)(close - open - 1) < sizeof(n->addr) &&
        strncmp(open, "[local]", 7) != 0 && close > open + 1) {
        memcpy(n->addr, open + 1, (size_t)(close - open - 1));
        n->has_addr = 1;
    }
}

static uint32_t ll_now(void)
{
    return (uint32_t)time(NULL);
}

enum login_limit_verdict login_limit_check(const char *clienthost,
                                           const char *mech,
                                           const char *user)
{
    enum login_limit_verdict v = LOGIN_LIMIT_OK;
    struct ll_names n;
    struct ll_rec r;
    uint32_t now = ll_now();

    ll_names_init(&n, clienthost, user);
    if ((n.has_user || n.has_addr) && ll_open() && ll_lock(LOCK_SHARED)) {
        if (n.has_user &&
            ll_find(ll_key('u', buf_cstring(&n.user)), now, 0, &r) &&
            r.locked_until > now)
            v = LOGIN_LIMIT_USER;
        else if (n.has_addr && ll_find(ll_key('a', n.addr), now, 0, &r) &&
                 r.locked_until > now)
            v = LOGIN_LIMIT_CLIENT;
        lock_unlock(ll.fd);
    }
    if (v)
        log_warn("badlogin: %s %s %s locked out (%s)", clienthost, mech,
                 user && *user ? user : "-",
                 v == LOGIN_LIMIT_USER ? "user" : "client");
    buf_free(&n.user);
    return v;
}

/* Count one failure of key against limit; returns the failures remembered
 * with this one, and sets *locked when this one started a lockout. */
static uint32_t ll_count(uint64_t key, long long limit, uint32_t now,
                         int *locked)
{
    uint64_t window = (uint64_t)conf_getint(CONF_LOGINLIMIT_WINDOW);
    struct ll_rec r;
    unsigned char *p = ll_find(key, now, 1, &r);
    uint32_t n;

    *locked = 0;
    if (!p)
        return 1;
    if ((uint64_t)r.last_fail + window <= now)
        r.failures = 0;
    n = ++r.failures;
    r.last_fail = now;
    if (r.failures >= limit && r.locked_until <= now) {
        r.locked_until = now + (uint32_t)conf_getint(CONF_LOGINLIMIT_LOCKOUT);
        r.failures = 0;
        *locked = 1;
    }
    rec_store(p, &r);
    return n;
}

static void ll_pause(uint32_t failures)
{
    long long pause = conf_getint(CONF_FAILEDLOGINPAUSE);
    long long max = conf_getint(CONF_LOGINLIMIT_MAXDELAY);

    /* failedloginpause alone is never cut by a smaller maxdelay. */
    if (max < pause)
        max = pause;
    for (uint32_t i = 1; i < failures && pause < max; i++)
        pause *= 2;
    if (pause > max)
        pause = max;
    if (pause > 0)
        sleep((unsigned)pause);
}

void login_limit_failed(const char *clienthost, const char *mech,
                        const char *user, const char *reason)
{
    struct ll_names n;
    uint32_t now = ll_now(), nu = 0, na = 0;
    int locked_user = 0, locked_addr = 0;
    long long lockout = conf_getint(CONF_LOGINLIMIT_LOCKOUT);

    log_warn("badlogin: %s %s %s %s", clienthost, mech,
             user && *user ? user : "-", reason);
    ll_names_init(&n, clienthost, user);
    if ((n.has_user || n.has_addr) && ll_open() && ll_lock(LOCK_EXCLUSIVE)) {
        if (n.has_user)
            nu = ll_count(ll_key('u', buf_cstring(&n.user)),
                          conf_getint(CONF_LOGINLIMIT_USER), now,
                          &locked_user);
        if (n.has_addr)
            na = ll_count(ll_key('a', n.addr),
                          conf_getint(CONF_LOGINLIMIT_CLIENT), now,
                          &locked_addr);
        lock_unlock(ll.fd);
    }
    if (locked_user)
        log_warn("lockout: %s user=<%s> by=user failures=<%u> seconds=<%lld>",
                 clienthost, buf_cstring(&n.user), nu, lockout);
    if (locked_addr)
        log_warn("lockout: %s user=<%s> by=client failures=<%u> "
                 "seconds=<%lld>", clienthost, user && *user ? user : "-",
                 na, lockout);
    buf_free(&n.user);
    ll_pause(nu > na ? nu : na);
}

void login_limit_succeeded(const char *user)
{
    struct ll_names n;
    struct ll_rec r;
    uint32_t now = ll_now();
    unsigned char *p;

    ll_names_init(&n, NULL, user);
    /* The common case, a user without failures, costs a shared lock. */
    if (n.has_user && ll_open() && ll_lock(LOCK_SHARED)) {
        uint64_t key = ll_key('u', buf_cstring(&n.user));
        if (ll_find(key, now, 0, &r) && !lock_fd(ll.fd, LOCK_EXCLUSIVE,
                                                 LL_LOCK_MS) &&
            (p = ll_find(key, now, 0, &r)) && r.locked_until <= now) {
            memset(&r, 0, sizeof(r));
            rec_store(p, &r);
        }
        lock_unlock(ll.fd);
    }
    buf_free(&n.user);
}
