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
#include "lib/error.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/message_private.h"

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

/* ---- BODY from BODYSTRUCTURE -------------------------------------------- *
 *
 * cyrus.cache keeps only BODYSTRUCTURE; BODY is the same tree without the
 * extension data, so it is cut out of the wire string: a multipart keeps
 * its parts and subtype, a leaf its seven basic fields, then the envelope,
 * inner body and line count of a message/rfc822 part (recognised by the
 * list where a leaf's MD5 would be) or the line count of a TEXT part.  The
 * input comes from a CRC-checked cache entry but is still treated as
 * untrusted: every step is bounds-checked and nesting is limited. */

struct wire {
    const char *p, *end;
    int depth;
};

/* Past one item (NIL, number, atom, quoted, literal or list); 0 if bad. */
static int wire_skip(struct wire *w)
{
    if (w->p >= w->end)
        return 0;
    if (*w->p == '(') {
        if (++w->depth > 4 * MESSAGE_MAX_DEPTH + 8)
            return 0;
        w->p++;
        while (w->p < w->end && *w->p != ')') {
            if (*w->p == ' ')
                w->p++;
            else if (!wire_skip(w))
                return 0;
        }
        if (w->p >= w->end)
            return 0;
        w->p++;
        w->depth--;
        return 1;
    }
    if (*w->p == '"') {
        for (w->p++; w->p < w->end && *w->p != '"'; w->p++)
            if (*w->p == '\\' && ++w->p >= w->end)
                return 0;
        if (w->p >= w->end)
            return 0;
        w->p++;
        return 1;
    }
    if (*w->p == '{') {
        size_t n = 0;
        for (w->p++; w->p < w->end && *w->p >= '0' && *w->p <= '9'; w->p++) {
            if (n > (size_t)(w->end - w->p))
                return 0;
            n = n * 10 + (size_t)(*w->p - '0');
        }
        if (w->end - w->p < 3 || memcmp(w->p, "}\r\n", 3) ||
            n > (size_t)(w->end - w->p - 3))
            return 0;
        w->p += 3 + n;
        return 1;
    }
    while (w->p < w->end && *w->p != ' ' && *w->p != '(' && *w->p != ')')
        w->p++;
    return 1;
}

/* Copy n items (each preceded by SP, except at the start of a list). */
static int wire_copy(struct wire *w, struct buf *out, int n, int lead_sp)
{
    for (int i = 0; i < n; i++) {
        const char *start;
        if (i || lead_sp) {
            if (w->p >= w->end || *w->p != ' ')
                return 0;
            w->p++;
            buf_putc(out, ' ');
        }
        start = w->p;
        if (!wire_skip(w))
            return 0;
        buf_appendmap(out, start, (size_t)(w->p - start));
    }
    return 1;
}

/* Skip what is left of the current list, and its ')'. */
static int wire_close(struct wire *w)
{
    while (w->p < w->end && *w->p != ')') {
        if (*w->p == ' ')
            w->p++;
        else if (!wire_skip(w))
            return 0;
    }
    if (w->p >= w->end)
        return 0;
    w->p++;
    return 1;
}

static int wire_body(struct wire *w, struct buf *out)
{
    const char *type;
    int r;

    if (w->p >= w->end || *w->p != '(' ||
        ++w->depth > 2 * MESSAGE_MAX_DEPTH + 8)
        return 0;
    w->p++;
    buf_putc(out, '(');
    if (w->p < w->end && *w->p == '(') {
        /* multipart: 1*body SP subtype [extension] */
        while (w->p < w->end && *w->p == '(')
            if (!wire_body(w, out))
                return 0;
        r = wire_copy(w, out, 1, 1);
    } else {
        type = w->p;
        r = wire_copy(w, out, 7, 0);
        if (r && w->end - w->p > 1 && w->p[0] == ' ' && w->p[1] == '(') {
            /* body-type-msg: envelope body lines */
            r = wire_copy(w, out, 1, 1);
            if (r && w->p < w->end && *w->p == ' ') {
                w->p++;
                buf_putc(out, ' ');
                r = wire_body(w, out) && wire_copy(w, out, 1, 1);
            } else {
                r = 0;
            }
        } else if (r && !strncmp(type, "\"TEXT\" ", 7)) {
            r = wire_copy(w, out, 1, 1);
        }
    }
    if (!r || !wire_close(w))
        return 0;
    buf_putc(out, ')');
    w->depth--;
    return 1;
}

int message_body_from_structure(const char *bs, size_t len, struct buf *out)
{
    struct wire w;
    size_t start = out->len;

    /* An empty value is no BODYSTRUCTURE; its bs may be NULL (an empty
     * buf's), where even bs + 0 is undefined. */
    if (!len)
        return ERR_BADFORMAT;
    w = (struct wire){ bs, bs + len, 0 };
    if (!wire_body(&w, out) || w.p != w.end) {
        buf_truncate(out, start);
        return ERR_BADFORMAT;
    }
    return ERR_OK;
}
