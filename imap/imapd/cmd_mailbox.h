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

/* cmd_list.c: LIST and LSUB (RFC 3501 6.3.8-6.3.9; LIST carries the
 * RFC 3348 \HasChildren / \HasNoChildren attributes). */
void cmd_list(struct imapd_session *s, const struct imapd_command *c);

/* cmd_status.c: STATUS (RFC 3501 6.3.10, HIGHESTMODSEQ of RFC 7162, SIZE
 * of RFC 8438). */
void cmd_status(struct imapd_session *s, const struct imapd_command *c);

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
