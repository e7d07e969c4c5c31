/* test_mboxlist_intent.c -- the intent record (its codec, an intent whose
 * owner is alive) and creators and deleters of children racing renamers
 * of their parent, checked with test_mboxlist_crash.c's whole-store check
 * (crash_check.h).  Run from test_mboxlist.c. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/reconstruct.h"
#include "imap/mailstore/subs.h"
#include "tests/unit/harness.h"
#include "tests/unit/crash_check.h"
#include "tests/unit/mboxlist_check.h"

/* ---- the intent record ----------------------------------------------------- */

void test_intent_codec(void)
{
    struct mboxlist_intent in, d;
    struct mboxlist_move *m;
    struct buf v = BUF_INITIALIZER, key = BUF_INITIALIZER;
    struct strarray ids = STRARRAY_INITIALIZER;
    struct db_env *env;
    struct db *db;
    unsigned char *p;

    setup();
    mboxlist_intent_init(&in, MBOXLIST_INTENT_RENAME);
    in.flags = MBOXLIST_INTENT_USER;
    in.oldtop = xstrdup("user.a");
    in.newtop = xstrdup("user.b");
    m = mboxlist_intent_add(&in);
    m->old = (struct mboxlist_entry){ xstrdup("user.a"), xstrdup("default"),
        xstrdup(OWNER_ACL("a")), xstrdup("0123456789abcdef0123456789abcdef"),
        MBOXLIST_TYPE_NORMAL, 7, NULL };
    m->new = (struct mboxlist_entry){ xstrdup("user.b"), xstrdup("other"),
        xstrdup(OWNER_ACL("b")), xstrdup("0123456789abcdef0123456789abcdef"),
        MBOXLIST_TYPE_NORMAL, 7, xstrdup("\\Sent") };
    m->oldpath = xstrdup("/s/user/a");
    m->newpath = xstrdup("/t/user/b");
    mboxlist_intent_encode(&in, &v);
    TEST_ASSERT_INT(mboxlist_intent_decode(in.id, v.s, v.len, &d), ERR_OK);
    TEST_ASSERT_INT(d.kind, MBOXLIST_INTENT_RENAME);
    TEST_ASSERT_INT(d.state, MBOXLIST_INTENT_FORWARD);
    TEST_ASSERT_INT(d.flags, MBOXLIST_INTENT_USER);
    TEST_ASSERT_INT(d.pid, getpid());
    TEST_ASSERT_STR(d.newtop, "user.b");
    TEST_ASSERT_INT(d.n, 1);
    TEST_ASSERT_STR(d.m[0].new.partition, "other");
    TEST_ASSERT_STR(d.m[0].old.acl, OWNER_ACL("a"));
    TEST_ASSERT(d.m[0].old.specialuse == NULL);
    TEST_ASSERT_STR(d.m[0].new.specialuse, "\\Sent");  /* roles carried */
    TEST_ASSERT_STR(d.m[0].newpath, "/t/user/b");
    mboxlist_intent_fini(&d);
    /* Every truncation and bit flip is refused, never a crash. */
    for (size_t len = 0; len < v.len; len++)
        TEST_ASSERT_INT(mboxlist_intent_decode(in.id, v.s, len, &d),
                        ERR_BADFORMAT);
    p = xmemdup(v.s, v.len);
    for (size_t i = 0; i < v.len * 8; i += 3) {
        p[i / 8] ^= (unsigned char)(1u << (i % 8));
        TEST_ASSERT_INT(mboxlist_intent_decode(in.id, p, v.len, &d),
                        ERR_BADFORMAT);
        p[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    free(p);
    /* A corrupt intent stored in the database: the first lookup removes
     * it (logged) instead of tripping over it forever. */
    make("user.a", admin);
    TEST_ASSERT_INT(mboxlist_open(), ERR_OK);
    TEST_ASSERT_INT(mboxlist_db_get(&env, &db), ERR_OK);
    buf_printf(&key, "%s%s", MBOXLIST_INTENT_PREFIX, in.id);
    TEST_ASSERT_INT(db_store(db, NULL, key.s, key.len, "junk", 4), ERR_OK);
    TEST_ASSERT_INT(mboxlist_intent_ids(&ids), ERR_OK);
    TEST_ASSERT_INT(ids.count, 1);
    TEST_ASSERT_INT(mboxlist_lookup("user.a", NULL), ERR_OK);
    strarray_fini(&ids);
    TEST_ASSERT_INT(mboxlist_intent_ids(&ids), ERR_OK);
    TEST_ASSERT_INT(ids.count, 0);
    buf_reset(&key);
    buf_printf(&key, "conf/lock/intent.%s", in.id);
    TEST_ASSERT(!exists_path(buf_cstring(&key)));
    strarray_fini(&ids);
    mboxlist_intent_fini(&in);
    buf_free(&v);
    buf_free(&key);
}

/* The owner of an intent is alive and slow: others wait for it, nobody
 * takes its work over. */
static int slow_fd = -1;

static void slow_hook(const char *point)
{
    if (!strcmp(point, "committed")) {
        if (write(slow_fd, "c", 1) != 1)
            _exit(3);
        usleep(400000);
    }
}

void test_intent_live_owner(void)
{
    struct mailbox *mb = NULL;
    int fds[2], status;
    long t0;
    char c;
    pid_t pid;

    setup();
    make("shared.slow", admin);
    TEST_ASSERT_INT(mboxlist_setacl("shared.slow", admin, "admin", "+x"),
                    ERR_OK);
    put_message("shared.slow");
    mboxlist_close();
    fflush(NULL);
    TEST_ASSERT(pipe(fds) == 0);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        db_fork_child();
        slow_fd = fds[1];
        mboxlist_intent_hook = slow_hook;
        exit(mboxlist_rename("shared.slow", "shared.fast", NULL, admin));
    }
    close(fds[1]);
    TEST_ASSERT(read(fds[0], &c, 1) == 1);      /* committed, now asleep */
    t0 = now_us();
    /* Recovery leaves a live owner's intent alone ... */
    TEST_ASSERT_INT(mboxlist_recover_intents(), ERR_OK);
    /* ... and a lookup of the new name waits for the files to be there. */
    TEST_ASSERT_INT(mboxlist_open_mailbox("shared.fast", MAILBOX_UNLOCKED,
                                          &mb), ERR_OK);
    TEST_ASSERT(now_us() - t0 > 200000);
    TEST_ASSERT_INT(mb->i.num_records, 1);
    mailbox_close(&mb);
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    TEST_ASSERT_INT(mboxlist_lookup("shared.slow", NULL), ERR_NOTFOUND);
    close(fds[0]);
}

/* ---- concurrency ------------------------------------------------------- */

#define RACE_SECONDS 2

/* Where the tree is now (NULL: neither name, mid-rename). */
static const char *race_where(void)
{
    if (mboxlist_lookup("shared.tree", NULL) == ERR_OK)
        return "shared.tree";
    if (mboxlist_lookup("shared.bush", NULL) == ERR_OK)
        return "shared.bush";
    return NULL;
}

static int race_ok(int r)
{
    return r == ERR_OK || r == ERR_EXISTS || r == ERR_NOTFOUND;
}

static void race_child(int role, long until)
{
    char name[128];
    int r = ERR_OK;

    db_fork_child();
    srand((unsigned)getpid());
    while (now_us() < until) {
        const char *top = race_where();
        if (!top)
            continue;
        if (role == 0) {
            r = mboxlist_rename(top, strcmp(top, "shared.tree")
                                         ? "shared.tree" : "shared.bush",
                                NULL, admin);
        } else {
            snprintf(name, sizeof(name), "%s.c%d", top, rand() % 6);
            if (mboxlist_lookup(name, NULL) == ERR_OK)
                r = mboxlist_delete(name, admin, 0);
            else
                r = mboxlist_create(name, NULL, admin, 0);
        }
        if (!race_ok(r)) {
            fprintf(stderr, "# race: role %d: %s\n", role, error_string(r));
            exit(1);
        }
    }
    exit(0);
}

void test_race_rename_create_delete(void)
{
    struct store st = { NULL, 0 };
    pid_t pids[6];
    long until;
    char *id;
    int status;

    setup_with("defaultacl: anyone lrswipkxtea\n");
    make("shared", admin);
    make("shared.tree", admin);
    make("shared.tree.keep", admin);
    put_message("shared.tree");
    id = uniqueid_of("shared.tree");
    mboxlist_close();
    fflush(NULL);
    until = now_us() + RACE_SECONDS * 1000000L;
    for (int i = 0; i < 6; i++) {
        pids[i] = fork();
        TEST_ASSERT(pids[i] >= 0);
        if (pids[i] == 0)
            race_child(i < 2 ? 0 : 1, until);
    }
    for (int i = 0; i < 6; i++) {
        TEST_ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
        TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    store_check(&st);
    expect_moved(&st, id, "shared.tree", "default", "shared.bush", "default",
                 1);
    /* Every child is under the tree's name of the moment. */
    for (size_t i = 0; i < st.n; i++) {
        const char *n = st.b[i].name;
        if (strcmp(n, "shared") && strcmp(n, "shared.tree") &&
            strcmp(n, "shared.bush"))
            TEST_ASSERT(!strncmp(n, "shared.tree.", 12) ||
                        !strncmp(n, "shared.bush.", 12));
    }
    store_fini(&st);
    free(id);
}
