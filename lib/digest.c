/* digest.c -- SHA-1 and random bytes through OpenSSL's libcrypto. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/digest.h"
#include "lib/log.h"

struct digest_ctx {
    EVP_MD_CTX *md;
};

struct digest_ctx *digest_sha1_begin(void)
{
    struct digest_ctx *ctx;
    ctx = OPENSSL_malloc(sizeof(*ctx));
    if (!ctx || !(ctx->md = EVP_MD_CTX_new()) ||
        !EVP_DigestInit_ex(ctx->md, EVP_sha1(), NULL))
        log_panic("EVP SHA-1 init failed");
    return ctx;
}

void digest_update(struct digest_ctx *ctx, const void *data, size_t len)
{
    if (!EVP_DigestUpdate(ctx->md, data, len))
        log_panic("EVP SHA-1 update failed");
}

void digest_end(struct digest_ctx **ctxp, unsigned char out[DIGEST_SHA1_LEN])
{
    unsigned int n = 0;
    if (!EVP_DigestFinal_ex((*ctxp)->md, out, &n) || n != DIGEST_SHA1_LEN)
        log_panic("EVP SHA-1 final failed");
    EVP_MD_CTX_free((*ctxp)->md);
    OPENSSL_free(*ctxp);
    *ctxp = NULL;
}

void digest_sha1(const void *data, size_t len,
                 unsigned char out[DIGEST_SHA1_LEN])
{
    struct digest_ctx *ctx = digest_sha1_begin();
    digest_update(ctx, data, len);
    digest_end(&ctx, out);
}

void digest_hex(const unsigned char *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void digest_random(void *buf, size_t len)
{
    if (RAND_bytes(buf, (int)len) != 1)
        log_fatal("no random bytes from OpenSSL");
}
