/* test_mailbox.c -- cyrus.header/index/cache: formats, append/commit/abort,
 * flag rewrites, expunge with snapshots, user flags, corruption, crash
 * recovery (SIGKILL at random points) and two concurrent writers. */
#include "config.h"

#include <errno.h>
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
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "tests/unit/harness.h"

#define MBNAME "user.bob"

static const char *mbpath(void) { return test_path("spool/user/bob"); }

static void make_box(void)
{
    /* Expunge reads expunge_tombstone_days. */
    static const char conf[] = "configdirectory: /nonexistent\n"
                               "partition-default: /nonexistent\n";
    struct buf err = BUF_INITIALIZER;
    if (conf_load_text("t.conf", conf, sizeof(conf) - 1, &err))
        test_fail(__FILE__, __LINE__, "%s", buf_cstring(&err));
    buf_free(&err);
    TEST_ASSERT_INT(mailbox_create(MBNAME, mbpath(), "0123abcd",
                                   "bob\tlrswipkxtea\t", NULL, 1234),
                    ERR_OK);
}

static struct mailbox *open_box(int mode)
{
    struct mailbox *mb = NULL;
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), mode, &mb), ERR_OK);
    return mb;
}

/* Write a message file durably, as append does, and stage its record. */
static void add_message(struct mailbox *mb, uint32_t uid, uint32_t flags)
{
    struct buf path = BUF_INITIALIZER, cache = BUF_INITIALIZER;
    struct index_record rec;
    char body[64];
    int fd, n;

    n = snprintf(body, sizeof(body), "Subject: %u\r\n\r\nbody %u\r\n", uid,
                 uid);
    mailbox_message_path(mb, uid, &path);
    fd = open(buf_cstring(&path), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    TEST_ASSERT(fd >= 0);
    TEST_ASSERT(retry_write(fd, body, (size_t)n) == n);
    TEST_ASSERT_INT(util_fsync_fd(fd), 0);
    close(fd);
    memset(&rec, 0, sizeof(rec));
    rec.uid = uid;
    rec.size = (uint32_t)n;
    rec.header_size = 15;
    rec.internaldate = 1000 + uid;
    rec.system_flags = flags;
    buf_printf(&cache, "cache-of-%u", uid);
    TEST_ASSERT_INT(mailbox_append_record(mb, &rec, cache.s, cache.len),
                    ERR_OK);
    buf_free(&path);
    buf_free(&cache);
}

static void check_cache(struct mailbox *mb, uint32_t n, uint32_t uid)
{
    struct index_record rec;
    const char *data;
    size_t len;
    char want[32];
    TEST_ASSERT_INT(mailbox_read_record(mb, n, &rec), ERR_OK);
    TEST_ASSERT_INT(rec.uid, uid);
    TEST_ASSERT_INT(mailbox_cache_entry(mb, &rec, &data, &len), ERR_OK);
    snprintf(want, sizeof(want), "cache-of-%u", uid);
    TEST_ASSERT_MEM(data, len, want, strlen(want));
}

static void test_index_format_offsets(void)
{
    struct index_header h = { 0 }, h2;
    struct index_record r = { 0 }, r2;
    unsigned char hb[MAILBOX_INDEX_HEADER_SIZE], rb[MAILBOX_INDEX_RECORD_SIZE];

    h.generation = 7;
    h.num_records = 3;
    h.last_uid = 0x01020304;
    h.uidvalidity = 99;
    h.highest_modseq = 0x1122334455667788ULL;
    h.cache_size = 4096;
    mailbox_index_header_encode(&h, hb);
    TEST_ASSERT(hb[0] == 0x89 && hb[1] == 'C' && hb[2] == 'H' && hb[3] == 'I');
    TEST_ASSERT(hb[4] == 0 && hb[5] == MAILBOX_INDEX_MAJOR);
    TEST_ASSERT_INT(util_get32(hb + 24), 0x01020304);   /* last_uid */
    TEST_ASSERT(util_get64(hb + 40) == 0x1122334455667788ULL);
    TEST_ASSERT_INT(mailbox_index_header_decode(hb, sizeof(hb), &h2), ERR_OK);
    TEST_ASSERT_INT(h2.last_uid, h.last_uid);
    TEST_ASSERT_INT(h2.cache_size, 4096);
    hb[30] ^= 1;                                        /* corrupt a byte */
    TEST_ASSERT_INT(mailbox_index_header_decode(hb, sizeof(hb), &h2),
                    ERR_BADFORMAT);

    r.uid = 42;
    r.size = 1000;
    r.internaldate = -5;    /* before 1970 survives the round trip */
    index_record_set_user_flag(&r, 0, 1);
    index_record_set_user_flag(&r, 127, 1);
    memset(r.guid, 0xab, sizeof(r.guid));
    r.savedate = 0x0102030405060708LL;
    mailbox_index_record_encode(&r, sizeof(rb), rb);
    /* the save date at 92 (index 1.2) */
    TEST_ASSERT(util_get64(rb + 92) == 0x0102030405060708ULL);
    TEST_ASSERT_INT(util_get32(rb), 42);
    TEST_ASSERT_INT(mailbox_index_record_decode(rb, sizeof(rb), &r2), ERR_OK);
    TEST_ASSERT(r2.internaldate == -5);
    TEST_ASSERT(index_record_has_user_flag(&r2, 127));
    TEST_ASSERT(index_record_has_user_flag(&r2, 0));
    TEST_ASSERT(!index_record_has_user_flag(&r2, 1));
    TEST_ASSERT(!memcmp(r2.guid, r.guid, 20));
    TEST_ASSERT(r2.savedate == r.savedate);
    {
        /* a 1.0 record (96 bytes) ends before it: none */
        unsigned char r10[96];
        mailbox_index_record_encode(&r, sizeof(r10), r10);
        TEST_ASSERT_INT(mailbox_index_record_decode(r10, sizeof(r10), &r2),
                        ERR_OK);
        TEST_ASSERT(r2.savedate == 0 && r2.uid == 42);
    }
    rb[10] ^= 0x40;
    TEST_ASSERT_INT(mailbox_index_record_decode(rb, sizeof(rb), &r2),
                    ERR_BADFORMAT);
}

static void test_create_open(void)
{
    struct mailbox *mb;
    struct stat st;
    make_box();
    TEST_ASSERT_INT(mailbox_create(MBNAME, mbpath(), "x", "", NULL, 0),
                    ERR_EXISTS);
    mb = open_box(MAILBOX_UNLOCKED);
    TEST_ASSERT_INT(mb->i.num_records, 0);
    TEST_ASSERT_INT(mb->i.uidvalidity, 1234);
    TEST_ASSERT_STR(mb->uniqueid, "0123abcd");
    TEST_ASSERT_STR(mb->acl, "bob\tlrswipkxtea\t");
    TEST_ASSERT(mb->quotaroot == NULL);
    mailbox_close(&mb);
    TEST_ASSERT(mb == NULL);
    TEST_ASSERT(stat(test_path("spool/user/bob/cyrus.index.NEW"), &st) < 0);
    TEST_ASSERT_INT(mailbox_open("user.none", test_path("spool/user/none"),
                                 MAILBOX_UNLOCKED, &mb), ERR_NOTFOUND);
}

static void test_append_commit_abort(void)
{
    struct mailbox *w, *r;
    uint32_t n;
    make_box();
    w = open_box(MAILBOX_EXCLUSIVE);
    r = open_box(MAILBOX_UNLOCKED);
    for (uint32_t uid = 1; uid <= 50; uid++)
        add_message(w, uid * 2, 0);
    /* Staged records are invisible to other views until commit. */
    TEST_ASSERT_INT(mailbox_refresh(r, NULL), ERR_OK);
    TEST_ASSERT_INT(r->i.num_records, 0);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(r, NULL), ERR_OK);
    TEST_ASSERT_INT(r->i.num_records, 50);
    TEST_ASSERT_INT(r->i.last_uid, 100);
    check_cache(r, 0, 2);
    check_cache(r, 49, 100);
    TEST_ASSERT_INT(mailbox_find_uid(r, 60, &n), ERR_OK);
    TEST_ASSERT_INT(n, 29);
    TEST_ASSERT_INT(mailbox_find_uid(r, 61, &n), ERR_NOTFOUND);

    /* Abort forgets staged records; the next append reuses the space. */
    add_message(w, 200, 0);
    mailbox_abort(w);
    TEST_ASSERT_INT(w->i.num_records, 50);
    add_message(w, 201, 0);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    mailbox_close(&w);
    mailbox_close(&r);
    r = open_box(MAILBOX_UNLOCKED);
    TEST_ASSERT_INT(r->i.num_records, 51);
    check_cache(r, 50, 201);
    /* UIDs only grow. */
    mailbox_close(&r);
    w = open_box(MAILBOX_EXCLUSIVE);
    {
        struct index_record rec = { 0 };
        rec.uid = 150;
        TEST_ASSERT_INT(mailbox_append_record(w, &rec, NULL, 0), ERR_BADARG);
    }
    mailbox_close(&w);
}

static void test_rewrite_flags_modseq(void)
{
    struct mailbox *w, *r;
    struct index_record rec;
    uint64_t before;
    make_box();
    w = open_box(MAILBOX_EXCLUSIVE);
    add_message(w, 1, 0);
    add_message(w, 2, FLAG_DELETED);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    TEST_ASSERT_INT(w->i.deleted, 1);
    r = open_box(MAILBOX_UNLOCKED);
    before = r->i.highest_modseq;
    TEST_ASSERT_INT(mailbox_read_record(w, 0, &rec), ERR_OK);
    rec.system_flags |= FLAG_FLAGGED | FLAG_DELETED;
    TEST_ASSERT_INT(mailbox_rewrite_record(w, 0, &rec), ERR_OK);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(r, NULL), ERR_OK);
    TEST_ASSERT(r->i.highest_modseq > before);
    TEST_ASSERT_INT(r->i.deleted, 2);
    TEST_ASSERT_INT(mailbox_read_record(r, 0, &rec), ERR_OK);
    TEST_ASSERT_INT(rec.system_flags, FLAG_FLAGGED | FLAG_DELETED);
    TEST_ASSERT(rec.modseq == r->i.highest_modseq);
    mailbox_close(&w);
    mailbox_close(&r);
}

static int want_deleted(const struct index_record *rec, void *rock)
{
    (void)rock;
    return (rec->system_flags & FLAG_DELETED) != 0;
}

static void test_expunge_snapshot(void)
{
    struct mailbox *w, *r;
    struct mailbox_changes ch;
    struct buf path = BUF_INITIALIZER;
    uint32_t *uids = NULL;
    size_t nuids = 0;
    uint64_t used;
    struct stat st;

    make_box();
    w = open_box(MAILBOX_EXCLUSIVE);
    for (uint32_t uid = 1; uid <= 10; uid++)
        add_message(w, uid, uid % 2 ? FLAG_DELETED : 0);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    used = w->i.quota_used;
    r = open_box(MAILBOX_UNLOCKED);
    TEST_ASSERT_INT(mailbox_expunge(w, want_deleted, NULL, &uids, &nuids),
                    ERR_OK);
    TEST_ASSERT_INT(nuids, 5);
    TEST_ASSERT_INT(uids[0], 1);
    TEST_ASSERT_INT(uids[4], 9);
    TEST_ASSERT_INT(w->i.num_records, 5);
    TEST_ASSERT_INT(w->i.deleted, 0);
    /* UIDs 1, 3, 5, 7, 9 went: five messages of one size. */
    TEST_ASSERT_INT(w->i.quota_used,
                    used - 5 * strlen("Subject: 1\r\n\r\nbody 1\r\n"));
    TEST_ASSERT_INT(w->i.last_uid, 10);     /* UIDs never go back */
    mailbox_message_path(w, 1, &path);
    TEST_ASSERT(stat(buf_cstring(&path), &st) < 0);   /* file gone */
    mailbox_message_path(w, 2, &path);
    TEST_ASSERT(stat(buf_cstring(&path), &st) == 0);
    /* The reader still has its snapshot until it refreshes. */
    TEST_ASSERT_INT(r->i.num_records, 10);
    check_cache(r, 0, 1);
    TEST_ASSERT_INT(mailbox_refresh(r, &ch), ERR_OK);
    TEST_ASSERT_INT(ch.expunged, 1);
    TEST_ASSERT_INT(ch.old_num_records, 10);
    TEST_ASSERT_INT(r->i.num_records, 5);
    for (uint32_t n = 0; n < 5; n++)
        check_cache(r, n, 2 * (n + 1));
    /* The writer keeps working on the new files. */
    add_message(w, 11, 0);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    TEST_ASSERT_INT(mailbox_refresh(r, &ch), ERR_OK);
    TEST_ASSERT_INT(ch.expunged, 0);
    TEST_ASSERT_INT(r->i.num_records, 6);
    check_cache(r, 5, 11);
    free(uids);
    buf_free(&path);
    mailbox_close(&w);
    mailbox_close(&r);
}

static void test_user_flags(void)
{
    struct mailbox *w, *r;
    int idx;
    char name[32];
    make_box();
    w = open_box(MAILBOX_EXCLUSIVE);
    r = open_box(MAILBOX_UNLOCKED);
    TEST_ASSERT_INT(mailbox_user_flag(w, "$Junk", 0, &idx), ERR_NOTFOUND);
    for (int i = 0; i < MAILBOX_MAX_USER_FLAGS; i++) {
        snprintf(name, sizeof(name), "flag%d", i);
        TEST_ASSERT_INT(mailbox_user_flag(w, name, 1, &idx), ERR_OK);
        TEST_ASSERT_INT(idx, i);
    }
    TEST_ASSERT_INT(mailbox_user_flag(w, "one-too-many", 1, &idx), ERR_TOOBIG);
    TEST_ASSERT_INT(mailbox_user_flag(w, "FLAG7", 0, &idx), ERR_OK);
    TEST_ASSERT_INT(idx, 7);
    TEST_ASSERT_INT(mailbox_refresh(r, NULL), ERR_OK);
    TEST_ASSERT_INT(r->flagnames.count, MAILBOX_MAX_USER_FLAGS);
    TEST_ASSERT_STR(r->flagnames.data[127], "flag127");
    mailbox_close(&w);
    mailbox_close(&r);
}

static void corrupt_byte(const char *file, off_t off)
{
    int fd = open(file, O_RDWR);
    unsigned char c;
    TEST_ASSERT(fd >= 0);
    TEST_ASSERT(pread(fd, &c, 1, off) == 1);
    c ^= 0xff;
    TEST_ASSERT(pwrite(fd, &c, 1, off) == 1);
    close(fd);
}

static void test_corruption_detected(void)
{
    struct mailbox *mb;
    struct index_record rec;
    make_box();
    mb = open_box(MAILBOX_EXCLUSIVE);
    add_message(mb, 1, 0);
    TEST_ASSERT_INT(mailbox_commit(mb), ERR_OK);
    mailbox_close(&mb);

    corrupt_byte(test_path("spool/user/bob/cyrus.index"),
                 MAILBOX_INDEX_HEADER_SIZE + 5);  /* inside record 0 */
    mb = open_box(MAILBOX_UNLOCKED);
    TEST_ASSERT_INT(mailbox_read_record(mb, 0, &rec), ERR_BADFORMAT);
    mailbox_close(&mb);

    corrupt_byte(test_path("spool/user/bob/cyrus.index"), 5);  /* version */
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_UNLOCKED, &mb),
                    ERR_BADFORMAT);
    TEST_ASSERT(mb == NULL);
    corrupt_byte(test_path("spool/user/bob/cyrus.index"), 5);  /* restore */
    corrupt_byte(test_path("spool/user/bob/cyrus.header"), 30);
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_UNLOCKED, &mb),
                    ERR_BADFORMAT);
}

/* Reading records in batches is reading them one by one: any first and
 * count, and a corrupt record in a batch is refused the same way. */
static void test_read_records_batch(void)
{
    struct mailbox *mb;
    struct index_record one, many[11];
    make_box();
    mb = open_box(MAILBOX_EXCLUSIVE);
    for (uint32_t uid = 1; uid <= 11; uid++)
        add_message(mb, uid, uid % 3);
    TEST_ASSERT_INT(mailbox_commit(mb), ERR_OK);
    mailbox_close(&mb);
    mb = open_box(MAILBOX_UNLOCKED);
    for (uint32_t first = 0; first <= 11; first++) {
        for (uint32_t count = 0; first + count <= 11; count++) {
            TEST_ASSERT_INT(mailbox_read_records(mb, first, count, many),
                            ERR_OK);
            for (uint32_t k = 0; k < count; k++) {
                unsigned char a[MAILBOX_INDEX_RECORD_SIZE];
                unsigned char b[MAILBOX_INDEX_RECORD_SIZE];
                TEST_ASSERT_INT(mailbox_read_record(mb, first + k, &one),
                                ERR_OK);
                mailbox_index_record_encode(&one, sizeof(a), a);
                mailbox_index_record_encode(&many[k], sizeof(b), b);
                TEST_ASSERT(!memcmp(a, b, sizeof(a)));
                TEST_ASSERT_INT(many[k].uid, first + k + 1);
            }
        }
    }
    TEST_ASSERT_INT(mailbox_read_records(mb, 10, 2, many), ERR_NOTFOUND);
    TEST_ASSERT_INT(mailbox_read_records(mb, 12, 0, many), ERR_NOTFOUND);
    mailbox_close(&mb);

    corrupt_byte(test_path("spool/user/bob/cyrus.index"),
                 MAILBOX_INDEX_HEADER_SIZE + 2 * MAILBOX_INDEX_RECORD_SIZE + 9);
    mb = open_box(MAILBOX_UNLOCKED);
    TEST_ASSERT_INT(mailbox_read_records(mb, 0, 8, many), ERR_BADFORMAT);
    TEST_ASSERT_INT(mailbox_read_records(mb, 3, 8, many), ERR_OK);
    mailbox_close(&mb);
}

/* A crash between the two renames of an expunge: the index of generation
 * g+1 is in place, the cache of g+1 still waits as cyrus.cache.NEW. */
static void test_interrupted_expunge_recovered(void)
{
    struct mailbox *w;
    const char *dir = mbpath();
    char cache[512], cachenew[512];
    uint32_t *uids = NULL;
    size_t n = 0;

    make_box();
    w = open_box(MAILBOX_EXCLUSIVE);
    for (uint32_t uid = 1; uid <= 4; uid++)
        add_message(w, uid, uid == 2 ? FLAG_DELETED : 0);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    snprintf(cache, sizeof(cache), "%s/cyrus.cache", dir);
    snprintf(cachenew, sizeof(cachenew), "%s/cyrus.cache.OLD", dir);
    TEST_ASSERT(link(cache, cachenew) == 0);         /* keep generation g */
    TEST_ASSERT_INT(mailbox_expunge(w, want_deleted, NULL, &uids, &n),
                    ERR_OK);
    mailbox_close(&w);
    /* Put the state back to "index renamed, cache not yet". */
    snprintf(cachenew, sizeof(cachenew), "%s/cyrus.cache.NEW", dir);
    TEST_ASSERT(rename(cache, cachenew) == 0);
    snprintf(cachenew, sizeof(cachenew), "%s/cyrus.cache.OLD", dir);
    TEST_ASSERT(rename(cachenew, cache) == 0);

    w = open_box(MAILBOX_UNLOCKED);
    TEST_ASSERT_INT(w->i.num_records, 3);
    check_cache(w, 0, 1);
    check_cache(w, 1, 3);
    check_cache(w, 2, 4);
    free(uids);
    mailbox_close(&w);
}

/* A writer appends and commits in a loop and reports each committed UID
 * on a pipe; it is killed with SIGKILL at many moments.  Every reported
 * UID must be in the index afterwards and the mailbox must open. */
static void test_sigkill_writer(void)
{
    uint32_t last_reported = 0;
    make_box();
    for (int round = 0; round < 25; round++) {
        int fds[2];
        pid_t pid;
        struct mailbox *mb;
        uint32_t got;
        ssize_t k;

        TEST_ASSERT(pipe(fds) == 0);
        pid = fork();
        if (pid == 0) {
            close(fds[0]);
            mb = open_box(MAILBOX_UNLOCKED);
            for (;;) {
                if (mailbox_lock(mb, 0))
                    _exit(3);
                add_message(mb, mb->i.last_uid + 1, 0);
                if (mailbox_commit(mb))
                    _exit(4);
                got = mb->i.last_uid;
                mailbox_unlock(mb);
                if (write(fds[1], &got, sizeof(got)) != sizeof(got))
                    _exit(5);
            }
        }
        close(fds[1]);
        usleep(2000 + (useconds_t)(rand() % 20000));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        while ((k = read(fds[0], &got, sizeof(got))) == sizeof(got))
            last_reported = got;
        close(fds[0]);

        mb = open_box(MAILBOX_UNLOCKED);
        TEST_ASSERT(mb->i.last_uid >= last_reported);
        for (uint32_t n = 0; n < mb->i.num_records; n++)
            check_cache(mb, n, n + 1);      /* dense UIDs 1..last */
        TEST_ASSERT_INT(mb->i.num_records, mb->i.last_uid);
        mailbox_close(&mb);
    }
    TEST_ASSERT(last_reported > 0);
}

/* Two processes append, flag and expunge the same mailbox at once. */
static void writer_loop(int id, int wfd)
{
    struct mailbox *mb = open_box(MAILBOX_UNLOCKED);
    for (int i = 0; i < 150; i++) {
        struct index_record rec;
        uint32_t uid;
        if (mailbox_lock(mb, 0))
            _exit(3);
        uid = mb->i.last_uid + 1;
        add_message(mb, uid, 0);
        /* flag one of the existing messages for deletion now and then */
        if (i % 3 == id && mb->i.num_records > 2 &&
            !mailbox_read_record(mb, 0, &rec)) {
            rec.system_flags |= FLAG_DELETED;
            if (mailbox_rewrite_record(mb, 0, &rec))
                _exit(4);
        }
        if (mailbox_commit(mb))
            _exit(5);
        if (write(wfd, &uid, sizeof(uid)) != sizeof(uid))
            _exit(6);
        if (i % 10 == 9) {
            uint32_t *uids = NULL;
            size_t n = 0;
            if (mailbox_expunge(mb, want_deleted, NULL, &uids, &n))
                _exit(7);
            for (size_t k = 0; k < n; k++) {
                uint32_t neg = uids[k] | 0x80000000U;
                if (write(wfd, &neg, sizeof(neg)) != sizeof(neg))
                    _exit(6);
            }
            free(uids);
        }
        mailbox_unlock(mb);
    }
    mailbox_close(&mb);
    _exit(0);
}

static void test_two_writers(void)
{
    int fds[2];
    pid_t pids[2];
    static unsigned char state[1 << 16]; /* 0 never, 1 added, 2 expunged */
    uint32_t v;
    struct mailbox *mb;
    int status;
    uint32_t live = 0;

    make_box();
    TEST_ASSERT(pipe(fds) == 0);
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(fds[0]);
            writer_loop(i, fds[1]);
        }
    }
    close(fds[1]);
    while (read(fds[0], &v, sizeof(v)) == sizeof(v)) {
        uint32_t uid = v & 0x7fffffffU;
        TEST_ASSERT(uid < sizeof(state));
        if (v & 0x80000000U) {
            TEST_ASSERT_INT(state[uid], 1);   /* expunged once, after add */
            state[uid] = 2;
        } else {
            TEST_ASSERT_INT(state[uid], 0);   /* no UID handed out twice */
            state[uid] = 1;
        }
    }
    for (int i = 0; i < 2; i++) {
        TEST_ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
        TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    mb = open_box(MAILBOX_UNLOCKED);
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct index_record rec;
        TEST_ASSERT_INT(mailbox_read_record(mb, n, &rec), ERR_OK);
        TEST_ASSERT_INT(state[rec.uid], 1);
        check_cache(mb, n, rec.uid);
    }
    for (uint32_t uid = 0; uid < sizeof(state); uid++)
        live += state[uid] == 1;
    TEST_ASSERT_INT(mb->i.num_records, live);   /* no message lost */
    TEST_ASSERT_INT(mb->i.last_uid, 300);
    mailbox_close(&mb);
}

static void test_recent_claimed_once(void)
{
    struct mailbox *a, *b;
    uint32_t above;
    make_box();
    a = open_box(MAILBOX_EXCLUSIVE);
    add_message(a, 1, 0);
    add_message(a, 2, 0);
    TEST_ASSERT_INT(mailbox_commit(a), ERR_OK);
    mailbox_unlock(a);
    b = open_box(MAILBOX_UNLOCKED);
    /* The first session sees 1 and 2 as recent, the next one none. */
    TEST_ASSERT_INT(mailbox_claim_recent(a, &above), ERR_OK);
    TEST_ASSERT_INT(above, 0);
    TEST_ASSERT_INT(mailbox_claim_recent(b, &above), ERR_OK);
    TEST_ASSERT_INT(above, 2);
    TEST_ASSERT_INT(mailbox_lock(a, 0), ERR_OK);
    add_message(a, 3, 0);
    TEST_ASSERT_INT(mailbox_commit(a), ERR_OK);
    mailbox_unlock(a);
    TEST_ASSERT_INT(mailbox_claim_recent(b, &above), ERR_OK);
    TEST_ASSERT_INT(above, 2);          /* message 3 is recent to b */
    TEST_ASSERT_INT(mailbox_claim_recent(a, &above), ERR_OK);
    TEST_ASSERT_INT(above, 3);
    mailbox_close(&a);
    mailbox_close(&b);
}

/* Readers take no lock, and flag changes rewrite records in place: a
 * reader that catches a record half-written must read it again (under the
 * shared lock), not report corruption.  A writer rewrites every record in
 * a tight loop while a reader reads them all for 3 seconds. */
static void test_readers_never_see_torn_records(void)
{
    struct mailbox *mb;
    pid_t pid;
    int status;
    long errors = 0, reads = 0;
    time_t end;

    make_box();
    mb = open_box(MAILBOX_EXCLUSIVE);
    for (uint32_t uid = 1; uid <= 300; uid++)
        add_message(mb, uid, 0);
    TEST_ASSERT_INT(mailbox_commit(mb), ERR_OK);
    mailbox_close(&mb);
    pid = fork();
    if (pid == 0) {
        struct mailbox *w = open_box(MAILBOX_UNLOCKED);
        end = time(NULL) + 3;
        for (uint32_t flip = 0; time(NULL) < end; flip++) {
            if (mailbox_lock(w, 0))
                _exit(2);
            for (uint32_t n = 0; n < w->i.num_records; n++) {
                struct index_record rec;
                if (mailbox_read_record(w, n, &rec))
                    _exit(3);
                rec.system_flags = flip & 1 ? FLAG_FLAGGED : FLAG_ANSWERED;
                rec.user_flags[n % 4] = flip;
                if (mailbox_rewrite_record(w, n, &rec))
                    _exit(4);
            }
            if (mailbox_commit(w))
                _exit(5);
            mailbox_unlock(w);
        }
        mailbox_close(&w);
        _exit(0);
    }
    mb = open_box(MAILBOX_UNLOCKED);
    end = time(NULL) + 3;
    while (time(NULL) < end) {
        for (uint32_t n = 0; n < mb->i.num_records; n++, reads++) {
            struct index_record rec;
            if (mailbox_read_record(mb, n, &rec))
                errors++;
        }
    }
    mailbox_close(&mb);
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    TEST_ASSERT(reads > 1000);
    TEST_ASSERT_INT(errors, 0);
}

/* A lock waited for with a timeout (RENAME and MOVE wait in steps) is
 * waited for that long even when the files were replaced meanwhile and the
 * new ones are locked: the reopen must not fall back to the 60 s default
 * (a RENAME holding other mailboxes waited there while the holder waited
 * for one of them: tools/stress, 24 clients). */
static void test_lock_timeout_after_replace(void)
{
    struct mailbox *w, *r;
    uint32_t *uids = NULL;
    size_t nuids = 0;
    time_t t0;

    make_box();
    w = open_box(MAILBOX_EXCLUSIVE);
    add_message(w, 1, FLAG_DELETED);
    add_message(w, 2, 0);
    TEST_ASSERT_INT(mailbox_commit(w), ERR_OK);
    r = open_box(MAILBOX_UNLOCKED);
    /* New files (a new generation), still locked by w. */
    TEST_ASSERT_INT(mailbox_expunge(w, want_deleted, NULL, &uids, &nuids),
                    ERR_OK);
    TEST_ASSERT_INT(nuids, 1);
    t0 = time(NULL);
    TEST_ASSERT_INT(mailbox_lock(r, 200), ERR_TIMEOUT);
    TEST_ASSERT(time(NULL) - t0 < 10);
    mailbox_unlock(w);
    TEST_ASSERT_INT(mailbox_lock(r, 200), ERR_OK);
    TEST_ASSERT_INT(r->i.num_records, 1);
    check_cache(r, 0, 2);
    mailbox_unlock(r);
    free(uids);
    mailbox_close(&w);
    mailbox_close(&r);
}

static void test_delete_files(void)
{
    struct mailbox *mb;
    struct stat st;
    make_box();
    mb = open_box(MAILBOX_EXCLUSIVE);
    add_message(mb, 1, 0);
    TEST_ASSERT_INT(mailbox_commit(mb), ERR_OK);
    TEST_ASSERT(mkdir(test_path("spool/user/bob/child"), 0700) == 0);
    TEST_ASSERT_INT(mailbox_delete_files(mb), ERR_OK);
    mailbox_close(&mb);
    TEST_ASSERT(stat(test_path("spool/user/bob/1."), &st) < 0);
    TEST_ASSERT(stat(test_path("spool/user/bob/cyrus.index"), &st) < 0);
    TEST_ASSERT(stat(test_path("spool/user/bob/child"), &st) == 0);
}

TEST_MAIN("mailbox",
          TEST_CASE(test_index_format_offsets),
          TEST_CASE(test_create_open),
          TEST_CASE(test_append_commit_abort),
          TEST_CASE(test_rewrite_flags_modseq),
          TEST_CASE(test_expunge_snapshot),
          TEST_CASE(test_user_flags),
          TEST_CASE(test_corruption_detected),
          TEST_CASE(test_read_records_batch),
          TEST_CASE(test_interrupted_expunge_recovered),
          TEST_CASE(test_sigkill_writer),
          TEST_CASE(test_two_writers),
          TEST_CASE(test_recent_claimed_once),
          TEST_CASE(test_readers_never_see_torn_records),
          TEST_CASE(test_lock_timeout_after_replace),
          TEST_CASE(test_delete_files))
