/* sieve_vacation.c -- what the vacation action (RFC 5230) decides and
 * writes: whether a message gets an answer at all, the answer itself and
 * the handle its sending is tracked under (sieve.h, "vacation").  Whether
 * this sender was answered within :days is the caller's (a database). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/strarray.h"
#include "imap/mailstore/charset.h"
#include "imap/mailstore/message.h"
#include "imap/sieve/sieve.h"
#include "imap/sieve/sieve_private.h"

/* 1 if addr is one of own (any case; an own address without '@' is a
 * local part and compares with addr's). */
static int is_own(const char *addr, const struct strarray *own)
{
    const char *at = strrchr(addr, '@');
    size_t local = at ? (size_t)(at - addr) : strlen(addr);

    for (size_t i = 0; i < own->count; i++) {
        const char *o = own->data[i];
        if (strchr(o, '@') ? !strcasecmp(o, addr)
                           : strlen(o) == local && !strncasecmp(o, addr,
                                                                local))
            return 1;
    }
    return 0;
}

static int glob_local(const char *sender, const char *const *pats, size_t n)
{
    const char *at = strrchr(sender, '@');
    size_t len = at ? (size_t)(at - sender) : strlen(sender);

    for (size_t i = 0; i < n; i++)
        if (sieve_match(SCMP_CASEMAP, SMATCH_MATCHES, sender, len, pats[i],
                        strlen(pats[i])))
            return 1;
    return 0;
}

struct own_seen {
    const struct strarray *own;
    int hit;
};

static void check_recipient(const struct message_address *a, void *rock)
{
    struct own_seen *os = rock;
    struct buf b = BUF_INITIALIZER;

    if (!a->mailbox || !a->host)
        return;
    buf_printf(&b, "%s@%s", a->mailbox, a->host);
    if (is_own(buf_cstring(&b), os->own))
        os->hit = 1;
    buf_free(&b);
}

const char *sieve_vacation_refuse(const char *msg, size_t len,
                                  const struct sieve_envelope *env,
                                  const struct strarray *own)
{
    static const char *const daemons[] = {
        "MAILER-DAEMON", "LISTSERV", "majordomo", "owner-*", "*-request",
        "mailer"
    };
    static const char *const lists[] = {
        "List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe",
        "List-Post", "List-Owner", "List-Archive"
    };
    static const char *const rcpts[] = {
        "To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"
    };
    struct sieve_headers hs;
    struct own_seen os = { own, 0 };
    const char *why = NULL, *v;

    if (!env || !env->from || !*env->from)
        return "no envelope sender";
    if (glob_local(env->from, daemons, sizeof(daemons) / sizeof(*daemons)))
        return "the sender is a list or a daemon";
    if (is_own(env->from, own))
        return "sent by the user";
    sieve_headers_read(msg, len, &hs);
    if ((v = sieve_header_first(&hs, "Auto-Submitted")) &&
        strncasecmp(v, "no", 2))
        why = "Auto-Submitted";
    else if ((v = sieve_header_first(&hs, "Precedence")) &&
             (!strcasecmp(v, "bulk") || !strcasecmp(v, "list") ||
              !strcasecmp(v, "junk")))
        why = "Precedence bulk, list or junk";
    for (size_t i = 0; !why && i < sizeof(lists) / sizeof(*lists); i++)
        if (sieve_header_first(&hs, lists[i]))
            why = "a mailing list message";
    for (size_t i = 0; !why && i < hs.n; i++)
        for (size_t k = 0; k < sizeof(rcpts) / sizeof(*rcpts); k++)
            if (sieve_hdr_is(&hs.h[i], rcpts[k]))
                message_address_each(hs.h[i].value, check_recipient, &os);
    if (!why && !os.hit)
        why = "not addressed to the user";
    sieve_headers_fini(&hs);
    return why;
}

/* A header value without CR and LF (no header injection). */
static void put_value(struct buf *out, const char *v)
{
    for (; *v; v++)
        buf_putc(out, *v == '\r' || *v == '\n' ? ' ' : *v);
}

static void put_subject(struct buf *out, const char *subject)
{
    int ascii = 1;

    for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
        if (*p >= 0x80)
            ascii = 0;
    buf_appendcstr(out, "Subject: ");
    if (ascii) {
        put_value(out, subject);
    } else {
        struct buf clean = BUF_INITIALIZER;
        put_value(&clean, subject);
        buf_appendcstr(out, "=?UTF-8?B?");
        base64_encode(clean.s, clean.len, out);
        buf_appendcstr(out, "?=");
        buf_free(&clean);
    }
    buf_appendcstr(out, "\r\n");
}

/* The reason with CRLF line ends. */
static void put_body(struct buf *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\n' && (p == text || p[-1] != '\r'))
            buf_putc(out, '\r');
        buf_putc(out, *p);
    }
    if (out->len < 2 || memcmp(out->s + out->len - 2, "\r\n", 2))
        buf_appendcstr(out, "\r\n");
}

void sieve_vacation_compose(const char *msg, size_t len,
                            const struct sieve_action *a, const char *from,
                            const char *to, const char *host, time_t now,
                            struct buf *out)
{
    const struct sieve_vacation *v = &a->vacation;
    struct sieve_headers hs;
    struct buf subj = BUF_INITIALIZER;
    const char *msgid, *refs, *osubj;
    char date[64];
    struct tm tm;

    sieve_headers_read(msg, len, &hs);
    buf_reset(out);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    buf_printf(out, "Date: %s\r\n", date);
    buf_appendcstr(out, "From: ");
    put_value(out, v->from ? v->from : from);
    buf_appendcstr(out, "\r\nTo: ");
    put_value(out, to);
    buf_appendcstr(out, "\r\n");
    if (v->subject) {
        buf_appendcstr(&subj, v->subject);
    } else {
        osubj = sieve_header_first(&hs, "Subject");
        buf_appendcstr(&subj, "Auto: ");
        charset_decode_header(osubj ? osubj : "", osubj ? strlen(osubj) : 0,
                              &subj);
    }
    put_subject(out, buf_cstring(&subj));
    msgid = sieve_header_first(&hs, "Message-ID");
    refs = sieve_header_first(&hs, "References");
    if (msgid) {
        buf_appendcstr(out, "In-Reply-To: ");
        put_value(out, msgid);
        buf_appendcstr(out, "\r\nReferences: ");
        if (refs) {
            put_value(out, refs);
            buf_putc(out, ' ');
        }
        put_value(out, msgid);
        buf_appendcstr(out, "\r\n");
    }
    buf_printf(out, "Message-ID: <vacation.%lld.%ld@", (long long)now,
               (long)getpid());
    put_value(out, host);
    buf_appendcstr(out, ">\r\nAuto-Submitted: auto-replied (vacation)\r\n"
                        "MIME-Version: 1.0\r\n");
    if (!v->mime)
        buf_appendcstr(out, "Content-Type: text/plain; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: 8bit\r\n\r\n");
    put_body(out, a->target);
    buf_free(&subj);
    sieve_headers_fini(&hs);
}

void sieve_vacation_handle(const struct sieve_action *a, struct buf *out)
{
    const struct sieve_vacation *v = &a->vacation;

    buf_reset(out);
    if (v->handle) {
        buf_printf(out, "handle:%s", v->handle);
        return;
    }
    /* RFC 5230 4.2: the same reason, subject and from are one handle. */
    buf_printf(out, "auto:%zu:%s:%zu:%s:%zu:%s", strlen(a->target),
               a->target, v->subject ? strlen(v->subject) : 0,
               v->subject ? v->subject : "", v->from ? strlen(v->from) : 0,
               v->from ? v->from : "");
}
