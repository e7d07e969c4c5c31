/* pop3d.c -- the POP3 server: one process, one connection.
 *
 *   pop3d [-C imapd.conf] [-s]
 *
 * The connection is on fds 0 and 1 (inetd, or master hands it over); -s
 * starts TLS at once (pop3s, port 995 style).  This file holds the
 * start-up, the greeting, the command table and loop, the response helpers
 * and CAPA; the login commands are in pop3d_auth.c, the maildrop commands
 * in pop3d_commands.c and the INBOX snapshot in pop3d_maildrop.c.
 */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/sasl_glue.h"
#include "lib/tls.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/pop3d/pop3d.h"
#include "imap/pop3d/pop3d_maildrop.h"
#include "imap/pop3d/pop3d_parse.h"
#include "imap/server/procinfo.h"
#include "imap/server/server_common.h"

#define POP3D_ANY (POP3D_AUTHORIZATION | POP3D_TRANSACTION)

struct pop3d_cmd_entry {
    const char *name;
    pop3d_handler *handler;
    unsigned states;                /* enum pop3d_state bits */
};

static const struct pop3d_cmd_entry pop3d_commands[] = {
    { "CAPA", pop3d_cmd_capa, POP3D_ANY },
    { "QUIT", pop3d_cmd_quit, POP3D_ANY },
    { "USER", pop3d_cmd_user, POP3D_AUTHORIZATION },
    { "PASS", pop3d_cmd_pass, POP3D_AUTHORIZATION },
    { "APOP", pop3d_cmd_apop, POP3D_AUTHORIZATION },
    { "AUTH", pop3d_cmd_auth, POP3D_AUTHORIZATION },
    { "STLS", pop3d_cmd_stls, POP3D_AUTHORIZATION },
    { "STAT", pop3d_cmd_stat, POP3D_TRANSACTION },
    { "LIST", pop3d_cmd_list, POP3D_TRANSACTION },
    { "UIDL", pop3d_cmd_uidl, POP3D_TRANSACTION },
    { "RETR", pop3d_cmd_retr, POP3D_TRANSACTION },
    { "TOP", pop3d_cmd_top, POP3D_TRANSACTION },
    { "DELE", pop3d_cmd_dele, POP3D_TRANSACTION },
    { "RSET", pop3d_cmd_rset, POP3D_TRANSACTION },
    { "NOOP", pop3d_cmd_noop, POP3D_TRANSACTION },
    { NULL, NULL, 0 }
};

static void pop3d_vresponse(struct pop3d_session *s, const char *status,
                            const char *fmt, va_list ap)
{
    prot_puts(s->prot, status);
    prot_putc(s->prot, ' ');
    prot_vprintf(s->prot, fmt, ap);
    prot_puts(s->prot, "\r\n");
}

void pop3d_ok(struct pop3d_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pop3d_vresponse(s, "+OK", fmt, ap);
    va_end(ap);
}

void pop3d_err(struct pop3d_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pop3d_vresponse(s, "-ERR", fmt, ap);
    va_end(ap);
}

/* RFC 2449 CAPA.  Before login: how to log in (USER only when a password
 * may be sent now, SASL mechanisms, STLS); after it: what the maildrop
 * commands offer.  LOGIN-DELAY is in seconds. */
void pop3d_cmd_capa(struct pop3d_session *s, const char *args)
{
    long long minpoll = conf_getint(CONF_POPMINPOLL);
    struct buf mechs = BUF_INITIALIZER;

    if (*args) {
        pop3d_err(s, "Unexpected argument to CAPA");
        return;
    }
    pop3d_ok(s, "List of capabilities follows");
    prot_puts(s->prot, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
                       "PIPELINING\r\n");
    if (minpoll > 0)
        prot_printf(s->prot, "LOGIN-DELAY %lld\r\n", minpoll * 60);
    if (s->state == POP3D_AUTHORIZATION) {
        /* Usually master's list: no SASL plugin is loaded for it. */
        int r = server_common_sasl_mechlist("pop", "", s->prot, s->tls_on,
                                            &s->sasl, &mechs);
        if (!server_common_sasl_failed() &&
            server_common_plaintext_allowed(s->tls_on))
            prot_puts(s->prot, "USER\r\n");
        if (!r && mechs.len)
            prot_printf(s->prot, "SASL %s\r\n", buf_cstring(&mechs));
        if (!s->tls_on && server_common_tls_configured())
            prot_puts(s->prot, "STLS\r\n");
    }
    prot_puts(s->prot, "IMPLEMENTATION Chapar\r\n.\r\n");
    buf_free(&mechs);
}

static int pop3d_greet(struct pop3d_session *s)
{
    char *shutdown = server_common_msg_file("shutdown"), *motd;

    if (shutdown) {
        pop3d_err(s, "[SYS/TEMP] %s", shutdown);
        prot_flush(s->prot);
        free(shutdown);
        return ERR_AGAIN;
    }
    /* APOP (RFC 1939 7): a timestamp unique to this greeting.  Asking
     * needs SASL's password store only, no mechanism. */
    if (!server_common_sasl("pop", SERVER_SASL_PASSWORD, s->prot, &s->sasl) &&
        sasl_glue_apop_available(s->sasl))
        s->apop_challenge = xasprintf("<%ld.%lld@%s>", (long)getpid(),
                                      (long long)time(NULL),
                                      conf_getstring(CONF_SERVERNAME));
    /* POP3 has one greeting line and no alerts: the motd goes into it. */
    motd = server_common_msg_file("motd");
    pop3d_ok(s, "%s Chapar POP3 server ready%s%s%s%s%s",
             conf_getstring(CONF_SERVERNAME), motd ? " (" : "",
             motd ? motd : "", motd ? ")" : "",
             s->apop_challenge ? " " : "",
             s->apop_challenge ? s->apop_challenge : "");
    free(motd);
    prot_flush(s->prot);
    return ERR_OK;
}

static void pop3d_dispatch(struct pop3d_session *s, struct buf *line)
{
    const struct pop3d_cmd_entry *e;
    const char *name, *args;

    if (pop3d_parse_command((char *)buf_cstring(line), line->len, &name,
                            &args)) {
        pop3d_err(s, "Invalid NUL byte in command");
        return;
    }
    for (e = pop3d_commands; e->name; e++)
        if (!strcasecmp(e->name, name))
            break;
    if (!e->name) {
        pop3d_err(s, "Unknown command");
        return;
    }
    if (!(e->states & s->state)) {
        pop3d_err(s, "Command not valid in this state");
        return;
    }
    e->handler(s, args);
}

/* Read and run commands until QUIT, a stream error or poptimeout minutes
 * of silence.  Only QUIT enters the UPDATE state: after anything else
 * nothing is deleted. */
static void pop3d_loop(struct pop3d_session *s)
{
    struct buf line = BUF_INITIALIZER;
    char *shutdown;

    while (s->state != POP3D_DONE) {
        int r = prot_readline(s->prot, &line);
        if (r == ERR_TOOBIG) {
            pop3d_err(s, "Line too long");
        } else if (r == ERR_TIMEOUT) {
            /* RFC 1939 3: close without a response (and no UPDATE). */
            log_warn("timeout: %s user=<%s>", s->clienthost,
                     s->userid ? s->userid : "");
            break;
        } else if (r && prot_interrupted()) {
            /* RFC 2449 8.1.2: the failure is temporary. */
            log_info("shutdown: %s user=<%s>", s->clienthost,
                     s->userid ? s->userid : "");
            pop3d_err(s, "[SYS/TEMP] Server shutting down");
            break;
        } else if (r) {
            if (r != ERR_EOF)
                log_info("connection lost: %s: %s", s->clienthost,
                         error_string(r));
            else if (s->userid)
                log_info("connection dropped: %s user=<%s>: deletions not "
                         "applied", s->clienthost, s->userid);
            break;
        } else if ((shutdown = server_common_msg_file("shutdown"))) {
            /* Ends sessions already open too, at their next command (as
             * Cyrus does); nothing is deleted. */
            log_notice("shutdown file: session ended: %s user=<%s>",
                       s->clienthost, s->userid ? s->userid : "");
            pop3d_err(s, "[SYS/TEMP] %s", shutdown);
            free(shutdown);
            break;
        } else {
            pop3d_dispatch(s, &line);
        }
        if (!prot_input_pending(s->prot))
            prot_flush(s->prot);
        if (prot_error(s->prot))
            break;
    }
    prot_flush(s->prot);
    buf_free(&line);
}

static void pop3d_session_end(struct pop3d_session *s)
{
    if (s->userid)
        log_notice("logout: %s user=<%s>", s->clienthost, s->userid);
    pop3d_maildrop_close(&s->drop);
    sasl_glue_free(&s->sasl);
    prot_free(&s->prot);
    server_common_tls_ctx_free(&s->tls);
    auth_free(&s->auth);
    free(s->userid);
    free(s->user);
    free(s->apop_challenge);
    mboxlist_close();
    procinfo_end();
}

/* pop3s: TLS before the greeting; 0 when it came up. */
static int pop3d_implicit_tls(struct pop3d_session *s)
{
    struct buf err = BUF_INITIALIZER;
    int r;

    s->tls = server_common_tls_ctx();
    r = s->tls ? tls_start_server(s->tls, s->prot, 60, &err) : ERR_NOTSUPP;

    if (r)
        log_warn("pop3s: TLS negotiation failed: %s %s", s->clienthost,
                 s->tls ? buf_cstring(&err) : "TLS is not configured");
    else
        pop3d_tls_started(s);
    buf_free(&err);
    return r;
}

int main(int argc, char **argv)
{
    struct pop3d_session s;
    int implicit_tls;

    server_common_init(argc, argv, "pop3d", &implicit_tls);

    memset(&s, 0, sizeof(s));
    s.state = POP3D_AUTHORIZATION;
    s.prot = prot_new(0, 1);
    prot_set_timeout(s.prot, (int)conf_getint(CONF_POPTIMEOUT) * 60);
    /* The whole time before login is bounded too (logintimeout), however
     * busily a client dribbles bytes; pop3d_auth.c lifts it at login. */
    prot_set_deadline(s.prot, (int)conf_getint(CONF_LOGINTIMEOUT));
    prot_set_maxline(s.prot, POP3D_MAXLINE);
    server_common_peer(0, s.clienthost, sizeof(s.clienthost));
    /* SASL starts when the greeting, a login or AUTH needs it. */
    log_info("accepted connection: %s", s.clienthost);
    procinfo_begin(s.clienthost);

    if ((!implicit_tls || !pop3d_implicit_tls(&s)) && !pop3d_greet(&s))
        pop3d_loop(&s);
    pop3d_session_end(&s);
    sasl_glue_done();
    conf_reset();
    return EX_OK;
}
