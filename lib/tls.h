/* tls.h -- TLS for a struct prot: the only glue to OpenSSL.
 *
 * A struct tls_ctx holds the settings (certificate, key, ciphers, protocol
 * versions) and is made once per process, typically before the
 * daemon forks; each connection then calls tls_start_server() (STARTTLS, or
 * at once on imaps/pop3s) or tls_start_client() (chaparadm, tests).  The
 * handshake runs over the prot's current stack, so the read timeout, a
 * different in_fd and out_fd (inetd) and the no-SIGPIPE rule of prot apply
 * to TLS as well.  On success a TLS layer is pushed on the prot: from then
 * on every prot read and write is encrypted; prot_free() frees it.
 *
 * STARTTLS injection: tls_start_*() flushes the output still buffered (the
 * plaintext "OK Begin TLS") and DISCARDS every input byte already buffered
 * before the handshake; such bytes were pipelined in plaintext and must not
 * be taken as the first command inside TLS.  A warning is logged when this
 * happens.
 *
 * Errors: ERR_BADARG for bad settings (unreadable or garbage certificate or
 * key, a key not matching the certificate, a bad cipher string or version),
 * ERR_PROTOCOL for a failed handshake (peer speaks plaintext, offers only an
 * old protocol version, fails certificate verification), ERR_TIMEOUT,
 * ERR_EOF (the peer closed), ERR_IO.  Every failure writes a one-line human
 * reason to `error` (replacing its contents), naming the file concerned and
 * ending with OpenSSL's own reason in parentheses.  After a failed
 * handshake the connection is in an undefined state: close it.
 *
 * A server context offers no session resumption (no session cache, no
 * tickets): a preforked server keeps one context for all its connections.
 *
 * Fork safety: a tls_ctx may be shared by the children of the process that
 * made it; a TLS session (the layer) belongs to one process.
 */
#ifndef CHAPAR_TLS_H
#define CHAPAR_TLS_H

#include "lib/buf.h"
#include "lib/prot.h"

struct tls_ctx;

/* The protocol versions, for both sides: "tls1_2", "tls1_3" or both,
 * separated by blanks (any case; the imapd.conf tls_versions syntax); NULL
 * or "" means both.  Anything else (SSL, TLS 1.0, 1.1) is ERR_BADARG. */

/* How a server negotiates.  ciphers: an OpenSSL cipher list for TLS 1.2
 * (TLS 1.3 suites are OpenSSL's defaults, all with forward secrecy); NULL
 * = OpenSSL's default; a list that selects nothing is ERR_BADARG.
 * prefer_server_ciphers: choose in the order of ciphers, not the
 * client's.  A NULL settings pointer means all defaults. */
struct tls_server_settings {
    const char *ciphers;
    const char *versions;
    int prefer_server_ciphers;
};

/* Server settings.  cert: PEM certificate chain file (leaf first); key: PEM
 * private key file (may be the same file). */
int tls_server_ctx_new(const char *cert, const char *key,
                       const struct tls_server_settings *set,
                       struct tls_ctx **ctx_r, struct buf *error);

/* Client settings.  verify != 0: the server certificate must chain to
 * ca_file (a PEM file; NULL = the system's default trust store) and match
 * the host name given to tls_start_client().  verify == 0: any certificate
 * is accepted (tests, a loopback admin connection). */
int tls_client_ctx_new(const char *ca_file, int verify,
                       const char *versions, struct tls_ctx **ctx_r,
                       struct buf *error);

void tls_ctx_free(struct tls_ctx **ctx);

/* Handshake as the server over p, waiting at most timeout_s seconds for
 * each read of the peer (0: the prot's own read timeout).  The prot's read
 * timeout is unchanged afterwards. */
int tls_start_server(struct tls_ctx *ctx, struct prot *p, int timeout_s,
                     struct buf *error);

/* Handshake as a client; hostname is sent as SNI and, with verify, checked
 * against the certificate (may be NULL without verify). */
int tls_start_client(struct tls_ctx *ctx, struct prot *p,
                     const char *hostname, int timeout_s, struct buf *error);

/* What was negotiated, for logging and for SASL's external SSF.  The
 * strings are static (owned by OpenSSL). */
struct tls_info {
    const char *version;    /* "TLSv1.3" */
    const char *cipher;     /* "TLS_AES_256_GCM_SHA384" */
    int bits;               /* symmetric key bits, e.g. 256 */
};

/* ERR_NOTFOUND if p has no TLS layer. */
int tls_session_info(const struct prot *p, struct tls_info *info);

#endif
