/* cmd_catenate.h -- the CATENATE form of an APPEND message (RFC 4469),
 * for cmd_append.c:
 *
 *   APPEND mailbox [(flags)] [date-time] CATENATE (TEXT literal / URL url
 *          ...)
 *
 * The parts are checked when the command is parsed (catenate_check: the
 * list's syntax only, a BAD), then the message is built in memory when
 * the destination is known (catenate_build): TEXT literals as sent, URLs
 * (imapurl.h: relative to imap://user@this-server/, or to the selected
 * mailbox when they start at ";UID=", or absolute naming this server and
 * this user) as FETCH BODY.PEEK[section]<partial> returns them, from any
 * mailbox the user may read (index_urlfetch).  Nothing is written here:
 * the built message goes through append.h like any other (one write
 * path), so MULTIAPPEND with CATENATE parts stays atomic.
 */
#ifndef CHAPAR_CMD_CATENATE_H
#define CHAPAR_CMD_CATENATE_H

#include <stddef.h>

#include "lib/buf.h"

struct imapd_session;
struct imap_arg;

/* ERR_OK if parts[0..n) is "TEXT literal" / "URL astring" pairs, at least
 * one; else ERR_BADARG with a reason for BAD in *error. */
int catenate_check(const struct imap_arg *parts, size_t n,
                   const char **error);

/* The message the parts make, in *out (replaced), at most max bytes.
 * *binary set when a TEXT part was a literal8.  ERR_OK; ERR_NOTFOUND for
 * a URL that cannot be used, which is then in *badurl; ERR_TOOBIG; other
 * errors from the mailstore (logged). */
int catenate_build(struct imapd_session *s, const struct imap_arg *parts,
                   size_t n, size_t max, struct buf *out, int *binary,
                   const char **badurl);

#endif
