/* digest.h -- SHA-1 (message GUIDs) and hex, the libcrypto glue for hashes.
 * One-shot and incremental forms; never fails (log_panic on an OpenSSL
 * internal error, which cannot happen for SHA-1 in practice). */
#ifndef CHAPAR_DIGEST_H
#define CHAPAR_DIGEST_H

#include <stddef.h>

#define DIGEST_SHA1_LEN 20

void digest_sha1(const void *data, size_t len,
                 unsigned char out[DIGEST_SHA1_LEN]);

struct digest_ctx;
struct digest_ctx *digest_sha1_begin(void);
void digest_update(struct digest_ctx *ctx, const void *data, size_t len);
/* Writes the digest and frees the context. */
void digest_end(struct digest_ctx **ctxp, unsigned char out[DIGEST_SHA1_LEN]);

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void digest_hex(const unsigned char *in, size_t len, char *out);
/* Fill buf with len cryptographically random bytes (unique ids). */
void digest_random(void *buf, size_t len);

#endif
