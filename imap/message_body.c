/* message_body.c -- BODY and BODYSTRUCTURE (RFC 3501 7.4.2) from the
 * parsed part tree.
 *
 * The tree is already normalised by the parser: every multipart has at
 * least one child and every MESSAGE/RFC822 part an inner message, so the
 * output always matches the grammar (1*body for a multipart, envelope and
 * body for body-type-msg).  Recursion depth is bounded by
 * MESSAGE_MAX_DEPTH.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "imap/message.h"
#include "imap/message_private.h"

/* body-fld-param: ("NAME" "value" ...) or NIL */
static void write_params(struct buf *out, const struct message_params *ps)
{
    if (!ps->count) {
        buf_appendcstr(out, "NIL");
        return;
    }
    buf_putc(out, '(');
    for (size_t i = 0; i < ps->count; i++) {
        if (i)
            buf_putc(out, ' ');
        message_write_nstring(out, ps->v[i].attr);
        buf_putc(out, ' ');
        message_write_nstring(out, ps->v[i].value);
    }
    buf_putc(out, ')');
}

/* SP body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void write_dsp_lang_loc(struct buf *out, const struct message_part *part)
{
    buf_putc(out, ' ');
    if (part->disposition) {
        buf_putc(out, '(');
        message_write_nstring(out, part->disposition);
        buf_putc(out, ' ');
        write_params(out, &part->disp_params);
        buf_putc(out, ')');
    } else {
        buf_appendcstr(out, "NIL");
    }
    buf_putc(out, ' ');
    if (part->language.count) {
        buf_putc(out, '(');
        for (size_t i = 0; i < part->language.count; i++) {
            if (i)
                buf_putc(out, ' ');
            message_write_nstring(out, part->language.data[i]);
        }
        buf_putc(out, ')');
    } else {
        buf_appendcstr(out, "NIL");
    }
    buf_putc(out, ' ');
    message_write_nstring(out, part->location);
}

static void write_multipart(struct buf *out, const struct message_part *part,
                            int extended)
{
    buf_putc(out, '(');
    for (size_t i = 0; i < part->nchildren; i++)
        message_body_write(out, part->children[i], extended);
    buf_putc(out, ' ');
    message_write_nstring(out, part->subtype);
    if (extended) {
        buf_putc(out, ' ');
        write_params(out, &part->params);
        write_dsp_lang_loc(out, part);
    }
    buf_putc(out, ')');
}

void message_body_write(struct buf *out, const struct message_part *part,
                        int extended)
{
    if (part->nchildren) {
        write_multipart(out, part, extended);
        return;
    }
    buf_putc(out, '(');
    message_write_nstring(out, part->type);
    buf_putc(out, ' ');
    message_write_nstring(out, part->subtype);
    buf_putc(out, ' ');
    write_params(out, &part->params);
    buf_putc(out, ' ');
    message_write_nstring(out, part->id);
    buf_putc(out, ' ');
    message_write_nstring(out, part->description);
    buf_putc(out, ' ');
    message_write_nstring(out, part->encoding);
    buf_printf(out, " %u", (unsigned)part->body_len);
    if (part->inner) {
        /* body-type-msg: envelope and body of the inner message */
        buf_putc(out, ' ');
        buf_appendcstr(out, part->inner->envelope);
        buf_putc(out, ' ');
        message_body_write(out, part->inner, extended);
        buf_printf(out, " %u", (unsigned)part->lines);
    } else if (!strcmp(part->type, "TEXT")) {
        buf_printf(out, " %u", (unsigned)part->lines);
    }
    if (extended) {
        buf_putc(out, ' ');
        message_write_nstring(out, part->md5);
        write_dsp_lang_loc(out, part);
    }
    buf_putc(out, ')');
}
