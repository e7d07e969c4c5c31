/* sieve_parse.c -- the bounded Sieve lexer and parser (RFC 5228 section 8):
 * source text -> a tree of generic nodes, then sieve_check() (sieve_check.c)
 * gives every node its meaning.  See sieve.h for the bounds.
 *
 * The lexer reads white space, "#" comments to the end of the line,
 * bracketed comments, identifiers, tags, numbers with K/M/G, quoted
 * strings (only \" and \\ are escapes; a backslash before any other
 * character is dropped, RFC 5228 2.4.2) and multi-line "text:" strings
 * (a line starting ".." loses one dot; lines end in CRLF in the string,
 * bare LF is accepted in the script).  Every error names the
 * line where it was found.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/sieve/sieve.h"
#include "imap/sieve/sieve_private.h"
#include "imap/sieve/sieve_check.h"

enum tok {
    TK_EOF, TK_IDENT, TK_TAG, TK_NUMBER, TK_STRING,
    TK_LBRACKET, TK_RBRACKET, TK_LPAREN, TK_RPAREN, TK_LBRACE, TK_RBRACE,
    TK_COMMA, TK_SEMI, TK_ERROR
};

struct parser {
    const char *p, *end;
    int line;
    const struct sieve_limits *lim;
    struct buf *err;
    int failed;                 /* ERR_BADFORMAT or ERR_TOOBIG once set */
    unsigned ncommands;
    /* the current token */
    enum tok tok;
    int tok_line;
    struct buf text;            /* identifier, tag (no ':'), string */
    uint64_t num;
};

void sieve_verror(int *failed, struct buf *err, int code, int line,
                  const char *fmt, va_list ap)
{
    if (*failed)
        return;
    *failed = code;
    buf_reset(err);
    buf_printf(err, "line %d: ", line);
    buf_vprintf(err, fmt, ap);
}

static void perr(struct parser *ps, int code, int line, const char *fmt, ...)
    CHAPAR_FORMAT(4, 5);
static void perr(struct parser *ps, int code, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sieve_verror(&ps->failed, ps->err, code, line, fmt, ap);
    va_end(ap);
}

/* ---- the lexer ---------------------------------------------------------- */

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Skip white space and comments; 0 on an unterminated comment. */
static int skip_space(struct parser *ps)
{
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == '\n') {
            ps->line++;
            ps->p++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ps->p++;
        } else if (c == '#') {
            while (ps->p < ps->end && *ps->p != '\n')
                ps->p++;
        } else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '*') {
            int start = ps->line;
            ps->p += 2;
            for (;;) {
                if (ps->p + 1 >= ps->end) {
                    perr(ps, ERR_BADFORMAT, start, "unterminated comment");
                    return 0;
                }
                if (ps->p[0] == '*' && ps->p[1] == '/')
                    break;
                if (*ps->p == '\n')
                    ps->line++;
                ps->p++;
            }
            ps->p += 2;
        } else {
            break;
        }
    }
    return 1;
}

static int string_fits(struct parser *ps)
{
    if (ps->text.len <= ps->lim->max_string)
        return 1;
    perr(ps, ERR_TOOBIG, ps->tok_line, "string longer than %zu bytes",
         ps->lim->max_string);
    return 0;
}

static enum tok lex_quoted(struct parser *ps)
{
    ps->p++;
    for (;;) {
        if (ps->p >= ps->end) {
            perr(ps, ERR_BADFORMAT, ps->tok_line, "unterminated string");
            return TK_ERROR;
        }
        char c = *ps->p++;
        if (c == '"')
            break;
        if (c == '\\') {
            if (ps->p >= ps->end)
                continue;
            c = *ps->p++;
        }
        if (c == '\n')
            ps->line++;
        buf_putc(&ps->text, c);
        if (!string_fits(ps))
            return TK_ERROR;
    }
    return TK_STRING;
}

/* After "text:": optional white space and a comment, a line end, then
 * lines up to one that is a lone "." (".." at a line start is "."). */
static enum tok lex_multiline(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
    if (ps->p < ps->end && *ps->p == '#')
        while (ps->p < ps->end && *ps->p != '\n')
            ps->p++;
    if (ps->p < ps->end && *ps->p == '\r')
        ps->p++;
    if (ps->p >= ps->end || *ps->p != '\n') {
        perr(ps, ERR_BADFORMAT, ps->line, "text: must end its line");
        return TK_ERROR;
    }
    ps->p++;
    ps->line++;
    for (;;) {
        const char *eol = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
        size_t n;
        if (!eol) {
            perr(ps, ERR_BADFORMAT, ps->tok_line,
                 "multi-line string without its closing \".\" line");
            return TK_ERROR;
        }
        n = (size_t)(eol - ps->p);
        if (n && ps->p[n - 1] == '\r')
            n--;
        if (n == 1 && ps->p[0] == '.') {
            ps->p = eol + 1;
            ps->line++;
            return TK_STRING;
        }
        if (n >= 2 && ps->p[0] == '.' && ps->p[1] == '.')
            buf_appendmap(&ps->text, ps->p + 1, n - 1);
        else
            buf_appendmap(&ps->text, ps->p, n);
        buf_appendcstr(&ps->text, "\r\n");
        ps->p = eol + 1;
        ps->line++;
        if (!string_fits(ps))
            return TK_ERROR;
    }
}

static enum tok lex_number(struct parser *ps)
{
    uint64_t v = 0;

    while (ps->p < ps->end && is_digit(*ps->p)) {
        if (v > (UINT64_MAX - 9) / 10) {
            perr(ps, ERR_BADFORMAT, ps->tok_line, "number too large");
            return TK_ERROR;
        }
        v = v * 10 + (uint64_t)(*ps->p++ - '0');
    }
    if (ps->p < ps->end) {
        int shift = 0;
        switch (*ps->p) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        }
        if (shift) {
            ps->p++;
            if (v > (UINT64_MAX >> shift)) {
                perr(ps, ERR_BADFORMAT, ps->tok_line, "number too large");
                return TK_ERROR;
            }
            v <<= shift;
        }
    }
    if (ps->p < ps->end && (is_alpha(*ps->p) || is_digit(*ps->p))) {
        perr(ps, ERR_BADFORMAT, ps->tok_line, "invalid number");
        return TK_ERROR;
    }
    ps->num = v;
    return TK_NUMBER;
}

static enum tok lex(struct parser *ps)
{
    static const char punct[] = "[](){},;";
    static const enum tok ptok[] = {
        TK_LBRACKET, TK_RBRACKET, TK_LPAREN, TK_RPAREN, TK_LBRACE,
        TK_RBRACE, TK_COMMA, TK_SEMI
    };
    const char *q;

    buf_reset(&ps->text);
    if (!skip_space(ps))
        return ps->tok = TK_ERROR;
    ps->tok_line = ps->line;
    if (ps->p >= ps->end)
        return ps->tok = TK_EOF;
    if (*ps->p == '"')
        return ps->tok = lex_quoted(ps);
    if (is_digit(*ps->p))
        return ps->tok = lex_number(ps);
    if ((q = strchr(punct, *ps->p)) && *ps->p) {
        ps->p++;
        return ps->tok = ptok[q - punct];
    }
    if (*ps->p == ':' || is_alpha(*ps->p)) {
        int tag = *ps->p == ':';
        if (tag)
            ps->p++;
        if (ps->p >= ps->end || !is_alpha(*ps->p)) {
            perr(ps, ERR_BADFORMAT, ps->tok_line, "\":\" without a tag name");
            return ps->tok = TK_ERROR;
        }
        while (ps->p < ps->end && (is_alpha(*ps->p) || is_digit(*ps->p))) {
            char c = *ps->p++;
            buf_putc(&ps->text, c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
            if (ps->text.len > 64) {
                perr(ps, ERR_BADFORMAT, ps->tok_line, "identifier too long");
                return ps->tok = TK_ERROR;
            }
        }
        if (!tag && ps->text.len == 4 && !memcmp(ps->text.s, "text", 4) &&
            ps->p < ps->end && *ps->p == ':') {
            ps->p++;
            buf_reset(&ps->text);
            return ps->tok = lex_multiline(ps);
        }
        return ps->tok = tag ? TK_TAG : TK_IDENT;
    }
    if ((unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x7f)
        perr(ps, ERR_BADFORMAT, ps->tok_line, "unexpected character '%c'",
             *ps->p);
    else
        perr(ps, ERR_BADFORMAT, ps->tok_line,
             "unexpected byte 0x%02x", (unsigned char)*ps->p);
    return ps->tok = TK_ERROR;
}

/* ---- the generic grammar ------------------------------------------------ */

static int parse_test(struct parser *ps, struct sieve_node *n, unsigned depth);

static const char *tok_name(enum tok t)
{
    switch (t) {
    case TK_EOF: return "end of script";
    case TK_IDENT: return "identifier";
    case TK_TAG: return "tag";
    case TK_NUMBER: return "number";
    case TK_STRING: return "string";
    case TK_LBRACKET: return "\"[\"";
    case TK_RBRACKET: return "\"]\"";
    case TK_LPAREN: return "\"(\"";
    case TK_RPAREN: return "\")\"";
    case TK_LBRACE: return "\"{\"";
    case TK_RBRACE: return "\"}\"";
    case TK_COMMA: return "\",\"";
    case TK_SEMI: return "\";\"";
    default: return "error";
    }
}

static int expected(struct parser *ps, const char *what)
{
    perr(ps, ERR_BADFORMAT, ps->tok_line, "expected %s, found %s", what,
         tok_name(ps->tok));
    return 0;
}

static int count_node(struct parser *ps, unsigned depth)
{
    if (++ps->ncommands > ps->lim->max_commands) {
        perr(ps, ERR_TOOBIG, ps->tok_line, "more than %u commands and tests",
             ps->lim->max_commands);
        return 0;
    }
    if (depth > ps->lim->max_depth) {
        perr(ps, ERR_TOOBIG, ps->tok_line, "nested deeper than %u",
             ps->lim->max_depth);
        return 0;
    }
    return 1;
}

static struct sieve_arg *add_arg(struct sieve_node *n, enum sieve_arg_kind k,
                                 int line)
{
    struct sieve_arg *a;

    n->args = xreallocarray(n->args, n->nargs + 1, sizeof(*n->args));
    a = &n->args[n->nargs++];
    memset(a, 0, sizeof(*a));
    a->kind = k;
    a->line = line;
    return a;
}

/* A string list "[" string *("," string) "]" after its "[". */
static int parse_string_list(struct parser *ps, struct sieve_arg *a)
{
    for (;;) {
        if (lex(ps) != TK_STRING)
            return expected(ps, "a string in the list");
        strarray_appendm(&a->strs, buf_release(&ps->text));
        if (lex(ps) == TK_RBRACKET)
            return 1;
        if (ps->tok != TK_COMMA)
            return expected(ps, "\",\" or \"]\"");
    }
}

/* Arguments up to (not including) the test, test list, block or ";":
 * leaves the token after them current. */
static int parse_arguments(struct parser *ps, struct sieve_node *n)
{
    for (;;) {
        struct sieve_arg *a;
        switch (ps->tok) {
        case TK_STRING:
            a = add_arg(n, SARG_STRINGS, ps->tok_line);
            strarray_appendm(&a->strs, buf_release(&ps->text));
            break;
        case TK_LBRACKET:
            a = add_arg(n, SARG_STRINGS, ps->tok_line);
            a->is_list = 1;
            if (!parse_string_list(ps, a))
                return 0;
            break;
        case TK_NUMBER:
            a = add_arg(n, SARG_NUMBER, ps->tok_line);
            a->num = ps->num;
            break;
        case TK_TAG:
            a = add_arg(n, SARG_TAG, ps->tok_line);
            strarray_appendm(&a->strs, buf_release(&ps->text));
            break;
        default:
            return ps->tok != TK_ERROR;
        }
        lex(ps);
    }
}

static struct sieve_node *add_node(struct sieve_node **arr, size_t *n)
{
    struct sieve_node *x;

    *arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
    x = &(*arr)[(*n)++];
    memset(x, 0, sizeof(*x));
    return x;
}

/* The identifier (current token) and the arguments of a command or test:
 * counted against the bounds, the token after the arguments current. */
static int parse_head(struct parser *ps, struct sieve_node *n, unsigned depth)
{
    if (!count_node(ps, depth))
        return 0;
    n->line = ps->tok_line;
    n->name = buf_release(&ps->text);
    lex(ps);
    return parse_arguments(ps, n);
}

/* identifier arguments [test / "(" test *("," test) ")"]; the identifier
 * is the current token.  Leaves the next token current. */
static int parse_test(struct parser *ps, struct sieve_node *n, unsigned depth)
{
    if (ps->tok != TK_IDENT)
        return expected(ps, "a test");
    if (!parse_head(ps, n, depth))
        return 0;
    if (ps->tok == TK_IDENT) {
        n->has_tests = 1;
        return parse_test(ps, add_node(&n->tests, &n->ntests), depth + 1);
    }
    if (ps->tok != TK_LPAREN)
        return 1;
    n->has_tests = 2;
    for (;;) {
        lex(ps);
        if (!parse_test(ps, add_node(&n->tests, &n->ntests), depth + 1))
            return 0;
        if (ps->tok == TK_RPAREN)
            break;
        if (ps->tok != TK_COMMA)
            return expected(ps, "\",\" or \")\"");
    }
    lex(ps);
    return 1;
}

static int parse_commands(struct parser *ps, struct sieve_node **arr,
                          size_t *count, unsigned depth, int in_block);

/* One command; its identifier is the current token. */
static int parse_command(struct parser *ps, struct sieve_node *n,
                         unsigned depth)
{
    if (!parse_head(ps, n, depth))
        return 0;
    if (ps->tok == TK_IDENT) {
        n->has_tests = 1;
        if (!parse_test(ps, add_node(&n->tests, &n->ntests), depth + 1))
            return 0;
    } else if (ps->tok == TK_LPAREN) {
        /* A test list belongs to a test (allof/anyof), never to a
         * command: let the check say so with the command's name. */
        return expected(ps, "\";\" or \"{\"");
    }
    if (ps->tok == TK_SEMI) {
        lex(ps);
        return 1;
    }
    if (ps->tok != TK_LBRACE)
        return expected(ps, "\";\" or \"{\"");
    n->has_block = 1;
    lex(ps);
    if (!parse_commands(ps, &n->block, &n->nblock, depth + 1, 1))
        return 0;
    lex(ps);                    /* past "}" */
    return 1;
}

/* Commands up to "}" (in a block) or the end. */
static int parse_commands(struct parser *ps, struct sieve_node **arr,
                          size_t *count, unsigned depth, int in_block)
{
    for (;;) {
        if (ps->tok == TK_RBRACE && in_block)
            return 1;
        if (ps->tok == TK_EOF && !in_block)
            return 1;
        if (ps->tok != TK_IDENT)
            return expected(ps, in_block ? "a command or \"}\""
                                         : "a command");
        if (!parse_command(ps, add_node(arr, count), depth))
            return 0;
    }
}

/* ---- the script ------------------------------------------------------- */

void sieve_node_fini(struct sieve_node *n)
{
    for (size_t i = 0; i < n->nargs; i++)
        strarray_fini(&n->args[i].strs);
    free(n->args);
    for (size_t i = 0; i < n->ntests; i++)
        sieve_node_fini(&n->tests[i]);
    free(n->tests);
    for (size_t i = 0; i < n->nblock; i++)
        sieve_node_fini(&n->block[i]);
    free(n->block);
    free(n->name);
}

void sieve_script_free(struct sieve_script **sp)
{
    struct sieve_script *s = *sp;

    if (!s)
        return;
    for (size_t i = 0; i < s->ncmds; i++)
        sieve_node_fini(&s->cmds[i]);
    free(s->cmds);
    free(s);
    *sp = NULL;
}

int sieve_compile(const char *src, size_t len, const struct sieve_limits *l,
                  struct sieve_script **s_r, struct buf *err)
{
    struct sieve_script *s = xzmalloc(sizeof(*s));
    struct parser ps;

    *s_r = NULL;
    buf_reset(err);
    memset(&ps, 0, sizeof(ps));
    s->limits = *l;
    ps.p = src;
    ps.end = src + len;
    ps.line = 1;
    ps.lim = &s->limits;
    ps.err = err;
    if (len > l->max_script) {
        perr(&ps, ERR_TOOBIG, 1, "script larger than %zu bytes",
             l->max_script);
    } else if (memchr(src, '\0', len)) {
        const char *nul = memchr(src, '\0', len);
        int line = 1;
        for (const char *q = src; q < nul; q++)
            line += *q == '\n';
        perr(&ps, ERR_BADFORMAT, line, "NUL byte in the script");
    } else {
        lex(&ps);
        if (parse_commands(&ps, &s->cmds, &s->ncmds, 0, 0) && !ps.failed)
            sieve_check(s, &ps.failed, err);
    }
    buf_free(&ps.text);
    if (ps.failed) {
        int r = ps.failed;
        sieve_script_free(&s);
        return r;
    }
    *s_r = s;
    return ERR_OK;
}
