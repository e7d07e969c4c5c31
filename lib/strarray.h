/* strarray.h -- a growable array of owned C strings.
 *
 * The array owns every string in it (copies on append unless the _take
 * variant is used).  data[] is always NULL-terminated, so sa->data can be
 * handed to execv().  Initialise with STRARRAY_INITIALIZER; strarray_fini()
 * releases the contents, strarray_free() a heap-allocated array.
 */
#ifndef CHAPAR_STRARRAY_H
#define CHAPAR_STRARRAY_H

#include <stddef.h>

struct strarray {
    size_t count;
    size_t alloc;
    char **data;
};

#define STRARRAY_INITIALIZER { 0, 0, NULL }

struct strarray *strarray_new(void);
void strarray_free(struct strarray **sap);
void strarray_fini(struct strarray *sa);

void strarray_append(struct strarray *sa, const char *s);
void strarray_appendm(struct strarray *sa, char *s);   /* takes ownership */
/* Append s unless an equal string is already present; returns its index. */
size_t strarray_add(struct strarray *sa, const char *s);
void strarray_insert(struct strarray *sa, size_t idx, const char *s);
/* Remove and free the string at idx. */
void strarray_remove(struct strarray *sa, size_t idx);
const char *strarray_nth(const struct strarray *sa, size_t idx);
/* Index of the first string equal to s, or -1. */
long strarray_find(const struct strarray *sa, const char *s);
long strarray_find_case(const struct strarray *sa, const char *s);
void strarray_sort(struct strarray *sa);
/* Split s at any byte of seps, skipping empty fields. */
struct strarray *strarray_split(const char *s, const char *seps);
/* All strings joined by sep, freshly allocated. */
char *strarray_join(const struct strarray *sa, const char *sep);

#endif
