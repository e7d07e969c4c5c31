/* test_mboxlist_specialuse.c -- special-use roles (RFC 6154) in the
 * mailboxes database: the optional roles field of a record (records
 * without it, as older servers wrote them, still read), the canonical
 * form of a role list, CREATE with roles, setting roles with rights,
 * roles kept through RENAME and dropped by DELETE, and a create with
 * roles killed at every step (the mailbox is then absent, or present with
 * its roles); a new user's autocreated INBOX and folders
 * (mboxlist_autocreate_user()), also killed at every step and finished by
 * the next call. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/subs.h"
#include "tests/unit/harness.h"
#include "tests/unit/mboxlist_check.h"

/* mboxlist_private.h's hook, for the kills below. */
extern void (*mboxlist_intent_hook)(const char *point);

static void fix_crc(struct buf *v)
{
    util_put32((unsigned char *)v->s + v->len - 4,
               util_crc32(0, v->s, v->len - 4));
}

static void put_field(struct buf *v, const char *s)
{
    unsigned char n[4];
    util_put32(n, (uint32_t)strlen(s));
    buf_appendmap(v, n, 4);
    buf_appendcstr(v, s);
}

/* A value as a server without roles wrote it, field by field. */
static void old_value(struct buf *v)
{
    unsigned char head[12];

    memset(head, 0, sizeof(head));
    head[0] = 1;
    util_put64(head + 4, 1700000000);
    buf_reset(v);
    buf_appendmap(v, head, sizeof(head));
    put_field(v, "default");
    put_field(v, "0123456789abcdef0123456789abcdef");
    put_field(v, OWNER_ACL("bob"));
    buf_appendmap(v, "\0\0\0\0", 4);
    fix_crc(v);
}

static const char *roles_of(const char *name)
{
    static char out[128];
    struct mboxlist_entry e;

    if (mboxlist_lookup(name, &e))
        return "NOTFOUND";
    snprintf(out, sizeof(out), "%s", e.specialuse ? e.specialuse : "NONE");
    mboxlist_entry_fini(&e);
    return out;
}

static void test_specialuse_codec(void)
{
    struct mboxlist_entry e = { NULL, "default", OWNER_ACL("bob"),
                                "0123456789abcdef0123456789abcdef",
                                MBOXLIST_TYPE_NORMAL, 1700000000, NULL }, d;
    struct buf v = BUF_INITIALIZER, old = BUF_INITIALIZER;
    size_t oldlen;

    setup();
    /* No roles: byte for byte the old value, which still decodes. */
    old_value(&old);
    mboxlist_entry_encode(&e, &v);
    TEST_ASSERT_INT(v.len, old.len);
    TEST_ASSERT(!memcmp(v.s, old.s, v.len));
    TEST_ASSERT_INT(mboxlist_entry_decode("user.bob", old.s, old.len, &d),
                    ERR_OK);
    TEST_ASSERT(d.specialuse == NULL);
    TEST_ASSERT_STR(d.acl, OWNER_ACL("bob"));
    mboxlist_entry_fini(&d);
    e.specialuse = "";
    mboxlist_entry_encode(&e, &v);
    TEST_ASSERT_INT(v.len, old.len);
    oldlen = old.len;

    /* With roles: one more field, round trip. */
    e.specialuse = "\\Drafts \\Sent";
    mboxlist_entry_encode(&e, &v);
    TEST_ASSERT_INT(v.len, oldlen + 4 + 13);
    TEST_ASSERT_INT(mboxlist_entry_decode("user.bob.x", v.s, v.len, &d),
                    ERR_OK);
    TEST_ASSERT_STR(d.specialuse, "\\Drafts \\Sent");
    TEST_ASSERT_STR(d.partition, "default");
    mboxlist_entry_fini(&d);
    TEST_ASSERT(d.specialuse == NULL);
    for (size_t len = 0; len < v.len; len++)
        TEST_ASSERT_INT(mboxlist_entry_decode("x", v.s, len, &d),
                        ERR_BADFORMAT);

    /* A roles field that is empty, unknown, not canonical, or followed by
     * more bytes is corrupt. */
    {
        static const char *const bad[] = {
            "", "\\Bogus", "\\sent", "\\Sent \\Drafts", "\\Sent  \\Trash",
            "\\Sent \\Sent", " \\Sent"
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
            buf_setmap(&v, old.s, old.len - 4);
            put_field(&v, bad[i]);
            buf_appendmap(&v, "\0\0\0\0", 4);
            fix_crc(&v);
            TEST_ASSERT_INT(mboxlist_entry_decode("x", v.s, v.len, &d),
                            ERR_BADFORMAT);
        }
        buf_setmap(&v, old.s, old.len - 4);
        put_field(&v, "\\Sent");
        put_field(&v, "\\Trash");
        buf_appendmap(&v, "\0\0\0\0", 4);
        fix_crc(&v);
        TEST_ASSERT_INT(mboxlist_entry_decode("x", v.s, v.len, &d),
                        ERR_BADFORMAT);
    }
    buf_free(&v);
    buf_free(&old);
}

static void test_specialuse_normalize(void)
{
    struct buf out = BUF_INITIALIZER;

    TEST_ASSERT_INT(mboxlist_specialuse_normalize("\\sent \\DRAFTS", &out),
                    ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "\\Drafts \\Sent");
    TEST_ASSERT_INT(mboxlist_specialuse_normalize(
                        " \\Trash \\All \\Trash  \\Junk \\Flagged \\Archive",
                        &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out),
                    "\\All \\Archive \\Flagged \\Junk \\Trash");
    TEST_ASSERT_INT(mboxlist_specialuse_normalize("", &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "");
    TEST_ASSERT_INT(mboxlist_specialuse_normalize(NULL, &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "");
    TEST_ASSERT_INT(mboxlist_specialuse_normalize("\\Sent \\Important", &out),
                    ERR_BADARG);
    TEST_ASSERT_INT(mboxlist_specialuse_normalize("Sent", &out), ERR_BADARG);
    TEST_ASSERT_INT(mboxlist_specialuse_normalize("\\Sentx", &out),
                    ERR_BADARG);
    buf_free(&out);
}

static void test_specialuse_lifecycle(void)
{
    setup();
    make("user.bob", admin);
    make("user.alice", admin);
    /* CREATE with roles; a bad list creates nothing. */
    TEST_ASSERT_INT(mboxlist_create_special("user.bob.Sent", NULL, bob, 0,
                                            "\\sent"), ERR_OK);
    TEST_ASSERT_STR(roles_of("user.bob.Sent"), "\\Sent");
    TEST_ASSERT_INT(mboxlist_create_special("user.bob.X", NULL, bob, 0,
                                            "\\Nope"), ERR_BADARG);
    TEST_ASSERT_STR(roles_of("user.bob.X"), "NOTFOUND");
    TEST_ASSERT_INT(mboxlist_create_special("user.bob.Plain", NULL, bob, 0,
                                            ""), ERR_OK);
    TEST_ASSERT_STR(roles_of("user.bob.Plain"), "NONE");

    /* Set and clear, with rights: alice sees nothing of bob's; after
     * `l` only, she lacks `a`. */
    TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob.Plain", bob,
                                           "\\Trash \\Junk"), ERR_OK);
    TEST_ASSERT_STR(roles_of("user.bob.Plain"), "\\Junk \\Trash");
    TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob.Plain", alice, "\\All"),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxlist_setacl("user.bob.Plain", bob, "alice", "lr"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob.Plain", alice, "\\All"),
                    ERR_PERM);
    TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob.Plain", bob, "\\Bad"),
                    ERR_BADARG);
    TEST_ASSERT_STR(roles_of("user.bob.Plain"), "\\Junk \\Trash");
    TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob.Nope", bob, "\\All"),
                    ERR_NOTFOUND);
    /* The ACL change kept the roles; clearing keeps the ACL. */
    TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob.Plain", bob, NULL),
                    ERR_OK);
    TEST_ASSERT_STR(roles_of("user.bob.Plain"), "NONE");
    TEST_ASSERT(strstr(acl_of("user.bob.Plain"), "alice\tlr\t") != NULL);

    /* One mailbox per role and user: who holds it. */
    {
        struct buf holder = BUF_INITIALIZER;
        TEST_ASSERT_INT(mboxlist_specialuse_taken("user.bob.Plain",
                                                  "\\Archive \\sent", bob,
                                                  &holder), ERR_EXISTS);
        TEST_ASSERT_STR(buf_cstring(&holder), "user.bob.Sent");
        TEST_ASSERT_INT(mboxlist_specialuse_taken("user.bob.Sent", "\\Sent",
                                                  bob, &holder), ERR_OK);
        TEST_ASSERT_INT(mboxlist_specialuse_taken("user.alice.x", "\\Sent",
                                                  alice, &holder), ERR_OK);
        TEST_ASSERT_INT(mboxlist_specialuse_taken("shared.x", "\\Sent",
                                                  admin, &holder), ERR_OK);
        TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob", bob, "\\Drafts"),
                        ERR_OK);
        TEST_ASSERT_INT(mboxlist_specialuse_taken("user.bob.Plain",
                                                  "\\Drafts", bob, &holder),
                        ERR_EXISTS);
        TEST_ASSERT_STR(buf_cstring(&holder), "user.bob");
        TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob", bob, ""), ERR_OK);
        buf_free(&holder);
    }

    /* RENAME carries them (children too); DELETE drops them. */
    make("user.bob.Sent.kid", bob);
    TEST_ASSERT_INT(mboxlist_setspecialuse("user.bob.Sent.kid", bob,
                                           "\\Archive"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob.Sent", "user.bob.Outbox", NULL,
                                    bob), ERR_OK);
    TEST_ASSERT_STR(roles_of("user.bob.Outbox"), "\\Sent");
    TEST_ASSERT_STR(roles_of("user.bob.Outbox.kid"), "\\Archive");
    TEST_ASSERT_STR(roles_of("user.bob.Sent"), "NOTFOUND");
    TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "admin", "+x"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_rename("user.bob", "user.robert", NULL, admin),
                    ERR_OK);
    TEST_ASSERT_STR(roles_of("user.robert.Outbox"), "\\Sent");
    TEST_ASSERT_INT(mboxlist_setacl("user.robert.Outbox", admin, "admin",
                                    "+x"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_setacl("user.robert.Outbox.kid", admin, "admin",
                                    "+x"), ERR_OK);
    TEST_ASSERT_INT(mboxlist_delete("user.robert.Outbox", admin,
                                    MBOXLIST_DELETE_CHILDREN), ERR_OK);
    make("user.robert.Outbox", admin);
    TEST_ASSERT_STR(roles_of("user.robert.Outbox"), "NONE");
}

/* ctl_mboxlist -u over existing records keeps their roles (the dump has
 * no roles column). */
static void test_specialuse_load_replace(void)
{
    static const char line[] = "shared.box\tdefault\tanyone\tlr\t\n";
    struct buf err = BUF_INITIALIZER;
    FILE *in;

    setup();
    make("shared", admin);
    TEST_ASSERT_INT(mboxlist_create_special("shared.box", NULL, admin, 0,
                                            "\\Archive"), ERR_OK);
    in = fmemopen((void *)line, sizeof(line) - 1, "r");
    TEST_ASSERT(in != NULL);
    TEST_ASSERT_INT(mboxlist_load(in, 1, &err), ERR_OK);
    fclose(in);
    TEST_ASSERT_STR(acl_of("shared.box"), "anyone\tlr\t");
    TEST_ASSERT_STR(roles_of("shared.box"), "\\Archive");
    buf_free(&err);
}

/* Kill the process at the n-th intent step. */
static int kill_at, kill_count;
static void kill_hook(const char *point)
{
    (void)point;
    if (++kill_count == kill_at)
        kill(getpid(), SIGKILL);
}

/* Run op in a child killed at its kill_at-th intent step: 1 if it
 * finished (successfully: anything else fails the case), 0 if killed. */
static int run_killed(int (*op)(void))
{
    int status;
    pid_t pid = fork();

    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        kill_count = 0;
        mboxlist_intent_hook = kill_hook;
        _exit(op() ? 1 : 0);
    }
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status))
        return 0;
    TEST_ASSERT_INT(WEXITSTATUS(status), 0);
    return 1;
}

static int create_su(void)
{
    return mboxlist_create_special("shared.su", NULL, admin, 0,
                                   "\\Sent \\Archive");
}

static void test_specialuse_crash_create(void)
{
    int finished = 0;

    setup();
    make("shared", admin);
    for (kill_at = 1; !finished && kill_at < 50; kill_at++) {
        finished = run_killed(create_su);
        TEST_ASSERT_INT(mboxlist_recover_intents(), ERR_OK);
        /* Absent, or there with its roles. */
        if (mboxlist_lookup("shared.su", NULL) == ERR_OK) {
            TEST_ASSERT_STR(roles_of("shared.su"), "\\Archive \\Sent");
            TEST_ASSERT_INT(mboxlist_setacl("shared.su", admin, "admin", "+x"),
                            ERR_OK);
            TEST_ASSERT_INT(mboxlist_delete("shared.su", admin, 0), ERR_OK);
        } else {
            TEST_ASSERT(!finished);
        }
    }
    TEST_ASSERT(finished && kill_at > 2);
}

/* ---- autocreate ---------------------------------------------------------- */

#define AUTOCREATE_CONF                                                       \
    "autocreate_inbox_folders: Sent | Drafts|Trash | Junk | Lists.Work |\n"  \
    "autocreate_subscribe_folders: Sent|Trash|Lists.Work\n"                  \
    "xlist-junk: Junk\n"                                                     \
    "xlist-archive:\n"

/* bob's INBOX and folders exactly as autocreate makes them. */
static void autocreate_check(void)
{
    struct strarray subs = STRARRAY_INITIALIZER;

    TEST_ASSERT_STR(roles_of("user.bob"), "NONE");
    TEST_ASSERT_STR(roles_of("user.bob.Sent"), "\\Sent");
    TEST_ASSERT_STR(roles_of("user.bob.Drafts"), "\\Drafts");
    TEST_ASSERT_STR(roles_of("user.bob.Trash"), "\\Trash");
    TEST_ASSERT_STR(roles_of("user.bob.Junk"), "\\Junk");
    TEST_ASSERT_STR(roles_of("user.bob.Lists.Work"), "NONE");
    TEST_ASSERT_STR(roles_of("user.bob.Lists"), "NOTFOUND");
    TEST_ASSERT_STR(acl_of("user.bob.Sent"), acl_of("user.bob"));
    TEST_ASSERT_INT(subs_list("bob", &subs), ERR_OK);
    TEST_ASSERT_INT(subs.count, 3);
    TEST_ASSERT_STR(subs.data[0], "user.bob.Lists.Work");
    TEST_ASSERT_STR(subs.data[1], "user.bob.Sent");
    TEST_ASSERT_STR(subs.data[2], "user.bob.Trash");
    strarray_fini(&subs);
}

static void test_autocreate(void)
{
    char *root = NULL;

    setup_with(AUTOCREATE_CONF);
    /* Only the user itself (or an admin) may: alice cannot make bob's. */
    TEST_ASSERT_INT(mboxlist_autocreate_user("bob", alice, 100), ERR_PERM);
    TEST_ASSERT_STR(roles_of("user.bob"), "NOTFOUND");
    TEST_ASSERT_STR(roles_of("user.bob.Sent"), "NOTFOUND");
    /* Without the flag bob may not make folders under a missing INBOX. */
    TEST_ASSERT_INT(mboxlist_create("user.bob.x", NULL, bob, 0), ERR_PERM);
    TEST_ASSERT_INT(mboxlist_autocreate_user("bob", bob, 100), ERR_OK);
    autocreate_check();
    TEST_ASSERT_INT(quota_find_root("user.bob.Sent", &root), ERR_OK);
    TEST_ASSERT_STR(root, "user.bob");
    free(root);
    /* Once the INBOX exists nothing more happens: a deleted folder stays
     * deleted. */
    TEST_ASSERT_INT(mboxlist_delete("user.bob.Junk", bob, 0), ERR_OK);
    TEST_ASSERT_INT(mboxlist_autocreate_user("bob", bob, 100), ERR_EXISTS);
    TEST_ASSERT_STR(roles_of("user.bob.Junk"), "NOTFOUND");
}

/* No folders configured: just the INBOX, as before. */
static void test_autocreate_plain(void)
{
    setup();
    TEST_ASSERT_INT(mboxlist_autocreate_user("carol", carol, -1), ERR_OK);
    TEST_ASSERT_STR(roles_of("user.carol"), "NONE");
    TEST_ASSERT_STR(roles_of("user.carol.Sent"), "NOTFOUND");
}

static int autocreate_bob(void)
{
    return mboxlist_autocreate_user("bob", bob, 100);
}

/* Killed at every step of the first login: the next one finishes. */
static void test_autocreate_crash(void)
{
    int finished = 0;

    setup_with(AUTOCREATE_CONF);
    for (kill_at = 1; !finished && kill_at < 200; kill_at++) {
        finished = run_killed(autocreate_bob);
        if (!finished) {
            /* No INBOX without everything before it; the next login
             * (another process: this one holds no intent) finishes. */
            if (mboxlist_lookup("user.bob", NULL) == ERR_OK)
                autocreate_check();
            else
                TEST_ASSERT_INT(mboxlist_autocreate_user("bob", bob, 100),
                                ERR_OK);
        }
        autocreate_check();
        TEST_ASSERT_INT(mboxlist_setacl("user.bob", admin, "admin", "+x"),
                        ERR_OK);
        TEST_ASSERT_INT(mboxlist_delete("user.bob", admin, 0), ERR_OK);
        TEST_ASSERT_STR(roles_of("user.bob.Sent"), "NOTFOUND");
    }
    TEST_ASSERT(finished && kill_at > 10);
}

TEST_MAIN("mboxlist_specialuse",
          TEST_CASE(test_specialuse_codec),
          TEST_CASE(test_specialuse_normalize),
          TEST_CASE(test_specialuse_lifecycle),
          TEST_CASE(test_specialuse_load_replace),
          TEST_CASE(test_specialuse_crash_create),
          TEST_CASE(test_autocreate),
          TEST_CASE(test_autocreate_plain),
          TEST_CASE(test_autocreate_crash))
