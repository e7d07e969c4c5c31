/* chaparadm_imap.h -- the small IMAP client under chaparadm: connecting,
 * STARTTLS or implicit TLS, SASL (AUTHENTICATE with SASL-IR) or LOGIN,
 * commands with quoted or literal arguments, and a reader for tagged and
 * untagged responses (literals included).
 *
 * A response is kept as the bytes of its lines with each literal inlined
 * after its "{n}\r\n" announcement, so the tokenizer (imapc_token) can read
 * strings, atoms and parenthesised lists from it without ambiguity.
 */
#ifndef CHAPAR_CHAPARADM_IMAP_H
#define CHAPAR_CHAPARADM_IMAP_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/prot.h"
#include "lib/strarray.h"

struct imapc {
    struct prot *p;
    int fd;
    unsigned tagn;
    struct strarray caps;   /* capability atoms, upper case */
    int tls;                /* 1 once TLS is on */
};

/* Connection settings. */
struct imapc_opts {
    const char *host;
    const char *port;       /* NULL: 143, or 993 with implicit_tls */
    int implicit_tls;
    int notls;              /* never STARTTLS */
    const char *cafile;     /* verify the server certificate against it */
    const char *tls_versions;   /* NULL: tls1_2 tls1_3 */
    const char *user;
    const char *password;
    const char *mech;       /* NULL: best offered; "login": IMAP LOGIN */
    const char *sasl_host;  /* the server name for SASL (default host) */
};

/* Tagged result. */
enum imapc_status { IMAPC_OK, IMAPC_NO, IMAPC_BAD, IMAPC_FAIL };

/* Called for each untagged response ("* ..."), with the response after
 * "* " (literals inlined, see above). */
typedef void imapc_untagged_fn(const char *resp, size_t len, void *rock);

/* Connect, set up TLS, authenticate.  On failure one line for the user goes
 * into err and the connection is closed. */
int imapc_connect(struct imapc *c, const struct imapc_opts *o,
                  struct buf *err);
/* LOGOUT (best effort) and free. */
void imapc_close(struct imapc *c);

/* Building a command: imapc_begin writes the tag and the command word,
 * the others add " <arg>"; imapc_run sends it and reads until the tagged
 * response, passing untagged ones to fn (may be NULL).  text receives the
 * tagged response's text (after "OK "/"NO "/"BAD "), or a local error. */
void imapc_begin(struct imapc *c, const char *command);
void imapc_atom(struct imapc *c, const char *atom);
/* A string: quoted when possible, otherwise a literal (LITERAL+ when the
 * server offers it, else synchronising).  Returns 0, or -1 when the server
 * refused a synchronising literal (the command is then over). */
int imapc_string(struct imapc *c, const char *s);
enum imapc_status imapc_run(struct imapc *c, imapc_untagged_fn *fn,
                            void *rock, struct buf *text);

/* ---- tokens ---------------------------------------------------------------
 * Tokens of a response from *pp up to end.  Spaces are skipped. */
enum imapc_tok {
    IMAPC_T_END,        /* no more */
    IMAPC_T_ATOM,       /* out holds it (NIL is an atom) */
    IMAPC_T_STRING,     /* quoted string or literal, in out */
    IMAPC_T_OPEN,       /* ( */
    IMAPC_T_CLOSE,      /* ) */
    IMAPC_T_ERROR       /* malformed */
};
enum imapc_tok imapc_token(const char **pp, const char *end, struct buf *out);

int imapc_has_cap(const struct imapc *c, const char *cap);

#endif
