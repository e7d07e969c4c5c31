/* index_context.c -- SEARCH RETURN (UPDATE): live search results (RFC
 * 5267 4.3, CONTEXT=SEARCH) and CANCELUPDATE.
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
    uint64_t modseq;            /* of the mailbox when last tested */
    size_t nmsgs;               /* of the view when last tested */
};

static void context_free(struct index_context *c)
{
    free(c->tag);
    search_key_free(&c->root);
    seqset_free(&c->result);
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
    c->modseq = st->mb->i.highest_modseq;
    c->nmsgs = st->nmsgs;
}

void index_contexts_expunged(struct index_state *st, struct prot *out,
                             const struct index_msg *old,
                             const uint32_t *msgnos, size_t n)
{
    uint32_t *nums;

    if (!st->ncontexts || !n)
        return;
    nums = xmalloc(n * sizeof(*nums));
    for (size_t i = 0; i < st->ncontexts; i++) {
        struct index_context *c = &st->contexts[i];
        size_t k = 0;
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
    c->modseq = st->mb->i.highest_modseq;
    c->nmsgs = st->nmsgs;
    search_scan_free(&scan);
    free(added);
    free(removed);
}

void index_contexts_refresh(struct index_state *st, struct prot *out)
{
    for (size_t i = 0; i < st->ncontexts; i++) {
        struct index_context *c = &st->contexts[i];
        if (c->modseq != st->mb->i.highest_modseq || c->nmsgs != st->nmsgs)
            context_refresh(st, out, c);
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
