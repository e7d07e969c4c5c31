/* thread.h -- the THREAD algorithms of RFC 5256 section 3 over a list of
 * messages, and the nested-parenthesis form of the THREAD response.
 *
 * ORDEREDSUBJECT: messages grouped by base subject, each group sorted by
 * sent date; the first of a group is the parent of the others (siblings);
 * groups ordered by the sent date of their first message.
 *
 * REFERENCES: steps (1) to (6) of RFC 5256 3: parent/child links from
 * References (or the first message-id of In-Reply-To when there are no
 * References), the last reference the parent of the message itself (a
 * link made from another message's References is overridden), no link
 * that would make a loop; a Message-ID seen twice counts only for the
 * first message (the second gets a unique one); dummy parents pruned
 * (a dummy at the top with two or more children stays); top-level
 * threads with the same base subject gathered (the reply/forward rules of
 * step 5); siblings sorted by sent date, a dummy by its first child.
 *
 * REFS (draft-ietf-morg-inthread, Cyrus's THREAD=REFS): REFERENCES
 * without the subject step (5), and the threads ordered by their newest
 * message's sent date instead of their first's.
 *
 * Every sort breaks ties by the order of the input (the mailbox order,
 * RFC 5256 2.2).  Work is O(n log n) in the messages plus the length of
 * their reference chains (loop checks walk the ancestors); nothing
 * recurses, so a 100,000-message chain is fine.
 */
#ifndef CHAPAR_THREAD_H
#define CHAPAR_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum thread_algorithm {
    THREAD_ORDEREDSUBJECT,
    THREAD_REFERENCES,
    THREAD_REFS
};

/* One message, in mailbox order.  Strings are NUL-terminated or NULL. */
struct thread_msg {
    uint32_t id;                /* what the response names (msgno, UID) */
    int64_t date;               /* sortkey_sent_date() */
    const char *subject;        /* the base subject, case-mapped */
    int refwd;                  /* sortkey_base_subject() said reply/fwd */
    const char *message_id;     /* Message-ID value */
    const char *references;     /* References value */
    const char *in_reply_to;    /* In-Reply-To value */
};

/* The algorithm named name (any case), or -1. */
int thread_algorithm_lookup(const char *name);

/* The threads of msgs[0..n) by alg, appended to out as the THREAD
 * response's data: "(1 2)(3 (4)(5))" (nothing for n == 0). */
void thread_build(enum thread_algorithm alg, const struct thread_msg *msgs,
                  size_t n, struct buf *out);

#endif
