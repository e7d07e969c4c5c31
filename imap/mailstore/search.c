/* search.c -- the tree of search keys and its evaluation against the
 * messages of a mailbox (search.h).
 *
 * Each search_match() call tests one message: its record is the caller's,
 * its cache entry is decoded and its file read only when a key needs them
 * (struct search_scan), and of the file only the bytes from its start to
 * the end of the last part a key looks at (pread into a buffer kept for
 * the whole scan: cheaper than mapping and unmapping thousands of files,
 * and it skips attachments that follow the text).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/search.h"
#include "imap/mailstore/search_private.h"
#include "imap/mailstore/seqset.h"

enum key_type {
    K_ALL, K_AND, K_OR, K_NOT,
    K_MSGSET, K_UIDSET,
    K_SYSFLAG, K_SEEN, K_RECENT, K_NEW, K_KEYWORD,
    K_LARGER, K_SMALLER, K_MODSEQ,
    K_BEFORE, K_ON, K_SINCE, K_SENTBEFORE, K_SENTON, K_SENTSINCE,
    K_SAVEDBEFORE, K_SAVEDON, K_SAVEDSINCE,
    K_OLDER, K_YOUNGER, K_EMAILID,
    K_HEADER, K_BODY, K_TEXT
};

/* What a key needs, cheapest first. */
enum { COST_INDEX = 0, COST_CACHE = 1, COST_FILE = 2 };

struct search_key {
    enum key_type type;
    int want;                   /* flags: 1 set, 0 not set */
    uint32_t bit;               /* K_SYSFLAG */
    uint64_t num;               /* sizes, modseq */
    long day;                   /* dates: days since 1970-01-01 */
    int64_t time;               /* K_OLDER, K_YOUNGER: seconds */
    int hdr;                    /* K_HEADER: enum message_header, or -1 */
    int address;                /* K_HEADER: the parsed addresses too */
    char *name;                 /* header field name, keyword */
    struct charset_needle needle;   /* the string, ready to search with */
    struct seqset *set;
    struct search_key **kids;
    size_t nkids;
    int cost;
};

/* A scan, and the message being tested: the cache entry and file load
 * lazily (see the top). */
struct search_scan {
    struct mailbox *mb;
    struct search_memo **memo;  /* the caller's, or NULL */
    int dirfd;                  /* the mailbox directory; -1 none, -2 not
                                   opened yet */
    struct buf file;            /* bytes [0, file.len) of the file */
    struct buf path, tmp;
    /* the message */
    const struct index_record *rec;
    const struct search_msg *msg;
    int info_tried;
    struct message_info *info;
    int file_tried;
    int fd;                     /* the message file, -1 if not open */
    size_t file_size;           /* what may be read: the record's size,
                                   less if the file ends sooner */
};

/* ---- dates -------------------------------------------------------------- */

static const char *const month_names[12] = { "jan", "feb", "mar", "apr",
                                             "may", "jun", "jul", "aug",
                                             "sep", "oct", "nov", "dec" };

static int month_of(const char *s, size_t len)
{
    if (len < 3)
        return -1;
    for (int i = 0; i < 12; i++)
        if (!strncasecmp(s, month_names[i], 3))
            return i + 1;
    return -1;
}

int search_date_parse(const char *s, long *day_r)
{
    int d = 0, m, y = 0, k = 0;

    while (*s >= '0' && *s <= '9' && k < 2) {
        d = d * 10 + (*s++ - '0');
        k++;
    }
    if (!k || *s++ != '-' || (m = month_of(s, 3)) < 0 || strlen(s) < 4 ||
        s[3] != '-')
        return ERR_BADARG;
    s += 4;
    for (k = 0; k < 4; k++) {
        if (s[k] < '0' || s[k] > '9')
            return ERR_BADARG;
        y = y * 10 + (s[k] - '0');
    }
    if (s[4] || d < 1 || d > 31)
        return ERR_BADARG;
    *day_r = (long)util_days_from_civil(y, m, d);
    return ERR_OK;
}

static long local_day(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm))
        return 0;
    return (long)util_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
                                      tm.tm_mday);
}

/* The day written in a Date: value, whatever its time and zone: the month
 * name, the number before it (or after it, asctime style) and the first
 * other number after it as the year.  ERR_BADFORMAT if not found. */
static int sent_day(const char *v, long *day_r)
{
    long d = -1, y = -1, before = -1;
    int m = -1;

    while (*v) {
        size_t len = strcspn(v, " \t,-");
        if (len && v[0] >= '0' && v[0] <= '9' && strspn(v, "0123456789") == len
            && len <= 4) {
            long num = strtol(v, NULL, 10);
            if (m < 0)
                before = num;
            else if (d < 0 && before < 0)
                d = num;
            else if (y < 0)
                y = num;
        } else if (len && m < 0 && month_of(v, len) > 0 && len <= 9) {
            m = month_of(v, len);
            d = before;
            before = d;
        }
        v += len;
        v += strspn(v, " \t,-");
    }
    if (m < 0 || d < 1 || d > 31 || y < 0)
        return ERR_BADFORMAT;
    y += y < 50 ? 2000 : y < 1000 ? 1900 : 0;
    *day_r = (long)util_days_from_civil(y, m, (int)d);
    return ERR_OK;
}

/* ---- the tree ----------------------------------------------------------- */

void search_key_free(struct search_key **kp)
{
    struct search_key *k = *kp;

    if (!k)
        return;
    for (size_t i = 0; i < k->nkids; i++)
        search_key_free(&k->kids[i]);
    free(k->kids);
    free(k->name);
    charset_needle_free(&k->needle);
    seqset_free(&k->set);
    free(k);
    *kp = NULL;
}

static struct search_key *key_new(enum key_type type, int cost)
{
    struct search_key *k = xzmalloc(sizeof(*k));
    k->type = type;
    k->cost = cost;
    k->hdr = -1;
    return k;
}

/* Give kid to parent at position pos (<= nkids). */
static void key_insert(struct search_key *parent, size_t pos,
                       struct search_key *kid)
{
    parent->kids = xreallocarray(parent->kids, parent->nkids + 1,
                                 sizeof(*parent->kids));
    memmove(parent->kids + pos + 1, parent->kids + pos,
            (parent->nkids - pos) * sizeof(*parent->kids));
    parent->kids[pos] = kid;
    parent->nkids++;
    if (kid->cost > parent->cost)
        parent->cost = kid->cost;
}

struct search_key *search_key_all(void)
{
    return key_new(K_ALL, COST_INDEX);
}

struct search_key *search_key_and(void)
{
    return key_new(K_AND, COST_INDEX);
}

/* After the kids that cost no more than kid: a stable sort by cost. */
void search_key_add(struct search_key *parent, struct search_key *kid)
{
    size_t pos = parent->nkids;

    while (pos > 0 && parent->kids[pos - 1]->cost > kid->cost)
        pos--;
    key_insert(parent, pos, kid);
}

struct search_key *search_key_or(struct search_key *a, struct search_key *b)
{
    struct search_key *k = key_new(K_OR, COST_INDEX);

    key_insert(k, 0, a);
    key_insert(k, 1, b);
    return k;
}

struct search_key *search_key_not(struct search_key *kid)
{
    struct search_key *k = key_new(K_NOT, COST_INDEX);

    key_insert(k, 0, kid);
    return k;
}

struct search_key *search_key_msgset(struct seqset *set)
{
    struct search_key *k = key_new(K_MSGSET, COST_INDEX);

    k->set = set;
    return k;
}

struct search_key *search_key_uidset(struct seqset *set)
{
    struct search_key *k = key_new(K_UIDSET, COST_INDEX);

    k->set = set;
    return k;
}

static struct search_key *want_key(enum key_type type, int want)
{
    struct search_key *k = key_new(type, COST_INDEX);

    k->want = want;
    return k;
}

struct search_key *search_key_flag(uint32_t flag, int want)
{
    struct search_key *k = want_key(K_SYSFLAG, want);

    k->bit = flag;
    return k;
}

struct search_key *search_key_seen(int want)
{
    return want_key(K_SEEN, want);
}

struct search_key *search_key_recent(int want)
{
    return want_key(K_RECENT, want);
}

struct search_key *search_key_recent_unseen(void)
{
    return want_key(K_NEW, 1);
}

struct search_key *search_key_keyword(const char *name, int want)
{
    struct search_key *k = want_key(K_KEYWORD, want);

    k->name = xstrdup(name);
    return k;
}

static struct search_key *number_key(enum key_type type, uint64_t num)
{
    struct search_key *k = key_new(type, COST_INDEX);

    k->num = num;
    return k;
}

struct search_key *search_key_larger(uint32_t size)
{
    return number_key(K_LARGER, size);
}

struct search_key *search_key_smaller(uint32_t size)
{
    return number_key(K_SMALLER, size);
}

struct search_key *search_key_modseq(uint64_t modseq)
{
    return number_key(K_MODSEQ, modseq);
}

struct search_key *search_key_date(enum search_date which, long day)
{
    static const enum key_type types[] = { K_BEFORE, K_ON, K_SINCE,
                                           K_SENTBEFORE, K_SENTON,
                                           K_SENTSINCE, K_SAVEDBEFORE,
                                           K_SAVEDON, K_SAVEDSINCE };
    enum key_type type = types[which];
    struct search_key *k = key_new(
        type, type >= K_SENTBEFORE && type <= K_SENTSINCE ? COST_CACHE
                                                          : COST_INDEX);

    k->day = day;
    return k;
}

struct search_key *search_key_internaldate(int since, int64_t t)
{
    struct search_key *k = key_new(since ? K_YOUNGER : K_OLDER, COST_INDEX);

    k->time = t;
    return k;
}

struct search_key *search_key_emailid(const char *id)
{
    struct search_key *k = key_new(K_EMAILID, COST_INDEX);

    k->name = xstrdup(id);
    return k;
}

/* A key looking for len bytes of UTF-8 at s, in search form. */
static struct search_key *string_key(enum key_type type, int cost,
                                     const char *s, size_t len)
{
    struct search_key *k = key_new(type, cost);
    struct buf form = BUF_INITIALIZER;

    charset_search_form(s, len, &form);
    charset_needle_init(&k->needle, form.s ? form.s : "", form.len);
    buf_free(&form);
    return k;
}

struct search_key *search_key_header(const char *field, const char *s,
                                     size_t len)
{
    struct search_key *k = string_key(K_HEADER, COST_FILE, s, len);

    for (int i = 0; i < MESSAGE_HDR__COUNT; i++) {
        if (!strcasecmp(field, message_header_name((enum message_header)i))) {
            k->hdr = i;
            k->cost = COST_CACHE;
        }
    }
    k->name = xstrdup(field);
    return k;
}

struct search_key *search_key_address(const char *field, const char *s,
                                      size_t len)
{
    struct search_key *k = search_key_header(field, s, len);

    k->address = k->hdr >= 0;
    return k;
}

struct search_key *search_key_body(const char *s, size_t len)
{
    return string_key(K_BODY, COST_FILE, s, len);
}

struct search_key *search_key_text(const char *s, size_t len)
{
    return string_key(K_TEXT, COST_FILE, s, len);
}

/* ---- loading a message -------------------------------------------------- */

static const struct message_info *scan_info(struct search_scan *sc)
{
    const char *data;
    size_t len;

    if (!sc->info_tried) {
        sc->info_tried = 1;
        if (!sc->msg->expunged &&
            !mailbox_cache_entry(sc->mb, sc->rec, &data, &len))
            message_info_decode(data, len, &sc->info);
    }
    return sc->info;
}

/* Open the message file (once): by its name in the mailbox directory,
 * opened once per scan, to save the kernel the walk down the path. */
static int scan_open(struct search_scan *sc)
{
    const char *slash;

    if (sc->file_tried)
        return sc->fd >= 0;
    sc->file_tried = 1;
    if (sc->msg->expunged)
        return 0;
    mailbox_message_path(sc->mb, sc->rec->uid, &sc->path);
    slash = strrchr(buf_cstring(&sc->path), '/');
    if (sc->dirfd == -2) {
        sc->dirfd = -1;
        if (slash) {
            char *dir = xstrndup(sc->path.s, (size_t)(slash - sc->path.s));
            sc->dirfd = open(*dir ? dir : "/",
                             O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            free(dir);
        }
    }
    sc->fd = sc->dirfd >= 0 && slash
                 ? openat(sc->dirfd, slash + 1, O_RDONLY | O_CLOEXEC)
                 : open(sc->path.s, O_RDONLY | O_CLOEXEC);
    if (sc->fd < 0) {
        if (errno != ENOENT)
            log_error_errno("search: cannot open message file=<%s>",
                            sc->path.s);
        return 0;
    }
    /* The record's size is the file's; a short read ends it sooner. */
    sc->file_size = (size_t)sc->rec->size;
    return 1;
}

/* Have bytes [0, end) of the file read, or as many as there are. */
static void scan_need(struct search_scan *sc, size_t end)
{
    if (sc->file.len >= end || !scan_open(sc))
        return;
    if (end > sc->file_size)
        end = sc->file_size;
    if (sc->file.len >= end)
        return;
    buf_ensure(&sc->file, end - sc->file.len);
    while (sc->file.len < end) {
        ssize_t n = pread(sc->fd, sc->file.s + sc->file.len,
                          end - sc->file.len, (off_t)sc->file.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                log_error_errno("search: cannot read message file=<%s>",
                                sc->path.s);
            sc->file_size = sc->file.len;
            return;
        }
        sc->file.len += (size_t)n;
    }
}

/* Bytes [off, off+len) of the file, clamped to what it has.  The pointer
 * is good until the next call. */
static const char *scan_range(struct search_scan *sc, size_t off,
                              size_t *len)
{
    scan_need(sc, off + *len < off ? SIZE_MAX : off + *len);
    if (off > sc->file.len)
        off = sc->file.len;
    if (*len > sc->file.len - off)
        *len = sc->file.len - off;
    return sc->file.s ? sc->file.s + off : "";
}

/* Forget the message (keep the buffers and the directory). */
static void scan_release(struct search_scan *sc)
{
    message_info_free(&sc->info);
    if (sc->fd >= 0)
        close(sc->fd);
    sc->fd = -1;
    sc->file_size = 0;
    buf_reset(&sc->file);
    sc->info_tried = sc->file_tried = 0;
    sc->rec = NULL;
    sc->msg = NULL;
}

/* ---- testing a message -------------------------------------------------- */

/* The key in a header value, raw or RFC 2047-decoded. */
static int value_match(struct search_scan *sc, const char *v, size_t len,
                       const struct search_key *k)
{
    if (charset_search_text(&k->needle, CHARSET_UTF8, v, len))
        return 1;
    return memmem(v, len, "=?", 2) &&
           charset_search_header(&k->needle, v, len, &sc->tmp);
}

/* The values of every field called name in the header at h (len bytes),
 * unfolded, packed into out (search_private.h). */
static void header_field_values(const char *h, size_t len, const char *name,
                                struct buf *out)
{
    size_t pos = 0, nlen = strlen(name);
    struct buf value = BUF_INITIALIZER;

    while (pos < len) {
        size_t start = pos;
        const char *colon;
        if (h[pos] == '\r' || h[pos] == '\n')
            break;
        do {
            const char *nl = memchr(h + pos, '\n', len - pos);
            pos = nl ? (size_t)(nl - h) + 1 : len;
        } while (pos < len && (h[pos] == ' ' || h[pos] == '\t'));
        colon = memchr(h + start, ':', pos - start);
        if (!colon || (size_t)(colon - (h + start)) != nlen ||
            strncasecmp(h + start, name, nlen))
            continue;
        buf_reset(&value);
        for (const char *c = colon + 1; c < h + pos; c++)
            if (*c != '\r' && *c != '\n')
                buf_putc(&value, *c);
        search_memo_add_value(out, value.s ? value.s : "", value.len);
    }
    buf_free(&value);
}

/* A field the cache does not hold: its values from the memo, or from the
 * file, then memorised if the whole header was read. */
static int eval_uncached_header(const struct search_key *k,
                                struct search_scan *sc)
{
    const struct search_memo *memo = sc->memo ? *sc->memo : NULL;
    const struct index_record *rec = sc->rec;
    struct buf packed = BUF_INITIALIZER;
    const char *data, *p, *v;
    size_t len, vlen;
    int found = 0;

    if (sc->msg->expunged ||
        !search_memo_get(memo, k->name, rec->uid, &data, &len)) {
        len = rec->header_size;
        data = scan_range(sc, 0, &len);
        header_field_values(data, len, k->name, &packed);
        if (sc->memo && sc->fd >= 0 && len == rec->header_size)
            search_memo_put(sc->memo, k->name, rec->uid,
                            packed.s ? packed.s : "", packed.len);
        data = packed.s ? packed.s : "";
        len = packed.len;
    }
    for (p = data;
         !found && search_memo_next_value(&p, data + len, &v, &vlen);)
        found = value_match(sc, v, vlen, k);
    buf_free(&packed);
    return found;
}

/* An address search: the key in one address's display name, mailbox,
 * host or "mailbox@host" (message.h parsed it: comments and white space
 * out, quoted pairs undone). */
struct address_match {
    struct search_scan *sc;
    const struct search_key *k;
    struct buf both;
    int found;
};

static void address_part_match(struct address_match *am, const char *v)
{
    if (!am->found && v && *v)
        am->found = value_match(am->sc, v, strlen(v), am->k);
}

static void address_match_one(const struct message_address *a, void *rock)
{
    struct address_match *am = rock;

    address_part_match(am, a->name);
    address_part_match(am, a->mailbox);
    address_part_match(am, a->host);
    if (!am->found && a->mailbox && a->host) {
        buf_setcstr(&am->both, a->mailbox);
        buf_putc(&am->both, '@');
        buf_appendcstr(&am->both, a->host);
        address_part_match(am, buf_cstring(&am->both));
    }
}

static int eval_header(const struct search_key *k, struct search_scan *sc)
{
    const struct message_info *info;
    struct address_match am = { sc, k, BUF_INITIALIZER, 0 };
    const char *v;

    if (k->hdr < 0)
        return eval_uncached_header(k, sc);
    if (!(info = scan_info(sc)) || !(v = info->headers[k->hdr]))
        return 0;
    if (value_match(sc, v, strlen(v), k))
        return 1;
    if (!k->address)
        return 0;
    message_address_each(v, address_match_one, &am);
    buf_free(&am.both);
    return am.found;
}

/* The key in the text at [off, off+len), header-style or as a body part. */
static int text_match(struct search_scan *sc, size_t off, size_t len,
                      const struct message_section *part,
                      const struct search_key *k)
{
    const char *data = scan_range(sc, off, &len);

    if (part)
        return charset_search_body(&k->needle, data, len, part->encoding,
                                   part->charset, &sc->tmp);
    return charset_search_header(&k->needle, data, len, &sc->tmp);
}

/* BODY: the TEXT parts and the headers of attached messages (they are in
 * the body of the message that carries them); TEXT: also the header. */
static int eval_text(const struct search_key *k, struct search_scan *sc,
                     int headers)
{
    const struct message_info *info = scan_info(sc);
    size_t end = headers ? sc->rec->header_size : 0;

    if (!info)
        return 0;
    /* One read for everything below */
    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *s = &info->sections[i];
        if (!strcasecmp(s->type, "TEXT") &&
            s->body_offset + s->body_size > end)
            end = s->body_offset + s->body_size;
        if (s->is_message &&
            s->inner_header_offset + s->inner_header_size > end)
            end = s->inner_header_offset + s->inner_header_size;
    }
    scan_need(sc, end);
    if (headers && text_match(sc, 0, sc->rec->header_size, NULL, k))
        return 1;
    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *s = &info->sections[i];
        if (!strcasecmp(s->type, "TEXT") &&
            text_match(sc, s->body_offset, s->body_size, s, k))
            return 1;
        if (s->is_message &&
            text_match(sc, s->inner_header_offset, s->inner_header_size,
                       NULL, k))
            return 1;
    }
    return 0;
}

static long scan_sent_day(struct search_scan *sc)
{
    const struct message_info *info = scan_info(sc);
    long day;

    if (info && info->headers[MESSAGE_HDR_DATE] &&
        !sent_day(info->headers[MESSAGE_HDR_DATE], &day))
        return day;
    return local_day(sc->rec->internaldate);
}

static int eval_keyword(const struct search_key *k, struct search_scan *sc)
{
    int idx;

    if (mailbox_user_flag(sc->mb, k->name, 0, &idx))
        return !k->want;
    return index_record_has_user_flag(sc->rec, idx) == k->want;
}

/* The save date, or the internal date when the record has none. */
static int64_t saved(const struct index_record *rec)
{
    return rec->savedate ? rec->savedate : rec->internaldate;
}

static int eval(const struct search_key *k, struct search_scan *sc)
{
    const struct index_record *rec = sc->rec;
    const struct search_msg *msg = sc->msg;

    switch (k->type) {
    case K_ALL:
        return 1;
    case K_AND:
        for (size_t i = 0; i < k->nkids; i++)
            if (!eval(k->kids[i], sc))
                return 0;
        return 1;
    case K_OR:
        return eval(k->kids[0], sc) || eval(k->kids[1], sc);
    case K_NOT:
        return !eval(k->kids[0], sc);
    case K_MSGSET:
        return seqset_ismember(k->set, msg->msgno);
    case K_UIDSET:
        return seqset_ismember(k->set, rec->uid);
    case K_SYSFLAG:
        return ((rec->system_flags & k->bit) != 0) == k->want;
    case K_SEEN:
        return !!msg->seen == k->want;
    case K_RECENT:
        return !!msg->recent == k->want;
    case K_NEW:
        return msg->recent && !msg->seen;
    case K_KEYWORD:
        return eval_keyword(k, sc);
    case K_LARGER:
        return rec->size > k->num;
    case K_SMALLER:
        return rec->size < k->num;
    case K_MODSEQ:
        return rec->modseq >= k->num;
    case K_BEFORE:
        return local_day(rec->internaldate) < k->day;
    case K_ON:
        return local_day(rec->internaldate) == k->day;
    case K_SINCE:
        return local_day(rec->internaldate) >= k->day;
    case K_OLDER:
        return rec->internaldate < k->time;
    case K_YOUNGER:
        return rec->internaldate >= k->time;
    case K_SENTBEFORE:
        return scan_sent_day(sc) < k->day;
    case K_SENTON:
        return scan_sent_day(sc) == k->day;
    case K_SENTSINCE:
        return scan_sent_day(sc) >= k->day;
    case K_SAVEDBEFORE:
        return local_day(saved(rec)) < k->day;
    case K_SAVEDON:
        return local_day(saved(rec)) == k->day;
    case K_SAVEDSINCE:
        return local_day(saved(rec)) >= k->day;
    case K_EMAILID: {
        char id[MAILBOX_EMAILID_SIZE];
        mailbox_emailid(rec, id);
        return !strcmp(id, k->name);
    }
    case K_HEADER:
        return eval_header(k, sc);
    case K_BODY:
        return eval_text(k, sc, 0);
    case K_TEXT:
        return eval_text(k, sc, 1);
    }
    return 0;
}

/* ---- the scan ----------------------------------------------------------- */

struct search_scan *search_scan_new(struct mailbox *mb,
                                    struct search_memo **memo)
{
    struct search_scan *sc = xzmalloc(sizeof(*sc));

    sc->mb = mb;
    sc->memo = memo;
    sc->dirfd = -2;
    sc->fd = -1;
    return sc;
}

int search_match(struct search_scan *scan, const struct search_key *key,
                 const struct index_record *rec, const struct search_msg *msg)
{
    int match;

    scan->rec = rec;
    scan->msg = msg;
    match = eval(key, scan);
    scan_release(scan);
    return match;
}

void search_scan_free(struct search_scan **scanp)
{
    struct search_scan *sc = *scanp;

    if (!sc)
        return;
    scan_release(sc);
    if (sc->dirfd >= 0)
        close(sc->dirfd);
    buf_free(&sc->file);
    buf_free(&sc->path);
    buf_free(&sc->tmp);
    free(sc);
    *scanp = NULL;
}
