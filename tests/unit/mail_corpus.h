/* mail_corpus.h -- realistic test messages shared by the unit tests of
 * the selected-mailbox view (index_check.c) and of search (test_search.c),
 * with the internal dates they are appended with (UTC). */
#ifndef CHAPAR_TESTS_MAIL_CORPUS_H
#define CHAPAR_TESTS_MAIL_CORPUS_H

#include <time.h>

extern const char ix_msg_plain[];       /* text/plain, many headers */
extern const char ix_msg_alt[];         /* mixed(alt(b64, QP), bin) */
extern const char ix_msg_fwd[];         /* mixed + message/rfc822 */
extern const char ix_msg_latin1[];      /* 8-bit ISO-8859-1 body */
/* Headers as FETCH BODY[HEADER.FIELDS] must return them byte for byte,
 * NULL-terminated: folded, repeated and odd-case fields, a space before
 * the colon, values the cache derives (Date, In-Reply-To), a first line
 * that looks like a continuation, a line without a colon, 8-bit bytes,
 * no empty line (with and without a last line end), an empty header, and
 * a References too long for the cache to keep (ix_hdr_huge, made by
 * ix_hdr_huge_text()). */
extern const char *const ix_hdr_msgs[];
/* A message whose folded References hold n ids (47 bytes a line), as a
 * fresh string. */
char *ix_hdr_huge_text(unsigned n);

/* 1994-02-08 06:00, 1994-02-09 12:00, 1994-02-10 12:00, 1994-02-11
 * 23:59:59 UTC */
extern const time_t ix_dates[4];

#endif
