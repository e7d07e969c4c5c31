/* log.c -- syslog (local6 unless configured) plus optional stderr, file and
 * capture sinks.
 *
 * Formatting happens once into a stack buffer so the fatal path does not
 * allocate; lines longer than the buffer are truncated with "...".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/log.h"

#define LOG_LINE_MAX 4096

static struct {
    char ident[64];
    char syslog_ident[128];     /* openlog() keeps the pointer */
    int facility;
    int opened;
    int to_stderr;
    int level;
    log_capture_fn *capture;
    void *capture_rock;
} log_state = { "chapar", "chapar", LOG_LOCAL6, 0, 0, LOG_INFO, NULL, NULL };

static const char *log_level_name(int prio)
{
    switch (prio) {
    case LOG_EMERG: return "emerg";
    case LOG_ALERT: return "alert";
    case LOG_CRIT: return "crit";
    case LOG_ERR: return "err";
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    case LOG_INFO: return "info";
    default: return "debug";
    }
}

static void log_open(const char *prefix)
{
    snprintf(log_state.syslog_ident, sizeof(log_state.syslog_ident),
             "%s%s%s", prefix, *prefix ? "/" : "", log_state.ident);
    if (log_state.opened)
        closelog();
    openlog(log_state.syslog_ident, LOG_PID, log_state.facility);
    log_state.opened = 1;
}

void log_init(const char *ident)
{
    snprintf(log_state.ident, sizeof(log_state.ident), "%s", ident);
    log_open("");
}

int log_set_syslog(const char *facility, const char *prefix)
{
    static const struct { const char *name; int code; } names[] = {
        { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
        { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
        { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
        { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
        { "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
        { "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
        { "news", LOG_NEWS }, { "uucp", LOG_UUCP },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(facility, names[i].name)) {
            log_state.facility = names[i].code;
            log_open(prefix ? prefix : "");
            return 0;
        }
    return -1;
}

void log_set_stderr(int on) { log_state.to_stderr = on; }
void log_set_level(int prio) { log_state.level = prio; }

void log_set_capture(log_capture_fn *fn, void *rock)
{
    log_state.capture = fn;
    log_state.capture_rock = rock;
}

/* Append one line to $CHAPAR_LOG_FILE with a single write(2), so lines from
 * concurrent processes never interleave. */
static void log_to_file(int prio, const char *line)
{
    const char *path = getenv("CHAPAR_LOG_FILE");
    char out[LOG_LINE_MAX + 128];
    int fd, n;

    if (!path || !*path)
        return;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    n = snprintf(out, sizeof(out), "%s[%ld]: %s: %s\n", log_state.ident,
                 (long)getpid(), log_level_name(prio), line);
    if (n > (int)sizeof(out))
        n = sizeof(out);
    if (n > 0 && write(fd, out, n) < 0) {
        /* nowhere left to report this */
    }
    close(fd);
}

void log_vmsg(int prio, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    int saved_errno = errno;
    int n;

    if (prio > log_state.level)
        return;
    n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n >= (int)sizeof(line))
        memcpy(line + sizeof(line) - 4, "...", 4);

    if (log_state.opened)
        syslog(prio, "%s", line);
    if (log_state.to_stderr)
        fprintf(stderr, "%s: %s\n", log_state.ident, line);
    log_to_file(prio, line);
    if (log_state.capture)
        log_state.capture(prio, line, log_state.capture_rock);
    errno = saved_errno;
}

void log_msg(int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(prio, fmt, ap);
    va_end(ap);
}

void log_error_errno(const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    int saved_errno = errno;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log_msg(LOG_ERR, "%s: %s", line, strerror(saved_errno));
    errno = saved_errno;
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_CRIT, fmt, ap);
    va_end(ap);
    exit(EX_TEMPFAIL);
}

void log_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_CRIT, fmt, ap);
    va_end(ap);
    abort();
}
