/* master.h -- what master's files share: the service table, the listeners,
 * the children and the tasks.  Not for other programs.
 *
 * The table (cyrus.conf(5)) is our flat format -- one service a line -- or
 * Cyrus's sections START, SERVICES, EVENTS and DAEMON, whose commands are
 * translated to Chapar's programs (master_command.c); master_table.c
 * reads it.  START, EVENTS and DAEMON entries are tasks (master_events.c):
 * commands run once before the services listen, on a schedule, or for as
 * long as master runs.
 *
 * A service is one entry of the service table: a name (also
 * the libwrap daemon name), a command line, a listen address, a child
 * limit and a limit per client address (maxperclient: a connection over it
 * is answered with the protocol's "too many connections" line, when master
 * knows the protocol from the program's name, and closed at once, without
 * a child, so one address cannot take every child while master goes on
 * accepting everyone else's).  master_service.c parses the table and opens the listeners;
 * master_child.c forks one child per accepted connection (prefork=0) and
 * reaps every child; master_prefork.c keeps a prefork=N service's workers,
 * server processes that accept on the listeners themselves and serve up to
 * maxuses connections each (imap/server/server_worker.h); master.c holds
 * main(), the privilege drop, the loop and the signals.  Tasks are children
 * of master too, reaped with the others but counted apart (not in
 * master->children, no service limit).
 *
 * Lifetimes: a service lives in master->services while it is in the table.
 * When a reload removes it (or changes its address) its listeners are
 * closed and it moves to master->retired until its last child is reaped,
 * since each child points at its service.  master is single-threaded.
 */
#ifndef CHAPAR_MASTER_H
#define CHAPAR_MASTER_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/strarray.h"

#define MASTER_MAX_LISTENERS 8      /* addresses one listen= may resolve to */

enum master_proto {
    MASTER_PROTO_TCP = 0,           /* IPv4 and IPv6 */
    MASTER_PROTO_TCP4,
    MASTER_PROTO_TCP6
};

struct master_service {
    char *name;                     /* [A-Za-z0-9][A-Za-z0-9_-]* */
    char *cmd;                      /* as written in the table */
    struct strarray argv;           /* argv[0] resolved; "-C conf" added */
    char *listen;                   /* as written */
    enum master_proto proto;
    int maxchild;                   /* -1: no limit */
    int maxperclient;               /* per client address; -1: no limit */
    int prefork;                    /* idle workers kept; 0: a child per
                                       connection, forked by master */
    int maxuses;                    /* connections a worker serves */
    long maxfds;                    /* RLIMIT_NOFILE of its children; 0:
                                       master's own */
    int nready;                     /* workers starting or idle, not told
                                       to stop */
    long long spawn_after;          /* ms: no new worker before (one died
                                       before it was ready) */
    struct hash *clients;           /* "<address>" -> struct master_client */
    int is_unix;                    /* listen is a UNIX socket path */
    int fds[MASTER_MAX_LISTENERS];  /* listening sockets */
    size_t nfds;
    int nchildren;                  /* live children */
    int at_limit;                   /* the limit was reached and logged */
    int lineno;                     /* in the table, for messages */
    struct master_service *next;
};

struct hash;

struct db_env;

/* The connections of one client address to one service (TCP only). */
struct master_client {
    int nchildren;
    unsigned long refused;          /* over maxperclient, this episode */
};

enum master_child_state {
    MASTER_CHILD_CONN = 0,          /* prefork=0: serves its one connection */
    MASTER_CHILD_STARTING,          /* a worker not yet "ready" */
    MASTER_CHILD_IDLE,              /* a worker waiting for a connection */
    MASTER_CHILD_BUSY               /* a worker serving client */
};

/* One live child (master->children; freed with master_child_free()). */
struct master_child {
    struct master_service *svc;
    pid_t pid;
    enum master_child_state state;
    int status_fd;                  /* a worker's status socket, or -1 */
    int stopped;                    /* a worker sent "stop" */
    int ask;                        /* a worker waits for a verdict */
    int counted;                    /* client is a key of svc->clients */
    char client[64];                /* the peer's numeric address */
};

enum master_task_kind {
    MASTER_TASK_START = 0,          /* run once at start, waited for */
    MASTER_TASK_EVENT,              /* run on a schedule */
    MASTER_TASK_DAEMON              /* kept running */
};

/* One START, EVENTS or DAEMON entry. */
struct master_task {
    char *name;
    enum master_task_kind kind;
    char *cmd;                      /* as written in the table */
    struct strarray argv;           /* translated; "-C conf" added */
    int lineno;
    int period;                     /* EVENT: minutes; 0 with at < 0: once */
    int at;                         /* EVENT: HHMM local time, daily; -1 */
    long maxfds;                    /* DAEMON: RLIMIT_NOFILE; 0: master's */
    /* while master runs (master_events.c) */
    pid_t pid;                      /* running, or 0 */
    long long due;                  /* EVENT: ms on the event clock */
    long long started;              /* ms, monotonic */
    long long restart_at;           /* DAEMON: ms, monotonic */
    long long backoff;              /* DAEMON: ms before the next restart */
    struct master_task *next;
};

/* What a table holds, each list in file order. */
struct master_table {
    struct master_service *services;
    struct master_task *start, *events, *daemons;
};

struct master {
    char *conf_path;                /* absolute, or NULL: the default */
    char *table_path;               /* absolute */
    struct strarray progdirs;       /* where relative cmd programs are */
    char *pidfile;                  /* as at start-up (a reload keeps it) */
    int pidfd;                      /* open and locked until exit */
    struct master_service *services;
    struct master_service *retired;
    struct master_task *events, *daemons;
    struct master_task *retired_tasks;  /* running, no longer in the table */
    struct hash *children;          /* "<pid>" -> struct master_child */
    int accept_failed;              /* accept() ran out of resources */
    struct db_env *dbenv;           /* kept: recovery and checkpoints */
    int stopping;                   /* SIGTERM: children are being stopped */
};

/* ---- master.c ------------------------------------------------------------ */

/* Block (SIG_BLOCK) or unblock (SIG_UNBLOCK) the signals master handles. */
void master_signals_block(int how);
/* In a new child: default dispositions, nothing blocked. */
void master_signals_default(void);
/* Milliseconds on the monotonic clock. */
long long master_now_ms(void);

/* ---- master_table.c ------------------------------------------------------ */

/* Parse the service table at path into *table (each list in file order).
 * A relative program is looked up in each of progdirs in order, and must
 * be executable; conf_path (may be NULL) is passed to each as -C.  Entries
 * of Cyrus's sections that Chapar cannot run are left out with one warning
 * line each.  On failure returns ERR_IO or ERR_BADARG, sets error to
 * "<file>:<line>: <reason>" and leaves *table empty. */
int master_table_load(const char *path, const struct strarray *progdirs,
                      const char *conf_path, struct master_table *table,
                      struct buf *error);
/* Free every list of table. */
void master_table_free(struct master_table *table);
/* Free one task (not its process), or a list of them (*list = NULL). */
void master_task_free(struct master_task *task);
void master_task_free_list(struct master_task **list);

/* ---- master_command.c ---------------------------------------------------- */

/* Where a command is written: our flat format, or a section of Cyrus's. */
enum master_cmd_where {
    MASTER_CMD_FLAT = 0,
    MASTER_CMD_SERVICES,
    MASTER_CMD_START,
    MASTER_CMD_EVENTS,
    MASTER_CMD_DAEMON
};

/* A cmd= made into what master executes. */
struct master_cmd {
    struct strarray argv;           /* program (path), -C conf, arguments */
    const char *program;            /* Chapar's name of it (in argv[0]) */
    int maxuses;                    /* Cyrus's -U n of a server, or 0 */
    char *skip;                     /* set: the entry is left out, why */
    int skip_quietly;               /* ... at info level: nothing is lost */
    struct strarray warnings;       /* what was dropped from the command */
};

/* Make cmd (as written at where) into out (zeroed by the caller).  In
 * Cyrus's sections, Cyrus's programs become Chapar's (cyrus.conf(5),
 * COMING FROM CYRUS): a program Chapar does not have sets out->skip.
 * ERR_BADARG with the reason in why (no file:line) for a bad command or
 * a program that is not executable. */
int master_command(const char *cmd, enum master_cmd_where where,
                   const struct strarray *progdirs, const char *conf_path,
                   struct master_cmd *out, struct buf *why);
void master_cmd_fini(struct master_cmd *c);

/* ---- master_service.c ---------------------------------------------------- */

/* Split a TCP listen= value into host (NULL: every address) and port
 * (both allocated); ERR_BADARG when it is malformed. */
int master_listen_split(const char *listen, char **host_r, char **port_r);
/* The file name of svc's program, without its directory. */
const char *master_service_program(const struct master_service *svc);
/* Find a service by name in a list, or NULL. */
struct master_service *master_service_find(struct master_service *list,
                                           const char *name);
/* Open svc's listening sockets (non-blocking, close-on-exec) and listen:
 * master_service_bind() then master_service_activate().  ERR_IO (logged,
 * nothing left open) when an address cannot be used. */
int master_service_listen(struct master_service *svc);
/* Bind svc's sockets without listening yet: a client is refused until
 * master_service_activate().  ERR_IO as master_service_listen(). */
int master_service_bind(struct master_service *svc);
int master_service_activate(struct master_service *svc);
/* Close the listening sockets (a UNIX socket's path is removed). */
void master_service_close(struct master_service *svc);
/* Close and free one service; *svcp = NULL. */
void master_service_free(struct master_service **svcp);
/* 1 if both would listen on the same addresses. */
int master_service_same_listen(const struct master_service *a,
                               const struct master_service *b);
/* 1 while svc may take another connection (below maxchild). */
int master_service_accepting(const struct master_service *svc);
/* 1 if svc has its maxperclient connections from client: the refusal is
 * logged (the first of a run, then every 1000th) and the caller refuses. */
int master_client_over(struct master_service *svc, const char *client);
/* Count client's connection to svc for child (maxperclient). */
void master_client_add(struct master_child *child, const char *client);
/* child's connection ended: uncount it. */
void master_client_remove(struct master_child *child);
/* The line (CRLF included) a client over svc's maxperclient is sent before
 * the close, chosen by the program's name: imapd "* BYE [UNAVAILABLE] ...",
 * pop3d "-ERR [SYS/TEMP] ...", lmtpd "421 4.3.2 ..."; NULL for another
 * program (the connection is just closed). */
const char *master_service_refusal(const struct master_service *svc);

/* ---- master_child.c ------------------------------------------------------ */

/* Accept the waiting connections of listening socket fd of svc (as many as
 * the child limit allows) and start one child for each. */
void master_child_accept(struct master *m, struct master_service *svc,
                         int fd);
/* svc's children are at maxchild: log it once (until one exits). */
void master_service_limit_reached(struct master_service *svc);
/* Track a new child (pid) of svc in m->children; svc->nchildren counts it. */
struct master_child *master_child_add(struct master *m,
                                      struct master_service *svc, pid_t pid,
                                      enum master_child_state state);
/* Reap every exited child; log those killed by a signal or failing. */
void master_child_reap(struct master *m);
/* Send sig to every child. */
void master_child_signal_all(struct master *m, int sig);
/* Number of live children. */
size_t master_child_count(const struct master *m);
/* In a new child: RLIMIT_NOFILE to maxfds (> 0; at most the hard limit,
 * with a warning). */
void master_limit_fds(long maxfds);
/* "status=<n>" or "signal=<n> (name)" for a wait status. */
const char *master_wait_status(int status, char *buf, size_t size);

/* ---- master_prefork.c ---------------------------------------------------- */

/* Start workers until each prefork service has prefork of them idle (or
 * starting), within maxchild. */
void master_prefork_fill(struct master *m);
/* Read what worker child said on its status socket. */
void master_prefork_status(struct master *m, struct master_child *child);
/* Tell svc's workers to exit before their next connection (a reload, a
 * retired service); fill then starts fresh ones. */
void master_prefork_stop(struct master *m, struct master_service *svc);
/* A worker exited: close its status socket; 1 if it never got ready. */
int master_prefork_exited(struct master_child *child);

/* ---- master_events.c ----------------------------------------------------- */

/* Run the START entries, in order, each waited for; one that fails stops
 * master (as Cyrus does).  The list is freed. */
void master_tasks_start(struct master *m, struct master_task **start);
/* Take over the EVENTS and DAEMON lists (start or reload: events are
 * scheduled afresh, daemons whose command did not change keep running). */
void master_tasks_set(struct master *m, struct master_task *events,
                      struct master_task *daemons);
/* Start the events that are due and the daemons to (re)start; returns
 * the milliseconds until the next is due, or -1 for none. */
long long master_tasks_run(struct master *m);
/* pid exited with status: 1 if it was a task (logged, accounted). */
int master_task_reaped(struct master *m, pid_t pid, int status);
/* Send sig to every running task. */
void master_tasks_signal(struct master *m, int sig);
/* Number of running tasks. */
size_t master_tasks_count(const struct master *m);
/* Free every task list of m. */
void master_tasks_free(struct master *m);

#endif
