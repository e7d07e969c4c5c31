/* acl.h -- access control lists: RFC 4314 rights with Cyrus semantics.
 *
 * Rights are a bit mask of the RFC 4314 rights
 *   l lookup   r read   s keep \Seen   w write flags   i insert
 *   p post     k create sub-mailboxes  x delete mailbox
 *   t delete messages (\Deleted)       e expunge       a administer
 * The RFC 2086 rights "c" and "d" are virtual (RFC 4314 2.1.1), with the
 * grouping of the SPEC ("former group" of the RFC, the RFC's examples):
 *   c = k + x (create/delete mailboxes),  d = t + e (delete messages).
 * Parsing maps c and d to their members; rendering for the wire adds c
 * (d) when any member of it is present, as the RFC requires of MYRIGHTS
 * and ACL responses.  The server advertises RIGHTS=ACL_RIGHTS_CAPABILITY.
 *
 * An ACL is stored as Cyrus does: "id<TAB>rights<TAB>" repeated, rights in
 * canonical order.  An identifier "-id" is a negative entry: its rights are
 * taken away from whoever matches id, after the union of all positive
 * entries (RFC 4314 section 2).  Identifiers: 1 to ACL_ID_MAX bytes, no
 * controls, TAB or space (the stored and the config formats separate by
 * them), and not "-" alone or starting "--".
 *
 * acl_myrights() is the ONE answer to "what may this identity do here";
 * callers check its bits before any effect.  Administrators always get
 * l and a on top, never x or d implicitly: an admin who wants to delete a
 * mailbox grants himself x first.
 *
 * Pure logic: no files, no configuration (the defaultacl string is a
 * parameter).  Functions that write a caller's struct buf replace its
 * contents (and leave it empty on error).
 */
#ifndef CHAPAR_ACL_H
#define CHAPAR_ACL_H

#include <stddef.h>

#include "lib/buf.h"

struct auth_state;

enum acl_right {
    ACL_LOOKUP = 1u << 0,       /* l */
    ACL_READ = 1u << 1,         /* r */
    ACL_SEEN = 1u << 2,         /* s */
    ACL_WRITE = 1u << 3,        /* w */
    ACL_INSERT = 1u << 4,       /* i */
    ACL_POST = 1u << 5,         /* p */
    ACL_CREATE = 1u << 6,       /* k */
    ACL_DELETEMBOX = 1u << 7,   /* x */
    ACL_DELETEMSG = 1u << 8,    /* t */
    ACL_EXPUNGE = 1u << 9,      /* e */
    ACL_ADMIN = 1u << 10        /* a */
};

#define ACL_NONE 0u
#define ACL_ALL 0x7ffu
/* The virtual RFC 2086 rights. */
#define ACL_LEGACY_CREATE (ACL_CREATE | ACL_DELETEMBOX)     /* c */
#define ACL_LEGACY_DELETE (ACL_DELETEMSG | ACL_EXPUNGE)     /* d */
/* Rights beyond RFC 2086, for the RIGHTS= capability (RFC 4314 2.2). */
#define ACL_RIGHTS_CAPABILITY "kxte"
/* What admins always have. */
#define ACL_ADMIN_IMPLICIT (ACL_LOOKUP | ACL_ADMIN)
#define ACL_ID_MAX 256

/* ---- rights ------------------------------------------------------------- */

/* Parse rights letters ("lrs", "lrswipcd") into *rights_r.  The empty
 * string is no rights.  ERR_BADARG for any other letter (uppercase
 * included), as RFC 4314 requires; *rights_r is then 0. */
int acl_rights_parse(const char *s, unsigned *rights_r);
/* The canonical letters of rights ("lrswipkxtea" order), as stored. */
void acl_rights_to_string(unsigned rights, struct buf *out);
/* The same plus the virtual c and d (RFC 4314 2.1.1), for MYRIGHTS, ACL
 * and LISTRIGHTS responses: "lrswipkxtecda" for all rights. */
void acl_rights_to_wire(unsigned rights, struct buf *out);
/* The admin client's abbreviations: "none" -> "", "read" -> "lrs",
 * "post" -> "lrsp", "append" -> "lrsip", "write" -> "lrswipkxte",
 * "all" -> "lrswipkxtea" (names in any case; an abbreviation wins over
 * reading the word as letters, so "write" is not "rwite").  Anything else
 * is returned unchanged (the same pointer). */
const char *acl_expand_rights(const char *s);

/* ---- ACL lists ---------------------------------------------------------- */

struct acl;

struct acl *acl_new(void);
void acl_free(struct acl **aclp);
/* Parse a stored ACL (a final TAB is optional; an empty string is an empty
 * ACL).  A repeated identifier gets the union of its rights; an entry with
 * no rights is dropped.  ERR_BADFORMAT for an odd number of fields, a bad
 * identifier or bad rights letters; *acl_r is then NULL. */
int acl_parse(const char *s, struct acl **acl_r);
/* The stored form, entries in insertion order, each "id\trights\t". */
void acl_serialize(const struct acl *acl, struct buf *out);

/* 1 if id is a valid identifier (see above), else 0. */
int acl_identifier_valid(const char *id);
/* Give id exactly rights (replacing its entry in place, or appending a new
 * one); rights 0 removes the entry.  ERR_BADARG for an invalid id. */
int acl_set(struct acl *acl, const char *id, unsigned rights);
/* SETACL's third argument (RFC 4314 3.1): "+rights" adds to id's rights,
 * "-rights" removes from them, plain "rights" replaces them.  ERR_BADARG
 * for an invalid id or rights; the ACL is then unchanged. */
int acl_modify(struct acl *acl, const char *id, const char *mod);
/* Remove id's entry (only that exact identifier: deleting "fred" leaves
 * "-fred").  ERR_NOTFOUND if there is none. */
int acl_delete(struct acl *acl, const char *id);
/* id's rights in this ACL (0 if absent); exact identifier, no matching. */
unsigned acl_get(const struct acl *acl, const char *id);
size_t acl_count(const struct acl *acl);
/* The i-th entry (i < acl_count()): its identifier (owned by acl, valid
 * until the ACL changes) and rights. */
const char *acl_nth(const struct acl *acl, size_t i, unsigned *rights_r);

/* ---- the decision ------------------------------------------------------- */

/* The rights of who under the stored ACL string acl: the union of the
 * rights of every positive entry who matches (auth_memberof()), minus the
 * rights of every negative entry "-id" with id matching; then, for an
 * admin, plus ACL_ADMIN_IMPLICIT.  A NULL or corrupt ACL grants nothing
 * (an admin still gets l and a, to repair it); corruption is logged. */
unsigned acl_myrights(const char *acl, const struct auth_state *who);

/* ---- ACLs of new mailboxes ---------------------------------------------- */

/* A new user INBOX: its owner has every right ("bob\tlrswipkxtea\t").
 * ERR_BADARG if owner is not a valid, positive identifier. */
int acl_default_inbox(const char *owner, struct buf *out);
/* A new top-level shared mailbox: the defaultacl option, pairs of
 * identifier and rights letters separated by white space ("anyone lrs"),
 * in stored form.  An empty string gives an empty ACL.  ERR_BADARG for an
 * odd number of words, a bad identifier or bad rights. */
int acl_default_shared(const char *defaultacl, struct buf *out);

#endif
