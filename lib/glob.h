/* glob.h -- IMAP LIST patterns: `*` and `%` with a hierarchy separator.
 *
 * RFC 3501 6.3.8: `*` matches zero or more characters, `%` matches zero or
 * more characters but not the hierarchy separator.  Everything else matches
 * itself (case-sensitively, except that the caller may ask for the leading
 * "INBOX" to match case-insensitively, as RFC 3501 requires).
 *
 * A compiled pattern also answers "could a name that starts with this
 * prefix match?" (glob_prefix_may_match), which lets a LIST walk skip
 * whole sub-trees of the mailboxes database.  Matching is iterative with a
 * single backtrack point per `*`, so it is O(len(pattern) * len(name)) at
 * worst: a hostile pattern like "*a*a*a*a*b" cannot blow up.
 */
#ifndef CHAPAR_GLOB_H
#define CHAPAR_GLOB_H

#include <stddef.h>

struct glob;

#define GLOB_INBOXCASE 0x01   /* a leading "INBOX" matches in any case */

struct glob *glob_new(const char *pattern, char separator, int flags);
void glob_free(struct glob **gp);

/* 1 if name matches the whole pattern, else 0. */
int glob_match(const struct glob *g, const char *name);
/* 1 if some name that begins with prefix (len bytes) might match. */
int glob_prefix_may_match(const struct glob *g, const char *prefix, size_t len);
/* The literal leading part of the pattern, before the first wildcard. */
const char *glob_literal_prefix(const struct glob *g, size_t *len_r);

#endif
