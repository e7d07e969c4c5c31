/* mboxlist_quota.c -- quota roots as the mailbox list sees them: setting
 * or removing a root re-roots the mailboxes it governs (mboxlist.h,
 * "quota roots").  Cyrus keeps this in its model too (mboxlist_setquotas).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"

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
        r = quota_find_root(name, &root);
        if (r == ERR_NOTFOUND)
            r = ERR_OK;
    }
    if (r || (!root && !mb->quotaroot) ||
        (root && mb->quotaroot && !strcmp(root, mb->quotaroot)))
        goto done;
    if (mb->quotaroot)
        quota_update(mb->quotaroot, -(int64_t)mb->i.quota_used,
                     -(int64_t)mb->i.num_records);
    if (root)
        quota_update(root, (int64_t)mb->i.quota_used,
                     (int64_t)mb->i.num_records);
    free(mb->quotaroot);
    mb->quotaroot = root;
    root = NULL;
    r = mailbox_write_header(mb);
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
    if (remove) {
        if (!exists)
            return ERR_OK;
        if ((r = quota_remove(root)))
            return r;
    } else if ((r = quota_set_limits(root, storage_kb, messages))) {
        return r;
    }
    log_notice("setquota: root=<%s> storage=<%lld> message=<%lld> by=<%s>",
               root, (long long)storage_kb, (long long)messages,
               auth_userid(who));
    return (remove || !exists) ? quota_reroot(root, who) : ERR_OK;
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
