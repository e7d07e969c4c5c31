/* test_mailbox_format.c -- cyrus.index grows (mailbox.h, "Format
 * versions"): an older minor version (1.0, 96-byte records) is read and
 * upgraded with a log line when first locked for writing; a newer minor
 * with bigger header and records and fields we do not know is read and
 * left alone (read-only); impossible sizes are refused. */
#include "config.h"

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
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "imap/mailstore/mailbox.h"
#include "tests/unit/harness.h"

#define MBNAME "user.bob"
#define NMSG 5

static const char *mbpath(void) { return test_path("spool/user/bob"); }
static const char *ipath(void)
{
    return test_path("spool/user/bob/" MAILBOX_INDEX_FILE);
}

static void capture(int prio, const char *line, void *rock)
{
    (void)prio;
    buf_printf(rock, "%s\n", line);
}

/* A mailbox with NMSG messages (UIDs 1..NMSG, uid 2 \Flagged). */
static void make_box(void)
{
    struct mailbox *mb = NULL;
    struct buf path = BUF_INITIALIZER;

    TEST_ASSERT_INT(mailbox_create(MBNAME, mbpath(), "0123abcd", "", NULL,
                                   77), ERR_OK);
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_EXCLUSIVE, &mb),
                    ERR_OK);
    for (uint32_t uid = 1; uid <= NMSG; uid++) {
        struct index_record rec;
        char cache[32];
        memset(&rec, 0, sizeof(rec));
        rec.uid = uid;
        rec.size = 10 + uid;
        rec.internaldate = 1000 + uid;
        rec.system_flags = uid == 2 ? FLAG_FLAGGED : 0;
        mailbox_message_path(mb, uid, &path);
        test_write_file(path.s + strlen(test_tmpdir()) + 1, "0123456789xxxxx");
        snprintf(cache, sizeof(cache), "cache-of-%u", uid);
        TEST_ASSERT_INT(mailbox_append_record(mb, &rec, cache, strlen(cache)),
                        ERR_OK);
    }
    TEST_ASSERT_INT(mailbox_commit(mb), ERR_OK);
    mailbox_close(&mb);
    buf_free(&path);
}

/* Rewrite cyrus.index in another geometry: minor, header and record
 * sizes; junk: fill the bytes past the fields we know (fields of a
 * future version) with 0x5a, CRCs made right. */
static void rewrite_index(unsigned minor, uint32_t hsize, uint32_t rsize,
                          int junk)
{
    struct buf out = BUF_INITIALIZER;
    struct index_header h;
    unsigned char hb[MAILBOX_INDEX_SIZE_MAX], rb[MAILBOX_INDEX_SIZE_MAX];
    char *data;
    size_t len;

    TEST_ASSERT_INT(util_read_file(ipath(), &data, &len), ERR_OK);
    TEST_ASSERT_INT(mailbox_index_header_decode((unsigned char *)data, len,
                                                &h), ERR_OK);
    for (uint32_t n = 0; n < h.num_records; n++) {
        struct index_record rec;
        TEST_ASSERT_INT(mailbox_index_record_decode(
                            (unsigned char *)data + h.header_size +
                                (size_t)n * h.record_size,
                            h.record_size, &rec), ERR_OK);
        mailbox_index_record_encode(&rec, rsize, rb);
        if (junk) {
            memset(rb + 92, 0x5a, rsize - 96);
            util_put32(rb + rsize - 4, util_crc32(0, rb, rsize - 4));
        }
        buf_appendmap(&out, rb, rsize);
    }
    h.minor = (uint16_t)minor;
    h.header_size = hsize;
    h.record_size = rsize;
    mailbox_index_header_encode(&h, hb);
    if (junk) {
        memset(hb + 80, 0x5a, hsize - 84);
        util_put32(hb + hsize - 4, util_crc32(0, hb, hsize - 4));
    }
    buf_insert(&out, 0, hb, hsize);
    TEST_ASSERT_INT(util_atomic_replace(ipath(), out.s, out.len, 0600),
                    ERR_OK);
    free(data);
    buf_free(&out);
}

/* Every message reads back with its fields and cache entry. */
static void check_all(struct mailbox *mb)
{
    TEST_ASSERT_INT(mb->i.num_records, NMSG);
    TEST_ASSERT_INT(mb->i.uidvalidity, 77);
    for (uint32_t n = 0; n < NMSG; n++) {
        struct index_record rec;
        const char *data;
        size_t len;
        char want[32];
        TEST_ASSERT_INT(mailbox_read_record(mb, n, &rec), ERR_OK);
        TEST_ASSERT_INT(rec.uid, n + 1);
        TEST_ASSERT_INT(rec.size, 10 + n + 1);
        TEST_ASSERT_INT(rec.internaldate, 1000 + n + 1);
        TEST_ASSERT_INT(!!(rec.system_flags & FLAG_FLAGGED), n + 1 == 2);
        TEST_ASSERT_INT(mailbox_cache_entry(mb, &rec, &data, &len), ERR_OK);
        snprintf(want, sizeof(want), "cache-of-%u", n + 1);
        TEST_ASSERT_MEM(data, len, want, strlen(want));
    }
}

static off_t file_size(const char *path)
{
    struct stat st;
    TEST_ASSERT(stat(path, &st) == 0);
    return st.st_size;
}

static void test_current_format(void)
{
    unsigned char h[16];
    int fd;

    make_box();
    fd = open(ipath(), O_RDONLY);
    TEST_ASSERT(fd >= 0 && read(fd, h, sizeof(h)) == (ssize_t)sizeof(h));
    close(fd);
    TEST_ASSERT_INT(h[6] << 8 | h[7], MAILBOX_INDEX_MINOR);
    TEST_ASSERT_INT(util_get32(h + 8), MAILBOX_INDEX_HEADER_SIZE);
    TEST_ASSERT_INT(util_get32(h + 12), MAILBOX_INDEX_RECORD_SIZE);
    TEST_ASSERT_INT(file_size(ipath()),
                    MAILBOX_INDEX_HEADER_SIZE + NMSG * MAILBOX_INDEX_RECORD_SIZE);
}

static void test_older_format_read_and_upgraded(void)
{
    struct buf log = BUF_INITIALIZER;
    struct mailbox *mb = NULL;

    make_box();
    rewrite_index(0, 128, 96, 0);
    TEST_ASSERT_INT(file_size(ipath()), 128 + NMSG * 96);
    /* A reader reads it as it is. */
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_UNLOCKED, &mb),
                    ERR_OK);
    TEST_ASSERT_INT(mb->i.minor, 0);
    TEST_ASSERT_INT(mb->i.record_size, 96);
    check_all(mb);
    TEST_ASSERT_INT(file_size(ipath()), 128 + NMSG * 96);
    /* The first writer upgrades it, with a log line. */
    log_set_capture(capture, &log);
    TEST_ASSERT_INT(mailbox_lock(mb, 0), ERR_OK);
    log_set_capture(NULL, NULL);
    TEST_ASSERT(strstr(buf_cstring(&log), "upgraded cyrus.index: "
                       "mailbox=<user.bob> from=<1.0> to=<1.2>"));
    TEST_ASSERT_INT(mb->i.record_size, MAILBOX_INDEX_RECORD_SIZE);
    check_all(mb);
    mailbox_unlock(mb);
    mailbox_close(&mb);
    TEST_ASSERT_INT(file_size(ipath()),
                    MAILBOX_INDEX_HEADER_SIZE + NMSG * MAILBOX_INDEX_RECORD_SIZE);
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_UNLOCKED, &mb),
                    ERR_OK);
    TEST_ASSERT_INT(mb->i.minor, MAILBOX_INDEX_MINOR);
    check_all(mb);
    mailbox_close(&mb);
    buf_free(&log);
}

static void test_newer_format_read_only(void)
{
    struct buf log = BUF_INITIALIZER;
    struct mailbox *mb = NULL;
    char *before, *after;
    size_t blen, alen;

    make_box();
    rewrite_index(9, 192, 160, 1);
    TEST_ASSERT_INT(util_read_file(ipath(), &before, &blen), ERR_OK);
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_UNLOCKED, &mb),
                    ERR_OK);
    TEST_ASSERT_INT(mb->i.minor, 9);
    check_all(mb);
    log_set_capture(capture, &log);
    TEST_ASSERT_INT(mailbox_lock(mb, 0), ERR_BADFORMAT);
    log_set_capture(NULL, NULL);
    TEST_ASSERT(strstr(buf_cstring(&log), "cyrus.index is of a newer format, "
                       "read-only to this version: mailbox=<user.bob> "
                       "version=<1.9> known=<1.2>"));
    mailbox_close(&mb);
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_EXCLUSIVE, &mb),
                    ERR_BADFORMAT);
    TEST_ASSERT_INT(util_read_file(ipath(), &after, &alen), ERR_OK);
    TEST_ASSERT_MEM(before, blen, after, alen);     /* left alone */
    free(before);
    free(after);
    buf_free(&log);
}

static void test_impossible_sizes_refused(void)
{
    struct mailbox *mb = NULL;
    static const uint32_t bad[][2] = {
        { 128, 92 },            /* records smaller than the known fields */
        { 124, 104 },           /* header smaller than the known fields */
        { 128, 102 },           /* not a multiple of 4 */
        { 128, 2048 },          /* beyond what a reader takes */
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        TEST_ASSERT(!mailbox_index_geometry_ok(bad[i][0], bad[i][1]));
    }
    make_box();
    /* A header claiming records of 2048 bytes (CRC right) is refused. */
    {
        unsigned char hb[MAILBOX_INDEX_HEADER_SIZE];
        int fd = open(ipath(), O_RDWR);
        TEST_ASSERT(fd >= 0 && pread(fd, hb, sizeof(hb), 0) == sizeof(hb));
        util_put32(hb + 12, 2048);
        util_put32(hb + 124, util_crc32(0, hb, 124));
        TEST_ASSERT(pwrite(fd, hb, sizeof(hb), 0) == sizeof(hb));
        close(fd);
    }
    TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_UNLOCKED, &mb),
                    ERR_BADFORMAT);
}

static long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* Make cyrus.index 1.0 again, fork a process that opens the mailbox for
 * writing (which upgrades it), and SIGKILL it at a random instant within
 * span_us (span_us < 0: let it finish).  Returns how long it lived. */
static long upgrade_child(long span_us, unsigned *seed)
{
    long t0;
    int status;
    pid_t pid;

    rewrite_index(0, 128, 96, 0);
    t0 = now_us();
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        struct mailbox *mb = NULL;
        _exit(mailbox_open(MBNAME, mbpath(), MAILBOX_EXCLUSIVE, &mb) ? 2 : 0);
    }
    if (span_us >= 0) {
        usleep((useconds_t)(rand_r(seed) % (unsigned)(span_us + 1)));
        kill(pid, SIGKILL);
    }
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    TEST_ASSERT(!WIFEXITED(status) || WEXITSTATUS(status) == 0);
    return now_us() - t0;
}

/* The upgrade is the expunge's rewrite (new files, then renames), so a
 * kill at any instant of it leaves the old format or the new one, every
 * message readable, and the next writer finishes the job. */
static void test_upgrade_killed(void)
{
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    int old = 0, upgraded = 0;

    long span_us;

    make_box();
    /* How long an upgrading process lives when left alone: the kills fall
     * anywhere in that span (and a little after). */
    span_us = upgrade_child(-1, &seed);
    for (int round = 0; round < 60; round++) {
        struct mailbox *mb = NULL;

        upgrade_child(span_us + span_us / 4, &seed);
        /* A reader sees every message, in one format or the other. */
        TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_UNLOCKED, &mb),
                        ERR_OK);
        check_all(mb);
        if (mb->i.minor == 0)
            old++;
        else if (mb->i.minor == MAILBOX_INDEX_MINOR)
            upgraded++;
        else
            test_fail(__FILE__, __LINE__, "minor %u", mb->i.minor);
        mailbox_close(&mb);
        /* The next writer leaves it upgraded and whole. */
        TEST_ASSERT_INT(mailbox_open(MBNAME, mbpath(), MAILBOX_EXCLUSIVE, &mb),
                        ERR_OK);
        TEST_ASSERT_INT(mb->i.minor, MAILBOX_INDEX_MINOR);
        check_all(mb);
        mailbox_close(&mb);
    }
    /* How many kills fell before and after the commit (a TAP comment). */
    printf("# upgrade killed 60 times: %d left 1.0, %d left 1.1\n", old,
           upgraded);
    TEST_ASSERT(old + upgraded == 60);
}

TEST_MAIN("mailbox_format",
          TEST_CASE(test_current_format),
          TEST_CASE(test_older_format_read_and_upgraded),
          TEST_CASE(test_upgrade_killed),
          TEST_CASE(test_newer_format_read_only),
          TEST_CASE(test_impossible_sizes_refused))
