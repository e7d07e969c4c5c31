/* imap_parser.h -- read one IMAP command, literals included, into typed
 * arguments, within limits fixed by the caller.
 *
 * Grammar.  RFC 3501 section 9: tag SP command-name *(SP argument) CRLF,
 * plus non-synchronizing literals {n+} (RFC 7888 LITERAL+/LITERAL-) and
 * literal8 ~{n} / ~{n+} (RFC 3516, for APPEND).  The parser knows no
 * command; it yields
 *     tag    1*(ASTRING-CHAR except "+"): "*", "+", "(", "{" ... refused
 *     name   an atom, as sent; compare with imap_parser_command_is()
 *     args   a tree of struct imap_arg (below)
 * An argument is
 *     ATOM     1*(any CHAR except SP CTL ( ) { " and 8-bit) -- wider than
 *              RFC 3501's atom: "]" (astring), "%" "*" (list-mailbox,
 *              sequence sets) and "\" (\Seen) are accepted.  An atom that
 *              starts BODY, BODY.PEEK, BINARY, BINARY.PEEK or BINARY.SIZE
 *              (any case) followed by "[" takes the bracketed section with
 *              its spaces, parentheses and quoted strings verbatim, then
 *              goes on as an atom, so the FETCH code gets
 *              "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>" as ONE atom
 *              (flag IMAP_ARG_F_SECTION) and lexes nothing again.  A
 *              literal inside a section is refused.
 *     NIL      the atom NIL in any case (str keeps it as sent)
 *     QUOTED   "..." with \" and \\ unescaped; any other escape, NUL, CR
 *              or LF is BAD.  8-bit bytes are kept (UTF8=ACCEPT).
 *     LITERAL  {n} {n+} ~{n} ~{n+}: n bytes, binary-safe (NUL, CRLF)
 *     LIST     ( ... ), possibly empty
 * Separators are exactly one SP; a space after "(", before ")", doubled or
 * at the end of the line is BAD.  A line ends at LF; a CR before it is
 * dropped, so bare-LF clients work.
 *
 * Limits (struct imap_parser_limits; a field left 0 takes its default):
 *     max_line           command text of ONE command: the bytes of all its
 *                        lines, literal bytes and line ends not counted
 *     max_literal        bytes of one literal
 *     max_literal_total  bytes of all literals of one command (MULTIAPPEND
 *                        needs it above max_literal)
 *     max_depth          nesting of parentheses
 *     max_args           arguments of one command, all levels counted (a
 *                        LIST is one argument, its children more)
 *     max_discard        an oversized {n+} literal is read and dropped up
 *                        to this size; beyond it (and beyond max_literal)
 *                        the stream is given up: FATAL
 *     max_nonsync        0: any {n+} within max_literal (LITERAL+); else
 *                        the largest {n+} (LITERAL-, 4096): a larger one
 *                        is BAD, dropped as above (its default is 0)
 * Memory.  While a command is read the parser holds the current line (at
 * most max_line + 1 bytes, in a buffer at most twice that), argument
 * strings (at most max_line bytes in all, plus one NUL each), argument
 * arrays (about 2 * max_args * sizeof(struct imap_arg) at most: they grow by
 * doubling) and literals (at most max_literal_total bytes, plus one NUL
 * each: a literal's buffer is allocated at its exact size when it is
 * accepted).  Dropped lines and literals cost no memory.  Between commands
 * only the line buffer is kept.
 *
 * Results of imap_parser_read():
 *   OK                    *cmd_r is a new command, owned by the caller.
 *   NEED_CONTINUATION     the command so far ends in a synchronizing
 *       literal within the limits.  The caller EITHER writes its
 *       continuation ("+ go ahead\r\n") and calls imap_parser_read()
 *       again, which reads the literal and the rest of the command; OR
 *       refuses (e.g. over quota): writes a tagged NO/BAD and calls
 *       imap_parser_reset() -- the client sends no literal bytes then, so
 *       the stream is already at the next command.  imap_parser_tag(),
 *       imap_parser_name() and imap_parser_literal_size() describe it.
 *   BAD                   the command was refused; the rest of it has been
 *       consumed, so the next read starts at the next command.  The caller
 *       answers "<tag> BAD <reason>" (or "* BAD" when imap_parser_tag() is
 *       NULL) with imap_parser_error()'s reason; a too-big literal
 *       (IMAP_PARSER_ERR_LITERAL_TOO_BIG) deserves "[TOOBIG]" (RFC 7888).
 *       Consuming the rest: the line with the error is read to its LF; if
 *       it ends with a synchronizing literal the client sends nothing
 *       more (it waits for a continuation that never comes, then gets our
 *       tagged answer); if it ends with {n+} the n bytes are dropped and
 *       the next line is consumed the same way.  A too-big synchronizing
 *       literal is therefore never read.
 *   FATAL                 close the session: end of stream, I/O error,
 *       read timeout (the prot's), or a {n+} literal bigger than both
 *       max_literal and max_discard.  The position in the stream is lost;
 *       every later read returns FATAL again.
 *
 * Lifetime.  A command and its arguments belong to the caller and are
 * freed by imap_parser_command_free(); a partly read command belongs to
 * the parser and is freed by the next read, imap_parser_reset() or
 * imap_parser_free(), which is also how long the strings of
 * imap_parser_tag() and imap_parser_name() live.  The parser reads its
 * prot byte by byte up to each LF and by count for literals, never beyond
 * the end of the command, so code that takes over the stream after a
 * command (IDLE's DONE, AUTHENTICATE, STARTTLS) sees every later byte.
 * One parser per prot; not thread-safe.
 */
#ifndef CHAPAR_IMAP_PARSER_H
#define CHAPAR_IMAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/prot.h"

#define IMAP_PARSER_DEFAULT_MAX_LINE       65536
#define IMAP_PARSER_DEFAULT_MAX_LITERAL    65536
#define IMAP_PARSER_DEFAULT_MAX_DEPTH      32
#define IMAP_PARSER_DEFAULT_MAX_ARGS       4096
#define IMAP_PARSER_DEFAULT_MAX_DISCARD    (16 * 1024 * 1024)
/* max_literal_total defaults to max_literal. */

struct imap_parser_limits {
    size_t max_line;
    size_t max_literal;
    size_t max_literal_total;
    size_t max_discard;
    size_t max_nonsync;         /* 0, or LITERAL- (RFC 7888): a {n+}
                                   literal above it is BAD (NONSYNC_TOO_BIG),
                                   its bytes read and dropped */
    unsigned max_depth;
    unsigned max_args;
};

enum imap_arg_type {
    IMAP_ARG_ATOM,
    IMAP_ARG_NIL,
    IMAP_ARG_QUOTED,
    IMAP_ARG_LITERAL,
    IMAP_ARG_LIST
};

#define IMAP_ARG_F_LITERAL8 0x1     /* LITERAL sent as ~{n} */
#define IMAP_ARG_F_NONSYNC  0x2     /* LITERAL sent as {n+} */
#define IMAP_ARG_F_SECTION  0x4     /* ATOM holds a BODY[...]-style section */

struct imap_arg {
    enum imap_arg_type type;
    unsigned flags;
    /* ATOM, NIL, QUOTED, LITERAL: len bytes, NUL-terminated; a LITERAL
     * may hold NULs before str[len].  LIST: NULL, 0. */
    char *str;
    size_t len;
    /* LIST: count children (list is NULL when count is 0). */
    struct imap_arg *list;
    size_t count;
};

struct imap_parser_command {
    char *tag;
    char *name;                 /* as sent: "uid", "UID", "Uid" */
    struct imap_arg *args;      /* top level; NULL when nargs is 0 */
    size_t nargs;
};

enum imap_parser_result {
    IMAP_PARSER_OK = 0,
    IMAP_PARSER_NEED_CONTINUATION,
    IMAP_PARSER_BAD,
    IMAP_PARSER_FATAL
};

enum imap_parser_error {
    IMAP_PARSER_ERR_NONE = 0,
    /* with BAD */
    IMAP_PARSER_ERR_SYNTAX,
    IMAP_PARSER_ERR_LINE_TOO_LONG,
    IMAP_PARSER_ERR_TOO_MANY_ARGS,
    IMAP_PARSER_ERR_TOO_DEEP,
    /* with BAD, or with FATAL when a {n+} was beyond max_discard */
    IMAP_PARSER_ERR_LITERAL_TOO_BIG,
    /* with BAD: a {n+} literal above max_nonsync */
    IMAP_PARSER_ERR_NONSYNC_TOO_BIG,
    /* with FATAL */
    IMAP_PARSER_ERR_EOF,        /* also a clean close between commands */
    IMAP_PARSER_ERR_TIMEOUT,
    IMAP_PARSER_ERR_IO          /* I/O error, undecodable TLS/SASL input */
};

/* ---- the parser --------------------------------------------------------- */

/* A parser reading from `in` (not owned).  limits NULL: all defaults.
 * Never NULL. */
struct imap_parser *imap_parser_new(struct prot *in,
                                    const struct imap_parser_limits *limits);
/* Free the parser and a partly read command; *pp = NULL.  NULL is fine. */
void imap_parser_free(struct imap_parser **pp);
/* New limits for the commands read from now on (e.g. larger ones after
 * login).  Call between commands, not after NEED_CONTINUATION. */
void imap_parser_set_limits(struct imap_parser *p,
                            const struct imap_parser_limits *limits);
/* The limits in force, defaults filled in. */
void imap_parser_get_limits(const struct imap_parser *p,
                            struct imap_parser_limits *limits_r);

/* Read one command; see "Results" above.  *cmd_r is NULL unless OK. */
enum imap_parser_result imap_parser_read(struct imap_parser *p,
                                         struct imap_parser_command **cmd_r);
/* Forget the command being read (after a refused continuation).  A FATAL
 * state stays. */
void imap_parser_reset(struct imap_parser *p);

/* After NEED_CONTINUATION or BAD: the tag and command name of the command
 * being read, or NULL if they were not read (or were invalid). */
const char *imap_parser_tag(const struct imap_parser *p);
const char *imap_parser_name(const struct imap_parser *p);
/* After NEED_CONTINUATION: the announced size of the literal. */
uint64_t imap_parser_literal_size(const struct imap_parser *p);
/* After BAD or FATAL: what went wrong, and a short reason for the client
 * ("Unterminated quoted string"); IMAP_PARSER_ERR_NONE and "" otherwise. */
enum imap_parser_error imap_parser_error(const struct imap_parser *p,
                                         const char **reason_r);

/* ---- commands ----------------------------------------------------------- */

/* Free a command with all its arguments; *cmdp = NULL.  NULL is fine. */
void imap_parser_command_free(struct imap_parser_command **cmdp);
/* The command name equals `name`, ignoring ASCII case. */
bool imap_parser_command_is(const struct imap_parser_command *cmd,
                            const char *name);
/* Append the command to `out` in IMAP syntax that this parser reads back
 * into the same tree: strings that can be quoted are quoted, literals are
 * sent as {n+} / ~{n+}, CRLF at the end.  For logs, tests and fuzzing. */
void imap_parser_command_format(const struct imap_parser_command *cmd,
                                struct buf *out);

/* ---- arguments: the getters command handlers use -------------------------
 * Each returns true and sets its outputs when the argument has that form,
 * and false (outputs untouched) otherwise. */

/* ATOM or NIL (text as sent). */
bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r);
/* ATOM or NIL equal to `word`, ignoring ASCII case. */
bool imap_arg_atom_is(const struct imap_arg *arg, const char *word);
/* string: QUOTED or LITERAL without NUL. */
bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r);
/* astring: ATOM (not a section atom), NIL as the text "NIL", QUOTED, or
 * LITERAL without NUL.  Also serves list-mailbox: atoms keep "%" "*". */
bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r);
/* nstring: NIL gives *str_r = NULL; else QUOTED or LITERAL without NUL. */
bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r);
/* LITERAL (either kind), binary: the bytes and their count. */
bool imap_arg_get_literal(const struct imap_arg *arg, const char **data_r,
                          size_t *len_r);
/* LIST: its children and their count (list NULL when empty). */
bool imap_arg_get_list(const struct imap_arg *arg,
                       const struct imap_arg **list_r, size_t *count_r);
/* ATOM of digits: number (0..4294967295), nz-number (1..4294967295),
 * number64 (0..2^63-1, RFC 9051; mod-sequence-value).  Leading zeros are
 * accepted; signs, spaces and overflow are not. */
bool imap_arg_get_number(const struct imap_arg *arg, uint32_t *n_r);
bool imap_arg_get_nz_number(const struct imap_arg *arg, uint32_t *n_r);
bool imap_arg_get_number64(const struct imap_arg *arg, uint64_t *n_r);
/* The same rules for len bytes of s (e.g. inside "<0.100>"): 1 or more
 * digits, value at most max. */
bool imap_parser_parse_number(const char *s, size_t len, uint64_t max,
                              uint64_t *n_r);

#endif
