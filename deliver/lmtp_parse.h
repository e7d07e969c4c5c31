/* lmtp_parse.h -- the pure parsing of LMTP command lines (RFC 2033, with
 * the paths and MAIL parameters of RFC 5321, 1870 and 6152), for lmtp.c.
 *
 * No I/O, no logging, no state: each function reads a NUL-terminated
 * command line (or a part of one) of any bytes and answers what it says.
 * Replies, the command table and the order of commands stay in lmtp.c.
 * Every function accepts any input without reading past its NUL.
 */
#ifndef CHAPAR_LMTP_PARSE_H
#define CHAPAR_LMTP_PARSE_H

#include <stddef.h>

/* A command line "VERB arg": *verb_len_r is the length of the verb (up to
 * the first space or the end), *arg_r what follows that one space ("" when
 * none; further spaces belong to the argument). */
void lmtp_parse_command(const char *line, size_t *verb_len_r,
                        const char **arg_r);

/* After the verb of MAIL or RCPT: keyword ("FROM:" / "TO:", any case),
 * spaces tolerated, then "<path>".  A quoted local part may hold '>' and
 * backslash pairs; an obsolete source route "@a,@b:" is dropped.  1 with
 * *addr_r (fresh, the path between the brackets as written) and *rest_r
 * (the parameters, leading spaces skipped); 0 on a syntax error (nothing
 * allocated). */
int lmtp_parse_path(const char *arg, const char *keyword, char **addr_r,
                    const char **rest_r);

/* A path with its quoting removed ("a b"@x for "\"a b\"@x"), fresh: the
 * form the recipient lookup takes. */
char *lmtp_unquote(const char *addr);

/* The verdict on MAIL's parameters (space separated): SIZE=n (decimal,
 * at most maxsize) and BODY=7BIT|8BITMIME, any case; the first bad one
 * decides. */
enum lmtp_mail_param {
    LMTP_PARAM_OK = 0,
    LMTP_PARAM_BAD_SIZE,        /* SIZE= not a decimal number */
    LMTP_PARAM_TOO_BIG,         /* SIZE= above maxsize */
    LMTP_PARAM_BAD_BODY,        /* BODY= something else */
    LMTP_PARAM_UNSUPPORTED      /* any other parameter */
};
enum lmtp_mail_param lmtp_parse_mail_params(const char *params,
                                            size_t maxsize);

#endif
