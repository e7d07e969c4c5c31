/* reconstruct_quota.c -- quota -f: every quota root's usage recounted
 * from the indexes of the mailboxes it governs, and each mailbox's
 * cyrus.header pointed at its root (reconstruct.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/reconstruct.h"
#include "imap/mailstore/reconstruct_private.h"

/* ---- quota -f ------------------------------------------------------------ */

int reconstruct_quota_roots(struct strarray *roots)
{
    struct buf dir = BUF_INITIALIZER;
    struct strarray all = STRARRAY_INITIALIZER;
    struct dirent *de;
    DIR *d;

    buf_printf(&dir, "%s/quota", conf_getstring(CONF_CONFIGDIRECTORY));
    d = opendir(buf_cstring(&dir));
    buf_free(&dir);
    if (!d)
        return errno == ENOENT ? ERR_OK : ERR_IO;
    while ((de = readdir(d)))
        if (!mboxname_validate(de->d_name))
            strarray_append(&all, de->d_name);
    closedir(d);
    strarray_sort(&all);
    for (size_t i = 0; i < all.count; i++) {
        /* util_atomic_replace's "<root>.NEW" beside "<root>" */
        size_t len = strlen(all.data[i]);
        struct quota q;
        if (len > 4 && !strcmp(all.data[i] + len - 4, ".NEW")) {
            char *base = xstrndup(all.data[i], len - 4);
            long found = strarray_find(&all, base);
            free(base);
            if (found >= 0)
                continue;
        }
        /* An empty file is a root whose creation was cut short: none. */
        if (quota_read(all.data[i], &q) != ERR_NOTFOUND)
            strarray_append(roots, all.data[i]);
        quota_fini(&q);
    }
    strarray_fini(&all);
    return ERR_OK;
}

static int matches_prefix(const char *name, const struct strarray *prefixes)
{
    if (!prefixes || !prefixes->count)
        return 1;
    for (size_t i = 0; i < prefixes->count; i++)
        if (!strncmp(name, prefixes->data[i], strlen(prefixes->data[i])))
            return 1;
    return 0;
}

/* A corrupt root file: keep the limits that still parse. */
static int rewrite_corrupt_root(const char *root, int64_t bytes, int64_t msgs,
                                reconstruct_report_fn *report, void *rock)
{
    struct buf path = BUF_INITIALIZER, text = BUF_INITIALIZER;
    struct quota q = { NULL, { bytes, msgs },
                       { QUOTA_UNLIMITED, QUOTA_UNLIMITED }, NULL, 0,
                       QUOTA_STATE_OK };
    char *data = NULL, *line2, *line3;
    size_t len;
    int r;

    quota_path(root, &path);
    if (!util_read_file(buf_cstring(&path), &data, &len) &&
        (line2 = strchr(data, '\n'))) {
        long long v, u;
        char *end;
        v = strtoll(++line2, &end, 10);
        if (end != line2 && (*end == '\n' || !*end) && v >= -1)
            q.limit[QUOTA_STORAGE] = v;
        line3 = strchr(line2, '\n');
        if (line3 && sscanf(line3 + 1, "MESSAGE %lld %lld", &u, &v) == 2 &&
            v >= -1)
            q.limit[QUOTA_MESSAGE] = v;
    }
    quota_format(&q, &text);
    r = quota_write_text(root, &text);
    if (!r) {
        reconstruct_say(report, rock, "%s: usage was unreadable, now %" PRId64,
                        root, bytes);
        if (q.limit[QUOTA_STORAGE] == QUOTA_UNLIMITED)
            reconstruct_say(report, rock, "%s: storage limit unreadable, now "
                            "none: set it again", root);
    }
    free(data);
    buf_free(&path);
    buf_free(&text);
    return r;
}

/* Give root the usage computed from the indexes. */
static int apply_usage(const char *root, int64_t bytes, int64_t msgs,
                       reconstruct_report_fn *report, void *rock)
{
    struct quota q;
    int r;

    memset(&q, 0, sizeof(q));
    r = quota_read(root, &q);
    if (r == ERR_BADFORMAT)
        return rewrite_corrupt_root(root, bytes, msgs, report, rock);
    if (r == ERR_NOTFOUND)
        return ERR_OK;
    if (!r && (q.used[QUOTA_STORAGE] != bytes ||
               q.used[QUOTA_MESSAGE] != msgs)) {
        r = quota_set_usage(root, bytes, msgs);
        if (!r && q.used[QUOTA_STORAGE] != bytes)
            reconstruct_say(report, rock, "%s: usage was %" PRId64 ", now %"
                            PRId64, root, q.used[QUOTA_STORAGE], bytes);
    }
    quota_fini(&q);
    return r;
}

/* Usage of one mailbox from its index; its header's root and the index's
 * usage are corrected to root / the sum when fix is set. */
static int mailbox_usage(const char *name, const char *root, int fix,
                         int64_t *bytes, int64_t *msgs,
                         reconstruct_report_fn *report, void *rock)
{
    struct mailbox *mb = NULL;
    struct index_record rec;
    uint64_t sum = 0;
    int r = mboxlist_open_mailbox(name, MAILBOX_UNLOCKED, &mb);

    if (r) {
        reconstruct_say(report, rock, "%s: cannot open (%s): run reconstruct",
                        name, error_string(r));
        return r;
    }
    for (uint32_t n = 0; !r && n < mb->i.num_records; n++)
        if (!(r = mailbox_read_record(mb, n, &rec)))
            sum += rec.size;
    if (r)
        goto done;
    *bytes += (int64_t)sum;
    *msgs += mb->i.num_records;
    if (!fix || (!mb->quotaroot && !root) ||
        (mb->quotaroot && root && !strcmp(mb->quotaroot, root)))
        goto done;
    if ((r = mailbox_lock(mb, RECONSTRUCT_LOCK_MS)))
        goto done;
    reconstruct_say(report, rock, "%s: quota root was %s, now %s", name,
                    mb->quotaroot ? mb->quotaroot : "none",
                    root ? root : "none");
    free(mb->quotaroot);
    mb->quotaroot = xstrdupnull(root);
    r = mailbox_write_header(mb);
done:
    mailbox_close(&mb);
    return r;
}

int reconstruct_quota_fix_root(const char *root,
                               reconstruct_report_fn *report, void *rock)
{
    struct strarray names = STRARRAY_INITIALIZER;
    int64_t bytes = 0, msgs = 0;
    int r = reconstruct_list(root, 1, &names);

    for (size_t i = 0; !r && i < names.count; i++) {
        char *mine = NULL;
        quota_find_root(names.data[i], &mine);
        if (mine && !strcmp(mine, root))
            r = mailbox_usage(names.data[i], root, 0, &bytes, &msgs, report,
                              rock);
        free(mine);
    }
    if (!r)
        r = apply_usage(root, bytes, msgs, report, rock);
    strarray_fini(&names);
    return r;
}

int reconstruct_quota_fix(const struct strarray *prefixes,
                          reconstruct_report_fn *report, void *rock)
{
    struct strarray roots = STRARRAY_INITIALIZER, names = STRARRAY_INITIALIZER;
    int64_t *bytes = NULL, *msgs = NULL;
    char *bad = NULL;
    int r, first = ERR_OK;

    if ((r = reconstruct_quota_roots(&roots)) ||
        (r = reconstruct_list("*", 0, &names)))
        goto done;
    bytes = xcalloc(roots.count + 1, sizeof(*bytes));
    msgs = xcalloc(roots.count + 1, sizeof(*msgs));
    bad = xcalloc(roots.count + 1, 1);
    for (size_t i = 0; i < names.count; i++) {
        char *root = NULL;
        long idx;
        quota_find_root(names.data[i], &root);
        idx = root ? strarray_find(&roots, root) : -1;
        /* a root file that appeared meanwhile counts from the next run */
        r = mailbox_usage(names.data[i], idx >= 0 ? root : NULL,
                          matches_prefix(names.data[i], prefixes),
                          &bytes[idx >= 0 ? idx : (long)roots.count],
                          &msgs[idx >= 0 ? idx : (long)roots.count],
                          report, rock);
        if (r && !first)
            first = r;
        if (r)          /* a partial sum would be wrong: keep the old one */
            bad[idx >= 0 ? idx : (long)roots.count] = 1;
        free(root);
    }
    for (size_t i = 0; i < roots.count; i++) {
        if (!matches_prefix(roots.data[i], prefixes))
            continue;
        if (bad[i]) {
            reconstruct_say(report, rock, "%s: usage not recomputed: a "
                            "mailbox under it needs reconstruct", roots.data[i]);
            continue;
        }
        r = apply_usage(roots.data[i], bytes[i], msgs[i], report, rock);
        if (r && !first)
            first = r;
    }
    r = first;
done:
    free(bytes);
    free(msgs);
    free(bad);
    strarray_fini(&roots);
    strarray_fini(&names);
    return r;
}
