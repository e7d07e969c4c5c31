/* search_private.h -- what search.c and search_memo.c share; not for
 * other modules.
 *
 * The memo's writing side and its packed form: the values of one field in
 * one message's header, one after another, each a 4-byte big-endian
 * length (util_put32) and its bytes; no values is the empty string.
 */
#ifndef CHAPAR_SEARCH_PRIVATE_H
#define CHAPAR_SEARCH_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "imap/mailstore/search.h"

/* Memorise the packed values of field in uid's header.  Another field
 * replaces the memo (*memop, made when NULL); a UID not above the last
 * one kept, or beyond the size bound, is not kept. */
void search_memo_put(struct search_memo **memop, const char *field,
                     uint32_t uid, const char *data, size_t len);

/* Packed values: append one; take the next from *p (0 at end). */
void search_memo_add_value(struct buf *packed, const char *v, size_t len);
int search_memo_next_value(const char **p, const char *end, const char **v_r,
                           size_t *len_r);

#endif
