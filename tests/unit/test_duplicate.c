/* test_duplicate.c -- the duplicate-delivery database: store and look up
 * per Message-ID and mailbox, persistence across reopen and processes,
 * pruning by age, and unreadable records (ignored, then pruned). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/util.h"
#include "deliver/duplicate.h"
#include "tests/unit/harness.h"

static struct duplicate *open_dup(void)
{
    struct duplicate *dup = NULL;
    TEST_ASSERT_INT(duplicate_open(test_tmpdir(), &dup), ERR_OK);
    TEST_ASSERT(dup != NULL);
    return dup;
}

static void test_store_and_lookup(void)
{
    struct duplicate *dup = open_dup();
    time_t when = 0;

    TEST_ASSERT_INT(duplicate_check(dup, "<a@x>", "user.bob", &when),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(duplicate_mark(dup, "<a@x>", "user.bob", 1000), ERR_OK);
    TEST_ASSERT_INT(duplicate_check(dup, "<a@x>", "user.bob", &when), ERR_OK);
    TEST_ASSERT_INT(when, 1000);
    TEST_ASSERT_INT(duplicate_check(dup, "<a@x>", "user.bob", NULL), ERR_OK);
    /* Per mailbox: the same message to another mailbox is not a duplicate,
     * and neither is another message to the same one. */
    TEST_ASSERT_INT(duplicate_check(dup, "<a@x>", "user.alice", NULL),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(duplicate_check(dup, "<b@x>", "user.bob", NULL),
                    ERR_NOTFOUND);
    /* The key separates id and mailbox: "<a@x>" + "user.bob" is not
     * "<a@x>user" + "bob". */
    TEST_ASSERT_INT(duplicate_check(dup, "<a@x>user.", "bob", NULL),
                    ERR_NOTFOUND);
    /* Marking again overwrites the time. */
    TEST_ASSERT_INT(duplicate_mark(dup, "<a@x>", "user.bob", 2000), ERR_OK);
    TEST_ASSERT_INT(duplicate_check(dup, "<a@x>", "user.bob", &when), ERR_OK);
    TEST_ASSERT_INT(when, 2000);
    duplicate_close(&dup);
    TEST_ASSERT(dup == NULL);
    duplicate_close(&dup);
}

static void test_reopen_and_other_process(void)
{
    struct duplicate *dup = open_dup();
    time_t when = 0;
    pid_t pid;
    int status;

    TEST_ASSERT_INT(duplicate_mark(dup, "<p@x>", "shared.lists", 42), ERR_OK);
    duplicate_close(&dup);
    dup = open_dup();
    TEST_ASSERT_INT(duplicate_check(dup, "<p@x>", "shared.lists", &when),
                    ERR_OK);
    TEST_ASSERT_INT(when, 42);
    duplicate_close(&dup);

    /* Another process (deliver runs once per message) sees it, and what it
     * writes is seen here. */
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        struct duplicate *d = NULL;
        int ok = !duplicate_open(test_tmpdir(), &d) &&
                 !duplicate_check(d, "<p@x>", "shared.lists", NULL) &&
                 !duplicate_mark(d, "<child@x>", "user.c", 7);
        duplicate_close(&d);
        _exit(ok ? 0 : 1);
    }
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    dup = open_dup();
    TEST_ASSERT_INT(duplicate_check(dup, "<child@x>", "user.c", &when),
                    ERR_OK);
    TEST_ASSERT_INT(when, 7);
    duplicate_close(&dup);
}

static void test_prune_by_days(void)
{
    struct duplicate *dup = open_dup();
    time_t now = time(NULL);
    unsigned long removed = 99, total = 99;

    TEST_ASSERT_INT(duplicate_prune(dup, now, &removed, &total), ERR_OK);
    TEST_ASSERT_INT(removed, 0);
    TEST_ASSERT_INT(total, 0);
    TEST_ASSERT_INT(duplicate_mark(dup, "<old@x>", "user.a", now - 10 * 86400),
                    ERR_OK);
    TEST_ASSERT_INT(duplicate_mark(dup, "<old@x>", "user.b", now - 4 * 86400),
                    ERR_OK);
    TEST_ASSERT_INT(duplicate_mark(dup, "<new@x>", "user.a", now), ERR_OK);
    /* deliver -E 5: older than five days goes. */
    TEST_ASSERT_INT(duplicate_prune(dup, now - 5 * 86400, &removed, &total),
                    ERR_OK);
    TEST_ASSERT_INT(removed, 1);
    TEST_ASSERT_INT(total, 3);
    TEST_ASSERT_INT(duplicate_check(dup, "<old@x>", "user.a", NULL),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(duplicate_check(dup, "<old@x>", "user.b", NULL), ERR_OK);
    TEST_ASSERT_INT(duplicate_check(dup, "<new@x>", "user.a", NULL), ERR_OK);
    duplicate_close(&dup);

    /* After a reopen the pruned record stays gone; -E 0 empties the past. */
    dup = open_dup();
    TEST_ASSERT_INT(duplicate_prune(dup, now + 1, &removed, &total), ERR_OK);
    TEST_ASSERT_INT(removed, 2);
    TEST_ASSERT_INT(total, 2);
    TEST_ASSERT_INT(duplicate_check(dup, "<new@x>", "user.a", NULL),
                    ERR_NOTFOUND);
    /* Counters may be NULL. */
    TEST_ASSERT_INT(duplicate_prune(dup, now, NULL, NULL), ERR_OK);
    duplicate_close(&dup);
}

/* Store one raw record in deliver.db, beside the module. */
static void store_raw(const void *key, size_t klen, const void *val,
                      size_t vlen)
{
    struct db_env *env = NULL;
    struct db *db = NULL;
    struct buf path = BUF_INITIALIZER;

    buf_printf(&path, "%s/db", test_tmpdir());
    TEST_ASSERT_INT(db_env_open(buf_cstring(&path), &env), ERR_OK);
    buf_reset(&path);
    buf_printf(&path, "%s/%s", test_tmpdir(), DUPLICATE_DB_FILE);
    TEST_ASSERT_INT(db_open(env, buf_cstring(&path), 0, &db), ERR_OK);
    TEST_ASSERT_INT(db_store(db, NULL, key, klen, val, vlen), ERR_OK);
    db_close(&db);
    db_env_close(&env);
    buf_free(&path);
}

static void test_unreadable_record(void)
{
    struct duplicate *dup = open_dup();
    unsigned long removed = 0, total = 0;
    unsigned char key[DUPLICATE_KEY_LEN];

    duplicate_close(&dup);
    /* A value of a format this version does not know, under the very key
     * of <bad@x> to user.bob. */
    duplicate_key("<bad@x>", "user.bob", key);
    store_raw(key, sizeof(key), "\x7fgarbage!", 9);

    /* Unreadable means "not a duplicate" (deliver rather than lose), and
     * pruning removes it whatever its age. */
    dup = open_dup();
    TEST_ASSERT_INT(duplicate_check(dup, "<bad@x>", "user.bob", NULL),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(duplicate_mark(dup, "<good@x>", "user.bob", time(NULL)),
                    ERR_OK);
    TEST_ASSERT_INT(duplicate_prune(dup, 0, &removed, &total), ERR_OK);
    TEST_ASSERT_INT(removed, 1);
    TEST_ASSERT_INT(total, 2);
    TEST_ASSERT_INT(duplicate_check(dup, "<good@x>", "user.bob", NULL),
                    ERR_OK);
    duplicate_close(&dup);
}

/* The key is a 16-byte hash, whatever the lengths of id and mailbox; a
 * record of version 1 (the text as key) is not matched and is pruned
 * however young. */
static void test_hashed_keys_and_version_1(void)
{
    static const char old_key[] = "<old@x>\0user.bob";
    unsigned char old_val[9] = { 1 }, a[DUPLICATE_KEY_LEN], b[DUPLICATE_KEY_LEN];
    struct duplicate *dup = open_dup();
    unsigned long removed = 0, total = 0;
    struct buf longid = BUF_INITIALIZER;

    duplicate_key("<a@x>", "user.bob", a);
    duplicate_key("<a@x>", "user.bob", b);
    TEST_ASSERT(!memcmp(a, b, sizeof(a)));
    duplicate_key("<a@x>user.", "bob", b);
    TEST_ASSERT(memcmp(a, b, sizeof(a)));
    buf_putc(&longid, '<');
    for (int i = 0; i < 2000; i++)
        buf_putc(&longid, (char)('a' + i % 26));
    buf_appendcstr(&longid, "@x>");
    TEST_ASSERT_INT(duplicate_mark(dup, buf_cstring(&longid), "user.bob", 5),
                    ERR_OK);
    TEST_ASSERT_INT(duplicate_check(dup, buf_cstring(&longid), "user.bob",
                                    NULL), ERR_OK);
    duplicate_close(&dup);

    util_put64(old_val + 1, (uint64_t)time(NULL));
    store_raw(old_key, sizeof(old_key) - 1, old_val, sizeof(old_val));
    dup = open_dup();
    TEST_ASSERT_INT(duplicate_check(dup, "<old@x>", "user.bob", NULL),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(duplicate_prune(dup, 0, &removed, &total), ERR_OK);
    TEST_ASSERT_INT(removed, 1);
    TEST_ASSERT_INT(total, 2);
    duplicate_close(&dup);
    buf_free(&longid);
}

static void test_open_failure(void)
{
    struct duplicate *dup = (struct duplicate *)1;
    /* A config directory that cannot exist (a file in the way). */
    const char *file = test_write_file("plainfile", "x");
    TEST_ASSERT(duplicate_open(file, &dup) != ERR_OK);
    TEST_ASSERT(dup == NULL);
}

TEST_MAIN("duplicate",
          TEST_CASE(test_store_and_lookup),
          TEST_CASE(test_reopen_and_other_process),
          TEST_CASE(test_prune_by_days),
          TEST_CASE(test_unreadable_record),
          TEST_CASE(test_hashed_keys_and_version_1),
          TEST_CASE(test_open_failure))
