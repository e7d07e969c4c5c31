/* index_context.c -- SEARCH and SORT RETURN (UPDATE): live search
 * results (RFC 5267 4.3, CONTEXT=SEARCH and CONTEXT=SORT) and
 * CANCELUPDATE.
 *
 * A SEARCH or UID SEARCH with UPDATE leaves a context in the view: the
 * command's tag, its search program and the UIDs it matched.  Whenever
 * the view is brought up to date (index_check_updates: before every
 * command, in IDLE, after this session's own STORE or EXPUNGE) and the
 * mailbox changed since the context last looked (its highest modseq,
 * which flag and \Seen changes, arrivals and expunges all raise, or the
 * view's size), the program is tested again against every message of
 * the view and the differences are sent as
 *     * ESEARCH (TAG "t") [UID] ADDTO (0 set)
 *     * ESEARCH (TAG "t") [UID] REMOVEFROM (0 set)
 * with context position 0 (search results are in mailbox order) and
 * message numbers, or UIDs for UID SEARCH.  A message expunged while
 * in a result is removed from it BEFORE its EXPUNGE is sent, by its old
 * number (4.3.4); messages that arrive are added after EXISTS (4.3.3).
 * A message another session expunged but whose EXPUNGE this session may
 * not send yet keeps its number and is tested on its last state, like
 * any search.
 *
 * A SORT context keeps its criteria and its result in sort order, and
 * says where things go: REMOVEFROM (pos set ...) with the highest
 * positions first (so each position is right as the client applies the
 * pairs in order), then ADDTO (pos set ...) with the lowest first, each
 * pair a run of neighbours.  Sort keys never change (they are the
 * message's dates, size and header values), so what stays keeps its
 * order; should it not (a message expunged elsewhere sorts on its record
 * alone until its EXPUNGE may be sent), the whole list is removed and
 * added again, which is always right.
 *
 * At most INDEX_MAX_CONTEXTS contexts per view; the next UPDATE gets
 * "* NO [NOUPDATE "t"] ..." and its search is answered without one.  A
 * tag already naming a context is refused (BAD) before anything runs.
 * CANCELUPDATE "t" ... ends contexts; they also end with the view
 * (SELECT, EXAMINE, CLOSE, UNSELECT).
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/search.h"
#include "imap/mailstore/seqset.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"

struct index_context {
    char *tag;
    int uid;
    struct search_key *root;
    struct seqset *result;      /* UIDs */
    struct index_sort_crit *crit;   /* SORT: its criteria; NULL: SEARCH */
    size_t ncrit;
    uint32_t *list;             /* SORT: the result's UIDs in sort order */
    size_t nlist;
    uint64_t modseq;            /* of the mailbox when last tested */
    size_t nmsgs;               /* of the view when last tested */
};

static void context_free(struct index_context *c)
{
    free(c->tag);
    search_key_free(&c->root);
    seqset_free(&c->result);
    free(c->crit);
    free(c->list);
}

void index_contexts_free(struct index_state *st)
{
    for (size_t i = 0; i < st->ncontexts; i++)
        context_free(&st->contexts[i]);
    free(st->contexts);
    st->contexts = NULL;
    st->ncontexts = 0;
}

static struct index_context *context_find(struct index_state *st,
                                          const char *tag)
{
    for (size_t i = 0; i < st->ncontexts; i++)
        if (!strcmp(st->contexts[i].tag, tag))
            return &st->contexts[i];
    return NULL;
}

int index_context_check(struct index_state *st, const char *tag,
                        struct buf *error)
{
    if (!context_find(st, tag))
        return ERR_OK;
    buf_setcstr(error, "Tag reuse: an updating search has this tag");
    return ERR_BADARG;
}

/* "* ESEARCH (TAG "t") [UID] what (0 nums)" */
static void context_send(struct prot *out, const struct index_context *c,
                         const char *what, const uint32_t *nums, size_t n)
{
    struct buf b = BUF_INITIALIZER, set = BUF_INITIALIZER;

    if (!n)
        return;
    index_format_msgset(nums, n, &set);
    index_esearch_begin(&b, c->tag, c->uid);
    buf_printf(&b, " %s (0 %s)\r\n", what, buf_cstring(&set));
    prot_write(out, b.s, b.len);
    buf_free(&b);
    buf_free(&set);
}

void index_context_add(struct index_state *st, struct prot *out,
                       const char *tag, int uid, struct search_key **root,
                       const struct index_sort_crit *crit, size_t ncrit,
                       const struct index_search_hit *hits, size_t n)
{
    struct index_context *c;

    if (st->ncontexts >= INDEX_MAX_CONTEXTS) {
        struct buf b = BUF_INITIALIZER;
        buf_appendcstr(&b, "* NO [NOUPDATE ");
        index_append_quoted(&b, tag);
        buf_appendcstr(&b, "] Too many updating searches\r\n");
        prot_write(out, b.s, b.len);
        buf_free(&b);
        return;
    }
    st->contexts = xreallocarray(st->contexts, st->ncontexts + 1,
                                 sizeof(*st->contexts));
    c = &st->contexts[st->ncontexts++];
    c->tag = xstrdup(tag);
    c->uid = uid;
    c->root = *root;
    *root = NULL;
    c->result = seqset_new();
    for (size_t i = 0; i < n; i++)
        seqset_add(c->result, hits[i].uid);
    c->crit = NULL;
    c->ncrit = 0;
    c->list = NULL;
    c->nlist = 0;
    if (crit) {
        c->crit = xcalloc(ncrit + 1, sizeof(*crit));
        memcpy(c->crit, crit, ncrit * sizeof(*crit));
        c->ncrit = ncrit;
        c->list = xcalloc(n + 1, sizeof(*c->list));
        for (size_t i = 0; i < n; i++)
            c->list[c->nlist++] = hits[i].uid;
    }
    c->modseq = st->mb->i.highest_modseq;
    c->nmsgs = st->nmsgs;
}

/* " pos set" appended to pairs (no space before the first). */
static void append_pair(struct buf *pairs, size_t pos, const uint32_t *nums,
                        size_t n)
{
    struct buf set = BUF_INITIALIZER;

    index_format_msgset(nums, n, &set);
    buf_printf(pairs, "%s%zu %s", pairs->len ? " " : "", pos,
               buf_cstring(&set));
    buf_free(&set);
}

static void send_pairs(struct prot *out, const struct index_context *c,
                       const char *what, struct buf *pairs)
{
    struct buf b = BUF_INITIALIZER;

    if (!pairs->len)
        return;
    index_esearch_begin(&b, c->tag, c->uid);
    buf_printf(&b, " %s (%s)\r\n", what, buf_cstring(pairs));
    prot_write(out, b.s, b.len);
    buf_free(&b);
}

/* SORT: drop the items i of c->list with drop[i] set, telling the client
 * (REMOVEFROM, highest positions first; num[i] is its name for item i). */
static void sort_remove(struct prot *out, struct index_context *c,
                        const unsigned char *drop, const uint32_t *num)
{
    struct buf pairs = BUF_INITIALIZER;
    uint32_t *run = xcalloc(c->nlist + 1, sizeof(*run));
    size_t i = c->nlist, k = 0;

    while (i > 0) {
        size_t end = i, len = 0;
        if (!drop[i - 1]) {
            i--;
            continue;
        }
        while (i > 0 && drop[i - 1])
            i--;
        for (size_t j = i; j < end; j++)
            run[len++] = num[j];
        append_pair(&pairs, i + 1, run, len);
    }
    send_pairs(out, c, "REMOVEFROM", &pairs);
    for (i = 0; i < c->nlist; i++) {
        if (drop[i])
            seqset_remove(c->result, c->list[i]);
        else
            c->list[k++] = c->list[i];
    }
    c->nlist = k;
    buf_free(&pairs);
    free(run);
}

/* The msgno of uid in the view old[0..nold) (ascending UIDs), or 0. */
static uint32_t old_msgno(const struct index_msg *old, size_t nold,
                          uint32_t uid)
{
    size_t lo = 0, hi = nold;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (old[mid].uid == uid)
            return (uint32_t)mid + 1;
        if (old[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* SORT: the expunged UIDs gone leave c's list, by their old numbers. */
static void sort_expunged(struct prot *out, struct index_context *c,
                          const struct index_msg *old, size_t nold,
                          const struct seqset *gone)
{
    unsigned char *drop = xcalloc(c->nlist + 1, 1);
    uint32_t *num = xcalloc(c->nlist + 1, sizeof(*num));

    for (size_t i = 0; i < c->nlist; i++) {
        drop[i] = (unsigned char)seqset_ismember(gone, c->list[i]);
        num[i] = c->uid ? c->list[i] : old_msgno(old, nold, c->list[i]);
    }
    sort_remove(out, c, drop, num);
    free(drop);
    free(num);
}

void index_contexts_expunged(struct index_state *st, struct prot *out,
                             const struct index_msg *old, size_t nold,
                             const uint32_t *msgnos, size_t n)
{
    struct seqset *gone;
    uint32_t *nums;

    if (!st->ncontexts || !n)
        return;
    gone = seqset_new();
    for (size_t j = 0; j < n; j++)
        seqset_add(gone, old[msgnos[j] - 1].uid);
    nums = xmalloc(n * sizeof(*nums));
    for (size_t i = 0; i < st->ncontexts; i++) {
        struct index_context *c = &st->contexts[i];
        size_t k = 0;
        if (c->crit) {
            sort_expunged(out, c, old, nold, gone);
            continue;
        }
        for (size_t j = 0; j < n; j++) {
            uint32_t u = old[msgnos[j] - 1].uid;
            if (!seqset_ismember(c->result, u))
                continue;
            seqset_remove(c->result, u);
            nums[k++] = c->uid ? u : msgnos[j];
        }
        context_send(out, c, "REMOVEFROM", nums, k);
    }
    free(nums);
    seqset_free(&gone);
}

/* Test c's program against the view again and send what changed. */
static void context_refresh(struct index_state *st, struct prot *out,
                            struct index_context *c)
{
    struct search_scan *scan = search_scan_new(st->mb, &st->memo);
    struct seqset *now = seqset_new();
    uint32_t *added = xmalloc((st->nmsgs + 1) * sizeof(*added));
    uint32_t *removed = xmalloc((st->nmsgs + 1) * sizeof(*removed));
    size_t nadded = 0, nremoved = 0;
    struct index_record rec;
    struct search_msg msg;

    for (uint32_t msgno = 1; msgno <= st->nmsgs; msgno++) {
        int was, is;
        index_search_msg(st, msgno, &rec, &msg);
        is = search_match(scan, c->root, &rec, &msg);
        was = seqset_ismember(c->result, rec.uid);
        if (is)
            seqset_add(now, rec.uid);
        if (is && !was)
            added[nadded++] = c->uid ? rec.uid : msgno;
        else if (was && !is)
            removed[nremoved++] = c->uid ? rec.uid : msgno;
    }
    context_send(out, c, "REMOVEFROM", removed, nremoved);
    context_send(out, c, "ADDTO", added, nadded);
    seqset_free(&c->result);
    c->result = now;
    search_scan_free(&scan);
    free(added);
    free(removed);
}

/* 1 if list[0..n) is a subsequence of uids[0..m) (in that order). */
static int is_subsequence(const uint32_t *list, size_t n,
                          const uint32_t *uids, size_t m)
{
    size_t j = 0;

    for (size_t i = 0; i < n; i++) {
        while (j < m && uids[j] != list[i])
            j++;
        if (j++ >= m)
            return 0;
    }
    return 1;
}

/* SORT: the new sorted result uids[0..m) (num: the client's names for
 * them) replaces c's list: REMOVEFROM what left or, if what stays moved,
 * everything; then ADDTO the runs of what is new, lowest first. */
static void sort_update(struct prot *out, struct index_context *c,
                        uint32_t *uids, const uint32_t *num, size_t m,
                        struct index_state *st)
{
    struct seqset *now = seqset_new(), *kept = seqset_new();
    unsigned char *drop = xcalloc(c->nlist + 1, 1);
    uint32_t *oldnum = xcalloc(c->nlist + 1, sizeof(*oldnum));
    struct buf pairs = BUF_INITIALIZER;

    for (size_t i = 0; i < m; i++)
        seqset_add(now, uids[i]);
    for (size_t i = 0; i < c->nlist; i++) {
        drop[i] = !seqset_ismember(now, c->list[i]);
        oldnum[i] = c->uid ? c->list[i] : index_uid_to_msgno(st, c->list[i]);
    }
    sort_remove(out, c, drop, oldnum);
    if (!is_subsequence(c->list, c->nlist, uids, m)) {
        memset(drop, 1, c->nlist);
        for (size_t i = 0; i < c->nlist; i++)
            oldnum[i] = c->uid ? c->list[i]
                               : index_uid_to_msgno(st, c->list[i]);
        sort_remove(out, c, drop, oldnum);
    }
    for (size_t i = 0; i < c->nlist; i++)
        seqset_add(kept, c->list[i]);
    for (size_t i = 0; i < m;) {
        size_t start = i;
        if (seqset_ismember(kept, uids[i])) {
            i++;
            continue;
        }
        while (i < m && !seqset_ismember(kept, uids[i]))
            i++;
        append_pair(&pairs, start + 1, num + start, i - start);
    }
    send_pairs(out, c, "ADDTO", &pairs);
    free(c->list);
    c->list = uids;
    c->nlist = m;
    seqset_free(&c->result);
    c->result = now;
    seqset_free(&kept);
    buf_free(&pairs);
    free(drop);
    free(oldnum);
}

static void sort_refresh(struct index_state *st, struct prot *out,
                         struct index_context *c)
{
    uint32_t *msgnos = NULL, *uids, *num;
    uint64_t maxmodseq = 0;
    size_t m = 0;

    index_sort_result(st, c->crit, c->ncrit, c->root, 0, &msgnos, &m,
                      &maxmodseq);
    uids = xcalloc(m + 1, sizeof(*uids));
    num = xcalloc(m + 1, sizeof(*num));
    for (size_t i = 0; i < m; i++) {
        uids[i] = index_msg(st, msgnos[i])->uid;
        num[i] = c->uid ? uids[i] : msgnos[i];
    }
    sort_update(out, c, uids, num, m, st);
    free(msgnos);
    free(num);
}

void index_contexts_refresh(struct index_state *st, struct prot *out)
{
    for (size_t i = 0; i < st->ncontexts; i++) {
        struct index_context *c = &st->contexts[i];
        if (c->modseq == st->mb->i.highest_modseq && c->nmsgs == st->nmsgs)
            continue;
        if (c->crit)
            sort_refresh(st, out, c);
        else
            context_refresh(st, out, c);
        c->modseq = st->mb->i.highest_modseq;
        c->nmsgs = st->nmsgs;
    }
}

int index_cancel_update(struct index_state *st, const struct imap_arg *args,
                        size_t nargs, struct buf *error)
{
    const char *tag;

    if (!nargs) {
        buf_setcstr(error, "CANCELUPDATE needs the tags of searches");
        return ERR_BADARG;
    }
    for (size_t i = 0; i < nargs; i++) {
        if (!imap_arg_get_string(&args[i], &tag)) {
            buf_setcstr(error, "CANCELUPDATE takes quoted tags");
            return ERR_BADARG;
        }
        if (!context_find(st, tag)) {
            buf_setcstr(error, "No updating search has that tag");
            return ERR_BADARG;
        }
    }
    for (size_t i = 0; i < nargs; i++) {
        struct index_context *c;
        imap_arg_get_string(&args[i], &tag);
        if (!(c = context_find(st, tag)))
            continue;           /* named twice */
        context_free(c);
        *c = st->contexts[--st->ncontexts];
    }
    return ERR_OK;
}
