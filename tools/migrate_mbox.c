/* migrate_mbox.c -- chapar-migrate's mbox subcommands: import-mbox,
 * import-mbox-tree (bsd2cyrus) and export-mbox.  The format itself is
 * imap/mailstore/mboxfmt.c; messages go in through migrate_target. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/seen.h"
#include "tools/migrate.h"

/* Is data an mbox (empty, or starting with a From_ line)?  Prints the
 * reason when not. */
static int check_mbox(struct migrate *mg, const char *path, const char *data,
                      size_t len)
{
    struct mboxfmt_reader r;
    struct mboxfmt_message m = MBOXFMT_MESSAGE_INITIALIZER;
    struct buf err = BUF_INITIALIZER;
    int rc;

    mboxfmt_reader_init(&r, data, len, mg->variant);
    rc = mboxfmt_next(&r, &m, &err);
    if (rc == ERR_BADFORMAT)
        migrate_error("%s: %s", path, buf_cstring(&err));
    mboxfmt_message_fini(&m);
    buf_free(&err);
    return rc == ERR_BADFORMAT;
}

/* Every message of one mapped mbox into the open target t. */
static void import_data(struct migrate_target *t, const char *data,
                        size_t len)
{
    struct migrate *mg = t->mg;
    struct mboxfmt_reader r;
    struct mboxfmt_message m = MBOXFMT_MESSAGE_INITIALIZER;
    struct buf err = BUF_INITIALIZER;
    uint64_t base = mg->progress_done;

    mboxfmt_reader_init(&r, data, len, mg->variant);
    while (mboxfmt_next(&r, &m, &err) == ERR_OK) {
        mg->progress_done = base + r.pos;
        if (m.internal) {
            mg->skip_internal++;
            continue;
        }
        migrate_target_add(t, m.text.s ? m.text.s : "", m.text.len, m.date,
                           m.flags, &m.keywords, 0);
    }
    mg->progress_done = base + len;
    mboxfmt_message_fini(&m);
    buf_free(&err);
}

static int exit_code(const struct migrate *mg, int failed)
{
    return failed || mg->skip_failed ? EX_SOFTWARE : EX_OK;
}

int migrate_import_mbox(struct migrate *mg, int argc, char **argv)
{
    struct migrate_target t;
    const char *data;
    size_t len;
    int failed;

    (void)argc;
    if (migrate_map_file(argv[0], &data, &len))
        return EX_NOINPUT;
    if (check_mbox(mg, argv[0], data, len)) {
        migrate_unmap(data, len);
        return EX_DATAERR;
    }
    mg->progress_total = len;
    failed = migrate_target_open(mg, argv[1], &t);
    if (!failed)
        import_data(&t, data, len);
    failed |= migrate_target_close(&t);
    migrate_unmap(data, len);
    return exit_code(mg, failed);
}

/* ---- import-mbox-tree -------------------------------------------------- */

struct tree_file {
    char *path;
    char *mailbox;
};

struct tree {
    struct tree_file *f;
    size_t n, alloc;
};

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const struct tree_file *)a)->mailbox,
                  ((const struct tree_file *)b)->mailbox);
}

/* Collect the files under dir (dot files skipped), each with its mailbox
 * name: prefix, then each component mapped (mboxfmt_folder_component). */
static int tree_walk(struct tree *tr, const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int failed = 0;

    if (!d)
        return migrate_error("%s: %s", dir, strerror(errno));
    while (!failed && (de = readdir(d))) {
        struct buf path = BUF_INITIALIZER, name = BUF_INITIALIZER;
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        buf_printf(&path, "%s/%s", dir, de->d_name);
        buf_printf(&name, "%s.", prefix);
        mboxfmt_folder_component(de->d_name, &name);
        if (stat(buf_cstring(&path), &st) < 0)
            failed = migrate_error("%s: %s", path.s, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            failed = tree_walk(tr, path.s, buf_cstring(&name));
        else if (S_ISREG(st.st_mode)) {
            if (tr->n == tr->alloc) {
                tr->alloc = tr->alloc ? tr->alloc * 2 : 16;
                tr->f = xreallocarray(tr->f, tr->alloc, sizeof(*tr->f));
            }
            tr->f[tr->n].path = buf_release(&path);
            tr->f[tr->n++].mailbox = buf_release(&name);
        }
        buf_free(&path);
        buf_free(&name);
    }
    closedir(d);
    return failed;
}

int migrate_import_mbox_tree(struct migrate *mg, int argc, char **argv)
{
    struct tree tr = {NULL, 0, 0};
    int failed, ex = EX_OK;

    (void)argc;
    if (mboxname_validate(argv[1])) {
        migrate_error("%s: invalid mailbox name", argv[1]);
        return EX_DATAERR;
    }
    failed = tree_walk(&tr, argv[0], argv[1]);
    if (!failed && tr.n)
        qsort(tr.f, tr.n, sizeof(*tr.f), cmp_file);
    /* Check everything before changing anything. */
    for (size_t i = 0; !failed && i < tr.n; i++) {
        const char *data;
        size_t len;
        if (mboxname_validate(tr.f[i].mailbox))
            failed = migrate_error("%s: makes an invalid mailbox name %s",
                                   tr.f[i].path, tr.f[i].mailbox);
        else if (!(failed = migrate_map_file(tr.f[i].path, &data, &len))) {
            failed = check_mbox(mg, tr.f[i].path, data, len);
            mg->progress_total += len;
            migrate_unmap(data, len);
        }
    }
    if (failed)
        ex = EX_DATAERR;
    for (size_t i = 0; !failed && i < tr.n; i++) {
        struct migrate_target t;
        const char *data;
        size_t len;
        if (migrate_map_file(tr.f[i].path, &data, &len)) {
            ex = EX_SOFTWARE;
            continue;
        }
        if (!migrate_target_open(mg, tr.f[i].mailbox, &t))
            import_data(&t, data, len);
        else
            ex = EX_SOFTWARE;
        if (migrate_target_close(&t))
            ex = EX_SOFTWARE;
        migrate_unmap(data, len);
    }
    for (size_t i = 0; i < tr.n; i++) {
        free(tr.f[i].path);
        free(tr.f[i].mailbox);
    }
    free(tr.f);
    return ex == EX_OK ? exit_code(mg, 0) : ex;
}

/* ---- export-mbox ------------------------------------------------------- */

struct export {
    struct migrate *mg;
    struct mailbox *mb;
    struct seen_data seen;
    int have_seen;
    FILE *out;
    unsigned long count, gone;
    uint64_t bytes;
};

static uint32_t export_flags(const struct export *ex,
                             const struct index_record *rec)
{
    uint32_t f = 0;
    if (ex->have_seen && seqset_ismember(ex->seen.seenuids, rec->uid))
        f |= MBOXFMT_SEEN;
    if (rec->uid <= ex->mb->i.recent_uid)
        f |= MBOXFMT_OLD;
    f |= (rec->system_flags & FLAG_ANSWERED ? MBOXFMT_ANSWERED : 0) |
         (rec->system_flags & FLAG_FLAGGED ? MBOXFMT_FLAGGED : 0) |
         (rec->system_flags & FLAG_DRAFT ? MBOXFMT_DRAFT : 0) |
         (rec->system_flags & FLAG_DELETED ? MBOXFMT_DELETED : 0);
    return f;
}

/* One record to the output: 0, or 1 after printing a write error. */
static int export_one(struct export *ex, const struct index_record *rec,
                      struct buf *out)
{
    struct buf path = BUF_INITIALIZER, sender = BUF_INITIALIZER;
    struct strarray kw = STRARRAY_INITIALIZER;
    char *data = NULL;
    size_t len = 0;
    int failed = 0;

    mailbox_message_path(ex->mb, rec->uid, &path);
    if (util_read_file(buf_cstring(&path), &data, &len)) {
        ex->gone++;     /* expunged since we read the index */
        goto done;
    }
    for (size_t i = 0; i < ex->mb->flagnames.count; i++)
        if (index_record_has_user_flag(rec, (int)i) &&
            *ex->mb->flagnames.data[i])
            strarray_append(&kw, ex->mb->flagnames.data[i]);
    mboxfmt_return_path(data, len, &sender);
    buf_reset(out);
    mboxfmt_write(out, data, len, buf_cstring(&sender),
                  (time_t)rec->internaldate, export_flags(ex, rec), &kw,
                  ex->mg->variant);
    if (ex->out && fwrite(out->s, 1, out->len, ex->out) != out->len)
        failed = migrate_error("write error: %s", strerror(errno));
    ex->count++;
    ex->bytes += out->len;
done:
    free(data);
    buf_free(&path);
    buf_free(&sender);
    strarray_fini(&kw);
    return failed;
}

/* The whole mailbox, as the view read at open, to ex->out. */
static int export_all(struct export *ex)
{
    struct buf out = BUF_INITIALIZER;
    int failed = 0;
    for (uint32_t n = 0; !failed && n < ex->mb->i.num_records; n++) {
        struct index_record rec;
        int r = mailbox_read_record(ex->mb, n, &rec);
        if (r) {
            failed = migrate_error("%s: cannot read its index: %s",
                                   ex->mb->name, error_string(r));
            break;
        }
        if (rec.system_flags & FLAG_EXPUNGED)
            continue;
        failed = export_one(ex, &rec, &out);
    }
    buf_free(&out);
    return failed;
}

static void export_seen(struct export *ex)
{
    char *owner = mboxname_userid_of(ex->mb->name);
    struct seen *seen = NULL;
    if (owner && !seen_open(owner, 0, &seen)) {
        int r = seen_read(seen, ex->mb->uniqueid, &ex->seen);
        ex->have_seen = r == ERR_OK || r == ERR_NOTFOUND;
        if (!ex->have_seen)
            seen_data_fini(&ex->seen);
    }
    seen_close(&seen);
    free(owner);
}

int migrate_export_mbox(struct migrate *mg, int argc, char **argv)
{
    struct export ex;
    const char *file = argv[1];
    int to_stdout = !strcmp(file, "-"), failed = 0, r;
    struct buf tmp = BUF_INITIALIZER;

    (void)argc;
    memset(&ex, 0, sizeof(ex));
    ex.mg = mg;
    if ((r = mboxlist_open_mailbox(argv[0], MAILBOX_UNLOCKED, &ex.mb))) {
        migrate_error("%s: %s", argv[0], error_string(r));
        return r == ERR_NOTFOUND ? EX_DATAERR : EX_SOFTWARE;
    }
    export_seen(&ex);
    if (mg->dry_run)
        ex.out = NULL;
    else if (to_stdout)
        ex.out = stdout;
    else {
        buf_printf(&tmp, "%s.tmp.%ld", file, (long)getpid());
        if (!(ex.out = fopen(buf_cstring(&tmp), "w")))
            failed = migrate_error("%s: %s", tmp.s, strerror(errno));
    }
    if (!failed)
        failed = export_all(&ex);
    if (ex.out && !to_stdout) {
        if (!failed && (fflush(ex.out) || util_fsync_fd(fileno(ex.out))))
            failed = migrate_error("%s: %s", tmp.s, strerror(errno));
        if (fclose(ex.out) && !failed)
            failed = migrate_error("%s: %s", tmp.s, strerror(errno));
        if (!failed && rename(tmp.s, file) < 0)
            failed = migrate_error("%s: %s", file, strerror(errno));
        if (failed)
            unlink(tmp.s);
    } else if (ex.out && fflush(ex.out))
        failed = migrate_error("write error: %s", strerror(errno));
    if (!failed) {
        FILE *say = to_stdout ? stderr : stdout;
        fprintf(say, "%s %lu messages (%llu bytes) from %s, skipped %lu%s\n",
                mg->dry_run ? "dry run: would export" : "exported", ex.count,
                (unsigned long long)ex.bytes, argv[0], ex.gone,
                ex.gone ? ": expunged meanwhile" : "");
        log_notice("chapar-migrate: exported %lu messages from %s to %s",
                   ex.count, argv[0], file);
    }
    if (ex.have_seen)
        seen_data_fini(&ex.seen);
    mailbox_close(&ex.mb);
    buf_free(&tmp);
    return failed ? EX_SOFTWARE : EX_OK;
}
