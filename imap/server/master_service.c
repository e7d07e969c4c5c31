/* master_service.c -- the services of the table (master_table.c reads
 * it) and their listeners.
 *
 * Each listen= address becomes one or more non-blocking, close-on-exec
 * sockets; IPv6 sockets are IPV6_V6ONLY so "143" can listen on 0.0.0.0 and
 * :: side by side.  Binding and listening are two steps at start-up: the
 * sockets are bound as root, and listen only once the START entries have
 * run (a client is refused until then).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/server/master.h"

/* ---- the table's services ------------------------------------------------ */

/* Split a TCP listen= value into host (NULL: every address) and port. */
int master_listen_split(const char *listen, char **host_r, char **port_r)
{
    const char *colon;

    *host_r = *port_r = NULL;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || !close[2])
            return ERR_BADARG;
        *host_r = xstrndup(listen + 1, (size_t)(close - listen - 1));
        *port_r = xstrdup(close + 2);
        return ERR_OK;
    }
    colon = strrchr(listen, ':');
    if (!colon) {
        *port_r = xstrdup(listen);
        return *listen ? ERR_OK : ERR_BADARG;
    }
    if (strchr(listen, ':') != colon || !colon[1])
        return ERR_BADARG;        /* an IPv6 address needs brackets */
    if (colon != listen && !(colon == listen + 1 && listen[0] == '*'))
        *host_r = xstrndup(listen, (size_t)(colon - listen));
    *port_r = xstrdup(colon + 1);
    return ERR_OK;
}

/* The program's file name, without its directory. */
const char *master_service_program(const struct master_service *svc)
{
    const char *prog = svc->argv.count ? svc->argv.data[0] : "";
    const char *slash = strrchr(prog, '/');

    return slash ? slash + 1 : prog;
}

struct master_service *master_service_find(struct master_service *list,
                                           const char *name)
{
    for (; list; list = list->next)
        if (!strcmp(list->name, name))
            return list;
    return NULL;
}

int master_service_same_listen(const struct master_service *a,
                               const struct master_service *b)
{
    return !strcmp(a->listen, b->listen) && a->proto == b->proto;
}

int master_service_accepting(const struct master_service *svc)
{
    return svc->maxchild < 0 || svc->nchildren < svc->maxchild;
}

const char *master_service_refusal(const struct master_service *svc)
{
    static const struct {
        const char *program, *line;
    } lines[] = {
        { "imapd", "* BYE [UNAVAILABLE] Too many connections from your "
                   "address; try again later\r\n" },
        { "pop3d", "-ERR [SYS/TEMP] Too many connections from your "
                   "address; try again later\r\n" },
        { "lmtpd", "421 4.3.2 Too many connections from your address; try "
                   "again later\r\n" },
    };
    const char *prog = master_service_program(svc);

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (!strcmp(prog, lines[i].program))
            return lines[i].line;
    return NULL;
}

/* ---- listening ----------------------------------------------------------- */

static int bind_unix(struct master_service *svc)
{
    struct sockaddr_un sun;
    struct stat st;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", svc->listen);
    /* A socket left by a master that died: ours now (the pid file lock
     * says no other master of this instance runs). */
    if (lstat(svc->listen, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("service=<%s> listen=<%s>: exists and is not a socket",
                      svc->name, svc->listen);
            return ERR_IO;
        }
        unlink(svc->listen);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        log_error_errno("service=<%s> listen=<%s>: cannot bind", svc->name,
                        svc->listen);
        if (fd >= 0)
            close(fd);
        return ERR_IO;
    }
    /* Who may connect is decided by the directory's permissions. */
    if (chmod(svc->listen, 0777) < 0)
        log_warn("service=<%s> listen=<%s>: chmod failed: %s", svc->name,
                 svc->listen, strerror(errno));
    svc->fds[svc->nfds++] = fd;
    return ERR_OK;
}

static int bind_one(struct master_service *svc, const struct addrinfo *ai)
{
    char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
    int fd, on = 1;

    getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), port,
                sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
        log_info("service=<%s> address=<%s>: family not supported, skipped",
                 svc->name, host);
        return ERR_NOTSUPP;
    }
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        (ai->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        log_error_errno("service=<%s> listen=<%s> address=<%s> port=<%s>: "
                        "cannot bind", svc->name, svc->listen, host, port);
        if (fd >= 0)
            close(fd);
        return ERR_IO;
    }
    svc->fds[svc->nfds++] = fd;
    return ERR_OK;
}

static int bind_tcp(struct master_service *svc)
{
    struct addrinfo hints, *res = NULL, *ai;
    char *host = NULL, *port = NULL;
    int r = ERR_OK, gai;

    if (master_listen_split(svc->listen, &host, &port))
        return ERR_BADARG;          /* checked at parse time */
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    hints.ai_family = svc->proto == MASTER_PROTO_TCP4   ? AF_INET
                      : svc->proto == MASTER_PROTO_TCP6 ? AF_INET6
                                                        : AF_UNSPEC;
    gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        log_error("service=<%s> listen=<%s>: %s", svc->name, svc->listen,
                  gai_strerror(gai));
        r = ERR_IO;
    }
    for (ai = res; !r && ai; ai = ai->ai_next) {
        if (svc->nfds == MASTER_MAX_LISTENERS) {
            log_warn("service=<%s> listen=<%s>: only the first %d addresses "
                     "are used", svc->name, svc->listen,
                     MASTER_MAX_LISTENERS);
            break;
        }
        r = bind_one(svc, ai);
        if (r == ERR_NOTSUPP)
            r = ERR_OK;
    }
    if (!r && !svc->nfds) {
        log_error("service=<%s> listen=<%s>: no usable address", svc->name,
                  svc->listen);
        r = ERR_IO;
    }
    if (res)
        freeaddrinfo(res);
    free(host);
    free(port);
    return r;
}

int master_service_bind(struct master_service *svc)
{
    int r = svc->is_unix ? bind_unix(svc) : bind_tcp(svc);
    if (r) {
        master_service_close(svc);
        return ERR_IO;
    }
    return ERR_OK;
}

int master_service_activate(struct master_service *svc)
{
    for (size_t i = 0; i < svc->nfds; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";

        if (listen(svc->fds[i], SOMAXCONN) < 0) {
            log_error_errno("service=<%s> listen=<%s>: cannot listen",
                            svc->name, svc->listen);
            master_service_close(svc);
            return ERR_IO;
        }
        if (svc->is_unix ||
            getsockname(svc->fds[i], (struct sockaddr *)&ss, &len) < 0)
            continue;
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
                    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
        log_info("listening: service=<%s> address=<%s> port=<%s>", svc->name,
                 host, port);
    }
    return ERR_OK;
}

int master_service_listen(struct master_service *svc)
{
    int r = master_service_bind(svc);
    return r ? r : master_service_activate(svc);
}

void master_service_close(struct master_service *svc)
{
    for (size_t i = 0; i < svc->nfds; i++)
        close(svc->fds[i]);
    if (svc->is_unix && svc->nfds && unlink(svc->listen) < 0 &&
        errno != ENOENT)
        log_warn("service=<%s>: cannot remove socket=<%s>: %s", svc->name,
                 svc->listen, strerror(errno));
    svc->nfds = 0;
}

void master_service_free(struct master_service **svcp)
{
    struct master_service *svc = *svcp;
    if (!svc)
        return;
    master_service_close(svc);
    hash_free(&svc->clients, free);
    free(svc->name);
    free(svc->cmd);
    free(svc->listen);
    strarray_fini(&svc->argv);
    free(svc);
    *svcp = NULL;
}
