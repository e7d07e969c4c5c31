/* lmtp.h -- the LMTP server engine (RFC 2033) of lmtpd and deliver -l.
 *
 * One session over a prot stream: the greeting, then commands until QUIT,
 * end of stream or the timeout.  Supported: LHLO, MAIL FROM (SIZE=,
 * BODY=7BIT|8BITMIME), RCPT TO, DATA, RSET, NOOP, QUIT; the extensions
 * PIPELINING (RFC 2920), ENHANCEDSTATUSCODES (RFC 2034), 8BITMIME and
 * SIZE (RFC 1870).  No AUTH: like Cyrus's lmtpd on a private socket, the
 * session is anonymous (rights of "anyone"/"anonymous"); reach it only
 * from the MTA (UNIX socket mode, libwrap, loopback).
 *
 * Every recipient is resolved and checked at RCPT (delivery.h): unknown
 * (or no `p`) is "550 5.1.1 User unknown", a quota root at or over its
 * limit "452 4.2.2 Over quota".  After DATA comes one reply per accepted
 * recipient, in RCPT order, each saying whether that copy is durable.
 * The message gets "Return-Path: <MAIL FROM>" and a Received: line.
 * A bad command is answered 500/501/503 and the session goes on.  Command
 * lines are limited to LMTP_MAXLINE bytes, messages to
 * delivery_max_size() (552 at MAIL for a larger SIZE=, and after DATA).
 */
#ifndef CHAPAR_LMTP_H
#define CHAPAR_LMTP_H

#include "lib/prot.h"
#include "deliver/delivery.h"

#define LMTP_MAXLINE 4096           /* a command line, CRLF excluded */
#define LMTP_MAX_RECIPIENTS 1000    /* per transaction */
#define LMTP_TIMEOUT 300            /* seconds waiting for the client */

struct lmtp_options {
    const char *servername;     /* greeting, Received: "by" */
    const char *clienthost;     /* "name [ip]" or "[local]", logs/Received */
    int timeout;                /* seconds; 0: LMTP_TIMEOUT */
};

/* Serve one session on p with agent (its params: identity, quota rule,
 * duplicate suppression).  Returns when the client quits or the stream
 * ends: ERR_OK, or the stream error (ERR_EOF, ERR_TIMEOUT, ERR_IO). */
int lmtp_serve(struct prot *p, struct delivery_agent *agent,
               const struct lmtp_options *opts);

#endif
