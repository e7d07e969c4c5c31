/* index_search.c -- SEARCH and UID SEARCH (RFC 3501 6.4.4, MODSEQ of
 * RFC 7162 3.1.5): the grammar of the search program, turned into a tree
 * of keys (imap/mailstore/search.h), then the tree tested against every
 * message of the view and the "* SEARCH" response.
 *
 * What the keys mean, their order (cheapest first), the lazy reads of
 * cache entries and message files and the memo of uncached fields are
 * the mailstore's (search.h).  Here: the key names, their arguments, the
 * CHARSET of the program (strings reach the tree as UTF-8), sequence sets
 * against the view, the reasons of a BAD, and what the view alone knows
 * of each message (its sequence number, \Seen and \Recent as reported,
 * and whether another session expunged it).
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/search.h"
#include "imap/mailstore/seqset.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"

/* Nesting of NOT/OR/lists; the parser bounds it too, this is a backstop
 * against a deep chain of NOT NOT NOT ... at one level. */
#define SEARCH_MAX_DEPTH 64

struct sparse {
    struct index_state *st;
    int charset;
    int modseq_used;
    struct buf *error;
};

/* ---- parsing ------------------------------------------------------------ */

static int parse_bad(struct sparse *p, const char *why)
{
    buf_setcstr(p->error, why);
    return ERR_BADARG;
}

/* The next argument as an astring. */
static int next_string(struct sparse *p, const struct imap_arg *args,
                       size_t n, size_t *pos, const char **s_r)
{
    if (*pos >= n || !imap_arg_get_astring(&args[*pos], s_r))
        return parse_bad(p, "Missing or invalid search string");
    (*pos)++;
    return ERR_OK;
}

/* s, in the program's charset, as UTF-8 in *utf8 (appended). */
static void to_utf8(const struct sparse *p, const char *s, struct buf *utf8)
{
    charset_to_utf8(p->charset, s, strlen(s), utf8);
}

static int parse_key(struct sparse *p, const struct imap_arg *args, size_t n,
                     size_t *pos, int depth, struct search_key **k_r);

/* A list of keys: their AND. */
static int parse_list(struct sparse *p, const struct imap_arg *args,
                      size_t n, int depth, struct search_key **k_r)
{
    struct search_key *and;
    size_t pos = 0;
    int r;

    if (!n)
        return parse_bad(p, "Empty search list");
    and = search_key_and();
    while (pos < n) {
        struct search_key *kid = NULL;
        if ((r = parse_key(p, args, n, &pos, depth + 1, &kid))) {
            search_key_free(&and);
            return r;
        }
        search_key_add(and, kid);
    }
    *k_r = and;
    return ERR_OK;
}

enum simple_key { SIMPLE_ALL, SIMPLE_FLAG, SIMPLE_SEEN, SIMPLE_RECENT,
                  SIMPLE_NEW };

static const struct {
    const char *name;
    enum simple_key type;
    int want;
    uint32_t bit;
} simple_keys[] = {
    { "ALL", SIMPLE_ALL, 1, 0 },
    { "ANSWERED", SIMPLE_FLAG, 1, FLAG_ANSWERED },
    { "DELETED", SIMPLE_FLAG, 1, FLAG_DELETED },
    { "DRAFT", SIMPLE_FLAG, 1, FLAG_DRAFT },
    { "FLAGGED", SIMPLE_FLAG, 1, FLAG_FLAGGED },
    { "UNANSWERED", SIMPLE_FLAG, 0, FLAG_ANSWERED },
    { "UNDELETED", SIMPLE_FLAG, 0, FLAG_DELETED },
    { "UNDRAFT", SIMPLE_FLAG, 0, FLAG_DRAFT },
    { "UNFLAGGED", SIMPLE_FLAG, 0, FLAG_FLAGGED },
    { "SEEN", SIMPLE_SEEN, 1, 0 },
    { "UNSEEN", SIMPLE_SEEN, 0, 0 },
    { "RECENT", SIMPLE_RECENT, 1, 0 },
    { "OLD", SIMPLE_RECENT, 0, 0 },
    { "NEW", SIMPLE_NEW, 1, 0 },
    /* RFC 8514: every mailbox keeps save dates */
    { "SAVEDATESUPPORTED", SIMPLE_ALL, 1, 0 },
};

/* The key of simple_keys[i]. */
static struct search_key *simple_key(size_t i)
{
    int want = simple_keys[i].want;

    switch (simple_keys[i].type) {
    case SIMPLE_FLAG:
        return search_key_flag(simple_keys[i].bit, want);
    case SIMPLE_SEEN:
        return search_key_seen(want);
    case SIMPLE_RECENT:
        return search_key_recent(want);
    case SIMPLE_NEW:
        return search_key_recent_unseen();
    case SIMPLE_ALL:
        break;
    }
    return search_key_all();
}

static const struct {
    const char *name;
    enum search_date which;
} date_keys[] = {
    { "BEFORE", SEARCH_BEFORE }, { "ON", SEARCH_ON },
    { "SINCE", SEARCH_SINCE }, { "SENTBEFORE", SEARCH_SENTBEFORE },
    { "SENTON", SEARCH_SENTON }, { "SENTSINCE", SEARCH_SENTSINCE },
    { "SAVEDBEFORE", SEARCH_SAVEDBEFORE }, { "SAVEDON", SEARCH_SAVEDON },
    { "SAVEDSINCE", SEARCH_SAVEDSINCE },
};

/* FROM, TO ... (address: the parsed addresses too) and HEADER name: a
 * header key. */
static int parse_header_key(struct sparse *p, const char *field,
                            const char *value, int address,
                            struct search_key **k_r)
{
    struct buf utf8 = BUF_INITIALIZER;

    to_utf8(p, value, &utf8);
    *k_r = address
               ? search_key_address(field, utf8.s ? utf8.s : "", utf8.len)
               : search_key_header(field, utf8.s ? utf8.s : "", utf8.len);
    buf_free(&utf8);
    return ERR_OK;
}

static int parse_date_key(struct sparse *p, enum search_date which,
                          const struct imap_arg *args, size_t n, size_t *pos,
                          struct search_key **k_r)
{
    const char *s;
    long day;
    int r;

    if ((r = next_string(p, args, n, pos, &s)))
        return r;
    if (search_date_parse(s, &day))
        return parse_bad(p, "Invalid date");
    *k_r = search_key_date(which, day);
    return ERR_OK;
}

enum number_key { NUMBER_LARGER, NUMBER_SMALLER, NUMBER_MODSEQ };

/* WITHIN (RFC 5032): OLDER / YOUNGER nz-number, seconds before now. */
static int parse_within_key(struct sparse *p, int younger,
                            const struct imap_arg *args, size_t n,
                            size_t *pos, struct search_key **k_r)
{
    uint32_t secs;

    if (*pos >= n || args[*pos].type != IMAP_ARG_ATOM ||
        !imap_arg_get_nz_number(&args[*pos], &secs))
        return parse_bad(p, "Invalid interval in search");
    (*pos)++;
    *k_r = search_key_internaldate(younger, (int64_t)time(NULL) - secs);
    return ERR_OK;
}

/* 1 if name is a MODSEQ search entry RFC 7162 3.1.5 allows:
 * "/flags/" attr-flag (a system flag "\\Name" or a keyword atom). */
static int modseq_entry_ok(const char *name)
{
    const char *f = name + 7;

    if (strncasecmp(name, "/flags/", 7))
        return 0;
    if (*f == '\\')
        f++;
    if (!*f)
        return 0;
    for (; *f; f++)
        if ((unsigned char)*f <= ' ' || (unsigned char)*f >= 0x7f ||
            strchr("(){%*\"\\]", *f))
            return 0;
    return 1;
}

static int parse_number_key(struct sparse *p, enum number_key type,
                            const struct imap_arg *args, size_t n, size_t *pos,
                            struct search_key **k_r)
{
    uint64_t num = 0;
    uint32_t n32 = 0;
    const char *entry;
    int ok;

    /* MODSEQ may name a metadata entry and its type (all, shared or priv)
     * first.  We keep one modseq per message, raised by every change of
     * its flags and of any user's \Seen, so RFC 7162 3.1.5 has us ignore
     * a well-formed entry: the message's modseq answers for each. */
    if (type == NUMBER_MODSEQ && *pos < n &&
        imap_arg_get_string(&args[*pos], &entry)) {
        if (!modseq_entry_ok(entry))
            return parse_bad(p, "Invalid MODSEQ entry name");
        if (*pos + 1 >= n || !(imap_arg_atom_is(&args[*pos + 1], "all") ||
                               imap_arg_atom_is(&args[*pos + 1], "shared") ||
                               imap_arg_atom_is(&args[*pos + 1], "priv")))
            return parse_bad(p, "Invalid MODSEQ entry type");
        *pos += 2;
    }
    if (*pos >= n || args[*pos].type != IMAP_ARG_ATOM)
        return parse_bad(p, "Invalid number in search");
    if (type == NUMBER_MODSEQ) {
        ok = imap_arg_get_number64(&args[*pos], &num);
        p->modseq_used = 1;
    } else {
        ok = imap_arg_get_number(&args[*pos], &n32);
    }
    if (!ok)
        return parse_bad(p, "Invalid number in search");
    (*pos)++;
    *k_r = type == NUMBER_MODSEQ   ? search_key_modseq(num)
           : type == NUMBER_LARGER ? search_key_larger(n32)
                                   : search_key_smaller(n32);
    return ERR_OK;
}

/* BODY and TEXT. */
static struct search_key *text_key(const struct sparse *p, int body,
                                   const char *s)
{
    struct buf utf8 = BUF_INITIALIZER;
    struct search_key *k;

    to_utf8(p, s, &utf8);
    k = body ? search_key_body(utf8.s ? utf8.s : "", utf8.len)
             : search_key_text(utf8.s ? utf8.s : "", utf8.len);
    buf_free(&utf8);
    return k;
}

static int parse_string_key(struct sparse *p, const char *word,
                            const struct imap_arg *args, size_t n,
                            size_t *pos, struct search_key **k_r)
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
        return parse_header_key(p, header_keys[i].field, s,
                                strcasecmp(word, "SUBJECT") != 0, k_r);
    }
    if (!strcasecmp(word, "HEADER")) {
        if ((r = next_string(p, args, n, pos, &field)) ||
            (r = next_string(p, args, n, pos, &s)))
            return r;
        if (!*field || strpbrk(field, ": \t"))
            return parse_bad(p, "Invalid header field name");
        return parse_header_key(p, field, s, 0, k_r);
    }
    if (!strcasecmp(word, "BODY") || !strcasecmp(word, "TEXT")) {
        if ((r = next_string(p, args, n, pos, &s)))
            return r;
        *k_r = text_key(p, !strcasecmp(word, "BODY"), s);
        return ERR_OK;
    }
    if (!strcasecmp(word, "EMAILID") || !strcasecmp(word, "THREADID")) {
        if ((r = next_string(p, args, n, pos, &s)))
            return r;
        if (!index_objectid_valid(s))
            return parse_bad(p, "Invalid object id");
        /* No thread ids (THREADID is NIL, RFC 8474 5.2): no match. */
        *k_r = word[0] == 'E' || word[0] == 'e' ? search_key_emailid(s)
                                                : search_key_not(
                                                      search_key_all());
        return ERR_OK;
    }
    if (!strcasecmp(word, "KEYWORD") || !strcasecmp(word, "UNKEYWORD")) {
        if ((r = next_string(p, args, n, pos, &s)))
            return r;
        *k_r = search_key_keyword(s, word[0] == 'K' || word[0] == 'k');
        return ERR_OK;
    }
    return parse_bad(p, "Unknown search key");
}

static int parse_set_key(struct sparse *p, const char *text, int uid,
                         struct search_key **k_r)
{
    struct seqset *set = NULL;

    if (index_parse_set(p->st, text, &uid, &set))
        return parse_bad(p, "Invalid sequence set in search");
    *k_r = uid ? search_key_uidset(set) : search_key_msgset(set);
    return ERR_OK;
}

/* NOT key, OR key key. */
static int parse_not_or(struct sparse *p, int nkids,
                        const struct imap_arg *args, size_t n, size_t *pos,
                        int depth, struct search_key **k_r)
{
    struct search_key *kids[2] = { NULL, NULL };
    int r = ERR_OK;

    for (int i = 0; i < nkids && !r; i++)
        r = parse_key(p, args, n, pos, depth + 1, &kids[i]);
    if (r) {
        search_key_free(&kids[0]);
        search_key_free(&kids[1]);
        return r;
    }
    *k_r = nkids == 1 ? search_key_not(kids[0])
                      : search_key_or(kids[0], kids[1]);
    return ERR_OK;
}

static int parse_key(struct sparse *p, const struct imap_arg *args, size_t n,
                     size_t *pos, int depth, struct search_key **k_r)
{
    const struct imap_arg *arg, *list;
    const char *atom;
    size_t cnt;
    int nkids;

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
    if ((*atom >= '0' && *atom <= '9') || *atom == '*' || *atom == '$')
        return parse_set_key(p, atom, 0, k_r);
    for (size_t i = 0; i < sizeof(simple_keys) / sizeof(simple_keys[0]); i++) {
        if (!strcasecmp(atom, simple_keys[i].name)) {
            *k_r = simple_key(i);
            return ERR_OK;
        }
    }
    for (size_t i = 0; i < sizeof(date_keys) / sizeof(date_keys[0]); i++)
        if (!strcasecmp(atom, date_keys[i].name))
            return parse_date_key(p, date_keys[i].which, args, n, pos, k_r);
    if (!strcasecmp(atom, "LARGER"))
        return parse_number_key(p, NUMBER_LARGER, args, n, pos, k_r);
    if (!strcasecmp(atom, "SMALLER"))
        return parse_number_key(p, NUMBER_SMALLER, args, n, pos, k_r);
    if (!strcasecmp(atom, "MODSEQ"))
        return parse_number_key(p, NUMBER_MODSEQ, args, n, pos, k_r);
    if (!strcasecmp(atom, "OLDER") || !strcasecmp(atom, "YOUNGER"))
        return parse_within_key(p, atom[0] == 'Y' || atom[0] == 'y', args, n,
                                pos, k_r);
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
    return parse_not_or(p, nkids, args, n, pos, depth, k_r);
}

int index_search_charset(const char *name, int *cs_r, struct buf *error)
{
    int cs = charset_lookup(name, strlen(name));

    if (cs == CHARSET_UNKNOWN) {
        buf_setcstr(error, "[BADCHARSET (" CHARSET_SEARCH_LIST ")] "
                           "Unsupported charset");
        return ERR_NOTSUPP;
    }
    /* ASCII is a subset of UTF-8; be kind to clients that send 8-bit. */
    *cs_r = cs == CHARSET_US_ASCII ? CHARSET_UTF8 : cs;
    return ERR_OK;
}

static int search_charset(struct sparse *p, const struct imap_arg *args,
                          size_t nargs, size_t *pos)
{
    const char *name;

    p->charset = CHARSET_UTF8;  /* ASCII is a subset; be kind to clients */
    if (!nargs || !imap_arg_atom_is(&args[0], "CHARSET"))
        return ERR_OK;
    if (nargs < 2 || !imap_arg_get_astring(&args[1], &name))
        return parse_bad(p, "Missing charset");
    *pos = 2;
    return index_search_charset(name, &p->charset, p->error);
}

int index_search_parse(struct index_state *st, int charset,
                       const struct imap_arg *args, size_t nargs,
                       struct search_key **root_r, int *modseq_used,
                       struct buf *error)
{
    struct sparse p = { st, charset, 0, error };
    int r;

    *root_r = NULL;
    if (!nargs)
        return parse_bad(&p, "Missing search criteria");
    if ((r = parse_list(&p, args, nargs, 0, root_r)))
        return r;
    if (p.modseq_used)
        st->condstore = 1;
    if (modseq_used)
        *modseq_used = p.modseq_used;
    return ERR_OK;
}

/* ---- the command -------------------------------------------------------- */

/* The record of msgno and what the view knows of it; a message another
 * session expunged is tested on the state last reported. */
void index_search_msg(struct index_state *st, uint32_t msgno,
                      struct index_record *rec, struct search_msg *msg)
{
    const struct index_msg *m = index_msg(st, msgno);

    msg->msgno = msgno;
    msg->recent = m->recent;
    msg->expunged = index_msg_record(st, msgno, rec) != ERR_OK;
    if (msg->expunged) {
        memset(rec, 0, sizeof(*rec));
        rec->uid = m->uid;
        rec->system_flags = m->system_flags;
        memcpy(rec->user_flags, m->user_flags, sizeof(m->user_flags));
        rec->modseq = m->modseq;
        rec->internaldate = m->internaldate;
        rec->size = m->size;
    }
    msg->seen = index_uid_seen(st, rec->uid);
}

int index_search(struct index_state *st, struct prot *out, const char *tag,
                 int uid, const struct imap_arg *args, size_t nargs,
                 struct buf *error)
{
    struct sparse p = { st, CHARSET_UTF8, 0, error };
    struct search_key *root = NULL;
    struct search_scan *scan;
    struct index_record rec;
    struct search_msg msg;
    struct index_search_hit *hits = NULL;
    struct index_search_ret ret;
    size_t pos = 0, cpos = 0, n = 0, alloc = 0;
    int r;

    buf_reset(error);
    if ((r = index_search_return(args, nargs, &pos, &ret, error)) ||
        ((ret.opts & INDEX_RET_UPDATE) &&
         (r = index_context_check(st, tag, error))) ||
        (r = search_charset(&p, args + pos, nargs - pos, &cpos)) ||
        (r = index_search_parse(st, p.charset, args + pos + cpos,
                                nargs - pos - cpos, &root, &p.modseq_used,
                                error))) {
        index_search_failed(st, ret.opts, r);
        return r;
    }
    scan = search_scan_new(st->mb, &st->memo);
    for (uint32_t msgno = 1; msgno <= st->nmsgs; msgno++) {
        index_search_msg(st, msgno, &rec, &msg);
        if (!search_match(scan, root, &rec, &msg))
            continue;
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            hits = xreallocarray(hits, alloc, sizeof(*hits));
        }
        hits[n].msgno = msgno;
        hits[n].uid = rec.uid;
        hits[n++].modseq = rec.modseq;
    }
    search_scan_free(&scan);
    index_search_answer(st, out, tag, uid, &ret, hits, n, p.modseq_used);
    if (ret.opts & INDEX_RET_UPDATE)
        index_context_add(st, out, tag, uid, &root, NULL, 0, hits, n);
    free(hits);
    search_key_free(&root);
    return ERR_OK;
}
