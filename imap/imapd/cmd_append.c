/* cmd_append.c -- APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502),
 * the APPENDUID response code (RFC 4315), literal8 messages (RFC 3516
 * 4.4) and CATENATE (RFC 4469, cmd_catenate.h).
 *
 *   APPEND mailbox [(flags)] [date-time] message *([(flags)] [date-time]
 *          message)
 *   message = literal / literal8 / CATENATE (TEXT literal / URL url ...)
 *
 * Every message is checked before anything is written (flags, date-time,
 * literal): one bad message is BAD and adds nothing.  Then all of them go
 * into one append transaction (append.h), so they appear together or not
 * at all.  Quota is strict (NO [OVERQUOTA]); a missing or invisible
 * mailbox is NO [TRYCREATE].  A literal8 (~{n}) message is stored byte
 * for byte; one the store would have to change (message_normalize: bare
 * CR or LF, NUL or 8-bit bytes in the header) is refused with NO
 * [UNKNOWN-CTE], since RFC 3516 4.4 allows no transformation that loses
 * data.  A CATENATE message is built when the mailbox is known (NO
 * [BADURL url] for a URL that cannot be used, NO [TOOBIG] past
 * APPENDLIMIT, or past the literal bytes of one command for all of its
 * CATENATE messages), then appended like the others, in the same
 * transaction.  Flags the user has no right to set
 * (\Seen: s, \Deleted: t, others: w) are dropped silently, as in Cyrus.
 * \Seen goes to the appending user's own \Seen state (seen.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/append.h"
#include "imap/imapd/cmd_catenate.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/message.h"

/* One message of the command. */
struct append_item {
    const char *data;
    size_t len;
    int binary;                 /* sent as literal8 (or a CATENATE TEXT
                                   part was) */
    const struct imap_arg *cat; /* CATENATE parts, or NULL */
    size_t ncat;
    struct buf built;           /* the CATENATE message */
    uint32_t flags;             /* FLAG_* | APPEND_SEEN */
    struct strarray keywords;
    time_t date;                /* 0: now */
};

struct append_request {
    struct append_item *items;
    size_t n;
};

static void append_request_fini(struct append_request *req)
{
    for (size_t i = 0; i < req->n; i++) {
        strarray_fini(&req->items[i].keywords);
        buf_free(&req->items[i].built);
    }
    free(req->items);
    memset(req, 0, sizeof(*req));
}

/* ---- validation ------------------------------------------------------------ */

/* A keyword is an atom (RFC 3501 flag-keyword): no atom-specials. */
static int append_keyword_valid(const char *kw)
{
    if (!*kw)
        return 0;
    for (const unsigned char *p = (const unsigned char *)kw; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]", *p))
            return 0;
    return 1;
}

/* The flag list into item; a reason in *error for BAD. */
static int append_parse_flags(const struct imap_arg *arg,
                              struct append_item *item, const char **error)
{
    static const struct { const char *name; uint32_t bit; } sys[] = {
        { "\\Seen", APPEND_SEEN }, { "\\Answered", FLAG_ANSWERED },
        { "\\Flagged", FLAG_FLAGGED }, { "\\Deleted", FLAG_DELETED },
        { "\\Draft", FLAG_DRAFT }
    };
    const struct imap_arg *list;
    size_t count;

    imap_arg_get_list(arg, &list, &count);
    for (size_t i = 0; i < count; i++) {
        const char *flag;
        size_t k;
        /* NIL is the keyword "NIL" (RFC 3501/9051 4.5: NIL is not used
         * for atom-form data such as flags). */
        if (!imap_arg_get_atom(&list[i], &flag)) {
            *error = "Invalid flag";
            return ERR_BADARG;
        }
        if (flag[0] != '\\') {
            if (!append_keyword_valid(flag)) {
                *error = "Invalid keyword";
                return ERR_BADARG;
            }
            if (strarray_find_case(&item->keywords, flag) < 0)
                strarray_append(&item->keywords, flag);
            continue;
        }
        for (k = 0; k < sizeof(sys) / sizeof(sys[0]); k++)
            if (!strcasecmp(flag, sys[k].name))
                break;
        if (k == sizeof(sys) / sizeof(sys[0])) {
            *error = !strcasecmp(flag, "\\Recent")
                         ? "\\Recent may not be set"
                         : "Unknown system flag";
            return ERR_BADARG;
        }
        item->flags |= sys[k].bit;
    }
    return ERR_OK;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12). */
static long long append_days(long long y, int m, int d)
{
    long long era, yoe, doy;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* n decimal digits at s into *v. */
static int append_digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* RFC 3501 date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (the day may be " d"
 * or "d") into seconds since the epoch.  ERR_BADARG otherwise. */
static int append_parse_date(const char *s, time_t *t_r)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };
    int day, mon, year, hh, mm, ss, zh, zm, leap;
    const char *p;
    long long t;

    if (strlen(s) < 25)
        return ERR_BADARG;
    if (s[0] == ' ')
        s++;
    if (!append_digits(s, s[1] == '-' ? 1 : 2, &day))
        return ERR_BADARG;
    p = s + (s[1] == '-' ? 1 : 2);
    if (strlen(p) != 24 || p[0] != '-' || p[4] != '-' || p[9] != ' ' ||
        p[12] != ':' || p[15] != ':' || p[18] != ' ' ||
        (p[19] != '+' && p[19] != '-'))
        return ERR_BADARG;
    for (mon = 0; mon < 12; mon++)
        if (!strncasecmp(p + 1, months + 3 * mon, 3))
            break;
    if (mon == 12 || !append_digits(p + 5, 4, &year) ||
        !append_digits(p + 10, 2, &hh) || !append_digits(p + 13, 2, &mm) ||
        !append_digits(p + 16, 2, &ss) || !append_digits(p + 20, 2, &zh) ||
        !append_digits(p + 22, 2, &zm))
        return ERR_BADARG;
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day < 1 || day > mdays[mon] || (mon == 1 && day == 29 && !leap) ||
        hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59)
        return ERR_BADARG;
    t = append_days(year, mon + 1, day) * 86400LL + hh * 3600 + mm * 60 + ss;
    t -= (p[19] == '-' ? -1 : 1) * (zh * 3600LL + zm * 60);
    *t_r = (time_t)t;
    return ERR_OK;
}

/* Split the arguments after the mailbox into messages.  A reason for BAD
 * in *error. */
static int append_parse(const struct imapd_command *c,
                        struct append_request *req, const char **error)
{
    size_t i = 1;

    *error = "APPEND needs a mailbox and a message literal";
    req->items = xcalloc(c->nargs, sizeof(*req->items));
    while (i < c->nargs) {
        struct append_item *item = &req->items[req->n++];
        const char *date;
        const struct imap_arg *list;
        size_t count;

        if (imap_arg_get_list(&c->args[i], &list, &count) &&
            append_parse_flags(&c->args[i++], item, error))
            return ERR_BADARG;
        if (i < c->nargs && c->args[i].type == IMAP_ARG_QUOTED) {
            if (!imap_arg_get_string(&c->args[i++], &date) ||
                append_parse_date(date, &item->date)) {
                *error = "Invalid date-time";
                return ERR_BADARG;
            }
        }
        if (i + 1 < c->nargs && imap_arg_atom_is(&c->args[i], "CATENATE") &&
            imap_arg_get_list(&c->args[i + 1], &item->cat, &item->ncat)) {
            if (catenate_check(item->cat, item->ncat, error))
                return ERR_BADARG;
            i += 2;
            continue;
        }
        if (i >= c->nargs || c->args[i].type != IMAP_ARG_LITERAL ||
            !imap_arg_get_literal(&c->args[i], &item->data, &item->len)) {
            *error = "Expected a message literal";
            return ERR_BADARG;
        }
        item->binary = (c->args[i++].flags & IMAP_ARG_F_LITERAL8) != 0;
    }
    return req->n ? ERR_OK : ERR_BADARG;
}

/* ---- the transaction ------------------------------------------------------ */

/* Drop the flags rights do not allow. */
static uint32_t append_allowed_flags(const struct append_item *item,
                                     unsigned rights)
{
    uint32_t flags = item->flags;
    if (!(rights & ACL_SEEN))
        flags &= ~(uint32_t)APPEND_SEEN;
    if (!(rights & ACL_DELETEMSG))
        flags &= ~(uint32_t)FLAG_DELETED;
    if (!(rights & ACL_WRITE))
        flags &= ~(uint32_t)(FLAG_ANSWERED | FLAG_FLAGGED | FLAG_DRAFT);
    return flags;
}

static int append_all(struct mailbox *mb, const struct append_request *req,
                      unsigned rights, const char *userid,
                      struct append_result *result)
{
    static const struct strarray none = STRARRAY_INITIALIZER;
    struct append_params params;
    struct append_state *as = NULL;
    int r;

    memset(&params, 0, sizeof(params));
    params.quota = APPEND_QUOTA_STRICT;
    params.reject8bit = conf_getswitch(CONF_REJECT8BIT);
    params.maxmessagesize = (size_t)conf_getint(CONF_MAXMESSAGESIZE);
    params.seen_userid = userid;
    if ((r = append_begin(mb, &params, &as)))
        return r;
    for (size_t i = 0; !r && i < req->n; i++) {
        const struct append_item *item = &req->items[i];
        r = append_message(as, item->data, item->len, item->date,
                           append_allowed_flags(item, rights),
                           (rights & ACL_WRITE) ? &item->keywords : &none,
                           NULL);
    }
    if (r) {
        append_abort(&as);
        return r;
    }
    return append_commit(&as, result);
}

static void append_respond_error(struct imapd_session *s, const char *tag,
                                 int r)
{
    if (r == ERR_TOOBIG)
        imapd_tagged_no(s, tag, "[TOOBIG] Message too big");
    else if (r == ERR_BADFORMAT)
        imapd_tagged_no(s, tag, "[CANNOT] Message contains invalid header");
    else
        imapd_tagged_error(s, tag, r, NULL);
}

/* 1 if the store would keep data as it is (see the top). */
static int append_kept_as_sent(const char *data, size_t len)
{
    struct buf norm = BUF_INITIALIZER;
    int same = !message_normalize(data, len, 0, &norm) && norm.len == len &&
               !memcmp(norm.s, data, len);

    buf_free(&norm);
    return same;
}

/* Build the CATENATE messages (RFC 4469), each within APPENDLIMIT (the
 * largest literal) and all of them within the literal bytes one command
 * may send, so URLs cannot make a command hold more than literals can. */
static int append_build(struct imapd_session *s, const char *tag,
                        struct append_request *req)
{
    struct imap_parser_limits lim;
    size_t total = 0;
    const char *badurl;
    int r;

    imapd_parser_limits(&lim, 1);
    if (lim.max_literal > UINT32_MAX - 1)
        lim.max_literal = UINT32_MAX - 1;   /* offsets are 32-bit */
    for (size_t i = 0; i < req->n; i++) {
        struct append_item *item = &req->items[i];
        size_t max = lim.max_literal_total - total;
        if (!item->cat)
            continue;
        r = catenate_build(s, item->cat, item->ncat,
                           max < lim.max_literal ? max : lim.max_literal,
                           &item->built, &item->binary, &badurl);
        if (r == ERR_NOTFOUND) {
            struct buf url = BUF_INITIALIZER;
            for (const char *p = badurl; *p; p++) {
                if (*p == ']' || (unsigned char)*p < ' ')
                    buf_printf(&url, "%%%02X", (unsigned char)*p);
                else
                    buf_putc(&url, *p);
            }
            imapd_tagged_no(s, tag, "[BADURL %s] Cannot use this URL",
                            buf_cstring(&url));
            buf_free(&url);
            return r;
        }
        if (r == ERR_TOOBIG) {
            imapd_tagged_no(s, tag, "[TOOBIG] Message too big");
            return r;
        }
        if (r) {
            imapd_tagged_error(s, tag, r, NULL);
            return r;
        }
        item->data = item->built.s ? item->built.s : "";
        item->len = item->built.len;
        total += item->len;
    }
    return ERR_OK;
}

/* Checks that need the request but not the mailbox's contents. */
static int append_check_items(struct imapd_session *s, const char *tag,
                              const struct append_request *req)
{
    for (size_t i = 0; i < req->n; i++) {
        if (req->items[i].binary &&
            !append_kept_as_sent(req->items[i].data, req->items[i].len)) {
            imapd_tagged_no(s, tag, "[UNKNOWN-CTE] The message would not be "
                            "stored as sent (bare CR or LF, or NUL or 8-bit "
                            "bytes in its header)");
            return ERR_NOTSUPP;
        }
        if (!req->items[i].len) {
            imapd_tagged_no(s, tag, "[CANNOT] Cannot store an empty message");
            return ERR_BADARG;
        }
    }
    return ERR_OK;
}

/* APPEND mailbox [(flags)] [date-time] literal ... */
void cmd_append(struct imapd_session *s, const struct imapd_command *c)
{
    struct append_request req = { NULL, 0 };
    struct append_result result;
    struct mboxlist_entry entry;
    struct buf name = BUF_INITIALIZER, path = BUF_INITIALIZER;
    struct mailbox *mb = NULL;
    const char *ext, *error = "APPEND needs a mailbox and a message literal";
    unsigned rights = 0;
    int r;

    memset(&result, 0, sizeof(result));
    memset(&entry, 0, sizeof(entry));
    if (c->nargs < 2 || !imap_arg_get_astring(&c->args[0], &ext) ||
        append_parse(c, &req, &error)) {
        imapd_tagged_bad(s, c->tag, "%s", error);
        goto done;
    }
    r = imapd_mailbox_name(s, ext, &name);
    if (!r)
        r = mboxlist_lookup_access(buf_cstring(&name), s->auth, ACL_INSERT,
                                   &entry, &rights);
    if (r == ERR_NOTFOUND) {
        imapd_tagged_no(s, c->tag, "[TRYCREATE] Mailbox does not exist");
        goto done;
    }
    if (!r && (append_build(s, c->tag, &req) ||
               append_check_items(s, c->tag, &req)))
        goto done;
    if (!r)
        r = mboxlist_entry_path(&entry, &path);
    if (!r)
        r = mailbox_open(name.s, buf_cstring(&path), MAILBOX_UNLOCKED, &mb);
    if (!r)
        r = append_all(mb, &req, rights, s->userid, &result);
    if (r) {
        append_respond_error(s, c->tag, r);
        goto done;
    }
    /* New messages in the selected mailbox are announced now. */
    if (s->index && !strcmp(index_mailbox(s->index)->name, name.s))
        imapd_check_updates(s, 1);
    if (result.first_uid == result.last_uid)
        imapd_tagged_ok(s, c->tag, "[APPENDUID %u %u] Completed",
                        result.uidvalidity, result.first_uid);
    else
        imapd_tagged_ok(s, c->tag, "[APPENDUID %u %u:%u] Completed",
                        result.uidvalidity, result.first_uid,
                        result.last_uid);
done:
    free(result.seen_uids);
    mailbox_close(&mb);
    mboxlist_entry_fini(&entry);
    append_request_fini(&req);
    buf_free(&name);
    buf_free(&path);
}
