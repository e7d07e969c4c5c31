/* ipurge -- delete messages from mailboxes by age or size (Cyrus's ipurge,
 * with its options; man/ipurge.8).
 *
 *     ipurge [-C file] [-U] [-f] [-M] [-x] [-X] [-i] [-s] [-o] [-n] [-v]
 *            {-d days | -b bytes | -k Kbytes | -m Mbytes}... [pattern...]
 *
 * Each pattern names mailboxes in the internal namespace (user.alice.Junk,
 * with * and %); every mailbox below a matching one is purged too unless
 * -M.  No pattern: every mailbox.  Personal mailboxes (user.*) are left
 * alone unless -f, as Cyrus does.  The test of one message is Cyrus's:
 *   age (-d): now minus the Date: header's time (-X: the delivery time)
 *     over days * 86400 seconds (with -i: under it; with -x: the whole
 *     days equal, or with -i differ);
 *   size (-b/-k/-m): larger than the size (-i: smaller; -x: equal, or
 *     with -i different);
 *   with -x, age decides when both are given; otherwise either one;
 *   -s skips \Flagged messages, -o takes only \Deleted ones.
 * The purge is the mailbox's one expunge (mailbox_expunge: tombstones,
 * quota, crash safety), so sessions see the messages go as after any
 * EXPUNGE.  -n lists what would go and changes nothing.
 *
 * Exit status: 0, 64 (usage), 75 (a mailbox could not be purged: named
 * on stderr, the others done).
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"

struct purge_opts {
    int64_t days_s;             /* -d, in seconds; -1: not given */
    int64_t size;               /* -b/-k/-m, in bytes; -1: not given */
    int exact, invert, skip_flagged, only_deleted, use_internaldate;
    int dry_run, verbose, include_users, no_recurse;
    time_t now;
};

struct purge_totals {
    uint64_t messages, bytes, purged, purged_bytes;
};

static void __attribute__((noreturn)) usage(void)
{
    fprintf(stderr,
            "usage: ipurge [-C file] [-U] [-f] [-M] [-x] [-X] [-i] [-s] [-o] "
            "[-n] [-v] {-d days | -b bytes | -k Kbytes | -m Mbytes} "
            "[pattern...]\n");
    exit(EX_USAGE);
}

/* Cyrus's test of one message (see the top of this file). */
static int purge_match(const struct purge_opts *o,
                       const struct index_record *rec)
{
    int64_t when = o->use_internaldate ? rec->internaldate : rec->sentdate;
    int64_t age = (int64_t)o->now - when;

    if (o->skip_flagged && (rec->system_flags & FLAG_FLAGGED))
        return 0;
    if (o->only_deleted && !(rec->system_flags & FLAG_DELETED))
        return 0;
    if (o->exact) {
        if (o->days_s >= 0)
            return (age / 86400 == o->days_s / 86400) != o->invert;
        return ((int64_t)rec->size == o->size) != o->invert;
    }
    if (o->days_s >= 0 &&
        (o->invert ? age < o->days_s : age > o->days_s))
        return 1;
    if (o->size >= 0 &&
        (o->invert ? (int64_t)rec->size < o->size
                   : (int64_t)rec->size > o->size))
        return 1;
    return 0;
}

struct purge_run {
    const struct purge_opts *o;
    const char *mailbox;
    struct purge_totals t;      /* this mailbox */
};

static void print_date(const char *what, int64_t t)
{
    char s[64];
    time_t tt = (time_t)t;
    struct tm tm;

    if (!gmtime_r(&tt, &tm) || !strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S",
                                          &tm))
        snprintf(s, sizeof(s), "%" PRId64, t);
    printf(" %s=%s", what, s);
}

static int purge_want(const struct index_record *rec, void *rock)
{
    struct purge_run *run = rock;
    int want = purge_match(run->o, rec);

    run->t.messages++;
    run->t.bytes += rec->size;
    if (!want)
        return 0;
    run->t.purged++;
    run->t.purged_bytes += rec->size;
    if (run->o->dry_run || run->o->verbose) {
        printf("%s: uid %" PRIu32 " size %" PRIu32, run->mailbox, rec->uid,
               rec->size);
        print_date("sent", rec->sentdate);
        print_date("received", rec->internaldate);
        printf("%s\n", run->o->dry_run ? " (would be purged)" : "");
    }
    return 1;
}

/* Purge one mailbox: the expunge under its lock, or with -n a read. */
static int purge_mailbox(const char *name, const struct purge_opts *o,
                         struct purge_totals *all)
{
    struct purge_run run = { o, name, { 0, 0, 0, 0 } };
    struct mailbox *mb = NULL;
    uint32_t *uids = NULL;
    size_t n = 0;
    int r;

    r = mboxlist_open_mailbox(name, o->dry_run ? MAILBOX_UNLOCKED
                                               : MAILBOX_EXCLUSIVE, &mb);
    if (r)
        goto done;
    if (o->dry_run) {
        for (uint32_t i = 0; !r && i < mb->i.num_records; i++) {
            struct index_record rec;
            if (!(r = mailbox_read_record(mb, i, &rec)))
                purge_want(&rec, &run);
        }
    } else {
        r = mailbox_expunge(mb, purge_want, &run, &uids, &n);
    }
done:
    mailbox_close(&mb);
    free(uids);
    if (r) {
        fprintf(stderr, "ipurge: %s: %s\n", name, error_string(r));
        log_error("ipurge: cannot purge mailbox=<%s>: %s", name,
                  error_string(r));
        return r;
    }
    printf("%s: %" PRIu64 " messages, %" PRIu64 " bytes; %s %" PRIu64
           " messages, %" PRIu64 " bytes\n", name, run.t.messages,
           run.t.bytes, o->dry_run ? "would purge" : "purged", run.t.purged,
           run.t.purged_bytes);
    if (!o->dry_run && run.t.purged)
        log_notice("ipurge: mailbox=<%s> purged=<%" PRIu64 "> bytes=<%" PRIu64
                   ">", name, run.t.purged, run.t.purged_bytes);
    all->messages += run.t.messages;
    all->bytes += run.t.bytes;
    all->purged += run.t.purged;
    all->purged_bytes += run.t.purged_bytes;
    return ERR_OK;
}

static int collect(const char *name, const struct mboxlist_entry *e,
                   void *rock)
{
    (void)e;
    if (strarray_find(rock, name) < 0)
        strarray_append(rock, name);
    return 0;
}

/* The mailboxes the patterns name (and those below, unless -M), personal
 * ones only with -f, in name order. */
static int purge_targets(const struct strarray *patterns,
                         const struct purge_opts *o, struct strarray *out)
{
    struct auth_state *admin = auth_new(conf_getstring(CONF_CYRUS_USER), 1);
    struct strarray found = STRARRAY_INITIALIZER;
    int r = ERR_OK;

    for (size_t i = 0; !r && i < (patterns->count ? patterns->count : 1);
         i++) {
        const char *p = patterns->count ? patterns->data[i] : "*";
        r = mboxlist_find(p, admin, collect, &found);
        if (!r && !o->no_recurse) {
            char *below = xasprintf("%s.*", p);
            r = mboxlist_find(below, admin, collect, &found);
            free(below);
        }
    }
    for (size_t i = 0; i < found.count; i++)
        if (o->include_users || strncmp(found.data[i], "user.", 5))
            strarray_append(out, found.data[i]);
    strarray_sort(out);
    strarray_fini(&found);
    auth_free(&admin);
    return r;
}

static int64_t number_arg(const char *s, int64_t unit)
{
    char *end;
    long long v = strtoll(s, &end, 10);

    if (!*s || *end || v < 0 || v > INT64_MAX / unit) {
        fprintf(stderr, "ipurge: \"%s\" is not a number of the right size\n",
                s);
        exit(EX_USAGE);
    }
    return (int64_t)v * unit;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "include-user-mailboxes", no_argument, NULL, 'f' },
        { "days", required_argument, NULL, 'd' },
        { "bytes", required_argument, NULL, 'b' },
        { "kbytes", required_argument, NULL, 'k' },
        { "mbytes", required_argument, NULL, 'm' },
        { "exact-match", no_argument, NULL, 'x' },
        { "delivery-time", no_argument, NULL, 'X' },
        { "invert-match", no_argument, NULL, 'i' },
        { "skip-flagged", no_argument, NULL, 's' },
        { "only-deleted", no_argument, NULL, 'o' },
        { "dry-run", no_argument, NULL, 'n' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 }
    };
    struct purge_opts o = { -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    struct strarray patterns = STRARRAY_INITIALIZER;
    struct strarray names = STRARRAY_INITIALIZER;
    struct purge_totals all = { 0, 0, 0, 0 };
    const char *alt_config = NULL;
    int opt, allow_root = 0, failed = 0, r;

    while ((opt = getopt_long(argc, argv, "C:UfMd:b:k:m:xXisonv", longopts,
                              NULL)) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        case 'U': allow_root = 1; break;
        case 'f': o.include_users = 1; break;
        case 'M': o.no_recurse = 1; break;
        case 'd': o.days_s = number_arg(optarg, 86400); break;
        case 'b': o.size = number_arg(optarg, 1); break;
        case 'k': o.size = number_arg(optarg, 1024); break;
        case 'm': o.size = number_arg(optarg, 1048576); break;
        case 'x': o.exact = 1; break;
        case 'X': o.use_internaldate = 1; break;
        case 'i': o.invert = 1; break;
        case 's': o.skip_flagged = 1; break;
        case 'o': o.only_deleted = 1; break;
        case 'n': o.dry_run = 1; break;
        case 'v': o.verbose = 1; break;
        default: usage();
        }
    }
    if (o.days_s < 0 && o.size < 0) {
        fprintf(stderr, "ipurge: one of -d, -b, -k or -m is needed\n");
        exit(EX_USAGE);
    }
    for (int i = optind; i < argc; i++)
        strarray_append(&patterns, argv[i]);
    log_init("ipurge");
    log_set_stderr(0);
    conf_init(alt_config);
    conf_refuse_root("ipurge", allow_root);
    umask((mode_t)conf_getint(CONF_UMASK));
    o.now = time(NULL);
    if ((r = purge_targets(&patterns, &o, &names))) {
        fprintf(stderr, "ipurge: cannot list mailboxes: %s\n",
                error_string(r));
        failed = 1;
    }
    for (size_t i = 0; i < names.count; i++)
        if (purge_mailbox(names.data[i], &o, &all))
            failed = 1;
    printf("total: %zu mailboxes, %" PRIu64 " messages, %" PRIu64
           " bytes; %s %" PRIu64 " messages, %" PRIu64 " bytes\n",
           names.count, all.messages, all.bytes,
           o.dry_run ? "would purge" : "purged", all.purged,
           all.purged_bytes);
    strarray_fini(&patterns);
    strarray_fini(&names);
    mboxlist_close();
    conf_reset();
    return failed ? EX_TEMPFAIL : EX_OK;
}
