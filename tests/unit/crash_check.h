/* crash_check.h -- test_mboxlist_crash.c's check that the store is whole
 * (every mailbox's record and files agree, every message file there, no
 * record without files or files without a record, nothing for reconstruct
 * to repair, every quota root exact), for the other mboxlist tests. */
#ifndef CHAPAR_TEST_CRASH_CHECK_H
#define CHAPAR_TEST_CRASH_CHECK_H

#include <stdint.h>
#include <stddef.h>

struct box {
    char *name, *partition, *uniqueid, *path;
    uint32_t messages;
};

struct store {
    struct box *b;
    size_t n;
};

/* Recover (intents), then check everything; st gets every mailbox. */
void store_check(struct store *st);
void store_fini(struct store *st);
/* The mailbox called name in st, or NULL. */
const struct box *store_name(const struct store *st, const char *name);
/* The mailbox uniqueid is at exactly one of (a, pa) and (b, pb) with
 * messages messages. */
void expect_moved(const struct store *st, const char *uniqueid,
                  const char *a, const char *pa, const char *b,
                  const char *pb, uint32_t messages);
/* A monotonic clock in microseconds. */
long now_us(void);
/* The unique id of an existing mailbox (fresh string). */
char *uniqueid_of(const char *name);
/* One real message (cache entry and all), through append. */
void put_message(const char *name);

#endif
