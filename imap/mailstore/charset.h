/* charset.h -- turn message text into UTF-8 and into the form SEARCH
 * compares.
 *
 * What SEARCH needs (RFC 3501 6.4.4, RFC 2045-2047): undo the transfer
 * encodings (base64, quoted-printable), decode RFC 2047 encoded words in
 * header values, convert the charsets we know to UTF-8, and compare
 * case-insensitively.  US-ASCII, UTF-8, ISO-8859-1 (and its superset
 * windows-1252, which mail often mislabels as ISO-8859-1) are read here,
 * in place; every other charset glibc's iconv knows (KOI8-R, ISO-2022-JP,
 * Shift_JIS, EUC-JP, GB2312/GBK/GB18030, Big5, windows-125x, ISO-8859-x,
 * UTF-16 ...) through iconv (charset_iconv.c): its text is converted to
 * UTF-8 first.  Text in an unknown charset keeps its ASCII bytes and has
 * every other byte replaced by U+FFFD, so an ASCII search still finds
 * ASCII words in it.  Invalid UTF-8 (and bytes iconv cannot convert) are
 * replaced the same way; the output of every function here is valid
 * UTF-8.
 *
 * The search form (charset_search_form) folds case (ASCII, Latin-1,
 * Latin Extended-A, Greek and Cyrillic letters) and turns every run of
 * white space (SP, HTAB, CR, LF) into one space; key and text are both
 * put in that form and compared byte-wise (charset_search_match).
 *
 * Pure functions: no I/O; the only state is charset_iconv.c's table of
 * the iconv charsets met so far (ids and open converters), which lives as
 * long as the process.  Output is APPENDED to the caller's
 * buffer.  Every loop is linear in its input; no input makes them read
 * out of bounds.
 */
#ifndef CHAPAR_CHARSET_H
#define CHAPAR_CHARSET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum charset_id {
    CHARSET_UNKNOWN = -1,
    CHARSET_US_ASCII = 0,
    CHARSET_UTF8,
    CHARSET_ISO_8859_1,
    CHARSET_WINDOWS_1252,
    CHARSET_ICONV = 16          /* and up: iconv charsets, in the order
                                   they were first looked up */
};
/* How many iconv charsets one process knows at most. */
#define CHARSET_ICONV_MAX 64

/* For [BADCHARSET (...)]: a sensible list of the SEARCH CHARSET names
 * accepted (every name iconv knows is, these are the usual ones). */
#define CHARSET_SEARCH_LIST                                                   \
    "US-ASCII UTF-8 ISO-8859-1 ISO-8859-2 ISO-8859-5 ISO-8859-7 "             \
    "ISO-8859-15 WINDOWS-1250 WINDOWS-1251 WINDOWS-1252 KOI8-R KOI8-U "       \
    "ISO-2022-JP SHIFT_JIS EUC-JP GB2312 GBK GB18030 BIG5 EUC-KR UTF-16"

/* The charset named by len bytes at name (any case, with the usual
 * aliases: "utf8", "latin1", "ascii", "cp1252" ...; else any name iconv
 * knows), or CHARSET_UNKNOWN. */
int charset_lookup(const char *name, size_t len);

/* charset_iconv.c (charset_lookup and charset_to_utf8 call them): the id
 * of an iconv charset, or CHARSET_UNKNOWN; its name as first looked up
 * (NULL for another id); len bytes of its text as UTF-8, appended. */
int charset_iconv_lookup(const char *name, size_t len);
const char *charset_iconv_name(int cs);
void charset_iconv_to_utf8(int cs, const char *s, size_t len,
                           struct buf *out);

/* Convert len bytes in charset cs to UTF-8, appended to out. */
void charset_to_utf8(int cs, const char *s, size_t len, struct buf *out);

/* Undo a Content-Transfer-Encoding.  Quoted-printable: "=XX" escapes and
 * soft line breaks; a malformed "=" is kept as it is; with header set,
 * "_" is a space (RFC 2047 "Q").  Base64: characters outside the alphabet
 * are skipped, decoding stops at padding. */
void charset_decode_qp(const char *s, size_t len, int header,
                       struct buf *out);
void charset_decode_base64(const char *s, size_t len, struct buf *out);

/* A MIME part's body (encoding as in BODYSTRUCTURE: "BASE64",
 * "QUOTED-PRINTABLE", anything else is taken as is; charset the CHARSET
 * parameter or NULL for US-ASCII) as UTF-8, appended to out. */
void charset_decode_body(const char *s, size_t len, const char *encoding,
                         const char *charset, struct buf *out);

/* A header value with its RFC 2047 encoded words decoded, as UTF-8,
 * appended to out.  White space between two encoded words is dropped; an
 * encoded word in an unknown charset or malformed is kept as written. */
void charset_decode_header(const char *s, size_t len, struct buf *out);

/* Append the search form of len bytes of UTF-8 at s (see above). */
void charset_search_form(const char *s, size_t len, struct buf *out);

/* 1 if needle occurs in hay (both in search form); an empty needle
 * matches everything. */
int charset_search_match(const char *hay, size_t hlen, const char *needle,
                         size_t nlen);

/* A search key (in search form) prepared for the functions below, which
 * answer what charset_search_match() would on the search form of the
 * text, without making that copy.  The needle owns a copy of the key. */
struct charset_needle {
    char *s;
    size_t len;
    uint32_t first;             /* its first code point */
    int ascii;                  /* ASCII without a space: compared byte by
                                   byte, case-insensitively */
    int has_i;                  /* has an "i" (U+0130 folds to it) */
    size_t anchor;              /* its rarest character, looked for first */
};

void charset_needle_init(struct charset_needle *n, const char *form,
                         size_t len);
void charset_needle_free(struct charset_needle *n);

/* 1 if the needle occurs in len bytes of text in charset cs (read as
 * charset_to_utf8() reads them). */
int charset_search_text(const struct charset_needle *n, int cs,
                        const char *s, size_t len);

/* 1 if it occurs in a body part as charset_decode_body() would give it;
 * scratch holds the part without its transfer encoding when it has one. */
int charset_search_body(const struct charset_needle *n, const char *s,
                        size_t len, const char *encoding, const char *charset,
                        struct buf *scratch);

/* 1 if it occurs in a header (or header value) as charset_decode_header()
 * would give it; scratch is used only when there are encoded words. */
int charset_search_header(const struct charset_needle *n, const char *s,
                          size_t len, struct buf *scratch);

/* Append the i;unicode-casemap form (RFC 5051) of len bytes of UTF-8 at
 * s: each character titlecased, then fully decomposed (charset_casemap.c,
 * through ICU).  Two strings compare as the collation says when their
 * forms are compared octet by octet (strcmp); invalid UTF-8 becomes
 * U+FFFD.  SORT and THREAD compare with it. */
void charset_casemap(const char *s, size_t len, struct buf *out);

#endif
