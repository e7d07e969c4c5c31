/* mailbox_expunge.c -- remove records by rewriting cyrus.index and
 * cyrus.cache, and remove a mailbox's files.
 *
 * The rewrite writes cyrus.cache.NEW and cyrus.index.NEW (generation + 1),
 * fsyncs both, locks the new index, renames it over cyrus.index (the commit
 * point), renames the new cache, fsyncs the directory, and only then
 * unlinks the expunged message files.  Holding the lock on the new index
 * before it becomes visible means no other writer can see the index and
 * cache disagree; after a crash between the renames, mailbox_open finishes
 * the cache rename.  Readers keep their maps of the old files (a snapshot)
 * until they refresh.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mailbox_private.h"
#include "imap/mailstore/quota.h"

struct expunge_files {
    int index_fd;
    int cache_fd;
    char *index_tmp;
    char *cache_tmp;
    struct buf index;       /* records of the new index */
    struct buf cache;       /* the new cache file */
    struct index_record *gone;  /* the records removed (tombstones) */
    size_t ngone, gone_alloc;
};

static void expunge_files_free(struct expunge_files *f)
{
    if (f->index_fd >= 0)
        close(f->index_fd);
    if (f->cache_fd >= 0)
        close(f->cache_fd);
    free(f->index_tmp);
    free(f->cache_tmp);
    buf_free(&f->index);
    buf_free(&f->cache);
    free(f->gone);
}

/* Build the surviving records and their cache entries in memory. */
static int expunge_collect(struct mailbox *mb, struct expunge_files *f,
                           struct index_header *nh,
                           int (*want)(const struct index_record *, void *),
                           void *rock, uint32_t **uids, size_t *nuids,
                           uint64_t *freed)
{
    unsigned char rbuf[MAILBOX_INDEX_SIZE_MAX];
    struct index_record rec;
    size_t alloc = 0;
    int r;

    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        const char *data;
        size_t len;
        if ((r = mailbox_read_record(mb, n, &rec)))
            return r;
        if (want(&rec, rock)) {
            if (f->ngone == f->gone_alloc) {
                f->gone_alloc = f->gone_alloc ? f->gone_alloc * 2 : 64;
                f->gone = xreallocarray(f->gone, f->gone_alloc,
                                        sizeof(*f->gone));
            }
            f->gone[f->ngone++] = rec;
            if (uids) {
                if (*nuids == alloc) {
                    alloc = alloc ? alloc * 2 : 64;
                    *uids = xreallocarray(*uids, alloc, sizeof(uint32_t));
                }
                (*uids)[(*nuids)++] = rec.uid;
            }
            *freed += rec.size;
            continue;
        }
        if ((r = mailbox_cache_entry(mb, &rec, &data, &len)))
            return r;
        rec.cache_offset = f->cache.len;
        mailbox_cache_entry_append(&f->cache, data, len);
        mailbox_index_record_encode(&rec, nh->record_size, rbuf);
        buf_appendmap(&f->index, rbuf, nh->record_size);
        nh->num_records++;
        nh->quota_used += rec.size;
        if (rec.system_flags & FLAG_DELETED)
            nh->deleted++;
    }
    return ERR_OK;
}

static int expunge_write_new(struct mailbox *mb, struct expunge_files *f,
                             const struct index_header *nh)
{
    unsigned char ih[MAILBOX_INDEX_SIZE_MAX];

    f->cache_fd = open(f->cache_tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
                       0600);
    f->index_fd = open(f->index_tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
                       0600);
    if (f->cache_fd < 0 || f->index_fd < 0)
        goto fail;
    mailbox_index_header_encode(nh, ih);
    if (retry_write(f->cache_fd, f->cache.s, f->cache.len) < 0 ||
        util_fsync_fd(f->cache_fd) ||
        retry_write(f->index_fd, ih, nh->header_size) < 0 ||
        retry_write(f->index_fd, f->index.s, f->index.len) < 0 ||
        util_fsync_fd(f->index_fd))
        goto fail;
    /* Nobody can see this file yet, so the lock is ours at once. */
    if (lock_fd(f->index_fd, LOCK_EXCLUSIVE, 0))
        goto fail;
    return ERR_OK;
fail:
    log_error_errno("expunge: cannot write new files: mailbox=<%s>", mb->name);
    return ERR_IO;
}

/* The rewrite behind mailbox_expunge and mailbox_upgrade: new files in
 * the current format without the records want() picks; when none is
 * picked, only if force. */
static int expunge_rewrite(struct mailbox *mb,
                           int (*want)(const struct index_record *, void *),
                           void *rock, uint32_t **expunged,
                           size_t *nexpunged, int force)
{
    struct mailbox_private *p = mb->priv;
    struct expunge_files f = { -1, -1, NULL, NULL, BUF_INITIALIZER,
                               BUF_INITIALIZER, NULL, 0, 0 };
    struct index_header nh = mb->i;
    char *ipath = NULL, *cpath = NULL;
    size_t nuids = 0, first = nexpunged ? *nexpunged : 0;
    uint32_t *uids = expunged ? *expunged : NULL;
    uint64_t freed = 0;
    uint32_t removed = 0;
    struct buf path = BUF_INITIALIZER;
    int r;

    ASSERT(p->locked);
    nuids = first;
    /* The new files are in the current format: an older one is upgraded. */
    nh.minor = MAILBOX_INDEX_MINOR;
    nh.header_size = MAILBOX_INDEX_HEADER_SIZE;
    nh.record_size = MAILBOX_INDEX_RECORD_SIZE;
    nh.generation++;
    nh.num_records = nh.deleted = 0;
    nh.quota_used = 0;
    nh.highest_modseq++;
    nh.last_updated = time(NULL);
    mailbox_cache_header_append(&f.cache, nh.generation);
    r = expunge_collect(mb, &f, &nh, want, rock, expunged ? &uids : NULL,
                        &nuids, &freed);
    if (r || (nh.num_records == mb->i.num_records && !force))
        goto done;              /* nothing to expunge: no rewrite */
    nh.cache_size = f.cache.len;

    f.index_tmp = strconcat(mb->path, "/" MAILBOX_INDEX_FILE ".NEW", (char *)NULL);
    f.cache_tmp = strconcat(mb->path, "/" MAILBOX_CACHE_FILE ".NEW", (char *)NULL);
    ipath = strconcat(mb->path, "/" MAILBOX_INDEX_FILE, (char *)NULL);
    cpath = strconcat(mb->path, "/" MAILBOX_CACHE_FILE, (char *)NULL);
    if ((r = expunge_write_new(mb, &f, &nh)))
        goto done;
    /* The tombstones first: after a crash from here on an expunged UID is
     * live in the index (before the commit) or tombstoned (after). */
    if (f.ngone && (r = mailbox_tombstones_write(mb, &nh, f.gone, f.ngone)))
        goto done;
    if ((r = mailbox_quota_begin(mb)))
        goto done;
    if (rename(f.index_tmp, ipath) < 0) {
        log_error_errno("expunge: rename failed: file=<%s>", ipath);
        mailbox_quota_end(mb);          /* nothing changed */
        r = ERR_IO;
        goto done;
    }
    /* Committed.  From here on the new files are the mailbox. */
    if (rename(f.cache_tmp, cpath) < 0 || util_fsync_dir(mb->path))
        log_error_errno("expunge: finishing rename: file=<%s>", cpath);
    removed = mb->i.num_records - nh.num_records;
    mailbox_swap_files(mb, f.index_fd, f.cache_fd, &nh);
    f.index_fd = f.cache_fd = -1;
    /* The quota root settles with the new usage (a kill before this is
     * settled by the next writer or GETQUOTA: quota.h, CRASHES). */
    mailbox_quota_end(mb);

    /* expunge_mode delayed: the files stay with their tombstones, for
     * unexpunge, until tomb_merge() drops them (mailbox_tombstone.c). */
    for (size_t k = 0; k < f.ngone && !mailbox_expunge_delayed(); k++) {
        mailbox_message_path(mb, f.gone[k].uid, &path);
        if (unlink(buf_cstring(&path)) < 0 && errno != ENOENT)
            log_error_errno("expunge: unlink failed: file=<%s>", path.s);
    }
    util_fsync_dir(mb->path);
    if (removed)
        log_info("expunged: mailbox=<%s> count=<%u>%s", mb->name, removed,
                 mailbox_expunge_delayed() ? " files=<kept>" : "");
done:
    if (f.index_fd >= 0)
        unlink(f.index_tmp);
    if (f.cache_fd >= 0 && f.cache_tmp)
        unlink(f.cache_tmp);
    expunge_files_free(&f);
    buf_free(&path);
    free(ipath);
    free(cpath);
    if (expunged)
        *expunged = uids;
    else
        free(uids);
    if (nexpunged)
        *nexpunged = nuids;
    return r;
}

int mailbox_expunge_delayed(void)
{
    return strcmp(conf_getstring(CONF_EXPUNGE_MODE), "immediate") != 0;
}

/* A message file is named by digits and a dot. */
static int is_message_file(const char *name)
{
    size_t n = strspn(name, "0123456789");
    return n > 0 && name[n] == '.' && name[n + 1] == '\0';
}

int mailbox_delete_files(struct mailbox *mb)
{
    static const char *const files[] = {
        MAILBOX_INDEX_FILE, MAILBOX_CACHE_FILE, MAILBOX_HEADER_FILE,
        MAILBOX_EXPUNGE_FILE, MAILBOX_INDEX_FILE ".NEW",
        MAILBOX_CACHE_FILE ".NEW", MAILBOX_HEADER_FILE ".NEW",
        MAILBOX_EXPUNGE_FILE ".NEW"
    };
    struct buf path = BUF_INITIALIZER;
    DIR *d = opendir(mb->path);
    struct dirent *de;
    int r = ERR_OK;

    if (!d)
        return errno == ENOENT ? ERR_OK : ERR_IO;
    /* Messages first, the index last: a crash half-way leaves a mailbox
     * that reconstruct can still read. */
    while ((de = readdir(d))) {
        if (!is_message_file(de->d_name))
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%s", mb->path, de->d_name);
        if (unlink(buf_cstring(&path)) < 0 && errno != ENOENT)
            r = ERR_IO;
    }
    closedir(d);
    for (size_t i = sizeof(files) / sizeof(files[0]); i-- > 0;) {
        buf_reset(&path);
        buf_printf(&path, "%s/%s", mb->path, files[i]);
        if (unlink(buf_cstring(&path)) < 0 && errno != ENOENT)
            r = ERR_IO;
    }
    buf_free(&path);
    /* Sub-mailboxes live in sub-directories: then the rmdir fails, fine. */
    if (rmdir(mb->path) < 0 && errno != ENOTEMPTY && errno != EEXIST)
        r = ERR_IO;
    if (r)
        log_error_errno("mailbox delete incomplete: mailbox=<%s>", mb->name);
    return r;
}

int mailbox_expunge(struct mailbox *mb,
                    int (*want)(const struct index_record *rec, void *rock),
                    void *rock, uint32_t **expunged, size_t *nexpunged)
{
    return expunge_rewrite(mb, want, rock, expunged, nexpunged, 0);
}

static int want_none(const struct index_record *rec, void *rock)
{
    (void)rec;
    (void)rock;
    return 0;
}

int mailbox_upgrade(struct mailbox *mb)
{
    unsigned from = mb->i.minor;
    int r;

    ASSERT(mb->priv->locked);
    if (mb->i.minor >= MAILBOX_INDEX_MINOR &&
        mb->i.record_size == MAILBOX_INDEX_RECORD_SIZE &&
        mb->i.header_size == MAILBOX_INDEX_HEADER_SIZE)
        return ERR_OK;
    r = expunge_rewrite(mb, want_none, NULL, NULL, NULL, 1);
    if (r)
        log_error("mailbox: cannot upgrade cyrus.index: mailbox=<%s> "
                  "from=<%d.%u>: %s", mb->name, MAILBOX_INDEX_MAJOR, from,
                  error_string(r));
    else
        log_notice("mailbox: upgraded cyrus.index: mailbox=<%s> "
                   "from=<%d.%u> to=<%d.%d>", mb->name, MAILBOX_INDEX_MAJOR,
                   from, MAILBOX_INDEX_MAJOR, MAILBOX_INDEX_MINOR);
    return r;
}
