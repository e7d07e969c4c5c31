/* mailbox.c -- open, lock, refresh, append, rewrite and expunge one
 * mailbox's files; see mailbox.h for the locking and crash-safety rules.
 *
 * Invariants kept here:
 *  - the index header on disk is written last in every change, and only
 *    after the records and cache entries it counts are fsynced;
 *  - cyrus.index and cyrus.cache carry the same generation; an expunge makes
 *    both files anew, renaming the index first (the commit point);
 *  - a message file is unlinked only after the index without it is durable.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mailbox_private.h"

static const unsigned char cache_magic[4] = { 0x89, 'C', 'H', 'C' };
#define CACHE_OFF_GENERATION 8
#define CACHE_OFF_CRC 28
#define CACHE_ENTRY_OVERHEAD 8      /* u32 length, u32 crc */
#define MAILBOX_LOCK_TIMEOUT_MS 60000


static char *mailbox_file(const struct mailbox *mb, const char *file)
{
    return strconcat(mb->path, "/", file, (char *)NULL);
}

void mailbox_message_path(const struct mailbox *mb, uint32_t uid,
                          struct buf *out)
{
    buf_reset(out);
    buf_printf(out, "%s/%u.", mb->path, uid);
}

static void cache_header_encode(uint32_t generation,
                                unsigned char out[MAILBOX_CACHE_HEADER_SIZE])
{
    memset(out, 0, MAILBOX_CACHE_HEADER_SIZE);
    memcpy(out, cache_magic, 4);
    out[4] = 0;
    out[5] = MAILBOX_INDEX_MAJOR;
    util_put32(out + CACHE_OFF_GENERATION, generation);
    util_put32(out + CACHE_OFF_CRC, util_crc32(0, out, CACHE_OFF_CRC));
}

void mailbox_cache_header_append(struct buf *out, uint32_t generation)
{
    unsigned char h[MAILBOX_CACHE_HEADER_SIZE];
    cache_header_encode(generation, h);
    buf_appendmap(out, h, sizeof(h));
}

void mailbox_cache_entry_append(struct buf *out, const void *data, size_t len)
{
    unsigned char hdr[CACHE_ENTRY_OVERHEAD];
    util_put32(hdr, (uint32_t)len);
    util_put32(hdr + 4, util_crc32(0, data, len));
    buf_appendmap(out, hdr, sizeof(hdr));
    buf_appendmap(out, data, len);
}

static int cache_header_generation(int fd, uint32_t *gen_r)
{
    unsigned char h[MAILBOX_CACHE_HEADER_SIZE];
    if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h, cache_magic, 4) || h[5] != MAILBOX_INDEX_MAJOR ||
        util_get32(h + CACHE_OFF_CRC) != util_crc32(0, h, CACHE_OFF_CRC))
        return ERR_BADFORMAT;
    *gen_r = util_get32(h + CACHE_OFF_GENERATION);
    return ERR_OK;
}

/* Where record n starts in cyrus.index, in the file's own geometry. */
static size_t index_record_off(const struct index_header *h, uint32_t n)
{
    return (size_t)h->header_size + (size_t)n * h->record_size;
}

static int index_header_read(int fd, struct index_header *h)
{
    unsigned char buf[MAILBOX_INDEX_SIZE_MAX];
    ssize_t n = pread(fd, buf, sizeof(buf), 0);
    if (n < 0)
        return ERR_IO;
    return mailbox_index_header_decode(buf, (size_t)n, h);
}

static int index_header_write(int fd, const struct index_header *h)
{
    unsigned char buf[MAILBOX_INDEX_SIZE_MAX];
    mailbox_index_header_encode(h, buf);
    return retry_pwrite(fd, buf, h->header_size, 0) < 0 ? ERR_IO : ERR_OK;
}

static int mailbox_corrupt(const struct mailbox *mb, const char *file,
                           const char *why)
{
    log_error("mailbox corrupt: mailbox=<%s> file=<%s/%s> reason=<%s>; "
              "run reconstruct", mb->name, mb->path, file, why);
    return ERR_BADFORMAT;
}

static int mailbox_header_unchanged(const struct mailbox_private *p,
                                    const struct stat *st)
{
    return st->st_ino == p->header_ino && st->st_size == p->header_size &&
           st->st_mtim.tv_sec == p->header_mtime.tv_sec &&
           st->st_mtim.tv_nsec == p->header_mtime.tv_nsec;
}

static void mailbox_header_remember(struct mailbox_private *p,
                                    const struct stat *st)
{
    p->header_ino = st->st_ino;
    p->header_size = st->st_size;
    p->header_mtime = st->st_mtim;
}

/* Read cyrus.header again if it was replaced since we last read it. */
static int mailbox_read_header_file(struct mailbox *mb)
{
    char *path = mailbox_file(mb, MAILBOX_HEADER_FILE);
    char *data = NULL;
    size_t len;
    struct stat st;
    int r;

    if (stat(path, &st) < 0) {
        r = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        goto done;
    }
    if (mailbox_header_unchanged(mb->priv, &st)) {
        r = ERR_OK;
        goto done;
    }
    r = util_read_file(path, &data, &len);
    if (r)
        goto done;
    r = mailbox_header_parse(data, len, mb);
    if (r)
        r = mailbox_corrupt(mb, MAILBOX_HEADER_FILE, "bad header file");
    else
        mailbox_header_remember(mb->priv, &st);
done:
    free(data);
    free(path);
    return r;
}

static void mailbox_close_files(struct mailbox_private *p)
{
    map_free(&p->index_map);
    map_free(&p->cache_map);
    if (p->index_fd >= 0)
        close(p->index_fd);
    if (p->cache_fd >= 0)
        close(p->cache_fd);
    p->index_fd = p->cache_fd = -1;
    p->locked = 0;
}

/* After a crash inside an expunge the new index may be in place while the
 * new cache still waits as cyrus.cache.NEW: finish that rename. */
static int mailbox_finish_expunge(struct mailbox *mb, uint32_t generation)
{
    char *newpath = mailbox_file(mb, MAILBOX_CACHE_FILE ".NEW");
    char *path = mailbox_file(mb, MAILBOX_CACHE_FILE);
    uint32_t gen = 0;
    int fd = open(newpath, O_RDONLY | O_CLOEXEC);
    int r = ERR_BADFORMAT;

    if (fd >= 0) {
        if (!cache_header_generation(fd, &gen) && gen == generation &&
            rename(newpath, path) == 0 && !util_fsync_dir(mb->path)) {
            log_notice("finished interrupted expunge: mailbox=<%s>", mb->name);
            r = ERR_OK;
        }
        close(fd);
    }
    free(newpath);
    free(path);
    return r;
}

/* Open cyrus.index by path, without a lock (lockmode 0) or with one, and
 * make sure the fd still names the file at that path. */
static int mailbox_open_index(const char *ipath, int lock, int timeout_ms,
                              int *fd_r, ino_t *ino_r)
{
    struct stat st, pst;
    int r;

    for (int tries = 0; tries < 100; tries++) {
        if (lock) {
            r = lock_open_locked(ipath, O_RDWR, 0, lock, timeout_ms, fd_r);
            if (r)
                return r;
        } else if ((*fd_r = open(ipath, O_RDWR | O_CLOEXEC)) < 0) {
            return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        }
        if (fstat(*fd_r, &st) == 0 && stat(ipath, &pst) == 0 &&
            st.st_ino == pst.st_ino) {
            *ino_r = st.st_ino;
            return ERR_OK;
        }
        close(*fd_r);       /* replaced by an expunge meanwhile: again */
        *fd_r = -1;
    }
    return ERR_LOCKED;
}

/* Open cyrus.index and cyrus.cache and map them.  With lockmode
 * MAILBOX_EXCLUSIVE the lock is held on return; otherwise no lock is held.
 * Readers do not lock: the committed header is one CRC-checked write.  Only
 * a torn header (a writer mid-commit) or a generation mismatch (an expunge
 * mid-rename) makes a reader wait for a shared lock, and a mismatch that
 * survives it (a crash mid-expunge) is repaired under the exclusive lock. */
static int mailbox_open_files(struct mailbox *mb, int lockmode,
                              int timeout_ms)
{
    struct mailbox_private *p = mb->priv;
    char *ipath = mailbox_file(mb, MAILBOX_INDEX_FILE);
    char *cpath = mailbox_file(mb, MAILBOX_CACHE_FILE);
    const char *why = NULL, *whyfile = MAILBOX_INDEX_FILE;
    uint32_t cgen = 0;
    int r = ERR_BADFORMAT, lock = 0;

    mailbox_close_files(p);
    /* Attempts: 0 as asked (no lock for readers); 1-2 under a shared lock,
     * which waits out a writer's commit or expunge; 3-4 under the
     * exclusive lock, which may finish an expunge a crash interrupted.
     * Only a failure that survives them all is logged as corruption. */
    for (int attempt = 0; attempt < 5; attempt++) {
        lock = lockmode == MAILBOX_EXCLUSIVE || attempt >= 3 ? LOCK_EXCLUSIVE
               : attempt >= 1                                ? LOCK_SHARED
                                                             : 0;
        if (attempt == 2)
            usleep(10000);
        mailbox_close_files(p);
        r = mailbox_open_index(ipath, lock, timeout_ms, &p->index_fd,
                               &p->index_ino);
        if (r)
            goto done;
        if (index_header_read(p->index_fd, &mb->i)) {
            r = ERR_BADFORMAT;
            why = "bad index header";
            whyfile = MAILBOX_INDEX_FILE;
            if (lock)
                goto done;
            continue;       /* maybe torn by a writer: look under a lock */
        }
        p->cache_fd = open(cpath, O_RDWR | O_CLOEXEC);
        if (p->cache_fd < 0 || cache_header_generation(p->cache_fd, &cgen)) {
            r = ERR_BADFORMAT;
            why = "missing or bad cache";
            whyfile = MAILBOX_CACHE_FILE;
            if (lock)
                goto done;
            continue;
        }
        if (cgen == mb->i.generation) {
            r = ERR_OK;
            break;
        }
        if (lock == LOCK_EXCLUSIVE && !mailbox_finish_expunge(mb, mb->i.generation)) {
            close(p->cache_fd);
            p->cache_fd = open(cpath, O_RDWR | O_CLOEXEC);
            if (p->cache_fd >= 0 && !cache_header_generation(p->cache_fd, &cgen)
                && cgen == mb->i.generation) {
                r = ERR_OK;
                break;
            }
        }
        r = ERR_BADFORMAT;
        why = "generation mismatch";
        whyfile = MAILBOX_CACHE_FILE;
        if (lock == LOCK_EXCLUSIVE && (attempt >= 4 ||
                                       lockmode == MAILBOX_EXCLUSIVE))
            goto done;
    }
    if (r)
        goto done;
    p->committed = mb->i;
    if (map_refresh(&p->index_map, p->index_fd, ipath) ||
        map_refresh(&p->cache_map, p->cache_fd, cpath)) {
        r = ERR_IO;
        goto done;
    }
    if (lockmode == MAILBOX_EXCLUSIVE) {
        p->locked = 1;
    } else if (lock) {
        lock_unlock(p->index_fd);
    }
done:
    if (r == ERR_BADFORMAT && why)
        mailbox_corrupt(mb, whyfile, why);
    if (r && p->index_fd >= 0)
        mailbox_close_files(p);
    free(ipath);
    free(cpath);
    return r;
}

static struct mailbox *mailbox_new(const char *name, const char *path)
{
    struct mailbox *mb = xzmalloc(sizeof(*mb));
    mb->name = xstrdup(name);
    mb->path = xstrdup(path);
    mb->priv = xzmalloc(sizeof(*mb->priv));
    mb->priv->index_fd = mb->priv->cache_fd = -1;
    mb->priv->header_ino = (ino_t)-1;
    return mb;
}

/* Under the exclusive lock, before any change: a file of a newer minor
 * version is read-only to us; an older one is upgraded now. */
static int mailbox_writable(struct mailbox *mb)
{
    if (mb->i.minor > MAILBOX_INDEX_MINOR) {
        log_error("mailbox: cyrus.index is of a newer format, read-only to "
                  "this version: mailbox=<%s> version=<%d.%u> known=<%d.%d>",
                  mb->name, MAILBOX_INDEX_MAJOR, mb->i.minor,
                  MAILBOX_INDEX_MAJOR, MAILBOX_INDEX_MINOR);
        return ERR_BADFORMAT;
    }
    return mailbox_upgrade(mb);
}

/* mailbox_open(), waiting up to timeout_ms for a lock. */
static int mailbox_open_waiting(const char *name, const char *path,
                                int lockmode, int timeout_ms,
                                struct mailbox **mb_r)
{
    struct mailbox *mb = mailbox_new(name, path);
    char *ipath = mailbox_file(mb, MAILBOX_INDEX_FILE);
    int r;

    *mb_r = NULL;
    if (access(ipath, F_OK) < 0) {
        r = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        goto done;
    }
    r = mailbox_open_files(mb, lockmode, timeout_ms);
    if (!r)
        r = mailbox_read_header_file(mb);
    if (!r && lockmode == MAILBOX_EXCLUSIVE)
        r = mailbox_writable(mb);
done:
    free(ipath);
    if (r)
        mailbox_close(&mb);
    *mb_r = mb;
    return r;
}

int mailbox_open(const char *name, const char *path, int lockmode,
                 struct mailbox **mb_r)
{
    return mailbox_open_waiting(name, path, lockmode, MAILBOX_LOCK_TIMEOUT_MS,
                                mb_r);
}

void mailbox_close(struct mailbox **mbp)
{
    struct mailbox *mb = *mbp;
    if (!mb)
        return;
    if (mb->priv->locked && mb->i.num_records != mb->priv->committed.num_records)
        mailbox_abort(mb);
    mailbox_close_files(mb->priv);
    free(mb->priv);
    free(mb->name);
    free(mb->path);
    free(mb->uniqueid);
    free(mb->quotaroot);
    free(mb->acl);
    strarray_fini(&mb->flagnames);
    free(mb);
    *mbp = NULL;
}

/* Our files are no longer the ones at mb->path: an expunge replaced them
 * (a new generation of the same mailbox), or the mailbox was renamed or
 * deleted by someone else (nothing there, or another mailbox).  Open what
 * is at the path as a new view and adopt it only if it is the same
 * mailbox (unique id); otherwise ERR_NOTFOUND and the old view stays as
 * it was, maps and fds intact (it may come back under this name).  Our
 * lock, if any, is dropped first: it is on a file no longer at the path.
 * A lock is waited for up to timeout_ms: the caller's, since one waiting
 * in steps (RENAME, MOVE: mailbox_lock()) must not wait longer here. */
static int mailbox_reopen(struct mailbox *mb, int lockmode, int timeout_ms)
{
    struct mailbox *nb, tmp;
    int r;

    if (mb->priv->locked) {
        lock_unlock(mb->priv->index_fd);
        mb->priv->locked = 0;
    }
    r = mailbox_open_waiting(mb->name, mb->path, lockmode, timeout_ms, &nb);
    if (r)
        return r;
    if (!mb->uniqueid || !nb->uniqueid || strcmp(mb->uniqueid, nb->uniqueid)) {
        mailbox_close(&nb);
        return ERR_NOTFOUND;
    }
    tmp = *mb;
    *mb = *nb;
    *nb = tmp;
    mailbox_close(&nb);
    return ERR_OK;
}

/* Re-read the header through our fd; reopen if the file was replaced. */
static int mailbox_sync_view(struct mailbox *mb, struct mailbox_changes *ch,
                             int timeout_ms)
{
    struct mailbox_private *p = mb->priv;
    char *ipath = mailbox_file(mb, MAILBOX_INDEX_FILE);
    char *cpath = mailbox_file(mb, MAILBOX_CACHE_FILE);
    struct index_header h;
    struct stat st;
    int r;

    if (ch) {
        ch->expunged = 0;
        ch->old_num_records = mb->i.num_records;
        ch->old_highest_modseq = mb->i.highest_modseq;
    }
    if (stat(ipath, &st) < 0) {
        r = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        goto done;
    }
    if (st.st_ino != p->index_ino) {
        /* An expunge replaced the files (a new generation), or another
         * mailbox is at our path now. */
        r = mailbox_reopen(mb, p->locked ? MAILBOX_EXCLUSIVE
                                         : MAILBOX_UNLOCKED, timeout_ms);
        if (ch && !r)
            ch->expunged = 1;
        goto done;
    }
    r = index_header_read(p->index_fd, &h);
    if (r && !p->locked) {
        /* A writer was rewriting the header: read it under its lock. */
        if (!lock_fd(p->index_fd, LOCK_SHARED, MAILBOX_LOCK_TIMEOUT_MS)) {
            r = index_header_read(p->index_fd, &h);
            lock_unlock(p->index_fd);
        }
    }
    if (r) {
        r = mailbox_corrupt(mb, MAILBOX_INDEX_FILE, "bad index header");
        goto done;
    }
    mb->i = p->committed = h;
    if (map_refresh(&p->index_map, p->index_fd, ipath) ||
        map_refresh(&p->cache_map, p->cache_fd, cpath)) {
        r = ERR_IO;
        goto done;
    }
    r = mailbox_read_header_file(mb);
done:
    free(ipath);
    free(cpath);
    return r;
}

void mailbox_swap_files(struct mailbox *mb, int index_fd, int cache_fd,
                        const struct index_header *h)
{
    struct mailbox_private *p = mb->priv;
    char *ipath = mailbox_file(mb, MAILBOX_INDEX_FILE);
    char *cpath = mailbox_file(mb, MAILBOX_CACHE_FILE);
    struct stat st;

    mailbox_close_files(p);
    p->index_fd = index_fd;
    p->cache_fd = cache_fd;
    p->index_ino = fstat(index_fd, &st) == 0 ? st.st_ino : 0;
    p->locked = 1;
    mb->i = p->committed = *h;
    if (map_refresh(&p->index_map, index_fd, ipath) ||
        map_refresh(&p->cache_map, cache_fd, cpath))
        log_error("cannot map rewritten files: mailbox=<%s>", mb->name);
    free(ipath);
    free(cpath);
}

int mailbox_refresh(struct mailbox *mb, struct mailbox_changes *changes)
{
    return mailbox_sync_view(mb, changes, MAILBOX_LOCK_TIMEOUT_MS);
}

int mailbox_lock(struct mailbox *mb, int timeout_ms)
{
    struct mailbox_private *p = mb->priv;
    char *ipath;
    struct stat st;
    int r, same;

    if (p->locked)
        return ERR_OK;
    if (!timeout_ms)
        timeout_ms = MAILBOX_LOCK_TIMEOUT_MS;
    r = lock_fd(p->index_fd, LOCK_EXCLUSIVE, timeout_ms);
    if (r)
        return r;
    ipath = mailbox_file(mb, MAILBOX_INDEX_FILE);
    same = stat(ipath, &st) == 0 && st.st_ino == p->index_ino;
    free(ipath);
    if (same) {
        p->locked = 1;
        r = mailbox_sync_view(mb, NULL, timeout_ms);
    } else {
        /* An expunge replaced the files while we waited (or the mailbox
         * left our path).  Open the current ones under the exclusive lock
         * at once (the locked open checks that it holds the file the path
         * names), instead of reopening unlocked and racing the next
         * expunge. */
        lock_unlock(p->index_fd);
        r = mailbox_reopen(mb, MAILBOX_EXCLUSIVE, timeout_ms);
    }
    if (!r && (r = mailbox_writable(mb)))
        mailbox_unlock(mb);
    return r;
}

void mailbox_unlock(struct mailbox *mb)
{
    if (!mb->priv->locked)
        return;
    if (mb->i.num_records != mb->priv->committed.num_records)
        mailbox_abort(mb);
    lock_unlock(mb->priv->index_fd);
    mb->priv->locked = 0;
}

int mailbox_read_record(const struct mailbox *mb, uint32_t n,
                        struct index_record *rec)
{
    const struct mailbox_private *p = mb->priv;
    uint32_t rsize = mb->i.record_size;
    size_t off = index_record_off(&mb->i, n);
    unsigned char buf[MAILBOX_INDEX_SIZE_MAX];
    const unsigned char *src;

    if (n >= mb->i.num_records)
        return ERR_NOTFOUND;
    if (off + rsize <= p->index_map.len) {
        src = (const unsigned char *)p->index_map.base + off;
    } else {
        /* Staged by us after the last map refresh. */
        if (pread(p->index_fd, buf, rsize, (off_t)off) != (ssize_t)rsize)
            return mailbox_corrupt(mb, MAILBOX_INDEX_FILE, "short index");
        src = buf;
    }
    if (!mailbox_index_record_decode(src, rsize, rec))
        return ERR_OK;
    /* Readers do not lock, and a flag change rewrites its record in place:
     * this may be a torn read.  Writers change records only under the
     * exclusive lock, so one more read under a shared lock is the truth. */
    if (!p->locked &&
        !lock_fd(p->index_fd, LOCK_SHARED, MAILBOX_LOCK_TIMEOUT_MS)) {
        ssize_t got = pread(p->index_fd, buf, rsize, (off_t)off);
        lock_unlock(p->index_fd);
        if (got == (ssize_t)rsize &&
            !mailbox_index_record_decode(buf, rsize, rec))
            return ERR_OK;
    }
    return mailbox_corrupt(mb, MAILBOX_INDEX_FILE, "record CRC");
}

int mailbox_read_records(const struct mailbox *mb, uint32_t first,
                         uint32_t count, struct index_record *recs)
{
    const struct mailbox_private *p = mb->priv;
    const unsigned char *base = (const unsigned char *)p->index_map.base;
    uint32_t i = 0;
    int r;

    if (count > mb->i.num_records || first > mb->i.num_records - count)
        return ERR_NOTFOUND;
    for (; i + 4 <= count; i += 4) {
        uint32_t rsize = mb->i.record_size;
        size_t off = index_record_off(&mb->i, first + i);
        uint32_t crc[4];
        if (off + 4 * (size_t)rsize > p->index_map.len)
            break;
        util_crc32_x4(base + off, rsize, rsize - 4, crc);
        for (int k = 0; k < 4; k++) {
            const unsigned char *rp = base + off + (size_t)k * rsize;
            /* a mismatch (a torn read?): the one-record path decides */
            if (mailbox_index_record_decode_crc(rp, rsize, crc[k],
                                                &recs[i + k]) &&
                (r = mailbox_read_record(mb, first + i + k, &recs[i + k])))
                return r;
        }
    }
    for (; i < count; i++)
        if ((r = mailbox_read_record(mb, first + i, &recs[i])))
            return r;
    return ERR_OK;
}

int mailbox_snapshot(const struct mailbox *mb, struct map *snap)
{
    const struct mailbox_private *p = mb->priv;
    int r;

    map_init(snap);
    if ((r = map_refresh(snap, p->index_fd, MAILBOX_INDEX_FILE)))
        return r;
    if (snap->len < index_record_off(&mb->i, mb->i.num_records)) {
        map_free(snap);
        return mailbox_corrupt(mb, MAILBOX_INDEX_FILE, "short index");
    }
    return ERR_OK;
}

int mailbox_snapshot_record(const struct map *snap, uint32_t n,
                            struct index_record *rec)
{
    const unsigned char *base = (const unsigned char *)snap->base, *p;
    uint32_t hsize, rsize;
    size_t off;

    /* The snapshot's own geometry, from its header (checked when taken). */
    if (snap->len < MAILBOX_INDEX_HEADER_SIZE)
        return ERR_NOTFOUND;
    hsize = util_get32(base + 8);
    rsize = util_get32(base + 12);
    if (!mailbox_index_geometry_ok(hsize, rsize))
        return ERR_BADFORMAT;
    off = (size_t)hsize + (size_t)n * rsize;
    if (off + rsize > snap->len)
        return ERR_NOTFOUND;
    p = base + off;
    if (!mailbox_index_record_decode(p, rsize, rec))
        return ERR_OK;
    mailbox_index_record_decode_unchecked(p, rec);
    return ERR_BADFORMAT;
}

int mailbox_find_uid(const struct mailbox *mb, uint32_t uid, uint32_t *n_r)
{
    uint32_t lo = 0, hi = mb->i.num_records;
    struct index_record rec;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int r = mailbox_read_record(mb, mid, &rec);
        if (r)
            return r;
        if (rec.uid == uid) {
            *n_r = mid;
            return ERR_OK;
        }
        if (rec.uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ERR_NOTFOUND;
}

int mailbox_cache_entry(const struct mailbox *mb,
                        const struct index_record *rec, const char **data_r,
                        size_t *len_r)
{
    const struct map *m = &mb->priv->cache_map;
    uint64_t off = rec->cache_offset;
    const unsigned char *p;
    uint32_t len;

    /* (off is a record's: compared so that a huge one cannot wrap) */
    if (off < MAILBOX_CACHE_HEADER_SIZE || off > m->len ||
        m->len - off < CACHE_ENTRY_OVERHEAD) {
        /* Our own staged entry, not yet mapped: map again. */
        char *cpath = mailbox_file(mb, MAILBOX_CACHE_FILE);
        int r = map_refresh(&mb->priv->cache_map, mb->priv->cache_fd, cpath);
        free(cpath);
        if (r || off < MAILBOX_CACHE_HEADER_SIZE || off > m->len ||
            m->len - off < CACHE_ENTRY_OVERHEAD)
            return mailbox_corrupt(mb, MAILBOX_CACHE_FILE, "bad offset");
    }
    p = (const unsigned char *)m->base + off;
    len = util_get32(p);
    if (len > m->len - off - CACHE_ENTRY_OVERHEAD ||
        util_get32(p + 4) != util_crc32(0, p + 8, len))
        return mailbox_corrupt(mb, MAILBOX_CACHE_FILE, "entry CRC");
    *data_r = (const char *)p + CACHE_ENTRY_OVERHEAD;
    *len_r = len;
    return ERR_OK;
}

static int cache_write_entry(int fd, uint64_t off, const void *data,
                             size_t len)
{
    struct buf b = BUF_INITIALIZER;
    int r = ERR_OK;
    if (len > UINT32_MAX - CACHE_ENTRY_OVERHEAD)
        return ERR_TOOBIG;
    mailbox_cache_entry_append(&b, data, len);
    if (retry_pwrite(fd, b.s, b.len, (off_t)off) < 0)
        r = ERR_IO;
    buf_free(&b);
    return r;
}

int mailbox_append_record(struct mailbox *mb, struct index_record *rec,
                          const void *cache, size_t cache_len)
{
    struct mailbox_private *p = mb->priv;
    unsigned char buf[MAILBOX_INDEX_SIZE_MAX];
    off_t off;
    int r;

    ASSERT(p->locked);
    if (rec->uid <= mb->i.last_uid) {
        log_error("append with non-increasing uid: mailbox=<%s> uid=<%u> "
                  "last_uid=<%u>", mb->name, rec->uid, mb->i.last_uid);
        return ERR_BADARG;
    }
    if (mb->i.cache_size < MAILBOX_CACHE_HEADER_SIZE)
        mb->i.cache_size = MAILBOX_CACHE_HEADER_SIZE;
    r = cache_write_entry(p->cache_fd, mb->i.cache_size, cache ? cache : "",
                          cache_len);
    if (r) {
        log_error_errno("cache write failed: mailbox=<%s>", mb->name);
        return r;
    }
    rec->cache_offset = mb->i.cache_size;
    rec->modseq = ++mb->i.highest_modseq;
    rec->last_updated = time(NULL);
    if (!rec->savedate)
        rec->savedate = rec->last_updated;
    mailbox_index_record_encode(rec, mb->i.record_size, buf);
    off = (off_t)index_record_off(&mb->i, mb->i.num_records);
    if (retry_pwrite(p->index_fd, buf, mb->i.record_size, off) < 0) {
        log_error_errno("index write failed: mailbox=<%s>", mb->name);
        return ERR_IO;
    }
    mb->i.cache_size += CACHE_ENTRY_OVERHEAD + cache_len;
    mb->i.num_records++;
    mb->i.last_uid = rec->uid;
    mb->i.quota_used += rec->size;
    if (rec->system_flags & FLAG_DELETED)
        mb->i.deleted++;
    mb->i.last_appenddate = rec->last_updated;
    return ERR_OK;
}

void mailbox_abort(struct mailbox *mb)
{
    /* Staged bytes past the committed header are ignored and overwritten. */
    mb->i = mb->priv->committed;
}

int mailbox_rewrite_record(struct mailbox *mb, uint32_t n,
                           struct index_record *rec)
{
    struct index_record old;
    unsigned char buf[MAILBOX_INDEX_SIZE_MAX];
    int r;

    ASSERT(mb->priv->locked);
    r = mailbox_read_record(mb, n, &old);
    if (r)
        return r;
    if (old.uid != rec->uid)
        return ERR_BADARG;
    if ((old.system_flags ^ rec->system_flags) & FLAG_DELETED) {
        if (rec->system_flags & FLAG_DELETED)
            mb->i.deleted++;
        else if (mb->i.deleted)
            mb->i.deleted--;
    }
    rec->modseq = ++mb->i.highest_modseq;
    rec->last_updated = time(NULL);
    mailbox_index_record_encode(rec, mb->i.record_size, buf);
    if (retry_pwrite(mb->priv->index_fd, buf, mb->i.record_size,
                     (off_t)index_record_off(&mb->i, n)) < 0) {
        log_error_errno("index write failed: mailbox=<%s>", mb->name);
        return ERR_IO;
    }
    return ERR_OK;
}

int mailbox_commit(struct mailbox *mb)
{
    struct mailbox_private *p = mb->priv;
    int r;

    ASSERT(p->locked);
    mb->i.last_updated = time(NULL);
    if ((r = util_fsync_fd(p->cache_fd)) || (r = util_fsync_fd(p->index_fd)) ||
        (r = index_header_write(p->index_fd, &mb->i)) ||
        (r = util_fsync_fd(p->index_fd))) {
        log_error_errno("commit failed: mailbox=<%s>", mb->name);
        mailbox_abort(mb);
        return r;
    }
    p->committed = mb->i;
    return ERR_OK;
}

int mailbox_claim_recent(struct mailbox *mb, uint32_t *recent_above_r)
{
    int was_locked = mb->priv->locked;
    int r = was_locked ? ERR_OK : mailbox_lock(mb, 0);

    if (r)
        return r;
    *recent_above_r = mb->i.recent_uid;
    if (mb->i.recent_uid < mb->i.last_uid) {
        mb->i.recent_uid = mb->i.last_uid;
        r = mailbox_commit(mb);
    }
    if (!was_locked)
        mailbox_unlock(mb);
    return r;
}

int mailbox_user_flag(struct mailbox *mb, const char *flag, int create,
                      int *idx_r)
{
    long i = strarray_find_case(&mb->flagnames, flag);
    if (i >= 0) {
        *idx_r = (int)i;
        return ERR_OK;
    }
    if (!create)
        return ERR_NOTFOUND;
    ASSERT(mb->priv->locked);
    if (mb->flagnames.count >= MAILBOX_MAX_USER_FLAGS)
        return ERR_TOOBIG;
    strarray_append(&mb->flagnames, flag);
    *idx_r = (int)mb->flagnames.count - 1;
    return mailbox_write_header(mb);
}

int mailbox_write_header(struct mailbox *mb)
{
    struct buf b = BUF_INITIALIZER;
    char *path = mailbox_file(mb, MAILBOX_HEADER_FILE);
    struct stat st;
    int r;

    mailbox_header_format(mb, &b);
    r = util_atomic_replace(path, b.s, b.len, 0600);
    if (!r && stat(path, &st) == 0)
        mailbox_header_remember(mb->priv, &st);
    buf_free(&b);
    free(path);
    return r;
}

int mailbox_create(const char *name, const char *path, const char *uniqueid,
                   const char *acl, const char *quotaroot,
                   uint32_t uidvalidity)
{
    struct mailbox *mb = mailbox_new(name, path);
    unsigned char ih[MAILBOX_INDEX_HEADER_SIZE], ch[MAILBOX_CACHE_HEADER_SIZE];
    struct index_header h;
    char *ipath = mailbox_file(mb, MAILBOX_INDEX_FILE);
    char *tmp = mailbox_file(mb, MAILBOX_INDEX_FILE ".NEW");
    char *cpath = mailbox_file(mb, MAILBOX_CACHE_FILE);
    int r;

    mb->uniqueid = xstrdup(uniqueid);
    mb->acl = xstrdup(acl ? acl : "");
    mb->quotaroot = xstrdupnull(quotaroot);
    if ((r = util_mkdir_p(path, 0700)))
        goto done;
    if (access(ipath, F_OK) == 0) {
        r = ERR_EXISTS;
        goto done;
    }
    memset(&h, 0, sizeof(h));
    h.uidvalidity = uidvalidity ? uidvalidity : (uint32_t)time(NULL);
    h.highest_modseq = 1;
    h.cache_size = MAILBOX_CACHE_HEADER_SIZE;
    h.last_updated = time(NULL);
    mailbox_index_header_encode(&h, ih);
    cache_header_encode(0, ch);
    if ((r = mailbox_write_header(mb)) ||
        (r = util_atomic_replace(cpath, ch, sizeof(ch), 0600)) ||
        (r = util_atomic_replace(tmp, ih, sizeof(ih), 0600)))
        goto done;
    /* link() is an atomic exclusive create: two creators cannot both win. */
    if (link(tmp, ipath) < 0) {
        r = errno == EEXIST ? ERR_EXISTS : ERR_IO;
        unlink(tmp);
        goto done;
    }
    unlink(tmp);
    r = util_fsync_dir(path);
done:
    if (r && r != ERR_EXISTS)
        log_error("mailbox create failed: mailbox=<%s> path=<%s> error=<%s>",
                  name, path, error_string(r));
    free(ipath);
    free(tmp);
    free(cpath);
    mailbox_close(&mb);
    return r;
}
