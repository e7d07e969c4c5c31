/* cmd_compress.c -- COMPRESS (RFC 4978), authenticated and selected states.
 *
 *   COMPRESS DEFLATE   OK DEFLATE active; everything after the CRLF of that
 *                      line is compressed both ways (lib/deflate.h)
 *   again              NO [COMPRESSIONACTIVE] (RFC 4978 section 3)
 *   other algorithm,
 *   no or more args    BAD
 *
 * The OK leaves uncompressed: deflate_start() flushes it before the layer
 * is pushed.  Bytes the client pipelined behind COMPRESS are dropped (the
 * RFC forbids them; deflate.h).  COMPRESS=DEFLATE is advertised after
 * login while compression is off, as Cyrus does (imapd_capabilities).
 */
#include "config.h"

#include <strings.h>

#include "lib/buf.h"
#include "lib/deflate.h"
#include "lib/log.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"

void cmd_compress(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf err = BUF_INITIALIZER;
    const char *alg;

    if (c->nargs != 1 || !imap_arg_get_atom(&c->args[0], &alg)) {
        imapd_tagged_bad(s, c->tag, "COMPRESS takes one algorithm");
        return;
    }
    if (deflate_active(s->prot)) {
        imapd_tagged_no(s, c->tag,
                        "[COMPRESSIONACTIVE] DEFLATE active via COMPRESS");
        return;
    }
    if (strcasecmp(alg, "DEFLATE")) {
        imapd_tagged_bad(s, c->tag, "Unknown COMPRESS algorithm");
        return;
    }
    imapd_tagged_ok(s, c->tag, "DEFLATE active");
    if (deflate_start(s->prot, &err)) {
        /* The client was told to compress: nothing sensible remains. */
        log_error("compress: %s user=<%s>: %s", s->clienthost, s->userid,
                  buf_cstring(&err));
        s->state = IMAPD_LOGOUT;
    } else {
        log_info("compress: %s user=<%s> DEFLATE", s->clienthost, s->userid);
    }
    buf_free(&err);
}
