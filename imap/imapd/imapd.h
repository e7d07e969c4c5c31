/* imapd.h -- the IMAP server's session and the contract of a command.
 *
 * One imapd process serves one connection (inetd style on fds 0/1, or a
 * socket handed over by master), or, preforked (server_worker.h), one
 * connection after another.  All per-connection state lives in struct
 * imapd_session, allocated at the connection and freed at its end with
 * everything it holds; there are no per-connection globals.  What outlives
 * a session in a worker is the process's alone: the configuration, the
 * log, the TLS context (no session cache, no tickets: lib/tls.c), SASL
 * with its plugins, the database environment, the login_limit.c map.
 * The proc file and telemetry (procinfo.c) and the mailboxes database
 * handle end with the session.
 *
 * Commands are dispatched from one table (imapd_commands.c: name, handler,
 * flags).  The dispatcher alone enforces the state a command needs (not
 * authenticated / authenticated / selected) and the UID prefix.  The rules
 * of a mailbox selected read-only (EXAMINE) and of missing rights are the
 * selected-mailbox view's: index_store.c and index_copy.c (STORE, EXPUNGE,
 * MOVE) refuse or narrow what may change.  A handler first validates its
 * arguments, then acts, then writes exactly one tagged response, normally
 * through imapd_tagged_ok(), imapd_tagged_no(), imapd_tagged_bad() or
 * imapd_tagged_error().
 *
 * Errors: handlers get project error codes from the model and turn them
 * into responses only through imapd_tagged_error(), which picks the RFC
 * 5530 response code ([NONEXISTENT], [OVERQUOTA], [NOPERM], ...).  Detail
 * for the administrator goes to the log, never to the client.
 */
#ifndef CHAPAR_IMAPD_H
#define CHAPAR_IMAPD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/prot.h"

struct auth_state;
struct tls_ctx;
struct sasl_glue;
struct imap_parser;
struct imap_arg;
struct index_state;

enum imapd_state {
    IMAPD_NOTAUTH = 0,
    IMAPD_AUTH,
    IMAPD_SELECTED,
    IMAPD_LOGOUT
};

struct imapd_session {
    struct prot *prot;
    struct imap_parser *parser;
    enum imapd_state state;
    /* who: set at login */
    char *userid;
    struct auth_state *auth;
    int is_admin;
    /* connection */
    char clienthost[256];       /* "name [ip]" for logs */
    int tls_on;
    struct tls_ctx *tls;
    struct sasl_glue *sasl;
    /* selected mailbox (state IMAPD_SELECTED) */
    struct index_state *index;
    /* ENABLEd extensions */
    int condstore_enabled;
    int qresync_enabled;        /* RFC 7162 3.2.3; implies CONDSTORE */
    /* failed authentications in this session, for the delay */
    int failed_logins;
};

/* A parsed command as the dispatcher hands it to a handler. */
struct imapd_command {
    const char *tag;
    const char *name;           /* upper case, e.g. "FETCH" */
    int uid;                    /* came with the UID prefix */
    const struct imap_arg *args;/* the arguments after the name */
    size_t nargs;
};

typedef void imapd_handler(struct imapd_session *s,
                           const struct imapd_command *cmd);

/* Tagged responses; fmt is the human text. */
void imapd_tagged_ok(struct imapd_session *s, const char *tag,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imapd_tagged_no(struct imapd_session *s, const char *tag,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imapd_tagged_bad(struct imapd_session *s, const char *tag,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* NO with the response code and text for a project error code (ERR_*):
 * ERR_NOTFOUND "[NONEXISTENT] Mailbox does not exist", ERR_EXISTS
 * "[ALREADYEXISTS]", ERR_PERM "[NOPERM]", ERR_QUOTA "[OVERQUOTA]",
 * ERR_BADNAME "[CANNOT] Invalid mailbox name", ERR_TOOBIG "[LIMIT]",
 * ERR_LOCKED/ERR_AGAIN/ERR_CONFLICT "[INUSE]", ERR_BADFORMAT
 * "[CORRUPTION]", others "[SERVERBUG]"; context, if not NULL, is put
 * before the text ("Create failed: ..."). */
void imapd_tagged_error(struct imapd_session *s, const char *tag, int err,
                        const char *context);

/* The CAPABILITY list for the session's current state (no leading or
 * trailing space), e.g. "IMAP4rev1 LITERAL+ ... AUTH=PLAIN". */
void imapd_capabilities(struct imapd_session *s, struct buf *out);

/* Write a string as an IMAP quoted string or, when it must be, a literal
 * (8-bit bytes, CR, LF, '"', '\', or long). */
void imapd_write_astring(struct prot *p, const char *s, size_t len);
/* The same, but as an atom when the string is one (RFC 4314's examples
 * send rights and identifiers as atoms: "* MYRIGHTS INBOX lrswi"). */
void imapd_write_atom_or_string(struct prot *p, const char *s);

#endif
