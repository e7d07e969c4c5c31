/* delivery.c -- resolve recipients, check rights and quota, suppress
 * duplicates and append: the one delivery path of deliver and lmtpd (the
 * rules are in delivery.h).
 *
 * Order for each recipient: duplicate check, open the mailbox, one append
 * transaction (append.h locks cyrus.index, checks quota, writes and fsyncs),
 * then -- only after the commit -- the owner's \Seen and the duplicate
 * record.  A crash between the commit and those leaves a delivered message
 * that may come again once: never a lost one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/message.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "deliver/delivery.h"
#include "deliver/delivery_private.h"
#include "deliver/duplicate.h"


struct delivery_agent *delivery_agent_new(const struct delivery_params *p)
{
    struct delivery_agent *a = xzmalloc(sizeof(*a));
    a->params = *p;
    return a;
}

void delivery_agent_free(struct delivery_agent **ap)
{
    struct delivery_agent *a = *ap;
    if (!a)
        return;
    duplicate_close(&a->dup);
    free(a);
    *ap = NULL;
}

void delivery_target_fini(struct delivery_target *t)
{
    XFREE(t->mailbox);
    XFREE(t->userid);
    XFREE(t->address);
}

/* ---- recipients ------------------------------------------------------------ */

int delivery_may_post(const struct auth_state *auth, const char *name)
{
    struct mboxlist_entry e;
    int r;

    memset(&e, 0, sizeof(e));
    if (mboxname_validate(name))
        return ERR_NOTFOUND;
    r = mboxlist_lookup(name, &e);
    if (!r && !(acl_myrights(e.acl, auth) & ACL_POST))
        r = ERR_NOTFOUND;
    mboxlist_entry_fini(&e);
    return r;
}

int delivery_resolve_mailbox(struct delivery_agent *a, const char *name,
                             struct delivery_target *t)
{
    int r = delivery_may_post(a->params.auth, name);

    memset(t, 0, sizeof(*t));
    if (r)
        return r;
    t->mailbox = xstrdup(name);
    t->userid = mboxname_userid_of(name);
    return ERR_OK;
}

/* Split local[+detail][@domain] into user and detail (NULL: no '+'). */
static void delivery_split(const char *address, char **user_r,
                           char **detail_r)
{
    const char *at = strrchr(address, '@');
    size_t len = at ? (size_t)(at - address) : strlen(address);
    const char *plus = memchr(address, '+', len);

    *user_r = xstrndup(address, plus ? (size_t)(plus - address) : len);
    *detail_r = plus ? xstrndup(plus + 1, len - (size_t)(plus - address) - 1)
                     : NULL;
}

int delivery_resolve(struct delivery_agent *a, const char *address,
                     const char *folder, struct delivery_target *t)
{
    struct buf name = BUF_INITIALIZER;
    char *user, *detail;
    int r;

    memset(t, 0, sizeof(*t));
    delivery_split(address, &user, &detail);
    if (folder && *folder) {
        free(detail);
        detail = xstrdup(folder);
    }
    /* postuser+mailbox posts to a shared mailbox; no INBOX to fall back to. */
    if (detail && !strcmp(user, conf_getstring(CONF_POSTUSER))) {
        r = *detail ? delivery_resolve_mailbox(a, detail, t) : ERR_NOTFOUND;
        goto done;
    }
    /* The user's one canonical name (auth.h): "BOB" and "bob" are one
     * user, "bob " none. */
    if (auth_canonify_userid(user, strlen(user), &name)) {
        r = ERR_NOTFOUND;
        goto done;
    }
    free(user);
    user = buf_release(&name);
    /* user+folder: the folder when the sender may post there, else the
     * INBOX, which takes mail from anyone. */
    if (detail && *detail) {
        buf_printf(&name, "user.%s.%s", user, detail);
        r = delivery_may_post(a->params.auth, buf_cstring(&name));
        if (r != ERR_NOTFOUND)
            goto found;
        log_debug("delivery: no post to mailbox=<%s>, using the INBOX",
                  name.s);
        buf_reset(&name);
    }
    buf_printf(&name, "user.%s", user);
    r = mboxlist_lookup(buf_cstring(&name), NULL);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
found:
    if (!r) {
        t->mailbox = buf_release(&name);
        t->userid = xstrdup(user);
        t->address = xstrdup(address);
        t->personal = 1;
    }
done:
    buf_free(&name);
    free(user);
    free(detail);
    return r;
}

int delivery_check_quota(struct delivery_agent *a,
                         const struct delivery_target *t)
{
    struct quota q;
    char *root = NULL;
    int r;

    if (a->params.ignore_quota || quota_find_root(t->mailbox, &root))
        return ERR_OK;
    memset(&q, 0, sizeof(q));
    r = quota_read(root, &q);
    /* An unreadable root is append's to report, at DATA time.  Under the
     * delivery rule only the usage so far counts: any size (1) will do. */
    r = r ? ERR_OK : quota_check(&q, 1, 1, QUOTA_CHECK_DELIVERY);
    quota_fini(&q);
    free(root);
    return r;
}

/* ---- the message -------------------------------------------------------- */

void delivery_return_path(const char *addr, struct buf *out)
{
    buf_appendcstr(out, "Return-Path: <");
    /* A control character (CR, LF above all) must not break the header. */
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        buf_putc(out, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
    buf_appendcstr(out, ">\r\n");
}

/* The Message-ID, from the header only (no need to parse the body). */
static char *delivery_message_id(const struct buf *msg)
{
    struct message_info *info = NULL;
    const char *end = memmem(msg->s, msg->len, "\r\n\r\n", 4);
    size_t hlen = end ? (size_t)(end - msg->s) + 4 : msg->len;
    char *msgid = NULL;

    if (!message_parse(msg->s, hlen, &info) && info->message_id)
        msgid = xstrdup(info->message_id);
    message_info_free(&info);
    return msgid;
}

size_t delivery_max_size(void)
{
    long long max = conf_getint(CONF_MAXMESSAGESIZE);
    if (max <= 0)
        return DELIVERY_DEFAULT_MAXMESSAGE;
    /* Offsets in the mailstore are 32-bit. */
    return (unsigned long long)max < UINT32_MAX ? (size_t)max : UINT32_MAX - 1;
}

int delivery_begin(struct delivery_agent *a, const char *prefix,
                   size_t prefixlen, const char *data, size_t len,
                   struct delivery **d_r, const char **reason_r)
{
    struct buf raw = BUF_INITIALIZER;
    struct delivery *d;
    int r;

    *d_r = NULL;
    *reason_r = NULL;
    if (!len) {
        *reason_r = "Message is empty";
        return ERR_BADARG;
    }
    if (len > delivery_max_size()) {
        *reason_r = "Message too big";
        return ERR_TOOBIG;
    }
    if (message_has_unix_from(data, len)) {
        *reason_r = "Message contains invalid header";
        return ERR_BADFORMAT;
    }
    d = xzmalloc(sizeof(*d));
    d->agent = a;
    d->arrival = time(NULL);
    buf_appendmap(&raw, prefix, prefixlen);
    buf_appendmap(&raw, data, len);
    r = message_normalize(raw.s, raw.len, conf_getswitch(CONF_REJECT8BIT),
                          &d->msg);
    buf_free(&raw);
    if (!r && d->msg.len >= UINT32_MAX)
        r = ERR_TOOBIG;
    if (r) {
        *reason_r = r == ERR_TOOBIG ? "Message too big"
                                    : "Message contains 8-bit characters "
                                      "in header";
        delivery_end(&d);
        return r;
    }
    if (a->params.dupelim)
        d->msgid = delivery_message_id(&d->msg);
    *d_r = d;
    return ERR_OK;
}

void delivery_end(struct delivery **dp)
{
    struct delivery *d = *dp;
    if (!d)
        return;
    mailbox_close(&d->src);
    buf_free(&d->msg);
    free(d->msgid);
    free(d->sender);
    free(d->rejected);
    free(d);
    *dp = NULL;
}

/* ---- one recipient ------------------------------------------------------ */

/* 1 if d's Message-ID already went to mailbox.  A database that cannot be
 * used suppresses nothing. */
struct duplicate *delivery_dupdb(struct delivery_agent *a)
{
    if (!a->dup && !a->dup_failed &&
        duplicate_open(conf_getstring(CONF_CONFIGDIRECTORY), &a->dup))
        a->dup_failed = 1;
    return a->dup;
}

static int delivery_is_duplicate(struct delivery *d, const char *mailbox)
{
    struct duplicate *dup = delivery_dupdb(d->agent);

    return dup && !duplicate_check(dup, d->msgid, mailbox, NULL);
}

static int delivery_open(const char *name, struct mailbox **mb_r)
{
    struct mboxlist_entry e;
    struct buf path = BUF_INITIALIZER;
    int r;

    memset(&e, 0, sizeof(e));
    *mb_r = NULL;
    r = mboxlist_lookup(name, &e);
    if (!r)
        r = mboxlist_entry_path(&e, &path);
    if (!r)
        r = mailbox_open(name, buf_cstring(&path), MAILBOX_UNLOCKED, mb_r);
    mboxlist_entry_fini(&e);
    buf_free(&path);
    return r;
}

/* One append transaction: a link to the first copy when there is one
 * (falling back to writing the bytes if the link fails), else the bytes. */
static int delivery_append(struct delivery *d, struct mailbox *mb,
                           const char *seen_user, uint32_t flags,
                           const struct strarray *keywords, uint32_t *uid_r)
{
    const struct delivery_params *p = &d->agent->params;
    struct append_params ap;
    struct append_result res;
    struct append_state *as = NULL;
    int r;

    memset(&ap, 0, sizeof(ap));
    memset(&res, 0, sizeof(res));
    ap.quota = p->ignore_quota ? APPEND_QUOTA_IGNORE : APPEND_QUOTA_DELIVERY;
    ap.reject8bit = conf_getswitch(CONF_REJECT8BIT);
    /* maxmessagesize was checked on the bytes as received (before CRLF
     * normalisation could grow them): delivery_begin(). */
    ap.maxmessagesize = 0;
    ap.seen_userid = seen_user;
    if ((r = append_begin(mb, &ap, &as)))
        return r;
    r = ERR_NOTFOUND;
    if (d->src)
        r = append_copy(as, d->src, &d->src_rec, flags, keywords, uid_r);
    if (r && r != ERR_QUOTA)
        r = append_message(as, d->msg.s, d->msg.len, d->arrival, flags,
                           keywords, uid_r);
    if (r) {
        append_abort(&as);
        return r;
    }
    r = append_commit(&as, &res);
    free(res.seen_uids);
    return r;
}

/* Keep the first mailbox open so later recipients link its file. */
static void delivery_keep_source(struct delivery *d, struct mailbox **mbp,
                                 uint32_t uid)
{
    uint32_t n;
    if (!d->src && !mailbox_find_uid(*mbp, uid, &n) &&
        !mailbox_read_record(*mbp, n, &d->src_rec)) {
        d->src = *mbp;
        *mbp = NULL;
    }
}

int delivery_to_mailbox(struct delivery *d, const char *mailbox,
                        const char *seen_user, uint32_t flags,
                        const struct strarray *keywords, int *duplicate_r)
{
    struct mailbox *mb = NULL;
    uint32_t uid = 0;
    int r;

    if (duplicate_r)
        *duplicate_r = 0;
    if (d->msgid && delivery_is_duplicate(d, mailbox)) {
        log_info("dupelim: eliminated duplicate message to mailbox=<%s> "
                 "msgid=<%s>", mailbox, d->msgid);
        if (duplicate_r)
            *duplicate_r = 1;
        return ERR_OK;
    }
    if (!(r = delivery_open(mailbox, &mb)))
        r = delivery_append(d, mb, seen_user, flags, keywords, &uid);
    if (r) {
        log_warn("delivery failed: mailbox=<%s> msgid=<%s>: %s", mailbox,
                 d->msgid ? d->msgid : "", error_string(r));
        mailbox_close(&mb);
        return r;
    }
    if (d->msgid && d->agent->dup)
        duplicate_mark(d->agent->dup, d->msgid, mailbox, d->arrival);
    log_info("delivered: mailbox=<%s> uid=<%u> size=<%zu> msgid=<%s>",
             mailbox, uid, d->msg.len, d->msgid ? d->msgid : "");
    delivery_keep_source(d, &mb, uid);
    mailbox_close(&mb);
    return ERR_OK;
}

const char *delivery_seen_user(const struct delivery *d,
                               const struct delivery_target *t)
{
    const struct auth_state *auth = d->agent->params.auth;

    if (!t->userid && auth && !auth_is_anonymous(auth))
        return auth_userid(auth);
    return t->userid;
}

int delivery_to(struct delivery *d, const struct delivery_target *t,
                int *duplicate_r)
{
    const struct delivery_params *p = &d->agent->params;
    int r;

    XFREE(d->rejected);
    if (t->personal && delivery_sieve(d, t, duplicate_r, &r))
        return r;
    return delivery_to_mailbox(d, t->mailbox, delivery_seen_user(d, t),
                               p->flags, p->keywords, duplicate_r);
}

void delivery_set_sender(struct delivery *d, const char *from)
{
    free(d->sender);
    d->sender = from ? xstrdup(from) : NULL;
}

const char *delivery_rejected(const struct delivery *d)
{
    return d->rejected;
}
