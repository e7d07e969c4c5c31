/* index_section.c -- FETCH body sections: parse "BODY[...]<o.n>",
 * "BODY.PEEK[...]" and RFC 3516's "BINARY[...]<o.n>", "BINARY.PEEK[...]",
 * "BINARY.SIZE[...]" atoms into what to read and how to name the reply, and
 * filter a header by field names (HEADER.FIELDS / HEADER.FIELDS.NOT).
 *
 * The reply name echoes the request normalised (RFC 3501 7.4.2): keywords
 * upper case, field names as the client gave them (quoted when they are
 * not atoms), ".PEEK" and the partial count dropped, "<origin>" added by
 * the caller for a partial fetch.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/message.h"

/* ftext of RFC 5322: printable US-ASCII except ':'. */
static int is_ftext(unsigned char c)
{
    return c >= 33 && c <= 126 && c != ':';
}

/* IMAP atom-char (no specials), so the name can go out bare. */
static int is_atom_char(unsigned char c)
{
    return c > 32 && c < 127 && !strchr("(){%*\"\\]", c);
}

static void append_field_name(struct buf *out, const char *s)
{
    size_t i;

    for (i = 0; s[i] && is_atom_char((unsigned char)s[i]); i++)
        ;
    if (i && !s[i]) {
        buf_appendcstr(out, s);
        return;
    }
    buf_putc(out, '"');
    for (i = 0; s[i]; i++) {
        if (s[i] == '"' || s[i] == '\\')
            buf_putc(out, '\\');
        buf_putc(out, s[i]);
    }
    buf_putc(out, '"');
}

/* One header-fld-name at *pp: an atom or a quoted string.  Returns a fresh
 * string or NULL if malformed. */
static char *parse_field_name(const char **pp)
{
    const char *p = *pp;
    struct buf b = BUF_INITIALIZER;

    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                p++;
            buf_putc(&b, *p);
        }
        if (*p != '"')
            goto bad;
        p++;
    } else {
        while (*p && *p != ' ' && *p != ')')
            buf_putc(&b, *p++);
    }
    if (!b.len)
        goto bad;
    for (size_t i = 0; i < b.len; i++)
        if (!is_ftext((unsigned char)b.s[i]))
            goto bad;
    *pp = p;
    return buf_release(&b);
bad:
    buf_free(&b);
    return NULL;
}

/* " (name name ...)" at p, up to the end of the section text. */
static int parse_field_list(const char *p, const char *end,
                            struct index_section *sec)
{
    if (end - p < 3 || p[0] != ' ' || p[1] != '(' || end[-1] != ')')
        return ERR_BADARG;
    p += 2;
    for (;;) {
        char *name = parse_field_name(&p);
        if (!name || p >= end)
            goto bad_name;
        strarray_appendm(&sec->fields, name);
        if (*p == ')')
            break;
        if (*p != ' ')
            return ERR_BADARG;
        p++;
        continue;
    bad_name:
        free(name);
        return ERR_BADARG;
    }
    return p + 1 == end ? ERR_OK : ERR_BADARG;
}

/* The part path "1.2.3" at the start of s; its length (0 if none), or -1
 * when malformed (a zero or leading zero). */
static long parse_part_path(const char *s)
{
    const char *p = s, *end = s;

    while (*p >= '0' && *p <= '9') {
        const char *num = p;
        if (*p == '0')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p - num > 9)
            return -1;
        end = p;
        if (*p != '.' || !(p[1] >= '0' && p[1] <= '9'))
            break;
        p++;
    }
    return end - s;
}

static const struct {
    const char *word;
    int filter;
    int needs_path;
} section_keywords[] = {
    { "HEADER.FIELDS.NOT", INDEX_FILTER_FIELDS_NOT, 0 },
    { "HEADER.FIELDS", INDEX_FILTER_FIELDS, 0 },
    { "HEADER", INDEX_FILTER_NONE, 0 },
    { "TEXT", INDEX_FILTER_NONE, 0 },
    { "MIME", INDEX_FILTER_NONE, 1 },
};

/* The text between the brackets, [text, end). */
static int parse_section_text(const char *text, const char *end,
                              struct index_section *sec, struct buf *name)
{
    long plen = parse_part_path(text);
    const char *p = text + (plen > 0 ? plen : 0);
    struct buf spec = BUF_INITIALIZER;
    size_t k, n = sizeof(section_keywords) / sizeof(section_keywords[0]);

    if (plen < 0)
        return ERR_BADARG;
    buf_appendmap(&spec, text, (size_t)plen);
    if (plen > 0 && p < end && (*p++ != '.' || p == end))
        goto bad;
    if (p < end) {
        for (k = 0; k < n; k++) {
            size_t wl = strlen(section_keywords[k].word);
            if ((size_t)(end - p) >= wl &&
                !strncasecmp(p, section_keywords[k].word, wl) &&
                (p + wl == end || p[wl] == ' '))
                break;
        }
        if (k == n || (section_keywords[k].needs_path && plen == 0))
            goto bad;
        sec->filter = section_keywords[k].filter;
        if (plen > 0)
            buf_putc(&spec, '.');
        buf_appendcstr(&spec,
                       sec->filter ? "HEADER" : section_keywords[k].word);
        p += strlen(section_keywords[k].word);
        if (sec->filter ? parse_field_list(p, end, sec) != ERR_OK : p != end)
            goto bad;
        buf_appendmap(name, text, (size_t)plen);
        if (plen > 0)
            buf_putc(name, '.');
        buf_appendcstr(name, section_keywords[k].word);
        if (sec->filter) {
            buf_appendcstr(name, " (");
            for (size_t i = 0; i < sec->fields.count; i++) {
                if (i)
                    buf_putc(name, ' ');
                append_field_name(name, sec->fields.data[i]);
            }
            buf_putc(name, ')');
        }
    } else {
        buf_appendmap(name, text, (size_t)plen);
    }
    sec->spec = buf_release(&spec);
    return ERR_OK;
bad:
    buf_free(&spec);
    return ERR_BADARG;
}

/* "<origin.count>" after the closing bracket, or nothing. */
static int parse_partial(const char *p, struct index_section *sec)
{
    const char *dot, *close;
    uint64_t origin, count;

    if (!*p)
        return ERR_OK;
    if (*p != '<' || !(dot = strchr(p, '.')) || !(close = strchr(dot, '>')) ||
        close[1] ||
        !imap_parser_parse_number(p + 1, (size_t)(dot - p - 1), UINT32_MAX,
                                  &origin) ||
        !imap_parser_parse_number(dot + 1, (size_t)(close - dot - 1),
                                  UINT32_MAX, &count) ||
        count == 0)
        return ERR_BADARG;
    sec->partial = 1;
    sec->origin = (uint32_t)origin;
    sec->count = (uint32_t)count;
    return ERR_OK;
}

/* HEADER.FIELDS of the message header, every name one the cache keeps. */
static int answered_from_cache(const struct index_section *sec)
{
    if (sec->filter != INDEX_FILTER_FIELDS || strcmp(sec->spec, "HEADER"))
        return 0;
    for (size_t i = 0; i < sec->fields.count; i++)
        if (!message_field_cached(sec->fields.data[i],
                                  strlen(sec->fields.data[i])))
            return 0;
    return 1;
}

/* The item words a section follows: its kind, whether it is a peek, and
 * its reply name. */
static const struct {
    const char *word;
    int binary;
    int peek;
    const char *reply;
} section_items[] = {
    { "BODY.PEEK[", INDEX_BINARY_NONE, 1, "BODY[" },
    { "BODY[", INDEX_BINARY_NONE, 0, "BODY[" },
    { "BINARY.PEEK[", INDEX_BINARY_DATA, 1, "BINARY[" },
    { "BINARY.SIZE[", INDEX_BINARY_SIZE, 1, "BINARY.SIZE[" },
    { "BINARY[", INDEX_BINARY_DATA, 0, "BINARY[" },
};

/* section-binary (RFC 3516): a part path or nothing. */
static int parse_binary_text(const char *text, const char *end,
                             struct index_section *sec, struct buf *name)
{
    long plen = parse_part_path(text);

    if (plen < 0 || text + plen != end)
        return ERR_BADARG;
    buf_appendmap(name, text, (size_t)plen);
    sec->spec = xstrndup(text, (size_t)plen);
    return ERR_OK;
}

int index_section_parse(const char *atom, struct index_section *sec,
                        struct buf *error)
{
    struct buf name = BUF_INITIALIZER;
    const char *open = NULL, *close, *q;
    size_t k, n = sizeof(section_items) / sizeof(section_items[0]);
    int r;

    memset(sec, 0, sizeof(*sec));
    for (k = 0; k < n; k++) {
        size_t wl = strlen(section_items[k].word);
        if (!strncasecmp(atom, section_items[k].word, wl)) {
            sec->binary = section_items[k].binary;
            sec->peek = section_items[k].peek;
            open = atom + wl - 1;
            break;
        }
    }
    if (!open) {
        buf_setcstr(error, "Invalid fetch attribute");
        return ERR_BADARG;
    }
    /* The closing bracket: the last one, since quoted field names may hold
     * "]" but nothing after the partial may. */
    close = strrchr(open, ']');
    q = close ? strchr(close, '<') : NULL;
    if (!close || (q && q != close + 1)) {
        buf_setcstr(error, "Invalid body section");
        return ERR_BADARG;
    }
    buf_appendcstr(&name, section_items[k].reply);
    if (sec->binary)
        r = parse_binary_text(open + 1, close, sec, &name);
    else
        r = parse_section_text(open + 1, close, sec, &name);
    if (!r && sec->binary == INDEX_BINARY_SIZE && close[1])
        r = ERR_BADARG;         /* no partial for a size */
    if (!r)
        r = parse_partial(close + 1, sec);
    if (r) {
        buf_free(&name);
        index_section_fini(sec);
        buf_setcstr(error, "Invalid body section");
        return ERR_BADARG;
    }
    buf_putc(&name, ']');
    sec->name = buf_release(&name);
    sec->from_cache = answered_from_cache(sec);
    return ERR_OK;
}

void index_section_fini(struct index_section *sec)
{
    free(sec->name);
    free(sec->spec);
    strarray_fini(&sec->fields);
    sec->name = sec->spec = NULL;
}

/* ---- header filtering ---------------------------------------------------- */

static int field_wanted(const char *name, size_t len,
                        const struct strarray *fields)
{
    for (size_t i = 0; i < fields->count; i++) {
        if (strlen(fields->data[i]) == len &&
            !strncasecmp(fields->data[i], name, len))
            return 1;
    }
    return 0;
}

void index_header_filter(const char *p, size_t len,
                         const struct strarray *fields, int not,
                         struct buf *out)
{
    struct message_field f;
    size_t pos = 0;

    buf_reset(out);
    while (message_header_next_field(p, len, &pos, &f)) {
        if (field_wanted(f.name, f.name_len, fields) == !not) {
            buf_appendmap(out, f.line, f.len);
            if (f.line[f.len - 1] != '\n')
                buf_appendcstr(out, "\r\n");
        }
    }
    buf_appendcstr(out, "\r\n");
}
