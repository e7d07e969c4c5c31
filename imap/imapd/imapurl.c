/* imapurl.c -- RFC 5092 message URLs; see imapurl.h. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapurl.h"
#include "imap/mailstore/mboxname.h"

/* The value of a hex digit, or -1. */
static int hexval(char c)
{
    static const char digits[] = "0123456789abcdef";
    const char *d = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

    return d ? (int)(d - digits) : -1;
}

/* [s, end) percent-decoded into a fresh string; NULL for a bad escape,
 * an encoded NUL or an empty result. */
static char *decode(const char *s, const char *end)
{
    struct buf b = BUF_INITIALIZER;

    for (; s < end; s++) {
        if (*s != '%') {
            buf_putc(&b, *s);
            continue;
        }
        if (end - s < 3 || hexval(s[1]) < 0 || hexval(s[2]) < 0 ||
            (s[1] == '0' && s[2] == '0'))
            goto bad;
        buf_putc(&b, (char)(hexval(s[1]) * 16 + hexval(s[2])));
        s += 2;
    }
    if (!b.len)
        goto bad;
    return buf_release(&b);
bad:
    buf_free(&b);
    return NULL;
}

/* ";KEY=" (any case) at *p: 1 and *p moved past it. */
static int key(const char **p, const char *word)
{
    size_t n = strlen(word);

    if (strncasecmp(*p, word, n))
        return 0;
    *p += n;
    return 1;
}

/* A number up to the next '/', '.' or the end, within [min, UINT32_MAX]. */
static int number(const char **p, uint32_t min, uint32_t *n_r)
{
    size_t n = strcspn(*p, "/.");
    uint64_t v;

    if (!imap_parser_parse_number(*p, n, UINT32_MAX, &v) || v < min)
        return 0;
    *n_r = (uint32_t)v;
    *p += n;
    return 1;
}

/* The server part of "imap://[user[;AUTH=x]@]host[:port]" at *p, up to
 * the "/" that starts the path. */
static int parse_server(const char **p, struct imapurl *u)
{
    const char *s = *p, *slash = strchr(s, '/'), *at, *semi, *colon;

    if (!slash)
        return ERR_BADARG;
    at = memchr(s, '@', (size_t)(slash - s));
    if (at) {
        semi = memchr(s, ';', (size_t)(at - s));
        if (!(u->user = decode(s, semi ? semi : at)))
            return ERR_BADARG;
        s = at + 1;
    }
    colon = memchr(s, ':', (size_t)(slash - s));
    if (!(u->host = decode(s, colon ? colon : slash)))
        return ERR_BADARG;
    *p = slash;
    return ERR_OK;
}

/* "mailbox[;UIDVALIDITY=n]" at *p, up to "/;UID=". */
static int parse_mailbox(const char **p, struct imapurl *u)
{
    const char *s = *p, *semi = strchr(s, ';');
    const char *end = semi;
    struct buf mutf7 = BUF_INITIALIZER;
    char *utf8;

    if (!semi || semi == s)
        return ERR_BADARG;
    if (end[-1] == '/')
        end--;
    if (end == s || !(utf8 = decode(s, end)))
        return ERR_BADARG;
    if (mboxname_utf8_to_mutf7(utf8, &mutf7)) {
        free(utf8);
        buf_free(&mutf7);
        return ERR_BADARG;
    }
    free(utf8);
    u->mailbox = buf_release(&mutf7);
    s = semi;
    if (key(&s, ";UIDVALIDITY=")) {
        if (!number(&s, 1, &u->uidvalidity) || *s != '/')
            return ERR_BADARG;
        s++;
    } else if (end == semi) {
        return ERR_BADARG;      /* "mailbox;UID=" without the "/" */
    }
    *p = s;
    return ERR_OK;
}

int imapurl_parse(const char *s, struct imapurl *u)
{
    const char *p = s;

    memset(u, 0, sizeof(*u));
    u->partial_count = UINT32_MAX;
    if (!strncasecmp(p, "imap://", 7)) {
        p += 7;
        if (parse_server(&p, u))
            return ERR_BADARG;
    }
    if (*p == '/')
        p++;
    if (*p != ';' && parse_mailbox(&p, u))
        return ERR_BADARG;
    if (!key(&p, ";UID=") || !number(&p, 1, &u->uid))
        return ERR_BADARG;
    if (key(&p, "/;SECTION=")) {
        const char *end = p + strcspn(p, "/");
        if (!(u->section = decode(p, end)))
            return ERR_BADARG;
        p = end;
    }
    if (key(&p, "/;PARTIAL=")) {
        u->partial = 1;
        if (!number(&p, 0, &u->partial_origin))
            return ERR_BADARG;
        if (*p == '.' && (p++, !number(&p, 1, &u->partial_count)))
            return ERR_BADARG;
    }
    return *p ? ERR_BADARG : ERR_OK;
}

void imapurl_fini(struct imapurl *u)
{
    free(u->user);
    free(u->host);
    free(u->mailbox);
    free(u->section);
    memset(u, 0, sizeof(*u));
}
