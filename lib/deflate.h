/* deflate.h -- COMPRESS=DEFLATE (RFC 4978) for a struct prot: the only
 * glue to zlib.
 *
 * deflate_start() pushes a layer on the prot (prot.h, "Layers") that
 * compresses everything written and decompresses everything read, in raw
 * DEFLATE (RFC 1951: zlib's windowBits -15, no zlib or gzip header).  It
 * goes on top of the stack, above TLS and a SASL security layer, which is
 * the order RFC 4978 section 3 requires whatever order the commands came
 * in: data is compressed first, then the SASL layer and TLS protect it;
 * received data goes the opposite way.  Both sides of a connection use the
 * same layer (imapd, and clients in the tests).
 *
 * The switch: deflate_start() flushes the output still buffered, so what
 * was written before it (imapd's tagged "OK DEFLATE active") leaves
 * uncompressed, and DISCARDS the input already buffered, as every layer
 * does: RFC 4978 forbids a client to send anything after COMPRESS before
 * it has seen the answer, so such bytes are not part of the compressed
 * stream.  A warning is logged when bytes are dropped.
 *
 * Writing: each layer write (prot_flush(), or a big prot_write) ends with
 * a Z_SYNC_FLUSH, so every response the server flushes can be decoded by
 * the peer at once; the compression level is zlib's default (6).
 *
 * Reading: the peer may flush as it likes (sync, partial, full) and split
 * its stream anywhere; decoded bytes are handed up as soon as they can be
 * decoded.  Input that is not valid DEFLATE (or data after the peer ended
 * its stream with a final block) is ERR_PROTOCOL, logged once as a
 * warning with zlib's reason; the stream must then be closed.  A final
 * block ends the input: the next read is ERR_EOF.  Decoding is bounded:
 * at most one output buffer (8 kB) is decoded ahead of the reader, so a
 * small input that expands hugely costs time, never memory.
 *
 * Memory per stream (deflateInit2 windowBits -15, memLevel 8, as Dovecot;
 * Cyrus uses memLevel 9, 128 kB more): the compressor 2^17 + 2^17 bytes
 * (window and hash chains 128 kB, hash table and pending buffer 128 kB)
 * plus ~6 kB of state; the decompressor a 32 kB window (allocated at its
 * first output) plus ~7 kB; this layer 12 kB of buffers.  About 300 kB.
 * When the session is idle (prot_set_idle) the compressor is freed and a
 * new one is made at the next write, which the peer cannot tell: the last
 * write ended with a sync flush, and the new compressor's blocks refer
 * only to what follows.  An idle compressed session keeps about 50 kB
 * allocated (the decompressor and these buffers), about 30 kB touched.
 *
 * zlib is reached through zlib.h; imapd links lib/libzlib_dl.a so that it
 * is loaded only when a session turns compression on (lib/zlib_dl.c).
 */
#ifndef CHAPAR_DEFLATE_H
#define CHAPAR_DEFLATE_H

#include "lib/buf.h"
#include "lib/prot.h"

/* Push the compression layer on p.  ERR_EXISTS when p already has one;
 * ERR_NOMEM or ERR_INTERNAL when zlib cannot start (error says why, the
 * stream is unchanged); a flush error of prot_set_layer() (the layer is
 * then not installed).  error gets a one-line reason on every failure. */
int deflate_start(struct prot *p, struct buf *error);

/* 1 when p has the compression layer. */
int deflate_active(const struct prot *p);

/* Bytes zlib holds for p's layer now (0 without one). */
size_t deflate_memory(const struct prot *p);

#endif
