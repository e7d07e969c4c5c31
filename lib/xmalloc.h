/* xmalloc.h -- allocation that never returns NULL.
 *
 * Every function here either succeeds or ends the process through
 * log_fatal() (exit EX_TEMPFAIL): a mail server that cannot allocate cannot
 * safely go on, and callers are spared a NULL check on every line.  Sizes
 * that are products go through xmalloc_mul()/xreallocarray(), which treat an
 * overflowing multiplication as a fatal error instead of a short allocation.
 */
#ifndef CHAPAR_XMALLOC_H
#define CHAPAR_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xzmalloc(size_t size);                    /* zero-filled */
void *xcalloc(size_t nmemb, size_t size);       /* zero-filled, checked product */
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrdupnull(const char *s);               /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* A printf-formatted, freshly allocated string. */
char *strconcat(const char *s, ...) __attribute__((sentinel));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a*b, or a fatal error if it overflows size_t. */
size_t xmalloc_mul(size_t a, size_t b);
/* a+b, or a fatal error if it overflows size_t. */
size_t xmalloc_add(size_t a, size_t b);

/* free(*p) and set *p = NULL. */
#define XFREE(p) do { free(p); (p) = NULL; } while (0)

#endif
