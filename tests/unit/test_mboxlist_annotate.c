/* test_mboxlist_annotate.c -- METADATA entries (RFC 5464) in the
 * mailstore: entry-name checks, rights (private `l`, shared `r`/`w`,
 * server entries for administrators), the limits, the entries following
 * RENAME (children, a user, another partition) and going with DELETE (no
 * key of the mailbox left in annotations.db; a deleted user's private
 * entries of the server go too), and a DELETE killed at every
 * intent step: the mailbox is then there with its entries, or gone with
 * them. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxlist.h"
#include "tests/unit/harness.h"
#include "tests/unit/mboxlist_check.h"

/* mboxlist_private.h's hook, for the kills below. */
extern void (*mboxlist_intent_hook)(const char *point);

static int add_one(const char *entry, const char *value, size_t len,
                   void *rock)
{
    struct buf *out = rock;
    buf_printf(out, "%s=%.*s;", entry, (int)len, value);
    return 0;
}

/* "entry=value;..." as who sees name's stored entries (the computed
 * partition and uniqueid left out), or "NOTFOUND"/"ERR". */
static const char *entries_of(const char *name, const struct auth_state *who)
{
    static struct buf out;
    struct buf all = BUF_INITIALIZER;
    int r = mboxlist_annot_list(name, who, add_one, &all);
    const char *p = buf_cstring(&all);

    buf_reset(&out);
    if (r) {
        buf_setcstr(&out, r == ERR_NOTFOUND ? "NOTFOUND" : "ERR");
    } else {
        while (*p) {
            const char *end = strchr(p, ';') + 1;
            if (strncmp(p, "/shared/vendor/cmu/cyrus-imapd/partition=", 41) &&
                strncmp(p, "/shared/vendor/cmu/cyrus-imapd/uniqueid=", 40))
                buf_appendmap(&out, p, (size_t)(end - p));
            p = end;
        }
    }
    buf_free(&all);
    return buf_cstring(&out);
}

static int set1(const char *name, const struct auth_state *who,
                const char *entry, const char *value)
{
    struct mboxlist_annot_change c = { entry, value, value ? strlen(value)
                                                           : 0 };
    size_t bad;
    const char *why;
    return mboxlist_annot_store(name, who, &c, 1, &bad, &why);
}

static int count_key(const void *key, size_t keylen, const void *val,
                     size_t vallen, void *rock)
{
    (void)key, (void)keylen, (void)val, (void)vallen;
    ++*(int *)rock;
    return 0;
}

/* Keys in annotations.db. */
static int annot_keys(void)
{
    struct buf path = BUF_INITIALIZER;
    const char *dir = conf_getstring(CONF_CONFIGDIRECTORY);
    struct db_env *env;
    struct db *db;
    int n = 0;

    buf_printf(&path, "%s/db", dir);
    TEST_ASSERT_INT(db_env_open(buf_cstring(&path), &env), ERR_OK);
    buf_reset(&path);
    buf_printf(&path, "%s/%s", dir, MBOXLIST_ANNOT_DB_FILE);
    TEST_ASSERT_INT(db_open(env, buf_cstring(&path), DB_OPEN_CREATE, &db),
                    ERR_OK);
    TEST_ASSERT_INT(db_foreach(db, NULL, "", 0, count_key, &n), ERR_OK);
    db_close(&db);
    db_env_close(&env);
    buf_free(&path);
    return n;
}

static void test_annot_entry_check(void)
{
    static const char *const bad[] = {
        "/comment", "shared/comment", "/sharedx/a", "/shared", "/private",
        "/shared//a", "/shared/a/", "/shared/a*", "/private/%", "/shared/a b",
        "/shared/\x7f", "/shared/\xc3\xa9", ""
    };
    struct buf out = BUF_INITIALIZER;
    const char *why;

    setup();
    TEST_ASSERT_INT(mboxlist_annot_entry_check("/Shared/Comment", 0, &out,
                                               &why), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "/shared/comment");
    TEST_ASSERT_INT(mboxlist_annot_entry_check("/PRIVATE/vendor/x.y-z", 0,
                                               &out, &why), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "/private/vendor/x.y-z");
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        TEST_ASSERT_INT(mboxlist_annot_entry_check(bad[i], 0, &out, &why),
                        ERR_BADARG);
        TEST_ASSERT(why && *why);
    }
    /* GETMETADATA: trees and wildcards. */
    TEST_ASSERT_INT(mboxlist_annot_entry_check("/shared", 1, &out, &why),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_annot_entry_check("/private/*", 1, &out, &why),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_annot_entry_check("/shared/", 1, &out, &why),
                    ERR_BADARG);
    buf_free(&out);
}

static void test_annot_rights_limits(void)
{
    struct mboxlist_annot_change two[2] = {
        { "/shared/comment", "s", 1 }, { "/private/comment", "p", 1 }
    };
    size_t bad;
    const char *why;

    setup_with("annotation_maxsize: 5\nannotation_maxentries: 1\n");
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_annot_store("user.bob", bob, two, 2, &bad, &why),
                    ERR_OK);
    TEST_ASSERT_STR(entries_of("user.bob", bob),
                    "/shared/comment=s;/private/comment=p;");
    /* alice: nothing without `l`; with `l` her own private entries but no
     * shared ones; `r` shows them; `w` writes them. */
    TEST_ASSERT_STR(entries_of("user.bob", alice), "NOTFOUND");
    TEST_ASSERT_INT(set1("user.bob", alice, "/private/comment", "a"),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "alice", "l"), ERR_OK);
    TEST_ASSERT_INT(set1("user.bob", alice, "/private/comment", "a"), ERR_OK);
    TEST_ASSERT_STR(entries_of("user.bob", alice), "/private/comment=a;");
    TEST_ASSERT_INT(set1("user.bob", alice, "/shared/comment", "x"),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "alice", "lrw"),
                    ERR_OK);
    TEST_ASSERT_INT(set1("user.bob", alice, "/shared/comment", "x"), ERR_OK);
    TEST_ASSERT_STR(entries_of("user.bob", bob),
                    "/shared/comment=x;/private/comment=p;");
    /* Administrators may write shared entries anywhere. */
    TEST_ASSERT_INT(set1("user.bob", admin, "/shared/comment", "adm"),
                    ERR_OK);
    /* Limits, types, the table. */
    TEST_ASSERT_INT(set1("user.bob", bob, "/shared/comment", "123456"),
                    ERR_TOOBIG);
    /* One shared entry (comment) exists: a second is TOOMANY; replacing
     * or removing one is fine. */
    TEST_ASSERT_INT(set1("user.bob", bob,
                         "/shared/vendor/cmu/cyrus-imapd/expire", "12"),
                    ERR_QUOTA);
    TEST_ASSERT_INT(set1("user.bob", bob, "/shared/comment", NULL), ERR_OK);
    TEST_ASSERT_INT(set1("user.bob", bob, "/shared/comment", NULL), ERR_OK);
    TEST_ASSERT_INT(set1("user.bob", bob,
                         "/shared/vendor/cmu/cyrus-imapd/expire", "12"),
                    ERR_OK);
    TEST_ASSERT_INT(set1("user.bob", bob,
                         "/shared/vendor/cmu/cyrus-imapd/expire", "7"),
                    ERR_OK);
    TEST_ASSERT_INT(set1("user.bob", bob,
                         "/shared/vendor/cmu/cyrus-imapd/expire", "1x"),
                    ERR_BADARG);
    TEST_ASSERT_INT(set1("user.bob", bob,
                         "/private/vendor/cmu/cyrus-imapd/expire", "1"),
                    ERR_NOTSUPP);
    TEST_ASSERT_INT(set1("user.bob", bob,
                         "/shared/vendor/cmu/cyrus-imapd/partition", "x"),
                    ERR_PERM);
    TEST_ASSERT_INT(set1("user.bob", bob, "/shared/vendor/acme/x", "1"),
                    ERR_BADARG);
    TEST_ASSERT_STR(entries_of("user.bob", bob),
                    "/shared/vendor/cmu/cyrus-imapd/expire=7;"
                    "/private/comment=p;");
    /* All or nothing: the second change fails, the first is not made. */
    two[0].value = "new";
    two[0].len = 3;
    two[1].entry = "/shared/nosuch";
    TEST_ASSERT_INT(mboxlist_annot_store("user.bob", bob, two, 2, &bad, &why),
                    ERR_BADARG);
    TEST_ASSERT_INT((int)bad, 1);
    TEST_ASSERT_STR(entries_of("user.bob", bob),
                    "/shared/vendor/cmu/cyrus-imapd/expire=7;"
                    "/private/comment=p;");
    /* The server: shared entries are the administrators'. */
    TEST_ASSERT_INT(set1("", bob, "/shared/comment", "x"), ERR_PERM);
    TEST_ASSERT_INT(set1("", bob, "/private/comment", "mine"), ERR_OK);
    TEST_ASSERT_INT(set1("", admin, "/shared/admin", "r@x"), ERR_OK);
    TEST_ASSERT_STR(entries_of("", bob),
                    "/shared/admin=r@x;/private/comment=mine;");
    TEST_ASSERT_STR(entries_of("", alice), "/shared/admin=r@x;");
    /* Deleting the user bob takes his private entries everywhere. */
    TEST_ASSERT_INT(set1("", alice, "/private/comment", "hers"), ERR_OK);
    TEST_ASSERT_INT(annot_keys(), 6);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "admin", "+x"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_delete("user.bob", admin, 0), ERR_OK);
    TEST_ASSERT_STR(entries_of("", alice),
                    "/shared/admin=r@x;/private/comment=hers;");
    TEST_ASSERT_INT(annot_keys(), 2);
}

static void test_annot_follow(void)
{
    setup();
    make("user.bob", admin);
    make("user.bob.a", bob);
    make("user.bob.a.b", bob);
    TEST_ASSERT_INT(set1("user.bob.a", bob, "/shared/comment", "A"), ERR_OK);
    TEST_ASSERT_INT(set1("user.bob.a.b", bob, "/private/comment", "B"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.a", "user.bob.z", NULL, bob),
                    ERR_OK);
    TEST_ASSERT_STR(entries_of("user.bob.z", bob), "/shared/comment=A;");
    TEST_ASSERT_STR(entries_of("user.bob.z.b", bob), "/private/comment=B;");
    TEST_ASSERT_STR(entries_of("user.bob.a", bob), "NOTFOUND");
    /* To another partition, and a user rename. */
    TEST_ASSERT_INT(mboxlist_setacl("user.bob.z", admin, "admin", "+x"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.z", "user.bob.z", "other",
                                    admin), ERR_OK);
    TEST_ASSERT_STR(entries_of("user.bob.z", bob), "/shared/comment=A;");
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "admin", "+x"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob", "user.rob", NULL, admin),
                    ERR_OK);
    TEST_ASSERT_STR(entries_of("user.rob.z", admin), "/shared/comment=A;");
    TEST_ASSERT_INT(annot_keys(), 2);
    /* A name made again has no entries; DELETE leaves no key. */
    TEST_ASSERT_INT(mboxlist_setacl("user.rob.z.b", admin, "admin", "+x"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_delete("user.rob.z.b", admin, 0), ERR_OK);
    TEST_ASSERT_INT(annot_keys(), 1);
    make("user.rob.z.b", admin);
    TEST_ASSERT_STR(entries_of("user.rob.z.b", admin), "");
    TEST_ASSERT_INT(mboxlist_delete("user.rob", admin, 0), ERR_OK);
    TEST_ASSERT_INT(annot_keys(), 0);
}

/* Kill the process at the n-th intent step. */
static int kill_at, kill_count;
static void kill_hook(const char *point)
{
    (void)point;
    if (++kill_count == kill_at)
        kill(getpid(), SIGKILL);
}

static int delete_x(void)
{
    return mboxlist_delete("shared.x", admin, MBOXLIST_DELETE_CHILDREN);
}

static void test_annot_crash_delete(void)
{
    int finished = 0, status;

    setup();
    make("shared", admin);
    for (kill_at = 1; !finished && kill_at < 50; kill_at++) {
        pid_t pid;
        make("shared.x", admin);
        make("shared.x.y", admin);
        TEST_ASSERT_INT(mboxlist_setacl("shared.x", admin, "admin", "+x"),
                        ERR_OK);
        TEST_ASSERT_INT(mboxlist_setacl("shared.x.y", admin, "admin", "+x"),
                        ERR_OK);
        TEST_ASSERT_INT(set1("shared.x", admin, "/shared/comment", "x"),
                        ERR_OK);
        TEST_ASSERT_INT(set1("shared.x.y", admin, "/shared/comment", "y"),
                        ERR_OK);
        pid = fork();
        TEST_ASSERT(pid >= 0);
        if (pid == 0) {
            kill_count = 0;
            mboxlist_intent_hook = kill_hook;
            _exit(delete_x() ? 1 : 0);
        }
        TEST_ASSERT(waitpid(pid, &status, 0) == pid);
        finished = WIFEXITED(status);
        if (finished)
            TEST_ASSERT_INT(WEXITSTATUS(status), 0);
        TEST_ASSERT_INT(mboxlist_recover_intents(), ERR_OK);
        /* Both there with their entries, or both gone with them. */
        if (mboxlist_lookup("shared.x", NULL) == ERR_OK) {
            TEST_ASSERT(!finished);
            TEST_ASSERT_STR(entries_of("shared.x.y", admin),
                            "/shared/comment=y;");
            TEST_ASSERT_INT(annot_keys(), 2);
            TEST_ASSERT_INT(delete_x(), ERR_OK);
        }
        TEST_ASSERT_INT(mboxlist_lookup("shared.x.y", NULL), ERR_NOTFOUND);
        TEST_ASSERT_INT(annot_keys(), 0);
    }
    TEST_ASSERT(finished && kill_at > 2);
}

TEST_MAIN("mboxlist_annotate",
          TEST_CASE(test_annot_entry_check),
          TEST_CASE(test_annot_rights_limits),
          TEST_CASE(test_annot_follow),
          TEST_CASE(test_annot_crash_delete))
