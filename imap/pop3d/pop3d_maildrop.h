/* pop3d_maildrop.h -- the POP3 view of a user's INBOX (the RFC 1939
 * maildrop): a snapshot taken at login, deletion marks, \Seen on
 * retrieval, and the deletions applied at QUIT.
 *
 * Snapshot.  pop3d_maildrop_open() lists the messages of user.<userid> as
 * they are at that moment, numbered 1..n in UID order.  Messages delivered
 * later are not part of it (the next session sees them).  A message that
 * another session (IMAP) expunges meanwhile stays listed, but its data can
 * no longer be read (ERR_NOTFOUND).
 *
 * Locking.  One POP3 session per user at a time: an exclusive, non-blocking
 * fcntl lock on <configdirectory>/user/<x>/<userid>.pop3 is held for the
 * life of the maildrop.  It is not cyrus.index's lock, so IMAP sessions and
 * delivery go on as usual while a POP3 session is open.  The kernel drops
 * it when the process dies.  The same file records the time of the last
 * successful POP3 login: one line, decimal seconds since the epoch and a
 * LF, rewritten at each login, for popminpoll.  A missing or unreadable
 * time counts as "long ago".
 *
 * Deletion.  Marks live in memory only.  pop3d_maildrop_commit() (the
 * UPDATE state, at QUIT) expunges exactly the marked UIDs through
 * mailbox_expunge() and releases their quota; closing without a commit (a
 * dropped connection, a timeout) deletes nothing.
 *
 * Rights.  Opening needs `r` on the INBOX; deleting needs `t` and `e`;
 * \Seen is stored only with `s` (without it RETR works and marks nothing).
 *
 * Messages are numbered from 1 (msgno); a msgno outside 1..count, or one
 * marked deleted, is ERR_NOTFOUND wherever a message is named.
 */
#ifndef CHAPAR_POP3D_MAILDROP_H
#define CHAPAR_POP3D_MAILDROP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/map.h"

struct auth_state;
struct pop3d_maildrop;

/* Open userid's maildrop as who.  minpoll: least seconds since the last
 * POP3 login (0: no limit).  Errors: ERR_NOTFOUND the user has no INBOX
 * (or may not see it), ERR_PERM no `r` right, ERR_LOCKED another POP3
 * session holds it, ERR_AGAIN the last login was less than minpoll seconds
 * ago, others for mailstore failures (logged). */
int pop3d_maildrop_open(const char *userid, const struct auth_state *who,
                        long minpoll, struct pop3d_maildrop **drop_r);
/* Release the lock and everything else; no deletion happens.  Sets *dropp
 * NULL; NULL is fine. */
void pop3d_maildrop_close(struct pop3d_maildrop **dropp);

/* The internal name of the mailbox (user.<userid>). */
const char *pop3d_maildrop_name(const struct pop3d_maildrop *drop);
/* Messages in the snapshot, deleted ones included (the largest msgno). */
uint32_t pop3d_maildrop_count(const struct pop3d_maildrop *drop);
/* Messages not marked deleted and the sum of their sizes. */
void pop3d_maildrop_stat(const struct pop3d_maildrop *drop, uint32_t *count_r,
                         uint64_t *octets_r);
/* Size in octets and unique id ("<uidvalidity>.<uid>", at most 21 bytes
 * and a NUL; stable across sessions) of msgno.  Either output may be NULL.
 * ERR_NOTFOUND (no such message, or deleted). */
int pop3d_maildrop_info(const struct pop3d_maildrop *drop, uint32_t msgno,
                        uint32_t *size_r, char uidl_r[32]);

/* Map the message file of msgno into *m (start with MAP_INITIALIZER, free
 * with map_free()) and give the size of its header, blank line included.
 * ERR_NOTFOUND also when another session expunged it; ERR_CONFLICT when
 * the mailbox's UIDVALIDITY changed since login (reconstruct): the
 * snapshot's UIDs no longer name the same messages. */
int pop3d_maildrop_map(const struct pop3d_maildrop *drop, uint32_t msgno,
                       struct map *m, uint32_t *header_size_r);
/* Set \Seen on msgno for the user (a no-op when it is already seen or the
 * user lacks `s`); the record gets a new modseq so the user's IMAP
 * sessions notice, as STORE +FLAGS (\Seen) would do. */
int pop3d_maildrop_mark_seen(struct pop3d_maildrop *drop, uint32_t msgno);

/* Mark msgno deleted: ERR_NOTFOUND, ERR_PERM (no `t`/`e` right). */
int pop3d_maildrop_delete(struct pop3d_maildrop *drop, uint32_t msgno);
/* Unmark every message (RSET). */
void pop3d_maildrop_reset(struct pop3d_maildrop *drop);
/* UPDATE: expunge the marked messages (all or none), release their quota.
 * *left_r: messages left in the mailbox afterwards.  ERR_CONFLICT (nothing
 * deleted) when UIDVALIDITY changed since login. */
int pop3d_maildrop_commit(struct pop3d_maildrop *drop, uint32_t *left_r);

#endif
