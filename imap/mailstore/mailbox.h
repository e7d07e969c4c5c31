/* mailbox.h -- one mailbox on disk: cyrus.header, cyrus.index, cyrus.cache
 * and the message files "<uid>." (formats in doc/format.md).
 *
 * A struct mailbox is an open view of one mailbox directory.  Opening maps
 * cyrus.index and cyrus.cache read-only (no per-message I/O); records and
 * cache entries are read from the maps.
 *
 * Locking.  Every change happens under an exclusive lock on cyrus.index
 * (mailbox_lock()).  Readers take a shared lock only while they refresh
 * their view (mailbox_open, mailbox_refresh), so a writer never waits for a
 * reader that is idle.  Lock order: cyrus.index before any quota file.
 *
 * Crash safety (DESIGN.md invariant 1).  Appends write the message file
 * (fsync), then its cache entry, then its index record, and commit by
 * rewriting the index header last (mailbox_commit); records past the
 * header's record count and cache bytes past the last committed entry are
 * ignored and overwritten by the next append.  Expunge writes complete new
 * index and cache files beside the old ones and renames them in (index first:
 * that rename is the commit point, a later open finishes the cache rename),
 * and only then unlinks the expunged message files.
 *
 * Concurrency (invariant 3).  A reader that has a mailbox open keeps its maps
 * of the old files after an expunge (a consistent snapshot);
 * mailbox_refresh() notices a new generation or new records and reports
 * them so the protocol layer can send EXPUNGE/EXISTS/FETCH updates.
 *
 * Nothing here checks rights or quota: callers (append, mboxlist, index) do.
 */
#ifndef CHAPAR_MAILBOX_H
#define CHAPAR_MAILBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/strarray.h"

struct map;

#define MAILBOX_HEADER_FILE "cyrus.header"
#define MAILBOX_INDEX_FILE  "cyrus.index"
#define MAILBOX_CACHE_FILE  "cyrus.cache"
#define MAILBOX_EXPUNGE_FILE "cyrus.expunge"

/* Format versions (doc/format.md).  cyrus.index stores its minor version,
 * header size and record size.  A reader refuses another major version
 * (telling the administrator to run reconstruct) and reads any minor of
 * its own, honouring the stored sizes (fields it does not know are in
 * bytes it skips).  A writer changes only files of its minor or an older
 * one: an older file is upgraded (rewritten in the current sizes, logged)
 * when it is first locked for writing; a newer one is read-only to it
 * (ERR_BADFORMAT at mailbox_lock, logged).  Minor 1 made records 104 bytes
 * (8 reserved) from 1.0's 96; minor 2 put the save date (RFC 8514) in
 * those 8 bytes (0 in records written before: unknown). */
#define MAILBOX_INDEX_MAJOR 1
#define MAILBOX_INDEX_MINOR 2
#define MAILBOX_INDEX_HEADER_SIZE 128   /* written; the least read */
#define MAILBOX_INDEX_RECORD_SIZE 104   /* written */
#define MAILBOX_INDEX_RECORD_MIN 96     /* the least read (1.0) */
#define MAILBOX_INDEX_SIZE_MAX 1024     /* the most read, either */
#define MAILBOX_CACHE_HEADER_SIZE 32
#define MAILBOX_HEADER_MAJOR 1

/* System flags kept in the index.  \Seen is per user (seen.h), \Recent is
 * per session (index header's recent_uid). */
#define FLAG_ANSWERED 0x01
#define FLAG_FLAGGED  0x02
#define FLAG_DELETED  0x04
#define FLAG_DRAFT    0x08
/* Only in cyrus.expunge: the record of an expunged message. */
#define FLAG_EXPUNGED 0x80000000u

#define MAILBOX_MAX_USER_FLAGS 128

/* Lock modes for mailbox_open / mailbox_lock. */
enum mailbox_lockmode {
    MAILBOX_UNLOCKED = 0,
    MAILBOX_SHARED,
    MAILBOX_EXCLUSIVE
};

struct index_header {
    /* the file's format: filled by decoding; 0 sizes encode the current
     * format (MAILBOX_INDEX_MINOR and sizes) */
    uint16_t minor;
    uint32_t header_size;
    uint32_t record_size;
    uint32_t generation;        /* bumped by every expunge rewrite */
    uint32_t num_records;       /* committed records (= messages) */
    uint32_t last_uid;
    uint32_t uidvalidity;
    uint32_t recent_uid;        /* UIDs above it are \Recent to the next
                                   session that selects read-write */
    uint32_t deleted;           /* records with \Deleted */
    uint64_t highest_modseq;
    uint64_t quota_used;        /* bytes of message files */
    int64_t last_appenddate;
    int64_t last_updated;
    uint64_t cache_size;        /* committed bytes of cyrus.cache */
    uint64_t pruned_modseq;     /* cyrus.expunge only (0 in cyrus.index):
                                   the highest modseq of a tombstone
                                   pruned or lost ("Tombstones" below) */
};

struct index_record {
    uint32_t uid;
    uint32_t size;              /* bytes of the message file */
    uint32_t header_size;       /* bytes up to and including the blank line */
    uint32_t system_flags;
    int64_t internaldate;
    int64_t sentdate;
    int64_t last_updated;
    uint64_t cache_offset;      /* entry in cyrus.cache */
    uint64_t modseq;
    uint32_t user_flags[MAILBOX_MAX_USER_FLAGS / 32];
    unsigned char guid[20];     /* SHA-1 of the message file */
    int64_t savedate;           /* when it came into this mailbox (append,
                                   copy, move: set by mailbox_append_record
                                   when 0); 0 unknown (before 1.2) */
};

struct mailbox {
    char *name;                 /* internal name, e.g. user.bob.drafts */
    char *path;                 /* its directory on the partition */
    /* from cyrus.header */
    char *uniqueid;
    char *quotaroot;            /* NULL when no quota root applies */
    char *acl;                  /* copy of the mailboxes.db ACL */
    struct strarray flagnames;  /* user flag names; index = bit number */
    /* from cyrus.index */
    struct index_header i;
    /* private: use the functions below */
    struct mailbox_private *priv;
};

/* Create the directory (must not hold a cyrus.index yet) and its three
 * files, empty, durably.  uidvalidity 0 picks one from the clock. */
int mailbox_create(const char *name, const char *path, const char *uniqueid,
                   const char *acl, const char *quotaroot,
                   uint32_t uidvalidity);

/* Open and map a mailbox.  lockmode MAILBOX_EXCLUSIVE keeps the lock for a
 * writer (release with mailbox_unlock or mailbox_close); otherwise the view
 * is read under a short shared lock and the mailbox is left unlocked.
 * ERR_NOTFOUND if there is no cyrus.index, ERR_BADFORMAT for a corrupt file
 * or unknown version (logged with the advice to run reconstruct). */
int mailbox_open(const char *name, const char *path, int lockmode,
                 struct mailbox **mb_r);
void mailbox_close(struct mailbox **mbp);

/* Take / drop the exclusive lock of a mailbox opened unlocked.  Locking
 * also refreshes the view, so a writer always works on the newest state. */
int mailbox_lock(struct mailbox *mb, int timeout_ms);
void mailbox_unlock(struct mailbox *mb);

/* What mailbox_refresh saw change since the last open/refresh. */
struct mailbox_changes {
    int expunged;               /* a new generation: records may be gone */
    uint32_t old_num_records;
    uint64_t old_highest_modseq;
};

/* Bring the view up to date with the files (cheap when nothing changed:
 * one fstat and one header read). */
int mailbox_refresh(struct mailbox *mb, struct mailbox_changes *changes);

/* Record n (0-based, < mb->i.num_records) of the current view. */
int mailbox_read_record(const struct mailbox *mb, uint32_t n,
                        struct index_record *rec);
/* Records first .. first+count-1 into recs[]: the same as count calls of
 * mailbox_read_record, checking the CRCs of four records at a time (a
 * sync that compares every record with the view spends most on them). */
int mailbox_read_records(const struct mailbox *mb, uint32_t first,
                         uint32_t count, struct index_record *recs);
/* A reader's own map of cyrus.index as it is now (the view of a SELECT
 * fills itself from it lazily).  It outlives refreshes: after an expunge
 * it still shows the records of the old generation, and records are never
 * shortened in place.  map_free() it.  ERR_BADFORMAT if the file is
 * shorter than the mailbox's records. */
int mailbox_snapshot(const struct mailbox *mb, struct map *snap);
/* Record n of a snapshot.  ERR_BADFORMAT when its CRC does not match (a
 * flag change being written, or damage): *rec is filled all the same,
 * for the caller to trust only the fields that never change in place
 * (uid, size, internaldate), and at its own risk. */
int mailbox_snapshot_record(const struct map *snap, uint32_t n,
                            struct index_record *rec);
/* Binary search by UID; ERR_NOTFOUND if absent. */
int mailbox_find_uid(const struct mailbox *mb, uint32_t uid, uint32_t *n_r);
/* The cache entry of a record (bytes stay valid until the next refresh). */
int mailbox_cache_entry(const struct mailbox *mb,
                        const struct index_record *rec, const char **data_r,
                        size_t *len_r);

/* Path of the message file of uid ("<path>/<uid>."). */
void mailbox_message_path(const struct mailbox *mb, uint32_t uid,
                          struct buf *out);

/* --- changes (exclusive lock required) --- */

/* Stage one new record with its cache entry (data may be NULL/0).  The
 * message file must already be durable.  rec->uid must exceed last_uid;
 * cache_offset, modseq and last_updated are filled in, and savedate when
 * it is 0 (reconstruct keeps a known one).  Invisible until mailbox_commit. */
int mailbox_append_record(struct mailbox *mb, struct index_record *rec,
                          const void *cache, size_t cache_len);
/* Forget staged records (their message files are the caller's). */
void mailbox_abort(struct mailbox *mb);
/* Rewrite the flags of record n in place with a new modseq (assigned here,
 * returned in rec->modseq). */
int mailbox_rewrite_record(struct mailbox *mb, uint32_t n,
                           struct index_record *rec);
/* Make staged records and header changes durable: fsync cache, then index
 * records, then the header (the commit point). */
int mailbox_commit(struct mailbox *mb);

/* The one expunge: remove every record for which want(rec, rock) returns
 * 1: write new index and cache files, commit them, release the bytes and
 * messages from the mailbox's quota root (as append_commit charged them),
 * then unlink the message files.  The UIDs removed are appended to
 * expunged (may be NULL).  Needs the exclusive lock. */
/* Tombstones (DESIGN.md invariant 7).  mailbox_expunge keeps the record
 * of every message it removes in cyrus.expunge (the format of cyrus.index;
 * records flagged FLAG_EXPUNGED, modseq = the expunge's, last_updated =
 * its time, cache_offset 0), written and renamed in before the new
 * cyrus.index (the commit), so a crash anywhere leaves every expunged UID
 * either live in the index (the expunge did not happen) or tombstoned
 * (it did).  A tombstone whose UID is live in the index is stale (an
 * interrupted expunge) and is dropped.  Tombstones are kept
 * expunge_tombstone_days days, at most MAILBOX_TOMBSTONES_MAX per mailbox
 * (the oldest go first); a message file that outlived its tombstone (a
 * crash before the unlink) goes with it.  The file's header keeps the
 * highest modseq of a tombstone ever pruned (pruned_modseq; an unreadable
 * file that had to be started afresh counts as pruned up to the expunge
 * that replaced it): every message expunged with a higher modseq has its
 * tombstone, so the expunges since any modseq at or above it are known
 * exactly.  reconstruct never brings a
 * tombstoned UID back: its file is removed.  QRESYNC's VANISHED, delayed
 * expunge and unexpunge build on these records.
 *
 * mailbox_tombstones_read: the tombstones of the mailbox in dir, ascending
 * UIDs, for UIDVALIDITY uidvalidity (0: whatever the file's); none (ERR_OK)
 * when there is no file or it belongs to another UIDVALIDITY; ERR_BADFORMAT
 * (logged, none) for a corrupt file.  *recs_r is the caller's to free.
 * mailbox_tombstones_read_pruned: the same, and the file's pruned_modseq
 * in *pruned_r (0 without a file; UINT64_MAX for a corrupt one: nothing
 * is known). */
#define MAILBOX_TOMBSTONES_MAX 100000
int mailbox_tombstones_read(const char *dir, uint32_t uidvalidity,
                            struct index_record **recs_r, size_t *n_r);
int mailbox_tombstones_read_pruned(const char *dir, uint32_t uidvalidity,
                                   struct index_record **recs_r, size_t *n_r,
                                   uint64_t *pruned_r);
/* 1 if uid is among the n tombstones t (ascending UIDs). */
int mailbox_tombstoned(const struct index_record *t, size_t n, uint32_t uid);
/* 1 when expunge_mode keeps the files of expunged messages beside their
 * tombstones (delayed expunge; unexpunge(8) restores them through the
 * append API), 0 when an expunge removes them at once. */
int mailbox_expunge_delayed(void);

/* Rewrite an older-format cyrus.index in the current format (as an
 * expunge of nothing; logged); ERR_OK at once for a current one.  Needs
 * the exclusive lock; mailbox_lock() and an exclusive mailbox_open() call
 * it, so callers need not. */
int mailbox_upgrade(struct mailbox *mb);
int mailbox_expunge(struct mailbox *mb,
                    int (*want)(const struct index_record *rec, void *rock),
                    void *rock, uint32_t **expunged, size_t *nexpunged);

/* \Recent (RFC 3501): the first session that selects the mailbox
 * read-write after a message arrived sees it as \Recent.  This takes the
 * exclusive lock if not held, returns in *recent_above_r the UID above
 * which messages are \Recent to the caller, moves the mailbox's recent UID
 * up to last_uid (committed), and restores the lock state it found. */
int mailbox_claim_recent(struct mailbox *mb, uint32_t *recent_above_r);

/* Index of a user flag by name (case-insensitive), creating it in
 * cyrus.header when create is set.  ERR_NOTFOUND without create,
 * ERR_TOOBIG when all MAILBOX_MAX_USER_FLAGS are used. */
int mailbox_user_flag(struct mailbox *mb, const char *flag, int create,
                      int *idx_r);
/* Rewrite cyrus.header with the current acl / quotaroot / flag names. */
int mailbox_write_header(struct mailbox *mb);

/* The mailbox's contribution to its quota root across a change
 * (quota.h, CRASHES; mailbox_quota.c).  Under the exclusive lock:
 * mailbox_quota_begin() before mailbox_commit() (or any other commit of
 * the mailbox's usage) records the committed contribution as changing;
 * mailbox_quota_end() after it (or after a failed commit, before the
 * lock goes) settles the root with the committed usage.  Both do
 * nothing without a quota root.  mailbox_set_quotaroot() makes root (taken
 * over; NULL: none) the mailbox's root: both roots record the change, the
 * cyrus.header rewrite (always done, with the current ACL and flags) is
 * the commit point, then both settle. */
int mailbox_quota_begin(struct mailbox *mb);
int mailbox_quota_end(struct mailbox *mb);
int mailbox_set_quotaroot(struct mailbox *mb, char *root);

/* Remove every file of the mailbox and its directory if then empty (child
 * mailboxes' directories are left alone). */
int mailbox_delete_files(struct mailbox *mb);

/* Record field helpers. */
/* The EMAILID of RFC 8474: "M" and the first 24 hex digits of the
 * GUID (Cyrus's form), the same in every mailbox the message is copied or
 * moved to; out gets MAILBOX_EMAILID_SIZE bytes with the NUL. */
#define MAILBOX_EMAILID_SIZE 26
void mailbox_emailid(const struct index_record *rec, char *out);
int index_record_has_user_flag(const struct index_record *rec, int idx);
void index_record_set_user_flag(struct index_record *rec, int idx, int on);

/* Encoders, exposed for reconstruct and the format tests.  A header
 * encodes into h->header_size bytes (MAILBOX_INDEX_HEADER_SIZE when 0), a
 * record into record_size bytes; decoding checks the CRC in the last four
 * bytes.  mailbox_index_geometry_ok: sizes a reader accepts. */
void mailbox_index_header_encode(const struct index_header *h,
                                 unsigned char *out);
int mailbox_index_header_decode(const unsigned char *p, size_t len,
                                struct index_header *h);
int mailbox_index_geometry_ok(uint32_t header_size, uint32_t record_size);
void mailbox_index_record_encode(const struct index_record *r,
                                 uint32_t record_size, unsigned char *out);
int mailbox_index_record_decode(const unsigned char *p, uint32_t record_size,
                                struct index_record *r);
/* The same, given the CRC-32 of the record's first record_size - 4 bytes
 * (computed for several records at once by mailbox_read_records). */
int mailbox_index_record_decode_crc(const unsigned char *p,
                                    uint32_t record_size, uint32_t crc,
                                    struct index_record *r);
/* The fields without the CRC check (see mailbox_snapshot_record). */
void mailbox_index_record_decode_unchecked(const unsigned char *p,
                                           struct index_record *r);
/* Parse/produce cyrus.header text; used by reconstruct too. */
int mailbox_header_parse(const char *data, size_t len, struct mailbox *mb);
void mailbox_header_format(const struct mailbox *mb, struct buf *out);

#endif
