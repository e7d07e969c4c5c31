/* cmd_list.h -- what cmd_list.c (the answer) and cmd_list_args.c (the
 * arguments) share: one LIST, LSUB or XLIST request.
 *
 * Grammar (RFC 5258 section 6, RFC 5819, RFC 6154, RFC 8440):
 *   LIST [SP "(" [list-select-opt *(SP list-select-opt)] ")"] SP mailbox
 *        SP (list-mailbox / "(" list-mailbox *(SP list-mailbox) ")")
 *        [SP "RETURN" SP "(" [return-option *(SP return-option)] ")"]
 *   list-select-opt  SUBSCRIBED / REMOTE / RECURSIVEMATCH / SPECIAL-USE
 *   return-option    SUBSCRIBED / CHILDREN / SPECIAL-USE / MYRIGHTS /
 *                    STATUS SP "(" status-att *(SP status-att) ")"
 *   LSUB mailbox list-mailbox; XLIST mailbox list-mailbox (Gmail's).
 * Refused with BAD (list_parse's reason): an unknown option, an option
 * twice, RECURSIVEMATCH without SUBSCRIBED (RFC 5258 section 3: it may
 * not stand alone or with REMOTE only; RFC 6154: nor with SPECIAL-USE
 * only), an empty pattern list, an invalid STATUS item list, anything
 * more.
 */
#ifndef CHAPAR_CMD_LIST_H
#define CHAPAR_CMD_LIST_H

#include "lib/strarray.h"
#include "imap/imapd/cmd_mailbox.h"

#define LIST_SEL_SUBSCRIBED     0x01
#define LIST_SEL_REMOTE         0x02
#define LIST_SEL_RECURSIVEMATCH 0x04
#define LIST_SEL_SPECIALUSE     0x08

#define LIST_RET_SUBSCRIBED     0x01
#define LIST_RET_CHILDREN       0x02
#define LIST_RET_SPECIALUSE     0x04
#define LIST_RET_MYRIGHTS       0x08
#define LIST_RET_STATUS         0x10

enum list_kind { LIST_PLAIN, LIST_LSUB, LIST_XLIST };

struct list_request {
    enum list_kind kind;
    unsigned sel, ret;          /* LIST_SEL_*, LIST_RET_* (implied ones in) */
    struct status_items status; /* with LIST_RET_STATUS */
    const char *ref;            /* the reference (points into the command) */
    struct strarray patterns;   /* one or more */
};

/* Read c's arguments into *req (patterns to free with strarray_fini).
 * NULL, or the reason for a BAD. */
const char *list_parse(const struct imapd_command *c,
                       struct list_request *req);

#endif
