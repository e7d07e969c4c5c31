/* append.h -- the one way messages enter a mailbox.
 *
 * APPEND, COPY/MOVE, deliver, lmtpd and the migration tools all add
 * messages through this API (DESIGN.md: "no second path"):
 *     append_begin(mb, &params, &as);          locks the mailbox
 *     append_message(as, data, len, ...);      any number of times
 *     append_copy(as, src, &rec, ...);         COPY: hard link when possible
 *                                              (singleinstancestore)
 *     append_commit(as, &result)  or  append_abort(&as)
 * Everything added between begin and commit becomes visible at once or not
 * at all (MULTIAPPEND is atomic).
 *
 * For each message: the bytes are normalised (bare LF -> CRLF, 8-bit
 * header bytes per reject8bit), written nameless and fsynced, then linked
 * in as "<uid>." (so a file of that name is always whole), parsed
 * ONCE into the cache entry, and staged as an index record with its SHA-1
 * GUID.  append_commit fsyncs the directory, records the change in the
 * quota root (a PENDING line), commits the index (header last), then
 * settles the root: a crash before the commit leaves only stray files
 * above last_uid, which the next append overwrites; the quota root is
 * exact either way once its line is settled (quota.h, CRASHES; DESIGN.md
 * invariants 1 and 5).
 *
 * Rights are the caller's business (it checks `i` or `p` with
 * acl_myrights before calling).  Quota is checked here, per params->quota.
 * \Seen is per user: messages added with APPEND_SEEN are recorded in the
 * \Seen state of params->seen_userid by append_commit (after the commit;
 * a failure there is logged, the messages stay), and are listed in the
 * result too, for a caller that keeps a view of them (COPY into the
 * selected mailbox).
 */
#ifndef CHAPAR_APPEND_H
#define CHAPAR_APPEND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/strarray.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/quota.h"

#define APPEND_SEEN 0x100       /* pseudo system flag: see append.h top */
#define APPEND_OLD  0x200       /* pseudo flag: not \Recent (imports); the
                                   mailbox's recent_uid moves up to this
                                   message while every message before it is
                                   old too (\Recent is a UID threshold) */

enum append_quota {
    APPEND_QUOTA_STRICT,        /* IMAP APPEND/COPY: stay within the limit */
    APPEND_QUOTA_DELIVERY,      /* deliver: refuse only while at/over it */
    APPEND_QUOTA_IGNORE         /* deliver -q, reconstruct, admin imports */
};

struct append_params {
    enum append_quota quota;
    int reject8bit;             /* refuse 8-bit header bytes (else 'X') */
    size_t maxmessagesize;      /* 0: no limit */
    const char *seen_userid;    /* whose \Seen gets APPEND_SEEN messages;
                                   NULL: nobody's; borrowed until the
                                   commit or abort */
};

struct append_result {
    uint32_t uidvalidity;
    uint32_t first_uid;         /* 0 if nothing was added */
    uint32_t last_uid;
    uint32_t count;
    uint32_t *seen_uids;        /* added with APPEND_SEEN; caller frees */
    size_t nseen;
};

struct append_state;

/* Lock mb (already opened by the caller) for appending.  ERR_LOCKED or
 * ERR_TIMEOUT when another writer holds it too long. */
int append_begin(struct mailbox *mb, const struct append_params *params,
                 struct append_state **as_r);

/* Add one message.  internaldate 0 means now; flags are FLAG_* plus
 * APPEND_SEEN; keywords (may be NULL) are user flag names, created in the
 * mailbox as needed.  Errors: ERR_TOOBIG (maxmessagesize), ERR_BADFORMAT
 * (8-bit header with reject8bit), ERR_QUOTA, ERR_IO.  After an error the
 * transaction may go on (the message was not added) or be aborted. */
int append_message(struct append_state *as, const char *data, size_t len,
                   time_t internaldate, uint32_t flags,
                   const struct strarray *keywords, uint32_t *uid_r);

/* Migration (imports that keep another server's UIDs):
 * append_set_uidvalidity gives the mailbox that UIDVALIDITY; only while it
 * has never held a message (last_uid 0) and nothing is staged, else
 * ERR_EXISTS; it is committed with the transaction, and the mailboxes
 * database's UIDVALIDITY counter is raised to it at once (so a later
 * mailbox of that name gets a larger one).  append_set_next_uid makes the
 * next append_message use uid, which must exceed every UID the mailbox
 * had (last_uid) and every staged one, else ERR_BADARG. */
int append_set_uidvalidity(struct append_state *as, uint32_t uidvalidity);
int append_set_next_uid(struct append_state *as, uint32_t uid);
/* Migration: raise the mailbox's last UID to uid (nothing when it is
 * already there), committed with the transaction even if it adds no
 * message: the source server had given out UIDs up to uid, which must
 * never be reused under the kept UIDVALIDITY. */
void append_reserve_uids(struct append_state *as, uint32_t uid);

/* Add a copy of src's record rec (COPY/MOVE, and deliver's later
 * recipients): with singleinstancestore (the default) the file is
 * hard-linked when both mailboxes are on one file system, else its bytes
 * are copied; the cache entry is
 * reused; flags and keywords as in append_message (the keywords are given
 * by name because flag numbers differ between mailboxes). */
int append_copy(struct append_state *as, const struct mailbox *src,
                const struct index_record *rec, uint32_t flags,
                const struct strarray *keywords, uint32_t *uid_r);

/* Make everything durable and visible, charge the quota root, unlock.
 * Frees *asp.  result may be NULL. */
int append_commit(struct append_state **asp, struct append_result *result);
/* Undo: forget the staged records, remove their files, unlock.  Frees. */
void append_abort(struct append_state **asp);

#endif
