/* quota.h -- hierarchical quota roots (SPEC.md "Quotas").
 *
 * A quota root is a mailbox name; it governs that mailbox and every mailbox
 * below it that has no lower root.  Each root is one text file,
 * <configdirectory>/quota/<root>:
 *     line 1  storage used, in bytes
 *     line 2  storage limit, in KB (-1: no limit)
 *     line 3  "MESSAGE <count used> <count limit or -1>"   (optional)
 * (the first two lines are the classic Cyrus format).  Only message files
 * count (DESIGN.md invariant 5).
 *
 * Changes happen under an exclusive lock on the root's file, which is then
 * replaced atomically, so readers never lock and never see a half-written
 * file.  Lock order: a mailbox's cyrus.index before its quota root.
 *
 * Two checks, because IMAP and delivery differ (SPEC.md):
 *   QUOTA_CHECK_STRICT    usage + the new bytes must stay within the limit
 *                         (APPEND, COPY: NO [OVERQUOTA]);
 *   QUOTA_CHECK_DELIVERY  refused only while usage is already at or over the
 *                         limit; the message that crosses it is accepted.
 */
#ifndef CHAPAR_QUOTA_H
#define CHAPAR_QUOTA_H

#include <stdint.h>

#include "lib/buf.h"

#define QUOTA_UNLIMITED (-1)

enum quota_resource { QUOTA_STORAGE = 0, QUOTA_MESSAGE = 1, QUOTA_NUMRESOURCES };

struct quota {
    char *root;
    int64_t used[QUOTA_NUMRESOURCES];   /* bytes; messages */
    int64_t limit[QUOTA_NUMRESOURCES];  /* KB; messages; QUOTA_UNLIMITED */
};

enum quota_check { QUOTA_CHECK_STRICT, QUOTA_CHECK_DELIVERY };

/* The file of a root under the configured config directory. */
void quota_path(const char *root, struct buf *out);

/* Read a root.  ERR_NOTFOUND when it has no file, or an empty one (a
 * root's creation cut short by a crash: its file is created, locked, then
 * written), ERR_BADFORMAT when the file cannot be parsed (logged: run
 * quota -f).  quota_find_root() passes over empty files too. */
int quota_read(const char *root, struct quota *q);
void quota_fini(struct quota *q);

/* Create or change the limits of a root (usage kept, or 0 for a new root). */
int quota_set_limits(const char *root, int64_t storage_kb, int64_t messages);
/* Remove a root's file. */
int quota_remove(const char *root);
/* Add bytes and messages (negative to release) to a root's usage, clamped
 * at 0.  A missing root file is not an error (the root was removed). */
int quota_update(const char *root, int64_t bytes, int64_t messages);
/* Replace a root's usage (quota -f). */
int quota_set_usage(const char *root, int64_t bytes, int64_t messages);

/* ERR_OK or ERR_QUOTA for adding bytes/messages under q, by rule. */
int quota_check(const struct quota *q, int64_t bytes, int64_t messages,
                enum quota_check rule);
/* Percentage of the storage limit in use (0 when unlimited). */
int quota_percent(const struct quota *q, enum quota_resource res);

/* The nearest root at or above mailbox name: the longest prefix (on '.'
 * boundaries) that has a quota file.  ERR_NOTFOUND when none. */
int quota_find_root(const char *mboxname, char **root_r);

/* Parse / format the file text; exposed for tests and quota -f. */
int quota_parse(const char *data, size_t len, struct quota *q);
void quota_format(const struct quota *q, struct buf *out);

#endif
