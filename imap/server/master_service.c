/* master_service.c -- the service table (cyrus.conf(5)) and the listeners.
 *
 * A table is parsed whole before anything changes, so a bad line on a
 * reload leaves the running services alone.  Each listen= address becomes
 * one or more non-blocking, close-on-exec listening sockets; IPv6 sockets
 * are IPV6_V6ONLY so "143" can listen on 0.0.0.0 and :: side by side.
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
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/server/master.h"

#define MASTER_NAME_MAX 32
#define MASTER_MAXCHILD_MAX 100000
#define MASTER_MAXUSES_DEFAULT 250      /* Cyrus imapd's -U default */
#define MASTER_MAXUSES_MAX 1000000

/* ---- parsing ------------------------------------------------------------- */

struct table_parse {
    const char *file;
    int lineno;
    const struct strarray *progdirs;
    const char *conf_path;
    struct buf *error;
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

/* Split a TCP listen= value into host (NULL: every address) and port. */
static int listen_split(const char *listen, char **host_r, char **port_r)
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
    if (listen_split(svc->listen, &host, &port))
        r = table_error(tp, "listen=<%s>: expected [host:]port, "
                        "[ipv6-address]:port or /socket/path", svc->listen);
    free(host);
    free(port);
    return r;
}

/* The program: absolute, or the first executable one of the progdirs. */
static char *find_program(struct table_parse *tp, const char *word)
{
    if (word[0] == '/')
        return xstrdup(word);
    for (size_t i = 0; i < tp->progdirs->count; i++) {
        char *prog = strconcat(tp->progdirs->data[i], "/", word, (char *)NULL);
        if (access(prog, X_OK) == 0 || i + 1 == tp->progdirs->count)
            return prog;
        free(prog);
    }
    return xstrdup(word);
}

/* argv: the program found by find_program(), then -C conf, then the
 * rest of cmd. */
static int build_argv(struct table_parse *tp, struct master_service *svc)
{
    struct strarray *words = strarray_split(svc->cmd, " \t");
    char *prog;
    int r = ERR_OK;

    if (!words->count) {
        strarray_free(&words);
        return table_error(tp, "cmd is empty");
    }
    prog = find_program(tp, words->data[0]);
    if (access(prog, X_OK) < 0)
        r = table_error(tp, "cmd=<%s>: program=<%s> is not executable: %s",
                        svc->cmd, prog, strerror(errno));
    strarray_appendm(&svc->argv, prog);
    if (tp->conf_path) {
        strarray_append(&svc->argv, "-C");
        strarray_append(&svc->argv, tp->conf_path);
    }
    for (size_t i = 1; i < words->count; i++)
        strarray_append(&svc->argv, words->data[i]);
    strarray_free(&words);
    return r;
}

static int set_option(struct table_parse *tp, struct master_service *svc,
                      const char *key, const char *value)
{
    long long n;

    if (!strcmp(key, "cmd")) {
        free(svc->cmd);
        svc->cmd = xstrdup(value);
    } else if (!strcmp(key, "listen")) {
        free(svc->listen);
        svc->listen = xstrdup(value);
    } else if (!strcmp(key, "maxchild")) {
        if (util_parse_long(value, -1, MASTER_MAXCHILD_MAX, &n) || n == 0)
            return table_error(tp, "maxchild=<%s>: expected -1 (no limit) "
                               "or 1..%d", value, MASTER_MAXCHILD_MAX);
        svc->maxchild = (int)n;
    } else if (!strcmp(key, "maxperclient")) {
        if (util_parse_long(value, -1, MASTER_MAXCHILD_MAX, &n) || n == 0)
            return table_error(tp, "maxperclient=<%s>: expected -1 (no "
                               "limit) or 1..%d", value, MASTER_MAXCHILD_MAX);
        svc->maxperclient = (int)n;
    } else if (!strcmp(key, "proto")) {
        if (!strcmp(value, "tcp"))
            svc->proto = MASTER_PROTO_TCP;
        else if (!strcmp(value, "tcp4"))
            svc->proto = MASTER_PROTO_TCP4;
        else if (!strcmp(value, "tcp6"))
            svc->proto = MASTER_PROTO_TCP6;
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
        if (util_parse_long(value, 1, MASTER_MAXUSES_MAX, &n))
            return table_error(tp, "maxuses=<%s>: expected 1..%d", value,
                               MASTER_MAXUSES_MAX);
        svc->maxuses = (int)n;
    } else {
        return table_error(tp, "unknown option <%s> (expected cmd, listen, "
                           "maxchild, maxperclient, proto, prefork, "
                           "maxuses)", key);
    }
    return ERR_OK;
}

/* The program's file name, without its directory. */
static const char *program_name(const struct master_service *svc)
{
    const char *prog = svc->argv.count ? svc->argv.data[0] : "";
    const char *slash = strrchr(prog, '/');

    return slash ? slash + 1 : prog;
}

/* key=value or key="value with spaces"; *pp moves past it. */
static int parse_pair(struct table_parse *tp, struct master_service *svc,
                      char **pp)
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
    *pp = p;
    return set_option(tp, svc, key, value);
}

/* One non-comment line; *svc_r is NULL for a blank line. */
static int parse_line(struct table_parse *tp, char *line,
                      struct master_service **svc_r)
{
    struct master_service *svc;
    char *p = line, *name;
    int r = ERR_OK;

    *svc_r = NULL;
    while (is_space(*p))
        p++;
    if (!*p || *p == '#')
        return ERR_OK;
    name = p;
    while (*p && !is_space(*p))
        p++;
    if (*p)
        *p++ = '\0';
    if (!valid_name(name))
        return table_error(tp, "invalid service name <%.40s> (letters, "
                           "digits, - and _, at most %d)", name,
                           MASTER_NAME_MAX);
    svc = xzmalloc(sizeof(*svc));
    svc->name = xstrdup(name);
    svc->maxchild = -1;
    svc->maxperclient = -1;
    svc->maxuses = MASTER_MAXUSES_DEFAULT;
    svc->lineno = tp->lineno;
    for (;;) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        if ((r = parse_pair(tp, svc, &p)))
            goto done;
    }
    if (!svc->cmd || !svc->listen) {
        r = table_error(tp, "service %s needs cmd= and listen=", svc->name);
        goto done;
    }
    if (!(r = check_listen(tp, svc)))
        r = build_argv(tp, svc);
    if (!r && svc->prefork && strcmp(program_name(svc), "imapd"))
        r = table_error(tp, "prefork=<%d>: only imapd serves as a preforked "
                        "worker; %s needs prefork=0", svc->prefork,
                        program_name(svc));
done:
    if (r)
        master_service_free(&svc);
    *svc_r = svc;
    return r;
}

static void free_list(struct master_service *list)
{
    while (list) {
        struct master_service *next = list->next;
        master_service_free(&list);
        list = next;
    }
}

int master_table_load(const char *path, const struct strarray *progdirs,
                      const char *conf_path, struct master_service **list_r,
                      struct buf *error)
{
    struct table_parse tp = { path, 0, progdirs, conf_path, error };
    struct master_service *list = NULL, **tail = &list, *svc;
    char *data = NULL, *line, *next;
    size_t len;
    int r = ERR_OK;

    *list_r = NULL;
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
        if ((r = parse_line(&tp, line, &svc)) || !svc)
            continue;
        if (master_service_find(list, svc->name)) {
            r = table_error(&tp, "service %s is defined twice", svc->name);
            master_service_free(&svc);
            continue;
        }
        *tail = svc;
        tail = &svc->next;
    }
    free(data);
    if (r)
        free_list(list);
    else
        *list_r = list;
    return r;
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
    const char *prog = program_name(svc);

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (!strcmp(prog, lines[i].program))
            return lines[i].line;
    return NULL;
}

/* ---- listening ----------------------------------------------------------- */

static int listen_unix(struct master_service *svc)
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
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(fd, SOMAXCONN) < 0) {
        log_error_errno("service=<%s> listen=<%s>: cannot listen", svc->name,
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

static int listen_one(struct master_service *svc, const struct addrinfo *ai)
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
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
        listen(fd, SOMAXCONN) < 0) {
        log_error_errno("service=<%s> listen=<%s> address=<%s> port=<%s>: "
                        "cannot listen", svc->name, svc->listen, host, port);
        if (fd >= 0)
            close(fd);
        return ERR_IO;
    }
    svc->fds[svc->nfds++] = fd;
    log_info("listening: service=<%s> address=<%s> port=<%s>", svc->name,
             host, port);
    return ERR_OK;
}

static int listen_tcp(struct master_service *svc)
{
    struct addrinfo hints, *res = NULL, *ai;
    char *host = NULL, *port = NULL;
    int r = ERR_OK, gai;

    if (listen_split(svc->listen, &host, &port))
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
        r = listen_one(svc, ai);
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

int master_service_listen(struct master_service *svc)
{
    int r = svc->is_unix ? listen_unix(svc) : listen_tcp(svc);
    if (r) {
        master_service_close(svc);
        return ERR_IO;
    }
    return ERR_OK;
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
