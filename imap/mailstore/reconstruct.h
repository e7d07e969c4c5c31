/* reconstruct.h -- repair the mailstore from what is on disk: the model
 * behind the reconstruct and quota tools (SPEC.md "Tools", "Quotas").
 *
 * The message files "<uid>." are the truth (DESIGN.md invariants 1, 5);
 * everything else is rebuilt around them, keeping what survives:
 *
 *   reconstruct_mailbox()  new cyrus.index and cyrus.cache from the message
 *       files.  Flags, internal dates, modseqs and user-flag names are
 *       taken from whatever old cyrus.index records and cyrus.header still
 *       decode (each record has its own CRC, so one bad byte loses one
 *       record, not the mailbox).  A record whose file is gone is dropped;
 *       a file without a record gets a UID above every UID ever used (its
 *       file is renamed) -- or keeps its number when that is already above
 *       last_uid (a crash between the message file and the commit).  A
 *       record whose file no longer matches its SHA-1 GUID is treated the
 *       same way, since clients may have cached the old content under that
 *       UID.  UIDVALIDITY and last_uid are kept when the old index header
 *       decodes (UIDs only grow); only when it is lost is a new UIDVALIDITY
 *       chosen, and the files keep their numbers.  The unique id and ACL
 *       come from mailboxes.db (the authority); the quota root from the
 *       surviving cyrus.header, else quota_find_root().  The mailbox's
 *       usage is recomputed, and its root's usage corrected by the
 *       difference (or recomputed over the whole root when the old usage
 *       is unknown).
 *       The new files are built in the subdirectory "cyrus.reconstruct"
 *       (a name no mailbox can have) and renamed in -- header, cache, then
 *       index -- while the old index is locked exclusively.  A crash leaves
 *       either the old files, or a cache/index generation mismatch that
 *       mailbox_open reports; running reconstruct again finishes the job.
 *       No message file is ever removed.
 *
 *   reconstruct_scan() / reconstruct_adopt()  find mailbox directories
 *       (those holding a cyrus.header) on every partition and enter the
 *       ones mailboxes.db lacks (name from the path, ACL and unique id from
 *       the header): reconstruct -m and -f.
 *
 *   reconstruct_quota_fix()  quota -f: every mailbox's quota root is found
 *       again (a root whose file was removed drops out of the headers) and
 *       every root's usage is recomputed exactly from the indexes.
 *
 * Every repair is reported, one line at a time, through report(); errors
 * are logged and returned (lib/error.h).  No rights are checked: these are
 * administrator's operations, run as the server user.
 */
#ifndef CHAPAR_RECONSTRUCT_H
#define CHAPAR_RECONSTRUCT_H

#include "lib/strarray.h"

/* Where new files are built inside a mailbox directory. */
#define RECONSTRUCT_TMPDIR "cyrus.reconstruct"

/* One line of a report ("user.bob: uid 7: message file missing, record
 * dropped"), without a newline. */
typedef void reconstruct_report_fn(const char *line, void *rock);

/* Rebuild mailbox name (which must be in mailboxes.db), as above.  The
 * first line reported is the name itself.  ERR_NOTFOUND if name is not in
 * mailboxes.db, ERR_BADARG if its partition is not configured, ERR_LOCKED
 * if a writer holds it too long, ERR_IO. */
int reconstruct_mailbox(const char *name, reconstruct_report_fn *report,
                        void *rock);

/* Names in mailboxes.db matching pattern (glob.h), appended to names in
 * name order.  With children, also every mailbox below each match. */
int reconstruct_list(const char *pattern, int children,
                     struct strarray *names);

/* Every mailbox directory on every partition: names[i] was found on
 * partitions[i].  under NULL: all; else only under itself and below. */
int reconstruct_scan(const char *under, struct strarray *names,
                     struct strarray *partitions);

/* Enter each scanned mailbox that mailboxes.db lacks, reporting
 * "<name>: added to mailboxes.db"; the names entered are appended to
 * added (may be NULL).  One transaction: all or nothing. */
int reconstruct_adopt(const struct strarray *names,
                      const struct strarray *partitions,
                      reconstruct_report_fn *report, void *rock,
                      struct strarray *added);

/* The quota roots that have a file, in name order. */
int reconstruct_quota_roots(struct strarray *roots);

/* quota -f, limited to roots and mailboxes whose names start with one of
 * prefixes (NULL or empty: everything).  Reports "<name>: quota root was
 * A, now B" and "<root>: usage was N, now M" (bytes).  A corrupt root file
 * is rewritten with the recomputed usage and whatever limits still parse.
 * Returns the first error met (after doing everything it could). */
int reconstruct_quota_fix(const struct strarray *prefixes,
                          reconstruct_report_fn *report, void *rock);

#endif
