/* index_store.c -- STORE and UID STORE (RFC 3501 6.4.6, UNCHANGEDSINCE of
 * RFC 7162 3.1.3), and the \Seen that FETCH sets.
 *
 * System flags and keywords live in the index record and change under
 * the mailbox lock with one mailbox_commit for the whole command; \Seen is
 * the user's (seen.h) and is written after the commit.  A \Seen change
 * also rewrites the record so its modseq moves: CONDSTORE clients and the
 * user's other sessions see it like any other flag change.
 *
 * Rights (RFC 4314 4): \Seen needs s, \Deleted needs t, every other flag
 * and keyword needs w.  Flags the user may not change are ignored; the
 * command fails only when it names flags and none of them may be changed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"

enum store_op { STORE_REPLACE, STORE_ADD, STORE_REMOVE };

struct store_req {
    enum store_op op;
    int silent;
    int have_unchangedsince;
    uint64_t unchangedsince;
    uint32_t sysflags;          /* FLAG_* named */
    int seen;                   /* \Seen named */
    struct strarray keywords;
    /* what the user may change */
    uint32_t allowed_sys;
    int allow_seen, allow_kw;
    uint32_t kwmask[INDEX_USER_FLAG_WORDS];
};

/* The outcome for one message, written after the commit. */
struct store_result {
    uint32_t msgno;
    struct index_record rec;
    int seen;
    int changed;
};

static const struct {
    const char *name;
    uint32_t bit;
} store_sysflags[] = {
    { "\\Answered", FLAG_ANSWERED },
    { "\\Flagged", FLAG_FLAGGED },
    { "\\Deleted", FLAG_DELETED },
    { "\\Draft", FLAG_DRAFT },
};

/* flag-keyword = atom: no specials, nothing 8-bit. */
static int keyword_valid(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || strchr("(){%*\"\\]", c))
            return 0;
    }
    return 1;
}

static int store_parse_flag(const struct imap_arg *arg, struct store_req *req,
                            struct buf *error)
{
    const char *s;

    /* NIL is an atom here: the keyword "NIL" (RFC 3501/9051 4.5: NIL
     * is not used for atom-form data such as flags). */
    if ((arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL) ||
        (arg->flags & IMAP_ARG_F_SECTION) || !imap_arg_get_atom(arg, &s)) {
        buf_setcstr(error, "Invalid flag");
        return ERR_BADARG;
    }
    if (*s != '\\') {
        if (!keyword_valid(s)) {
            buf_setcstr(error, "Invalid flag name");
            return ERR_BADARG;
        }
        if (strarray_find_case(&req->keywords, s) < 0)
            strarray_append(&req->keywords, s);
        return ERR_OK;
    }
    if (!strcasecmp(s, "\\Seen")) {
        req->seen = 1;
        return ERR_OK;
    }
    if (!strcasecmp(s, "\\Recent"))
        return ERR_OK;          /* RFC 3501: cannot be altered; ignored */
    for (size_t i = 0; i < sizeof(store_sysflags) / sizeof(store_sysflags[0]);
         i++) {
        if (!strcasecmp(s, store_sysflags[i].name)) {
            req->sysflags |= store_sysflags[i].bit;
            return ERR_OK;
        }
    }
    buf_setcstr(error, "Invalid system flag");
    return ERR_BADARG;
}

static int store_parse_unchangedsince(const struct imap_arg *arg,
                                      struct store_req *req, struct buf *error)
{
    const struct imap_arg *list;
    size_t n;

    if (!imap_arg_get_list(arg, &list, &n) || n != 2 ||
        !imap_arg_atom_is(&list[0], "UNCHANGEDSINCE") ||
        list[1].type != IMAP_ARG_ATOM ||
        !imap_arg_get_number64(&list[1], &req->unchangedsince)) {
        buf_setcstr(error, "Invalid store modifier");
        return ERR_BADARG;
    }
    req->have_unchangedsince = 1;
    return ERR_OK;
}

static int store_parse(const struct imap_arg *args, size_t nargs,
                       struct store_req *req, struct buf *error)
{
    const struct imap_arg *list = NULL;
    const char *item;
    size_t i = 0, nflags;
    int r;

    if (nargs && args[0].type == IMAP_ARG_LIST) {
        if ((r = store_parse_unchangedsince(&args[0], req, error)))
            return r;
        i++;
    }
    if (i >= nargs || args[i].type != IMAP_ARG_ATOM ||
        !imap_arg_get_atom(&args[i], &item))
        goto bad_item;
    req->op = *item == '+' ? STORE_ADD : *item == '-' ? STORE_REMOVE
                                                      : STORE_REPLACE;
    if (req->op != STORE_REPLACE)
        item++;
    if (!strcasecmp(item, "FLAGS.SILENT"))
        req->silent = 1;
    else if (strcasecmp(item, "FLAGS"))
        goto bad_item;
    i++;
    if (i + 1 == nargs && imap_arg_get_list(&args[i], &list, &nflags)) {
        for (size_t k = 0; k < nflags; k++)
            if ((r = store_parse_flag(&list[k], req, error)))
                return r;
        return ERR_OK;
    }
    if (i >= nargs) {
        buf_setcstr(error, "Missing flags");
        return ERR_BADARG;
    }
    for (; i < nargs; i++)
        if ((r = store_parse_flag(&args[i], req, error)))
            return r;
    return ERR_OK;
bad_item:
    buf_setcstr(error, "Invalid store attribute");
    return ERR_BADARG;
}

/* What the rights let this command change; ERR_PERM if nothing it names. */
static int store_rights(const struct index_state *st, struct store_req *req,
                        struct buf *error)
{
    unsigned rights = st->rights;
    int named = req->sysflags || req->seen || req->keywords.count;
    int allowed;

    req->allowed_sys = ((rights & ACL_WRITE)
                            ? FLAG_ANSWERED | FLAG_FLAGGED | FLAG_DRAFT : 0) |
                       ((rights & ACL_DELETEMSG) ? FLAG_DELETED : 0);
    req->allow_seen = (rights & ACL_SEEN) != 0;
    req->allow_kw = (rights & ACL_WRITE) != 0;
    if (st->readonly) {
        buf_setcstr(error, "Mailbox is read-only");
        return ERR_PERM;
    }
    if (req->op == STORE_REPLACE)
        allowed = req->allowed_sys || req->allow_seen || req->allow_kw;
    else
        allowed = !named || (req->sysflags & req->allowed_sys) ||
                  (req->seen && req->allow_seen) ||
                  (req->keywords.count && req->allow_kw);
    if (!allowed) {
        buf_setcstr(error, "Permission denied");
        return ERR_PERM;
    }
    return ERR_OK;
}

/* Bits of the keywords (created when they will be set; lock held). */
static int store_keywords(struct index_state *st, struct store_req *req,
                          struct buf *error)
{
    memset(req->kwmask, 0, sizeof(req->kwmask));
    if (!req->allow_kw)
        return ERR_OK;
    for (size_t i = 0; i < req->keywords.count; i++) {
        int idx;
        int r = mailbox_user_flag(st->mb, req->keywords.data[i],
                                  req->op != STORE_REMOVE, &idx);
        if (r == ERR_NOTFOUND)
            continue;           /* removing a flag nobody has */
        if (r == ERR_TOOBIG)
            buf_setcstr(error, "[LIMIT] Too many keywords in this mailbox");
        if (r)
            return r;
        req->kwmask[idx / 32] |= 1u << (idx % 32);
    }
    return ERR_OK;
}

/* New flags of rec (in place) and \Seen; 1 if anything changes. */
static int store_apply(const struct store_req *req, struct index_record *rec,
                       int *seen)
{
    uint32_t sys = rec->system_flags, named = req->sysflags & req->allowed_sys;
    uint32_t user[INDEX_USER_FLAG_WORDS];
    int newseen = *seen, changed;

    memcpy(user, rec->user_flags, sizeof(user));
    for (int w = 0; w < INDEX_USER_FLAG_WORDS; w++) {
        if (!req->allow_kw)
            break;
        if (req->op == STORE_ADD)
            user[w] |= req->kwmask[w];
        else if (req->op == STORE_REMOVE)
            user[w] &= ~req->kwmask[w];
        else
            user[w] = req->kwmask[w];
    }
    if (req->op == STORE_ADD)
        sys |= named;
    else if (req->op == STORE_REMOVE)
        sys &= ~named;
    else
        sys = (sys & ~req->allowed_sys) | named;
    if (req->allow_seen) {
        if (req->op == STORE_ADD)
            newseen = newseen || req->seen;
        else if (req->op == STORE_REMOVE)
            newseen = newseen && !req->seen;
        else
            newseen = req->seen;
    }
    changed = sys != rec->system_flags || newseen != *seen ||
              memcmp(user, rec->user_flags, sizeof(user));
    rec->system_flags = sys;
    memcpy(rec->user_flags, user, sizeof(user));
    *seen = newseen;
    return changed;
}

static void store_write(struct index_state *st, struct prot *out, int uid,
                        const struct store_req *req,
                        const struct store_result *res)
{
    struct buf b = BUF_INITIALIZER;

    if (req->silent && !(st->condstore && res->changed))
        goto done;
    buf_printf(&b, "* %" PRIu32 " FETCH (", res->msgno);
    if (uid)
        buf_printf(&b, "UID %" PRIu32 " ", res->rec.uid);
    if (!req->silent) {
        buf_appendcstr(&b, "FLAGS ");
        index_format_flags(st, index_msg(st, res->msgno),
                           res->rec.system_flags, res->rec.user_flags,
                           res->seen, &b);
        buf_putc(&b, ' ');
    }
    if (st->condstore)
        buf_printf(&b, "MODSEQ (%" PRIu64 ") ", res->rec.modseq);
    b.s[b.len - 1] = ')';
    buf_appendcstr(&b, "\r\n");
    prot_write(out, b.s, b.len);
done:
    index_msg_reported(st, res->msgno, &res->rec, res->seen);
    buf_free(&b);
}

/* Apply the request to every msgno under the lock.  Fills res[] (count in
 * *nres), the UIDs whose \Seen goes on/off, and the failed UNCHANGEDSINCE
 * tests (msgnos, or UIDs for UID STORE). */
static int store_run(struct index_state *st, const struct store_req *req,
                     int uid, const uint32_t *msgnos, size_t n,
                     struct store_result *res, size_t *nres,
                     uint32_t *seenon, size_t *non, uint32_t *seenoff,
                     size_t *noff, uint32_t *modified, size_t *nmod)
{
    int dirty = 0, r = ERR_OK;

    for (size_t i = 0; i < n; i++) {
        struct store_result *sr = &res[*nres];
        int oldseen;
        if ((r = index_msg_record(st, msgnos[i], &sr->rec))) {
            if (r != ERR_NOTFOUND)
                return r;
            r = ERR_OK;         /* expunged meanwhile: nothing to store */
            continue;
        }
        if (req->have_unchangedsince && sr->rec.modseq > req->unchangedsince) {
            modified[(*nmod)++] = uid ? sr->rec.uid : msgnos[i];
            continue;
        }
        sr->msgno = msgnos[i];
        sr->seen = oldseen = index_uid_seen(st, sr->rec.uid);
        sr->changed = store_apply(req, &sr->rec, &sr->seen);
        if (sr->changed) {
            if ((r = mailbox_rewrite_record(
                     st->mb, index_msg(st, msgnos[i])->recno, &sr->rec)))
                return r;
            dirty = 1;
        }
        if (sr->seen && !oldseen)
            seenon[(*non)++] = sr->rec.uid;
        else if (!sr->seen && oldseen)
            seenoff[(*noff)++] = sr->rec.uid;
        (*nres)++;
    }
    return dirty ? mailbox_commit(st->mb) : ERR_OK;
}

int index_store(struct index_state *st, struct prot *out, int uid,
                const struct imap_arg *set, const struct imap_arg *args,
                size_t nargs, struct buf *code, struct buf *error)
{
    struct store_req req;
    struct store_result *res = NULL;
    uint32_t *msgnos = NULL, *seenon = NULL, *seenoff = NULL, *mod = NULL;
    size_t n = 0, nres = 0, non = 0, noff = 0, nmod = 0;
    int r;

    buf_reset(code);
    buf_reset(error);
    memset(&req, 0, sizeof(req));
    if ((r = store_parse(args, nargs, &req, error)) ||
        (r = index_resolve_set(st, set, uid, &msgnos, &n, error)) ||
        (r = store_rights(st, &req, error)))
        goto done;
    if (req.have_unchangedsince)
        st->condstore = 1;
    res = xcalloc(n + 1, sizeof(*res));
    seenon = xcalloc(n + 1, sizeof(uint32_t));
    seenoff = xcalloc(n + 1, sizeof(uint32_t));
    mod = xcalloc(n + 1, sizeof(uint32_t));
    if ((r = mailbox_lock(st->mb, 0)))
        goto done;
    r = store_keywords(st, &req, error);
    if (!r)
        r = store_run(st, &req, uid, msgnos, n, res, &nres, seenon, &non,
                      seenoff, &noff, mod, &nmod);
    if (r)
        mailbox_abort(st->mb);
    mailbox_unlock(st->mb);
    if (r)
        goto done;
    index_seen_change(st, seenon, non, 1);
    index_seen_change(st, seenoff, noff, 0);
    index_report_flagnames(st, out, 0);
    for (size_t i = 0; i < nres; i++)
        store_write(st, out, uid, &req, &res[i]);
    if (nmod) {
        struct buf text = BUF_INITIALIZER;
        index_format_msgset(mod, nmod, &text);
        buf_printf(code, "MODIFIED %s", buf_cstring(&text));
        buf_free(&text);
    }
done:
    strarray_fini(&req.keywords);
    free(res);
    free(msgnos);
    free(seenon);
    free(seenoff);
    free(mod);
    return r;
}

int index_mark_seen(struct index_state *st, const uint32_t *msgnos, size_t n)
{
    uint32_t *uids = xcalloc(n + 1, sizeof(uint32_t));
    struct index_record rec;
    size_t k = 0;
    int r;

    if ((r = mailbox_lock(st->mb, 0)))
        goto done;
    for (size_t i = 0; i < n && !r; i++) {
        if (index_msg_record(st, msgnos[i], &rec))
            continue;
        /* Same flags, new modseq: see the top of this file. */
        r = mailbox_rewrite_record(st->mb, index_msg(st, msgnos[i])->recno,
                                   &rec);
        uids[k++] = rec.uid;
    }
    if (!r && k)
        r = mailbox_commit(st->mb);
    if (r)
        mailbox_abort(st->mb);
    mailbox_unlock(st->mb);
    if (!r)
        r = index_seen_change(st, uids, k, 1);
done:
    if (r)
        log_error("index: cannot set \\Seen: mailbox=<%s>: %s", st->mb->name,
                  error_string(r));
    free(uids);
    return r;
}
