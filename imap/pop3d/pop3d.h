/* pop3d.h -- the POP3 server's session and the contract of a command
 * (RFC 1939, with CAPA and response codes of RFC 2449, STLS of RFC 2595
 * and AUTH of RFC 5034).  Not for other programs.
 *
 * One pop3d process serves one connection (fds 0/1, inetd style or from
 * master).  All per-connection state lives in struct pop3d_session.
 *
 * Commands are dispatched from one table (pop3d.c: name, handler, states).
 * The dispatcher alone checks the state: an unknown command is answered
 * "-ERR Unknown command", a known one in the wrong state "-ERR Command not
 * valid in this state".  A handler gets the text after the command name
 * (the first space removed; "" when none), validates it, acts, and writes
 * exactly one response: a "+OK"/"-ERR" line through pop3d_ok() or
 * pop3d_err(), possibly followed by a multi-line body ending in ".".
 *
 * Error texts are chosen per case, with RFC 2449/3206/5034 response codes
 * where a client can act on them: [AUTH] (credentials, or plaintext
 * refused before TLS), [IN-USE] (another POP3 session holds the
 * maildrop), [LOGIN-DELAY] (popminpoll), [SYS/TEMP] and [SYS/PERM].
 * Detail for the administrator goes to the log, never to the client.
 */
#ifndef CHAPAR_POP3D_H
#define CHAPAR_POP3D_H

#include "lib/buf.h"
#include "lib/prot.h"
#include "lib/log.h"

struct auth_state;
struct sasl_glue;
struct tls_ctx;
struct pop3d_maildrop;

/* The longest command line read (CRLF not counted).  RFC 2449 limits
 * commands to 255 octets, but AUTH responses (RFC 5034) are base64 of a
 * SASL token and may be much longer.  A longer line gets -ERR and is
 * dropped; the session goes on. */
#define POP3D_MAXLINE 16384

enum pop3d_state {
    POP3D_AUTHORIZATION = 0x01,
    POP3D_TRANSACTION = 0x02,
    POP3D_DONE = 0x04               /* QUIT (or a fatal error): end */
};

struct pop3d_session {
    struct prot *prot;
    enum pop3d_state state;
    char clienthost[256];           /* "name [ip]" for logs */
    int tls_on;
    struct tls_ctx *tls;
    struct sasl_glue *sasl;
    char *user;                     /* USER's argument, waiting for PASS */
    char *apop_challenge;           /* the greeting's <timestamp>, or NULL */
    /* set at login */
    char *userid;
    struct auth_state *auth;
    struct pop3d_maildrop *drop;
};

typedef void pop3d_handler(struct pop3d_session *s, const char *args);

/* One response line: "+OK <text>" / "-ERR <text>", CRLF added. */
void pop3d_ok(struct pop3d_session *s, const char *fmt, ...)
    CHAPAR_FORMAT(2, 3);
void pop3d_err(struct pop3d_session *s, const char *fmt, ...)
    CHAPAR_FORMAT(2, 3);

/* pop3d_auth.c: AUTHORIZATION state */
void pop3d_cmd_user(struct pop3d_session *s, const char *args);
void pop3d_cmd_pass(struct pop3d_session *s, const char *args);
void pop3d_cmd_apop(struct pop3d_session *s, const char *args);
void pop3d_cmd_auth(struct pop3d_session *s, const char *args);
void pop3d_cmd_stls(struct pop3d_session *s, const char *args);
/* TLS is up (STLS or -s): remember it and tell SASL. */
void pop3d_tls_started(struct pop3d_session *s);

/* pop3d_commands.c: TRANSACTION state, NOOP, and QUIT (any state; from
 * TRANSACTION it enters UPDATE) */
void pop3d_cmd_stat(struct pop3d_session *s, const char *args);
void pop3d_cmd_list(struct pop3d_session *s, const char *args);
void pop3d_cmd_uidl(struct pop3d_session *s, const char *args);
void pop3d_cmd_retr(struct pop3d_session *s, const char *args);
void pop3d_cmd_top(struct pop3d_session *s, const char *args);
void pop3d_cmd_dele(struct pop3d_session *s, const char *args);
void pop3d_cmd_rset(struct pop3d_session *s, const char *args);
void pop3d_cmd_noop(struct pop3d_session *s, const char *args);
void pop3d_cmd_quit(struct pop3d_session *s, const char *args);

/* pop3d.c: CAPA (any state) */
void pop3d_cmd_capa(struct pop3d_session *s, const char *args);

#endif
