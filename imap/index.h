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

/* Read-only (EXAMINE, or no right to change anything). */
int index_is_readonly(const struct index_state *st);
uint32_t index_exists(const struct index_state *st);
struct mailbox *index_mailbox(struct index_state *st);

/* The untagged part of a SELECT/EXAMINE answer: FLAGS, OK
 * [PERMANENTFLAGS], EXISTS, RECENT, OK [UNSEEN], OK [UIDVALIDITY], OK
 * [UIDNEXT], OK [HIGHESTMODSEQ]. */
void index_select_responses(struct index_state *st, struct prot *out);

/* Bring the view up to date and report what changed since the last
 * report: EXPUNGE (only with allow_expunge), EXISTS, RECENT, and FETCH
 * (FLAGS) for messages whose flags another session changed. */
int index_check_updates(struct index_state *st, struct prot *out,
                        int allow_expunge);

/* FETCH / UID FETCH.  set is the sequence-set argument, items the fetch
 * argument (an atom, or a list), modifiers the optional
 * (CHANGEDSINCE n) list or NULL.  ERR_BADARG with a reason in *error for a
 * malformed request (the handler answers BAD); other errors answer NO. */
int index_fetch(struct index_state *st, struct prot *out, int uid,
                const struct imap_arg *set, const struct imap_arg *items,
                const struct imap_arg *modifiers, struct buf *error);

/* STORE / UID STORE: args are everything after the sequence set:
 * optional (UNCHANGEDSINCE n), then [+|-]FLAGS[.SILENT], then the flags
 * (a list or a single flag).  Needs the w/s/t rights for the flags changed
 * (\Seen: s, \Deleted: t, others: w); \Seen is stored in the user's seen
 * state.  Failed UNCHANGEDSINCE tests give the [MODIFIED set] code, which
 * is put in *code (empty when none). */
int index_store(struct index_state *st, struct prot *out, int uid,
                const struct imap_arg *set, const struct imap_arg *args,
                size_t nargs, struct buf *code, struct buf *error);

/* SEARCH / UID SEARCH: args are the search program (with an optional
 * leading CHARSET x).  Writes "* SEARCH ..." . */
int index_search(struct index_state *st, struct prot *out, int uid,
                 const struct imap_arg *args, size_t nargs,
                 struct buf *error);

/* COPY / MOVE into dest (already opened by the handler, rights checked):
 * fills result for the COPYUID code (source UIDs as a set in *srcuids).
 * With move, the copied messages are then expunged from the selected
 * mailbox and reported (RFC 6851). */
int index_copy(struct index_state *st, struct prot *out, int uid,
               const struct imap_arg *set, struct mailbox *dest, int move,
               struct buf *srcuids, struct append_result *result,
               struct buf *error);

/* EXPUNGE (uidset NULL) or UID EXPUNGE (uidset given): remove \Deleted
 * messages, reporting each with "* n EXPUNGE".  Needs the `e` right. */
int index_expunge(struct index_state *st, struct prot *out,
                  const struct imap_arg *uidset);

/* CLOSE: expunge \Deleted silently if read-write, then close. */
int index_close_expunge(struct index_state **stp);

#endif
