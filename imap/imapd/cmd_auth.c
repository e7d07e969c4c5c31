/* cmd_auth.c -- commands of any state and of the login phase:
 * CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), ENABLE (RFC 5161), STARTTLS,
 * LOGIN and AUTHENTICATE (with SASL-IR, RFC 4959).
 *
 * Failed logins are counted, delayed and logged by login_limit.h
 * ("badlogin: <host> <mech> <user> <reason>", SPEC.md); a user name or
 * client address locked out by too many failures is answered
 * NO [UNAVAILABLE] without a password check.  Successful logins are logged
 * at notice.  Plaintext passwords are refused before TLS unless
 * allowplaintext is set (LOGINDISABLED is then advertised).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/sasl_glue.h"
#include "lib/strarray.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/server/procinfo.h"
#include "imap/mailstore/quota.h"
#include "imap/server/login_limit.h"
#include "imap/server/server_common.h"

void cmd_capability(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf caps = BUF_INITIALIZER;
    imapd_capabilities(s, &caps);
    prot_printf(s->prot, "* CAPABILITY %s\r\n", buf_cstring(&caps));
    imapd_tagged_ok(s, c->tag, "Completed");
    buf_free(&caps);
}

void cmd_noop(struct imapd_session *s, const struct imapd_command *c)
{
    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected extra arguments to NOOP");
        return;
    }
    if (s->index)
        imapd_check_updates(s, 1);
    imapd_tagged_ok(s, c->tag, "Completed");
}

void cmd_logout(struct imapd_session *s, const struct imapd_command *c)
{
    prot_puts(s->prot, "* BYE Chapar IMAP server signing off\r\n");
    imapd_tagged_ok(s, c->tag, "Completed");
    s->state = IMAPD_LOGOUT;
}

/* ID (RFC 2971).  The client's list is checked as section 3.3 asks (at
 * most 30 pairs, field strings of at most 30 octets, values of at most
 * 1024 or NIL) and logged at info.  The answer names the server, its
 * version (configure's PACKAGE_VERSION) and vendor.  Cyrus also sends
 * support-url, os and os-version (uname) and environment (library
 * versions) by default; Chapar does not: they tell anyone, before login,
 * which kernel and libraries to attack (RFC 2971 7), and no client needs
 * them. */
#define ID_MAX_PAIRS 30
#define ID_MAX_FIELD 30
#define ID_MAX_VALUE 1024

static const char *id_check(const struct imap_arg *list, size_t n,
                            struct buf *logline)
{
    if (n % 2)
        return "ID needs field and value pairs";
    if (n / 2 > ID_MAX_PAIRS)
        return "Too many ID fields (at most 30)";
    for (size_t i = 0; i < n; i += 2) {
        const char *field, *value;
        if (!imap_arg_get_string(&list[i], &field) ||
            !imap_arg_get_nstring(&list[i + 1], &value))
            return "Invalid ID field or value";
        if (strlen(field) > ID_MAX_FIELD)
            return "ID field longer than 30 octets";
        if (value && strlen(value) > ID_MAX_VALUE)
            return "ID value longer than 1024 octets";
        buf_printf(logline, " \"%s\" %s%s%s", field, value ? "\"" : "",
                   value ? value : "NIL", value ? "\"" : "");
    }
    return NULL;
}

void cmd_id(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf logline = BUF_INITIALIZER;
    const struct imap_arg *list = NULL;
    const char *why = NULL;
    size_t n = 0;

    if (c->nargs != 1 || (c->args[0].type != IMAP_ARG_NIL &&
                          !imap_arg_get_list(&c->args[0], &list, &n)))
        why = "Invalid ID arguments";
    else if (list)
        why = id_check(list, n, &logline);
    if (why) {
        imapd_tagged_bad(s, c->tag, "%s", why);
        buf_free(&logline);
        return;
    }
    log_info("id: %s%s", s->clienthost,
             logline.len ? buf_cstring(&logline) : " NIL");
    prot_printf(s->prot, "* ID (\"name\" \"Chapar\" \"version\" \"%s\" "
                "\"vendor\" \"Chapar\")\r\n", PACKAGE_VERSION);
    imapd_tagged_ok(s, c->tag, "Completed");
    buf_free(&logline);
}

void cmd_enable(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf enabled = BUF_INITIALIZER;
    const char *atom;

    if (!c->nargs) {
        imapd_tagged_bad(s, c->tag, "Missing capability to ENABLE");
        return;
    }
    for (size_t i = 0; i < c->nargs; i++) {
        if (!imap_arg_get_atom(&c->args[i], &atom)) {
            imapd_tagged_bad(s, c->tag, "Invalid ENABLE argument");
            buf_free(&enabled);
            return;
        }
        if (!strcasecmp(atom, "CONDSTORE") && !s->condstore_enabled) {
            s->condstore_enabled = 1;
            if (s->index)
                index_set_condstore(s->index, 1);
            buf_appendcstr(&enabled, " CONDSTORE");
        }
        /* QRESYNC implies CONDSTORE (RFC 7162 3.2.3), which then needs
         * no ENABLED of its own */
        if (!strcasecmp(atom, "QRESYNC") && !s->qresync_enabled) {
            s->qresync_enabled = s->condstore_enabled = 1;
            if (s->index)
                index_set_qresync(s->index);
            buf_appendcstr(&enabled, " QRESYNC");
        }
    }
    prot_printf(s->prot, "* ENABLED%s\r\n", buf_cstring(&enabled));
    imapd_tagged_ok(s, c->tag, "Completed");
    buf_free(&enabled);
}

/* autocreatequota != 0: a user without an INBOX gets one at first login
 * (with that quota in KB when positive; unlimited when negative), with
 * the autocreate_inbox_folders (mboxlist_autocreate_user()). */
static void imapd_autocreate_inbox(struct imapd_session *s)
{
    long long q = conf_getint(CONF_AUTOCREATEQUOTA);

    if (!q || s->is_admin || mboxname_validate_userid(s->userid))
        return;
    mboxlist_autocreate_user(s->userid, s->auth, q);
}

void imapd_login_complete(struct imapd_session *s, const char *userid,
                          const char *authid, const char *mech)
{
    s->userid = xstrdup(userid);
    s->is_admin = auth_userid_is_admin(userid);
    s->auth = auth_new(userid, s->is_admin);
    s->state = IMAPD_AUTH;
    login_limit_succeeded(userid);
    /* The pre-login deadline (logintimeout) is over; now idle time counts. */
    prot_set_deadline(s->prot, 0);
    prot_set_timeout(s->prot, (int)conf_getint(CONF_TIMEOUT) * 60);
    /* A session idle for a second gives back what its last command left
     * dirty (an idle authenticated imapd: 259 -> 221 kB private). */
    prot_set_idle(s->prot, 1000, util_release_idle_memory);
    {
        struct imap_parser_limits limits;
        imapd_parser_limits(&limits, 1);
        imap_parser_set_limits(s->parser, &limits);
    }
    if (authid && strcmp(authid, userid))
        log_notice("login: %s %s %s%s%s as %s by %s", s->clienthost, userid,
                   mech, s->tls_on ? " TLS" : "",
                   s->is_admin ? " admin" : "", userid, authid);
    else
        log_notice("login: %s %s %s%s%s", s->clienthost, userid, mech,
                   s->tls_on ? " TLS" : "", s->is_admin ? " admin" : "");
    imapd_autocreate_inbox(s);
    procinfo_login(userid, s->prot);
}

/* authz: the password was right but the authorization identity was
 * refused (RFC 5530 AUTHORIZATIONFAILED). */
static void imapd_login_failed(struct imapd_session *s, const char *tag,
                               const char *mech, const char *user,
                               const char *reason, int authz)
{
    s->failed_logins++;
    /* Counted, logged and delayed across every connection. */
    login_limit_failed(s->clienthost, mech, user, reason);
    if (authz)
        imapd_tagged_no(s, tag, "[AUTHORIZATIONFAILED] Not authorized to "
                                "act as that user");
    else
        imapd_tagged_no(s, tag, "[AUTHENTICATIONFAILED] Authentication "
                                "failed");
}

/* login_limit_check() for user (NULL: the client address only); on a
 * refusal answers it and returns 1. */
static int imapd_login_locked(struct imapd_session *s, const char *tag,
                              const char *mech, const char *user)
{
    if (!login_limit_check(s->clienthost, mech, user))
        return 0;
    imapd_tagged_no(s, tag, "[UNAVAILABLE] Too many failed logins; try "
                            "again later");
    return 1;
}

static void imapd_login_ok(struct imapd_session *s, const char *tag)
{
    struct buf caps = BUF_INITIALIZER;
    imapd_capabilities(s, &caps);
    imapd_tagged_ok(s, tag, "[CAPABILITY %s] User logged in",
                    buf_cstring(&caps));
    buf_free(&caps);
}

void cmd_login(struct imapd_session *s, const struct imapd_command *c)
{
    const char *user, *pass;
    char *canon;
    int r;

    if (c->nargs != 2 || !imap_arg_get_astring(&c->args[0], &user) ||
        !imap_arg_get_astring(&c->args[1], &pass)) {
        imapd_tagged_bad(s, c->tag, "LOGIN needs a user name and a password");
        return;
    }
    /* allowanonymouslogin: "anonymous" with any password (an email
     * address by custom) gets the anonymous identity. */
    if (!strcasecmp(user, "anonymous")) {
        if (!conf_getswitch(CONF_ALLOWANONYMOUSLOGIN)) {
            imapd_login_failed(s, c->tag, "plaintext", user,
                               "anonymous login disabled", 0);
            return;
        }
        imapd_login_complete(s, "anonymous", NULL, "anonymous");
        server_common_sasl_release(&s->sasl);
        imapd_login_ok(s, c->tag);
        return;
    }
    /* A password check needs SASL's password store, no mechanism. */
    if (!server_common_plaintext_allowed(s->tls_on) ||
        server_common_sasl("imap", SERVER_SASL_PASSWORD, s->prot, &s->sasl)) {
        imapd_tagged_no(s, c->tag, "[PRIVACYREQUIRED] Plaintext login is "
                                   "disabled; use STARTTLS first");
        return;
    }
    if (imapd_login_locked(s, c->tag, "plaintext", user))
        return;
    r = sasl_glue_checkpass(s->sasl, user, pass);
    if (r || !sasl_glue_username(s->sasl)) {
        imapd_login_failed(s, c->tag, "plaintext", user,
                           sasl_glue_errdetail(s->sasl), 0);
        return;
    }
    /* The session is SASL's canonical name (auth.h), never the client's
     * string.  Released before the login opens the databases, which then
     * reuse SASL's memory. */
    canon = xstrdup(sasl_glue_username(s->sasl));
    server_common_sasl_release(&s->sasl);
    imapd_login_complete(s, canon, NULL, "plaintext");
    free(canon);
    if (!s->tls_on && conf_getint(CONF_PLAINTEXTLOGINPAUSE) > 0)
        sleep((unsigned)conf_getint(CONF_PLAINTEXTLOGINPAUSE));
    imapd_login_ok(s, c->tag);
}

/* The challenge/response rounds of AUTHENTICATE; ERR_OK when done. */
static int imapd_sasl_exchange(struct imapd_session *s, struct buf *out,
                               int done, const char **why)
{
    struct buf line = BUF_INITIALIZER, in = BUF_INITIALIZER;
    int r = ERR_OK;

    while (!done) {
        prot_puts(s->prot, "+ ");
        base64_encode(out->s, out->len, &line);
        prot_write(s->prot, line.s, line.len);
        buf_reset(&line);
        prot_puts(s->prot, "\r\n");
        prot_flush(s->prot);
        if ((r = prot_readline(s->prot, &line))) {
            *why = "connection lost";
            break;
        }
        if (line.len == 1 && line.s[0] == '*') {
            *why = "cancelled";
            r = ERR_AGAIN;
            break;
        }
        if (base64_decode(line.s, line.len, &in)) {
            *why = "invalid base64";
            r = ERR_BADARG;
            break;
        }
        buf_reset(&line);
        r = sasl_glue_server_step(s->sasl, in.s, in.len, out, &done);
        if (r) {
            *why = sasl_glue_errdetail(s->sasl);
            break;
        }
    }
    buf_free(&line);
    buf_free(&in);
    return r;
}

void cmd_authenticate(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf out = BUF_INITIALIZER, ir = BUF_INITIALIZER;
    const char *mech, *initial = NULL, *why = "";
    int done = 0, r;

    if (c->nargs < 1 || c->nargs > 2 ||
        !imap_arg_get_atom(&c->args[0], &mech) ||
        (c->nargs == 2 && !imap_arg_get_atom(&c->args[1], &initial))) {
        imapd_tagged_bad(s, c->tag, "AUTHENTICATE needs a mechanism");
        return;
    }
    if (server_common_sasl("imap", SERVER_SASL_MECHS, s->prot, &s->sasl)) {
        imapd_tagged_no(s, c->tag, "Authentication is unavailable");
        return;
    }
    if (imapd_login_locked(s, c->tag, mech, NULL))
        return;
    if (initial && strcmp(initial, "=") &&
        base64_decode(initial, strlen(initial), &ir)) {
        imapd_tagged_bad(s, c->tag, "Invalid base64 in initial response");
        goto done;
    }
    r = sasl_glue_server_start(s->sasl, mech, initial ? ir.s : NULL,
                               initial ? ir.len : 0, &out, &done);
    if (r == ERR_NOTSUPP || r == ERR_NOTFOUND) {
        imapd_tagged_no(s, c->tag, "[CANNOT] Mechanism %s is not available",
                        mech);
        goto done;
    }
    if (!r)
        r = imapd_sasl_exchange(s, &out, done, &why);
    else
        why = sasl_glue_errdetail(s->sasl);
    if (r == ERR_AGAIN && !strcmp(why, "cancelled")) {
        imapd_tagged_bad(s, c->tag, "Authentication cancelled");
        goto done;
    }
    /* Now SASL knows who it was: a locked-out name is refused even with
     * the right password. */
    if ((!r || sasl_glue_username(s->sasl)) &&
        imapd_login_locked(s, c->tag, mech, sasl_glue_username(s->sasl))) {
        if (!r)
            server_common_sasl_release(&s->sasl);
        goto done;
    }
    if (r) {
        imapd_login_failed(s, c->tag, mech, sasl_glue_username(s->sasl), why,
                           sasl_glue_authz_refused(s->sasl));
        goto done;
    }
    imapd_login_complete(s, sasl_glue_username(s->sasl),
                         sasl_glue_authid(s->sasl), mech);
    imapd_login_ok(s, c->tag);
    /* A negotiated security layer starts right after our OK; without one
     * SASL is done with. */
    if (sasl_glue_ssf(s->sasl) > 0) {
        prot_flush(s->prot);
        sasl_glue_set_layer(s->prot, &s->sasl);
    } else {
        server_common_sasl_release(&s->sasl);
    }
done:
    buf_free(&out);
    buf_free(&ir);
}

/* UNAUTHENTICATE (RFC 8437): back to the not authenticated state with
 * nothing of the login left: the selected mailbox is closed without
 * expunge (as UNSELECT), ENABLEd extensions are off, the identity, the
 * admin flag, the telemetry and the proc file's user go, and the
 * pre-login limits and deadline apply again.  TLS stays.  A SASL
 * security layer cannot be taken off the stream (RFC 8437 3 lets the
 * server refuse then): NO [CANNOT] and nothing changes. */
void cmd_unauthenticate(struct imapd_session *s,
                        const struct imapd_command *c)
{
    struct imap_parser_limits limits;

    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to UNAUTHENTICATE");
        return;
    }
    if (s->sasl && sasl_glue_ssf(s->sasl) > 0) {
        imapd_tagged_no(s, c->tag, "[CANNOT] A SASL security layer is in "
                                   "use");
        return;
    }
    imapd_unselect(s);
    log_notice("unauthenticate: %s user=<%s>", s->clienthost, s->userid);
    procinfo_logout(s->prot);
    auth_free(&s->auth);
    free(s->userid);
    s->userid = NULL;
    s->is_admin = 0;
    s->condstore_enabled = 0;
    s->state = IMAPD_NOTAUTH;
    prot_set_idle(s->prot, 0, NULL);
    prot_set_timeout(s->prot, (int)conf_getint(CONF_LOGINTIMEOUT));
    prot_set_deadline(s->prot, (int)conf_getint(CONF_LOGINTIMEOUT));
    imapd_parser_limits(&limits, 0);
    imap_parser_set_limits(s->parser, &limits);
    imapd_tagged_ok(s, c->tag, "Completed");
}

void cmd_starttls(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf err = BUF_INITIALIZER;

    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to STARTTLS");
        return;
    }
    if (s->tls_on) {
        imapd_tagged_bad(s, c->tag, "TLS is already active");
        return;
    }
    /* The context is built at the first STARTTLS, or was before the
     * connection in a preforked worker (server_common.h). */
    if (!s->tls && server_common_tls_configured())
        s->tls = server_common_tls_ctx();
    if (!s->tls) {
        imapd_tagged_no(s, c->tag, "TLS is not configured on this server");
        return;
    }
    imapd_tagged_ok(s, c->tag, "Begin TLS negotiation now");
    prot_flush(s->prot);
    if (tls_start_server(s->tls, s->prot, 60, &err)) {
        /* The stream is in an unknown state: nothing sensible remains. */
        log_warn("starttls failed: %s %s", s->clienthost, buf_cstring(&err));
        s->state = IMAPD_LOGOUT;
    } else {
        imapd_tls_started(s);
    }
    buf_free(&err);
}
