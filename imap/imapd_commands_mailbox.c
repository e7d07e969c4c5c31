/* imapd_commands_mailbox.c -- the table of mailbox-management commands
 * (CREATE, DELETE, RENAME, LIST, LSUB, (UN)SUBSCRIBE, STATUS, APPEND,
 * NAMESPACE, the ACL and QUOTA families).  Each entry names its handler in
 * cmd_*.c and the states it is valid in; imapd_dispatch() consults this
 * table after its own. */
#include "config.h"

#include <stddef.h>

#include "imap/imapd_private.h"

const struct imapd_cmd_entry imapd_mailbox_commands[] = {
    { NULL, NULL, 0 }
};
