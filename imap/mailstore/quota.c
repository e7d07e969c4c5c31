/* quota.c -- quota root files: read, lock-and-replace updates, checks.
 * See quota.h for the file format and the two check rules. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/quota.h"

#define QUOTA_LOCK_TIMEOUT_MS 30000

void quota_path(const char *root, struct buf *out)
{
    buf_reset(out);
    buf_printf(out, "%s/quota/%s", conf_getstring(CONF_CONFIGDIRECTORY), root);
}

void quota_fini(struct quota *q)
{
    free(q->root);
    q->root = NULL;
}

static int parse_num(const char *s, int64_t *v)
{
    long long n;
    if (util_parse_long(s, -1, INT64_MAX, &n))
        return ERR_BADFORMAT;
    *v = n;
    return ERR_OK;
}

int quota_parse(const char *data, size_t len, struct quota *q)
{
    char *copy = xstrndup(data, len);
    char *save = NULL, *line;
    int r = ERR_BADFORMAT, n = 0;

    q->used[QUOTA_MESSAGE] = 0;
    q->limit[QUOTA_MESSAGE] = QUOTA_UNLIMITED;
    for (line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), n++) {
        if (n == 0 && parse_num(line, &q->used[QUOTA_STORAGE]))
            goto done;
        if (n == 1 && parse_num(line, &q->limit[QUOTA_STORAGE]))
            goto done;
        if (n >= 2) {
            char used[32], limit[32];
            if (sscanf(line, "MESSAGE %31s %31s", used, limit) != 2 ||
                parse_num(used, &q->used[QUOTA_MESSAGE]) ||
                parse_num(limit, &q->limit[QUOTA_MESSAGE]))
                goto done;
        }
    }
    if (n >= 2 && q->used[QUOTA_STORAGE] >= 0 && q->used[QUOTA_MESSAGE] >= 0)
        r = ERR_OK;
done:
    free(copy);
    return r;
}

void quota_format(const struct quota *q, struct buf *out)
{
    buf_printf(out, "%" PRId64 "\n%" PRId64 "\nMESSAGE %" PRId64 " %" PRId64
               "\n", q->used[QUOTA_STORAGE], q->limit[QUOTA_STORAGE],
               q->used[QUOTA_MESSAGE], q->limit[QUOTA_MESSAGE]);
}

int quota_read(const char *root, struct quota *q)
{
    struct buf path = BUF_INITIALIZER;
    char *data = NULL;
    size_t len;
    int r;

    memset(q, 0, sizeof(*q));
    quota_path(root, &path);
    r = util_read_file(buf_cstring(&path), &data, &len);
    /* Empty: a root whose creation was cut short (quota_modify), none. */
    if (!r && len == 0)
        r = ERR_NOTFOUND;
    if (!r) {
        r = quota_parse(data, len, q);
        if (r)
            log_error("quota file corrupt: root=<%s> file=<%s>; run quota -f",
                      root, path.s);
    }
    if (!r)
        q->root = xstrdup(root);
    free(data);
    buf_free(&path);
    return r;
}

/* Read-modify-write of one root under its lock.  fn changes q; create
 * says whether a missing file starts out empty (else ERR_NOTFOUND). */
static int quota_modify(const char *root, int create,
                        void (*fn)(struct quota *q, const int64_t *args),
                        const int64_t *args)
{
    struct buf path = BUF_INITIALIZER, text = BUF_INITIALIZER;
    struct quota q;
    char *data = NULL;
    size_t len;
    int fd = -1, r;

    quota_path(root, &path);
    r = lock_open_locked(buf_cstring(&path), O_RDWR | (create ? O_CREAT : 0),
                         0600, LOCK_EXCLUSIVE, QUOTA_LOCK_TIMEOUT_MS, &fd);
    if (r) {
        if (errno == ENOENT && !create)
            r = ERR_NOTFOUND;
        goto done;
    }
    memset(&q, 0, sizeof(q));
    r = util_read_file(path.s, &data, &len);
    if (!r && len == 0 && create) {
        q.limit[QUOTA_STORAGE] = q.limit[QUOTA_MESSAGE] = QUOTA_UNLIMITED;
    } else if (!r && len == 0) {
        r = ERR_NOTFOUND;       /* a creation cut short: no root yet */
    } else if (!r && (r = quota_parse(data, len, &q))) {
        log_error("quota file corrupt: root=<%s> file=<%s>; run quota -f",
                  root, path.s);
        goto done;
    }
    if (r)
        goto done;
    fn(&q, args);
    quota_format(&q, &text);
    r = util_atomic_replace(path.s, text.s, text.len, 0600);
done:
    if (fd >= 0)
        close(fd);      /* releases the lock on the replaced inode */
    free(data);
    buf_free(&path);
    buf_free(&text);
    return r;
}

static void set_limits(struct quota *q, const int64_t *a)
{
    q->limit[QUOTA_STORAGE] = a[0];
    q->limit[QUOTA_MESSAGE] = a[1];
}

static void add_usage(struct quota *q, const int64_t *a)
{
    for (int i = 0; i < QUOTA_NUMRESOURCES; i++) {
        q->used[i] += a[i];
        if (q->used[i] < 0)
            q->used[i] = 0;
    }
}

static void set_usage(struct quota *q, const int64_t *a)
{
    q->used[QUOTA_STORAGE] = a[0];
    q->used[QUOTA_MESSAGE] = a[1];
}

int quota_set_limits(const char *root, int64_t storage_kb, int64_t messages)
{
    int64_t a[2] = { storage_kb < 0 ? QUOTA_UNLIMITED : storage_kb,
                     messages < 0 ? QUOTA_UNLIMITED : messages };
    struct buf dir = BUF_INITIALIZER;
    int r;
    buf_printf(&dir, "%s/quota", conf_getstring(CONF_CONFIGDIRECTORY));
    util_mkdir_p(buf_cstring(&dir), 0700);
    buf_free(&dir);
    r = quota_modify(root, 1, set_limits, a);
    if (r)
        log_error("quota set failed: root=<%s> error=<%s>", root,
                  error_string(r));
    return r;
}

int quota_update(const char *root, int64_t bytes, int64_t messages)
{
    int64_t a[2] = { bytes, messages };
    int r = quota_modify(root, 0, add_usage, a);
    return r == ERR_NOTFOUND ? ERR_OK : r;
}

int quota_set_usage(const char *root, int64_t bytes, int64_t messages)
{
    int64_t a[2] = { bytes, messages };
    return quota_modify(root, 0, set_usage, a);
}

int quota_remove(const char *root)
{
    struct buf path = BUF_INITIALIZER;
    int r = ERR_OK;
    quota_path(root, &path);
    if (unlink(buf_cstring(&path)) < 0)
        r = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
    else
        util_fsync_parent(path.s);
    buf_free(&path);
    return r;
}

int quota_check(const struct quota *q, int64_t bytes, int64_t messages,
                enum quota_check rule)
{
    int64_t add[QUOTA_NUMRESOURCES] = { bytes, messages };
    for (int i = 0; i < QUOTA_NUMRESOURCES; i++) {
        int64_t limit = q->limit[i];
        if (limit < 0 || add[i] <= 0)
            continue;
        if (i == QUOTA_STORAGE)
            limit *= 1024;
        if (q->used[i] >= limit)
            return ERR_QUOTA;
        if (rule == QUOTA_CHECK_STRICT && q->used[i] + add[i] > limit)
            return ERR_QUOTA;
    }
    return ERR_OK;
}

int quota_percent(const struct quota *q, enum quota_resource res)
{
    int64_t limit = q->limit[res];
    if (limit <= 0)
        return limit == 0 ? 100 : 0;
    if (res == QUOTA_STORAGE)
        limit *= 1024;
    return (int)(q->used[res] * 100 / limit);
}

int quota_find_root(const char *mboxname, char **root_r)
{
    struct stat st;
    struct buf path = BUF_INITIALIZER;
    char *name = xstrdup(mboxname);
    int r = ERR_NOTFOUND;

    *root_r = NULL;
    for (;;) {
        char *dot;
        quota_path(name, &path);
        /* An empty file is a root whose creation was cut short: none. */
        if (stat(buf_cstring(&path), &st) == 0 && st.st_size > 0) {
            *root_r = name;
            name = NULL;
            r = ERR_OK;
            break;
        }
        dot = strrchr(name, '.');
        if (!dot)
            break;
        *dot = '\0';
    }
    free(name);
    buf_free(&path);
    return r;
}
