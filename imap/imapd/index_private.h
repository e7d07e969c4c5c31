/* index_private.h -- what the index_*.c files share; not for other modules.
 *
 * The view.  msgs[0..nmsgs-1] are the messages in sequence-number order
 * (msgno = position + 1), UIDs ascending.  Each entry remembers the state
 * last REPORTED to the client (flags, \Seen, modseq), so that
 * index_check_updates() can tell what another session changed, plus the
 * few record fields FETCH can still answer for a message that another
 * session expunged and that may not be reported yet (gone).
 *
 * The view of a SELECT fills itself lazily: msgs[] starts zeroed and an
 * entry is filled (filled = 1) from the snapshot of cyrus.index taken at
 * SELECT (snap; entry i is record i there) when it is first used through
 * index_msg(), so SELECT and FETCH 1:50 of a 100,000-message mailbox touch
 * a few records, not all.  The baseline of an entry filled later is the
 * SELECT-time state as far as it can still be known: \Seen from seen_base
 * (the user's \Seen UIDs at SELECT), and flags as the snapshot has them
 * now unless the record changed since SELECT (modseq above select_modseq)
 * or could not be read whole: then unknown = 1 and the next sync reports
 * its flags.  A sync fills every entry first (index_fill_all), and the
 * view is then complete: the snapshot and seen_base are released.
 *
 * Records are found through the mailbox by UID: recno is only a hint
 * (mailbox_lock and mailbox_refresh may move the mailbox to a new
 * generation with other record numbers); index_msg_record() checks it
 * and falls back to mailbox_find_uid().
 */
#ifndef CHAPAR_INDEX_PRIVATE_H
#define CHAPAR_INDEX_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/map.h"
#include "lib/prot.h"
#include "lib/strarray.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/seqset.h"

struct seen;
struct imap_arg;
struct index_context;
struct search_memo;
struct message_info;

#define INDEX_USER_FLAG_WORDS (MAILBOX_MAX_USER_FLAGS / 32)

struct index_msg {
    uint32_t uid;
    uint32_t recno;             /* hint, see above */
    uint32_t system_flags;      /* as last reported */
    uint32_t user_flags[INDEX_USER_FLAG_WORDS];
    uint64_t modseq;            /* as last reported (or known) */
    int64_t internaldate;
    uint32_t size;
    unsigned seen : 1;          /* \Seen as last reported */
    unsigned recent : 1;
    unsigned gone : 1;          /* expunged, EXPUNGE not yet sent */
    unsigned filled : 1;        /* 0: not read yet (see above) */
    unsigned unknown : 1;       /* report flags at the next sync */
};

struct index_state {
    struct mailbox *mb;
    char *userid;               /* NULL: anonymous (\Seen kept in memory) */
    unsigned rights;
    int examine;
    int readonly;
    int condstore;              /* CONDSTORE enabled: MODSEQ in FETCH */
    int qresync;                /* QRESYNC enabled: VANISHED, not EXPUNGE */
    uint32_t uidvalidity;
    struct seen *seen;          /* the user's seen database, or NULL */
    struct seqset *seenuids;    /* the user's \Seen UIDs, current */
    struct buf seen_text;       /* seenuids as last read, to spot changes */
    uint32_t recent_above;      /* UIDs above it are \Recent to us */
    struct index_msg *msgs;
    size_t nmsgs, alloc;
    uint32_t last_uid;          /* largest UID in the view (0: none) */
    uint64_t highest_modseq;    /* of the mailbox at the last sync */
    uint32_t generation;        /* of the mailbox at the last sync */
    uint32_t num_records;       /* of the mailbox at the last sync */
    size_t ngone;               /* entries with gone set */
    size_t nflags_reported;     /* user flags named in the last * FLAGS */
    int dirty;                  /* force a full comparison at next sync */
    /* while some entries are not filled (see above) */
    int lazy;
    struct map snap;
    struct seqset *seen_base;
    uint64_t select_modseq;
    struct search_memo *memo;   /* of uncached fields (search.h) */
    struct seqset *searchres;   /* "$": the saved search result, UIDs
                                   (RFC 5182; NULL: empty) */
    struct index_context *contexts;     /* SEARCH RETURN (UPDATE) */
    size_t ncontexts;
};

/* ---- index.c: the view ------------------------------------------------- */

/* The view's entry of msgno (1-based, <= nmsgs), filled if it was not. */
struct index_msg *index_msg(struct index_state *st, uint32_t msgno);
/* Fill every entry (before anything that walks or rebuilds the view). */
void index_fill_all(struct index_state *st);

/* The current record of msgno (1-based, <= nmsgs).  ERR_NOTFOUND when the
 * message is gone; other errors from the mailbox. */
int index_msg_record(struct index_state *st, uint32_t msgno,
                     struct index_record *rec);
/* 1 if uid is \Seen for the user. */
int index_uid_seen(const struct index_state *st, uint32_t uid);
/* The msgno holding uid, or 0. */
uint32_t index_uid_to_msgno(struct index_state *st, uint32_t uid);

/* Resolve a sequence-set argument (message numbers, or UIDs when uid) to
 * ascending msgnos of the view.  Message numbers past the end are a
 * client error (ERR_BADARG, reason in *error); UIDs that do not exist are
 * skipped.  *msgnos_r is freed by the caller (NULL when *n_r is 0). */
int index_resolve_set(struct index_state *st, const struct imap_arg *set,
                      int uid, uint32_t **msgnos_r, size_t *n_r,
                      struct buf *error);

/* "(\Answered ... kw)" for flags of rec plus the view's \Seen/\Recent,
 * appended to out. */
void index_format_flags(const struct index_state *st,
                        const struct index_msg *m,
                        uint32_t system_flags, const uint32_t *user_flags,
                        int seen, struct buf *out);
/* Remember that the client now knows rec's flags for msgno (and \Seen). */
void index_msg_reported(struct index_state *st, uint32_t msgno,
                        const struct index_record *rec, int seen);

/* Add (on) or remove the UIDs from the user's \Seen state (and the view's
 * copy).  No-op when n is 0. */
int index_seen_change(struct index_state *st, const uint32_t *uids, size_t n,
                      int on);

/* Add UIDs to the user's \Seen state of another mailbox (COPY); the
 * view's own when uniqueid is the selected mailbox's. */
int index_seen_add_to(struct index_state *st, const char *uniqueid,
                      const uint32_t *uids, size_t n, uint32_t lastuid);

/* "* FLAGS" and "* OK [PERMANENTFLAGS]" again if user flags were added. */
void index_report_flagnames(struct index_state *st, struct prot *out,
                            int force);

/* The message file of uid mapped into *map (map_free() it). */
int index_map_message(struct index_state *st, uint32_t uid, struct map *map);
/* The same for any open mailbox (index_url.c): ERR_NOTFOUND when the
 * file is gone (expunged meanwhile), ERR_IO (logged). */
int index_map_file(struct mailbox *mb, uint32_t uid, struct map *map);

/* A set of msgnos (or UIDs when uid) as "1:3,5", for codes. */
void index_format_msgset(const uint32_t *nums, size_t n, struct buf *out);

/* ---- index_qresync.c ---------------------------------------------------- */

/* "* VANISHED [(EARLIER) ]uid-set" of uids[0..n) (ascending); nothing when
 * n is 0. */
void index_write_vanished(struct prot *out, int earlier,
                          const uint32_t *uids, size_t n);
/* "* VANISHED (EARLIER) ..." for the UIDs of known (NULL: all) expunged
 * since modseq and not in the view (index_qresync.c: exact, or every
 * missing UID when the tombstones since modseq were pruned, narrowed by
 * the sequence match data when given). */
int index_vanished_since(struct index_state *st, struct prot *out,
                         uint64_t modseq, const struct seqset *known,
                         const struct seqset *match_seqs,
                         const struct seqset *match_uids);

/* ---- index_section.c ---------------------------------------------------- */

#define INDEX_FILTER_NONE 0
#define INDEX_FILTER_FIELDS 1
#define INDEX_FILTER_FIELDS_NOT 2

#define INDEX_BINARY_NONE 0     /* BODY[...] */
#define INDEX_BINARY_DATA 1     /* BINARY[...], BINARY.PEEK[...] */
#define INDEX_BINARY_SIZE 2     /* BINARY.SIZE[...] */

/* One BODY[...] / BODY.PEEK[...] / BINARY... item of a FETCH. */
struct index_section {
    char *name;                 /* reply name: "BODY[HEADER.FIELDS (From)]" */
    char *spec;                 /* for message_find_section: "1.HEADER";
                                 * a part path or "" for BINARY */
    int binary;                 /* INDEX_BINARY_* */
    struct strarray fields;     /* HEADER.FIELDS[.NOT] names */
    int filter;                 /* INDEX_FILTER_* */
    int from_cache;             /* HEADER.FIELDS of the message header,
                                 * every name message_field_cached(): the
                                 * cache entry's raw lines answer it */
    int peek;
    int partial;
    uint32_t origin, count;
};

/* Parse a section atom ("BODY.PEEK[1.MIME]<0.100>", "BINARY[1.2]<0.10>",
 * "BINARY.SIZE[2]": RFC 3516 allows a part path only, and BINARY.SIZE no
 * partial).  ERR_BADARG with a reason in *error. */
int index_section_parse(const char *atom, struct index_section *sec,
                        struct buf *error);
void index_section_fini(struct index_section *sec);
/* The fields of the header at p (len bytes) whose names are (not, when
 * not is set) in fields, each with its continuation lines, then the empty
 * line; replaces out's contents. */
void index_header_filter(const char *p, size_t len,
                         const struct strarray *fields, int not,
                         struct buf *out);

/* ---- index_binary.c ----------------------------------------------------- */

/* A section with its transfer encoding undone (RFC 3516). */
struct index_binary {
    int exists;                 /* 0: the message has no such part */
    const char *data;           /* len bytes (not for BINARY.SIZE of an */
    size_t len;                 /*  identity encoding: len only) */
    struct buf buf;             /* holds decoded bytes */
};

/* 1 if the BINARY item sec of the message described by info needs the
 * message file (its data, or the size of a decoded part). */
int index_binary_needs_file(const struct message_info *info,
                            const struct index_section *sec);
/* The BINARY item sec of the message info describes, whose file is
 * [base, base + maplen) (base NULL when not mapped): ERR_OK with *out
 * filled, or ERR_NOTSUPP for an encoding we cannot decode
 * (UNKNOWN-CTE).  out->buf is reused; the caller frees it. */
int index_binary_section(const struct message_info *info, const char *base,
                         size_t maplen, const struct index_section *sec,
                         struct index_binary *out);

/* ---- index_fetch.c ------------------------------------------------------ */

/* [*data, *data + *len) cut to sec's partial range (unchanged without
 * one). */
void index_partial_range(const struct index_section *sec, const char **data,
                         size_t *len);

/* "17-Jul-1996 02:44:25 -0700" in the server's time zone. */
void index_format_date(int64_t t, struct buf *out);
/* An RFC 8474 objectid: 1 to 255 of A-Z a-z 0-9 '_' '-'. */
int index_objectid_valid(const char *s);

/* ---- index_preview.c ---------------------------------------------------- */

/* The most characters of a PREVIEW (RFC 8970 3.1). */
#define INDEX_PREVIEW_CHARS 256
/* Append the PREVIEW text (UTF-8, at most INDEX_PREVIEW_CHARS characters;
 * empty when the message has no text part) of the message info describes,
 * whose file is [base, base + maplen) (base NULL: not mapped, empty). */
struct message_info;
void index_preview(const struct message_info *info, const char *base,
                   size_t maplen, struct buf *out);

/* ---- index_search.c ----------------------------------------------------- */

struct search_key;
struct search_msg;

/* The charset id (charset.h) of a CHARSET argument (US-ASCII is read as
 * UTF-8), or ERR_NOTSUPP with "[BADCHARSET (...)] ..." in *error. */
int index_search_charset(const char *name, int *cs_r, struct buf *error);
/* The search program args[0..nargs) (after any CHARSET), its strings in
 * charset cs, as a tree in *root_r; *modseq_used (may be NULL) set when
 * it has a MODSEQ key.  ERR_BADARG with the reason in *error.  SEARCH,
 * SORT and THREAD share it. */
int index_search_parse(struct index_state *st, int cs,
                       const struct imap_arg *args, size_t nargs,
                       struct search_key **root_r, int *modseq_used,
                       struct buf *error);
/* The record of msgno and what the view knows of it (search_match's
 * arguments); a message another session expunged is tested on the state
 * last reported. */
void index_search_msg(struct index_state *st, uint32_t msgno,
                      struct index_record *rec, struct search_msg *msg);

/* ---- index_esearch.c ---------------------------------------------------- */

/* SEARCH RETURN options (RFC 4731, RFC 5182); INDEX_RET_ESEARCH: RETURN
 * was given (the answer is ESEARCH, or nothing for SAVE alone). */
#define INDEX_RET_MIN     0x01
#define INDEX_RET_MAX     0x02
#define INDEX_RET_ALL     0x04
#define INDEX_RET_COUNT   0x08
#define INDEX_RET_SAVE    0x10
#define INDEX_RET_ESEARCH 0x20
#define INDEX_RET_CONTEXT 0x40      /* RFC 5267: a hint, ignored */
#define INDEX_RET_UPDATE  0x80      /* RFC 5267: index_context.c */
#define INDEX_RET_PARTIAL 0x100     /* RFC 5267: partial_lo..partial_hi */

/* The RETURN options of a search. */
struct index_search_ret {
    unsigned opts;
    uint32_t partial_lo, partial_hi;    /* 1-based positions, lo <= hi */
};

/* One message a search found. */
struct index_search_hit {
    uint32_t msgno;
    uint32_t uid;
    uint64_t modseq;
};

/* "RETURN (...)" at args[*pos], if it is there: *ret and *pos moved past
 * it; else ret->opts 0.  ERR_BADARG with the reason in *error. */
int index_search_return(const struct imap_arg *args, size_t nargs,
                        size_t *pos, struct index_search_ret *ret,
                        struct buf *error);
/* The answer to a search that found hits[0..n) (ascending): "* SEARCH"
 * (opts 0; "(MODSEQ n)" with modseq_used) or "* ESEARCH (TAG ...)", and
 * "$" saved with INDEX_RET_SAVE. */
void index_search_answer(struct index_state *st, struct prot *out,
                         const char *tag, int uid,
                         const struct index_search_ret *ret,
                         const struct index_search_hit *hits, size_t n,
                         int modseq_used);
/* s as an IMAP quoted string (a tag: "\\" and '"' escaped), appended. */
void index_append_quoted(struct buf *b, const char *s);
/* "* ESEARCH (TAG "tag")[ UID]" appended: the start of every ESEARCH. */
void index_esearch_begin(struct buf *b, const char *tag, int uid);
/* A search with options opts failed with r: "$" as RFC 5182 says. */
void index_search_failed(struct index_state *st, unsigned opts, int r);

/* ---- index_context.c ---------------------------------------------------- */

#define INDEX_MAX_CONTEXTS 16

/* ERR_BADARG (reason in *error) when tag already names a context. */
int index_context_check(struct index_state *st, const char *tag,
                        struct buf *error);
/* A new context for the search tagged tag whose program is *root (taken:
 * *root is set to NULL) and which found hits[0..n) -- for SORT, crit
 * [0..ncrit) (copied) and hits in sort order; crit NULL for SEARCH; or,
 * past the limit, "* NO [NOUPDATE ...]" and nothing taken. */
struct index_sort_crit;
void index_context_add(struct index_state *st, struct prot *out,
                       const char *tag, int uid, struct search_key **root,
                       const struct index_sort_crit *crit, size_t ncrit,
                       const struct index_search_hit *hits, size_t n);
/* The view is about to report the EXPUNGE of msgnos[0..n) (ascending,
 * numbers of the old view old[0..nold)): REMOVEFROM them first. */
void index_contexts_expunged(struct index_state *st, struct prot *out,
                             const struct index_msg *old, size_t nold,
                             const uint32_t *msgnos, size_t n);
/* After a sync: ADDTO / REMOVEFROM for what changed since each context
 * last looked. */
void index_contexts_refresh(struct index_state *st, struct prot *out);
/* Free every context. */
void index_contexts_free(struct index_state *st);
/* Empty "$". */
void index_searchres_forget(struct index_state *st);
/* The text of a sequence-set argument as a new set in *set_r: message
 * numbers, or UIDs when *uid ("*" the largest); "$" is a copy of the
 * saved result and sets *uid (it holds UIDs).  ERR_BADARG. */
int index_parse_set(struct index_state *st, const char *text, int *uid,
                    struct seqset **set_r);

/* ---- index_store.c ------------------------------------------------------ */

/* Set \Seen on msgnos (ascending), for FETCH BODY[] and RFC822. */
int index_mark_seen(struct index_state *st, const uint32_t *msgnos, size_t n);

/* ---- index_copy.c ------------------------------------------------------- */

/* Expunge every record for which want() says so, adjust the quota root,
 * then report through a sync (allow_expunge). */
int index_expunge_where(struct index_state *st, struct prot *out,
                        int (*want)(const struct index_record *, void *),
                        void *rock);

#endif
