/* lmtpd.c -- the LMTP server: one process, one connection.
 *
 *   lmtpd [-C imapd.conf]
 *
 * The connection is on fds 0 and 1: master hands over an accepted UNIX
 * (lmtpsocket) or TCP socket, or inetd runs it.  The protocol is
 * lmtp.c's and the delivering delivery.c's, both shared with deliver -l;
 * this file only sets up the process and names the peer.
 */
#include "config.h"

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "imap/auth.h"
#include "imap/mboxlist.h"
#include "deliver/delivery.h"
#include "deliver/lmtp.h"

/* "name [ip]" of a TCP peer on fd 0, else "[local]" (a UNIX socket or a
 * pipe), for logs and the Received: line. */
static void lmtpd_peer(char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST] = "", ip[NI_MAXHOST] = "";

    if (getpeername(0, (struct sockaddr *)&ss, &len) < 0 ||
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

static void usage(void)
{
    fprintf(stderr, "usage: lmtpd [-C imapd.conf]\n");
    exit(EX_USAGE);
}

int main(int argc, char **argv)
{
    struct delivery_params params;
    struct delivery_agent *agent;
    struct auth_state *auth;
    struct lmtp_options opts;
    struct prot *p;
    const char *alt_config = NULL;
    char clienthost[300];
    int opt;

    while ((opt = getopt(argc, argv, "C:")) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    log_init("lmtpd");
    conf_init(alt_config);
    umask((mode_t)conf_getint(CONF_UMASK));
    signal(SIGPIPE, SIG_IGN);
    lmtpd_peer(clienthost, sizeof(clienthost));
    log_info("accepted connection: %s", clienthost);

    /* No AUTH: the MTA delivers as the anonymous sender (lmtp.h). */
    auth = auth_new(NULL, 0);
    memset(&params, 0, sizeof(params));
    params.auth = auth;
    params.dupelim = conf_getswitch(CONF_DUPLICATESUPPRESSION);
    agent = delivery_agent_new(&params);
    opts.servername = conf_getstring(CONF_SERVERNAME);
    opts.clienthost = clienthost;
    opts.timeout = 0;
    p = prot_new(0, 1);
    lmtp_serve(p, agent, &opts);
    prot_free(&p);
    delivery_agent_free(&agent);
    auth_free(&auth);
    mboxlist_close();
    conf_reset();
    return EX_OK;
}
