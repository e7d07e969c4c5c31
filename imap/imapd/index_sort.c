/* index_sort.c -- SORT and THREAD (RFC 5256, RFC 5957 DISPLAYFROM and
 * DISPLAYTO) of the selected mailbox, and UID SORT / UID THREAD.
 *
 * The search program after the charset is SEARCH's (index_search_parse)
 * and is tested with the same matcher; what is compared comes from the
 * index record (INTERNALDATE, size) and the cache entry (sent date, the
 * cached Subject, Message-ID, References, In-Reply-To, and the ENVELOPE
 * for the addresses), never from the message file.  Values are made once
 * per message (sortkey.h), strings in the i;unicode-casemap form, then
 * sorted with the message order as the last key (RFC 5256 3: ties go by
 * sequence number, and REVERSE does not turn that one).  A message
 * another session expunged meanwhile is sorted on its record alone
 * (empty strings, INTERNALDATE as sent date).
 *
 * ESORT (RFC 5267 3): SORT RETURN (...) takes SEARCH's result options
 * (index_esearch.c) and answers with its ESEARCH, the messages in sort
 * order: MIN and MAX are the first and last sorted, ALL and PARTIAL list
 * them in sort order (a range only for an ascending run), SAVE keeps
 * them as "$"; UPDATE (CONTEXT=SORT) keeps the sort live
 * (index_context.c).
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
#include "imap/mailstore/charset.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/search.h"
#include "imap/mailstore/sortkey.h"
#include "imap/mailstore/thread.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"

static const char *const sort_names[INDEX_SORT__COUNT] = {
    "ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO",
    "DISPLAYFROM", "DISPLAYTO",
};

/* The string keys, by what they need. */
#define STR_KEYS (INDEX_SORT__COUNT)

struct item {
    uint32_t msgno, uid, size;
    int64_t arrival, date;
    char *str[STR_KEYS];        /* case-mapped values, NULL: not needed */
    /* THREAD */
    int refwd;
    char *msgid, *refs, *irt;
};

struct want {
    int str[STR_KEYS];
    int thread;
};

int index_sort_parse_criteria(const struct imap_arg *arg,
                              struct index_sort_crit **crit_r, size_t *n_r,
                              struct buf *error)
{
    const struct imap_arg *list;
    struct index_sort_crit *crit;
    size_t cnt, n = 0;
    int reverse = 0;

    *crit_r = NULL;
    *n_r = 0;
    if (!imap_arg_get_list(arg, &list, &cnt)) {
        buf_setcstr(error, "Missing sort criteria");
        return ERR_BADARG;
    }
    if (!cnt) {
        buf_setcstr(error, "Empty sort criteria");
        return ERR_BADARG;
    }
    crit = xcalloc(cnt, sizeof(*crit));
    for (size_t i = 0; i < cnt; i++) {
        const char *atom;
        int key = -1;
        if (!imap_arg_get_atom(&list[i], &atom)) {
            buf_setcstr(error, "Invalid sort criterion");
            goto bad;
        }
        if (!strcasecmp(atom, "REVERSE")) {
            reverse = 1;
            continue;
        }
        for (int k = 0; k < INDEX_SORT__COUNT; k++)
            if (!strcasecmp(atom, sort_names[k]))
                key = k;
        if (key < 0) {
            buf_printf(error, "Unknown sort criterion %s", atom);
            goto bad;
        }
        crit[n].key = (enum index_sort_key)key;
        crit[n++].reverse = reverse;
        reverse = 0;
    }
    if (reverse) {
        buf_setcstr(error, "REVERSE must precede a sort criterion");
        goto bad;
    }
    *crit_r = crit;
    *n_r = n;
    return ERR_OK;
bad:
    free(crit);
    return ERR_BADARG;
}

/* ---- the values of one message ------------------------------------------ */

static char *dup_hdr(const struct message_cache_peek *pk, int h)
{
    return pk->hdr[h] ? xstrndup(pk->hdr[h], pk->hdr_len[h]) : NULL;
}

static char *casemapped(const char *s, size_t len)
{
    struct buf b = BUF_INITIALIZER;

    charset_casemap(s, len, &b);
    return buf_release(&b);
}

static void address_keys(const struct message_cache_peek *pk,
                         const struct want *w, struct item *it,
                         struct buf *scratch)
{
    static const struct {
        enum index_sort_key key;
        int display, field;
    } addr[] = {
        { INDEX_SORT_FROM, 0, 0 }, { INDEX_SORT_TO, 0, 1 },
        { INDEX_SORT_CC, 0, 2 }, { INDEX_SORT_DISPLAYFROM, 1, 0 },
        { INDEX_SORT_DISPLAYTO, 1, 1 },
    };
    struct buf env = BUF_INITIALIZER, v = BUF_INITIALIZER;
    struct sortkey_envelope e;
    int need = 0;

    for (size_t i = 0; i < sizeof(addr) / sizeof(addr[0]); i++)
        need |= w->str[addr[i].key];
    if (!need)
        return;
    message_cache_envelope(pk, scratch, &env);
    sortkey_envelope_split(buf_cstring(&env), env.len, &e);
    for (size_t i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
        const char *l = addr[i].field == 0   ? e.from
                        : addr[i].field == 1 ? e.to
                                             : e.cc;
        size_t ll = addr[i].field == 0   ? e.from_len
                    : addr[i].field == 1 ? e.to_len
                                         : e.cc_len;
        if (!w->str[addr[i].key])
            continue;
        buf_reset(&v);
        if (l)
            sortkey_address(l, ll, addr[i].display, &v);
        it->str[addr[i].key] = casemapped(v.s ? v.s : "", v.len);
    }
    buf_free(&env);
    buf_free(&v);
}

/* Fill it from the record and, when the message is still there, from its
 * cache entry. */
static void item_fill(struct index_state *st, const struct index_record *rec,
                      int expunged, const struct want *w, struct item *it,
                      struct buf *scratch)
{
    struct message_cache_peek pk;
    const char *data;
    size_t len;
    int have = 0;

    it->uid = rec->uid;
    it->size = rec->size;
    it->arrival = rec->internaldate;
    it->date = rec->internaldate;
    if (!expunged && !mailbox_cache_entry(st->mb, rec, &data, &len) &&
        !message_cache_peek(data, len, &pk))
        have = 1;
    if (have)
        it->date = sortkey_sent_date(pk.sent_date, rec->internaldate);
    if (w->str[INDEX_SORT_SUBJECT]) {
        struct buf base = BUF_INITIALIZER;
        int h = MESSAGE_HDR_SUBJECT;
        if (have && pk.hdr[h])
            it->refwd = sortkey_base_subject(pk.hdr[h], pk.hdr_len[h], &base);
        it->str[INDEX_SORT_SUBJECT] = casemapped(base.s ? base.s : "",
                                                 base.len);
        buf_free(&base);
    }
    if (have && w->thread) {
        it->msgid = dup_hdr(&pk, MESSAGE_HDR_MESSAGE_ID);
        it->refs = dup_hdr(&pk, MESSAGE_HDR_REFERENCES);
        it->irt = dup_hdr(&pk, MESSAGE_HDR_IN_REPLY_TO);
    }
    if (have)
        address_keys(&pk, w, it, scratch);
    for (int k = 0; k < STR_KEYS; k++)
        if (w->str[k] && !it->str[k])
            it->str[k] = xstrdup("");
}

static void items_free(struct item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < STR_KEYS; k++)
            free(items[i].str[k]);
        free(items[i].msgid);
        free(items[i].refs);
        free(items[i].irt);
    }
    free(items);
}

/* The messages of the view that match root, in mailbox order, with the
 * values w asks for; *maxmodseq the largest modseq among them. */
static struct item *collect(struct index_state *st,
                            const struct search_key *root,
                            const struct want *w, size_t *n_r,
                            uint64_t *maxmodseq)
{
    struct search_scan *scan = search_scan_new(st->mb, &st->memo);
    struct item *items = xcalloc(st->nmsgs + 1, sizeof(*items));
    struct buf scratch = BUF_INITIALIZER;
    struct index_record rec;
    struct search_msg msg;
    size_t n = 0;

    *maxmodseq = 0;
    for (uint32_t msgno = 1; msgno <= st->nmsgs; msgno++) {
        index_search_msg(st, msgno, &rec, &msg);
        if (!search_match(scan, root, &rec, &msg))
            continue;
        items[n].msgno = msgno;
        item_fill(st, &rec, msg.expunged, w, &items[n], &scratch);
        if (rec.modseq > *maxmodseq)
            *maxmodseq = rec.modseq;
        n++;
    }
    buf_free(&scratch);
    search_scan_free(&scan);
    *n_r = n;
    return items;
}

/* ---- SORT --------------------------------------------------------------- */

struct sort_ctx {
    const struct index_sort_crit *crit;
    size_t ncrit;
};

static int cmp64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int item_cmp(const void *a, const void *b, void *rock)
{
    const struct item *x = a, *y = b;
    const struct sort_ctx *c = rock;

    for (size_t i = 0; i < c->ncrit; i++) {
        enum index_sort_key k = c->crit[i].key;
        int r;
        switch (k) {
        case INDEX_SORT_ARRIVAL:
            r = cmp64(x->arrival, y->arrival);
            break;
        case INDEX_SORT_DATE:
            r = cmp64(x->date, y->date);
            break;
        case INDEX_SORT_SIZE:
            r = cmp64(x->size, y->size);
            break;
        default:
            r = strcmp(x->str[k], y->str[k]);
            break;
        }
        if (r)
            return c->crit[i].reverse ? -r : r;
    }
    return x->msgno < y->msgno ? -1 : x->msgno > y->msgno;
}

int index_sort_result(struct index_state *st,
                      const struct index_sort_crit *crit, size_t ncrit,
                      const struct search_key *root, int uid,
                      uint32_t **result_r, size_t *n_r, uint64_t *maxmodseq)
{
    struct want w;
    struct sort_ctx ctx = { crit, ncrit };
    struct item *items;
    uint32_t *result;
    size_t n;

    memset(&w, 0, sizeof(w));
    for (size_t i = 0; i < ncrit; i++)
        if (crit[i].key != INDEX_SORT_ARRIVAL &&
            crit[i].key != INDEX_SORT_DATE && crit[i].key != INDEX_SORT_SIZE)
            w.str[crit[i].key] = 1;
    items = collect(st, root, &w, &n, maxmodseq);
    qsort_r(items, n, sizeof(*items), item_cmp, &ctx);
    result = xcalloc(n + 1, sizeof(*result));
    for (size_t i = 0; i < n; i++)
        result[i] = uid ? items[i].uid : items[i].msgno;
    items_free(items, n);
    *result_r = result;
    *n_r = n;
    return ERR_OK;
}

/* The charset and the search program of SORT and THREAD (args[0] is the
 * charset). */
static int parse_program(struct index_state *st, const struct imap_arg *args,
                         size_t nargs, struct search_key **root_r,
                         int *modseq_used, struct buf *error)
{
    const char *name;
    int cs, r;

    if (!nargs || !imap_arg_get_astring(&args[0], &name)) {
        buf_setcstr(error, "Missing charset");
        return ERR_BADARG;
    }
    if ((r = index_search_charset(name, &cs, error)))
        return r;
    return index_search_parse(st, cs, args + 1, nargs - 1, root_r,
                              modseq_used, error);
}

static void put_modseq(struct buf *b, int modseq_used, uint64_t maxmodseq)
{
    /* RFC 7162 3.1.5: SORT and THREAD with MODSEQ report the highest. */
    if (modseq_used && maxmodseq)
        buf_printf(b, " (MODSEQ %" PRIu64 ")", maxmodseq);
}

/* ESORT: the sorted msgnos result[0..n) answered as ESEARCH, and with
 * UPDATE a context made of the program *root (taken) and crit. */
static void esort_answer(struct index_state *st, struct prot *out,
                         const char *tag, int uid,
                         const struct index_search_ret *ret,
                         const uint32_t *result, size_t n, int modseq_used,
                         struct search_key **root,
                         const struct index_sort_crit *crit, size_t ncrit)
{
    struct index_search_hit *hits = xcalloc(n + 1, sizeof(*hits));
    struct index_record rec;
    struct search_msg msg;

    for (size_t i = 0; i < n; i++) {
        index_search_msg(st, result[i], &rec, &msg);
        hits[i].msgno = result[i];
        hits[i].uid = rec.uid;
        hits[i].modseq = rec.modseq;
    }
    index_search_answer(st, out, tag, uid, ret, hits, n, modseq_used);
    if (ret->opts & INDEX_RET_UPDATE)
        index_context_add(st, out, tag, uid, root, crit, ncrit, hits, n);
    free(hits);
}

int index_sort(struct index_state *st, struct prot *out, const char *tag,
               int uid, const struct imap_arg *args, size_t nargs,
               struct buf *error)
{
    struct index_sort_crit *crit = NULL;
    struct search_key *root = NULL;
    struct buf b = BUF_INITIALIZER;
    struct index_search_ret ret;
    uint32_t *result = NULL;
    uint64_t maxmodseq = 0;
    size_t ncrit = 0, n = 0, pos = 0;
    int modseq_used = 0, r;

    buf_reset(error);
    if ((r = index_search_return(args, nargs, &pos, &ret, error)))
        goto done;
    if ((ret.opts & INDEX_RET_UPDATE) &&
        (r = index_context_check(st, tag, error)))
        goto done;
    args += pos;
    nargs -= pos;
    if (!nargs) {
        buf_setcstr(error, "Missing sort criteria");
        r = ERR_BADARG;
        goto done;
    }
    if ((r = index_sort_parse_criteria(&args[0], &crit, &ncrit, error)) ||
        (r = parse_program(st, args + 1, nargs - 1, &root, &modseq_used,
                           error)))
        goto done;
    index_sort_result(st, crit, ncrit, root, uid && !ret.opts, &result, &n,
                      &maxmodseq);
    if (ret.opts) {
        esort_answer(st, out, tag, uid, &ret, result, n, modseq_used, &root,
                     crit, ncrit);
        goto done;
    }
    buf_appendcstr(&b, "* SORT");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, " %" PRIu32, result[i]);
        if (b.len > PROT_FLUSH_THRESHOLD) {
            prot_write(out, b.s, b.len);
            buf_reset(&b);
        }
    }
    put_modseq(&b, modseq_used, maxmodseq);
    buf_appendcstr(&b, "\r\n");
    prot_write(out, b.s, b.len);
done:
    if (r)
        index_search_failed(st, ret.opts, r);
    free(crit);
    free(result);
    search_key_free(&root);
    buf_free(&b);
    return r;
}

/* ---- THREAD ------------------------------------------------------------- */

int index_thread(struct index_state *st, struct prot *out, int uid,
                 const struct imap_arg *args, size_t nargs, struct buf *error)
{
    struct search_key *root = NULL;
    struct thread_msg *msgs = NULL;
    struct item *items = NULL;
    struct buf b = BUF_INITIALIZER;
    const char *name;
    uint64_t maxmodseq = 0;
    size_t n = 0;
    int alg, r;
    struct want w;

    buf_reset(error);
    if (!nargs || !imap_arg_get_atom(&args[0], &name)) {
        buf_setcstr(error, "Missing thread algorithm");
        return ERR_BADARG;
    }
    if ((alg = thread_algorithm_lookup(name)) < 0) {
        buf_printf(error, "Unknown thread algorithm %s", name);
        return ERR_BADARG;
    }
    if ((r = parse_program(st, args + 1, nargs - 1, &root, NULL, error)))
        goto done;
    memset(&w, 0, sizeof(w));
    w.str[INDEX_SORT_SUBJECT] = 1;
    w.thread = alg != THREAD_ORDEREDSUBJECT;
    items = collect(st, root, &w, &n, &maxmodseq);
    msgs = xcalloc(n + 1, sizeof(*msgs));
    for (size_t i = 0; i < n; i++) {
        msgs[i].id = uid ? items[i].uid : items[i].msgno;
        msgs[i].date = items[i].date;
        msgs[i].subject = items[i].str[INDEX_SORT_SUBJECT];
        msgs[i].refwd = items[i].refwd;
        msgs[i].message_id = items[i].msgid;
        msgs[i].references = items[i].refs;
        msgs[i].in_reply_to = items[i].irt;
    }
    buf_appendcstr(&b, "* THREAD");
    if (n)
        buf_putc(&b, ' ');
    thread_build((enum thread_algorithm)alg, msgs, n, &b);
    buf_appendcstr(&b, "\r\n");
    prot_write(out, b.s, b.len);
done:
    free(msgs);
    items_free(items, n);
    search_key_free(&root);
    buf_free(&b);
    return r;
}
