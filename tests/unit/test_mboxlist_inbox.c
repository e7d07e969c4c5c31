/* test_mboxlist_inbox.c -- the mailbox-list operations that moved out of
 * the IMAP commands: RENAME of a user's own INBOX
 * (mboxlist_rename_inbox) and quota roots set or removed with re-rooting
 * (mboxlist_setquota, mboxlist_unsetquota).  Run from test_mboxlist.c. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/error.h"
#include "lib/strarray.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "tests/unit/harness.h"
#include "tests/unit/mboxlist_check.h"

/* Append one real message (cache entry and all) with flags and keyword kw
 * (NULL: none) through append, as APPEND would for user "bob". */
static void put(const char *name, uint32_t flags, const char *kw)
{
    struct append_params p = { .quota = APPEND_QUOTA_IGNORE,
                               .seen_userid = "bob" };
    struct strarray kws = STRARRAY_INITIALIZER;
    struct append_state *as = NULL;
    struct mailbox *mb = open_mb(name);
    static const char msg[] = "From: a@b.c\r\nSubject: hi\r\n\r\nbody\r\n";

    mailbox_unlock(mb);
    if (kw)
        strarray_append(&kws, kw);
    TEST_ASSERT_INT(append_begin(mb, &p, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg, strlen(msg), 0, flags, &kws,
                                   NULL), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    strarray_fini(&kws);
    mailbox_close(&mb);
}

static int seen_has(const char *name, uint32_t uid)
{
    struct mboxlist_entry e;
    struct seen *s = NULL;
    struct seen_data d;
    int yes;

    TEST_ASSERT_INT(mboxlist_lookup(name, &e), ERR_OK);
    TEST_ASSERT_INT(seen_open("bob", 0, &s), ERR_OK);
    seen_read(s, e.uniqueid, &d);
    yes = seqset_ismember(d.seenuids, uid);
    seen_data_fini(&d);
    seen_close(&s);
    mboxlist_entry_fini(&e);
    return yes;
}

void test_rename_inbox(void)
{
    struct mailbox *mb;
    struct index_record rec;
    uint32_t uidvalidity;
    int64_t used;
    int idx;

    setup();
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_setquota("user.bob", 1000, QUOTA_UNLIMITED,
                                      admin), ERR_OK);
    put("user.bob", APPEND_SEEN | FLAG_FLAGGED, "$Work");
    put("user.bob", 0, NULL);
    put("user.bob", APPEND_SEEN, NULL);
    mb = open_mb("user.bob");
    uidvalidity = mb->i.uidvalidity;
    mailbox_close(&mb);
    used = quota_used("user.bob");
    TEST_ASSERT(used > 0);

    /* Refusals change nothing. */
    TEST_ASSERT_INT(mboxlist_rename_inbox("user.bob", "user.bob", bob),
                    ERR_EXISTS);
    make("user.bob.taken", bob);
    TEST_ASSERT_INT(mboxlist_rename_inbox("user.bob", "user.bob.taken", bob),
                    ERR_EXISTS);
    TEST_ASSERT_INT(mboxlist_rename_inbox("user.bob", "user.alice.x", bob),
                    ERR_PERM);
    mb = open_mb("user.bob");
    TEST_ASSERT_INT(mb->i.num_records, 3);
    mailbox_close(&mb);

    TEST_ASSERT_INT(mboxlist_rename_inbox("user.bob", "user.bob.old", bob),
                    ERR_OK);
    /* INBOX stays, empty, with its UIDVALIDITY; no file left in it. */
    mb = open_mb("user.bob");
    TEST_ASSERT_INT(mb->i.num_records, 0);
    TEST_ASSERT_INT(mb->i.uidvalidity, uidvalidity);
    mailbox_close(&mb);
    TEST_ASSERT(!exists_path("spool/user/bob/1."));
    /* The new mailbox has every message, flags, keywords and \Seen. */
    mb = open_mb("user.bob.old");
    TEST_ASSERT_INT(mb->i.num_records, 3);
    TEST_ASSERT_INT(mailbox_read_record(mb, 0, &rec), ERR_OK);
    TEST_ASSERT(rec.system_flags & FLAG_FLAGGED);
    TEST_ASSERT_INT(mailbox_user_flag(mb, "$Work", 0, &idx), ERR_OK);
    TEST_ASSERT(index_record_has_user_flag(&rec, idx));
    mailbox_close(&mb);
    TEST_ASSERT(exists_path("spool/user/bob/old/1."));
    TEST_ASSERT(seen_has("user.bob.old", 1));
    TEST_ASSERT(!seen_has("user.bob.old", 2));
    TEST_ASSERT(seen_has("user.bob.old", 3));
    /* One quota root: the usage is what it was (charged and released). */
    TEST_ASSERT_INT(quota_used("user.bob"), used);

    /* An empty INBOX renames to an empty mailbox. */
    TEST_ASSERT_INT(mboxlist_rename_inbox("user.bob", "user.bob.empty", bob),
                    ERR_OK);
    mb = open_mb("user.bob.empty");
    TEST_ASSERT_INT(mb->i.num_records, 0);
    mailbox_close(&mb);
    TEST_ASSERT_INT(mboxlist_lookup("user.bob", NULL), ERR_OK);
}

static char *header_root(const char *name)
{
    struct mailbox *mb = open_mb(name);
    char *root = mb->quotaroot ? strdup(mb->quotaroot) : NULL;
    mailbox_close(&mb);
    return root;
}

void test_setquota_reroot(void)
{
    int64_t inbox_bytes, proj_bytes, deep_bytes;
    char *root;
    struct quota q;

    setup();
    make("user.bob", admin);
    TEST_ASSERT_INT(mboxlist_setquota("user.bob", 1000, QUOTA_UNLIMITED,
                                      admin), ERR_OK);
    make("user.bob.proj", bob);
    make("user.bob.proj.deep", bob);
    make("user.bob.other", bob);
    inbox_bytes = add_messages("user.bob", 1);
    proj_bytes = add_messages("user.bob.proj", 2);
    deep_bytes = add_messages("user.bob.proj.deep", 3);
    inbox_bytes += add_messages("user.bob.other", 1);
    TEST_ASSERT_INT(quota_used("user.bob"),
                    inbox_bytes + proj_bytes + deep_bytes);

    /* Only administrators; only existing mailboxes. */
    TEST_ASSERT_INT(mboxlist_setquota("user.bob.proj", 10, 5, bob), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setquota("user.bob.none", 10, 5, admin),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_unsetquota("user.bob.proj", bob), ERR_PERM);
    TEST_ASSERT(!exists_path("conf/quota/user.bob.proj"));

    /* A new root takes over the mailboxes at and below it. */
    TEST_ASSERT_INT(mboxlist_setquota("user.bob.proj", 10, 5, admin), ERR_OK);
    TEST_ASSERT_INT(quota_used("user.bob.proj"), proj_bytes + deep_bytes);
    TEST_ASSERT_INT(quota_used("user.bob"), inbox_bytes);
    TEST_ASSERT_STR((root = header_root("user.bob.proj.deep")),
                    "user.bob.proj");
    free(root);
    TEST_ASSERT_STR((root = header_root("user.bob.other")), "user.bob");
    free(root);
    TEST_ASSERT_INT(quota_read("user.bob.proj", &q), ERR_OK);
    TEST_ASSERT_INT(q.limit[QUOTA_STORAGE], 10);
    TEST_ASSERT_INT(q.limit[QUOTA_MESSAGE], 5);
    TEST_ASSERT_INT(q.used[QUOTA_MESSAGE], 5);
    quota_fini(&q);

    /* Changing the limits of an existing root moves nothing. */
    TEST_ASSERT_INT(mboxlist_setquota("user.bob.proj", 20, QUOTA_UNLIMITED,
                                      admin), ERR_OK);
    TEST_ASSERT_INT(quota_used("user.bob.proj"), proj_bytes + deep_bytes);

    /* Removing it gives them back to the root above. */
    TEST_ASSERT_INT(mboxlist_unsetquota("user.bob.proj", admin), ERR_OK);
    TEST_ASSERT(!exists_path("conf/quota/user.bob.proj"));
    TEST_ASSERT_INT(quota_used("user.bob"),
                    inbox_bytes + proj_bytes + deep_bytes);
    TEST_ASSERT_STR((root = header_root("user.bob.proj.deep")), "user.bob");
    free(root);
    /* Removing a root that is not there is fine. */
    TEST_ASSERT_INT(mboxlist_unsetquota("user.bob.proj", admin), ERR_OK);

    /* Removing the top root leaves the mailboxes without one. */
    TEST_ASSERT_INT(mboxlist_unsetquota("user.bob", admin), ERR_OK);
    TEST_ASSERT(header_root("user.bob.proj") == NULL);
    TEST_ASSERT(header_root("user.bob") == NULL);
}
