/* master_table.c -- reading the service table, cyrus.conf(5).
 *
 * Two formats, mixed in one file even: ours, one service a line
 * ("name key=value ..."), and Cyrus's sections
 *
 *     START {     SERVICES {     EVENTS {     DAEMON {
 *     ...         ...            ...          ...
 *     }           }              }            }
 *
 * each opened by "NAME {" on a line of its own and closed by a line "}".
 * Lines outside any section are services.  Entries have the same syntax
 * everywhere; the keys allowed depend on the section.  The commands of
 * sections are Cyrus's and are translated (master_command.c); an entry
 * Chapar cannot run is left out with one warning line naming it
 * ("<file>:<line>: SERVICES nntp skipped: Chapar has no nntpd (...)").
 * A table is parsed whole before anything changes, so a bad line on a
 * reload leaves everything as it was; an error is "<file>:<line>:
 * <reason>" (an unclosed section: the line that opened it).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/server/master.h"

#define MASTER_NAME_MAX 32
#define MASTER_MAXCHILD_MAX 100000
#define MASTER_MAXUSES_DEFAULT 250      /* Cyrus imapd's -U default */
#define MASTER_MAXUSES_MAX 1000000
#define MASTER_MAXFDS_MAX 1048576
#define MASTER_PERIOD_MAX 525600        /* minutes: a year */
#define MASTER_MAX_PAIRS 16

enum section {
    SEC_FLAT = 0,                   /* outside any section: services */
    SEC_START,
    SEC_SERVICES,
    SEC_EVENTS,
    SEC_DAEMON
};

static const char *const section_names[] = {
    "service", "START", "SERVICES", "EVENTS", "DAEMON"
};

/* The keys each section allows, for the messages. */
static const char *const section_keys[] = {
    "cmd, listen, proto, prefork, maxchild, maxperclient, maxuses, maxfds, "
    "babysit, maxforkrate",
    "cmd",
    "cmd, listen, proto, prefork, maxchild, maxperclient, maxuses, maxfds, "
    "babysit, maxforkrate",
    "cmd, period, at",
    "cmd, maxfds, maxforkrate, wait",
};

struct table_parse {
    const char *file;
    int lineno;
    const struct strarray *progdirs;
    const char *conf_path;
    struct buf *error;
    enum section section;
    int section_line;               /* where it was opened */
    struct strarray notes;          /* warnings about the current entry */
};

struct pair {
    const char *key, *value;
};

static int table_error(struct table_parse *tp, const char *fmt, ...)
    CHAPAR_FORMAT(2, 3);

static int table_error(struct table_parse *tp, const char *fmt, ...)
{
    va_list ap;
    if (!tp->error)
        return ERR_BADARG;
    buf_reset(tp->error);
    buf_printf(tp->error, "%s:%d: ", tp->file, tp->lineno);
    va_start(ap, fmt);
    buf_vprintf(tp->error, fmt, ap);
    va_end(ap);
    return ERR_BADARG;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > MASTER_NAME_MAX || s[0] == '-' || s[0] == '_')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* ---- one entry ----------------------------------------------------------- */

/* key=value or key="value with spaces"; *pp moves past it. */
static int parse_pair(struct table_parse *tp, char **pp, struct pair *pair)
{
    char *p = *pp, *key = p, *value, *end;

    while (*p && *p != '=' && !is_space(*p))
        p++;
    if (*p != '=' || p == key)
        return table_error(tp, "expected key=value at <%.40s>", key);
    *p++ = '\0';
    if (*p == '"') {
        value = ++p;
        end = strchr(p, '"');
        if (!end)
            return table_error(tp, "%s: missing closing quote", key);
        *end = '\0';
        p = end + 1;
        if (*p && !is_space(*p))
            return table_error(tp, "%s: space expected after the quote", key);
    } else {
        value = p;
        while (*p && !is_space(*p) && *p != '"')
            p++;
        if (*p == '"')
            return table_error(tp, "%s: stray quote", key);
        if (*p)
            *p++ = '\0';
    }
    pair->key = key;
    pair->value = value;
    *pp = p;
    return ERR_OK;
}

static int parse_pairs(struct table_parse *tp, char *p, struct pair *pairs,
                       size_t *n)
{
    int r = ERR_OK;

    for (*n = 0; !r;) {
        while (is_space(*p))
            p++;
        if (!*p || *p == '#')           /* the end, or a comment */
            break;
        if (*n == MASTER_MAX_PAIRS)
            return table_error(tp, "more than %d options", MASTER_MAX_PAIRS);
        r = parse_pair(tp, &p, &pairs[(*n)++]);
    }
    return r;
}

static int number(struct table_parse *tp, const struct pair *pr,
                  long long min, long long max, const char *expected,
                  long long *n)
{
    if (util_parse_long(pr->value, min, max, n))
        return table_error(tp, "%s=<%s>: expected %s", pr->key, pr->value,
                           expected);
    return ERR_OK;
}

/* Cyrus's switches: 1/0, yes/no, true/false, on/off (and t/f, y/n). */
static int switch_value(struct table_parse *tp, const struct pair *pr,
                        int *on)
{
    static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
    static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!strcasecmp(pr->value, yes[i]))
            return *on = 1, ERR_OK;
        if (!strcasecmp(pr->value, no[i]))
            return *on = 0, ERR_OK;
    }
    return table_error(tp, "%s=<%s>: expected yes or no", pr->key,
                       pr->value);
}

/* maxfds=, maxforkrate= (services and daemons). */
static int limit_option(struct table_parse *tp, const struct pair *pr,
                        long *maxfds)
{
    long long n;
    int r;

    if (!strcmp(pr->key, "maxfds")) {
        if (!(r = number(tp, pr, 1, MASTER_MAXFDS_MAX, "1..1048576", &n)))
            *maxfds = (long)n;
        return r;
    }
    if ((r = number(tp, pr, 0, MASTER_MAXCHILD_MAX, "0..100000", &n)))
        return r;
    if (n)
        strarray_appendm(&tp->notes, xasprintf(
            "maxforkrate=<%lld> ignored: master has no fork rate limit", n));
    return ERR_OK;
}

static int unknown_key(struct table_parse *tp, const struct pair *pr)
{
    return table_error(tp, "unknown option <%s> (expected %s)", pr->key,
                       section_keys[tp->section]);
}

static int service_option(struct table_parse *tp, struct master_service *svc,
                          const struct pair *pr, char **skip)
{
    const char *key = pr->key, *value = pr->value;
    long long n;
    int r = ERR_OK, on;

    if (!strcmp(key, "cmd")) {
        free(svc->cmd);
        svc->cmd = xstrdup(value);
    } else if (!strcmp(key, "listen")) {
        free(svc->listen);
        svc->listen = xstrdup(value);
    } else if (!strcmp(key, "maxchild") || !strcmp(key, "maxperclient")) {
        if (util_parse_long(value, -1, MASTER_MAXCHILD_MAX, &n) || n == 0)
            return table_error(tp, "%s=<%s>: expected -1 (no limit) or "
                               "1..%d", key, value, MASTER_MAXCHILD_MAX);
        if (!strcmp(key, "maxchild"))
            svc->maxchild = (int)n;
        else
            svc->maxperclient = (int)n;
    } else if (!strcmp(key, "proto")) {
        if (!strcmp(value, "tcp"))
            svc->proto = MASTER_PROTO_TCP;
        else if (!strcmp(value, "tcp4"))
            svc->proto = MASTER_PROTO_TCP4;
        else if (!strcmp(value, "tcp6"))
            svc->proto = MASTER_PROTO_TCP6;
        else if (!strcmp(value, "udp") || !strcmp(value, "udp4") ||
                 !strcmp(value, "udp6"))
            *skip = xasprintf("proto=<%s>: Chapar has no UDP services",
                              value);
        else
            return table_error(tp, "proto=<%s>: expected tcp, tcp4 or tcp6",
                               value);
    } else if (!strcmp(key, "prefork")) {
        if (util_parse_long(value, 0, MASTER_MAXCHILD_MAX, &n))
            return table_error(tp, "prefork=<%s>: expected 0 (a process "
                               "per connection) or 1..%d", value,
                               MASTER_MAXCHILD_MAX);
        svc->prefork = (int)n;
    } else if (!strcmp(key, "maxuses")) {
        if (!(r = number(tp, pr, 1, MASTER_MAXUSES_MAX, "1..1000000", &n)))
            svc->maxuses = (int)n;
    } else if (!strcmp(key, "babysit")) {
        /* master accepts for every service itself: none can be lost. */
        r = switch_value(tp, pr, &on);
    } else if (!strcmp(key, "maxfds") || !strcmp(key, "maxforkrate")) {
        r = limit_option(tp, pr, &svc->maxfds);
    } else {
        r = unknown_key(tp, pr);
    }
    return r;
}

static int task_option(struct table_parse *tp, struct master_task *task,
                       const struct pair *pr)
{
    const char *key = pr->key;
    long long n;
    int r = ERR_OK, on;

    if (!strcmp(key, "cmd")) {
        free(task->cmd);
        task->cmd = xstrdup(pr->value);
    } else if (tp->section == SEC_EVENTS && !strcmp(key, "period")) {
        if (!(r = number(tp, pr, 0, MASTER_PERIOD_MAX, "minutes, "
                         "0..525600", &n)))
            task->period = (int)n;
    } else if (tp->section == SEC_EVENTS && !strcmp(key, "at")) {
        size_t len = strlen(pr->value);
        if (!len || len > 4 || strspn(pr->value, "0123456789") != len ||
            atoi(pr->value) / 100 > 23 || atoi(pr->value) % 100 > 59)
            return table_error(tp, "at=<%s>: expected HHMM, a time of day "
                               "(0000..2359)", pr->value);
        task->at = atoi(pr->value);
    } else if (tp->section == SEC_DAEMON &&
               (!strcmp(key, "maxfds") || !strcmp(key, "maxforkrate"))) {
        r = limit_option(tp, pr, &task->maxfds);
    } else if (tp->section == SEC_DAEMON && !strcmp(key, "wait")) {
        if (!(r = switch_value(tp, pr, &on)) && on)
            strarray_append(&tp->notes, "wait=<yes> ignored: master starts "
                            "the daemon without waiting for it");
    } else {
        r = unknown_key(tp, pr);
    }
    return r;
}

static int check_listen(struct table_parse *tp, struct master_service *svc)
{
    char *host = NULL, *port = NULL;
    int r = ERR_OK;

    if (svc->listen[0] == '/') {
        struct sockaddr_un sun;
        svc->is_unix = 1;
        if (strlen(svc->listen) >= sizeof(sun.sun_path))
            r = table_error(tp, "listen=<%s>: socket path too long",
                            svc->listen);
        return r;
    }
    if (master_listen_split(svc->listen, &host, &port))
        r = table_error(tp, "listen=<%s>: expected [host:]port, "
                        "[ipv6-address]:port or /socket/path", svc->listen);
    else if (strspn(port, "0123456789") != strlen(port) &&
             !getservbyname(port, "tcp"))
        r = table_error(tp, "listen=<%s>: unknown port name <%s> (not in "
                        "/etc/services)", svc->listen, port);
    free(host);
    free(port);
    return r;
}

/* The command of an entry: *cmd filled, or an error. */
static int entry_command(struct table_parse *tp, const char *cmd,
                         struct master_cmd *out)
{
    static const enum master_cmd_where where[] = {
        MASTER_CMD_FLAT, MASTER_CMD_START, MASTER_CMD_SERVICES,
        MASTER_CMD_EVENTS, MASTER_CMD_DAEMON
    };
    struct buf why = BUF_INITIALIZER;
    int r = master_command(cmd, where[tp->section], tp->progdirs,
                           tp->conf_path, out, &why);

    if (r)
        table_error(tp, "cmd=<%s>: %s", cmd, buf_cstring(&why));
    for (size_t i = 0; !r && i < out->warnings.count; i++)
        strarray_append(&tp->notes, out->warnings.data[i]);
    buf_free(&why);
    return r;
}

/* An entry left out: one line, and nothing else about it. */
static void entry_skipped(struct table_parse *tp, const char *name,
                          const char *why, int quietly)
{
    if (quietly)
        log_info("%s:%d: %s %s skipped: %s", tp->file, tp->lineno,
                 section_names[tp->section], name, why);
    else
        log_warn("%s:%d: %s %s skipped: %s", tp->file, tp->lineno,
                 section_names[tp->section], name, why);
    strarray_fini(&tp->notes);
}

static void entry_notes(struct table_parse *tp, const char *name)
{
    for (size_t i = 0; i < tp->notes.count; i++)
        log_warn("%s:%d: %s %s: %s", tp->file, tp->lineno,
                 section_names[tp->section], name, tp->notes.data[i]);
    strarray_fini(&tp->notes);
}

/* A service; *svc_r NULL when it is skipped. */
static int service_entry(struct table_parse *tp, const char *name,
                         const struct pair *pairs, size_t n,
                         struct master_service **svc_r)
{
    struct master_service *svc = xzmalloc(sizeof(*svc));
    struct master_cmd cmd;
    char *skip = NULL;
    int r = ERR_OK;

    memset(&cmd, 0, sizeof(cmd));
    svc->name = xstrdup(name);
    svc->maxchild = -1;
    svc->maxperclient = -1;
    svc->maxuses = MASTER_MAXUSES_DEFAULT;
    svc->lineno = tp->lineno;
    for (size_t i = 0; i < n && !r; i++)
        r = service_option(tp, svc, &pairs[i], &skip);
    if (!r && (!svc->cmd || !svc->listen))
        r = table_error(tp, "service %s needs cmd= and listen=", svc->name);
    if (!r && !skip && !(r = entry_command(tp, svc->cmd, &cmd)) && cmd.skip)
        skip = xstrdup(cmd.skip);
    if (!r && skip) {
        entry_skipped(tp, name, skip, cmd.skip_quietly);
        master_service_free(&svc);
    }
    if (!r && svc && !(r = check_listen(tp, svc))) {
        svc->argv = cmd.argv;
        memset(&cmd.argv, 0, sizeof(cmd.argv));
        if (cmd.maxuses)
            svc->maxuses = cmd.maxuses;
        if (svc->prefork && strcmp(master_service_program(svc), "imapd")) {
            if (tp->section == SEC_FLAT)
                r = table_error(tp, "prefork=<%d>: only imapd serves as a "
                                "preforked worker; %s needs prefork=0",
                                svc->prefork, master_service_program(svc));
            else
                strarray_appendm(&tp->notes, xasprintf(
                    "prefork=<%d> ignored: only imapd is preforked; %s "
                    "runs a process per connection", svc->prefork,
                    master_service_program(svc)));
            svc->prefork = 0;
        }
    }
    if (r)
        master_service_free(&svc);
    else if (svc)
        entry_notes(tp, name);
    strarray_fini(&tp->notes);
    master_cmd_fini(&cmd);
    free(skip);
    *svc_r = svc;
    return r;
}

void master_task_free(struct master_task *task)
{
    free(task->name);
    free(task->cmd);
    strarray_fini(&task->argv);
    free(task);
}

void master_task_free_list(struct master_task **list)
{
    while (*list) {
        struct master_task *next = (*list)->next;
        master_task_free(*list);
        *list = next;
    }
}

/* A START, EVENTS or DAEMON entry; *task_r NULL when it is skipped. */
static int task_entry(struct table_parse *tp, const char *name,
                      const struct pair *pairs, size_t n,
                      struct master_task **task_r)
{
    struct master_task *task = xzmalloc(sizeof(*task));
    struct master_cmd cmd;
    int r = ERR_OK;

    memset(&cmd, 0, sizeof(cmd));
    task->name = xstrdup(name);
    task->kind = tp->section == SEC_START    ? MASTER_TASK_START
                 : tp->section == SEC_EVENTS ? MASTER_TASK_EVENT
                                             : MASTER_TASK_DAEMON;
    task->at = -1;
    task->lineno = tp->lineno;
    for (size_t i = 0; i < n && !r; i++)
        r = task_option(tp, task, &pairs[i]);
    if (!r && !task->cmd)
        r = table_error(tp, "%s %s needs cmd=", section_names[tp->section],
                        name);
    if (!r && !(r = entry_command(tp, task->cmd, &cmd)) && cmd.skip) {
        entry_skipped(tp, name, cmd.skip, cmd.skip_quietly);
        master_task_free(task);
        task = NULL;
    }
    if (!r && task) {
        task->argv = cmd.argv;
        memset(&cmd.argv, 0, sizeof(cmd.argv));
        entry_notes(tp, name);
    }
    if (r && task) {
        master_task_free(task);
        task = NULL;
    }
    strarray_fini(&tp->notes);
    master_cmd_fini(&cmd);
    *task_r = task;
    return r;
}

/* ---- the file ------------------------------------------------------------ */

static struct master_task *find_task(struct master_task *list,
                                     const char *name)
{
    for (; list; list = list->next)
        if (!strcmp(list->name, name))
            return list;
    return NULL;
}

static void append_task(struct master_task **list, struct master_task *task)
{
    while (*list)
        list = &(*list)->next;
    *list = task;
}

/* Add an entry to the table, its name unused in its namespace (services
 * and daemons share one, as in Cyrus). */
static int add_entry(struct table_parse *tp, struct master_table *t,
                     const char *name, const struct pair *pairs, size_t n)
{
    struct master_service *svc = NULL, **sp;
    struct master_task *task = NULL, **list;
    int r;

    if (tp->section == SEC_FLAT || tp->section == SEC_SERVICES) {
        if ((r = service_entry(tp, name, pairs, n, &svc)) || !svc)
            return r;
        if (master_service_find(t->services, name) ||
            find_task(t->daemons, name)) {
            master_service_free(&svc);
            return table_error(tp, "service %s is defined twice", name);
        }
        for (sp = &t->services; *sp; sp = &(*sp)->next)
            ;
        *sp = svc;
        return ERR_OK;
    }
    if ((r = task_entry(tp, name, pairs, n, &task)) || !task)
        return r;
    list = tp->section == SEC_START    ? &t->start
           : tp->section == SEC_EVENTS ? &t->events
                                       : &t->daemons;
    if (find_task(*list, name) ||
        (tp->section == SEC_DAEMON && master_service_find(t->services, name))) {
        master_task_free(task);
        return table_error(tp, "%s %s is defined twice",
                           section_names[tp->section], name);
    }
    append_task(list, task);
    return ERR_OK;
}

/* "NAME {" opens a section, "}" closes it. */
static int section_line(struct table_parse *tp, char *word, char *rest)
{
    static const enum section known[] = { SEC_START, SEC_SERVICES,
                                          SEC_EVENTS, SEC_DAEMON };

    while (is_space(*rest))
        rest++;
    if (*rest && *rest != '#')
        return table_error(tp, "nothing may follow <%s> on its line",
                           *word == '}' ? "}" : "{");
    if (*word == '}') {
        if (tp->section == SEC_FLAT)
            return table_error(tp, "} without a section to close");
        tp->section = SEC_FLAT;
        return ERR_OK;
    }
    if (tp->section != SEC_FLAT)
        return table_error(tp, "section %s opened inside section %s (line "
                           "%d): missing }", word,
                           section_names[tp->section], tp->section_line);
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (!strcasecmp(word, section_names[known[i]])) {
            tp->section = known[i];
            tp->section_line = tp->lineno;
            return ERR_OK;
        }
    }
    return table_error(tp, "unknown section <%.40s> (expected START, "
                       "SERVICES, EVENTS or DAEMON)", word);
}

static int parse_line(struct table_parse *tp, char *line,
                      struct master_table *t)
{
    struct pair pairs[MASTER_MAX_PAIRS];
    char *p = line, *word;
    size_t n;
    int r;

    while (is_space(*p))
        p++;
    if (!*p || *p == '#')
        return ERR_OK;
    if (*p == '}')
        return section_line(tp, p, p + 1);
    word = p;
    while (*p && !is_space(*p) && *p != '{')
        p++;
    if (*p == '{' || (is_space(*p) && p[strspn(p, " \t")] == '{')) {
        char *brace = strchr(p, '{');
        *p = '\0';
        return section_line(tp, word, brace + 1);
    }
    if (*p)
        *p++ = '\0';
    if (!valid_name(word))
        return table_error(tp, "invalid name <%.40s> (letters, digits, - "
                           "and _, at most %d)", word, MASTER_NAME_MAX);
    if ((r = parse_pairs(tp, p, pairs, &n)))
        return r;
    return add_entry(tp, t, word, pairs, n);
}

void master_table_free(struct master_table *t)
{
    while (t->services) {
        struct master_service *next = t->services->next;
        master_service_free(&t->services);
        t->services = next;
    }
    master_task_free_list(&t->start);
    master_task_free_list(&t->events);
    master_task_free_list(&t->daemons);
}

int master_table_load(const char *path, const struct strarray *progdirs,
                      const char *conf_path, struct master_table *table,
                      struct buf *error)
{
    struct table_parse tp;
    char *data = NULL, *line, *next;
    size_t len;
    int r = ERR_OK;

    memset(table, 0, sizeof(*table));
    memset(&tp, 0, sizeof(tp));
    tp.file = path;
    tp.progdirs = progdirs;
    tp.conf_path = conf_path;
    tp.error = error;
    if (util_read_file(path, &data, &len)) {
        if (error) {
            buf_reset(error);
            buf_printf(error, "%s: %s", path, strerror(errno));
        }
        return ERR_IO;
    }
    for (line = data; line && !r; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line && line[strlen(line) - 1] == '\r')
            line[strlen(line) - 1] = '\0';
        tp.lineno++;
        r = parse_line(&tp, line, table);
    }
    if (!r && tp.section != SEC_FLAT) {
        tp.lineno = tp.section_line;
        r = table_error(&tp, "section %s is not closed: missing }",
                        section_names[tp.section]);
    }
    free(data);
    strarray_fini(&tp.notes);
    if (r)
        master_table_free(table);
    return r;
}
