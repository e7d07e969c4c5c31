/* mailbox_quota.c -- a mailbox's contribution to its quota root, kept
 * exact across a kill at any instant (quota.h, CRASHES): the PENDING line
 * before the commit, the settlement after it. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/log.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mailbox_private.h"
#include "imap/mailstore/quota.h"

int mailbox_quota_begin(struct mailbox *mb)
{
    const struct index_header *c = &mb->priv->committed;
    int r;

    if (!mb->quotaroot)
        return ERR_OK;
    r = quota_change_begin(mb->quotaroot, mb->uniqueid, mb->name,
                           (int64_t)c->quota_used, (int64_t)c->num_records);
    if (r)
        log_error("quota: cannot record a change: mailbox=<%s> root=<%s>: %s",
                  mb->name, mb->quotaroot, error_string(r));
    return r;
}

int mailbox_quota_end(struct mailbox *mb)
{
    const struct index_header *c = &mb->priv->committed;
    int r;

    if (!mb->quotaroot)
        return ERR_OK;
    r = quota_settle(mb->quotaroot, mb->uniqueid, (int64_t)c->quota_used,
                     (int64_t)c->num_records);
    if (r)
        log_error("quota: usage not settled: mailbox=<%s> root=<%s>: %s; "
                  "the next writer or GETQUOTA settles it", mb->name,
                  mb->quotaroot, error_string(r));
    return r;
}

static int same_root(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Settle root with the mailbox's contribution as its header now says. */
static void settle_by_header(struct mailbox *mb, const char *root)
{
    int in = same_root(mb->quotaroot, root);

    quota_settle(root, mb->uniqueid, in ? (int64_t)mb->i.quota_used : 0,
                 in ? (int64_t)mb->i.num_records : 0);
}

int mailbox_set_quotaroot(struct mailbox *mb, char *root)
{
    char *old = mb->quotaroot;
    int r = ERR_OK;

    if (same_root(old, root)) {
        free(root);
        return mailbox_write_header(mb);
    }
    /* Both roots record the change; cyrus.header naming the new root is
     * the commit point; then both settle. */
    if (!(old && (r = quota_change_begin(old, mb->uniqueid, mb->name,
                                         (int64_t)mb->i.quota_used,
                                         (int64_t)mb->i.num_records))) &&
        !(root && (r = quota_change_begin(root, mb->uniqueid, mb->name, 0,
                                          0)))) {
        mb->quotaroot = root;
        if ((r = mailbox_write_header(mb)))
            mb->quotaroot = old;
    }
    if (old)
        settle_by_header(mb, old);
    if (root)
        settle_by_header(mb, root);
    free(mb->quotaroot == root ? old : root);
    return r;
}
