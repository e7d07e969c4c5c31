/* seqset.h -- IMAP sequence sets and UID sets ("1:5,7,9:*").
 *
 * A seqset is a set of 32-bit unsigned numbers kept as sorted, disjoint,
 * non-adjacent ranges, so "1:3,4,9:7" and "1:4,7:9" are the same set and
 * membership is a binary search over the ranges (O(log ranges)).  Zero is
 * never a member (IMAP numbers start at 1).
 *
 * Syntax accepted by seqset_parse() (RFC 3501 sequence-set):
 *     set    = item *("," item)
 *     item   = number / number ":" number
 *     number = "*" / nz-number     (nz-number: 1-9 then digits, < 2^32)
 * "*" stands for the caller's maxval (the largest number in use: messages
 * in the mailbox, or its last UID).  A range may be given either way
 * round ("5:1" is "1:5").  Numbers above maxval are kept (a UID set may
 * name UIDs that do not exist; the caller intersects with what does).
 * When maxval is 0 (an empty mailbox) a lone "*" adds nothing and "n:*"
 * is "1:n", as if "*" were 0 and zero dropped.
 * Rejected with ERR_BADARG: an empty string or an empty item (",," or a
 * trailing ","), zero, a leading zero ("01"), a number above 4294967295,
 * spaces or any other byte, "1:2:3".  On error nothing is allocated.
 *
 * Formatting (seqset_format()) writes the canonical compressed form,
 * ascending, "a:b" for ranges and "a" for single numbers: "1:5,7".  An
 * empty set formats as "" (which seqset_parse() does not accept: callers
 * that store sets treat "" as empty themselves).
 *
 * A seqset owns its memory; functions are reentrant.  Sizes are bounded
 * by the input: a set never has more ranges than its text has items.
 */
#ifndef CHAPAR_SEQSET_H
#define CHAPAR_SEQSET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct seqset;

/* A new empty set.  Never NULL. */
struct seqset *seqset_new(void);
/* Free *setp and set it to NULL; NULL is fine. */
void seqset_free(struct seqset **setp);

/* A new set with the members of set (NULL: empty).  Never NULL. */
struct seqset *seqset_dup(const struct seqset *set);

/* Parse text (NUL-terminated) with "*" = maxval into a new set in *set_r.
 * ERR_OK or ERR_BADARG (see above; *set_r is then NULL). */
int seqset_parse(const char *text, uint32_t maxval, struct seqset **set_r);

/* Build a set from nums[0..n-1], which must be ascending (equal neighbours
 * are allowed) and non-zero; ERR_BADARG otherwise (*set_r is then NULL).
 * n = 0 gives an empty set.  O(n). */
int seqset_from_list(const uint32_t *nums, size_t n, struct seqset **set_r);

/* 1 if num is in the set, else 0.  O(log ranges). */
int seqset_ismember(const struct seqset *set, uint32_t num);
/* Add / remove one number (0 is ignored).  O(ranges) at worst, O(1) when
 * num extends the last range (the common case of a growing mailbox). */
/* The last number of the run of members that holds num (num itself when
 * num + 1 is not a member); 0 when num is not a member. */
uint32_t seqset_range_end(const struct seqset *set, uint32_t num);
void seqset_add(struct seqset *set, uint32_t num);
void seqset_remove(struct seqset *set, uint32_t num);

/* How many numbers are in the set. */
uint64_t seqset_count(const struct seqset *set);
/* The smallest / largest member, or 0 for an empty set. */
uint32_t seqset_first(const struct seqset *set);
uint32_t seqset_last(const struct seqset *set);

/* Ascending iteration:
 *     struct seqset_iter it;
 *     uint32_t n;
 *     seqset_iter_init(&it, set);
 *     while (seqset_iter_next(&it, &n)) ...
 * The set must not change during the iteration. */
struct seqset_iter {
    const struct seqset *set;
    size_t range;       /* index of the current range */
    uint64_t next;      /* next number to return within it */
};
void seqset_iter_init(struct seqset_iter *it, const struct seqset *set);
/* 1 and the next member in *num_r, or 0 at the end. */
int seqset_iter_next(struct seqset_iter *it, uint32_t *num_r);

/* Replace out's contents with the canonical text of the set ("" if empty). */
void seqset_format(const struct seqset *set, struct buf *out);

#endif
