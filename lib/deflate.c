/* deflate.c -- the COMPRESS=DEFLATE layer; see deflate.h.
 *
 * Invariant of the reading side, which makes pending() exact and lets it
 * promise no I/O: after every layer call, either dec[dec_pos..dec_len)
 * holds decoded bytes, or zlib has consumed all the compressed input we
 * gave it and has nothing more to produce from it (in.avail_in == 0 and
 * !in_more).  A read that empties dec therefore decodes the rest of what
 * is buffered at once, before it returns.
 */
#include "config.h"

#define ZLIB_CONST
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/buf.h"
#include "lib/deflate.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/xmalloc.h"

#define DEFLATE_WINDOW_BITS (-15)   /* raw DEFLATE, 32 kB window */
#define DEFLATE_MEM_LEVEL 8         /* zlib's default, Dovecot's choice */
#define DEFLATE_RAW_SIZE 4096       /* compressed input read at once */
#define DEFLATE_DEC_SIZE 8192       /* decoded ahead of the reader */
#define DEFLATE_OUT_SIZE 16384      /* compressed output per write below */

struct deflate_layer {
    z_stream out;                   /* what we send */
    int out_live;                   /* out holds zlib's compressor */
    z_stream in;                    /* what the peer sends */
    int in_more;                    /* the last inflate filled dec: zlib
                                       may have more without new input */
    int in_ended;                   /* the peer's final block came */
    int in_err;                     /* sticky read error */
    size_t zheld;                   /* bytes zlib holds (zmem_alloc) */
    size_t dec_pos, dec_len;
    unsigned char dec[DEFLATE_DEC_SIZE];
    unsigned char raw[DEFLATE_RAW_SIZE];
};

/* zlib's allocations, counted in the layer's zheld (deflate_memory). */
static voidpf zmem_alloc(voidpf opaque, uInt items, uInt size)
{
    size_t n = (size_t)items * size;
    max_align_t *b = malloc(sizeof(*b) + n);

    if (!b)
        return Z_NULL;
    *(size_t *)b = n;
    *(size_t *)opaque += n;
    return b + 1;
}

static void zmem_free(voidpf opaque, voidpf ptr)
{
    max_align_t *b = (max_align_t *)ptr - 1;

    *(size_t *)opaque -= *(size_t *)b;
    free(b);
}

static void zmem_use(struct deflate_layer *d, z_stream *z)
{
    z->zalloc = zmem_alloc;
    z->zfree = zmem_free;
    z->opaque = &d->zheld;
}

/* The compressor, as deflate.h says. */
static int deflate_init(struct deflate_layer *d)
{
    int zr;

    zmem_use(d, &d->out);
    zr = deflateInit2(&d->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                      DEFLATE_WINDOW_BITS, DEFLATE_MEM_LEVEL,
                      Z_DEFAULT_STRATEGY);
    d->out_live = zr == Z_OK;
    return zr;
}

/* Decode what is buffered into the empty dec; no I/O. */
static void inflate_buffered(struct deflate_layer *d)
{
    int zr;

    d->dec_pos = d->dec_len = 0;
    if (d->in_err || (d->in.avail_in == 0 && !d->in_more))
        return;
    if (d->in_ended) {
        log_warn("compress: the peer sent data after the end of its "
                 "DEFLATE stream");
        d->in_err = ERR_PROTOCOL;
        return;
    }
    d->in.next_out = d->dec;
    d->in.avail_out = sizeof(d->dec);
    zr = inflate(&d->in, Z_SYNC_FLUSH);
    d->dec_len = sizeof(d->dec) - d->in.avail_out;
    d->in_more = d->in.avail_out == 0;
    if (zr == Z_STREAM_END) {
        d->in_ended = 1;
        d->in_more = 0;
        if (d->in.avail_in > 0) {
            log_warn("compress: the peer sent data after the end of its "
                     "DEFLATE stream");
            d->in_err = ERR_PROTOCOL;
        }
    } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
        /* Z_DATA_ERROR, Z_NEED_DICT (raw streams have none), Z_MEM_ERROR */
        log_warn("compress: undecodable DEFLATE data from the peer: %s",
                 d->in.msg ? d->in.msg : zr == Z_MEM_ERROR ? "out of memory"
                                                           : "zlib error");
        d->in_err = zr == Z_MEM_ERROR ? ERR_NOMEM : ERR_PROTOCOL;
        d->dec_len = 0;
        d->in.avail_in = 0;
        d->in_more = 0;
    }
}

static int deflate_layer_read(void *ctx, struct prot_stage *below, void *buf,
                              size_t size, size_t *n_r)
{
    struct deflate_layer *d = ctx;
    size_t n;

    while (d->dec_pos == d->dec_len) {
        int r;

        if (d->in_err)
            return d->in_err;
        if (d->in_ended)
            return ERR_EOF;
        n = 0;
        if ((r = prot_stage_read(below, d->raw, sizeof(d->raw), &n)))
            return r;
        d->in.next_in = d->raw;
        d->in.avail_in = (uInt)n;
        inflate_buffered(d);
    }
    n = d->dec_len - d->dec_pos;
    if (n > size)
        n = size;
    memcpy(buf, d->dec + d->dec_pos, n);
    d->dec_pos += n;
    if (d->dec_pos == d->dec_len)
        inflate_buffered(d);
    *n_r = n;
    return ERR_OK;
}

static int deflate_layer_write(void *ctx, struct prot_stage *below,
                               const void *buf, size_t n)
{
    struct deflate_layer *d = ctx;
    const unsigned char *p = buf;
    unsigned char out[DEFLATE_OUT_SIZE];

    if (!d->out_live && deflate_init(d) != Z_OK)
        return ERR_NOMEM;
    do {
        uInt chunk = n > UINT_MAX / 2 ? UINT_MAX / 2 : (uInt)n;
        int flush;

        d->out.next_in = p;
        d->out.avail_in = chunk;
        p += chunk;
        n -= chunk;
        /* The last piece ends on a byte boundary the peer can decode to. */
        flush = n ? Z_NO_FLUSH : Z_SYNC_FLUSH;
        do {
            size_t have;
            int r;

            d->out.next_out = out;
            d->out.avail_out = sizeof(out);
            if (deflate(&d->out, flush) == Z_STREAM_ERROR)
                return ERR_INTERNAL;
            have = sizeof(out) - d->out.avail_out;
            if ((r = prot_stage_write(below, out, have)))
                return r;
        } while (d->out.avail_out == 0);
    } while (n > 0);
    return ERR_OK;
}

static size_t deflate_layer_pending(void *ctx)
{
    struct deflate_layer *d = ctx;
    return d->dec_len - d->dec_pos;
}

/* Idle: drop the compressor (256 kB) and start a new one at the next
 * write.  The peer's decompressor goes on: our last write ended with a
 * sync flush (on a byte boundary, no final block), and the new
 * compressor's blocks refer only to data after it. */
static void deflate_layer_idle(void *ctx)
{
    struct deflate_layer *d = ctx;

    if (d->out_live) {
        deflateEnd(&d->out);
        d->out_live = 0;
    }
}

static void deflate_layer_free(void *ctx)
{
    struct deflate_layer *d = ctx;

    if (!d)
        return;
    deflate_layer_idle(d);
    inflateEnd(&d->in);
    free(d);
}

static const struct prot_layer deflate_layer = {
    "deflate", deflate_layer_read, deflate_layer_write,
    deflate_layer_pending, deflate_layer_free, deflate_layer_idle
};

int deflate_active(const struct prot *p)
{
    return prot_layer_ctx(p, &deflate_layer) != NULL;
}

size_t deflate_memory(const struct prot *p)
{
    const struct deflate_layer *d = prot_layer_ctx(p, &deflate_layer);
    return d ? d->zheld : 0;
}

static int zlib_error(int zr, const char *what, struct buf *error)
{
    buf_reset(error);
    buf_printf(error, "cannot start %s: %s", what,
               zr == Z_MEM_ERROR       ? "out of memory"
               : zr == Z_VERSION_ERROR ? "zlib does not match its header"
                                       : "bad parameters");
    return zr == Z_MEM_ERROR ? ERR_NOMEM : ERR_INTERNAL;
}

int deflate_start(struct prot *p, struct buf *error)
{
    struct deflate_layer *d;
    size_t dropped;
    int zr, r;

    if (deflate_active(p)) {
        buf_setcstr(error, "DEFLATE compression is already active");
        return ERR_EXISTS;
    }
    /* Only the scalars need zeroing: the buffers are written before use. */
    d = xmalloc(sizeof(*d));
    memset(d, 0, offsetof(struct deflate_layer, dec));
    if ((zr = deflate_init(d)) != Z_OK) {
        free(d);
        return zlib_error(zr, "compression", error);
    }
    zmem_use(d, &d->in);
    if ((zr = inflateInit2(&d->in, DEFLATE_WINDOW_BITS)) != Z_OK) {
        deflate_layer_idle(d);
        free(d);
        return zlib_error(zr, "decompression", error);
    }
    dropped = prot_input_pending(p);
    if ((r = prot_set_layer(p, &deflate_layer, d))) {
        deflate_layer_free(d);
        buf_setcstr(error, "cannot send the output before compression");
        return r;
    }
    if (dropped)
        log_warn("compress: dropped %zu bytes the peer sent before "
                 "compression started", dropped);
    return ERR_OK;
}
