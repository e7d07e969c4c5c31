/* index_esearch.c -- what SEARCH returns: the classic "* SEARCH" list, or
 * with RETURN (...) the ESEARCH response (RFC 4731) and the saved result
 * "$" (RFC 5182, SEARCHRES).
 *
 * RETURN options: MIN, MAX, ALL, COUNT, SAVE, in any case and order,
 * repeated or not; RETURN () is RETURN (ALL).  Anything else is BAD.
 * The answer is one line
 *     * ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n]
 *       [MODSEQ m]
 * in that order; MIN, MAX and ALL are left out when nothing matched
 * (COUNT 0 stays), ALL is a compressed set ("2,10:11").
 *
 * The returned messages are those MIN and/or MAX name when neither ALL
 * nor COUNT was asked for, else every match (RFC 4731 3.2, RFC 5182
 * 2.4).  MODSEQ (when the program used MODSEQ and MIN, MAX or ALL was
 * asked for) is the highest modseq among them; SAVE keeps their UIDs as
 * "$".  SAVE alone writes no untagged response at all.
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
    { "SAVE", INDEX_RET_SAVE },
};

int index_search_return(const struct imap_arg *args, size_t nargs,
                        size_t *pos, unsigned *opts_r, struct buf *error)
{
    const struct imap_arg *list;
    const char *word;
    size_t n;

    *opts_r = 0;
    if (*pos >= nargs || !imap_arg_atom_is(&args[*pos], "RETURN"))
        return ERR_OK;
    if (*pos + 1 >= nargs || !imap_arg_get_list(&args[*pos + 1], &list, &n)) {
        buf_setcstr(error, "RETURN needs a list of result options");
        return ERR_BADARG;
    }
    *opts_r = INDEX_RET_ESEARCH;
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
        *opts_r |= return_options[k].bit;
    }
    if (!n)
        *opts_r |= INDEX_RET_ALL;
    *pos += 2;
    return ERR_OK;
}

/* 1 if hits[i] of n is among those RETURN hands back (see the top). */
static int is_returned(unsigned opts, size_t i, size_t n)
{
    if ((opts & (INDEX_RET_ALL | INDEX_RET_COUNT)) ||
        !(opts & (INDEX_RET_MIN | INDEX_RET_MAX)))
        return 1;
    return ((opts & INDEX_RET_MIN) && i == 0) ||
           ((opts & INDEX_RET_MAX) && i == n - 1);
}

void index_searchres_forget(struct index_state *st)
{
    seqset_free(&st->searchres);
}

/* SAVE: the returned hits' UIDs are "$". */
static void save_result(struct index_state *st, unsigned opts,
                        const struct index_search_hit *hits, size_t n)
{
    index_searchres_forget(st);
    st->searchres = seqset_new();
    for (size_t i = 0; i < n; i++)
        if (is_returned(opts, i, n))
            seqset_add(st->searchres, hits[i].uid);
}

/* The tag as an IMAP quoted string. */
static void append_quoted(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

static void esearch(const struct index_search_hit *hits, size_t n,
                    const char *tag, int uid, unsigned opts, int modseq_used,
                    struct buf *b)
{
    uint64_t modseq = 0;

    buf_appendcstr(b, "* ESEARCH (TAG ");
    append_quoted(b, tag);
    buf_putc(b, ')');
    if (uid)
        buf_appendcstr(b, " UID");
    if (n && (opts & INDEX_RET_MIN))
        buf_printf(b, " MIN %" PRIu32, uid ? hits[0].uid : hits[0].msgno);
    if (n && (opts & INDEX_RET_MAX))
        buf_printf(b, " MAX %" PRIu32,
                   uid ? hits[n - 1].uid : hits[n - 1].msgno);
    if (n && (opts & INDEX_RET_ALL)) {
        uint32_t *nums = xmalloc(n * sizeof(*nums));
        struct buf set = BUF_INITIALIZER;
        for (size_t i = 0; i < n; i++)
            nums[i] = uid ? hits[i].uid : hits[i].msgno;
        index_format_msgset(nums, n, &set);
        buf_printf(b, " ALL %s", buf_cstring(&set));
        buf_free(&set);
        free(nums);
    }
    if (opts & INDEX_RET_COUNT)
        buf_printf(b, " COUNT %zu", n);
    for (size_t i = 0; i < n; i++)
        if (is_returned(opts, i, n) && hits[i].modseq > modseq)
            modseq = hits[i].modseq;
    if (modseq_used && modseq &&
        (opts & (INDEX_RET_MIN | INDEX_RET_MAX | INDEX_RET_ALL)))
        buf_printf(b, " MODSEQ %" PRIu64, modseq);
    buf_appendcstr(b, "\r\n");
}

void index_search_answer(struct index_state *st, struct prot *out,
                         const char *tag, int uid, unsigned opts,
                         const struct index_search_hit *hits, size_t n,
                         int modseq_used)
{
    struct buf b = BUF_INITIALIZER;
    uint64_t maxmodseq = 0;

    if (opts & INDEX_RET_SAVE)
        save_result(st, opts, hits, n);
    if (opts & (INDEX_RET_MIN | INDEX_RET_MAX | INDEX_RET_ALL |
                INDEX_RET_COUNT)) {
        esearch(hits, n, tag, uid, opts, modseq_used, &b);
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
