/* tls.c -- OpenSSL behind lib/tls.h, plugged into prot as a layer.
 *
 * OpenSSL does its record I/O through a small custom BIO whose read and
 * write go to the prot stage below the TLS layer, not through fd BIOs
 * (SSL_set_rfd/SSL_set_wfd): that way one place (prot) handles the read
 * timeout, separate input and output fds, and MSG_NOSIGNAL, for the
 * handshake and for every record after it.  The BIO remembers the prot
 * error (timeout, EOF) of its last call so a failed SSL call reports that
 * instead of a vague "syscall" failure.  Read-ahead stays off, so
 * SSL_pending() is all the decoded input OpenSSL holds.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/tls.h"
#include "lib/xmalloc.h"

struct tls_ctx {
    SSL_CTX *ssl_ctx;
    int server;
    int verify;
};

/* One TLS session: the layer's ctx and the BIO's data. */
struct tls_conn {
    SSL *ssl;
    struct prot_stage *below;
    int io_err;             /* prot error of the BIO's last failed call */
};

/* ---- errors --------------------------------------------------------------- */

/* OpenSSL's reason for the earliest queued error (with the detail OpenSSL
 * attached, e.g. "no start line: Expecting: TRUSTED CERTIFICATE"), then
 * clear the queue. */
static const char *ossl_reason(char *tmp, size_t size)
{
    const char *data = NULL, *reason;
    int flags = 0;
    unsigned long e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);

    if (!e)
        return "no detail";
    reason = ERR_reason_error_string(e);
    /* data belongs to the error queue: format it before clearing that. */
    if (!reason)
        ERR_error_string_n(e, tmp, size);
    else if (data && *data && (flags & ERR_TXT_STRING))
        snprintf(tmp, size, "%s: %s", reason, data);
    else
        snprintf(tmp, size, "%s", reason);
    ERR_clear_error();
    return tmp;
}

static void set_error(struct buf *error, const char *fmt, ...)
    CHAPAR_FORMAT(2, 3);
static void set_error(struct buf *error, const char *fmt, ...)
{
    va_list ap;

    buf_reset(error);
    va_start(ap, fmt);
    buf_vprintf(error, fmt, ap);
    va_end(ap);
}

/* ---- the BIO over a prot stage -------------------------------------------- */

static int bio_write_ex(BIO *bio, const char *data, size_t n, size_t *written)
{
    struct tls_conn *c = BIO_get_data(bio);
    int r;

    BIO_clear_retry_flags(bio);
    if ((r = prot_stage_write(c->below, data, n))) {
        c->io_err = r;
        *written = 0;
        return 0;
    }
    *written = n;
    return 1;
}

static int bio_read_ex(BIO *bio, char *data, size_t size, size_t *nread)
{
    struct tls_conn *c = BIO_get_data(bio);
    int r;

    BIO_clear_retry_flags(bio);
    *nread = 0;
    if (size == 0)
        return 0;
    if ((r = prot_stage_read(c->below, data, size, nread))) {
        c->io_err = r;
        *nread = 0;
        return 0;
    }
    return 1;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)bio, (void)num, (void)ptr;
    /* Writes go straight to the stage, so there is never anything to
     * flush; every other control is "not supported". */
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *prot_bio_method(void)
{
    /* Made once per process and never changed: safe to inherit on fork. */
    static BIO_METHOD *method;

    if (method)
        return method;
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                          "chapar prot stage");
    if (!method || !BIO_meth_set_write_ex(method, bio_write_ex) ||
        !BIO_meth_set_read_ex(method, bio_read_ex) ||
        !BIO_meth_set_ctrl(method, bio_ctrl) ||
        !BIO_meth_set_create(method, bio_create))
        log_fatal("cannot create the OpenSSL BIO method");
    return method;
}

/* ---- the prot layer ------------------------------------------------------- */

/* Map a failed SSL_read/SSL_write/handshake to a prot error; for a TLS
 * protocol error OpenSSL's reason is left in reason[]. */
static int conn_error(struct tls_conn *c, int ret, char *reason, size_t size)
{
    int e = SSL_get_error(c->ssl, ret);

    snprintf(reason, size, "%s", "no detail");
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return ERR_EOF;             /* the peer sent close_notify */
    }
    if (c->io_err) {
        ERR_clear_error();
        return c->io_err;
    }
    if (e == SSL_ERROR_SSL) {
        char tmp[256];
        snprintf(reason, size, "%s", ossl_reason(tmp, sizeof(tmp)));
        return ERR_PROTOCOL;
    }
    ERR_clear_error();
    return ERR_IO;
}

/* A failure in the middle of a session: the caller only sees the code, so
 * OpenSSL's reason is logged here. */
static int session_error(struct tls_conn *c)
{
    char reason[256];
    int r = conn_error(c, 0, reason, sizeof(reason));

    if (r == ERR_PROTOCOL)
        log_notice("TLS error: %s", reason);
    return r;
}

static int tls_layer_read(void *ctx, struct prot_stage *below, void *buf,
                          size_t size, size_t *n_r)
{
    struct tls_conn *c = ctx;

    c->below = below;
    c->io_err = 0;
    ERR_clear_error();
    if (SSL_read_ex(c->ssl, buf, size, n_r) == 1)
        return ERR_OK;
    return session_error(c);
}

static int tls_layer_write(void *ctx, struct prot_stage *below,
                           const void *buf, size_t n)
{
    struct tls_conn *c = ctx;
    const char *p = buf;

    c->below = below;
    while (n > 0) {
        size_t written = 0;

        c->io_err = 0;
        ERR_clear_error();
        if (SSL_write_ex(c->ssl, p, n, &written) != 1)
            return session_error(c);
        p += written;
        n -= written;
    }
    return ERR_OK;
}

static size_t tls_layer_pending(void *ctx)
{
    struct tls_conn *c = ctx;
    int n = SSL_pending(c->ssl);
    return n > 0 ? (size_t)n : 0;
}

static void tls_conn_free(void *ctx)
{
    struct tls_conn *c = ctx;

    if (!c)
        return;
    SSL_free(c->ssl);       /* frees the BIO too */
    free(c);
}

static const struct prot_layer tls_layer = {
    "tls", tls_layer_read, tls_layer_write, tls_layer_pending, tls_conn_free,
    NULL
};

/* ---- contexts ------------------------------------------------------------- */

/* versions: blank-separated "tls1_2" and/or "tls1_3" (any case; NULL or
 * empty: both), into the range OpenSSL takes. */
static int parse_versions(const char *s, int *min_r, int *max_r,
                          struct buf *error)
{
    static const struct { const char *name; int version; } known[] = {
        { "tls1_2", TLS1_2_VERSION }, { "tls1_3", TLS1_3_VERSION },
    };
    size_t len;

    *min_r = *max_r = 0;
    for (s = s ? s : ""; *(s += strspn(s, " \t")); s += len) {
        size_t i = 0;

        len = strcspn(s, " \t");
        while (i < 2 && (strlen(known[i].name) != len ||
                         strncasecmp(s, known[i].name, len)))
            i++;
        if (i == 2) {
            set_error(error, "unsupported TLS version \"%.*s\" (use tls1_2 "
                      "and/or tls1_3)", (int)len, s);
            return ERR_BADARG;
        }
        if (!*min_r || known[i].version < *min_r)
            *min_r = known[i].version;
        if (known[i].version > *max_r)
            *max_r = known[i].version;
    }
    if (!*min_r) {
        *min_r = TLS1_2_VERSION;
        *max_r = TLS1_3_VERSION;
    }
    return ERR_OK;
}

/* Settings common to both sides. */
static int ctx_new(int server, const char *versions, struct tls_ctx **ctx_r,
                   struct buf *error)
{
    struct tls_ctx *ctx;
    char tmp[256];
    int min, max, r;

    *ctx_r = NULL;
    if ((r = parse_versions(versions, &min, &max, error)))
        return r;
    ERR_clear_error();
    ctx = xzmalloc(sizeof(*ctx));
    ctx->server = server;
    ctx->ssl_ctx = SSL_CTX_new(server ? TLS_server_method()
                                      : TLS_client_method());
    if (!ctx->ssl_ctx) {
        set_error(error, "cannot create a TLS context (OpenSSL: %s)",
                  ossl_reason(tmp, sizeof(tmp)));
        free(ctx);
        return ERR_INTERNAL;
    }
    SSL_CTX_set_min_proto_version(ctx->ssl_ctx, min);
    SSL_CTX_set_max_proto_version(ctx->ssl_ctx, max);
    /* Compression invites CRIME; client-started renegotiation costs us CPU
     * for nothing. */
    SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_COMPRESSION |
                        SSL_OP_NO_RENEGOTIATION);
    *ctx_r = ctx;
    return ERR_OK;
}

/* A file we cannot open gets the system's reason, which is clearer than
 * OpenSSL's "system lib". */
static int check_readable(const char *what, const char *path,
                          struct buf *error)
{
    FILE *f;

    if (!path || !*path) {
        set_error(error, "no %s file configured", what);
        return ERR_BADARG;
    }
    f = fopen(path, "r");
    if (!f) {
        set_error(error, "cannot read %s file %s: %s", what, path,
                  strerror(errno));
        return ERR_BADARG;
    }
    fclose(f);
    return ERR_OK;
}

static int load_cert_and_key(SSL_CTX *sctx, const char *cert, const char *key,
                             struct buf *error)
{
    char tmp[256];
    unsigned long e;
    int r;

    if ((r = check_readable("certificate", cert, error)) ||
        (r = check_readable("private key", key, error)))
        return r;
    if (SSL_CTX_use_certificate_chain_file(sctx, cert) != 1) {
        set_error(error, "cannot load certificate file %s (OpenSSL: %s)",
                  cert, ossl_reason(tmp, sizeof(tmp)));
        return ERR_BADARG;
    }
    if (SSL_CTX_use_PrivateKey_file(sctx, key, SSL_FILETYPE_PEM) != 1) {
        e = ERR_peek_error();
        if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
            set_error(error, "private key file %s does not match certificate "
                      "file %s (OpenSSL: %s)", key, cert,
                      ossl_reason(tmp, sizeof(tmp)));
        else
            set_error(error, "cannot load private key file %s (OpenSSL: %s)",
                      key, ossl_reason(tmp, sizeof(tmp)));
        return ERR_BADARG;
    }
    if (SSL_CTX_check_private_key(sctx) != 1) {
        set_error(error, "private key file %s does not match certificate "
                  "file %s (OpenSSL: %s)", key, cert,
                  ossl_reason(tmp, sizeof(tmp)));
        return ERR_BADARG;
    }
    return ERR_OK;
}

int tls_server_ctx_new(const char *cert, const char *key,
                       const struct tls_server_settings *set,
                       struct tls_ctx **ctx_r, struct buf *error)
{
    const char *ciphers = set ? set->ciphers : NULL;
    struct tls_ctx *ctx;
    char tmp[256];
    int r;

    *ctx_r = NULL;
    if ((r = ctx_new(1, set ? set->versions : NULL, &ctx, error)))
        return r;
    if (set && set->prefer_server_ciphers)
        SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* No resumption: one context serves every connection of a preforked
     * server, and nothing of one connection may reach the next (no
     * session cache, no tickets); a process per connection could never
     * resume anyway. */
    SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx->ssl_ctx, 0);
    if (ciphers && SSL_CTX_set_cipher_list(ctx->ssl_ctx, ciphers) != 1) {
        set_error(error, "bad TLS cipher list \"%s\" (OpenSSL: %s)", ciphers,
                  ossl_reason(tmp, sizeof(tmp)));
        r = ERR_BADARG;
        goto done;
    }
    r = load_cert_and_key(ctx->ssl_ctx, cert, key, error);
done:
    if (r)
        tls_ctx_free(&ctx);
    *ctx_r = ctx;
    return r;
}

int tls_client_ctx_new(const char *ca_file, int verify,
                       const char *versions, struct tls_ctx **ctx_r,
                       struct buf *error)
{
    struct tls_ctx *ctx;
    char tmp[256];
    int r, ok;

    *ctx_r = NULL;
    if ((r = ctx_new(0, versions, &ctx, error)))
        return r;
    ctx->verify = verify;
    if (verify) {
        if (ca_file && (r = check_readable("CA certificate", ca_file, error)))
            goto done;
        ok = ca_file ? SSL_CTX_load_verify_locations(ctx->ssl_ctx, ca_file,
                                                     NULL)
                     : SSL_CTX_set_default_verify_paths(ctx->ssl_ctx);
        if (ok != 1) {
            set_error(error, "cannot load CA certificates from %s "
                      "(OpenSSL: %s)", ca_file ? ca_file : "the default store",
                      ossl_reason(tmp, sizeof(tmp)));
            r = ERR_BADARG;
            goto done;
        }
        SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER, NULL);
    }
done:
    if (r)
        tls_ctx_free(&ctx);
    *ctx_r = ctx;
    return r;
}

void tls_ctx_free(struct tls_ctx **ctx)
{
    if (!ctx || !*ctx)
        return;
    SSL_CTX_free((*ctx)->ssl_ctx);
    free(*ctx);
    *ctx = NULL;
}

/* ---- handshakes ----------------------------------------------------------- */

static void handshake_error(struct tls_conn *c, int r, const char *reason,
                            struct buf *error)
{
    long verify = SSL_get_verify_result(c->ssl);

    if (r == ERR_TIMEOUT || r == ERR_EOF || r == ERR_IO)
        set_error(error, "TLS handshake failed: %s", r == ERR_TIMEOUT
                  ? "timed out waiting for the peer"
                  : r == ERR_EOF ? "the peer closed the connection"
                  : "I/O error");
    else if (verify != X509_V_OK)
        set_error(error, "TLS handshake failed: certificate not accepted: "
                  "%s (OpenSSL: %s)", X509_verify_cert_error_string(verify),
                  reason);
    else
        set_error(error, "TLS handshake failed (OpenSSL: %s)", reason);
}

static int handshake(struct tls_ctx *ctx, struct prot *p, const char *host,
                     int timeout_s, struct buf *error)
{
    struct tls_conn *c;
    size_t dropped;
    BIO *bio;
    int r, ret, old_timeout = prot_get_timeout(p);

    if ((r = prot_flush(p))) {
        set_error(error, "cannot send output before the TLS handshake: %s",
                  error_string(r));
        return r;
    }
    /* STARTTLS command injection: what a client pipelined in plaintext
     * must never count as input that came through TLS. */
    if ((dropped = prot_discard_input(p)) > 0)
        log_warn("discarded %zu bytes of plaintext received before the TLS "
                 "handshake", dropped);
    c = xzmalloc(sizeof(*c));
    c->below = prot_top_stage(p);
    if (!(c->ssl = SSL_new(ctx->ssl_ctx)) ||
        !(bio = BIO_new(prot_bio_method()))) {
        set_error(error, "cannot create a TLS session");
        tls_conn_free(c);
        return ERR_INTERNAL;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio);
    if (host && !ctx->server) {
        SSL_set_tlsext_host_name(c->ssl, host);
        if (ctx->verify)
            SSL_set1_host(c->ssl, host);
    }
    if (timeout_s > 0)
        prot_set_timeout(p, timeout_s);
    ERR_clear_error();
    ret = ctx->server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
    prot_set_timeout(p, old_timeout);
    if (ret != 1) {
        char reason[256];
        r = conn_error(c, ret, reason, sizeof(reason));
        handshake_error(c, r, reason, error);
        tls_conn_free(c);
        return r;
    }
    if ((r = prot_set_layer(p, &tls_layer, c))) {
        set_error(error, "cannot install the TLS layer: %s", error_string(r));
        tls_conn_free(c);
    }
    return r;
}

int tls_start_server(struct tls_ctx *ctx, struct prot *p, int timeout_s,
                     struct buf *error)
{
    if (!ctx->server) {
        set_error(error, "tls_start_server needs a server context");
        return ERR_BADARG;
    }
    return handshake(ctx, p, NULL, timeout_s, error);
}

int tls_start_client(struct tls_ctx *ctx, struct prot *p,
                     const char *hostname, int timeout_s, struct buf *error)
{
    if (ctx->server) {
        set_error(error, "tls_start_client needs a client context");
        return ERR_BADARG;
    }
    if (ctx->verify && (!hostname || !*hostname)) {
        set_error(error, "certificate verification needs a host name");
        return ERR_BADARG;
    }
    return handshake(ctx, p, hostname, timeout_s, error);
}

int tls_session_info(const struct prot *p, struct tls_info *info)
{
    struct tls_conn *c = prot_layer_ctx(p, &tls_layer);

    if (!c)
        return ERR_NOTFOUND;
    info->version = SSL_get_version(c->ssl);
    info->cipher = SSL_get_cipher_name(c->ssl);
    info->bits = SSL_get_cipher_bits(c->ssl, NULL);
    return ERR_OK;
}
