/* search.h -- a tree of search keys and its evaluation against the
 * messages of one mailbox (the meaning of RFC 3501 6.4.4, RFC 7162
 * MODSEQ), for SEARCH and later SORT, THREAD, ESEARCH and an index.
 *
 * The protocol layer owns the grammar: it reads the client's program and
 * builds the tree with the constructors below from plain values (a key
 * string already converted to UTF-8 from the client's charset, a day
 * number, a parsed seqset).  Nothing here parses IMAP or writes to a
 * client.
 *
 * The tree.  A key is a leaf (a flag, a set, a size, a date, a string in
 * a header or the text) or ALL, AND (any number of keys), OR (two), NOT
 * (one).  A parent owns its kids; search_key_free() frees a whole tree.
 * Every key has a cost, what it needs to be tested: the index record,
 * then the cache entry, then the message file; a parent costs what its
 * dearest kid does.  search_key_add() keeps the kids of an AND ordered
 * cheapest first (keys of equal cost in the order added), so a message
 * is dropped by its record before its cache entry or file is read; OR
 * and NOT keep their kids as given.  Constructors never fail.
 *
 * Evaluation.  A scan (search_scan_new) tests trees against messages of
 * one mailbox, one call of search_match() per message.  The message is
 * given by its index record, as the caller read it (the view knows which
 * record a sequence number stands for); what only the session knows --
 * the sequence number, \Seen and \Recent as it reports them, and that the
 * message was expunged meanwhile -- comes in a struct search_msg.  The
 * rest the scan reads itself, lazily and once per message: the cache
 * entry (message.h) when a key needs it, and of the message file
 * (mailbox_message_path, opened by name in the mailbox directory, which
 * the scan keeps open) only the bytes from its start to the end of the
 * last part a key looks at, read into one buffer reused for every
 * message.  An expunged message is tested on its record alone: keys that
 * need its cache entry or file do not match it.
 *
 * Strings are compared in charset.h's search form: case-insensitively,
 * with RFC 2047 words in headers, transfer encodings and charsets of body
 * parts decoded.  HEADER (and FROM, TO, CC, BCC, SUBJECT) looks at the
 * values of the field, in the cache entry for the fields message.h
 * caches, else in the header in the file; BODY at the text parts and the
 * headers of attached messages; TEXT also at the header.
 *
 * Dates are day numbers, days since 1970-01-01 (search_date_parse makes
 * one from an RFC 3501 date).  BEFORE/ON/SINCE compare the day of the
 * internal date in the server's time zone; SENTBEFORE/SENTON/SENTSINCE
 * the day written in the Date: header, whatever its time and zone (the
 * internal date's day when there is no readable Date:);
 * SAVEDBEFORE/SAVEDON/SAVEDSINCE (RFC 8514) the day of the save date in
 * the server's time zone, or of the internal date for a record that has
 * none (written before index 1.2).
 *
 * The memo.  Fields the cache does not hold are read from every message
 * file; a client that looks messages up by one (an X- header, List-Id)
 * does so again and again.  Message files never change, so the scan
 * keeps the values it read in a memo that the CALLER owns and passes in
 * (a session keeps one for its selected mailbox, and frees it with
 * search_memo_free when it leaves it: UIDs key it).  The memo is a plain
 * object rather than a callback because its whole policy -- when a read
 * value may be kept (the whole header was read), one field at a time,
 * ascending UIDs, a size bound -- is the search's own knowledge; the
 * caller only decides how long it lives.  See search_memo.c.
 *
 * Scans and trees belong to one thread; a tree may be tested by several
 * scans one after another, and is not changed by them.
 */
#ifndef CHAPAR_SEARCH_H
#define CHAPAR_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/seqset.h"

struct search_key;
struct search_memo;
struct search_scan;

/* ---- building a tree ---------------------------------------------------- */

/* Every message. */
struct search_key *search_key_all(void);
/* An AND of no keys yet (true); kids are added with search_key_add(). */
struct search_key *search_key_and(void);
/* Give kid to the AND parent, in cost order (see above). */
void search_key_add(struct search_key *parent, struct search_key *kid);
/* a OR b (a tested first); NOT k.  They take their kids. */
struct search_key *search_key_or(struct search_key *a, struct search_key *b);
struct search_key *search_key_not(struct search_key *k);

/* Sequence numbers / UIDs in set; the key takes the set. */
struct search_key *search_key_msgset(struct seqset *set);
struct search_key *search_key_uidset(struct seqset *set);

/* The system flag FLAG_* (mailbox.h) set (want 1) or not set (want 0). */
struct search_key *search_key_flag(uint32_t flag, int want);
/* \Seen / \Recent as the session reports them, set or not set. */
struct search_key *search_key_seen(int want);
struct search_key *search_key_recent(int want);
/* \Recent and not \Seen (RFC 3501 NEW). */
struct search_key *search_key_recent_unseen(void);
/* The user flag name (any case) set (want 1) or not set (want 0); a name
 * the mailbox does not know is set on no message. */
struct search_key *search_key_keyword(const char *name, int want);

/* Size of the message (RFC822.SIZE) above / below size. */
struct search_key *search_key_larger(uint32_t size);
struct search_key *search_key_smaller(uint32_t size);
/* Modseq at least modseq. */
struct search_key *search_key_modseq(uint64_t modseq);

enum search_date {
    SEARCH_BEFORE, SEARCH_ON, SEARCH_SINCE,     /* internal date */
    SEARCH_SENTBEFORE, SEARCH_SENTON, SEARCH_SENTSINCE, /* Date: header */
    SEARCH_SAVEDBEFORE, SEARCH_SAVEDON, SEARCH_SAVEDSINCE /* save date */
};
/* The message's day (see above) before / on / on or after day. */
struct search_key *search_key_date(enum search_date which, long day);
/* The internal date, to the second, before t (since 0) or at or after t
 * (since 1), t in seconds since the epoch: WITHIN's OLDER and YOUNGER
 * (RFC 5032) with t the time of the command less the interval. */
struct search_key *search_key_internaldate(int since, int64_t t);
/* The message's EMAILID (RFC 8474, mailbox_emailid()) is id. */
struct search_key *search_key_emailid(const char *id);
/* The day number of an RFC 3501 date, "1-Feb-1994" or "01-Feb-1994"
 * (month in any case).  ERR_OK, or ERR_BADARG for anything else. */
int search_date_parse(const char *s, long *day_r);

/* len bytes of UTF-8 at s in a value of the header field (a field name,
 * any case, without colon or white space: the caller checks it); in the
 * text parts and attached headers (BODY); anywhere, header too (TEXT).
 * An empty string matches every message that has the field (HEADER), a
 * text part or attached message (BODY), or a header too (TEXT). */
struct search_key *search_key_header(const char *field, const char *s,
                                     size_t len);
/* FROM, TO, CC, BCC (RFC 3501 6.4.4: the envelope's address): like
 * search_key_header of the field (From, To, Cc, Bcc, Sender or Reply-To:
 * a cached one, else it is just search_key_header), and also matching
 * when the string is in one of the field's addresses as message.h parses
 * them (message_address_each): its display name, mailbox, host or
 * "mailbox@host" -- so "user@example.org" finds "<user (comment)@
 * example.org>", as Cyrus and Dovecot do. */
struct search_key *search_key_address(const char *field, const char *s,
                                      size_t len);
struct search_key *search_key_body(const char *s, size_t len);
struct search_key *search_key_text(const char *s, size_t len);

/* Free the tree *kp (NULL is fine) and set *kp to NULL. */
void search_key_free(struct search_key **kp);

/* ---- testing messages --------------------------------------------------- */

/* What the session knows of the message it asks about. */
struct search_msg {
    uint32_t msgno;             /* sequence number (search_key_msgset) */
    int seen;                   /* \Seen as the session reports it */
    int recent;                 /* \Recent to the session */
    int expunged;               /* no longer in the mailbox: the record is
                                   what the session last knew of it */
};

/* A scan of mb (which must stay open and is not changed).  memo is where
 * the session's memo lives (*memo may be NULL: one is made when there is
 * something to keep), or NULL for none. */
struct search_scan *search_scan_new(struct mailbox *mb,
                                    struct search_memo **memo);
/* 1 if the message of rec (a record of mb, or with msg->expunged the
 * record the session last knew) matches key, else 0.  Each call loads
 * what it needs afresh; a file that cannot be read is logged and matches
 * only keys that do not need it. */
int search_match(struct search_scan *scan, const struct search_key *key,
                 const struct index_record *rec, const struct search_msg *msg);
/* Close what the scan opened, free it and set *scanp to NULL. */
void search_scan_free(struct search_scan **scanp);

/* ---- the memo ----------------------------------------------------------- */

/* The values of field (any case) in uid's header as the memo keeps them:
 * 1 with *data_r and *len_r, the values packed one after another, each a
 * 4-byte big-endian length and its bytes (*len_r 0: the message has no
 * such field); or 0 when the memo does not know (memo may be NULL). */
int search_memo_get(const struct search_memo *memo, const char *field,
                    uint32_t uid, const char **data_r, size_t *len_r);
/* Free *memop (NULL is fine) and set it to NULL. */
void search_memo_free(struct search_memo **memop);

#endif
