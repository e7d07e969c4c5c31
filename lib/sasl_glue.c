/* sasl_glue.c -- Cyrus SASL behind lib/sasl_glue.h.
 *
 * SASL is process-global: the option callback and its rock live in one
 * static struct set by sasl_glue_server_init().  Everything per connection
 * lives in struct sasl_glue, including the client's callback table and the
 * password SASL reads through it (wiped when freed).  The security layer is
 * a prot layer over sasl_encode/sasl_decode: output is cut into pieces of
 * at most SASL_MAXOUTBUF bytes (sasl_encode refuses more), input is fed to
 * sasl_decode, which reassembles packets itself and may return nothing
 * until a whole one has arrived.
 */
#include "config.h"

#include <string.h>
#include <stdlib.h>

#include <sasl/sasl.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/sasl_glue.h"
#include "lib/xmalloc.h"

/* SASL's callback table has one pointer type for all callbacks; going
 * through void (*)(void) keeps -Wcast-function-type quiet. */
#define SASL_GLUE_CB(fn) ((int (*)(void))(void (*)(void))(fn))

struct sasl_glue {
    sasl_conn_t *conn;
    int server;
    unsigned flags;
    unsigned tls_ssf;
    /* client only: what SASL's callbacks hand out */
    char *authid;
    sasl_secret_t *secret;
    size_t secret_size;
    int authz_refused;          /* the last step failed in the policy */
    sasl_callback_t callbacks[5];
};

static struct {
    sasl_glue_getopt_fn *getopt;
    void *rock;
    int server_up, client_up;
    int password_only;      /* server up with the auxprop plugins only */
    sasl_glue_canon_fn *canon;
    sasl_glue_authorize_fn *authorize;
    void *identity_rock;
} glue;

/* ---- process-wide setup ----------------------------------------------------- */

static int cb_getopt(void *context, const char *plugin_name,
                     const char *option, const char **result, unsigned *len)
{
    const char *v;

    (void)context, (void)plugin_name;
    if (!glue.getopt || !(v = glue.getopt(option, glue.rock)))
        return SASL_FAIL;
    *result = v;
    if (len)
        *len = (unsigned)strlen(v);
    return SASL_OK;
}

static int cb_log(void *context, int level, const char *message)
{
    int prio;

    (void)context;
    /* SASL_LOG_PASS traces carry passwords: never written anywhere. */
    if (level == SASL_LOG_PASS)
        return SASL_OK;
    switch (level) {
    case SASL_LOG_ERR:  prio = LOG_ERR; break;
    case SASL_LOG_FAIL: prio = LOG_NOTICE; break;
    case SASL_LOG_WARN: prio = LOG_WARNING; break;
    case SASL_LOG_NOTE: prio = LOG_NOTICE; break;
    default:            prio = LOG_DEBUG; break;
    }
    log_msg(prio, "SASL: %s", message ? message : "");
    return SASL_OK;
}

/* Is `file` (a plugin's path) "lib<name>.so..." for a name in the
 * space- or comma-separated list? */
static int plugin_named(const char *file, const char *list)
{
    const char *base = strrchr(file, '/');
    size_t n;

    base = base ? base + 1 : file;
    if (strncmp(base, "lib", 3))
        return 0;
    base += 3;
    while (*list) {
        n = strcspn(list, " \t,");
        if (n && !strncmp(base, list, n) && !strncmp(base + n, ".so", 3))
            return 1;
        list += n;
        list += strspn(list, " \t,");
    }
    return 0;
}

static const char *glue_option(const char *option)
{
    return glue.getopt ? glue.getopt(option, glue.rock) : NULL;
}

/* While glue.password_only: load only what a password check uses (SASL's
 * own file naming, libsasldb.so for "sasldb"): a canon_user_plugin, and
 * when pwcheck_method uses auxprop (SASL's default) the auxprop_plugin;
 * with auxprop_plugin unset SASL may use any plugin, so all load. */
static int cb_verifyfile(void *context, const char *file,
                         sasl_verify_type_t type)
{
    const char *pwcheck = glue_option("pwcheck_method");
    const char *auxprop = glue_option("auxprop_plugin");
    const char *canon = glue_option("canon_user_plugin");

    (void)context;
    if (!glue.password_only || type != SASL_VRFY_PLUGIN)
        return SASL_OK;
    if (canon && plugin_named(file, canon))
        return SASL_OK;
    if (pwcheck && !strstr(pwcheck, "auxprop"))
        return SASL_CONTINUE;
    if (!auxprop || plugin_named(file, auxprop))
        return SASL_OK;
    return SASL_CONTINUE;
}

static const sasl_callback_t global_callbacks[] = {
    { SASL_CB_GETOPT, SASL_GLUE_CB(cb_getopt), NULL },
    { SASL_CB_LOG, SASL_GLUE_CB(cb_log), NULL },
    { SASL_CB_VERIFYFILE, SASL_GLUE_CB(cb_verifyfile), NULL },
    { SASL_CB_LIST_END, NULL, NULL },
};

static int server_start(const char *appname, sasl_glue_getopt_fn *getopt,
                        void *rock, int password_only)
{
    int sr;

    glue.getopt = getopt;
    glue.rock = rock;
    if (glue.server_up && (password_only || !glue.password_only))
        return ERR_OK;
    if (glue.server_up) {
        /* From password-only to everything: SASL loads plugins only in
         * sasl_server_init, so start it again. */
        sasl_server_done();
        glue.server_up = 0;
    }
    glue.password_only = password_only;
    if ((sr = sasl_server_init(global_callbacks, appname)) != SASL_OK) {
        log_error("SASL server init failed: %s",
                  sasl_errstring(sr, NULL, NULL));
        glue.password_only = 0;
        return ERR_INTERNAL;
    }
    glue.server_up = 1;
    return ERR_OK;
}

int sasl_glue_server_init(const char *appname, sasl_glue_getopt_fn *getopt,
                          void *rock)
{
    return server_start(appname, getopt, rock, 0);
}

int sasl_glue_server_init_checkpass(const char *appname,
                                    sasl_glue_getopt_fn *getopt, void *rock)
{
    return server_start(appname, getopt, rock, 1);
}

int sasl_glue_server_mechs_loaded(void)
{
    return glue.server_up && !glue.password_only;
}

int sasl_glue_client_init(void)
{
    int sr;

    if (glue.client_up)
        return ERR_OK;
    if ((sr = sasl_client_init(global_callbacks)) != SASL_OK) {
        log_error("SASL client init failed: %s",
                  sasl_errstring(sr, NULL, NULL));
        return ERR_INTERNAL;
    }
    glue.client_up = 1;
    return ERR_OK;
}

void sasl_glue_done(void)
{
    if (glue.server_up)
        sasl_server_done();
    if (glue.client_up)
        sasl_client_done();
    glue.server_up = glue.client_up = glue.password_only = 0;
}

/* ---- the server's identity rules --------------------------------------------- */

void sasl_glue_set_identity(sasl_glue_canon_fn *canon,
                            sasl_glue_authorize_fn *authorize, void *rock)
{
    glue.canon = canon;
    glue.authorize = authorize;
    glue.identity_rock = rock;
}

static int cb_canon_user(sasl_conn_t *conn, void *context, const char *in,
                         unsigned inlen, unsigned flags,
                         const char *user_realm, char *out, unsigned out_max,
                         unsigned *out_len)
{
    struct buf canon = BUF_INITIALIZER;
    int sr = SASL_OK;

    (void)context, (void)flags, (void)user_realm;
    if (!inlen && in)
        inlen = (unsigned)strlen(in);
    if (glue.canon(in, inlen, &canon, glue.identity_rock)) {
        sasl_seterror(conn, SASL_NOLOG, "user name refused by the server's "
                      "identity rules");
        sr = SASL_BADAUTH;
    } else if (canon.len >= out_max) {
        sr = SASL_BUFOVER;
    } else {
        memcpy(out, canon.s, canon.len);
        out[canon.len] = '\0';
        *out_len = (unsigned)canon.len;
    }
    buf_free(&canon);
    return sr;
}

static int cb_proxy_policy(sasl_conn_t *conn, void *context,
                           const char *requested_user, unsigned rlen,
                           const char *auth_identity, unsigned alen,
                           const char *def_realm, unsigned urlen,
                           struct propctx *propctx)
{
    struct sasl_glue *s = context;
    char *authzid = xstrndup(requested_user, rlen);
    char *authid = xstrndup(auth_identity, alen);
    int ok = glue.authorize(authid, authzid, glue.identity_rock);

    (void)def_realm, (void)urlen, (void)propctx;
    if (!ok) {
        s->authz_refused = 1;
        sasl_seterror(conn, SASL_NOLOG, "%s may not act as %s", authid,
                      authzid);
    }
    free(authzid);
    free(authid);
    return ok ? SASL_OK : SASL_NOAUTHZ;
}

/* The per-session callbacks of a server session: the identity hooks. */
static sasl_callback_t *server_callbacks(struct sasl_glue *s)
{
    size_t n = 0;

    if (glue.canon)
        s->callbacks[n++] = (sasl_callback_t){ SASL_CB_CANON_USER,
                                               SASL_GLUE_CB(cb_canon_user),
                                               s };
    if (glue.authorize)
        s->callbacks[n++] = (sasl_callback_t){ SASL_CB_PROXY_POLICY,
                                               SASL_GLUE_CB(cb_proxy_policy),
                                               s };
    s->callbacks[n] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
    return s->callbacks;
}

/* ---- sessions ----------------------------------------------------------------- */

static int map_error(int sr)
{
    switch (sr) {
    case SASL_OK:
    case SASL_CONTINUE:
        return ERR_OK;
    case SASL_BADAUTH: case SASL_NOUSER: case SASL_NOAUTHZ:
    case SASL_EXPIRED: case SASL_DISABLED: case SASL_NOVERIFY:
    case SASL_WRONGMECH:
        return ERR_PERM;
    case SASL_NOMECH: case SASL_TOOWEAK: case SASL_ENCRYPT:
    case SASL_TRANS:
        return ERR_NOTSUPP;
    case SASL_BADPROT: case SASL_BADSERV: case SASL_BADPARAM:
        return ERR_PROTOCOL;
    case SASL_TRYAGAIN: case SASL_UNAVAIL:
        return ERR_AGAIN;
    case SASL_NOMEM:
        return ERR_NOMEM;
    default:
        return ERR_INTERNAL;
    }
}

/* The security properties follow the flags and whether TLS is on: once TLS
 * protects the connection a password may travel inside it. */
static int set_secprops(struct sasl_glue *s, unsigned min_ssf,
                        unsigned max_ssf)
{
    sasl_security_properties_t sp;

    memset(&sp, 0, sizeof(sp));
    sp.min_ssf = min_ssf;
    sp.max_ssf = max_ssf;
    sp.maxbufsize = SASL_GLUE_MAXBUF;
    if (s->server && !(s->flags & SASL_GLUE_PLAINTEXT) && s->tls_ssf <= 1)
        sp.security_flags |= SASL_SEC_NOPLAINTEXT;
    if (s->server && !(s->flags & SASL_GLUE_ANONYMOUS))
        sp.security_flags |= SASL_SEC_NOANONYMOUS;
    return map_error(sasl_setprop(s->conn, SASL_SEC_PROPS, &sp));
}

int sasl_glue_server_new(const char *service, const char *server_fqdn,
                         const char *user_realm, const char *local_addr,
                         const char *remote_addr, unsigned flags,
                         struct sasl_glue **sess_r)
{
    struct sasl_glue *s;
    int sr, r;

    *sess_r = NULL;
    if (!glue.server_up || !service || !server_fqdn)
        return ERR_BADARG;
    s = xzmalloc(sizeof(*s));
    s->server = 1;
    s->flags = flags;
    sr = sasl_server_new(service, server_fqdn, user_realm, local_addr,
                         remote_addr, server_callbacks(s), 0, &s->conn);
    if (sr != SASL_OK) {
        log_error("SASL session failed: service=<%s> error=<%s>", service,
                  sasl_errstring(sr, NULL, NULL));
        free(s);
        return sr == SASL_BADPARAM ? ERR_BADARG : ERR_INTERNAL;
    }
    if ((r = set_secprops(s, 0, 256))) {
        sasl_glue_free(&s);
        return r;
    }
    *sess_r = s;
    return ERR_OK;
}

int sasl_glue_set_tls(struct sasl_glue *s, unsigned ssf, const char *auth_id)
{
    sasl_ssf_t ext = ssf;
    int r;

    if (!s->server)
        return ERR_BADARG;
    if ((r = map_error(sasl_setprop(s->conn, SASL_SSF_EXTERNAL, &ext))) ||
        (r = map_error(sasl_setprop(s->conn, SASL_AUTH_EXTERNAL, auth_id))))
        return r;
    s->tls_ssf = ssf;
    return set_secprops(s, 0, 256);
}

int sasl_glue_plaintext_allowed(const struct sasl_glue *s)
{
    return (s->flags & SASL_GLUE_PLAINTEXT) || s->tls_ssf > 1;
}

int sasl_glue_mechlist(struct sasl_glue *s, const char *item_prefix,
                       struct buf *list)
{
    struct buf sep = BUF_INITIALIZER;
    const char *result = NULL;
    unsigned len = 0;
    int count = 0, sr;

    buf_reset(list);
    buf_putc(&sep, ' ');
    buf_appendcstr(&sep, item_prefix);
    sr = sasl_listmech(s->conn, NULL, item_prefix, buf_cstring(&sep), "",
                       &result, &len, &count);
    buf_free(&sep);
    /* No usable mechanism is an empty list, not an error. */
    if (sr == SASL_NOMECH)
        return ERR_OK;
    if (sr != SASL_OK)
        return map_error(sr);
    if (count > 0)
        buf_setmap(list, result, len);
    return ERR_OK;
}

/* Common tail of every start/step call. */
static int step_result(struct sasl_glue *s, int sr, const char *out,
                       unsigned outlen, struct buf *outbuf, int *done_r)
{
    buf_reset(outbuf);
    *done_r = 0;
    /* Only the policy callback sets the flag; any other failure clears
     * what an earlier attempt left. */
    if (sr != SASL_NOAUTHZ)
        s->authz_refused = 0;
    if (sr != SASL_OK && sr != SASL_CONTINUE) {
        if (sr == SASL_INTERACT)
            log_error("SASL needs a value no callback provides: %s",
                      sasl_errdetail(s->conn));
        return map_error(sr);
    }
    if (out)
        buf_setmap(outbuf, out, outlen);
    *done_r = sr == SASL_OK;
    return ERR_OK;
}

/* SASL takes lengths as unsigned; a bigger input is not a real exchange. */
static int check_len(size_t inlen)
{
    return inlen > SASL_GLUE_MAXBUF * 16 ? ERR_TOOBIG : ERR_OK;
}

int sasl_glue_server_start(struct sasl_glue *s, const char *mech,
                           const void *in, size_t inlen, struct buf *out,
                           int *done_r)
{
    const char *sout = NULL;
    unsigned soutlen = 0;
    int sr;

    *done_r = 0;
    buf_reset(out);
    if (!s->server || !mech)
        return ERR_BADARG;
    if (check_len(inlen))
        return ERR_TOOBIG;
    s->authz_refused = 0;
    sr = sasl_server_start(s->conn, mech, in, (unsigned)inlen, &sout,
                           &soutlen);
    return step_result(s, sr, sout, soutlen, out, done_r);
}

int sasl_glue_server_step(struct sasl_glue *s, const void *in, size_t inlen,
                          struct buf *out, int *done_r)
{
    const char *sout = NULL;
    unsigned soutlen = 0;
    int sr;

    *done_r = 0;
    buf_reset(out);
    if (!s->server)
        return ERR_BADARG;
    if (check_len(inlen))
        return ERR_TOOBIG;
    sr = sasl_server_step(s->conn, in ? in : "", (unsigned)inlen, &sout,
                          &soutlen);
    return step_result(s, sr, sout, soutlen, out, done_r);
}

int sasl_glue_checkpass(struct sasl_glue *s, const char *user,
                        const char *password)
{
    size_t ulen, plen;

    if (!s->server || !user || !password)
        return ERR_BADARG;
    if (!sasl_glue_plaintext_allowed(s))
        return ERR_NOTSUPP;
    ulen = strlen(user);
    plen = strlen(password);
    if (ulen == 0 || check_len(ulen) || check_len(plen))
        return ERR_PERM;
    return map_error(sasl_checkpass(s->conn, user, (unsigned)ulen, password,
                                    (unsigned)plen));
}

int sasl_glue_apop_available(struct sasl_glue *s)
{
    /* SASL answers OK to a NULL challenge when it can check APOP: the
     * library was built with it and the password store keeps passwords
     * (sasldb does, saslauthd does not). */
    return s->server && sasl_checkapop(s->conn, NULL, 0, NULL, 0) == SASL_OK;
}

int sasl_glue_checkapop(struct sasl_glue *s, const char *challenge,
                        const char *response)
{
    size_t clen, rlen;

    if (!s->server || !challenge || !response)
        return ERR_BADARG;
    clen = strlen(challenge);
    rlen = strlen(response);
    if (!clen || !rlen || check_len(clen) || check_len(rlen))
        return ERR_PERM;
    return map_error(sasl_checkapop(s->conn, challenge, (unsigned)clen,
                                    response, (unsigned)rlen));
}

const char *sasl_glue_username(struct sasl_glue *s)
{
    const void *v = NULL;

    if (sasl_getprop(s->conn, SASL_USERNAME, &v) != SASL_OK)
        return NULL;
    return v;
}

const char *sasl_glue_authid(struct sasl_glue *s)
{
    const void *v = NULL;

    if (sasl_getprop(s->conn, SASL_AUTHUSER, &v) != SASL_OK)
        return NULL;
    return v;
}

int sasl_glue_authz_refused(const struct sasl_glue *s)
{
    return s && s->authz_refused;
}

unsigned sasl_glue_ssf(struct sasl_glue *s)
{
    const void *v = NULL;

    if (sasl_getprop(s->conn, SASL_SSF, &v) != SASL_OK || !v)
        return 0;
    return *(const sasl_ssf_t *)v;
}

const char *sasl_glue_errdetail(struct sasl_glue *s)
{
    const char *d = s && s->conn ? sasl_errdetail(s->conn) : NULL;
    return d ? d : "no detail";
}

void sasl_glue_free(struct sasl_glue **sp)
{
    struct sasl_glue *s = sp ? *sp : NULL;

    if (!s)
        return;
    if (s->conn)
        sasl_dispose(&s->conn);
    if (s->secret) {
        /* The password should not linger in a core file. */
        explicit_bzero(s->secret, s->secret_size);
        free(s->secret);
    }
    free(s->authid);
    free(s);
    *sp = NULL;
}

/* ---- the client side ------------------------------------------------------------ */

static int cb_simple(void *context, int id, const char **result,
                     unsigned *len)
{
    struct sasl_glue *s = context;

    if (id != SASL_CB_AUTHNAME && id != SASL_CB_USER)
        return SASL_BADPARAM;
    /* The authorization identity is the authentication identity. */
    *result = s->authid;
    if (len)
        *len = (unsigned)strlen(s->authid);
    return SASL_OK;
}

static int cb_pass(sasl_conn_t *conn, void *context, int id,
                   sasl_secret_t **psecret)
{
    struct sasl_glue *s = context;

    (void)conn;
    if (id != SASL_CB_PASS)
        return SASL_BADPARAM;
    *psecret = s->secret;
    return SASL_OK;
}

static int cb_realm(void *context, int id, const char **availrealms,
                    const char **result)
{
    (void)context;
    if (id != SASL_CB_GETREALM)
        return SASL_BADPARAM;
    *result = availrealms && availrealms[0] ? availrealms[0] : "";
    return SASL_OK;
}

static void client_callbacks(struct sasl_glue *s)
{
    const sasl_callback_t cbs[] = {
        { SASL_CB_AUTHNAME, SASL_GLUE_CB(cb_simple), s },
        { SASL_CB_USER, SASL_GLUE_CB(cb_simple), s },
        { SASL_CB_PASS, SASL_GLUE_CB(cb_pass), s },
        { SASL_CB_GETREALM, SASL_GLUE_CB(cb_realm), s },
        { SASL_CB_LIST_END, NULL, NULL },
    };
    memcpy(s->callbacks, cbs, sizeof(cbs));
}

int sasl_glue_client_new(const char *service, const char *server_fqdn,
                         const char *authid, const char *password,
                         unsigned min_ssf, unsigned max_ssf,
                         struct sasl_glue **sess_r)
{
    struct sasl_glue *s;
    size_t plen;
    int sr, r;

    *sess_r = NULL;
    if (!glue.client_up || !service || !server_fqdn || !authid ||
        !password || min_ssf > max_ssf)
        return ERR_BADARG;
    s = xzmalloc(sizeof(*s));
    s->authid = xstrdup(authid);
    plen = strlen(password);
    s->secret_size = xmalloc_add(sizeof(sasl_secret_t), plen);
    s->secret = xzmalloc(s->secret_size);
    s->secret->len = plen;
    memcpy(s->secret->data, password, plen);
    client_callbacks(s);
    sr = sasl_client_new(service, server_fqdn, NULL, NULL, s->callbacks, 0,
                         &s->conn);
    if (sr != SASL_OK) {
        log_error("SASL client session failed: %s",
                  sasl_errstring(sr, NULL, NULL));
        sasl_glue_free(&s);
        return ERR_INTERNAL;
    }
    if ((r = set_secprops(s, min_ssf, max_ssf))) {
        sasl_glue_free(&s);
        return r;
    }
    *sess_r = s;
    return ERR_OK;
}

int sasl_glue_client_start(struct sasl_glue *s, const char *mechlist,
                           const char **mech_r, struct buf *out,
                           int *has_out_r, int *done_r)
{
    sasl_interact_t *need = NULL;
    const char *cout = NULL, *mech = NULL;
    unsigned coutlen = 0;
    int sr, r;

    *mech_r = NULL;
    *has_out_r = 0;
    *done_r = 0;
    buf_reset(out);
    if (s->server || !mechlist)
        return ERR_BADARG;
    sr = sasl_client_start(s->conn, mechlist, &need, &cout, &coutlen, &mech);
    if ((r = step_result(s, sr, cout, coutlen, out, done_r)))
        return r;
    *mech_r = mech;
    *has_out_r = cout != NULL;
    return ERR_OK;
}

int sasl_glue_client_step(struct sasl_glue *s, const void *in, size_t inlen,
                          struct buf *out, int *done_r)
{
    sasl_interact_t *need = NULL;
    const char *cout = NULL;
    unsigned coutlen = 0;
    int sr;

    *done_r = 0;
    buf_reset(out);
    if (s->server)
        return ERR_BADARG;
    if (check_len(inlen))
        return ERR_TOOBIG;
    sr = sasl_client_step(s->conn, in ? in : "", (unsigned)inlen, &need,
                          &cout, &coutlen);
    return step_result(s, sr, cout, coutlen, out, done_r);
}

/* ---- the security layer ---------------------------------------------------------- */

struct sasl_layer {
    struct sasl_glue *sess;
    unsigned maxout;            /* largest input to one sasl_encode */
    struct buf decoded;         /* decoded[pos..len) not yet read */
    size_t pos;
    char raw[4096];
};

static int layer_read(void *ctx, struct prot_stage *below, void *buf,
                      size_t size, size_t *n_r)
{
    struct sasl_layer *l = ctx;
    size_t n;
    int r;

    while (l->pos == l->decoded.len) {
        const char *out = NULL;
        unsigned outlen = 0;
        int sr;

        if ((r = prot_stage_read(below, l->raw, sizeof(l->raw), &n)))
            return r;
        sr = sasl_decode(l->sess->conn, l->raw, (unsigned)n, &out, &outlen);
        if (sr != SASL_OK) {
            log_notice("SASL security layer: cannot decode input: %s",
                       sasl_errdetail(l->sess->conn));
            return ERR_PROTOCOL;
        }
        /* A partial packet decodes to nothing yet: read on. */
        buf_setmap(&l->decoded, out, outlen);
        l->pos = 0;
    }
    n = l->decoded.len - l->pos;
    if (n > size)
        n = size;
    memcpy(buf, l->decoded.s + l->pos, n);
    l->pos += n;
    *n_r = n;
    return ERR_OK;
}

static int layer_write(void *ctx, struct prot_stage *below, const void *buf,
                       size_t n)
{
    struct sasl_layer *l = ctx;
    const char *p = buf;
    int r;

    while (n > 0) {
        size_t chunk = n < l->maxout ? n : l->maxout;
        const char *out = NULL;
        unsigned outlen = 0;
        int sr = sasl_encode(l->sess->conn, p, (unsigned)chunk, &out,
                             &outlen);

        if (sr != SASL_OK) {
            log_error("SASL security layer: cannot encode output: %s",
                      sasl_errdetail(l->sess->conn));
            return ERR_INTERNAL;
        }
        if ((r = prot_stage_write(below, out, outlen)))
            return r;
        p += chunk;
        n -= chunk;
    }
    return ERR_OK;
}

static size_t layer_pending(void *ctx)
{
    struct sasl_layer *l = ctx;
    return l->decoded.len - l->pos;
}

static void layer_free(void *ctx)
{
    struct sasl_layer *l = ctx;

    sasl_glue_free(&l->sess);
    buf_free(&l->decoded);
    free(l);
}

static const struct prot_layer sasl_layer_ops = {
    "sasl", layer_read, layer_write, layer_pending, layer_free, NULL
};

int sasl_glue_set_layer(struct prot *p, struct sasl_glue **sess)
{
    struct sasl_layer *l;
    const void *v = NULL;
    int r;

    if (!sess || !*sess || sasl_glue_ssf(*sess) == 0)
        return ERR_BADARG;
    if (sasl_getprop((*sess)->conn, SASL_MAXOUTBUF, &v) != SASL_OK || !v)
        return ERR_INTERNAL;
    l = xzmalloc(sizeof(*l));
    l->sess = *sess;
    l->maxout = *(const unsigned *)v;
    /* 0 would loop forever; SASL always reports a real size with a layer,
     * but a small safe value costs nothing. */
    if (l->maxout == 0)
        l->maxout = 1024;
    if ((r = prot_set_layer(p, &sasl_layer_ops, l))) {
        free(l);
        return r;
    }
    *sess = NULL;
    return ERR_OK;
}
