/* index_search.c -- SEARCH and UID SEARCH (RFC 3501 6.4.4, MODSEQ of
 * RFC 7162 3.1.5): parse the search program into a tree of keys, then
 * test every message of the view against it.
 *
 * Keys are tested cheapest first within an AND (index record, then cache
 * entry, then the message file), and each message loads its cache entry
 * and reads its file only when a key needs them (see struct smsg).  Strings are compared in
 * charset.h's search form: case-insensitive, RFC 2047 words and transfer
 * encodings decoded, charsets converted to UTF-8.
 *
 * Dates (RFC 3501): BEFORE/ON/SINCE compare the day of the internal date
 * in the server's time zone; SENTBEFORE/SENTON/SENTSINCE the day written
 * in the Date: header, "disregarding time and timezone" (a message whose
 * Date: cannot be read uses its internal date).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/charset.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/message.h"

/* Nesting of NOT/OR/lists; the parser bounds it too, this is a backstop
 * against a deep chain of NOT NOT NOT ... at one level. */
#define SEARCH_MAX_DEPTH 64

enum skey_type {
    SK_ALL, SK_AND, SK_OR, SK_NOT,
    SK_MSGSET, SK_UIDSET,
    SK_SYSFLAG, SK_SEEN, SK_RECENT, SK_NEW, SK_KEYWORD,
    SK_LARGER, SK_SMALLER, SK_MODSEQ,
    SK_BEFORE, SK_ON, SK_SINCE, SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE,
    SK_HEADER, SK_BODY, SK_TEXT
};

/* What a key needs, cheapest first. */
enum { COST_INDEX = 0, COST_CACHE = 1, COST_FILE = 2 };

struct skey {
    enum skey_type type;
    int want;                   /* flags: 1 set, 0 not set */
    uint32_t bit;               /* SK_SYSFLAG */
    uint64_t num;               /* sizes, modseq */
    long day;                   /* dates: days since 1970-01-01 */
    int hdr;                    /* SK_HEADER: enum message_header, or -1 */
    char *name;                 /* header field name, keyword */
    struct buf key;             /* the string in search form */
    struct charset_needle needle;   /* key, ready to search with */
    struct seqset *set;
    struct skey **kids;
    size_t nkids;
    int cost;
};

struct sparse {
    struct index_state *st;
    int charset;
    int modseq_used;
    struct buf *error;
};

/* One message being tested; the cache entry and file load lazily, and
 * of the file only the bytes from its start to the end of the last part
 * a key looks at are read (pread into a buffer kept for the whole search:
 * cheaper than mapping and unmapping thousands of files, and it skips
 * attachments that follow the text). */
struct smsg {
    struct index_state *st;
    uint32_t msgno;
    const struct index_msg *m;
    struct index_record rec;
    int gone;
    int info_tried;
    struct message_info *info;
    int file_tried;
    int fd;                     /* the message file, -1 if not open */
    size_t file_size;           /* what may be read: the record's size,
                                   less if the file ends sooner */
    struct buf file;            /* bytes [0, file.len) of it */
    int dirfd;                  /* the mailbox directory; -1 none, -2 not
                                   opened yet */
    struct buf path, tmp;
};

/* ---- dates -------------------------------------------------------------- */

static const char *const month_names[12] = { "jan", "feb", "mar", "apr",
                                             "may", "jun", "jul", "aug",
                                             "sep", "oct", "nov", "dec" };

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(long y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_of(const char *s, size_t len)
{
    if (len < 3)
        return -1;
    for (int i = 0; i < 12; i++)
        if (!strncasecmp(s, month_names[i], 3))
            return i + 1;
    return -1;
}

/* RFC 3501 date: "1-Feb-1994" or "01-Feb-1994". */
static int parse_search_date(const char *s, long *day_r)
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
    *day_r = days_from_civil(y, m, d);
    return ERR_OK;
}

static long local_day(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm))
        return 0;
    return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
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
    *day_r = days_from_civil(y, m, (int)d);
    return ERR_OK;
}

/* ---- the tree ------------------------------------------------------------ */

static void skey_free(struct skey *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->nkids; i++)
        skey_free(k->kids[i]);
    free(k->kids);
    free(k->name);
    buf_free(&k->key);
    charset_needle_free(&k->needle);
    seqset_free(&k->set);
    free(k);
}

static struct skey *skey_new(enum skey_type type, int cost)
{
    struct skey *k = xzmalloc(sizeof(*k));
    k->type = type;
    k->cost = cost;
    k->hdr = -1;
    return k;
}

static void skey_add(struct skey *parent, struct skey *kid)
{
    parent->kids = xreallocarray(parent->kids, parent->nkids + 1,
                                 sizeof(*parent->kids));
    parent->kids[parent->nkids++] = kid;
    if (kid->cost > parent->cost)
        parent->cost = kid->cost;
}

static int cost_cmp(const void *a, const void *b)
{
    const struct skey *x = *(struct skey *const *)a;
    const struct skey *y = *(struct skey *const *)b;
    return x->cost - y->cost;
}

/* ---- parsing ------------------------------------------------------------- */

static int parse_bad(struct sparse *p, const char *why)
{
    buf_setcstr(p->error, why);
    return ERR_BADARG;
}

/* The next argument as an astring, in search form when key is given. */
static int next_string(struct sparse *p, const struct imap_arg *args,
                       size_t n, size_t *pos, const char **s_r)
{
    if (*pos >= n || !imap_arg_get_astring(&args[*pos], s_r))
        return parse_bad(p, "Missing or invalid search string");
    (*pos)++;
    return ERR_OK;
}

/* k's key and needle from the string s. */
static void search_form(struct sparse *p, const char *s, struct skey *k)
{
    struct buf utf8 = BUF_INITIALIZER;
    charset_to_utf8(p->charset, s, strlen(s), &utf8);
    charset_search_form(utf8.s ? utf8.s : "", utf8.len, &k->key);
    charset_needle_init(&k->needle, k->key.s ? k->key.s : "", k->key.len);
    buf_free(&utf8);
}

static int parse_key(struct sparse *p, const struct imap_arg *args, size_t n,
                     size_t *pos, int depth, struct skey **k_r);

static int parse_list(struct sparse *p, const struct imap_arg *args,
                      size_t n, int depth, struct skey **k_r)
{
    struct skey *and = skey_new(SK_AND, COST_INDEX);
    size_t pos = 0;
    int r;

    if (!n) {
        skey_free(and);
        return parse_bad(p, "Empty search list");
    }
    while (pos < n) {
        struct skey *kid = NULL;
        if ((r = parse_key(p, args, n, &pos, depth + 1, &kid))) {
            skey_free(and);
            return r;
        }
        skey_add(and, kid);
    }
    qsort(and->kids, and->nkids, sizeof(*and->kids), cost_cmp);
    *k_r = and;
    return ERR_OK;
}

static const struct {
    const char *name;
    enum skey_type type;
    int want;
    uint32_t bit;
} simple_keys[] = {
    { "ALL", SK_ALL, 1, 0 },
    { "ANSWERED", SK_SYSFLAG, 1, FLAG_ANSWERED },
    { "DELETED", SK_SYSFLAG, 1, FLAG_DELETED },
    { "DRAFT", SK_SYSFLAG, 1, FLAG_DRAFT },
    { "FLAGGED", SK_SYSFLAG, 1, FLAG_FLAGGED },
    { "UNANSWERED", SK_SYSFLAG, 0, FLAG_ANSWERED },
    { "UNDELETED", SK_SYSFLAG, 0, FLAG_DELETED },
    { "UNDRAFT", SK_SYSFLAG, 0, FLAG_DRAFT },
    { "UNFLAGGED", SK_SYSFLAG, 0, FLAG_FLAGGED },
    { "SEEN", SK_SEEN, 1, 0 },
    { "UNSEEN", SK_SEEN, 0, 0 },
    { "RECENT", SK_RECENT, 1, 0 },
    { "OLD", SK_RECENT, 0, 0 },
    { "NEW", SK_NEW, 1, 0 },
};

static const struct {
    const char *name;
    enum skey_type type;
} date_keys[] = {
    { "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
    { "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
    { "SENTSINCE", SK_SENTSINCE },
};

/* FROM, TO ... and HEADER name: a header key. */
static int parse_header_key(struct sparse *p, const char *field,
                            const char *value, struct skey **k_r)
{
    struct skey *k = skey_new(SK_HEADER, COST_FILE);

    for (int i = 0; i < MESSAGE_HDR__COUNT; i++) {
        if (!strcasecmp(field, message_header_name((enum message_header)i))) {
            k->hdr = (int)i;
            k->cost = COST_CACHE;
        }
    }
    k->name = xstrdup(field);
    search_form(p, value, k);
    *k_r = k;
    return ERR_OK;
}

static int parse_date_key(struct sparse *p, enum skey_type type,
                          const struct imap_arg *args, size_t n, size_t *pos,
                          struct skey **k_r)
{
    const char *s;
    long day;
    int r;

    if ((r = next_string(p, args, n, pos, &s)))
        return r;
    if (parse_search_date(s, &day))
        return parse_bad(p, "Invalid date");
    *k_r = skey_new(type, type >= SK_SENTBEFORE ? COST_CACHE : COST_INDEX);
    (*k_r)->day = day;
    return ERR_OK;
}

static int parse_number_key(struct sparse *p, enum skey_type type,
                            const struct imap_arg *args, size_t n, size_t *pos,
                            struct skey **k_r)
{
    uint64_t num = 0;
    uint32_t n32 = 0;
    int ok;

    /* MODSEQ may name a metadata entry and type first; we keep one modseq
     * per message, so every entry is the same to us. */
    if (type == SK_MODSEQ && *pos + 2 < n && args[*pos].type == IMAP_ARG_QUOTED)
        *pos += 2;
    if (*pos >= n || args[*pos].type != IMAP_ARG_ATOM)
        return parse_bad(p, "Invalid number in search");
    if (type == SK_MODSEQ) {
        ok = imap_arg_get_number64(&args[*pos], &num);
        p->modseq_used = 1;
    } else {
        ok = imap_arg_get_number(&args[*pos], &n32);
        num = n32;
    }
    if (!ok)
        return parse_bad(p, "Invalid number in search");
    (*pos)++;
    *k_r = skey_new(type, COST_INDEX);
    (*k_r)->num = num;
    return ERR_OK;
}

static int parse_string_key(struct sparse *p, const char *word,
                            const struct imap_arg *args, size_t n,
                            size_t *pos, struct skey **k_r)
{
    static const struct {
        const char *word;
        const char *field;
    } header_keys[] = {
        { "FROM", "From" }, { "TO", "To" }, { "CC", "Cc" }, { "BCC", "Bcc" },
        { "SUBJECT", "Subject" },
    };
    const char *s, *field;
    int r;

    for (size_t i = 0; i < sizeof(header_keys) / sizeof(header_keys[0]); i++) {
        if (strcasecmp(word, header_keys[i].word))
            continue;
        if ((r = next_string(p, args, n, pos, &s)))
            return r;
        return parse_header_key(p, header_keys[i].field, s, k_r);
    }
    if (!strcasecmp(word, "HEADER")) {
        if ((r = next_string(p, args, n, pos, &field)) ||
            (r = next_string(p, args, n, pos, &s)))
            return r;
        if (!*field || strpbrk(field, ": \t"))
            return parse_bad(p, "Invalid header field name");
        return parse_header_key(p, field, s, k_r);
    }
    if (!strcasecmp(word, "BODY") || !strcasecmp(word, "TEXT")) {
        if ((r = next_string(p, args, n, pos, &s)))
            return r;
        *k_r = skey_new(!strcasecmp(word, "BODY") ? SK_BODY : SK_TEXT,
                        COST_FILE);
        search_form(p, s, *k_r);
        return ERR_OK;
    }
    if (!strcasecmp(word, "KEYWORD") || !strcasecmp(word, "UNKEYWORD")) {
        if ((r = next_string(p, args, n, pos, &s)))
            return r;
        *k_r = skey_new(SK_KEYWORD, COST_INDEX);
        (*k_r)->name = xstrdup(s);
        (*k_r)->want = word[0] == 'K' || word[0] == 'k';
        return ERR_OK;
    }
    return parse_bad(p, "Unknown search key");
}

static int parse_set_key(struct sparse *p, const char *text, int uid,
                         struct skey **k_r)
{
    struct skey *k = skey_new(uid ? SK_UIDSET : SK_MSGSET, COST_INDEX);

    if (seqset_parse(text, uid ? p->st->last_uid : (uint32_t)p->st->nmsgs,
                     &k->set)) {
        skey_free(k);
        return parse_bad(p, "Invalid sequence set in search");
    }
    *k_r = k;
    return ERR_OK;
}

static int parse_key(struct sparse *p, const struct imap_arg *args, size_t n,
                     size_t *pos, int depth, struct skey **k_r)
{
    const struct imap_arg *arg, *list;
    const char *atom;
    size_t cnt;
    int r, nkids;

    *k_r = NULL;
    if (depth > SEARCH_MAX_DEPTH)
        return parse_bad(p, "Search program nested too deeply");
    if (*pos >= n)
        return parse_bad(p, "Missing search key");
    arg = &args[(*pos)++];
    if (imap_arg_get_list(arg, &list, &cnt))
        return parse_list(p, list, cnt, depth, k_r);
    if (arg->type != IMAP_ARG_ATOM || !imap_arg_get_atom(arg, &atom))
        return parse_bad(p, "Invalid search key");
    if ((*atom >= '0' && *atom <= '9') || *atom == '*')
        return parse_set_key(p, atom, 0, k_r);
    for (size_t i = 0; i < sizeof(simple_keys) / sizeof(simple_keys[0]); i++) {
        if (!strcasecmp(atom, simple_keys[i].name)) {
            *k_r = skey_new(simple_keys[i].type, COST_INDEX);
            (*k_r)->want = simple_keys[i].want;
            (*k_r)->bit = simple_keys[i].bit;
            return ERR_OK;
        }
    }
    for (size_t i = 0; i < sizeof(date_keys) / sizeof(date_keys[0]); i++)
        if (!strcasecmp(atom, date_keys[i].name))
            return parse_date_key(p, date_keys[i].type, args, n, pos, k_r);
    if (!strcasecmp(atom, "LARGER"))
        return parse_number_key(p, SK_LARGER, args, n, pos, k_r);
    if (!strcasecmp(atom, "SMALLER"))
        return parse_number_key(p, SK_SMALLER, args, n, pos, k_r);
    if (!strcasecmp(atom, "MODSEQ"))
        return parse_number_key(p, SK_MODSEQ, args, n, pos, k_r);
    if (!strcasecmp(atom, "UID")) {
        if (*pos >= n || args[*pos].type != IMAP_ARG_ATOM ||
            !imap_arg_get_atom(&args[*pos], &atom))
            return parse_bad(p, "Invalid sequence set in search");
        (*pos)++;
        return parse_set_key(p, atom, 1, k_r);
    }
    nkids = !strcasecmp(atom, "NOT") ? 1 : !strcasecmp(atom, "OR") ? 2 : 0;
    if (!nkids)
        return parse_string_key(p, atom, args, n, pos, k_r);
    *k_r = skey_new(nkids == 1 ? SK_NOT : SK_OR, COST_INDEX);
    for (int i = 0; i < nkids; i++) {
        struct skey *kid = NULL;
        if ((r = parse_key(p, args, n, pos, depth + 1, &kid))) {
            skey_free(*k_r);
            *k_r = NULL;
            return r;
        }
        skey_add(*k_r, kid);
    }
    return ERR_OK;
}

/* ---- testing a message -------------------------------------------------- */

static const struct message_info *smsg_info(struct smsg *sm)
{
    const char *data;
    size_t len;

    if (!sm->info_tried) {
        sm->info_tried = 1;
        if (!sm->gone &&
            !mailbox_cache_entry(sm->st->mb, &sm->rec, &data, &len))
            message_info_decode(data, len, &sm->info);
    }
    return sm->info;
}

/* Open the message file (once): by its name in the mailbox directory,
 * opened once per search, to save the kernel the walk down the path. */
static int smsg_open(struct smsg *sm)
{
    const char *slash;

    if (sm->file_tried)
        return sm->fd >= 0;
    sm->file_tried = 1;
    if (sm->gone)
        return 0;
    mailbox_message_path(sm->st->mb, sm->rec.uid, &sm->path);
    slash = strrchr(buf_cstring(&sm->path), '/');
    if (sm->dirfd == -2) {
        sm->dirfd = -1;
        if (slash) {
            char *dir = xstrndup(sm->path.s, (size_t)(slash - sm->path.s));
            sm->dirfd = open(*dir ? dir : "/",
                             O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            free(dir);
        }
    }
    sm->fd = sm->dirfd >= 0 && slash
                 ? openat(sm->dirfd, slash + 1, O_RDONLY | O_CLOEXEC)
                 : open(sm->path.s, O_RDONLY | O_CLOEXEC);
    if (sm->fd < 0) {
        if (errno != ENOENT)
            log_error_errno("search: cannot open message file=<%s>",
                            sm->path.s);
        return 0;
    }
    /* The record's size is the file's; a short read ends it sooner. */
    sm->file_size = (size_t)sm->rec.size;
    return 1;
}

/* Have bytes [0, end) of the file read, or as many as there are. */
static void smsg_need(struct smsg *sm, size_t end)
{
    if (sm->file.len >= end || !smsg_open(sm))
        return;
    if (end > sm->file_size)
        end = sm->file_size;
    if (sm->file.len >= end)
        return;
    buf_ensure(&sm->file, end - sm->file.len);
    while (sm->file.len < end) {
        ssize_t n = pread(sm->fd, sm->file.s + sm->file.len,
                          end - sm->file.len, (off_t)sm->file.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                log_error_errno("search: cannot read message file=<%s>",
                                sm->path.s);
            sm->file_size = sm->file.len;
            return;
        }
        sm->file.len += (size_t)n;
    }
}

/* Bytes [off, off+len) of the file, clamped to what it has.  The pointer
 * is good until the next call. */
static const char *smsg_range(struct smsg *sm, size_t off, size_t *len)
{
    smsg_need(sm, off + *len < off ? SIZE_MAX : off + *len);
    if (off > sm->file.len)
        off = sm->file.len;
    if (*len > sm->file.len - off)
        *len = sm->file.len - off;
    return sm->file.s ? sm->file.s + off : "";
}

/* The key in a header value, raw or RFC 2047-decoded. */
static int value_match(struct smsg *sm, const char *v, size_t len,
                       const struct skey *k)
{
    if (charset_search_text(&k->needle, CHARSET_UTF8, v, len))
        return 1;
    return memmem(v, len, "=?", 2) &&
           charset_search_header(&k->needle, v, len, &sm->tmp);
}

/* The values of every field called name in the header at h (len bytes),
 * unfolded, packed into out (index_memo_add_value). */
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
        index_memo_add_value(out, value.s ? value.s : "", value.len);
    }
    buf_free(&value);
}

/* A field the cache does not hold: its values from the session's memo
 * (index_memo.c), or from the file, then memorised. */
static int eval_uncached_header(const struct skey *k, struct smsg *sm)
{
    struct buf packed = BUF_INITIALIZER;
    const char *data, *p, *v;
    size_t len, vlen;
    int found = 0;

    if (sm->gone ||
        !index_memo_get(sm->st->memo, k->name, sm->rec.uid, &data, &len)) {
        len = sm->rec.header_size;
        data = smsg_range(sm, 0, &len);
        header_field_values(data, len, k->name, &packed);
        if (sm->fd >= 0 && len == sm->rec.header_size)
            index_memo_put(&sm->st->memo, k->name, sm->rec.uid,
                           packed.s ? packed.s : "", packed.len);
        data = packed.s ? packed.s : "";
        len = packed.len;
    }
    for (p = data; !found && index_memo_next_value(&p, data + len, &v, &vlen);)
        found = value_match(sm, v, vlen, k);
    buf_free(&packed);
    return found;
}

static int eval_header(const struct skey *k, struct smsg *sm)
{
    const struct message_info *info;
    const char *v;

    if (k->hdr < 0)
        return eval_uncached_header(k, sm);
    if (!(info = smsg_info(sm)) || !(v = info->headers[k->hdr]))
        return 0;
    return value_match(sm, v, strlen(v), k);
}

/* The key in the text at [off, off+len), header-style or as a body part. */
static int text_match(struct smsg *sm, size_t off, size_t len,
                      const struct message_section *part,
                      const struct skey *k)
{
    const char *data = smsg_range(sm, off, &len);

    if (part)
        return charset_search_body(&k->needle, data, len, part->encoding,
                                   part->charset, &sm->tmp);
    return charset_search_header(&k->needle, data, len, &sm->tmp);
}

/* BODY: the TEXT parts and the headers of attached messages (they are in
 * the body of the message that carries them); TEXT: also the header. */
static int eval_text(const struct skey *k, struct smsg *sm, int headers)
{
    const struct message_info *info = smsg_info(sm);
    size_t end = headers ? sm->rec.header_size : 0;

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
    smsg_need(sm, end);
    if (headers && text_match(sm, 0, sm->rec.header_size, NULL, k))
        return 1;
    for (size_t i = 0; i < info->nsections; i++) {
        const struct message_section *s = &info->sections[i];
        if (!strcasecmp(s->type, "TEXT") &&
            text_match(sm, s->body_offset, s->body_size, s, k))
            return 1;
        if (s->is_message &&
            text_match(sm, s->inner_header_offset, s->inner_header_size,
                       NULL, k))
            return 1;
    }
    return 0;
}

static long smsg_sent_day(struct smsg *sm)
{
    const struct message_info *info = smsg_info(sm);
    long day;

    if (info && info->headers[MESSAGE_HDR_DATE] &&
        !sent_day(info->headers[MESSAGE_HDR_DATE], &day))
        return day;
    return local_day(sm->rec.internaldate);
}

static int eval_keyword(const struct skey *k, struct smsg *sm)
{
    int idx;

    if (mailbox_user_flag(sm->st->mb, k->name, 0, &idx))
        return !k->want;
    return index_record_has_user_flag(&sm->rec, idx) == k->want;
}

static int eval(const struct skey *k, struct smsg *sm)
{
    switch (k->type) {
    case SK_ALL:
        return 1;
    case SK_AND:
        for (size_t i = 0; i < k->nkids; i++)
            if (!eval(k->kids[i], sm))
                return 0;
        return 1;
    case SK_OR:
        return eval(k->kids[0], sm) || eval(k->kids[1], sm);
    case SK_NOT:
        return !eval(k->kids[0], sm);
    case SK_MSGSET:
        return seqset_ismember(k->set, sm->msgno);
    case SK_UIDSET:
        return seqset_ismember(k->set, sm->rec.uid);
    case SK_SYSFLAG:
        return ((sm->rec.system_flags & k->bit) != 0) == k->want;
    case SK_SEEN:
        return index_uid_seen(sm->st, sm->rec.uid) == k->want;
    case SK_RECENT:
        return sm->m->recent == k->want;
    case SK_NEW:
        return sm->m->recent && !index_uid_seen(sm->st, sm->rec.uid);
    case SK_KEYWORD:
        return eval_keyword(k, sm);
    case SK_LARGER:
        return sm->rec.size > k->num;
    case SK_SMALLER:
        return sm->rec.size < k->num;
    case SK_MODSEQ:
        return sm->rec.modseq >= k->num;
    case SK_BEFORE:
        return local_day(sm->rec.internaldate) < k->day;
    case SK_ON:
        return local_day(sm->rec.internaldate) == k->day;
    case SK_SINCE:
        return local_day(sm->rec.internaldate) >= k->day;
    case SK_SENTBEFORE:
        return smsg_sent_day(sm) < k->day;
    case SK_SENTON:
        return smsg_sent_day(sm) == k->day;
    case SK_SENTSINCE:
        return smsg_sent_day(sm) >= k->day;
    case SK_HEADER:
        return eval_header(k, sm);
    case SK_BODY:
        return eval_text(k, sm, 0);
    case SK_TEXT:
        return eval_text(k, sm, 1);
    }
    return 0;
}

static void smsg_load(struct index_state *st, uint32_t msgno, struct smsg *sm)
{
    const struct index_msg *m = index_msg(st, msgno);

    sm->st = st;
    sm->msgno = msgno;
    sm->m = m;
    sm->info_tried = sm->file_tried = 0;
    message_info_free(&sm->info);
    if (sm->fd >= 0)
        close(sm->fd);
    sm->fd = -1;
    sm->file_size = 0;
    buf_reset(&sm->file);
    sm->gone = index_msg_record(st, msgno, &sm->rec) != ERR_OK;
    if (sm->gone) {
        memset(&sm->rec, 0, sizeof(sm->rec));
        sm->rec.uid = m->uid;
        sm->rec.system_flags = m->system_flags;
        memcpy(sm->rec.user_flags, m->user_flags, sizeof(m->user_flags));
        sm->rec.modseq = m->modseq;
        sm->rec.internaldate = m->internaldate;
        sm->rec.size = m->size;
    }
}

/* ---- the command -------------------------------------------------------- */

static int search_charset(struct sparse *p, const struct imap_arg *args,
                          size_t nargs, size_t *pos)
{
    const char *name;
    int cs;

    p->charset = CHARSET_UTF8;  /* ASCII is a subset; be kind to clients */
    if (!nargs || !imap_arg_atom_is(&args[0], "CHARSET"))
        return ERR_OK;
    if (nargs < 2 || !imap_arg_get_astring(&args[1], &name))
        return parse_bad(p, "Missing charset");
    cs = charset_lookup(name, strlen(name));
    if (cs != CHARSET_US_ASCII && cs != CHARSET_UTF8 &&
        cs != CHARSET_ISO_8859_1) {
        buf_setcstr(p->error, "[BADCHARSET (" CHARSET_SEARCH_LIST ")] "
                              "Unsupported charset");
        return ERR_NOTSUPP;
    }
    if (cs == CHARSET_ISO_8859_1)
        p->charset = cs;
    *pos = 2;
    return ERR_OK;
}

int index_search(struct index_state *st, struct prot *out, int uid,
                 const struct imap_arg *args, size_t nargs,
                 struct buf *error)
{
    struct sparse p = { st, CHARSET_UTF8, 0, error };
    struct skey *root = NULL;
    struct smsg sm;
    struct buf b = BUF_INITIALIZER;
    uint64_t maxmodseq = 0;
    size_t pos = 0;
    int r;

    buf_reset(error);
    memset(&sm, 0, sizeof(sm));
    sm.fd = -1;
    sm.dirfd = -2;
    if ((r = search_charset(&p, args, nargs, &pos)))
        return r;
    if (pos >= nargs)
        return parse_bad(&p, "Missing search criteria");
    if ((r = parse_list(&p, args + pos, nargs - pos, 0, &root)))
        return r;
    if (p.modseq_used)
        st->condstore = 1;
    buf_appendcstr(&b, "* SEARCH");
    for (uint32_t msgno = 1; msgno <= st->nmsgs; msgno++) {
        smsg_load(st, msgno, &sm);
        if (!eval(root, &sm))
            continue;
        buf_printf(&b, " %" PRIu32, uid ? sm.rec.uid : msgno);
        if (sm.rec.modseq > maxmodseq)
            maxmodseq = sm.rec.modseq;
        if (b.len > PROT_FLUSH_THRESHOLD) {
            prot_write(out, b.s, b.len);
            buf_reset(&b);
        }
    }
    if (p.modseq_used && maxmodseq)
        buf_printf(&b, " (MODSEQ %" PRIu64 ")", maxmodseq);
    buf_appendcstr(&b, "\r\n");
    prot_write(out, b.s, b.len);
    message_info_free(&sm.info);
    if (sm.fd >= 0)
        close(sm.fd);
    if (sm.dirfd >= 0)
        close(sm.dirfd);
    buf_free(&sm.file);
    buf_free(&sm.path);
    buf_free(&sm.tmp);
    buf_free(&b);
    skey_free(root);
    return ERR_OK;
}
