/* index_esearch.c -- what SEARCH returns: the classic "* SEARCH" list, or
 * with RETURN (...) the ESEARCH response (RFC 4731) and the saved result
 * "$" (RFC 5182, SEARCHRES).
 *
 * RETURN options: MIN, MAX, ALL, COUNT, SAVE, and RFC 5267's CONTEXT (a
 * hint, ignored), UPDATE (index_context.c) and PARTIAL lo:hi (1-based
 * positions in the result, either way round, no "*"), in any case and
 * order, repeated or not -- except that one command has at most one
 * PARTIAL or ALL (RFC 5267 4.4).  RETURN () is RETURN (ALL), and so is a
 * list of only CONTEXT and UPDATE.  Anything else is BAD.  The answer is
 * one line
 *     * ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set]
 *       [PARTIAL (lo:hi set|NIL)] [COUNT n] [MODSEQ m]
 * in that order; MIN, MAX and ALL are left out when nothing matched
 * (COUNT 0 stays), ALL and PARTIAL's set are compressed ("2,10:11").
 *
 * The returned messages are every match when ALL or COUNT was asked for,
 * or no option naming messages was (SAVE alone); else those MIN, MAX
 * and PARTIAL name (RFC 4731 3.2, RFC 5182 2.4).  MODSEQ (when the
 * program used MODSEQ and MIN, MAX, ALL or PARTIAL was asked for) is the
 * highest modseq among them; SAVE keeps their UIDs as "$".  SAVE alone
 * writes no untagged response at all.  SORT RETURN (ESORT, index_sort.c)
 * has the same answer with the hits in sort order: MIN and MAX are then
 * the first and last sorted, and ALL lists them in that order.
 *
 * "$" lives in the view (index_state.searchres): a new SELECT or EXAMINE
 * starts with it empty and CLOSE or UNSELECT drop it with the view.  It
 * holds UIDs, so SEARCH and UID SEARCH may save it and FETCH and UID
 * FETCH both read it, and a message expunged since is simply not found
 * (UIDs are never reused).  A SEARCH with SAVE answered NO empties it; a
 * BAD or a SEARCH without SAVE leaves it as it was.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/seqset.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"

static const struct {
    const char *name;
    unsigned bit;
} return_options[] = {
    { "MIN", INDEX_RET_MIN }, { "MAX", INDEX_RET_MAX },
    { "ALL", INDEX_RET_ALL }, { "COUNT", INDEX_RET_COUNT },
    { "SAVE", INDEX_RET_SAVE }, { "CONTEXT", INDEX_RET_CONTEXT },
    { "UPDATE", INDEX_RET_UPDATE }, { "PARTIAL", INDEX_RET_PARTIAL },
};

/* PARTIAL's argument: nz-number ":" nz-number. */
static int parse_partial(const struct imap_arg *arg,
                         struct index_search_ret *ret)
{
    const char *s, *colon;
    uint64_t lo, hi;

    if (arg->type != IMAP_ARG_ATOM || !imap_arg_get_atom(arg, &s) ||
        !(colon = strchr(s, ':')) ||
        !imap_parser_parse_number(s, (size_t)(colon - s), UINT32_MAX, &lo) ||
        !imap_parser_parse_number(colon + 1, strlen(colon + 1), UINT32_MAX,
                                  &hi) ||
        !lo || !hi)
        return ERR_BADARG;
    ret->partial_lo = (uint32_t)(lo < hi ? lo : hi);
    ret->partial_hi = (uint32_t)(lo < hi ? hi : lo);
    return ERR_OK;
}

int index_search_return(const struct imap_arg *args, size_t nargs,
                        size_t *pos, struct index_search_ret *ret,
                        struct buf *error)
{
    const struct imap_arg *list;
    const char *word;
    size_t n;

    memset(ret, 0, sizeof(*ret));
    if (*pos >= nargs || !imap_arg_atom_is(&args[*pos], "RETURN"))
        return ERR_OK;
    if (*pos + 1 >= nargs || !imap_arg_get_list(&args[*pos + 1], &list, &n)) {
        buf_setcstr(error, "RETURN needs a list of result options");
        return ERR_BADARG;
    }
    ret->opts = INDEX_RET_ESEARCH;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        if (list[i].type == IMAP_ARG_ATOM && imap_arg_get_atom(&list[i], &word))
            for (; k < sizeof(return_options) / sizeof(return_options[0]); k++)
                if (!strcasecmp(word, return_options[k].name))
                    break;
        if (list[i].type != IMAP_ARG_ATOM ||
            k == sizeof(return_options) / sizeof(return_options[0])) {
            buf_setcstr(error, "Unknown search result option");
            return ERR_BADARG;
        }
        if (return_options[k].bit == INDEX_RET_PARTIAL) {
            if (ret->opts & (INDEX_RET_PARTIAL | INDEX_RET_ALL)) {
                buf_setcstr(error, "At most one PARTIAL or ALL");
                return ERR_BADARG;
            }
            if (++i >= n || parse_partial(&list[i], ret)) {
                buf_setcstr(error, "PARTIAL needs a range such as 1:100");
                return ERR_BADARG;
            }
        } else if (return_options[k].bit == INDEX_RET_ALL &&
                   (ret->opts & INDEX_RET_PARTIAL)) {
            buf_setcstr(error, "At most one PARTIAL or ALL");
            return ERR_BADARG;
        }
        ret->opts |= return_options[k].bit;
    }
    if (!(ret->opts & (INDEX_RET_MIN | INDEX_RET_MAX | INDEX_RET_ALL |
                       INDEX_RET_COUNT | INDEX_RET_SAVE | INDEX_RET_PARTIAL)))
        ret->opts |= INDEX_RET_ALL;
    *pos += 2;
    return ERR_OK;
}

/* 1 if hits[i] of n is in PARTIAL's window. */
static int in_partial(const struct index_search_ret *ret, size_t i)
{
    return (ret->opts & INDEX_RET_PARTIAL) && i + 1 >= ret->partial_lo &&
           i + 1 <= ret->partial_hi;
}

/* 1 if hits[i] of n is among those RETURN hands back (see the top). */
static int is_returned(const struct index_search_ret *ret, size_t i,
                       size_t n)
{
    unsigned opts = ret->opts;

    if ((opts & (INDEX_RET_ALL | INDEX_RET_COUNT)) ||
        !(opts & (INDEX_RET_MIN | INDEX_RET_MAX | INDEX_RET_PARTIAL)))
        return 1;
    return ((opts & INDEX_RET_MIN) && i == 0) ||
           ((opts & INDEX_RET_MAX) && i == n - 1) || in_partial(ret, i);
}

void index_searchres_forget(struct index_state *st)
{
    seqset_free(&st->searchres);
}

/* SAVE: the returned hits' UIDs are "$". */
static void save_result(struct index_state *st,
                        const struct index_search_ret *ret,
                        const struct index_search_hit *hits, size_t n)
{
    index_searchres_forget(st);
    st->searchres = seqset_new();
    for (size_t i = 0; i < n; i++)
        if (is_returned(ret, i, n))
            seqset_add(st->searchres, hits[i].uid);
}

void index_append_quoted(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

void index_esearch_begin(struct buf *b, const char *tag, int uid)
{
    buf_appendcstr(b, "* ESEARCH (TAG ");
    index_append_quoted(b, tag);
    buf_putc(b, ')');
    if (uid)
        buf_appendcstr(b, " UID");
}

/* " what set", the numbers of hits[i] for which pick(ret, i) says so. */
static void append_set(struct buf *b, const char *what,
                       const struct index_search_hit *hits, size_t n,
                       int uid, const struct index_search_ret *ret,
                       int (*pick)(const struct index_search_ret *, size_t))
{
    uint32_t *nums = xmalloc((n + 1) * sizeof(*nums));
    struct buf set = BUF_INITIALIZER;
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        if (pick(ret, i))
            nums[k++] = uid ? hits[i].uid : hits[i].msgno;
    index_format_msgset(nums, k, &set);
    buf_printf(b, "%s%s", what, k ? buf_cstring(&set) : "NIL");
    buf_free(&set);
    free(nums);
}

static int pick_all(const struct index_search_ret *ret, size_t i)
{
    (void)ret;
    (void)i;
    return 1;
}

static void esearch(const struct index_search_hit *hits, size_t n,
                    const char *tag, int uid,
                    const struct index_search_ret *ret, int modseq_used,
                    struct buf *b)
{
    unsigned opts = ret->opts;
    uint64_t modseq = 0;

    index_esearch_begin(b, tag, uid);
    if (n && (opts & INDEX_RET_MIN))
        buf_printf(b, " MIN %" PRIu32, uid ? hits[0].uid : hits[0].msgno);
    if (n && (opts & INDEX_RET_MAX))
        buf_printf(b, " MAX %" PRIu32,
                   uid ? hits[n - 1].uid : hits[n - 1].msgno);
    if (n && (opts & INDEX_RET_ALL))
        append_set(b, " ALL ", hits, n, uid, ret, pick_all);
    if (opts & INDEX_RET_PARTIAL) {
        buf_printf(b, " PARTIAL (%" PRIu32 ":%" PRIu32, ret->partial_lo,
                   ret->partial_hi);
        append_set(b, " ", hits, n, uid, ret, in_partial);
        buf_putc(b, ')');
    }
    if (opts & INDEX_RET_COUNT)
        buf_printf(b, " COUNT %zu", n);
    for (size_t i = 0; i < n; i++)
        if (is_returned(ret, i, n) && hits[i].modseq > modseq)
            modseq = hits[i].modseq;
    if (modseq_used && modseq &&
        (opts & (INDEX_RET_MIN | INDEX_RET_MAX | INDEX_RET_ALL |
                 INDEX_RET_PARTIAL)))
        buf_printf(b, " MODSEQ %" PRIu64, modseq);
    buf_appendcstr(b, "\r\n");
}

void index_search_answer(struct index_state *st, struct prot *out,
                         const char *tag, int uid,
                         const struct index_search_ret *ret,
                         const struct index_search_hit *hits, size_t n,
                         int modseq_used)
{
    struct buf b = BUF_INITIALIZER;
    uint64_t maxmodseq = 0;
    unsigned opts = ret->opts;

    if (opts & INDEX_RET_SAVE)
        save_result(st, ret, hits, n);
    if (opts & (INDEX_RET_MIN | INDEX_RET_MAX | INDEX_RET_ALL |
                INDEX_RET_COUNT | INDEX_RET_PARTIAL)) {
        esearch(hits, n, tag, uid, ret, modseq_used, &b);
        prot_write(out, b.s, b.len);
    } else if (!(opts & INDEX_RET_ESEARCH)) {
        buf_appendcstr(&b, "* SEARCH");
        for (size_t i = 0; i < n; i++) {
            buf_printf(&b, " %" PRIu32, uid ? hits[i].uid : hits[i].msgno);
            if (hits[i].modseq > maxmodseq)
                maxmodseq = hits[i].modseq;
            if (b.len > PROT_FLUSH_THRESHOLD) {
                prot_write(out, b.s, b.len);
                buf_reset(&b);
            }
        }
        if (modseq_used && maxmodseq)
            buf_printf(&b, " (MODSEQ %" PRIu64 ")", maxmodseq);
        buf_appendcstr(&b, "\r\n");
        prot_write(out, b.s, b.len);
    }
    buf_free(&b);
}

void index_search_failed(struct index_state *st, unsigned opts, int r)
{
    /* RFC 5182 2.1: NO empties "$"; BAD leaves it. */
    if ((opts & INDEX_RET_SAVE) && r != ERR_OK && r != ERR_BADARG)
        index_searchres_forget(st);
}

int index_parse_set(struct index_state *st, const char *text, int *uid,
                    struct seqset **set_r)
{
    if (!strcmp(text, "$")) {
        *set_r = seqset_dup(st->searchres);
        *uid = 1;
        return ERR_OK;
    }
    return seqset_parse(text, *uid ? st->last_uid : (uint32_t)st->nmsgs,
                        set_r);
}
