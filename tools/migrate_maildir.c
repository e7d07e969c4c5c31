/* migrate_maildir.c -- chapar-migrate import-maildir: a Maildir or a
 * Dovecot Maildir++ (cur/ and new/, flags from the file names, keywords
 * from dovecot-keywords, UIDs and UIDVALIDITY from dovecot-uidlist, the
 * ".a.b" subfolders).  The formats are imap/mailstore/maildirfmt.c;
 * messages go in through migrate_target. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/maildirfmt.h"
#include "imap/mailstore/mboxname.h"
#include "tools/migrate.h"

struct md_msg {
    char *path;
    uint32_t uid;               /* from dovecot-uidlist, or 0 */
    uint32_t flags;             /* MBOXFMT_* */
    uint32_t kwmask;
    time_t date;                /* the file's mtime */
};

struct md_folder {
    char *dir;
    char *mailbox;
    struct maildirfmt_uidlist ul;
    struct strarray keywords;   /* dovecot-keywords, by number */
    struct md_msg *m;
    size_t n, alloc;
};

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Read an optional file of dir: 0 (data NULL when absent), 1 on error. */
static int read_optional(const char *dir, const char *name, char **data_r,
                         size_t *len_r)
{
    struct buf path = BUF_INITIALIZER;
    int failed = 0;
    buf_printf(&path, "%s/%s", dir, name);
    *data_r = NULL;
    *len_r = 0;
    if (util_read_file(buf_cstring(&path), data_r, len_r) && errno != ENOENT)
        failed = migrate_error("%s: %s", path.s, strerror(errno));
    buf_free(&path);
    return failed;
}

/* The messages of dir/sub ("cur" or "new"). */
static int scan_sub(struct md_folder *f, const char *sub)
{
    struct buf path = BUF_INITIALIZER;
    DIR *d;
    struct dirent *de;

    buf_printf(&path, "%s/%s", f->dir, sub);
    if (!(d = opendir(buf_cstring(&path)))) {
        int failed = errno == ENOENT ? 0
                         : migrate_error("%s: %s", path.s, strerror(errno));
        buf_free(&path);
        return failed;
    }
    while ((de = readdir(d))) {
        struct md_msg *m;
        struct stat st;
        size_t baselen;
        if (de->d_name[0] == '.')
            continue;
        if (f->n == f->alloc) {
            f->alloc = f->alloc ? f->alloc * 2 : 64;
            f->m = xreallocarray(f->m, f->alloc, sizeof(*f->m));
        }
        m = &f->m[f->n];
        memset(m, 0, sizeof(*m));
        buf_reset(&path);
        buf_printf(&path, "%s/%s/%s", f->dir, sub, de->d_name);
        if (stat(buf_cstring(&path), &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        maildirfmt_parse_name(de->d_name, &m->flags, &m->kwmask, &baselen);
        if (!strcmp(sub, "cur"))
            m->flags |= MBOXFMT_OLD;
        m->uid = maildirfmt_uid_of(&f->ul, de->d_name, baselen);
        m->date = st.st_mtime;
        m->path = buf_release(&path);
        f->n++;
    }
    closedir(d);
    buf_free(&path);
    return 0;
}

/* Messages with a known UID first, ascending; then the others by date. */
static int cmp_msg(const void *a, const void *b)
{
    const struct md_msg *x = a, *y = b;
    if (!x->uid != !y->uid)
        return x->uid ? -1 : 1;
    if (x->uid != y->uid)
        return x->uid < y->uid ? -1 : 1;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Everything about one folder, read and checked, nothing changed. */
static int scan_folder(struct md_folder *f)
{
    char *data;
    size_t len;
    struct buf sub = BUF_INITIALIZER;
    int failed = 0, has_cur, has_new;

    buf_printf(&sub, "%s/cur", f->dir);
    has_cur = is_dir(buf_cstring(&sub));
    buf_reset(&sub);
    buf_printf(&sub, "%s/new", f->dir);
    has_new = is_dir(buf_cstring(&sub));
    buf_free(&sub);
    if (!has_cur && !has_new)
        return migrate_error("%s: not a Maildir (no cur/ or new/)", f->dir);
    if (mboxname_validate(f->mailbox))
        return migrate_error("%s: makes an invalid mailbox name %s", f->dir,
                             f->mailbox);
    if (read_optional(f->dir, "dovecot-uidlist", &data, &len))
        return 1;
    if (data && maildirfmt_parse_uidlist(data, len, &f->ul))
        failed = migrate_error("%s/dovecot-uidlist: unknown format",
                               f->dir);
    free(data);
    if (failed || read_optional(f->dir, "dovecot-keywords", &data, &len))
        return 1;
    if (data)
        maildirfmt_parse_keywords(data, len, &f->keywords);
    free(data);
    if (scan_sub(f, "cur") || scan_sub(f, "new"))
        return 1;
    if (f->n)
        qsort(f->m, f->n, sizeof(*f->m), cmp_msg);
    return 0;
}

static void import_folder(struct migrate *mg, struct md_folder *f, int *ex)
{
    struct migrate_target t;
    int keep_uids = 0, reserved = 0;

    if (migrate_target_open(mg, f->mailbox, &t)) {
        *ex = EX_SOFTWARE;
        migrate_target_close(&t);
        return;
    }
    /* UIDs are kept in a mailbox that never had a message, and in one
     * that already has the source's UIDVALIDITY (an import re-run). */
    if (f->ul.uidvalidity) {
        if (!t.existed || !t.last_uid)
            keep_uids = migrate_target_uidvalidity(&t, f->ul.uidvalidity)
                        == ERR_OK;
        else
            keep_uids = t.uidvalidity == f->ul.uidvalidity;
    }
    for (size_t i = 0; i <= f->n; i++) {
        struct md_msg *m;
        struct strarray kw = STRARRAY_INITIALIZER;
        char *data = NULL;
        size_t len = 0;
        /* After the messages with kept UIDs (they sort first): Dovecot
         * gave out UIDs up to next_uid - 1, never to be reused. */
        if (keep_uids && !reserved && (i == f->n || !f->m[i].uid)) {
            migrate_target_reserve(&t, f->ul.next_uid - 1);
            reserved = 1;
        }
        if (i == f->n)
            break;
        m = &f->m[i];
        mg->progress_done++;
        if (util_read_file(m->path, &data, &len)) {
            migrate_error("%s: %s", m->path, strerror(errno));
            mg->skip_failed++;
            continue;
        }
        for (unsigned k = 0; k < 26; k++)
            if ((m->kwmask & (1u << k)) && k < f->keywords.count &&
                *f->keywords.data[k])
                strarray_append(&kw, f->keywords.data[k]);
        migrate_target_add(&t, data, len, m->date, m->flags, &kw,
                           keep_uids ? m->uid : 0);
        strarray_fini(&kw);
        free(data);
    }
    if (migrate_target_close(&t))
        *ex = EX_SOFTWARE;
}

static void folder_fini(struct md_folder *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->m[i].path);
    free(f->m);
    free(f->dir);
    free(f->mailbox);
    maildirfmt_uidlist_fini(&f->ul);
    strarray_fini(&f->keywords);
}

static int cmp_folder(const void *a, const void *b)
{
    return strcmp(((const struct md_folder *)a)->mailbox,
                  ((const struct md_folder *)b)->mailbox);
}

int migrate_import_maildir(struct migrate *mg, int argc, char **argv)
{
    struct md_folder *f;
    size_t n = 1, alloc = 8;
    DIR *d;
    struct dirent *de;
    int failed = 0, ex = EX_OK;

    (void)argc;
    f = xzmalloc(alloc * sizeof(*f));
    f[0].dir = xstrdup(argv[0]);
    f[0].mailbox = xstrdup(argv[1]);
    if ((d = opendir(argv[0]))) {
        while ((de = readdir(d))) {
            struct buf path = BUF_INITIALIZER, name = BUF_INITIALIZER;
            buf_printf(&path, "%s/%s", argv[0], de->d_name);
            if (!maildirfmt_is_folder(de->d_name) ||
                !is_dir(buf_cstring(&path))) {
                buf_free(&path);
                continue;
            }
            if (n == alloc) {
                alloc *= 2;
                f = xreallocarray(f, alloc, sizeof(*f));
            }
            memset(&f[n], 0, sizeof(*f));
            buf_printf(&name, "%s%s", argv[1], de->d_name);
            f[n].dir = buf_release(&path);
            f[n++].mailbox = buf_release(&name);
        }
        closedir(d);
    }
    qsort(f + 1, n - 1, sizeof(*f), cmp_folder);
    for (size_t i = 0; !failed && i < n; i++)
        failed = scan_folder(&f[i]);
    if (failed)
        ex = EX_DATAERR;
    for (size_t i = 0; !failed && i < n; i++)
        mg->progress_total += f[i].n;
    for (size_t i = 0; !failed && i < n; i++)
        import_folder(mg, &f[i], &ex);
    for (size_t i = 0; i < n; i++)
        folder_fini(&f[i]);
    free(f);
    if (ex == EX_OK && mg->skip_failed)
        ex = EX_SOFTWARE;
    return ex;
}
