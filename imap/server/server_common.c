/* server_common.c -- the session-edge helpers imapd and pop3d share (see
 * server_common.h): peer name, msg/ files, TLS settings, SASL session.
 * They read imapd.conf and log; they never write to a client.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <unistd.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/sasl_glue.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "imap/mailstore/auth.h"
#include "imap/server/server_common.h"

void server_common_peer(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST] = "", ip[NI_MAXHOST] = "";

    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
        snprintf(out, outlen, "[local]");
        return;
    }
    getnameinfo((struct sockaddr *)&ss, len, ip, sizeof(ip), NULL, 0,
                NI_NUMERICHOST);
    if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0,
                    NI_NAMEREQD))
        snprintf(host, sizeof(host), "unknown");
    snprintf(out, outlen, "%.200s [%.45s]", host, ip);
}

static volatile sig_atomic_t server_stop;

static void server_on_term(int sig)
{
    (void)sig;
    server_stop = 1;
}

void server_common_start(const char *ident, const char *alt_config,
                         int allow_root)
{
    struct sigaction sa;

    log_init(ident);
    conf_init(alt_config);
    conf_refuse_root(ident, allow_root);
    util_socket_keepalive(0);
    umask((mode_t)conf_getint(CONF_UMASK));
    signal(SIGPIPE, SIG_IGN);
    /* No SA_RESTART: the wait for the client's next command ends. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = server_on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    prot_set_interrupt(&server_stop);
}

void server_common_init(int argc, char **argv, const char *ident,
                        int *implicit_tls_r)
{
    const char *alt_config = NULL;
    int opt, allow_root = 0;

    if (implicit_tls_r)
        *implicit_tls_r = 0;
    while ((opt = getopt(argc, argv, implicit_tls_r ? "C:Us" : "C:U")) != -1) {
        if (opt == 'C')
            alt_config = optarg;
        else if (opt == 'U')
            allow_root = 1;
        else if (opt == 's' && implicit_tls_r)
            *implicit_tls_r = 1;
        else
            break;
    }
    if (opt != -1 || optind != argc) {
        fprintf(stderr, "usage: %s [-C imapd.conf] [-U]%s\n", ident,
                implicit_tls_r ? " [-s]" : "");
        exit(EX_USAGE);
    }
    server_common_start(ident, alt_config, allow_root);
}

char *server_common_msg_file(const char *name)
{
    struct buf path = BUF_INITIALIZER;
    char *data = NULL, *nl;
    size_t len;

    buf_printf(&path, "%s/msg/%s", conf_getstring(CONF_CONFIGDIRECTORY), name);
    if (util_read_file(buf_cstring(&path), &data, &len)) {
        buf_free(&path);
        return NULL;
    }
    buf_free(&path);
    nl = strpbrk(data, "\r\n");
    if (nl)
        *nl = '\0';
    /* Leading '[' would read as a response code after "* BYE [ALERT] "
     * or "-ERR [SYS/TEMP] ": dropped, as Cyrus does. */
    len = strspn(data, "[");
    memmove(data, data + len, strlen(data + len) + 1);
    return data;
}

int server_common_tls_configured(void)
{
    return *conf_getstring(CONF_TLS_SERVER_CERT) &&
           *conf_getstring(CONF_TLS_SERVER_KEY);
}

int server_common_tls_new(struct tls_ctx **ctx_r, struct buf *error)
{
    const struct tls_server_settings set = {
        .ciphers = conf_getstring(CONF_TLS_CIPHERS),
        .versions = conf_getstring(CONF_TLS_VERSIONS),
        .prefer_server_ciphers = conf_getswitch(CONF_TLS_PREFER_SERVER_CIPHERS),
    };

    return tls_server_ctx_new(conf_getstring(CONF_TLS_SERVER_CERT),
                              conf_getstring(CONF_TLS_SERVER_KEY), &set,
                              ctx_r, error);
}

/* What a preforked worker set up once for all its sessions
 * (server_common_prepare()). */
static struct {
    int prepared;
    struct tls_ctx *tls;            /* NULL: TLS not configured or unusable */
    struct db_env *dbenv;
} server_process;

struct tls_ctx *server_common_tls_ctx(void)
{
    struct buf err = BUF_INITIALIZER;
    struct tls_ctx *ctx = NULL;

    if (server_process.prepared)
        return server_process.tls;
    if (!server_common_tls_configured())
        return NULL;
    if (server_common_tls_new(&ctx, &err)) {
        log_error("TLS disabled: %s", buf_cstring(&err));
        ctx = NULL;
    }
    buf_free(&err);
    return ctx;
}

void server_common_tls_ctx_free(struct tls_ctx **ctx)
{
    if (*ctx == server_process.tls)
        *ctx = NULL;
    else
        tls_ctx_free(ctx);
}

static const char *server_common_sasl_getopt(const char *option, void *rock)
{
    (void)rock;
    return conf_sasl_option(option);
}

static int server_common_sasl_failed_once;

static unsigned server_common_sasl_flags(void)
{
    return (conf_getswitch(CONF_ALLOWPLAINTEXT) ? SASL_GLUE_PLAINTEXT : 0) |
           (conf_getswitch(CONF_ALLOWANONYMOUSLOGIN) ? SASL_GLUE_ANONYMOUS
                                                     : 0);
}

/* SASL's canon_user: the one identity function (auth.h).  The ANONYMOUS
 * mechanism names its user "anonymous", which is no user id: it passes
 * only while anonymous logins are allowed. */
static int server_common_sasl_canon(const char *in, size_t inlen,
                                    struct buf *out, void *rock)
{
    (void)rock;
    if (inlen == strlen(AUTH_ANONYMOUS) &&
        !memcmp(in, AUTH_ANONYMOUS, inlen) &&
        conf_getswitch(CONF_ALLOWANONYMOUSLOGIN)) {
        buf_setcstr(out, AUTH_ANONYMOUS);
        return ERR_OK;
    }
    return auth_canonify_userid(in, inlen, out);
}

/* SASL's proxy policy: admins and proxyservers may act as another user. */
static int server_common_sasl_authorize(const char *authid,
                                        const char *authzid, void *rock)
{
    (void)rock;
    return auth_may_proxy(authid, authzid);
}

/* Start SASL (everything, or password checks only) and make a session. */
static int server_common_sasl_start(const char *service, int password_only,
                                    struct sasl_glue **sess_r)
{
    int r;

    *sess_r = NULL;
    sasl_glue_set_identity(server_common_sasl_canon,
                           server_common_sasl_authorize, NULL);
    r = password_only
            ? sasl_glue_server_init_checkpass("Chapar",
                                              server_common_sasl_getopt, NULL)
            : sasl_glue_server_init("Chapar", server_common_sasl_getopt,
                                    NULL);
    if (!r)
        r = sasl_glue_server_new(service, conf_getstring(CONF_SERVERNAME),
                                 NULL, NULL, NULL,
                                 server_common_sasl_flags(), sess_r);
    if (r) {
        log_error("SASL unavailable for %s: %s", service, error_string(r));
        server_common_sasl_failed_once = 1;
        *sess_r = NULL;
    }
    return r;
}

int server_common_sasl_new(const char *service, struct sasl_glue **sess_r)
{
    return server_common_sasl_start(service, 0, sess_r);
}

int server_common_sasl(const char *service, enum server_common_sasl_use use,
                       struct prot *p, struct sasl_glue **sess)
{
    struct tls_info info;
    int r;

    if (*sess && (use == SERVER_SASL_PASSWORD ||
                  sasl_glue_server_mechs_loaded()))
        return ERR_OK;
    /* A password-only SASL restarts with every plugin: no session may
     * outlive that. */
    sasl_glue_free(sess);
    r = server_common_sasl_start(service, use == SERVER_SASL_PASSWORD, sess);
    if (!r && p && !tls_session_info(p, &info))
        r = sasl_glue_set_tls(*sess, (unsigned)info.bits, NULL);
    if (r)
        sasl_glue_free(sess);
    return r;
}

int server_common_plaintext_allowed(int tls_on)
{
    return tls_on || conf_getswitch(CONF_ALLOWPLAINTEXT);
}

int server_common_sasl_failed(void)
{
    return server_common_sasl_failed_once;
}

static void server_common_sasl_envname(const char *service, struct buf *name)
{
    buf_reset(name);
    buf_printf(name, "CHAPAR_SASL_MECHS_%s", service);
}

/* master's list for service and this TLS state into *list_r (pointing
 * into the environment) and its length; 0 when there is none for this
 * configuration file. */
static int server_common_sasl_cached(const char *service, int tls_on,
                                     const char **list_r, size_t *len_r)
{
    struct buf name = BUF_INITIALIZER;
    const char *value, *with_tls, *conf = conf_filename();
    size_t conflen;

    server_common_sasl_envname(service, &name);
    value = getenv(buf_cstring(&name));
    buf_free(&name);
    /* "<conf>|<before>|<with TLS>"; a path may hold '|', a list never. */
    if (!value || !conf || !(with_tls = strrchr(value, '|')) ||
        with_tls == value)
        return 0;
    *list_r = with_tls;
    while (*list_r > value && (*list_r)[-1] != '|')
        (*list_r)--;
    if (*list_r == value)
        return 0;
    conflen = (size_t)(*list_r - 1 - value);
    if (strlen(conf) != conflen || strncmp(value, conf, conflen))
        return 0;
    if (tls_on) {
        *list_r = with_tls + 1;
        *len_r = strlen(*list_r);
    } else {
        *len_r = (size_t)(with_tls - *list_r);
    }
    return 1;
}

int server_common_sasl_mechlist(const char *service, const char *item_prefix,
                                struct prot *p, int tls_on,
                                struct sasl_glue **sess, struct buf *out)
{
    const char *list;
    size_t len;
    int r;

    buf_reset(out);
    if (!server_common_sasl_cached(service, tls_on, &list, &len)) {
        r = server_common_sasl(service, SERVER_SASL_MECHS, p, sess);
        return r ? r : sasl_glue_mechlist(*sess, item_prefix, out);
    }
    while (len) {
        size_t n;
        while (len && *list == ' ')
            list++, len--;
        for (n = 0; n < len && list[n] != ' '; n++)
            ;
        if (!n)
            break;
        if (out->len)
            buf_putc(out, ' ');
        buf_appendcstr(out, item_prefix);
        buf_appendmap(out, list, n);
        list += n;
        len -= n;
    }
    return ERR_OK;
}

/* One service's "<conf>|<before>|<with TLS>" into value. */
static int server_common_sasl_lists(const char *service, struct buf *value)
{
    struct sasl_glue *sess = NULL;
    struct buf list = BUF_INITIALIZER;
    int r = server_common_sasl_start(service, 0, &sess);

    buf_reset(value);
    buf_printf(value, "%s|", conf_filename() ? conf_filename() : "");
    if (!r)
        r = sasl_glue_mechlist(sess, "", &list);
    buf_appendbuf(value, &list);
    buf_putc(value, '|');
    /* Any TLS strength over 1 bit counts the same (SASL's external SSF). */
    if (!r)
        r = sasl_glue_set_tls(sess, 256, NULL);
    if (!r)
        r = sasl_glue_mechlist(sess, "", &list);
    buf_appendbuf(value, &list);
    sasl_glue_free(&sess);
    buf_free(&list);
    return r;
}

void server_common_sasl_export(void)
{
    static const char *const services[] = { "imap", "pop" };
    struct buf name = BUF_INITIALIZER, value = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        server_common_sasl_envname(services[i], &name);
        if (!server_common_sasl_lists(services[i], &value) &&
            !memchr(value.s, '\0', value.len))
            setenv(buf_cstring(&name), buf_cstring(&value), 1);
        else
            unsetenv(buf_cstring(&name));
    }
    /* master itself authenticates nobody: give the plugins back. */
    sasl_glue_done();
    server_common_sasl_failed_once = 0;
    buf_free(&name);
    buf_free(&value);
}

void server_common_sasl_release(struct sasl_glue **sess)
{
    sasl_glue_free(sess);
    if (!server_process.prepared)
        sasl_glue_done();
}

void server_common_prepare(void)
{
    struct buf dir = BUF_INITIALIZER;

    if (server_process.prepared)
        return;
    server_process.tls = server_common_tls_ctx();
    sasl_glue_set_identity(server_common_sasl_canon,
                           server_common_sasl_authorize, NULL);
    if (sasl_glue_server_init("Chapar", server_common_sasl_getopt, NULL)) {
        log_error("SASL unavailable: see above");
        server_common_sasl_failed_once = 1;
    }
    /* The mailboxes database's environment (mboxlist.c opens it there):
     * joined now and kept, so a session only opens its database. */
    buf_printf(&dir, "%s/db", conf_getstring(CONF_CONFIGDIRECTORY));
    if (db_env_open(buf_cstring(&dir), &server_process.dbenv))
        log_error("cannot join the database environment: dir=<%s>; each "
                  "session tries again", buf_cstring(&dir));
    buf_free(&dir);
    server_process.prepared = 1;
}

void server_common_finish(void)
{
    if (!server_process.prepared)
        return;
    tls_ctx_free(&server_process.tls);
    db_env_close(&server_process.dbenv);
    server_process.prepared = 0;
}

void server_common_tls_started(struct prot *p, struct sasl_glue *sess,
                               const char *clienthost)
{
    struct tls_info info;

    if (tls_session_info(p, &info))
        return;
    log_info("starttls: %s %s %s %d bits", clienthost, info.version,
             info.cipher, info.bits);
    if (sess)
        sasl_glue_set_tls(sess, (unsigned)info.bits, NULL);
}
