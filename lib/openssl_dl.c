/* openssl_dl.c -- OpenSSL loaded at its first use, for the per-connection
 * servers (imapd, pop3d).
 *
 * Why: a server process serves one connection and is exec'ed for it, so
 * every library it is linked with is loaded and relocated again for every
 * connection.  libcrypto alone makes about 400 kB of relocated data private
 * to each process (and costs a millisecond or two at start), yet most
 * sessions never use it: TLS comes only with STARTTLS or an implicit-TLS
 * service, SHA-1 only with APPEND and mailbox creation.
 *
 * How: this file defines each OpenSSL function that lib/tls.c and
 * lib/digest.c call, with OpenSSL's own prototype (the headers are
 * included, so the compiler checks every signature).  The first call of
 * any of them dlopen()s libssl (which brings libcrypto) and every call
 * goes on to the real function through a pointer fetched once with
 * dlsym().  The servers link lib/libopenssl_dl.a before the libraries
 * with --as-needed, so libssl and libcrypto drop out of their dependencies
 * when this file covers every function they use (lib/dl.h has the
 * mechanism); tests/unit/test_tls and the other programs use OpenSSL
 * directly.  A function missing here is no
 * build error: the server is then simply linked with OpenSSL again, which
 * tests/proto/test_conn_cost.py catches (readelf -d).
 *
 * Failure to load OpenSSL is an environment failure: log_fatal().
 * Not thread-safe (the servers are single-threaded).
 */
#include "config.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/dl.h"

#if OPENSSL_VERSION_MAJOR >= 3
#define OPENSSL_DL_LIBSSL "libssl.so." DL_STR(OPENSSL_VERSION_MAJOR)
#else
#define OPENSSL_DL_LIBSSL "libssl.so.1.1"
#endif

/* libssl depends on libcrypto, so one handle finds both. */
DL_LOOKUP(openssl_dl_sym, OPENSSL_DL_LIBSSL, "OpenSSL")

#define OPENSSL_DL(ret, name, params, args)                                 \
    DL_FORWARD(openssl_dl_sym, ret, name, params, args)
#define OPENSSL_DL_VOID(name, params, args)                                 \
    DL_FORWARD_VOID(openssl_dl_sym, name, params, args)

/* ---- libcrypto: BIO, memory, errors ----------------------------------- */
OPENSSL_DL_VOID(BIO_clear_flags, (BIO *b, int flags), (b, flags))
OPENSSL_DL(void *, BIO_get_data, (BIO *a), (a))
OPENSSL_DL(int, BIO_get_new_index, (void), ())
OPENSSL_DL(BIO_METHOD *, BIO_meth_new, (int type, const char *name),
           (type, name))
OPENSSL_DL(int, BIO_meth_set_create,
           (BIO_METHOD *biom, int (*create)(BIO *)), (biom, create))
OPENSSL_DL(int, BIO_meth_set_ctrl,
           (BIO_METHOD *biom, long (*ctrl)(BIO *, int, long, void *)),
           (biom, ctrl))
OPENSSL_DL(int, BIO_meth_set_read_ex,
           (BIO_METHOD *biom,
            int (*bread)(BIO *, char *, size_t, size_t *)),
           (biom, bread))
OPENSSL_DL(int, BIO_meth_set_write_ex,
           (BIO_METHOD *biom,
            int (*bwrite)(BIO *, const char *, size_t, size_t *)),
           (biom, bwrite))
OPENSSL_DL(BIO *, BIO_new, (const BIO_METHOD *type), (type))
OPENSSL_DL_VOID(BIO_set_data, (BIO *a, void *ptr), (a, ptr))
OPENSSL_DL_VOID(BIO_set_init, (BIO *a, int init), (a, init))
OPENSSL_DL_VOID(CRYPTO_free, (void *ptr, const char *file, int line),
                (ptr, file, line))
OPENSSL_DL(void *, CRYPTO_malloc, (size_t num, const char *file, int line),
           (num, file, line))
OPENSSL_DL_VOID(ERR_clear_error, (void), ())
OPENSSL_DL_VOID(ERR_error_string_n, (unsigned long e, char *buf, size_t len),
                (e, buf, len))
OPENSSL_DL(unsigned long, ERR_get_error_all,
           (const char **file, int *line, const char **func,
            const char **data, int *flags),
           (file, line, func, data, flags))
OPENSSL_DL(unsigned long, ERR_peek_error, (void), ())
OPENSSL_DL(const char *, ERR_reason_error_string, (unsigned long e), (e))

/* ---- libcrypto: digests, random, certificates ------------------------- */
OPENSSL_DL(int, EVP_DigestFinal_ex,
           (EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s),
           (ctx, md, s))
OPENSSL_DL(int, EVP_DigestInit_ex,
           (EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl),
           (ctx, type, impl))
OPENSSL_DL(int, EVP_DigestUpdate,
           (EVP_MD_CTX *ctx, const void *d, size_t cnt), (ctx, d, cnt))
OPENSSL_DL_VOID(EVP_MD_CTX_free, (EVP_MD_CTX *ctx), (ctx))
OPENSSL_DL(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
OPENSSL_DL(const EVP_MD *, EVP_sha1, (void), ())
OPENSSL_DL(int, RAND_bytes, (unsigned char *buf, int num), (buf, num))
OPENSSL_DL(const char *, X509_verify_cert_error_string, (long n), (n))

/* ---- libssl ------------------------------------------------------------ */
OPENSSL_DL(int, SSL_CIPHER_get_bits, (const SSL_CIPHER *c, int *alg_bits),
           (c, alg_bits))
OPENSSL_DL(const char *, SSL_CIPHER_get_name, (const SSL_CIPHER *c), (c))
OPENSSL_DL(int, SSL_CTX_check_private_key, (const SSL_CTX *ctx), (ctx))
OPENSSL_DL(long, SSL_CTX_ctrl, (SSL_CTX *ctx, int cmd, long larg, void *parg),
           (ctx, cmd, larg, parg))
OPENSSL_DL_VOID(SSL_CTX_free, (SSL_CTX *ctx), (ctx))
OPENSSL_DL(int, SSL_CTX_load_verify_locations,
           (SSL_CTX *ctx, const char *CAfile, const char *CApath),
           (ctx, CAfile, CApath))
OPENSSL_DL(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *meth), (meth))
OPENSSL_DL(int, SSL_CTX_set_cipher_list, (SSL_CTX *ctx, const char *str),
           (ctx, str))
OPENSSL_DL(int, SSL_CTX_set_default_verify_paths, (SSL_CTX *ctx), (ctx))
OPENSSL_DL(int, SSL_CTX_set_num_tickets, (SSL_CTX *ctx, size_t num_tickets),
           (ctx, num_tickets))
OPENSSL_DL(uint64_t, SSL_CTX_set_options, (SSL_CTX *ctx, uint64_t op),
           (ctx, op))
OPENSSL_DL_VOID(SSL_CTX_set_verify,
                (SSL_CTX *ctx, int mode, SSL_verify_cb callback),
                (ctx, mode, callback))
OPENSSL_DL(int, SSL_CTX_use_PrivateKey_file,
           (SSL_CTX *ctx, const char *file, int type), (ctx, file, type))
OPENSSL_DL(int, SSL_CTX_use_certificate_chain_file,
           (SSL_CTX *ctx, const char *file), (ctx, file))
OPENSSL_DL(int, SSL_accept, (SSL *ssl), (ssl))
OPENSSL_DL(int, SSL_connect, (SSL *ssl), (ssl))
OPENSSL_DL(long, SSL_ctrl, (SSL *ssl, int cmd, long larg, void *parg),
           (ssl, cmd, larg, parg))
OPENSSL_DL_VOID(SSL_free, (SSL *ssl), (ssl))
OPENSSL_DL(const SSL_CIPHER *, SSL_get_current_cipher, (const SSL *s), (s))
OPENSSL_DL(int, SSL_get_error, (const SSL *s, int ret_code), (s, ret_code))
OPENSSL_DL(long, SSL_get_verify_result, (const SSL *ssl), (ssl))
OPENSSL_DL(const char *, SSL_get_version, (const SSL *s), (s))
OPENSSL_DL(SSL *, SSL_new, (SSL_CTX *ctx), (ctx))
OPENSSL_DL(int, SSL_pending, (const SSL *s), (s))
OPENSSL_DL(int, SSL_read_ex, (SSL *ssl, void *buf, size_t num,
                              size_t *readbytes),
           (ssl, buf, num, readbytes))
OPENSSL_DL(int, SSL_set1_host, (SSL *s, const char *hostname), (s, hostname))
OPENSSL_DL_VOID(SSL_set_bio, (SSL *s, BIO *rbio, BIO *wbio), (s, rbio, wbio))
OPENSSL_DL(int, SSL_write_ex, (SSL *s, const void *buf, size_t num,
                               size_t *written),
           (s, buf, num, written))
OPENSSL_DL(const SSL_METHOD *, TLS_client_method, (void), ())
OPENSSL_DL(const SSL_METHOD *, TLS_server_method, (void), ())
