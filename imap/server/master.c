/* master.c -- the Chapar daemon: listens for every service of the service
 * table and runs one server process per accepted connection, and the
 * table's START, EVENTS and DAEMON commands.
 *
 *   master [-C imapd.conf] [-M cyrus.conf] [-D serverdir]... [-d] [-U]
 *
 * Start-up is a straight sequence, each step fatal on failure: read the
 * configuration and the service table, lock the pid file (one master per
 * instance), bind every listener (as root if started as root), daemonize
 * (-d), write the pid, drop privileges for good, join the database
 * environment, remove stale proc/ files, run the START entries, listen.
 * Then signals only set flags and wake poll() through a self-pipe; the loop
 * does the work: SIGCHLD reaps, SIGHUP reloads, SIGTERM and SIGINT stop,
 * and events and daemons start when they are due.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/hash.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/server/master.h"
#include "imap/server/procinfo.h"
#include "imap/server/server_common.h"

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t got_chld, got_hup, got_term;
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGCHLD)
        got_chld = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
    if (write(wake_pipe[1], "", 1) < 0) {
        /* the pipe is full: poll() will wake anyway */
    }
    errno = saved;
}

static const int handled_signals[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
#define NHANDLED (sizeof(handled_signals) / sizeof(handled_signals[0]))
/* The period of the database environment's upkeep (db_env_maintain). */
#define MASTER_TICK_MS 1000

void master_signals_block(int how)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < NHANDLED; i++)
        sigaddset(&set, handled_signals[i]);
    sigprocmask(how, &set, NULL);
}

void master_signals_default(void)
{
    sigset_t none;
    for (size_t i = 0; i < NHANDLED; i++)
        signal(handled_signals[i], SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void signals_init(void)
{
    struct sigaction sa;

    if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        log_fatal("cannot create pipe: %s", strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NHANDLED; i++) {
        /* No SA_RESTART: poll() must return to look at the flags. */
        sa.sa_flags = handled_signals[i] == SIGCHLD ? SA_NOCLDSTOP : 0;
        sigaction(handled_signals[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
}

static void drain_wake_pipe(void)
{
    char junk[64];
    while (read(wake_pipe[0], junk, sizeof(junk)) > 0)
        ;
}

/* ---- privileges ---------------------------------------------------------- */

/* Who the services run as: resolved before anything is bound, so a
 * missing user fails at once; applied by drop_privileges() after binding. */
struct identity {
    int change;                     /* started as root, without -U */
    uid_t uid;
    gid_t gid;
    gid_t *groups;                  /* supplementary (e.g. ssl-cert) */
    int ngroups;
    char *user, *group;
};

static void identity_resolve(struct identity *id, int stay)
{
    const char *user = conf_getstring(CONF_CYRUS_USER);
    const char *group = conf_getstring(CONF_CYRUS_GROUP);
    struct passwd *pw;
    struct group *gr;
    int n = 16;

    memset(id, 0, sizeof(*id));
    if (geteuid() != 0 || stay)
        return;
    if (!(pw = getpwnam(user)))
        log_fatal("cyrus_user=<%s> does not exist: create it (see "
                  "doc/install.md) or set cyrus_user in imapd.conf", user);
    if (!(gr = getgrnam(group)))
        log_fatal("cyrus_group=<%s> does not exist: create it or set "
                  "cyrus_group in imapd.conf", group);
    if (pw->pw_uid == 0 || gr->gr_gid == 0)
        log_fatal("cyrus_user=<%s> cyrus_group=<%s>: refusing to run the "
                  "services as root", user, group);
    id->change = 1;
    id->uid = pw->pw_uid;
    id->gid = gr->gr_gid;
    id->user = xstrdup(user);
    id->group = xstrdup(group);
    id->groups = xcalloc((size_t)n, sizeof(gid_t));
    while (getgrouplist(pw->pw_name, id->gid, id->groups, &n) < 0)
        id->groups = xreallocarray(id->groups, (size_t)n, sizeof(gid_t));
    id->ngroups = n;
    for (int i = 0; i < n; i++)
        if (id->groups[i] == 0)
            log_fatal("cyrus_user=<%s> is a member of group root: refusing",
                      user);
}

/* Become the service identity for good, verified: setgroups, setresgid,
 * setresuid, then check all three ids and that root cannot come back. */
static void drop_privileges(struct identity *id, int stay)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;

    if (!id->change) {
        if (stay && geteuid() == 0) {
            log_warn("-U: services run as root; for tests and development "
                     "only");
            /* The services inherit the decision (conf_refuse_root()). */
            if (setenv(CONF_ALLOW_ROOT_ENV, "1", 1) < 0)
                log_fatal("setenv %s: %s", CONF_ALLOW_ROOT_ENV,
                          strerror(errno));
        } else
            log_info("not started as root: running as uid=<%ld> gid=<%ld>",
                     (long)geteuid(), (long)getegid());
        return;
    }
    if (setgroups((size_t)id->ngroups, id->groups) < 0)
        log_fatal("setgroups for user=<%s> failed: %s", id->user,
                  strerror(errno));
    if (setresgid(id->gid, id->gid, id->gid) < 0)
        log_fatal("setresgid(%ld) failed: %s", (long)id->gid, strerror(errno));
    if (setresuid(id->uid, id->uid, id->uid) < 0)
        log_fatal("setresuid(%ld) failed: %s", (long)id->uid, strerror(errno));
    if (getresuid(&ruid, &euid, &suid) < 0 || ruid != id->uid ||
        euid != id->uid || suid != id->uid ||
        getresgid(&rgid, &egid, &sgid) < 0 || rgid != id->gid ||
        egid != id->gid || sgid != id->gid)
        log_fatal("privilege drop to user=<%s> did not take effect", id->user);
    if (setuid(0) == 0)
        log_fatal("privilege drop to user=<%s>: root could be regained",
                  id->user);
    log_notice("running as user=<%s> uid=<%ld> group=<%s> gid=<%ld>",
               id->user, (long)id->uid, id->group, (long)id->gid);
    free(id->groups);
    free(id->user);
    free(id->group);
    memset(id, 0, sizeof(*id));
}

/* ---- pid file and daemon ------------------------------------------------- */

/* Open and lock the pid file; a lock held elsewhere means another master
 * serves this instance.  The descriptor (and lock) is kept until exit. */
static int pidfile_lock(const char *path)
{
    char old[32] = "";
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644), r;

    if (fd < 0)
        log_fatal("cannot open pidfile=<%s>: %s", path, strerror(errno));
    r = lock_fd(fd, LOCK_EXCLUSIVE, LOCK_NOWAIT);
    if (r == ERR_LOCKED) {
        ssize_t n = pread(fd, old, sizeof(old) - 1, 0);
        old[n > 0 ? n : 0] = '\0';
        old[strcspn(old, "\n")] = '\0';
        log_fatal("another master runs for this instance: pid=<%s> "
                  "pidfile=<%s>", old, path);
    }
    if (r)
        log_fatal("cannot lock pidfile=<%s>", path);
    return fd;
}

static void pidfile_write(int fd, const char *path)
{
    char line[32];
    int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());

    if (ftruncate(fd, 0) < 0 || retry_pwrite(fd, line, (size_t)n, 0) != n)
        log_fatal("cannot write pidfile=<%s>: %s", path, strerror(errno));
}

/* Fork; the parent waits until the daemon says it is ready (exit 0) or
 * fails (exit EX_TEMPFAIL; the daemon has logged why).  Returns, in the
 * daemon, the descriptor to report readiness on. */
static int daemonize(void)
{
    int ready[2];
    char c;
    pid_t pid;

    if (pipe2(ready, O_CLOEXEC) < 0)
        log_fatal("cannot create pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        log_fatal("fork failed: %s", strerror(errno));
    if (pid > 0) {
        close(ready[1]);
        _exit(read(ready[0], &c, 1) == 1 ? 0 : EX_TEMPFAIL);
    }
    close(ready[0]);
    setsid();
    return ready[1];
}

static void detach(int ready_fd)
{
    int null = open("/dev/null", O_RDWR);

    if (chdir("/") < 0 || null < 0)
        log_fatal("cannot detach: %s", strerror(errno));
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2)
        close(null);
    log_set_stderr(0);
    if (write(ready_fd, "1", 1) != 1)
        log_warn("cannot report readiness to the parent: %s",
                 strerror(errno));
    close(ready_fd);
}

/* ---- reload -------------------------------------------------------------- */

/* Unlink the service called name from *list and return it, or NULL. */
static struct master_service *take_service(struct master_service **list,
                                           const char *name)
{
    for (; *list; list = &(*list)->next) {
        if (!strcmp((*list)->name, name)) {
            struct master_service *svc = *list;
            *list = svc->next;
            svc->next = NULL;
            return svc;
        }
    }
    return NULL;
}

/* A kept service takes the new command and limits, keeps its sockets
 * (and its count of children per client address). */
static void update_service(struct master *m, struct master_service *old,
                           struct master_service *fresh)
{
    struct strarray argv = old->argv;
    char *cmd = old->cmd;

    old->argv = fresh->argv;
    old->cmd = fresh->cmd;
    fresh->argv = argv;
    fresh->cmd = cmd;
    old->maxchild = fresh->maxchild;
    old->maxperclient = fresh->maxperclient;
    old->prefork = fresh->prefork;
    old->maxuses = fresh->maxuses;
    old->maxfds = fresh->maxfds;
    old->spawn_after = 0;
    old->lineno = fresh->lineno;
    /* Workers hold the old configuration and command: fresh ones take
     * over as the old finish their sessions. */
    master_prefork_stop(m, old);
    if (old->at_limit && master_service_accepting(old))
        old->at_limit = 0;
}

static void retire_service(struct master *m, struct master_service *svc,
                           const char *why)
{
    master_service_close(svc);
    master_prefork_stop(m, svc);
    log_notice("reload: service=<%s> %s; children=<%d> finish", svc->name,
               why, svc->nchildren);
    if (svc->nchildren) {
        svc->next = m->retired;
        m->retired = svc;
    } else {
        master_service_free(&svc);
    }
}

static void reload(struct master *m)
{
    struct master_service *fresh, *svc, *old, *kept = NULL, **tail = &kept;
    struct buf err = BUF_INITIALIZER;
    struct master_table table;
    size_t n = 0;

    log_notice("reloading: table=<%s>", m->table_path);
    if (conf_load(conf_filename(), &err))
        log_error("reload: %s; keeping the previous configuration",
                  buf_cstring(&err));
    else
        server_common_sasl_export();
    if (master_table_load(m->table_path, &m->progdirs, m->conf_path, &table,
                          &err)) {
        log_error("reload: %s; keeping the previous services",
                  buf_cstring(&err));
        buf_free(&err);
        return;
    }
    buf_free(&err);
    /* START entries run at start only. */
    master_task_free_list(&table.start);
    master_tasks_set(m, table.events, table.daemons);
    fresh = table.services;
    /* First stop listening for what went away or moved, so a new service
     * may take over an address. */
    for (old = m->services; old; old = svc) {
        struct master_service *same = master_service_find(fresh, old->name);
        svc = old->next;
        if (!same || !master_service_same_listen(old, same)) {
            take_service(&m->services, old->name);
            retire_service(m, old, same ? "moved" : "removed");
        }
    }
    while ((svc = fresh)) {
        fresh = svc->next;
        svc->next = NULL;
        if ((old = take_service(&m->services, svc->name))) {
            update_service(m, old, svc);
            master_service_free(&svc);
            svc = old;
        } else if (master_service_listen(svc)) {
            log_error("reload: service=<%s> listen=<%s> not started",
                      svc->name, svc->listen);
            master_service_free(&svc);
            continue;
        } else {
            log_notice("reload: service=<%s> added listen=<%s>", svc->name,
                       svc->listen);
        }
        *tail = svc;
        tail = &svc->next;
        n++;
    }
    m->services = kept;
    log_notice("reloaded: services=<%zu>", n);
}

/* ---- the loop ------------------------------------------------------------ */

/* What one pollfd is: a listener of owner (worker 0) or the status
 * socket of worker pid (looked up after the reaping, which may free it). */
struct poll_owner {
    struct master_service *svc;
    pid_t worker;
};

struct pollset {
    struct pollfd *fds;
    struct poll_owner *owner;
    size_t n, alloc;
};

static void pollset_add(struct pollset *ps, int fd,
                        struct master_service *svc, pid_t worker)
{
    if (ps->n == ps->alloc) {
        ps->alloc = ps->alloc ? 2 * ps->alloc : 16;
        ps->fds = xreallocarray(ps->fds, ps->alloc, sizeof(*ps->fds));
        ps->owner = xreallocarray(ps->owner, ps->alloc, sizeof(*ps->owner));
    }
    ps->fds[ps->n].fd = fd;
    ps->fds[ps->n].events = POLLIN;
    ps->fds[ps->n].revents = 0;
    ps->owner[ps->n].svc = svc;
    ps->owner[ps->n++].worker = worker;
}

static void pollset_add_worker(const char *key, void *value, void *rock)
{
    struct master_child *child = value;

    (void)key;
    if (child->status_fd >= 0)
        pollset_add(rock, child->status_fd, NULL, child->pid);
}

/* The wake pipe, the workers' status sockets and the listeners of every
 * prefork=0 service below its limit (the others' connections wait in the
 * kernel's listen queue; a prefork service's workers accept them). */
static void pollset_build(struct pollset *ps, struct master *m)
{
    ps->n = 0;
    pollset_add(ps, wake_pipe[0], NULL, 0);
    hash_foreach(m->children, pollset_add_worker, ps);
    if (m->accept_failed)
        return;
    for (struct master_service *svc = m->services; svc; svc = svc->next)
        if (!svc->prefork && master_service_accepting(svc))
            for (size_t i = 0; i < svc->nfds; i++)
                pollset_add(ps, svc->fds[i], svc, 0);
}

/* Act on what poll() found. */
static void pollset_dispatch(struct pollset *ps, struct master *m)
{
    for (size_t i = 1; i < ps->n; i++) {
        struct master_child *child;
        char key[32];

        if (!ps->fds[i].revents)
            continue;
        if (!ps->owner[i].worker) {
            master_child_accept(m, ps->owner[i].svc, ps->fds[i].fd);
            continue;
        }
        snprintf(key, sizeof(key), "%ld", (long)ps->owner[i].worker);
        if ((child = hash_lookup(m->children, key)))
            master_prefork_status(m, child);
    }
}

static void run(struct master *m)
{
    struct pollset ps = { NULL, NULL, 0, 0 };
    long long next_tick = 0;

    while (!got_term) {
        long long timeout, tasks;
        if (got_chld) {
            got_chld = 0;
            master_child_reap(m);
        }
        if (got_hup) {
            got_hup = 0;
            reload(m);
        }
        master_prefork_fill(m);
        tasks = master_tasks_run(m);
        /* A tick a second: the database environment's upkeep (and, after
         * accept() ran out of descriptors, a pause). */
        if (master_now_ms() >= next_tick) {
            if (m->dbenv)
                (void)db_env_maintain(m->dbenv);
            next_tick = master_now_ms() + MASTER_TICK_MS;
        }
        timeout = m->accept_failed ? 1000 : next_tick - master_now_ms();
        if (tasks >= 0 && tasks < timeout)
            timeout = tasks;
        if (timeout < 0)
            timeout = 0;
        pollset_build(&ps, m);
        if (poll(ps.fds, ps.n, (int)timeout) < 0 && errno != EINTR)
            log_fatal("poll failed: %s", strerror(errno));
        m->accept_failed = 0;
        if (ps.fds[0].revents)
            drain_wake_pipe();
        /* A child that exited while connections came in frees its slot
         * (and its client address's) before they are counted. */
        if (got_chld) {
            got_chld = 0;
            master_child_reap(m);
        }
        pollset_dispatch(&ps, m);
    }
    free(ps.fds);
    free(ps.owner);
}

long long master_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reap until no child is left or the deadline passes. */
static void wait_children(struct master *m, long long deadline)
{
    struct pollfd pfd = { wake_pipe[0], POLLIN, 0 };

    master_child_reap(m);
    while (master_child_count(m) + master_tasks_count(m)) {
        long long left = deadline - master_now_ms();
        if (left <= 0)
            break;
        poll(&pfd, 1, (int)left);
        drain_wake_pipe();
        master_child_reap(m);
    }
}

static void stop(struct master *m)
{
    long long limit = conf_getint(CONF_MASTER_STOP_TIMEOUT);

    log_notice("stopping: children=<%zu>", master_child_count(m));
    m->stopping = 1;
    for (struct master_service *svc = m->services; svc; svc = svc->next)
        master_service_close(svc);
    master_child_signal_all(m, SIGTERM);
    master_tasks_signal(m, SIGTERM);
    wait_children(m, master_now_ms() + limit * 1000);
    if (master_child_count(m) + master_tasks_count(m)) {
        log_warn("stopping: children=<%zu> still running after %llds: "
                 "SIGKILL", master_child_count(m) + master_tasks_count(m),
                 limit);
        master_child_signal_all(m, SIGKILL);
        master_tasks_signal(m, SIGKILL);
        wait_children(m, master_now_ms() + 5000);
    }
    /* The servers are gone: a last checkpoint, so that the next start
     * replays nothing. */
    if (m->dbenv && db_env_checkpoint(m->dbenv))
        log_error("stopping: final checkpoint failed");
    db_env_close(&m->dbenv);
}

/* ---- main ---------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: master [-C imapd.conf] [-M cyrus.conf] "
                    "[-D serverdir]... [-d] [-U]\n");
    exit(EX_USAGE);
}

/* Children and reloads must find the files after chdir("/"). */
static char *absolute(const char *path, const char *what)
{
    char *abs = realpath(path, NULL);
    if (!abs) {
        fprintf(stderr, "master: %s %s: %s\n", what, path, strerror(errno));
        exit(EX_CONFIG);
    }
    return abs;
}

/* cyrus.conf beside the default imapd.conf (/etc/chapar/cyrus.conf). */
static char *default_table(void)
{
    const char *slash = strrchr(DEFAULT_CONFIG_FILE, '/');
    int dirlen = slash ? (int)(slash - DEFAULT_CONFIG_FILE) : 0;
    return xasprintf("%.*s/cyrus.conf", dirlen, DEFAULT_CONFIG_FILE);
}

/* TLS is checked once at start: a certificate that cannot be used is a
 * clear startup error for the administrator, not a failed handshake for
 * every client.  A service started with -s (implicit TLS, imaps/pop3s)
 * needs one. */
static void master_check_tls(const struct master *m)
{
    const char *cert = conf_getstring(CONF_TLS_SERVER_CERT);
    const char *key = conf_getstring(CONF_TLS_SERVER_KEY);
    const struct master_service *tls_svc = NULL;
    struct buf err = BUF_INITIALIZER;
    struct tls_ctx *ctx = NULL;

    for (const struct master_service *svc = m->services; svc && !tls_svc;
         svc = svc->next)
        if (strarray_find(&svc->argv, "-s") > 0)
            tls_svc = svc;
    if (!*cert || !*key) {
        if (tls_svc) {
            log_crit("service=<%s> uses implicit TLS (-s) but tls_server_cert "
                     "and tls_server_key are not both set", tls_svc->name);
            exit(EX_CONFIG);
        }
        return;
    }
    if (server_common_tls_new(&ctx, &err)) {
        log_crit("TLS: %s", buf_cstring(&err));
        exit(EX_CONFIG);
    }
    tls_ctx_free(&ctx);
    buf_free(&err);
}

/* The database environment is master's to keep (lib/db.h, CRASHES): join
 * it as the configured user, which runs recovery if a process died in it
 * (a crash, a power loss), keep it open for the timer, and tell the
 * servers to leave recovery and checkpoints to master. */
static void master_db_start(struct master *m)
{
    struct buf dir = BUF_INITIALIZER;

    buf_printf(&dir, "%s/db", conf_getstring(CONF_CONFIGDIRECTORY));
    if (db_env_open(buf_cstring(&dir), &m->dbenv))
        log_fatal("cannot open the database environment: dir=<%s>", dir.s);
    if (db_env_undersized(m->dbenv)) {
        log_notice("db: remaking the environment's regions for "
                   "berkeley_locks_max=<%lld>: dir=<%s>",
                   conf_getint(CONF_BERKELEY_LOCKS_MAX), dir.s);
        db_env_close(&m->dbenv);
        if (db_env_recover(buf_cstring(&dir)) ||
            db_env_open(buf_cstring(&dir), &m->dbenv))
            log_fatal("cannot open the database environment: dir=<%s>",
                      dir.s);
    }
    db_master_export();
    buf_free(&dir);
    /* Mailbox changes a crash interrupted are completed or rolled back
     * before any server starts (mboxlist.h, CRASHES AND INTENTS). */
    if (mboxlist_recover_intents())
        log_error("mailbox changes left unfinished: see above");
    /* And so are quota changes (imap/mailstore/quota.h, CRASHES). */
    if (mboxlist_quota_settle_all())
        log_error("quota changes left unsettled: see above");
    mboxlist_close();
}

static void start(struct master *m, int stay, int daemon)
{
    struct rlimit nocore = { 0, 0 };
    struct buf err = BUF_INITIALIZER;
    struct master_table table;
    struct identity id;
    int ready_fd = -1, removed;
    size_t n = 0;

    umask((mode_t)conf_getint(CONF_UMASK));
    /* SPEC: no core dumps by default, process memory holds passwords. */
    getrlimit(RLIMIT_CORE, &nocore);
    nocore.rlim_cur = 0;
    setrlimit(RLIMIT_CORE, &nocore);
    if (master_table_load(m->table_path, &m->progdirs, m->conf_path, &table,
                          &err)) {
        log_crit("%s", buf_cstring(&err));
        exit(EX_CONFIG);
    }
    buf_free(&err);
    m->services = table.services;
    master_check_tls(m);
    identity_resolve(&id, stay);
    m->pidfile = xstrdup(conf_getstring(CONF_MASTER_PIDFILE));
    m->pidfd = pidfile_lock(m->pidfile);
    signals_init();
    for (struct master_service *svc = m->services; svc; svc = svc->next, n++)
        if (master_service_bind(svc))
            log_fatal("cannot listen for service=<%s> listen=<%s>",
                      svc->name, svc->listen);
    if (daemon)
        ready_fd = daemonize();
    pidfile_write(m->pidfd, m->pidfile);
    drop_privileges(&id, stay);
    master_db_start(m);
    /* The servers' greetings then need no SASL plugin (server_common.h). */
    server_common_sasl_export();
    removed = procinfo_cleanup();
    if (removed)
        log_info("removed stale proc files=<%d>", removed);
    /* As the user, with the environment recovered, before any client. */
    master_tasks_start(m, &table.start);
    for (struct master_service *svc = m->services; svc; svc = svc->next)
        if (master_service_activate(svc))
            log_fatal("cannot listen for service=<%s> listen=<%s>",
                      svc->name, svc->listen);
    master_tasks_set(m, table.events, table.daemons);
    log_notice("started: services=<%zu> pid=<%ld>", n, (long)getpid());
    if (daemon)
        detach(ready_fd);
    else
        log_set_stderr(isatty(2));
}

int main(int argc, char **argv)
{
    struct master m;
    int opt, daemon = 0, stay = 0;

    memset(&m, 0, sizeof(m));
    while ((opt = getopt(argc, argv, "C:M:D:dU")) != -1) {
        switch (opt) {
        case 'C': m.conf_path = absolute(optarg, "configuration"); break;
        case 'M': m.table_path = absolute(optarg, "service table"); break;
        case 'D':
            strarray_appendm(&m.progdirs, absolute(optarg, "directory"));
            break;
        case 'd': daemon = 1; break;
        case 'U': stay = 1; break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    if (!m.table_path)
        m.table_path = default_table();
    if (!m.progdirs.count)
        strarray_append(&m.progdirs, SERVERDIR);
    log_init("master");
    log_set_stderr(1);
    conf_init(m.conf_path);
    /* The servers need not repeat conf_init()'s warnings. */
    setenv(CONF_WARNED_ENV, "1", 1);
    m.children = hash_new(256);
    start(&m, stay, daemon);

    run(&m);
    stop(&m);
    if (unlink(m.pidfile) < 0)
        log_warn("cannot remove pidfile=<%s>: %s", m.pidfile, strerror(errno));
    close(m.pidfd);
    log_notice("stopped");
    while (m.services) {
        struct master_service *next = m.services->next;
        master_service_free(&m.services);
        m.services = next;
    }
    while (m.retired) {
        struct master_service *next = m.retired->next;
        master_service_free(&m.retired);
        m.retired = next;
    }
    master_tasks_free(&m);
    hash_free(&m.children, free);
    free(m.conf_path);
    free(m.table_path);
    strarray_fini(&m.progdirs);
    free(m.pidfile);
    conf_reset();
    return 0;
}
