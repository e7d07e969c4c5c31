/* master_child.c -- one child per connection (prefork=0): accept, fork,
 * check, exec; the per-client counts; and the reaping of every child
 * (master_prefork.c's workers too).
 *
 * The child gets the connection as fds 0 and 1 (stderr stays master's),
 * the default signal dispositions and an empty signal mask, then -- for a
 * TCP connection -- the libwrap check, and execs the service's program.
 * Signals are blocked across fork() so a signal meant for master never
 * runs master's handler in the child.  The parent keeps no descriptor of
 * the connection.  Children are tracked by pid in a hash table (struct
 * master_child: the service, whose nchildren enforces maxchild, and the
 * client's address), and per service by client address, which enforces
 * maxperclient: a connection over it gets the protocol's refusal line and
 * is closed without a fork.  One call accepts at most MASTER_ACCEPT_BATCH
 * connections, so a flood on one listener cannot keep master from the
 * others and from reaping.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/server/master.h"
#include "imap/server/procinfo.h"
#include "imap/server/server_worker.h"
#include "imap/server/tcpwrap.h"

#define MASTER_ACCEPT_BATCH 64

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
    if (svc->maxfds)
        master_limit_fds(svc->maxfds);
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

/* The count of client's connections to svc (made when missing), or NULL
 * when svc has no per-client limit or client is no TCP peer. */
static struct master_client *client_entry(struct master_service *svc,
                                          const char *client, int create)
{
    struct master_client *mc;

    if (svc->maxperclient < 0 || svc->is_unix)
        return NULL;
    if (!svc->clients) {
        if (!create)
            return NULL;
        svc->clients = hash_new(64);
    }
    mc = hash_lookup(svc->clients, client);
    if (!mc && create) {
        mc = xzmalloc(sizeof(*mc));
        hash_insert(svc->clients, client, mc);
    }
    return mc;
}

int master_client_over(struct master_service *svc, const char *client)
{
    struct master_client *mc = client_entry(svc, client, 0);

    if (!mc || mc->nchildren < svc->maxperclient)
        return 0;
    if (mc->refused++ % 1000 == 0)
        log_warn("refused: service=<%s> client=<%s>: maxperclient=<%d> "
                 "connections from this address (refused=<%lu>)", svc->name,
                 client, svc->maxperclient, mc->refused);
    return 1;
}

/* 1 if client is at svc's maxperclient: it is sent the refusal line and
 * closed. */
static int client_refused(struct master_service *svc, int conn,
                          const char *client)
{
    const char *line;

    if (!master_client_over(svc, client))
        return 0;
    /* The socket buffer takes one short line: this never blocks. */
    if ((line = master_service_refusal(svc)))
        (void)send(conn, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
    close(conn);
    return 1;
}

void master_client_add(struct master_child *child, const char *client)
{
    struct master_client *mc;

    snprintf(child->client, sizeof(child->client), "%.63s", client);
    if ((mc = client_entry(child->svc, child->client, 1))) {
        mc->nchildren++;
        child->counted = 1;
    }
}

void master_client_remove(struct master_child *child)
{
    struct master_service *svc = child->svc;
    struct master_client *mc;

    if (!child->counted || !svc->clients ||
        !(mc = hash_lookup(svc->clients, child->client)))
        return;
    child->counted = 0;
    if (--mc->nchildren > 0)
        return;
    if (mc->refused > 1)
        log_notice("service=<%s> client=<%s>: refused=<%lu> connections "
                   "over maxperclient=<%d>", svc->name, child->client,
                   mc->refused, svc->maxperclient);
    free(hash_delete(svc->clients, child->client));
}

void master_service_limit_reached(struct master_service *svc)
{
    if (master_service_accepting(svc) || svc->at_limit)
        return;
    svc->at_limit = 1;
    log_notice("service=<%s> reached maxchild=<%d>: new connections wait "
               "until a child exits", svc->name, svc->maxchild);
}

struct master_child *master_child_add(struct master *m,
                                      struct master_service *svc, pid_t pid,
                                      enum master_child_state state)
{
    struct master_child *child = xzmalloc(sizeof(*child));
    char key[32];

    child->svc = svc;
    child->pid = pid;
    child->state = state;
    child->status_fd = -1;
    pid_key(pid, key, sizeof(key));
    free(hash_insert(m->children, key, child));
    svc->nchildren++;
    /* A prefork service is at its limit only when no worker is idle
     * (master_prefork.c says so). */
    if (!svc->prefork)
        master_service_limit_reached(svc);
    return child;
}

static void child_start(struct master *m, struct master_service *svc,
                        int conn, const char *client)
{
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
    master_client_add(master_child_add(m, svc, pid, MASTER_CHILD_CONN),
                      client);
    log_debug("started: service=<%s> pid=<%ld> client=<%s>", svc->name,
              (long)pid, client);
}

void master_child_accept(struct master *m, struct master_service *svc,
                         int fd)
{
    for (int n = 0; n < MASTER_ACCEPT_BATCH && master_service_accepting(svc);
         n++) {
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
        server_socket_tune(conn, &ss);
        server_peer_address(&ss, len, client, sizeof(client));
        if (!client_refused(svc, conn, client))
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
    struct master_child *child;
    struct master_service *svc;
    char key[32];

    pid_key(pid, key, sizeof(key));
    child = hash_delete(m->children, key);
    if (!child) {
        if (!master_task_reaped(m, pid, status))
            log_warn("reaped an unknown child: pid=<%ld>", (long)pid);
        return;
    }
    svc = child->svc;
    master_client_remove(child);
    /* A worker that dies before it is ready would die again at once. */
    if (master_prefork_exited(child) && !m->stopping) {
        log_error("service=<%s> pid=<%ld>: worker exited before it was "
                  "ready; the next one starts in a second", svc->name,
                  (long)pid);
        svc->spawn_after = master_now_ms() + 1000;
    }
    free(child);
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

void master_limit_fds(long maxfds)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_max != RLIM_INFINITY && (rlim_t)maxfds > rl.rlim_max)
        log_warn("maxfds=<%ld> is over the hard limit: %llu used", maxfds,
                 (unsigned long long)rl.rlim_max);
    else
        rl.rlim_cur = (rlim_t)maxfds;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        log_warn("maxfds=<%ld>: setrlimit failed: %s", maxfds,
                 strerror(errno));
}

const char *master_wait_status(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "signal=<%d> (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "status=<%d>", WEXITSTATUS(status));
    return buf;
}
