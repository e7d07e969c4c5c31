/* mboxlist_files.c -- the filesystem steps of the mailboxes database's
 * intents (mboxlist_private.h): what a mailbox directory holds, putting a
 * mailbox's files at another place, removing them.  Every function here
 * may be run again after a kill at any instant and finishes the job: a
 * directory is renamed atomically, files moved or copied one by one go
 * with cyrus.index last (so a directory with a cyrus.index of ours is
 * complete), and a copied cyrus.index arrives by rename(2).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/reconstruct.h"

static char *files_join(const char *dir, const char *file)
{
    return strconcat(dir, "/", file, (char *)NULL);
}

static int files_exist(const char *dir, const char *file)
{
    char *p = files_join(dir, file);
    struct stat st;
    int yes = lstat(p, &st) == 0;
    free(p);
    return yes;
}

/* The unique id in path's cyrus.header, or NULL. */
static char *files_header_uniqueid(const char *path)
{
    struct mailbox hdr;
    char *file = files_join(path, MAILBOX_HEADER_FILE), *data = NULL, *id;
    size_t len;

    memset(&hdr, 0, sizeof(hdr));
    if (util_read_file(file, &data, &len) ||
        mailbox_header_parse(data, len, &hdr))
        hdr.uniqueid = NULL;
    id = hdr.uniqueid;
    free(hdr.quotaroot);
    free(hdr.acl);
    strarray_fini(&hdr.flagnames);
    free(data);
    free(file);
    return id;
}

int mboxlist_files_at(const char *name, const char *path,
                      const char *uniqueid)
{
    char *id = files_header_uniqueid(path);
    int ours = id && !strcmp(id, uniqueid), at;
    struct mailbox *mb = NULL;

    free(id);
    if (!files_exist(path, MAILBOX_INDEX_FILE))
        return ours ? MBOXLIST_AT_PARTIAL : MBOXLIST_AT_NONE;
    if (ours)
        return MBOXLIST_AT_OURS;
    at = MBOXLIST_AT_FOREIGN;
    if (mailbox_open(name, path, MAILBOX_UNLOCKED, &mb) == ERR_OK &&
        mb->i.num_records == 0)
        at = MBOXLIST_AT_EMPTY;
    mailbox_close(&mb);
    return at;
}

static int files_is_message(const char *f)
{
    size_t n = strspn(f, "0123456789");
    return n > 0 && f[n] == '.' && f[n + 1] == '\0';
}

/* Ordering of a mailbox's files: messages, other files, cyrus.index. */
static int files_rank(const char *f)
{
    if (files_is_message(f))
        return 0;
    return strcmp(f, MAILBOX_INDEX_FILE) ? 1 : 2;
}

static int files_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int d = files_rank(x) - files_rank(y);
    return d ? d : strcmp(x, y);
}

/* The regular files of the mailbox in dir (not its subdirectories: other
 * mailboxes), in files_rank() order.  A missing dir is empty. */
static int files_list(const char *dir, struct strarray *files)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d) {
        if (errno == ENOENT)
            return ERR_OK;
        log_error_errno("mboxlist: cannot read directory: dir=<%s>", dir);
        return ERR_IO;
    }
    while ((de = readdir(d))) {
        struct stat st;
        char *p;
        if (de->d_name[0] == '.')
            continue;
        p = files_join(dir, de->d_name);
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
            strarray_append(files, de->d_name);
        free(p);
    }
    closedir(d);
    if (files->count > 1)
        qsort(files->data, files->count, sizeof(char *), files_cmp);
    return ERR_OK;
}

/* Copy one file durably, replacing to. */
static int files_copy_one(const char *from, const char *to)
{
    char chunk[65536];
    ssize_t n = 0;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, r = ERR_IO;

    if (in >= 0)
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    while (out >= 0 && (n = retry_read(in, chunk, sizeof(chunk))) > 0)
        if (retry_write(out, chunk, (size_t)n) != n)
            break;
    if (out >= 0 && n == 0 && util_fsync_fd(out) == ERR_OK)
        r = ERR_OK;
    if (r)
        log_error_errno("mboxlist: copy failed: from=<%s> to=<%s>", from, to);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return r;
}

/* One file of a copy: messages are hard-linked where the partitions share
 * a filesystem, the cyrus.* files always copied (a shared cyrus.index
 * would share its lock), cyrus.index through a temporary name. */
static int files_copy_file(const char *from, const char *to, const char *f)
{
    char *src = files_join(from, f), *dst = files_join(to, f), *tmp = NULL;
    int r = ERR_OK;

    if (unlink(dst) < 0 && errno != ENOENT) {
        log_error_errno("mboxlist: cannot replace file=<%s>", dst);
        r = ERR_IO;
    } else if (files_is_message(f)) {
        if (link(src, dst) < 0)
            r = files_copy_one(src, dst);
    } else if (!strcmp(f, MAILBOX_INDEX_FILE)) {
        tmp = strconcat(dst, ".NEW", (char *)NULL);
        r = files_copy_one(src, tmp);
        if (!r && rename(tmp, dst) < 0) {
            log_error_errno("mboxlist: rename failed: from=<%s> to=<%s>", tmp,
                            dst);
            r = ERR_IO;
        }
    } else {
        r = files_copy_one(src, dst);
    }
    free(src);
    free(dst);
    free(tmp);
    return r;
}

/* Move (or copy) every file of the mailbox in from into the directory to,
 * skipping files an earlier attempt already moved. */
static int files_each(const char *from, const char *to, int copy)
{
    struct strarray files = STRARRAY_INITIALIZER;
    int r = files_list(from, &files);

    for (size_t i = 0; !r && i < files.count; i++) {
        const char *f = files.data[i];
        mboxlist_intent_point("file");
        if (copy) {
            r = files_copy_file(from, to, f);
        } else {
            char *src = files_join(from, f), *dst = files_join(to, f);
            if (rename(src, dst) < 0 && errno != ENOENT) {
                log_error_errno("mboxlist: rename failed: from=<%s> to=<%s>",
                                src, dst);
                r = ERR_IO;
            }
            free(src);
            free(dst);
        }
    }
    if (!r)
        r = util_fsync_dir(to);
    strarray_fini(&files);
    return r;
}

/* Make room at to: nothing, or an empty other mailbox (removed). */
static int files_clear(const char *name, const char *to, const char *uniqueid)
{
    int at = mboxlist_files_at(name, to, uniqueid);

    if (at == MBOXLIST_AT_FOREIGN) {
        log_error("mboxlist: mailbox files with messages but no record: "
                  "mailbox=<%s> path=<%s>; run reconstruct -m", name, to);
        return ERR_EXISTS;
    }
    if (at == MBOXLIST_AT_EMPTY) {
        log_warn("mboxlist: removing leftover mailbox files: mailbox=<%s> "
                 "path=<%s>", name, to);
        return mboxlist_files_remove(to);
    }
    return ERR_OK;
}

int mboxlist_files_place(const char *name, const char *uniqueid,
                         const char *from, const char *to, int copy)
{
    char *parent;
    struct stat st;
    int r;

    char *id;
    int at = mboxlist_files_at(name, to, uniqueid), ours;

    if (at == MBOXLIST_AT_OURS)
        return ERR_OK;                  /* done before */
    /* A move file by file takes cyrus.header before cyrus.index: our
     * header may already be at to. */
    id = files_header_uniqueid(from);
    ours = (id && !strcmp(id, uniqueid)) || at == MBOXLIST_AT_PARTIAL;
    free(id);
    if (!ours || !files_exist(from, MAILBOX_INDEX_FILE)) {
        log_error("mboxlist: mailbox files not found: mailbox=<%s> "
                  "path=<%s> or <%s>; run reconstruct", name, from, to);
        return ERR_NOTFOUND;
    }
    if (at != MBOXLIST_AT_PARTIAL && (r = files_clear(name, to, uniqueid)))
        return r;
    parent = xstrndup(to, (size_t)(strrchr(to, '/') - to));
    r = util_mkdir_p(parent, 0700);
    free(parent);
    if (r)
        return r;
    if (copy) {
        if (mkdir(to, 0700) < 0 && errno != EEXIST) {
            log_error_errno("mboxlist: cannot make directory=<%s>", to);
            return ERR_IO;
        }
        return files_each(from, to, 1);
    }
    /* rename(2) cannot replace a directory that holds something (other
     * mailboxes' directories, or files an interrupted move left): then
     * the files go one by one. */
    if (lstat(to, &st) == 0 && rmdir(to) < 0)
        return files_each(from, to, 0);
    if (rename(from, to) < 0) {
        log_error_errno("mboxlist: rename failed: from=<%s> to=<%s>", from,
                        to);
        return ERR_IO;
    }
    if ((r = util_fsync_parent(to)) == ERR_OK)
        r = util_fsync_parent(from);
    return r;
}

int mboxlist_files_remove(const char *path)
{
    struct strarray files = STRARRAY_INITIALIZER;
    char *p;
    int r;

    /* cyrus.index first: a writer that was waiting for its lock then finds
     * it gone (mailbox_lock) instead of appending to a dying mailbox. */
    p = files_join(path, MAILBOX_INDEX_FILE);
    r = unlink(p) < 0 && errno != ENOENT ? ERR_IO : ERR_OK;
    free(p);
    if (!r)
        r = files_list(path, &files);
    for (size_t i = 0; !r && i < files.count; i++) {
        const char *f = files.data[i];
        if (!files_is_message(f) && strncmp(f, "cyrus.", 6))
            continue;                   /* not ours to judge */
        p = files_join(path, f);
        if (unlink(p) < 0 && errno != ENOENT)
            r = ERR_IO;
        free(p);
    }
    strarray_fini(&files);
    p = files_join(path, RECONSTRUCT_TMPDIR);
    util_remove_tree(p);
    free(p);
    if (r)
        log_error_errno("mboxlist: mailbox files not all removed: path=<%s>",
                        path);
    else if (rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY &&
             errno != EEXIST)
        r = ERR_IO;
    return r;
}

void mboxlist_files_prune(const char *path, const char *partition)
{
    rmdir(path);                        /* only when empty */
    mboxlist_prune_dirs(path, partition);
}
