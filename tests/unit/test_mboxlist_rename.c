/* test_mboxlist_rename.c -- mboxlist_rename(): hierarchies, rights,
 * partitions, quota roots and usage, and user renames carrying ACL
 * entries, subscriptions and seen state.  Run from test_mboxlist.c. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/subs.h"
#include "tests/unit/harness.h"
#include "tests/unit/mboxlist_check.h"

void test_rename_hierarchy(void)
{
    struct mboxlist_entry before, after;
    struct mailbox *mb;
    uint32_t uidvalidity;
    setup();
    make("user.bob", admin);
    make("user.bob.work", bob);
    make("user.bob.work.a", bob);
    make("user.bob.work.a.deep", bob);
    make("user.bob.workshop", bob);         /* a prefix, not a child */
    add_messages("user.bob.work", 2);
    add_messages("user.bob.work.a.deep", 1);
    mb = open_mb("user.bob.work");
    uidvalidity = mb->i.uidvalidity;
    mailbox_close(&mb);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.work", &before), ERR_OK);

    TEST_ASSERT_INT(mboxlist_rename("user.bob.work", "user.bob.play", NULL,
                                    bob), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.work", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.work.a", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.play.a", NULL), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.play.a.deep", NULL), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.workshop", NULL), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.play", &after), ERR_OK);
    TEST_ASSERT_STR(after.uniqueid, before.uniqueid);
    TEST_ASSERT_STR(after.acl, before.acl);
    TEST_ASSERT_INT(after.created, before.created);
    mboxlist_entry_fini(&before);
    mboxlist_entry_fini(&after);
    TEST_ASSERT(!exists_path("spool/user/bob/work"));
    TEST_ASSERT(exists_path("spool/user/bob/workshop/cyrus.index"));
    TEST_ASSERT(exists_path("spool/user/bob/play/2."));
    TEST_ASSERT(exists_path("spool/user/bob/play/a/deep/1."));
    mb = open_mb("user.bob.play");
    TEST_ASSERT_INT(mb->i.num_records, 2);
    TEST_ASSERT_INT(mb->i.uidvalidity, uidvalidity);
    mailbox_close(&mb);

    /* Refusals leave everything in place. */
    make("user.bob.taken", bob);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.play", "user.bob.taken", NULL,
                                    bob), ERR_EXISTS);
    make("user.bob.t2.a", bob);     /* user.bob.t2 itself does not exist */
    TEST_ASSERT_INT(mboxlist_rename("user.bob.play", "user.bob.t2", NULL,
                                    bob), ERR_EXISTS);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.t2", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.play", "user.bob.play.in", NULL,
                                    bob), ERR_BADARG);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.play.a", "user.bob.play", NULL,
                                    bob), ERR_BADARG);
    TEST_ASSERT_INT(mboxlist_rename("user.bob", "user.bob.inbox", NULL, bob),
                    ERR_NOTSUPP);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.play", "toplevel", NULL, bob),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.nothing", "user.bob.x", NULL,
                                    bob), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob.play.a.deep", NULL), ERR_OK);
    TEST_ASSERT(exists_path("spool/user/bob/play/a/deep/1."));
}

void test_rename_rights(void)
{
    setup();
    make("user.alice", admin);
    make("user.alice.x", alice);
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_rename("user.alice.x", "user.bob.x", NULL, bob),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice.x", alice, "bob", "lr"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.alice.x", "user.bob.x", NULL, bob),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice.x", alice, "bob", "lrx"),
                    ERR_OK);
    /* x on the old one, but no k in alice's INBOX for the new name. */
    TEST_ASSERT_INT(mboxlist_rename("user.alice.x", "user.alice.y", NULL, bob),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_rename("user.alice.x", "user.bob.x", NULL, bob),
                    ERR_OK);
    TEST_ASSERT(exists_path("spool/user/bob/x/cyrus.index"));
    /* A user rename is for administrators only. */
    TEST_ASSERT_INT(mboxlist_setacl("user.alice", alice, "bob", "lrx"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.alice", "user.zed", NULL, bob),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice", admin, "admin", "+x"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.alice", "shared.alice", NULL,
                                    admin), ERR_NOTSUPP);
    TEST_ASSERT_INT(mboxlist_lookup("user.alice", NULL), ERR_OK);
}

void test_rename_partitions(void)
{
    struct mboxlist_entry e;
    struct mailbox *mb;
    setup();
    make("shared", admin);
    make("shared.a", admin);
    TEST_ASSERT_INT(mboxlist_setacl("shared", admin, "admin", "+x"), ERR_OK);
    add_messages("shared", 2);
    add_messages("shared.a", 1);
    /* To another partition: copied, then the old files go. */
    TEST_ASSERT_INT(mboxlist_rename("shared", "public", "other", admin),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("public.a", &e), ERR_OK);
    TEST_ASSERT_STR(e.partition, "other");
    mboxlist_entry_fini(&e);
    TEST_ASSERT(exists_path("spool2/public/2."));
    TEST_ASSERT(exists_path("spool2/public/a/1."));
    TEST_ASSERT(!exists_path("spool/shared"));
    mb = open_mb("public");
    TEST_ASSERT_INT(mb->i.num_records, 2);
    mailbox_close(&mb);
    /* Same name, other partition: only that mailbox moves, by admins. */
    TEST_ASSERT_INT(mboxlist_rename("public", "public", "other", admin),
                    ERR_EXISTS);
    TEST_ASSERT_INT(mboxlist_rename("public", "public", NULL, admin),
                    ERR_EXISTS);
    TEST_ASSERT_INT(mboxlist_rename("public", "public", "nope", admin),
                    ERR_BADARG);
    TEST_ASSERT_INT(mboxlist_rename("public", "public", "default", admin),
                    ERR_OK);
    TEST_ASSERT(exists_path("spool/public/2."));
    TEST_ASSERT(!exists_path("spool2/public/2."));
    TEST_ASSERT(exists_path("spool2/public/a/1."));
    TEST_ASSERT_INT(mboxlist_lookup("public", &e), ERR_OK);
    TEST_ASSERT_STR(e.partition, "default");
    mboxlist_entry_fini(&e);
    mb = open_mb("public");
    TEST_ASSERT_INT(mb->i.num_records, 2);
    mailbox_close(&mb);
    /* The children on the other partition follow a same-partition rename
     * of their parent on theirs. */
    TEST_ASSERT_INT(mboxlist_rename("public", "pub", NULL, admin), ERR_OK);
    TEST_ASSERT(exists_path("spool/pub/2."));
    TEST_ASSERT(exists_path("spool2/pub/a/1."));
    TEST_ASSERT(!exists_path("spool2/public"));
}

void test_rename_quota(void)
{
    struct mailbox *mb;
    int64_t a_bytes, x_bytes;
    setup();
    make("user.bob", admin);
    make("user.alice", admin);
    TEST_ASSERT_INT(quota_set_limits("user.bob", 1000, -1), ERR_OK);
    TEST_ASSERT_INT(quota_set_limits("user.alice", 1000, -1), ERR_OK);
    make("user.bob.proj", bob);
    make("user.bob.x", bob);
    TEST_ASSERT_INT(quota_set_limits("user.bob.proj", 50, -1), ERR_OK);
    /* user.bob.proj's own root arrived after it: refresh its header. */
    mb = open_mb("user.bob.proj");
    free(mb->quotaroot);
    mb->quotaroot = xstrdup("user.bob.proj");
    TEST_ASSERT_INT(mailbox_write_header(mb), ERR_OK);
    mailbox_close(&mb);
    a_bytes = add_messages("user.bob.proj", 2);
    x_bytes = add_messages("user.bob.x", 3);
    TEST_ASSERT_INT(quota_used("user.bob.proj"), a_bytes);
    TEST_ASSERT_INT(quota_used("user.bob"), x_bytes);

    /* The root named after the mailbox moves with it. */
    TEST_ASSERT_INT(mboxlist_rename("user.bob.proj", "user.bob.done", NULL,
                                    bob), ERR_OK);
    TEST_ASSERT(!exists_path("conf/quota/user.bob.proj"));
    TEST_ASSERT_INT(quota_used("user.bob.done"), a_bytes);
    TEST_ASSERT_INT(quota_used("user.bob"), x_bytes);
    mb = open_mb("user.bob.done");
    TEST_ASSERT_STR(mb->quotaroot, "user.bob.done");
    mailbox_close(&mb);

    /* Usage moves between roots when the root changes. */
    TEST_ASSERT_INT(mboxlist_setacl("user.alice", alice, "bob", "lk"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.x", "user.alice.frombob", NULL,
                                    bob), ERR_OK);
    TEST_ASSERT_INT(quota_used("user.bob"), 0);
    TEST_ASSERT_INT(quota_used("user.alice"), x_bytes);
    mb = open_mb("user.alice.frombob");
    TEST_ASSERT_STR(mb->quotaroot, "user.alice");
    mailbox_close(&mb);
}

void test_rename_user(void)
{
    struct mboxlist_entry e;
    struct mailbox *mb;
    struct seen *s;
    struct seen_data d;
    struct strarray subs = STRARRAY_INITIALIZER;
    char *uid_inbox;
    int64_t bytes;

    setup();
    make("user.alice", admin);
    make("user.alice.x", alice);
    make("user.alice.x.y", alice);
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice.x", alice, "bob", "lr"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_setacl("user.alice.x", alice, "-alice", "w"),
                    ERR_OK);
    TEST_ASSERT_INT(quota_set_limits("user.alice", 1000, -1), ERR_OK);
    make("user.alice.q", alice);
    bytes = add_messages("user.alice.q", 2);
    TEST_ASSERT_INT(subs_add("alice", "user.alice"), ERR_OK);
    TEST_ASSERT_INT(subs_add("alice", "user.alice.x.y"), ERR_OK);
    TEST_ASSERT_INT(subs_add("alice", "user.bob"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.alice", &e), ERR_OK);
    uid_inbox = xstrdup(e.uniqueid);
    mboxlist_entry_fini(&e);
    TEST_ASSERT_INT(seen_open("alice", SEEN_CREATE, &s), ERR_OK);
    memset(&d, 0, sizeof(d));
    d.lastread = 77;
    TEST_ASSERT_INT(seen_write(s, uid_inbox, &d), ERR_OK);
    seen_close(&s);

    TEST_ASSERT_INT(mboxlist_rename("user.alice", "user.zed", NULL, admin),
                    ERR_PERM);              /* admins need x too */
    TEST_ASSERT_INT(mboxlist_setacl("user.alice", admin, "admin", "+x"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.alice", "user.bob", NULL, admin),
                    ERR_EXISTS);
    TEST_ASSERT_INT(mboxlist_rename("user.alice", "user.zed", NULL, admin),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_lookup("user.alice", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.alice.x.y", NULL), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_lookup("user.zed.x.y", NULL), ERR_OK);
    TEST_ASSERT(exists_path("spool/user/zed/x/y/cyrus.index"));
    TEST_ASSERT(!exists_path("spool/user/alice"));
    /* ACL entries follow the user; others stay. */
    TEST_ASSERT_STR(acl_of("user.zed"), "zed\tlrswipkxtea\tadmin\tx\t");
    TEST_ASSERT_STR(acl_of("user.zed.x"),
                    "zed\tlrswipkxtea\tbob\tlr\t-zed\tw\t");
    mb = open_mb("user.zed.x");
    TEST_ASSERT_STR(mb->acl, "zed\tlrswipkxtea\tbob\tlr\t-zed\tw\t");
    mailbox_close(&mb);
    /* The quota root and its usage. */
    TEST_ASSERT(!exists_path("conf/quota/user.alice"));
    TEST_ASSERT_INT(quota_used("user.zed"), bytes);
    mb = open_mb("user.zed.q");
    TEST_ASSERT_STR(mb->quotaroot, "user.zed");
    mailbox_close(&mb);
    /* Subscriptions, rewritten. */
    TEST_ASSERT(!exists_path("conf/user/a/alice.sub"));
    TEST_ASSERT_INT(subs_list("zed", &subs), ERR_OK);
    TEST_ASSERT_INT(subs.count, 3);
    TEST_ASSERT_STR(subs.data[0], "user.bob");
    TEST_ASSERT_STR(subs.data[1], "user.zed");
    TEST_ASSERT_STR(subs.data[2], "user.zed.x.y");
    strarray_fini(&subs);
    /* Seen state: same unique id, now zed's. */
    TEST_ASSERT(!exists_path("conf/user/a/alice.seen"));
    TEST_ASSERT_INT(mboxlist_lookup("user.zed", &e), ERR_OK);
    TEST_ASSERT_STR(e.uniqueid, uid_inbox);
    mboxlist_entry_fini(&e);
    TEST_ASSERT_INT(seen_open("zed", 0, &s), ERR_OK);
    TEST_ASSERT_INT(seen_read(s, uid_inbox, &d), ERR_OK);
    TEST_ASSERT_INT(d.lastread, 77);
    seen_data_fini(&d);
    seen_close(&s);
    free(uid_inbox);
    /* The new user really is the owner now. */
    {
        struct auth_state *zed = auth_new_groups("zed", 0, NULL);
        TEST_ASSERT_INT(mboxlist_create("user.zed.new", NULL, zed, 0), ERR_OK);
        auth_free(&zed);
    }
}
