/* mbbench -- mailstore benchmark: append N generated messages to one
 * mailbox, then time open, FETCH ENVELOPE of all (index + cache only),
 * flag all, and expunge half.  Prints one line per step.
 *
 *   mbbench [-n count] [-b batch] [-d dir] [-k]
 *     -n  messages to append (default 100000)
 *     -b  messages per append transaction (default 1000)
 *     -d  directory to work in (default: a new one under $TMPDIR or /tmp)
 *     -k  keep the directory afterwards
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/message.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *step, double secs, unsigned long count)
{
    printf("%-28s %10.3f s  %12.0f msg/s\n", step, secs,
           secs > 0 ? (double)count / secs : 0.0);
    fflush(stdout);
}

/* A plausible message: a few addresses, a subject, a multipart body for
 * every fifth one. */
static void make_message(struct buf *b, unsigned long i)
{
    buf_reset(b);
    buf_printf(b, "From: \"Sender %lu\" <sender%lu@example.com>\r\n"
               "To: bob@example.org, \"Alice A.\" <alice@example.org>\r\n"
               "Subject: benchmark message %lu about things\r\n"
               "Date: Mon, 7 Feb 1994 21:52:%02lu -0800\r\n"
               "Message-ID: <%lu.bench@example.com>\r\n",
               i % 97, i % 97, i, i % 60, i);
    if (i % 5 == 0) {
        buf_appendcstr(b, "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/alternative; "
                          "boundary=\"b1\"\r\n\r\n--b1\r\n"
                          "Content-Type: text/plain\r\n\r\nplain text\r\n"
                          "--b1\r\nContent-Type: text/html\r\n\r\n"
                          "<p>html</p>\r\n--b1--\r\n");
    } else {
        buf_appendcstr(b, "\r\n");
        for (int k = 0; k < 20; k++)
            buf_printf(b, "Line %d of the body of message %lu.\r\n", k, i);
    }
}

static int want_even(const struct index_record *rec, void *rock)
{
    (void)rock;
    return rec->uid % 2 == 0;
}

static int run(const char *dir, unsigned long count, unsigned long batch)
{
    const struct append_params params = { .quota = APPEND_QUOTA_IGNORE };
    struct buf msg = BUF_INITIALIZER, env = BUF_INITIALIZER;
    struct buf scratch = BUF_INITIALIZER;
    struct mailbox *mb = NULL;
    struct append_state *as;
    double t;
    size_t envbytes = 0;
    uint32_t *uids = NULL;
    size_t nuids = 0;
    int r;

    if ((r = mailbox_create("user.bench", dir, "bench", "", NULL, 0)) ||
        (r = mailbox_open("user.bench", dir, MAILBOX_UNLOCKED, &mb)))
        return r;
    t = now();
    for (unsigned long i = 1; i <= count;) {
        if ((r = append_begin(mb, &params, &as)))
            return r;
        for (unsigned long k = 0; k < batch && i <= count; k++, i++) {
            make_message(&msg, i);
            if ((r = append_message(as, msg.s, msg.len, 0, 0, NULL, NULL)))
                return r;
        }
        if ((r = append_commit(&as, NULL)))
            return r;
    }
    report("append", now() - t, count);
    mailbox_close(&mb);

    t = now();
    for (int k = 0; k < 100; k++) {
        if ((r = mailbox_open("user.bench", dir, MAILBOX_UNLOCKED, &mb)))
            return r;
        if (k < 99)
            mailbox_close(&mb);
    }
    printf("%-28s %10.6f s  (%u messages)\n", "open (mean of 100)",
           (now() - t) / 100, mb->i.num_records);

    t = now();
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct index_record rec;
        struct message_cache_peek pk;
        const char *data;
        size_t len;
        if ((r = mailbox_read_record(mb, n, &rec)) ||
            (r = mailbox_cache_entry(mb, &rec, &data, &len)) ||
            (r = message_cache_peek(data, len, &pk)))
            return r;
        buf_reset(&env);
        message_cache_envelope(&pk, &scratch, &env);  /* as FETCH does */
        envbytes += env.len;
    }
    report("fetch envelope (all)", now() - t, mb->i.num_records);

    t = now();
    if ((r = mailbox_lock(mb, 0)))
        return r;
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct index_record rec;
        if ((r = mailbox_read_record(mb, n, &rec)))
            return r;
        rec.system_flags |= FLAG_FLAGGED;
        if ((r = mailbox_rewrite_record(mb, n, &rec)))
            return r;
    }
    if ((r = mailbox_commit(mb)))
        return r;
    report("flag all", now() - t, mb->i.num_records);

    t = now();
    if ((r = mailbox_expunge(mb, want_even, NULL, &uids, &nuids)))
        return r;
    report("expunge half", now() - t, nuids);
    mailbox_unlock(mb);
    printf("%-28s %10zu bytes\n", "envelope bytes read", envbytes);
    free(uids);
    buf_free(&msg);
    buf_free(&env);
    buf_free(&scratch);
    mailbox_close(&mb);
    return ERR_OK;
}

int main(int argc, char **argv)
{
    unsigned long count = 100000, batch = 1000;
    const char *dir = NULL;
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;
    char tmpl[512];
    int keep = 0, opt, r;

    log_init("mbbench");
    log_set_stderr(1);
    while ((opt = getopt(argc, argv, "n:b:d:k")) != -1) {
        switch (opt) {
        case 'n': count = strtoul(optarg, NULL, 10); break;
        case 'b': batch = strtoul(optarg, NULL, 10); break;
        case 'd': dir = optarg; break;
        case 'k': keep = 1; break;
        default:
            fprintf(stderr, "usage: mbbench [-n count] [-b batch] [-d dir] "
                            "[-k]\n");
            return 64;
        }
    }
    if (!count || !batch) {
        fprintf(stderr, "mbbench: -n and -b must be positive\n");
        return 64;
    }
    if (!dir) {
        snprintf(tmpl, sizeof(tmpl), "%s/mbbench.XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmpl)) {
            perror("mbbench: mkdtemp");
            return 73;
        }
        dir = tmpl;
    }
    printf("mbbench: %lu messages, %lu per transaction, in %s\n", count,
           batch, dir);
    /* The mailstore's defaults (expunge reads expunge_tombstone_days). */
    buf_printf(&conf, "configdirectory: %s\npartition-default: %s\n", dir,
               dir);
    if (conf_load_text("mbbench", conf.s, conf.len, &err)) {
        fprintf(stderr, "mbbench: %s\n", buf_cstring(&err));
        return 1;
    }
    buf_free(&conf);
    buf_free(&err);
    r = run(dir, count, batch);
    if (r)
        fprintf(stderr, "mbbench: failed: %s\n", error_string(r));
    if (!keep)
        util_remove_tree(dir);
    return r ? 1 : 0;
}
