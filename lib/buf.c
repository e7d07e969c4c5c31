/* buf.c -- growable byte buffer; see buf.h. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

void buf_init(struct buf *b)
{
    b->s = NULL;
    b->len = b->alloc = 0;
}

void buf_grow(struct buf *b, size_t n)
{
    /* +1 keeps room for the NUL that buf_cstring() writes. */
    size_t need = xmalloc_add(xmalloc_add(b->len, n), 1);
    size_t alloc;

    if (need <= b->alloc)
        return;
    alloc = b->alloc ? b->alloc : 64;
    while (alloc < need)
        alloc = xmalloc_mul(alloc, 2);
    b->s = xrealloc(b->s, alloc);
    b->alloc = alloc;
}

void buf_reset(struct buf *b) { b->len = 0; }

void buf_free(struct buf *b)
{
    free(b->s);
    buf_init(b);
}

void buf_truncate(struct buf *b, size_t len)
{
    if (len < b->len)
        b->len = len;
}

void buf_appendmap(struct buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    buf_ensure(b, n);
    memcpy(b->s + b->len, p, n);
    b->len += n;
}

void buf_appendcstr(struct buf *b, const char *s)
{
    buf_appendmap(b, s, strlen(s));
}

void buf_appendu64(struct buf *b, uint64_t v)
{
    char tmp[20], *e = tmp + sizeof(tmp), *p = e;

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_appendmap(b, p, (size_t)(e - p));
}

void buf_appendbuf(struct buf *b, const struct buf *src)
{
    buf_appendmap(b, src->s, src->len);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    buf_ensure(b, 64);
    n = vsnprintf(b->s + b->len, b->alloc - b->len, fmt, ap);
    if (n < 0)
        log_panic("vsnprintf failed for format=<%s>", fmt);
    if ((size_t)n >= b->alloc - b->len) {
        buf_ensure(b, (size_t)n);
        vsnprintf(b->s + b->len, b->alloc - b->len, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_setcstr(struct buf *b, const char *s)
{
    buf_reset(b);
    buf_appendcstr(b, s);
}

void buf_setmap(struct buf *b, const void *p, size_t n)
{
    buf_reset(b);
    buf_appendmap(b, p, n);
}

void buf_insert(struct buf *b, size_t off, const void *p, size_t n)
{
    ASSERT(off <= b->len);
    buf_ensure(b, n);
    memmove(b->s + off + n, b->s + off, b->len - off);
    memcpy(b->s + off, p, n);
    b->len += n;
}

void buf_remove(struct buf *b, size_t off, size_t n)
{
    if (off >= b->len)
        return;
    if (n > b->len - off)
        n = b->len - off;
    memmove(b->s + off, b->s + off + n, b->len - off - n);
    b->len -= n;
}

const char *buf_cstring(struct buf *b)
{
    buf_ensure(b, 0);
    b->s[b->len] = '\0';
    return b->s;
}

char *buf_release(struct buf *b)
{
    char *s;
    buf_cstring(b);
    s = b->s;
    buf_init(b);
    return s;
}

int buf_cmp(const struct buf *a, const struct buf *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int r = n ? memcmp(a->s, b->s, n) : 0;
    if (r)
        return r;
    return (a->len > b->len) - (a->len < b->len);
}

void buf_chomp(struct buf *b)
{
    while (b->len && (b->s[b->len - 1] == '\n' || b->s[b->len - 1] == '\r'))
        b->len--;
}

void buf_toupper(struct buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        b->s[i] = (char)toupper((unsigned char)b->s[i]);
}

void buf_tolower(struct buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        b->s[i] = (char)tolower((unsigned char)b->s[i]);
}
