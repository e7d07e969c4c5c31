/* mboxlist_rename.c -- hierarchical mailbox rename, partition moves and
 * user renames (see mboxlist_rename() in mboxlist.h), and RENAME of one's
 * own INBOX (mboxlist_rename_inbox()).
 *
 * Phases: settle (finish any intent covering either name), check (rights,
 * names), reserve (store the intent, still empty, so that creates and
 * deletes in either hierarchy wait for us: mboxlist_intent_reserve()), plan (every mailbox under the old name and its new name, entry
 * and paths), lock (each old mailbox's index, in name order), commit (one
 * mailboxes.db transaction: old records out, new ones in, and the intent
 * that describes the files' moves), then the intent's steps
 * (mboxlist_intent_steps.c: files, quota roots and usage, cyrus.header,
 * user files).  A commit that finds the hierarchy changed since the plan
 * (a create or delete below it got in between) starts again.
 * Lock order: cyrus.index locks, then mailboxes.db, then quota files.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/seen.h"

struct rename_op {
    const char *oldname, *newname, *partition;
    const struct auth_state *who;
    int same;                       /* partition move of one mailbox */
    int userrename;
    char *olduser, *newuser;
    struct mboxlist_list list;      /* the old records, name order */
    struct mboxlist_intent in;      /* one move per listed mailbox */
    struct mailbox **held;          /* each old mailbox, locked */
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

static void rename_copy_entry(struct mboxlist_entry *to,
                              const struct mboxlist_entry *from)
{
    to->name = xstrdup(from->name);
    to->partition = xstrdup(from->partition);
    to->acl = xstrdup(from->acl);
    to->uniqueid = xstrdup(from->uniqueid);
    to->type = from->type;
    to->created = from->created;
    to->specialuse = from->specialuse ? xstrdup(from->specialuse) : NULL;
}

static int rename_plan_one(struct rename_op *op, struct mboxlist_move *m,
                           const struct mboxlist_entry *old, size_t i)
{
    struct buf name = BUF_INITIALIZER, path = BUF_INITIALIZER;
    int r;

    if (!old->partition)
        return ERR_BADFORMAT;           /* corrupt record below: logged */
    rename_copy_entry(&m->old, old);
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
    m->new.specialuse = old->specialuse ? xstrdup(old->specialuse) : NULL;
    if ((r = mboxlist_entry_path(old, &path)))
        goto done;
    m->oldpath = buf_release(&path);
    if ((r = mboxlist_entry_path(&m->new, &path)))
        goto done;
    m->newpath = buf_release(&path);
    /* Two partition names for one directory: there is nothing to move,
     * and "moving" would treat the live files as leftovers. */
    if (!strcmp(m->oldpath, m->newpath))
        r = ERR_BADARG;
done:
    buf_free(&path);
    return r;
}

static int rename_plan(struct rename_op *op)
{
    int r = mboxlist_collect(NULL, op->oldname, !op->same, &op->list);

    if (r)
        return r;
    op->held = xcalloc(op->list.n, sizeof(*op->held));
    for (size_t i = 0; i < op->list.n && !r; i++)
        r = rename_plan_one(op, mboxlist_intent_add(&op->in), &op->list.e[i],
                            i);
    return r;
}

/* A mailbox whose files cannot be opened: changed meanwhile (a create,
 * delete or rename got in between: ERR_AGAIN), busy (ERR_LOCKED), not
 * made yet (a create that committed its record after our plan began is
 * still making the files: wait for its intent, then ERR_AGAIN if they are
 * there now), or really broken. */
static int rename_lock_failed(const struct mboxlist_move *m, int r)
{
    struct mailbox *mb = NULL;

    if (mboxlist_changed(&m->old))
        return ERR_AGAIN;
    if (r == ERR_LOCKED || r == ERR_TIMEOUT)
        return ERR_LOCKED;
    if (r == ERR_NOTFOUND && !mboxlist_intent_settle(m->old.name, 1)) {
        /* The change we waited for may have been a DELETE (files first,
         * then the record) or a rename of it: then plan again. */
        if (mboxlist_changed(&m->old))
            return ERR_AGAIN;
        if (!mailbox_open(m->old.name, m->oldpath, MAILBOX_UNLOCKED, &mb)) {
            mailbox_close(&mb);
            return ERR_AGAIN;
        }
    }
    log_error("mboxlist: cannot rename a mailbox whose files cannot be "
              "opened: mailbox=<%s> error=<%s>; run reconstruct",
              m->old.name, error_string(r));
    return r == ERR_NOTFOUND ? ERR_IO : r;
}

/* Lock the i-th planned mailbox.  The plan locks in name order, as every
 * rename does; but a plan can go stale while we wait (another rename moved
 * names under us), and then our order is not theirs: two renames could
 * each hold what the other waits for until the lock timeout.  So wait in
 * steps of RENAME_LOCK_STEP_MS and, between them, give up (ERR_AGAIN: the
 * caller plans again, holding nothing) if a planned record changed. */
#define RENAME_LOCK_STEP_MS 200
#define RENAME_LOCK_STEPS 300

static int rename_open_locked(struct rename_op *op, size_t i)
{
    const struct mboxlist_move *m = &op->in.m[i];
    int r = mailbox_open(m->old.name, m->oldpath, MAILBOX_UNLOCKED,
                         &op->held[i]);

    for (int step = 0; !r; step++) {
        r = mailbox_lock(op->held[i], RENAME_LOCK_STEP_MS);
        if (r != ERR_TIMEOUT || step + 1 >= RENAME_LOCK_STEPS)
            break;
        for (size_t k = 0; k < op->in.n && r != ERR_AGAIN; k++)
            if (mboxlist_changed(&op->in.m[k].old))
                r = ERR_AGAIN;
        if (r == ERR_AGAIN)
            break;
        r = ERR_OK;
    }
    if (r)
        mailbox_close(&op->held[i]);
    return r;
}

static int rename_lock(struct rename_op *op)
{
    for (size_t i = 0; i < op->in.n; i++) {
        const struct mboxlist_move *m = &op->in.m[i];
        int r = rename_open_locked(op, i);
        if (r == ERR_AGAIN)
            return r;
        if (r)
            return rename_lock_failed(m, r);
        /* A PENDING line a killed writer left names the old name: settle
         * it while that name still finds the mailbox (quota.h, CRASHES). */
        mailbox_quota_end(op->held[i]);
    }
    return ERR_OK;
}

/* ---- commit ------------------------------------------------------------- */

static int rename_commit_once(struct rename_op *op, struct db_env *env,
                              struct db *db)
{
    struct db_txn *txn = NULL;
    int r;

    if ((r = db_begin(env, &txn)))
        return r;
    if (!(r = mboxlist_intent_check(txn, op->oldname)) &&
        !(r = mboxlist_intent_check(txn, op->newname)))
        r = mboxlist_check_list(txn, op->oldname, !op->same, &op->list);
    for (size_t i = 0; i < op->in.n && !r; i++) {
        const struct mboxlist_move *m = &op->in.m[i];
        if (!op->same) {
            r = mboxlist_fetch(txn, m->new.name, NULL);
            r = r == ERR_OK ? ERR_EXISTS : r == ERR_NOTFOUND ? ERR_OK : r;
            if (!r)
                r = db_delete(db, txn, m->old.name, strlen(m->old.name));
        }
        if (!r)
            r = mboxlist_store(txn, &m->new);
    }
    if (!r)
        r = mboxlist_intent_store(txn, &op->in);
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

static void rename_op_fini(struct rename_op *op)
{
    for (size_t i = 0; op->held && i < op->in.n; i++)
        mailbox_close(&op->held[i]);
    free(op->held);
    mboxlist_intent_fini(&op->in);
    mboxlist_list_fini(&op->list);
    free(op->olduser);
    free(op->newuser);
}

/* One attempt: ERR_AGAIN when the hierarchy changed under us. */
static int rename_try(const char *oldname, const char *newname,
                      const char *partition, const struct auth_state *who)
{
    struct rename_op op;
    int r;

    memset(&op, 0, sizeof(op));
    op.in.lockfd = -1;
    op.oldname = oldname;
    op.newname = newname;
    op.partition = partition;
    op.who = who;
    op.same = !strcmp(oldname, newname);
    op.userrename = !op.same && mboxname_isinbox(oldname);
    op.olduser = mboxname_userid_of(oldname);
    op.newuser = mboxname_userid_of(newname);
    mboxlist_intent_init(&op.in, MBOXLIST_INTENT_RENAME);
    op.in.oldtop = xstrdup(oldname);
    op.in.newtop = xstrdup(newname);
    op.in.flags = op.userrename ? MBOXLIST_INTENT_USER : 0;
    if ((r = mboxlist_intent_settle(oldname, 1)) ||
        (!op.same && (r = mboxlist_intent_settle(newname, 1))) ||
        (r = rename_check(&op)) || (r = mboxlist_intent_reserve(&op.in)))
        goto done;
    mboxlist_intent_point("reserved");
    if (!(r = rename_plan(&op)) && !(r = rename_lock(&op))) {
        mboxlist_intent_point("planned");
        r = rename_commit(&op);
    }
    if (r) {
        mboxlist_intent_abandon(&op.in);
        goto done;
    }
    /* Committed: the files follow, or everything goes back. */
    if (!(r = mboxlist_intent_run(&op.in, op.held, NULL, NULL)))
        log_info("mailbox renamed: from=<%s> to=<%s> count=<%zu> by=<%s>",
                 oldname, newname, op.in.n, auth_userid(who));
done:
    rename_op_fini(&op);
    return r;
}

int mboxlist_rename(const char *oldname, const char *newname,
                    const char *partition, const struct auth_state *who)
{
    int r;

    for (int round = 0;; round++) {
        r = rename_try(oldname, newname, partition, who);
        if (r != ERR_AGAIN || round >= MBOXLIST_MAX_RETRIES)
            break;
        /* The plan went stale (children created or deleted meanwhile):
         * plan again after a growing random pause, so that sessions busy
         * in the tree finish and the next plan holds (at once, 100 rounds
         * could all lose to four processes creating and deleting). */
        usleep((useconds_t)(1000 + rand() % (1000 * (round < 20 ? round + 1
                                                                : 20))));
    }
    return r == ERR_AGAIN ? ERR_LOCKED : r;
}

/* ---- RENAME INBOX ------------------------------------------------------- */

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

struct inbox_rock {
    const char *userid;
    const char *newname;
    uint32_t count;
};

/* The owner's copy step of the intent (mboxlist_intent_copy_fn). */
static int inbox_copy(struct mailbox *src, const char *dst_path, void *rock)
{
    struct inbox_rock *ir = rock;
    struct mailbox *dst = NULL;
    int r = mailbox_open(ir->newname, dst_path, MAILBOX_UNLOCKED, &dst);

    if (!r)
        r = inbox_copy_all(ir->userid, src, dst, &ir->count);
    mailbox_close(&dst);
    return r;
}

/* One attempt: ERR_AGAIN when an intent got in the way. */
static int inbox_try(const char *inbox, const char *newname,
                     const struct auth_state *who, struct inbox_rock *ir)
{
    struct mboxlist_intent in;
    struct mailbox *src = NULL;
    int r;

    mboxlist_intent_init(&in, MBOXLIST_INTENT_INBOX);
    in.oldtop = xstrdup(inbox);
    in.newtop = xstrdup(newname);
    if ((r = mboxlist_intent_settle(newname, 1)) ||
        (r = mboxlist_intent_settle(inbox, 1)) ||
        (r = mboxlist_create_plan(newname, NULL, who, 0,
                                  mboxlist_intent_add(&in))))
        goto done;
    /* The INBOX stays locked from the snapshot to the expunge. */
    if ((r = mboxlist_open_mailbox(inbox, MAILBOX_EXCLUSIVE, &src)) ||
        (r = mboxlist_intent_lock(&in)))
        goto done;
    in.snap_uid = src->i.last_uid;
    in.snap_count = src->i.num_records;
    mboxlist_intent_point("planned");
    if ((r = mboxlist_create_commit(&in))) {
        mboxlist_intent_abandon(&in);
        goto done;
    }
    r = mboxlist_intent_run(&in, &src, inbox_copy, ir);
done:
    mailbox_close(&src);
    mboxlist_intent_fini(&in);
    return r;
}

int mboxlist_rename_inbox(const char *inbox, const char *newname,
                          const struct auth_state *who)
{
    struct inbox_rock ir = { auth_userid(who), newname, 0 };
    int r;

    if (!strcmp(inbox, newname))
        return ERR_EXISTS;
    for (int round = 0;; round++) {
        r = inbox_try(inbox, newname, who, &ir);
        if (r != ERR_AGAIN || round >= MBOXLIST_MAX_RETRIES)
            break;
    }
    if (!r)
        log_info("rename INBOX: user=<%s> to=<%s> messages=<%u>",
                 ir.userid ? ir.userid : "", newname, ir.count);
    return r == ERR_AGAIN ? ERR_LOCKED : r;
}
