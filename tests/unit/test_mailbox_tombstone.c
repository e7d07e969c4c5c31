/* test_mailbox_tombstone.c -- expunge leaves tombstones (mailbox.h,
 * "Tombstones"; DESIGN.md invariant 7): their records and modseq, files
 * left by a crash after the commit removed by reconstruct instead of
 * coming back under new UIDs, the same after SIGKILLs at random instants
 * of an expunging process, and pruning by age with the leftover file. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/reconstruct.h"
#include "tests/unit/harness.h"

#define BOX "user.bob"

static void setup_conf(const char *extra)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;
    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n"
               "%s", test_tmpdir(), test_tmpdir(), extra);
    if (conf_load_text("t.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "%s", buf_cstring(&err));
    buf_free(&conf);
    buf_free(&err);
}

static void setup(void)
{
    struct auth_state *admin;

    setup_conf("");
    admin = auth_new_groups("admin", 1, NULL);
    TEST_ASSERT_INT(mboxlist_create(BOX, NULL, admin, 0), ERR_OK);
    auth_free(&admin);
}

static struct mailbox *open_box(void)
{
    struct mailbox *mb = NULL;
    TEST_ASSERT_INT(mboxlist_open_mailbox(BOX, MAILBOX_UNLOCKED, &mb), ERR_OK);
    return mb;
}

static void put(struct mailbox *mb, int count)
{
    struct append_params p = { .quota = APPEND_QUOTA_IGNORE };
    struct append_state *as = NULL;
    TEST_ASSERT_INT(append_begin(mb, &p, &as), ERR_OK);
    for (int i = 0; i < count; i++) {
        char msg[128];
        int n = snprintf(msg, sizeof(msg), "Subject: m%d\r\n\r\nbody %d\r\n",
                         i, i);
        TEST_ASSERT_INT(append_message(as, msg, (size_t)n, 0, 0, NULL, NULL),
                        ERR_OK);
    }
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
}

static int want_uid(const struct index_record *rec, void *rock)
{
    return rec->uid == *(const uint32_t *)rock;
}

static void expunge_uid(struct mailbox *mb, uint32_t uid)
{
    TEST_ASSERT_INT(mailbox_lock(mb, 0), ERR_OK);
    TEST_ASSERT_INT(mailbox_expunge(mb, want_uid, &uid, NULL, NULL), ERR_OK);
    mailbox_unlock(mb);
}

static const char *msgfile(struct mailbox *mb, uint32_t uid)
{
    static struct buf path = BUF_INITIALIZER;
    mailbox_message_path(mb, uid, &path);
    return buf_cstring(&path);
}

static void collect(const char *line, void *rock)
{
    buf_printf(rock, "%s\n", line);
}

static void test_expunge_keeps_tombstones(void)
{
    struct mailbox *mb;
    struct index_record *t = NULL;
    size_t n = 0;
    uint64_t modseq;

    setup();
    mb = open_box();
    put(mb, 5);
    TEST_ASSERT_INT(mailbox_tombstones_read(mb->path, mb->i.uidvalidity, &t,
                                            &n), ERR_OK);
    TEST_ASSERT_INT(n, 0);
    expunge_uid(mb, 4);
    expunge_uid(mb, 2);
    modseq = mb->i.highest_modseq;
    TEST_ASSERT_INT(mailbox_tombstones_read(mb->path, mb->i.uidvalidity, &t,
                                            &n), ERR_OK);
    TEST_ASSERT_INT(n, 2);
    TEST_ASSERT_INT(t[0].uid, 2);           /* ascending UIDs */
    TEST_ASSERT_INT(t[1].uid, 4);
    TEST_ASSERT(t[0].system_flags & FLAG_EXPUNGED);
    TEST_ASSERT(t[0].modseq == modseq);     /* the expunge's modseq */
    TEST_ASSERT(t[1].modseq < modseq);
    TEST_ASSERT(t[0].size > 0);             /* the whole record is kept */
    free(t);
    TEST_ASSERT(access(msgfile(mb, 2), F_OK) != 0);
    /* Another UIDVALIDITY's tombstones mean nothing. */
    TEST_ASSERT_INT(mailbox_tombstones_read(mb->path, mb->i.uidvalidity + 1,
                                            &t, &n), ERR_OK);
    TEST_ASSERT_INT(n, 0);
    free(t);
    mailbox_close(&mb);
}

/* A crash after the commit, before the unlink: the files are still there.
 * reconstruct removes them; they do not come back under new UIDs. */
static void test_reconstruct_never_resurrects(void)
{
    struct buf report = BUF_INITIALIZER;
    struct mailbox *mb;
    uint32_t last;

    setup();
    mb = open_box();
    put(mb, 4);
    expunge_uid(mb, 1);
    expunge_uid(mb, 3);
    last = mb->i.last_uid;
    test_write_file(msgfile(mb, 1) + strlen(test_tmpdir()) + 1,
                    "Subject: back?\r\n\r\nno\r\n");
    test_write_file(msgfile(mb, 3) + strlen(test_tmpdir()) + 1,
                    "Subject: back?\r\n\r\nno\r\n");
    mailbox_close(&mb);
    TEST_ASSERT_INT(reconstruct_mailbox(BOX, collect, &report), ERR_OK);
    TEST_ASSERT(strstr(report.s, "user.bob: 1.: expunged, file removed\n"));
    TEST_ASSERT(strstr(report.s, "user.bob: 3.: expunged, file removed\n"));
    TEST_ASSERT(!strstr(report.s, "new uid"));
    mb = open_box();
    TEST_ASSERT_INT(mb->i.num_records, 2);
    TEST_ASSERT_INT(mb->i.last_uid, last);
    TEST_ASSERT(access(msgfile(mb, 1), F_OK) != 0);
    TEST_ASSERT(access(msgfile(mb, 2), F_OK) == 0);
    mailbox_close(&mb);
    buf_free(&report);
}

/* An expunging process killed at random instants: reconstruct afterwards
 * brings no expunged message back (it would under a new UID above
 * last_uid). */
static void test_killed_expunger(void)
{
    unsigned seed = (unsigned)getpid();

    alarm(100);
    setup();
    for (int round = 0; round < 25; round++) {
        struct buf report = BUF_INITIALIZER;
        struct mailbox *mb = open_box();
        char *path;
        uint32_t last;
        pid_t pid;

        put(mb, 6);
        path = strdup(mb->path);
        mailbox_close(&mb);
        pid = fork();
        if (pid == 0) {
            /* Mailbox files only: a kill inside Berkeley DB is another
             * test's business (test_db_crash). */
            if (mailbox_open(BOX, path, MAILBOX_UNLOCKED, &mb))
                _exit(1);
            for (;;) {
                uint32_t uid = mb->i.last_uid;
                for (uint32_t u = 1; u <= uid; u++) {
                    if (mailbox_lock(mb, 0))
                        continue;
                    (void)mailbox_expunge(mb, want_uid, &u, NULL, NULL);
                    mailbox_unlock(mb);
                }
                put(mb, 3);
            }
        }
        usleep(1000 + rand_r(&seed) % 20000);
        kill(pid, SIGKILL);
        TEST_ASSERT(waitpid(pid, NULL, 0) == pid);
        free(path);
        mb = open_box();
        last = mb->i.last_uid;
        mailbox_close(&mb);
        TEST_ASSERT_INT(reconstruct_mailbox(BOX, collect, &report), ERR_OK);
        /* Files above last_uid are an append the kill cut short (they
         * keep their number); one at or below it would be an expunged
         * message brought back. */
        for (const char *l = report.s; l && (l = strstr(l, "user.bob: "));
             l++) {
            unsigned long uid, to;
            if (sscanf(l, "user.bob: %lu.: new uid %lu", &uid, &to) == 2 &&
                uid <= last)
                test_fail(__FILE__, __LINE__, "a message came back:\n%s",
                          report.s);
        }
        buf_free(&report);
    }
}

/* The pruned modseq of mb's tombstones (mailbox_tombstones_read_pruned
 * answering want_r), and their number in *n_r. */
static uint64_t pruned_modseq(struct mailbox *mb, int want_r, size_t *n_r)
{
    struct index_record *t = NULL;
    uint64_t pruned = 1;

    TEST_ASSERT_INT(mailbox_tombstones_read_pruned(mb->path,
                                                   mb->i.uidvalidity, &t, n_r,
                                                   &pruned), want_r);
    free(t);
    return pruned;
}

/* Three messages, UID 1 expunged. */
static struct mailbox *one_expunged(void)
{
    struct mailbox *mb;

    setup();
    mb = open_box();
    put(mb, 3);
    expunge_uid(mb, 1);
    return mb;
}

/* Tombstones older than expunge_tombstone_days go at the next expunge,
 * and a message file that outlived one goes with it; the file remembers
 * up to which modseq tombstones are gone (QRESYNC). */
static void test_old_tombstones_pruned(void)
{
    struct index_record *t = NULL;
    struct mailbox *mb = one_expunged();
    uint64_t modseq1 = mb->i.highest_modseq;
    size_t n = 0;

    TEST_ASSERT(pruned_modseq(mb, ERR_OK, &n) == 0);    /* none yet */
    test_write_file(msgfile(mb, 1) + strlen(test_tmpdir()) + 1, "left\r\n");
    mailbox_close(&mb);
    sleep(1);
    conf_reset();
    setup_conf("expunge_tombstone_days: 0\n");
    mb = open_box();
    expunge_uid(mb, 2);
    TEST_ASSERT_INT(mailbox_tombstones_read(mb->path, mb->i.uidvalidity, &t,
                                            &n), ERR_OK);
    TEST_ASSERT_INT(n, 1);
    TEST_ASSERT_INT(t[0].uid, 2);
    free(t);
    TEST_ASSERT(access(msgfile(mb, 1), F_OK) != 0);
    TEST_ASSERT(pruned_modseq(mb, ERR_OK, &n) == modseq1);
    mailbox_close(&mb);
}

/* An unreadable cyrus.expunge knows nothing; the next expunge starts it
 * afresh and counts everything before it as pruned. */
static void test_corrupt_tombstones_count_as_pruned(void)
{
    struct mailbox *mb = one_expunged();
    struct buf path = BUF_INITIALIZER;
    uint64_t before = mb->i.highest_modseq;
    size_t n = 0;

    buf_printf(&path, "%s/%s", mb->path, MAILBOX_EXPUNGE_FILE);
    test_write_file(buf_cstring(&path) + strlen(test_tmpdir()) + 1, "junk");
    TEST_ASSERT(pruned_modseq(mb, ERR_BADFORMAT, &n) == UINT64_MAX);
    TEST_ASSERT_INT(n, 0);
    expunge_uid(mb, 2);
    TEST_ASSERT(pruned_modseq(mb, ERR_OK, &n) == before);
    TEST_ASSERT_INT(n, 1);
    buf_free(&path);
    mailbox_close(&mb);
}

TEST_MAIN("mailbox_tombstone",
          TEST_CASE(test_expunge_keeps_tombstones),
          TEST_CASE(test_reconstruct_never_resurrects),
          TEST_CASE(test_killed_expunger),
          TEST_CASE(test_old_tombstones_pruned),
          TEST_CASE(test_corrupt_tombstones_count_as_pruned))
