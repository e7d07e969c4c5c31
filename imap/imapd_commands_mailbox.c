/* imapd_commands_mailbox.c -- the table of mailbox-management commands
 * (CREATE, DELETE, RENAME, LIST, LSUB, (UN)SUBSCRIBE, STATUS, APPEND,
 * NAMESPACE, the ACL and QUOTA families).  Each entry names its handler in
 * cmd_*.c and the states it is valid in; imapd_dispatch() consults this
 * table after its own. */
#include "config.h"

#include <stddef.h>

#include "imap/cmd_mailbox.h"
#include "imap/imapd_private.h"

#define MBOX_STATES (CMD_AUTH | CMD_SELECTED)

const struct imapd_cmd_entry imapd_mailbox_commands[] = {
    { "CREATE", cmd_create, MBOX_STATES },
    { "DELETE", cmd_delete, MBOX_STATES },
    { "RENAME", cmd_rename, MBOX_STATES },
    { "SUBSCRIBE", cmd_subscribe, MBOX_STATES },
    { "UNSUBSCRIBE", cmd_subscribe, MBOX_STATES },
    { "LIST", cmd_list, MBOX_STATES },
    { "LSUB", cmd_list, MBOX_STATES },
    { "NAMESPACE", cmd_namespace, MBOX_STATES },
    { "STATUS", cmd_status, MBOX_STATES },
    { "APPEND", cmd_append, MBOX_STATES },
    { "SETACL", cmd_setacl, MBOX_STATES },
    { "DELETEACL", cmd_setacl, MBOX_STATES },
    { "GETACL", cmd_getacl, MBOX_STATES },
    { "LISTRIGHTS", cmd_listrights, MBOX_STATES },
    { "MYRIGHTS", cmd_myrights, MBOX_STATES },
    { "GETQUOTA", cmd_getquota, MBOX_STATES },
    { "GETQUOTAROOT", cmd_getquotaroot, MBOX_STATES },
    { "SETQUOTA", cmd_setquota, MBOX_STATES },
    { NULL, NULL, 0 }
};
