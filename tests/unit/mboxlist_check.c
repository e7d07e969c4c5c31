/* mboxlist_check.c -- helpers of the mailboxes-database unit tests; see
 * mboxlist_check.h. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"
#include "tests/unit/harness.h"
#include "tests/unit/mboxlist_check.h"

struct auth_state *admin, *bob, *alice, *carol;

void setup_with(const char *extra)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;
    buf_printf(&conf, "configdirectory: %s/conf\n"
               "partition-default: %s/spool\n"
               "partition-other: %s/spool2\n"
               "berkeley_locks_max: 2000\n%s", test_tmpdir(), test_tmpdir(),
               test_tmpdir(), extra);
    if (conf_load_text("test.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "config: %s", buf_cstring(&err));
    buf_free(&conf);
    buf_free(&err);
    admin = auth_new_groups("admin", 1, NULL);
    bob = auth_new_groups("bob", 0, NULL);
    alice = auth_new_groups("alice", 0, NULL);
    carol = auth_new_groups("carol", 0, NULL);
}

void setup(void)
{
    setup_with("");
}

int exists_path(const char *rel)
{
    struct stat st;
    return stat(test_path(rel), &st) == 0;
}

/* A mailbox's stored ACL (static buffer), or "NOTFOUND". */
const char *acl_of(const char *name)
{
    static char out[1024];
    struct mboxlist_entry e;
    if (mboxlist_lookup(name, &e))
        return "NOTFOUND";
    snprintf(out, sizeof(out), "%s", e.acl);
    mboxlist_entry_fini(&e);
    return out;
}

void make(const char *name, const struct auth_state *who)
{
    int r = mboxlist_create(name, NULL, who, 0);
    if (r)
        test_fail(__FILE__, __LINE__, "create %s: %s", name, error_string(r));
}

struct mailbox *open_mb(const char *name)
{
    struct mboxlist_entry e;
    struct buf path = BUF_INITIALIZER;
    struct mailbox *mb = NULL;
    TEST_ASSERT_INT(mboxlist_lookup(name, &e), ERR_OK);
    TEST_ASSERT_INT(mboxlist_entry_path(&e, &path), ERR_OK);
    TEST_ASSERT_INT(mailbox_open(name, buf_cstring(&path), MAILBOX_EXCLUSIVE,
                                 &mb), ERR_OK);
    mboxlist_entry_fini(&e);
    buf_free(&path);
    return mb;
}

/* Append count messages as append would, charging the quota root. */
int64_t add_messages(const char *name, int count)
{
    struct mailbox *mb = open_mb(name);
    struct buf path = BUF_INITIALIZER;
    int64_t total = 0;

    for (int i = 0; i < count; i++) {
        struct index_record rec;
        char body[128];
        uint32_t uid = mb->i.last_uid + 1;
        int n = snprintf(body, sizeof(body),
                         "Subject: m%u of %s\r\n\r\nbody\r\n", uid, name);
        int fd;
        mailbox_message_path(mb, uid, &path);
        fd = open(buf_cstring(&path), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        TEST_ASSERT(fd >= 0);
        TEST_ASSERT(retry_write(fd, body, (size_t)n) == n);
        close(fd);
        memset(&rec, 0, sizeof(rec));
        rec.uid = uid;
        rec.size = (uint32_t)n;
        rec.header_size = (uint32_t)n - 6;
        TEST_ASSERT_INT(mailbox_append_record(mb, &rec, NULL, 0), ERR_OK);
        total += n;
    }
    TEST_ASSERT_INT(mailbox_commit(mb), ERR_OK);
    if (mb->quotaroot)
        TEST_ASSERT_INT(quota_update(mb->quotaroot, total, count), ERR_OK);
    mailbox_close(&mb);
    buf_free(&path);
    return total;
}

int64_t quota_used(const char *root)
{
    struct quota q;
    int64_t used;
    if (quota_read(root, &q))
        return -1;
    used = q.used[QUOTA_STORAGE];
    quota_fini(&q);
    return used;
}

