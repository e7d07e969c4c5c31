/* xmalloc.c -- allocation that never returns NULL; see xmalloc.h. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xmalloc.h"

static void *xmalloc_check(void *p, size_t size)
{
    if (!p && size)
        log_fatal("out of memory: size=<%zu>", size);
    return p;
}

size_t xmalloc_mul(size_t a, size_t b)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        log_fatal("allocation size overflow: nmemb=<%zu> size=<%zu>", a, b);
    return r;
}

size_t xmalloc_add(size_t a, size_t b)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        log_fatal("allocation size overflow: a=<%zu> b=<%zu>", a, b);
    return r;
}

void *xmalloc(size_t size)
{
    return xmalloc_check(malloc(size ? size : 1), size);
}

void *xzmalloc(size_t size)
{
    return xmalloc_check(calloc(1, size ? size : 1), size);
}

void *xcalloc(size_t nmemb, size_t size)
{
    return xzmalloc(xmalloc_mul(nmemb, size));
}

void *xrealloc(void *ptr, size_t size)
{
    return xmalloc_check(realloc(ptr, size ? size : 1), size);
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
    return xrealloc(ptr, xmalloc_mul(nmemb, size));
}

char *xstrdup(const char *s)
{
    return xmemdup(s, strlen(s) + 1);
}

char *xstrdupnull(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(xmalloc_add(len, 1));
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *xmemdup(const void *p, size_t n)
{
    void *q = xmalloc(n);
    if (n)
        memcpy(q, p, n);
    return q;
}

char *strconcat(const char *s, ...)
{
    va_list ap;
    size_t len = 0;
    const char *p;
    char *res, *d;

    va_start(ap, s);
    for (p = s; p; p = va_arg(ap, const char *))
        len = xmalloc_add(len, strlen(p));
    va_end(ap);

    d = res = xmalloc(xmalloc_add(len, 1));
    va_start(ap, s);
    for (p = s; p; p = va_arg(ap, const char *)) {
        size_t n = strlen(p);
        memcpy(d, p, n);
        d += n;
    }
    va_end(ap);
    *d = '\0';
    return res;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *res = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&res, fmt, ap);
    va_end(ap);
    if (n < 0)
        log_fatal("out of memory in xasprintf");
    return res;
}
