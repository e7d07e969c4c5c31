/* hash.h -- a string-keyed hash table of void * values.
 *
 * Keys are copied (the table owns them); values are the caller's.  Chained
 * buckets, grown by doubling when the load passes 1, so lookups stay O(1).
 * hash_free() takes a function to release each value, or NULL.  Iteration
 * order is unspecified; do not insert or delete inside hash_foreach().
 */
#ifndef CHAPAR_HASH_H
#define CHAPAR_HASH_H

#include <stddef.h>

struct hash;

struct hash *hash_new(size_t size_hint);
void hash_free(struct hash **hp, void (*free_value)(void *));

/* Set key to value; returns the previous value or NULL. */
void *hash_insert(struct hash *h, const char *key, void *value);
void *hash_lookup(const struct hash *h, const char *key);
/* Remove key; returns its value or NULL. */
void *hash_delete(struct hash *h, const char *key);
size_t hash_count(const struct hash *h);
void hash_foreach(const struct hash *h,
                  void (*fn)(const char *key, void *value, void *rock),
                  void *rock);

/* The string hash function used by the table (FNV-1a, 64-bit). */
unsigned long long hash_string(const char *s);

#endif
