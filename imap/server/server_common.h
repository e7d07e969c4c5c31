/* server_common.h -- what the network servers (imapd, pop3d) share at the
 * edge of a session: the peer's name for the log, the msg/ files, the TLS
 * settings and the SASL session, all from imapd.conf.
 *
 * Nothing here writes to the client; each server keeps its own wire
 * format.  Call conf_init() before any of these.  A process started for
 * one connection sets SASL and TLS up lazily, as far as the session needs
 * (and unloads SASL after a login).  A preforked worker
 * (server_worker.h) calls server_common_prepare() before its first
 * connection: then the TLS context, SASL with every plugin and the database
 * environment are set up once and serve every session of the process, and
 * nothing a session holds (a SASL session, a TLS layer) outlives it.
 * Not thread-safe.
 */
#ifndef CHAPAR_SERVER_COMMON_H
#define CHAPAR_SERVER_COMMON_H

#include <stddef.h>

struct buf;
struct prot;
struct sasl_glue;
struct tls_ctx;

/* "name [ip]" of the peer connected on fd (a reverse lookup; "unknown"
 * when it fails) into out, or "[local]" when fd is not an IPv4/IPv6
 * socket (a pipe, a UNIX socket).  For log lines (SPEC.md badlogin). */
void server_common_peer(int fd, char *out, size_t outlen);

/* The start of every server process: log as ident, load the configuration
 * (alt_config or the default; exits 78 on error), refuse to run as root
 * unless allow_root (conf_refuse_root(): exits 64 before anything is
 * written), turn on TCP keepalive on fd 0 when it is a TCP socket (inetd
 * or master; util_socket_keepalive()), apply the umask, ignore SIGPIPE
 * (a vanished client is a write error, not a death), and catch SIGTERM:
 * master stopping (or an administrator) asks the server to end; the
 * command under way finishes, the wait for the next one ends and
 * prot_interrupted() says so (lib/prot.h), the server says goodbye in its
 * protocol and exits the normal way, closing its databases (a kill would
 * make the next start recover). */
void server_common_start(const char *ident, const char *alt_config,
                         int allow_root);

/* A server's command line and start: "<ident> [-C imapd.conf] [-U] [-s]"
 * (-U: allow running as root, for tests; -s, implicit TLS, only when
 * implicit_tls_r is not NULL).  Bad arguments print the usage line and
 * exit EX_USAGE (64); then server_common_start(). */
void server_common_init(int argc, char **argv, const char *ident,
                        int *implicit_tls_r);

/* The first line of configdirectory/msg/<name> ("motd", "shutdown"),
 * without its line end and leading '[' characters, in a string the caller
 * frees; NULL when the file does not exist or cannot be read. */
char *server_common_msg_file(const char *name);

/* 1 when tls_server_cert and tls_server_key are both set, so STARTTLS
 * (STLS) may be offered; no file is read.  Building the OpenSSL context
 * costs about as much as the rest of a short session (and its memory stays
 * for the life of the process), so the servers build it only when a client
 * asks for TLS: at STARTTLS, or at once for implicit TLS. */
int server_common_tls_configured(void);

/* The TLS server context from imapd.conf: tls_server_cert, tls_server_key,
 * tls_ciphers, tls_versions and tls_prefer_server_ciphers.  ERR_OK, or an
 * error of tls_server_ctx_new() with its one-line reason in *error (master
 * checks this at start and refuses to run with the reason). */
int server_common_tls_new(struct tls_ctx **ctx_r, struct buf *error);

/* The same for a session: the context, or NULL when no certificate is
 * configured or it is unusable (logged: STARTTLS and implicit TLS are then
 * unavailable; master refuses to start with an unusable one, so this only
 * happens when the files changed since).  After server_common_prepare()
 * the process's context, made once.  Give it back with
 * server_common_tls_ctx_free() (frees it unless it is the process's). */
struct tls_ctx *server_common_tls_ctx(void);
void server_common_tls_ctx_free(struct tls_ctx **ctx);

/* A preforked worker, before its first connection: build the TLS context
 * (when configured), start SASL with every plugin (a failure is logged and
 * makes server_common_sasl_failed() true, as a lazy start would) and join
 * the database environment, each once for the life of the process;
 * server_common_sasl_release() then keeps SASL loaded.  Problems are
 * logged; the sessions go on as they would without.
 * server_common_finish() gives it all back before exit. */
void server_common_prepare(void);
void server_common_finish(void);

/* Start SASL for this process (options from the sasl_* lines of
 * imapd.conf) and make the session for service ("imap", "pop"), with
 * servername as the FQDN and allowplaintext deciding whether plaintext
 * mechanisms are usable before TLS.  Every session canonifies user names
 * with auth_canonify_userid() (so sasl_glue_username() is canonical) and
 * lets admins and proxyservers act as another user (auth_may_proxy()).
 * ERR_OK, or an error (logged) and
 * *sess_r NULL: the server then goes on without SASL. */
int server_common_sasl_new(const char *service, struct sasl_glue **sess_r);

/* What a session needs SASL for. */
enum server_common_sasl_use {
    SERVER_SASL_PASSWORD,   /* a plaintext password check (LOGIN) */
    SERVER_SASL_MECHS       /* AUTHENTICATE: every mechanism */
};

/* Make *sess (NULL at first) a SASL session for service that can do `use`,
 * starting SASL as far as that needs (sasl_glue_server_init_checkpass()
 * for a password, everything for mechanisms; a password-only session is
 * replaced).  A session made after TLS came up on p is told its strength.
 * ERR_OK, or an error (logged) and *sess NULL. */
int server_common_sasl(const char *service, enum server_common_sasl_use use,
                       struct prot *p, struct sasl_glue **sess);

/* 1 if a password may be sent in the clear now: allowplaintext, or TLS
 * is on. */
int server_common_plaintext_allowed(int tls_on);

/* 1 once starting SASL failed in this process (LOGINDISABLED). */
int server_common_sasl_failed(void);

/* The SASL mechanisms a client may use now (tls_on: TLS is up), each
 * preceded by item_prefix and separated by single spaces, into out
 * (replaced).  The lists master made at its start or reload (see
 * server_common_sasl_export()) are used when they were made from this
 * process's configuration file, so that the greeting and CAPABILITY load
 * no SASL plugin; otherwise SASL is started through
 * server_common_sasl(SERVER_SASL_MECHS) and asked. */
int server_common_sasl_mechlist(const char *service, const char *item_prefix,
                                struct prot *p, int tls_on,
                                struct sasl_glue **sess, struct buf *out);

/* master, at start and reload: compute the mechanism lists of the
 * services "imap" and "pop" (before and after TLS) once and hand them to
 * the servers it starts, in the environment (CHAPAR_SASL_MECHS_<service>
 * = "<configuration file>|<before TLS>|<with TLS>").  On any failure the
 * variables are removed and the servers ask SASL themselves. */
void server_common_sasl_export(void);

/* After a login without a SASL security layer nothing needs SASL any
 * more: free *sess and unload SASL and its plugins (sasl_glue_done; not
 * after server_common_prepare(), where the next session needs them). */
void server_common_sasl_release(struct sasl_glue **sess);

/* TLS came up on p: log the protocol and cipher (info level, with
 * clienthost) and tell sess (may be NULL) the TLS strength, which allows
 * the plaintext mechanisms. */
void server_common_tls_started(struct prot *p, struct sasl_glue *sess,
                               const char *clienthost);

#endif
