/* search_memo.c -- the values of one header field that the cache does
 * not hold, per UID, kept for the caller's later searches (search.h).
 *
 * SEARCH HEADER <field> of a field that is not cached reads the header of
 * every message file.  A client that looks messages up by such a field
 * (an X- header, List-Id) does so again and again in the same mailbox;
 * message files never change, so a value once read stays right, and the
 * later searches of that field read only the files of messages the memo
 * has not met yet.  One field at a time: another field starts afresh,
 * so a search of two such fields gains nothing and reads the files as
 * before.  UIDs are appended in ascending order only (a search walks them
 * so; one out of order is simply not kept), up to SEARCH_MEMO_MAX bytes.
 *
 * The values of a UID are packed (search_private.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/search.h"
#include "imap/mailstore/search_private.h"

#define SEARCH_MEMO_MAX (4U * 1024 * 1024)

struct memo_entry {
    uint32_t uid;
    uint32_t len;
    size_t off;                 /* in vals */
};

struct search_memo {
    char *field;
    struct memo_entry *ents;
    size_t n, alloc;
    struct buf vals;
};

void search_memo_free(struct search_memo **memop)
{
    struct search_memo *memo = *memop;

    if (!memo)
        return;
    free(memo->field);
    free(memo->ents);
    buf_free(&memo->vals);
    free(memo);
    *memop = NULL;
}

int search_memo_get(const struct search_memo *memo, const char *field,
                    uint32_t uid, const char **data_r, size_t *len_r)
{
    size_t lo = 0, hi;

    if (!memo || strcasecmp(memo->field, field))
        return 0;
    hi = memo->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memo->ents[mid].uid == uid) {
            *data_r = memo->vals.s ? memo->vals.s + memo->ents[mid].off : "";
            *len_r = memo->ents[mid].len;
            return 1;
        }
        if (memo->ents[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

void search_memo_put(struct search_memo **memop, const char *field,
                     uint32_t uid, const char *data, size_t len)
{
    struct search_memo *memo = *memop;

    if (memo && strcasecmp(memo->field, field)) {
        search_memo_free(memop);
        memo = NULL;
    }
    if (!memo) {
        memo = *memop = xzmalloc(sizeof(*memo));
        memo->field = xstrdup(field);
    }
    if ((memo->n && uid <= memo->ents[memo->n - 1].uid) ||
        memo->vals.len + len + sizeof(struct memo_entry) * (memo->n + 1) >
            SEARCH_MEMO_MAX)
        return;
    if (memo->n == memo->alloc) {
        memo->alloc = memo->alloc ? 2 * memo->alloc : 64;
        memo->ents = xrealloc(memo->ents, memo->alloc * sizeof(*memo->ents));
    }
    memo->ents[memo->n].uid = uid;
    memo->ents[memo->n].len = (uint32_t)len;
    memo->ents[memo->n].off = memo->vals.len;
    memo->n++;
    buf_appendmap(&memo->vals, data, len);
}

void search_memo_add_value(struct buf *packed, const char *v, size_t len)
{
    unsigned char n[4];

    util_put32(n, (uint32_t)len);
    buf_appendmap(packed, (const char *)n, sizeof(n));
    buf_appendmap(packed, v, len);
}

int search_memo_next_value(const char **p, const char *end, const char **v_r,
                           size_t *len_r)
{
    uint32_t len;

    if ((size_t)(end - *p) < 4)
        return 0;
    len = util_get32((const unsigned char *)*p);
    if (len > (size_t)(end - *p) - 4)
        return 0;
    *v_r = *p + 4;
    *len_r = len;
    *p += 4 + (size_t)len;
    return 1;
}
