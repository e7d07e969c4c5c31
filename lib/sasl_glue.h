/* sasl_glue.h -- Cyrus SASL for the servers (and the admin client): the
 * only glue to <sasl/sasl.h>.
 *
 * Use, server side (imapd AUTHENTICATE, pop3d AUTH, LOGIN/USER+PASS):
 *   once per process   sasl_glue_server_init("chapar", getopt, rock)
 *   per connection     sasl_glue_server_new("imap", fqdn, ...) -> sess
 *   after STARTTLS     sasl_glue_set_tls(sess, bits, NULL)
 *   CAPABILITY         sasl_glue_mechlist(sess, "AUTH=", &list),
 *                      sasl_glue_plaintext_allowed(sess) (LOGINDISABLED)
 *   AUTHENTICATE       sasl_glue_server_start() then _step() until *done_r;
 *                      the bytes in and out are raw (the protocol does the
 *                      base64); sasl_glue_username() names the user
 *   LOGIN              sasl_glue_checkpass(sess, user, password)
 *   security layer     if sasl_glue_ssf(sess) > 0, after sending the tagged
 *                      OK: sasl_glue_set_layer(p, &sess)
 * Options come from the caller's getopt callback, so lib/ stays independent
 * of the configuration module: SASL asks for its own option names
 * ("pwcheck_method", "mech_list", "auxprop_plugin", "sasldb_path", ...)
 * and the callback returns a string or NULL (SASL's default).
 *
 * Plaintext: without SASL_GLUE_PLAINTEXT, mechanisms that send the password
 * in the clear (PLAIN, LOGIN) are neither listed nor accepted until TLS is
 * reported with sasl_glue_set_tls() (SASL's external SSF).  ANONYMOUS is
 * refused unless SASL_GLUE_ANONYMOUS is given.  Data a mechanism has to
 * send with its success (DIGEST-MD5's rspauth) comes as a last challenge;
 * the client answers it with an empty response.
 *
 * Errors: ERR_PERM authentication failed (wrong password, no such user,
 * not authorised); ERR_NOTSUPP no such mechanism, or not allowed here (too
 * weak, plaintext before TLS); ERR_PROTOCOL the client data is malformed;
 * ERR_AGAIN a temporary failure (password backend down); ERR_BADARG a bad
 * call; ERR_INTERNAL anything else.  sasl_glue_errdetail() gives SASL's
 * text for the log (never for the client).
 *
 * Processes: SASL is process-global.  Call the init functions once per
 * process (before or after fork), sasl_glue_done() at exit if you like.
 * sasl_glue_done() also unloads the plugins: a server that needs SASL no
 * more (logged in, no security layer) may call it after freeing its
 * sessions to give their memory back; the init functions work again
 * after it.  A session belongs to one process.  Not thread-safe.
 */
#ifndef CHAPAR_SASL_GLUE_H
#define CHAPAR_SASL_GLUE_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/prot.h"

/* The largest security-layer packet we accept from a peer. */
#define SASL_GLUE_MAXBUF 65536

/* Flags for sasl_glue_server_new(). */
#define SASL_GLUE_PLAINTEXT 0x01  /* plaintext mechanisms even without TLS */
#define SASL_GLUE_ANONYMOUS 0x02  /* allow ANONYMOUS */

struct sasl_glue;

/* Return the value of a SASL option, or NULL; the string must stay valid
 * for the life of the process (or until the next call for that option). */
typedef const char *sasl_glue_getopt_fn(const char *option, void *rock);

/* The server's identity rules, asked by every server session made after
 * the call (process-global, like getopt):
 *   canon      the canonical form of a name a client gave (LOGIN, APOP,
 *              each mechanism's authentication and authorization ids;
 *              SASL's canon_user callback, run before SASL's own plugin):
 *              ERR_OK and *out (replaced) set, or an error -- the name is
 *              refused and the exchange fails like a wrong password;
 *   authorize  SASL's proxy policy: may the canonical authid act as the
 *              different canonical authzid?  1 yes, 0 no (the exchange
 *              fails and sasl_glue_authz_refused() says so).
 * Either may be NULL: names are taken as given (SASL trims white space)
 * and an authzid must equal the authid (SASL's default). */
typedef int sasl_glue_canon_fn(const char *in, size_t inlen, struct buf *out,
                               void *rock);
typedef int sasl_glue_authorize_fn(const char *authid, const char *authzid,
                                   void *rock);
void sasl_glue_set_identity(sasl_glue_canon_fn *canon,
                            sasl_glue_authorize_fn *authorize, void *rock);

/* ERR_INTERNAL (with a log line) if SASL cannot start, e.g. no plugins. */
int sasl_glue_server_init(const char *appname, sasl_glue_getopt_fn *getopt,
                          void *rock);
/* The same for password checks only (sasl_glue_checkpass, APOP): of the
 * plugins only those named by canon_user_plugin and, when pwcheck_method
 * uses auxprop, by auxprop_plugin are loaded (every plugin when
 * auxprop_plugin is unset: SASL may use any), no mechanism.  Loading every mechanism
 * plugin costs time, and some (SCRAM, DIGEST-MD5, NTLM) bring in
 * libcrypto, which cannot be unloaded: a LOGIN session needs none of that.
 * Sessions then list no mechanism and AUTHENTICATE nothing.  A later
 * sasl_glue_server_init() restarts SASL with every plugin: free all server
 * sessions before.  Does nothing when SASL is already up. */
int sasl_glue_server_init_checkpass(const char *appname,
                                    sasl_glue_getopt_fn *getopt, void *rock);
/* 1 when the server side is up with every plugin (not checkpass-only). */
int sasl_glue_server_mechs_loaded(void);
int sasl_glue_client_init(void);
void sasl_glue_done(void);

/* A server session.  service: "imap", "pop", "lmtp", "sieve".  user_realm
 * NULL means server_fqdn.  local_addr/remote_addr: "a.b.c.d;port" or NULL
 * (some mechanisms need them for a security layer). */
int sasl_glue_server_new(const char *service, const char *server_fqdn,
                         const char *user_realm, const char *local_addr,
                         const char *remote_addr, unsigned flags,
                         struct sasl_glue **sess_r);
/* TLS is on with `ssf` bits (tls_info.bits); auth_id is the identity of a
 * verified client certificate or NULL.  Allows plaintext mechanisms. */
int sasl_glue_set_tls(struct sasl_glue *sess, unsigned ssf,
                      const char *auth_id);
/* 1 if a password may be sent in the clear now (LOGIN, PLAIN), else 0. */
int sasl_glue_plaintext_allowed(const struct sasl_glue *sess);
/* The mechanisms usable now, each preceded by item_prefix ("AUTH=" for
 * IMAP, "" for POP3), separated by single spaces, into `list` (replaced;
 * empty if none). */
int sasl_glue_mechlist(struct sasl_glue *sess, const char *item_prefix,
                       struct buf *list);
/* Begin authenticating with mech.  in == NULL: no initial response; an
 * empty initial response is in != NULL, inlen == 0.  ERR_OK and *done_r=1:
 * authenticated; ERR_OK and *done_r=0: send `out` (replaced) as a
 * challenge and pass the client's answer to sasl_glue_server_step(). */
int sasl_glue_server_start(struct sasl_glue *sess, const char *mech,
                           const void *in, size_t inlen, struct buf *out,
                           int *done_r);
int sasl_glue_server_step(struct sasl_glue *sess, const void *in,
                          size_t inlen, struct buf *out, int *done_r);
/* A password check for LOGIN / USER+PASS: ERR_OK or ERR_PERM (or
 * ERR_AGAIN, ERR_NOTSUPP when plaintext is not allowed now). */
int sasl_glue_checkpass(struct sasl_glue *sess, const char *user,
                        const char *password);

/* POP3 APOP (RFC 1939): 1 if it can be checked here (the password store
 * keeps clear passwords, as sasldb does); then sasl_glue_checkapop() takes
 * the greeting's timestamp and the client's "name digest" and answers
 * ERR_OK (the user is then sasl_glue_username()) or ERR_PERM. */
int sasl_glue_apop_available(struct sasl_glue *sess);
int sasl_glue_checkapop(struct sasl_glue *sess, const char *challenge,
                        const char *response);

/* The authenticated (authorization) user, valid until the session is
 * freed; NULL before success.  With the canon hook set it is canonical:
 * use it, never the client's string. */
const char *sasl_glue_username(struct sasl_glue *sess);
/* The authentication identity (who proved a password), which differs from
 * sasl_glue_username() under proxy authorization; NULL before success. */
const char *sasl_glue_authid(struct sasl_glue *sess);
/* 1 when the last start/step failed because the authorize hook refused
 * the authorization identity (the password was right), else 0. */
int sasl_glue_authz_refused(const struct sasl_glue *sess);
/* The negotiated security-layer strength; 0 means no layer. */
unsigned sasl_glue_ssf(struct sasl_glue *sess);
/* SASL's text about the last failure, for the log; never NULL. */
const char *sasl_glue_errdetail(struct sasl_glue *sess);

/* A client session (chaparadm, tests): log in as authid with password,
 * accepting a security layer of min_ssf..max_ssf bits. */
int sasl_glue_client_new(const char *service, const char *server_fqdn,
                         const char *authid, const char *password,
                         unsigned min_ssf, unsigned max_ssf,
                         struct sasl_glue **sess_r);
/* Choose a mechanism from the server's space-separated `mechlist` (*mech_r
 * stays valid while the session lives) and produce the initial response
 * into `out`: *has_out_r says whether there is one (it may be empty).
 * Results as for the server; ERR_NOTSUPP if no mechanism fits. */
int sasl_glue_client_start(struct sasl_glue *sess, const char *mechlist,
                           const char **mech_r, struct buf *out,
                           int *has_out_r, int *done_r);
int sasl_glue_client_step(struct sasl_glue *sess, const void *in,
                          size_t inlen, struct buf *out, int *done_r);

/* Install the negotiated security layer on p (server or client, after the
 * exchange completed and the final response went out).  p takes the
 * session over: *sess becomes NULL, prot_free() frees it -- read the user
 * name before.  Output is split to SASL_MAXOUTBUF before sasl_encode.
 * ERR_BADARG if no layer was negotiated (ssf 0; the session stays yours). */
int sasl_glue_set_layer(struct prot *p, struct sasl_glue **sess);

void sasl_glue_free(struct sasl_glue **sess);

#endif
