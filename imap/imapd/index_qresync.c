/* index_qresync.c -- QRESYNC (RFC 7162 3.2): the QRESYNC parameter of
 * SELECT/EXAMINE, VANISHED (EARLIER) from the mailbox's tombstones (for
 * SELECT and for UID FETCH ... (CHANGEDSINCE m VANISHED)), and the
 * VANISHED responses that replace EXPUNGE once QRESYNC is enabled.
 *
 * VANISHED (EARLIER) since modseq m.  The tombstones (mailbox.h) hold
 * every expunged UID with the modseq of its expunge, except those pruned;
 * cyrus.expunge's pruned_modseq is the highest modseq of a pruned one.
 *  - m >= pruned_modseq: exact.  The tombstones with a modseq above m,
 *    among the client's known UIDs (all when it named none).
 *  - m < pruned_modseq (or the file is unreadable): what was expunged
 *    since m is no longer known.  RFC 7162 3.2.5.2 lets the server answer
 *    with UIDs the client may never have had, so the answer is every known
 *    UID (1:last UID given out when none were named) that is not in the
 *    mailbox, and the sequence match data narrows it: while the client's
 *    message number n still holds its UID u, nothing at or below u was
 *    expunged (UIDs only grow), so the answer starts above the last such u
 *    of the pairs, taken in order up to the first that does not match.
 * UIDs still in the session's view are never reported.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"

void index_write_vanished(struct prot *out, int earlier,
                          const uint32_t *uids, size_t n)
{
    struct seqset *set = NULL;
    struct buf text = BUF_INITIALIZER;

    if (!n || seqset_from_list(uids, n, &set))
        return;
    seqset_format(set, &text);
    prot_printf(out, "* VANISHED %s%s\r\n", earlier ? "(EARLIER) " : "",
                buf_cstring(&text));
    buf_free(&text);
    seqset_free(&set);
}

/* A set argument that RFC 7162 allows there: no "*". */
static int qresync_set(const struct imap_arg *arg, struct seqset **set_r)
{
    const char *text;

    return arg->type == IMAP_ARG_ATOM && imap_arg_get_atom(arg, &text) &&
           !strchr(text, '*') && !seqset_parse(text, UINT32_MAX, set_r);
}

void index_qresync_fini(struct index_qresync *q)
{
    seqset_free(&q->known_uids);
    seqset_free(&q->match_seqs);
    seqset_free(&q->match_uids);
}

int index_qresync_parse(const struct imap_arg *arg, struct index_qresync *q,
                        struct buf *error)
{
    const struct imap_arg *list, *match;
    size_t n, nmatch;

    memset(q, 0, sizeof(*q));
    if (!imap_arg_get_list(arg, &list, &n) || n < 2 || n > 4) {
        buf_setcstr(error, "QRESYNC needs (uidvalidity modseq [known-uids "
                           "[(seq-match-data)]])");
        return ERR_BADARG;
    }
    if (list[0].type != IMAP_ARG_ATOM ||
        !imap_arg_get_nz_number(&list[0], &q->uidvalidity)) {
        buf_setcstr(error, "Invalid QRESYNC UIDVALIDITY");
        return ERR_BADARG;
    }
    if (list[1].type != IMAP_ARG_ATOM ||
        !imap_arg_get_number64(&list[1], &q->modseq) || !q->modseq) {
        buf_setcstr(error, "Invalid QRESYNC mod-sequence");
        return ERR_BADARG;
    }
    /* known-uids may be left out before the match data */
    if (n >= 3 && list[2].type != IMAP_ARG_LIST &&
        !qresync_set(&list[2], &q->known_uids)) {
        buf_setcstr(error, "Invalid QRESYNC known-uids");
        goto bad;
    }
    if (n == 4 && list[2].type == IMAP_ARG_LIST) {
        buf_setcstr(error, "Invalid QRESYNC parameters");
        goto bad;
    }
    if (!imap_arg_get_list(&list[n - 1], &match, &nmatch))
        return ERR_OK;
    if (n == 2 || nmatch != 2 || !qresync_set(&match[0], &q->match_seqs) ||
        !qresync_set(&match[1], &q->match_uids) ||
        seqset_count(q->match_seqs) != seqset_count(q->match_uids)) {
        buf_setcstr(error, "Invalid QRESYNC sequence match data");
        goto bad;
    }
    return ERR_OK;
bad:
    index_qresync_fini(q);
    return ERR_BADARG;
}

/* Above which UID the match data leaves expunges possible (0: all). */
static uint32_t match_floor(struct index_state *st, const struct seqset *seqs,
                            const struct seqset *uids)
{
    struct seqset_iter is, iu;
    uint32_t seq, uid, floor = 0;

    if (!seqs || !uids)
        return 0;
    seqset_iter_init(&is, seqs);
    seqset_iter_init(&iu, uids);
    while (seqset_iter_next(&is, &seq) && seqset_iter_next(&iu, &uid)) {
        if (seq > st->nmsgs || index_msg(st, seq)->uid != uid)
            break;
        floor = uid;
    }
    return floor;
}

/* 1 if uid is a message of the view. */
static int in_view(struct index_state *st, uint32_t uid)
{
    return index_uid_to_msgno(st, uid) != 0;
}

int index_vanished_since(struct index_state *st, struct prot *out,
                         uint64_t modseq, const struct seqset *known,
                         const struct seqset *match_seqs,
                         const struct seqset *match_uids)
{
    struct index_record *t = NULL;
    uint32_t *uids = NULL;
    uint64_t pruned = 0;
    size_t nt = 0, n = 0;
    int r;

    r = mailbox_tombstones_read_pruned(st->mb->path, st->uidvalidity, &t, &nt,
                                       &pruned);
    if (r && r != ERR_BADFORMAT)
        return r;
    if (modseq >= pruned) {
        uids = xcalloc(nt + 1, sizeof(uint32_t));
        for (size_t i = 0; i < nt; i++)
            if (t[i].modseq > modseq &&
                (!known || seqset_ismember(known, t[i].uid)) &&
                !in_view(st, t[i].uid))
                uids[n++] = t[i].uid;
    } else {
        /* known, else 1:last, above the match floor, not in the view */
        uint32_t last = st->mb->i.last_uid, u = 0;
        uint32_t floor = match_floor(st, match_seqs, match_uids);
        struct seqset_iter it;
        size_t alloc = st->nmsgs + 1;
        uids = xcalloc(alloc, sizeof(uint32_t));
        if (known)
            seqset_iter_init(&it, known);
        while (known ? seqset_iter_next(&it, &u) : u++ < last) {
            if (u > last)
                break;
            if (u <= floor || in_view(st, u))
                continue;
            if (n == alloc)
                uids = xreallocarray(uids, alloc *= 2, sizeof(uint32_t));
            uids[n++] = u;
        }
    }
    index_write_vanished(out, 1, uids, n);
    free(uids);
    free(t);
    return ERR_OK;
}

int index_qresync_select(struct index_state *st, struct prot *out,
                         const struct index_qresync *q)
{
    struct buf b = BUF_INITIALIZER;
    int r;

    /* RFC 7162 3.2.5: another UIDVALIDITY, nothing but the usual. */
    if (q->uidvalidity != st->uidvalidity)
        return ERR_OK;
    if ((r = index_vanished_since(st, out, q->modseq, q->known_uids,
                                  q->match_seqs, q->match_uids)))
        return r;
    for (uint32_t msgno = 1; msgno <= st->nmsgs; msgno++) {
        const struct index_msg *m = index_msg(st, msgno);
        if (m->modseq <= q->modseq ||
            (q->known_uids && !seqset_ismember(q->known_uids, m->uid)))
            continue;
        buf_reset(&b);
        buf_printf(&b, "* %" PRIu32 " FETCH (UID %" PRIu32 " FLAGS ", msgno,
                   m->uid);
        index_format_flags(st, m, m->system_flags, m->user_flags, m->seen,
                           &b);
        buf_printf(&b, " MODSEQ (%" PRIu64 "))\r\n", m->modseq);
        prot_write(out, b.s, b.len);
    }
    buf_free(&b);
    return ERR_OK;
}
