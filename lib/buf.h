/* buf.h -- the one growable byte buffer of Chapar.
 *
 * A struct buf owns its bytes (s, len, alloc).  It is binary-safe: it may
 * hold NUL bytes; buf_cstring() adds a terminating NUL after len without
 * counting it, so the same buffer serves as a C string where that is safe.
 * Initialise with BUF_INITIALIZER or buf_init(); release with buf_free().
 * Growth is amortised (doubling) and overflow-checked through xmalloc.
 */
#ifndef CHAPAR_BUF_H
#define CHAPAR_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *s;
    size_t len;
    size_t alloc;
};

#define BUF_INITIALIZER { NULL, 0, 0 }

void buf_init(struct buf *b);
/* Grow so that n more bytes fit past len (see buf_ensure). */
void buf_grow(struct buf *b, size_t n);
/* Make room for at least n more bytes past len.  Inline, with buf_putc:
 * FETCH and the formatters call them for every byte they write.  One byte
 * more is always kept, for the NUL of buf_cstring(); alloc >= len. */
static inline void buf_ensure(struct buf *b, size_t n)
{
    if (b->alloc - b->len <= n)
        buf_grow(b, n);
}
void buf_reset(struct buf *b);                  /* len = 0, keep memory */
void buf_free(struct buf *b);                   /* release memory */
void buf_truncate(struct buf *b, size_t len);   /* shrink (never grows) */

void buf_appendmap(struct buf *b, const void *p, size_t n);
void buf_appendcstr(struct buf *b, const char *s);
static inline void buf_putc(struct buf *b, char c)
{
    buf_ensure(b, 1);
    b->s[b->len++] = c;
}
void buf_appendu64(struct buf *b, uint64_t v);  /* decimal, no printf */
void buf_appendbuf(struct buf *b, const struct buf *src);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void buf_setcstr(struct buf *b, const char *s);
void buf_setmap(struct buf *b, const void *p, size_t n);
/* Insert n bytes at offset off (<= len). */
void buf_insert(struct buf *b, size_t off, const void *p, size_t n);
/* Remove n bytes at offset off. */
void buf_remove(struct buf *b, size_t off, size_t n);

/* NUL-terminated view of the contents (valid until the next change). */
const char *buf_cstring(struct buf *b);
/* Hand the bytes (NUL-terminated) to the caller, leaving b empty. */
char *buf_release(struct buf *b);

int buf_cmp(const struct buf *a, const struct buf *b);
/* Strip trailing CR/LF bytes. */
void buf_chomp(struct buf *b);
void buf_toupper(struct buf *b);
void buf_tolower(struct buf *b);

#endif
