/* reconstruct_private.h -- shared by reconstruct.c (mailboxes) and
 * reconstruct_quota.c (quota -f); not for other modules. */
#ifndef CHAPAR_RECONSTRUCT_PRIVATE_H
#define CHAPAR_RECONSTRUCT_PRIVATE_H

#include "lib/log.h"
#include "imap/mailstore/reconstruct.h"

#define RECONSTRUCT_LOCK_MS 30000

/* One line of the report (report may be NULL). */
void reconstruct_say(reconstruct_report_fn *report, void *rock,
                     const char *fmt, ...) CHAPAR_FORMAT(3, 4);
/* Recount one root's usage from its mailboxes' indexes. */
int reconstruct_quota_fix_root(const char *root,
                               reconstruct_report_fn *report, void *rock);

#endif
