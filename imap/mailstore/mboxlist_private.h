/* mboxlist_private.h -- what the mboxlist*.c files share; not for other
 * modules.  Every function here follows mboxlist.h's rules (rights via
 * acl_myrights() only, ERR_ codes, logging). */
#ifndef CHAPAR_MBOXLIST_PRIVATE_H
#define CHAPAR_MBOXLIST_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/strarray.h"
#include "imap/mailstore/mboxlist.h"

struct auth_state;
struct mailbox;

/* Give up a transaction after this many conflicts in a row. */
#define MBOXLIST_MAX_RETRIES 100

/* This process's handles (opened on demand; env_r may be NULL). */
int mboxlist_db_get(struct db_env **env_r, struct db **db_r);
/* Run fn(db, txn, rock) in one transaction of mailboxes.db: committed when
 * it returns ERR_OK, aborted otherwise, and run again from the start on
 * ERR_CONFLICT (up to MBOXLIST_MAX_RETRIES times), so fn must compute only
 * from rock and the database. */
typedef int mboxlist_txn_fn(struct db *db, struct db_txn *txn, void *rock);
int mboxlist_txn_run(mboxlist_txn_fn *fn, void *rock);

/* Keys that are not mailboxes (MBOXLIST_UIDVALIDITY_KEY) start with this
 * byte, which no valid name contains (MBOXNAME_GOODCHARS). */
#define MBOXLIST_META_PREFIX '$'
static inline int mboxlist_is_meta_key(const void *key, size_t keylen)
{
    return keylen > 0 && *(const char *)key == MBOXLIST_META_PREFIX;
}

/* Take the next UIDVALIDITY from the counter inside txn (mboxlist.h). */
int mboxlist_next_uidvalidity(struct db_txn *txn, uint32_t *uidvalidity_r);
/* Raise the counter inside txn to at least floor (load). */
int mboxlist_raise_uidvalidity(struct db_txn *txn, uint32_t floor);

/* Fetch name's record inside txn (NULL: on its own); entry may be NULL. */
int mboxlist_fetch(struct db_txn *txn, const char *name,
                   struct mboxlist_entry *entry);
/* Store entry under entry->name inside txn. */
int mboxlist_store(struct db_txn *txn, const struct mboxlist_entry *entry);

/* ERR_OK if name has no record; else ERR_EXISTS if who may see it (or it
 * is corrupt), ERR_PERM if not. */
int mboxlist_check_absent(struct db_txn *txn, const char *name,
                          const struct auth_state *who);
/* May who create name (mboxlist_create()'s rules)?  ERR_OK with the new
 * mailbox's ACL in *acl, or ERR_PERM. */
int mboxlist_create_rights(const char *name, const struct auth_state *who,
                           int flags, struct buf *acl);
/* A fresh unique id: MBOXLIST_UNIQUEID_LEN lowercase hex digits + NUL. */
void mboxlist_new_uniqueid(char *out);

/* Remove the directories above a removed or moved mailbox directory path
 * that are now empty, up to (not including) partition's directory. */
void mboxlist_prune_dirs(const char *path, const char *partition);

/* A list of entries (name order when filled by mboxlist_collect()). */
struct mboxlist_list {
    struct mboxlist_entry *e;
    size_t n, alloc;
};
/* Append name's record, then, if below is set, every record under it
 * ("name." prefix), read with txn (NULL: committed data).  A corrupt
 * record below is listed with its name only (other fields NULL) so that
 * callers can still remove it; a corrupt record of name itself fails. */
int mboxlist_collect(struct db_txn *txn, const char *name, int below,
                     struct mboxlist_list *list);
void mboxlist_list_fini(struct mboxlist_list *list);
/* Inside txn: name (and with below every mailbox under it) are still
 * exactly the mailboxes of plan, names and unique ids; ERR_AGAIN if not
 * (something was created, deleted or renamed in between). */
int mboxlist_check_list(struct db_txn *txn, const char *name, int below,
                        const struct mboxlist_list *plan);

/* ---- intents (mboxlist_intent.c; mboxlist.h, CRASHES AND INTENTS) ------ */

/* Key of an intent: MBOXLIST_INTENT_PREFIX and this many hex digits. */
#define MBOXLIST_INTENT_ID_LEN 32
#define MBOXLIST_INTENT_VERSION 1

enum mboxlist_intent_kind {
    MBOXLIST_INTENT_CREATE = 1,
    MBOXLIST_INTENT_DELETE = 2,
    MBOXLIST_INTENT_RENAME = 3,
    MBOXLIST_INTENT_INBOX = 4           /* RENAME of one's own INBOX */
};
enum mboxlist_intent_state {
    MBOXLIST_INTENT_FORWARD = 1,        /* the database has the new state */
    MBOXLIST_INTENT_BACKWARD = 2        /* it has the old one again */
};
/* mboxlist_intent flags */
#define MBOXLIST_INTENT_USER  0x01      /* user INBOX: .sub/.seen follow/go */
#define MBOXLIST_INTENT_ROOTS 0x02      /* delete: roots named after go too */
#define MBOXLIST_INTENT_RESERVE 0x04    /* rename, stored before its plan */

/* One mailbox an intent changes: its record before (old.name NULL for a
 * create) and after (new.name NULL for a delete), and its directories
 * (NULL when that side does not exist). */
struct mboxlist_move {
    struct mboxlist_entry old, new;
    char *oldpath, *newpath;
};

struct mboxlist_intent {
    char id[MBOXLIST_INTENT_ID_LEN + 1];
    int kind, state;
    unsigned flags;
    int64_t started, pid;
    char *oldtop, *newtop;      /* the hierarchies it covers (or NULL) */
    uint32_t uidvalidity;       /* create, inbox: of the new mailbox */
    uint32_t snap_uid;          /* inbox: the copy takes UIDs <= snap_uid */
    uint32_t snap_count;        /* inbox: ... that many messages */
    struct mboxlist_move *m;
    size_t n, alloc;
    int lockfd;                 /* not stored: the lock file, or -1 */
    int reserved;               /* not stored: mboxlist_intent_reserve() */
};

/* A fresh intent of kind (new id, this pid, now, FORWARD). */
void mboxlist_intent_init(struct mboxlist_intent *in, int kind);
/* Append a zeroed move and return it. */
struct mboxlist_move *mboxlist_intent_add(struct mboxlist_intent *in);
void mboxlist_intent_fini(struct mboxlist_intent *in);
/* The value codec (ERR_BADFORMAT, logged, for anything malformed). */
void mboxlist_intent_encode(const struct mboxlist_intent *in,
                            struct buf *out);
int mboxlist_intent_decode(const char *id, const void *val, size_t len,
                           struct mboxlist_intent *in);
/* Owner, before the commit: create and lock the intent's lock file
 * (<configdirectory>/lock/intent.<id>), held until the intent is gone. */
int mboxlist_intent_lock(struct mboxlist_intent *in);
/* Store the intent inside txn (the transaction of the records). */
int mboxlist_intent_store(struct db_txn *txn,
                          const struct mboxlist_intent *in);
/* Inside txn (or NULL): ERR_AGAIN if an intent covering name (change
 * sense, see settle) is pending and not this process's own: the caller
 * aborts, settles and starts again.  A corrupt intent covers every name
 * (settling removes it). */
int mboxlist_intent_check(struct db_txn *txn, const char *name);
/* Before a change of name (change = 1: intents whose top name is name,
 * above it or below it) or a lookup (0: whose top is name or above it):
 * take over every such intent whose owner died, and wait up to
 * MBOXLIST_INTENT_WAIT_MS for live owners (then ERR_LOCKED).  This
 * process's own running intents are not waited for, nor intents begun
 * after it started waiting (a change meets those at its commit). */
int mboxlist_intent_settle(const char *name, int change);
/* Owner of a rename, before its plan: lock the lock file and store the
 * intent with no mailboxes yet and MBOXLIST_INTENT_RESERVE, so that every
 * create, delete and rename of a name it covers waits for it (at settle,
 * or meets it at its commit) while the rename plans and locks: without
 * it, sessions creating and deleting children kept a rename of their
 * parent replanning until it gave up.  Lookups do not wait for a
 * reservation (sessions reading the tree would hold up the locking).  The
 * commit stores the whole intent over it.  ERR_AGAIN: a change covering
 * the names is pending (settle and start again).  One left by a killed
 * owner is taken over like any intent: with no mailboxes, nothing to do. */
int mboxlist_intent_reserve(struct mboxlist_intent *in);
/* The commit did not happen: drop the reservation, if any, and the lock
 * file. */
void mboxlist_intent_abandon(struct mboxlist_intent *in);

/* Owner's extra step of an inbox intent: copy the messages (held[0] is
 * the locked INBOX, dst the new mailbox's path). */
typedef int mboxlist_intent_copy_fn(struct mailbox *src, const char *dst,
                                    void *rock);
/* After the commit: do the filesystem steps (held[i]: move i's old
 * mailbox, locked by the owner, or NULL; closed here), roll back if a
 * step fails that can be undone, delete the intent and its lock file.
 * ERR_OK, or the error that made it roll back. */
int mboxlist_intent_run(struct mboxlist_intent *in, struct mailbox **held,
                        mboxlist_intent_copy_fn *copy, void *rock);
/* The steps, per kind (mboxlist_intent_steps.c).  forward: ERR_OK, or
 * the first error, with *undo set when nothing irreversible happened yet
 * and the change is to be rolled back; backward: undo what forward did
 * (after the records went back). */
int mboxlist_intent_forward(struct mboxlist_intent *in, struct mailbox **held,
                            mboxlist_intent_copy_fn *copy, void *rock,
                            int *undo);
void mboxlist_intent_backward(struct mboxlist_intent *in,
                              struct mailbox **held);
/* The ids of the pending intents (tests). */
int mboxlist_intent_ids(struct strarray *ids);

/* Called at every step of an intent with a short name of the step; NULL
 * (the default) outside tests, which set it to kill themselves there. */
extern void (*mboxlist_intent_hook)(const char *point);
void mboxlist_intent_point(const char *point);

/* 1 if e (as listed before) is no longer what the database says, or an
 * intent covers it: a plan made from it must start again. */
int mboxlist_changed(const struct mboxlist_entry *e);
/* mboxlist_create()'s checks (name, partition, absent, rights) and its
 * new record and path into m->new and m->newpath. */
int mboxlist_create_plan(const char *name, const char *partition,
                         const struct auth_state *who, int flags,
                         struct mboxlist_move *m);
/* Store in->m[0].new, the UIDVALIDITY counter (into in->uidvalidity) and
 * the intent in one transaction; ERR_EXISTS, ERR_AGAIN (an intent covers
 * the name, or in->oldtop). */
int mboxlist_create_commit(struct mboxlist_intent *in);

/* ---- mailbox directories (mboxlist_files.c) ------------------------------ */

/* What a mailbox directory holds, as far as an intent cares. */
enum mboxlist_at {
    MBOXLIST_AT_NONE,       /* no cyrus.index (and no header of ours) */
    MBOXLIST_AT_PARTIAL,    /* our cyrus.header, no cyrus.index yet */
    MBOXLIST_AT_OURS,       /* a complete mailbox with our unique id */
    MBOXLIST_AT_EMPTY,      /* another mailbox, without messages */
    MBOXLIST_AT_FOREIGN     /* another mailbox with messages, unreadable */
};
int mboxlist_files_at(const char *name, const char *path,
                      const char *uniqueid);
/* Put the files of mailbox uniqueid from `from` at `to`: rename(2) of the
 * directory, or file by file into an existing one, or copied (copy set),
 * always cyrus.index last, finishing what an earlier attempt began.  An
 * empty other mailbox at `to` is removed; ERR_EXISTS (logged) for one
 * with messages. */
int mboxlist_files_place(const char *name, const char *uniqueid,
                         const char *from, const char *to, int copy);
/* Remove the mailbox files in path (cyrus.index first), and the directory
 * when it is then empty; subdirectories (other mailboxes) stay. */
int mboxlist_files_remove(const char *path);
/* rmdir path if empty, then its empty parents (mboxlist_prune_dirs). */
void mboxlist_files_prune(const char *path, const char *partition);

#endif
