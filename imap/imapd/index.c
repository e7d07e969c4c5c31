/* index.c -- the selected-mailbox view: open and close, the SELECT
 * responses, reporting what other sessions changed (EXPUNGE, EXISTS,
 * RECENT, FETCH FLAGS), sequence sets, flags and the user's \Seen state.
 * FETCH, STORE, SEARCH and COPY/EXPUNGE live in index_fetch.c,
 * index_store.c, index_search.c and index_copy.c (see index_private.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/search.h"
#include "imap/mailstore/seen.h"

/* Rights that make a view read-write (Cyrus: s, w or d). */
#define INDEX_RW_RIGHTS (ACL_SEEN | ACL_WRITE | ACL_DELETEMSG | ACL_EXPUNGE)

/* ---- \Seen ------------------------------------------------------------- */

int index_uid_seen(const struct index_state *st, uint32_t uid)
{
    return seqset_ismember(st->seenuids, uid);
}

/* Re-read the user's seen UIDs; 1 if they differ from the last read. */
static int index_seen_reload(struct index_state *st)
{
    struct seen_data data;
    struct buf text = BUF_INITIALIZER;
    int r;

    if (!st->seen)
        return 0;
    r = seen_read(st->seen, st->mb->uniqueid, &data);
    if (r && r != ERR_NOTFOUND && r != ERR_BADFORMAT) {
        log_error("index: cannot read seen state: mailbox=<%s> user=<%s>: %s",
                  st->mb->name, st->userid, error_string(r));
        seen_data_fini(&data);
        return 0;
    }
    seqset_format(data.seenuids, &text);
    if (st->seenuids && text.len == st->seen_text.len &&
        (!text.len || !memcmp(text.s, st->seen_text.s, text.len))) {
        seen_data_fini(&data);
        buf_free(&text);
        return 0;
    }
    seqset_free(&st->seenuids);
    st->seenuids = data.seenuids;
    data.seenuids = NULL;
    buf_free(&st->seen_text);
    st->seen_text = text;
    return 1;
}

int index_seen_change(struct index_state *st, const uint32_t *uids, size_t n,
                      int on)
{
    int r = ERR_OK;

    if (!n)
        return ERR_OK;
    for (size_t i = 0; i < n; i++) {
        if (on)
            seqset_add(st->seenuids, uids[i]);
        else
            seqset_remove(st->seenuids, uids[i]);
    }
    if (st->seen) {
        r = seen_change_uids(st->seen, st->mb->uniqueid, uids, n, on,
                             st->mb->i.last_uid);
        if (r)
            log_error("index: cannot store seen state: mailbox=<%s> "
                      "user=<%s>: %s", st->mb->name, st->userid,
                      error_string(r));
    }
    /* What we hold now is what the database holds unless someone else
     * changed it too; then the next reload notices the difference. */
    seqset_format(st->seenuids, &st->seen_text);
    return r;
}

int index_seen_add_to(struct index_state *st, const char *uniqueid,
                      const uint32_t *uids, size_t n, uint32_t lastuid)
{
    int r;

    if (!n)
        return ERR_OK;
    if (!strcmp(uniqueid, st->mb->uniqueid))
        return index_seen_change(st, uids, n, 1);
    if (!st->seen)
        return ERR_OK;
    r = seen_change_uids(st->seen, uniqueid, uids, n, 1, lastuid);
    if (r)
        log_error("index: cannot store seen state: uniqueid=<%s> user=<%s>: "
                  "%s", uniqueid, st->userid, error_string(r));
    return r;
}

/* ---- the view ---------------------------------------------------------- */

static void index_msg_fill(struct index_msg *m,
                           const struct index_record *rec, uint32_t recno,
                           int seen)
{
    memset(m, 0, sizeof(*m));
    m->uid = rec->uid;
    m->recno = recno;
    m->system_flags = rec->system_flags;
    memcpy(m->user_flags, rec->user_flags, sizeof(m->user_flags));
    m->modseq = rec->modseq;
    m->internaldate = rec->internaldate;
    m->size = rec->size;
    m->seen = seen ? 1 : 0;
    m->filled = 1;
}

static void index_remember_sync(struct index_state *st)
{
    st->generation = st->mb->i.generation;
    st->num_records = st->mb->i.num_records;
    st->highest_modseq = st->mb->i.highest_modseq;
    st->dirty = 0;
}

static void index_fill(struct index_state *st, size_t i)
{
    struct index_msg *m = &st->msgs[i];
    struct index_record rec;
    int r = mailbox_snapshot_record(&st->snap, (uint32_t)i, &rec);

    if (r == ERR_NOTFOUND)      /* cannot be: index_load_view checked */
        memset(&rec, 0, sizeof(rec));
    index_msg_fill(m, &rec, (uint32_t)i,
                   seqset_ismember(st->seen_base, rec.uid));
    m->recent = rec.uid > st->recent_above;
    m->unknown = r != ERR_OK || rec.modseq > st->select_modseq;
}

struct index_msg *index_msg(struct index_state *st, uint32_t msgno)
{
    struct index_msg *m = &st->msgs[msgno - 1];

    if (!m->filled)
        index_fill(st, msgno - 1);
    return m;
}

void index_fill_all(struct index_state *st)
{
    if (!st->lazy)
        return;
    for (size_t i = 0; i < st->nmsgs; i++)
        if (!st->msgs[i].filled)
            index_fill(st, i);
    st->lazy = 0;
    map_free(&st->snap);
    seqset_free(&st->seen_base);
}

/* The view of a SELECT: as many entries as records, filled lazily from a
 * snapshot of cyrus.index (index_private.h).  Only the last record is
 * read now, for the view's last UID. */
static int index_load_view(struct index_state *st)
{
    struct mailbox *mb = st->mb;
    int r;

    st->alloc = mb->i.num_records ? mb->i.num_records : 1;
    st->msgs = xcalloc(st->alloc, sizeof(*st->msgs));
    if ((r = mailbox_snapshot(mb, &st->snap)))
        return r;
    /* seen_text is seenuids formatted ("" when empty) */
    if (!st->seen_text.len)
        st->seen_base = seqset_new();
    else if ((r = seqset_parse(buf_cstring(&st->seen_text), UINT32_MAX,
                               &st->seen_base)))
        return r;
    st->lazy = 1;
    st->select_modseq = mb->i.highest_modseq;
    st->nmsgs = mb->i.num_records;
    if (st->nmsgs)
        st->last_uid = index_msg(st, (uint32_t)st->nmsgs)->uid;
    index_remember_sync(st);
    return ERR_OK;
}

static int index_open_seen(struct index_state *st)
{
    int r;

    st->seenuids = seqset_new();
    if (!st->userid)
        return ERR_OK;
    if ((r = seen_open(st->userid, SEEN_CREATE, &st->seen)))
        return r;
    index_seen_reload(st);
    /* The readership report wants to know when the user last looked. */
    if (!st->examine &&
        (r = seen_note_read(st->seen, st->mb->uniqueid, st->mb->i.last_uid)))
        log_warn("index: cannot note last read: mailbox=<%s> user=<%s>: %s",
                 st->mb->name, st->userid, error_string(r));
    return ERR_OK;
}

int index_open(const struct index_open_params *params,
               struct index_state **st_r)
{
    struct index_state *st = xzmalloc(sizeof(*st));
    int r;

    *st_r = NULL;
    st->userid = xstrdupnull(params->userid);
    st->rights = params->rights;
    st->examine = params->examine ? 1 : 0;
    st->readonly = st->examine || !(st->rights & INDEX_RW_RIGHTS);
    if ((r = mailbox_open(params->name, params->path, MAILBOX_UNLOCKED,
                          &st->mb)))
        goto done;
    st->uidvalidity = st->mb->i.uidvalidity;
    if (st->readonly)
        st->recent_above = st->mb->i.recent_uid;
    else if ((r = mailbox_claim_recent(st->mb, &st->recent_above)))
        goto done;
    if ((r = index_open_seen(st)))
        goto done;
    if ((r = index_load_view(st)))
        goto done;
    st->nflags_reported = st->mb->flagnames.count;
done:
    if (r) {
        log_info("index: cannot open mailbox=<%s>: %s", params->name,
                 error_string(r));
        index_close(&st);
    }
    *st_r = st;
    return r;
}

void index_close(struct index_state **stp)
{
    struct index_state *st = *stp;

    if (!st)
        return;
    seen_close(&st->seen);
    seqset_free(&st->seenuids);
    buf_free(&st->seen_text);
    mailbox_close(&st->mb);
    map_free(&st->snap);
    seqset_free(&st->seen_base);
    search_memo_free(&st->memo);
    index_searchres_forget(st);
    index_contexts_free(st);
    free(st->msgs);
    free(st->userid);
    free(st);
    *stp = NULL;
}

int index_is_readonly(const struct index_state *st)
{
    return st->readonly;
}

uint32_t index_exists(const struct index_state *st)
{
    return (uint32_t)st->nmsgs;
}

struct mailbox *index_mailbox(struct index_state *st)
{
    return st->mb;
}

void index_set_condstore(struct index_state *st, int on)
{
    st->condstore = on ? 1 : 0;
}

void index_set_qresync(struct index_state *st)
{
    st->qresync = st->condstore = 1;
}

int index_condstore(const struct index_state *st)
{
    return st->condstore;
}

uint64_t index_highestmodseq(const struct index_state *st)
{
    return st->highest_modseq;
}

int index_msg_record(struct index_state *st, uint32_t msgno,
                     struct index_record *rec)
{
    struct index_msg *m;
    uint32_t n;
    int r;

    if (msgno < 1 || msgno > st->nmsgs)
        return ERR_NOTFOUND;
    m = index_msg(st, msgno);
    if (m->gone)
        return ERR_NOTFOUND;
    if (m->recno < st->mb->i.num_records &&
        !mailbox_read_record(st->mb, m->recno, rec) && rec->uid == m->uid)
        return ERR_OK;
    if ((r = mailbox_find_uid(st->mb, m->uid, &n)))
        return r;
    m->recno = n;
    return mailbox_read_record(st->mb, n, rec);
}

/* The first msgno (1-based) whose UID is at least uid; nmsgs + 1 if none. */
static uint32_t index_uid_lower_bound(struct index_state *st, uint32_t uid)
{
    size_t lo = 0, hi = st->nmsgs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (index_msg(st, (uint32_t)mid + 1)->uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo + 1;
}

uint32_t index_uid_to_msgno(struct index_state *st, uint32_t uid)
{
    uint32_t msgno = index_uid_lower_bound(st, uid);

    return msgno <= st->nmsgs && index_msg(st, msgno)->uid == uid ? msgno
                                                                   : 0;
}

/* ---- flags ------------------------------------------------------------- */

static const struct {
    uint32_t bit;
    const char *name;
} system_flags[] = {
    { FLAG_ANSWERED, "\\Answered" },
    { FLAG_FLAGGED, "\\Flagged" },
    { FLAG_DELETED, "\\Deleted" },
    { 0, "\\Seen" },
    { FLAG_DRAFT, "\\Draft" },
};

void index_format_flags(const struct index_state *st,
                        const struct index_msg *m,
                        uint32_t sysflags, const uint32_t *user_flags,
                        int seen, struct buf *out)
{
    const char *sep = "";

    buf_putc(out, '(');
    for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]);
         i++) {
        int on = system_flags[i].bit ? (sysflags & system_flags[i].bit) != 0
                                     : seen;
        if (on) {
            buf_appendcstr(out, sep);
            buf_appendcstr(out, system_flags[i].name);
            sep = " ";
        }
    }
    if (m && m->recent) {
        buf_appendcstr(out, sep);
        buf_appendcstr(out, "\\Recent");
        sep = " ";
    }
    for (size_t i = 0; i < st->mb->flagnames.count &&
                       i < MAILBOX_MAX_USER_FLAGS; i++) {
        if (user_flags[i / 32] & (1u << (i % 32))) {
            buf_appendcstr(out, sep);
            buf_appendcstr(out, st->mb->flagnames.data[i]);
            sep = " ";
        }
    }
    buf_putc(out, ')');
}

void index_msg_reported(struct index_state *st, uint32_t msgno,
                        const struct index_record *rec, int seen)
{
    struct index_msg *m = index_msg(st, msgno);

    m->unknown = 0;
    m->system_flags = rec->system_flags;
    memcpy(m->user_flags, rec->user_flags, sizeof(m->user_flags));
    m->modseq = rec->modseq;
    m->seen = seen ? 1 : 0;
}

static void index_flag_list(const struct index_state *st, int permanent,
                            struct buf *out)
{
    unsigned rights = permanent ? st->rights : ACL_ALL;
    const char *sep = "";

    buf_putc(out, '(');
    if (permanent && st->readonly) {
        buf_putc(out, ')');
        return;
    }
    for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]);
         i++) {
        unsigned need = system_flags[i].bit == FLAG_DELETED ? ACL_DELETEMSG
                        : system_flags[i].bit == 0          ? ACL_SEEN
                                                            : ACL_WRITE;
        if (rights & need) {
            buf_printf(out, "%s%s", sep, system_flags[i].name);
            sep = " ";
        }
    }
    if (rights & ACL_WRITE) {
        for (size_t i = 0; i < st->mb->flagnames.count; i++) {
            buf_printf(out, "%s%s", sep, st->mb->flagnames.data[i]);
            sep = " ";
        }
        if (permanent && st->mb->flagnames.count < MAILBOX_MAX_USER_FLAGS)
            buf_printf(out, "%s\\*", sep);
    }
    buf_putc(out, ')');
}

void index_report_flagnames(struct index_state *st, struct prot *out,
                            int force)
{
    struct buf b = BUF_INITIALIZER;

    if (!force && st->mb->flagnames.count == st->nflags_reported)
        return;
    buf_appendcstr(&b, "* FLAGS ");
    index_flag_list(st, 0, &b);
    buf_appendcstr(&b, "\r\n* OK [PERMANENTFLAGS ");
    index_flag_list(st, 1, &b);
    buf_appendcstr(&b, "] Ok\r\n");
    prot_write(out, b.s, b.len);
    buf_free(&b);
    st->nflags_reported = st->mb->flagnames.count;
}

static uint32_t index_count_recent(struct index_state *st)
{
    uint32_t n = 0;

    /* Until the first sync, \Recent is every UID above recent_above. */
    if (st->lazy)
        return (uint32_t)st->nmsgs + 1 -
               index_uid_lower_bound(st, st->recent_above + 1);
    for (size_t i = 0; i < st->nmsgs; i++)
        n += st->msgs[i].recent;
    return n;
}

/* The first msgno not \Seen, or 0.  Until the first sync, \Seen is
 * seen_base's: each run of seen UIDs is stepped over by a binary search,
 * so a mailbox read to the end is not filled entry by entry. */
static uint32_t index_first_unseen(struct index_state *st)
{
    uint32_t msgno = 1;

    while (msgno <= st->nmsgs) {
        const struct index_msg *m = index_msg(st, msgno);
        uint32_t end;
        if (!m->seen)
            return msgno;
        if (!st->lazy || !(end = seqset_range_end(st->seen_base, m->uid)) ||
            end == UINT32_MAX)
            msgno++;
        else
            msgno = index_uid_lower_bound(st, end + 1);
    }
    return 0;
}

void index_select_responses(struct index_state *st, struct prot *out)
{
    uint64_t hms = st->highest_modseq ? st->highest_modseq : 1;
    uint32_t unseen;

    index_report_flagnames(st, out, 1);
    prot_printf(out, "* %zu EXISTS\r\n* %" PRIu32 " RECENT\r\n", st->nmsgs,
                index_count_recent(st));
    if ((unseen = index_first_unseen(st)))
        prot_printf(out, "* OK [UNSEEN %" PRIu32 "] Ok\r\n", unseen);
    prot_printf(out, "* OK [UIDVALIDITY %" PRIu32 "] Ok\r\n", st->uidvalidity);
    prot_printf(out, "* OK [UIDNEXT %" PRIu32 "] Ok\r\n",
                (st->last_uid > st->mb->i.last_uid ? st->last_uid
                                                   : st->mb->i.last_uid) + 1);
    prot_printf(out, "* OK [HIGHESTMODSEQ %" PRIu64 "] Ok\r\n", hms);
    /* RFC 8474 */
    prot_printf(out, "* OK [MAILBOXID (%s)] Ok\r\n", st->mb->uniqueid);
}

/* ---- updates ----------------------------------------------------------- */

/* The state of one sync: the new view being built and what to report. */
struct index_sync {
    struct index_msg *msgs;
    size_t n;
    uint32_t *expunged;         /* old msgnos, ascending */
    uint32_t *expunged_uids;    /* their UIDs (for VANISHED) */
    size_t nexpunged;
    uint32_t *changed;          /* new msgnos whose flags changed */
    size_t nchanged;
    size_t added;               /* new messages */
    uint32_t recent_lo, recent_hi;  /* \Recent to us: lo < uid <= hi */
};

static int flags_differ(const struct index_msg *m,
                        const struct index_record *rec, int seen)
{
    return m->unknown || m->system_flags != rec->system_flags ||
           m->seen != (seen != 0) ||
           memcmp(m->user_flags, rec->user_flags, sizeof(m->user_flags));
}

static void sync_gone(struct index_state *st, struct index_sync *s, size_t i,
                      int allow_expunge)
{
    if (allow_expunge) {
        s->expunged_uids[s->nexpunged] = st->msgs[i].uid;
        s->expunged[s->nexpunged++] = (uint32_t)i + 1;
        return;
    }
    s->msgs[s->n] = st->msgs[i];
    s->msgs[s->n++].gone = 1;
}

/* Merge the old view with the mailbox's records (both ascending by UID). */
static int sync_merge(struct index_state *st, struct index_sync *s,
                      int allow_expunge)
{
    enum { BATCH = 64 };
    struct mailbox *mb = st->mb;
    struct index_record recs[BATCH];
    size_t i = 0;
    int r;

    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        const struct index_record *rp = &recs[n % BATCH];
        if (n % BATCH == 0 &&
            (r = mailbox_read_records(mb, n, mb->i.num_records - n < BATCH
                                                 ? mb->i.num_records - n
                                                 : BATCH, recs)))
            return r;
        while (i < st->nmsgs && st->msgs[i].uid < rp->uid)
            sync_gone(st, s, i++, allow_expunge);
        if (i < st->nmsgs && st->msgs[i].uid == rp->uid) {
            struct index_msg *m = &s->msgs[s->n++];
            int seen = index_uid_seen(st, rp->uid);
            *m = st->msgs[i++];
            m->recno = n;
            m->gone = 0;
            if (flags_differ(m, rp, seen) ||
                (st->condstore && rp->modseq > m->modseq))
                s->changed[s->nchanged++] = (uint32_t)s->n;
        } else if (rp->uid > st->last_uid) {
            struct index_msg *m = &s->msgs[s->n++];
            index_msg_fill(m, rp, n, index_uid_seen(st, rp->uid));
            m->recent = rp->uid > s->recent_lo && rp->uid <= s->recent_hi;
            s->added++;
        }
        /* else: a record below our last UID that we never had cannot
         * exist (UIDs only grow); nothing to show. */
    }
    while (i < st->nmsgs)
        sync_gone(st, s, i++, allow_expunge);
    return ERR_OK;
}

static void sync_report(struct index_state *st, struct index_sync *s,
                        struct prot *out)
{
    struct buf b = BUF_INITIALIZER;
    struct index_record rec;

    if (st->qresync)    /* RFC 7162 3.2.10: one VANISHED (UIDs) instead */
        index_write_vanished(out, 0, s->expunged_uids, s->nexpunged);
    /* Ascending, each number adjusted for the ones already reported, as
     * RFC 3501 6.4.3's example does (3, 3, 5, 8 for 3, 4, 7, 11). */
    for (size_t k = 0; k < s->nexpunged && !st->qresync; k++)
        prot_printf(out, "* %" PRIu32 " EXPUNGE\r\n",
                    s->expunged[k] - (uint32_t)k);
    index_report_flagnames(st, out, 0);
    for (size_t k = 0; k < s->nchanged; k++) {
        uint32_t msgno = s->changed[k];
        int seen;
        if (index_msg_record(st, msgno, &rec))
            continue;
        seen = index_uid_seen(st, rec.uid);
        buf_reset(&b);
        buf_printf(&b, "* %" PRIu32 " FETCH (FLAGS ", msgno);
        index_format_flags(st, index_msg(st, msgno), rec.system_flags,
                           rec.user_flags, seen, &b);
        if (st->condstore)
            buf_printf(&b, " MODSEQ (%" PRIu64 ")", rec.modseq);
        buf_appendcstr(&b, ")\r\n");
        prot_write(out, b.s, b.len);
        index_msg_reported(st, msgno, &rec, seen);
    }
    /* EXPUNGE already tells the new count (RFC 3501 7.4.1). */
    if (s->added) {
        prot_printf(out, "* %zu EXISTS\r\n", st->nmsgs);
        prot_printf(out, "* %" PRIu32 " RECENT\r\n", index_count_recent(st));
    }
    buf_free(&b);
}

static int sync_claim_recent(struct index_state *st, struct index_sync *s)
{
    int r;

    if (st->readonly) {
        s->recent_lo = st->mb->i.recent_uid;
        s->recent_hi = UINT32_MAX;
        return ERR_OK;
    }
    if (st->mb->i.last_uid <= st->last_uid) {
        s->recent_lo = s->recent_hi = 0;
        return ERR_OK;
    }
    /* Claiming locks the mailbox, which also refreshes our view of it. */
    if ((r = mailbox_claim_recent(st->mb, &s->recent_lo)))
        return r;
    s->recent_hi = st->mb->i.last_uid;
    return ERR_OK;
}

int index_check_updates(struct index_state *st, struct prot *out,
                        int allow_expunge)
{
    struct mailbox *mb = st->mb;
    struct index_sync s;
    int seen_changed, r;

    if ((r = mailbox_refresh(mb, NULL)))
        return r;
    if (mb->i.uidvalidity != st->uidvalidity) {
        log_warn("index: UIDVALIDITY changed under a session: mailbox=<%s>",
                 mb->name);
        return ERR_CONFLICT;
    }
    seen_changed = index_seen_reload(st);
    if (!st->dirty && !seen_changed && mb->i.generation == st->generation &&
        mb->i.num_records == st->num_records &&
        mb->i.highest_modseq == st->highest_modseq &&
        !(allow_expunge && st->ngone)) {
        index_report_flagnames(st, out, 0);
        index_contexts_refresh(st, out);
        return ERR_OK;
    }
    index_fill_all(st);
    memset(&s, 0, sizeof(s));
    if ((r = sync_claim_recent(st, &s)))
        return r;
    s.msgs = xcalloc(xmalloc_add(st->nmsgs, mb->i.num_records) + 1,
                     sizeof(*s.msgs));
    s.expunged = xcalloc(st->nmsgs + 1, sizeof(uint32_t));
    s.expunged_uids = xcalloc(st->nmsgs + 1, sizeof(uint32_t));
    s.changed = xcalloc(xmalloc_add(st->nmsgs, 1), sizeof(uint32_t));
    if ((r = sync_merge(st, &s, allow_expunge))) {
        free(s.msgs);
        goto done;
    }
    /* RFC 5267 4.3.4: REMOVEFROM before EXPUNGE, by the old numbers */
    index_contexts_expunged(st, out, st->msgs, st->nmsgs, s.expunged,
                            s.nexpunged);
    free(st->msgs);
    st->msgs = s.msgs;
    st->nmsgs = s.n;
    st->alloc = xmalloc_add(st->nmsgs, mb->i.num_records) + 1;
    st->ngone = 0;
    for (size_t i = 0; i < st->nmsgs; i++)
        st->ngone += st->msgs[i].gone;
    if (st->nmsgs)
        st->last_uid = st->msgs[st->nmsgs - 1].uid;
    index_remember_sync(st);
    sync_report(st, &s, out);
    index_contexts_refresh(st, out);
done:
    free(s.expunged);
    free(s.expunged_uids);
    free(s.changed);
    return r;
}

/* ---- sequence sets ------------------------------------------------------- */

int index_resolve_set(struct index_state *st, const struct imap_arg *set,
                      int uid, uint32_t **msgnos_r, size_t *n_r,
                      struct buf *error)
{
    struct seqset *s = NULL;
    struct seqset_iter it;
    const char *text;
    uint32_t *out = NULL, num;
    size_t n = 0;

    *msgnos_r = NULL;
    *n_r = 0;
    if (!set || set->type != IMAP_ARG_ATOM || !imap_arg_get_atom(set, &text) ||
        index_parse_set(st, text, &uid, &s)) {
        buf_setcstr(error, "Invalid sequence set");
        return ERR_BADARG;
    }
    if (uid) {
        /* from the first UID named to the last: a page at the end of a
         * big mailbox fills only its own entries */
        uint32_t last = seqset_last(s);
        for (uint32_t msgno = index_uid_lower_bound(st, seqset_first(s));
             msgno <= st->nmsgs; msgno++) {
            uint32_t u = index_msg(st, msgno)->uid;
            if (u > last)
                break;
            if (!seqset_ismember(s, u))
                continue;
            if (!out)
                out = xcalloc(st->nmsgs, sizeof(uint32_t));
            out[n++] = msgno;
        }
    } else if (!st->nmsgs && strchr(text, '*')) {
        /* "1:*" in an empty mailbox names nothing; not an error. */
    } else if (seqset_last(s) > st->nmsgs) {
        seqset_free(&s);
        buf_setcstr(error, "Invalid sequence: no such message");
        return ERR_BADARG;
    } else {
        out = xcalloc(seqset_count(s) + 1, sizeof(uint32_t));
        seqset_iter_init(&it, s);
        while (seqset_iter_next(&it, &num))
            out[n++] = num;
    }
    seqset_free(&s);
    *msgnos_r = out;
    *n_r = n;
    return ERR_OK;
}

void index_format_msgset(const uint32_t *nums, size_t n, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && nums[j + 1] == nums[j] + 1)
            j++;
        if (out->len)
            buf_putc(out, ',');
        if (j > i)
            buf_printf(out, "%" PRIu32 ":%" PRIu32, nums[i], nums[j]);
        else
            buf_printf(out, "%" PRIu32, nums[i]);
        i = j + 1;
    }
}

/* ---- message files ------------------------------------------------------- */

int index_map_message(struct index_state *st, uint32_t uid, struct map *map)
{
    return index_map_file(st->mb, uid, map);
}
