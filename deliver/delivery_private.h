/* delivery_private.h -- what delivery.c and delivery_sieve.c share: the
 * agent and message structures and the one append path to a named
 * mailbox.  Private to deliver/. */
#ifndef CHAPAR_DELIVERY_PRIVATE_H
#define CHAPAR_DELIVERY_PRIVATE_H

#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/strarray.h"
#include "imap/mailstore/mailbox.h"
#include "deliver/delivery.h"
#include "deliver/duplicate.h"

struct delivery_agent {
    struct delivery_params params;
    struct duplicate *dup;
    int dup_failed;             /* do not try to open it for every message */
};

struct delivery {
    struct delivery_agent *agent;
    struct buf msg;             /* normalised, prefix included */
    char *msgid;                /* for duplicate suppression, or NULL */
    time_t arrival;             /* internal date of every copy */
    struct mailbox *src;        /* first mailbox delivered to: link source */
    struct index_record src_rec;
    char *sender;               /* envelope sender, or NULL */
    char *rejected;             /* the last recipient's reject reason */
};

/* ERR_OK if mailbox `name` exists and auth may post to it; ERR_NOTFOUND
 * for a missing one, an invalid name and no `p` alike. */
int delivery_may_post(const struct auth_state *auth, const char *name);

/* Duplicate check, one append transaction into mailbox (internal name)
 * with flags and keywords, duplicate record, log line: the one write of
 * every delivery (delivery.h, WRITES and DUPLICATES). */
int delivery_to_mailbox(struct delivery *d, const char *mailbox,
                        const char *seen_user, uint32_t flags,
                        const struct strarray *keywords, int *duplicate_r);

/* The duplicate database, opened at the first call; NULL when it cannot
 * be opened (then suppressing nothing, and no vacation tracking). */
struct duplicate *delivery_dupdb(struct delivery_agent *a);

/* Whose \Seen gets APPEND_SEEN for a delivery to t. */
const char *delivery_seen_user(const struct delivery *d,
                               const struct delivery_target *t);

/* Run t's user's active script and perform its actions (delivery.h,
 * SIEVE).  0 when the user has no active script (nothing done); else 1
 * with *r_r the outcome for delivery_to(). */
int delivery_sieve(struct delivery *d, const struct delivery_target *t,
                   int *duplicate_r, int *r_r);

#endif
