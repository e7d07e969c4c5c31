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
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/server/server_common.h"
#include "deliver/delivery.h"
#include "deliver/lmtp.h"

int main(int argc, char **argv)
{
    struct delivery_params params;
    struct delivery_agent *agent;
    struct auth_state *auth;
    struct lmtp_options opts;
    struct prot *p;
    char clienthost[300];

    server_common_init(argc, argv, "lmtpd", NULL);
    server_common_peer(0, clienthost, sizeof(clienthost));
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
