/* maildirfmt.c -- Maildir file names, dovecot-keywords and
 * dovecot-uidlist; see maildirfmt.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/maildirfmt.h"

void maildirfmt_parse_name(const char *name, uint32_t *flags_r,
                           uint32_t *keywords_r, size_t *baselen_r)
{
    const char *colon = strchr(name, ':');
    *flags_r = 0;
    *keywords_r = 0;
    *baselen_r = colon ? (size_t)(colon - name) : strlen(name);
    if (!colon || strncmp(colon, ":2,", 3))
        return;
    for (const char *p = colon + 3; *p; p++) {
        switch (*p) {
        case 'R': *flags_r |= MAILDIRFMT_ANSWERED; break;
        case 'S': *flags_r |= MAILDIRFMT_SEEN; break;
        case 'T': *flags_r |= MAILDIRFMT_DELETED; break;
        case 'D': *flags_r |= MAILDIRFMT_DRAFT; break;
        case 'F': *flags_r |= MAILDIRFMT_FLAGGED; break;
        default:
            if (*p >= 'a' && *p <= 'z')
                *keywords_r |= 1u << (*p - 'a');
        }
    }
}

/* Call fn on each line of data (without its LF). */
static void each_line(const char *data, size_t len,
                      void (*fn)(const char *line, size_t n, void *rock),
                      void *rock)
{
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t e = nl ? (size_t)(nl - data) : len;
        fn(data + pos, e - pos, rock);
        pos = e + 1;
    }
}

static void keyword_line(const char *line, size_t n, void *rock)
{
    struct strarray *names = rock;
    char *end;
    char *s = xstrndup(line, n);
    unsigned long num = strtoul(s, &end, 10);
    if (end != s && *end == ' ' && end[1] && num < 26) {
        while (names->count <= num)
            strarray_append(names, "");
        free(names->data[num]);
        names->data[num] = xstrdup(end + 1);
    }
    free(s);
}

void maildirfmt_parse_keywords(const char *data, size_t len,
                               struct strarray *names)
{
    strarray_fini(names);
    each_line(data, len, keyword_line, names);
}

struct uidlist_rock {
    struct maildirfmt_uidlist *ul;
    int version;                /* 0 before the header */
    int failed;
    size_t alloc;
};

static void uidlist_header(struct uidlist_rock *ur, char *s)
{
    struct maildirfmt_uidlist *ul = ur->ul;
    char *tok, *save = NULL;
    if (s[0] == '1' && s[1] == ' ') {
        unsigned long v = 0, n = 0;
        ur->version = 1;
        if (sscanf(s, "1 %lu %lu", &v, &n) >= 1) {
            ul->uidvalidity = (uint32_t)v;
            ul->next_uid = (uint32_t)n;
        }
        return;
    }
    if ((s[0] != '3' && s[0] != '2') || s[1] != ' ') {
        ur->failed = 1;
        return;
    }
    ur->version = 3;
    for (tok = strtok_r(s + 2, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        if (tok[0] == 'V')
            ul->uidvalidity = (uint32_t)strtoul(tok + 1, NULL, 10);
        else if (tok[0] == 'N')
            ul->next_uid = (uint32_t)strtoul(tok + 1, NULL, 10);
    }
}

static void uidlist_line(const char *line, size_t n, void *rock)
{
    struct uidlist_rock *ur = rock;
    struct maildirfmt_uidlist *ul = ur->ul;
    char *s, *end, *base;
    unsigned long uid;

    if (ur->failed || n == 0)
        return;
    s = xstrndup(line, n);
    if (!ur->version) {
        uidlist_header(ur, s);
        free(s);
        return;
    }
    uid = strtoul(s, &end, 10);
    base = ur->version == 3 ? strstr(end, " :") : end;
    if (base && ur->version == 3)
        base += 2;
    else if (base)
        base += strspn(base, " ");
    if (end == s || !uid || uid > UINT32_MAX || !base || !*base) {
        ul->bad_lines++;
        free(s);
        return;
    }
    if (ul->n == ur->alloc) {
        ur->alloc = ur->alloc ? ur->alloc * 2 : 64;
        ul->e = xreallocarray(ul->e, ur->alloc, sizeof(*ul->e));
    }
    ul->e[ul->n].uid = (uint32_t)uid;
    ul->e[ul->n++].base = xstrndup(base, strcspn(base, ":"));
    free(s);
}

static int cmp_base(const void *a, const void *b)
{
    return strcmp(((const struct maildirfmt_uid *)a)->base,
                  ((const struct maildirfmt_uid *)b)->base);
}

int maildirfmt_parse_uidlist(const char *data, size_t len,
                             struct maildirfmt_uidlist *ul)
{
    struct uidlist_rock ur = {ul, 0, 0, 0};
    memset(ul, 0, sizeof(*ul));
    each_line(data, len, uidlist_line, &ur);
    if (ur.failed) {
        maildirfmt_uidlist_fini(ul);
        return ERR_BADFORMAT;
    }
    if (ul->n)
        qsort(ul->e, ul->n, sizeof(*ul->e), cmp_base);
    return ERR_OK;
}

uint32_t maildirfmt_uid_of(const struct maildirfmt_uidlist *ul,
                           const char *base, size_t baselen)
{
    size_t lo = 0, hi = ul->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *b = ul->e[mid].base;
        int c = strncmp(b, base, baselen);
        if (!c && b[baselen])
            c = 1;
        if (!c)
            return ul->e[mid].uid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

void maildirfmt_uidlist_fini(struct maildirfmt_uidlist *ul)
{
    for (size_t i = 0; i < ul->n; i++)
        free(ul->e[i].base);
    free(ul->e);
    memset(ul, 0, sizeof(*ul));
}

int maildirfmt_is_folder(const char *name)
{
    return name[0] == '.' && name[1] && strcmp(name, "..") &&
           name[strlen(name) - 1] != '.';
}
