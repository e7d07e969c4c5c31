/* append.c -- add messages to a mailbox durably and atomically; see
 * append.h for the order of writes and why it is safe. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/quota.h"

struct append_state {
    struct mailbox *mb;
    struct append_params params;
    struct quota quota;         /* the root's state at begin */
    int have_quota;
    uint32_t first_uid;
    uint32_t next_uid;          /* append_set_next_uid; 0: last_uid + 1 */
    int header_changed;         /* uidvalidity or last_uid set (imports) */
    int64_t bytes;              /* added in this transaction */
    int64_t count;
    uint32_t *seen;
    size_t nseen, seen_alloc;
    struct buf path;
};

int append_begin(struct mailbox *mb, const struct append_params *params,
                 struct append_state **as_r)
{
    struct append_state *as;
    int r;

    *as_r = NULL;
    r = mailbox_lock(mb, 0);
    if (r) {
        log_warn("append: cannot lock mailbox=<%s>: %s", mb->name,
                 error_string(r));
        return r;
    }
    as = xzmalloc(sizeof(*as));
    as->mb = mb;
    as->params = *params;
    if (mb->quotaroot && params->quota != APPEND_QUOTA_IGNORE) {
        r = quota_read(mb->quotaroot, &as->quota);
        if (!r)
            as->have_quota = 1;
        else if (r != ERR_NOTFOUND)
            goto fail;
    }
    *as_r = as;
    return ERR_OK;
fail:
    mailbox_unlock(mb);
    free(as);
    return r;
}

static int append_check_quota(struct append_state *as, int64_t size)
{
    struct quota q;
    if (!as->have_quota)
        return ERR_OK;
    /* Check against the usage as it will be with this transaction. */
    q = as->quota;
    q.used[QUOTA_STORAGE] += as->bytes;
    q.used[QUOTA_MESSAGE] += as->count;
    return quota_check(&q, size, 1,
                       as->params.quota == APPEND_QUOTA_STRICT
                           ? QUOTA_CHECK_STRICT
                           : QUOTA_CHECK_DELIVERY);
}

/* Set system flags and keywords on a new record. */
static int append_set_flags(struct append_state *as, struct index_record *rec,
                            uint32_t flags, const struct strarray *keywords)
{
    rec->system_flags = flags & (FLAG_ANSWERED | FLAG_FLAGGED | FLAG_DELETED |
                                 FLAG_DRAFT);
    for (size_t i = 0; keywords && i < keywords->count; i++) {
        int idx, r = mailbox_user_flag(as->mb, keywords->data[i], 1, &idx);
        if (r == ERR_TOOBIG)
            continue;   /* out of flag slots: the message still goes in */
        if (r)
            return r;
        index_record_set_user_flag(rec, idx, 1);
    }
    return ERR_OK;
}

static int append_stage(struct append_state *as, struct index_record *rec,
                        uint32_t flags, const struct strarray *keywords,
                        const struct buf *cache, uint32_t *uid_r)
{
    uint32_t before = as->mb->i.last_uid;
    int r = append_set_flags(as, rec, flags, keywords);
    if (!r)
        r = mailbox_append_record(as->mb, rec, cache->s, cache->len);
    if (r)
        return r;
    if ((flags & APPEND_OLD) && as->mb->i.recent_uid == before)
        as->mb->i.recent_uid = rec->uid;
    if (!as->first_uid)
        as->first_uid = rec->uid;
    as->bytes += rec->size;
    as->count++;
    if (flags & APPEND_SEEN) {
        if (as->nseen == as->seen_alloc) {
            as->seen_alloc = as->seen_alloc ? as->seen_alloc * 2 : 16;
            as->seen = xreallocarray(as->seen, as->seen_alloc,
                                     sizeof(uint32_t));
        }
        as->seen[as->nseen++] = rec->uid;
    }
    if (uid_r)
        *uid_r = rec->uid;
    return ERR_OK;
}

/* Write data, fsynced, to the open fd. */
static int append_write_fd(int fd, const char *data, size_t len)
{
    int r = ERR_OK;
    if (retry_write(fd, data, len) < 0 || util_fsync_fd(fd))
        r = ERR_IO;
    if (close(fd) < 0)
        r = ERR_IO;
    return r;
}

/* Write a message file that appears under its name only whole: written
 * and fsynced nameless (O_TMPFILE), then linked in.  A kill while writing
 * leaves nothing that reconstruct could take for a message (it would have
 * adopted the cut file above last_uid).  A stale file of an aborted append
 * at the name is replaced.  Where the file system has no O_TMPFILE, the
 * file is written in place as before. */
static int append_write_file(const char *path, const char *data, size_t len)
{
    char *dir = xstrdup(path), *slash = strrchr(dir, '/');
    char proc[64];
    int fd = -1, r;

    if (slash) {
        *slash = '\0';
        fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    }
    free(dir);
    if (fd < 0) {
        if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                       0600)) < 0)
            return ERR_IO;
        if ((r = append_write_fd(fd, data, len)))
            unlink(path);
        return r;
    }
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (retry_write(fd, data, len) < 0 || util_fsync_fd(fd) ||
        (unlink(path) < 0 && errno != ENOENT) ||
        linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
        close(fd);
        return ERR_IO;
    }
    return close(fd) < 0 ? ERR_IO : ERR_OK;
}

int append_message(struct append_state *as, const char *data, size_t len,
                   time_t internaldate, uint32_t flags,
                   const struct strarray *keywords, uint32_t *uid_r)
{
    struct buf msg = BUF_INITIALIZER, cache = BUF_INITIALIZER;
    struct message_info *info = NULL;
    struct index_record rec;
    int r;

    if (as->params.maxmessagesize && len > as->params.maxmessagesize)
        return ERR_TOOBIG;
    r = message_normalize(data, len, as->params.reject8bit, &msg);
    if (r)
        goto done;
    if (msg.len >= UINT32_MAX) {
        r = ERR_TOOBIG;
        goto done;
    }
    if ((r = append_check_quota(as, (int64_t)msg.len)))
        goto done;
    if ((r = message_parse(msg.s, msg.len, &info)))
        goto done;
    message_info_encode(info, &cache);

    memset(&rec, 0, sizeof(rec));
    rec.uid = as->next_uid ? as->next_uid : as->mb->i.last_uid + 1;
    as->next_uid = 0;
    rec.size = (uint32_t)msg.len;
    rec.header_size = info->header_size;
    rec.internaldate = internaldate ? internaldate : time(NULL);
    rec.sentdate = info->sent_date;
    digest_sha1(msg.s, msg.len, rec.guid);

    mailbox_message_path(as->mb, rec.uid, &as->path);
    r = append_write_file(buf_cstring(&as->path), msg.s, msg.len);
    if (r) {
        log_error_errno("append: cannot write message file=<%s>", as->path.s);
        goto done;
    }
    r = append_stage(as, &rec, flags, keywords, &cache, uid_r);
    if (r)
        unlink(as->path.s);
done:
    message_info_free(&info);
    buf_free(&msg);
    buf_free(&cache);
    return r;
}

static int raise_uidvalidity_txn(struct db *db, struct db_txn *txn,
                                 void *rock)
{
    (void)db;
    return mboxlist_raise_uidvalidity(txn, *(uint32_t *)rock);
}

int append_set_uidvalidity(struct append_state *as, uint32_t uidvalidity)
{
    int r;
    if (as->mb->i.last_uid || as->count)
        return ERR_EXISTS;
    if (!uidvalidity)
        return ERR_BADARG;
    if ((r = mboxlist_txn_run(raise_uidvalidity_txn, &uidvalidity)))
        return r;
    as->mb->i.uidvalidity = uidvalidity;
    as->header_changed = 1;
    return ERR_OK;
}

void append_reserve_uids(struct append_state *as, uint32_t uid)
{
    if (uid > as->mb->i.last_uid) {
        as->mb->i.last_uid = uid;
        as->header_changed = 1;
    }
}

int append_set_next_uid(struct append_state *as, uint32_t uid)
{
    if (uid <= as->mb->i.last_uid)
        return ERR_BADARG;
    as->next_uid = uid;
    return ERR_OK;
}

/* Copy src to dst byte by byte (COPY across file systems). */
static int append_copy_file(const char *src, const char *dst)
{
    char *data = NULL;
    size_t len;
    int r = util_read_file(src, &data, &len);
    if (!r)
        r = append_write_file(dst, data, len);
    free(data);
    return r;
}

int append_copy(struct append_state *as, const struct mailbox *src,
                const struct index_record *srec, uint32_t flags,
                const struct strarray *keywords, uint32_t *uid_r)
{
    struct buf srcpath = BUF_INITIALIZER, cache = BUF_INITIALIZER;
    struct index_record rec;
    const char *data;
    size_t len;
    int r, linked = 0;

    if ((r = append_check_quota(as, srec->size)))
        goto done;
    if ((r = mailbox_cache_entry(src, srec, &data, &len)))
        goto done;
    buf_setmap(&cache, data, len);
    rec = *srec;
    memset(rec.user_flags, 0, sizeof(rec.user_flags));
    rec.savedate = 0;           /* saved here now (RFC 8514) */
    rec.uid = as->mb->i.last_uid + 1;
    mailbox_message_path(src, srec->uid, &srcpath);
    mailbox_message_path(as->mb, rec.uid, &as->path);
    /* A stale file of an aborted append may sit at the target name. */
    unlink(buf_cstring(&as->path));
    /* singleinstancestore: one file, many names (a hard link); else, or
     * when the link cannot be made, a copy of the bytes. */
    if (conf_getswitch(CONF_SINGLEINSTANCESTORE) &&
        link(buf_cstring(&srcpath), buf_cstring(&as->path)) == 0)
        linked = 1;
    else if (conf_getswitch(CONF_SINGLEINSTANCESTORE) && errno != EXDEV &&
             errno != EPERM && errno != EMLINK) {
        r = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        goto done;
    }
    if (!linked &&
        (r = append_copy_file(buf_cstring(&srcpath), buf_cstring(&as->path))))
        goto done;
    r = append_stage(as, &rec, flags, keywords, &cache, uid_r);
    if (r)
        unlink(as->path.s);
done:
    /* A source file not found is a session racing another's EXPUNGE or
     * RENAME of the source (the caller answers NO [EXPUNGEISSUED]), not a
     * fault of the store. */
    if (r == ERR_NOTFOUND)
        log_notice("append: copy source gone: from=<%s> uid=<%u> to=<%s>",
                   src->name, srec->uid, as->mb->name);
    else if (r && r != ERR_QUOTA)
        log_error("append: copy failed: from=<%s> uid=<%u> to=<%s>: %s",
                  src->name, srec->uid, as->mb->name, error_string(r));
    buf_free(&srcpath);
    buf_free(&cache);
    return r;
}

static void append_free(struct append_state **asp)
{
    struct append_state *as = *asp;
    quota_fini(&as->quota);
    buf_free(&as->path);
    free(as->seen);
    free(as);
    *asp = NULL;
}

int append_commit(struct append_state **asp, struct append_result *result)
{
    struct append_state *as = *asp;
    struct mailbox *mb = as->mb;
    int r = ERR_OK;

    if (as->count) {
        /* The new directory entries must be durable before the index
         * points at them. */
        if ((r = util_fsync_dir(mb->path)) || (r = mailbox_quota_begin(mb)) ||
            (r = mailbox_commit(mb))) {
            log_error("append: commit failed: mailbox=<%s>", mb->name);
            mailbox_quota_end(mb);      /* the committed usage */
            append_abort(asp);
            return r;
        }
        mailbox_quota_end(mb);
    } else if (as->header_changed && (r = mailbox_commit(mb))) {
        log_error("append: commit failed: mailbox=<%s>", mb->name);
        append_abort(asp);
        return r;
    }
    if (as->count && as->nseen && as->params.seen_userid)
        seen_add_appended(as->params.seen_userid, mb->uniqueid, as->seen,
                          as->nseen, mb->i.last_uid);
    if (result) {
        result->uidvalidity = mb->i.uidvalidity;
        result->first_uid = as->count ? as->first_uid : 0;
        result->last_uid = as->count ? mb->i.last_uid : 0;
        result->count = (uint32_t)as->count;
        result->seen_uids = as->seen;
        result->nseen = as->nseen;
        as->seen = NULL;
    }
    mailbox_unlock(mb);
    append_free(asp);
    return r;
}

void append_abort(struct append_state **asp)
{
    struct append_state *as = *asp;
    if (!as)
        return;
    /* Remove the files of the staged messages: the records at the end,
     * from first_uid on. */
    for (uint32_t n = as->mb->i.num_records; as->count && n-- > 0;) {
        struct index_record rec;
        if (mailbox_read_record(as->mb, n, &rec) || rec.uid < as->first_uid)
            break;
        mailbox_message_path(as->mb, rec.uid, &as->path);
        unlink(buf_cstring(&as->path));
    }
    mailbox_abort(as->mb);
    mailbox_unlock(as->mb);
    append_free(asp);
}
