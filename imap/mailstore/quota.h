/* quota.h -- hierarchical quota roots (SPEC.md "Quotas").
 *
 * A quota root is a mailbox name; it governs that mailbox and every mailbox
 * below it that has no lower root.  Each root is one text file,
 * <configdirectory>/quota/<root>:
 *     line 1  storage used, in bytes
 *     line 2  storage limit, in KB (-1: no limit)
 *     line 3  "MESSAGE <count used> <count limit or -1>"   (optional)
 *     then    "PENDING <bytes> <count> <uniqueid> <mailbox name>" lines
 * (the first two lines are the classic Cyrus format).  Only message files
 * count (DESIGN.md invariant 5).
 *
 * CRASHES.  A change of a mailbox's usage (append, expunge, reconstruct,
 * delete) or of the root it counts against (rename, SETQUOTA) commits in
 * the mailbox's files; the root's usage follows in a second file.  So that
 * a kill in between leaves nothing to repair, the writer (holding the
 * mailbox's exclusive cyrus.index lock throughout) first records a PENDING
 * line: "the usage counts <bytes> <count> for this mailbox, which is
 * changing" (quota_change_begin), then commits the mailbox, then settles
 * (quota_settle): the usage moves by the mailbox's committed contribution
 * minus the recorded one and the line goes.  A line left by a killed
 * writer is settled the same way by whoever next holds that mailbox's lock
 * with the truth in hand: the next writer of the mailbox, or
 * mboxlist_quota_settle() (mboxlist.h), which GETQUOTA, GETQUOTAROOT, the
 * quota tool, reconstruct and master at start run.  A mailbox's
 * contribution to a root is its index usage (quota_used, num_records) if
 * its database record exists and its cyrus.header names that root, else 0.
 *
 * REROOTING.  A root that comes (SETQUOTA) or goes changes the root of
 * the mailboxes at and below it, one by one (mboxlist_setquota).  A new
 * root's file starts with the line "STATE REROOT", one being removed gets
 * "STATE REMOVING" (quota_find_root() still finds it, quota_find_root_live()
 * does not), until every mailbox is re-rooted; mboxlist_quota_read() of a
 * root in either state finishes the job first (a kill left it).
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

/* A mailbox whose contribution is changing (see CRASHES above). */
struct quota_pending {
    char *uniqueid;
    char *name;                         /* its name when recorded */
    int64_t used[QUOTA_NUMRESOURCES];   /* what `used` counts for it */
};

/* A root whose coming or going is not finished (see REROOTING above). */
enum quota_state { QUOTA_STATE_OK = 0, QUOTA_STATE_REROOT,
                   QUOTA_STATE_REMOVING };

struct quota {
    char *root;
    int64_t used[QUOTA_NUMRESOURCES];   /* bytes; messages */
    int64_t limit[QUOTA_NUMRESOURCES];  /* KB; messages; QUOTA_UNLIMITED */
    struct quota_pending *pending;
    size_t npending;
    enum quota_state state;
};

enum quota_check { QUOTA_CHECK_STRICT, QUOTA_CHECK_DELIVERY };

/* The file of a root under the configured config directory. */
void quota_path(const char *root, struct buf *out);

/* Replace a root's file with text, atomically.  The temporary file is
 * ".<root>.NEW" (a name no mailbox has: "<root>.NEW" could be a root). */
int quota_write_text(const char *root, const struct buf *text);

/* Read a root.  ERR_NOTFOUND when it has no file, or an empty one (a
 * root's creation cut short by a crash: its file is created, locked, then
 * written), ERR_BADFORMAT when the file cannot be parsed (logged: run
 * quota -f).  quota_find_root() passes over empty files too. */
int quota_read(const char *root, struct quota *q);
void quota_fini(struct quota *q);

/* Create or change the limits of a root (usage kept, or 0 for a new
 * root).  quota_create_root() gives a new root QUOTA_STATE_REROOT. */
int quota_set_limits(const char *root, int64_t storage_kb, int64_t messages);
int quota_create_root(const char *root, int64_t storage_kb, int64_t messages);
/* Set a root's state (REROOTING above); ERR_NOTFOUND without a file. */
int quota_set_state(const char *root, enum quota_state state);
/* Remove a root's file. */
int quota_remove(const char *root);
/* Record that mailbox uniqueid (now called name), whose contribution to
 * root is bytes/messages, is about to change (a PENDING line; any older
 * line of the same mailbox is settled first with that contribution).
 * Durable when it returns: call it before the mailbox's commit, under the
 * mailbox's exclusive lock.  No root file: ERR_OK, nothing recorded. */
int quota_change_begin(const char *root, const char *uniqueid,
                       const char *name, int64_t bytes, int64_t messages);
/* The contribution of mailbox uniqueid to root is now bytes/messages:
 * move the usage by the difference to every PENDING line of it, and drop
 * those lines.  Nothing to do (and no write) when it has none.  Under the
 * mailbox's exclusive lock, after its commit. */
int quota_settle(const char *root, const char *uniqueid, int64_t bytes,
                 int64_t messages);
/* The same for the lines of uniqueid written under name only, without the
 * mailbox's lock: for a line whose name no longer leads to the mailbox
 * (its writer died in a DELETE or a RENAME).  A line of the same mailbox
 * under another name is a live writer's, made after the mailbox was
 * renamed, and is left to it: settling it would drop the mailbox's whole
 * usage from the root and lose that writer's change. */
int quota_settle_named(const char *root, const char *uniqueid,
                       const char *name, int64_t bytes, int64_t messages);
/* Add bytes and messages (negative to release) to a root's usage, clamped
 * at 0, with no PENDING line: for tests that plant a drift.  A missing
 * root file is not an error. */
int quota_update(const char *root, int64_t bytes, int64_t messages);
/* Tests only: called with "pending" after quota_change_begin() wrote its
 * line and "settled" after quota_settle() wrote, so a test can kill the
 * process there. */
extern void (*quota_test_hook)(const char *point);

/* Replace a root's usage and drop its PENDING lines (quota -f). */
int quota_set_usage(const char *root, int64_t bytes, int64_t messages);

/* ERR_OK or ERR_QUOTA for adding bytes/messages under q, by rule. */
int quota_check(const struct quota *q, int64_t bytes, int64_t messages,
                enum quota_check rule);
/* Percentage of the storage limit in use (0 when unlimited). */
int quota_percent(const struct quota *q, enum quota_resource res);

/* The nearest root at or above mailbox name: the longest prefix (on '.'
 * boundaries) that has a quota file.  ERR_NOTFOUND when none. */
int quota_find_root(const char *mboxname, char **root_r);
/* The same, passing over roots being removed (QUOTA_STATE_REMOVING). */
int quota_find_root_live(const char *mboxname, char **root_r);

/* Parse / format the file text; exposed for tests and quota -f. */
int quota_parse(const char *data, size_t len, struct quota *q);
void quota_format(const struct quota *q, struct buf *out);

#endif
