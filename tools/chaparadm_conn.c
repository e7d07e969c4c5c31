/* chaparadm_conn.c -- chaparadm's connection: TCP, the greeting, STARTTLS
 * or implicit TLS, then SASL (AUTHENTICATE, with SASL-IR when offered) or
 * LOGIN.  Everything runs over lib/prot. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/error.h"
#include "lib/sasl_glue.h"
#include "lib/tls.h"
#include "tools/chaparadm_imap.h"
#include "tools/chaparadm_private.h"

#define TIMEOUT_S 120

static int tcp_connect(const char *host, const char *port, struct buf *err)
{
    struct addrinfo hints, *res, *ai;
    int fd = -1, gr, saved = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((gr = getaddrinfo(host, port, &hints, &res))) {
        buf_printf(err, "%s port %s: %s", host, port, gai_strerror(gr));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        buf_printf(err, "cannot connect to %s port %s: %s", host, port,
                   strerror(saved));
    freeaddrinfo(res);
    return fd;
}

static int start_tls(struct imapc *c, const struct imapc_opts *o,
                     struct buf *err)
{
    struct tls_ctx *ctx = NULL;
    int r;

    r = tls_client_ctx_new(o->cafile, o->cafile != NULL, o->tls_versions, &ctx,
                           err);
    if (!r)
        r = tls_start_client(ctx, c->p, o->host, TIMEOUT_S, err);
    tls_ctx_free(&ctx);
    if (r)
        return -1;
    c->tls = 1;
    return 0;
}

/* The greeting; fills the capabilities (asking for them if needed). */
static int greeting(struct imapc *c, struct buf *err)
{
    struct buf resp = BUF_INITIALIZER;
    int r = imapc_read_response(c, &resp);

    if (r || strncasecmp(resp.s, "* OK", 4)) {
        buf_printf(err, "bad greeting: %s",
                   r ? error_string(r) : buf_cstring(&resp));
        buf_free(&resp);
        return -1;
    }
    imapc_caps_from_text(c, resp.s + (resp.len > 5 ? 5 : resp.len));
    buf_free(&resp);
    return 0;
}

static int capability(struct imapc *c, struct buf *err)
{
    struct buf text = BUF_INITIALIZER;
    int r = 0;

    imapc_begin(c, "CAPABILITY");
    if (imapc_run(c, NULL, NULL, &text) != IMAPC_OK) {
        buf_printf(err, "CAPABILITY failed: %s", buf_cstring(&text));
        r = -1;
    }
    buf_free(&text);
    return r;
}

static int starttls_cmd(struct imapc *c, const struct imapc_opts *o,
                        struct buf *err)
{
    struct buf text = BUF_INITIALIZER;

    imapc_begin(c, "STARTTLS");
    if (imapc_run(c, NULL, NULL, &text) != IMAPC_OK) {
        buf_printf(err, "STARTTLS failed: %s", buf_cstring(&text));
        buf_free(&text);
        return -1;
    }
    buf_free(&text);
    if (start_tls(c, o, err))
        return -1;
    return capability(c, err);
}

/* The AUTH= mechanisms offered, space-separated. */
static void mechlist(const struct imapc *c, struct buf *out)
{
    size_t i;

    for (i = 0; i < c->caps.count; i++) {
        if (strncmp(c->caps.data[i], "AUTH=", 5))
            continue;
        if (out->len)
            buf_putc(out, ' ');
        buf_appendcstr(out, c->caps.data[i] + 5);
    }
    buf_cstring(out);
}

static void send_b64(struct imapc *c, const struct buf *data)
{
    struct buf enc = BUF_INITIALIZER;

    base64_encode(data->s, data->len, &enc);
    prot_write(c->p, enc.s, enc.len);
    prot_puts(c->p, "\r\n");
    prot_flush(c->p);
    buf_free(&enc);
}

/* The exchange after the AUTHENTICATE line: answer challenges until the
 * tagged response.  pending: an initial response not sent inline. */
static enum imapc_status sasl_exchange(struct imapc *c, struct sasl_glue *s,
                                       struct buf *pending, struct buf *text)
{
    struct buf resp = BUF_INITIALIZER, in = BUF_INITIALIZER;
    struct buf out = BUF_INITIALIZER;
    enum imapc_status st = IMAPC_FAIL;
    char tag[32];
    int done, r;

    snprintf(tag, sizeof(tag), "A%u ", c->tagn);
    while (!(r = imapc_read_response(c, &resp))) {
        if (resp.s[0] == '+') {
            const char *b = resp.len > 2 ? resp.s + 2 : "";
            if (pending) {
                send_b64(c, pending);
                pending = NULL;
            } else if (base64_decode(b, strlen(b), &in) ||
                       sasl_glue_client_step(s, in.s, in.len, &out,
                                             &done)) {
                prot_puts(c->p, "*\r\n");           /* cancel */
                prot_flush(c->p);
            } else
                send_b64(c, &out);
        } else if (!strncmp(resp.s, tag, strlen(tag))) {
            const char *t = resp.s + strlen(tag);
            st = !strncasecmp(t, "OK", 2) ? IMAPC_OK
               : !strncasecmp(t, "NO", 2) ? IMAPC_NO : IMAPC_BAD;
            buf_setcstr(text, strchr(t, ' ') ? strchr(t, ' ') + 1 : "");
            break;
        }
    }
    if (r)
        buf_printf(text, "connection lost (%s)", error_string(r));
    buf_free(&resp);
    buf_free(&in);
    buf_free(&out);
    return st;
}

/* AUTHENTICATE.  1: no mechanism fits (try LOGIN), 0: done, -1: failed. */
static int authenticate(struct imapc *c, const struct imapc_opts *o,
                        struct buf *err)
{
    struct buf list = BUF_INITIALIZER, out = BUF_INITIALIZER;
    struct buf text = BUF_INITIALIZER;
    struct sasl_glue *s = NULL;
    const char *mech;
    int has_out, done, r, ret = -1;
    enum imapc_status st;

    if (o->mech)
        buf_setcstr(&list, o->mech);
    else
        mechlist(c, &list);
    r = sasl_glue_client_init();
    if (!r)
        r = sasl_glue_client_new("imap", o->sasl_host, o->user, o->password,
                                 0, c->tls ? 0 : 256, &s);
    if (!r)
        r = sasl_glue_client_start(s, buf_cstring(&list), &mech, &out,
                                   &has_out, &done);
    if (r) {
        ret = (r == ERR_NOTSUPP && !o->mech) ? 1 : -1;
        if (ret < 0)
            buf_printf(err, "SASL: %s", error_string(r));
        goto out;
    }
    imapc_begin(c, "AUTHENTICATE");
    imapc_atom(c, mech);
    if (has_out && imapc_has_cap(c, "SASL-IR")) {
        struct buf enc = BUF_INITIALIZER;
        base64_encode(out.s, out.len, &enc);
        prot_printf(c->p, " %s", out.len ? buf_cstring(&enc) : "=");
        buf_free(&enc);
        has_out = 0;
    }
    prot_puts(c->p, "\r\n");
    st = sasl_exchange(c, s, has_out ? &out : NULL, &text);
    if (st != IMAPC_OK) {
        buf_printf(err, "authentication failed: %s", buf_cstring(&text));
        goto out;
    }
    imapc_caps_from_text(c, text.s);
    if (sasl_glue_ssf(s) > 0 && sasl_glue_set_layer(c->p, &s)) {
        buf_printf(err, "cannot install the SASL security layer");
        goto out;
    }
    ret = 0;
out:
    sasl_glue_free(&s);
    buf_free(&list);
    buf_free(&out);
    buf_free(&text);
    return ret;
}

static int login(struct imapc *c, const struct imapc_opts *o,
                 struct buf *err)
{
    struct buf text = BUF_INITIALIZER;
    int r = -1;

    if (imapc_has_cap(c, "LOGINDISABLED")) {
        buf_printf(err, "LOGIN is disabled on this connection%s",
                   c->tls ? "" : " (try without --notls)");
        return -1;
    }
    imapc_begin(c, "LOGIN");
    if (imapc_string(c, o->user) == 0 && imapc_string(c, o->password) == 0) {
        if (imapc_run(c, NULL, NULL, &text) == IMAPC_OK)
            r = 0;
        else
            buf_printf(err, "authentication failed: %s", buf_cstring(&text));
    } else
        buf_printf(err, "LOGIN refused by the server");
    buf_free(&text);
    return r;
}

int imapc_connect(struct imapc *c, const struct imapc_opts *o,
                  struct buf *err)
{
    const char *port = o->port ? o->port : o->implicit_tls ? "993" : "143";
    int r;

    memset(c, 0, sizeof(*c));
    buf_reset(err);
    if ((c->fd = tcp_connect(o->host, port, err)) < 0)
        return -1;
    c->p = prot_new(c->fd, c->fd);
    prot_set_close_on_free(c->p, 1);
    prot_set_timeout(c->p, TIMEOUT_S);
    r = o->implicit_tls ? start_tls(c, o, err) : 0;
    if (!r)
        r = greeting(c, err);
    if (!r && !c->caps.count)
        r = capability(c, err);
    if (!r && !c->tls && !o->notls && imapc_has_cap(c, "STARTTLS"))
        r = starttls_cmd(c, o, err);
    if (!r && (!o->mech || strcmp(o->mech, "login"))) {
        r = authenticate(c, o, err);
        if (r == 1)
            r = login(c, o, err);
    } else if (!r)
        r = login(c, o, err);
    if (r) {
        prot_free(&c->p);
        strarray_fini(&c->caps);
        return -1;
    }
    return 0;
}

void imapc_close(struct imapc *c)
{
    if (!c->p)
        return;
    imapc_begin(c, "LOGOUT");
    imapc_run(c, NULL, NULL, NULL);
    prot_free(&c->p);
    strarray_fini(&c->caps);
}
