/* mailbox_tombstone.c -- cyrus.expunge, the records of expunged messages
 * (mailbox.h, "Tombstones"). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mailbox_private.h"

/* mailbox_tombstones_read, and the generation of the expunge that wrote
 * the file (0 when none) into *gen_r, its pruned_modseq into *pruned_r
 * (UINT64_MAX when the file is unreadable). */
static int tomb_read(const char *dir, uint32_t uidvalidity,
                     struct index_record **recs_r, size_t *n_r,
                     uint32_t *gen_r, uint64_t *pruned_r)
{
    struct buf path = BUF_INITIALIZER;
    struct index_header h;
    struct index_record *recs = NULL;
    char *data = NULL;
    size_t len, n = 0;
    int r;

    *recs_r = NULL;
    *n_r = 0;
    *gen_r = 0;
    *pruned_r = 0;
    buf_printf(&path, "%s/%s", dir, MAILBOX_EXPUNGE_FILE);
    r = util_read_file(path.s, &data, &len);
    if (r) {
        r = r == ERR_NOTFOUND ? ERR_OK : r;
        goto done;
    }
    if ((r = mailbox_index_header_decode((unsigned char *)data, len, &h)) ||
        len < (size_t)h.header_size + (size_t)h.num_records * h.record_size) {
        log_error("mailbox: tombstones unreadable, ignored: file=<%s>",
                  path.s);
        *pruned_r = UINT64_MAX;
        r = ERR_BADFORMAT;
        goto done;
    }
    if (uidvalidity && h.uidvalidity != uidvalidity)
        goto done;
    *gen_r = h.generation;
    *pruned_r = h.pruned_modseq;
    recs = xcalloc(h.num_records ? h.num_records : 1, sizeof(*recs));
    for (uint32_t i = 0; i < h.num_records; i++) {
        const unsigned char *p = (unsigned char *)data + h.header_size +
                                 (size_t)i * h.record_size;
        if (mailbox_index_record_decode(p, h.record_size, &recs[n]) ||
            !(recs[n].system_flags & FLAG_EXPUNGED) ||
            (n && recs[n].uid <= recs[n - 1].uid))
            continue;           /* a damaged one: the others still count */
        n++;
    }
    *recs_r = recs;
    *n_r = n;
    recs = NULL;
done:
    if (r && r != ERR_BADFORMAT)
        *pruned_r = UINT64_MAX;
    free(recs);
    free(data);
    buf_free(&path);
    return r;
}

int mailbox_tombstones_read(const char *dir, uint32_t uidvalidity,
                            struct index_record **recs_r, size_t *n_r)
{
    uint32_t gen;
    uint64_t pruned;
    return tomb_read(dir, uidvalidity, recs_r, n_r, &gen, &pruned);
}

int mailbox_tombstones_read_pruned(const char *dir, uint32_t uidvalidity,
                                   struct index_record **recs_r, size_t *n_r,
                                   uint64_t *pruned_r)
{
    uint32_t gen;
    return tomb_read(dir, uidvalidity, recs_r, n_r, &gen, pruned_r);
}

int mailbox_tombstoned(const struct index_record *t, size_t n, uint32_t uid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].uid == uid)
            return 1;
        if (t[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int tomb_cmp_uid(const void *a, const void *b)
{
    uint32_t x = ((const struct index_record *)a)->uid;
    uint32_t y = ((const struct index_record *)b)->uid;
    return x < y ? -1 : x > y;
}

static int tomb_cmp_age(const void *a, const void *b)
{
    int64_t x = ((const struct index_record *)a)->last_updated;
    int64_t y = ((const struct index_record *)b)->last_updated;
    return x > y ? -1 : x < y;  /* newest first */
}

/* Forget a tombstone: its message file goes too, if a crash left it;
 * *pruned (the file's pruned_modseq) rises to its modseq. */
static void tomb_drop(const struct mailbox *mb, const struct index_record *t,
                      struct buf *path, uint64_t *pruned)
{
    if (t->modseq > *pruned)
        *pruned = t->modseq;
    mailbox_message_path(mb, t->uid, path);
    if (unlink(buf_cstring(path)) == 0)
        log_info("mailbox: removed the file of an expunged message: "
                 "mailbox=<%s> uid=<%u>", mb->name, t->uid);
}

/* The tombstones to keep: the old ones still young, not live in the
 * index (stale) and not expunged again now, then the new ones; newest
 * first when there are too many. */
static size_t tomb_merge(const struct mailbox *mb, int stale_possible,
                         const struct index_record *old, size_t nold,
                         const struct index_record *gone, size_t ngone,
                         const struct index_header *nh,
                         struct index_record *out, uint64_t *pruned)
{
    int64_t now = time(NULL);
    int64_t limit = now - (int64_t)conf_getint(CONF_EXPUNGE_TOMBSTONE_DAYS) *
                          86400;
    struct buf path = BUF_INITIALIZER;
    size_t n = 0;
    uint32_t recno;

    for (size_t i = 0; i < nold; i++) {
        if (stale_possible && !mailbox_find_uid(mb, old[i].uid, &recno))
            continue;           /* live: a stale tombstone */
        if (old[i].last_updated < limit)
            tomb_drop(mb, &old[i], &path, pruned);
        else
            out[n++] = old[i];
    }
    for (size_t i = 0; i < ngone; i++) {
        out[n] = gone[i];
        out[n].system_flags |= FLAG_EXPUNGED;
        out[n].modseq = nh->highest_modseq;
        out[n].last_updated = now;
        out[n].cache_offset = 0;
        n++;
    }
    if (n > MAILBOX_TOMBSTONES_MAX) {
        qsort(out, n, sizeof(*out), tomb_cmp_age);
        for (size_t i = MAILBOX_TOMBSTONES_MAX; i < n; i++)
            tomb_drop(mb, &out[i], &path, pruned);
        n = MAILBOX_TOMBSTONES_MAX;
    }
    qsort(out, n, sizeof(*out), tomb_cmp_uid);
    buf_free(&path);
    return n;
}

/* Replace cyrus.expunge with these, atomically and durably. */
static int tomb_write_file(const struct mailbox *mb,
                           const struct index_header *nh,
                           const struct index_record *recs, size_t n,
                           uint64_t pruned)
{
    unsigned char hb[MAILBOX_INDEX_SIZE_MAX], rb[MAILBOX_INDEX_SIZE_MAX];
    struct index_header h = *nh;
    struct buf out = BUF_INITIALIZER, path = BUF_INITIALIZER;
    int r;

    h.minor = MAILBOX_INDEX_MINOR;
    h.header_size = MAILBOX_INDEX_HEADER_SIZE;
    h.record_size = MAILBOX_INDEX_RECORD_SIZE;
    h.num_records = (uint32_t)n;
    h.deleted = 0;
    h.quota_used = 0;
    h.cache_size = 0;
    h.pruned_modseq = pruned;
    mailbox_index_header_encode(&h, hb);
    buf_appendmap(&out, hb, h.header_size);
    for (size_t i = 0; i < n; i++) {
        mailbox_index_record_encode(&recs[i], h.record_size, rb);
        buf_appendmap(&out, rb, h.record_size);
    }
    buf_printf(&path, "%s/%s", mb->path, MAILBOX_EXPUNGE_FILE);
    if ((r = util_atomic_replace(path.s, out.s, out.len, 0600)))
        log_error("mailbox: cannot write tombstones: file=<%s>", path.s);
    buf_free(&out);
    buf_free(&path);
    return r;
}

int mailbox_tombstones_write(struct mailbox *mb, const struct index_header *nh,
                             const struct index_record *gone, size_t ngone)
{
    struct index_record *old = NULL, *merged;
    size_t nold = 0, n;
    uint32_t gen;
    uint64_t pruned;
    int r;

    /* An unreadable file: start afresh (logged by the read); what it knew
     * is lost up to this expunge. */
    (void)tomb_read(mb->path, mb->i.uidvalidity, &old, &nold, &gen, &pruned);
    if (pruned == UINT64_MAX)
        pruned = mb->i.highest_modseq;
    merged = xcalloc(nold + ngone + 1, sizeof(*merged));
    /* The file is written with the generation of its expunge, before that
     * expunge commits: if the index has reached it, that expunge committed
     * and no tombstone can be live (no lookup per tombstone, the common
     * case); if not, it was cut short and its tombstones may be stale. */
    n = tomb_merge(mb, gen != mb->i.generation, old, nold, gone, ngone, nh,
                   merged, &pruned);
    r = tomb_write_file(mb, nh, merged, n, pruned);
    free(old);
    free(merged);
    return r;
}
