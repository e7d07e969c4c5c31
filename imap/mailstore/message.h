/* message.h -- parse an RFC 5322 / MIME message once, for cyrus.cache.
 *
 * When a message enters a mailbox (APPEND, deliver, lmtpd, reconstruct) it
 * is normalised (message_normalize), written to disk, and parsed ONCE
 * (message_parse).  The result -- sizes, sent date, cached header values,
 * the raw lines of the header fields mail clients list (for
 * BODY[HEADER.FIELDS]), the ENVELOPE, BODY and BODYSTRUCTURE strings
 * exactly as they go on the wire, and a table of every MIME part's byte
 * ranges -- is serialised
 * (message_info_encode) into cyrus.cache, so FETCH never re-reads or
 * re-parses the message file.  Only what cannot be derived is stored:
 * ENVELOPE is written again from the cached header values, BODY cut out
 * of BODYSTRUCTURE.  Nothing here does I/O, logs or keeps state;
 * every function is reentrant and fork-safe.
 *
 * Rules this module settles (RFC 3501 7.4.2 and 6.4.5, RFC 2045/2046/2231):
 *  - Stored messages have CRLF line ends.  The parser still accepts ANY
 *    bytes (bare LF or CR, NUL, 8-bit, no header/body separator, broken
 *    MIME): it never crashes, loops or reads out of bounds, and always
 *    produces a consistent result; all work is linear in the message size
 *    (times the nesting depth for boundary checks).
 *  - The header ends at the first empty line, which belongs to the header
 *    (header_size counts it).  A message that starts with an empty line has
 *    an empty header; one without an empty line is all header, no body.
 *  - NUL bytes are kept in bodies; in a header each NUL is a space (written
 *    so by message_normalize, read so by the parser), hence header values
 *    and the wire strings below never contain NUL.
 *  - A header field seen twice (two Subject:, two Content-Type:): the FIRST
 *    occurrence wins, for cached values, ENVELOPE and MIME fields alike.
 *  - Header values are unfolded (CR and LF removed, the folding whitespace
 *    kept) and trimmed of leading and trailing SP/HTAB.  RFC 2047 encoded
 *    words are left encoded, as RFC 3501 requires.
 *  - Wire strings: NIL for an absent value; a quoted string, unless the
 *    value holds CR, LF, '"', '\', an 8-bit byte or is 1024 bytes or longer:
 *    then a literal "{n}\r\n<bytes>" (Cyrus's rule).
 *  - ENVELOPE: date and subject are the raw values; Sender and Reply-To
 *    default to From when absent or empty; addresses follow RFC 5322 with
 *    the obsolete forms (route-addr, "a@b (Name)" comment names, bare
 *    words).  A group is (NIL NIL "name" NIL) ... (NIL NIL NIL NIL).  A
 *    missing domain is "MISSING_DOMAIN", a missing local part
 *    "MISSING_MAILBOX" (as Dovecot): a NIL host would mean a group.
 *  - BODY/BODYSTRUCTURE (Cyrus's spelling): type, subtype, encoding,
 *    disposition and parameter names upper case, parameter values as
 *    written.  No or an unparseable Content-Type means TEXT/PLAIN with
 *    ("CHARSET" "us-ascii") (MESSAGE/RFC822 inside multipart/digest); no
 *    Content-Transfer-Encoding means "7BIT".  RFC 2231 continuations
 *    (name*0, name*1*, ...) are joined into one "NAME" or, if any piece is
 *    extended, "NAME*" in charset'lang'%XX form.  The extension data is MD5,
 *    disposition, language (always a list) and location.
 *  - Text lines (body-fld-lines, body_lines) count the line ends in a body
 *    plus a last line without one.  The CRLF before a boundary line belongs
 *    to the boundary, not to the part above it (RFC 2046 5.1.1).
 *  - A boundary line is "--" boundary, then nothing, white space, or "--"
 *    (close delimiter); the innermost open multipart is checked first, and
 *    an outer boundary also ends every inner part (boundary never closed).
 *  - A multipart with no usable boundary parameter, or in which no part is
 *    found, is described as a TEXT/PLAIN part holding its whole body (so a
 *    reader sees the text).  Multiparts and message/rfc822 parts nested more
 *    than MESSAGE_MAX_DEPTH deep are APPLICATION/OCTET-STREAM leaves.  After
 *    MESSAGE_MAX_PARTS parts in a message, further parts stay in the body
 *    of their multipart but are not listed (memory stays bounded).
 *  - A Content-Type or Content-Disposition keeps its first 100 parameters,
 *    a Content-Language its first 64 tags; RFC 2231 pieces past name*99
 *    are not joined.  These bound the work per field (no real mail nears
 *    them).
 *  - The message must be smaller than 4 GiB (offsets are 32-bit).
 *
 * Section numbering (RFC 3501 6.4.5), used by message_find_section():
 *    ""          the whole message            "HEADER"  "TEXT"  its parts
 *    "1"         a non-multipart message's body (its MIME header is the
 *                message header); else the first part of the multipart
 *    "2.3"       third part of the multipart that is (or is the body of the
 *                message/rfc822 that is) part 2
 *    "N.MIME"    part N's MIME header
 *    "N.HEADER", "N.TEXT"  the header and body of the message/rfc822 part N
 *    "[N.]HEADER.FIELDS[.NOT] (...)" the same range as "[N.]HEADER"; the
 *                caller filters the fields.
 */
#ifndef CHAPAR_MESSAGE_H
#define CHAPAR_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

#define MESSAGE_MAX_DEPTH 100       /* nested multipart / message levels */
#define MESSAGE_MAX_PARTS 65536     /* listed MIME parts per message */
#define MESSAGE_CACHE_VERSION 4     /* first byte of message_info_encode() */
/* The most bytes of raw header lines (message_info.header_fields) a cache
 * entry keeps; a message with more keeps none (FETCH reads its file). */
#define MESSAGE_FIELDS_MAX 8192

/* The header fields whose values are kept (unfolded, trimmed, first
 * occurrence) for FETCH, SORT, THREAD, SEARCH and deliver's duplicate
 * check.  Adding one changes the cache format: bump MESSAGE_CACHE_VERSION. */
enum message_header {
    MESSAGE_HDR_DATE,
    MESSAGE_HDR_SUBJECT,
    MESSAGE_HDR_FROM,
    MESSAGE_HDR_SENDER,
    MESSAGE_HDR_REPLY_TO,
    MESSAGE_HDR_TO,
    MESSAGE_HDR_CC,
    MESSAGE_HDR_BCC,
    MESSAGE_HDR_IN_REPLY_TO,
    MESSAGE_HDR_MESSAGE_ID,
    MESSAGE_HDR_REFERENCES,
    MESSAGE_HDR_LIST_ID,
    MESSAGE_HDR__COUNT
};
/* The ENVELOPE is made of the first ones, Date .. Message-ID. */
#define MESSAGE_ENVELOPE_HDRS (MESSAGE_HDR_MESSAGE_ID + 1)

/* One MIME part, in depth-first order (which is also numeric order of
 * the part specifiers, so sections[] is sorted by spec).  All offsets are
 * into the message file; every range lies inside the message. */
struct message_section {
    char *spec;                 /* "1", "1.2", "2.1.3" */
    uint32_t header_offset;     /* the part's MIME header (with its */
    uint32_t header_size;       /*  empty line, if it has one) */
    uint32_t body_offset;       /* the part's body: BODY[spec] */
    uint32_t body_size;
    char *type;                 /* upper case, never NULL: "TEXT" */
    char *subtype;              /* upper case, never NULL: "PLAIN" */
    char *encoding;             /* upper case, never NULL: "7BIT" */
    char *charset;              /* the CHARSET parameter as written, or NULL */
    int is_message;             /* message/rfc822: the inner fields are set */
    uint32_t inner_header_offset;   /* BODY[spec.HEADER] */
    uint32_t inner_header_size;
    uint32_t inner_body_offset;     /* BODY[spec.TEXT] */
    uint32_t inner_body_size;
};

struct message_info {
    uint32_t size;              /* whole message */
    uint32_t header_size;       /* up to and including the empty line */
    uint32_t body_size;         /* size - header_size */
    uint32_t body_lines;        /* text lines of the body */
    time_t sent_date;           /* Date: as UTC seconds; 0 if none/invalid */
    char *message_id;           /* first "<...>" of Message-ID:, or its
                                 * trimmed value if it has none; or NULL */
    char *headers[MESSAGE_HDR__COUNT];  /* values, NULL if absent */
    char *envelope;             /* "(...)" as on the wire */
    char *body;                 /* BODY, "(...)" as on the wire */
    char *bodystructure;        /* BODYSTRUCTURE, "(...)" as on the wire */
    size_t nsections;
    struct message_section *sections;
    /* The raw lines of the message header's fields that
     * message_field_cached() names, for BODY[HEADER.FIELDS (...)]: what
     * index_header_filter() of imapd would return for them, without the
     * final empty line (every occurrence, in order, folded as written,
     * each ending in a line end).  NULL when not kept: more than
     * MESSAGE_FIELDS_MAX bytes, or decoded from an entry older than
     * version 4.  header_fields_len bytes, NUL-terminated. */
    char *header_fields;
    size_t header_fields_len;
};

/* One field of a header, as BODY[HEADER.FIELDS] sees it (RFC 3501
 * 6.4.5): a line and its continuation lines (those starting with SP or
 * HTAB).  line/len: its bytes with the line end (the last field of a header
 * without an empty line may have none); name/name_len: the text before
 * the first ':', less trailing SP/HTAB. */
struct message_field {
    const char *line;
    size_t len;
    const char *name;
    size_t name_len;
};

/* The next field of the header p[0, len) from *pos: 1 with *f and *pos
 * moved past it; 0 at the empty line or the end.  A unit without ':' is
 * not a field and is skipped.  The one splitter of headers into fields
 * for FETCH, shared by imapd's filter and the cache. */
int message_header_next_field(const char *p, size_t len, size_t *pos,
                              struct message_field *f);

/* 1 if the raw lines of the field named name[0, len) (any case) are kept
 * in message_info.header_fields, else 0.  They are the cached header
 * values' fields (enum message_header) and Content-Type, List-Post,
 * Disposition-Notification-To, X-Priority, Priority and Newsgroups: the
 * lists Roundcube and Thunderbird fetch for a message list. */
int message_field_cached(const char *name, size_t len);

/* Prepare raw message bytes for the mailstore, writing the result over
 * *out (which is emptied first).  Bare LF and bare CR become CRLF.  In the
 * header (up to the first empty line), NUL becomes a space and each 8-bit
 * byte becomes 'X', or, with reject8bit, the message is refused:
 * ERR_BADFORMAT with *out empty.  Body bytes (NUL, 8-bit) are kept. */
int message_normalize(const char *in, size_t len, int reject8bit,
                      struct buf *out);

/* 1 if the message starts with a Unix mbox "From " line (deliver refuses
 * it: "Message contains invalid header"), else 0. */
int message_has_unix_from(const char *in, size_t len);

/* Parse a message (normally normalised; any bytes are accepted) into a
 * fresh *info_r, freed with message_info_free().  The message bytes are
 * not referenced afterwards.  ERR_TOOBIG if len >= 4 GiB; else ERR_OK. */
int message_parse(const char *msg, size_t len, struct message_info **info_r);

/* Free *infop (NULL is fine) and set it to NULL. */
void message_info_free(struct message_info **infop);

/* Where BODY[spec] lies in the message file: spec is a section-spec of
 * RFC 3501 without brackets or partial ("", "HEADER", "TEXT", "1.2",
 * "1.MIME", "2.HEADER", "2.TEXT", "HEADER.FIELDS (A B)"; keywords in any
 * case).  ERR_OK with the range; ERR_NOTFOUND for a part that does not
 * exist or HEADER/TEXT of a part that is not a message/rfc822; ERR_BADARG
 * for a malformed spec ("0", "01", "1..2", "MIME" alone). */
int message_find_section(const struct message_info *info, const char *spec,
                         size_t *offset_r, size_t *len_r);

/* The section whose spec is exactly "1.2" (no keyword), or NULL. */
const struct message_section *
message_section_lookup(const struct message_info *info, const char *spec);

/* The field name of a cached header ("Reply-To"), for cache readers. */
const char *message_header_name(enum message_header hdr);

/* Parse an RFC 5322 date-time, also its obsolete forms: 2- and 3-digit
 * years, named zones (UT, GMT, EST ... PDT; other letters count as +0000),
 * a missing zone, comments, dd-Mon-yyyy, and asctime's "Mon Feb  7
 * 21:52:25 1994".  ERR_OK with *t_r (UTC seconds since the epoch), or
 * ERR_BADFORMAT for anything else (including dates before 1970). */
int message_parse_date(const char *s, size_t len, time_t *t_r);

/* Serialise info (appending to *out): a version byte, then variable-length
 * integers, length-prefixed strings and BODYSTRUCTURE packed; ENVELOPE,
 * BODY and the Message-ID are not stored (they are derived).  No checksum:
 * cyrus.cache frames every entry with its own CRC.  The layout is in
 * message_cache.c. */
void message_info_encode(const struct message_info *info, struct buf *out);

/* The inverse: a fresh *info_r from exactly len bytes at p, but without
 * the wire strings: envelope, body and bodystructure stay NULL (SEARCH
 * and body sections need none of them; FETCH makes them from a peek).
 * Everything is bounds-checked: a truncated, corrupt or foreign-version
 * entry, or one whose ranges do not fit in its own message size, gives
 * ERR_BADFORMAT and *info_r = NULL, never a crash. */
int message_info_decode(const char *p, size_t len,
                        struct message_info **info_r);
/* message_info_decode, and envelope, body and bodystructure made as well
 * (ERR_BADFORMAT also when the stored BODYSTRUCTURE is corrupt). */
int message_info_decode_wire(const char *p, size_t len,
                             struct message_info **info_r);

/* What FETCH needs of most messages, read in place from an encoded entry
 * without allocating: the sizes, BODYSTRUCTURE (packed: see
 * message_cache_bodystructure) and the cached header values as stored
 * (pointers into p, not NUL-terminated; hdr[i] NULL when absent or
 * derived: a Date the sent date writes again, an In-Reply-To that is the
 * end of References; message_cache_envelope makes them).  envelope is set
 * only for an entry of the older version 2, which stored the ENVELOPE
 * string.  ERR_BADFORMAT if the prefix holding them is malformed. */
struct message_cache_peek {
    uint8_t version;            /* MESSAGE_CACHE_VERSION, 3 or 2 */
    uint32_t size;
    uint32_t header_size;
    uint32_t body_lines;
    int64_t sent_date;
    const char *bodystructure;
    size_t bodystructure_len;
    const char *hdr[MESSAGE_HDR__COUNT];
    size_t hdr_len[MESSAGE_HDR__COUNT];
    uint64_t date_code;         /* internal: how Date is derived, or 0 */
    int irt_from_refs;          /* internal: In-Reply-To is derived */
    const char *envelope;
    size_t envelope_len;
    const char *fields;         /* internal: the coded header_fields */
    size_t fields_len;          /*  (NULL when the entry has none) and */
    uint64_t nfields;           /*  how many lines they are */
};
int message_cache_peek(const char *p, size_t len,
                       struct message_cache_peek *pk);

/* Append the BODYSTRUCTURE wire string of a peeked entry to *out.
 * ERR_BADFORMAT (and *out unchanged) if the stored form is corrupt. */
int message_cache_bodystructure(const struct message_cache_peek *pk,
                                struct buf *out);

/* Append the ENVELOPE of a peeked entry to *out, exactly as message_parse
 * made it; *scratch is working space (its contents are replaced). */
void message_cache_envelope(const struct message_cache_peek *pk,
                            struct buf *scratch, struct buf *out);

/* Append the header_fields of a peeked entry (see message_info) to *out.
 * ERR_NOTFOUND when the entry keeps none (version 2 or 3, or too many
 * bytes), ERR_BADFORMAT when they are corrupt; then *out is unchanged. */
int message_cache_header_fields(const struct message_cache_peek *pk,
                                struct buf *out);

/* BODY (RFC 3501 7.4.2) cut out of a BODYSTRUCTURE wire string, appended
 * to *out.  ERR_BADFORMAT (and *out unchanged) if bs is not one. */
int message_body_from_structure(const char *bs, size_t len, struct buf *out);

/* One address of an address-list field value as ENVELOPE gives it (RFC
 * 3501 7.4.2, the rules above): name, adl, mailbox, host, each NULL when
 * absent.  A group start has the group name in mailbox and host NULL; a
 * group end has all four NULL. */
struct message_address {
    const char *name;
    const char *adl;
    const char *mailbox;
    const char *host;
};
typedef void message_address_fn(const struct message_address *addr,
                                void *rock);
/* Call fn for each address of value (an unfolded field value such as
 * message_info.headers[MESSAGE_HDR_FROM]; NULL is none), in order.  The
 * strings live until fn returns. */
void message_address_each(const char *value, message_address_fn *fn,
                          void *rock);

/* The "<...>" of a Message-ID field value, or the trimmed value if it has
 * none; NULL for NULL or "". */
char *message_extract_message_id(const char *v);

#endif
