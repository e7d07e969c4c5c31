/* mboxlist_dump.c -- the mailbox-list checkpoint: text dump and load.
 *
 * Dump reads every record in one transaction into memory and writes it
 * out only after the transaction ended, so a retried transaction never
 * writes a line twice and the file is one consistent snapshot.  Load
 * checks every line before the first write, then stores all records in
 * one transaction: a bad dump changes nothing.  The UIDVALIDITY counter is
 * not dumped; load raises it past the UIDVALIDITY of every mailbox it
 * finds on disk (mboxlist.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"

struct dump_rock {
    struct buf text;
    size_t corrupt;
};

static int dump_one(const void *key, size_t keylen, const void *val,
                    size_t vallen, void *rock)
{
    struct dump_rock *dr = rock;
    struct mboxlist_entry e;
    char *name;

    if (mboxlist_is_meta_key(key, keylen))    /* the UIDVALIDITY counter */
        return 0;
    name = xstrndup(key, keylen);
    if (mboxlist_entry_decode(name, val, vallen, &e) == ERR_OK)
        buf_printf(&dr->text, "%s\t%s\t%s\n", e.name, e.partition, e.acl);
    else
        dr->corrupt++;
    mboxlist_entry_fini(&e);
    free(name);
    return 0;
}

static int dump_txn(struct db *db, struct db_txn *txn, void *rock)
{
    struct dump_rock *dr = rock;

    buf_reset(&dr->text);
    dr->corrupt = 0;
    return db_foreach(db, txn, "", 0, dump_one, dr);
}

int mboxlist_dump(FILE *out)
{
    struct dump_rock dr = { BUF_INITIALIZER, 0 };
    int r = mboxlist_txn_run(dump_txn, &dr);

    if (!r && dr.text.len && fwrite(dr.text.s, 1, dr.text.len, out) !=
                                 dr.text.len)
        r = ERR_IO;
    if (!r && (fflush(out) == EOF || ferror(out)))
        r = ERR_IO;
    if (r == ERR_IO)
        log_error("mboxlist: dump could not be written");
    /* Every good record is in the dump; the corrupt ones were logged. */
    if (!r && dr.corrupt)
        r = ERR_BADFORMAT;
    buf_free(&dr.text);
    return r;
}

/* ---- load --------------------------------------------------------------- */

struct load_line {
    struct mboxlist_entry e;    /* name, partition, acl; uniqueid if found */
    unsigned long lineno;
    uint32_t uidvalidity;       /* of its files, 0 if none were found */
};

struct load_set {
    struct load_line *l;
    size_t n, alloc;
};

static void load_set_fini(struct load_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        mboxlist_entry_fini(&set->l[i].e);
    free(set->l);
}

/* Check one line (without its newline) and add it to set. */
static int load_parse_line(char *line, unsigned long lineno,
                           struct load_set *set, struct buf *error)
{
    char *part, *acltext;
    struct acl *acl = NULL;
    struct load_line *l;

    if (!(part = strchr(line, '\t')) || !(acltext = strchr(part + 1, '\t'))) {
        buf_printf(error, "line %lu: expected name<TAB>partition<TAB>acl",
                   lineno);
        return ERR_BADFORMAT;
    }
    *part++ = '\0';
    *acltext++ = '\0';
    if (mboxname_validate(line)) {
        buf_printf(error, "line %lu: invalid mailbox name", lineno);
        return ERR_BADFORMAT;
    }
    if (!conf_partition_dir(part)) {
        buf_printf(error, "line %lu: unknown partition \"%s\"", lineno, part);
        return ERR_BADFORMAT;
    }
    if (acl_parse(acltext, &acl)) {
        buf_printf(error, "line %lu: invalid ACL", lineno);
        return ERR_BADFORMAT;
    }
    acl_free(&acl);
    if (set->n == set->alloc) {
        set->alloc = set->alloc ? xmalloc_mul(set->alloc, 2) : 64;
        set->l = xreallocarray(set->l, set->alloc, sizeof(*set->l));
    }
    l = &set->l[set->n++];
    memset(l, 0, sizeof(*l));
    l->lineno = lineno;
    l->e.name = xstrdup(line);
    l->e.partition = xstrdup(part);
    l->e.acl = xstrdup(acltext);
    return ERR_OK;
}

static int load_cmp(const void *a, const void *b)
{
    const struct load_line *x = a, *y = b;
    int c = strcmp(x->e.name, y->e.name);
    return c ? c : (x->lineno > y->lineno) - (x->lineno < y->lineno);
}

static int load_read(FILE *in, struct load_set *set, struct buf *error)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int r = ERR_OK;

    while (!r && (n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if ((size_t)n != strlen(line)) {
            buf_printf(error, "line %lu: NUL byte", lineno);
            r = ERR_BADFORMAT;
        } else {
            r = load_parse_line(line, lineno, set, error);
        }
    }
    if (!r && ferror(in)) {
        buf_printf(error, "read error after line %lu", lineno);
        r = ERR_IO;
    }
    free(line);
    if (r)
        return r;
    qsort(set->l, set->n, sizeof(*set->l), load_cmp);
    for (size_t i = 1; i < set->n; i++) {
        if (!strcmp(set->l[i].e.name, set->l[i - 1].e.name)) {
            buf_printf(error, "line %lu: mailbox listed twice (first on "
                       "line %lu)", set->l[i].lineno, set->l[i - 1].lineno);
            return ERR_BADFORMAT;
        }
    }
    return ERR_OK;
}

/* The unique id in the mailbox's own cyrus.header, if its files exist
 * (so that per-user \Seen state, keyed by it, survives a restore), and
 * its UIDVALIDITY (for the counter). */
static void load_find_files(struct load_line *l)
{
    struct buf path = BUF_INITIALIZER;
    struct mailbox *mb = NULL;

    if (mboxlist_entry_path(&l->e, &path) == ERR_OK &&
        mailbox_open(l->e.name, buf_cstring(&path), MAILBOX_UNLOCKED, &mb) ==
            ERR_OK) {
        l->uidvalidity = mb->i.uidvalidity;
        if (mb->uniqueid && strlen(mb->uniqueid) == MBOXLIST_UNIQUEID_LEN &&
            strspn(mb->uniqueid, "0123456789abcdef") == MBOXLIST_UNIQUEID_LEN)
            l->e.uniqueid = xstrdup(mb->uniqueid);
    }
    mailbox_close(&mb);
    buf_free(&path);
}

/* Store one line's record inside txn. */
static int load_store(struct db_txn *txn, const struct load_line *l,
                      int replace, struct buf *error)
{
    struct mboxlist_entry old, e = l->e;
    char fresh[MBOXLIST_UNIQUEID_LEN + 1];
    int r = mboxlist_fetch(txn, l->e.name, &old);

    if ((r == ERR_OK || r == ERR_BADFORMAT) && !replace) {
        buf_printf(error, "line %lu: mailbox already exists%s", l->lineno,
                   r == ERR_BADFORMAT ? " (with a corrupt record)" : "");
        r = ERR_EXISTS;
    } else if (r == ERR_OK) {
        e.uniqueid = old.uniqueid;
        e.type = old.type;
        e.created = old.created;
        e.specialuse = old.specialuse;  /* not in the dump: kept */
        r = mboxlist_store(txn, &e);
    } else if (r == ERR_NOTFOUND || (r == ERR_BADFORMAT && replace)) {
        if (!e.uniqueid) {
            mboxlist_new_uniqueid(fresh);
            e.uniqueid = fresh;
        }
        e.type = MBOXLIST_TYPE_NORMAL;
        e.created = (int64_t)time(NULL);
        r = mboxlist_store(txn, &e);
    }
    mboxlist_entry_fini(&old);
    return r;
}

int mboxlist_load(FILE *in, int replace, struct buf *error)
{
    struct load_set set = { NULL, 0, 0 };
    struct buf err = BUF_INITIALIZER;
    struct db_env *env;
    struct db *db;
    struct db_txn *txn = NULL;
    uint32_t uidvalidity = 0;
    int r, tries = 0;

    if ((r = load_read(in, &set, &err)) || (r = mboxlist_db_get(&env, &db)))
        goto done;
    for (size_t i = 0; i < set.n; i++) {
        load_find_files(&set.l[i]);
        if (set.l[i].uidvalidity > uidvalidity)
            uidvalidity = set.l[i].uidvalidity;
    }
    do {
        buf_reset(&err);
        if ((r = db_begin(env, &txn)))
            break;
        for (size_t i = 0; i < set.n && !r; i++)
            r = load_store(txn, &set.l[i], replace, &err);
        if (!r && uidvalidity)
            r = mboxlist_raise_uidvalidity(txn, uidvalidity);
        if (!r)
            r = db_commit(&txn);
        else
            db_abort(&txn);
    } while (r == ERR_CONFLICT && ++tries < MBOXLIST_MAX_RETRIES);
    if (r && !err.len)
        buf_printf(&err, "database error: %s", error_string(r));
done:
    if (r)
        log_error("mboxlist: load failed: %s", buf_cstring(&err));
    if (error)
        buf_setcstr(error, r ? buf_cstring(&err) : "");
    load_set_fini(&set);
    buf_free(&err);
    return r;
}
