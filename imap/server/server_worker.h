/* server_worker.h -- a preforked server process (cyrus.conf prefork=N):
 * the server accepts its connections itself, one after another, on the
 * listening sockets master handed it, and serves up to maxuses of them.
 *
 * The hand-over (master_prefork.c makes it, this file reads it): the
 * environment variable CHAPAR_WORKER="<service>:<nlisten>:<maxuses>:<ask>",
 * fd 3 a SOCK_SEQPACKET status socket to master, fds 4..4+nlisten-1 the
 * service's non-blocking listening sockets.  Messages, one per packet:
 *   worker -> master  "ready"           idle, about to wait for a connection
 *                     "busy <address>"  accepted a connection from address
 *                                       (numeric; "[local]" on a UNIX socket)
 *   master -> worker  "+"               serve it (only when <ask> is 1, that
 *                                       is, the service has maxperclient)
 *                     "-<line>"         refuse it: send line, close
 *                     "stop"            exit before the next connection
 * master reads "ready" and "busy" to keep prefork idle workers, to count
 * maxchild and maxperclient, and to log; it sees an exit as SIGCHLD.
 *
 * After an accept, and before the server says anything: TCP_NODELAY and
 * keepalive on a TCP connection (server_socket_tune(), as master does for
 * prefork=0), the libwrap check with the service's name, the "busy" report
 * and, with <ask>, master's verdict.  The connection is then on fds 0 and 1,
 * so a server serves it as it would one handed over by master or inetd.
 *
 * Stopping: a worker exits (server_worker_next() returns 0) after maxuses
 * connections, on "stop", when master is gone (the status socket closes),
 * and on SIGTERM while it waits; SIGTERM during a session ends the session
 * as in a prefork=0 child (prot_interrupted()), then the worker.
 * Not thread-safe; one worker per process.
 */
#ifndef CHAPAR_SERVER_WORKER_H
#define CHAPAR_SERVER_WORKER_H

#include <stddef.h>
#include <sys/socket.h>

#define SERVER_WORKER_ENV "CHAPAR_WORKER"
#define SERVER_WORKER_STATUS_FD 3
#define SERVER_WORKER_LISTEN_FD 4       /* the first listener */
#define SERVER_WORKER_MSG_MAX 512       /* the longest message */

/* 1 if this process was started as a worker (CHAPAR_WORKER is set and
 * valid; it is then removed from the environment), else 0.  An invalid
 * value is logged and the process exits with EX_CONFIG. */
int server_worker_init(void);

/* Wait for the next connection and put it on fds 0 and 1: 1 when there is
 * one to serve, 0 when the worker should exit (see above). */
int server_worker_next(void);

/* The session on fds 0 and 1 is over: close it (fds 0 and 1 become
 * /dev/null).  The next server_worker_next() reports "ready". */
void server_worker_done(void);

/* Shared with master: TCP_NODELAY (the servers write whole responses; Nagle
 * would hold a response's tail back until the client's delayed ACK) and
 * keepalive on an accepted TCP connection; nothing for a UNIX socket. */
void server_socket_tune(int conn, const struct sockaddr_storage *ss);

/* Shared with master: the peer's numeric address, for logs and the
 * per-client count ("[local]" for a UNIX socket, "unknown" on failure). */
void server_peer_address(const struct sockaddr_storage *ss, socklen_t len,
                         char *out, size_t size);

#endif
