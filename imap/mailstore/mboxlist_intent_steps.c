/* mboxlist_intent_steps.c -- the filesystem steps of each kind of intent,
 * forward (towards the state the database has) and backward (undoing
 * what forward did, after the records went back).  Run by the owner right
 * after its commit, and by whoever takes over an intent whose owner died:
 * every step checks what is already done (mboxlist_files.c), so running
 * them again after a kill at any instant finishes the job.
 *
 * A moved mailbox's usage goes from its old root to its new one with its
 * cyrus.header rewrite naming the new root as the commit point
 * (mailbox_set_quotaroot; quota.h, CRASHES).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/subs.h"

#define STEPS_LOCK_MS 30000

static int steps_is_copy(const struct mboxlist_move *m)
{
    return strcmp(m->old.partition, m->new.partition) != 0;
}

/* The files of a new mailbox (create, inbox), unless already made. */
static int steps_make(const struct mboxlist_move *m, uint32_t uidvalidity)
{
    const struct mboxlist_entry *e = &m->new;
    char *root = NULL;
    int at = mboxlist_files_at(e->name, m->newpath, e->uniqueid), r;

    if (at == MBOXLIST_AT_OURS)
        return ERR_OK;
    if (at == MBOXLIST_AT_FOREIGN) {
        log_error("mboxlist: mailbox files with messages but no record: "
                  "mailbox=<%s> path=<%s>; run reconstruct -m", e->name,
                  m->newpath);
        return ERR_EXISTS;
    }
    if (at == MBOXLIST_AT_EMPTY) {
        log_warn("mboxlist: removing leftover mailbox files: mailbox=<%s> "
                 "path=<%s>", e->name, m->newpath);
        if ((r = mboxlist_files_remove(m->newpath)))
            return r;
    }
    r = quota_find_root_live(e->name, &root);
    if (r == ERR_OK || r == ERR_NOTFOUND)
        r = mailbox_create(e->name, m->newpath, e->uniqueid, e->acl, root,
                           uidvalidity);
    free(root);
    return r;
}

/* Remove a new mailbox's files again (create and inbox, backward). */
static void steps_unmake(const struct mboxlist_move *m)
{
    int at = mboxlist_files_at(m->new.name, m->newpath, m->new.uniqueid);

    if (at == MBOXLIST_AT_OURS || at == MBOXLIST_AT_PARTIAL)
        mboxlist_files_remove(m->newpath);
    mboxlist_files_prune(m->newpath, m->new.partition);
}

/* ---- delete --------------------------------------------------------------- */

/* Children first; each one's usage is released after its files are gone
 * (its PENDING line, written before the records went, covers a kill). */
static int steps_delete(struct mboxlist_intent *in, struct mailbox **held)
{
    int first = ERR_OK;

    for (size_t i = in->n; i-- > 0;) {
        const struct mboxlist_move *m = &in->m[i];
        struct mailbox *mb = held ? held[i] : NULL;
        int r;
        if (held)
            held[i] = NULL;
        /* Files that cannot be opened (or are gone) still go. */
        if (!mb && mailbox_open(m->old.name, m->oldpath, MAILBOX_EXCLUSIVE,
                                &mb))
            mb = NULL;
        r = mboxlist_files_remove(m->oldpath);
        /* The record is gone: it counts 0 (quota.h, CRASHES).  Files that
         * could not be opened leave their PENDING line to
         * mboxlist_quota_settle(). */
        if (!r && mb && mb->quotaroot)
            quota_settle(mb->quotaroot, mb->uniqueid, 0, 0);
        mailbox_close(&mb);
        mboxlist_intent_point("deleted");
        mboxlist_files_prune(m->oldpath, m->old.partition);
        if ((in->flags & MBOXLIST_INTENT_ROOTS) &&
            quota_remove(m->old.name) == ERR_IO)
            log_warn("mboxlist: quota root not removed: root=<%s>",
                     m->old.name);
        if (r && !first)
            first = r;
    }
    if (in->flags & MBOXLIST_INTENT_USER) {
        char *owner = mboxname_userid_of(in->oldtop);
        if (owner && (subs_delete_user(owner) || seen_delete_user(owner)))
            log_warn("mboxlist: user files left behind: user=<%s>", owner);
        free(owner);
    }
    return first;
}

/* ---- rename --------------------------------------------------------------- */

/* Move the root file of quota root `from` to `to`, under from's lock. */
static void steps_quota_file(const char *from, const char *to)
{
    struct buf fpath = BUF_INITIALIZER, tpath = BUF_INITIALIZER;
    int fd = -1, r;

    quota_path(from, &fpath);
    quota_path(to, &tpath);
    r = lock_open_locked(buf_cstring(&fpath), O_RDWR, 0600, LOCK_EXCLUSIVE,
                         STEPS_LOCK_MS, &fd);
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
}

static int steps_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Mailbox i at its new place: its usage to its new quota root if that
 * changed, then its cyrus.header (ACL copy, quota root). */
static void steps_header(const struct mboxlist_intent *in, size_t i)
{
    const struct mboxlist_move *m = &in->m[i];
    struct mailbox *mb = NULL;
    const char *before;
    char *root = NULL;

    if (mailbox_open(m->new.name, m->newpath, MAILBOX_EXCLUSIVE, &mb)) {
        log_warn("mboxlist: cyrus.header not updated after rename: "
                 "mailbox=<%s>; run reconstruct", m->new.name);
        return;
    }
    /* A root named after a moved mailbox moved with it (steps_quota_file):
     * the same root under its new name. */
    before = mb->quotaroot;
    for (size_t j = 0; before && j < in->n; j++)
        if (!strcmp(before, in->m[j].old.name)) {
            before = in->m[j].new.name;
            break;
        }
    if (quota_find_root_live(m->new.name, &root))
        root = NULL;
    if (before != mb->quotaroot && steps_same(before, root)) {
        /* The same root under its new name: no usage moves. */
        free(mb->quotaroot);
        mb->quotaroot = xstrdup(root);
    }
    free(mb->acl);
    mb->acl = xstrdup(m->new.acl);
    if (mailbox_set_quotaroot(mb, root))
        log_warn("mboxlist: cyrus.header not updated after rename: "
                 "mailbox=<%s>; run reconstruct", m->new.name);
    mailbox_close(&mb);
    mboxlist_intent_point("header");
}

/* The files of every mailbox to its new place, parents first.  The old
 * copy of a mailbox copied to another partition stays locked (held, or
 * fds) until it is removed, so no writer appends to it meanwhile. */
static int steps_place(struct mboxlist_intent *in, struct mailbox **held,
                       int *fds)
{
    for (size_t i = 0; i < in->n; i++) {
        const struct mboxlist_move *m = &in->m[i];
        int copy = steps_is_copy(m), r;
        if (copy && !(held && held[i])) {
            char *index = strconcat(m->oldpath, "/", MAILBOX_INDEX_FILE,
                                    (char *)NULL);
            r = lock_open_locked(index, O_RDWR, 0600, LOCK_EXCLUSIVE,
                                 STEPS_LOCK_MS, &fds[i]);
            free(index);
            if (r && r != ERR_NOTFOUND)
                return r;
        }
        r = mboxlist_files_place(m->new.name, m->new.uniqueid, m->oldpath,
                                 m->newpath, copy);
        mboxlist_intent_point("placed");
        if (r)
            return r;
        /* Our own lock would stand in the way of the header rewrite. */
        if (!copy && held)
            mailbox_close(&held[i]);
    }
    return ERR_OK;
}

static int steps_rename(struct mboxlist_intent *in, struct mailbox **held,
                        int *undo)
{
    int *fds = xreallocarray(NULL, in->n ? in->n : 1, sizeof(int));
    int same = !strcmp(in->oldtop, in->newtop), r;

    for (size_t i = 0; i < in->n; i++)
        fds[i] = -1;
    if ((r = steps_place(in, held, fds))) {
        *undo = 1;
        goto done;
    }
    if (!same) {
        for (size_t i = 0; i < in->n; i++)
            steps_quota_file(in->m[i].old.name, in->m[i].new.name);
        mboxlist_intent_point("roots");
        for (size_t i = 0; i < in->n; i++)
            steps_header(in, i);
    }
    /* Children first, so that emptied directories can go. */
    for (size_t i = in->n; i-- > 0;) {
        const struct mboxlist_move *m = &in->m[i];
        if (steps_is_copy(m) && mboxlist_files_remove(m->oldpath))
            log_warn("mboxlist: old copy not removed after a move: "
                     "mailbox=<%s> path=<%s>", m->new.name, m->oldpath);
        if (held)
            mailbox_close(&held[i]);
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
        mboxlist_intent_point("removed");
        mboxlist_files_prune(m->oldpath, m->old.partition);
    }
    if (in->flags & MBOXLIST_INTENT_USER) {
        char *olduser = mboxname_userid_of(in->oldtop);
        char *newuser = mboxname_userid_of(in->newtop);
        if (subs_rename_user(olduser, newuser) ||
            seen_rename_user(olduser, newuser))
            log_warn("mboxlist: user files not all renamed: from=<%s> "
                     "to=<%s>", olduser, newuser);
        free(olduser);
        free(newuser);
    }
done:
    for (size_t i = 0; i < in->n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    return r;
}

/* Back to the old places (the records already are): moved directories
 * move back, copies on the other partition go. */
static void steps_unrename(struct mboxlist_intent *in)
{
    for (size_t i = 0; i < in->n; i++) {
        const struct mboxlist_move *m = &in->m[i];
        const char *id = m->old.uniqueid;
        if (!steps_is_copy(m)) {
            mboxlist_files_place(m->old.name, id, m->newpath, m->oldpath, 0);
        } else if (mboxlist_files_at(m->old.name, m->oldpath, id) ==
                   MBOXLIST_AT_OURS) {
            int at = mboxlist_files_at(m->new.name, m->newpath, id);
            if (at != MBOXLIST_AT_EMPTY && at != MBOXLIST_AT_FOREIGN)
                mboxlist_files_remove(m->newpath);
        } else {
            log_error("mboxlist: rename not undone, the old copy is gone: "
                      "mailbox=<%s> path=<%s>", m->old.name, m->oldpath);
        }
        mboxlist_intent_point("unplaced");
        mboxlist_files_prune(m->newpath, m->new.partition);
    }
}

/* ---- RENAME INBOX ------------------------------------------------------- */

static int steps_want_copied(const struct index_record *rec, void *rock)
{
    return rec->uid <= *(const uint32_t *)rock;
}

/* Has the copy into the new mailbox been committed?  (It is one append
 * transaction: all of it or nothing.) */
static int steps_copied(const struct mboxlist_intent *in)
{
    const struct mboxlist_move *m = &in->m[0];
    struct mailbox *mb = NULL;
    int yes = 0;

    if (in->snap_count == 0)
        return 1;
    if (mailbox_open(m->new.name, m->newpath, MAILBOX_UNLOCKED, &mb) ==
        ERR_OK)
        yes = mb->i.num_records > 0;
    mailbox_close(&mb);
    return yes;
}

/* Message files the expunge left behind (a kill between its commit and
 * its unlinks): copied, no longer in the INBOX, so they go. */
static void steps_strays(struct mailbox *mb, uint32_t snap)
{
    struct buf path = BUF_INITIALIZER;
    struct dirent *de;
    DIR *d = opendir(mb->path);

    while (d && (de = readdir(d))) {
        size_t len = strspn(de->d_name, "0123456789");
        unsigned long uid;
        uint32_t n;
        if (len == 0 || len > 10 || strcmp(de->d_name + len, "."))
            continue;
        uid = strtoul(de->d_name, NULL, 10);
        if (uid == 0 || uid > snap ||
            mailbox_find_uid(mb, (uint32_t)uid, &n) != ERR_NOTFOUND)
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%s", mb->path, de->d_name);
        if (unlink(path.s) < 0 && errno != ENOENT)
            log_warn("rename INBOX: cannot remove file=<%s>", path.s);
    }
    if (d)
        closedir(d);
    buf_free(&path);
}

/* Expunge from the INBOX what the copy took. */
static int steps_expunge(const struct mboxlist_intent *in,
                         struct mailbox *src)
{
    struct mboxlist_entry e;
    struct buf path = BUF_INITIALIZER;
    struct mailbox *mine = NULL;
    uint32_t *expunged = NULL, snap = in->snap_uid;
    size_t n = 0;
    int r = ERR_OK;

    memset(&e, 0, sizeof(e));
    if (!src && !(r = mboxlist_fetch(NULL, in->oldtop, &e)) &&
        !(r = mboxlist_entry_path(&e, &path)) &&
        !(r = mailbox_open(in->oldtop, buf_cstring(&path), MAILBOX_EXCLUSIVE,
                           &mine)))
        src = mine;
    if (!r && in->snap_count)
        r = mailbox_expunge(src, steps_want_copied, &snap, &expunged, &n);
    if (!r && in->snap_count)
        steps_strays(src, snap);
    if (r)
        log_error("rename INBOX: messages copied to mailbox=<%s> but not "
                  "expunged from mailbox=<%s>: %s", in->newtop, in->oldtop,
                  error_string(r));
    mailbox_close(&mine);
    mboxlist_entry_fini(&e);
    buf_free(&path);
    free(expunged);
    return r;
}

static int steps_inbox(struct mboxlist_intent *in, struct mailbox **held,
                       mboxlist_intent_copy_fn *copy, void *rock, int *undo)
{
    const struct mboxlist_move *m = &in->m[0];
    int r = steps_make(m, in->uidvalidity);

    mboxlist_intent_point("made");
    if (!r && copy)
        r = copy(held[0], m->newpath, rock);
    else if (!r && !steps_copied(in))
        r = ERR_AGAIN;                  /* the copy never committed */
    if (r) {
        *undo = 1;
        return r;
    }
    mboxlist_intent_point("copied");
    r = steps_expunge(in, held ? held[0] : NULL);
    mboxlist_intent_point("expunged");
    return r;
}

/* ---- dispatch ------------------------------------------------------------- */

int mboxlist_intent_forward(struct mboxlist_intent *in, struct mailbox **held,
                            mboxlist_intent_copy_fn *copy, void *rock,
                            int *undo)
{
    int r;

    *undo = 0;
    switch (in->kind) {
    case MBOXLIST_INTENT_CREATE:
        r = steps_make(&in->m[0], in->uidvalidity);
        mboxlist_intent_point("made");
        *undo = r != ERR_OK;
        return r;
    case MBOXLIST_INTENT_DELETE:
        return steps_delete(in, held);
    case MBOXLIST_INTENT_RENAME:
        return steps_rename(in, held, undo);
    case MBOXLIST_INTENT_INBOX:
        return steps_inbox(in, held, copy, rock, undo);
    }
    return ERR_INTERNAL;
}

void mboxlist_intent_backward(struct mboxlist_intent *in,
                              struct mailbox **held)
{
    (void)held;
    switch (in->kind) {
    case MBOXLIST_INTENT_CREATE:
    case MBOXLIST_INTENT_INBOX:
        steps_unmake(&in->m[0]);
        break;
    case MBOXLIST_INTENT_RENAME:
        steps_unrename(in);
        break;
    default:
        break;                          /* a delete only goes forward */
    }
}
