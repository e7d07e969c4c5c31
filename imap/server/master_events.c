/* master_events.c -- the tasks of the table: START entries run once
 * before the services listen, EVENTS run on a schedule, DAEMON entries
 * are kept running.
 *
 * Every task is a child of master started as a service's child is
 * (default signal dispositions, nothing blocked; standard input
 * /dev/null, output and errors master's; maxfds) but counted in no
 * service, and reaped with the others (master_child_reap() hands it
 * here).  Each start and exit is logged at info level ("event=<x>
 * started: pid=<n>", "event=<x> exited: pid=<n> status=<0>
 * seconds=<0.1>"), a failure at err.
 *
 * START: in file order, each waited for.  One that fails (non-zero exit,
 * killed) stops master, as it stops Cyrus's ("can't run startup"), so
 * nothing is served on top of a failed preparation.  Not run at reload.
 *
 * EVENTS, scheduled as Cyrus's master does: at=HHMM runs every day at
 * that local time (period= is then ignored; the first run is the next
 * HH:MM to come); period=N runs at once and then every N minutes,
 * counted from each start; neither (period=0): once.  A reload schedules
 * every event afresh, as at start.  An event still running when it is due
 * again is not started twice: logged at warning level, and the next run
 * is scheduled as if it had run.
 *
 * The event clock is the wall clock; for tests, CHAPAR_MASTER_MINUTE_MS=N
 * makes a minute N milliseconds long: the clock then starts at the wall
 * clock's time at master's start and runs 60000/N times as fast (at= is
 * compared with it too).
 *
 * DAEMON: started once the services listen; restarted when it exits,
 * after a pause of 1 s that doubles, up to 60 s, while it keeps exiting
 * within a minute of its start; stopped with the children at master's
 * stop.  A reload keeps a daemon whose command did not change; a changed
 * or removed one gets SIGTERM, and a changed one starts again once the
 * old one has exited.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/server/master.h"

#define MASTER_MINUTE_ENV "CHAPAR_MASTER_MINUTE_MS"
#define NEVER LLONG_MAX
#define DAEMON_BACKOFF_MIN 1000         /* ms */
#define DAEMON_BACKOFF_MAX 60000
#define DAEMON_STABLE 60000             /* ran this long: not failing */

/* ---- the event clock ----------------------------------------------------- */

static long long minute_ms = 60000;
static long long clock_wall0, clock_mono0;

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void clock_init(void)
{
    static int done;
    const char *env = getenv(MASTER_MINUTE_ENV);
    long long n;

    if (done)
        return;
    done = 1;
    if (env && !util_parse_long(env, 1, 60000, &n)) {
        minute_ms = n;
        log_warn("%s=<%lld>: the events' minutes last %lld ms (for tests)",
                 MASTER_MINUTE_ENV, n, n);
    }
    clock_wall0 = wall_ms();
    clock_mono0 = master_now_ms();
}

static long long event_now(void)
{
    if (minute_ms == 60000)
        return wall_ms();
    return clock_wall0 + (master_now_ms() - clock_mono0) * 60000 / minute_ms;
}

/* Real milliseconds until the event clock reaches due (rounded up). */
static long long real_until(long long due)
{
    long long left = due - event_now();

    if (left <= 0)
        return 0;
    return (left * minute_ms + 59999) / 60000;
}

/* The first HH:MM (at) local time after the time after (ms). */
static long long next_at(long long after, int at)
{
    time_t t = (time_t)(after / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    for (int day = 0; day < 3; day++) {
        struct tm when = tm;
        when.tm_mday += day;
        when.tm_hour = at / 100;
        when.tm_min = at % 100;
        when.tm_sec = 0;
        when.tm_isdst = -1;
        t = mktime(&when);
        if (t != (time_t)-1 && (long long)t * 1000 > after)
            return (long long)t * 1000;
    }
    return after + 86400000LL;          /* not reached */
}

/* ---- running a task ------------------------------------------------------ */

static const char *kind_key(const struct master_task *task)
{
    static const char *const keys[] = { "start", "event", "daemon" };
    return keys[task->kind];
}

static void __attribute__((noreturn)) task_exec(struct master_task *task)
{
    int null;

    master_signals_default();
    null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0) {
        log_error_errno("%s=<%s>: cannot open /dev/null", kind_key(task),
                        task->name);
        _exit(EX_OSERR);
    }
    if (null > 0)
        close(null);
    if (task->maxfds)
        master_limit_fds(task->maxfds);
    execv(task->argv.data[0], task->argv.data);
    log_error_errno("%s=<%s>: cannot execute program=<%s>", kind_key(task),
                    task->name, task->argv.data[0]);
    _exit(EX_OSERR);
}

static int task_spawn(struct master_task *task)
{
    pid_t pid;

    master_signals_block(SIG_BLOCK);
    pid = fork();
    if (pid == 0)
        task_exec(task);
    master_signals_block(SIG_UNBLOCK);
    if (pid < 0) {
        log_error_errno("%s=<%s>: fork failed", kind_key(task), task->name);
        return -1;
    }
    task->pid = pid;
    task->started = master_now_ms();
    log_info("%s=<%s> started: pid=<%ld>", kind_key(task), task->name,
             (long)pid);
    return 0;
}

/* Log the end of task; 1 if it failed. */
static int task_ended(const struct master_task *task, pid_t pid, int status,
                      int stopping)
{
    long long ms = master_now_ms() - task->started;
    char how[64];
    int failed = status != 0;

    master_wait_status(status, how, sizeof(how));
    if (failed && !(stopping && WIFSIGNALED(status)))
        log_error("%s=<%s> failed: pid=<%ld> %s seconds=<%lld.%03lld>",
                  kind_key(task), task->name, (long)pid, how, ms / 1000,
                  ms % 1000);
    else
        log_info("%s=<%s> exited: pid=<%ld> %s seconds=<%lld.%03lld>",
                 kind_key(task), task->name, (long)pid, how, ms / 1000,
                 ms % 1000);
    return failed;
}

void master_tasks_start(struct master *m, struct master_task **start)
{
    for (struct master_task *task = *start; task; task = task->next) {
        pid_t pid;
        int status;

        if (task_spawn(task))
            log_fatal("cannot run START entry %s (%s:%d)", task->name,
                      m->table_path, task->lineno);
        while ((pid = waitpid(task->pid, &status, 0)) < 0 && errno == EINTR)
            ;
        if (pid < 0)
            log_fatal("start=<%s>: waitpid failed: %s", task->name,
                      strerror(errno));
        if (task_ended(task, pid, status, 0))
            log_fatal("cannot run START entry %s (%s:%d): master stops, as "
                      "Cyrus's does", task->name, m->table_path,
                      task->lineno);
        task->pid = 0;
    }
    master_task_free_list(start);
}

/* ---- the lists ----------------------------------------------------------- */

/* Unlink the task called name from *list and return it, or NULL. */
static struct master_task *take_task(struct master_task **list,
                                     const char *name)
{
    for (; *list; list = &(*list)->next) {
        if (!strcmp((*list)->name, name)) {
            struct master_task *task = *list;
            *list = task->next;
            task->next = NULL;
            return task;
        }
    }
    return NULL;
}

/* A task leaving the table: kept (with sig sent, if any) until it exits. */
static void retire_task(struct master *m, struct master_task *task, int sig)
{
    if (!task->pid) {
        master_task_free(task);
        return;
    }
    if (sig) {
        log_notice("reload: %s=<%s> pid=<%ld> stopped", kind_key(task),
                   task->name, (long)task->pid);
        kill(task->pid, sig);
    }
    task->next = m->retired_tasks;
    m->retired_tasks = task;
}

static int same_command(const struct master_task *a,
                        const struct master_task *b)
{
    if (a->argv.count != b->argv.count || a->maxfds != b->maxfds)
        return 0;
    for (size_t i = 0; i < a->argv.count; i++)
        if (strcmp(a->argv.data[i], b->argv.data[i]))
            return 0;
    return 1;
}

void master_tasks_set(struct master *m, struct master_task *events,
                      struct master_task *daemons)
{
    struct master_task *task, *old;
    long long now;

    clock_init();
    now = event_now();
    for (task = events; task; task = task->next) {
        /* A run under way is the new entry's: not started twice. */
        if ((old = take_task(&m->events, task->name))) {
            task->pid = old->pid;
            task->started = old->started;
            old->pid = 0;
            master_task_free(old);
        }
        task->due = task->at >= 0 ? next_at(now - 1, task->at) : now;
    }
    while ((old = m->events)) {
        m->events = old->next;
        retire_task(m, old, 0);
    }
    m->events = events;
    for (task = daemons; task; task = task->next) {
        if (!(old = take_task(&m->daemons, task->name)))
            continue;
        if (same_command(old, task)) {
            task->pid = old->pid;
            task->started = old->started;
            task->restart_at = old->restart_at;
            task->backoff = old->backoff;
            old->pid = 0;
            master_task_free(old);
        } else {
            retire_task(m, old, SIGTERM);
        }
    }
    while ((old = m->daemons)) {
        m->daemons = old->next;
        retire_task(m, old, SIGTERM);
    }
    m->daemons = daemons;
}

static int retired_running(const struct master *m, const char *name)
{
    for (const struct master_task *t = m->retired_tasks; t; t = t->next)
        if (t->kind == MASTER_TASK_DAEMON && !strcmp(t->name, name))
            return 1;
    return 0;
}

static void wait_min(long long *wait, long long ms)
{
    if (*wait < 0 || ms < *wait)
        *wait = ms;
}

long long master_tasks_run(struct master *m)
{
    long long now = event_now(), mono = master_now_ms(), wait = -1;
    struct master_task *task;

    if (m->stopping)
        return -1;
    for (task = m->events; task; task = task->next) {
        if (task->due != NEVER && task->due <= now) {
            if (task->pid)
                log_warn("event=<%s> still running: pid=<%ld>: not started "
                         "again", task->name, (long)task->pid);
            else
                (void)task_spawn(task);
            task->due = task->at >= 0   ? next_at(now, task->at)
                        : task->period ? now + task->period * 60000LL
                                       : NEVER;
        }
        if (task->due != NEVER)
            wait_min(&wait, real_until(task->due));
    }
    for (task = m->daemons; task; task = task->next) {
        if (task->pid || retired_running(m, task->name))
            continue;
        if (mono >= task->restart_at && task_spawn(task))
            task->restart_at = mono + DAEMON_BACKOFF_MIN;
        if (!task->pid)
            wait_min(&wait, task->restart_at - mono);
    }
    return wait;
}

/* The task of pid in list, or NULL; *pp is its link. */
static struct master_task *find_pid(struct master_task **list, pid_t pid,
                                    struct master_task ***pp)
{
    for (; *list; list = &(*list)->next) {
        if ((*list)->pid == pid) {
            *pp = list;
            return *list;
        }
    }
    return NULL;
}

int master_task_reaped(struct master *m, pid_t pid, int status)
{
    struct master_task *task, **link;
    long long now = master_now_ms();

    if ((task = find_pid(&m->retired_tasks, pid, &link))) {
        task_ended(task, pid, status, 1);
        *link = task->next;
        master_task_free(task);
        return 1;
    }
    if (!(task = find_pid(&m->events, pid, &link)) &&
        !(task = find_pid(&m->daemons, pid, &link)))
        return 0;
    task_ended(task, pid, status, m->stopping);
    task->pid = 0;
    if (task->kind != MASTER_TASK_DAEMON || m->stopping)
        return 1;
    if (now - task->started >= DAEMON_STABLE || !task->backoff)
        task->backoff = DAEMON_BACKOFF_MIN;
    else if ((task->backoff *= 2) > DAEMON_BACKOFF_MAX)
        task->backoff = DAEMON_BACKOFF_MAX;
    task->restart_at = now + task->backoff;
    log_warn("daemon=<%s> restarts in %lld ms", task->name, task->backoff);
    return 1;
}

static void signal_list(struct master_task *list, int sig)
{
    for (; list; list = list->next)
        if (list->pid)
            kill(list->pid, sig);
}

void master_tasks_signal(struct master *m, int sig)
{
    signal_list(m->events, sig);
    signal_list(m->daemons, sig);
    signal_list(m->retired_tasks, sig);
}

static size_t count_list(const struct master_task *list)
{
    size_t n = 0;
    for (; list; list = list->next)
        n += list->pid != 0;
    return n;
}

size_t master_tasks_count(const struct master *m)
{
    return count_list(m->events) + count_list(m->daemons) +
           count_list(m->retired_tasks);
}

void master_tasks_free(struct master *m)
{
    master_task_free_list(&m->events);
    master_task_free_list(&m->daemons);
    master_task_free_list(&m->retired_tasks);
}
