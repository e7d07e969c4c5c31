/* lmtp.c -- the LMTP server engine (RFC 2033); see lmtp.h.
 *
 * Commands come from one table; the dispatcher alone enforces the order
 * (LHLO before MAIL, MAIL before RCPT and DATA), so handlers only parse
 * and act.  All state of a connection is in struct lmtp_session.  The
 * replies to pipelined commands are buffered and flushed when the client
 * must wait for them (prot flushes before any read that would block).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "deliver/delivery.h"
#include "deliver/lmtp.h"
#include "deliver/lmtp_parse.h"

struct lmtp_rcpt {
    char *address;              /* as the client wrote it (for logs) */
    struct delivery_target target;
};

struct lmtp_session {
    struct prot *prot;
    struct delivery_agent *agent;
    const struct lmtp_options *opts;
    size_t maxsize;             /* delivery_max_size() */
    char *lhlo;                 /* the client's name; NULL before LHLO */
    char *from;                 /* reverse path; NULL: no transaction */
    struct lmtp_rcpt *rcpts;
    size_t nrcpts, rcpts_alloc;
    int quit;
};

#define LMTP_F_LHLO 0x01        /* needs LHLO first */
#define LMTP_F_MAIL 0x02        /* needs a MAIL transaction */

struct lmtp_command {
    const char *name;
    void (*fn)(struct lmtp_session *s, const char *arg);
    unsigned flags;
};

static void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
    CHAPAR_FORMAT(2, 3);
static void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    prot_vprintf(s->prot, fmt, ap);
    va_end(ap);
    prot_puts(s->prot, "\r\n");
}

/* End the transaction (MAIL, RCPTs); LHLO stays. */
static void lmtp_reset(struct lmtp_session *s)
{
    for (size_t i = 0; i < s->nrcpts; i++) {
        free(s->rcpts[i].address);
        delivery_target_fini(&s->rcpts[i].target);
    }
    s->nrcpts = 0;
    XFREE(s->from);
}

/* ---- commands --------------------------------------------------------------- */

static void lmtp_cmd_lhlo(struct lmtp_session *s, const char *arg)
{
    if (!*arg) {
        lmtp_reply(s, "501 5.5.4 Syntax: LHLO hostname");
        return;
    }
    lmtp_reset(s);
    free(s->lhlo);
    /* It goes into the Received: line: printable ASCII only. */
    s->lhlo = xstrdup(arg);
    for (char *p = s->lhlo; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    lmtp_reply(s, "250-%s", s->opts->servername);
    lmtp_reply(s, "250-PIPELINING");
    lmtp_reply(s, "250-ENHANCEDSTATUSCODES");
    lmtp_reply(s, "250-8BITMIME");
    lmtp_reply(s, "250 SIZE %zu", s->maxsize);
}

/* MAIL parameters (lmtp_parse_mail_params).  0 when refused (the reply
 * was sent). */
static int lmtp_mail_params(struct lmtp_session *s, const char *params)
{
    switch (lmtp_parse_mail_params(params, s->maxsize)) {
    case LMTP_PARAM_OK:
        return 1;
    case LMTP_PARAM_BAD_SIZE:
        lmtp_reply(s, "501 5.5.4 Invalid SIZE parameter");
        break;
    case LMTP_PARAM_TOO_BIG:
        lmtp_reply(s, "552 5.3.4 Message size exceeds fixed "
                      "maximum message size");
        break;
    case LMTP_PARAM_BAD_BODY:
        lmtp_reply(s, "501 5.5.4 Invalid BODY parameter");
        break;
    case LMTP_PARAM_UNSUPPORTED:
        lmtp_reply(s, "555 5.5.4 Unsupported parameter");
        break;
    }
    return 0;
}

static void lmtp_cmd_mail(struct lmtp_session *s, const char *arg)
{
    const char *params;
    char *addr = NULL;

    if (s->from) {
        lmtp_reply(s, "503 5.5.1 Nested MAIL command");
        return;
    }
    if (!lmtp_parse_path(arg, "FROM:", &addr, &params)) {
        lmtp_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
        return;
    }
    if (!lmtp_mail_params(s, params)) {
        free(addr);
        return;
    }
    s->from = addr;
    lmtp_reply(s, "250 2.1.0 Ok");
}

static void lmtp_cmd_rcpt(struct lmtp_session *s, const char *arg)
{
    struct delivery_target t;
    const char *params;
    char *addr = NULL, *local;
    int r;

    if (!lmtp_parse_path(arg, "TO:", &addr, &params) || !*addr) {
        lmtp_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
        free(addr);
        return;
    }
    if (*params) {
        lmtp_reply(s, "555 5.5.4 Unsupported parameter");
        free(addr);
        return;
    }
    if (s->nrcpts >= LMTP_MAX_RECIPIENTS) {
        lmtp_reply(s, "452 4.5.3 Too many recipients");
        free(addr);
        return;
    }
    local = lmtp_unquote(addr);
    /* lmtp_downcase_rcpt (Cyrus): the user part, up to a '+' or '@', in
     * lowercase, whatever username_tolower says. */
    if (conf_getswitch(CONF_LMTP_DOWNCASE_RCPT))
        for (char *p = local; *p && *p != '+' && *p != '@'; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    r = delivery_resolve(s->agent, local, NULL, &t);
    free(local);
    if (!r && (r = delivery_check_quota(s->agent, &t)))
        delivery_target_fini(&t);
    if (r == ERR_NOTFOUND)
        lmtp_reply(s, "550 5.1.1 User unknown");
    else if (r == ERR_QUOTA)
        lmtp_reply(s, "452 4.2.2 Over quota");
    else if (r)
        lmtp_reply(s, "451 4.3.0 Temporary failure, try again later");
    if (r) {
        log_info("lmtp: recipient refused: from=<%s> to=<%s>: %s", s->from,
                 addr, error_string(r));
        free(addr);
        return;
    }
    if (s->nrcpts == s->rcpts_alloc) {
        s->rcpts_alloc = s->rcpts_alloc ? 2 * s->rcpts_alloc : 8;
        s->rcpts = xreallocarray(s->rcpts, s->rcpts_alloc, sizeof(*s->rcpts));
    }
    s->rcpts[s->nrcpts].address = addr;
    s->rcpts[s->nrcpts++].target = t;
    lmtp_reply(s, "250 2.1.5 Ok");
}

/* Read the dot-stuffed message up to the "." line into msg.  *toobig_r
 * when it exceeded maxsize (the rest was read and dropped).  A stream
 * error ends the session. */
static int lmtp_read_data(struct lmtp_session *s, struct buf *msg,
                          int *toobig_r)
{
    struct buf line = BUF_INITIALIZER;
    int r = ERR_OK;

    *toobig_r = 0;
    /* A long line is no error in a message, only its total size is. */
    prot_set_maxline(s->prot, s->maxsize + 1);
    for (;;) {
        r = prot_readline(s->prot, &line);
        if (r == ERR_TOOBIG) {
            *toobig_r = 1;
            continue;
        }
        if (r)
            break;
        if (line.len == 1 && line.s[0] == '.')
            break;
        if (*toobig_r)
            continue;
        if (line.len && line.s[0] == '.')
            buf_appendmap(msg, line.s + 1, line.len - 1);
        else
            buf_appendbuf(msg, &line);
        buf_appendcstr(msg, "\r\n");
        if (msg->len > s->maxsize) {
            *toobig_r = 1;
            buf_reset(msg);
        }
    }
    prot_set_maxline(s->prot, LMTP_MAXLINE);
    buf_free(&line);
    return r;
}

/* Return-Path: and Received: for the top of the message. */
static void lmtp_trace_headers(struct lmtp_session *s, struct buf *out)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
    delivery_return_path(s->from, out);
    buf_printf(out, "Received: from %s (%s)\r\n\tby %s (Chapar) with LMTP;"
               "\r\n\t%s\r\n", s->lhlo, s->opts->clienthost,
               s->opts->servername, date);
}

/* The reply for one recipient after DATA. */
static void lmtp_reply_delivery(struct lmtp_session *s, struct delivery *d,
                                int r)
{
    if (r == ERR_PERM && delivery_rejected(d)) {
        /* The recipient's Sieve script rejected it (RFC 5429 2.1). */
        lmtp_reply(s, "550 5.7.1 %s", delivery_rejected(d));
        return;
    }
    switch (r) {
    case ERR_OK:
        lmtp_reply(s, "250 2.1.5 Ok");
        break;
    case ERR_NOTFOUND:
        lmtp_reply(s, "550 5.1.1 User unknown");
        break;
    case ERR_QUOTA:
        lmtp_reply(s, "452 4.2.2 Over quota");
        break;
    case ERR_LOCKED:
    case ERR_TIMEOUT:
    case ERR_CONFLICT:
    case ERR_AGAIN:
        lmtp_reply(s, "451 4.2.0 Mailbox is busy, try again later");
        break;
    default:
        lmtp_reply(s, "451 4.3.0 Temporary failure, try again later");
        break;
    }
}

/* The same refusal of the message for every recipient. */
static void lmtp_refuse_all(struct lmtp_session *s, int r, const char *why)
{
    for (size_t i = 0; i < s->nrcpts; i++) {
        if (r == ERR_TOOBIG)
            lmtp_reply(s, "552 5.3.4 %s", why);
        else
            lmtp_reply(s, "554 5.6.0 %s", why);
    }
}

static void lmtp_cmd_data(struct lmtp_session *s, const char *arg)
{
    struct buf msg = BUF_INITIALIZER, trace = BUF_INITIALIZER;
    struct delivery *d = NULL;
    const char *why = NULL;
    int r, toobig;

    (void)arg;
    if (!s->nrcpts) {
        lmtp_reply(s, "503 5.5.1 No valid recipients");
        return;
    }
    lmtp_reply(s, "354 Go ahead, end with <CR><LF>.<CR><LF>");
    if (lmtp_read_data(s, &msg, &toobig)) {
        log_info("lmtp: connection lost during DATA: %s from=<%s>",
                 s->opts->clienthost, s->from);
        s->quit = 1;
        goto done;
    }
    lmtp_trace_headers(s, &trace);
    r = toobig ? ERR_TOOBIG
               : delivery_begin(s->agent, trace.s, trace.len, msg.s, msg.len,
                                &d, &why);
    if (r) {
        lmtp_refuse_all(s, r, why ? why : "Message too big");
        log_info("lmtp: message refused: from=<%s>: %s", s->from,
                 why ? why : "Message too big");
        goto done;
    }
    delivery_set_sender(d, s->from);
    for (size_t i = 0; i < s->nrcpts; i++)
        lmtp_reply_delivery(s, d,
                            delivery_to(d, &s->rcpts[i].target, NULL));
done:
    delivery_end(&d);
    lmtp_reset(s);
    buf_free(&msg);
    buf_free(&trace);
}

static void lmtp_cmd_rset(struct lmtp_session *s, const char *arg)
{
    (void)arg;
    lmtp_reset(s);
    lmtp_reply(s, "250 2.0.0 Ok");
}

static void lmtp_cmd_noop(struct lmtp_session *s, const char *arg)
{
    (void)arg;
    lmtp_reply(s, "250 2.0.0 Ok");
}

static void lmtp_cmd_quit(struct lmtp_session *s, const char *arg)
{
    (void)arg;
    lmtp_reply(s, "221 2.0.0 %s closing connection", s->opts->servername);
    s->quit = 1;
}

/* HELO and EHLO are SMTP's: an LMTP server must refuse them (RFC 2033 4.1). */
static void lmtp_cmd_helo(struct lmtp_session *s, const char *arg)
{
    (void)arg;
    lmtp_reply(s, "500 5.5.1 This is LMTP: use LHLO");
}

static const struct lmtp_command lmtp_commands[] = {
    { "LHLO", lmtp_cmd_lhlo, 0 },
    { "MAIL", lmtp_cmd_mail, LMTP_F_LHLO },
    { "RCPT", lmtp_cmd_rcpt, LMTP_F_LHLO | LMTP_F_MAIL },
    { "DATA", lmtp_cmd_data, LMTP_F_LHLO | LMTP_F_MAIL },
    { "RSET", lmtp_cmd_rset, 0 },
    { "NOOP", lmtp_cmd_noop, 0 },
    { "QUIT", lmtp_cmd_quit, 0 },
    { "HELO", lmtp_cmd_helo, 0 },
    { "EHLO", lmtp_cmd_helo, 0 },
};

static void lmtp_dispatch(struct lmtp_session *s, const char *line)
{
    const char *arg;
    size_t n;

    lmtp_parse_command(line, &n, &arg);
    for (size_t i = 0; i < sizeof(lmtp_commands) / sizeof(*lmtp_commands);
         i++) {
        const struct lmtp_command *c = &lmtp_commands[i];
        if (strlen(c->name) != n || strncasecmp(line, c->name, n))
            continue;
        if ((c->flags & LMTP_F_LHLO) && !s->lhlo)
            lmtp_reply(s, "503 5.5.1 Send LHLO first");
        else if ((c->flags & LMTP_F_MAIL) && !s->from)
            lmtp_reply(s, "503 5.5.1 Need MAIL command");
        else
            c->fn(s, arg);
        return;
    }
    lmtp_reply(s, "500 5.5.2 Unrecognized command");
}

int lmtp_serve(struct prot *p, struct delivery_agent *agent,
               const struct lmtp_options *opts)
{
    struct lmtp_session s;
    struct buf line = BUF_INITIALIZER;
    int r = ERR_OK;

    memset(&s, 0, sizeof(s));
    s.prot = p;
    s.agent = agent;
    s.opts = opts;
    s.maxsize = delivery_max_size();
    prot_set_maxline(p, LMTP_MAXLINE);
    prot_set_timeout(p, opts->timeout ? opts->timeout : LMTP_TIMEOUT);
    lmtp_reply(&s, "220 %s LMTP Chapar ready", opts->servername);
    while (!s.quit && !prot_error(p)) {
        r = prot_readline(p, &line);
        if (r == ERR_TOOBIG) {
            lmtp_reply(&s, "500 5.5.2 Line too long");
            continue;
        }
        if (r == ERR_TIMEOUT)
            lmtp_reply(&s, "421 4.4.2 %s Timeout, closing connection",
                       opts->servername);
        else if (r && prot_interrupted())
            lmtp_reply(&s, "421 4.3.2 %s Server shutting down, closing "
                       "connection", opts->servername);
        if (r)
            break;
        lmtp_dispatch(&s, buf_cstring(&line));
    }
    prot_flush(p);
    if (r == ERR_TIMEOUT || (r && r != ERR_EOF))
        log_info("lmtp: connection ended: %s: %s", opts->clienthost,
                 error_string(r));
    lmtp_reset(&s);
    free(s.rcpts);
    free(s.lhlo);
    buf_free(&line);
    return r == ERR_EOF ? ERR_OK : r;
}
