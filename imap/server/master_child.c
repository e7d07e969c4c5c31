/* master_child.c -- one child per connection: accept, fork, check, exec;
 * and reaping.
 *
 * The child gets the connection as fds 0 and 1 (stderr stays master's),
 * the default signal dispositions and an empty signal mask, then -- for a
 * TCP connection -- the libwrap check, and execs the service's program.
 * Signals are blocked across fork() so a signal meant for master never
 * runs master's handler in the child.  The parent keeps no descriptor of
 * the connection.  Children are tracked by pid in a hash table pointing at
 * their service, whose nchildren enforces maxchild.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/util.h"
#include "imap/server/master.h"
#include "imap/server/procinfo.h"
#include "imap/server/tcpwrap.h"

static void pid_key(pid_t pid, char *key, size_t size)
{
    snprintf(key, size, "%ld", (long)pid);
}

/* In the child: become the service's program on connection conn. */
static void __attribute__((noreturn))
child_exec(struct master_service *svc, int conn, const char *client)
{
    master_signals_default();
    if (dup2(conn, 0) < 0 || dup2(conn, 1) < 0) {
        log_error_errno("service=<%s>: dup2 failed", svc->name);
        _exit(EX_OSERR);
    }
    if (conn > 1)
        close(conn);
    /* libwrap decides before the server says anything. */
    if (!svc->is_unix && !tcpwrap_allowed(svc->name, 0)) {
        log_notice("denied: service=<%s> client=<%s>", svc->name, client);
        _exit(0);
    }
    execv(svc->argv.data[0], svc->argv.data);
    log_error_errno("service=<%s>: cannot execute program=<%s>", svc->name,
                    svc->argv.data[0]);
    _exit(EX_OSERR);
}

static void child_start(struct master *m, struct master_service *svc,
                        int conn, const char *client)
{
    char key[32];
    pid_t pid;

    master_signals_block(SIG_BLOCK);
    pid = fork();
    if (pid == 0)
        child_exec(svc, conn, client);
    master_signals_block(SIG_UNBLOCK);
    close(conn);
    if (pid < 0) {
        log_error_errno("service=<%s> client=<%s>: fork failed", svc->name,
                        client);
        return;
    }
    pid_key(pid, key, sizeof(key));
    hash_insert(m->children, key, svc);
    svc->nchildren++;
    log_debug("started: service=<%s> pid=<%ld> client=<%s>", svc->name,
              (long)pid, client);
    if (!master_service_accepting(svc) && !svc->at_limit) {
        svc->at_limit = 1;
        log_notice("service=<%s> reached maxchild=<%d>: new connections "
                   "wait until a child exits", svc->name, svc->maxchild);
    }
}

/* The peer's numeric address, for logs. */
static void peer_string(const struct sockaddr_storage *ss, socklen_t len,
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

void master_child_accept(struct master *m, struct master_service *svc,
                         int fd)
{
    while (master_service_accepting(svc)) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char client[NI_MAXHOST];
        int conn = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);

        if (conn < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            if (errno == ECONNABORTED || errno == EPROTO)
                continue;
            /* EMFILE and the like: the caller pauses accepting. */
            log_error_errno("service=<%s>: accept failed", svc->name);
            m->accept_failed = 1;
            return;
        }
        if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
            /* The servers buffer a whole response and write it at once,
             * so Nagle only holds back the tail of a response until the
             * client's delayed ACK (up to 40 ms per command). */
            int one = 1;
            (void)setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one,
                             sizeof(one));
        }
        (void)util_socket_keepalive(conn);
        peer_string(&ss, len, client, sizeof(client));
        child_start(m, svc, conn, client);
    }
}

/* Free a retired service once its last child is gone. */
static void release_retired(struct master *m, struct master_service *svc)
{
    struct master_service **pp;

    if (svc->nchildren)
        return;
    for (pp = &m->retired; *pp; pp = &(*pp)->next) {
        if (*pp == svc) {
            *pp = svc->next;
            log_info("service=<%s>: last child exited", svc->name);
            master_service_free(&svc);
            return;
        }
    }
}

static void child_exited(struct master *m, pid_t pid, int status)
{
    struct master_service *svc;
    char key[32];

    pid_key(pid, key, sizeof(key));
    svc = hash_delete(m->children, key);
    if (!svc)
        return;
    svc->nchildren--;
    /* A killed child could not remove its own proc file. */
    procinfo_remove(pid);
    if (WIFSIGNALED(status) && m->stopping &&
        (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL))
        log_debug("child stopped: service=<%s> pid=<%ld>", svc->name,
                  (long)pid);
    else if (WIFSIGNALED(status))
        log_error("child killed: service=<%s> pid=<%ld> signal=<%d> (%s)",
                  svc->name, (long)pid, WTERMSIG(status),
                  strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status) && WEXITSTATUS(status))
        log_warn("child failed: service=<%s> pid=<%ld> status=<%d>",
                 svc->name, (long)pid, WEXITSTATUS(status));
    if (svc->at_limit && master_service_accepting(svc)) {
        svc->at_limit = 0;
        log_info("service=<%s> below maxchild=<%d> again", svc->name,
                 svc->maxchild);
    }
    release_retired(m, svc);
}

void master_child_reap(struct master *m)
{
    int status, killed = 0;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        child_exited(m, pid, status);
        killed |= WIFSIGNALED(status);
    }
    /* A server killed by a signal may have died inside the database
     * environment: recover now rather than at the next tick. */
    if (killed && m->dbenv)
        (void)db_env_check(m->dbenv);
}

static void signal_one(const char *key, void *value, void *rock)
{
    int sig = *(const int *)rock;
    (void)value;
    kill((pid_t)strtol(key, NULL, 10), sig);
}

void master_child_signal_all(struct master *m, int sig)
{
    hash_foreach(m->children, signal_one, &sig);
}

size_t master_child_count(const struct master *m)
{
    return hash_count(m->children);
}
