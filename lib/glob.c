/* glob.c -- IMAP `*`/`%` pattern matching; see glob.h.
 *
 * The matcher keeps one backtrack position for the most recent `*` and one
 * for the most recent `%` (which may not cross a separator); that greedy
 * scheme is exact for these two wildcards and needs no recursion.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/glob.h"
#include "lib/xmalloc.h"

struct glob {
    char *pat;
    size_t literal_len;
    char sep;
    int flags;
};

struct glob *glob_new(const char *pattern, char separator, int flags)
{
    struct glob *g = xzmalloc(sizeof(*g));
    g->pat = xstrdup(pattern);
    g->sep = separator;
    g->flags = flags;
    g->literal_len = strcspn(pattern, "*%");
    /* "inbox.foo" is matched as "INBOX.foo": fold the pattern once here. */
    if ((flags & GLOB_INBOXCASE) && !strncasecmp(g->pat, "INBOX", 5) &&
        (g->pat[5] == '\0' || g->pat[5] == separator || g->pat[5] == '*' ||
         g->pat[5] == '%'))
        memcpy(g->pat, "INBOX", 5);
    return g;
}

void glob_free(struct glob **gp)
{
    if (!*gp)
        return;
    free((*gp)->pat);
    free(*gp);
    *gp = NULL;
}

const char *glob_literal_prefix(const struct glob *g, size_t *len_r)
{
    *len_r = g->literal_len;
    return g->pat;
}

/* Compare one name byte against a literal pattern byte; INBOX folding is
 * applied to the first five bytes of the name only. */
static int glob_byte_eq(const char *name, size_t i, char pc, int inbox_name)
{
    char nc = name[i];
    if (inbox_name && i < 5)
        nc = (char)toupper((unsigned char)nc);
    return nc == pc;
}

static int glob_name_is_inbox(const struct glob *g, const char *name,
                              size_t len)
{
    return (g->flags & GLOB_INBOXCASE) && len >= 5 &&
           !strncasecmp(name, "INBOX", 5) && (len == 5 || name[5] == g->sep);
}

/* Core matcher.  With partial=1, success means "the name is a prefix of
 * something that could match" (the name ran out before the pattern). */
static int glob_run(const struct glob *g, const char *name, size_t len,
                    int partial)
{
    const char *pat = g->pat;
    size_t p = 0, n = 0;
    size_t star_p = (size_t)-1, star_n = 0;
    size_t pct_p = (size_t)-1, pct_n = 0;
    int inbox = glob_name_is_inbox(g, name, len);

    while (n < len) {
        char pc = pat[p];
        if (pc == '*') {
            star_p = ++p;
            star_n = n;
            pct_p = (size_t)-1;
            continue;
        }
        if (pc == '%') {
            pct_p = ++p;
            pct_n = n;
            continue;
        }
        if (pc && glob_byte_eq(name, n, pc, inbox)) {
            p++;
            n++;
            continue;
        }
        /* Mismatch: let the latest `%` swallow one more byte if it is not
         * the separator, else fall back to the latest `*`. */
        if (pct_p != (size_t)-1 && name[pct_n] != g->sep) {
            p = pct_p;
            n = ++pct_n;
            continue;
        }
        if (star_p != (size_t)-1) {
            pct_p = (size_t)-1;
            p = star_p;
            n = ++star_n;
            continue;
        }
        return 0;
    }
    if (partial)
        return 1;
    while (pat[p] == '*' || pat[p] == '%')
        p++;
    return pat[p] == '\0';
}

int glob_match(const struct glob *g, const char *name)
{
    return glob_run(g, name, strlen(name), 0);
}

int glob_prefix_may_match(const struct glob *g, const char *prefix,
                          size_t len)
{
    return glob_run(g, prefix, len, 1);
}
