/* master_prefork.c -- the workers of a prefork=N service: master forks and
 * execs the service's program once per worker with the listeners and a
 * status socket (the hand-over of imap/server/server_worker.h), keeps N of
 * them idle within maxchild, counts maxperclient from their "busy"
 * reports (answering a worker that waits with "+" or "-<refusal line>"),
 * and tells them to stop on a reload.  Reaping is master_child.c's, as for
 * every child; a worker that dies before its first "ready" (a program that
 * cannot start) pauses the service's forks for a second.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/server/master.h"
#include "imap/server/server_worker.h"

/* Whether child counts towards its service's idle workers. */
static int counts_ready(const struct master_child *child)
{
    return !child->stopped && (child->state == MASTER_CHILD_STARTING ||
                               child->state == MASTER_CHILD_IDLE);
}

static void set_state(struct master_child *child,
                      enum master_child_state state, int stopped)
{
    int before = counts_ready(child);

    child->state = state;
    child->stopped = stopped;
    child->svc->nready += counts_ready(child) - before;
}

/* In the child: the hand-over, then the program. */
static void __attribute__((noreturn))
worker_exec(struct master_service *svc, int status, const char *env)
{
    int first = SERVER_WORKER_LISTEN_FD + (int)svc->nfds;
    int from[1 + MASTER_MAX_LISTENERS], null;

    master_signals_default();
    /* Above every target first, so no dup2 below overwrites a source. */
    from[0] = fcntl(status, F_DUPFD_CLOEXEC, first);
    for (size_t i = 0; i < svc->nfds; i++)
        from[1 + i] = fcntl(svc->fds[i], F_DUPFD_CLOEXEC, first);
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (size_t i = 0; i <= svc->nfds; i++)
        if (from[i] < 0 ||
            dup2(from[i], SERVER_WORKER_STATUS_FD + (int)i) < 0) {
            log_error_errno("service=<%s>: cannot hand the sockets over",
                            svc->name);
            _exit(EX_OSERR);
        }
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) {
        log_error_errno("service=<%s>: cannot open /dev/null", svc->name);
        _exit(EX_OSERR);
    }
    if (setenv(SERVER_WORKER_ENV, env, 1) < 0)
        _exit(EX_OSERR);
    if (svc->maxfds)
        master_limit_fds(svc->maxfds);
    execv(svc->argv.data[0], svc->argv.data);
    log_error_errno("service=<%s>: cannot execute program=<%s>", svc->name,
                    svc->argv.data[0]);
    _exit(EX_OSERR);
}

static int worker_start(struct master *m, struct master_service *svc)
{
    struct master_child *child;
    int sv[2], ask = svc->maxperclient >= 0 && !svc->is_unix;
    char env[128];
    pid_t pid;

    snprintf(env, sizeof(env), "%s:%zu:%d:%d", svc->name, svc->nfds,
             svc->maxuses, ask);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        log_error_errno("service=<%s>: socketpair failed", svc->name);
        return -1;
    }
    master_signals_block(SIG_BLOCK);
    pid = fork();
    if (pid == 0)
        worker_exec(svc, sv[1], env);
    master_signals_block(SIG_UNBLOCK);
    close(sv[1]);
    if (pid < 0) {
        log_error_errno("service=<%s>: fork failed", svc->name);
        close(sv[0]);
        return -1;
    }
    (void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
    child = master_child_add(m, svc, pid, MASTER_CHILD_STARTING);
    child->status_fd = sv[0];
    child->ask = ask;
    svc->nready++;
    log_debug("worker started: service=<%s> pid=<%ld>", svc->name,
              (long)pid);
    return 0;
}

void master_prefork_fill(struct master *m)
{
    long long now = master_now_ms();

    for (struct master_service *svc = m->services; svc; svc = svc->next) {
        if (svc->prefork <= 0 || !svc->nfds || now < svc->spawn_after)
            continue;
        while (svc->nready < svc->prefork && master_service_accepting(svc))
            if (worker_start(m, svc))
                break;
    }
}

static void worker_send(struct master_child *child, const char *msg)
{
    if (send(child->status_fd, msg, strlen(msg),
             MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        log_warn("service=<%s> pid=<%ld>: cannot tell the worker: %s",
                 child->svc->name, (long)child->pid, strerror(errno));
}

/* "busy <address>": count the connection, or refuse it. */
static void worker_busy(struct master_child *child, const char *client)
{
    struct master_service *svc = child->svc;
    const char *line;
    char *msg;

    master_client_remove(child);
    set_state(child, MASTER_CHILD_BUSY, child->stopped);
    if (child->ask && master_client_over(svc, client)) {
        line = master_service_refusal(svc);
        msg = strconcat("-", line ? line : "", (char *)NULL);
        worker_send(child, msg);
        free(msg);
        snprintf(child->client, sizeof(child->client), "%.63s", client);
        return;
    }
    master_client_add(child, client);
    if (child->ask)
        worker_send(child, "+");
    if (!svc->nready)
        master_service_limit_reached(svc);
    log_debug("worker busy: service=<%s> pid=<%ld> client=<%s>", svc->name,
              (long)child->pid, client);
}

void master_prefork_status(struct master *m, struct master_child *child)
{
    char msg[SERVER_WORKER_MSG_MAX + 1];

    (void)m;
    while (child->status_fd >= 0) {
        ssize_t n = recv(child->status_fd, msg, sizeof(msg) - 1,
                         MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            /* Exiting: SIGCHLD follows, and the reaping. */
            close(child->status_fd);
            child->status_fd = -1;
            return;
        }
        msg[n] = '\0';
        if (!strcmp(msg, "ready")) {
            master_client_remove(child);
            set_state(child, MASTER_CHILD_IDLE, child->stopped);
            if (child->svc->at_limit) {
                child->svc->at_limit = 0;
                log_info("service=<%s> has an idle worker again",
                         child->svc->name);
            }
        } else if (!strncmp(msg, "busy ", 5)) {
            worker_busy(child, msg + 5);
        } else {
            log_warn("service=<%s> pid=<%ld>: unknown worker status <%.40s>",
                     child->svc->name, (long)child->pid, msg);
        }
    }
}

struct stop_rock {
    struct master_service *svc;
};

static void stop_one(const char *key, void *value, void *rock)
{
    struct master_child *child = value;
    struct stop_rock *sr = rock;

    (void)key;
    if (child->svc != sr->svc || child->status_fd < 0 || child->stopped)
        return;
    worker_send(child, "stop");
    set_state(child, child->state, 1);
}

void master_prefork_stop(struct master *m, struct master_service *svc)
{
    struct stop_rock sr = { svc };

    hash_foreach(m->children, stop_one, &sr);
}

int master_prefork_exited(struct master_child *child)
{
    int early = child->state == MASTER_CHILD_STARTING;

    if (child->state == MASTER_CHILD_CONN)
        return 0;
    set_state(child, child->state, 1);
    if (child->status_fd >= 0)
        close(child->status_fd);
    child->status_fd = -1;
    return early;
}
