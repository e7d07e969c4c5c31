/* tcpwrap.c -- libwrap's hosts_access() behind tcpwrap_allowed().
 *
 * libwrap is loaded at the first check (dlopen), not linked: a preforked
 * imapd worker checks each connection itself (server_worker.c), and a
 * library linked into imapd is relocated in every process; libwrap's
 * chain (libnsl, libtirpc, Kerberos) made about 136 kB of each idle
 * imapd's private memory (measured by the bench helper).  Its table paths
 * and the syslog priorities of its "severity" option are globals of the
 * library, set through dlsym() before each check.  Failure to load it is
 * an environment failure: log_fatal() (a server must not serve a client
 * the rules were not checked for).
 */
#include "config.h"

#include <dlfcn.h>
#include <syslog.h>
#include <tcpd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "imap/server/tcpwrap.h"

#define TCPWRAP_LIB "libwrap.so.0"

struct tcpwrap_api {
    struct request_info *(*request_init)(struct request_info *, ...);
    void (*sock_host)(struct request_info *);
    int (*hosts_access)(struct request_info *);
    char **allow_table, **deny_table;
    int *allow_severity, *deny_severity;
};

static void *tcpwrap_sym(void *handle, const char *name)
{
    void *sym = dlsym(handle, name);

    if (!sym)
        log_fatal("libwrap has no symbol=<%s>: %s", name, dlerror());
    return sym;
}

static const struct tcpwrap_api *tcpwrap_load(void)
{
    static struct tcpwrap_api api;
    static void *handle;

    if (handle)
        return &api;
    if (!(handle = dlopen(TCPWRAP_LIB, RTLD_NOW)))
        log_fatal("cannot load libwrap: %s", dlerror());
    *(void **)&api.request_init = tcpwrap_sym(handle, "request_init");
    *(void **)&api.sock_host = tcpwrap_sym(handle, "sock_host");
    *(void **)&api.hosts_access = tcpwrap_sym(handle, "hosts_access");
    api.allow_table = tcpwrap_sym(handle, "hosts_allow_table");
    api.deny_table = tcpwrap_sym(handle, "hosts_deny_table");
    api.allow_severity = tcpwrap_sym(handle, "allow_severity");
    api.deny_severity = tcpwrap_sym(handle, "deny_severity");
    return &api;
}

int tcpwrap_allowed(const char *service, int fd)
{
    const struct tcpwrap_api *w = tcpwrap_load();
    struct request_info req;

    /* The paths stay valid: the configuration outlives the check. */
    *w->allow_table = (char *)conf_getstring(CONF_HOSTS_ALLOW);
    *w->deny_table = (char *)conf_getstring(CONF_HOSTS_DENY);
    *w->allow_severity = LOG_INFO;
    *w->deny_severity = LOG_NOTICE;
    w->request_init(&req, RQ_DAEMON, service, RQ_FILE, fd, 0);
    w->sock_host(&req);
    return w->hosts_access(&req) ? 1 : 0;
}
