/* message_private.h -- shared by the message_*.c files; not an API.
 *
 * The parser (message.c) builds a tree of struct message_part, one per MIME
 * entity: the message itself, each part of a multipart, and the message
 * inside a message/rfc822 part (part->inner).  message_fields.c reads header
 * fields into a part, message_envelope.c writes ENVELOPE and wire strings,
 * message_body.c writes BODY/BODYSTRUCTURE from the tree.  The tree lives
 * only during message_parse(); what outlives it is struct message_info.
 */
#ifndef CHAPAR_MESSAGE_PRIVATE_H
#define CHAPAR_MESSAGE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/strarray.h"
#include "imap/mailstore/message.h"

/* Header fields the parser reads: the cached ones (enum message_header),
 * then those only MIME needs. */
enum {
    MESSAGE_FLD_CONTENT_TYPE = MESSAGE_HDR__COUNT,
    MESSAGE_FLD_CTE,
    MESSAGE_FLD_CONTENT_ID,
    MESSAGE_FLD_CONTENT_DESCRIPTION,
    MESSAGE_FLD_CONTENT_MD5,
    MESSAGE_FLD_CONTENT_DISPOSITION,
    MESSAGE_FLD_CONTENT_LANGUAGE,
    MESSAGE_FLD_CONTENT_LOCATION,
    MESSAGE_FLD__COUNT
};

/* Parameters of Content-Type / Content-Disposition, in header order. */
struct message_param {
    char *attr;                 /* upper case */
    char *value;                /* unquoted, as written */
};

struct message_params {
    size_t count;
    size_t alloc;
    struct message_param *v;
};

struct message_part {
    uint32_t hdr_off, hdr_len;  /* the entity's header */
    uint32_t body_off, body_len;
    uint32_t lines;             /* TEXT and MESSAGE types only */
    char *type, *subtype;       /* upper case, never NULL after parsing */
    struct message_params params;
    char *id, *description, *md5, *location;    /* NULL: NIL */
    char *encoding;             /* upper case, never NULL */
    char *disposition;          /* upper case, or NULL */
    struct message_params disp_params;
    struct strarray language;
    char *envelope;             /* message entities only (root, ->inner) */
    struct message_part **children;     /* multipart: >= 1 */
    size_t nchildren;
    struct message_part *inner; /* MESSAGE/RFC822 only, never NULL there */
};

/* ---- message_fields.c ---------------------------------------------- */

/* Read the header fields of [hdr, hdr+len) into values[] (unfolded,
 * trimmed, NUL read as space, first occurrence wins); absent fields stay
 * NULL.  values[] must start all NULL. */
void message_fields_collect(const char *hdr, size_t len,
                            char *values[MESSAGE_FLD__COUNT]);
void message_fields_free(char *values[MESSAGE_FLD__COUNT]);
/* Set part's type, parameters, encoding, id, description, md5,
 * disposition, language and location from values[].  digest: the default
 * type is MESSAGE/RFC822 (a part of multipart/digest). */
void message_fields_mime(struct message_part *part,
                         char *const values[MESSAGE_FLD__COUNT], int digest);
/* Replace part's type with type/subtype (no parameters, or the default
 * CHARSET=us-ascii when charset is set). */
void message_part_retype(struct message_part *part, const char *type,
                         const char *subtype, int charset);
/* The value of the parameter attr (upper case), or NULL. */
const char *message_params_get(const struct message_params *params,
                               const char *attr);
/* Free a part tree (NULL is fine) and set *partp to NULL. */
void message_part_free(struct message_part **partp);

/* ---- message_envelope.c -------------------------------------------- */

/* Append s as an IMAP nstring (NIL, quoted or literal; see message.h). */
void message_write_nstring(struct buf *out, const char *s);
/* Append the ENVELOPE of a message entity whose fields are values[]. */
void message_envelope_write(struct buf *out,
                            char *const values[MESSAGE_FLD__COUNT]);

/* ---- message_pack.c ------------------------------------------------ */

/* A varint: unsigned LEB128, at most 10 bytes.  get: 1 and *p advanced,
 * or 0 if it does not end before end. */
void message_put_varint(struct buf *out, uint64_t v);
int message_get_varint(const unsigned char **p, const unsigned char *end,
                       uint64_t *v_r);
/* The number of the word [s, s+len) in the fixed table of MIME words
 * (type names, parameter names, charsets ...), or -1; and the inverse
 * (NULL past the table). */
int message_pack_word(const char *s, size_t len);
const char *message_pack_word_at(uint64_t k);
/* Append the packed form of an IMAP wire value (a BODYSTRUCTURE as
 * message_body.c writes it) to out; any other text is kept whole. */
void message_pack_wire(struct buf *out, const char *wire, size_t len);
/* Append the wire value that packed exactly len bytes to out; ERR_OK, or
 * ERR_BADFORMAT (out unchanged) for bytes message_pack_wire never makes. */
int message_unpack_wire(const char *packed, size_t len, struct buf *out);

/* ---- message_fields.c: raw header lines ----------------------------- */

/* message_info.header_fields of the header p[0, len): a fresh string and
 * *len_r, or NULL when longer than MESSAGE_FIELDS_MAX. */
char *message_raw_fields(const char *p, size_t len, size_t *len_r);

/* ---- message_body.c ------------------------------------------------ */

/* Append BODYSTRUCTURE (extended) or BODY of the entity part. */
void message_body_write(struct buf *out, const struct message_part *part,
                        int extended);

#endif
