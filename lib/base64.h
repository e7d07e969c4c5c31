/* base64.h -- RFC 4648 base64, as SASL exchanges in IMAP, POP3 and LMTP
 * use it.  Decoding is strict: only the alphabet, '=' padding at the end
 * and a length that is a multiple of four; anything else is ERR_BADARG. */
#ifndef CHAPAR_BASE64_H
#define CHAPAR_BASE64_H

#include <stddef.h>

#include "lib/buf.h"

/* Append the encoding of len bytes to out. */
void base64_encode(const void *data, size_t len, struct buf *out);
/* Replace out with the decoding of len characters; ERR_BADARG if invalid. */
int base64_decode(const char *text, size_t len, struct buf *out);

#endif
