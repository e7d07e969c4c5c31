/* index_binary.c -- the content of a body section with its
 * Content-Transfer-Encoding undone, for FETCH BINARY[...] and
 * BINARY.SIZE[...] (RFC 3516 4.2, 4.3).
 *
 * The encoding of a part is the one its BODYSTRUCTURE names (cyrus.cache,
 * message.h): BASE64 and QUOTED-PRINTABLE are decoded (charset.h's
 * decoders, the ones SEARCH uses); 7BIT, 8BIT and BINARY are the identity;
 * any other encoding is ERR_NOTSUPP, which FETCH answers with
 * NO [UNKNOWN-CTE].  BINARY[] (no part) is the whole message as stored:
 * a message has no transfer encoding of its own.  The size of an identity
 * section comes from the cache alone; only a decoded one needs the file.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/error.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/message.h"

enum cte { CTE_IDENTITY, CTE_BASE64, CTE_QP, CTE_UNKNOWN };

static enum cte cte_of(const char *enc)
{
    if (!strcasecmp(enc, "7BIT") || !strcasecmp(enc, "8BIT") ||
        !strcasecmp(enc, "BINARY"))
        return CTE_IDENTITY;
    if (!strcasecmp(enc, "BASE64"))
        return CTE_BASE64;
    if (!strcasecmp(enc, "QUOTED-PRINTABLE"))
        return CTE_QP;
    return CTE_UNKNOWN;
}

/* The encoding of spec's part (identity for the whole message), or -1
 * when the message has no such part. */
static int section_cte(const struct message_info *info, const char *spec,
                       size_t *off_r, size_t *len_r)
{
    const struct message_section *s;

    if (!*spec) {
        *off_r = 0;
        *len_r = info->size;
        return CTE_IDENTITY;
    }
    if (!(s = message_section_lookup(info, spec)))
        return -1;
    *off_r = s->body_offset;
    *len_r = s->body_size;
    return (int)cte_of(s->encoding);
}

int index_binary_needs_file(const struct message_info *info,
                            const struct index_section *sec)
{
    size_t off, len;
    int cte = section_cte(info, sec->spec, &off, &len);

    if (cte < 0 || cte == CTE_UNKNOWN)
        return 0;
    return sec->binary == INDEX_BINARY_DATA || cte != CTE_IDENTITY;
}

int index_binary_section(const struct message_info *info, const char *base,
                         size_t maplen, const struct index_section *sec,
                         struct index_binary *out)
{
    size_t off, len;
    int cte = section_cte(info, sec->spec, &off, &len);

    buf_reset(&out->buf);
    out->exists = cte >= 0;
    out->data = "";
    out->len = 0;
    if (cte < 0)
        return ERR_OK;
    if (cte == CTE_UNKNOWN)
        return ERR_NOTSUPP;
    if (cte == CTE_IDENTITY && sec->binary == INDEX_BINARY_SIZE) {
        out->len = len;
        return ERR_OK;
    }
    /* The cache's ranges lie inside the message; a file that shrank
     * under us is clamped, never overread. */
    if (!base)
        return ERR_OK;          /* no file: an empty section */
    if (off > maplen)
        off = maplen;
    if (len > maplen - off)
        len = maplen - off;
    if (cte == CTE_IDENTITY) {
        out->data = base + off;
        out->len = len;
        return ERR_OK;
    }
    if (cte == CTE_BASE64)
        charset_decode_base64(base + off, len, &out->buf);
    else
        charset_decode_qp(base + off, len, 0, &out->buf);
    out->data = out->buf.s ? out->buf.s : "";
    out->len = out->buf.len;
    return ERR_OK;
}
