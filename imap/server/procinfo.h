/* procinfo.h -- what a server process shows the administrator about itself.
 *
 * configdirectory/proc/<pid> exists while a server process (imapd, pop3d)
 * serves a connection.  It holds one line, the fields separated by tabs and
 * present as far as they are known, as in Cyrus:
 *     <client host>[\t<user>[\t<selected mailbox>]]\n
 * e.g. "mail.example.org [192.0.2.7]\talice\tuser.alice.drafts".  The file
 * is replaced by rename(), so a reader never sees half a line.
 *
 * configdirectory/log/<user>/: when that directory exists at login, the
 * rest of the session is copied to log/<user>/<pid> in the format of
 * prot_set_telemetry() (with the logtimestamps option).  The login command
 * itself is not in it, so a password never is.
 *
 * State: the files are named by the process id, so there is one set per
 * process and the state is module-private (not per session).  Call
 * procinfo_begin() once per process, after the configuration is loaded.
 * Failures are logged (err, with the file and errno) and never disturb the
 * session.  Not thread-safe.
 */
#ifndef CHAPAR_PROCINFO_H
#define CHAPAR_PROCINFO_H

#include <sys/types.h>

struct prot;

/* At connect: write proc/<pid> with the client host ("name [ip]"). */
void procinfo_begin(const char *clienthost);
/* At login: add the user to proc/<pid>; start the telemetry of prot into
 * log/<userid>/<pid> if that directory exists.  prot must stay alive until
 * procinfo_end() (or a later prot_set_telemetry(prot, -1, 0)). */
void procinfo_login(const char *userid, struct prot *prot);
/* Back to no user (IMAP UNAUTHENTICATE): proc/<pid> shows the client
 * host alone, and the telemetry of prot, if any, ends. */
void procinfo_logout(struct prot *prot);
/* The selected mailbox (internal name), or NULL when none is selected. */
void procinfo_mailbox(const char *mailbox);
/* At exit: remove proc/<pid>, close the telemetry file.  Call after the
 * prot that used telemetry is freed.  Safe without procinfo_begin(). */
void procinfo_end(void);

/* master: remove proc/<pid> of a child it reaped (a killed child cannot
 * remove its own).  A missing file is fine. */
void procinfo_remove(pid_t pid);
/* master start-up: create proc/ if missing, and remove every proc/<pid>
 * whose process no longer exists.  Returns how many were removed. */
int procinfo_cleanup(void);

#endif
