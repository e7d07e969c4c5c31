/* sortkey.h -- the values SORT and THREAD compare (RFC 5256 section 2,
 * RFC 5957), made from a message's cached header values.
 *
 * Base subject (RFC 5256 2.1): the Subject with its RFC 2047 words
 * decoded to UTF-8, white space runs made one space, then the "Re:",
 * "Fw:", "Fwd:", "[blob]" leaders, the "(fwd)" trailers and a "[fwd: ...]"
 * wrapper taken off, exactly as the section's steps (2) to (6) say.  The
 * RFC's BLOBCHAR is 7-bit; here any byte but "[", "]" and NUL is one, as
 * the subject is UTF-8 by then (Dovecot does the same).  The result is
 * compared in the i;unicode-casemap form (charset_casemap).
 *
 * Sent date (RFC 5256 2.2): the Date header as UTC seconds (the cache
 * keeps it so: the zone is applied when the message is parsed), else the
 * INTERNALDATE when there is no Date or it cannot be parsed.
 *
 * Addresses: the sort value of FROM, TO and CC is the addr-mailbox of the
 * first address of the ENVELOPE list (RFC 5256 3: "[IMAP] addr-mailbox of
 * the first ... address"; a group's first entry names the group), the
 * empty string when there is none.  DISPLAYFROM and DISPLAYTO (RFC 5957
 * section 3): the addr-name of that first address with its RFC 2047 words
 * decoded when it is not empty, else "mailbox@host" (the group's name for
 * a group), else the empty string.
 *
 * Pure functions, no I/O; output is APPENDED to the caller's buffer.
 */
#ifndef CHAPAR_SORTKEY_H
#define CHAPAR_SORTKEY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* The base subject of len bytes of a raw Subject value, appended to out
 * (UTF-8, not case-mapped).  Returns 1 when the subject was a reply or a
 * forward (a subj-refwd, a "(fwd)" trailer or a "[fwd: ...]" wrapper was
 * taken off: THREAD=REFERENCES step 5 needs it), else 0. */
int sortkey_base_subject(const char *s, size_t len, struct buf *out);

/* The sent date: sent_date (UTC seconds of the Date header, 0 when absent
 * or unreadable) or else internaldate. */
int64_t sortkey_sent_date(int64_t sent_date, int64_t internaldate);

/* The first address of an ENVELOPE address list (the wire form: NIL or
 * "((name adl mailbox host) ...)", quoted strings or literals), appended
 * to out: its addr-mailbox (display 0) or its RFC 5957 display value
 * (display 1).  Nothing is appended for NIL or a malformed list. */
void sortkey_address(const char *list, size_t len, int display,
                     struct buf *out);

/* The address lists of an ENVELOPE wire string "(date subject from sender
 * reply-to to cc bcc in-reply-to message-id)": *from, *to and *cc point
 * into env (lengths in the _len fields).  0, or -1 when env is malformed
 * (then every list is NIL). */
struct sortkey_envelope {
    const char *from, *to, *cc;
    size_t from_len, to_len, cc_len;
};
int sortkey_envelope_split(const char *env, size_t len,
                           struct sortkey_envelope *e);

#endif
