/* imapurl.h -- parse the IMAP URLs (RFC 5092) that name a message or a
 * part of one, as CATENATE (RFC 4469) receives them.
 *
 * Accepted forms ("/" path is case-insensitive in its ";KEY=" parts):
 *     imap://[user[;AUTH=mech]@]host[:port]/mailbox[;UIDVALIDITY=n]/;UID=n
 *             [/;SECTION=section][/;PARTIAL=origin[.count]]
 *     /mailbox[;UIDVALIDITY=n]/;UID=n[...]     relative to imap://user@host/
 *     ;UID=n[...]  (also "/;UID=n")            relative to the base mailbox
 * The mailbox and section are percent-decoded (RFC 3986); the mailbox is
 * UTF-8 in RFC 5092 and is returned in modified UTF-7, as IMAP names it.
 * A ";URLAUTH=" part, a ";TYPE=", a search (";?") or anything else after
 * the UID, an empty UID or a zero one, and bad %-escapes are ERR_BADARG.
 * Whether the host and user are this server's and this user is the
 * caller's decision.  Pure functions, no I/O.
 */
#ifndef CHAPAR_IMAPURL_H
#define CHAPAR_IMAPURL_H

#include <stdint.h>

struct imapurl {
    char *user;                 /* absolute form: its iuserinfo's user, or
                                   NULL */
    char *host;                 /* absolute form: the host (without port);
                                   NULL for a relative URL */
    char *mailbox;              /* decoded, modified UTF-7; NULL when the
                                   URL starts at ";UID=" */
    uint32_t uidvalidity;       /* 0: not given */
    uint32_t uid;
    char *section;              /* decoded; NULL: not given */
    int partial;
    uint32_t partial_origin;
    uint32_t partial_count;     /* UINT32_MAX when not given */
};

/* Parse s into *u (imapurl_fini it, also after an error).  ERR_OK or
 * ERR_BADARG. */
int imapurl_parse(const char *s, struct imapurl *u);
void imapurl_fini(struct imapurl *u);

#endif
