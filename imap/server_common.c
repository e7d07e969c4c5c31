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
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/sasl_glue.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "imap/server_common.h"

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

void server_common_start(const char *ident, const char *alt_config)
{
    log_init(ident);
    conf_init(alt_config);
    umask((mode_t)conf_getint(CONF_UMASK));
    signal(SIGPIPE, SIG_IGN);
}

void server_common_init(int argc, char **argv, const char *ident,
                        int *implicit_tls_r)
{
    const char *alt_config = NULL;
    int opt;

    if (implicit_tls_r)
        *implicit_tls_r = 0;
    while ((opt = getopt(argc, argv, implicit_tls_r ? "C:s" : "C:")) != -1) {
        if (opt == 'C')
            alt_config = optarg;
        else if (opt == 's' && implicit_tls_r)
            *implicit_tls_r = 1;
        else
            break;
    }
    if (opt != -1 || optind != argc) {
        fprintf(stderr, "usage: %s [-C imapd.conf]%s\n", ident,
                implicit_tls_r ? " [-s]" : "");
        exit(EX_USAGE);
    }
    server_common_start(ident, alt_config);
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
    return data;
}

int server_common_tls_configured(void)
{
    return *conf_getstring(CONF_TLS_SERVER_CERT) &&
           *conf_getstring(CONF_TLS_SERVER_KEY);
}

struct tls_ctx *server_common_tls_ctx(void)
{
    struct buf err = BUF_INITIALIZER;
    struct tls_ctx *ctx = NULL;
    const char *cert = conf_getstring(CONF_TLS_SERVER_CERT);
    const char *key = conf_getstring(CONF_TLS_SERVER_KEY);

    if (!*cert || !*key)
        return NULL;
    if (tls_server_ctx_new(cert, key, conf_getstring(CONF_TLS_CIPHERS),
                           conf_getstring(CONF_TLS_MIN_VERSION), &ctx, &err)) {
        log_error("TLS disabled: %s", buf_cstring(&err));
        ctx = NULL;
    }
    buf_free(&err);
    return ctx;
}

static const char *server_common_sasl_getopt(const char *option, void *rock)
{
    (void)rock;
    return conf_sasl_option(option);
}

int server_common_sasl_new(const char *service, struct sasl_glue **sess_r)
{
    unsigned flags = (conf_getswitch(CONF_ALLOWPLAINTEXT)
                          ? SASL_GLUE_PLAINTEXT : 0) |
                     (conf_getswitch(CONF_ALLOWANONYMOUSLOGIN)
                          ? SASL_GLUE_ANONYMOUS : 0);
    int r;

    *sess_r = NULL;
    r = sasl_glue_server_init("Chapar", server_common_sasl_getopt, NULL);
    if (!r)
        r = sasl_glue_server_new(service, conf_getstring(CONF_SERVERNAME),
                                 NULL, NULL, NULL, flags, sess_r);
    if (r) {
        log_error("SASL unavailable for %s: %s", service, error_string(r));
        *sess_r = NULL;
    }
    return r;
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
