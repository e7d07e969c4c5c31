/* server_worker.c -- a preforked server process: accept, report to master,
 * serve, repeat (see server_worker.h for the hand-over and the messages).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "lib/prot.h"
#include "imap/server/server_worker.h"
#include "imap/server/tcpwrap.h"

#define WORKER_MAX_LISTEN 8             /* MASTER_MAX_LISTENERS */

static struct {
    int active;
    char service[64];
    int nlisten;
    long maxuses;
    int ask;                            /* wait for master's verdict */
    long uses;
    int null_fd;
    int stop;                           /* "stop" came during a verdict */
} worker = { 0, "", 0, 0, 0, 0, -1, 0 };

static volatile sig_atomic_t worker_term;

static void worker_on_term(int sig)
{
    (void)sig;
    worker_term = 1;
}

int server_worker_init(void)
{
    const char *env = getenv(SERVER_WORKER_ENV);
    char service[64];
    int nlisten, ask, n = 0;
    long maxuses;

    if (!env)
        return 0;
    if (sscanf(env, "%63[A-Za-z0-9_-]:%d:%ld:%d%n", service, &nlisten,
               &maxuses, &ask, &n) != 4 || env[n] || nlisten < 1 ||
        nlisten > WORKER_MAX_LISTEN || maxuses < 1 || (ask != 0 && ask != 1)) {
        log_error("%s=<%s>: invalid (expected service:listeners:maxuses:ask)",
                  SERVER_WORKER_ENV, env);
        exit(EX_CONFIG);
    }
    worker.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (worker.null_fd < 0) {
        log_error_errno("worker: cannot open /dev/null");
        exit(EX_OSERR);
    }
    memcpy(worker.service, service, sizeof(service));
    worker.nlisten = nlisten;
    worker.maxuses = maxuses;
    worker.ask = ask;
    worker.active = 1;
    /* The status socket and listeners are no business of what the server
     * may run (none today; a notify program later). */
    for (int fd = SERVER_WORKER_STATUS_FD;
         fd < SERVER_WORKER_LISTEN_FD + nlisten; fd++)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    unsetenv(SERVER_WORKER_ENV);
    return 1;
}

static void worker_send(const char *msg)
{
    /* A full socket buffer means master is stuck: drop the message rather
     * than block (master learns our state at the next one or the exit). */
    if (send(SERVER_WORKER_STATUS_FD, msg, strlen(msg),
             MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
        log_debug("worker: status to master failed: %s", strerror(errno));
}

/* One message from master into msg: its length, 0 when master is gone. */
static ssize_t worker_recv(char *msg, size_t size, int flags)
{
    ssize_t n;

    do
        n = recv(SERVER_WORKER_STATUS_FD, msg, size - 1, flags);
    while (n < 0 && errno == EINTR && !worker_term);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -1;
    msg[n > 0 ? n : 0] = '\0';
    return n > 0 ? n : 0;
}

void server_socket_tune(int conn, const struct sockaddr_storage *ss)
{
    int one = 1;

    if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
        return;
    (void)setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void)util_socket_keepalive(conn);
}

void server_peer_address(const struct sockaddr_storage *ss, socklen_t len,
                         char *out, size_t size)
{
    if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
        snprintf(out, size, "[local]");
        return;
    }
    if (getnameinfo((const struct sockaddr *)ss, len, out, (socklen_t)size,
                    NULL, 0, NI_NUMERICHOST))
        snprintf(out, size, "unknown");
}

/* Close the connection on fds 0 and 1. */
static void worker_hangup(void)
{
    (void)dup2(worker.null_fd, 0);
    (void)dup2(worker.null_fd, 1);
}

/* master's verdict on the connection: 1 serve, 0 refused (the line was
 * sent and the connection closed), -1 master is gone. */
static int worker_verdict(void)
{
    char msg[SERVER_WORKER_MSG_MAX];

    if (!worker.ask)
        return 1;
    for (;;) {
        ssize_t n = worker_recv(msg, sizeof(msg), 0);
        if (n <= 0)
            return -1;
        if (!strcmp(msg, "stop")) {
            worker.stop = 1;
        } else if (msg[0] == '+') {
            return 1;
        } else if (msg[0] == '-') {
            /* The socket buffer takes one short line: this never blocks. */
            if (msg[1])
                (void)send(1, msg + 1, (size_t)n - 1,
                           MSG_DONTWAIT | MSG_NOSIGNAL);
            worker_hangup();
            return 0;
        }
    }
}

/* Take one waiting connection from listener fd onto fds 0 and 1: 1 when
 * it is to be served, 0 when there was none (or it was refused), -1 when
 * the worker must exit. */
static int worker_take(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char client[NI_MAXHOST], msg[SERVER_WORKER_MSG_MAX];
    int conn = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC), r;

    if (conn < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNABORTED || errno == EPROTO)
            return 0;
        log_error_errno("service=<%s>: accept failed", worker.service);
        return -1;
    }
    server_socket_tune(conn, &ss);
    server_peer_address(&ss, len, client, sizeof(client));
    if (dup2(conn, 0) < 0 || dup2(conn, 1) < 0) {
        log_error_errno("service=<%s>: dup2 failed", worker.service);
        close(conn);
        return -1;
    }
    close(conn);
    /* libwrap decides before the server says anything (as master's
     * prefork=0 child does before exec). */
    if ((ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
        !tcpwrap_allowed(worker.service, 0)) {
        log_notice("denied: service=<%s> client=<%s>", worker.service, client);
        worker_hangup();
        return 0;
    }
    snprintf(msg, sizeof(msg), "busy %.63s", client);
    worker_send(msg);
    r = worker_verdict();
    if (r <= 0) {
        if (r < 0)
            worker_hangup();
        worker_send("ready");
    }
    return r;
}

int server_worker_next(void)
{
    struct pollfd pfd[1 + WORKER_MAX_LISTEN];
    struct sigaction sa, session_sa;
    sigset_t block, wait_mask;
    int r = 0;

    if (!worker.active || worker.stop || worker.uses >= worker.maxuses ||
        prot_interrupted())
        return 0;
    /* SIGTERM ends the wait (only the wait: see server_worker.h). */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = worker_on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &session_sa);
    worker_send("ready");
    pfd[0].fd = SERVER_WORKER_STATUS_FD;
    for (int i = 0; i < worker.nlisten; i++)
        pfd[1 + i].fd = SERVER_WORKER_LISTEN_FD + i;
    while (!worker_term) {
        char msg[SERVER_WORKER_MSG_MAX];

        for (int i = 0; i <= worker.nlisten; i++)
            pfd[i].events = POLLIN, pfd[i].revents = 0;
        if (ppoll(pfd, (nfds_t)worker.nlisten + 1, NULL, &wait_mask) < 0) {
            if (errno == EINTR)
                continue;
            log_error_errno("worker: poll failed");
            break;
        }
        /* master first: a "stop" wins over a waiting connection. */
        if (pfd[0].revents) {
            ssize_t n = worker_recv(msg, sizeof(msg), MSG_DONTWAIT);
            if (n == 0 || !strcmp(msg, "stop"))
                break;
        }
        for (int i = 0; !r && i < worker.nlisten; i++)
            if (pfd[1 + i].revents)
                r = worker_take(pfd[1 + i].fd);
        /* A "stop" during the verdict ends the worker after this one. */
        if (r || worker.stop)
            break;
    }
    if (r < 0)
        r = 0;
    sigaction(SIGTERM, &session_sa, NULL);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    if (r)
        worker.uses++;
    return r;
}

void server_worker_done(void)
{
    worker_hangup();
}
