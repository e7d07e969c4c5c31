/* mboxlist_rename.c -- hierarchical mailbox rename, partition moves and
 * user renames (see mboxlist_rename() in mboxlist.h).
 *
 * Phases: check (rights, names), plan (every mailbox under the old name
 * and its new name, entry and paths), lock (each old mailbox's index, in
 * name order), files (directory renames on the same partition, copies to
 * another one; undone on failure), commit (one mailboxes.db transaction),
 * finish (quota roots and usage, old copies, cyrus.header, user files).
 * Lock order: cyrus.index locks, then mailboxes.db, then quota files.
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

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/subs.h"

#define RENAME_QUOTA_LOCK_MS 30000

/* How a mailbox's files get to their new place. */
enum move_how {
    MOVE_NONE,          /* not yet done */
    MOVE_BY_ANCESTOR,   /* inside a directory an ancestor's rename moved */
    MOVE_DIR,           /* rename(2) of its directory */
    MOVE_FILES,         /* rename(2) of each file into an existing dir */
    MOVE_COPY           /* copied to another partition */
};

struct move {
    struct mboxlist_entry *old;     /* in the plan's list */
    struct mboxlist_entry new;      /* owns its strings */
    struct buf oldpath, newpath;
    struct mailbox *mb;             /* old mailbox, locked */
    enum move_how how;
    uint64_t used;                  /* usage under its old root */
    uint32_t records;
    char *oldroot;
};

struct rename_op {
    const char *oldname, *newname, *partition;
    const struct auth_state *who;
    int same;                       /* partition move of one mailbox */
    int userrename;
    char *olduser, *newuser;
    struct mboxlist_list list;
    struct move *m;
    size_t n;
};

/* ---- check and plan ----------------------------------------------------- */

static int rename_check(struct rename_op *op)
{
    struct mboxlist_entry top;
    struct buf acl = BUF_INITIALIZER;
    int admin = auth_is_admin(op->who), r;

    if (mboxname_isinbox(op->oldname) && !auth_is_anonymous(op->who) &&
        !strcmp(op->olduser, auth_userid(op->who)))
        return ERR_NOTSUPP;
    if ((r = mboxlist_lookup_access(op->oldname, op->who, ACL_DELETEMBOX,
                                    &top, NULL)))
        return r;
    if ((r = mboxname_validate(op->newname)))
        goto done;
    if (op->partition && !conf_partition_dir(op->partition)) {
        r = ERR_BADARG;
    } else if (op->same) {
        if (!op->partition || !strcmp(op->partition, top.partition))
            r = ERR_EXISTS;
        else if (!admin)
            r = ERR_PERM;
    } else if (op->userrename && !mboxname_isinbox(op->newname)) {
        r = ERR_NOTSUPP;
    } else if (op->userrename && !admin) {
        r = ERR_PERM;
    } else if (mboxname_isdescendant(op->newname, op->oldname) ||
               mboxname_isdescendant(op->oldname, op->newname)) {
        r = ERR_BADARG;
    } else if (!(r = mboxlist_check_absent(NULL, op->newname, op->who))) {
        r = mboxlist_create_rights(op->newname, op->who, 0, &acl);
    }
done:
    mboxlist_entry_fini(&top);
    buf_free(&acl);
    return r;
}

/* The ACL of a moved mailbox in a user rename: "a" and "-a" become "b"
 * and "-b" (merged with entries b may already have). */
static char *rename_acl(const char *text, const char *olduser,
                        const char *newuser)
{
    struct acl *acl = NULL, *out;
    struct buf b = BUF_INITIALIZER;
    char *neg = strconcat("-", newuser, (char *)NULL);

    if (acl_parse(text, &acl)) {
        free(neg);
        return xstrdup(text);   /* corrupt: logged by whoever reads it */
    }
    out = acl_new();
    for (size_t i = 0; i < acl_count(acl); i++) {
        unsigned rights;
        const char *id = acl_nth(acl, i, &rights);
        if (!strcmp(id, olduser))
            id = newuser;
        else if (id[0] == '-' && !strcmp(id + 1, olduser))
            id = neg;
        acl_set(out, id, rights | acl_get(out, id));
    }
    acl_serialize(out, &b);
    acl_free(&acl);
    acl_free(&out);
    free(neg);
    return buf_release(&b);
}

static int rename_plan_one(struct rename_op *op, struct move *m, size_t i)
{
    struct mboxlist_entry *old = m->old;
    struct buf name = BUF_INITIALIZER;
    int r;

    if (!old->partition)
        return ERR_BADFORMAT;           /* corrupt record below: logged */
    if (op->same)
        buf_setcstr(&name, old->name);
    else
        buf_printf(&name, "%s%s", op->newname,
                   old->name + strlen(op->oldname));
    m->new.name = buf_release(&name);
    if ((r = mboxname_validate(m->new.name)))
        return r;
    if (!op->same && i > 0 &&
        (r = mboxlist_check_absent(NULL, m->new.name, op->who)))
        return r;
    m->new.partition = xstrdup(op->partition ? op->partition
                                             : old->partition);
    m->new.acl = op->userrename
                     ? rename_acl(old->acl, op->olduser, op->newuser)
                     : xstrdup(old->acl);
    m->new.uniqueid = xstrdup(old->uniqueid);
    m->new.type = old->type;
    m->new.created = old->created;
    if ((r = mboxlist_entry_path(old, &m->oldpath)) ||
        (r = mboxlist_entry_path(&m->new, &m->newpath)))
        return r;
    /* Two partition names for one directory: there is nothing to move,
     * and "moving" would treat the live files as leftovers. */
    if (!strcmp(m->oldpath.s, m->newpath.s))
        return ERR_BADARG;
    return ERR_OK;
}

static int rename_plan(struct rename_op *op)
{
    int r = mboxlist_collect(NULL, op->oldname, !op->same, &op->list);

    if (r)
        return r;
    op->m = xcalloc(op->list.n, sizeof(*op->m));
    op->n = op->list.n;
    for (size_t i = 0; i < op->n && !r; i++) {
        op->m[i].old = &op->list.e[i];
        r = rename_plan_one(op, &op->m[i], i);
    }
    return r;
}

static int rename_lock(struct rename_op *op)
{
    for (size_t i = 0; i < op->n; i++) {
        struct move *m = &op->m[i];
        int r = mailbox_open(m->old->name, buf_cstring(&m->oldpath),
                             MAILBOX_EXCLUSIVE, &m->mb);
        if (r) {
            log_error("mboxlist: cannot rename a mailbox whose files cannot "
                      "be opened: mailbox=<%s> error=<%s>; run reconstruct",
                      m->old->name, error_string(r));
            return r == ERR_NOTFOUND ? ERR_IO : r;
        }
        m->used = m->mb->i.quota_used;
        m->records = m->mb->i.num_records;
        m->oldroot = xstrdupnull(m->mb->quotaroot);
    }
    return ERR_OK;
}

/* ---- files -------------------------------------------------------------- */

/* The files of the mailbox in dir, message files first and cyrus.index
 * last, so that a half-moved directory never looks complete. */
static int rename_list_files(const char *dir, struct strarray *files)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d) {
        log_error_errno("mboxlist: cannot read directory: dir=<%s>", dir);
        return ERR_IO;
    }
    while ((de = readdir(d))) {
        size_t n = strspn(de->d_name, "0123456789");
        if (n > 0 && de->d_name[n] == '.' && de->d_name[n + 1] == '\0')
            strarray_append(files, de->d_name);
    }
    closedir(d);
    strarray_append(files, MAILBOX_CACHE_FILE);
    strarray_append(files, MAILBOX_HEADER_FILE);
    strarray_append(files, MAILBOX_INDEX_FILE);
    return ERR_OK;
}

/* Copy one file durably (another filesystem: no hard link possible). */
static int rename_copy_file(const char *from, const char *to)
{
    char chunk[65536];
    ssize_t n = 0;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, r = ERR_IO;

    if (in >= 0)
        out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
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

/* Apply (undo=0) or revert (undo=1) a per-file move or copy. */
static int rename_each_file(const struct move *m, int copy, int undo)
{
    struct strarray files = STRARRAY_INITIALIZER;
    struct buf from = BUF_INITIALIZER, to = BUF_INITIALIZER;
    const char *src = undo ? m->newpath.s : m->oldpath.s;
    const char *dst = undo ? m->oldpath.s : m->newpath.s;
    int r = rename_list_files(copy && undo ? dst : src, &files);

    for (size_t i = 0; !r && i < files.count; i++) {
        buf_reset(&from);
        buf_reset(&to);
        buf_printf(&from, "%s/%s", src, files.data[i]);
        buf_printf(&to, "%s/%s", dst, files.data[i]);
        if (copy && undo) {
            if (unlink(from.s) < 0 && errno != ENOENT)
                r = ERR_IO;
        } else if (copy) {
            if (link(from.s, to.s) < 0)
                r = rename_copy_file(from.s, to.s);
        } else if (rename(from.s, to.s) < 0) {
            log_error_errno("mboxlist: rename failed: from=<%s> to=<%s>",
                            from.s, to.s);
            r = ERR_IO;
        }
    }
    if (!r)
        r = util_fsync_dir(dst);
    if (copy && undo)
        rmdir(src);
    strarray_fini(&files);
    buf_free(&from);
    buf_free(&to);
    return r;
}

/* 1 if an ancestor's directory rename already carried m along. */
static int rename_carried(const struct rename_op *op, size_t i)
{
    const struct move *m = &op->m[i];
    for (size_t j = 0; j < i; j++) {
        const struct move *a = &op->m[j];
        if (a->how == MOVE_DIR &&
            !strcmp(a->old->partition, m->old->partition) &&
            mboxname_isdescendant(m->old->name, a->old->name))
            return 1;
    }
    return 0;
}

static int rename_move_one(struct rename_op *op, size_t i)
{
    struct move *m = &op->m[i];
    const char *to = buf_cstring(&m->newpath);
    char *parent;
    struct stat st;
    int r;

    if (!strcmp(m->old->partition, m->new.partition) && rename_carried(op, i)) {
        m->how = MOVE_BY_ANCESTOR;
        return ERR_OK;
    }
    /* Leftovers of an earlier crashed rename of this very mailbox go. */
    if ((r = mboxlist_remove_orphan(m->new.name, to, m->new.uniqueid)))
        return r;
    parent = xstrndup(to, (size_t)(strrchr(to, '/') - to));
    r = util_mkdir_p(parent, 0700);
    free(parent);
    if (r)
        return r;
    if (strcmp(m->old->partition, m->new.partition)) {
        if (mkdir(to, 0700) < 0 && errno != EEXIST)
            return ERR_IO;
        m->how = MOVE_COPY;
        return rename_each_file(m, 1, 0);
    }
    /* An existing directory (holding other mailboxes' directories) cannot
     * be replaced by rename(2): move the files into it instead. */
    if (stat(to, &st) == 0 && rmdir(to) < 0) {
        m->how = MOVE_FILES;
        return rename_each_file(m, 0, 0);
    }
    if (rename(m->oldpath.s, to) < 0) {
        log_error_errno("mboxlist: rename failed: from=<%s> to=<%s>",
                        m->oldpath.s, to);
        return ERR_IO;
    }
    m->how = MOVE_DIR;
    if ((r = util_fsync_parent(to)) == ERR_OK)
        r = util_fsync_parent(m->oldpath.s);
    return r;
}

/* Put the files back where they were (after a failure before commit). */
static void rename_undo_files(struct rename_op *op)
{
    for (size_t i = op->n; i-- > 0;) {
        struct move *m = &op->m[i];
        int r = ERR_OK;
        if (m->how == MOVE_DIR && rename(m->newpath.s, m->oldpath.s) < 0)
            r = ERR_IO;
        else if (m->how == MOVE_FILES || m->how == MOVE_COPY)
            r = rename_each_file(m, m->how == MOVE_COPY, 1);
        if (r)
            log_error("mboxlist: rename could not be undone: mailbox=<%s> "
                      "path=<%s>; run reconstruct -m", m->old->name,
                      m->newpath.s);
        m->how = MOVE_NONE;
    }
}

static int rename_files(struct rename_op *op)
{
    int r = ERR_OK;
    for (size_t i = 0; i < op->n && !r; i++)
        r = rename_move_one(op, i);
    if (r)
        rename_undo_files(op);
    return r;
}

/* ---- commit ------------------------------------------------------------- */

static int rename_commit_once(struct rename_op *op, struct db_env *env,
                              struct db *db)
{
    struct db_txn *txn = NULL;
    int r;

    if ((r = db_begin(env, &txn)))
        return r;
    for (size_t i = 0; i < op->n && !r; i++) {
        const char *oldname = op->m[i].old->name;
        if (!op->same) {
            r = mboxlist_fetch(txn, op->m[i].new.name, NULL);
            r = r == ERR_OK ? ERR_EXISTS : r == ERR_NOTFOUND ? ERR_OK : r;
            if (!r)
                r = db_delete(db, txn, oldname, strlen(oldname));
        }
        if (!r)
            r = mboxlist_store(txn, &op->m[i].new);
    }
    if (!r)
        return db_commit(&txn);
    db_abort(&txn);
    return r;
}

static int rename_commit(struct rename_op *op)
{
    struct db_env *env;
    struct db *db;
    int r, tries = 0;

    if ((r = mboxlist_db_get(&env, &db)))
        return r;
    do {
        r = rename_commit_once(op, env, db);
    } while (r == ERR_CONFLICT && ++tries < MBOXLIST_MAX_RETRIES);
    return r;
}

/* ---- finish ------------------------------------------------------------- */

/* Move the root file of quota root `from` to `to`, under from's lock. */
static int rename_quota_file(const char *from, const char *to)
{
    struct buf fpath = BUF_INITIALIZER, tpath = BUF_INITIALIZER;
    int fd = -1, r;

    quota_path(from, &fpath);
    quota_path(to, &tpath);
    r = lock_open_locked(buf_cstring(&fpath), O_RDWR, 0600, LOCK_EXCLUSIVE,
                         RENAME_QUOTA_LOCK_MS, &fd);
    if (!r && rename(fpath.s, buf_cstring(&tpath)) < 0)
        r = ERR_IO;
    if (!r)
        r = util_fsync_parent(tpath.s);
    if (r && r != ERR_NOTFOUND)
        log_error("mboxlist: quota root not moved: from=<%s> to=<%s>; "
                  "run quota -f", from, to);
    if (fd >= 0)
        close(fd);
    buf_free(&fpath);
    buf_free(&tpath);
    return r;
}

/* Quota roots named after moved mailboxes follow them; then each moved
 * mailbox's usage goes to its new root if that changed.  Runs while the
 * old mailboxes are still locked, so no append races the transfer. */
static void rename_quota(struct rename_op *op, char **newroots)
{
    struct strarray moved = STRARRAY_INITIALIZER;   /* old root names */

    for (size_t i = 0; i < op->n; i++)
        if (rename_quota_file(op->m[i].old->name, op->m[i].new.name) == 0)
            strarray_append(&moved, op->m[i].old->name);
    for (size_t i = 0; i < op->n; i++) {
        struct move *m = &op->m[i];
        const char *before = m->oldroot;
        if (quota_find_root(m->new.name, &newroots[i]))
            newroots[i] = NULL;
        /* A root that moved is the same root under its new name. */
        for (size_t j = 0; before && j < op->n; j++) {
            if (strarray_find(&moved, before) >= 0 &&
                !strcmp(before, op->m[j].old->name)) {
                before = op->m[j].new.name;
                break;
            }
        }
        if ((before && newroots[i] && !strcmp(before, newroots[i])) ||
            (!before && !newroots[i]))
            continue;
        if ((before && quota_update(before, -(int64_t)m->used,
                                    -(int64_t)m->records)) ||
            (newroots[i] && quota_update(newroots[i], (int64_t)m->used,
                                         (int64_t)m->records)))
            log_warn("mboxlist: quota usage not moved: mailbox=<%s>; "
                     "run quota -f", m->new.name);
    }
    strarray_fini(&moved);
}

/* The new cyrus.header: ACL copy and quota root. */
static void rename_header(const struct move *m, const char *root)
{
    struct mailbox *mb = NULL;
    if (mailbox_open(m->new.name, m->newpath.s, MAILBOX_EXCLUSIVE, &mb) ==
        ERR_OK) {
        free(mb->acl);
        mb->acl = xstrdup(m->new.acl);
        free(mb->quotaroot);
        mb->quotaroot = xstrdupnull(root);
        if (mailbox_write_header(mb) == ERR_OK) {
            mailbox_close(&mb);
            return;
        }
        mailbox_close(&mb);
    }
    log_warn("mboxlist: cyrus.header not updated after rename: "
             "mailbox=<%s>; run reconstruct", m->new.name);
}

static void rename_finish(struct rename_op *op)
{
    char **newroots = xcalloc(op->n, sizeof(char *));

    if (!op->same)
        rename_quota(op, newroots);
    /* Children first, so that emptied directories can go. */
    for (size_t i = op->n; i-- > 0;) {
        struct move *m = &op->m[i];
        if (m->how == MOVE_COPY)
            mailbox_delete_files(m->mb);
        mailbox_close(&m->mb);
        if (m->how == MOVE_FILES)
            rmdir(m->oldpath.s);
        if (m->how != MOVE_BY_ANCESTOR)
            mboxlist_prune_dirs(m->oldpath.s, m->old->partition);
        if (!op->same)
            rename_header(m, newroots[i]);
        free(newroots[i]);
    }
    free(newroots);
    if (op->userrename &&
        (subs_rename_user(op->olduser, op->newuser) ||
         seen_rename_user(op->olduser, op->newuser)))
        log_warn("mboxlist: user files not all renamed: from=<%s> to=<%s>",
                 op->olduser, op->newuser);
}

static void rename_op_fini(struct rename_op *op)
{
    for (size_t i = 0; i < op->n; i++) {
        mailbox_close(&op->m[i].mb);
        mboxlist_entry_fini(&op->m[i].new);
        buf_free(&op->m[i].oldpath);
        buf_free(&op->m[i].newpath);
        free(op->m[i].oldroot);
    }
    free(op->m);
    mboxlist_list_fini(&op->list);
    free(op->olduser);
    free(op->newuser);
}

int mboxlist_rename(const char *oldname, const char *newname,
                    const char *partition, const struct auth_state *who)
{
    struct rename_op op;
    int r;

    memset(&op, 0, sizeof(op));
    op.oldname = oldname;
    op.newname = newname;
    op.partition = partition;
    op.who = who;
    op.same = !strcmp(oldname, newname);
    op.userrename = !op.same && mboxname_isinbox(oldname);
    op.olduser = mboxname_userid_of(oldname);
    op.newuser = mboxname_userid_of(newname);
    if ((r = rename_check(&op)) || (r = rename_plan(&op)) ||
        (r = rename_lock(&op)) || (r = rename_files(&op)))
        goto done;
    if ((r = rename_commit(&op))) {
        rename_undo_files(&op);
        goto done;
    }
    rename_finish(&op);
    log_info("mailbox renamed: from=<%s> to=<%s> count=<%zu> by=<%s>",
             oldname, newname, op.n, auth_userid(who));
done:
    rename_op_fini(&op);
    return r;
}

/* ---- RENAME INBOX ------------------------------------------------------- */

static int inbox_want_all(const struct index_record *rec, void *rock)
{
    (void)rec;
    (void)rock;
    return 1;
}

/* The keyword names of rec in mb, for append_copy(). */
static void inbox_keywords(const struct mailbox *mb,
                           const struct index_record *rec,
                           struct strarray *out)
{
    strarray_fini(out);
    for (size_t i = 0; i < mb->flagnames.count; i++)
        if (index_record_has_user_flag(rec, (int)i) && mb->flagnames.data[i])
            strarray_append(out, mb->flagnames.data[i]);
}

/* Copy every message of src into dst (one transaction), carrying userid's
 * \Seen state over to the new UIDs. */
static int inbox_copy_all(const char *userid, struct mailbox *src,
                          struct mailbox *dst, uint32_t *count_r)
{
    struct append_params params;
    struct append_result result;
    struct append_state *as = NULL;
    struct strarray keywords = STRARRAY_INITIALIZER;
    struct seen *seen = NULL;
    struct seen_data sd;
    int same_root, r;

    memset(&params, 0, sizeof(params));
    memset(&result, 0, sizeof(result));
    memset(&sd, 0, sizeof(sd));
    same_root = (!src->quotaroot && !dst->quotaroot) ||
                (src->quotaroot && dst->quotaroot &&
                 !strcmp(src->quotaroot, dst->quotaroot));
    /* Within one quota root the usage does not change in the end. */
    params.quota = same_root ? APPEND_QUOTA_IGNORE : APPEND_QUOTA_STRICT;
    params.seen_userid = userid;
    if (userid && seen_open(userid, 0, &seen) == ERR_OK)
        seen_read(seen, src->uniqueid, &sd);
    seen_close(&seen);
    if ((r = append_begin(dst, &params, &as)))
        goto done;
    for (uint32_t n = 0; !r && n < src->i.num_records; n++) {
        struct index_record rec;
        uint32_t flags;
        if ((r = mailbox_read_record(src, n, &rec)))
            break;
        flags = rec.system_flags;
        if (sd.seenuids && seqset_ismember(sd.seenuids, rec.uid))
            flags |= APPEND_SEEN;
        inbox_keywords(src, &rec, &keywords);
        r = append_copy(as, src, &rec, flags, &keywords, NULL);
    }
    if (r) {
        append_abort(&as);
        goto done;
    }
    if ((r = append_commit(&as, &result)))
        goto done;
    *count_r = result.count;
done:
    free(result.seen_uids);
    seen_data_fini(&sd);
    strarray_fini(&keywords);
    return r;
}

int mboxlist_rename_inbox(const char *inbox, const char *newname,
                          const struct auth_state *who)
{
    const char *userid = auth_userid(who);
    struct mailbox *src = NULL, *dst = NULL;
    uint32_t *expunged = NULL, count = 0;
    size_t nexpunged = 0;
    int r;

    if (!strcmp(inbox, newname))
        return ERR_EXISTS;
    if ((r = mboxlist_create(newname, NULL, who, 0)))
        return r;
    /* The INBOX stays locked from the snapshot to the expunge. */
    r = mboxlist_open_mailbox(inbox, MAILBOX_EXCLUSIVE, &src);
    if (!r)
        r = mboxlist_open_mailbox(newname, MAILBOX_UNLOCKED, &dst);
    if (!r)
        r = inbox_copy_all(userid, src, dst, &count);
    mailbox_close(&dst);
    if (r) {
        mailbox_close(&src);
        if (mboxlist_delete(newname, who, 0))
            log_error("rename INBOX: could not remove mailbox=<%s> after "
                      "a failed move; remove it by hand", newname);
        return r;
    }
    if (count &&
        (r = mailbox_expunge(src, inbox_want_all, NULL, &expunged,
                             &nexpunged)))
        log_error("rename INBOX: messages copied to mailbox=<%s> but not "
                  "expunged from mailbox=<%s>: %s", newname, inbox,
                  error_string(r));
    log_info("rename INBOX: user=<%s> to=<%s> messages=<%u>",
             userid ? userid : "", newname, count);
    free(expunged);
    mailbox_close(&src);
    return r;
}
