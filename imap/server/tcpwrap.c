/* tcpwrap.c -- libwrap's hosts_access() behind tcpwrap_allowed().
 *
 * libwrap is configured through globals: the table paths, and the syslog
 * priorities of its "severity" option, which the program must define.
 */
#include "config.h"

#include <syslog.h>
#include <tcpd.h>

#include "lib/conf.h"
#include "imap/server/tcpwrap.h"

int allow_severity = LOG_INFO;
int deny_severity = LOG_NOTICE;

int tcpwrap_allowed(const char *service, int fd)
{
    struct request_info req;

    /* The paths stay valid: this runs in a child that does not reload. */
    hosts_allow_table = (char *)conf_getstring(CONF_HOSTS_ALLOW);
    hosts_deny_table = (char *)conf_getstring(CONF_HOSTS_DENY);
    request_init(&req, RQ_DAEMON, service, RQ_FILE, fd, 0);
    fromhost(&req);
    return hosts_access(&req) ? 1 : 0;
}
