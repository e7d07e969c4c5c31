/* migrate.h -- what the parts of chapar-migrate share (tools/migrate*.c).
 *
 * migrate.c: main, options, progress, the summary, and the one way a
 * message goes in (struct migrate_target over append.h: batches of
 * MIGRATE_BATCH messages per transaction, so a kill leaves whole messages
 * only; a message already in the target with the same bytes and
 * internaldate is skipped as a duplicate, so a re-run after a kill goes
 * on where it stopped).
 * migrate_mbox.c: import-mbox, import-mbox-tree, export-mbox.
 * migrate_maildir.c: import-maildir.
 * Errors are printed as one line "chapar-migrate: ..." on stderr.
 */
#ifndef CHAPAR_TOOLS_MIGRATE_H
#define CHAPAR_TOOLS_MIGRATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/strarray.h"
#include "imap/mailstore/mboxfmt.h"

#define MIGRATE_BATCH 1000

struct migrate {
    int dry_run;
    enum mboxfmt_variant variant;
    int tty;                    /* stderr is a terminal: a progress bar */
    /* progress: done/total in the caller's unit (bytes, files) */
    uint64_t progress_total, progress_done;
    /* summary */
    unsigned long messages, mailboxes, created;
    uint64_t bytes;
    unsigned long skip_internal, skip_duplicate, skip_failed, skip_keyword;
};

struct mailbox;
struct append_state;
struct hash;

struct migrate_target {
    struct migrate *mg;
    char *name;
    char *owner;                /* whose \Seen (user mailboxes), or NULL */
    struct mailbox *mb;         /* NULL in a dry run */
    struct append_state *as;
    unsigned batch;             /* staged, not yet committed */
    uint64_t batch_bytes;
    int existed;                /* the mailbox was there before */
    uint32_t last_uid;          /* of the mailbox at open */
    uint32_t uidvalidity;
    struct hash *have;          /* "<guid hex>/<internaldate>" present */
};

/* Print "chapar-migrate: <text>" on stderr; returns 1. */
int migrate_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open (creating it unless dry run, or in a dry run noting it) mailbox
 * name for importing.  1 after printing the error. */
int migrate_target_open(struct migrate *mg, const char *name,
                        struct migrate_target *t);
/* Keep the source's UIDVALIDITY: only for a mailbox without messages
 * ever (ERR_EXISTS otherwise, nothing changed). */
int migrate_target_uidvalidity(struct migrate_target *t, uint32_t uv);
/* The source gave out UIDs up to uid: the mailbox's next UID is above
 * it (append_reserve_uids). */
void migrate_target_reserve(struct migrate_target *t, uint32_t uid);
/* Add one message (flags MBOXFMT_*); uid 0 or not above the mailbox's
 * last UID: the next one.  Counted in the summary; a failure is counted
 * as skipped (with a log line) and is not fatal. */
void migrate_target_add(struct migrate_target *t, const char *data,
                        size_t len, time_t date, uint32_t flags,
                        const struct strarray *keywords, uint32_t uid);
/* Commit what is staged and close.  1 after printing an error (the
 * batch's messages then count as failed). */
int migrate_target_close(struct migrate_target *t);

/* Progress: the caller sets progress_total, then calls this as it goes
 * (a bar on a terminal, a line every MIGRATE_BATCH messages otherwise). */
void migrate_progress(struct migrate *mg);

/* The subcommands; argv after the subcommand name.  Exit codes. */
int migrate_import_mbox(struct migrate *mg, int argc, char **argv);
int migrate_import_mbox_tree(struct migrate *mg, int argc, char **argv);
int migrate_export_mbox(struct migrate *mg, int argc, char **argv);
int migrate_import_maildir(struct migrate *mg, int argc, char **argv);

/* Map a whole file read-only: ERR_OK, or 1 after printing the error. */
int migrate_map_file(const char *path, const char **data_r, size_t *len_r);
void migrate_unmap(const char *data, size_t len);

#endif
