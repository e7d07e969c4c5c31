/* login_limit.h -- password-guessing limits shared by every server process:
 * a growing pause after each failed login, then a temporary refusal of a
 * user name or a client address that failed too often.
 *
 * What is counted.  Each failed login (a wrong password, an unknown user,
 * a refused authorization identity: the servers cannot and must not tell
 * these apart) counts once for the user name as the client gave it
 * (canonified by auth_canonify_userid(), so "Bob" and "bob" are one; a name
 * that cannot be canonified counts as given, lowercased) and once for the
 * client's address (the "[ip]" of server_common_peer(); local clients --
 * a pipe, a UNIX socket -- have none).  A failure is remembered for
 * loginlimit_window seconds after the latest one of that name or address.
 *
 * The pause.  Before the server answers a failure it sleeps
 * failedloginpause seconds, doubled for each earlier remembered failure of
 * the name or the address (the larger count), at most loginlimit_maxdelay:
 * guesses spread over many connections slow down together.
 *
 * The lockout.  The failure that brings a name to loginlimit_user, or an
 * address to loginlimit_client, locks it for loginlimit_lockout seconds
 * (its count then starts again from zero).  While a name or the client's
 * address is locked every login is refused without looking at the password
 * -- a right one too -- with the protocol's "try later" answer; refusals
 * are logged but not counted, so the lockout ends on time.  A successful
 * login clears the user name's count (not the address's: one good account
 * must not reset the guessing budget for others from that address).
 *
 * Log lines (warning, for fail2ban; <host> is "name [ip]"):
 *   badlogin: <host> <mech> <user> <reason>         each failure
 *   badlogin: <host> <mech> <user> locked out (<user|client>)  each refusal
 *   lockout: <host> user=<user> by=<user|client> failures=<n> seconds=<s>
 *                                                    each lockout started
 *
 * State.  One file, configdirectory/loginlimit: a header (magic, version,
 * slot count, a random secret, CRC) and a fixed table of 32-byte slots
 * (keyed hash of the name or address, count, time of the last failure,
 * end of the lockout, CRC), mapped shared and guarded by an fcntl lock
 * held only for the few loads and stores of one call -- shared to check,
 * exclusive to count.  kill -9 at any instant is harmless: the kernel drops
 * the lock, a slot torn mid-write fails its CRC and reads as empty, and a
 * header that does not check out (a creator killed half-way, a foreign
 * file) is rebuilt.  When the table is full the slot with the oldest
 * failure that is not locked is reused.  The file is opened at the first
 * call and kept for the life of the process; when it cannot be used the
 * error is logged once and logins go on without limits (never a lockout
 * of everyone because of a broken file).
 *
 * Call conf_init() first.  One process serves one connection: the state
 * here is per process.  Not thread-safe.
 */
#ifndef CHAPAR_LOGIN_LIMIT_H
#define CHAPAR_LOGIN_LIMIT_H

enum login_limit_verdict {
    LOGIN_LIMIT_OK = 0,
    LOGIN_LIMIT_USER,           /* the user name is locked out */
    LOGIN_LIMIT_CLIENT          /* the client address is locked out */
};

/* Before a password is checked (user NULL or "" while SASL has not yet
 * said who it is) and again once it is known: LOGIN_LIMIT_OK, or a
 * refusal, which is logged here (badlogin ... locked out).  On a refusal
 * the caller answers "try later" (IMAP NO [UNAVAILABLE], POP3 -ERR
 * [SYS/TEMP]) and does not log the user in, whatever the password was. */
enum login_limit_verdict login_limit_check(const char *clienthost,
                                           const char *mech,
                                           const char *user);

/* A failed login: logs the badlogin line, counts the failure for user
 * (may be NULL) and the client address, logs a lockout it started, then
 * sleeps the pause described above.  The caller answers afterwards. */
void login_limit_failed(const char *clienthost, const char *mech,
                        const char *user, const char *reason);

/* user logged in: its failures are forgotten. */
void login_limit_succeeded(const char *user);

/* The path of the state file, for the documentation and tests:
 * configdirectory/loginlimit (a string the caller frees). */
char *login_limit_path(void);

#endif
