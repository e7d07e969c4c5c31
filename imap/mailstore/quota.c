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

void (*quota_test_hook)(const char *point);

static void quota_point(const char *point)
{
    if (quota_test_hook)
        quota_test_hook(point);
}

void quota_path(const char *root, struct buf *out)
{
    buf_reset(out);
    buf_printf(out, "%s/quota/%s", conf_getstring(CONF_CONFIGDIRECTORY), root);
}

static int parse_num(const char *s, int64_t *v)
{
    long long n;
    if (util_parse_long(s, -1, INT64_MAX, &n))
        return ERR_BADFORMAT;
    *v = n;
    return ERR_OK;
}

static void pending_free(struct quota_pending *pd)
{
    free(pd->uniqueid);
    free(pd->name);
}

void quota_fini(struct quota *q)
{
    free(q->root);
    q->root = NULL;
    for (size_t i = 0; i < q->npending; i++)
        pending_free(&q->pending[i]);
    free(q->pending);
    q->pending = NULL;
    q->npending = 0;
}

/* "PENDING <bytes> <count> <uniqueid> <name>": name is the rest. */
static int pending_parse(char *line, struct quota *q)
{
    char *save = NULL, *bytes, *count, *uid, *name;
    struct quota_pending pd;

    if (strncmp(line, "PENDING ", 8))
        return ERR_BADFORMAT;
    bytes = strtok_r(line + 8, " ", &save);
    count = strtok_r(NULL, " ", &save);
    uid = strtok_r(NULL, " ", &save);
    name = save;
    if (!bytes || !count || !uid || !name || !*name ||
        parse_num(bytes, &pd.used[QUOTA_STORAGE]) ||
        parse_num(count, &pd.used[QUOTA_MESSAGE]) ||
        pd.used[QUOTA_STORAGE] < 0 || pd.used[QUOTA_MESSAGE] < 0)
        return ERR_BADFORMAT;
    pd.uniqueid = xstrdup(uid);
    pd.name = xstrdup(name);
    q->pending = xrealloc(q->pending,
                          (q->npending + 1) * sizeof(*q->pending));
    q->pending[q->npending++] = pd;
    return ERR_OK;
}

int quota_parse(const char *data, size_t len, struct quota *q)
{
    char *copy = xstrndup(data, len);
    char *save = NULL, *line;
    int r = ERR_BADFORMAT, n = 0;

    q->used[QUOTA_MESSAGE] = 0;
    q->limit[QUOTA_MESSAGE] = QUOTA_UNLIMITED;
    q->pending = NULL;
    q->npending = 0;
    q->state = QUOTA_STATE_OK;
    for (line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), n++) {
        if (n == 0 && parse_num(line, &q->used[QUOTA_STORAGE]))
            goto done;
        if (n == 1 && parse_num(line, &q->limit[QUOTA_STORAGE]))
            goto done;
        if (n >= 2 && !strncmp(line, "PENDING ", 8)) {
            if (pending_parse(line, q))
                goto done;
        } else if (n >= 2 && !strcmp(line, "STATE REROOT")) {
            q->state = QUOTA_STATE_REROOT;
        } else if (n >= 2 && !strcmp(line, "STATE REMOVING")) {
            q->state = QUOTA_STATE_REMOVING;
        } else if (n >= 2) {
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
    if (r)
        quota_fini(q);
    free(copy);
    return r;
}

void quota_format(const struct quota *q, struct buf *out)
{
    buf_printf(out, "%" PRId64 "\n%" PRId64 "\nMESSAGE %" PRId64 " %" PRId64
               "\n", q->used[QUOTA_STORAGE], q->limit[QUOTA_STORAGE],
               q->used[QUOTA_MESSAGE], q->limit[QUOTA_MESSAGE]);
    if (q->state != QUOTA_STATE_OK)
        buf_printf(out, "STATE %s\n", q->state == QUOTA_STATE_REROOT
                                           ? "REROOT" : "REMOVING");
    for (size_t i = 0; i < q->npending; i++)
        buf_printf(out, "PENDING %" PRId64 " %" PRId64 " %s %s\n",
                   q->pending[i].used[QUOTA_STORAGE],
                   q->pending[i].used[QUOTA_MESSAGE], q->pending[i].uniqueid,
                   q->pending[i].name);
}

int quota_write_text(const char *root, const struct buf *text)
{
    struct buf path = BUF_INITIALIZER, tmp = BUF_INITIALIZER;
    int r;

    quota_path(root, &path);
    buf_printf(&tmp, "%s/quota/.%s.NEW", conf_getstring(CONF_CONFIGDIRECTORY),
               root);
    r = util_atomic_replace_tmp(buf_cstring(&path), buf_cstring(&tmp),
                                text->s, text->len, 0600);
    buf_free(&path);
    buf_free(&tmp);
    return r;
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
struct quota_op {
    int64_t a[QUOTA_NUMRESOURCES + 1];   /* + the state of a new root */
    const char *uniqueid, *name;
    int name_only;                      /* settle: lines of name only */
};

static int quota_modify(const char *root, int create,
                        int (*fn)(struct quota *q, const struct quota_op *op),
                        const struct quota_op *op)
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
        q.state = (enum quota_state)op->a[QUOTA_NUMRESOURCES];
    } else if (!r && len == 0) {
        r = ERR_NOTFOUND;       /* a creation cut short: no root yet */
    } else if (!r && (r = quota_parse(data, len, &q))) {
        log_error("quota file corrupt: root=<%s> file=<%s>; run quota -f",
                  root, path.s);
        goto done;
    }
    if (r)
        goto done;
    if (fn(&q, op)) {
        quota_format(&q, &text);
        r = quota_write_text(root, &text);
    }
    quota_fini(&q);
done:
    if (fd >= 0)
        close(fd);      /* releases the lock on the replaced inode */
    free(data);
    buf_free(&path);
    buf_free(&text);
    return r;
}

static int set_limits(struct quota *q, const struct quota_op *op)
{
    q->limit[QUOTA_STORAGE] = op->a[0];
    q->limit[QUOTA_MESSAGE] = op->a[1];
    return 1;
}

static int op_set_state(struct quota *q, const struct quota_op *op)
{
    q->state = (enum quota_state)op->a[0];
    return 1;
}

int quota_set_state(const char *root, enum quota_state state)
{
    struct quota_op op = { { state, 0, 0 }, NULL, NULL, 0 };
    return quota_modify(root, 0, op_set_state, &op);
}

static void add_usage(struct quota *q, const int64_t *a)
{
    for (int i = 0; i < QUOTA_NUMRESOURCES; i++) {
        q->used[i] += a[i];
        if (q->used[i] < 0)
            q->used[i] = 0;
    }
}

static int op_add_usage(struct quota *q, const struct quota_op *op)
{
    add_usage(q, op->a);
    return 1;
}

/* Does op settle line pd? */
static int settles(const struct quota_op *op, const struct quota_pending *pd)
{
    return !strcmp(pd->uniqueid, op->uniqueid) &&
           (!op->name_only || !strcmp(pd->name, op->name));
}

/* Settle every PENDING line of op->uniqueid (op->name_only: written under
 * op->name) with contribution op->a. */
static int settle_pending(struct quota *q, const struct quota_op *op)
{
    size_t kept = 0;
    int changed = 0;

    for (size_t i = 0; i < q->npending; i++) {
        struct quota_pending *pd = &q->pending[i];
        if (!settles(op, pd)) {
            q->pending[kept++] = *pd;
            continue;
        }
        int64_t d[QUOTA_NUMRESOURCES];
        for (int k = 0; k < QUOTA_NUMRESOURCES; k++)
            d[k] = op->a[k] - pd->used[k];
        add_usage(q, d);
        pending_free(pd);
        changed = 1;
    }
    q->npending = kept;
    return changed;
}

static int begin_pending(struct quota *q, const struct quota_op *op)
{
    struct quota_pending *pd;

    settle_pending(q, op);
    q->pending = xrealloc(q->pending,
                          (q->npending + 1) * sizeof(*q->pending));
    pd = &q->pending[q->npending++];
    pd->uniqueid = xstrdup(op->uniqueid);
    pd->name = xstrdup(op->name);
    pd->used[QUOTA_STORAGE] = op->a[0];
    pd->used[QUOTA_MESSAGE] = op->a[1];
    return 1;
}

static int set_usage(struct quota *q, const struct quota_op *op)
{
    q->used[QUOTA_STORAGE] = op->a[0];
    q->used[QUOTA_MESSAGE] = op->a[1];
    for (size_t i = 0; i < q->npending; i++)
        pending_free(&q->pending[i]);
    q->npending = 0;
    return 1;
}

static int limits(const char *root, int64_t storage_kb, int64_t messages,
                  enum quota_state state)
{
    struct quota_op op = { { storage_kb < 0 ? QUOTA_UNLIMITED : storage_kb,
                             messages < 0 ? QUOTA_UNLIMITED : messages,
                             state }, NULL, NULL, 0 };
    struct buf dir = BUF_INITIALIZER;
    int r;
    buf_printf(&dir, "%s/quota", conf_getstring(CONF_CONFIGDIRECTORY));
    util_mkdir_p(buf_cstring(&dir), 0700);
    buf_free(&dir);
    r = quota_modify(root, 1, set_limits, &op);
    if (r)
        log_error("quota set failed: root=<%s> error=<%s>", root,
                  error_string(r));
    return r;
}

int quota_set_limits(const char *root, int64_t storage_kb, int64_t messages)
{
    return limits(root, storage_kb, messages, QUOTA_STATE_OK);
}

int quota_create_root(const char *root, int64_t storage_kb, int64_t messages)
{
    return limits(root, storage_kb, messages, QUOTA_STATE_REROOT);
}

int quota_update(const char *root, int64_t bytes, int64_t messages)
{
    struct quota_op op = { { bytes, messages, 0 }, NULL, NULL, 0 };
    int r = quota_modify(root, 0, op_add_usage, &op);
    return r == ERR_NOTFOUND ? ERR_OK : r;
}

int quota_change_begin(const char *root, const char *uniqueid,
                       const char *name, int64_t bytes, int64_t messages)
{
    struct quota_op op = { { bytes, messages, 0 }, uniqueid, name, 0 };
    int r = quota_modify(root, 0, begin_pending, &op);
    if (!r)
        quota_point("pending");
    return r == ERR_NOTFOUND ? ERR_OK : r;
}

static int settle_op(const char *root, const struct quota_op *op)
{
    struct quota q;
    int r, mine = 0;

    /* Only the holder of the mailbox's lock adds lines for it: one not in
     * the file now will not appear, so a read without the lock tells. */
    r = quota_read(root, &q);
    for (size_t i = 0; !r && i < q.npending && !mine; i++)
        mine = settles(op, &q.pending[i]);
    quota_fini(&q);
    if (r || !mine)
        return r == ERR_NOTFOUND ? ERR_OK : r;
    r = quota_modify(root, 0, settle_pending, op);
    if (!r)
        quota_point("settled");
    return r == ERR_NOTFOUND ? ERR_OK : r;
}

int quota_settle(const char *root, const char *uniqueid, int64_t bytes,
                 int64_t messages)
{
    struct quota_op op = { { bytes, messages, 0 }, uniqueid, NULL, 0 };

    return settle_op(root, &op);
}

int quota_settle_named(const char *root, const char *uniqueid,
                       const char *name, int64_t bytes, int64_t messages)
{
    struct quota_op op = { { bytes, messages, 0 }, uniqueid, name, 1 };

    return settle_op(root, &op);
}

int quota_set_usage(const char *root, int64_t bytes, int64_t messages)
{
    struct quota_op op = { { bytes, messages, 0 }, NULL, NULL, 0 };
    return quota_modify(root, 0, set_usage, &op);
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

static int root_live(const char *root)
{
    struct quota q;
    int r = quota_read(root, &q), live = r || q.state != QUOTA_STATE_REMOVING;
    quota_fini(&q);
    return live;
}

static int find_root(const char *mboxname, int live, char **root_r)
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
        if (stat(buf_cstring(&path), &st) == 0 && st.st_size > 0 &&
            (!live || root_live(name))) {
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

int quota_find_root(const char *mboxname, char **root_r)
{
    return find_root(mboxname, 0, root_r);
}

int quota_find_root_live(const char *mboxname, char **root_r)
{
    return find_root(mboxname, 1, root_r);
}
