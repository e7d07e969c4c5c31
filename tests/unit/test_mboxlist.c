/* test_mboxlist.c -- the mailboxes database: record codec against garbage,
 * create rules and ACLs, hostile names, lookup with rights, delete (rights,
 * recursion, quota release), setacl, find (internal and client names),
 * dump/load, the UIDVALIDITY counter, and a writer killed with SIGKILL
 * mid-transaction.  The rename
 * cases are in test_mboxlist_rename.c, the shared helpers in
 * mboxlist_check.c. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/reconstruct.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/subs.h"
#include "tests/unit/harness.h"
#include "tests/unit/mboxlist_check.h"

/* ---- codec ---------------------------------------------------------------- */

static void fix_crc(unsigned char *p, size_t len)
{
    util_put32(p + len - 4, util_crc32(0, p, len - 4));
}

static void test_codec(void)
{
    struct mboxlist_entry e = { NULL, "default", OWNER_ACL("bob"),
                                "0123456789abcdef0123456789abcdef",
                                MBOXLIST_TYPE_NORMAL, -12345, NULL }, d;
    struct buf v = BUF_INITIALIZER;
    unsigned char *p;

    setup();
    mboxlist_entry_encode(&e, &v);
    TEST_ASSERT_INT(v.len, 12 + 4 + 7 + 4 + 32 + 4 + 16 + 4);
    TEST_ASSERT_INT((unsigned char)v.s[0], MBOXLIST_FORMAT_VERSION);
    TEST_ASSERT_INT(mboxlist_entry_decode("user.bob", v.s, v.len, &d), ERR_OK);
    TEST_ASSERT_STR(d.name, "user.bob");
    TEST_ASSERT_STR(d.partition, "default");
    TEST_ASSERT_STR(d.acl, OWNER_ACL("bob"));
    TEST_ASSERT_STR(d.uniqueid, e.uniqueid);
    TEST_ASSERT_INT(d.created, -12345);
    mboxlist_entry_fini(&d);
    TEST_ASSERT(d.name == NULL);

    /* Every truncation and every single-bit flip is caught. */
    for (size_t len = 0; len < v.len; len++) {
        TEST_ASSERT_INT(mboxlist_entry_decode("x", v.s, len, &d),
                        ERR_BADFORMAT);
        TEST_ASSERT(d.name == NULL && d.acl == NULL);
    }
    p = xmemdup(v.s, v.len);
    for (size_t i = 0; i < v.len * 8; i++) {
        p[i / 8] ^= (unsigned char)(1u << (i % 8));
        TEST_ASSERT_INT(mboxlist_entry_decode("x", p, v.len, &d),
                        ERR_BADFORMAT);
        p[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    /* Well-formed but unknown: another version or type, a bad unique id,
     * an empty partition, a NUL in the ACL, trailing bytes. */
    p[0] = 2;
    fix_crc(p, v.len);
    TEST_ASSERT_INT(mboxlist_entry_decode("x", p, v.len, &d), ERR_BADFORMAT);
    p[0] = 1;
    p[1] = 7;
    fix_crc(p, v.len);
    TEST_ASSERT_INT(mboxlist_entry_decode("x", p, v.len, &d), ERR_BADFORMAT);
    p[1] = 0;
    p[12 + 4 + 7 + 4] = 'G';                    /* first uniqueid digit */
    fix_crc(p, v.len);
    TEST_ASSERT_INT(mboxlist_entry_decode("x", p, v.len, &d), ERR_BADFORMAT);
    p[12 + 4 + 7 + 4] = '0';
    p[v.len - 4 - 3] = '\0';                    /* inside the ACL */
    fix_crc(p, v.len);
    TEST_ASSERT_INT(mboxlist_entry_decode("x", p, v.len, &d), ERR_BADFORMAT);
    free(p);
    e.partition = "";
    mboxlist_entry_encode(&e, &v);
    TEST_ASSERT_INT(mboxlist_entry_decode("x", v.s, v.len, &d), ERR_BADFORMAT);
    e.partition = "default";
    mboxlist_entry_encode(&e, &v);
    buf_insert(&v, v.len - 4, "zz", 2);         /* junk before the CRC */
    fix_crc((unsigned char *)v.s, v.len);
    TEST_ASSERT_INT(mboxlist_entry_decode("x", v.s, v.len, &d), ERR_BADFORMAT);
    /* Random garbage of many lengths. */
    srand(7);
    for (int round = 0; round < 2000; round++) {
        unsigned char junk[80];
        size_t len = (size_t)(rand() % (int)sizeof(junk));
        for (size_t i = 0; i < len; i++)
            junk[i] = (unsigned char)rand();
        TEST_ASSERT_INT(mboxlist_entry_decode("x", junk, len, &d),
                        ERR_BADFORMAT);
    }
    buf_free(&v);
}

/* ---- create --------------------------------------------------------------- */

static void test_create_user_and_children(void)
{
    struct mboxlist_entry e;
    struct mailbox *mb;
    time_t now = time(NULL);

    setup();
    TEST_ASSERT_INT(mboxlist_create("user.bob", NULL, bob, 0), ERR_PERM);
    TEST_ASSERT(!exists_path("spool/user/bob"));
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", &e), ERR_OK);
    TEST_ASSERT_STR(e.partition, "default");
    TEST_ASSERT_STR(e.acl, OWNER_ACL("bob"));
    TEST_ASSERT_INT(strlen(e.uniqueid), 32);
    TEST_ASSERT(strspn(e.uniqueid, "0123456789abcdef") == 32);
    TEST_ASSERT(e.created >= now - 5 && e.created <= now + 5);
    TEST_ASSERT_INT(e.type, MBOXLIST_TYPE_NORMAL);
    TEST_ASSERT(exists_path("spool/user/bob/cyrus.index"));
    mb = open_mb("user.bob");
    TEST_ASSERT_STR(mb->uniqueid, e.uniqueid);
    TEST_ASSERT_STR(mb->acl, OWNER_ACL("bob"));
    mailbox_close(&mb);
    mboxlist_entry_fini(&e);

    /* Under one's own INBOX with k; intermediate levels may be missing. */
    make("user.bob.work", bob);
    TEST_ASSERT_STR(acl_of("user.bob.work"), OWNER_ACL("bob"));
    make("user.bob.a.b.c", bob);
    TEST_ASSERT(exists_path("spool/user/bob/a/b/c/cyrus.index"));
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.a", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_create("user.bob", NULL, admin, 0), ERR_EXISTS);
    TEST_ASSERT_INT(mboxlist_create("user.bob.work", NULL, bob, 0),
                    ERR_EXISTS);

    /* A sub-mailbox copies the nearest ancestor's ACL, not the owner's. */
    TEST_ASSERT_INT(mboxlist_setacl("user.bob.work", bob, "carol", "lrk"),
                    ERR_OK);
    make("user.bob.work.x.y", carol);
    TEST_ASSERT_STR(acl_of("user.bob.work.x.y"),
                    OWNER_ACL("bob") "carol\tlrk\t");
    /* Without k on the ancestor: refused. */
    TEST_ASSERT_INT(mboxlist_create("user.bob.other", NULL, carol, 0),
                    ERR_PERM);
    TEST_ASSERT(!exists_path("spool/user/bob/other"));
}

static void test_create_refusals(void)
{
    setup();
    make("user.alice", admin);
    make("user.alice.secret", alice);
    make("user.bob", admin);
    /* Top level: never for ordinary users. */
    TEST_ASSERT_INT(mboxlist_create("shared", NULL, bob, 0), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_create("shared.x", NULL, bob, 0), ERR_PERM);
    TEST_ASSERT(!exists_path("spool/shared"));
    /* Another user's INBOX or folders. */
    TEST_ASSERT_INT(mboxlist_create("user.carol", NULL, bob, 0), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_create("user.carol", NULL, bob,
                                    MBOXLIST_CREATE_AUTOINBOX), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_create("user.carol.x", NULL, bob, 0), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_create("user.alice.x", NULL, bob, 0), ERR_PERM);
    /* An existing mailbox bob cannot see answers like a refusal. */
    TEST_ASSERT_INT(mboxlist_create("user.alice.secret", NULL, bob, 0),
                    ERR_PERM);
    /* One's own INBOX: only with the autocreate flag. */
    TEST_ASSERT_INT(mboxlist_create("user.carol", NULL, carol, 0), ERR_PERM);
    TEST_ASSERT(!exists_path("spool/user/carol"));
    TEST_ASSERT_INT(mboxlist_create("user.carol", NULL, carol,
                                    MBOXLIST_CREATE_AUTOINBOX), ERR_OK);
    TEST_ASSERT_STR(acl_of("user.carol"), OWNER_ACL("carol"));
    /* With k granted by alice, bob may create there. */
    TEST_ASSERT_INT(mboxlist_setacl("user.alice", alice, "bob", "lk"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_create("user.alice.frombob", NULL, bob, 0),
                    ERR_OK);
    /* Unknown partition: nothing happens. */
    TEST_ASSERT_INT(mboxlist_create("shared.y", "nope", admin, 0), ERR_BADARG);
    TEST_ASSERT_INT(mboxlist_lookup("shared.y", NULL), ERR_NOTFOUND);
}

static void test_create_shared_and_partitions(void)
{
    struct mboxlist_entry e;
    setup_with("defaultacl: anyone lr group:staff lrswi\n");
    make("shared", admin);
    TEST_ASSERT_STR(acl_of("shared"), "anyone\tlr\tgroup:staff\tlrswi\t");
    /* anyone has no k: bob cannot create below it. */
    TEST_ASSERT_INT(mboxlist_create("shared.news", NULL, bob, 0), ERR_PERM);
    make("shared.news", admin);
    TEST_ASSERT_STR(acl_of("shared.news"), "anyone\tlr\tgroup:staff\tlrswi\t");
    /* An admin's user folder without an INBOX gets the owner's ACL. */
    make("user.dave.archive", admin);
    TEST_ASSERT_STR(acl_of("user.dave.archive"), OWNER_ACL("dave"));
    TEST_ASSERT_INT(mboxlist_create("lists", "other", admin, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("lists", &e), ERR_OK);
    TEST_ASSERT_STR(e.partition, "other");
    mboxlist_entry_fini(&e);
    TEST_ASSERT(exists_path("spool2/lists/cyrus.index"));
    TEST_ASSERT(!exists_path("spool/lists"));
}

static void test_create_hashed_spool_and_quota_root(void)
{
    struct mailbox *mb;
    setup_with("hashimapspool: yes\n");
    make("user.bob", admin);
    TEST_ASSERT(exists_path("spool/b/user/bob/cyrus.index"));
    TEST_ASSERT_INT(quota_set_limits("user.bob", 1000, -1), ERR_OK);
    make("user.bob.q", bob);
    mb = open_mb("user.bob.q");
    TEST_ASSERT_STR(mb->quotaroot, "user.bob");
    mailbox_close(&mb);
    mb = open_mb("user.bob");
    TEST_ASSERT(mb->quotaroot == NULL);     /* created before the root */
    mailbox_close(&mb);
}

/* Count every entry below dir, recursively. */
static int count_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        char sub[1024];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        n++;
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        n += count_tree(sub);
    }
    closedir(d);
    return n;
}

static void test_hostile_names(void)
{
    static const char *const bad[] = {
        "", ".", "..", "../etc", "a/b", "user.bob/../../x", "a..b", ".a", "a.",
        "~root", "a\nb", "a\tb", "*", "a%", "INBOX", "inbox.x", "user",
        "user.", "user..x", "user.a.b/c", "sh$ared", "x;rm -rf", "a\\b",
        "user.-bob", "user.anyone", "\xc3\xa9t\xc3\xa9"
    };
    int before;
    setup();
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "admin", "+x"), ERR_OK);
    before = count_tree(test_path("spool")) + count_tree(test_path("spool2")) +
             count_tree(test_path("conf/user")) +
             count_tree(test_path("conf/quota"));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = mboxlist_create(bad[i], NULL, admin, 0);
        if (r != ERR_BADNAME)
            test_fail(__FILE__, __LINE__, "create \"%s\" gave %d", bad[i], r);
        TEST_ASSERT_INT(mboxlist_lookup(bad[i], NULL), ERR_NOTFOUND);
        TEST_ASSERT_INT(mboxlist_delete(bad[i], admin, 0), ERR_NOTFOUND);
        TEST_ASSERT_INT(mboxlist_rename("user.bob", bad[i], NULL, admin),
                        ERR_BADNAME);
        TEST_ASSERT_INT(mboxlist_rename(bad[i], "shared.x", NULL, admin),
                        ERR_NOTFOUND);
    }
    TEST_ASSERT_INT(mboxlist_create("shared", "../../etc", admin, 0),
                    ERR_BADARG);
    TEST_ASSERT_INT(count_tree(test_path("spool")) +
                        count_tree(test_path("spool2")) +
                        count_tree(test_path("conf/user")) +
                        count_tree(test_path("conf/quota")), before);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", NULL), ERR_OK);
}

/* ---- lookup ------------------------------------------------------------- */

static void test_lookup_access(void)
{
    struct mboxlist_entry e;
    unsigned rights;
    setup();
    make("user.alice", admin);
    TEST_ASSERT_INT(mboxlist_lookup_access("user.alice", bob, 0, &e, &rights),
                    ERR_NOTFOUND);
    TEST_ASSERT(e.name == NULL);
    TEST_ASSERT_INT(mboxlist_lookup_access("user.nobody", bob, 0, NULL, NULL),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice", alice, "bob", "lr"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup_access("user.alice", bob, ACL_READ, &e,
                                           &rights), ERR_OK);
    TEST_ASSERT_INT(rights, ACL_LOOKUP | ACL_READ);
    TEST_ASSERT_STR(e.name, "user.alice");
    mboxlist_entry_fini(&e);
    TEST_ASSERT_INT(mboxlist_lookup_access("user.alice", bob, ACL_INSERT,
                                           NULL, NULL), ERR_PERM);
    /* An admin always sees, even without an ACL entry. */
    TEST_ASSERT_INT(mboxlist_lookup_access("user.alice", admin, ACL_ADMIN,
                                           NULL, &rights), ERR_OK);
    TEST_ASSERT(!(rights & ACL_DELETEMBOX));
}

static void corrupt_record(const char *name)
{
    struct db_env *env = NULL;
    struct db *db = NULL;
    mboxlist_close();
    TEST_ASSERT_INT(db_env_open(test_path("conf/db"), &env), ERR_OK);
    TEST_ASSERT_INT(db_open(env, test_path("conf/mailboxes.db"), 0, &db),
                    ERR_OK);
    TEST_ASSERT_INT(db_store(db, NULL, name, strlen(name), "\x01junk", 5),
                    ERR_OK);
    db_close(&db);
    db_env_close(&env);
}

static void test_corrupt_record(void)
{
    setup();
    make("user.bob", admin);
    make("user.bob.bad", bob);
    corrupt_record("user.bob.bad");
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.bad", NULL), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup_access("user.bob.bad", bob, 0, NULL,
                                           NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup_access("user.bob.bad", admin, 0, NULL,
                                           NULL), ERR_BADFORMAT);
    TEST_ASSERT_INT(mboxlist_create("user.bob.bad", NULL, admin, 0),
                    ERR_EXISTS);
    /* Renaming a tree with a corrupt record in it is refused. */
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "admin", "+x"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob", "user.rob", NULL, admin),
                    ERR_BADFORMAT);
    TEST_ASSERT_INT(mboxlist_lookup("user.rob", NULL), ERR_NOTFOUND);
    /* Deleting the user removes the corrupt record too. */
    TEST_ASSERT_INT(mboxlist_delete("user.bob", admin, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.bad", NULL), ERR_NOTFOUND);
}

/* ---- delete ------------------------------------------------------------- */

static void test_delete_rights(void)
{
    setup();
    make("user.alice", admin);
    make("user.alice.x", alice);
    make("user.bob", admin);
    make("user.bob.work", bob);
    make("user.bob.work.sub", bob);
    TEST_ASSERT_INT(mboxlist_delete("user.alice.x", bob, 0), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_delete("user.nothing", bob, 0), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice.x", alice, "bob", "lr"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_delete("user.alice.x", bob, 0), ERR_PERM);
    TEST_ASSERT(exists_path("spool/user/alice/x/cyrus.index"));
    /* Admins need x too. */
    TEST_ASSERT_INT(mboxlist_delete("user.alice.x", admin, 0), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice.x", admin, "admin", "x"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_delete("user.alice.x", admin, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.alice.x", NULL), ERR_NOTFOUND);
    TEST_ASSERT(!exists_path("spool/user/alice/x"));
    /* A plain delete leaves the children. */
    TEST_ASSERT_INT(mboxlist_delete("user.bob.work", bob, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.work", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.work.sub", NULL), ERR_OK);
    TEST_ASSERT(!exists_path("spool/user/bob/work/cyrus.index"));
    TEST_ASSERT(exists_path("spool/user/bob/work/sub/cyrus.index"));
    /* Users may not delete their own INBOX. */
    TEST_ASSERT_INT(mboxlist_delete("user.bob", bob, 0), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", NULL), ERR_OK);
}

static void test_delete_children_flag(void)
{
    setup();
    make("user.bob", admin);
    make("user.bob.p", bob);
    make("user.bob.p.c1", bob);
    make("user.bob.p.c2", bob);
    make("user.bob.pq", bob);               /* not below user.bob.p */
    TEST_ASSERT_INT(mboxlist_setacl("user.bob.p.c2", bob, "bob", "lr"),
                    ERR_OK);
    /* No x on one child: nothing at all is deleted. */
    TEST_ASSERT_INT(mboxlist_delete("user.bob.p", bob,
                                    MBOXLIST_DELETE_CHILDREN), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.p", NULL), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.p.c1", NULL), ERR_OK);
    TEST_ASSERT(exists_path("spool/user/bob/p/c1/cyrus.index"));
    /* bob gave away his own a there: an admin puts it back. */
    TEST_ASSERT_INT(mboxlist_setacl("user.bob.p.c2", bob, "bob", "lrx"),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob.p.c2", admin, "bob", "lrx"),
                    ERR_OK);
    TEST_ASSERT_INT(quota_set_limits("user.bob.p.c1", 10, -1), ERR_OK);
    TEST_ASSERT_INT(mboxlist_delete("user.bob.p", bob,
                                    MBOXLIST_DELETE_CHILDREN), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.p", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.p.c1", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.p.c2", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.pq", NULL), ERR_OK);
    TEST_ASSERT(!exists_path("spool/user/bob/p"));
    TEST_ASSERT(!exists_path("conf/quota/user.bob.p.c1"));
}

static void test_delete_user_recursive(void)
{
    struct seen *s;
    struct seen_data d;
    struct mboxlist_entry e;
    setup();
    make("user.bob", admin);
    make("user.bob.a", bob);
    make("user.bob.a.b", bob);
    make("user.bobby", admin);              /* shares the prefix only */
    TEST_ASSERT_INT(quota_set_limits("user.bob", 100, -1), ERR_OK);
    TEST_ASSERT_INT(quota_set_limits("user.bob.a", 100, -1), ERR_OK);
    TEST_ASSERT_INT(subs_add("bob", "user.bob.a"), ERR_OK);
    TEST_ASSERT_INT(subs_add("bobby", "user.bobby"), ERR_OK);
    TEST_ASSERT_INT(seen_open("bob", SEEN_CREATE, &s), ERR_OK);
    memset(&d, 0, sizeof(d));
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", &e), ERR_OK);
    TEST_ASSERT_INT(seen_write(s, e.uniqueid, &d), ERR_OK);
    mboxlist_entry_fini(&e);
    seen_close(&s);
    TEST_ASSERT(exists_path("conf/user/b/bob.seen"));

    TEST_ASSERT_INT(mboxlist_delete("user.bob", admin, 0), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "admin", "+x"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_delete("user.bob", admin, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.a", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.a.b", NULL), ERR_NOTFOUND);
    TEST_ASSERT(!exists_path("spool/user/bob"));
    TEST_ASSERT(!exists_path("conf/quota/user.bob"));
    TEST_ASSERT(!exists_path("conf/quota/user.bob.a"));
    TEST_ASSERT(!exists_path("conf/user/b/bob.sub"));
    TEST_ASSERT(!exists_path("conf/user/b/bob.seen"));
    /* The neighbour is untouched. */
    TEST_ASSERT_INT(mboxlist_lookup("user.bobby", NULL), ERR_OK);
    TEST_ASSERT(exists_path("spool/user/bobby/cyrus.index"));
    TEST_ASSERT(exists_path("conf/user/b/bobby.sub"));
    /* The user can be created again, empty. */
    make("user.bob", admin);
}

static void test_delete_releases_quota(void)
{
    int64_t inbox, work;
    setup();
    make("user.bob", admin);
    TEST_ASSERT_INT(quota_set_limits("user.bob", 1000, -1), ERR_OK);
    make("user.bob.work", bob);
    make("user.bob.work.deep", bob);
    /* user.bob itself predates its root: give it one as reconstruct would. */
    {
        struct mailbox *mb = open_mb("user.bob");
        mb->quotaroot = xstrdup("user.bob");
        TEST_ASSERT_INT(mailbox_write_header(mb), ERR_OK);
        mailbox_close(&mb);
    }
    inbox = add_messages("user.bob", 2);
    work = add_messages("user.bob.work", 3);
    add_messages("user.bob.work.deep", 1);
    TEST_ASSERT(quota_used("user.bob") > inbox + work);
    {
        int64_t before = quota_used("user.bob");
        TEST_ASSERT_INT(mboxlist_delete("user.bob.work", bob, 0), ERR_OK);
        TEST_ASSERT_INT(quota_used("user.bob"), before - work);
        TEST_ASSERT(!exists_path("spool/user/bob/work/1."));
        TEST_ASSERT(exists_path("spool/user/bob/work/deep/1."));
    }
    {
        struct quota q;
        TEST_ASSERT_INT(quota_read("user.bob", &q), ERR_OK);
        TEST_ASSERT_INT(q.used[QUOTA_MESSAGE], 3);
        quota_fini(&q);
    }
}

/* ---- setacl ------------------------------------------------------------- */

static void test_setacl(void)
{
    struct mailbox *mb;
    struct auth_state *dave = auth_new_groups("dave", 0, NULL);
    setup();
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "carol", "lr"), ERR_OK);
    TEST_ASSERT_STR(acl_of("user.bob"), OWNER_ACL("bob") "carol\tlr\t");
    mb = open_mb("user.bob");
    TEST_ASSERT_STR(mb->acl, OWNER_ACL("bob") "carol\tlr\t");
    mailbox_close(&mb);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "carol", "+sw"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "carol", "-r"), ERR_OK);
    TEST_ASSERT_STR(acl_of("user.bob"), OWNER_ACL("bob") "carol\tlsw\t");
    /* Bad input changes nothing. */
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "carol", "lrZ"),
                    ERR_BADARG);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "bad id", "lr"),
                    ERR_BADARG);
    TEST_ASSERT_STR(acl_of("user.bob"), OWNER_ACL("bob") "carol\tlsw\t");
    /* Rights to change rights. */
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", carol, "carol", "all"),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", dave, "dave", "lr"),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_setacl("user.none", admin, "dave", "lr"),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "dave", "lr"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", bob, "carol", ""), ERR_OK);
    TEST_ASSERT_STR(acl_of("user.bob"), OWNER_ACL("bob") "dave\tlr\t");
    mb = open_mb("user.bob");
    TEST_ASSERT_STR(mb->acl, OWNER_ACL("bob") "dave\tlr\t");
    mailbox_close(&mb);
    auth_free(&dave);
}

/* ---- find --------------------------------------------------------------- */

static int collect_cb(const char *name, const struct mboxlist_entry *e,
                      void *rock)
{
    struct strarray *sa = rock;
    TEST_ASSERT(e->name && e->acl && e->partition);
    strarray_append(sa, name);
    return 0;
}

static int stop_cb(const char *name, const struct mboxlist_entry *e,
                   void *rock)
{
    (void)name;
    (void)e;
    ++*(int *)rock;
    return 42;
}

static char *find_int(const char *pattern, const struct auth_state *who)
{
    struct strarray sa = STRARRAY_INITIALIZER;
    char *s;
    TEST_ASSERT_INT(mboxlist_find(pattern, who, collect_cb, &sa), ERR_OK);
    s = strarray_join(&sa, " ");
    strarray_fini(&sa);
    return s;
}

static char *find_ext(const char *pattern, const char *userid,
                      const struct auth_state *who)
{
    struct strarray sa = STRARRAY_INITIALIZER;
    char *s;
    TEST_ASSERT_INT(mboxlist_find_external(pattern, userid, who, collect_cb,
                                           &sa), ERR_OK);
    s = strarray_join(&sa, " ");
    strarray_fini(&sa);
    return s;
}

#define CHECK_FIND(call, want)                                                \
    do {                                                                      \
        char *got_ = (call);                                                  \
        TEST_ASSERT_STR(got_, want);                                          \
        free(got_);                                                           \
    } while (0)

static void test_find(void)
{
    int calls = 0;
    setup();
    make("user.bob", admin);
    make("user.bob.a", bob);
    make("user.bob.a.b", bob);
    make("user.bob.c", bob);
    make("user.alice", admin);
    make("user.alice.x", alice);
    make("user.alice.y", alice);
    make("shared", admin);
    make("shared.news", admin);
    make("hidden", admin);
    TEST_ASSERT_INT(mboxlist_setacl("hidden", admin, "anyone", ""), ERR_OK);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice.x", alice, "bob", "l"), ERR_OK);

    CHECK_FIND(find_int("*", bob), "shared shared.news user.alice.x user.bob "
                                   "user.bob.a user.bob.a.b user.bob.c");
    CHECK_FIND(find_int("user.bob.%", bob), "user.bob.a user.bob.c");
    CHECK_FIND(find_int("user.%", bob), "user.bob");
    CHECK_FIND(find_int("user.*.x", bob), "user.alice.x");
    CHECK_FIND(find_int("%", bob), "shared");
    CHECK_FIND(find_int("nomatch*", bob), "");
    CHECK_FIND(find_int("user.bob", bob), "user.bob");
    CHECK_FIND(find_int("%", admin), "hidden shared");
    CHECK_FIND(find_int("user.alice*", carol), "");
    /* A callback's non-zero value stops the walk and comes back. */
    TEST_ASSERT_INT(mboxlist_find("*", bob, stop_cb, &calls), 42);
    TEST_ASSERT_INT(calls, 1);

    /* Client names: own mailboxes as INBOX..., first. */
    CHECK_FIND(find_ext("*", "bob", bob), "INBOX INBOX.a INBOX.a.b INBOX.c "
                                          "shared shared.news user.alice.x");
    CHECK_FIND(find_ext("%", "bob", bob), "INBOX shared");
    CHECK_FIND(find_ext("INBOX.%", "bob", bob), "INBOX.a INBOX.c");
    CHECK_FIND(find_ext("inbox.*", "bob", bob), "INBOX.a INBOX.a.b INBOX.c");
    CHECK_FIND(find_ext("Inbox", "bob", bob), "INBOX");
    CHECK_FIND(find_ext("INBOX.a", "bob", bob), "INBOX.a");
    CHECK_FIND(find_ext("IN*", "bob", bob), "INBOX INBOX.a INBOX.a.b INBOX.c");
    CHECK_FIND(find_ext("user.bob*", "bob", bob), "");
    CHECK_FIND(find_ext("user.*", "bob", bob), "user.alice.x");
    CHECK_FIND(find_ext("*", "alice", alice),
               "INBOX INBOX.x INBOX.y shared shared.news");
    CHECK_FIND(find_ext("%", NULL, admin), "hidden shared");
    CHECK_FIND(find_ext("user.%", NULL, admin), "user.alice user.bob");
    CHECK_FIND(find_ext("*", "carol", carol), "shared shared.news");
    calls = 0;
    TEST_ASSERT_INT(mboxlist_find_external("*", "bob", bob, stop_cb, &calls),
                    42);
    TEST_ASSERT_INT(calls, 1);
    /* A corrupt record is skipped, the rest still listed. */
    corrupt_record("user.bob.a");
    CHECK_FIND(find_int("user.bob.*", bob), "user.bob.a.b user.bob.c");
}

/* ---- dump / load -------------------------------------------------------- */

static char *dump_text(void)
{
    FILE *f = tmpfile();
    char *text;
    long len;
    TEST_ASSERT(f != NULL);
    TEST_ASSERT_INT(mboxlist_dump(f), ERR_OK);
    len = ftell(f);
    text = xzmalloc((size_t)len + 1);
    rewind(f);
    TEST_ASSERT(fread(text, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    return text;
}

static int load_bytes(const char *text, size_t len, int replace,
                      struct buf *err)
{
    FILE *f = tmpfile();
    int r;
    TEST_ASSERT(f != NULL);
    TEST_ASSERT(fwrite(text, 1, len, f) == len);
    rewind(f);
    r = mboxlist_load(f, replace, err);
    fclose(f);
    return r;
}

static int load_text(const char *text, int replace, struct buf *err)
{
    return load_bytes(text, strlen(text), replace, err);
}

static void test_dump_load(void)
{
    struct buf err = BUF_INITIALIZER;
    struct mboxlist_entry e;
    char *dump, *again, *uid_bob;

    setup();
    make("user.bob", admin);
    make("user.bob.x", bob);
    TEST_ASSERT_INT(mboxlist_create("lists", "other", admin, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob.x", bob, "group:staff", "lr"),
                    ERR_OK);
    dump = dump_text();
    TEST_ASSERT_STR(dump, "lists\tother\tanyone\tlrs\t\n"
                          "user.bob\tdefault\tbob\tlrswipkxtea\t\n"
                          "user.bob.x\tdefault\tbob\tlrswipkxtea\t"
                          "group:staff\tlr\t\n");
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", &e), ERR_OK);
    uid_bob = xstrdup(e.uniqueid);
    mboxlist_entry_fini(&e);

    /* Loading over existing records needs replace; nothing half-done. */
    TEST_ASSERT_INT(load_text("zzz.new\tdefault\t\nuser.bob\tdefault\t\n", 0,
                              &err), ERR_EXISTS);
    TEST_ASSERT_STR(buf_cstring(&err), "line 2: mailbox already exists");
    TEST_ASSERT_INT(mboxlist_lookup("zzz.new", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(load_text("user.bob\tother\tbob\tlr\t\n", 1, &err),
                    ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&err), "");
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", &e), ERR_OK);
    TEST_ASSERT_STR(e.partition, "other");
    TEST_ASSERT_STR(e.acl, "bob\tlr\t");
    TEST_ASSERT_STR(e.uniqueid, uid_bob);   /* kept */
    mboxlist_entry_fini(&e);

    /* A fresh database from the dump: same text, unique ids from the
     * mailboxes' own headers. */
    mboxlist_close();
    TEST_ASSERT_INT(util_remove_tree(test_path("conf")), ERR_OK);
    TEST_ASSERT_INT(load_text(dump, 0, &err), ERR_OK);
    again = dump_text();
    TEST_ASSERT_STR(again, dump);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", &e), ERR_OK);
    TEST_ASSERT_STR(e.uniqueid, uid_bob);
    mboxlist_entry_fini(&e);
    free(again);
    free(dump);
    free(uid_bob);
    buf_free(&err);
}

static void test_load_bad_lines(void)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        { "a\tdefault\t\nb\tdefault\n", "line 2: expected" },
        { "a\tdefault\t\n\n", "line 2: expected" },
        { "a..b\tdefault\t\n", "line 1: invalid mailbox name" },
        { "a\tdefault\t\nb\tnope\t\n", "line 2: unknown partition" },
        { "a\tdefault\tbob\n", "line 1: invalid ACL" },
        { "a\tdefault\tbob\tlrQ\t\n", "line 1: invalid ACL" },
        { "b\tdefault\t\na\tdefault\t\nb\tother\t\n",
          "line 3: mailbox listed twice (first on line 1)" },
    };
    struct buf err = BUF_INITIALIZER;
    setup();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_ASSERT_INT(load_text(cases[i].text, 1, &err), ERR_BADFORMAT);
        if (strncmp(buf_cstring(&err), cases[i].error, strlen(cases[i].error)))
            test_fail(__FILE__, __LINE__, "case %zu: error \"%s\"", i,
                      buf_cstring(&err));
        TEST_ASSERT_INT(mboxlist_lookup("a", NULL), ERR_NOTFOUND);
    }
    {
        static const char nul[] = "a\tdefault\t\nc\td\0x\t\n";
        TEST_ASSERT_INT(load_bytes(nul, sizeof(nul) - 1, 1, &err),
                        ERR_BADFORMAT);
    }
    TEST_ASSERT_STR(buf_cstring(&err), "line 2: NUL byte");
    TEST_ASSERT_INT(mboxlist_lookup("a", NULL), ERR_NOTFOUND);
    /* Errors do not need a buffer. */
    TEST_ASSERT_INT(load_text("x\n", 0, NULL), ERR_BADFORMAT);
    buf_free(&err);
}

/* ---- the UIDVALIDITY counter ------------------------------------------- */

static uint32_t uidvalidity_of(const char *name)
{
    struct mailbox *mb = open_mb(name);
    uint32_t v = mb->i.uidvalidity;
    mailbox_close(&mb);
    return v;
}

/* The counter's value, read from mailboxes.db directly (mboxlist.h). */
static uint32_t counter_value(void)
{
    struct db_env *env = NULL;
    struct db *db = NULL;
    struct buf v = BUF_INITIALIZER;
    uint32_t last;

    mboxlist_close();                   /* one handle on the file */
    TEST_ASSERT_INT(db_env_open(test_path("conf/db"), &env), ERR_OK);
    TEST_ASSERT_INT(db_open(env, test_path("conf/mailboxes.db"), 0, &db),
                    ERR_OK);
    TEST_ASSERT_INT(db_fetch(db, NULL, MBOXLIST_UIDVALIDITY_KEY,
                             strlen(MBOXLIST_UIDVALIDITY_KEY), &v), ERR_OK);
    TEST_ASSERT_INT(v.len, 12);
    TEST_ASSERT_INT(util_crc32(0, v.s, 8),
                    util_get32((const unsigned char *)v.s + 8));
    last = util_get32((const unsigned char *)v.s + 4);
    buf_free(&v);
    db_close(&db);
    db_env_close(&env);
    return last;
}

static void test_uidvalidity_counter(void)
{
    struct buf err = BUF_INITIALIZER, path = BUF_INITIALIZER;
    struct mboxlist_entry e;
    uint32_t old, v, prev;
    char name[32], *list, *dump;

    setup();
    make("user.bob", admin);
    /* DELETE then CREATE of one name (in the same second, usually): a new,
     * larger UIDVALIDITY, so the old UID 1 never names a new message. */
    make("user.bob.box", bob);
    old = uidvalidity_of("user.bob.box");
    TEST_ASSERT(old + 60 >= (uint32_t)time(NULL));     /* from the clock */
    TEST_ASSERT_INT(mboxlist_delete("user.bob.box", bob, 0), ERR_OK);
    make("user.bob.box", bob);
    TEST_ASSERT(uidvalidity_of("user.bob.box") > old);
    /* RENAME onto a name just deleted: the two never shared a value. */
    make("user.bob.a", bob);
    old = uidvalidity_of("user.bob.box");
    v = uidvalidity_of("user.bob.a");
    TEST_ASSERT(v > old);
    TEST_ASSERT_INT(mboxlist_delete("user.bob.box", bob, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.a", "user.bob.box", NULL, bob),
                    ERR_OK);
    TEST_ASSERT_INT(uidvalidity_of("user.bob.box"), v);
    /* Many creates in one second: strictly increasing, ahead of the clock
     * if need be; the counter holds the last one. */
    prev = v;
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "user.bob.m%02d", i);
        make(name, bob);
        v = uidvalidity_of(name);
        TEST_ASSERT(v > prev);
        prev = v;
    }
    TEST_ASSERT_INT(counter_value(), prev);
    /* Never a mailbox: not found, not listed, not dumped. */
    TEST_ASSERT_INT(mboxlist_lookup(MBOXLIST_UIDVALIDITY_KEY, NULL),
                    ERR_NOTFOUND);
    list = find_int("*", admin);
    TEST_ASSERT(!strncmp(list, "user.bob user.bob.box user.bob.m00 ", 35) &&
                strchr(list, '$') == NULL && strlen(list) == 21 + 40 * 13);
    free(list);
    CHECK_FIND(find_ext("%", "bob", bob), "INBOX");
    CHECK_FIND(find_ext("$*", "bob", admin), "");
    dump = dump_text();                 /* ERR_OK: nothing corrupt */
    TEST_ASSERT(strchr(dump, '$') == NULL);
    TEST_ASSERT(!strncmp(dump, "user.bob\tdefault\t", 17));
    /* A fresh database loaded from the dump resumes above every mailbox
     * on disk, though the clock is behind the last value. */
    mboxlist_close();
    TEST_ASSERT_INT(util_remove_tree(test_path("conf")), ERR_OK);
    TEST_ASSERT_INT(load_text(dump, 0, &err), ERR_OK);
    TEST_ASSERT_INT(counter_value(), prev);
    make("user.bob.new", bob);
    TEST_ASSERT(uidvalidity_of("user.bob.new") > prev);
    prev = uidvalidity_of("user.bob.new");
    /* reconstruct of a mailbox whose index is lost: a new value, too. */
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.m00", &e), ERR_OK);
    TEST_ASSERT_INT(mboxlist_entry_path(&e, &path), ERR_OK);
    buf_appendcstr(&path, "/" MAILBOX_INDEX_FILE);
    TEST_ASSERT_INT(unlink(buf_cstring(&path)), 0);
    TEST_ASSERT_INT(reconstruct_mailbox("user.bob.m00", NULL, NULL), ERR_OK);
    TEST_ASSERT(uidvalidity_of("user.bob.m00") > prev);
    TEST_ASSERT_INT(counter_value(), uidvalidity_of("user.bob.m00"));
    mboxlist_entry_fini(&e);
    buf_free(&path);
    buf_free(&err);
    free(dump);
}

/* ---- crash -------------------------------------------------------------- */

/* Create mailboxes forever, writing each name to fd once it is done. */
static void writer(int round, int fd)
{
    struct auth_state *me = auth_new_groups("admin", 1, NULL);
    char name[64];
    db_fork_child();
    for (int i = 0;; i++) {
        snprintf(name, sizeof(name), "crash.r%d.m%05d", round, i);
        if (mboxlist_create(name, NULL, me, 0))
            _exit(3);
        if (dprintf(fd, "%s\n", name) < 0)
            _exit(4);
    }
}

/* Run a writer, kill it with SIGKILL after at least min names plus a
 * random delay, and return every name it reported. */
static struct strarray *run_and_kill(int round, int min)
{
    struct buf out = BUF_INITIALIZER;
    struct strarray *names;
    char chunk[4096];
    int fds[2], status, lines = 0;
    ssize_t n;
    pid_t pid;

    TEST_ASSERT(pipe(fds) == 0);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writer(round, fds[1]);
    }
    close(fds[1]);
    while (lines < min && (n = read(fds[0], chunk, sizeof(chunk))) > 0) {
        buf_appendmap(&out, chunk, (size_t)n);
        for (ssize_t i = 0; i < n; i++)
            lines += chunk[i] == '\n';
    }
    usleep((useconds_t)(rand() % 30000));
    kill(pid, SIGKILL);
    while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
        buf_appendmap(&out, chunk, (size_t)n);
    close(fds[0]);
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* A name cut short by the kill was not acknowledged: drop it. */
    while (out.len && out.s[out.len - 1] != '\n')
        out.len--;
    names = strarray_split(buf_cstring(&out), "\n");
    buf_free(&out);
    return names;
}

static void test_kill_mid_transaction(void)
{
    setup();
    make("crash", admin);
    srand((unsigned)getpid());
    for (int round = 0; round < 3; round++) {
        struct strarray *names;
        char next[64];
        int r;

        /* No handle may cross the fork. */
        mboxlist_close();
        names = run_and_kill(round, 20);
        TEST_ASSERT(names->count >= 20);
        /* Every acknowledged mailbox is there: record and files. */
        for (size_t i = 0; i < names->count; i++) {
            struct mailbox *mb = open_mb(names->data[i]);
            TEST_ASSERT_INT(mb->i.num_records, 0);
            mailbox_close(&mb);
        }
        /* The interrupted one either committed or left at most an empty
         * directory: creating it works or finds it. */
        snprintf(next, sizeof(next), "crash.r%d.m%05zu", round, names->count);
        r = mboxlist_create(next, NULL, admin, 0);
        TEST_ASSERT(r == ERR_OK || r == ERR_EXISTS);
        TEST_ASSERT_INT(mboxlist_lookup(next, NULL), ERR_OK);
        strarray_free(&names);
    }
    /* The database is whole: a full dump decodes every record. */
    {
        char *dump = dump_text();
        TEST_ASSERT(strstr(dump, "crash.r2.m00019\tdefault\t") != NULL);
        free(dump);
    }
}

TEST_MAIN("mboxlist",
          TEST_CASE(test_codec),
          TEST_CASE(test_create_user_and_children),
          TEST_CASE(test_create_refusals),
          TEST_CASE(test_create_shared_and_partitions),
          TEST_CASE(test_create_hashed_spool_and_quota_root),
          TEST_CASE(test_hostile_names),
          TEST_CASE(test_lookup_access),
          TEST_CASE(test_corrupt_record),
          TEST_CASE(test_delete_rights),
          TEST_CASE(test_delete_children_flag),
          TEST_CASE(test_delete_user_recursive),
          TEST_CASE(test_delete_releases_quota),
          TEST_CASE(test_rename_hierarchy),
          TEST_CASE(test_rename_rights),
          TEST_CASE(test_rename_partitions),
          TEST_CASE(test_rename_quota),
          TEST_CASE(test_rename_user),
          TEST_CASE(test_rename_inbox),
          TEST_CASE(test_setquota_reroot),
          TEST_CASE(test_setacl),
          TEST_CASE(test_find),
          TEST_CASE(test_dump_load),
          TEST_CASE(test_load_bad_lines),
          TEST_CASE(test_uidvalidity_counter),
          TEST_CASE(test_kill_mid_transaction),
          TEST_CASE(test_intent_codec),
          TEST_CASE(test_intent_live_owner),
          TEST_CASE(test_crash_rename_one),
          TEST_CASE(test_crash_rename_tree),
          TEST_CASE(test_crash_rename_user),
          TEST_CASE(test_crash_rename_partition),
          TEST_CASE(test_crash_rename_rollback),
          TEST_CASE(test_crash_create_delete),
          TEST_CASE(test_crash_quota_append_expunge),
          TEST_CASE(test_crash_rename_quota),
          TEST_CASE(test_crash_setquota),
          TEST_CASE(test_crash_rename_inbox),
          TEST_CASE(test_race_rename_create_delete))
