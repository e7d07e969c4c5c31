/* test_append.c -- the one write path: normalisation, GUID, cache entry,
 * atomic multi-append and abort, quota rules, limits, keywords, COPY by
 * hard link (or not, per singleinstancestore), \Seen for the appending
 * user, the one expunge releasing quota, and acknowledged messages
 * surviving SIGKILL. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "tests/unit/harness.h"

static const struct append_params strict = { .quota = APPEND_QUOTA_STRICT };
static const struct append_params delivery = { .quota = APPEND_QUOTA_DELIVERY };

static const char *dir_of(const char *name)
{
    static char path[2][512];
    static int k;
    char *p = path[k++ % 2];
    snprintf(p, 512, "%s/spool/%s", test_tmpdir(), name);
    for (char *c = p + strlen(test_tmpdir()) + 7; *c; c++)
        if (*c == '.')
            *c = '/';
    return p;
}

/* A configuration (plus extra lines) and a new mailbox name, open. */
static struct mailbox *setup_box_with(const char *name, const char *quotaroot,
                                      const char *extra)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;
    struct mailbox *mb = NULL;
    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n"
               "%s", test_tmpdir(), test_tmpdir(), extra);
    if (conf_load_text("t.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "%s", buf_cstring(&err));
    util_mkdir_p(test_path("conf/quota"), 0700);
    TEST_ASSERT_INT(mailbox_create(name, dir_of(name), "uid1", "", quotaroot,
                                   7), ERR_OK);
    TEST_ASSERT_INT(mailbox_open(name, dir_of(name), MAILBOX_UNLOCKED, &mb),
                    ERR_OK);
    buf_free(&conf);
    buf_free(&err);
    return mb;
}

static struct mailbox *setup_box(const char *name, const char *quotaroot)
{
    return setup_box_with(name, quotaroot, "");
}

static const char msg1[] =
    "From: Fred Foobar <foobar@Blurdybloop.COM>\n"
    "Subject: afternoon meeting\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
    "\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\n";

static void test_append_one(void)
{
    struct mailbox *mb = setup_box("user.bob", NULL);
    struct append_state *as;
    struct append_result res;
    struct index_record rec;
    struct message_info *info;
    struct buf path = BUF_INITIALIZER;
    unsigned char sha[20];
    const char *cache;
    size_t clen, flen;
    char *file;
    uint32_t uid = 0;

    TEST_ASSERT_INT(append_begin(mb, &strict, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 1000, FLAG_FLAGGED,
                                   NULL, &uid), ERR_OK);
    TEST_ASSERT_INT(uid, 1);
    TEST_ASSERT_INT(append_commit(&as, &res), ERR_OK);
    TEST_ASSERT(as == NULL);
    TEST_ASSERT_INT(res.uidvalidity, 7);
    TEST_ASSERT_INT(res.first_uid, 1);
    TEST_ASSERT_INT(res.last_uid, 1);

    TEST_ASSERT_INT(mailbox_refresh(mb, NULL), ERR_OK);
    TEST_ASSERT_INT(mb->i.num_records, 1);
    TEST_ASSERT_INT(mailbox_read_record(mb, 0, &rec), ERR_OK);
    /* Five bare LFs became CRLF. */
    TEST_ASSERT_INT(rec.size, strlen(msg1) + 5);
    TEST_ASSERT_INT(rec.internaldate, 1000);
    TEST_ASSERT_INT(rec.system_flags, FLAG_FLAGGED);
    TEST_ASSERT_INT(rec.sentdate, 760686745);
    mailbox_message_path(mb, 1, &path);
    TEST_ASSERT_INT(util_read_file(buf_cstring(&path), &file, &flen), ERR_OK);
    TEST_ASSERT_INT(flen, rec.size);
    TEST_ASSERT(strstr(file, "Subject: afternoon meeting\r\n"));
    digest_sha1(file, flen, sha);
    TEST_ASSERT(!memcmp(sha, rec.guid, 20));
    TEST_ASSERT_INT(rec.header_size, strstr(file, "\r\n\r\n") + 4 - file);
    TEST_ASSERT_INT(mailbox_cache_entry(mb, &rec, &cache, &clen), ERR_OK);
    TEST_ASSERT_INT(message_info_decode_wire(cache, clen, &info), ERR_OK);
    TEST_ASSERT(strstr(info->envelope, "\"afternoon meeting\""));
    message_info_free(&info);
    free(file);
    buf_free(&path);
    mailbox_close(&mb);
}

static void test_multiappend_atomic(void)
{
    struct mailbox *mb = setup_box("user.bob", NULL), *other;
    struct append_state *as;
    struct append_result res;
    struct stat st;
    uint32_t uid;

    TEST_ASSERT_INT(mailbox_open("user.bob", dir_of("user.bob"),
                                 MAILBOX_UNLOCKED, &other), ERR_OK);
    TEST_ASSERT_INT(append_begin(mb, &strict, &as), ERR_OK);
    for (int i = 0; i < 3; i++)
        TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, 0, NULL,
                                       &uid), ERR_OK);
    /* Nothing is visible to another session before the commit. */
    TEST_ASSERT_INT(mailbox_refresh(other, NULL), ERR_OK);
    TEST_ASSERT_INT(other->i.num_records, 0);
    append_abort(&as);
    TEST_ASSERT(as == NULL);
    TEST_ASSERT(stat(test_path("spool/user/bob/1."), &st) < 0);
    TEST_ASSERT(stat(test_path("spool/user/bob/3."), &st) < 0);

    TEST_ASSERT_INT(append_begin(mb, &strict, &as), ERR_OK);
    for (int i = 0; i < 3; i++)
        TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, APPEND_SEEN,
                                       NULL, &uid), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, &res), ERR_OK);
    TEST_ASSERT_INT(res.first_uid, 1);
    TEST_ASSERT_INT(res.last_uid, 3);
    TEST_ASSERT_INT(res.count, 3);
    TEST_ASSERT_INT(res.nseen, 3);
    TEST_ASSERT_INT(res.seen_uids[2], 3);
    free(res.seen_uids);
    TEST_ASSERT_INT(mailbox_refresh(other, NULL), ERR_OK);
    TEST_ASSERT_INT(other->i.num_records, 3);
    mailbox_close(&other);
    mailbox_close(&mb);
}

static void test_quota_rules(void)
{
    struct mailbox *mb = setup_box("user.bob", "user.bob");
    struct append_state *as;
    struct quota q;
    char big[1500];
    uint32_t uid;

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "Subject: x\r\n\r\n", 14);
    TEST_ASSERT_INT(quota_set_limits("user.bob", 1, -1), ERR_OK);  /* 1 KB */

    /* IMAP: a message that would cross the limit is refused. */
    TEST_ASSERT_INT(append_begin(mb, &strict, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, big, strlen(big), 0, 0, NULL, &uid),
                    ERR_QUOTA);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    /* Delivery: the message that crosses the limit is accepted ... */
    TEST_ASSERT_INT(append_begin(mb, &delivery, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, big, strlen(big), 0, 0, NULL, &uid),
                    ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(quota_read("user.bob", &q), ERR_OK);
    TEST_ASSERT_INT(q.used[QUOTA_STORAGE], strlen(big));
    TEST_ASSERT_INT(q.used[QUOTA_MESSAGE], 1);
    quota_fini(&q);
    /* ... and none after it while over. */
    TEST_ASSERT_INT(append_begin(mb, &delivery, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, 0, NULL, &uid),
                    ERR_QUOTA);
    append_abort(&as);
    TEST_ASSERT_INT(mailbox_refresh(mb, NULL), ERR_OK);
    TEST_ASSERT_INT(mb->i.num_records, 1);
    mailbox_close(&mb);
}

static void test_limits_and_8bit(void)
{
    struct mailbox *mb = setup_box("user.bob", NULL);
    struct append_params p = { .quota = APPEND_QUOTA_STRICT, .reject8bit = 1, .maxmessagesize = 100 };
    struct append_state *as;
    const char eight[] = "Subject: caf\xc3\xa9\r\n\r\nbody\r\n";
    uint32_t uid;

    TEST_ASSERT_INT(append_begin(mb, &p, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, 0, NULL, &uid),
                    ERR_TOOBIG);
    TEST_ASSERT_INT(append_message(as, eight, strlen(eight), 0, 0, NULL,
                                   &uid), ERR_BADFORMAT);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(mb, NULL), ERR_OK);
    TEST_ASSERT_INT(mb->i.num_records, 0);
    mailbox_close(&mb);
}

static void test_keywords_and_copy(void)
{
    struct mailbox *src = setup_box("user.bob", NULL), *dst;
    struct strarray kw = STRARRAY_INITIALIZER;
    struct append_state *as;
    struct index_record rec, crec;
    struct stat st1, st2;
    const char *c1, *c2;
    size_t l1, l2;
    uint32_t uid;
    int idx;

    strarray_append(&kw, "$Junk");
    strarray_append(&kw, "project-x");
    TEST_ASSERT_INT(append_begin(src, &strict, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, 0, &kw, &uid),
                    ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(src, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_read_record(src, 0, &rec), ERR_OK);
    TEST_ASSERT_INT(mailbox_user_flag(src, "PROJECT-X", 0, &idx), ERR_OK);
    TEST_ASSERT(index_record_has_user_flag(&rec, idx));

    TEST_ASSERT_INT(mailbox_create("user.bob.archive",
                                   dir_of("user.bob.archive"), "uid2", "",
                                   NULL, 9), ERR_OK);
    TEST_ASSERT_INT(mailbox_open("user.bob.archive", dir_of("user.bob.archive"),
                                 MAILBOX_UNLOCKED, &dst), ERR_OK);
    strarray_remove(&kw, 0);
    TEST_ASSERT_INT(append_begin(dst, &strict, &as), ERR_OK);
    TEST_ASSERT_INT(append_copy(as, src, &rec, FLAG_ANSWERED, &kw, &uid),
                    ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(dst, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_read_record(dst, 0, &crec), ERR_OK);
    TEST_ASSERT_INT(crec.uid, 1);
    TEST_ASSERT_INT(crec.system_flags, FLAG_ANSWERED);
    TEST_ASSERT(!memcmp(crec.guid, rec.guid, 20));
    TEST_ASSERT_INT(mailbox_user_flag(dst, "project-x", 0, &idx), ERR_OK);
    TEST_ASSERT_INT(idx, 0);                /* renumbered in the target */
    TEST_ASSERT(index_record_has_user_flag(&crec, 0));
    /* One file on disk, two names: a hard link. */
    TEST_ASSERT(stat(test_path("spool/user/bob/1."), &st1) == 0);
    TEST_ASSERT(stat(test_path("spool/user/bob/archive/1."), &st2) == 0);
    TEST_ASSERT(st1.st_ino == st2.st_ino && st1.st_nlink == 2);
    TEST_ASSERT_INT(mailbox_cache_entry(src, &rec, &c1, &l1), ERR_OK);
    TEST_ASSERT_INT(mailbox_cache_entry(dst, &crec, &c2, &l2), ERR_OK);
    TEST_ASSERT_MEM(c1, l1, c2, l2);
    strarray_fini(&kw);
    mailbox_close(&src);
    mailbox_close(&dst);
}

static int want_odd_uid(const struct index_record *rec, void *rock)
{
    (void)rock;
    return rec->uid % 2;
}

/* The one expunge gives the quota root back exactly what append charged
 * (no caller releases quota itself). */
static void test_expunge_releases_quota(void)
{
    struct mailbox *mb = setup_box("user.bob", "user.bob");
    struct append_state *as;
    struct quota q;
    uint32_t *uids = NULL;
    size_t n = 0;
    int64_t sizes[4], freed;

    TEST_ASSERT_INT(quota_set_limits("user.bob", 1000, 100), ERR_OK);
    TEST_ASSERT_INT(append_begin(mb, &strict, &as), ERR_OK);
    for (int i = 0; i < 4; i++) {
        /* Different sizes, so that the bytes released are checked. */
        struct buf m = BUF_INITIALIZER;
        buf_printf(&m, "Subject: m%d\r\n\r\n%.*s\r\n", i, i * 10 + 1,
                   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        sizes[i] = (int64_t)m.len;
        TEST_ASSERT_INT(append_message(as, m.s, m.len, 0, 0, NULL, NULL),
                        ERR_OK);
        buf_free(&m);
    }
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(quota_read("user.bob", &q), ERR_OK);
    TEST_ASSERT_INT(q.used[QUOTA_STORAGE],
                    sizes[0] + sizes[1] + sizes[2] + sizes[3]);
    TEST_ASSERT_INT(q.used[QUOTA_MESSAGE], 4);
    quota_fini(&q);

    TEST_ASSERT_INT(mailbox_lock(mb, 0), ERR_OK);
    TEST_ASSERT_INT(mailbox_expunge(mb, want_odd_uid, NULL, &uids, &n),
                    ERR_OK);
    mailbox_unlock(mb);
    TEST_ASSERT_INT(n, 2);                  /* UIDs 1 and 3 */
    freed = sizes[0] + sizes[2];
    TEST_ASSERT_INT(quota_read("user.bob", &q), ERR_OK);
    TEST_ASSERT_INT(q.used[QUOTA_STORAGE],
                    sizes[0] + sizes[1] + sizes[2] + sizes[3] - freed);
    TEST_ASSERT_INT(q.used[QUOTA_MESSAGE], 2);
    quota_fini(&q);
    TEST_ASSERT_INT(mb->i.quota_used, sizes[1] + sizes[3]);
    TEST_ASSERT(access(test_path("spool/user/bob/1."), F_OK) != 0);
    TEST_ASSERT(access(test_path("spool/user/bob/2."), F_OK) == 0);
    /* Nothing matched: no change. */
    TEST_ASSERT_INT(mailbox_lock(mb, 0), ERR_OK);
    TEST_ASSERT_INT(mailbox_expunge(mb, want_odd_uid, NULL, &uids, &n),
                    ERR_OK);
    mailbox_unlock(mb);
    TEST_ASSERT_INT(n, 2);
    TEST_ASSERT_INT(quota_read("user.bob", &q), ERR_OK);
    TEST_ASSERT_INT(q.used[QUOTA_MESSAGE], 2);
    quota_fini(&q);
    free(uids);
    mailbox_close(&mb);
}

/* COPY with singleinstancestore: no writes a file of its own. */
static void test_copy_without_single_instance(void)
{
    struct mailbox *src = setup_box_with("user.bob", NULL,
                                         "singleinstancestore: no\n");
    struct mailbox *dst = NULL;
    struct append_state *as;
    struct index_record rec;
    struct stat st1, st2;
    char *data;
    size_t len;

    TEST_ASSERT_INT(mailbox_create("user.bob.copy", dir_of("user.bob.copy"),
                                   "uid2", "", NULL, 8), ERR_OK);
    TEST_ASSERT_INT(mailbox_open("user.bob.copy", dir_of("user.bob.copy"),
                                 MAILBOX_UNLOCKED, &dst), ERR_OK);
    TEST_ASSERT_INT(append_begin(src, &strict, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, 0, NULL, NULL),
                    ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT_INT(mailbox_read_record(src, 0, &rec), ERR_OK);
    TEST_ASSERT_INT(append_begin(dst, &strict, &as), ERR_OK);
    TEST_ASSERT_INT(append_copy(as, src, &rec, 0, NULL, NULL), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    TEST_ASSERT(stat(test_path("spool/user/bob/1."), &st1) == 0);
    TEST_ASSERT(stat(test_path("spool/user/bob/copy/1."), &st2) == 0);
    TEST_ASSERT(st1.st_ino != st2.st_ino);
    TEST_ASSERT_INT(st1.st_nlink, 1);
    TEST_ASSERT_INT(st2.st_nlink, 1);
    TEST_ASSERT_INT(util_read_file(test_path("spool/user/bob/copy/1."), &data,
                                   &len), ERR_OK);
    TEST_ASSERT_INT(len, rec.size);
    free(data);
    mailbox_close(&src);
    mailbox_close(&dst);
}

/* APPEND_SEEN lands in params.seen_userid's \Seen state at the commit,
 * and in nobody's without it. */
static void test_seen_for_user(void)
{
    struct mailbox *mb = setup_box("user.bob", NULL);
    struct append_params p = { .quota = APPEND_QUOTA_STRICT,
                               .seen_userid = "bob" };
    struct append_state *as;
    struct append_result res;
    struct seen *seen = NULL;
    struct seen_data sd;

    memset(&res, 0, sizeof(res));
    TEST_ASSERT_INT(append_begin(mb, &p, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, APPEND_SEEN,
                                   NULL, NULL), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, 0, NULL, NULL),
                    ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, APPEND_SEEN,
                                   NULL, NULL), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, &res), ERR_OK);
    TEST_ASSERT_INT(res.nseen, 2);
    free(res.seen_uids);
    /* Without seen_userid: listed in the result, stored for nobody. */
    TEST_ASSERT_INT(append_begin(mb, &strict, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg1, strlen(msg1), 0, APPEND_SEEN,
                                   NULL, NULL), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, &res), ERR_OK);
    TEST_ASSERT_INT(res.nseen, 1);
    free(res.seen_uids);

    TEST_ASSERT_INT(seen_open("bob", 0, &seen), ERR_OK);
    TEST_ASSERT_INT(seen_read(seen, mb->uniqueid, &sd), ERR_OK);
    TEST_ASSERT(seqset_ismember(sd.seenuids, 1));
    TEST_ASSERT(!seqset_ismember(sd.seenuids, 2));
    TEST_ASSERT(seqset_ismember(sd.seenuids, 3));
    TEST_ASSERT(!seqset_ismember(sd.seenuids, 4));
    TEST_ASSERT_INT(sd.lastuid, 3);
    seen_data_fini(&sd);
    seen_close(&seen);
    TEST_ASSERT_INT(seen_open("nobody", 0, &seen), ERR_NOTFOUND);
    mailbox_close(&mb);
}

/* A writer killed the moment a message file appears under its name
 * leaves it whole, never cut (reconstruct would adopt a cut one): the file
 * is written nameless and linked in whole. */
static void test_killed_while_writing_leaves_no_partial_file(void)
{
    struct mailbox *mb = setup_box("user.bob", NULL);
    struct buf big = BUF_INITIALIZER;
    const char *first = "spool/user/bob/1.";
    size_t want;

    buf_appendcstr(&big, "Subject: big\r\n\r\n");
    while (big.len < 8 * 1024 * 1024)
        buf_appendcstr(&big, "0123456789012345678901234567890123456789"
                             "0123456789012345678901234567890123456789\r\n");
    want = big.len;
    mailbox_close(&mb);
    for (int round = 0; round < 5; round++) {
        struct stat st;
        pid_t pid;
        int seen = 0;

        unlink(test_path(first));       /* the last round's stray */
        pid = fork();
        if (pid == 0) {
            struct append_state *as;
            if (mailbox_open("user.bob", dir_of("user.bob"), MAILBOX_UNLOCKED,
                             &mb) ||
                append_begin(mb, &strict, &as))
                _exit(3);
            (void)append_message(as, big.s, big.len, 0, 0, NULL, NULL);
            pause();
            _exit(0);
        }
        /* Kill it as soon as the file has its name. */
        for (int i = 0; i < 200000 && !seen; i++)
            seen = stat(test_path(first), &st) == 0;
        kill(pid, SIGKILL);
        TEST_ASSERT(waitpid(pid, NULL, 0) == pid);
        TEST_ASSERT(seen);
        TEST_ASSERT(stat(test_path(first), &st) == 0);
        if ((size_t)st.st_size != want)
            test_fail(__FILE__, __LINE__, "%s: %lld bytes of %zu", first,
                      (long long)st.st_size, want);
    }
    buf_free(&big);
}

/* Invariant 1: a writer killed at random moments never loses a message it
 * reported as committed, and every file matches its GUID. */
static void test_sigkill_appender(void)
{
    struct mailbox *mb = setup_box("user.bob", NULL);
    uint32_t reported = 0;

    mailbox_close(&mb);
    for (int round = 0; round < 20; round++) {
        int fds[2];
        pid_t pid;
        uint32_t uid;

        TEST_ASSERT(pipe(fds) == 0);
        pid = fork();
        if (pid == 0) {
            struct append_state *as;
            close(fds[0]);
            TEST_ASSERT_INT(mailbox_open("user.bob", dir_of("user.bob"),
                                         MAILBOX_UNLOCKED, &mb), ERR_OK);
            for (;;) {
                if (append_begin(mb, &strict, &as) ||
                    append_message(as, msg1, strlen(msg1), 0, 0, NULL, &uid) ||
                    append_commit(&as, NULL))
                    _exit(3);
                if (write(fds[1], &uid, sizeof(uid)) != sizeof(uid))
                    _exit(4);
            }
        }
        close(fds[1]);
        /* Once it has committed one (a loaded machine may take a while),
         * kill it at a random moment of the ones that follow. */
        if (read(fds[0], &uid, sizeof(uid)) == sizeof(uid))
            reported = uid;
        usleep(3000 + (useconds_t)(rand() % 30000));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        while (read(fds[0], &uid, sizeof(uid)) == sizeof(uid))
            reported = uid;
        close(fds[0]);

        TEST_ASSERT_INT(mailbox_open("user.bob", dir_of("user.bob"),
                                     MAILBOX_UNLOCKED, &mb), ERR_OK);
        TEST_ASSERT(mb->i.last_uid >= reported);
        for (uint32_t n = 0; n < mb->i.num_records; n++) {
            struct index_record rec;
            struct buf path = BUF_INITIALIZER;
            unsigned char sha[20];
            char *data;
            size_t len;
            TEST_ASSERT_INT(mailbox_read_record(mb, n, &rec), ERR_OK);
            mailbox_message_path(mb, rec.uid, &path);
            TEST_ASSERT_INT(util_read_file(buf_cstring(&path), &data, &len),
                            ERR_OK);
            digest_sha1(data, len, sha);
            TEST_ASSERT(!memcmp(sha, rec.guid, 20));
            free(data);
            buf_free(&path);
        }
        mailbox_close(&mb);
    }
    TEST_ASSERT(reported > 0);
}

TEST_MAIN("append",
          TEST_CASE(test_append_one),
          TEST_CASE(test_multiappend_atomic),
          TEST_CASE(test_quota_rules),
          TEST_CASE(test_limits_and_8bit),
          TEST_CASE(test_keywords_and_copy),
          TEST_CASE(test_expunge_releases_quota),
          TEST_CASE(test_copy_without_single_instance),
          TEST_CASE(test_seen_for_user),
          TEST_CASE(test_killed_while_writing_leaves_no_partial_file),
          TEST_CASE(test_sigkill_appender))
