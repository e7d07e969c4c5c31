/* cmd_catenate.c -- CATENATE parts of APPEND (RFC 4469); see
 * cmd_catenate.h. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "imap/imapd/cmd_catenate.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/imapurl.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mailbox.h"

int catenate_check(const struct imap_arg *parts, size_t n,
                   const char **error)
{
    const char *url;

    *error = "CATENATE needs TEXT literal or URL url parts";
    if (!n || n % 2)
        return ERR_BADARG;
    for (size_t i = 0; i < n; i += 2) {
        if (imap_arg_atom_is(&parts[i], "TEXT")) {
            if (parts[i + 1].type != IMAP_ARG_LITERAL)
                return ERR_BADARG;
        } else if (!imap_arg_atom_is(&parts[i], "URL") ||
                   !imap_arg_get_astring(&parts[i + 1], &url)) {
            return ERR_BADARG;
        }
    }
    return ERR_OK;
}

/* The URL's mailbox as an internal name, if it names this server, this
 * user and a mailbox. */
static int url_target(struct imapd_session *s, const struct imapurl *u,
                      struct buf *name)
{
    if (u->host && strcasecmp(u->host, conf_getstring(CONF_SERVERNAME)))
        return ERR_NOTFOUND;
    if (u->user && strcmp(u->user, s->userid))
        return ERR_NOTFOUND;
    if (!u->mailbox) {
        if (!s->index)
            return ERR_NOTFOUND;        /* ";UID=" needs a selected base */
        buf_setcstr(name, index_mailbox(s->index)->name);
        return ERR_OK;
    }
    return imapd_mailbox_name(s, u->mailbox, name) ? ERR_NOTFOUND : ERR_OK;
}

/* Append the bytes of one URL part. */
static int append_url(struct imapd_session *s, const char *text, size_t max,
                      struct buf *out)
{
    struct imapurl u;
    struct index_url iu;
    struct buf name = BUF_INITIALIZER;
    int r;

    if (imapurl_parse(text, &u) || (r = url_target(s, &u, &name))) {
        r = ERR_NOTFOUND;
        goto done;
    }
    memset(&iu, 0, sizeof(iu));
    iu.mailbox = buf_cstring(&name);
    iu.uidvalidity = u.uidvalidity;
    iu.uid = u.uid;
    iu.section = u.section;
    iu.partial = u.partial;
    iu.partial_origin = u.partial_origin;
    iu.partial_count = u.partial_count;
    r = index_urlfetch(&iu, s->auth, max - out->len, out);
done:
    imapurl_fini(&u);
    buf_free(&name);
    return r;
}

int catenate_build(struct imapd_session *s, const struct imap_arg *parts,
                   size_t n, size_t max, struct buf *out, int *binary,
                   const char **badurl)
{
    int r = ERR_OK;

    buf_reset(out);
    *binary = 0;
    *badurl = NULL;
    for (size_t i = 0; !r && i < n; i += 2) {
        const struct imap_arg *v = &parts[i + 1];
        const char *url;
        if (v->type == IMAP_ARG_LITERAL) {
            if (v->len > max - out->len)
                return ERR_TOOBIG;
            buf_appendmap(out, v->str, v->len);
            if (v->flags & IMAP_ARG_F_LITERAL8)
                *binary = 1;
            continue;
        }
        imap_arg_get_astring(v, &url);
        r = append_url(s, url, max, out);
        if (r == ERR_NOTFOUND)
            *badurl = url;
    }
    return r;
}
