/* imapd.c -- the IMAP server: one connection per process, or one after
 * another in a preforked worker.
 *
 *   imapd [-C imapd.conf] [-s]
 *
 * The connection is on fds 0 and 1 (inetd, or a socket master hands over);
 * a worker started by master with prefork=N (server_worker.h) accepts its
 * connections itself and puts each there in turn.  -s starts TLS at once
 * (imaps, port 993 style).  This file holds the
 * start-up, the greeting, the command loop and the response helpers; the
 * command table is in imapd_commands.c and the commands in cmd_*.c.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/deflate.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/sasl_glue.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/server/procinfo.h"
#include "imap/server/server_common.h"
#include "imap/server/server_worker.h"

static void imapd_vtagged(struct imapd_session *s, const char *tag,
                          const char *status, const char *fmt, va_list ap)
{
    prot_printf(s->prot, "%s %s ", tag, status);
    prot_vprintf(s->prot, fmt, ap);
    prot_puts(s->prot, "\r\n");
}

void imapd_tagged_ok(struct imapd_session *s, const char *tag,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    imapd_vtagged(s, tag, "OK", fmt, ap);
    va_end(ap);
}

void imapd_tagged_no(struct imapd_session *s, const char *tag,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    imapd_vtagged(s, tag, "NO", fmt, ap);
    va_end(ap);
}

void imapd_tagged_bad(struct imapd_session *s, const char *tag,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    imapd_vtagged(s, tag, "BAD", fmt, ap);
    va_end(ap);
}

void imapd_tagged_error(struct imapd_session *s, const char *tag, int err,
                        const char *context)
{
    const char *text;
    switch (err) {
    case ERR_NOTFOUND: text = "[NONEXISTENT] Mailbox does not exist"; break;
    case ERR_EXISTS: text = "[ALREADYEXISTS] Mailbox already exists"; break;
    case ERR_PERM: text = "[NOPERM] Permission denied"; break;
    case ERR_QUOTA: text = "[OVERQUOTA] Over quota"; break;
    case ERR_BADNAME: text = "[CANNOT] Invalid mailbox name"; break;
    case ERR_TOOBIG: text = "[LIMIT] Too big"; break;
    case ERR_LOCKED:
    case ERR_AGAIN:
    case ERR_TIMEOUT:
    case ERR_CONFLICT: text = "[INUSE] Mailbox is busy, try again"; break;
    case ERR_BADFORMAT: text = "[CORRUPTION] Mailbox needs repair"; break;
    case ERR_NOTSUPP: text = "[CANNOT] Operation not supported"; break;
    case ERR_BADARG: text = "[CANNOT] Invalid request"; break;
    default: text = "[SERVERBUG] Internal error"; break;
    }
    if (context)
        imapd_tagged_no(s, tag, "%s: %s", context, text);
    else
        imapd_tagged_no(s, tag, "%s", text);
}

void imapd_capabilities(struct imapd_session *s, struct buf *out)
{
    buf_reset(out);
    buf_appendcstr(out, IMAPD_CAPABILITIES);
    /* literalminus: LITERAL- in place of LITERAL+ (RFC 7888 allows one of
     * them; imapd_parser_limits() sets the 4096-byte bound) */
    if (conf_getswitch(CONF_LITERALMINUS))
        strstr(out->s, "LITERAL+")[7] = '-';
    if (s->state != IMAPD_NOTAUTH)
        buf_appendcstr(out, " UNAUTHENTICATE");
    buf_printf(out, " %s APPENDLIMIT=%llu", IMAPD_LIST_CAPABILITIES,
               imapd_appendlimit());
    if (s->state == IMAPD_NOTAUTH) {
        struct buf mechs = BUF_INITIALIZER;
        /* Usually master's list: no SASL plugin is loaded for it. */
        int r = server_common_sasl_mechlist("imap", "AUTH=", s->prot,
                                            s->tls_on, &s->sasl, &mechs);
        if (!s->tls_on && server_common_tls_configured())
            buf_appendcstr(out, " STARTTLS");
        if (server_common_sasl_failed() ||
            !server_common_plaintext_allowed(s->tls_on))
            buf_appendcstr(out, " LOGINDISABLED");
        if (!r && mechs.len)
            buf_printf(out, " %s", buf_cstring(&mechs));
        buf_appendcstr(out, " SASL-IR");
        buf_free(&mechs);
    } else if (!deflate_active(s->prot)) {
        /* After login only, and only while off (as Cyrus). */
        buf_appendcstr(out, " COMPRESS=DEFLATE");
    }
}

void imapd_write_astring(struct prot *p, const char *s, size_t len)
{
    int literal = len >= 1024;
    for (size_t i = 0; !literal && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\r' || c == '\n' || c & 0x80 || !c)
            literal = 1;
    }
    if (literal) {
        prot_printf(p, "{%zu}\r\n", len);
        prot_write(p, s, len);
    } else {
        prot_putc(p, '"');
        prot_write(p, s, len);
        prot_putc(p, '"');
    }
}

void imapd_write_atom_or_string(struct prot *p, const char *s)
{
    size_t len = strlen(s);
    int atom = len > 0 && strcasecmp(s, "NIL") != 0;

    /* ATOM-CHAR: any CHAR but atom-specials (RFC 3501 9). */
    for (size_t i = 0; atom && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c))
            atom = 0;
    }
    if (atom)
        prot_write(p, s, len);
    else
        imapd_write_astring(p, s, len);
}

/* After TLS came up: tell SASL (plaintext mechanisms become allowed). */
void imapd_tls_started(struct imapd_session *s)
{
    s->tls_on = 1;
    server_common_tls_started(s->prot, s->sasl, s->clienthost);
}

/* First line of configdirectory/msg/<name>, or NULL. */
char *imapd_msg_file(const char *name)
{
    return server_common_msg_file(name);
}

int imapd_shutdown_pending(struct imapd_session *s)
{
    char *text;

    if (s->is_admin || !(text = imapd_msg_file("shutdown")))
        return 0;
    log_notice("shutdown file: session ended: %s user=<%s>", s->clienthost,
               s->userid ? s->userid : "");
    prot_printf(s->prot, "* BYE [ALERT] %s\r\n", text);
    free(text);
    s->state = IMAPD_LOGOUT;
    return 1;
}

static int imapd_greet(struct imapd_session *s)
{
    struct buf caps = BUF_INITIALIZER;
    char *shutdown = imapd_msg_file("shutdown"), *motd;

    if (shutdown) {
        prot_printf(s->prot, "* BYE [ALERT] %s\r\n", shutdown);
        prot_flush(s->prot);
        free(shutdown);
        return ERR_AGAIN;
    }
    imapd_capabilities(s, &caps);
    prot_printf(s->prot, "* OK [CAPABILITY %s] %s Chapar IMAP server ready\r\n",
                buf_cstring(&caps), conf_getstring(CONF_SERVERNAME));
    motd = imapd_msg_file("motd");
    if (motd)
        prot_printf(s->prot, "* OK [ALERT] %s\r\n", motd);
    free(motd);
    buf_free(&caps);
    prot_flush(s->prot);
    return ERR_OK;
}

/* Literals are held in memory, so before login (no APPEND possible) they
 * stay small; after login a message may be as big as maxmessagesize (64 MB
 * when unlimited) and one MULTIAPPEND may carry 8 of those. */
#define IMAPD_PRELOGIN_LITERAL 8192
#define IMAPD_DEFAULT_MAXMESSAGE (64 * 1024 * 1024)

void imapd_parser_limits(struct imap_parser_limits *l, int authenticated)
{
    long long maxmsg = conf_getint(CONF_MAXMESSAGESIZE);
    memset(l, 0, sizeof(*l));
    l->max_line = (size_t)conf_getint(CONF_MAXLINELENGTH);
    l->max_literal = maxmsg > 0 ? (size_t)maxmsg : IMAPD_DEFAULT_MAXMESSAGE;
    if (!authenticated && l->max_literal > IMAPD_PRELOGIN_LITERAL)
        l->max_literal = IMAPD_PRELOGIN_LITERAL;
    l->max_literal_total = l->max_literal * (authenticated ? 8 : 1);
    l->max_depth = (unsigned)conf_getint(CONF_MAXNESTING);
    l->max_args = (unsigned)conf_getint(CONF_MAXARGS);
    /* RFC 7888 4: LITERAL- allows {n+} up to 4096 bytes */
    l->max_nonsync = conf_getswitch(CONF_LITERALMINUS) ? 4096 : 0;
}

/* Read and run commands until LOGOUT, a fatal stream error or timeout. */
static void imapd_loop(struct imapd_session *s)
{
    while (s->state != IMAPD_LOGOUT) {
        struct imap_parser_command *cmd = NULL;
        const char *reason = "";
        enum imap_parser_error perr;
        enum imap_parser_result r = imap_parser_read(s->parser, &cmd);

        if (r == IMAP_PARSER_NEED_CONTINUATION) {
            prot_puts(s->prot, "+ go ahead\r\n");
            prot_flush(s->prot);
            continue;
        }
        perr = imap_parser_error(s->parser, &reason);
        if (r == IMAP_PARSER_BAD) {
            const char *tag = imap_parser_tag(s->parser);
            if (perr == IMAP_PARSER_ERR_LITERAL_TOO_BIG)
                prot_printf(s->prot, "%s NO [TOOBIG] %s\r\n",
                            tag ? tag : "*", reason);
            else if (perr == IMAP_PARSER_ERR_NONSYNC_TOO_BIG)
                prot_printf(s->prot, "%s BAD [TOOBIG] %s (LITERAL-: at most "
                            "4096 bytes)\r\n", tag ? tag : "*", reason);
            else
                prot_printf(s->prot, "%s BAD %s\r\n", tag ? tag : "*", reason);
            prot_flush(s->prot);
            continue;
        }
        if (r == IMAP_PARSER_FATAL) {
            if (prot_interrupted()) {
                log_info("shutdown: %s user=<%s>", s->clienthost,
                         s->userid ? s->userid : "");
                prot_puts(s->prot, "* BYE Server shutting down\r\n");
            } else if (perr == IMAP_PARSER_ERR_TIMEOUT) {
                log_warn("timeout: %s user=<%s>", s->clienthost,
                         s->userid ? s->userid : "");
                prot_puts(s->prot, "* BYE Autologout; idle for too long\r\n");
            } else if (perr == IMAP_PARSER_ERR_LITERAL_TOO_BIG) {
                prot_printf(s->prot, "* BYE %s\r\n", reason);
            } else if (perr != IMAP_PARSER_ERR_EOF) {
                log_info("connection lost: %s: %s", s->clienthost, reason);
            }
            prot_flush(s->prot);
            return;
        }
        if (!imapd_shutdown_pending(s))
            imapd_dispatch(s, cmd);
        imap_parser_command_free(&cmd);
        prot_flush(s->prot);
        if (prot_error(s->prot))
            return;
    }
}

/* Everything of one connection goes with its session: the struct and all
 * it holds, the mailboxes database handle, the proc file and telemetry. */
static void imapd_session_end(struct imapd_session **sp)
{
    struct imapd_session *s = *sp;

    if (s->userid)
        log_notice("logout: %s user=<%s>", s->clienthost, s->userid);
    index_close(&s->index);
    imap_parser_free(&s->parser);
    sasl_glue_free(&s->sasl);
    prot_free(&s->prot);
    server_common_tls_ctx_free(&s->tls);
    auth_free(&s->auth);
    free(s->userid);
    free(s);
    *sp = NULL;
    mboxlist_close();
    procinfo_end();
}

/* Serve the connection on fds 0 and 1, from the greeting to the end. */
static void imapd_serve(int implicit_tls)
{
    struct imapd_session *s = xzmalloc(sizeof(*s));
    struct imap_parser_limits limits;

    s->prot = prot_new(0, 1);
    /* Literals and commands sent in pieces are acknowledged at once. */
    prot_set_quickack(s->prot, 1);
    /* Until login the short logintimeout applies, to each wait and to
     * the whole time before login (a client dribbling a byte at a time
     * must not hold a process forever); then timeout. */
    prot_set_timeout(s->prot, (int)conf_getint(CONF_LOGINTIMEOUT));
    prot_set_deadline(s->prot, (int)conf_getint(CONF_LOGINTIMEOUT));
    imapd_parser_limits(&limits, 0);
    s->parser = imap_parser_new(s->prot, &limits);
    server_common_peer(0, s->clienthost, sizeof(s->clienthost));
    /* SASL starts when the greeting, LOGIN or AUTHENTICATE needs it. */
    log_info("accepted connection: %s", s->clienthost);
    procinfo_begin(s->clienthost);

    if (implicit_tls) {
        struct buf err = BUF_INITIALIZER;
        s->tls = server_common_tls_ctx();
        if (!s->tls || tls_start_server(s->tls, s->prot, 60, &err)) {
            log_warn("imaps: TLS negotiation failed: %s %s", s->clienthost,
                     buf_cstring(&err));
            buf_free(&err);
            imapd_session_end(&s);
            return;
        }
        buf_free(&err);
        imapd_tls_started(s);
    }
    if (!imapd_greet(s))
        imapd_loop(s);
    imapd_session_end(&s);
}

int main(int argc, char **argv)
{
    int implicit_tls;

    server_common_init(argc, argv, "imapd", &implicit_tls);
    if (server_worker_init()) {
        /* A preforked worker (cyrus.conf prefork=N): what every session
         * needs is set up before the first connection; each session then
         * starts from nothing but that (imapd_serve()). */
        server_common_prepare();
        while (server_worker_next()) {
            imapd_serve(implicit_tls);
            server_worker_done();
        }
        server_common_finish();
    } else {
        imapd_serve(implicit_tls);
    }
    sasl_glue_done();
    conf_reset();
    return EX_OK;
}
