/* reconstruct.c -- rebuild a mailbox's index and cache from its message
 * files, keeping what survives of the old ones (contract in reconstruct.h).
 * Then discovery on the partitions (-m, -f) and quota -f. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/reconstruct.h"
#include "imap/mailstore/reconstruct_private.h"


/* What survives of the old files. */
struct salvage {
    int have_header;                /* old cyrus.header parsed */
    struct mailbox hdr;             /* its quotaroot and flag names */
    int have_index;                 /* old index header decoded */
    struct index_header ih;
    struct index_record *recs;      /* decodable records, ascending UIDs */
    size_t nrecs;
};

/* One message of the new index, in the order it is appended. */
struct newmsg {
    uint32_t file_uid;              /* the file's name now */
    uint32_t uid;                   /* its UID in the new index */
    const struct index_record *old; /* salvaged record, or NULL */
};

void reconstruct_say(reconstruct_report_fn *report, void *rock,
                     const char *fmt, ...)
{
    struct buf line = BUF_INITIALIZER;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&line, fmt, ap);
    va_end(ap);
    if (report)
        report(buf_cstring(&line), rock);
    buf_free(&line);
}

static char *path_join(const char *dir, const char *file)
{
    struct buf b = BUF_INITIALIZER;
    buf_printf(&b, "%s/%s", dir, file);
    return buf_release(&b);
}

static void salvage_fini(struct salvage *s)
{
    free(s->hdr.uniqueid);
    free(s->hdr.quotaroot);
    free(s->hdr.acl);
    strarray_fini(&s->hdr.flagnames);
    free(s->recs);
}

/* Read whatever old cyrus.header and cyrus.index records still decode. */
static void salvage_read(const char *path, struct salvage *s)
{
    char *file = path_join(path, MAILBOX_HEADER_FILE), *data = NULL;
    size_t len, n, avail;
    uint32_t hsize, rsize;

    if (!util_read_file(file, &data, &len))
        s->have_header = !mailbox_header_parse(data, len, &s->hdr);
    free(data);
    free(file);
    data = NULL;
    file = path_join(path, MAILBOX_INDEX_FILE);
    if (util_read_file(file, &data, &len) || len < MAILBOX_INDEX_HEADER_SIZE)
        goto done;
    s->have_index = !mailbox_index_header_decode((unsigned char *)data, len,
                                                 &s->ih);
    /* The sizes the file states, even if its header's CRC is bad; else
     * the current ones. */
    hsize = util_get32((unsigned char *)data + 8);
    rsize = util_get32((unsigned char *)data + 12);
    if (!mailbox_index_geometry_ok(hsize, rsize) || hsize > len) {
        hsize = MAILBOX_INDEX_HEADER_SIZE;
        rsize = MAILBOX_INDEX_RECORD_SIZE;
    }
    avail = (len - hsize) / rsize;
    n = s->have_index && s->ih.num_records < avail ? s->ih.num_records
                                                    : avail;
    s->recs = xcalloc(n ? n : 1, sizeof(*s->recs));
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = (unsigned char *)data + hsize + i * rsize;
        struct index_record rec;
        if (mailbox_index_record_decode(p, rsize, &rec) || rec.uid == 0 ||
            (s->nrecs && rec.uid <= s->recs[s->nrecs - 1].uid))
            continue;
        s->recs[s->nrecs++] = rec;
    }
done:
    free(data);
    free(file);
}

static const struct index_record *salvage_find(const struct salvage *s,
                                               uint32_t uid)
{
    size_t lo = 0, hi = s->nrecs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->recs[mid].uid == uid)
            return &s->recs[mid];
        if (s->recs[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The UIDs of the message files "<uid>." in path, ascending. */
static int scan_files(const char *path, uint32_t **uids_r, size_t *n_r)
{
    DIR *d = opendir(path);
    struct dirent *de;
    size_t n = 0, alloc = 0;
    uint32_t *uids = NULL;

    if (!d) {
        log_error_errno("reconstruct: cannot read directory: path=<%s>", path);
        return ERR_IO;
    }
    while ((de = readdir(d))) {
        const char *p = de->d_name;
        unsigned long long v = 0;
        if (*p < '1' || *p > '9')
            continue;
        for (; *p >= '0' && *p <= '9' && v <= UINT32_MAX; p++)
            v = v * 10 + (unsigned)(*p - '0');
        if (p[0] != '.' || p[1] || v > UINT32_MAX)
            continue;
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 64;
            uids = xreallocarray(uids, alloc, sizeof(*uids));
        }
        uids[n++] = (uint32_t)v;
    }
    closedir(d);
    if (n)
        qsort(uids, n, sizeof(*uids), cmp_u32);
    *uids_r = uids;
    *n_r = n;
    return ERR_OK;
}

/* Parse one message file into a record and its cache entry. */
static int build_record(const char *file, uint32_t uid, struct index_record *rec,
                        struct buf *cache)
{
    struct message_info *info = NULL;
    struct stat st;
    char *data = NULL;
    size_t len;
    int r;

    if ((r = util_read_file(file, &data, &len)))
        return r;
    if (stat(file, &st) < 0 || len > UINT32_MAX) {
        free(data);
        return ERR_IO;
    }
    if ((r = message_parse(data, len, &info)))
        goto done;
    memset(rec, 0, sizeof(*rec));
    rec->uid = uid;
    rec->size = (uint32_t)len;
    rec->header_size = info->header_size;
    rec->sentdate = info->sent_date;
    rec->internaldate = st.st_mtime;
    digest_sha1(data, len, rec->guid);
    buf_reset(cache);
    message_info_encode(info, cache);
done:
    message_info_free(&info);
    free(data);
    return r;
}

/* A message file whose UID was expunged (tombstoned, not live in the old
 * index: a crash between an expunge's commit and its unlink) is removed,
 * never brought back (DESIGN.md invariant 7); with expunge_mode delayed
 * it is where unexpunge finds it, so it stays, still not brought back. */
static void drop_expunged(const char *name, const char *path,
                          const struct salvage *s, uint32_t *files,
                          size_t *nfiles, reconstruct_report_fn *report,
                          void *rock)
{
    struct index_record *t = NULL;
    struct buf file = BUF_INITIALIZER;
    size_t nt = 0, kept = 0;

    (void)mailbox_tombstones_read(path, s->have_index ? s->ih.uidvalidity : 0,
                                  &t, &nt);
    for (size_t i = 0; i < *nfiles; i++) {
        if (!mailbox_tombstoned(t, nt, files[i]) ||
            salvage_find(s, files[i])) {
            files[kept++] = files[i];
            continue;
        }
        if (mailbox_expunge_delayed())
            continue;
        buf_reset(&file);
        buf_printf(&file, "%s/%u.", path, files[i]);
        if (unlink(file.s) < 0 && errno != ENOENT)
            log_error_errno("reconstruct: cannot remove file=<%s>", file.s);
        reconstruct_say(report, rock, "%s: %u.: expunged, file removed",
                        name, files[i]);
    }
    *nfiles = kept;
    free(t);
    buf_free(&file);
}

/* Decide the new index: kept records, strays keeping a number already
 * above last_uid, then strays renamed above every UID used. */
static int plan_messages(const char *name, const char *path,
                         const struct salvage *s, const uint32_t *files,
                         size_t nfiles, struct newmsg *plan, size_t *nplan,
                         reconstruct_report_fn *report, void *rock)
{
    uint32_t last = s->have_index ? s->ih.last_uid : 0;
    uint32_t next = nfiles && files[nfiles - 1] > last ? files[nfiles - 1]
                                                       : last;
    size_t n = 0, nlow = 0;
    uint32_t *low = xcalloc(nfiles ? nfiles : 1, sizeof(*low));
    struct buf file = BUF_INITIALIZER;
    int r = ERR_OK;

    for (size_t i = 0; i < nfiles; i++) {
        const struct index_record *old = salvage_find(s, files[i]);
        if (old || !s->have_index || files[i] > last) {
            if (!old && s->have_index)
                reconstruct_say(report, rock, "%s: %u.: new uid %u", name,
                                files[i], files[i]);
            plan[n++] = (struct newmsg){ files[i], files[i], old };
        } else
            low[nlow++] = files[i];
    }
    for (size_t i = 0; i < nlow; i++) {
        struct buf to = BUF_INITIALIZER;
        if (next == UINT32_MAX) {
            r = ERR_TOOBIG;
            break;
        }
        buf_reset(&file);
        buf_printf(&file, "%s/%u.", path, low[i]);
        buf_printf(&to, "%s/%u.", path, ++next);
        /* link + unlink: never overwrite a file that exists */
        if (link(file.s, buf_cstring(&to)) < 0 || unlink(file.s) < 0) {
            log_error_errno("reconstruct: cannot rename message file: "
                            "file=<%s> to=<%s>", file.s, to.s);
            r = ERR_IO;
        }
        buf_free(&to);
        if (r)
            break;
        reconstruct_say(report, rock, "%s: %u.: new uid %u", name, low[i],
                        next);
        plan[n++] = (struct newmsg){ next, next, NULL };
    }
    if (!r && nlow)
        r = util_fsync_dir(path);
    free(low);
    buf_free(&file);
    *nplan = n;
    return r;
}

/* Append the planned messages to the new mailbox nb. */
static int fill_index(struct mailbox *nb, const char *name, const char *path,
                      const struct salvage *s, struct newmsg *plan,
                      size_t nplan, reconstruct_report_fn *report, void *rock)
{
    uint64_t base = s->have_index ? s->ih.highest_modseq : 1, maxkept = 0;
    struct buf file = BUF_INITIALIZER, cache = BUF_INITIALIZER;
    struct index_record rec;
    int r = ERR_OK;

    for (size_t i = 0; i < s->nrecs; i++)
        if (s->recs[i].modseq > base)
            base = s->recs[i].modseq;
    for (size_t i = 0; i < nplan && !r; i++) {
        const struct index_record *old = plan[i].old;
        buf_reset(&file);
        buf_printf(&file, "%s/%u.", path, plan[i].file_uid);
        if ((r = build_record(file.s, plan[i].uid, &rec, &cache))) {
            log_error("reconstruct: cannot read message: file=<%s> error=<%s>",
                      file.s, error_string(r));
            break;
        }
        if (old && memcmp(old->guid, rec.guid, sizeof(rec.guid))) {
            reconstruct_say(report, rock, "%s: uid %u: message file changed, "
                            "flags reset", name, plan[i].uid);
            old = NULL;
        }
        if (old) {
            rec.internaldate = old->internaldate;
            rec.savedate = old->savedate;
            rec.system_flags = old->system_flags;
            if (s->have_header)
                memcpy(rec.user_flags, old->user_flags, sizeof(rec.user_flags));
        }
        /* mailbox_append_record assigns highest_modseq + 1. */
        if (old && old->modseq > 0)
            nb->i.highest_modseq = old->modseq - 1;
        else
            nb->i.highest_modseq = base;
        r = mailbox_append_record(nb, &rec, cache.s, cache.len);
        if (!old || old->modseq == 0)
            base = rec.modseq;
        else if (rec.modseq > maxkept)
            maxkept = rec.modseq;
    }
    nb->i.highest_modseq = base > maxkept ? base : maxkept;
    buf_free(&file);
    buf_free(&cache);
    return r;
}

/* Records whose file is gone are dropped; say so. */
static void report_missing(const char *name, const struct salvage *s,
                           const uint32_t *files, size_t nfiles,
                           reconstruct_report_fn *report, void *rock)
{
    size_t j = 0;
    for (size_t i = 0; i < s->nrecs; i++) {
        while (j < nfiles && files[j] < s->recs[i].uid)
            j++;
        if (j == nfiles || files[j] != s->recs[i].uid)
            reconstruct_say(report, rock, "%s: uid %u: message file missing, "
                            "record dropped", name, s->recs[i].uid);
    }
}

/* Build the new files in tmp (a fresh directory).  A lost UIDVALIDITY is
 * replaced by a new one from mailboxes.db's counter, never seen before. */
static int build_new(const char *name, const char *path, const char *tmp,
                     const struct mboxlist_entry *e, const char *quotaroot,
                     struct salvage *s, struct mailbox **nb_r,
                     reconstruct_report_fn *report, void *rock)
{
    uint32_t *files = NULL;
    uint32_t uidvalidity = s->have_index ? s->ih.uidvalidity : 0;
    size_t nfiles = 0, nplan = 0;
    struct newmsg *plan = NULL;
    struct mailbox *nb = NULL;
    int r;

    if ((r = scan_files(path, &files, &nfiles)))
        return r;
    drop_expunged(name, path, s, files, &nfiles, report, rock);
    report_missing(name, s, files, nfiles, report, rock);
    plan = xcalloc(nfiles ? nfiles : 1, sizeof(*plan));
    if ((r = plan_messages(name, path, s, files, nfiles, plan, &nplan, report,
                           rock)) ||
        (!uidvalidity && (r = mboxlist_new_uidvalidity(&uidvalidity))))
        goto done;
    util_remove_tree(tmp);
    if ((r = mailbox_create(name, tmp, e->uniqueid, e->acl, quotaroot,
                            uidvalidity)) ||
        (r = mailbox_open(name, tmp, MAILBOX_EXCLUSIVE, &nb)))
        goto done;
    if (s->have_header) {
        for (size_t i = 0; i < s->hdr.flagnames.count; i++)
            strarray_append(&nb->flagnames, s->hdr.flagnames.data[i]);
        if ((r = mailbox_write_header(nb)))
            goto done;
    }
    if ((r = fill_index(nb, name, path, s, plan, nplan, report, rock)))
        goto done;
    if (s->have_index) {
        /* UIDs only grow, even when the last messages were lost. */
        if (s->ih.last_uid > nb->i.last_uid)
            nb->i.last_uid = s->ih.last_uid;
        nb->i.recent_uid = s->ih.recent_uid < nb->i.last_uid
                           ? s->ih.recent_uid : nb->i.last_uid;
    } else {
        nb->i.recent_uid = nb->i.last_uid;
        reconstruct_say(report, rock, "%s: new uidvalidity %u", name,
                        nb->i.uidvalidity);
    }
    r = mailbox_commit(nb);
done:
    if (r)
        mailbox_close(&nb);
    *nb_r = nb;
    free(plan);
    free(files);
    return r;
}

/* Move the new files over the old ones: header, cache, index (commit). */
static int swap_in(const char *path, const char *tmp)
{
    static const char *const order[] = { MAILBOX_HEADER_FILE,
                                         MAILBOX_CACHE_FILE,
                                         MAILBOX_INDEX_FILE };
    int r = ERR_OK;

    for (size_t i = 0; i < 3 && !r; i++) {
        char *from = path_join(tmp, order[i]), *to = path_join(path, order[i]);
        if (rename(from, to) < 0) {
            log_error_errno("reconstruct: rename failed: from=<%s> to=<%s>",
                            from, to);
            r = ERR_IO;
        }
        free(from);
        free(to);
    }
    if (!r)
        r = util_fsync_dir(path);
    if (!r)
        util_remove_tree(tmp);
    return r;
}

/* Whether the old files say what the root counted for the mailbox (its
 * index usage, under the same root): then the root moves by the
 * difference, else the whole root is recounted. */
static int quota_known(const struct salvage *s, const struct mailbox *nb)
{
    return nb->quotaroot && s->have_index && s->have_header &&
           s->hdr.quotaroot && !strcmp(s->hdr.quotaroot, nb->quotaroot);
}

/* Correct the quota root after the rebuild (a known contribution was
 * recorded as changing before the swap: quota.h, CRASHES). */
static int fix_quota(const char *name, const struct salvage *s,
                     const struct mailbox *nb, reconstruct_report_fn *report,
                     void *rock)
{
    if (!nb->quotaroot)
        return ERR_OK;
    if (!quota_known(s, nb))
        return reconstruct_quota_fix_root(nb->quotaroot, report, rock);
    if (nb->i.quota_used != s->ih.quota_used)
        reconstruct_say(report, rock, "%s: usage was %" PRIu64 ", now %"
                        PRIu64, name, s->ih.quota_used, nb->i.quota_used);
    return quota_settle(nb->quotaroot, nb->uniqueid,
                        (int64_t)nb->i.quota_used,
                        (int64_t)nb->i.num_records);
}

static void report_state(const char *name, const struct salvage *s,
                         reconstruct_report_fn *report, void *rock)
{
    if (!s->have_header)
        reconstruct_say(report, rock, "%s: cyrus.header missing or corrupt, "
                        "rebuilt", name);
    if (!s->have_index)
        reconstruct_say(report, rock, "%s: cyrus.index missing or corrupt, "
                        "rebuilt from the message files", name);
}

int reconstruct_mailbox(const char *name, reconstruct_report_fn *report,
                        void *rock)
{
    struct mboxlist_entry e = { 0 };
    struct buf path = BUF_INITIALIZER;
    struct salvage s;
    struct mailbox *nb = NULL;
    char *tmp = NULL, *ipath = NULL, *root = NULL;
    int fd = -1, r;

    memset(&s, 0, sizeof(s));
    if ((r = mboxlist_lookup(name, &e)) || (r = mboxlist_entry_path(&e, &path)))
        goto done;
    reconstruct_say(report, rock, "%s", name);
    if ((r = util_mkdir_p(buf_cstring(&path), 0700)))
        goto done;
    /* Hold the old index's lock so no writer commits under us. */
    ipath = path_join(path.s, MAILBOX_INDEX_FILE);
    fd = open(ipath, O_RDWR | O_CLOEXEC);
    if (fd >= 0 && (r = lock_fd(fd, LOCK_EXCLUSIVE, RECONSTRUCT_LOCK_MS)))
        goto done;
    salvage_read(path.s, &s);
    report_state(name, &s, report, rock);
    if (s.have_header && s.hdr.quotaroot)
        root = xstrdup(s.hdr.quotaroot);
    else
        quota_find_root(name, &root);
    tmp = path_join(path.s, RECONSTRUCT_TMPDIR);
    if ((r = build_new(name, path.s, tmp, &e, root, &s, &nb, report, rock)))
        goto done;
    if (quota_known(&s, nb) &&
        (r = quota_change_begin(nb->quotaroot, nb->uniqueid, name,
                                (int64_t)s.ih.quota_used,
                                (int64_t)s.ih.num_records)))
        goto done;
    if ((r = swap_in(path.s, tmp))) {
        if (quota_known(&s, nb))
            quota_settle(nb->quotaroot, nb->uniqueid,
                         (int64_t)s.ih.quota_used, (int64_t)s.ih.num_records);
        goto done;
    }
    if (fd >= 0)
        close(fd);
    fd = -1;
    r = fix_quota(name, &s, nb, report, rock);
done:
    if (r)
        log_error("reconstruct failed: mailbox=<%s> error=<%s>", name,
                  error_string(r));
    if (fd >= 0)
        close(fd);
    mailbox_close(&nb);
    salvage_fini(&s);
    mboxlist_entry_fini(&e);
    buf_free(&path);
    free(tmp);
    free(ipath);
    free(root);
    return r;
}

/* ---- listing ---------------------------------------------------------- */

static struct auth_state *admin_auth(void)
{
    return auth_new(conf_getstring(CONF_CYRUS_USER), 1);
}

static int collect_name(const char *name, const struct mboxlist_entry *entry,
                        void *rock)
{
    (void)entry;
    strarray_append(rock, name);
    return 0;
}

int reconstruct_list(const char *pattern, int children,
                     struct strarray *names)
{
    struct auth_state *admin = admin_auth();
    struct strarray found = STRARRAY_INITIALIZER;
    struct buf below = BUF_INITIALIZER;
    int r = mboxlist_find(pattern, admin, collect_name, &found);

    for (size_t i = 0; !r && i < found.count; i++) {
        struct strarray kids = STRARRAY_INITIALIZER;
        if (strarray_find(names, found.data[i]) < 0)
            strarray_append(names, found.data[i]);
        if (!children)
            continue;
        buf_reset(&below);
        buf_printf(&below, "%s.*", found.data[i]);
        r = mboxlist_find(buf_cstring(&below), admin, collect_name, &kids);
        for (size_t k = 0; k < kids.count; k++)
            if (strarray_find(names, kids.data[k]) < 0)
                strarray_append(names, kids.data[k]);
        strarray_fini(&kids);
    }
    strarray_fini(&found);
    buf_free(&below);
    auth_free(&admin);
    return r;
}

/* ---- discovery on the partitions (-m, -f) ------------------------------- */

struct scan_state {
    const char *under;
    const char *partition;
    const char *partdir;
    int hash;
    struct strarray *names;
    struct strarray *partitions;
    struct strarray partnames;      /* every configured partition ... */
    struct strarray partdirs;       /* ... and its directory */
};

static void collect_partition(const char *name, const char *dir, void *rock)
{
    struct scan_state *st = rock;
    strarray_append(&st->partnames, name);
    strarray_append(&st->partdirs, dir);
}

/* rel is the path below the partition ("user/bob", "b/user/bob"). */
static void scan_found(struct scan_state *st, const char *dir, const char *rel)
{
    struct buf name = BUF_INITIALIZER, check = BUF_INITIALIZER;
    const char *p = rel;

    if (st->hash) {
        const char *slash = strchr(rel, '/');
        if (!slash || slash != rel + 1)
            goto done;
        p = slash + 1;
    }
    buf_appendcstr(&name, p);
    for (size_t i = 0; i < name.len; i++)
        if (name.s[i] == '/')
            name.s[i] = '.';
    if (mboxname_validate(buf_cstring(&name)) ||
        mboxname_to_path(st->partdir, name.s, st->hash, &check) ||
        strcmp(buf_cstring(&check), dir))
        goto done;
    if (st->under && strcmp(name.s, st->under) &&
        !mboxname_isdescendant(name.s, st->under))
        goto done;
    strarray_append(st->names, name.s);
    strarray_append(st->partitions, st->partition);
done:
    buf_free(&name);
    buf_free(&check);
}

static void scan_dir(struct scan_state *st, const char *dir, const char *rel,
                     int depth)
{
    struct strarray subdirs = STRARRAY_INITIALIZER;
    struct dirent *de;
    DIR *d;
    int has_header = 0;

    if (depth > 64 || !(d = opendir(dir)))
        return;
    while ((de = readdir(d))) {
        struct stat sb;
        char *full;
        if (!strcmp(de->d_name, MAILBOX_HEADER_FILE))
            has_header = 1;
        /* Mailbox directories never contain '.'; this also skips ".",
         * "..", message files and the reconstruct work directory. */
        if (strchr(de->d_name, '.'))
            continue;
        full = path_join(dir, de->d_name);
        if (lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode))
            strarray_append(&subdirs, de->d_name);
        free(full);
    }
    closedir(d);
    if (has_header && *rel)
        scan_found(st, dir, rel);
    strarray_sort(&subdirs);
    for (size_t i = 0; i < subdirs.count; i++) {
        char *full = path_join(dir, subdirs.data[i]);
        char *sub = *rel ? path_join(rel, subdirs.data[i])
                         : xstrdup(subdirs.data[i]);
        scan_dir(st, full, sub, depth + 1);
        free(full);
        free(sub);
    }
    strarray_fini(&subdirs);
}

int reconstruct_scan(const char *under, struct strarray *names,
                     struct strarray *partitions)
{
    struct scan_state st;

    memset(&st, 0, sizeof(st));
    st.under = under;
    st.hash = conf_getswitch(CONF_HASHIMAPSPOOL);
    st.names = names;
    st.partitions = partitions;
    conf_partition_foreach(collect_partition, &st);
    for (size_t i = 0; i < st.partnames.count; i++) {
        size_t len = strlen(st.partdirs.data[i]);
        char *dir = xstrdup(st.partdirs.data[i]);
        while (len > 1 && dir[len - 1] == '/')
            dir[--len] = '\0';
        st.partition = st.partnames.data[i];
        st.partdir = dir;
        scan_dir(&st, dir, "", 0);
        free(dir);
    }
    strarray_fini(&st.partnames);
    strarray_fini(&st.partdirs);
    return ERR_OK;
}

/* The ACL stored in the cyrus.header of a scanned mailbox. */
static int header_acl(const char *name, const char *partition, char **acl_r)
{
    struct buf path = BUF_INITIALIZER;
    struct mailbox hdr;
    char *data = NULL;
    size_t len;
    int r;

    memset(&hdr, 0, sizeof(hdr));
    r = mboxname_to_path(conf_partition_dir(partition), name,
                         conf_getswitch(CONF_HASHIMAPSPOOL), &path);
    if (!r) {
        buf_appendcstr(&path, "/" MAILBOX_HEADER_FILE);
        r = util_read_file(buf_cstring(&path), &data, &len);
    }
    if (!r)
        r = mailbox_header_parse(data, len, &hdr);
    if (!r && (strchr(hdr.acl, '\n') || strchr(hdr.acl, '\r')))
        r = ERR_BADFORMAT;
    *acl_r = r ? NULL : xstrdup(hdr.acl);
    free(hdr.uniqueid);
    free(hdr.quotaroot);
    free(hdr.acl);
    strarray_fini(&hdr.flagnames);
    free(data);
    buf_free(&path);
    return r;
}

int reconstruct_adopt(const struct strarray *names,
                      const struct strarray *partitions,
                      reconstruct_report_fn *report, void *rock,
                      struct strarray *added)
{
    struct buf text = BUF_INITIALIZER, err = BUF_INITIALIZER;
    struct strarray now = STRARRAY_INITIALIZER;
    FILE *in;
    int r = ERR_OK;

    for (size_t i = 0; i < names->count; i++) {
        const char *name = names->data[i];
        char *acl = NULL;
        if (mboxlist_lookup(name, NULL) != ERR_NOTFOUND ||
            strarray_find(&now, name) >= 0)
            continue;
        if (header_acl(name, partitions->data[i], &acl)) {
            reconstruct_say(report, rock, "%s: cyrus.header unreadable, "
                            "not added", name);
            continue;
        }
        buf_printf(&text, "%s\t%s\t%s\n", name, partitions->data[i], acl);
        strarray_append(&now, name);
        free(acl);
    }
    if (!text.len)
        goto done;
    in = fmemopen(text.s, text.len, "r");
    if (!in) {
        r = ERR_IO;
        goto done;
    }
    r = mboxlist_load(in, 0, &err);
    fclose(in);
    if (r) {
        log_error("reconstruct: cannot add mailboxes: error=<%s> detail=<%s>",
                  error_string(r), buf_cstring(&err));
        goto done;
    }
    for (size_t i = 0; i < now.count; i++) {
        reconstruct_say(report, rock, "%s: added to mailboxes.db",
                        now.data[i]);
        if (added)
            strarray_append(added, now.data[i]);
    }
done:
    strarray_fini(&now);
    buf_free(&text);
    buf_free(&err);
    return r;
}
