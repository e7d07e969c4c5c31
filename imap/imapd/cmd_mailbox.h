/* cmd_mailbox.h -- the handlers of the mailbox-management commands, as
 * imapd_commands.c lists them.
 *
 * Each handler has the imapd_handler contract (imapd.h): the dispatcher
 * has already checked the state (authenticated or selected); the handler
 * validates its arguments (BAD on a syntax error, nothing changed), acts
 * through the model (mboxlist, subs, append, quota, acl), and writes
 * exactly one tagged response.  Rights are decided by the model's
 * acl_myrights(); a mailbox the user may not `l` answers exactly like one
 * that does not exist (DESIGN.md invariant 4).
 */
#ifndef CHAPAR_CMD_MAILBOX_H
#define CHAPAR_CMD_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include "imap/imapd/imapd.h"

/* cmd_mailbox.c: CREATE, DELETE, RENAME (RFC 3501 6.3.3-6.3.5),
 * SUBSCRIBE, UNSUBSCRIBE (6.3.6-6.3.7), NAMESPACE (RFC 2342). */
void cmd_create(struct imapd_session *s, const struct imapd_command *c);
void cmd_delete(struct imapd_session *s, const struct imapd_command *c);
void cmd_rename(struct imapd_session *s, const struct imapd_command *c);
void cmd_subscribe(struct imapd_session *s, const struct imapd_command *c);
void cmd_namespace(struct imapd_session *s, const struct imapd_command *c);
/* SETMETADATA's /private/specialuse (RFC 6154 roles) of mailbox ext:
 * 0 when set, -1 after a tagged NO. */
int cmd_mailbox_setroles(struct imapd_session *s,
                         const struct imapd_command *c, const char *ext,
                         const char *value);
/* GETMETADATA and SETMETADATA (RFC 5464; cmd_metadata.c). */
void cmd_getmetadata(struct imapd_session *s, const struct imapd_command *c);
void cmd_setmetadata(struct imapd_session *s, const struct imapd_command *c);

/* cmd_list.c: LIST and LSUB (RFC 3501 6.3.8-6.3.9; LIST carries the
 * RFC 3348 \HasChildren / \HasNoChildren attributes) with the
 * extensions below, and XLIST; cmd_list.h has the grammar. */
void cmd_list(struct imapd_session *s, const struct imapd_command *c);
/* The capabilities of cmd_list.c, cmd_status.c and CREATE (imapd adds
 * APPENDLIMIT=<imapd_appendlimit()>). */
#define IMAPD_LIST_CAPABILITIES                                               \
    "LIST-EXTENDED LIST-STATUS LIST-MYRIGHTS SPECIAL-USE CREATE-SPECIAL-USE " \
    "STATUS=SIZE XLIST"

/* cmd_status.c: STATUS (RFC 3501 6.3.10, HIGHESTMODSEQ of RFC 7162, SIZE
 * of RFC 8438, DELETED of RFC 9051, APPENDLIMIT of RFC 7889). */
void cmd_status(struct imapd_session *s, const struct imapd_command *c);
/* A STATUS item list, in the client's order (repeats allowed). */
#define STATUS_MAX_ITEMS 36
struct status_items {
    int item[STATUS_MAX_ITEMS];
    size_t n;
};
struct imap_arg;
/* Parse "(item ...)": ERR_BADARG for an unknown item, an empty or too
 * long list, or anything but a list of atoms. */
int status_items_parse(const struct imap_arg *arg, struct status_items *it);
/* Write "* STATUS <ext> (...)" for mailbox name (internal), which the
 * session must be allowed to read (`r`); the error (nothing written)
 * otherwise. */
int status_mailbox(struct imapd_session *s, const char *name,
                   const char *ext, const struct status_items *it);
/* The largest message APPEND takes: maxmessagesize, or the literal limit
 * imapd applies when that is 0 (RFC 7889 APPENDLIMIT). */
unsigned long long imapd_appendlimit(void);

/* cmd_append.c: APPEND with MULTIAPPEND (RFC 3502) and APPENDUID
 * (RFC 4315). */
void cmd_append(struct imapd_session *s, const struct imapd_command *c);

/* cmd_acl.c: SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS (RFC 4314). */
void cmd_setacl(struct imapd_session *s, const struct imapd_command *c);
void cmd_getacl(struct imapd_session *s, const struct imapd_command *c);
void cmd_listrights(struct imapd_session *s, const struct imapd_command *c);
void cmd_myrights(struct imapd_session *s, const struct imapd_command *c);

/* cmd_quota.c: GETQUOTA, GETQUOTAROOT, SETQUOTA (RFC 2087 / RFC 9208,
 * resources STORAGE and MESSAGE). */
void cmd_getquota(struct imapd_session *s, const struct imapd_command *c);
void cmd_getquotaroot(struct imapd_session *s, const struct imapd_command *c);
void cmd_setquota(struct imapd_session *s, const struct imapd_command *c);

#endif
