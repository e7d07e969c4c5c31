/* subs.c -- per-user subscription files; see subs.h for the format.
 *
 * Changes: lock the file (lock_open_locked() follows a concurrent
 * replacement), read it, change the sorted list, util_atomic_replace() it,
 * then close the descriptor, which drops the lock.  Readers just read.
 * Lock order in a user rename: the old user's file, then the new one's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/subs.h"

#define SUBS_LOCK_TIMEOUT_MS 30000

static int subs_path(const char *userid, struct buf *path)
{
    return mboxname_user_file(conf_getstring(CONF_CONFIGDIRECTORY), userid,
                              "sub", path);
}

/* Sort and drop duplicates (the file's invariant). */
static void subs_normalise(struct strarray *names)
{
    strarray_sort(names);
    for (size_t i = 1; i < names->count;) {
        if (!strcmp(names->data[i], names->data[i - 1]))
            strarray_remove(names, i);
        else
            i++;
    }
}

static void subs_parse(const char *data, size_t len, const char *path,
                       struct strarray *names)
{
    const char *p = data, *end = data + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0) {
            if (mboxname_validate_len(p, n) == ERR_OK)
                strarray_appendm(names, xstrndup(p, n));
            else
                log_warn("subs: invalid mailbox name skipped: file=<%s>",
                         path);
        }
        p += n + (nl ? 1 : 0);
    }
    subs_normalise(names);
}

static void subs_format(const struct strarray *names, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < names->count; i++) {
        buf_appendcstr(out, names->data[i]);
        buf_putc(out, '\n');
    }
}

/* Read path into names (empty for a missing file). */
static int subs_read(const char *path, struct strarray *names)
{
    char *data = NULL;
    size_t len = 0;
    int r;

    strarray_fini(names);
    r = util_read_file(path, &data, &len);
    if (r == ERR_NOTFOUND)
        return ERR_OK;
    if (r) {
        log_error_errno("subs: cannot read: file=<%s>", path);
        return r;
    }
    subs_parse(data, len, path, names);
    free(data);
    return ERR_OK;
}

/* Open and lock userid's file; create says whether to make it (and its
 * directory) when missing, else ERR_NOTFOUND. */
static int subs_lock(const char *path, int create, int *fd_r)
{
    int r;

    *fd_r = -1;
    if (create) {
        char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
        r = util_mkdir_p(dir, 0700);
        free(dir);
        if (r)
            return r;
    }
    r = lock_open_locked(path, O_RDWR | (create ? O_CREAT : 0), 0600,
                         LOCK_EXCLUSIVE, SUBS_LOCK_TIMEOUT_MS, fd_r);
    if (r && r != ERR_NOTFOUND)
        log_error("subs: cannot lock: file=<%s> error=<%s>", path,
                  error_string(r));
    return r;
}

static int subs_write(const char *path, const struct strarray *names)
{
    struct buf text = BUF_INITIALIZER;
    int r;
    subs_format(names, &text);
    r = util_atomic_replace(path, text.s ? text.s : "", text.len, 0600);
    buf_free(&text);
    return r;
}

int subs_list(const char *userid, struct strarray *names)
{
    struct buf path = BUF_INITIALIZER;
    int r;

    strarray_fini(names);
    if ((r = subs_path(userid, &path)) == ERR_OK)
        r = subs_read(buf_cstring(&path), names);
    buf_free(&path);
    return r;
}

int subs_is_subscribed(const char *userid, const char *name)
{
    struct strarray names = STRARRAY_INITIALIZER;
    int found = subs_list(userid, &names) == ERR_OK &&
                strarray_find(&names, name) >= 0;
    strarray_fini(&names);
    return found;
}

/* Add (add=1) or remove name under the lock. */
static int subs_change(const char *userid, const char *name, int add)
{
    struct buf path = BUF_INITIALIZER;
    struct strarray names = STRARRAY_INITIALIZER;
    long idx;
    int fd = -1, r;

    if ((r = mboxname_validate(name)) || (r = subs_path(userid, &path)))
        goto done;
    if ((r = subs_lock(buf_cstring(&path), add, &fd)) ||
        (r = subs_read(path.s, &names)))
        goto done;
    idx = strarray_find(&names, name);
    if (add && idx >= 0)
        goto done;                      /* already subscribed */
    if (!add && idx < 0) {
        r = ERR_NOTFOUND;
        goto done;
    }
    if (add) {
        strarray_append(&names, name);
        subs_normalise(&names);
    } else {
        strarray_remove(&names, (size_t)idx);
    }
    r = subs_write(path.s, &names);
done:
    if (fd >= 0)
        close(fd);                      /* drops the lock */
    strarray_fini(&names);
    buf_free(&path);
    return r;
}

int subs_add(const char *userid, const char *name)
{
    return subs_change(userid, name, 1);
}

int subs_remove(const char *userid, const char *name)
{
    return subs_change(userid, name, 0);
}

/* The user-rename rewrite of one name into out; 0 if it is kept as is. */
static int subs_rewrite(const char *name, const char *olduser,
                        const char *newuser, struct buf *out)
{
    size_t plen = strlen(MBOXNAME_USER_PREFIX), ulen = strlen(olduser);

    if (strncmp(name, MBOXNAME_USER_PREFIX, plen) ||
        strncmp(name + plen, olduser, ulen) ||
        (name[plen + ulen] != '\0' && name[plen + ulen] != MBOXNAME_SEP))
        return 0;
    buf_reset(out);
    buf_printf(out, "%s%s%s", MBOXNAME_USER_PREFIX, newuser,
               name + plen + ulen);
    return 1;
}

static void subs_rename_names(struct strarray *names, const char *olduser,
                              const char *newuser)
{
    struct strarray out = STRARRAY_INITIALIZER;
    struct buf b = BUF_INITIALIZER;

    for (size_t i = 0; i < names->count; i++) {
        if (!subs_rewrite(names->data[i], olduser, newuser, &b)) {
            strarray_append(&out, names->data[i]);
        } else if (mboxname_validate(buf_cstring(&b)) == ERR_OK) {
            strarray_append(&out, b.s);
        } else {
            log_warn("subs: user rename drops a subscription: user=<%s> "
                     "mailbox=<%s>", newuser, names->data[i]);
        }
    }
    subs_normalise(&out);
    strarray_fini(names);
    *names = out;
    buf_free(&b);
}

int subs_rename_user(const char *olduser, const char *newuser)
{
    struct buf from = BUF_INITIALIZER, to = BUF_INITIALIZER;
    struct strarray names = STRARRAY_INITIALIZER;
    int ofd = -1, nfd = -1, r;

    if ((r = subs_path(olduser, &from)) || (r = subs_path(newuser, &to)))
        goto done;
    if (!strcmp(olduser, newuser)) {
        r = ERR_BADARG;
        goto done;
    }
    if ((r = subs_lock(buf_cstring(&from), 0, &ofd))) {
        if (r == ERR_NOTFOUND)
            r = ERR_OK;                 /* nothing to carry over */
        goto done;
    }
    if ((r = subs_read(from.s, &names)))
        goto done;
    subs_rename_names(&names, olduser, newuser);
    if ((r = subs_lock(buf_cstring(&to), 1, &nfd)) ||
        (r = subs_write(to.s, &names)))
        goto done;
    /* The new file is durable: now the old one may go. */
    if (unlink(from.s) < 0) {
        log_error_errno("subs: cannot remove: file=<%s>", from.s);
        r = ERR_IO;
        goto done;
    }
    r = util_fsync_parent(from.s);
done:
    if (nfd >= 0)
        close(nfd);
    if (ofd >= 0)
        close(ofd);
    strarray_fini(&names);
    buf_free(&from);
    buf_free(&to);
    return r;
}

int subs_delete_user(const char *userid)
{
    struct buf path = BUF_INITIALIZER;
    int r = subs_path(userid, &path);

    if (!r) {
        if (unlink(buf_cstring(&path)) == 0) {
            r = util_fsync_parent(path.s);
        } else if (errno != ENOENT) {
            log_error_errno("subs: cannot remove: file=<%s>", path.s);
            r = ERR_IO;
        }
    }
    buf_free(&path);
    return r;
}
