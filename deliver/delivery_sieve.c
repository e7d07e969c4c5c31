/* delivery_sieve.c -- a recipient's Sieve script at delivery (delivery.h,
 * SIEVE): load the active script, run it (imap/sieve/sieve.h), perform
 * its actions -- keep and fileinto through delivery_to_mailbox() (the one
 * append path), redirect and vacation replies through the `sendmail`
 * program, reject by answering the MTA -- and, whenever the script or an
 * action fails for good, put the message into the INBOX and log why.
 * Vacation remembers whom it answered in the duplicate database (key
 * "<vacation:sender:handle>" for mailbox user.<user>, the time of the
 * reply), so deliver -E prunes those records too. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/message.h"
#include "imap/sieve/sieve.h"
#include "deliver/delivery.h"
#include "deliver/delivery_private.h"
#include "deliver/duplicate.h"

/* The field a redirected message carries (its value: the user whose
 * script sent it), so that it is not redirected by the same user again
 * when it comes back (a forwarding loop between two accounts). */
#define SIEVE_LOOP_FIELD "X-Chapar-Loop"

/* What one run is doing for one recipient. */
struct sieve_delivery {
    struct delivery *d;
    const struct delivery_target *t;
    const char *seen_user;
    struct strarray done;       /* mailboxes delivered to (internal) */
    int inbox_needed;           /* a failure sends the message there */
    int r;                      /* worst temporary failure */
    int *duplicate_r;
};

/* The flags of an action as append wants them: the deliver -F flags plus
 * the action's (system flags by name, other atoms as keywords; a flag
 * that is not an IMAP atom is left out). */
static uint32_t sieve_flags(const struct delivery_params *p,
                            const struct strarray *fl, struct strarray *kw)
{
    static const struct { const char *name; uint32_t bit; } sys[] = {
        { "\\Seen", APPEND_SEEN }, { "\\Answered", FLAG_ANSWERED },
        { "\\Flagged", FLAG_FLAGGED }, { "\\Draft", FLAG_DRAFT },
        { "\\Deleted", FLAG_DELETED }
    };
    uint32_t flags = p->flags;

    for (size_t i = 0; p->keywords && i < p->keywords->count; i++)
        strarray_add(kw, p->keywords->data[i]);
    for (size_t i = 0; i < fl->count; i++) {
        const char *f = fl->data[i];
        size_t k;
        int ok = *f != '\0';
        for (k = 0; k < sizeof(sys) / sizeof(*sys); k++)
            if (!strcasecmp(f, sys[k].name))
                break;
        if (k < sizeof(sys) / sizeof(*sys)) {
            flags |= sys[k].bit;
            continue;
        }
        for (const unsigned char *c = (const unsigned char *)f; *c; c++)
            if (*c <= ' ' || *c >= 0x7f || strchr("(){%*\"\\]", *c))
                ok = 0;
        if (ok)
            strarray_add(kw, f);
    }
    return flags;
}

/* Deliver into the internal mailbox name once per run. */
static int sieve_store(struct sieve_delivery *sd, const char *mailbox,
                       const struct strarray *fl)
{
    struct strarray kw = STRARRAY_INITIALIZER;
    uint32_t flags;
    int r, dup = 0;

    if (strarray_find(&sd->done, mailbox) >= 0)
        return ERR_OK;
    flags = sieve_flags(&sd->d->agent->params, fl, &kw);
    r = delivery_to_mailbox(sd->d, mailbox, sd->seen_user, flags, &kw, &dup);
    strarray_fini(&kw);
    if (!r)
        strarray_append(&sd->done, mailbox);
    if (dup && sd->duplicate_r)
        *sd->duplicate_r = 1;
    return r;
}

/* A temporary failure is kept for the MTA (it will try again); anything
 * else sends the message to the INBOX. */
static void sieve_failed(struct sieve_delivery *sd, int r)
{
    if (r == ERR_NOTFOUND || r == ERR_PERM || r == ERR_BADNAME ||
        r == ERR_BADARG || r == ERR_EXISTS)
        sd->inbox_needed = 1;
    else if (!sd->r)
        sd->r = r;
}

static void sieve_fileinto(struct sieve_delivery *sd,
                           const struct sieve_action *a)
{
    const char *user = sd->t->userid;
    struct buf name = BUF_INITIALIZER;
    struct auth_state *auth = auth_new(user, 0);
    int r = mboxname_to_internal(a->target, user, &name);
    const char *mbox = buf_cstring(&name);

    if (!r && a->create && mboxlist_lookup(mbox, NULL) == ERR_NOTFOUND) {
        r = mboxlist_create(mbox, NULL, auth, 0);
        if (!r)
            log_info("sieve: created mailbox=<%s> for user=<%s>", mbox,
                     user);
        if (r == ERR_EXISTS)
            r = ERR_OK;         /* made meanwhile by someone else */
    }
    if (!r)
        r = delivery_may_post(auth, mbox);
    if (!r)
        r = sieve_store(sd, mbox, &a->flags);
    if (r)
        log_error("sieve: user=<%s> line %d: fileinto \"%s\" failed: %s",
                  user, a->line, a->target, error_string(r));
    if (r)
        sieve_failed(sd, r);
    auth_free(&auth);
    buf_free(&name);
}

/* Write len bytes to fd, CRLF as LF (a local sendmail wants Unix lines). */
static int sieve_write_unix(int fd, const char *p, size_t len)
{
    struct buf out = BUF_INITIALIZER;
    size_t off = 0;
    int r = ERR_OK;

    for (size_t i = 0; i < len; i++)
        if (!(p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
            buf_putc(&out, p[i]);
    while (off < out.len) {
        ssize_t n = write(fd, out.s + off, out.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = ERR_IO;
            break;
        }
        off += (size_t)n;
    }
    buf_free(&out);
    return r;
}

/* sendmail -i -f <from> -- <to>, msg on its stdin; ERR_OK when it exits
 * 0.  from NULL or "" is the null sender "<>". */
static int sieve_sendmail(const char *from, const char *to,
                          const struct buf *msg)
{
    const char *prog = conf_getstring(CONF_SENDMAIL);
    int fds[2], status, r;
    void (*old)(int);
    pid_t pid;

    if (pipe(fds))
        return ERR_IO;
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return ERR_IO;
    }
    if (!pid) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execl(prog, "sendmail", "-i", "-f", from && *from ? from : "<>", "--",
              to, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    old = signal(SIGPIPE, SIG_IGN);
    r = sieve_write_unix(fds[1], msg->s, msg->len);
    close(fds[1]);
    signal(SIGPIPE, old);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ERR_IO;
    if (!r && (!WIFEXITED(status) || WEXITSTATUS(status)))
        r = ERR_IO;
    return r;
}

/* 1 if msg's header has an X-Chapar-Loop field naming user: a message
 * this user's script redirected before has come back. */
static int sieve_looped(const struct buf *msg, const char *user)
{
    struct message_field f;
    size_t pos = 0, ulen = strlen(user);

    while (message_header_next_field(msg->s, msg->len, &pos, &f)) {
        const char *v = f.name + f.name_len, *end = f.line + f.len;
        if (f.name_len != strlen(SIEVE_LOOP_FIELD) ||
            strncasecmp(f.name, SIEVE_LOOP_FIELD, f.name_len))
            continue;
        while (v < end && (*v == ':' || *v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
                           end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - v) == ulen && !memcmp(v, user, ulen))
            return 1;
    }
    return 0;
}

/* The message as redirected: our loop field first, then the message
 * without the Return-Path field delivery put on top (the next MTA writes
 * its own). */
static void sieve_redirected_copy(const struct delivery *d, const char *user,
                                  struct buf *out)
{
    const char *p = d->msg.s;
    size_t len = d->msg.len;

    if (len > 12 && !strncasecmp(p, "Return-Path:", 12)) {
        const char *eol = memchr(p, '\n', len);
        size_t skip = eol ? (size_t)(eol + 1 - p) : len;
        p += skip;
        len -= skip;
    }
    buf_printf(out, "%s: %s\r\n", SIEVE_LOOP_FIELD, user);
    buf_appendmap(out, p, len);
}

static void sieve_redirect(struct sieve_delivery *sd,
                           const struct sieve_action *a)
{
    const char *user = sd->t->userid;
    struct buf copy = BUF_INITIALIZER;
    int r;

    if (sieve_looped(&sd->d->msg, user)) {
        log_error("sieve: user=<%s> line %d: redirect to <%s> refused: the "
                  "message was redirected by this user before (%s: %s), a "
                  "loop", user, a->line, a->target, SIEVE_LOOP_FIELD, user);
        sd->inbox_needed = 1;
        return;
    }
    sieve_redirected_copy(sd->d, user, &copy);
    r = sieve_sendmail(sd->d->sender, a->target, &copy);
    buf_free(&copy);
    if (r) {
        log_error("sieve: user=<%s> line %d: redirect to <%s> failed: "
                  "%s did not take the message", user, a->line, a->target,
                  conf_getstring(CONF_SENDMAIL));
        sd->inbox_needed = 1;
        return;
    }
    log_info("sieve: redirected: user=<%s> to=<%s> msgid=<%s>", user,
             a->target, sd->d->msgid ? sd->d->msgid : "");
}

/* The user's addresses for vacation: the recipient's (also without its
 * +detail) and :addresses. */
static void sieve_own_addresses(const struct delivery_target *t,
                                const struct sieve_action *a,
                                struct strarray *own)
{
    const char *plus = strchr(t->address, '+');
    const char *at = strrchr(t->address, '@');

    strarray_append(own, t->address);
    if (plus && (!at || plus < at)) {
        struct buf b = BUF_INITIALIZER;
        buf_appendmap(&b, t->address, (size_t)(plus - t->address));
        if (at)
            buf_appendcstr(&b, at);
        strarray_appendm(own, buf_release(&b));
    }
    for (size_t i = 0; i < a->vacation.addresses.count; i++)
        strarray_append(own, a->vacation.addresses.data[i]);
}

/* How long a sender is not answered again: :days/:seconds (7 days by
 * default) within sieve_vacation_min_response and _max_response. */
static time_t sieve_vacation_period(const struct sieve_action *a)
{
    long long s = a->vacation.seconds < 0 ? 7 * 86400
                                          : (long long)a->vacation.seconds;
    long long lo = conf_getint(CONF_SIEVE_VACATION_MIN_RESPONSE);
    long long hi = conf_getint(CONF_SIEVE_VACATION_MAX_RESPONSE);

    return (time_t)(s < lo ? lo : s > hi && hi >= lo ? hi : s);
}

static void sieve_vacation(struct sieve_delivery *sd,
                           const struct sieve_action *a)
{
    struct delivery *d = sd->d;
    const char *user = sd->t->userid;
    struct sieve_envelope env = { d->sender, sd->t->address };
    struct strarray own = STRARRAY_INITIALIZER;
    struct buf key = BUF_INITIALIZER, handle = BUF_INITIALIZER;
    struct buf from = BUF_INITIALIZER, reply = BUF_INITIALIZER;
    struct buf mbox = BUF_INITIALIZER;
    struct duplicate *dup = delivery_dupdb(d->agent);
    time_t now = time(NULL), when;
    const char *why;

    sieve_own_addresses(sd->t, a, &own);
    why = sieve_vacation_refuse(d->msg.s, d->msg.len, &env, &own);
    if (why) {
        log_info("sieve: vacation: no reply to <%s> for user=<%s>: %s",
                 d->sender ? d->sender : "", user, why);
        goto done;
    }
    /* One record per sender and handle in the duplicate database. */
    sieve_vacation_handle(a, &handle);
    buf_printf(&key, "<vacation:%s", d->sender);
    buf_tolower(&key);          /* one record per sender, in any case */
    buf_printf(&key, ":%s>", buf_cstring(&handle));
    buf_printf(&mbox, "user.%s", user);
    if (dup && !duplicate_check(dup, buf_cstring(&key), buf_cstring(&mbox),
                                &when) &&
        now - when < sieve_vacation_period(a)) {
        log_info("sieve: vacation: <%s> was answered for user=<%s> at %lld",
                 d->sender, user, (long long)when);
        goto done;
    }
    buf_appendcstr(&from, sd->t->address);
    if (!strchr(buf_cstring(&from), '@'))
        buf_printf(&from, "@%s", conf_getstring(CONF_SERVERNAME));
    sieve_vacation_compose(d->msg.s, d->msg.len, a, buf_cstring(&from),
                           d->sender,
                           conf_getstring(CONF_SERVERNAME), now, &reply);
    if (sieve_sendmail("", d->sender, &reply)) {
        log_error("sieve: vacation: reply to <%s> for user=<%s> failed: %s "
                  "did not take it", d->sender, user,
                  conf_getstring(CONF_SENDMAIL));
        goto done;
    }
    if (dup)
        duplicate_mark(dup, buf_cstring(&key), buf_cstring(&mbox), now);
    log_info("sieve: vacation: replied to <%s> for user=<%s>", d->sender,
             user);
done:
    strarray_fini(&own);
    buf_free(&key);
    buf_free(&handle);
    buf_free(&from);
    buf_free(&reply);
    buf_free(&mbox);
}

/* The reason on one line, for the LMTP reply and deliver's stderr. */
static char *sieve_reason(const char *text)
{
    struct buf b = BUF_INITIALIZER;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (b.len >= 400)
            break;
        buf_putc(&b, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
    }
    while (b.len && b.s[b.len - 1] == ' ')
        b.len--;
    if (!b.len)
        buf_appendcstr(&b, "Message rejected");
    return buf_release(&b);
}

/* The script of t's user: compiled into *s_r, ERR_NOTFOUND for none;
 * other errors are logged. */
static int sieve_load(const struct delivery_target *t,
                      struct sieve_script **s_r)
{
    struct sieve_limits lim;
    struct buf src = BUF_INITIALIZER, name = BUF_INITIALIZER;
    struct buf err = BUF_INITIALIZER;
    int r;

    *s_r = NULL;
    sieve_limits_default(&lim);
    r = sieve_active_source(conf_getstring(CONF_SIEVEDIR), t->userid,
                            lim.max_script, &src, &name);
    if (r == ERR_NOTFOUND)
        goto done;
    if (r) {
        log_error("sieve: user=<%s>: cannot read the active script: %s",
                  t->userid, r == ERR_TOOBIG ? "larger than "
                  "sieve_maxscriptsize" : error_string(r));
        goto done;
    }
    r = sieve_compile(src.s ? src.s : "", src.len, &lim, s_r, &err);
    if (r)
        log_error("sieve: user=<%s> script=<%s>: %s", t->userid,
                  buf_cstring(&name), buf_cstring(&err));
done:
    buf_free(&src);
    buf_free(&name);
    buf_free(&err);
    return r;
}

static void sieve_perform(struct sieve_delivery *sd,
                          const struct sieve_result *res)
{
    struct delivery *d = sd->d;

    if (!res->count)
        log_info("sieve: discarded: user=<%s> msgid=<%s>", sd->t->userid,
                 d->msgid ? d->msgid : "");
    for (size_t i = 0; i < res->count; i++) {
        const struct sieve_action *a = &res->actions[i];
        int r;
        switch (a->kind) {
        case SIEVE_ACT_KEEP:
            if ((r = sieve_store(sd, sd->t->mailbox, &a->flags)))
                sieve_failed(sd, r);
            break;
        case SIEVE_ACT_FILEINTO:
            sieve_fileinto(sd, a);
            break;
        case SIEVE_ACT_REDIRECT:
            sieve_redirect(sd, a);
            break;
        case SIEVE_ACT_VACATION:
            sieve_vacation(sd, a);
            break;
        case SIEVE_ACT_REJECT:
            free(d->rejected);
            d->rejected = sieve_reason(a->target);
            log_info("sieve: rejected: user=<%s> msgid=<%s>: %s",
                     sd->t->userid, d->msgid ? d->msgid : "", d->rejected);
            break;
        }
    }
}

int delivery_sieve(struct delivery *d, const struct delivery_target *t,
                   int *duplicate_r, int *r_r)
{
    struct sieve_script *s = NULL;
    struct sieve_result res;
    struct sieve_envelope env = { d->sender, t->address };
    struct sieve_delivery sd;
    struct buf err = BUF_INITIALIZER, inbox = BUF_INITIALIZER;
    static const struct strarray none = STRARRAY_INITIALIZER;
    int r;

    if (!t->userid)
        return 0;
    r = sieve_load(t, &s);
    if (r == ERR_NOTFOUND)
        return 0;
    memset(&sd, 0, sizeof(sd));
    sd.d = d;
    sd.t = t;
    sd.seen_user = delivery_seen_user(d, t);
    sd.duplicate_r = duplicate_r;
    if (duplicate_r)
        *duplicate_r = 0;
    memset(&res, 0, sizeof(res));
    if (!r && (r = sieve_execute(s, d->msg.s, d->msg.len, &env, &res,
                                 &err)))
        log_error("sieve: user=<%s> msgid=<%s>: runtime error: %s",
                  t->userid, d->msgid ? d->msgid : "", buf_cstring(&err));
    if (r)
        sd.inbox_needed = 1;
    else
        sieve_perform(&sd, &res);
    if (sd.inbox_needed) {
        buf_printf(&inbox, "user.%s", t->userid);
        log_error("sieve: user=<%s> msgid=<%s>: filing into the INBOX "
                  "instead", t->userid, d->msgid ? d->msgid : "");
        if ((r = sieve_store(&sd, buf_cstring(&inbox), &none)) && !sd.r)
            sd.r = r;
    }
    *r_r = sd.r ? sd.r : d->rejected ? ERR_PERM : ERR_OK;
    sieve_result_fini(&res);
    sieve_script_free(&s);
    strarray_fini(&sd.done);
    buf_free(&err);
    buf_free(&inbox);
    return 1;
}
