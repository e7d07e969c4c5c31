/* index_fetch.c -- FETCH and UID FETCH (RFC 3501 6.4.5 and 7.4.2, the
 * CHANGEDSINCE modifier and MODSEQ item of RFC 7162).
 *
 * Everything but body data comes from cyrus.index and cyrus.cache; the
 * message file is mapped only for RFC822*, BODY[...] and BINARY[...] items
 * (and BINARY.SIZE[...] of a base64 or quoted-printable part), and not
 * even for those when all are HEADER.FIELDS of names whose raw lines the
 * cache entry keeps (message_field_cached; Roundcube's and Thunderbird's
 * message lists): the kept lines are filtered the same way instead.  A message
 * is loaded completely (record, cache entry, file) before the first byte
 * of its "* n FETCH" line is written, so a failure never leaves half a
 * response on the wire: such a message is left out and the command ends
 * in NO (index.h).
 *
 * The items of a reply always come in one order: UID, FLAGS,
 * INTERNALDATE, RFC822.SIZE, MODSEQ, ENVELOPE, BODY, BODYSTRUCTURE,
 * RFC822.HEADER, RFC822.TEXT, RFC822, then the body sections as requested.
 *
 * BINARY (RFC 3516): the section's transfer encoding undone
 * (index_binary.c); a message whose part has an encoding we cannot undo
 * ends the command in NO [UNKNOWN-CTE], as 4.3 requires.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/message.h"

#define FI_UID              0x0001
#define FI_FLAGS            0x0002
#define FI_INTERNALDATE     0x0004
#define FI_SIZE             0x0008
#define FI_ENVELOPE         0x0010
#define FI_BODY             0x0020
#define FI_BODYSTRUCTURE    0x0040
#define FI_RFC822           0x0080
#define FI_RFC822_HEADER    0x0100
#define FI_RFC822_TEXT      0x0200
#define FI_MODSEQ           0x0400
#define FI_SETSEEN          0x0800
#define FI_EMAILID          0x1000
#define FI_THREADID         0x2000
#define FI_SAVEDATE         0x4000
#define FI_PREVIEW          0x8000

#define FI_NEEDS_CACHE (FI_ENVELOPE | FI_BODY | FI_BODYSTRUCTURE)
#define FI_NEEDS_FILE (FI_RFC822 | FI_RFC822_HEADER | FI_RFC822_TEXT)
/* not kept by the view for a message expunged meanwhile */
#define FI_NEEDS_RECORD (FI_EMAILID | FI_SAVEDATE)

static const struct {
    const char *name;
    unsigned items;
    int macro;                  /* only alone, not inside a list */
} fetch_atoms[] = {
    { "ALL", FI_FLAGS | FI_INTERNALDATE | FI_SIZE | FI_ENVELOPE, 1 },
    { "FAST", FI_FLAGS | FI_INTERNALDATE | FI_SIZE, 1 },
    { "FULL", FI_FLAGS | FI_INTERNALDATE | FI_SIZE | FI_ENVELOPE | FI_BODY, 1 },
    { "FLAGS", FI_FLAGS, 0 },
    { "UID", FI_UID, 0 },
    { "INTERNALDATE", FI_INTERNALDATE, 0 },
    { "RFC822.SIZE", FI_SIZE, 0 },
    { "ENVELOPE", FI_ENVELOPE, 0 },
    { "BODY", FI_BODY, 0 },
    { "BODYSTRUCTURE", FI_BODYSTRUCTURE, 0 },
    { "RFC822", FI_RFC822 | FI_SETSEEN, 0 },
    { "RFC822.HEADER", FI_RFC822_HEADER, 0 },
    { "RFC822.TEXT", FI_RFC822_TEXT | FI_SETSEEN, 0 },
    { "MODSEQ", FI_MODSEQ, 0 },
    { "EMAILID", FI_EMAILID, 0 },
    { "THREADID", FI_THREADID, 0 },
    { "SAVEDATE", FI_SAVEDATE, 0 },
    { "PREVIEW", FI_PREVIEW, 0 },
};

struct fetch_req {
    unsigned items;
    struct index_section *secs;
    size_t nsecs;
    int have_changedsince;
    uint64_t changedsince;
    int vanished;               /* the VANISHED modifier (QRESYNC) */
};

/* One message, loaded before anything of it is written. */
struct fetch_msg {
    struct index_record rec;
    struct message_cache_peek pk;   /* set when the cache entry is read */
    struct message_info *info;      /* decoded only for body sections */
    struct buf fields;              /* the entry's raw header lines, when
                                     * they answer every section */
    int from_cache;
    struct buf structure;           /* BODYSTRUCTURE, when asked for */
    struct buf body;                /* BODY, derived when asked for */
    struct map map;
    struct index_binary *bins;      /* per section, for BINARY items */
    size_t nbins;
    int seen;
    int gone;
    struct buf preview;             /* PREVIEW, when asked for */
};

int index_objectid_valid(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
              (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
            return 0;
    return n >= 1 && n <= 255;
}

void index_format_date(int64_t t, struct buf *out)
{
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
                                        "Jun", "Jul", "Aug", "Sep", "Oct",
                                        "Nov", "Dec" };
    time_t tt = (time_t)t;
    struct tm tm;
    long off;

    if (!localtime_r(&tt, &tm)) {
        tt = 0;
        gmtime_r(&tt, &tm);
        tm.tm_gmtoff = 0;
    }
    off = tm.tm_gmtoff / 60;
    buf_printf(out, "%2d-%s-%04d %02d:%02d:%02d %c%02ld%02ld", tm.tm_mday,
               months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
               tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

/* ---- parsing ------------------------------------------------------------ */

static void fetch_req_fini(struct fetch_req *req)
{
    for (size_t i = 0; i < req->nsecs; i++)
        index_section_fini(&req->secs[i]);
    free(req->secs);
    memset(req, 0, sizeof(*req));
}

static int fetch_parse_item(const struct imap_arg *arg, int toplevel,
                            struct fetch_req *req, struct buf *error)
{
    const char *atom;

    if (arg->type != IMAP_ARG_ATOM || !imap_arg_get_atom(arg, &atom))
        goto bad;
    if (arg->flags & IMAP_ARG_F_SECTION) {
        struct index_section sec;
        if (index_section_parse(atom, &sec, error))
            return ERR_BADARG;
        req->secs = xreallocarray(req->secs, req->nsecs + 1, sizeof(sec));
        req->secs[req->nsecs++] = sec;
        if (!sec.peek)
            req->items |= FI_SETSEEN;
        return ERR_OK;
    }
    for (size_t i = 0; i < sizeof(fetch_atoms) / sizeof(fetch_atoms[0]); i++) {
        if (!strcasecmp(atom, fetch_atoms[i].name) &&
            (toplevel || !fetch_atoms[i].macro)) {
            req->items |= fetch_atoms[i].items;
            return ERR_OK;
        }
    }
bad:
    buf_setcstr(error, "Invalid fetch attribute");
    return ERR_BADARG;
}

static int fetch_parse_modifiers(const struct imap_arg *mods,
                                 struct fetch_req *req, struct buf *error)
{
    const struct imap_arg *list;
    size_t n;

    if (!mods)
        return ERR_OK;
    if (!imap_arg_get_list(mods, &list, &n) || n == 0)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        if (imap_arg_atom_is(&list[i], "VANISHED") && !req->vanished) {
            req->vanished = 1;
            continue;
        }
        if (!imap_arg_atom_is(&list[i], "CHANGEDSINCE") || i + 1 >= n ||
            req->have_changedsince || list[i + 1].type != IMAP_ARG_ATOM ||
            !imap_arg_get_number64(&list[i + 1], &req->changedsince))
            goto bad;
        req->have_changedsince = 1;
        i++;
    }
    if (req->vanished && !req->have_changedsince) {
        buf_setcstr(error, "VANISHED needs CHANGEDSINCE");
        return ERR_BADARG;
    }
    return ERR_OK;
bad:
    buf_setcstr(error, "Invalid fetch modifier");
    return ERR_BADARG;
}

/* PREVIEW's modifiers: LAZY (the server may answer NIL when the preview
 * is not at hand; ours is always cheap enough to make, so LAZY gets it
 * too), nothing else. */
static int preview_modifiers(const struct imap_arg *arg, struct buf *error)
{
    const struct imap_arg *list;
    size_t n;

    if (!imap_arg_get_list(arg, &list, &n) || !n)
        goto bad;
    for (size_t i = 0; i < n; i++)
        if (!imap_arg_atom_is(&list[i], "LAZY"))
            goto bad;
    return ERR_OK;
bad:
    buf_setcstr(error, "Invalid PREVIEW modifier");
    return ERR_BADARG;
}

static int fetch_parse(const struct imap_arg *items,
                       const struct imap_arg *mods, struct fetch_req *req,
                       struct buf *error)
{
    const struct imap_arg *list;
    size_t n;
    int r;

    memset(req, 0, sizeof(*req));
    if (!items) {
        buf_setcstr(error, "Missing fetch attributes");
        return ERR_BADARG;
    }
    if (imap_arg_get_list(items, &list, &n)) {
        if (n == 0) {
            buf_setcstr(error, "Empty fetch attribute list");
            return ERR_BADARG;
        }
        for (size_t i = 0; i < n; i++) {
            if ((r = fetch_parse_item(&list[i], 0, req, error)))
                return r;
            /* RFC 8970: PREVIEW's modifiers follow it, "PREVIEW (LAZY)" */
            if (i + 1 < n && list[i + 1].type == IMAP_ARG_LIST &&
                imap_arg_atom_is(&list[i], "PREVIEW") &&
                (r = preview_modifiers(&list[++i], error)))
                return r;
        }
    } else if ((r = fetch_parse_item(items, 1, req, error))) {
        return r;
    }
    if ((r = fetch_parse_modifiers(mods, req, error)))
        return r;
    if (req->have_changedsince)
        req->items |= FI_MODSEQ;
    return ERR_OK;
}

/* ---- loading ------------------------------------------------------------ */

static void fetch_msg_fini(struct fetch_msg *fm)
{
    message_info_free(&fm->info);
    buf_free(&fm->preview);
    buf_free(&fm->structure);
    buf_free(&fm->body);
    buf_free(&fm->fields);
    map_free(&fm->map);
    for (size_t i = 0; fm->bins && i < fm->nbins; i++)
        buf_free(&fm->bins[i].buf);
    free(fm->bins);
}

/* 1 when the cache entry's raw header lines answer every body section
 * (so the message file is not read), with them in fm->fields. */
static int sections_from_cache(const struct fetch_req *req,
                               struct fetch_msg *fm)
{
    if (!req->nsecs || (req->items & FI_NEEDS_FILE))
        return 0;
    for (size_t i = 0; i < req->nsecs; i++)
        if (!req->secs[i].from_cache)
            return 0;
    /* ERR_NOTFOUND: an older entry, or a header too big to keep; a
     * corrupt one is read from the file as well */
    return message_cache_header_fields(&fm->pk, &fm->fields) == ERR_OK;
}

/* 1 if the items need the message file. */
static int needs_file(const struct fetch_req *req, const struct fetch_msg *fm)
{
    if (req->items & FI_NEEDS_FILE)
        return 1;
    for (size_t i = 0; !fm->from_cache && i < req->nsecs; i++)
        if (!req->secs[i].binary ||
            index_binary_needs_file(fm->info, &req->secs[i]))
            return 1;
    return 0;
}

/* The BINARY items decoded (ERR_NOTSUPP: an encoding we cannot undo). */
static int fetch_load_binary(const struct fetch_req *req, struct fetch_msg *fm)
{
    int r;

    for (size_t i = 0; i < req->nsecs; i++) {
        if (!req->secs[i].binary)
            continue;
        if (!fm->bins) {
            fm->bins = xcalloc(req->nsecs, sizeof(*fm->bins));
            fm->nbins = req->nsecs;
        }
        if ((r = index_binary_section(fm->info, fm->map.base, fm->map.len,
                                      &req->secs[i], &fm->bins[i])))
            return r;
    }
    return ERR_OK;
}

static int fetch_load(struct index_state *st, const struct fetch_req *req,
                      uint32_t msgno, struct fetch_msg *fm)
{
    const struct index_msg *m = index_msg(st, msgno);
    const char *data;
    size_t len;
    int r;

    memset(fm, 0, sizeof(*fm));
    r = index_msg_record(st, msgno, &fm->rec);
    if (r == ERR_NOTFOUND) {
        /* Expunged meanwhile: only what the view remembers is left. */
        if ((req->items & (FI_NEEDS_CACHE | FI_NEEDS_FILE | FI_NEEDS_RECORD))
            || req->nsecs)
            return ERR_NOTFOUND;
        fm->gone = 1;
        fm->rec.uid = m->uid;
        fm->rec.system_flags = m->system_flags;
        memcpy(fm->rec.user_flags, m->user_flags, sizeof(m->user_flags));
        fm->rec.modseq = m->modseq;
        fm->rec.internaldate = m->internaldate;
        fm->rec.size = m->size;
        fm->seen = index_uid_seen(st, m->uid);
        return ERR_OK;
    }
    if (r)
        return r;
    fm->seen = index_uid_seen(st, fm->rec.uid);
    if ((req->items & FI_NEEDS_CACHE) || req->nsecs) {
        if ((r = mailbox_cache_entry(st->mb, &fm->rec, &data, &len)) ||
            (r = message_cache_peek(data, len, &fm->pk)))
            return r;
        fm->from_cache = sections_from_cache(req, fm);
        if ((req->nsecs && !fm->from_cache &&
             (r = message_info_decode(data, len, &fm->info))) ||
            ((req->items & (FI_BODY | FI_BODYSTRUCTURE)) &&
             (r = message_cache_bodystructure(&fm->pk, &fm->structure))) ||
            ((req->items & FI_BODY) &&
             (r = message_body_from_structure(fm->structure.s,
                                              fm->structure.len,
                                              &fm->body))))
            return r;
    }
    if (needs_file(req, fm) &&
        (r = index_map_message(st, fm->rec.uid, &fm->map)))
        return r;
    return fetch_load_binary(req, fm);
}

/* PREVIEW (RFC 8970): the section table from the cache, the file mapped
 * (index_preview reads a bounded part of it).  A message expunged
 * meanwhile has none. */
static int fetch_load_preview(struct index_state *st, struct fetch_msg *fm)
{
    const char *data;
    size_t len;
    int r;

    if (fm->gone)
        return ERR_NOTFOUND;
    if (!fm->info &&
        ((r = mailbox_cache_entry(st->mb, &fm->rec, &data, &len)) ||
         (r = message_info_decode(data, len, &fm->info))))
        return r;
    if (!fm->map.base && fm->rec.size &&
        (r = index_map_message(st, fm->rec.uid, &fm->map)))
        return r;
    index_preview(fm->info, fm->map.base, fm->map.len, &fm->preview);
    return ERR_OK;
}

/* ---- writing ------------------------------------------------------------ */

static void item_sep(struct buf *b, int *first)
{
    if (!*first)
        buf_putc(b, ' ');
    *first = 0;
}

/* Write what b holds, then "{len}\r\n" and the bytes. */
static void write_literal(struct prot *out, struct buf *b, const char *data,
                          size_t len)
{
    buf_printf(b, "{%zu}\r\n", len);
    prot_write(out, b->s, b->len);
    if (len)
        prot_write(out, data, len);
    buf_reset(b);
}

/* UTF-8 text as a quoted string when it can be one (printable ASCII but
 * '"' and '\\'), else as a literal. */
static void write_text(struct prot *out, struct buf *b, const struct buf *t)
{
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            write_literal(out, b, t->s, t->len);
            return;
        }
    }
    buf_putc(b, '"');
    buf_appendbuf(b, t);
    buf_putc(b, '"');
}

/* The bytes [off, off+len) of the file, clamped to what is there. */
static const char *file_range(const struct fetch_msg *fm, size_t off,
                              size_t *len)
{
    if (off > fm->map.len)
        off = fm->map.len;
    if (*len > fm->map.len - off)
        *len = fm->map.len - off;
    return fm->map.base ? fm->map.base + off : "";
}

void index_partial_range(const struct index_section *sec, const char **data,
                         size_t *len)
{
    if (!sec->partial)
        return;
    if (sec->origin >= *len) {
        *len = 0;
    } else {
        *data += sec->origin;
        *len -= sec->origin;
        if (*len > sec->count)
            *len = sec->count;
    }
}

/* BINARY[...] as nstring or literal8 (RFC 3516 4.3: a literal8 only when
 * the data holds a NUL), BINARY.SIZE[...] as a number. */
static void write_binary(struct prot *out, struct buf *b,
                         const struct index_section *sec,
                         const struct index_binary *bin)
{
    const char *data = bin->data;
    size_t len = bin->len;

    if (sec->binary == INDEX_BINARY_SIZE) {
        buf_printf(b, "%s %zu", sec->name, len);
        return;
    }
    buf_appendcstr(b, sec->name);
    if (sec->partial)
        buf_printf(b, "<%" PRIu32 ">", sec->origin);
    buf_putc(b, ' ');
    if (!bin->exists) {
        buf_appendcstr(b, "NIL");
        return;
    }
    index_partial_range(sec, &data, &len);
    if (memchr(data, '\0', len))
        buf_putc(b, '~');
    write_literal(out, b, data, len);
}

static void write_section(struct prot *out, struct buf *b,
                          const struct index_section *sec,
                          const struct fetch_msg *fm, struct buf *tmp)
{
    size_t off, len;
    const char *data;

    buf_appendcstr(b, sec->name);
    if (sec->partial)
        buf_printf(b, "<%" PRIu32 ">", sec->origin);
    buf_putc(b, ' ');
    if (fm->from_cache) {               /* every section is from_cache */
        data = fm->fields.s ? fm->fields.s : "";
        len = fm->fields.len;
    } else if (message_find_section(fm->info, sec->spec, &off, &len)) {
        buf_appendcstr(b, "NIL");
        return;
    } else {
        data = file_range(fm, off, &len);
    }
    if (sec->filter) {
        index_header_filter(data, len, &sec->fields,
                            sec->filter == INDEX_FILTER_FIELDS_NOT, tmp);
        data = tmp->s;
        len = tmp->len;
    }
    index_partial_range(sec, &data, &len);
    write_literal(out, b, data, len);
}

/* UID, FLAGS, INTERNALDATE, RFC822.SIZE, MODSEQ, then EMAILID, THREADID
 * and SAVEDATE.  EMAILID (RFC 8474) is mailbox_emailid(), from the GUID,
 * so a copied or moved message keeps it; THREADID is NIL (RFC 8474 5.2:
 * a server that does not compute threads); SAVEDATE (RFC 8514) is the
 * record's save date, NIL when the record has none (before index 1.2). */
static void write_index_items(struct index_state *st, struct buf *b,
                              unsigned items, uint32_t msgno,
                              struct fetch_msg *fm, int *first)
{
    if (items & FI_UID) {
        item_sep(b, first);
        buf_appendcstr(b, "UID ");
        buf_appendu64(b, fm->rec.uid);
    }
    if (items & FI_FLAGS) {
        item_sep(b, first);
        buf_appendcstr(b, "FLAGS ");
        index_format_flags(st, index_msg(st, msgno), fm->rec.system_flags,
                           fm->rec.user_flags, fm->seen, b);
        if (!fm->gone)
            index_msg_reported(st, msgno, &fm->rec, fm->seen);
    }
    if (items & FI_INTERNALDATE) {
        item_sep(b, first);
        buf_appendcstr(b, "INTERNALDATE \"");
        index_format_date(fm->rec.internaldate, b);
        buf_putc(b, '"');
    }
    if (items & FI_SIZE) {
        item_sep(b, first);
        buf_appendcstr(b, "RFC822.SIZE ");
        buf_appendu64(b, fm->rec.size);
    }
    if (items & FI_MODSEQ) {
        item_sep(b, first);
        buf_printf(b, "MODSEQ (%" PRIu64 ")", fm->rec.modseq);
    }
    if (items & FI_EMAILID) {
        char id[MAILBOX_EMAILID_SIZE];
        mailbox_emailid(&fm->rec, id);
        item_sep(b, first);
        buf_printf(b, "EMAILID (%s)", id);
    }
    if (items & FI_THREADID) {
        item_sep(b, first);
        buf_appendcstr(b, "THREADID NIL");
    }
    if (items & FI_SAVEDATE) {
        item_sep(b, first);
        buf_appendcstr(b, "SAVEDATE ");
        if (fm->rec.savedate) {
            buf_putc(b, '"');
            index_format_date(fm->rec.savedate, b);
            buf_putc(b, '"');
        } else {
            buf_appendcstr(b, "NIL");
        }
    }
}

static void fetch_write(struct index_state *st, struct prot *out,
                        const struct fetch_req *req, unsigned items,
                        uint32_t msgno, struct fetch_msg *fm,
                        struct buf *scratch)
{
    struct buf *bp = &scratch[0], *tp = &scratch[1];
    size_t hsize = fm->rec.header_size, len;
    const char *data;
    int first = 1;

    buf_appendcstr(bp, "* ");
    buf_appendu64(bp, msgno);
    buf_appendcstr(bp, " FETCH (");
    write_index_items(st, bp, items, msgno, fm, &first);
    if (items & FI_ENVELOPE) {
        item_sep(bp, &first);
        buf_appendcstr(bp, "ENVELOPE ");
        message_cache_envelope(&fm->pk, tp, bp);
    }
    if (items & FI_BODY) {
        item_sep(bp, &first);
        buf_appendcstr(bp, "BODY ");
        buf_appendbuf(bp, &fm->body);
    }
    if (items & FI_BODYSTRUCTURE) {
        item_sep(bp, &first);
        buf_appendcstr(bp, "BODYSTRUCTURE ");
        buf_appendbuf(bp, &fm->structure);
    }
    if (items & FI_PREVIEW) {
        item_sep(bp, &first);
        buf_appendcstr(bp, "PREVIEW ");
        write_text(out, bp, &fm->preview);
    }
    if (items & FI_RFC822_HEADER) {
        item_sep(bp, &first);
        buf_appendcstr(bp, "RFC822.HEADER ");
        len = hsize;
        data = file_range(fm, 0, &len);
        write_literal(out, bp, data, len);
    }
    if (items & FI_RFC822_TEXT) {
        item_sep(bp, &first);
        buf_appendcstr(bp, "RFC822.TEXT ");
        len = fm->map.len;
        data = file_range(fm, hsize, &len);
        write_literal(out, bp, data, len);
    }
    if (items & FI_RFC822) {
        item_sep(bp, &first);
        buf_appendcstr(bp, "RFC822 ");
        len = fm->map.len;
        data = file_range(fm, 0, &len);
        write_literal(out, bp, data, len);
    }
    for (size_t i = 0; i < req->nsecs; i++) {
        item_sep(bp, &first);
        if (req->secs[i].binary)
            write_binary(out, bp, &req->secs[i], &fm->bins[i]);
        else
            write_section(out, bp, &req->secs[i], fm, tp);
    }
    buf_appendcstr(bp, ")\r\n");
    prot_write(out, bp->s, bp->len);
    buf_reset(bp);
    buf_reset(tp);
}

/* ---- the command -------------------------------------------------------- */

/* Keep the msgnos whose modseq is above CHANGEDSINCE. */
static void fetch_filter_changed(struct index_state *st,
                                 const struct fetch_req *req,
                                 uint32_t *msgnos, size_t *n)
{
    struct index_record rec;
    size_t k = 0;

    if (!req->have_changedsince)
        return;
    for (size_t i = 0; i < *n; i++) {
        const struct index_msg *m = index_msg(st, msgnos[i]);
        uint64_t modseq = index_msg_record(st, msgnos[i], &rec) ? m->modseq
                                                                : rec.modseq;
        if (modseq > req->changedsince)
            msgnos[k++] = msgnos[i];
    }
    *n = k;
}

/* RFC 7162 3.2.6: VANISHED (EARLIER) for the UIDs of set expunged since
 * modseq (set already resolved once: it parses). */
static int fetch_vanished(struct index_state *st, struct prot *out,
                          const struct imap_arg *set, uint64_t modseq)
{
    struct seqset *uids = NULL;
    const char *text = NULL;
    int uid = 1, r;

    (void)imap_arg_get_atom(set, &text);
    /* "*" is the last UID given out: the last messages may be gone */
    if (!text || (strcmp(text, "$")
                      ? seqset_parse(text, st->mb->i.last_uid > st->last_uid
                                               ? st->mb->i.last_uid
                                               : st->last_uid, &uids)
                      : index_parse_set(st, text, &uid, &uids)))
        return ERR_BADARG;
    r = index_vanished_since(st, out, modseq, uids, NULL, NULL);
    seqset_free(&uids);
    return r;
}

/* Set \Seen on the unseen messages among msgnos (BODY[], RFC822 ...);
 * returns the msgnos marked (ascending) for the FLAGS they now report. */
static size_t fetch_set_seen(struct index_state *st, const uint32_t *msgnos,
                             size_t n, uint32_t **marked_r)
{
    uint32_t *marked = xcalloc(n + 1, sizeof(uint32_t));
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        const struct index_msg *m = index_msg(st, msgnos[i]);
        if (!m->gone && !index_uid_seen(st, m->uid))
            marked[k++] = msgnos[i];
    }
    if (k && index_mark_seen(st, marked, k))
        k = 0;                  /* logged; the fetch goes on without it */
    *marked_r = marked;
    return k;
}

int index_fetch(struct index_state *st, struct prot *out, int uid,
                const struct imap_arg *set, const struct imap_arg *items,
                const struct imap_arg *modifiers, struct buf *error)
{
    struct fetch_req req;
    struct buf scratch[2] = { BUF_INITIALIZER, BUF_INITIALIZER };
    uint32_t *msgnos = NULL, *marked = NULL;
    size_t n = 0, nmarked = 0, im = 0, missing = 0;
    int r;

    buf_reset(error);
    if ((r = fetch_parse(items, modifiers, &req, error)))
        goto done;
    if (uid)
        req.items |= FI_UID;
    if (req.vanished && (!uid || !st->qresync)) {
        buf_setcstr(error, uid ? "VANISHED needs ENABLE QRESYNC"
                               : "VANISHED needs UID FETCH");
        r = ERR_BADARG;
        goto done;
    }
    if (req.items & FI_MODSEQ)
        st->condstore = 1;      /* RFC 7162 3.1: a CONDSTORE-enabling use */
    if ((r = index_resolve_set(st, set, uid, &msgnos, &n, error)))
        goto done;
    if (req.vanished && (r = fetch_vanished(st, out, set, req.changedsince)))
        goto done;
    fetch_filter_changed(st, &req, msgnos, &n);
    if ((req.items & FI_SETSEEN) && !st->readonly &&
        (st->rights & ACL_SEEN))
        nmarked = fetch_set_seen(st, msgnos, n, &marked);
    for (size_t i = 0; i < n; i++) {
        struct fetch_msg fm;
        unsigned its = req.items;
        while (im < nmarked && marked[im] < msgnos[i])
            im++;
        if (im < nmarked && marked[im] == msgnos[i])
            its |= FI_FLAGS;    /* the \Seen we just set is reported */
        r = fetch_load(st, &req, msgnos[i], &fm);
        if (!r && (req.items & FI_PREVIEW))
            r = fetch_load_preview(st, &fm);
        if (!r)
            fetch_write(st, out, &req, its, msgnos[i], &fm, scratch);
        else if (r == ERR_NOTFOUND)
            missing++;
        else if (r == ERR_NOTSUPP)
            buf_setcstr(error, "[UNKNOWN-CTE] Cannot decode the content "
                               "transfer encoding of a part");
        else
            log_error("index: fetch failed: mailbox=<%s> msgno=<%" PRIu32
                      ">: %s", st->mb->name, msgnos[i], error_string(r));
        fetch_msg_fini(&fm);
        if (r && r != ERR_NOTFOUND)
            goto done;
    }
    r = ERR_OK;
    if (missing) {
        r = ERR_NOTFOUND;
        buf_setcstr(error, "[EXPUNGEISSUED] Some messages were expunged "
                           "before they could be fetched");
    }
done:
    fetch_req_fini(&req);
    buf_free(&scratch[0]);
    buf_free(&scratch[1]);
    free(msgnos);
    free(marked);
    return r;
}
