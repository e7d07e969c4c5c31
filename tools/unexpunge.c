/* unexpunge -- list and restore expunged messages (Cyrus's unexpunge;
 * man/unexpunge.8).
 *
 *     unexpunge [-C file] [-U] -l mailbox
 *     unexpunge [-C file] [-U] [-d] [-v] {-a | -t interval} mailbox
 *     unexpunge [-C file] [-U] [-d] [-v] -u mailbox uid...
 *
 * With expunge_mode delayed an expunged message keeps its file beside its
 * tombstone (mailbox.h, "Tombstones") for expunge_tombstone_days.  -l lists
 * the tombstones whose file is still there; -a restores them all, -t those
 * expunged within the interval (s, m, h, d; e.g. 2h), -u the UIDs named.
 *
 * A restore goes through the append API like any new message (one
 * transaction for all, the mailbox lock held): a new UID (RFC 3501: a UID
 * is never reused), the old INTERNALDATE, flags and keywords (-d drops
 * \Deleted), \Seen for the mailbox's owner if the old UID was seen, quota
 * not enforced (an administrator's act).  After the commit the old files
 * are removed, so the tombstones stay (QRESYNC still reports the old UIDs
 * as vanished) and cannot be restored twice.  A kill between the commit
 * and the removal is finished by the next run: a tombstone whose message
 * (same SHA-1) is live in the mailbox is not restored again, only its old
 * file removed.  Output: one line per message, then a summary.
 *
 * Exit status: 0; 64 usage; 66 no such mailbox; 75 the restore failed
 * (nothing was restored).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/seqset.h"

enum pick { PICK_LIST, PICK_ALL, PICK_SINCE, PICK_UIDS };

struct unexpunge {
    enum pick pick;
    int64_t since;              /* PICK_SINCE: expunged at or after */
    struct seqset *uids;        /* PICK_UIDS */
    int undelete, verbose;
    struct mailbox *mb;
    struct index_record *t;     /* tombstones, ascending UIDs */
    size_t nt;
};

static void __attribute__((noreturn)) usage(void)
{
    fprintf(stderr, "usage: unexpunge [-C file] [-U] {-l | -a | -t interval "
                    "| -u} [-d] [-v] mailbox [uid...]\n");
    exit(EX_USAGE);
}

/* "90", "90s", "15m", "2h", "3d" -> seconds; -1 if malformed. */
static int64_t parse_interval(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    int64_t unit = 1;

    if (end == s || v < 0)
        return -1;
    switch (*end) {
    case '\0': case 's': break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return -1;
    }
    if (*end && end[1])
        return -1;
    return v > INT64_MAX / unit ? -1 : (int64_t)v * unit;
}

static int file_present(const struct mailbox *mb, uint32_t uid)
{
    struct buf path = BUF_INITIALIZER;
    int ok;

    mailbox_message_path(mb, uid, &path);
    ok = access(buf_cstring(&path), F_OK) == 0;
    buf_free(&path);
    return ok;
}

static int picked(const struct unexpunge *u, const struct index_record *t)
{
    if (!(t->system_flags & FLAG_EXPUNGED) || !file_present(u->mb, t->uid))
        return 0;
    switch (u->pick) {
    case PICK_SINCE: return t->last_updated >= u->since;
    case PICK_UIDS: return seqset_ismember(u->uids, t->uid);
    default: return 1;
    }
}

static void list_one(const struct index_record *t)
{
    char when[32], got[32];
    time_t a = (time_t)t->last_updated, b = (time_t)t->internaldate;
    struct tm tm;

    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&a, &tm));
    strftime(got, sizeof(got), "%Y-%m-%d %H:%M:%S", gmtime_r(&b, &tm));
    printf("uid %" PRIu32 " size %" PRIu32 " expunged %s received %s%s%s%s\n",
           t->uid, t->size, when, got,
           t->system_flags & FLAG_FLAGGED ? " \\Flagged" : "",
           t->system_flags & FLAG_ANSWERED ? " \\Answered" : "",
           t->system_flags & FLAG_DELETED ? " \\Deleted" : "");
}

/* A live message with this content: an earlier run restored it. */
static int live_guid(struct mailbox *mb, const unsigned char *guid)
{
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct index_record rec;
        if (!mailbox_read_record(mb, n, &rec) &&
            !memcmp(rec.guid, guid, sizeof(rec.guid)))
            return 1;
    }
    return 0;
}

static void keywords_of(const struct mailbox *mb,
                        const struct index_record *t, struct strarray *out)
{
    strarray_fini(out);
    for (size_t i = 0; i < mb->flagnames.count && i < MAILBOX_MAX_USER_FLAGS;
         i++)
        if (t->user_flags[i / 32] & (1u << (i % 32)))
            strarray_append(out, mb->flagnames.data[i]);
}

/* The owner's \Seen UIDs of the mailbox (NULL: none or not a personal
 * mailbox). */
static struct seqset *owner_seen(const struct mailbox *mb, char **owner_r)
{
    struct seen *seen = NULL;
    struct seen_data data;
    char *owner = mboxname_userid_of(mb->name);
    struct seqset *set = NULL;

    *owner_r = owner;
    memset(&data, 0, sizeof(data));
    if (owner && !seen_open(owner, 0, &seen) &&
        !seen_read(seen, mb->uniqueid, &data)) {
        set = data.seenuids;
        data.seenuids = NULL;
    }
    seen_data_fini(&data);
    seen_close(&seen);
    return set;
}

/* Restore the picked tombstones in one append transaction, then remove
 * their old files.  Returns the count restored through *n_r. */
static int restore(struct unexpunge *u, size_t *n_r)
{
    struct append_params params = { APPEND_QUOTA_IGNORE, 0, 0, NULL };
    struct append_state *as = NULL;
    struct strarray kw = STRARRAY_INITIALIZER;
    struct buf path = BUF_INITIALIZER;
    char *owner = NULL;
    struct seqset *seen = owner_seen(u->mb, &owner);
    uint32_t *done = xcalloc(u->nt + 1, sizeof(uint32_t));
    size_t ndone = 0;
    int r;

    params.seen_userid = owner;
    *n_r = 0;
    if ((r = append_begin(u->mb, &params, &as)))
        goto out;
    /* Under the lock now: the tombstones as they are. */
    free(u->t);
    u->t = NULL;
    u->nt = 0;
    (void)mailbox_tombstones_read(u->mb->path, u->mb->i.uidvalidity, &u->t,
                                  &u->nt);
    done = xrealloc(done, (u->nt + 1) * sizeof(uint32_t));
    for (size_t i = 0; !r && i < u->nt; i++) {
        const struct index_record *t = &u->t[i];
        uint32_t flags = t->system_flags & ~FLAG_EXPUNGED, uid = 0;
        char *data = NULL;
        size_t len;

        if (!picked(u, t))
            continue;
        done[ndone++] = t->uid;
        if (live_guid(u->mb, t->guid)) {
            printf("uid %" PRIu32 ": restored before, old file removed\n",
                   t->uid);
            continue;
        }
        if (u->undelete)
            flags &= ~(uint32_t)FLAG_DELETED;
        if (seen && seqset_ismember(seen, t->uid))
            flags |= APPEND_SEEN;
        keywords_of(u->mb, t, &kw);
        mailbox_message_path(u->mb, t->uid, &path);
        if ((r = util_read_file(buf_cstring(&path), &data, &len)))
            break;
        r = append_message(as, data, len, (time_t)t->internaldate, flags, &kw,
                           &uid);
        free(data);
        if (!r && u->verbose)
            printf("uid %" PRIu32 ": restored as uid %" PRIu32 "\n", t->uid,
                   uid);
        if (!r)
            (*n_r)++;
    }
    if (r) {
        append_abort(&as);
        goto out;
    }
    if ((r = append_commit(&as, NULL)))
        goto out;
    /* Committed: the old files go (the tombstones stay). */
    for (size_t i = 0; i < ndone; i++) {
        mailbox_message_path(u->mb, done[i], &path);
        if (unlink(buf_cstring(&path)) < 0 && errno != ENOENT)
            log_error_errno("unexpunge: cannot remove file=<%s>", path.s);
    }
    util_fsync_dir(u->mb->path);
out:
    strarray_fini(&kw);
    buf_free(&path);
    seqset_free(&seen);
    free(owner);
    free(done);
    return r;
}

int main(int argc, char **argv)
{
    struct unexpunge u;
    const char *alt_config = NULL, *name;
    int opt, allow_root = 0, r, ex = EX_OK, npick = 0;
    size_t n = 0, listed = 0;

    memset(&u, 0, sizeof(u));
    while ((opt = getopt(argc, argv, "C:Ulat:udv")) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        case 'U': allow_root = 1; break;
        case 'l': u.pick = PICK_LIST; npick++; break;
        case 'a': u.pick = PICK_ALL; npick++; break;
        case 't':
            u.pick = PICK_SINCE;
            npick++;
            if ((u.since = parse_interval(optarg)) < 0) {
                fprintf(stderr, "unexpunge: bad interval \"%s\" (a number "
                                "with s, m, h or d)\n", optarg);
                exit(EX_USAGE);
            }
            u.since = (int64_t)time(NULL) - u.since;
            break;
        case 'u': u.pick = PICK_UIDS; npick++; break;
        case 'd': u.undelete = 1; break;
        case 'v': u.verbose = 1; break;
        default: usage();
        }
    }
    if (npick != 1 || optind >= argc ||
        (u.pick != PICK_UIDS && optind + 1 != argc)) {
        fprintf(stderr, "unexpunge: exactly one of -l, -a, -t, -u and a "
                        "mailbox are needed (and UIDs after it with -u)\n");
        exit(EX_USAGE);
    }
    name = argv[optind];
    if (u.pick == PICK_UIDS) {
        u.uids = seqset_new();
        for (int i = optind + 1; i < argc; i++) {
            char *end;
            unsigned long v = strtoul(argv[i], &end, 10);
            if (!*argv[i] || *end || !v || v > UINT32_MAX) {
                fprintf(stderr, "unexpunge: \"%s\" is not a UID\n", argv[i]);
                exit(EX_USAGE);
            }
            seqset_add(u.uids, (uint32_t)v);
        }
        if (optind + 1 >= argc)
            usage();
    }
    log_init("unexpunge");
    conf_init(alt_config);
    conf_refuse_root("unexpunge", allow_root);
    umask((mode_t)conf_getint(CONF_UMASK));
    if ((r = mboxlist_open_mailbox(name, MAILBOX_UNLOCKED, &u.mb))) {
        fprintf(stderr, "unexpunge: %s: %s\n", name, error_string(r));
        ex = r == ERR_NOTFOUND ? EX_NOINPUT : EX_TEMPFAIL;
        goto done;
    }
    (void)mailbox_tombstones_read(u.mb->path, u.mb->i.uidvalidity, &u.t,
                                  &u.nt);
    if (u.pick == PICK_LIST) {
        for (size_t i = 0; i < u.nt; i++)
            if (picked(&u, &u.t[i])) {
                list_one(&u.t[i]);
                listed++;
            }
        printf("%s: %zu expunged messages can be restored\n", name, listed);
        goto done;
    }
    if ((r = restore(&u, &n))) {
        fprintf(stderr, "unexpunge: %s: nothing restored: %s\n", name,
                error_string(r));
        log_error("unexpunge: mailbox=<%s>: nothing restored: %s", name,
                  error_string(r));
        ex = EX_TEMPFAIL;
        goto done;
    }
    printf("%s: restored %zu messages\n", name, n);
    if (n)
        log_notice("unexpunge: mailbox=<%s> restored=<%zu>", name, n);
done:
    free(u.t);
    seqset_free(&u.uids);
    mailbox_close(&u.mb);
    mboxlist_close();
    conf_reset();
    return ex;
}
