/* seen.h -- per-user \Seen state (SPEC.md: \Seen is private to each user,
 * even in shared folders; every other flag lives in cyrus.index).
 *
 * Each user has one database, <configdirectory>/user/<x>/<userid>.seen
 * (mboxname_user_file(), <x> its hash letter), in the environment
 * <configdirectory>/db (lib/db.h: transactions, crash safety, many
 * processes at once).  Keys are mailbox unique ids (the 32 hex digits of
 * mailboxes.db and cyrus.header), so a renamed mailbox keeps its seen state
 * and a deleted-then-recreated one starts afresh.
 *
 * Value format, version 1 (ASCII, one line, single spaces, no newline):
 *     "1 <lastread> <lastuid> <lastchange> <seenuids>"
 *   lastread    seconds since the epoch when the user last read the
 *               mailbox (the readership report uses it)
 *   lastuid     the mailbox's last UID when the state was written
 *   lastchange  seconds since the epoch when seenuids last changed
 *   seenuids    the seen UIDs as a canonical sequence set (seqset.h,
 *               "1:5,7"), empty when none is seen ("1 0 0 0 ")
 * Times are decimal int64 (negative allowed), lastuid decimal uint32.  A
 * later format starts with another version number; a reader that does not
 * know the version, or meets anything malformed, returns ERR_BADFORMAT
 * (logged) and never crashes.
 *
 * Handles: a struct seen belongs to the process that opened it (not across
 * fork(): open a new one in the child) and to one user.  The user-file
 * helpers at the end work on closed files: no process may have that user's
 * seen database open while it is renamed or deleted (deletion and renaming
 * of users is an administrator's operation; see mboxlist.h).
 */
#ifndef CHAPAR_SEEN_H
#define CHAPAR_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "imap/mailstore/seqset.h"

#define SEEN_VERSION 1

struct seen;

struct seen_data {
    int64_t lastread;
    uint32_t lastuid;
    int64_t lastchange;
    struct seqset *seenuids;    /* never NULL after a read; owned */
};

/* seen_open() flags */
#define SEEN_CREATE 0x01        /* create the user's database if missing */

/* Open userid's seen database.  ERR_BADNAME for an invalid userid,
 * ERR_NOTFOUND if there is none and SEEN_CREATE was not given; db errors
 * otherwise (lib/db.h). */
int seen_open(const char *userid, int flags, struct seen **seen_r);
/* Close; sets *seenp = NULL.  NULL is fine. */
void seen_close(struct seen **seenp);

/* Read the state of mailbox uniqueid into *data (which the caller later
 * releases with seen_data_fini()).  ERR_NOTFOUND when nothing is recorded:
 * *data is then filled as the empty state (zero times, empty set), so
 * callers may simply use it.  ERR_BADFORMAT for a corrupt value (data is
 * the empty state too). */
int seen_read(struct seen *seen, const char *uniqueid,
              struct seen_data *data);
/* Store data as the state of uniqueid (blind overwrite). */
int seen_write(struct seen *seen, const char *uniqueid,
               const struct seen_data *data);
/* Read-modify-write of uniqueid's state in one transaction, so that two
 * sessions of one user changing \Seen at once lose nothing: fn gets the
 * current state (the empty state when none is recorded) and changes it in
 * place; it returns 0 to store the result or an error code to store
 * nothing (that code is returned).  fn may be called more than once (the
 * transaction is retried on a conflict), so it must only compute from
 * *data and rock.  It must not call this module. */
typedef int seen_update_fn(struct seen_data *data, void *rock);
int seen_update(struct seen *seen, const char *uniqueid, seen_update_fn *fn,
                void *rock);
/* The changes sessions and delivery make, each one seen_update()
 * transaction.  seen_change_uids: add (on) or remove uids[0..n) in the
 * \Seen set, raise lastuid to at least lastuid, lastchange = now.
 * seen_note_read: the user looked at the mailbox now (lastread = now,
 * lastuid = lastuid; the readership report reads it). */
int seen_change_uids(struct seen *seen, const char *uniqueid,
                     const uint32_t *uids, size_t n, int on, uint32_t lastuid);
int seen_note_read(struct seen *seen, const char *uniqueid, uint32_t lastuid);
/* \Seen of messages just appended with APPEND_SEEN (append.h): open
 * userid's database (creating it), add uids[0..n), close.  A failure is
 * logged and returned; the messages are in, only their \Seen is lost.
 * append_commit() calls this for append_params.seen_userid. */
int seen_add_appended(const char *userid, const char *uniqueid,
                      const uint32_t *uids, size_t n, uint32_t lastuid);

/* Forget uniqueid's state.  ERR_NOTFOUND if none was recorded. */
int seen_delete_mailbox(struct seen *seen, const char *uniqueid);

/* Release data's set (data itself is the caller's); sets seenuids NULL. */
void seen_data_fini(struct seen_data *data);

/* ---- the user's file ------------------------------------------------------ */

/* Carry olduser's seen state over to newuser (user rename): the records
 * are copied into a fresh database for newuser (replacing any it had) and
 * olduser's is removed.  ERR_OK when olduser has none (nothing to carry);
 * ERR_BADNAME for an invalid userid, ERR_BADARG when both are the same.
 * After a crash half-way both files may exist, which is harmless. */
int seen_rename_user(const char *olduser, const char *newuser);
/* Remove userid's seen database.  ERR_OK when there is none. */
int seen_delete_user(const char *userid);

/* ---- value codec (exposed for tests and reconstruct) ------------------------ */

void seen_value_encode(const struct seen_data *data, struct buf *out);
/* ERR_OK, or ERR_BADFORMAT (data is then the empty state). */
int seen_value_decode(const char *val, size_t len, struct seen_data *data);

#endif
