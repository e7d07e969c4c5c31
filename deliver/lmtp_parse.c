/* lmtp_parse.c -- the pure parsing of LMTP command lines; see lmtp_parse.h. */
#include "config.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "deliver/lmtp_parse.h"

void lmtp_parse_command(const char *line, size_t *verb_len_r,
                        const char **arg_r)
{
    size_t n = strcspn(line, " ");

    *verb_len_r = n;
    *arg_r = line[n] ? line + n + 1 : "";
}

int lmtp_parse_path(const char *arg, const char *keyword, char **addr_r,
                    const char **rest_r)
{
    size_t klen = strlen(keyword);
    const char *p, *start;
    int quoted = 0;

    if (strncasecmp(arg, keyword, klen))
        return 0;
    p = arg + klen;
    while (*p == ' ')
        p++;
    if (*p++ != '<')
        return 0;
    start = p;
    for (; *p && (quoted || *p != '>'); p++) {
        if (*p == '\\' && quoted && p[1])
            p++;
        else if (*p == '"')
            quoted = !quoted;
    }
    if (*p != '>')
        return 0;
    /* A source route "@a,@b:" is obsolete; the mailbox follows the ':'. */
    if (*start == '@') {
        const char *colon = memchr(start, ':', (size_t)(p - start));
        if (!colon)
            return 0;
        start = colon + 1;
    }
    *addr_r = xstrndup(start, (size_t)(p - start));
    for (p++; *p == ' '; p++)
        ;
    *rest_r = p;
    return 1;
}

char *lmtp_unquote(const char *addr)
{
    struct buf out = BUF_INITIALIZER;
    int quoted = 0;

    for (const char *p = addr; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\\' && quoted && p[1])
            buf_putc(&out, *++p);
        else
            buf_putc(&out, *p);
    }
    buf_cstring(&out);
    return buf_release(&out);
}

enum lmtp_mail_param lmtp_parse_mail_params(const char *params,
                                            size_t maxsize)
{
    struct strarray *words = strarray_split(params, " ");
    enum lmtp_mail_param r = LMTP_PARAM_OK;

    for (size_t i = 0; r == LMTP_PARAM_OK && i < words->count; i++) {
        const char *w = words->data[i];
        long long size;
        if (!strncasecmp(w, "SIZE=", 5)) {
            if (util_parse_long(w + 5, 0, LLONG_MAX, &size))
                r = LMTP_PARAM_BAD_SIZE;
            else if ((unsigned long long)size > maxsize)
                r = LMTP_PARAM_TOO_BIG;
        } else if (!strncasecmp(w, "BODY=", 5)) {
            if (strcasecmp(w + 5, "7BIT") && strcasecmp(w + 5, "8BITMIME"))
                r = LMTP_PARAM_BAD_BODY;
        } else {
            r = LMTP_PARAM_UNSUPPORTED;
        }
    }
    strarray_free(&words);
    return r;
}
