/* message_fields.c -- header fields of one MIME entity: find, unfold, and
 * read the MIME ones (RFC 2045 Content-*, RFC 2183 Content-Disposition,
 * RFC 3282 Content-Language, RFC 2231 parameter continuations).
 *
 * Every reader here works on an unfolded, NUL-free C string and is lenient:
 * a malformed field is ignored (or a malformed parameter skipped), never an
 * error, because the mail is already accepted.  Loops only move forward,
 * so hostile values cost time linear in their length.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/message_private.h"

/* Bounds on what one field may add to the cache; beyond them the extra
 * parameters or languages are dropped (no real mail comes close). */
#define MAX_PARAMS 100
#define MAX_LANGUAGES 64
/* RFC 2231 continuations looked at per parameter (name*0 .. name*99). */
#define MAX_CONTINUATIONS 100

#define TSPECIALS "()<>@,;:\\\"/[]?="

static const char *const field_names[MESSAGE_FLD__COUNT] = {
    [MESSAGE_HDR_DATE] = "Date",
    [MESSAGE_HDR_SUBJECT] = "Subject",
    [MESSAGE_HDR_FROM] = "From",
    [MESSAGE_HDR_SENDER] = "Sender",
    [MESSAGE_HDR_REPLY_TO] = "Reply-To",
    [MESSAGE_HDR_TO] = "To",
    [MESSAGE_HDR_CC] = "Cc",
    [MESSAGE_HDR_BCC] = "Bcc",
    [MESSAGE_HDR_IN_REPLY_TO] = "In-Reply-To",
    [MESSAGE_HDR_MESSAGE_ID] = "Message-ID",
    [MESSAGE_HDR_REFERENCES] = "References",
    [MESSAGE_HDR_LIST_ID] = "List-Id",
    [MESSAGE_FLD_CONTENT_TYPE] = "Content-Type",
    [MESSAGE_FLD_CTE] = "Content-Transfer-Encoding",
    [MESSAGE_FLD_CONTENT_ID] = "Content-ID",
    [MESSAGE_FLD_CONTENT_DESCRIPTION] = "Content-Description",
    [MESSAGE_FLD_CONTENT_MD5] = "Content-MD5",
    [MESSAGE_FLD_CONTENT_DISPOSITION] = "Content-Disposition",
    [MESSAGE_FLD_CONTENT_LANGUAGE] = "Content-Language",
    [MESSAGE_FLD_CONTENT_LOCATION] = "Content-Location",
};

const char *message_header_name(enum message_header hdr)
{
    if ((unsigned)hdr >= MESSAGE_HDR__COUNT)
        return NULL;
    return field_names[hdr];
}

static int field_index(const char *name, size_t len)
{
    for (int i = 0; i < MESSAGE_FLD__COUNT; i++) {
        if (strlen(field_names[i]) == len &&
            !strncasecmp(field_names[i], name, len))
            return i;
    }
    return -1;
}

/* End of the field that starts at pos: after the LF of its last line,
 * where the next line does not start with white space. */
static size_t field_end(const char *h, size_t len, size_t pos)
{
    for (;;) {
        const char *lf = memchr(h + pos, '\n', len - pos);
        if (!lf)
            return len;
        pos = (size_t)(lf - h) + 1;
        if (pos >= len || (h[pos] != ' ' && h[pos] != '\t'))
            return pos;
    }
}

/* The unfolded, trimmed value of [p, end): CR and LF dropped (the folding
 * white space stays), NUL read as a space. */
static char *unfold(const char *p, const char *end)
{
    char *v = xmalloc((size_t)(end - p) + 1);
    size_t n = 0, first;

    for (; p < end; p++) {
        if (*p == '\r' || *p == '\n')
            continue;
        v[n++] = *p ? *p : ' ';
    }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    v[n] = '\0';
    for (first = 0; v[first] == ' ' || v[first] == '\t'; first++)
        ;
    if (first)
        memmove(v, v + first, n - first + 1);
    return v;
}

void message_fields_collect(const char *hdr, size_t len,
                            char *values[MESSAGE_FLD__COUNT])
{
    size_t pos = 0;

    while (pos < len) {
        size_t start = pos, end = field_end(hdr, len, pos);
        const char *lf, *colon;
        size_t namelen;
        int idx;

        pos = end;
        /* A continuation line with no field above it is junk. */
        if (hdr[start] == ' ' || hdr[start] == '\t')
            continue;
        lf = memchr(hdr + start, '\n', end - start);
        colon = memchr(hdr + start, ':',
                       (lf ? (size_t)(lf - hdr) : end) - start);
        if (!colon)
            continue;
        /* RFC 5322 obs-optional allows white space before the colon. */
        namelen = (size_t)(colon - (hdr + start));
        while (namelen && (hdr[start + namelen - 1] == ' ' ||
                           hdr[start + namelen - 1] == '\t'))
            namelen--;
        idx = field_index(hdr + start, namelen);
        if (idx < 0 || values[idx])
            continue;               /* not ours, or a later duplicate */
        values[idx] = unfold(colon + 1, hdr + end);
    }
}

void message_fields_free(char *values[MESSAGE_FLD__COUNT])
{
    for (int i = 0; i < MESSAGE_FLD__COUNT; i++)
        XFREE(values[i]);
}

/* ---- lexing structured MIME fields ------------------------------------ */

/* Skip white space and (nested, escaped) comments. */
static const char *skip_cfws(const char *p)
{
    for (;;) {
        int depth = 0;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '(')
            return p;
        for (; *p; p++) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '(')
                depth++;
            else if (*p == ')' && --depth == 0) {
                p++;
                break;
            }
        }
    }
}

/* Length of the RFC 2045 token at p (8-bit bytes are tolerated). */
static size_t token_len(const char *p)
{
    size_t n = 0;
    while ((unsigned char)p[n] > ' ' && p[n] != 0x7f &&
           !strchr(TSPECIALS, p[n]))
        n++;
    return n;
}

static char *upper_dup(const char *p, size_t n)
{
    char *s = xstrndup(p, n);
    for (char *q = s; *q; q++) {
        if (*q >= 'a' && *q <= 'z')
            *q = (char)(*q - 'a' + 'A');
    }
    return s;
}

/* Read a quoted string at p (at the opening quote) into out (if not
 * NULL); returns the position after the closing quote, or the end of an
 * unclosed one. */
static const char *read_quoted(const char *p, struct buf *out)
{
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        if (out)
            buf_putc(out, *p);
    }
    return *p ? p + 1 : p;
}

/* Skip to the next ';' outside quoted strings. */
static const char *skip_param(const char *p)
{
    while (*p && *p != ';')
        p = *p == '"' ? read_quoted(p, NULL) : p + 1;
    return p;
}

/* ---- parameters -------------------------------------------------------- */

static void params_add(struct message_params *ps, char *attr, char *value)
{
    if (ps->count == ps->alloc) {
        ps->alloc = ps->alloc ? ps->alloc * 2 : 4;
        ps->v = xreallocarray(ps->v, ps->alloc, sizeof(*ps->v));
    }
    ps->v[ps->count].attr = attr;
    ps->v[ps->count].value = value;
    ps->count++;
}

static void params_fini(struct message_params *ps)
{
    for (size_t i = 0; i < ps->count; i++) {
        free(ps->v[i].attr);
        free(ps->v[i].value);
    }
    free(ps->v);
    memset(ps, 0, sizeof(*ps));
}

const char *message_params_get(const struct message_params *ps,
                               const char *attr)
{
    for (size_t i = 0; i < ps->count; i++) {
        if (!strcmp(ps->v[i].attr, attr))
            return ps->v[i].value;
    }
    return NULL;
}

/* ";" attribute "=" value, repeated.  A malformed parameter is skipped up
 * to the next ';'; a repeated attribute keeps its first value.  Unquoted
 * values are read leniently up to ';', white space or '(' because real
 * mail writes boundary=----=_Part_1 without quotes. */
static void parse_params(const char *p, struct message_params *ps)
{
    struct buf value = BUF_INITIALIZER;

    while (*(p = skip_cfws(p))) {
        size_t n;
        char *attr;

        if (*p == ';') {
            p++;
            continue;
        }
        n = token_len(p);
        attr = upper_dup(p, n);
        p = skip_cfws(p + n);
        if (!n || *p != '=') {
            free(attr);
            p = skip_param(p);
            continue;
        }
        p = skip_cfws(p + 1);
        buf_reset(&value);
        if (*p == '"') {
            p = read_quoted(p, &value);
        } else {
            for (; *p && *p != ';' && *p != ' ' && *p != '\t' && *p != '(';
                 p++)
                buf_putc(&value, *p);
        }
        if (ps->count < MAX_PARAMS && !message_params_get(ps, attr))
            params_add(ps, attr, xstrndup(value.s ? value.s : "", value.len));
        else
            free(attr);
        p = skip_param(p);
    }
    buf_free(&value);
}

/* If attr is name "*" number ["*"] (a continuation of name), its number;
 * else -1.  *ext_r says whether the piece is extended (trailing '*'). */
static int continuation_number(const char *attr, const char *name,
                               size_t namelen, int *ext_r)
{
    const char *p = attr + namelen;
    int num = 0;

    if (strncmp(attr, name, namelen) || *p != '*' || !p[1])
        return -1;
    p++;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9')
        return -1;                      /* no leading zeros */
    for (; *p >= '0' && *p <= '9'; p++) {
        num = num * 10 + (*p - '0');
        if (num >= MAX_CONTINUATIONS)
            return -1;
    }
    if (p == attr + namelen + 1 || (*p && strcmp(p, "*")))
        return -1;
    *ext_r = (*p == '*');
    return num;
}

/* Append s percent-encoded as an RFC 2231 extended value. */
static void append_pct(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || c == '*' || c == '\'' || c == '%' ||
            strchr(TSPECIALS, c))
            buf_printf(out, "%%%02X", c);
        else
            buf_putc(out, (char)c);
    }
}

/* Join the continuations of the parameter at index i (which is NAME*0 or
 * NAME*0*) into one parameter; the pieces joined are marked for removal
 * by a NULL attr.  One pass over the parameters finds every piece, so a
 * header full of parameters costs O(count) per NAME*0, not more. */
static void fold_one(struct message_params *ps, size_t i)
{
    size_t pieces[MAX_CONTINUATIONS];
    int ext[MAX_CONTINUATIONS], found[MAX_CONTINUATIONS] = { 0 };
    int n, any_ext = 0;
    size_t namelen = (size_t)(strchr(ps->v[i].attr, '*') - ps->v[i].attr);
    char *name = xstrndup(ps->v[i].attr, namelen);
    struct buf value = BUF_INITIALIZER;

    pieces[0] = i;
    ext[0] = ps->v[i].attr[namelen + 2] == '*';
    found[0] = 1;
    for (size_t j = 0; j < ps->count; j++) {
        int e = 0, num;
        if (j == i || !ps->v[j].attr)
            continue;
        num = continuation_number(ps->v[j].attr, name, namelen, &e);
        if (num > 0 && !found[num]) {
            found[num] = 1;
            pieces[num] = j;
            ext[num] = e;
        }
    }
    /* Only pieces 0, 1, 2, ... without a gap are joined. */
    for (n = 0; n < MAX_CONTINUATIONS && found[n]; n++)
        any_ext |= ext[n];
    for (int k = 0; k < n; k++) {
        const char *v = ps->v[pieces[k]].value;
        if (!any_ext || ext[k]) {
            buf_appendcstr(&value, v);
        } else {
            /* A simple piece inside an extended value is encoded, and an
             * extended value starts with charset'language'. */
            if (k == 0)
                buf_appendcstr(&value, "''");
            append_pct(&value, v);
        }
        if (k > 0)
            XFREE(ps->v[pieces[k]].attr);
    }
    free(ps->v[i].attr);
    free(ps->v[i].value);
    ps->v[i].attr = any_ext ? strconcat(name, "*", (char *)NULL) : name;
    if (any_ext)
        free(name);
    ps->v[i].value = buf_release(&value);
}

/* RFC 2231: name*0="a"; name*1="b" -> NAME="ab" (see message.h). */
static void fold_continuations(struct message_params *ps)
{
    size_t i, kept = 0;
    int has_star = 0;

    for (i = 0; i < ps->count; i++) {
        const char *star;
        if (!ps->v[i].attr)
            continue;                   /* joined into an earlier piece */
        star = strchr(ps->v[i].attr, '*');
        has_star |= star != NULL;
        if (star && star > ps->v[i].attr && star[1] == '0' &&
            (!star[2] || !strcmp(star + 2, "*")))
            fold_one(ps, i);
    }
    if (!has_star)
        return;
    for (i = 0; i < ps->count; i++) {
        if (ps->v[i].attr)
            ps->v[kept++] = ps->v[i];
        else
            free(ps->v[i].value);
    }
    ps->count = kept;
}

/* ---- the MIME fields of a part ---------------------------------------- */

void message_part_retype(struct message_part *part, const char *type,
                         const char *subtype, int charset)
{
    free(part->type);
    free(part->subtype);
    params_fini(&part->params);
    part->type = xstrdup(type);
    part->subtype = xstrdup(subtype);
    if (charset)
        params_add(&part->params, xstrdup("CHARSET"), xstrdup("us-ascii"));
}

/* type "/" subtype [";" parameters]; 0 if the field is unusable. */
static int parse_content_type(struct message_part *part, const char *p)
{
    const char *type, *subtype;
    size_t tlen, slen;

    if (!p)
        return 0;
    p = skip_cfws(p);
    type = p;
    tlen = token_len(p);
    p = skip_cfws(p + tlen);
    if (!tlen || *p != '/')
        return 0;
    p = skip_cfws(p + 1);
    subtype = p;
    slen = token_len(p);
    if (!slen)
        return 0;
    part->type = upper_dup(type, tlen);
    part->subtype = upper_dup(subtype, slen);
    p = skip_cfws(p + slen);
    if (*p == ';') {
        parse_params(p, &part->params);
        fold_continuations(&part->params);
    }
    return 1;
}

static void parse_disposition(struct message_part *part, const char *p)
{
    size_t n;

    if (!p)
        return;
    p = skip_cfws(p);
    n = token_len(p);
    if (!n)
        return;
    part->disposition = upper_dup(p, n);
    p = skip_cfws(p + n);
    if (*p == ';') {
        parse_params(p, &part->disp_params);
        fold_continuations(&part->disp_params);
    }
}

/* Language-Tag *("," Language-Tag), tags kept as written. */
static void parse_language(struct message_part *part, const char *p)
{
    if (!p)
        return;
    while (*(p = skip_cfws(p))) {
        size_t n = token_len(p);
        if (n && part->language.count < MAX_LANGUAGES)
            strarray_appendm(&part->language, xstrndup(p, n));
        p = skip_cfws(p + n);
        if (*p && *p != ',') {
            /* junk after a tag: resume at the next comma */
            const char *comma = strchr(p, ',');
            p = comma ? comma : p + strlen(p);
        }
        if (*p == ',')
            p++;
    }
}

static char *dup_nonempty(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

void message_fields_mime(struct message_part *part,
                         char *const values[MESSAGE_FLD__COUNT], int digest)
{
    const char *cte = values[MESSAGE_FLD_CTE];
    size_t n;

    if (!parse_content_type(part, values[MESSAGE_FLD_CONTENT_TYPE])) {
        params_fini(&part->params);
        if (digest)
            message_part_retype(part, "MESSAGE", "RFC822", 0);
        else
            message_part_retype(part, "TEXT", "PLAIN", 1);
    }
    cte = cte ? skip_cfws(cte) : "";
    n = token_len(cte);
    part->encoding = n ? upper_dup(cte, n) : xstrdup("7BIT");
    part->id = dup_nonempty(values[MESSAGE_FLD_CONTENT_ID]);
    part->description = dup_nonempty(values[MESSAGE_FLD_CONTENT_DESCRIPTION]);
    part->md5 = dup_nonempty(values[MESSAGE_FLD_CONTENT_MD5]);
    part->location = dup_nonempty(values[MESSAGE_FLD_CONTENT_LOCATION]);
    parse_disposition(part, values[MESSAGE_FLD_CONTENT_DISPOSITION]);
    parse_language(part, values[MESSAGE_FLD_CONTENT_LANGUAGE]);
}

void message_part_free(struct message_part **partp)
{
    struct message_part *part = *partp;

    if (!part)
        return;
    free(part->type);
    free(part->subtype);
    params_fini(&part->params);
    free(part->id);
    free(part->description);
    free(part->md5);
    free(part->location);
    free(part->encoding);
    free(part->disposition);
    params_fini(&part->disp_params);
    strarray_fini(&part->language);
    free(part->envelope);
    for (size_t i = 0; i < part->nchildren; i++)
        message_part_free(&part->children[i]);
    free(part->children);
    message_part_free(&part->inner);
    free(part);
    *partp = NULL;
}

/* ---- raw header lines, for BODY[HEADER.FIELDS (...)] -------------------- */

int message_header_next_field(const char *p, size_t len, size_t *pos,
                              struct message_field *f)
{
    while (*pos < len) {
        size_t start = *pos, name_len;
        const char *colon;

        if (p[start] == '\n' || (p[start] == '\r' && start + 1 < len &&
                                 p[start + 1] == '\n'))
            return 0;           /* the empty line: end of the header */
        /* The field runs to the end of the line and its continuations. */
        do {
            const char *nl = memchr(p + *pos, '\n', len - *pos);
            *pos = nl ? (size_t)(nl - p) + 1 : len;
        } while (*pos < len && (p[*pos] == ' ' || p[*pos] == '\t'));
        colon = memchr(p + start, ':', *pos - start);
        if (!colon)
            continue;           /* not a field */
        name_len = (size_t)(colon - (p + start));
        while (name_len && (p[start + name_len - 1] == ' ' ||
                            p[start + name_len - 1] == '\t'))
            name_len--;
        f->line = p + start;
        f->len = *pos - start;
        f->name = f->line;
        f->name_len = name_len;
        return 1;
    }
    return 0;
}

/* Kept beyond the cached values' fields: what webmail and desktop clients
 * put in the HEADER.FIELDS of a message list.  Each costs only when a
 * message has it. */
static const char *const extra_raw_fields[] = {
    "Content-Type", "List-Post", "Disposition-Notification-To",
    "X-Priority", "Priority", "Newsgroups",
};

int message_field_cached(const char *name, size_t len)
{
    size_t nextra = sizeof(extra_raw_fields) / sizeof(extra_raw_fields[0]);

    for (size_t i = 0; i < MESSAGE_HDR__COUNT + nextra; i++) {
        const char *n = i < MESSAGE_HDR__COUNT
                            ? field_names[i]
                            : extra_raw_fields[i - MESSAGE_HDR__COUNT];
        if (strlen(n) == len && !strncasecmp(n, name, len))
            return 1;
    }
    return 0;
}

char *message_raw_fields(const char *p, size_t len, size_t *len_r)
{
    struct buf b = BUF_INITIALIZER;
    struct message_field f;
    size_t pos = 0;

    *len_r = 0;
    while (message_header_next_field(p, len, &pos, &f)) {
        if (!message_field_cached(f.name, f.name_len))
            continue;
        buf_appendmap(&b, f.line, f.len);
        if (f.line[f.len - 1] != '\n')
            buf_appendcstr(&b, "\r\n");
        if (b.len > MESSAGE_FIELDS_MAX) {
            buf_free(&b);
            return NULL;
        }
    }
    *len_r = b.len;
    return buf_release(&b);
}
