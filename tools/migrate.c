/* migrate.c -- chapar-migrate: mail in from mbox files and Maildirs, out
 * to mbox files (man/chapar-migrate.8).  This file: the options, the
 * progress display, the summary, and migrate_target, the one way every
 * imported message enters a mailbox (append.h; see migrate.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/message.h"
#include "tools/migrate.h"

int migrate_error(const char *fmt, ...)
{
    struct buf b = BUF_INITIALIZER;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    fprintf(stderr, "chapar-migrate: %s\n", buf_cstring(&b));
    log_warn("chapar-migrate: %s", buf_cstring(&b));
    buf_free(&b);
    return 1;
}

int migrate_map_file(const char *path, const char **data_r, size_t *len_r)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY);

    *data_r = NULL;
    *len_r = 0;
    if (fd < 0 || fstat(fd, &st) < 0) {
        migrate_error("%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return migrate_error("%s: not a regular file", path);
    }
    if (st.st_size > 0) {
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return migrate_error("%s: cannot map: %s", path,
                                 strerror(errno));
        }
        *data_r = p;
        *len_r = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

void migrate_unmap(const char *data, size_t len)
{
    if (data)
        munmap((void *)data, len);
}

/* ---- progress and summary ------------------------------------------------ */

void migrate_progress(struct migrate *mg)
{
    if (mg->tty) {
        int pct = mg->progress_total
                      ? (int)(mg->progress_done * 100 / mg->progress_total)
                      : 0, i;
        char bar[41];
        if (mg->messages % 64 && mg->progress_done < mg->progress_total)
            return;
        for (i = 0; i < 40; i++)
            bar[i] = i < pct * 40 / 100 ? '#' : '.';
        bar[40] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %lu messages", bar, pct > 100 ? 100 : pct,
                mg->messages);
    } else if (mg->messages && mg->messages % MIGRATE_BATCH == 0) {
        fprintf(stderr, "chapar-migrate: %lu messages (%" PRIu64
                " bytes) so far\n", mg->messages, mg->bytes);
    }
}

static void summary(struct migrate *mg)
{
    struct buf b = BUF_INITIALIZER;
    unsigned long skipped = mg->skip_internal + mg->skip_duplicate +
                            mg->skip_failed;
    if (mg->tty)
        fputc('\n', stderr);
    buf_printf(&b, "%s %lu messages (%" PRIu64 " bytes) into %lu "
               "mailboxes (%lu %s), skipped %lu",
               mg->dry_run ? "dry run: would import" : "imported",
               mg->messages, mg->bytes, mg->mailboxes, mg->created,
               mg->dry_run ? "to create" : "created", skipped);
    if (skipped) {
        const char *sep = ": ";
        if (mg->skip_internal) {
            buf_printf(&b, "%s%lu folder internal data", sep,
                       mg->skip_internal);
            sep = ", ";
        }
        if (mg->skip_duplicate) {
            buf_printf(&b, "%s%lu already present", sep, mg->skip_duplicate);
            sep = ", ";
        }
        if (mg->skip_failed)
            buf_printf(&b, "%s%lu failed (see the log)", sep,
                       mg->skip_failed);
    }
    if (mg->skip_keyword)
        buf_printf(&b, "; %lu invalid keywords dropped", mg->skip_keyword);
    printf("%s\n", buf_cstring(&b));
    log_notice("%s", buf_cstring(&b));
    buf_free(&b);
}

/* ---- the target mailbox -------------------------------------------------- */

static void dup_key(const unsigned char guid[DIGEST_SHA1_LEN], int64_t date,
                    struct buf *key)
{
    char hex[2 * DIGEST_SHA1_LEN + 1];
    digest_hex(guid, DIGEST_SHA1_LEN, hex);
    buf_reset(key);
    buf_printf(key, "%s/%" PRId64, hex, date);
}

/* The messages already in the mailbox, for the duplicate check. */
static int load_present(struct migrate_target *t)
{
    struct buf key = BUF_INITIALIZER;
    t->have = hash_new(t->mb->i.num_records);
    for (uint32_t n = 0; n < t->mb->i.num_records; n++) {
        struct index_record rec;
        int r = mailbox_read_record(t->mb, n, &rec);
        if (r) {
            buf_free(&key);
            return migrate_error("%s: cannot read its index: %s", t->name,
                                 error_string(r));
        }
        dup_key(rec.guid, rec.internaldate, &key);
        hash_insert(t->have, buf_cstring(&key), t);
    }
    buf_free(&key);
    return 0;
}

int migrate_target_open(struct migrate *mg, const char *name,
                        struct migrate_target *t)
{
    int r;

    memset(t, 0, sizeof(*t));
    t->mg = mg;
    if (mboxname_validate(name))
        return migrate_error("%s: invalid mailbox name", name);
    t->name = xstrdup(name);
    t->owner = mboxname_userid_of(name);
    r = mboxlist_lookup(name, NULL);
    if (r == ERR_NOTFOUND) {
        mg->created++;
        if (!mg->dry_run) {
            struct auth_state *admin =
                auth_new(conf_getstring(CONF_CYRUS_USER), 1);
            r = mboxlist_create(name, NULL, admin, 0);
            auth_free(&admin);
            if (r)
                return migrate_error("%s: cannot create: %s", name,
                                     error_string(r));
            log_notice("chapar-migrate: created mailbox=<%s>", name);
        } else
            r = ERR_OK;
    } else {
        t->existed = 1;
        if (r)
            return migrate_error("%s: %s", name, error_string(r));
    }
    mg->mailboxes++;
    if (mg->dry_run && !t->existed)
        return 0;
    if ((r = mboxlist_open_mailbox(name, MAILBOX_UNLOCKED, &t->mb)))
        return migrate_error("%s: cannot open: %s", name, error_string(r));
    t->last_uid = t->mb->i.last_uid;
    t->uidvalidity = t->mb->i.uidvalidity;
    if (t->mb->i.num_records && load_present(t))
        return 1;
    if (mg->dry_run)
        mailbox_close(&t->mb);
    return 0;
}

static int target_begin(struct migrate_target *t)
{
    struct append_params params;
    int r;
    if (t->as)
        return 0;
    memset(&params, 0, sizeof(params));
    params.quota = APPEND_QUOTA_IGNORE;
    params.seen_userid = t->owner;
    if ((r = append_begin(t->mb, &params, &t->as)))
        return migrate_error("%s: cannot lock for appending: %s", t->name,
                             error_string(r));
    return 0;
}

/* Commit the staged batch; if that fails, its messages count as failed
 * instead of imported. */
static int target_commit(struct migrate_target *t)
{
    struct migrate *mg = t->mg;
    int r, failed = 0;
    if (t->as && (r = append_commit(&t->as, NULL))) {
        mg->messages -= t->batch;
        mg->bytes -= t->batch_bytes;
        mg->skip_failed += t->batch;
        failed = migrate_error("%s: commit failed: %s", t->name,
                               error_string(r));
    }
    t->batch = 0;
    t->batch_bytes = 0;
    return failed;
}

int migrate_target_uidvalidity(struct migrate_target *t, uint32_t uv)
{
    if (t->mg->dry_run || !uv)
        return ERR_OK;
    if (target_begin(t))
        return ERR_LOCKED;
    return append_set_uidvalidity(t->as, uv);
}

void migrate_target_reserve(struct migrate_target *t, uint32_t uid)
{
    if (!t->mg->dry_run && uid && !target_begin(t))
        append_reserve_uids(t->as, uid);
}

/* An IMAP atom, not a system flag. */
static int keyword_ok(const char *k)
{
    if (!*k || *k == '\\')
        return 0;
    for (const char *p = k; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
            strchr("(){%*\"\\]", *p))
            return 0;
    return 1;
}

static int already_present(struct migrate_target *t, const char *data,
                           size_t len, time_t date)
{
    struct buf msg = BUF_INITIALIZER, key = BUF_INITIALIZER;
    unsigned char guid[DIGEST_SHA1_LEN];
    int found = 0;
    if (!message_normalize(data, len, 0, &msg)) {
        digest_sha1(msg.s, msg.len, guid);
        dup_key(guid, date, &key);
        found = hash_lookup(t->have, buf_cstring(&key)) != NULL;
    }
    buf_free(&msg);
    buf_free(&key);
    return found;
}

void migrate_target_add(struct migrate_target *t, const char *data,
                        size_t len, time_t date, uint32_t flags,
                        const struct strarray *keywords, uint32_t uid)
{
    struct migrate *mg = t->mg;
    struct strarray kw = STRARRAY_INITIALIZER;
    uint32_t aflags = 0;
    int r;

    for (size_t i = 0; keywords && i < keywords->count; i++) {
        if (keyword_ok(keywords->data[i]))
            strarray_append(&kw, keywords->data[i]);
        else
            mg->skip_keyword++;
    }
    if (t->have && already_present(t, data, len, date)) {
        mg->skip_duplicate++;
        goto done;
    }
    if (!mg->dry_run) {
        aflags = (flags & MBOXFMT_SEEN ? APPEND_SEEN : 0) |
                 (flags & MBOXFMT_OLD ? APPEND_OLD : 0) |
                 (flags & MBOXFMT_ANSWERED ? FLAG_ANSWERED : 0) |
                 (flags & MBOXFMT_FLAGGED ? FLAG_FLAGGED : 0) |
                 (flags & MBOXFMT_DRAFT ? FLAG_DRAFT : 0) |
                 (flags & MBOXFMT_DELETED ? FLAG_DELETED : 0);
        if (target_begin(t)) {
            mg->skip_failed++;
            goto done;
        }
        if (uid)
            (void)append_set_next_uid(t->as, uid);  /* else the next UID */
        r = append_message(t->as, data, len, date, aflags, &kw, NULL);
        if (r) {
            log_warn("chapar-migrate: message not imported: mailbox=<%s> "
                     "error=<%s>", t->name, error_string(r));
            mg->skip_failed++;
            goto done;
        }
        t->batch++;
        t->batch_bytes += len;
    }
    mg->messages++;
    mg->bytes += len;
    if (t->batch >= MIGRATE_BATCH)
        (void)target_commit(t);     /* a failure is counted there */
    migrate_progress(mg);
done:
    strarray_fini(&kw);
}

int migrate_target_close(struct migrate_target *t)
{
    int r = target_commit(t);
    if (t->mb)
        mailbox_close(&t->mb);
    if (t->have)
        hash_free(&t->have, NULL);
    free(t->name);
    free(t->owner);
    memset(t, 0, sizeof(*t));
    return r;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: chapar-migrate [-C conf] [-U] [-n] COMMAND ...\n"
            "  import-mbox [--format mboxrd|mboxo] FILE MAILBOX\n"
            "  import-mbox-tree [--format mboxrd|mboxo] DIR PARENT\n"
            "  export-mbox [--format mboxrd|mboxo] MAILBOX FILE|-\n"
            "  import-maildir DIR MAILBOX\n");
    exit(EX_USAGE);
}

/* Take "--format X" off the front of argv. */
static int format_option(struct migrate *mg, int *argc, char ***argv)
{
    if (*argc < 1 || strcmp((*argv)[0], "--format"))
        return 0;
    if (*argc < 2)
        return migrate_error("--format needs mboxrd or mboxo");
    if (!strcmp((*argv)[1], "mboxrd"))
        mg->variant = MBOXFMT_MBOXRD;
    else if (!strcmp((*argv)[1], "mboxo"))
        mg->variant = MBOXFMT_MBOXO;
    else
        return migrate_error("unknown format \"%s\" (mboxrd or mboxo)",
                             (*argv)[1]);
    *argc -= 2;
    *argv += 2;
    return 0;
}

int main(int argc, char **argv)
{
    struct migrate mg;
    const char *alt_config = NULL, *cmd;
    int opt, allow_root = 0, ex;

    memset(&mg, 0, sizeof(mg));
    mg.variant = MBOXFMT_MBOXRD;
    log_init("chapar-migrate");
    while ((opt = getopt(argc, argv, "+C:Un")) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        case 'U': allow_root = 1; break;
        case 'n': mg.dry_run = 1; break;
        default: usage();
        }
    }
    if (optind >= argc)
        usage();
    cmd = argv[optind];
    argc -= optind + 1;
    argv += optind + 1;
    if (strcmp(cmd, "import-mbox") && strcmp(cmd, "import-mbox-tree") &&
        strcmp(cmd, "export-mbox") && strcmp(cmd, "import-maildir"))
        usage();
    if (strcmp(cmd, "import-maildir") && format_option(&mg, &argc, &argv))
        return EX_USAGE;
    if (argc != 2)
        usage();
    /* The mailbox argument: checked before anything is read or changed. */
    if (mboxname_validate(argv[strcmp(cmd, "export-mbox") ? 1 : 0])) {
        migrate_error("%s: invalid mailbox name",
                      argv[strcmp(cmd, "export-mbox") ? 1 : 0]);
        return EX_DATAERR;
    }
    log_init("chapar-migrate");
    conf_init(alt_config);
    conf_refuse_root("chapar-migrate", allow_root);
    umask((mode_t)conf_getint(CONF_UMASK));
    mg.tty = isatty(2);

    if (!strcmp(cmd, "export-mbox"))
        ex = migrate_export_mbox(&mg, argc, argv);
    else {
        if (!strcmp(cmd, "import-mbox"))
            ex = migrate_import_mbox(&mg, argc, argv);
        else if (!strcmp(cmd, "import-mbox-tree"))
            ex = migrate_import_mbox_tree(&mg, argc, argv);
        else
            ex = migrate_import_maildir(&mg, argc, argv);
        if (ex != EX_DATAERR && ex != EX_USAGE && ex != EX_NOINPUT)
            summary(&mg);
    }
    fflush(stdout);
    mboxlist_close();
    conf_reset();
    return ex;
}
