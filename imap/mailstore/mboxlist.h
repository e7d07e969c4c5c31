/* mboxlist.h -- the mailboxes database: which mailboxes exist, where they
 * live, who may do what there.
 *
 * One lib/db database, <configdirectory>/mailboxes.db, in the environment
 * <configdirectory>/db.  Key: the internal mailbox name (no NUL), so a
 * prefix scan is a hierarchy walk in name order.  Value, format version 1
 * (all integers big-endian):
 *     u8   version (1)            u8   type (MBOXLIST_TYPE_*)
 *     u16  reserved, 0            i64  creation time (seconds since epoch)
 *     u32  length P, P bytes      partition name
 *     u32  length U, U bytes      unique id (MBOXLIST_UNIQUEID_LEN hex)
 *     u32  length A, A bytes      ACL, Cyrus text form (acl.h)
 *    [u32  length S, S bytes      special-use roles (RFC 6154), optional]
 *     u32  CRC-32 (util_crc32) of every byte before it
 * The roles field is present only when the mailbox has roles (S > 0), so
 * a record without roles is byte for byte what older servers wrote and
 * read, and records they wrote still decode.  Its text is
 * mboxlist_specialuse_normalize()'s form: roles from
 * MBOXLIST_SPECIALUSE_ROLES, separated by one space, in that list's order.
 * A value that is truncated, too long, fails its CRC, has another version
 * or an unknown type, an empty partition, a malformed unique id, a NUL
 * in a text field or a roles field that is empty or not normalized decodes to ERR_BADFORMAT (logged), never a crash.  The
 * ACL is also copied into the mailbox's cyrus.header (mailbox.h); the
 * database is the authority.
 *
 * UIDVALIDITY.  One more key, MBOXLIST_UIDVALIDITY_KEY ("$uidvalidity":
 * '$' is in no valid name, so it can never be a mailbox), holds the last
 * UIDVALIDITY the server handed out.  Value (big-endian):
 *     u8   version (1)            u8[3] reserved, 0
 *     u32  last UIDVALIDITY       u32   CRC-32 of the 8 bytes before
 * Every new mailbox gets max(now, last + 1), and the key is set to it in
 * the transaction that adds the mailbox's record (reconstruct of a
 * mailbox that lost its index: in a transaction of its own, before the
 * files are made).  So UIDVALIDITY values only grow, server-wide: a name
 * deleted and created again, or renamed onto, within one second never
 * sees an old value again (RFC 3501/9051 2.3.1.1).  Concurrent creates
 * conflict on the key and retry.  A missing key counts as 0; a corrupt
 * one is logged and replaced (the clock takes over).  find and dump skip
 * keys starting with '$' (no "name." prefix of collect can reach them);
 * load raises the key to the largest UIDVALIDITY of the mailboxes it
 * finds on disk.
 *
 * RIGHTS.  Functions taking `who` decide with acl_myrights() only, before
 * any effect.  A mailbox the caller may not `l` answers exactly like one
 * that does not exist (ERR_NOTFOUND), DESIGN.md invariant 4.  Creating a
 * name that exists but is invisible to the caller gives ERR_PERM.
 *
 * CRASHES AND INTENTS (DESIGN.md invariant 6).  CREATE, DELETE, RENAME
 * (a hierarchy, a user, to another partition) and RENAME of one's own
 * INBOX are transactions: after a kill at any instant each mailbox is
 * under its old name or its new one, database record and files agreeing,
 * with all its messages, and nobody has to run reconstruct for that.
 * Each change commits, in ONE mailboxes.db transaction, the new records
 * and an intent: a key MBOXLIST_INTENT_PREFIX "<32 hex digits>" ('$': no
 * mailbox) whose value (doc/format.md) lists every mailbox concerned --
 * record before and after, directory before and after -- and the names
 * whose hierarchies it covers.  The filesystem steps follow the commit;
 * the intent is deleted when they are done.  Its owner holds an fcntl
 * lock on <configdirectory>/lock/intent.<id> the whole time; the kernel
 * drops it when the owner dies, which is how others tell a dead owner's
 * intent from a live one's.  The steps, in order:
 *   create  make the files (with the UIDVALIDITY taken in the
 *           transaction).  Leftovers of ours are finished; an empty
 *           mailbox of someone else's at the path is removed; one with
 *           messages makes the create roll back (ERR_EXISTS, logged: run
 *           reconstruct -m).
 *   delete  children first: remove the files (cyrus.index first), then
 *           release the usage, then quota roots named after it and, for a
 *           user, the .sub and .seen files.  Only goes forward.
 *   rename  move every directory (rename(2); file by file into an
 *           existing directory; copied to another partition, the old copy
 *           kept locked), then quota root files named after moved
 *           mailboxes, then each one's usage to its new root and its
 *           cyrus.header (ACL copy, root), then the old copies' removal,
 *           then a user's .sub and .seen files.
 *   INBOX   make the new mailbox, copy the messages (one append
 *           transaction), expunge the copied UIDs (<= the INBOX's last
 *           UID when it was locked, before the commit) from the INBOX.
 * Every step looks at what is already done and finishes it, so it can be
 * run again after a kill.  A step that fails before anything is
 * irreversible (files cannot be moved or made, a copy did not commit)
 * rolls back: one transaction puts the old records back and marks the
 * intent BACKWARD, then the files go back and the intent is deleted; the
 * owner gets the step's error.  Whoever next needs a name covered by an
 * intent -- mboxlist_lookup() and everything built on it, the changes
 * here -- takes over an intent whose owner is gone (rolls it forward, or
 * back if it says BACKWARD) and waits up to MBOXLIST_INTENT_WAIT_MS for a
 * live owner (then ERR_LOCKED); master at start and reconstruct complete
 * every pending intent (mboxlist_recover_intents()).  Each completion or
 * roll back of someone else's intent is logged at notice level with the
 * names.  An intent is also the hierarchy's lock: a change of a name that
 * is, or is above or below, an intent's old or new name waits for it; and
 * every change re-reads, inside its transaction, the intents and the
 * records it planned from, starting again when another change got in
 * between.  Quota usage follows through PENDING lines in the roots
 * (quota.h, CRASHES): exact after a kill anywhere.
 *
 * HANDLES.  The database is opened on first use and kept open for the
 * process (mboxlist_close() releases it).  A forked child notices it is
 * not the opener and opens its own.  Not thread-safe.  Callbacks of
 * mboxlist_find*() run with no database lock held and may call any
 * function here.
 *
 * Errors, besides the ones named per function: ERR_BADNAME (invalid
 * name), ERR_BADFORMAT (corrupt record), ERR_CONFLICT (gave up after many
 * concurrent-update retries), ERR_LOCKED (another process's change of the
 * name, or of a name above or below it, still at work after
 * MBOXLIST_INTENT_WAIT_MS), and lib/db.h's errors.
 */
#ifndef CHAPAR_MBOXLIST_H
#define CHAPAR_MBOXLIST_H

#include <stdint.h>
#include <stdio.h>

#include "lib/buf.h"

struct auth_state;

#define MBOXLIST_DB_FILE "mailboxes.db"
/* The key of the UIDVALIDITY counter (see above). */
#define MBOXLIST_UIDVALIDITY_KEY "$uidvalidity"
/* The keys of intents start with this (CRASHES AND INTENTS). */
#define MBOXLIST_INTENT_PREFIX "$intent."
/* How long a change or a lookup waits for another process's intent. */
#define MBOXLIST_INTENT_WAIT_MS 30000
#define MBOXLIST_FORMAT_VERSION 1
#define MBOXLIST_UNIQUEID_LEN 32

/* Mailbox types.  Only normal mailboxes exist today; the value has room
 * for more (remote, reserved, ...) without a format change. */
enum mboxlist_type {
    MBOXLIST_TYPE_NORMAL = 0
};

struct mboxlist_entry {
    char *name;                 /* internal name */
    char *partition;            /* partition name (not its directory) */
    char *acl;                  /* stored ACL text */
    char *uniqueid;             /* 32 lowercase hex digits */
    int type;                   /* enum mboxlist_type */
    int64_t created;            /* seconds since the epoch */
    char *specialuse;           /* RFC 6154 roles ("\Sent \Trash"), or
                                   NULL for none (never "") */
};

/* Release an entry's strings (the struct is the caller's); NULL-safe. */
void mboxlist_entry_fini(struct mboxlist_entry *entry);

/* ---- the database handle ------------------------------------------------- */

/* Open mailboxes.db now (it is opened on first use anyway). */
int mboxlist_open(void);
/* Release this process's handle; the next call reopens it. */
void mboxlist_close(void);

/* ---- reading ---------------------------------------------------------------- */

/* The record of name into *entry (may be NULL to test existence), no
 * rights check: for the mailstore's own use.  ERR_NOTFOUND. */
int mboxlist_lookup(const char *name, struct mboxlist_entry *entry);
/* The record of name as seen by who: ERR_NOTFOUND if it does not exist or
 * who lacks `l`; ERR_PERM if who lacks any right of need; else ERR_OK,
 * with *entry filled (may be NULL) and who's rights in *rights_r (may be
 * NULL).  Invalid names are ERR_NOTFOUND too (they cannot exist). */
int mboxlist_lookup_access(const char *name, const struct auth_state *who,
                           unsigned need, struct mboxlist_entry *entry,
                           unsigned *rights_r);
/* The directory of a mailbox: mboxname_to_path() on its partition's
 * directory with hashimapspool.  ERR_BADARG if the partition is not in the
 * configuration (any more). */
int mboxlist_entry_path(const struct mboxlist_entry *entry, struct buf *path);

/* Open the mailbox files of name (mailbox_open with lockmode), no rights
 * check: for the mailstore's own use.  ERR_NOTFOUND if not in the list. */
struct mailbox;
int mboxlist_open_mailbox(const char *name, int lockmode,
                          struct mailbox **mb_r);
/* The same after mboxlist_lookup_access(name, who, need, ..., rights_r):
 * what a command uses to open a mailbox a client named. */
int mboxlist_open_mailbox_access(const char *name,
                                 const struct auth_state *who, unsigned need,
                                 int lockmode, struct mailbox **mb_r,
                                 unsigned *rights_r);

/* ---- changes -------------------------------------------------------------- */

/* mboxlist_create() flags */
#define MBOXLIST_CREATE_AUTOINBOX 0x01  /* who may create its own INBOX, and
                                           folders below it while it does not
                                           exist (autocreate, first login) */

/* Create mailbox name on partition (NULL: defaultpartition).
 * ERR_BADNAME invalid name; ERR_EXISTS; ERR_BADARG unknown partition;
 * ERR_PERM (nothing happens) unless who may create it:
 *   - administrators may create anything;
 *   - a user INBOX "user.<id>" only by administrators, or by <id> itself
 *     with MBOXLIST_CREATE_AUTOINBOX; also, with that flag, <id> may
 *     create names below its INBOX that have no existing ancestor (the
 *     autocreated folders, made before the INBOX);
 *   - anything else needs `k` on the nearest existing ancestor (for
 *     "user.bob.a.b", user.bob.a if it exists, else user.bob); a name
 *     without an existing ancestor (a top-level one, or one under a user
 *     that does not exist) only by administrators.
 * The new ACL: a user INBOX gets acl_default_inbox(owner); a mailbox with
 * an existing ancestor copies that ancestor's ACL; otherwise a name under
 * user.<id> gets acl_default_inbox(<id>) and any other
 * acl_default_shared(defaultacl).  Quota root: quota_find_root(name).
 * A fresh random unique id; creation time now; a UIDVALIDITY from the
 * counter, stored in the transaction that adds the record. */
int mboxlist_create(const char *name, const char *partition,
                    const struct auth_state *who, int flags);
/* The same with special-use roles (RFC 6154 CREATE-SPECIAL-USE): the
 * record is committed with them in the creating transaction, so the
 * mailbox never exists without them.  specialuse NULL or "": none; else
 * as mboxlist_specialuse_normalize() accepts (ERR_BADARG, nothing
 * created). */
int mboxlist_create_special(const char *name, const char *partition,
                            const struct auth_state *who, int flags,
                            const char *specialuse);

/* The first login of a user without an INBOX (autocreatequota): make
 * the folders of autocreate_inbox_folders ("|"-separated names below the
 * INBOX), each with the role an xlist-<role> option gives its name,
 * subscribe those of autocreate_subscribe_folders, then set the quota
 * (quota_kb > 0; none when negative) and make the INBOX itself.  The
 * INBOX comes last, so a process killed half-way leaves no INBOX and the
 * next call finishes: folders already there (with their roles, which
 * their creation committed with them) are kept.  who is the user (its
 * own rights, MBOXLIST_CREATE_AUTOINBOX).  ERR_EXISTS when the INBOX
 * exists (nothing done); an invalid folder name is logged and skipped;
 * else the first error. */
int mboxlist_autocreate_user(const char *userid,
                             const struct auth_state *who, int64_t quota_kb);

/* ---- special-use roles (RFC 6154; mboxlist_specialuse.c) ------------------ */

/* Every role a mailbox may carry, in the order stored and listed. */
#define MBOXLIST_SPECIALUSE_ROLES \
    "\\All \\Archive \\Drafts \\Flagged \\Junk \\Sent \\Trash"
/* The canonical form of a role list (words separated by spaces, any case):
 * each role spelt as in MBOXLIST_SPECIALUSE_ROLES, once, in that order,
 * separated by one space, into out ("" for an empty list).  ERR_BADARG
 * when a word is not a role (out then holds nothing useful). */
int mboxlist_specialuse_normalize(const char *text, struct buf *out);
/* One role per user, as Cyrus has it: ERR_EXISTS, with the internal name
 * of the holder in *holder, when another mailbox of name's owner
 * ("user.<id>" and below, as far as who sees them) already has one of
 * roles; ERR_OK when none does, or name belongs to no user.  A check
 * before a change, not a lock: two concurrent changes may both pass. */
int mboxlist_specialuse_taken(const char *name, const char *roles,
                              const struct auth_state *who,
                              struct buf *holder);
/* Replace the roles of name (NULL or "": none) in one transaction of
 * mailboxes.db.  Needs `a` on name (ERR_NOTFOUND without `l`, ERR_PERM);
 * ERR_BADARG for a bad list.  Roles are also kept through RENAME (they
 * move with the record) and go with the record on DELETE. */
int mboxlist_setspecialuse(const char *name, const struct auth_state *who,
                           const char *specialuse);

/* ---- annotations: RFC 5464 METADATA (mboxlist_annotate.c) ----------------
 * Entries of a mailbox, or of the server (name ""), each shared or
 * private to one user, in <configdirectory>/MBOXLIST_ANNOT_DB_FILE, a
 * lib/db database in the mailboxes.db environment (doc/format.md).  Keys
 * start with the mailbox's unique id, so entries follow RENAME (children
 * too, to another partition too) without being touched, and DELETE
 * removes them in the transaction that removes the records: after a kill
 * at any instant a mailbox has all its entries or none is left; deleting
 * a user (its INBOX) also removes the user's private entries of other
 * mailboxes and of the server.  A user rename does not move private
 * entries to the new name (they stay the old name's).  A change
 * re-reads the mailbox's record in its transaction and refuses
 * (ERR_NOTFOUND) when it is gone or another mailbox has the name.  Entry
 * names are full ("/shared/comment", "/private/comment"), lower case.
 * /private/specialuse is the record's roles (mboxlist_setspecialuse());
 * /shared/motd and /shared/vendor/cmu/cyrus-imapd/shutdown of the server
 * are the files msg/motd and msg/shutdown the servers read (as in Cyrus).
 * Defined entries (anything else needs annotation_allow_undefined):
 *   mailbox  /comment (shared, private), /vendor/cmu/cyrus-imapd/expire
 *            (shared, digits), /specialuse (private), read-only
 *            /vendor/cmu/cyrus-imapd/partition (shared, shown to who has
 *            `a`) and .../uniqueid (shared)
 *   server   /comment (shared, private), /admin, /motd,
 *            /vendor/cmu/cyrus-imapd/shutdown, .../expire (shared)
 * Rights: a mailbox the caller may not `l` is ERR_NOTFOUND.  Reading:
 * private entries need `l`, shared ones `l` and `r`; writing: private
 * entries need `l`, shared ones `w` (RFC 5464 3.3).  Administrators may
 * read and write every entry of every mailbox; the server's shared
 * entries are readable by all and written by administrators only. */
#define MBOXLIST_ANNOT_DB_FILE "annotations.db"
#define MBOXLIST_ANNOT_ENTRY_MAX 1024   /* bytes of an entry name */

/* Check a client's entry name (RFC 5464 3.2: "/shared" or "/private",
 * then "/"-separated parts; no "//", no "/" at the end, printable ASCII
 * only, no "*" or "%" unless wild, at most MBOXLIST_ANNOT_ENTRY_MAX
 * bytes) and put it in lower case into out.  A bare "/shared" or
 * "/private" only with wild (GETMETADATA of a tree).  ERR_BADARG with a
 * reason for the client in *why (a static string). */
int mboxlist_annot_entry_check(const char *entry, int wild, struct buf *out,
                               const char **why);

/* Called with each entry (name, value of len bytes, not NUL-terminated
 * when it holds NULs); non-zero stops the walk and is returned. */
typedef int mboxlist_annot_fn(const char *entry, const char *value,
                              size_t len, void *rock);
/* Every entry of name ("" for the server) that who may read, in entry
 * order, with the record's and the files' entries among them.
 * ERR_NOTFOUND (no such mailbox, or no `l`). */
int mboxlist_annot_list(const char *name, const struct auth_state *who,
                        mboxlist_annot_fn *fn, void *rock);

/* One change: entry (checked and lower case), value of len bytes, or
 * value NULL to remove the entry (removing one that is not there is
 * fine). */
struct mboxlist_annot_change {
    const char *entry;
    const char *value;
    size_t len;
};
/* Apply changes to name ("" for the server) all in one transaction, or
 * none (the files of server entries are written after the transaction).
 * Not for /private/specialuse (mboxlist_setspecialuse()).  On an error
 * *bad_r is the index of the change refused and *why_r a reason for the
 * client (a static string, "" when the code says it all):
 *   ERR_NOTFOUND  no such mailbox, or no `l`
 *   ERR_PERM      rights (above), or a read-only entry
 *   ERR_NOTSUPP   the private form of a shared-only entry (NOPRIVATE)
 *   ERR_BADARG    an undefined entry (annotation_allow_undefined off),
 *                 or a value the entry refuses (expire not digits; motd
 *                 or shutdown with a line break or NUL)
 *   ERR_TOOBIG    a value over annotation_maxsize bytes
 *   ERR_QUOTA     more than annotation_maxentries entries would be the
 *                 mailbox's (per user for private ones, shared ones
 *                 together) */
int mboxlist_annot_store(const char *name, const struct auth_state *who,
                         const struct mboxlist_annot_change *changes,
                         size_t n, size_t *bad_r, const char **why_r);
/* Inside txn (the one removing its record): remove every entry of the
 * mailbox uniqueid.  For mboxlist_delete(). */
struct db_txn;
int mboxlist_annot_drop(struct db_txn *txn, const char *uniqueid);
/* Inside txn (the one removing a user's INBOX): remove every private
 * entry of userid, of any mailbox or of the server. */
int mboxlist_annot_drop_user(struct db_txn *txn, const char *userid);
/* Release the annotations database handle (mboxlist_close() does). */
void mboxlist_annot_close(void);

/* mboxlist_delete() flags */
#define MBOXLIST_DELETE_CHILDREN 0x01   /* also every mailbox below name */

/* Delete mailbox name.  Needs `x` (administrators too: they grant it to
 * themselves first): ERR_NOTFOUND without `l`, ERR_PERM with `l` but not
 * `x`.  Deleting a user INBOX "user.<id>" is for administrators only and
 * deletes every "user.<id>.*" too, removes the quota root files named
 * after any of them, and the user's .sub and .seen files.  With
 * MBOXLIST_DELETE_CHILDREN every mailbox below name goes as well, and who
 * needs `x` on each of them (checked before anything is deleted: ERR_PERM
 * and nothing happens); quota roots named after deleted mailboxes are then
 * removed too.  Otherwise children stay.  Every deleted mailbox's usage is
 * released from the quota root its cyrus.header names.  A mailbox whose
 * files are missing or unreadable is still removed from the database. */
int mboxlist_delete(const char *name, const struct auth_state *who,
                    int flags);

/* Rename oldname to newname, with every mailbox below it (children keep
 * their place under the new name), onto partition (NULL: each stays on its
 * own).  oldname == newname with a partition moves that one mailbox to
 * another partition (administrators only; ERR_EXISTS if it is already
 * there).  Needs `x` on oldname (ERR_NOTFOUND without `l`, ERR_PERM) and
 * the right to create newname as mboxlist_create() (ERR_PERM).  ERR_EXISTS
 * if newname or any new child name exists; ERR_BADARG if one name lies
 * below the other or the partition is unknown; ERR_BADNAME if a new name
 * would be invalid (e.g. too long); ERR_NOTSUPP for who's own INBOX
 * (that is mboxlist_rename_inbox() below) and for a user INBOX
 * renamed to a name that is not a user INBOX.
 * The unique ids, UIDVALIDITY and messages stay; each ACL stays.  Quota:
 * root files named after a moved mailbox move with it; each moved
 * mailbox's root is found again (quota_find_root) and its usage moved
 * between roots when the root changed.
 * A user rename ("user.a" -> "user.b", administrators only) also moves
 * user a's .sub (names rewritten) and .seen state to b, and replaces the
 * ACL identifiers "a" and "-a" by "b" and "-b" in every moved mailbox. */
int mboxlist_rename(const char *oldname, const char *newname,
                    const char *partition, const struct auth_state *who);

/* RENAME of a user's own INBOX (RFC 3501 6.3.5): create newname as
 * mboxlist_create() would for who, move every message of inbox there
 * (append_copy: hard links, keywords by name, and who's \Seen state
 * carried to the new UIDs), and leave inbox existing and empty.  The
 * INBOX stays exclusively locked from before the commit of newname's
 * record (and the intent, which records the INBOX's last UID) to the
 * expunge, so nothing that arrives meanwhile is lost or moved; after a
 * kill, the intent's completion expunges exactly the copied UIDs if the
 * copy committed, or removes newname if it did not (CRASHES AND
 * INTENTS): never duplicates, never a half state.  If the copy fails
 * newname is removed again.  ERR_EXISTS when newname is inbox or exists;
 * the errors of mboxlist_create(). */
int mboxlist_rename_inbox(const char *inbox, const char *newname,
                          const struct auth_state *who);

/* Change one ACL entry of name: mod as acl_modify() ("+rights", "-rights",
 * "rights"; "" removes identifier's entry).  Needs `a` (ERR_NOTFOUND
 * without `l`, ERR_PERM).  ERR_BADARG for a bad identifier or rights.
 * Updates the database and the cyrus.header copy. */
int mboxlist_setacl(const char *name, const struct auth_state *who,
                    const char *identifier, const char *mod);

/* ---- quota roots -------------------------------------------------------- */

/* SETQUOTA (RFC 9208) for administrators (ERR_PERM otherwise): give root,
 * an existing mailbox (ERR_NOTFOUND), the limits storage_kb and messages
 * (QUOTA_UNLIMITED: none), creating the root when it is new; or remove the
 * root (mboxlist_unsetquota; ERR_OK when there was none).  A root that
 * comes or goes changes which root governs the mailboxes at and below it:
 * each of them is then re-rooted under its exclusive index lock (lock
 * order: cyrus.index, then quota files): its cyrus.header names the new
 * root and its usage moves from the old root to the new one, so usage
 * stays exact without quota -f.  A mailbox that cannot be re-rooted is
 * logged ("run quota -f") and its error returned after the others. */
int mboxlist_setquota(const char *root, int64_t storage_kb, int64_t messages,
                      const struct auth_state *who);
int mboxlist_unsetquota(const char *root, const struct auth_state *who);

/* Read root like quota_read(), first settling the PENDING lines killed
 * writers left (quota.h, CRASHES): after finishing interrupted intents,
 * each such mailbox is opened under its exclusive lock (which waits for a
 * live writer) and its contribution settled: its index usage if its record
 * exists and its cyrus.header names root, else 0.  A line whose mailbox
 * cannot be opened stays (logged), counted as recorded.  Holds no lock
 * when called.  GETQUOTA, GETQUOTAROOT and the quota tool read this way. */
struct quota;
int mboxlist_quota_read(const char *root, struct quota *q);
/* The same for every root (master at start); the number of roots that
 * still have PENDING lines. */
int mboxlist_quota_settle_all(void);

/* Complete (or roll back) every pending intent whose owner is gone; one
 * a live process holds is left to it (logged).  master calls it at start,
 * reconstruct before it looks at anything.  The first error met. */
int mboxlist_recover_intents(void);

/* A new UIDVALIDITY, max(now, last + 1), taken from the counter in a
 * transaction of its own: for a mailbox made outside mboxlist_create()
 * (reconstruct of a mailbox whose index is lost).  Never 0.  ERR_TOOBIG
 * when the 32 bits are used up (logged). */
int mboxlist_new_uidvalidity(uint32_t *uidvalidity_r);

/* ---- listing ----------------------------------------------------------------- */

/* Called for each match; name is the matched name (internal for
 * mboxlist_find(), as the client sees it for mboxlist_find_external()),
 * valid only during the call.  Non-zero stops the walk and is returned by
 * the find function (use values the caller can tell from ERR_ codes). */
typedef int mboxlist_find_fn(const char *name,
                             const struct mboxlist_entry *entry, void *rock);

/* Every mailbox whose internal name matches pattern (glob.h: `*`, `%`,
 * separator '.') and on which who has `l`, in name order.  Only the keys
 * that start with the pattern's literal prefix are read.  A corrupt record
 * is logged and skipped. */
int mboxlist_find(const char *pattern, const struct auth_state *who,
                  mboxlist_find_fn *fn, void *rock);
/* The same for a pattern over client-visible names (RFC 3501 LIST; the
 * reference already joined in): userid's own mailboxes are "INBOX" and
 * "INBOX.x" (a leading INBOX matches in any case), everything else keeps
 * its internal name.  userid NULL: no INBOX.  Own mailboxes come first. */
int mboxlist_find_external(const char *pattern, const char *userid,
                           const struct auth_state *who,
                           mboxlist_find_fn *fn, void *rock);

/* ---- checkpoint ------------------------------------------------------------- */

/* Administrator's tools (the dump/undump program): no rights are checked.
 * Both run as one transaction, so the engine's lock table bounds their
 * size (about 100,000 records with lib/db's current settings). */

/* Write every mailbox record (not the UIDVALIDITY counter) as
 * "name<TAB>partition<TAB>acl<LF>" (the ACL keeps its own TABs: it is the
 * rest of the line), in name order, from one read transaction (a
 * consistent snapshot).  ERR_IO if out fails. */
int mboxlist_dump(FILE *out);
/* Read lines as mboxlist_dump() writes them and store them, all in one
 * transaction: either every line is loaded or none.  A record of a name
 * already in the database is an error (ERR_EXISTS) unless replace is set,
 * which overwrites its partition and ACL (keeping its unique id,
 * creation time and special-use roles, which the dump does not carry).
 * A new record takes the unique id from the mailbox's cyrus.header when
 * its files exist (so \Seen state survives a restore),
 * else a fresh one.  The UIDVALIDITY counter is not in the dump; load
 * raises it to the largest UIDVALIDITY among the listed mailboxes whose
 * files exist, so a fresh database never hands out one of theirs again.
 * A bad line (not three fields, invalid name, unknown partition,
 * unparsable ACL, a name twice) gives ERR_BADFORMAT with "line N: reason"
 * in *error (may be NULL; replaced). */
int mboxlist_load(FILE *in, int replace, struct buf *error);

/* ---- value codec (exposed for tests, reconstruct and fuzzing) ------------- */

/* Encode entry (all but the name) as a version-1 value into out
 * (replacing its contents); the roles field only when entry->specialuse
 * is not empty. */
void mboxlist_entry_encode(const struct mboxlist_entry *entry,
                           struct buf *out);
/* Decode a value into *entry, with name copied in.  ERR_BADFORMAT (entry
 * left empty, nothing to free). */
int mboxlist_entry_decode(const char *name, const void *val, size_t len,
                          struct mboxlist_entry *entry);

#endif
