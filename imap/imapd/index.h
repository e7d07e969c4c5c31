/* index.h -- the selected mailbox of one IMAP session.
 *
 * An index_state is the session's view of the mailbox it has SELECTed or
 * EXAMINEd: the list of messages in sequence-number order (msgno 1..exists,
 * mapped to UIDs), the user's \Seen set (seen.h), which messages are
 * \Recent to this session, and the last state reported to the client.
 * Everything that reads or changes the selected mailbox goes through here
 * (DESIGN.md: "everything that reads a selected mailbox goes through
 * index").  It writes untagged responses to the session's prot; it never
 * writes tagged ones (the command handler does).
 *
 * Sequence numbers stay stable between index_check_updates() calls:
 * messages expunged by another session stay addressable (FETCH of their
 * body may fail) until the next check that may report EXPUNGE.  RFC 3501
 * 7.4.1 forbids EXPUNGE responses during FETCH, STORE and SEARCH (the
 * non-UID forms), so handlers pass allow_expunge accordingly.
 *
 * FETCH answers every item it can from cyrus.index and cyrus.cache
 * (FLAGS, UID, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE,
 * MODSEQ); only body sections open the message file.
 *
 * Errors.  Every command function returns ERR_OK, ERR_BADARG for a
 * malformed request (the handler answers BAD with the reason in *error),
 * or another code for a failure (the handler answers NO: with *error as
 * the text when it is not empty -- it may start with a response code such
 * as "[EXPUNGEISSUED]" or "[BADCHARSET (...)]" -- else through
 * imapd_tagged_error()).  Untagged responses already written stay valid.
 *
 * \Seen is per user (seen.h); a change of it also gives the message a new
 * modseq, so CONDSTORE clients and the user's other sessions notice it.
 * An anonymous view (userid NULL) keeps \Seen in memory only.
 */
#ifndef CHAPAR_INDEX_H
#define CHAPAR_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/prot.h"

struct index_state;
struct imap_arg;
struct mailbox;
struct append_result;

struct index_open_params {
    const char *name;           /* internal name, e.g. user.bob.drafts */
    const char *path;           /* its directory (mboxlist lookup) */
    const char *userid;         /* whose \Seen state; NULL: anonymous */
    unsigned rights;            /* the caller's ACL rights (acl.h bits) */
    int examine;                /* EXAMINE: read-only, no \Recent claim */
};

/* Open the view.  ERR_NOTFOUND, ERR_BADFORMAT (logged), ERR_IO. */
int index_open(const struct index_open_params *params,
               struct index_state **st_r);
void index_close(struct index_state **stp);

/* Read-only (EXAMINE, or none of the rights s, w, t, e). */
int index_is_readonly(const struct index_state *st);
uint32_t index_exists(const struct index_state *st);
struct mailbox *index_mailbox(struct index_state *st);

/* CONDSTORE (RFC 7162 3.1): once enabled -- by ENABLE CONDSTORE or
 * SELECT (CONDSTORE) through index_set_condstore(), or by the index itself
 * on FETCH MODSEQ / CHANGEDSINCE, STORE UNCHANGEDSINCE or SEARCH MODSEQ --
 * every FETCH response about flags carries MODSEQ. */
void index_set_condstore(struct index_state *st, int on);
int index_condstore(const struct index_state *st);
/* The mailbox's highest modseq as of the last report. */
uint64_t index_highestmodseq(const struct index_state *st);

/* QRESYNC (RFC 7162 3.2; index_qresync.c): once set (ENABLE QRESYNC; it
 * implies CONDSTORE), expunges are reported as "* VANISHED uid-set"
 * instead of "* n EXPUNGE", and UID FETCH takes the VANISHED modifier. */
void index_set_qresync(struct index_state *st);

/* The QRESYNC parameter of SELECT/EXAMINE: (uidvalidity modseq
 * [known-uids [(known-sequence-set known-uid-set)]]). */
struct seqset;
struct index_qresync {
    uint32_t uidvalidity;
    uint64_t modseq;
    struct seqset *known_uids;      /* NULL: all */
    struct seqset *match_seqs, *match_uids;     /* NULL: none */
};
/* Parse the list after the QRESYNC atom into *q (index_qresync_fini it).
 * ERR_BADARG with the reason in *error: a malformed list, UIDVALIDITY
 * or modseq 0, "*" in a set, match sets of different sizes. */
int index_qresync_parse(const struct imap_arg *arg, struct index_qresync *q,
                        struct buf *error);
void index_qresync_fini(struct index_qresync *q);
/* After index_select_responses: when q's UIDVALIDITY is the mailbox's,
 * "* VANISHED (EARLIER) ..." for the known UIDs expunged since q's modseq
 * (index_qresync.c tells how exact that is), then "* n FETCH (UID u FLAGS
 * (...) MODSEQ (m))" for each known message changed since it; nothing
 * else when it is not.  Errors from reading the tombstones. */
int index_qresync_select(struct index_state *st, struct prot *out,
                         const struct index_qresync *q);

/* The untagged part of a SELECT/EXAMINE answer: FLAGS, OK
 * [PERMANENTFLAGS], EXISTS, RECENT, OK [UNSEEN], OK [UIDVALIDITY], OK
 * [UIDNEXT], OK [HIGHESTMODSEQ], each "... Ok".  PERMANENTFLAGS lists the
 * flags the user's rights let him change ("\*" with w), "()" when the
 * view is read-only.  The handler adds the tagged [READ-ONLY] /
 * [READ-WRITE]. */
void index_select_responses(struct index_state *st, struct prot *out);

/* Bring the view up to date and report what changed since the last
 * report: EXPUNGE (only with allow_expunge; descending msgnos, so each is
 * right as the client renumbers), "* FLAGS" when keywords were added,
 * FETCH (FLAGS) for messages whose flags or \Seen another session changed,
 * then EXISTS and RECENT when messages arrived or left, and the ESEARCH
 * ADDTO / REMOVEFROM of searches with RETURN (UPDATE) (index_context.c;
 * REMOVEFROM of an expunged message before its EXPUNGE).  Without
 * allow_expunge, expunged messages keep their numbers: FLAGS, UID,
 * INTERNALDATE, RFC822.SIZE and MODSEQ of them can still be fetched.
 * ERR_CONFLICT when the mailbox's UIDVALIDITY changed (reconstruct): the
 * session cannot go on with this mailbox (BYE). */
int index_check_updates(struct index_state *st, struct prot *out,
                        int allow_expunge);

/* FETCH / UID FETCH.  set is the sequence-set argument, items the fetch
 * argument (an atom, or a list), modifiers the optional
 * (CHANGEDSINCE n [VANISHED]) list or NULL.  VANISHED (RFC 7162 3.2.6;
 * UID FETCH with CHANGEDSINCE after ENABLE QRESYNC, else BAD) first
 * answers "* VANISHED (EARLIER) ..." for the UIDs of the set expunged
 * since n.  Message numbers past the end are BAD
 * ("1:*" in an empty mailbox is fine and fetches nothing); UIDs that do
 * not exist are ignored.  BODY[...] without .PEEK, RFC822 and RFC822.TEXT
 * set \Seen (with the s right in a read-write view) and then report FLAGS.
 * Messages expunged meanwhile whose data is gone are left out, and the
 * result is ERR_NOTFOUND with "[EXPUNGEISSUED] ..." in *error (answer NO;
 * RFC 2180 4.1.2). */
int index_fetch(struct index_state *st, struct prot *out, int uid,
                const struct imap_arg *set, const struct imap_arg *items,
                const struct imap_arg *modifiers, struct buf *error);

/* STORE / UID STORE: args are everything after the sequence set:
 * optional (UNCHANGEDSINCE n), then [+|-]FLAGS[.SILENT], then the flags
 * (a list, or one or more flags).  Needs the w/s/t rights for the flags
 * changed (\Seen: s, \Deleted: t, others: w); flags without the right are
 * ignored, and ERR_PERM only comes when none of the named flags may be
 * changed or the view is read-only.  \Seen is stored in the user's seen
 * state; \Recent is ignored; an unknown \Flag is BAD.  Replies "* n FETCH
 * (FLAGS (...))" per message (with UID for UID STORE, MODSEQ under
 * CONDSTORE); with .SILENT nothing, or under CONDSTORE "* n FETCH (MODSEQ
 * (m))" for the messages changed.  Failed UNCHANGEDSINCE tests give the
 * MODIFIED response code: *code is set to "MODIFIED 2,5:7" (msgnos, or
 * UIDs for UID STORE; without the brackets) for the tagged OK, and left
 * empty when none failed. */
int index_store(struct index_state *st, struct prot *out, int uid,
                const struct imap_arg *set, const struct imap_arg *args,
                size_t nargs, struct buf *code, struct buf *error);

/* SEARCH / UID SEARCH of the command tagged tag: args are optional
 * RETURN (...) result options (RFC 4731, RFC 5182 SAVE, RFC 5267 CONTEXT,
 * UPDATE and PARTIAL: index_esearch.c, index_context.c), then the search
 * program (with an optional leading CHARSET x: US-ASCII, UTF-8 or
 * ISO-8859-1, else ERR_NOTSUPP with "[BADCHARSET (...)]" in *error).
 * Without RETURN writes "* SEARCH ..." (UIDs for UID SEARCH; "(MODSEQ n)"
 * at the end when the program used MODSEQ), with it "* ESEARCH (TAG
 * ...) ..." (index_esearch.c).  "$" in the program, or in any sequence
 * set FETCH, STORE, COPY, MOVE and UID EXPUNGE take, is the result the
 * last RETURN (SAVE) of this view saved (RFC 5182; empty before one). */
int index_search(struct index_state *st, struct prot *out, const char *tag,
                 int uid, const struct imap_arg *args, size_t nargs,
                 struct buf *error);
/* CANCELUPDATE: args are quoted tags of searches with RETURN (UPDATE)
 * (RFC 5267 4.3.5); their updates stop.  ERR_BADARG (nothing cancelled)
 * when one is not a quoted string or names no such search. */
int index_cancel_update(struct index_state *st, const struct imap_arg *args,
                        size_t nargs, struct buf *error);

/* COPY / MOVE into dest (already opened by the handler, its rights
 * checked): one append transaction, keywords carried by name, \Seen into
 * the user's seen state of dest.  Fills result for the COPYUID code
 * (uidvalidity, first_uid..last_uid; count 0 when the set named no
 * message: no COPYUID then) and the source UIDs as a set in *srcuids;
 * result->seen_uids is already handled and left NULL.  With move (needs t
 * and e on the selected mailbox, read-write), index_copy itself writes
 * "* OK [COPYUID v src dst] Ok" (RFC 6851 3.3: before the EXPUNGEs), then
 * expunges the copied messages and reports "* n EXPUNGE"; the handler just
 * answers "OK Move completed".  ERR_QUOTA / ERR_PERM as usual.  If any
 * message of the set was expunged by another session (gone, its EXPUNGE
 * not reported yet: the dispatcher sends none before COPY/MOVE by number),
 * nothing is copied or moved: ERR_NOTFOUND with "[EXPUNGEISSUED] Some of
 * the requested messages no longer exist" in *error (RFC 2180 4.4). */
int index_copy(struct index_state *st, struct prot *out, int uid,
               const struct imap_arg *set, struct mailbox *dest, int move,
               struct buf *srcuids, struct append_result *result,
               struct buf *error);

/* EXPUNGE (uidset NULL) or UID EXPUNGE (uidset given): remove \Deleted
 * messages, reporting each with "* n EXPUNGE" (and any other change, as
 * index_check_updates).  Needs the `e` right and a read-write view
 * (ERR_PERM); ERR_BADARG for a malformed uidset. */
int index_expunge(struct index_state *st, struct prot *out,
                  const struct imap_arg *uidset);

/* CLOSE: expunge \Deleted silently if read-write, then close. */
int index_close_expunge(struct index_state **stp);

/* SORT / UID SORT (RFC 5256, RFC 5957) of the command tagged tag: args
 * are optional RETURN (...) result options (ESORT, RFC 5267 3: SEARCH's;
 * UPDATE for CONTEXT=SORT), the sort criteria (a list), the charset (as SEARCH
 * CHARSET: ERR_NOTSUPP with "[BADCHARSET (...)]" in *error), then the
 * search program.  Writes "* SORT ..." (UIDs for UID SORT; "(MODSEQ n)" at
 * the end when the program used MODSEQ), or with RETURN "* ESEARCH (TAG
 * ...) ..." in sort order.  ERR_BADARG with the reason for an empty or
 * unknown criterion, a missing charset or program, a bad option. */
int index_sort(struct index_state *st, struct prot *out, const char *tag,
               int uid, const struct imap_arg *args, size_t nargs,
               struct buf *error);

/* The sort keys; INDEX_SORT__COUNT ends the list. */
enum index_sort_key {
    INDEX_SORT_ARRIVAL, INDEX_SORT_CC, INDEX_SORT_DATE, INDEX_SORT_FROM,
    INDEX_SORT_SIZE, INDEX_SORT_SUBJECT, INDEX_SORT_TO,
    INDEX_SORT_DISPLAYFROM, INDEX_SORT_DISPLAYTO, INDEX_SORT__COUNT
};
struct index_sort_crit {
    enum index_sort_key key;
    int reverse;
};
struct search_key;
/* The sort criteria list arg as a fresh array (*crit_r, freed by the
 * caller) of *n_r criteria.  ERR_BADARG with the reason in *error. */
int index_sort_parse_criteria(const struct imap_arg *arg,
                              struct index_sort_crit **crit_r, size_t *n_r,
                              struct buf *error);
/* The messages of the view matching root, in the order crit[0..ncrit)
 * gives (ties by sequence number), as msgnos or (uid) UIDs in a fresh
 * *result_r of *n_r entries; *maxmodseq the largest modseq among them.
 * The one SORT result, for SORT and ESORT alike.  ERR_OK. */
int index_sort_result(struct index_state *st,
                      const struct index_sort_crit *crit, size_t ncrit,
                      const struct search_key *root, int uid,
                      uint32_t **result_r, size_t *n_r, uint64_t *maxmodseq);

/* THREAD / UID THREAD (RFC 5256): args are the algorithm
 * (ORDEREDSUBJECT, REFERENCES or REFS: thread.h), the charset, then the
 * search program.  Writes "* THREAD (...)...".  Errors as index_sort. */
int index_thread(struct index_state *st, struct prot *out, int uid,
                 const struct imap_arg *args, size_t nargs,
                 struct buf *error);

/* A message or section an IMAP URL names (RFC 5092, imapurl.h). */
struct index_url {
    const char *mailbox;        /* internal name */
    uint32_t uidvalidity;       /* 0: any */
    uint32_t uid;
    const char *section;        /* section-spec as in FETCH; NULL: all */
    int partial;                /* ;PARTIAL=origin.count */
    uint32_t partial_origin, partial_count;
};
/* Append to out the bytes FETCH BODY.PEEK[section]<partial> of the URL's
 * message would return, for who (needs the r right on the mailbox; the
 * mailbox need not be selected).  ERR_NOTFOUND for anything that makes
 * the URL unusable (no such mailbox or right, UIDVALIDITY mismatch, no
 * such UID, section or part), ERR_TOOBIG when the bytes are more than
 * max; out is unchanged on error.  Never sets \Seen (RFC 4469 3). */
struct auth_state;
int index_urlfetch(const struct index_url *url, const struct auth_state *who,
                   size_t max, struct buf *out);

#endif
