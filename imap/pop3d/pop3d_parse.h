/* pop3d_parse.h -- the pure parsing of POP3 command lines (RFC 1939, AUTH
 * of RFC 5034), for pop3d.  Not for other programs.
 *
 * No I/O, no logging, no session: each function reads a command line (or
 * its argument) of any bytes and answers what it says; the replies, the
 * command table and the states stay in pop3d.c and the handlers.  No
 * function reads past the NUL (or the length) it is given.
 */
#ifndef CHAPAR_POP3D_PARSE_H
#define CHAPAR_POP3D_PARSE_H

#include <stddef.h>

/* Split a command line of len bytes (line[len] must be NUL) in place: the
 * first space becomes a NUL, *name_r is the command name and *args_r the
 * rest ("" when none; further spaces belong to the argument).  -1 (line
 * unchanged) if the line holds a NUL byte: it would cut a name or password
 * short. */
int pop3d_parse_command(char *line, size_t len, const char **name_r,
                        const char **args_r);

/* Parse args as exactly min..max decimal numbers separated by single
 * spaces into v[] (*n_r of them).  0 on success, -1 on any syntax error
 * (a sign, a leading space, a number above 2^31-1, trailing text). */
int pop3d_parse_numbers(const char *args, unsigned min, unsigned max,
                        unsigned long *v, unsigned *n_r);

/* APOP's "name digest": a non-empty name up to the first space, then
 * exactly 32 bytes.  0 with *user_r (fresh) and *digest_r (into args);
 * -1 otherwise. */
int pop3d_parse_apop(const char *args, char **user_r, const char **digest_r);

/* AUTH's "mechanism [initial-response]", split at the first space: a fresh
 * *mech_r ("" for a bare AUTH) and *initial_r pointing into it, or NULL
 * when there is none.  free(*mech_r) frees both. */
void pop3d_parse_auth(const char *args, char **mech_r, char **initial_r);

#endif
