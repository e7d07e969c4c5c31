/* hash.c -- chained string hash table; see hash.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/xmalloc.h"

struct hash_entry {
    struct hash_entry *next;
    unsigned long long hv;
    void *value;
    char key[];
};

struct hash {
    size_t size;    /* buckets, a power of two */
    size_t count;
    struct hash_entry **buckets;
};

unsigned long long hash_string(const char *s)
{
    unsigned long long h = 14695981039346656037ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct hash *hash_new(size_t size_hint)
{
    struct hash *h = xzmalloc(sizeof(*h));
    h->size = 16;
    while (h->size < size_hint)
        h->size = xmalloc_mul(h->size, 2);
    h->buckets = xcalloc(h->size, sizeof(struct hash_entry *));
    return h;
}

void hash_free(struct hash **hp, void (*free_value)(void *))
{
    struct hash *h = *hp;
    if (!h)
        return;
    for (size_t i = 0; i < h->size; i++) {
        struct hash_entry *e = h->buckets[i];
        while (e) {
            struct hash_entry *next = e->next;
            if (free_value)
                free_value(e->value);
            free(e);
            e = next;
        }
    }
    free(h->buckets);
    free(h);
    *hp = NULL;
}

static void hash_grow(struct hash *h)
{
    size_t nsize = xmalloc_mul(h->size, 2);
    struct hash_entry **nb = xcalloc(nsize, sizeof(struct hash_entry *));

    for (size_t i = 0; i < h->size; i++) {
        struct hash_entry *e = h->buckets[i];
        while (e) {
            struct hash_entry *next = e->next;
            size_t j = e->hv & (nsize - 1);
            e->next = nb[j];
            nb[j] = e;
            e = next;
        }
    }
    free(h->buckets);
    h->buckets = nb;
    h->size = nsize;
}

static struct hash_entry **hash_find(const struct hash *h, const char *key,
                                     unsigned long long hv)
{
    struct hash_entry **ep = &h->buckets[hv & (h->size - 1)];
    for (; *ep; ep = &(*ep)->next)
        if ((*ep)->hv == hv && !strcmp((*ep)->key, key))
            return ep;
    return ep;
}

void *hash_insert(struct hash *h, const char *key, void *value)
{
    unsigned long long hv = hash_string(key);
    struct hash_entry **ep = hash_find(h, key, hv);
    struct hash_entry *e;
    size_t klen;

    if (*ep) {
        void *old = (*ep)->value;
        (*ep)->value = value;
        return old;
    }
    klen = strlen(key);
    e = xmalloc(xmalloc_add(sizeof(*e), klen + 1));
    memcpy(e->key, key, klen + 1);
    e->hv = hv;
    e->value = value;
    e->next = NULL;
    *ep = e;
    if (++h->count > h->size)
        hash_grow(h);
    return NULL;
}

void *hash_lookup(const struct hash *h, const char *key)
{
    struct hash_entry **ep = hash_find(h, key, hash_string(key));
    return *ep ? (*ep)->value : NULL;
}

void *hash_delete(struct hash *h, const char *key)
{
    struct hash_entry **ep = hash_find(h, key, hash_string(key));
    struct hash_entry *e = *ep;
    void *value;

    if (!e)
        return NULL;
    *ep = e->next;
    value = e->value;
    free(e);
    h->count--;
    return value;
}

size_t hash_count(const struct hash *h) { return h->count; }

void hash_foreach(const struct hash *h,
                  void (*fn)(const char *key, void *value, void *rock),
                  void *rock)
{
    for (size_t i = 0; i < h->size; i++)
        for (struct hash_entry *e = h->buckets[i]; e; e = e->next)
            fn(e->key, e->value, rock);
}
