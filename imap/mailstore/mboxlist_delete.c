/* mboxlist_delete.c -- DELETE of mailboxes (mboxlist_delete() in
 * mboxlist.h), and the checks a change makes inside its transaction that
 * the mailboxes it planned from are still the same (shared with rename).
 *
 * Phases: settle (finish any intent covering the name), check (rights),
 * plan (the mailbox, and its children with MBOXLIST_DELETE_CHILDREN or for
 * a user), lock (each one's index, in name order), commit (one
 * mailboxes.db transaction: the records and their METADATA entries out,
 * for a user also their private entries of other mailboxes and of the
 * server, the intent in), then the
 * intent's steps (mboxlist_intent_steps.c: files, usage, quota roots, user
 * files).  Lock order: cyrus.index locks, then mailboxes.db, then quota.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"

/* With MBOXLIST_DELETE_CHILDREN: who needs x on every mailbox below. */
static int mboxlist_delete_rights(const struct mboxlist_list *list,
                                  const struct auth_state *who)
{
    for (size_t i = 1; i < list->n; i++)
        if (!(acl_myrights(list->e[i].acl, who) & ACL_DELETEMBOX))
            return ERR_PERM;
    return ERR_OK;
}

/* 1 if the two lists name the same mailboxes (names and unique ids). */
static int mboxlist_list_same(const struct mboxlist_list *a,
                              const struct mboxlist_list *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const char *x = a->e[i].uniqueid, *y = b->e[i].uniqueid;
        if (strcmp(a->e[i].name, b->e[i].name) || !x != !y ||
            (x && strcmp(x, y)))
            return 0;
    }
    return 1;
}

/* Inside txn: the mailboxes the plan listed are still exactly those
 * (ERR_AGAIN if a create, delete or rename got in between). */
int mboxlist_check_list(struct db_txn *txn, const char *name, int below,
                        const struct mboxlist_list *plan)
{
    struct mboxlist_list now = { NULL, 0, 0 };
    int r = mboxlist_collect(txn, name, below, &now);

    if (r == ERR_NOTFOUND || (!r && !mboxlist_list_same(plan, &now)))
        r = ERR_AGAIN;
    mboxlist_list_fini(&now);
    return r;
}

static int mboxlist_delete_once(struct mboxlist_intent *in, const char *name,
                                int below, const struct mboxlist_list *list)
{
    struct db_env *env;
    struct db *db;
    struct db_txn *txn = NULL;
    int r;

    if ((r = mboxlist_db_get(&env, &db)) || (r = db_begin(env, &txn)))
        return r;
    if (!(r = mboxlist_intent_check(txn, name)))
        r = mboxlist_check_list(txn, name, below, list);
    for (size_t i = 0; i < list->n && !r; i++) {
        r = db_delete(db, txn, list->e[i].name, strlen(list->e[i].name));
        /* The METADATA entries go with the record. */
        if (!r)
            r = mboxlist_annot_drop(txn, list->e[i].uniqueid);
    }
    /* A user who goes takes their private entries everywhere along. */
    if (!r && (in->flags & MBOXLIST_INTENT_USER)) {
        char *user = mboxname_userid_of(name);
        r = mboxlist_annot_drop_user(txn, user);
        free(user);
    }
    if (!r)
        r = mboxlist_intent_store(txn, in);
    if (!r)
        return db_commit(&txn);
    db_abort(&txn);
    return r;
}

int mboxlist_changed(const struct mboxlist_entry *e)
{
    struct mboxlist_entry now;
    int changed = mboxlist_fetch(NULL, e->name, &now) != ERR_OK ||
                  !e->uniqueid || strcmp(now.uniqueid, e->uniqueid) ||
                  mboxlist_intent_check(NULL, e->name) == ERR_AGAIN;

    mboxlist_entry_fini(&now);
    return changed;
}

/* The intent of a delete: every listed mailbox with readable record (a
 * corrupt one only leaves the database); each one's files locked (name
 * order) in held[], NULL when they cannot be opened.  ERR_AGAIN when one
 * changed since it was listed. */
static int mboxlist_delete_plan(const struct mboxlist_list *list,
                                struct mboxlist_intent *in,
                                struct mailbox **held)
{
    struct buf path = BUF_INITIALIZER;
    int r = ERR_OK;

    for (size_t i = 0; i < list->n && !r; i++) {
        const struct mboxlist_entry *e = &list->e[i];
        struct mboxlist_move *m;
        if (!e->partition || mboxlist_entry_path(e, &path)) {
            log_warn("mboxlist: deleting a mailbox whose files are "
                     "unknown: mailbox=<%s>", e->name);
            continue;
        }
        m = mboxlist_intent_add(in);
        m->old.name = xstrdup(e->name);
        m->old.partition = xstrdup(e->partition);
        m->old.acl = xstrdup(e->acl);
        m->old.uniqueid = xstrdup(e->uniqueid);
        m->old.type = e->type;
        m->old.created = e->created;
        m->old.specialuse = e->specialuse ? xstrdup(e->specialuse) : NULL;
        m->oldpath = xstrdup(buf_cstring(&path));
        if (!mailbox_open(e->name, m->oldpath, MAILBOX_EXCLUSIVE,
                          &held[in->n - 1]))
            continue;
        if (mboxlist_changed(e))
            r = ERR_AGAIN;
        else
            log_warn("mboxlist: deleting a mailbox whose files cannot be "
                     "opened: mailbox=<%s>", e->name);
    }
    buf_free(&path);
    return r;
}

/* One attempt: ERR_AGAIN when something changed under the name meanwhile
 * (the caller starts again). */
static int mboxlist_delete_try(const char *name, const struct auth_state *who,
                               int flags)
{
    struct mboxlist_list list = { NULL, 0, 0 };
    struct mboxlist_intent in;
    struct mailbox **held = NULL;
    int inbox = mboxname_isinbox(name), below, r;

    mboxlist_intent_init(&in, MBOXLIST_INTENT_DELETE);
    if ((r = mboxlist_intent_settle(name, 1)) ||
        (r = mboxlist_lookup_access(name, who, ACL_DELETEMBOX, NULL, NULL)))
        goto done;
    if (inbox && !auth_is_admin(who)) {
        r = ERR_PERM;
        goto done;
    }
    below = inbox || (flags & MBOXLIST_DELETE_CHILDREN);
    if ((r = mboxlist_collect(NULL, name, below, &list)) ||
        (!inbox && (r = mboxlist_delete_rights(&list, who))))
        goto done;
    in.oldtop = xstrdup(name);
    in.flags = (below ? MBOXLIST_INTENT_ROOTS : 0) |
               (inbox ? MBOXLIST_INTENT_USER : 0);
    held = xcalloc(list.n, sizeof(*held));
    if ((r = mboxlist_delete_plan(&list, &in, held)) ||
        (r = mboxlist_intent_lock(&in)))
        goto done;
    /* Each quota root records the change before the records go (quota.h,
     * CRASHES); steps_delete settles them with 0. */
    for (size_t i = 0; i < in.n && !r; i++)
        if (held[i])
            r = mailbox_quota_begin(held[i]);
    if (r) {
        mboxlist_intent_abandon(&in);
        goto done;
    }
    mboxlist_intent_point("planned");
    for (int tries = 0; tries < MBOXLIST_MAX_RETRIES; tries++)
        if ((r = mboxlist_delete_once(&in, name, below, &list)) !=
            ERR_CONFLICT)
            break;
    if (r) {
        mboxlist_intent_abandon(&in);
        goto done;
    }
    /* The records are gone: the files follow (trouble there is logged). */
    mboxlist_intent_run(&in, held, NULL, NULL);
    log_info("mailbox deleted: mailbox=<%s> count=<%zu> by=<%s>", name,
             list.n, auth_userid(who));
done:
    for (size_t i = 0; held && i < list.n; i++) {
        if (r && held[i])
            mailbox_quota_end(held[i]);     /* nothing was deleted */
        mailbox_close(&held[i]);
    }
    free(held);
    mboxlist_intent_fini(&in);
    mboxlist_list_fini(&list);
    return r;
}

int mboxlist_delete(const char *name, const struct auth_state *who, int flags)
{
    int r;

    for (int round = 0;; round++) {
        r = mboxlist_delete_try(name, who, flags);
        if (r != ERR_AGAIN || round >= MBOXLIST_MAX_RETRIES)
            break;
    }
    return r == ERR_AGAIN ? ERR_LOCKED : r;
}
