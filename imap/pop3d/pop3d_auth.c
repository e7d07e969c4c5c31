/* pop3d_auth.c -- the AUTHORIZATION state: USER and PASS (RFC 1939), AUTH
 * with SASL (RFC 5034: base64 exchange, initial response, "*" cancels;
 * without arguments the RFC 1734-style list of mechanisms) and STLS (RFC
 * 2595).  A login ends with the maildrop opened (pop3d_maildrop.h): only
 * then is the session in TRANSACTION state.
 *
 * Failed authentications are counted, delayed and logged by login_limit.h
 * ("badlogin: <host> <mech> <user> <reason>"), as in imapd; a user name or
 * client address locked out by too many failures is answered
 * "-ERR [SYS/TEMP]" without a password check.  Successful logins are
 * logged at notice as "login: <host> <user> <mech>[ TLS]".  USER is
 * refused before TLS unless allowplaintext is set (the password would
 * follow in the clear), with the same rule SASL applies to PLAIN/LOGIN.
 * APOP is offered when SASL can check it (a password store with clear
 * passwords, as sasldb).  SASL starts only as far as a command needs it
 * (server_common.h) and is released after a login without a security
 * layer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/sasl_glue.h"
#include "lib/tls.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxname.h"
#include "imap/pop3d/pop3d.h"
#include "imap/pop3d/pop3d_parse.h"
#include "imap/pop3d/pop3d_maildrop.h"
#include "imap/server/login_limit.h"
#include "imap/server/procinfo.h"
#include "imap/server/server_common.h"

void pop3d_tls_started(struct pop3d_session *s)
{
    s->tls_on = 1;
    server_common_tls_started(s->prot, s->sasl, s->clienthost);
}

/* authz: the password was right but the authorization identity was
 * refused (proxy authorization, auth.h). */
static void pop3d_login_failed(struct pop3d_session *s, const char *mech,
                               const char *user, const char *reason,
                               int authz)
{
    /* Counted, logged and delayed across every connection. */
    login_limit_failed(s->clienthost, mech, user, reason);
    pop3d_err(s, authz ? "[AUTH] Not authorized to act as that user"
                       : "[AUTH] Authentication failed");
}

/* login_limit_check() for user (NULL: the client address only); on a
 * refusal answers it and returns 1. */
static int pop3d_login_locked(struct pop3d_session *s, const char *mech,
                              const char *user)
{
    if (!login_limit_check(s->clienthost, mech, user))
        return 0;
    pop3d_err(s, "[SYS/TEMP] Too many failed logins; try again later");
    return 1;
}

/* After a SASL exchange that did not end in a session (failure, cancel,
 * maildrop refused), a fresh SASL session for the next attempt. */
static void pop3d_sasl_renew(struct pop3d_session *s)
{
    struct tls_info info;

    sasl_glue_free(&s->sasl);
    if (!server_common_sasl_new("pop", &s->sasl) && s->tls_on &&
        !tls_session_info(s->prot, &info))
        sasl_glue_set_tls(s->sasl, (unsigned)info.bits, NULL);
}

/* Authentication succeeded: open the maildrop of userid (canonical,
 * SASL's name; authid, when different, acts as userid by proxy
 * authorization).  ERR_OK: "+OK" was sent and the session is in
 * TRANSACTION state; otherwise "-ERR" was sent and it stays in
 * AUTHORIZATION. */
static int pop3d_login_complete(struct pop3d_session *s, const char *userid,
                                const char *authid, const char *mech)
{
    long minpoll = (long)conf_getint(CONF_POPMINPOLL) * 60;
    struct auth_state *auth;
    uint32_t count;
    uint64_t octets;
    int r = mboxname_validate_userid(userid) ? ERR_NOTFOUND : ERR_OK;

    auth = auth_new(userid, 0);
    if (!r)
        r = pop3d_maildrop_open(userid, auth, minpoll, &s->drop);
    switch (r) {
    case ERR_OK:
        break;
    case ERR_LOCKED:
        pop3d_err(s, "[IN-USE] Mailbox is locked by another POP3 session");
        break;
    case ERR_AGAIN:
        pop3d_err(s, "[LOGIN-DELAY] Logins must be at least %ld minute%s "
                     "apart", minpoll / 60, minpoll == 60 ? "" : "s");
        break;
    case ERR_NOTFOUND:
    case ERR_PERM:
        pop3d_err(s, "[SYS/PERM] Unable to open maildrop");
        break;
    default:
        pop3d_err(s, "[SYS/TEMP] Unable to open maildrop, try again later");
        break;
    }
    if (r) {
        log_notice("login refused: %s %s %s: %s", s->clienthost, userid, mech,
                   r == ERR_LOCKED ? "maildrop in use" :
                   r == ERR_AGAIN ? "popminpoll" : error_string(r));
        auth_free(&auth);
        return r;
    }
    s->userid = xstrdup(userid);
    s->auth = auth;
    s->state = POP3D_TRANSACTION;
    login_limit_succeeded(userid);
    /* The pre-login deadline (logintimeout) is over. */
    prot_set_deadline(s->prot, 0);
    if (authid && strcmp(authid, userid))
        log_notice("login: %s %s %s%s as %s by %s", s->clienthost, userid,
                   mech, s->tls_on ? " TLS" : "", userid, authid);
    else
        log_notice("login: %s %s %s%s", s->clienthost, userid, mech,
                   s->tls_on ? " TLS" : "");
    procinfo_login(userid, s->prot);
    procinfo_mailbox(pop3d_maildrop_name(s->drop));
    pop3d_maildrop_stat(s->drop, &count, &octets);
    pop3d_ok(s, "Mailbox locked and ready, %u messages (%llu octets)",
             (unsigned)count, (unsigned long long)octets);
    return ERR_OK;
}

void pop3d_cmd_user(struct pop3d_session *s, const char *args)
{
    free(s->user);
    s->user = NULL;
    if (!*args) {
        pop3d_err(s, "USER needs a user name");
        return;
    }
    if (!server_common_plaintext_allowed(s->tls_on) ||
        server_common_sasl("pop", SERVER_SASL_PASSWORD, s->prot, &s->sasl)) {
        pop3d_err(s, "[AUTH] Plaintext login is disabled; use STLS first");
        return;
    }
    s->user = xstrdup(args);
    pop3d_ok(s, "Name is a valid mailbox");
}

/* RFC 1939: the password is the rest of the line, spaces included. */
void pop3d_cmd_pass(struct pop3d_session *s, const char *args)
{
    char *user = s->user;
    int r;

    s->user = NULL;
    if (!user) {
        pop3d_err(s, "Send USER first");
        return;
    }
    if (pop3d_login_locked(s, "plaintext", user)) {
        free(user);
        return;
    }
    r = s->sasl ? sasl_glue_checkpass(s->sasl, user, args) : ERR_NOTSUPP;
    if (!r && !sasl_glue_username(s->sasl))
        r = ERR_PERM;
    if (r) {
        pop3d_login_failed(s, "plaintext", user,
                           s->sasl ? sasl_glue_errdetail(s->sasl)
                                   : "SASL unavailable", 0);
    } else if (!pop3d_login_complete(s, sasl_glue_username(s->sasl), NULL,
                                     "plaintext")) {
        server_common_sasl_release(&s->sasl);
        if (!s->tls_on && conf_getint(CONF_PLAINTEXTLOGINPAUSE) > 0)
            sleep((unsigned)conf_getint(CONF_PLAINTEXTLOGINPAUSE));
    }
    free(user);
}

/* APOP name digest: the MD5 of the greeting's timestamp and the password,
 * checked by SASL (RFC 1939 7).  The password never crosses the wire, so
 * APOP is allowed before STLS. */
void pop3d_cmd_apop(struct pop3d_session *s, const char *args)
{
    const char *digest;
    char *user;

    if (!s->apop_challenge || !s->sasl) {
        pop3d_err(s, "APOP is not available");
        return;
    }
    if (pop3d_parse_apop(args, &user, &digest)) {
        pop3d_err(s, "APOP needs a name and a digest");
        return;
    }
    if (pop3d_login_locked(s, "APOP", user)) {
        free(user);
        return;
    }
    if (sasl_glue_checkapop(s->sasl, s->apop_challenge, args) ||
        !sasl_glue_username(s->sasl))
        pop3d_login_failed(s, "APOP", user, sasl_glue_errdetail(s->sasl), 0);
    else if (!pop3d_login_complete(s, sasl_glue_username(s->sasl), NULL,
                                   "APOP"))
        server_common_sasl_release(&s->sasl);
    free(user);
}

/* The challenge/response rounds of AUTH; ERR_OK when done.  *why gets the
 * reason of a failure for the log ("cancelled" for the client's "*"). */
static int pop3d_sasl_exchange(struct pop3d_session *s, struct buf *out,
                               int done, const char **why)
{
    struct buf line = BUF_INITIALIZER, in = BUF_INITIALIZER;
    int r = ERR_OK;

    while (!done) {
        base64_encode(out->s, out->len, &line);
        prot_puts(s->prot, "+ ");
        prot_write(s->prot, line.s, line.len);
        prot_puts(s->prot, "\r\n");
        buf_reset(&line);
        if ((r = prot_readline(s->prot, &line))) {
            *why = r == ERR_TOOBIG ? "response too long" : "connection lost";
            if (r != ERR_TOOBIG)
                s->state = POP3D_DONE;
            break;
        }
        if (line.len == 1 && line.s[0] == '*') {
            *why = "cancelled";
            r = ERR_AGAIN;
            break;
        }
        buf_reset(&in);
        if (base64_decode(line.s, line.len, &in)) {
            *why = "invalid base64";
            r = ERR_BADARG;
            break;
        }
        buf_reset(&line);
        r = sasl_glue_server_step(s->sasl, in.s, in.len, out, &done);
        if (r)
            *why = sasl_glue_errdetail(s->sasl);
    }
    buf_free(&line);
    buf_free(&in);
    return r;
}

/* AUTH without arguments: the mechanisms, one per line. */
static void pop3d_auth_list(struct pop3d_session *s)
{
    struct buf mechs = BUF_INITIALIZER;
    char *p;

    server_common_sasl_mechlist("pop", "", s->prot, s->tls_on, &s->sasl,
                                &mechs);
    pop3d_ok(s, "List of SASL mechanisms follows");
    for (p = (char *)buf_cstring(&mechs); *p;) {
        size_t n = strcspn(p, " ");
        prot_write(s->prot, p, n);
        prot_puts(s->prot, "\r\n");
        p += n;
        p += strspn(p, " ");
    }
    prot_puts(s->prot, ".\r\n");
    buf_free(&mechs);
}

/* Run the exchange for mech with an optional initial response (base64,
 * "=" for an empty one); *why as for pop3d_sasl_exchange. */
static int pop3d_auth_run(struct pop3d_session *s, const char *mech,
                          const char *initial, const char **why)
{
    struct buf out = BUF_INITIALIZER, ir = BUF_INITIALIZER;
    int done = 0, r;

    if (initial && strcmp(initial, "=") &&
        base64_decode(initial, strlen(initial), &ir)) {
        *why = "invalid base64 in initial response";
        r = ERR_BADARG;
        goto done;
    }
    r = sasl_glue_server_start(s->sasl, mech, initial ? ir.s : NULL,
                               initial ? ir.len : 0, &out, &done);
    if (!r)
        r = pop3d_sasl_exchange(s, &out, done, why);
    else
        *why = sasl_glue_errdetail(s->sasl);
done:
    buf_free(&out);
    buf_free(&ir);
    return r;
}

void pop3d_cmd_auth(struct pop3d_session *s, const char *args)
{
    char *mech, *initial;
    const char *why = "";
    int r;

    pop3d_parse_auth(args, &mech, &initial);
    if (!*mech) {
        pop3d_auth_list(s);
        goto done;
    }
    if (server_common_sasl("pop", SERVER_SASL_MECHS, s->prot, &s->sasl)) {
        pop3d_err(s, "[SYS/TEMP] Authentication is unavailable");
        goto done;
    }
    if (pop3d_login_locked(s, mech, NULL))
        goto done;
    r = pop3d_auth_run(s, mech, initial, &why);
    if (s->state == POP3D_DONE)
        goto done;
    if (r == ERR_NOTSUPP || r == ERR_NOTFOUND) {
        pop3d_err(s, "Mechanism %s is not available", mech);
    } else if (r == ERR_AGAIN && !strcmp(why, "cancelled")) {
        pop3d_err(s, "Authentication cancelled");
    } else if ((!r || sasl_glue_username(s->sasl)) &&
               pop3d_login_locked(s, mech, sasl_glue_username(s->sasl))) {
        /* SASL knows who it was now: a locked-out name is refused even
         * with the right password. */
    } else if (r) {
        pop3d_login_failed(s, mech, sasl_glue_username(s->sasl), why,
                           sasl_glue_authz_refused(s->sasl));
    } else if (!pop3d_login_complete(s, sasl_glue_username(s->sasl),
                                     sasl_glue_authid(s->sasl), mech)) {
        /* A negotiated security layer starts right after our +OK. */
        if (sasl_glue_ssf(s->sasl) > 0) {
            prot_flush(s->prot);
            sasl_glue_set_layer(s->prot, &s->sasl);
        } else {
            server_common_sasl_release(&s->sasl);
        }
        goto done;
    }
    pop3d_sasl_renew(s);
done:
    free(mech);
}

void pop3d_cmd_stls(struct pop3d_session *s, const char *args)
{
    struct buf err = BUF_INITIALIZER;

    if (*args) {
        pop3d_err(s, "Unexpected argument to STLS");
        return;
    }
    if (s->tls_on) {
        pop3d_err(s, "TLS is already active");
        return;
    }
    /* The context is built at the first STLS (server_common.h). */
    if (!s->tls && server_common_tls_configured())
        s->tls = server_common_tls_ctx();
    if (!s->tls) {
        pop3d_err(s, "TLS is not configured on this server");
        return;
    }
    pop3d_ok(s, "Begin TLS negotiation now");
    prot_flush(s->prot);
    if (tls_start_server(s->tls, s->prot, 60, &err)) {
        /* The stream is in an unknown state: nothing sensible remains. */
        log_warn("starttls failed: %s %s", s->clienthost, buf_cstring(&err));
        s->state = POP3D_DONE;
    } else {
        pop3d_tls_started(s);
        /* RFC 2595 4: forget what was said before TLS. */
        free(s->user);
        s->user = NULL;
    }
    buf_free(&err);
}
