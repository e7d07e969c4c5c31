/* delivery.h -- the one delivery path shared by deliver and lmtpd.
 *
 * Both programs only parse their input (a command line, an LMTP dialogue)
 * and report; everything between "this address" and "this message is in
 * that mailbox" happens here, over the mailstore (mboxlist, acl, quota,
 * append, seen) and the duplicate database:
 *
 *   a = delivery_agent_new(&params);            once per process/session
 *   delivery_resolve(a, "bob+lists", NULL, &t)  per recipient
 *   delivery_check_quota(&t)                    optional early check (RCPT)
 *   delivery_begin(a, prefix, data, len, &d, &why)   per message
 *   delivery_to(d, &t, &dup)                    per recipient
 *   delivery_end(&d); delivery_agent_free(&a);
 *
 * RECIPIENTS (SPEC.md "deliver").  An address is local[+detail][@domain];
 * the domain is ignored (one namespace: the MTA decided the address is
 * ours).  The user part is canonified with auth_canonify_userid() (so
 * with username_tolower "Bob" is bob; a name it refuses, e.g. with white
 * space, is ERR_NOTFOUND).  deliver's -m folder takes the place of the
 * detail.
 *   user            user.<user>, the INBOX: no right is checked (Cyrus
 *                   delivers to a user's own INBOX whoever sends)
 *   user+folder     user.<user>.<folder> when it exists and the identity
 *                   has `p` there; otherwise the INBOX (as Cyrus: a
 *                   mistyped or closed folder still gets the mail to the
 *                   user)
 *   <postuser>+mbox the shared mailbox mbox (postuser option, "bb" by
 *                   default; "" means the address "+mbox"); needs `p`
 * delivery_resolve_mailbox() names a mailbox outright (deliver -m without
 * users) and needs `p` too.  A mailbox that does not exist, an invalid
 * name, and a mailbox without `p` for the identity all give the SAME
 * ERR_NOTFOUND, so an address never tells whether a mailbox exists.  The
 * identity is the params' auth state: deliver -a's user, else anonymous
 * (matching "anyone" and "anonymous" ACL entries).
 *
 * MESSAGES.  delivery_begin() refuses, before any mailbox is touched and
 * with a reason for the MTA: a leading Unix "From " line, 8-bit header
 * bytes under reject8bit (both ERR_BADFORMAT), an empty message
 * (ERR_BADARG) and more than delivery_max_size() bytes as received
 * (ERR_TOOBIG).  The caller's prefix (Return-Path:, Received:) goes in
 * front; the whole is normalised once (bare LF -> CRLF, NUL kept in the
 * body; message.h) and goes into every mailbox through append.h.
 *
 * WRITES.  The first delivery of a message writes its file; later ones
 * hard-link it (append_copy from the first mailbox; a copy across file
 * systems), so a message to many recipients on one partition is stored
 * once.  Each delivery is its own append transaction, durable when
 * delivery_to() returns ERR_OK.  Quota: APPEND_QUOTA_DELIVERY (refused only
 * while the root is already at or over its limit), or ignored with
 * params.ignore_quota (deliver -q).  \Seen (params.flags & APPEND_SEEN) is
 * set in the seen state of the mailbox's owner (for a shared mailbox, of
 * the identity, unless anonymous).
 *
 * DUPLICATES.  With params.dupelim and a Message-ID, a message whose
 * Message-ID was already delivered to the target mailbox is not delivered
 * again: delivery_to() returns ERR_OK with *duplicate_r = 1 and logs
 * "dupelim: eliminated duplicate" at info.
 *
 * SIEVE.  A recipient resolved by delivery_resolve() (a user, with or
 * without +folder; not deliver -m alone nor postuser+mailbox) has its
 * active Sieve script run (imap/sieve/sieve.h; delivery_sieve.c), with
 * the envelope sender of delivery_set_sender() and the recipient address.
 * keep (and the implicit keep) goes where the address resolved (the INBOX,
 * or the +folder); fileinto names a mailbox as the user's IMAP client
 * does ("INBOX.Lists"), needs the user's `p` there and creates it with
 * :create; redirect hands the message to the `sendmail` program, and so
 * does vacation its reply (once per sender and period, tracked in the
 * duplicate database); reject and ereject make delivery_to() return
 * ERR_PERM with the reason in delivery_rejected().  A script that cannot be read, compiled or run,
 * and an action that fails for good (no such mailbox, sendmail failing),
 * puts the message into the INBOX instead and logs "sieve: ..." at error:
 * a script never loses mail.  A temporary failure of a write (quota, lock)
 * is returned as without a script.
 *
 * Every delivery is logged at info: "delivered: mailbox=<> uid=<> size=<>
 * msgid=<>".  Errors of delivery_to(): ERR_NOTFOUND (the mailbox went
 * away), ERR_QUOTA, ERR_LOCKED/ERR_TIMEOUT (lock busy), ERR_IO and the
 * mailstore's other codes; every one but ERR_NOTFOUND is temporary.
 */
#ifndef CHAPAR_DELIVERY_H
#define CHAPAR_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/strarray.h"

struct auth_state;

struct delivery_params {
    const struct auth_state *auth;  /* whose `p` opens folders; not owned */
    int ignore_quota;               /* deliver -q */
    int dupelim;                    /* Message-ID duplicate suppression */
    uint32_t flags;                 /* FLAG_* | APPEND_SEEN (deliver -F) */
    const struct strarray *keywords;    /* user flags (-F); may be NULL */
};

/* A recipient resolved to the mailbox that receives its copy. */
struct delivery_target {
    char *mailbox;              /* internal name */
    char *userid;               /* owner of a user.* mailbox, else NULL */
    char *address;              /* the recipient as given (personal only) */
    int personal;               /* a user's address: the script runs */
};

struct delivery_agent;
struct delivery;

/* An agent carries the params (copied; auth and keywords must outlive it)
 * and the duplicate database handle (opened on first need). */
struct delivery_agent *delivery_agent_new(const struct delivery_params *p);
void delivery_agent_free(struct delivery_agent **ap);

/* address -> *t (released with delivery_target_fini), as described above.
 * folder (may be NULL or "") replaces the address's detail.  ERR_NOTFOUND;
 * mailbox-list errors (temporary). */
int delivery_resolve(struct delivery_agent *a, const char *address,
                     const char *folder, struct delivery_target *t);
/* The mailbox `name` itself (deliver -m without users): needs `p`. */
int delivery_resolve_mailbox(struct delivery_agent *a, const char *name,
                             struct delivery_target *t);
void delivery_target_fini(struct delivery_target *t);

/* ERR_QUOTA when t's quota root is at or over its limit (and quota is not
 * ignored), else ERR_OK; for LMTP's early answer at RCPT. */
int delivery_check_quota(struct delivery_agent *a,
                         const struct delivery_target *t);

/* Prepare one message: prefix (prefixlen bytes of header lines, CRLF
 * ended; may be empty) in front of the len bytes of data.  On a refusal,
 * *reason_r is one sentence for the MTA ("Message contains invalid
 * header").  data need not outlive the call. */
int delivery_begin(struct delivery_agent *a, const char *prefix,
                   size_t prefixlen, const char *data, size_t len,
                   struct delivery **d_r, const char **reason_r);
/* Deliver the message to t (see above).  *duplicate_r (may be NULL) is 1
 * when the copy was suppressed as a duplicate. */
int delivery_to(struct delivery *d, const struct delivery_target *t,
                int *duplicate_r);
/* The envelope sender (MAIL FROM, deliver -r/-f; "" for <>) for Sieve's
 * envelope test and redirect; NULL: unknown. */
void delivery_set_sender(struct delivery *d, const char *from);
/* After delivery_to() returned ERR_PERM: the reason of the script's reject
 * (one line of text as the user wrote it), else NULL. */
const char *delivery_rejected(const struct delivery *d);
/* Release the message (and the first mailbox kept open for links). */
void delivery_end(struct delivery **dp);

/* The largest message accepted, in bytes as received: maxmessagesize, or
 * DELIVERY_DEFAULT_MAXMESSAGE when that is 0 (messages are held in
 * memory; the same bound as imapd's APPEND). */
#define DELIVERY_DEFAULT_MAXMESSAGE (64 * 1024 * 1024)
size_t delivery_max_size(void);

/* "Return-Path: <addr>\r\n" appended to out (addr "" gives "<>");
 * control characters in addr become '?'. */
void delivery_return_path(const char *addr, struct buf *out);

#endif
