/* imap_parser.c -- the bounded IMAP command parser (see imap_parser.h).
 *
 * A command is read one line at a time, byte by byte from the prot, so
 * nothing after the command is ever consumed.  Each line is lexed whole
 * before the next is read; a command can only pause after a literal
 * announcement, which always ends a line.  The tree is built in a stack of
 * frames, one per open list; closing a list hands its array to the LIST
 * argument in the frame below.  After an error the rest of the command is
 * consumed by looking only at how each line ends ("{n+}" means n bytes and
 * another line follow): that is all the client's own framing tells us, and
 * it is why a dropped line keeps its last bytes (tail).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/xmalloc.h"
#include "imap/imapd/imap_parser.h"

/* Bytes at the end of a dropped line kept to see whether it announced a
 * literal: "~{18446744073709551615+}" is 24. */
#define TAIL_KEEP 32

struct frame {
    struct imap_arg *args;
    size_t count, alloc;
    size_t parent_index;        /* its LIST argument in the frame below */
};

/* What the lexer expects next: a separator after a complete argument, an
 * argument after SP, or an argument or ")" after "(". */
enum lex_state { LEX_SEP, LEX_ARG, LEX_OPEN };

/* How far a step got. */
enum step {
    STEP_OK,            /* go on lexing the current line */
    STEP_END,           /* the command is complete */
    STEP_LITERAL,       /* the line ended in a literal announcement */
    STEP_NEED_CONT,     /* ... a synchronizing one the caller must accept */
    STEP_BAD,           /* p->error set; the rest must be skipped */
    STEP_FATAL          /* p->error set, p->fatal */
};

struct imap_parser {
    struct prot *prot;
    struct imap_parser_limits lim;

    struct buf line;            /* the current line, CR LF removed */
    size_t pos;                 /* lexing position in line */
    bool overflow;              /* the line was longer than its room */
    char tail[2 * TAIL_KEEP];   /* then: its last bytes (a sliding window) */
    size_t tail_len;

    /* the command being read */
    char *tag, *name;
    struct frame *frames;       /* frames[0] is the top level */
    size_t depth, frames_alloc; /* depth = lists open */
    enum lex_state state;
    size_t text_used;           /* command text so far (max_line) */
    size_t nargs;               /* arguments so far, all levels */
    uint64_t literal_total;
    struct imap_arg *lit_arg;   /* announced literal, data not yet read */
    uint64_t lit_size;
    bool lit_nonsync;
    bool waiting;               /* NEED_CONTINUATION was returned */

    enum imap_parser_error error;
    const char *reason;
    bool fatal;
};

/* ---- small helpers ------------------------------------------------------ */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static char ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* s[0..len) equals word, ignoring ASCII case. */
static bool ascii_equal(const char *s, size_t len, const char *word)
{
    if (strlen(word) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (ascii_upper(s[i]) != ascii_upper(word[i]))
            return false;
    return true;
}

/* Our atom: any CHAR but SP, CTL, ( ) { and ".  ] % * \ are in. */
static bool is_atom_char(char ch)
{
    unsigned char c = (unsigned char)ch;
    return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
           c != '"';
}

/* tag = 1*<any ASTRING-CHAR except "+">: no list-wildcards, no "\". */
static bool is_tag_char(char c)
{
    return is_atom_char(c) && c != '%' && c != '*' && c != '\\' && c != '+';
}

static char *dup_bytes(const char *s, size_t n)
{
    char *d = xmalloc(xmalloc_add(n, 1));
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void args_free(struct imap_arg *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(args[i].str);
        if (args[i].type == IMAP_ARG_LIST)
            args_free(args[i].list, args[i].count);
    }
    free(args);
}

/* ---- errors ------------------------------------------------------------- */

static enum step bad(struct imap_parser *p, enum imap_parser_error e,
                     const char *reason)
{
    p->error = e;
    p->reason = reason;
    return STEP_BAD;
}

static enum step syntax(struct imap_parser *p, const char *reason)
{
    return bad(p, IMAP_PARSER_ERR_SYNTAX, reason);
}

static enum step too_many(struct imap_parser *p)
{
    return bad(p, IMAP_PARSER_ERR_TOO_MANY_ARGS, "Too many arguments");
}

/* A read failed: the stream position is lost for good. */
static enum step io_fatal(struct imap_parser *p, int r)
{
    p->fatal = true;
    p->error = r == ERR_EOF       ? IMAP_PARSER_ERR_EOF
               : r == ERR_TIMEOUT ? IMAP_PARSER_ERR_TIMEOUT
                                  : IMAP_PARSER_ERR_IO;
    p->reason = r == ERR_EOF       ? "Connection closed"
                : r == ERR_TIMEOUT ? "Timed out waiting for input"
                                   : "Input error";
    return STEP_FATAL;
}

/* ---- lines -------------------------------------------------------------- */

static void tail_push(struct imap_parser *p, char c)
{
    if (p->tail_len == sizeof(p->tail)) {
        memmove(p->tail, p->tail + TAIL_KEEP, TAIL_KEEP);
        p->tail_len = TAIL_KEEP;
    }
    p->tail[p->tail_len++] = c;
}

/* The line turned out longer than its room: keep the end of what is
 * stored as the start of the tail. */
static void tail_start(struct imap_parser *p)
{
    size_t keep = p->line.len < TAIL_KEEP ? p->line.len : TAIL_KEEP;

    p->overflow = true;
    p->tail_len = 0;
    for (size_t i = p->line.len - keep; i < p->line.len; i++)
        tail_push(p, p->line.s[i]);
}

/* Read one line up to its LF, storing at most `room` bytes of it in
 * p->line (without CR LF).  If it was longer, p->overflow is set, p->line
 * holds its first `room` bytes and p->tail its last ones.  STEP_OK or
 * STEP_FATAL. */
static enum step read_line(struct imap_parser *p, size_t room)
{
    buf_reset(&p->line);
    p->pos = 0;
    p->overflow = false;
    p->tail_len = 0;
    for (;;) {
        char c;
        size_t n;
        int r = prot_read(p->prot, &c, 1, &n);

        if (r)
            return io_fatal(p, r);
        if (c == '\n')
            break;
        if (p->overflow) {
            tail_push(p, c);
        } else if (p->line.len <= room) {
            /* room + 1 bytes: the last may be the CR of the line end */
            buf_putc(&p->line, c);
        } else {
            tail_start(p);
            tail_push(p, c);
        }
    }
    if (p->overflow) {
        if (p->tail_len && p->tail[p->tail_len - 1] == '\r')
            p->tail_len--;
    } else if (p->line.len && p->line.s[p->line.len - 1] == '\r') {
        p->line.len--;
    }
    if (!p->overflow && p->line.len > room)
        tail_start(p);
    if (p->overflow)
        buf_truncate(&p->line, room);
    return STEP_OK;
}

/* Does the line just read end in a literal announcement, "{n}" or
 * "{n+}" (with or without "~")?  A size too large for 64 bits is
 * reported as UINT64_MAX. */
static bool line_ends_in_literal(const struct imap_parser *p, uint64_t *n_r,
                                 bool *nonsync_r)
{
    const char *s = p->overflow ? p->tail : p->line.s;
    size_t i = p->overflow ? p->tail_len : p->line.len, end;

    if (i == 0 || s[i - 1] != '}')
        return false;
    i--;
    *nonsync_r = i > 0 && s[i - 1] == '+';
    if (*nonsync_r)
        i--;
    end = i;
    while (i > 0 && is_digit(s[i - 1]))
        i--;
    if (i == end || i == 0 || s[i - 1] != '{')
        return false;
    if (!imap_parser_parse_number(s + i, end - i, UINT64_MAX, n_r))
        *n_r = UINT64_MAX;
    return true;
}

/* ---- the argument tree -------------------------------------------------- */

/* A new argument in the innermost open list, or NULL past max_args. */
static struct imap_arg *new_arg(struct imap_parser *p, enum imap_arg_type t)
{
    struct frame *f = &p->frames[p->depth];
    struct imap_arg *a;

    if (p->nargs >= p->lim.max_args)
        return NULL;
    if (f->count == f->alloc) {
        /* doubling, but never past max_args: count < max_args here */
        size_t alloc = f->alloc ? f->alloc * 2 : 4;
        if (alloc > p->lim.max_args)
            alloc = p->lim.max_args;
        f->args = xreallocarray(f->args, alloc, sizeof(*f->args));
        f->alloc = alloc;
    }
    a = &f->args[f->count++];
    memset(a, 0, sizeof(*a));
    a->type = t;
    p->nargs++;
    return a;
}

/* The array of a finished level, trimmed to size (NULL when empty). */
static struct imap_arg *frame_take(struct frame *f, size_t *count_r)
{
    struct imap_arg *args = f->args;

    *count_r = f->count;
    if (f->count == 0) {
        free(args);
        args = NULL;
    } else if (f->count < f->alloc) {
        args = xreallocarray(args, f->count, sizeof(*args));
    }
    f->args = NULL;
    f->count = f->alloc = 0;
    return args;
}

static enum step open_list(struct imap_parser *p)
{
    if (p->depth >= p->lim.max_depth)
        return bad(p, IMAP_PARSER_ERR_TOO_DEEP, "Nesting too deep");
    if (!new_arg(p, IMAP_ARG_LIST))
        return too_many(p);
    if (p->depth + 1 == p->frames_alloc) {
        p->frames = xreallocarray(p->frames, p->frames_alloc * 2,
                                  sizeof(*p->frames));
        memset(p->frames + p->frames_alloc, 0,
               p->frames_alloc * sizeof(*p->frames));
        p->frames_alloc *= 2;
    }
    p->depth++;
    p->frames[p->depth].parent_index = p->frames[p->depth - 1].count - 1;
    p->pos++;
    p->state = LEX_OPEN;
    return STEP_OK;
}

static enum step close_list(struct imap_parser *p)
{
    struct frame *f, *parent;
    struct imap_arg *list;

    if (p->depth == 0)
        return syntax(p, "Unexpected ')'");
    f = &p->frames[p->depth];
    parent = &p->frames[--p->depth];
    list = &parent->args[f->parent_index];
    list->list = frame_take(f, &list->count);
    p->pos++;
    p->state = LEX_SEP;
    return STEP_OK;
}

/* Free the arguments read so far (the tag and name stay for the BAD). */
static void drop_args(struct imap_parser *p)
{
    for (size_t d = 0; d <= p->depth; d++) {
        args_free(p->frames[d].args, p->frames[d].count);
        p->frames[d].args = NULL;
        p->frames[d].count = p->frames[d].alloc = 0;
    }
    p->depth = 0;
    p->nargs = 0;
    p->literal_total = 0;
    p->lit_arg = NULL;
    p->waiting = false;
}

static void command_clear(struct imap_parser *p)
{
    drop_args(p);
    XFREE(p->tag);
    XFREE(p->name);
    p->state = LEX_SEP;
    p->text_used = 0;
    p->error = IMAP_PARSER_ERR_NONE;
    p->reason = "";
}

/* ---- lexing one line ---------------------------------------------------- */

/* Scan the quoted string at s[start] == '"': *end_r is the index after the
 * closing quote, *len_r its unescaped length.  NULL, or the BAD reason. */
static const char *quoted_scan(const char *s, size_t len, size_t start,
                               size_t *end_r, size_t *len_r)
{
    size_t i = start + 1, n = 0;

    for (;;) {
        char c;

        if (i == len)
            return "Unterminated quoted string";
        c = s[i++];
        if (c == '"')
            break;
        if (c == '\\') {
            if (i == len)
                return "Unterminated quoted string";
            c = s[i++];
            if (c != '"' && c != '\\')
                return "Invalid escape in quoted string";
        } else if (c == '\0' || c == '\r' || c == '\n') {
            return "Invalid character in quoted string";
        }
        n++;
    }
    *end_r = i;
    *len_r = n;
    return NULL;
}

static enum step lex_quoted(struct imap_parser *p)
{
    const char *s = p->line.s, *why;
    size_t end, n, k = 0;
    struct imap_arg *a;

    if ((why = quoted_scan(s, p->line.len, p->pos, &end, &n)))
        return syntax(p, why);
    if (!(a = new_arg(p, IMAP_ARG_QUOTED)))
        return too_many(p);
    a->str = xmalloc(xmalloc_add(n, 1));
    for (size_t i = p->pos + 1; i < end - 1; i++) {
        if (s[i] == '\\')
            i++;
        a->str[k++] = s[i];
    }
    a->str[k] = '\0';
    a->len = k;
    p->pos = end;
    p->state = LEX_SEP;
    return STEP_OK;
}

/* The section of BODY[...] at s[start] == '[': spaces, one level of
 * parentheses and quoted strings allowed; *end_r is after the ']'. */
static const char *section_scan(const char *s, size_t len, size_t start,
                                size_t *end_r)
{
    size_t i = start + 1, qend, qlen;
    bool in_paren = false;
    const char *why;

    for (;;) {
        char c;

        if (i == len)
            return "Unterminated section";
        c = s[i];
        if (c == ']' && !in_paren) {
            *end_r = i + 1;
            return NULL;
        }
        if (c == '"') {
            if ((why = quoted_scan(s, len, i, &qend, &qlen)))
                return why;
            i = qend;
            continue;
        }
        if (c == '(' && !in_paren)
            in_paren = true;
        else if (c == ')' && in_paren)
            in_paren = false;
        else if (c != ' ' && (!is_atom_char(c) || c == '[' || c == ']'))
            return "Invalid character in section";
        i++;
    }
}

/* Atoms after which "[" opens a FETCH section. */
static bool section_prefix(const char *s, size_t len)
{
    static const char *const words[] = {
        "BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"
    };

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (ascii_equal(s, len, words[i]))
            return true;
    return false;
}

static enum step lex_atom(struct imap_parser *p)
{
    const char *s = p->line.s, *why;
    size_t start = p->pos, i = start;
    unsigned flags = 0;
    struct imap_arg *a;

    while (i < p->line.len && s[i] != ' ' && s[i] != ')') {
        if (s[i] == '[' && !flags && section_prefix(s + start, i - start)) {
            if ((why = section_scan(s, p->line.len, i, &i)))
                return syntax(p, why);
            flags = IMAP_ARG_F_SECTION;
            continue;
        }
        if (!is_atom_char(s[i]))
            return syntax(p, "Invalid character in atom");
        i++;
    }
    if (!(a = new_arg(p, IMAP_ARG_ATOM)))
        return too_many(p);
    if (!flags && ascii_equal(s + start, i - start, "NIL"))
        a->type = IMAP_ARG_NIL;
    a->flags = flags;
    a->str = dup_bytes(s + start, i - start);
    a->len = i - start;
    p->pos = i;
    p->state = LEX_SEP;
    return STEP_OK;
}

/* "{n}" or "{n+}" at p->pos (after a "~" for literal8), which must end
 * the line.  The size is checked by accept_literal(). */
static enum step lex_literal(struct imap_parser *p, bool literal8)
{
    const char *s = p->line.s;
    size_t len = p->line.len, i = p->pos + 1, digits = i;
    bool nonsync;
    struct imap_arg *a;

    while (i < len && is_digit(s[i]))
        i++;
    if (i == digits)
        return syntax(p, "Invalid literal");
    nonsync = i < len && s[i] == '+';
    if (nonsync)
        i++;
    if (i + 1 != len || s[i] != '}')
        return syntax(p, "Invalid literal");
    if (!(a = new_arg(p, IMAP_ARG_LITERAL)))
        return too_many(p);
    a->flags = (literal8 ? IMAP_ARG_F_LITERAL8 : 0) |
               (nonsync ? IMAP_ARG_F_NONSYNC : 0);
    if (!imap_parser_parse_number(s + digits, i - (nonsync ? 1 : 0) - digits,
                                  UINT64_MAX, &p->lit_size))
        p->lit_size = UINT64_MAX;
    p->lit_arg = a;
    p->lit_nonsync = nonsync;
    p->pos = len;
    p->state = LEX_SEP;
    return STEP_LITERAL;
}

static enum step lex_arg(struct imap_parser *p)
{
    const char *s = p->line.s;
    char c = s[p->pos];

    if (c == '(')
        return open_list(p);
    if (c == '"')
        return lex_quoted(p);
    if (c == '{')
        return lex_literal(p, false);
    if (c == '~' && p->pos + 1 < p->line.len && s[p->pos + 1] == '{') {
        p->pos++;
        return lex_literal(p, true);
    }
    return lex_atom(p);
}

static enum step end_of_line(struct imap_parser *p)
{
    if (p->state == LEX_ARG)
        return syntax(p, "Unexpected space at end of line");
    if (p->depth > 0)
        return syntax(p, "Missing ')'");
    return STEP_END;
}

/* Lex the arguments on the rest of the current line: STEP_END,
 * STEP_LITERAL or STEP_BAD. */
static enum step lex_line(struct imap_parser *p)
{
    enum step st = STEP_OK;

    while (st == STEP_OK) {
        char c;

        if (p->pos == p->line.len)
            return end_of_line(p);
        c = p->line.s[p->pos];
        if (p->state == LEX_SEP) {
            if (c == ' ') {
                p->pos++;
                p->state = LEX_ARG;
            } else if (c == ')') {
                st = close_list(p);
            } else {
                st = syntax(p, "Missing space after argument");
            }
        } else if (c == ' ') {
            st = syntax(p, "Unexpected space");
        } else if (c == ')') {
            st = p->state == LEX_OPEN ? close_list(p)
                                      : syntax(p, "Unexpected space");
        } else {
            st = lex_arg(p);
        }
    }
    return st;
}

/* The first line: tag SP name, then the arguments are lexed as usual.  A
 * too-long first line still yields its tag for the BAD answer. */
static enum step begin_command(struct imap_parser *p)
{
    const char *s;
    size_t len, taglen = 0, n = 0;

    if (read_line(p, p->lim.max_line) == STEP_FATAL)
        return STEP_FATAL;
    s = p->line.s;
    len = p->line.len;
    while (taglen < len && is_tag_char(s[taglen]))
        taglen++;
    if (taglen > 0 && (taglen == len || s[taglen] == ' '))
        p->tag = dup_bytes(s, taglen);
    if (p->overflow)
        return bad(p, IMAP_PARSER_ERR_LINE_TOO_LONG, "Line too long");
    p->text_used = len;
    if (len == 0)
        return syntax(p, "Empty command line");
    if (taglen == 0 && s[0] == ' ')
        return syntax(p, "Missing tag");
    if (!p->tag)
        return syntax(p, "Invalid character in tag");
    if (taglen + 1 >= len)
        return syntax(p, "Missing command");
    s += taglen + 1;
    len -= taglen + 1;
    while (n < len && is_atom_char(s[n]))
        n++;
    if (n == 0 && s[0] == ' ')
        return syntax(p, "Missing command");
    if (n == 0 || (n < len && s[n] != ' '))
        return syntax(p, "Invalid character in command name");
    p->name = dup_bytes(s, n);
    p->pos = taglen + 1 + n;
    p->state = LEX_SEP;
    return STEP_OK;
}

/* ---- literals ----------------------------------------------------------- */

/* Read the announced literal into its argument, then the next line. */
static enum step read_literal(struct imap_parser *p)
{
    size_t n = (size_t)p->lit_size;     /* <= max_literal, checked */
    size_t room;
    int r;
    /* Sized exactly, up front: the size was accepted, and a buffer grown
     * by doubling could take twice max_literal. */
    struct buf data = { xmalloc(xmalloc_add(n, 1)), 0, n + 1 };

    p->waiting = false;
    if ((r = prot_read_exact(p->prot, n, &data))) {
        buf_free(&data);
        return io_fatal(p, r);
    }
    p->lit_arg->len = data.len;
    p->lit_arg->str = buf_release(&data);
    p->lit_arg = NULL;
    p->literal_total += n;
    /* (max_line cannot be below text_used unless the limits were changed
     * in the middle of a command, against the contract; stay safe) */
    room = p->lim.max_line > p->text_used ? p->lim.max_line - p->text_used : 0;
    if (read_line(p, room) == STEP_FATAL)
        return STEP_FATAL;
    if (p->overflow)
        return bad(p, IMAP_PARSER_ERR_LINE_TOO_LONG, "Line too long");
    p->text_used += p->line.len;
    return STEP_OK;
}

/* A literal was announced: refuse it, ask for the continuation, or read
 * a non-synchronizing one at once. */
static enum step accept_literal(struct imap_parser *p)
{
    uint64_t room = p->lim.max_literal_total > p->literal_total
                        ? p->lim.max_literal_total - p->literal_total : 0;

    if (p->lit_nonsync && p->lim.max_nonsync &&
        p->lit_size > p->lim.max_nonsync)
        return bad(p, IMAP_PARSER_ERR_NONSYNC_TOO_BIG,
                   "Non-synchronizing literal too big");
    if (p->lit_size > p->lim.max_literal || p->lit_size > room)
        return bad(p, IMAP_PARSER_ERR_LITERAL_TOO_BIG, "Literal too big");
    if (!p->lit_nonsync) {
        p->waiting = true;
        return STEP_NEED_CONT;
    }
    return read_literal(p);
}

/* After an error: consume the rest of the command (see the header). */
static enum imap_parser_result skip_command(struct imap_parser *p)
{
    uint64_t cap = p->lim.max_discard > p->lim.max_literal
                       ? p->lim.max_discard : p->lim.max_literal;
    uint64_t n;
    bool nonsync;
    int r;

    drop_args(p);
    while (line_ends_in_literal(p, &n, &nonsync) && nonsync) {
        if (n > cap) {
            p->fatal = true;
            p->error = IMAP_PARSER_ERR_LITERAL_TOO_BIG;
            p->reason = "Literal too big";
            return IMAP_PARSER_FATAL;
        }
        if ((r = prot_skip(p->prot, (size_t)n))) {
            io_fatal(p, r);
            return IMAP_PARSER_FATAL;
        }
        if (read_line(p, 0) == STEP_FATAL)
            return IMAP_PARSER_FATAL;
    }
    return IMAP_PARSER_BAD;
}

/* ---- the parser --------------------------------------------------------- */

static void fill_limits(struct imap_parser_limits *dst,
                        const struct imap_parser_limits *src)
{
    struct imap_parser_limits l;

    memset(&l, 0, sizeof(l));
    if (src)
        l = *src;
    if (!l.max_line)
        l.max_line = IMAP_PARSER_DEFAULT_MAX_LINE;
    if (!l.max_literal)
        l.max_literal = IMAP_PARSER_DEFAULT_MAX_LITERAL;
    if (!l.max_literal_total)
        l.max_literal_total = l.max_literal;
    if (!l.max_discard)
        l.max_discard = IMAP_PARSER_DEFAULT_MAX_DISCARD;
    if (!l.max_depth)
        l.max_depth = IMAP_PARSER_DEFAULT_MAX_DEPTH;
    if (!l.max_args)
        l.max_args = IMAP_PARSER_DEFAULT_MAX_ARGS;
    *dst = l;
}

struct imap_parser *imap_parser_new(struct prot *in,
                                    const struct imap_parser_limits *limits)
{
    struct imap_parser *p = xzmalloc(sizeof(*p));

    p->prot = in;
    fill_limits(&p->lim, limits);
    buf_init(&p->line);
    p->frames_alloc = 4;
    p->frames = xcalloc(p->frames_alloc, sizeof(*p->frames));
    p->reason = "";
    return p;
}

void imap_parser_free(struct imap_parser **pp)
{
    struct imap_parser *p = pp ? *pp : NULL;

    if (!p)
        return;
    *pp = NULL;
    command_clear(p);
    free(p->frames);
    buf_free(&p->line);
    free(p);
}

void imap_parser_set_limits(struct imap_parser *p,
                            const struct imap_parser_limits *limits)
{
    fill_limits(&p->lim, limits);
}

void imap_parser_get_limits(const struct imap_parser *p,
                            struct imap_parser_limits *limits_r)
{
    *limits_r = p->lim;
}

static struct imap_parser_command *finish_command(struct imap_parser *p)
{
    struct imap_parser_command *cmd = xzmalloc(sizeof(*cmd));

    cmd->tag = p->tag;
    cmd->name = p->name;
    p->tag = p->name = NULL;
    cmd->args = frame_take(&p->frames[0], &cmd->nargs);
    command_clear(p);
    return cmd;
}

enum imap_parser_result imap_parser_read(struct imap_parser *p,
                                         struct imap_parser_command **cmd_r)
{
    enum step st;

    *cmd_r = NULL;
    if (p->fatal)
        return IMAP_PARSER_FATAL;
    if (p->waiting) {
        st = read_literal(p);
    } else {
        command_clear(p);
        st = begin_command(p);
    }
    while (st == STEP_OK) {
        st = lex_line(p);
        if (st == STEP_LITERAL)
            st = accept_literal(p);
    }
    switch (st) {
    case STEP_END:
        *cmd_r = finish_command(p);
        return IMAP_PARSER_OK;
    case STEP_NEED_CONT:
        return IMAP_PARSER_NEED_CONTINUATION;
    case STEP_BAD:
        return skip_command(p);
    default:
        return IMAP_PARSER_FATAL;
    }
}

void imap_parser_reset(struct imap_parser *p)
{
    command_clear(p);
}

const char *imap_parser_tag(const struct imap_parser *p) { return p->tag; }
const char *imap_parser_name(const struct imap_parser *p) { return p->name; }
uint64_t imap_parser_literal_size(const struct imap_parser *p)
{
    return p->waiting ? p->lit_size : 0;
}

enum imap_parser_error imap_parser_error(const struct imap_parser *p,
                                         const char **reason_r)
{
    if (reason_r)
        *reason_r = p->reason;
    return p->error;
}

/* ---- commands ----------------------------------------------------------- */

void imap_parser_command_free(struct imap_parser_command **cmdp)
{
    struct imap_parser_command *cmd = cmdp ? *cmdp : NULL;

    if (!cmd)
        return;
    *cmdp = NULL;
    free(cmd->tag);
    free(cmd->name);
    args_free(cmd->args, cmd->nargs);
    free(cmd);
}

bool imap_parser_command_is(const struct imap_parser_command *cmd,
                            const char *name)
{
    return ascii_equal(cmd->name, strlen(cmd->name), name);
}

/* ---- argument getters --------------------------------------------------- */

bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r)
{
    if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL)
        return false;
    *str_r = arg->str;
    return true;
}

bool imap_arg_atom_is(const struct imap_arg *arg, const char *word)
{
    return (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) &&
           ascii_equal(arg->str, arg->len, word);
}

bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r)
{
    if (arg->type != IMAP_ARG_QUOTED && arg->type != IMAP_ARG_LITERAL)
        return false;
    if (memchr(arg->str, '\0', arg->len))
        return false;
    *str_r = arg->str;
    return true;
}

bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r)
{
    if ((arg->type == IMAP_ARG_ATOM && !(arg->flags & IMAP_ARG_F_SECTION)) ||
        arg->type == IMAP_ARG_NIL) {
        *str_r = arg->str;
        return true;
    }
    return imap_arg_get_string(arg, str_r);
}

bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r)
{
    if (arg->type == IMAP_ARG_NIL) {
        *str_r = NULL;
        return true;
    }
    return imap_arg_get_string(arg, str_r);
}

bool imap_arg_get_literal(const struct imap_arg *arg, const char **data_r,
                          size_t *len_r)
{
    if (arg->type != IMAP_ARG_LITERAL)
        return false;
    *data_r = arg->str;
    *len_r = arg->len;
    return true;
}

bool imap_arg_get_list(const struct imap_arg *arg,
                       const struct imap_arg **list_r, size_t *count_r)
{
    if (arg->type != IMAP_ARG_LIST)
        return false;
    *list_r = arg->list;
    *count_r = arg->count;
    return true;
}

bool imap_parser_parse_number(const char *s, size_t len, uint64_t max,
                              uint64_t *n_r)
{
    uint64_t n = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint64_t d;

        if (!is_digit(s[i]))
            return false;
        d = (uint64_t)(s[i] - '0');
        if (d > max || n > (max - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *n_r = n;
    return true;
}

/* An ATOM of digits in min..max. */
static bool arg_number(const struct imap_arg *arg, uint64_t min, uint64_t max,
                       uint64_t *n_r)
{
    uint64_t n;

    if (arg->type != IMAP_ARG_ATOM ||
        !imap_parser_parse_number(arg->str, arg->len, max, &n) || n < min)
        return false;
    *n_r = n;
    return true;
}

bool imap_arg_get_number(const struct imap_arg *arg, uint32_t *n_r)
{
    uint64_t n;

    if (!arg_number(arg, 0, UINT32_MAX, &n))
        return false;
    *n_r = (uint32_t)n;
    return true;
}

bool imap_arg_get_nz_number(const struct imap_arg *arg, uint32_t *n_r)
{
    uint64_t n;

    if (!arg_number(arg, 1, UINT32_MAX, &n))
        return false;
    *n_r = (uint32_t)n;
    return true;
}

bool imap_arg_get_number64(const struct imap_arg *arg, uint64_t *n_r)
{
    return arg_number(arg, 0, INT64_MAX, n_r);
}
