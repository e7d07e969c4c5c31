/* log.h -- logging to syslog (facility local6 unless configured), with a
 * capture hook for tests.
 *
 * Levels follow what Cyrus administrators expect (SPEC.md, "Syslog"):
 *   crit    something needs the administrator now
 *   err     I/O errors, with the file and errno
 *   warning client timeouts and authentication failures ("badlogin: ...")
 *   notice  logins
 *   info    mailbox open/close, suppressed duplicate deliveries
 *   debug   protocol detail
 * Error lines carry key=<value> fields: "mailbox=<user.x> uid=<12>".
 *
 * log_fatal() is for a failed environment (disk full, config missing): it
 * logs at crit and exits EX_TEMPFAIL (75) so an MTA retries.  log_panic() is
 * for a bug: it logs at crit and aborts (core dump if allowed).
 *
 * Where lines go: always syslog (once log_init() was called); additionally
 *  - to stderr when log_set_stderr(1) (command-line tools), and
 *  - to the file named by $CHAPAR_LOG_FILE, one line per message as
 *    "<ident>[<pid>]: <level>: <text>" (how protocol tests read the log), and
 *  - to the capture function, when one is set (unit tests).
 * Nothing here allocates on the fatal path.
 */
#ifndef CHAPAR_LOG_H
#define CHAPAR_LOG_H

#include <stdarg.h>
#include <syslog.h>

#define CHAPAR_FORMAT(a, b) __attribute__((format(printf, a, b)))

/* Open syslog as `ident` (facility local6).  May be called again. */
void log_init(const char *ident);
/* Reopen syslog with this facility ("local0".."local7", "mail", "daemon",
 * "user", "auth", "authpriv", "news", "uucp") and, if prefix is not
 * empty, the name "<prefix>/<ident>" (syslog only: the stderr and
 * $CHAPAR_LOG_FILE lines keep the plain ident).  -1 for an unknown
 * facility (nothing changes). */
int log_set_syslog(const char *facility, const char *prefix);
/* Also print each line to stderr (tools), as "<ident>: <text>". */
void log_set_stderr(int on);
/* Lowest priority written (LOG_DEBUG .. LOG_CRIT); default LOG_INFO. */
void log_set_level(int prio);
/* Unit tests: every line (already formatted) is passed to fn too. */
typedef void log_capture_fn(int prio, const char *line, void *rock);
void log_set_capture(log_capture_fn *fn, void *rock);

void log_msg(int prio, const char *fmt, ...) CHAPAR_FORMAT(2, 3);
void log_vmsg(int prio, const char *fmt, va_list ap) CHAPAR_FORMAT(2, 0);

#define log_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...)  log_msg(LOG_ERR, __VA_ARGS__)
#define log_crit(...)   log_msg(LOG_CRIT, __VA_ARGS__)

/* Like log_error, with ": <strerror(errno)>" appended. errno is preserved. */
void log_error_errno(const char *fmt, ...) CHAPAR_FORMAT(1, 2);

/* The environment failed: log at crit, exit(EX_TEMPFAIL). */
void log_fatal(const char *fmt, ...) CHAPAR_FORMAT(1, 2) __attribute__((noreturn));
/* A bug: log at crit and abort(). */
void log_panic(const char *fmt, ...) CHAPAR_FORMAT(1, 2) __attribute__((noreturn));

/* Checked assumption: on failure logs file, line and expression, panics. */
#define ASSERT(expr)                                                          \
    do {                                                                      \
        if (!(expr))                                                          \
            log_panic("assertion failed: %s:%d: %s", __FILE__, __LINE__,      \
                      #expr);                                                 \
    } while (0)

#endif
