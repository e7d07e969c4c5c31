/* seqset.c -- IMAP sequence sets as sorted ranges; see seqset.h.
 *
 * Invariant of every struct seqset: ranges are sorted by lo, lo <= hi,
 * lo >= 1, and any two consecutive ranges a, b have b.lo > a.hi + 1
 * (disjoint and not adjacent).  Parsing collects the items unordered,
 * then sorts and merges once, so a hostile set of many items costs
 * O(n log n), never O(n^2).
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/seqset.h"

struct seqset_range {
    uint32_t lo, hi;
};

struct seqset {
    struct seqset_range *r;
    size_t n, alloc;
};

struct seqset *seqset_new(void)
{
    return xzmalloc(sizeof(struct seqset));
}

void seqset_free(struct seqset **setp)
{
    if (!*setp)
        return;
    free((*setp)->r);
    free(*setp);
    *setp = NULL;
}

static void seqset_grow(struct seqset *set)
{
    if (set->n < set->alloc)
        return;
    set->alloc = set->alloc ? xmalloc_mul(set->alloc, 2) : 8;
    set->r = xreallocarray(set->r, set->alloc, sizeof(*set->r));
}

static void seqset_insert_at(struct seqset *set, size_t i, uint32_t lo,
                             uint32_t hi)
{
    seqset_grow(set);
    memmove(set->r + i + 1, set->r + i, (set->n - i) * sizeof(*set->r));
    set->r[i].lo = lo;
    set->r[i].hi = hi;
    set->n++;
}

static void seqset_remove_at(struct seqset *set, size_t i)
{
    memmove(set->r + i, set->r + i + 1, (set->n - i - 1) * sizeof(*set->r));
    set->n--;
}

/* Append a range that starts above every member (or touches the last). */
static void seqset_append_range(struct seqset *set, uint32_t lo, uint32_t hi)
{
    if (set->n && (uint64_t)lo <= (uint64_t)set->r[set->n - 1].hi + 1) {
        if (hi > set->r[set->n - 1].hi)
            set->r[set->n - 1].hi = hi;
        return;
    }
    seqset_insert_at(set, set->n, lo, hi);
}

/* ---- parsing ------------------------------------------------------------ */

/* One number or "*" at *pp; advances *pp.  0 stands for "*" with maxval 0. */
static int seqset_parse_number(const char **pp, uint32_t maxval,
                               uint32_t *num_r)
{
    const char *p = *pp;
    uint64_t v = 0;

    if (*p == '*') {
        *pp = p + 1;
        *num_r = maxval;
        return ERR_OK;
    }
    if (*p < '1' || *p > '9')
        return ERR_BADARG;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return ERR_BADARG;
        p++;
    }
    *pp = p;
    *num_r = (uint32_t)v;
    return ERR_OK;
}

static int seqset_range_cmp(const void *a, const void *b)
{
    const struct seqset_range *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Sort the collected ranges and merge overlapping or adjacent ones. */
static void seqset_normalise(struct seqset *set)
{
    size_t out = 0;

    if (set->n == 0)
        return;
    qsort(set->r, set->n, sizeof(*set->r), seqset_range_cmp);
    for (size_t i = 1; i < set->n; i++) {
        if ((uint64_t)set->r[i].lo <= (uint64_t)set->r[out].hi + 1) {
            if (set->r[i].hi > set->r[out].hi)
                set->r[out].hi = set->r[i].hi;
        } else {
            set->r[++out] = set->r[i];
        }
    }
    set->n = out + 1;
}

int seqset_parse(const char *text, uint32_t maxval, struct seqset **set_r)
{
    struct seqset *set = seqset_new();
    const char *p = text;
    uint32_t a, b;

    *set_r = NULL;
    for (;;) {
        if (seqset_parse_number(&p, maxval, &a))
            goto bad;
        b = a;
        if (*p == ':') {
            p++;
            if (seqset_parse_number(&p, maxval, &b))
                goto bad;
        }
        if (a > b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        /* Only "*" with maxval 0 yields 0: drop it from the range. */
        if (a == 0)
            a = 1;
        if (b >= 1) {
            seqset_grow(set);
            set->r[set->n].lo = a;
            set->r[set->n].hi = b;
            set->n++;
        }
        if (*p == '\0')
            break;
        if (*p != ',')
            goto bad;
        p++;
    }
    seqset_normalise(set);
    *set_r = set;
    return ERR_OK;
bad:
    seqset_free(&set);
    return ERR_BADARG;
}

int seqset_from_list(const uint32_t *nums, size_t n, struct seqset **set_r)
{
    struct seqset *set = seqset_new();

    *set_r = NULL;
    for (size_t i = 0; i < n; i++) {
        if (nums[i] == 0 || (i > 0 && nums[i] < nums[i - 1])) {
            seqset_free(&set);
            return ERR_BADARG;
        }
        seqset_append_range(set, nums[i], nums[i]);
    }
    *set_r = set;
    return ERR_OK;
}

struct seqset *seqset_dup(const struct seqset *set)
{
    struct seqset *copy = seqset_new();

    if (set && set->n) {
        copy->r = xmalloc(set->n * sizeof(*copy->r));
        memcpy(copy->r, set->r, set->n * sizeof(*copy->r));
        copy->n = copy->alloc = set->n;
    }
    return copy;
}

/* ---- queries and changes ------------------------------------------------ */

/* Index of the last range with lo <= num, or set->n if there is none. */
static size_t seqset_find(const struct seqset *set, uint32_t num)
{
    size_t lo = 0, hi = set->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->r[mid].lo <= num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? set->n : lo - 1;
}

int seqset_ismember(const struct seqset *set, uint32_t num)
{
    size_t i = seqset_find(set, num);
    return i < set->n && num <= set->r[i].hi;
}

uint32_t seqset_range_end(const struct seqset *set, uint32_t num)
{
    size_t i = seqset_find(set, num);
    return i < set->n && num <= set->r[i].hi ? set->r[i].hi : 0;
}

void seqset_add(struct seqset *set, uint32_t num)
{
    size_t i;

    if (num == 0)
        return;
    if (set->n == 0 || num > set->r[set->n - 1].hi) {
        seqset_append_range(set, num, num);
        return;
    }
    i = seqset_find(set, num);
    if (i == set->n) {
        /* Below every range: extend the first one or insert before it. */
        if (num + 1 == set->r[0].lo)
            set->r[0].lo = num;
        else
            seqset_insert_at(set, 0, num, num);
        return;
    }
    if (num <= set->r[i].hi)
        return;
    /* Between range i and i + 1 (which exists, since num is below the last
     * range's hi). */
    if (num == set->r[i].hi + 1) {
        set->r[i].hi = num;
        if (num + 1 == set->r[i + 1].lo) {
            set->r[i].hi = set->r[i + 1].hi;
            seqset_remove_at(set, i + 1);
        }
    } else if (num + 1 == set->r[i + 1].lo) {
        set->r[i + 1].lo = num;
    } else {
        seqset_insert_at(set, i + 1, num, num);
    }
}

void seqset_remove(struct seqset *set, uint32_t num)
{
    size_t i = seqset_find(set, num);
    struct seqset_range *r;

    if (i == set->n || num > set->r[i].hi)
        return;
    r = &set->r[i];
    if (r->lo == r->hi) {
        seqset_remove_at(set, i);
    } else if (num == r->lo) {
        r->lo++;
    } else if (num == r->hi) {
        r->hi--;
    } else {
        uint32_t hi = r->hi;
        r->hi = num - 1;
        seqset_insert_at(set, i + 1, num + 1, hi);
    }
}

uint64_t seqset_count(const struct seqset *set)
{
    uint64_t c = 0;
    for (size_t i = 0; i < set->n; i++)
        c += (uint64_t)set->r[i].hi - set->r[i].lo + 1;
    return c;
}

uint32_t seqset_first(const struct seqset *set)
{
    return set->n ? set->r[0].lo : 0;
}

uint32_t seqset_last(const struct seqset *set)
{
    return set->n ? set->r[set->n - 1].hi : 0;
}

void seqset_iter_init(struct seqset_iter *it, const struct seqset *set)
{
    it->set = set;
    it->range = 0;
    it->next = set->n ? set->r[0].lo : 0;
}

int seqset_iter_next(struct seqset_iter *it, uint32_t *num_r)
{
    const struct seqset *set = it->set;

    if (it->range >= set->n)
        return 0;
    *num_r = (uint32_t)it->next;
    /* Compare before incrementing: a range may end at 2^32 - 1. */
    if (it->next < set->r[it->range].hi) {
        it->next++;
    } else if (++it->range < set->n) {
        it->next = set->r[it->range].lo;
    }
    return 1;
}

void seqset_format(const struct seqset *set, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < set->n; i++) {
        if (i)
            buf_putc(out, ',');
        if (set->r[i].lo == set->r[i].hi)
            buf_printf(out, "%" PRIu32, set->r[i].lo);
        else
            buf_printf(out, "%" PRIu32 ":%" PRIu32, set->r[i].lo,
                       set->r[i].hi);
    }
}
