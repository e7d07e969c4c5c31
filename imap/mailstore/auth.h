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
 *
 * CANONICAL IDENTITIES.  Every name a client, an MTA or an administrator
 * gives for a user -- LOGIN, every SASL mechanism (through the SASL
 * canon_user callback that server_common installs), POP3 USER/APOP/AUTH,
 * LMTP and deliver recipients, deliver -a, ACL identifiers, the admins and
 * proxyservers options -- goes through auth_canonify_userid() and nothing
 * else, so one user has exactly one name and an ACL entry written for
 * "bob" is met by every way bob comes in.  The rules, in order:
 *   - any byte at or below ' ', DEL or above 0x7f (white space, controls,
 *     8-bit) refuses the name: "bob " is never trimmed into "bob";
 *   - "user@domain": with defaultdomain set and domain equal to it (ASCII
 *     case-insensitive), the name is "user"; any other domain, or any
 *     '@' without defaultdomain, or a second '@', refuses the name (one
 *     namespace, no virtual domains: Cyrus's virtdomains: off);
 *   - username_tolower (default yes, as Cyrus): ASCII letters are
 *     lowercased, so "BOB" is "bob" (a case-insensitive password backend
 *     such as LDAP cannot make "BOB" a second identity);
 *   - the result must be a valid user id (mboxname_validate_userid()):
 *     "anyone", "anybody", "anonymous", a leading '-', '.', '+', ':' ...
 *     are refused.
 * A refused name is ERR_BADNAME; servers answer it exactly like a wrong
 * password.  These read the configuration (conf_init() first).
 */
#ifndef CHAPAR_AUTH_H
#define CHAPAR_AUTH_H

#include <stddef.h>

#include "lib/buf.h"
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

/* ---- canonical identities (see above) ------------------------------------ */

/* The canonical user id of the len bytes at in (no NUL needed) into out
 * (replaced): ERR_OK, or ERR_BADNAME with out empty. */
int auth_canonify_userid(const char *in, size_t len, struct buf *out);
/* An ACL identifier as stored: "anyone", "anonymous" and "group:<name>"
 * unchanged, a user id canonical, each optionally after a '-' (negative
 * entry).  ERR_OK, or ERR_BADNAME (out empty). */
int auth_canonify_identifier(const char *id, struct buf *out);
/* 1 if the canonical userid is an administrator (the admins option, each
 * entry canonified), else 0. */
int auth_userid_is_admin(const char *userid);
/* Proxy authorization: may the authenticated (canonical) authid act as
 * the canonical authzid?  1 when they are equal, or authid is listed in
 * admins or proxyservers; else 0.  The session then has authzid's
 * rights, not authid's. */
int auth_may_proxy(const char *authid, const char *authzid);

#endif
