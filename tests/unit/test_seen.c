/* test_seen.c -- per-user \Seen state: private per user in a shared
 * mailbox, persistence across reopen and processes, concurrent
 * read-modify-write, the value codec against garbage, corrupt records,
 * and renaming / deleting a user's file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/seqset.h"
#include "tests/unit/harness.h"

#define SHARED_ID "0123456789abcdef0123456789abcdef"
#define OTHER_ID  "fedcba9876543210fedcba9876543210"

static void setup(void)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;
    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n",
               test_tmpdir(), test_tmpdir());
    if (conf_load_text("test.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "config: %s", buf_cstring(&err));
    buf_free(&conf);
    buf_free(&err);
}

static struct seen *open_user(const char *userid)
{
    struct seen *s = NULL;
    TEST_ASSERT_INT(seen_open(userid, SEEN_CREATE, &s), ERR_OK);
    TEST_ASSERT(s != NULL);
    return s;
}

static void write_set(struct seen *s, const char *uniqueid, const char *uids,
                      int64_t when)
{
    struct seen_data d;
    memset(&d, 0, sizeof(d));
    TEST_ASSERT_INT(seqset_parse(uids, 100, &d.seenuids), ERR_OK);
    d.lastread = when;
    d.lastchange = when + 1;
    d.lastuid = 100;
    TEST_ASSERT_INT(seen_write(s, uniqueid, &d), ERR_OK);
    seen_data_fini(&d);
    TEST_ASSERT(d.seenuids == NULL);
}

/* The seen UIDs of uniqueid as text, or "NOTFOUND". */
static const char *read_set(struct seen *s, const char *uniqueid)
{
    static char out[512];
    struct seen_data d;
    struct buf b = BUF_INITIALIZER;
    int r = seen_read(s, uniqueid, &d);
    TEST_ASSERT(d.seenuids != NULL);
    if (r == ERR_NOTFOUND) {
        TEST_ASSERT_INT(seqset_count(d.seenuids), 0);
        TEST_ASSERT_INT(d.lastread, 0);
        seen_data_fini(&d);
        return "NOTFOUND";
    }
    TEST_ASSERT_INT(r, ERR_OK);
    seqset_format(d.seenuids, &b);
    snprintf(out, sizeof(out), "%s", buf_cstring(&b));
    buf_free(&b);
    seen_data_fini(&d);
    return out;
}

static void test_private_per_user(void)
{
    struct seen *bob, *amy;
    struct stat st;
    setup();
    bob = open_user("bob");
    amy = open_user("amy");
    TEST_ASSERT(stat(test_path("conf/user/b/bob.seen"), &st) == 0);
    TEST_ASSERT(stat(test_path("conf/user/a/amy.seen"), &st) == 0);
    write_set(bob, SHARED_ID, "1:5,9", 1000);
    TEST_ASSERT_STR(read_set(amy, SHARED_ID), "NOTFOUND");
    write_set(amy, SHARED_ID, "2", 2000);
    TEST_ASSERT_STR(read_set(bob, SHARED_ID), "1:5,9");
    TEST_ASSERT_STR(read_set(amy, SHARED_ID), "2");
    TEST_ASSERT_STR(read_set(bob, OTHER_ID), "NOTFOUND");
    seen_close(&bob);
    seen_close(&amy);
    TEST_ASSERT(bob == NULL);
    seen_close(&bob);           /* NULL is fine */
}

static void child_writes(void *rock)
{
    struct seen *s = NULL;
    struct seen_data d;
    (void)rock;
    db_fork_child();
    if (seen_open("bob", 0, &s))
        _exit(1);
    memset(&d, 0, sizeof(d));
    if (seqset_parse("7:8", 10, &d.seenuids) ||
        seen_write(s, OTHER_ID, &d))
        _exit(2);
    seen_data_fini(&d);
    seen_close(&s);
    _exit(0);
}

static void test_persistence(void)
{
    struct seen *s;
    struct seen_data d;
    setup();
    s = open_user("bob");
    write_set(s, SHARED_ID, "1:3", 1234);
    seen_close(&s);
    /* Another process sees it and adds its own. */
    TEST_ASSERT_INT(test_run_child(child_writes, NULL), 0);
    TEST_ASSERT_INT(seen_open("bob", 0, &s), ERR_OK);
    TEST_ASSERT_INT(seen_read(s, SHARED_ID, &d), ERR_OK);
    TEST_ASSERT_INT(d.lastread, 1234);
    TEST_ASSERT_INT(d.lastchange, 1235);
    TEST_ASSERT_INT(d.lastuid, 100);
    TEST_ASSERT(seqset_ismember(d.seenuids, 3));
    TEST_ASSERT(!seqset_ismember(d.seenuids, 4));
    seen_data_fini(&d);
    TEST_ASSERT_STR(read_set(s, OTHER_ID), "7:8");
    TEST_ASSERT_INT(seen_delete_mailbox(s, OTHER_ID), ERR_OK);
    TEST_ASSERT_INT(seen_delete_mailbox(s, OTHER_ID), ERR_NOTFOUND);
    TEST_ASSERT_STR(read_set(s, OTHER_ID), "NOTFOUND");
    TEST_ASSERT_STR(read_set(s, SHARED_ID), "1:3");
    seen_close(&s);
}

static void test_open_errors(void)
{
    struct seen *s = (struct seen *)&s;
    struct stat st;
    setup();
    TEST_ASSERT_INT(seen_open("nobody", 0, &s), ERR_NOTFOUND);
    TEST_ASSERT(s == NULL);
    TEST_ASSERT(stat(test_path("conf/user/n/nobody.seen"), &st) < 0);
    TEST_ASSERT_INT(seen_open("../etc", SEEN_CREATE, &s), ERR_BADNAME);
    TEST_ASSERT_INT(seen_open("a.b", SEEN_CREATE, &s), ERR_BADNAME);
    TEST_ASSERT_INT(seen_open("", SEEN_CREATE, &s), ERR_BADNAME);
    TEST_ASSERT_INT(seen_open("anyone", SEEN_CREATE, &s), ERR_BADNAME);
    TEST_ASSERT(s == NULL);
    /* A bad name never reaches the file system. */
    TEST_ASSERT(stat(test_path("conf/user"), &st) < 0);
}

static void test_codec(void)
{
    static const char *const bad[] = {
        "", "1", "1 0 0 0", "2 0 0 0 ", "1 0 0 0  ", "1 0 0 0 1 2",
        "1 x 0 0 ", "1 0 -1 0 ", "1 0 4294967296 0 ", "1 +5 0 0 ",
        "1  0 0 0 ", "1 0 0 0 0", "1 0 0 0 1:*", "1 0 0 0 *", "1 0 0 0 1,",
        "01 0 0 0 ", "1 0 0 0 1\n", "1 \t5 0 0 ", "1 99999999999999999999 0 0 "
    };
    struct seen_data d, e;
    struct buf b = BUF_INITIALIZER;

    memset(&d, 0, sizeof(d));
    d.lastread = -5;
    d.lastuid = 4294967295u;
    d.lastchange = 1700000000;
    TEST_ASSERT_INT(seqset_parse("1:5,7", 10, &d.seenuids), ERR_OK);
    seen_value_encode(&d, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "1 -5 4294967295 1700000000 1:5,7");
    TEST_ASSERT_INT(seen_value_decode(b.s, b.len, &e), ERR_OK);
    TEST_ASSERT_INT(e.lastread, -5);
    TEST_ASSERT_INT(e.lastuid, 4294967295u);
    TEST_ASSERT_INT(e.lastchange, 1700000000);
    TEST_ASSERT_INT(seqset_count(e.seenuids), 6);
    seen_data_fini(&e);
    seen_data_fini(&d);
    seen_value_encode(&d, &b);          /* no set: empty field */
    TEST_ASSERT_STR(buf_cstring(&b), "1 -5 4294967295 1700000000 ");
    TEST_ASSERT_INT(seen_value_decode(b.s, b.len, &e), ERR_OK);
    TEST_ASSERT_INT(seqset_count(e.seenuids), 0);
    seen_data_fini(&e);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (seen_value_decode(bad[i], strlen(bad[i]), &e) != ERR_BADFORMAT)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
        TEST_ASSERT(e.seenuids != NULL && seqset_count(e.seenuids) == 0);
        TEST_ASSERT_INT(e.lastread, 0);
        seen_data_fini(&e);
    }
    /* A NUL inside the value. */
    TEST_ASSERT_INT(seen_value_decode("1 0 0 0 1\0002", 11, &e),
                    ERR_BADFORMAT);
    seen_data_fini(&e);
    buf_free(&b);
}

static int add_uid(struct seen_data *d, void *rock)
{
    seqset_add(d->seenuids, *(uint32_t *)rock);
    d->lastchange++;
    return 0;
}

static int refuse(struct seen_data *d, void *rock)
{
    (void)rock;
    seqset_add(d->seenuids, 99);
    return ERR_PERM;
}

/* Four processes each mark 40 different UIDs seen, one at a time. */
static void test_concurrent_update(void)
{
    struct seen *s;
    struct seen_data d;
    pid_t pids[4];
    setup();
    s = open_user("bob");
    seen_close(&s);
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            db_fork_child();
            if (seen_open("bob", 0, &s))
                _exit(1);
            for (uint32_t k = 0; k < 40; k++) {
                uint32_t uid = (uint32_t)i * 40 + k + 1;
                if (seen_update(s, SHARED_ID, add_uid, &uid))
                    _exit(2);
            }
            seen_close(&s);
            _exit(0);
        }
    }
    for (int i = 0; i < 4; i++) {
        int status;
        TEST_ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
        TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    TEST_ASSERT_INT(seen_open("bob", 0, &s), ERR_OK);
    TEST_ASSERT_STR(read_set(s, SHARED_ID), "1:160");
    TEST_ASSERT_INT(seen_read(s, SHARED_ID, &d), ERR_OK);
    TEST_ASSERT_INT(d.lastchange, 160);
    seen_data_fini(&d);
    /* fn refusing stores nothing and its code comes back. */
    TEST_ASSERT_INT(seen_update(s, SHARED_ID, refuse, NULL), ERR_PERM);
    TEST_ASSERT_STR(read_set(s, SHARED_ID), "1:160");
    seen_close(&s);
}

static void test_corrupt_record(void)
{
    struct db_env *env = NULL;
    struct db *db = NULL;
    struct seen *s;
    struct seen_data d;
    uint32_t uid = 4;
    setup();
    s = open_user("bob");
    seen_close(&s);
    /* Write garbage under a key, behind the module's back. */
    TEST_ASSERT_INT(db_env_open(test_path("conf/db"), &env), ERR_OK);
    TEST_ASSERT_INT(db_open(env, test_path("conf/user/b/bob.seen"), 0, &db),
                    ERR_OK);
    TEST_ASSERT_INT(db_store(db, NULL, SHARED_ID, 32, "9 garbage", 9), ERR_OK);
    db_close(&db);
    db_env_close(&env);
    s = open_user("bob");
    TEST_ASSERT_INT(seen_read(s, SHARED_ID, &d), ERR_BADFORMAT);
    TEST_ASSERT(d.seenuids != NULL && seqset_count(d.seenuids) == 0);
    seen_data_fini(&d);
    /* An update starts from the empty state and repairs the record. */
    TEST_ASSERT_INT(seen_update(s, SHARED_ID, add_uid, &uid), ERR_OK);
    TEST_ASSERT_STR(read_set(s, SHARED_ID), "4");
    seen_close(&s);
}

static void test_rename_delete_user(void)
{
    struct seen *s;
    struct stat st;
    setup();
    s = open_user("alice");
    write_set(s, SHARED_ID, "1:10", 5);
    seen_close(&s);
    TEST_ASSERT_INT(seen_rename_user("alice", "zed"), ERR_OK);
    TEST_ASSERT(stat(test_path("conf/user/a/alice.seen"), &st) < 0);
    TEST_ASSERT(stat(test_path("conf/user/z/zed.seen"), &st) == 0);
    TEST_ASSERT_INT(seen_open("alice", 0, &s), ERR_NOTFOUND);
    TEST_ASSERT_INT(seen_open("zed", 0, &s), ERR_OK);
    TEST_ASSERT_STR(read_set(s, SHARED_ID), "1:10");
    seen_close(&s);
    /* Nothing to carry is fine; bad names are refused. */
    TEST_ASSERT_INT(seen_rename_user("ghost", "zed2"), ERR_OK);
    TEST_ASSERT(stat(test_path("conf/user/z/zed2.seen"), &st) < 0);
    TEST_ASSERT_INT(seen_rename_user("zed", "../x"), ERR_BADNAME);
    TEST_ASSERT(stat(test_path("conf/user/z/zed.seen"), &st) == 0);
    TEST_ASSERT_INT(seen_delete_user("zed"), ERR_OK);
    TEST_ASSERT(stat(test_path("conf/user/z/zed.seen"), &st) < 0);
    TEST_ASSERT_INT(seen_delete_user("zed"), ERR_OK);
    TEST_ASSERT_INT(seen_delete_user("bad/name"), ERR_BADNAME);
    TEST_ASSERT_INT(seen_rename_user("alice", "alice"), ERR_BADARG);
    /* A user created afresh under an old name starts empty and works. */
    for (int round = 0; round < 2; round++) {
        s = open_user("alice");
        TEST_ASSERT_STR(read_set(s, SHARED_ID), "NOTFOUND");
        write_set(s, SHARED_ID, round ? "5" : "6", 1);
        seen_close(&s);
        s = open_user("alice");
        TEST_ASSERT_STR(read_set(s, SHARED_ID), round ? "5" : "6");
        seen_close(&s);
        TEST_ASSERT_INT(seen_delete_user("alice"), ERR_OK);
    }
    /* Renaming onto a user that has a file replaces that file. */
    s = open_user("old");
    write_set(s, OTHER_ID, "3", 1);
    seen_close(&s);
    s = open_user("new");
    write_set(s, SHARED_ID, "4", 1);
    seen_close(&s);
    TEST_ASSERT_INT(seen_rename_user("old", "new"), ERR_OK);
    s = open_user("new");
    TEST_ASSERT_STR(read_set(s, OTHER_ID), "3");
    TEST_ASSERT_STR(read_set(s, SHARED_ID), "NOTFOUND");
    seen_close(&s);
}

TEST_MAIN("seen",
          TEST_CASE(test_private_per_user),
          TEST_CASE(test_persistence),
          TEST_CASE(test_open_errors),
          TEST_CASE(test_codec),
          TEST_CASE(test_concurrent_update),
          TEST_CASE(test_corrupt_record),
          TEST_CASE(test_rename_delete_user))
