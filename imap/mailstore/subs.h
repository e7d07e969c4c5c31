/* subs.h -- a user's mailbox subscriptions (IMAP SUBSCRIBE/LSUB).
 *
 * One text file per user, <configdirectory>/user/<x>/<userid>.sub
 * (mboxname_user_file(), <x> the user's hash letter): one internal mailbox
 * name per line, LF-terminated, sorted bytewise, no duplicates.  Every
 * change is a read-modify-write under an exclusive lock on the file,
 * written with util_atomic_replace(), so readers never lock, never see a
 * half-written file, and two sessions of one user subscribing at once
 * lose nothing.
 *
 * Names are internal names ("user.bob.lists"); the protocol layer turns
 * INBOX into user.<me> before calling.  Whether a subscribed mailbox
 * exists is not checked here (RFC 3501 lets a client subscribe to a name
 * that does not exist yet).  A line that is not a valid mailbox name (a
 * hand-edited file) is skipped with a log line, never fatal.
 *
 * Errors: ERR_BADNAME for an invalid userid or mailbox name (nothing is
 * touched), ERR_IO / ERR_TIMEOUT for file trouble (logged).
 */
#ifndef CHAPAR_SUBS_H
#define CHAPAR_SUBS_H

#include "lib/strarray.h"

/* Replace names' contents with userid's subscriptions, sorted.  A user
 * without a file has none (ERR_OK, empty). */
int subs_list(const char *userid, struct strarray *names);
/* 1 if userid is subscribed to name, 0 if not (errors count as not). */
int subs_is_subscribed(const char *userid, const char *name);
/* Subscribe; ERR_OK if it already was. */
int subs_add(const char *userid, const char *name);
/* Unsubscribe; ERR_NOTFOUND if it was not subscribed. */
int subs_remove(const char *userid, const char *name);

/* A user rename: newuser gets olduser's list with "user.<olduser>" and
 * "user.<olduser>.*" rewritten to "user.<newuser>..." (other names kept;
 * a rewritten name that would be invalid, e.g. too long, is dropped and
 * logged), replacing any list newuser had; olduser's file is removed.
 * ERR_OK when olduser has no file.  ERR_BADARG when both are the same. */
int subs_rename_user(const char *olduser, const char *newuser);
/* Remove userid's file; ERR_OK when there is none. */
int subs_delete_user(const char *userid);

#endif
