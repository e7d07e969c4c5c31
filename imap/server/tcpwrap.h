/* tcpwrap.h -- TCP wrappers (libwrap): the one glue file that knows it.
 *
 * master checks every accepted TCP connection, in the forked child before
 * the server program is executed (so a slow DNS lookup for a host name
 * pattern delays only that client, and libwrap's "spawn"/"twist" options
 * act on that child); a preforked worker (server_worker.h) checks each
 * connection it accepts before it says anything.  The daemon name is the
 * service's name from the service table: "imap: 192.0.2.0/24" in
 * hosts.allow.  The files are the imapd.conf options hosts_allow and hosts_deny (default /etc/hosts.allow,
 * /etc/hosts.deny); a missing file matches nothing, so with neither file
 * every client is allowed, as with tcpd.  UNIX-socket connections are not
 * checked.
 */
#ifndef CHAPAR_TCPWRAP_H
#define CHAPAR_TCPWRAP_H

/* 1 if the client on connected socket fd may use service, 0 if the rules
 * deny it.  Reads the configuration (hosts_allow, hosts_deny).  May block
 * on DNS; call it in the child, not in the daemon. */
int tcpwrap_allowed(const char *service, int fd);

#endif
