/* chaparadm_imap.c -- the IMAP protocol side of chaparadm: reading
 * responses (with literals), writing commands, tokens, capabilities.
 * Connecting and authenticating are in chaparadm_conn.c. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/error.h"
#include "lib/xmalloc.h"
#include "tools/chaparadm_imap.h"
#include "tools/chaparadm_private.h"

/* The longest literal we accept in a response. */
#define MAX_LITERAL (64u * 1024 * 1024)

/* If line ends with "{n}" or "{n+}", return n (>= 0), else -1. */
static long literal_size(const struct buf *line)
{
    size_t i = line->len;
    unsigned long long n = 0, mul = 1;

    if (i < 3 || line->s[i - 1] != '}')
        return -1;
    i--;
    if (line->s[i - 1] == '+')
        i--;
    if (i == 0 || !isdigit((unsigned char)line->s[i - 1]))
        return -1;
    while (i > 0 && isdigit((unsigned char)line->s[i - 1])) {
        n += (unsigned long long)(line->s[i - 1] - '0') * mul;
        if (n > MAX_LITERAL || mul > MAX_LITERAL)
            return -2;
        mul *= 10;
        i--;
    }
    if (i == 0 || line->s[i - 1] != '{')
        return -1;
    return (long)n;
}

int imapc_read_response(struct imapc *c, struct buf *resp)
{
    struct buf line = BUF_INITIALIZER;
    long n;
    int r;

    buf_reset(resp);
    for (;;) {
        if ((r = prot_readline(c->p, &line)))
            break;
        buf_appendbuf(resp, &line);
        n = literal_size(&line);
        if (n == -1)
            break;
        if (n < -1) {
            r = ERR_TOOBIG;
            break;
        }
        buf_appendcstr(resp, "\r\n");
        if ((r = prot_read_exact(c->p, (size_t)n, resp)))
            break;
    }
    buf_free(&line);
    buf_cstring(resp);
    return r;
}

int imapc_has_cap(const struct imapc *c, const char *cap)
{
    return strarray_find_case(&c->caps, cap) >= 0;
}

void imapc_set_caps(struct imapc *c, const char *p, const char *end)
{
    struct buf tok = BUF_INITIALIZER;
    enum imapc_tok t;

    strarray_fini(&c->caps);
    while ((t = imapc_token(&p, end, &tok)) == IMAPC_T_ATOM) {
        size_t n = tok.len;
        if (n && tok.s[n - 1] == ']')       /* from a response code */
            buf_truncate(&tok, n - 1);
        buf_toupper(&tok);
        if (tok.len)
            strarray_append(&c->caps, buf_cstring(&tok));
    }
    buf_free(&tok);
}

/* "[CAPABILITY a b c]" at the start of a response text. */
void imapc_caps_from_text(struct imapc *c, const char *text)
{
    const char *end;

    if (strncasecmp(text, "[CAPABILITY ", 12))
        return;
    text += 12;
    if (!(end = strchr(text, ']')))
        return;
    imapc_set_caps(c, text, end);
}

void imapc_begin(struct imapc *c, const char *command)
{
    prot_printf(c->p, "A%u %s", ++c->tagn, command);
}

void imapc_atom(struct imapc *c, const char *atom)
{
    prot_printf(c->p, " %s", atom);
}

/* Quoting is enough for printable ASCII without CR/LF. */
static int quotable(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch >= 0x7f)
            return 0;
    }
    return 1;
}

int imapc_string(struct imapc *c, const char *s)
{
    struct buf resp = BUF_INITIALIZER;
    size_t n = strlen(s);
    int r = 0;

    if (quotable(s)) {
        prot_puts(c->p, " \"");
        for (; *s; s++) {
            if (*s == '"' || *s == '\\')
                prot_putc(c->p, '\\');
            prot_putc(c->p, *s);
        }
        prot_putc(c->p, '"');
        return 0;
    }
    if (imapc_has_cap(c, "LITERAL+")) {
        prot_printf(c->p, " {%zu+}\r\n", n);
        prot_write(c->p, s, n);
        return 0;
    }
    prot_printf(c->p, " {%zu}\r\n", n);
    prot_flush(c->p);
    while (!(r = imapc_read_response(c, &resp)) &&
           !strncmp(resp.s, "* ", 2))
        ;                                   /* untagged while we wait */
    if (r || resp.s[0] != '+') {
        buf_free(&resp);
        return -1;
    }
    prot_write(c->p, s, n);
    buf_free(&resp);
    return 0;
}

/* Split "A12 OK text" into status and text; 1 if it is our tag. */
static int tagged(struct imapc *c, const char *line, enum imapc_status *st,
                  struct buf *text)
{
    char tag[32];
    const char *sp;

    snprintf(tag, sizeof(tag), "A%u ", c->tagn);
    if (strncmp(line, tag, strlen(tag)))
        return 0;
    line += strlen(tag);
    if (!strncasecmp(line, "OK", 2))
        *st = IMAPC_OK;
    else if (!strncasecmp(line, "NO", 2))
        *st = IMAPC_NO;
    else
        *st = IMAPC_BAD;
    sp = strchr(line, ' ');
    if (text)
        buf_setcstr(text, sp ? sp + 1 : "");
    return 1;
}

enum imapc_status imapc_run(struct imapc *c, imapc_untagged_fn *fn,
                            void *rock, struct buf *text)
{
    struct buf resp = BUF_INITIALIZER;
    enum imapc_status st = IMAPC_FAIL;
    int r;

    prot_puts(c->p, "\r\n");
    if (prot_flush(c->p)) {
        if (text)
            buf_setcstr(text, "connection to the server lost");
        return IMAPC_FAIL;
    }
    for (;;) {
        if ((r = imapc_read_response(c, &resp))) {
            if (text) {
                buf_reset(text);
                buf_printf(text, "connection to the server lost (%s)",
                           error_string(r));
            }
            break;
        }
        if (!strncmp(resp.s, "* ", 2)) {
            if (!strncasecmp(resp.s + 2, "CAPABILITY ", 11))
                imapc_set_caps(c, resp.s + 13, resp.s + resp.len);
            if (fn)
                fn(resp.s + 2, resp.len - 2, rock);
            continue;
        }
        if (tagged(c, resp.s, &st, text))
            break;
    }
    buf_free(&resp);
    return st;
}

/* A quoted string starting after the opening quote. */
static enum imapc_tok quoted(const char **pp, const char *end,
                             struct buf *out)
{
    const char *p = *pp;

    while (p < end && *p != '"') {
        if (*p == '\\' && p + 1 < end)
            p++;
        buf_putc(out, *p++);
    }
    if (p >= end)
        return IMAPC_T_ERROR;
    *pp = p + 1;
    return IMAPC_T_STRING;
}

/* A literal starting after the '{'. */
static enum imapc_tok literal(const char **pp, const char *end,
                              struct buf *out)
{
    char *e;
    unsigned long n = strtoul(*pp, &e, 10);

    if (e < end && *e == '+')
        e++;
    if (e + 3 > end || strncmp(e, "}\r\n", 3))
        return IMAPC_T_ERROR;
    e += 3;
    if ((size_t)(end - e) < n)
        return IMAPC_T_ERROR;
    buf_appendmap(out, e, n);
    *pp = e + n;
    return IMAPC_T_STRING;
}

enum imapc_tok imapc_token(const char **pp, const char *end, struct buf *out)
{
    const char *p = *pp;

    buf_reset(out);
    while (p < end && *p == ' ')
        p++;
    *pp = p;
    if (p >= end)
        return IMAPC_T_END;
    *pp = p + 1;
    if (*p == '(')
        return IMAPC_T_OPEN;
    if (*p == ')')
        return IMAPC_T_CLOSE;
    if (*p == '"')
        return quoted(pp, end, out);
    if (*p == '{')
        return literal(pp, end, out);
    while (p < end && *p != ' ' && *p != '(' && *p != ')')
        buf_putc(out, *p++);
    *pp = p;
    buf_cstring(out);
    return IMAPC_T_ATOM;
}
