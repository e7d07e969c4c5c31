/* auth.h -- who is asking: a user's identity and the ACL identifiers it
 * matches.
 *
 * An auth_state is made once per login and answers auth_memberof() for
 * every ACL identifier the rights code meets:
 *   "anyone"        everybody, including anonymous;
 *   "anonymous"     only the anonymous identity;
 *   "group:<name>"  members of the UNIX group <name> (never anonymous);
 *   anything else   a user id, compared exactly (case-sensitive).
 * UNIX group membership follows /etc/group semantics through NSS: a user is
 * a member if listed in the group's member list, or if the group is the
 * primary group of a UNIX account of the same name.  Users need no UNIX
 * account.  Groups are read once per identity, when a check first meets a
 * "group:" identifier (or auth_groups() is called): a change to /etc/group
 * is seen at the next login, or at that first check, not after it.
 *
 * Whether an identity is an administrator is decided by the caller (from
 * the admins option) and only recorded here; acl_myrights() grants the
 * implicit admin rights.  An anonymous identity is never an admin.
 * States are independent of each other; not thread-safe (getgrent()),
 * which is fine for one-process-per-connection servers.
 */
#ifndef CHAPAR_AUTH_H
#define CHAPAR_AUTH_H

#include "lib/strarray.h"

#define AUTH_ANYONE "anyone"
#define AUTH_ANONYMOUS "anonymous"
#define AUTH_GROUP_PREFIX "group:"

struct auth_state;

/* The identity of userid, with its UNIX groups.  userid NULL or
 * "anonymous" makes the anonymous identity.  Never returns NULL. */
struct auth_state *auth_new(const char *userid, int is_admin);
/* The same with the group names (without "group:") given by the caller
 * instead of read from the system: for group sources other than NSS, and
 * for tests.  groups may be NULL (no groups). */
struct auth_state *auth_new_groups(const char *userid, int is_admin,
                                   const struct strarray *groups);
/* Free *authp and set it to NULL; NULL is fine. */
void auth_free(struct auth_state **authp);

/* The user id ("anonymous" for the anonymous identity); owned by state. */
const char *auth_userid(const struct auth_state *auth);
int auth_is_admin(const struct auth_state *auth);
int auth_is_anonymous(const struct auth_state *auth);
/* The groups found for the identity (names without "group:"). */
const struct strarray *auth_groups(const struct auth_state *auth);

/* 1 if the identity matches the ACL identifier (see above), else 0.
 * A negative identifier ("-fred") is not matched here: the caller strips
 * the dash (acl_myrights()). */
int auth_memberof(const struct auth_state *auth, const char *identifier);

#endif
