/* mboxlist_private.h -- what the mboxlist*.c files share; not for other
 * modules.  Every function here follows mboxlist.h's rules (rights via
 * acl_myrights() only, ERR_ codes, logging). */
#ifndef CHAPAR_MBOXLIST_PRIVATE_H
#define CHAPAR_MBOXLIST_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "imap/mailstore/mboxlist.h"

struct auth_state;

/* Give up a transaction after this many conflicts in a row. */
#define MBOXLIST_MAX_RETRIES 100

/* This process's handles (opened on demand; env_r may be NULL). */
int mboxlist_db_get(struct db_env **env_r, struct db **db_r);

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

/* Mailbox files at path that no record points to.  Remove them when they
 * hold no message, or when they are a copy of mailbox `uniqueid` (not
 * NULL: left by a crashed rename); ERR_OK then, and when there is no
 * mailbox at path.  Otherwise ERR_EXISTS (logged: run reconstruct -m). */
int mboxlist_remove_orphan(const char *name, const char *path,
                           const char *uniqueid);

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

#endif
