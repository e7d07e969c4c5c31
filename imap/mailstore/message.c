/* message.c -- normalise a message, parse its MIME structure once, and
 * find BODY[section] ranges (see message.h for the rules).
 *
 * The parser is a single forward pass over the lines of the message with
 * a stack of the boundaries of the open multiparts.  Each scan stops at a
 * boundary line of ANY open multipart (innermost checked first) and leaves
 * it unread for the multipart that owns it, so a never-closed inner part
 * ends at an outer boundary and nothing is read twice.  Recursion is
 * bounded by MESSAGE_MAX_DEPTH, the part count by MESSAGE_MAX_PARTS.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/message_private.h"

/* RFC 2046 allows 70; longer ones are treated as missing, which bounds
 * the cost of each boundary comparison. */
#define BOUNDARY_MAX 200

/* ---- normalisation ------------------------------------------------------ */

int message_normalize(const char *in, size_t len, int reject8bit,
                      struct buf *out)
{
    int in_header = 1, line_empty = 1;
    size_t i = 0;

    buf_reset(out);
    buf_ensure(out, len + len / 32 + 2);
    while (i < len) {
        size_t run = i;
        unsigned char c;

        /* Copy the bytes that need no change in one go. */
        while (i < len && in[i] != '\r' && in[i] != '\n' &&
               (!in_header || (in[i] && !(in[i] & 0x80))))
            i++;
        buf_appendmap(out, in + run, i - run);
        if (i > run)
            line_empty = 0;
        if (i == len)
            break;
        c = (unsigned char)in[i++];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i < len && in[i] == '\n')
                i++;
            buf_appendmap(out, "\r\n", 2);
            if (line_empty)
                in_header = 0;      /* the empty line ends the header */
            line_empty = 1;
        } else if (!c) {
            buf_putc(out, ' ');     /* NUL in the header */
            line_empty = 0;
        } else if (reject8bit) {
            buf_reset(out);
            return ERR_BADFORMAT;
        } else {
            buf_putc(out, 'X');     /* 8-bit byte in the header */
            line_empty = 0;
        }
    }
    return ERR_OK;
}

int message_has_unix_from(const char *in, size_t len)
{
    return len >= 5 && !memcmp(in, "From ", 5);
}

/* ---- the structure parser ----------------------------------------------- */

struct boundary {
    const char *s;
    size_t len;
};

struct parser {
    const char *base;
    size_t len;
    size_t pos;                 /* start of the next unread line */
    size_t nparts;              /* parts listed so far */
    int nbound;                 /* open multiparts, innermost last */
    struct boundary bound[MESSAGE_MAX_DEPTH];
    int hit;                    /* the last scan stopped at the boundary
                                 * line of bound[hit] (at pos), or -1 */
    int hit_close;              /* ... which was a close delimiter */
    size_t hit_next;            /* the line after that boundary line */
};

/* The line at pos: returns the end of its content (before CRLF or LF) and
 * sets *next_r to the start of the next line. */
static size_t line_end(const struct parser *p, size_t pos, size_t *next_r)
{
    const char *lf = memchr(p->base + pos, '\n', p->len - pos);
    size_t end;

    if (!lf) {
        *next_r = p->len;
        return p->len;
    }
    end = (size_t)(lf - p->base);
    *next_r = end + 1;
    if (end > pos && p->base[end - 1] == '\r')
        end--;
    return end;
}

/* If [pos, end) is a boundary line of an open multipart, its index (and
 * hit_close), else -1.  After "--boundary" comes nothing, white space or
 * "--"; anything else is not a boundary, so "--foo" never matches inside
 * "--foobar". */
static int boundary_at(struct parser *p, size_t pos, size_t end)
{
    const char *s = p->base + pos;
    size_t n = end - pos;

    if (n < 2 || s[0] != '-' || s[1] != '-')
        return -1;
    for (int i = p->nbound - 1; i >= 0; i--) {
        const struct boundary *b = &p->bound[i];
        const char *rest = s + 2 + b->len;
        size_t rn;

        if (n - 2 < b->len || memcmp(s + 2, b->s, b->len))
            continue;
        rn = n - 2 - b->len;
        if (rn >= 2 && rest[0] == '-' && rest[1] == '-') {
            p->hit_close = 1;
            return i;
        }
        if (!rn || rest[0] == ' ' || rest[0] == '\t') {
            p->hit_close = 0;
            return i;
        }
    }
    return -1;
}

/* The CRLF (or LF) before the boundary line at line belongs to the
 * boundary (RFC 2046 5.1.1), not to content that started at start. */
static size_t before_boundary(const struct parser *p, size_t start,
                              size_t line)
{
    if (line >= start + 2 && p->base[line - 2] == '\r' &&
        p->base[line - 1] == '\n')
        return line - 2;
    if (line >= start + 1 && p->base[line - 1] == '\n')
        return line - 1;
    return line;
}

/* Read lines from pos up to a boundary line (left unread) or the end;
 * returns the end of the content read.  The content may give back bytes
 * down to min_end (<= pos): an empty epilogue gives the CRLF that ends its
 * close delimiter to the boundary line that follows. */
static size_t scan_to_boundary(struct parser *p, size_t min_end)
{
    size_t pos = p->pos;

    p->hit = -1;
    while (p->nbound && pos < p->len) {
        size_t next, end = line_end(p, pos, &next);
        int idx = boundary_at(p, pos, end);
        if (idx >= 0) {
            p->hit = idx;
            p->hit_next = next;
            p->pos = pos;
            return before_boundary(p, min_end, pos);
        }
        pos = next;
    }
    p->pos = p->len;
    return p->len;
}

/* Read an entity's header: up to and including the empty line (then 1:
 * a body follows), or up to a boundary line or the end (then 0: the
 * entity is only header).  Sets the part's header range and body_off. */
static int scan_header(struct parser *p, struct message_part *part)
{
    size_t start = p->pos, pos = start, end;

    p->hit = -1;
    part->hdr_off = (uint32_t)start;
    while (pos < p->len) {
        size_t next;
        int idx;

        end = line_end(p, pos, &next);
        if (end == pos) {
            part->hdr_len = (uint32_t)(next - start);
            part->body_off = (uint32_t)next;
            p->pos = next;
            return 1;
        }
        if (p->nbound && (idx = boundary_at(p, pos, end)) >= 0) {
            p->hit = idx;
            p->hit_next = next;
            p->pos = pos;
            end = before_boundary(p, start, pos);
            part->hdr_len = (uint32_t)(end - start);
            part->body_off = (uint32_t)end;
            return 0;
        }
        pos = next;
    }
    p->pos = p->len;
    part->hdr_len = (uint32_t)(p->len - start);
    part->body_off = (uint32_t)p->len;
    return 0;
}

static uint32_t count_lines(const char *s, size_t n)
{
    const char *end = s + n, *lf;
    uint32_t lines = 0;

    while (s < end && (lf = memchr(s, '\n', (size_t)(end - s)))) {
        lines++;
        s = lf + 1;
    }
    return lines + (s < end);
}

static struct message_part *parse_entity(struct parser *p, int digest,
                                         int depth, int is_message,
                                         char *values_r[]);

static void add_child(struct message_part *mp, struct message_part *child)
{
    /* grow by doubling: 10,000 parts must stay linear */
    if (!(mp->nchildren & (mp->nchildren - 1)))
        mp->children = xreallocarray(mp->children,
                                     mp->nchildren ? mp->nchildren * 2 : 1,
                                     sizeof(*mp->children));
    mp->children[mp->nchildren++] = child;
}

/* The body of a multipart whose boundary is usable: preamble, parts,
 * epilogue.  It ends at its close delimiter's epilogue end, at a boundary
 * of an outer multipart, or at the end of the message. */
static void parse_multipart(struct parser *p, struct message_part *mp,
                            const char *boundary, int depth)
{
    int own = p->nbound, digest = !strcmp(mp->subtype, "DIGEST");
    size_t end;

    ASSERT(own < MESSAGE_MAX_DEPTH);
    p->bound[own].s = boundary;
    p->bound[own].len = strlen(boundary);
    p->nbound++;
    end = scan_to_boundary(p, p->pos);          /* the preamble */
    while (p->hit == own && !p->hit_close) {
        p->pos = p->hit_next;
        if (p->nparts >= MESSAGE_MAX_PARTS) {
            end = scan_to_boundary(p, p->pos);  /* kept, not listed */
            continue;
        }
        p->nparts++;
        struct message_part *child = parse_entity(p, digest, depth + 1, 0,
                                                  NULL);
        add_child(mp, child);
        end = child->body_off + child->body_len;
    }
    p->nbound = own;
    if (p->hit == own) {
        /* the close delimiter; the epilogue runs to an outer boundary */
        size_t close_line = p->pos;
        p->pos = p->hit_next;
        end = scan_to_boundary(p, close_line);
    }
    mp->body_len = (uint32_t)(end - mp->body_off);
}

/* An empty message entity at off (a message/rfc822 part with no body). */
static struct message_part *empty_entity(size_t off)
{
    struct message_part *part = xzmalloc(sizeof(*part));
    char *values[MESSAGE_FLD__COUNT] = { NULL };
    struct buf env = BUF_INITIALIZER;

    part->hdr_off = part->body_off = (uint32_t)off;
    message_fields_mime(part, values, 0);
    message_envelope_write(&env, values);
    part->envelope = buf_release(&env);
    return part;
}

/* Parse one entity at p->pos: header, then body by type.  is_message: it
 * is a whole message (the root, or inside message/rfc822), so it gets an
 * ENVELOPE; values_r (root only) receives its header values. */
static struct message_part *parse_entity(struct parser *p, int digest,
                                         int depth, int is_message,
                                         char *values_r[])
{
    struct message_part *part = xzmalloc(sizeof(*part));
    char *values[MESSAGE_FLD__COUNT] = { NULL };
    int has_body = scan_header(p, part);
    const char *boundary = NULL;
    size_t end;

    message_fields_collect(p->base + part->hdr_off, part->hdr_len, values);
    message_fields_mime(part, values, digest);
    if (is_message) {
        struct buf env = BUF_INITIALIZER;
        message_envelope_write(&env, values);
        part->envelope = buf_release(&env);
    }
    if (values_r)
        memcpy(values_r, values, sizeof(values));
    else
        message_fields_free(values);

    if (depth >= MESSAGE_MAX_DEPTH &&
        (!strcmp(part->type, "MULTIPART") ||
         (!strcmp(part->type, "MESSAGE") && !strcmp(part->subtype, "RFC822"))))
        message_part_retype(part, "APPLICATION", "OCTET-STREAM", 0);
    if (!strcmp(part->type, "MULTIPART")) {
        boundary = message_params_get(&part->params, "BOUNDARY");
        if (boundary && (!*boundary || strlen(boundary) > BOUNDARY_MAX))
            boundary = NULL;
    }

    if (boundary && has_body) {
        parse_multipart(p, part, boundary, depth);
    } else if (!strcmp(part->type, "MESSAGE") &&
               !strcmp(part->subtype, "RFC822")) {
        part->inner = has_body ? parse_entity(p, 0, depth + 1, 1, NULL)
                               : empty_entity(part->body_off);
        part->body_len = part->inner->body_off + part->inner->body_len -
                         part->body_off;
    } else {
        end = has_body ? scan_to_boundary(p, p->pos) : part->body_off;
        part->body_len = (uint32_t)(end - part->body_off);
    }
    /* A multipart in which no part could be found shows its text. */
    if (!strcmp(part->type, "MULTIPART") && !part->nchildren)
        message_part_retype(part, "TEXT", "PLAIN", 1);
    if (!strcmp(part->type, "TEXT") || !strcmp(part->type, "MESSAGE"))
        part->lines = count_lines(p->base + part->body_off, part->body_len);
    return part;
}

/* ---- the section table -------------------------------------------------- */

struct sectab {
    struct message_section *v;
    size_t n, alloc;
};

static void section_add(struct sectab *t, const struct message_part *part,
                        const char *spec)
{
    struct message_section *s;
    const char *charset = message_params_get(&part->params, "CHARSET");

    if (t->n == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 8;
        t->v = xreallocarray(t->v, t->alloc, sizeof(*t->v));
    }
    s = &t->v[t->n++];
    memset(s, 0, sizeof(*s));
    s->spec = xstrdup(spec);
    s->header_offset = part->hdr_off;
    s->header_size = part->hdr_len;
    s->body_offset = part->body_off;
    s->body_size = part->body_len;
    s->type = xstrdup(part->type);
    s->subtype = xstrdup(part->subtype);
    s->encoding = xstrdup(part->encoding);
    s->charset = xstrdupnull(charset);
    if (part->inner) {
        s->is_message = 1;
        s->inner_header_offset = part->inner->hdr_off;
        s->inner_header_size = part->inner->hdr_len;
        s->inner_body_offset = part->inner->body_off;
        s->inner_body_size = part->inner->body_len;
    }
}

static void sections_of_part(struct sectab *t, const struct message_part *part,
                             struct buf *spec);

/* The numbered parts of a message entity under the prefix in spec: the
 * parts of its multipart, or "1" for the entity itself. */
static void sections_of_entity(struct sectab *t,
                               const struct message_part *ent,
                               struct buf *spec)
{
    size_t base = spec->len;
    size_t n = ent->nchildren ? ent->nchildren : 1;

    for (size_t i = 0; i < n; i++) {
        buf_truncate(spec, base);
        buf_printf(spec, base ? ".%zu" : "%zu", i + 1);
        sections_of_part(t, ent->nchildren ? ent->children[i] : ent, spec);
    }
    buf_truncate(spec, base);
}

static void sections_of_part(struct sectab *t, const struct message_part *part,
                             struct buf *spec)
{
    size_t base = spec->len;

    section_add(t, part, buf_cstring(spec));
    if (part->inner) {
        sections_of_entity(t, part->inner, spec);
        return;
    }
    for (size_t i = 0; i < part->nchildren; i++) {
        buf_truncate(spec, base);
        buf_printf(spec, ".%zu", i + 1);
        sections_of_part(t, part->children[i], spec);
    }
    buf_truncate(spec, base);
}

/* ---- message_parse ------------------------------------------------------ */

/* The "<...>" of a Message-ID value, or the value if it has none. */
char *message_extract_message_id(const char *v)
{
    const char *lt, *gt;

    if (!v || !*v)
        return NULL;
    lt = strchr(v, '<');
    gt = lt ? strchr(lt, '>') : NULL;
    return gt ? xstrndup(lt, (size_t)(gt - lt) + 1) : xstrdup(v);
}

int message_parse(const char *msg, size_t len, struct message_info **info_r)
{
    struct parser p;
    struct message_part *root;
    struct message_info *info;
    char *values[MESSAGE_FLD__COUNT] = { NULL };
    struct buf b = BUF_INITIALIZER;
    struct sectab t = { NULL, 0, 0 };
    const char *date;

    *info_r = NULL;
    if (len > UINT32_MAX)
        return ERR_TOOBIG;
    memset(&p, 0, sizeof(p));
    p.base = msg ? msg : "";
    p.len = len;
    p.hit = -1;
    root = parse_entity(&p, 0, 0, 1, values);

    info = xzmalloc(sizeof(*info));
    info->size = (uint32_t)len;
    info->header_size = root->hdr_len;
    info->body_size = (uint32_t)(len - root->hdr_len);
    info->body_lines = count_lines(p.base + root->body_off, info->body_size);
    info->header_fields = message_raw_fields(p.base, info->header_size,
                                             &info->header_fields_len);
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++) {
        info->headers[i] = values[i];
        values[i] = NULL;
    }
    message_fields_free(values);
    date = info->headers[MESSAGE_HDR_DATE];
    if (!date || message_parse_date(date, strlen(date), &info->sent_date))
        info->sent_date = 0;
    info->message_id =
        message_extract_message_id(info->headers[MESSAGE_HDR_MESSAGE_ID]);
    info->envelope = root->envelope;
    root->envelope = NULL;
    message_body_write(&b, root, 0);
    info->body = buf_release(&b);
    message_body_write(&b, root, 1);
    info->bodystructure = buf_release(&b);
    sections_of_entity(&t, root, &b);
    buf_free(&b);
    info->sections = t.v;
    info->nsections = t.n;
    message_part_free(&root);
    *info_r = info;
    return ERR_OK;
}

void message_info_free(struct message_info **infop)
{
    struct message_info *info = *infop;

    if (!info)
        return;
    free(info->message_id);
    for (int i = 0; i < MESSAGE_HDR__COUNT; i++)
        free(info->headers[i]);
    free(info->envelope);
    free(info->body);
    free(info->bodystructure);
    for (size_t i = 0; i < info->nsections; i++) {
        struct message_section *s = &info->sections[i];
        free(s->spec);
        free(s->type);
        free(s->subtype);
        free(s->encoding);
        free(s->charset);
    }
    free(info->sections);
    free(info->header_fields);
    free(info);
    *infop = NULL;
}

/* ---- finding sections --------------------------------------------------- */

/* Compare dotted part numbers component by component, numerically (no
 * leading zeros, so a longer component is larger); a prefix sorts first.
 * This is the depth-first order in which sections[] is built. */
static int spec_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;

    for (;;) {
        size_t ai = i, bj = j, la, lb;
        int c;

        if (i >= alen || j >= blen)
            return (i < alen) - (j < blen);
        while (i < alen && a[i] != '.')
            i++;
        while (j < blen && b[j] != '.')
            j++;
        la = i - ai;
        lb = j - bj;
        if (la != lb)
            return la < lb ? -1 : 1;
        if ((c = memcmp(a + ai, b + bj, la)))
            return c;
        i += i < alen;
        j += j < blen;
    }
}

static const struct message_section *
lookup(const struct message_info *info, const char *spec, size_t len)
{
    size_t lo = 0, hi = info->nsections;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *s = info->sections[mid].spec;
        int c = spec_cmp(s, strlen(s), spec, len);
        if (!c)
            return &info->sections[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct message_section *
message_section_lookup(const struct message_info *info, const char *spec)
{
    return lookup(info, spec, strlen(spec));
}

enum keyword { KW_NONE, KW_HEADER, KW_TEXT, KW_MIME, KW_BAD };

static enum keyword section_keyword(const char *k)
{
    size_t n;

    if (!*k)
        return KW_NONE;
    if (!strcasecmp(k, "TEXT"))
        return KW_TEXT;
    if (!strcasecmp(k, "MIME"))
        return KW_MIME;
    if (!strcasecmp(k, "HEADER"))
        return KW_HEADER;
    /* HEADER.FIELDS[.NOT] and its field list: the caller filters. */
    if (strncasecmp(k, "HEADER.FIELDS", 13))
        return KW_BAD;
    n = !strncasecmp(k + 13, ".NOT", 4) ? 17 : 13;
    return !k[n] || k[n] == ' ' ? KW_HEADER : KW_BAD;
}

static void set_range(size_t *off_r, size_t *len_r, uint32_t off,
                      uint32_t len)
{
    *off_r = off;
    *len_r = len;
}

int message_find_section(const struct message_info *info, const char *spec,
                         size_t *off_r, size_t *len_r)
{
    const char *p = spec, *path_end = spec;
    const struct message_section *s;
    enum keyword kw;

    /* The numeric path: nonzero numbers without leading zeros, each
     * followed by '.' or the end. */
    while (*p >= '1' && *p <= '9') {
        const char *num = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p - num > 9)
            return ERR_NOTFOUND;        /* no message has that many parts */
        path_end = p;
        if (!*p)
            break;
        if (*p != '.' || !p[1])
            return ERR_BADARG;
        p++;
    }
    if (*p == '0')
        return ERR_BADARG;
    kw = section_keyword(p);
    if (kw == KW_BAD)
        return ERR_BADARG;
    if (path_end == spec) {
        switch (kw) {
        case KW_NONE:
            set_range(off_r, len_r, 0, info->size);
            return ERR_OK;
        case KW_HEADER:
            set_range(off_r, len_r, 0, info->header_size);
            return ERR_OK;
        case KW_TEXT:
            set_range(off_r, len_r, info->header_size, info->body_size);
            return ERR_OK;
        default:
            return ERR_BADARG;          /* MIME needs a part number */
        }
    }
    if (!(s = lookup(info, spec, (size_t)(path_end - spec))))
        return ERR_NOTFOUND;
    switch (kw) {
    case KW_NONE:
        set_range(off_r, len_r, s->body_offset, s->body_size);
        return ERR_OK;
    case KW_MIME:
        set_range(off_r, len_r, s->header_offset, s->header_size);
        return ERR_OK;
    default:
        if (!s->is_message)
            return ERR_NOTFOUND;
        if (kw == KW_HEADER)
            set_range(off_r, len_r, s->inner_header_offset,
                      s->inner_header_size);
        else
            set_range(off_r, len_r, s->inner_body_offset,
                      s->inner_body_size);
        return ERR_OK;
    }
}
