/* duplicate.h -- the duplicate-delivery database: which Message-ID went to
 * which mailbox, and when.
 *
 * deliver -e (and deliver/lmtpd with duplicatesuppression: yes) deliver a
 * message to a mailbox at most once per Message-ID: an MTA that retries
 * after a temporary failure of one recipient, or a mailing list that sends
 * the same message twice, must not fill the mailbox with copies.
 *
 * One lib/db database, <configdirectory>/deliver.db, in the environment
 * <configdirectory>/db (the one mailboxes.db and the .seen files use).
 *   key    16 bytes: the first half of the SHA-1 of the Message-ID as it
 *          appears in the header ("<x@y>"), a NUL, and the internal
 *          mailbox name ("user.bob") -- duplicate_key()
 *   value  version 2: u8 version (2), i64 delivery time (seconds since the
 *          epoch, big-endian) -- 9 bytes
 * A value of another length or version is treated as absent by
 * duplicate_check() and removed by duplicate_prune() (logged).  Version
 * 1 (before 2026-12-04) keyed records by the text itself, about 80 bytes
 * of file per delivery against about 50 now; such records are never
 * matched (one duplicate per message may pass after the upgrade) and
 * the next duplicate_prune() removes them.
 *
 * The database only ever suppresses: if it cannot be opened or read, the
 * caller delivers anyway (a duplicate is better than a lost message).
 * Records are written after the message is committed, so a crash in
 * between can let one duplicate through, never lose mail.
 *
 * Handles: one per process (lib/db.h rules on fork apply); not
 * thread-safe.
 */
#ifndef CHAPAR_DUPLICATE_H
#define CHAPAR_DUPLICATE_H

#include <stddef.h>
#include <time.h>

#define DUPLICATE_DB_FILE "deliver.db"
#define DUPLICATE_VERSION 2
#define DUPLICATE_KEY_LEN 16

/* The key of (msgid, mailbox) into key. */
void duplicate_key(const char *msgid, const char *mailbox,
                   unsigned char key[DUPLICATE_KEY_LEN]);

struct duplicate;

/* Open (creating if needed) <configdir>/deliver.db.  lib/db.h errors. */
int duplicate_open(const char *configdir, struct duplicate **dup_r);
/* Close; sets *dupp = NULL.  NULL is fine. */
void duplicate_close(struct duplicate **dupp);

/* ERR_OK if msgid was delivered to mailbox (its time in *when_r, which may
 * be NULL), ERR_NOTFOUND if not; other lib/db.h errors. */
int duplicate_check(struct duplicate *dup, const char *msgid,
                    const char *mailbox, time_t *when_r);
/* Record that msgid was delivered to mailbox at `when` (overwrites). */
int duplicate_mark(struct duplicate *dup, const char *msgid,
                   const char *mailbox, time_t when);
/* Remove every record from `before` or earlier (and every unreadable
 * one).
 * *removed_r and *total_r (may be NULL) count the records removed and
 * the records seen. */
int duplicate_prune(struct duplicate *dup, time_t before,
                    unsigned long *removed_r, unsigned long *total_r);

#endif
