/* mboxlist_quota.c -- quota roots as the mailbox list sees them: setting
 * or removing a root re-roots the mailboxes it governs (mboxlist.h,
 * "quota roots").  Cyrus keeps this in its model too (mboxlist_setquotas).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/reconstruct.h"

static int quota_collect(const char *name, const struct mboxlist_entry *e,
                         void *rock)
{
    (void)e;
    strarray_append(rock, name);
    return 0;
}

/* Point mailbox name at the root that now governs it, moving its usage;
 * under its exclusive index lock (lock order: cyrus.index, then quota). */
static int quota_reroot_one(const char *name)
{
    struct mailbox *mb = NULL;
    char *root = NULL;
    int r;

    r = mboxlist_open_mailbox(name, MAILBOX_EXCLUSIVE, &mb);
    if (!r) {
        r = quota_find_root_live(name, &root);
        if (r == ERR_NOTFOUND)
            r = ERR_OK;
    }
    if (r || (!root && !mb->quotaroot) ||
        (root && mb->quotaroot && !strcmp(root, mb->quotaroot)))
        goto done;
    r = mailbox_set_quotaroot(mb, root);
    root = NULL;
done:
    if (r)
        log_error("setquota: cannot re-root mailbox=<%s>: %s; run quota -f",
                  name, error_string(r));
    free(root);
    mailbox_close(&mb);
    return r;
}

/* Re-root root and every mailbox below it. */
static int quota_reroot(const char *root, const struct auth_state *who)
{
    struct strarray names = STRARRAY_INITIALIZER;
    char *below = strconcat(root, ".*", (char *)NULL);
    int r = mboxlist_find(root, who, quota_collect, &names), r2;

    if (!r)
        r = mboxlist_find(below, who, quota_collect, &names);
    for (size_t i = 0; !r && i < names.count; i++)
        if ((r2 = quota_reroot_one(names.data[i])) && !r)
            r = r2;
    strarray_fini(&names);
    free(below);
    return r;
}

/* A root that came or is going (quota.h, REROOTING): every mailbox at and
 * below it re-rooted, then its state cleared or its file removed. */
static int quota_finish(const char *root, const struct auth_state *who)
{
    struct quota q;
    int r;

    memset(&q, 0, sizeof(q));
    if ((r = quota_read(root, &q)) || q.state == QUOTA_STATE_OK) {
        r = r == ERR_NOTFOUND ? ERR_OK : r;
        goto done;
    }
    if ((r = quota_reroot(root, who))) {
        log_error("quota: root change not finished: root=<%s>: %s", root,
                  error_string(r));
        goto done;
    }
    r = q.state == QUOTA_STATE_REMOVING
            ? quota_remove(root)
            : quota_set_state(root, QUOTA_STATE_OK);
    if (r == ERR_NOTFOUND)
        r = ERR_OK;
done:
    quota_fini(&q);
    return r;
}

/* Set the limits (creating the root) or, with remove, remove the root;
 * re-root when the root came or went. */
static int quota_apply(const char *root, int64_t storage_kb,
                       int64_t messages, int remove,
                       const struct auth_state *who)
{
    struct quota q;
    int exists, r;

    if (!who || !auth_is_admin(who))
        return ERR_PERM;
    if ((r = mboxlist_lookup(root, NULL)))
        return r;
    memset(&q, 0, sizeof(q));
    r = quota_read(root, &q);
    quota_fini(&q);
    if (r && r != ERR_NOTFOUND)
        return r;
    exists = !r;
    if (remove && !exists)
        return ERR_OK;
    if (remove)
        r = quota_set_state(root, QUOTA_STATE_REMOVING);
    else if (exists)
        r = quota_set_limits(root, storage_kb, messages);
    else
        r = quota_create_root(root, storage_kb, messages);
    if (r)
        return r;
    log_notice("setquota: root=<%s> storage=<%lld> message=<%lld> by=<%s>",
               root, (long long)storage_kb, (long long)messages,
               auth_userid(who));
    return (remove || !exists) ? quota_finish(root, who) : ERR_OK;
}

int mboxlist_setquota(const char *root, int64_t storage_kb, int64_t messages,
                      const struct auth_state *who)
{
    return quota_apply(root, storage_kb, messages, 0, who);
}

int mboxlist_unsetquota(const char *root, const struct auth_state *who)
{
    return quota_apply(root, QUOTA_UNLIMITED, QUOTA_UNLIMITED, 1, who);
}

/* ---- PENDING lines killed writers left (quota.h, CRASHES) ------------- */

static void settle_one(const char *root, const struct quota_pending *pd)
{
    struct mboxlist_entry e;
    struct mailbox *mb = NULL;
    int r;

    memset(&e, 0, sizeof(e));
    r = mboxlist_lookup(pd->name, &e);
    if (r == ERR_NOTFOUND || (!r && strcmp(e.uniqueid, pd->uniqueid))) {
        /* Deleted (a renamer settles before its records move): only that
         * line, which names what is gone; a line of the mailbox under
         * its new name is a live writer's (quota_settle_named()). */
        r = quota_settle_named(root, pd->uniqueid, pd->name, 0, 0);
    } else if (!r &&
               !(r = mboxlist_open_mailbox(pd->name, MAILBOX_EXCLUSIVE,
                                           &mb)) &&
               !strcmp(mb->uniqueid, pd->uniqueid)) {
        if (mb->quotaroot && !strcmp(mb->quotaroot, root))
            r = mailbox_quota_end(mb);
        else
            r = quota_settle(root, pd->uniqueid, 0, 0);
    }
    if (r)
        log_warn("quota: pending change left: root=<%s> mailbox=<%s>: %s",
                 root, pd->name, error_string(r));
    mailbox_close(&mb);
    mboxlist_entry_fini(&e);
}

int mboxlist_quota_read(const char *root, struct quota *q)
{
    int r = quota_read(root, q);

    if (!r && q->state != QUOTA_STATE_OK) {
        struct auth_state *admin = auth_new(conf_getstring(CONF_CYRUS_USER),
                                            1);
        log_notice("quota: finishing a quota root change a crash "
                   "interrupted: root=<%s>", root);
        quota_fini(q);
        mboxlist_recover_intents();
        r = quota_finish(root, admin);
        auth_free(&admin);
        if (!r)
            r = quota_read(root, q);
    }
    if (r || !q->npending)
        return r;
    mboxlist_recover_intents();
    for (size_t i = 0; i < q->npending; i++) {
        log_notice("quota: settling a change a crash interrupted: "
                   "root=<%s> mailbox=<%s>", root, q->pending[i].name);
        settle_one(root, &q->pending[i]);
    }
    quota_fini(q);
    return quota_read(root, q);
}

int mboxlist_quota_settle_all(void)
{
    struct strarray roots = STRARRAY_INITIALIZER;
    int left = 0;

    if (reconstruct_quota_roots(&roots))
        return 0;
    for (size_t i = 0; i < roots.count; i++) {
        struct quota q;
        memset(&q, 0, sizeof(q));
        if (!mboxlist_quota_read(roots.data[i], &q) && q.npending)
            left++;
        quota_fini(&q);
    }
    strarray_fini(&roots);
    return left;
}
