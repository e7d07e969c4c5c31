/* message_check.h -- shared by the message parser's unit tests.
 *
 * msgbuf holds the message under test after parse_text() (normalised);
 * check_consistent() asserts what must hold for every parse of every
 * input: sizes add up, every range lies inside the message, the section
 * table is sorted, the wire strings are well-formed IMAP, and the cache
 * encoding round-trips exactly.
 */
#ifndef CHAPAR_TEST_MESSAGE_CHECK_H
#define CHAPAR_TEST_MESSAGE_CHECK_H

#include <stddef.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "imap/mailstore/message.h"

extern struct buf msgbuf;

/* Quoted strings closed, literals inside the string, parentheses
 * balanced, no bare CR/LF. */
int imap_syntax_ok(const char *s);
void assert_same_info(const struct message_info *a,
                      const struct message_info *b);
void check_consistent(const struct message_info *info, size_t len);
/* Normalise text written with \n line ends into msgbuf, parse, check. */
struct message_info *parse_text(const char *text);
/* The bytes of BODY[spec] of the message in msgbuf, freshly allocated. */
char *section_text(const struct message_info *info, const char *spec);
void assert_section_error(const struct message_info *info, const char *spec,
                          int err);

#define ASSERT_SECTION(info, spec, expected)                                  \
    do {                                                                      \
        char *t_ = section_text((info), (spec));                              \
        TEST_ASSERT_STR(t_, (expected));                                      \
        free(t_);                                                             \
    } while (0)

/* The cases of test_message_mime.c (BODY, BODYSTRUCTURE, sections). */
void test_text_plain_default(void);
void test_multipart_alternative(void);
void test_message_rfc822_in_multipart(void);
void test_toplevel_message_rfc822(void);
void test_nested_three_deep(void);
void test_missing_boundary(void);
void test_boundary_never_closed(void);
void test_part_without_headers(void);
void test_header_only_and_empty(void);
void test_content_type_parameters(void);
void test_ten_thousand_parts(void);
void test_too_many_parts(void);
void test_depth_limit(void);

#endif
