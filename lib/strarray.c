/* strarray.c -- growable array of owned strings; see strarray.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"

struct strarray *strarray_new(void)
{
    return xzmalloc(sizeof(struct strarray));
}

void strarray_fini(struct strarray *sa)
{
    for (size_t i = 0; i < sa->count; i++)
        free(sa->data[i]);
    free(sa->data);
    sa->data = NULL;
    sa->count = sa->alloc = 0;
}

void strarray_free(struct strarray **sap)
{
    if (!*sap)
        return;
    strarray_fini(*sap);
    free(*sap);
    *sap = NULL;
}

static void strarray_grow(struct strarray *sa)
{
    /* +1 for the terminating NULL entry. */
    if (sa->count + 1 < sa->alloc)
        return;
    sa->alloc = sa->alloc ? xmalloc_mul(sa->alloc, 2) : 8;
    sa->data = xreallocarray(sa->data, sa->alloc, sizeof(char *));
}

void strarray_appendm(struct strarray *sa, char *s)
{
    strarray_grow(sa);
    sa->data[sa->count++] = s;
    sa->data[sa->count] = NULL;
}

void strarray_append(struct strarray *sa, const char *s)
{
    strarray_appendm(sa, xstrdup(s));
}

size_t strarray_add(struct strarray *sa, const char *s)
{
    long i = strarray_find(sa, s);
    if (i >= 0)
        return (size_t)i;
    strarray_append(sa, s);
    return sa->count - 1;
}

void strarray_insert(struct strarray *sa, size_t idx, const char *s)
{
    ASSERT(idx <= sa->count);
    strarray_grow(sa);
    memmove(sa->data + idx + 1, sa->data + idx,
            (sa->count - idx + 1) * sizeof(char *));
    sa->data[idx] = xstrdup(s);
    sa->count++;
}

void strarray_remove(struct strarray *sa, size_t idx)
{
    if (idx >= sa->count)
        return;
    free(sa->data[idx]);
    memmove(sa->data + idx, sa->data + idx + 1,
            (sa->count - idx) * sizeof(char *));
    sa->count--;
}

const char *strarray_nth(const struct strarray *sa, size_t idx)
{
    return idx < sa->count ? sa->data[idx] : NULL;
}

long strarray_find(const struct strarray *sa, const char *s)
{
    for (size_t i = 0; i < sa->count; i++)
        if (!strcmp(sa->data[i], s))
            return (long)i;
    return -1;
}

long strarray_find_case(const struct strarray *sa, const char *s)
{
    for (size_t i = 0; i < sa->count; i++)
        if (!strcasecmp(sa->data[i], s))
            return (long)i;
    return -1;
}

static int strarray_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strarray_sort(struct strarray *sa)
{
    if (sa->count > 1)
        qsort(sa->data, sa->count, sizeof(char *), strarray_cmp);
}

struct strarray *strarray_split(const char *s, const char *seps)
{
    struct strarray *sa = strarray_new();
    while (s && *s) {
        size_t skip = strspn(s, seps);
        size_t len;
        s += skip;
        len = strcspn(s, seps);
        if (len)
            strarray_appendm(sa, xstrndup(s, len));
        s += len;
    }
    return sa;
}

char *strarray_join(const struct strarray *sa, const char *sep)
{
    struct buf b = BUF_INITIALIZER;
    for (size_t i = 0; i < sa->count; i++) {
        if (i)
            buf_appendcstr(&b, sep);
        buf_appendcstr(&b, sa->data[i]);
    }
    return buf_release(&b);
}
