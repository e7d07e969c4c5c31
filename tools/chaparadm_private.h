/* chaparadm_private.h -- what the parts of chaparadm share: the response
 * reader and capability helpers (chaparadm_imap.c) and the admin commands
 * (chaparadm_cmds.c). */
#ifndef CHAPAR_CHAPARADM_PRIVATE_H
#define CHAPAR_CHAPARADM_PRIVATE_H

#include <stdio.h>

#include "lib/buf.h"
#include "tools/chaparadm_imap.h"

/* Read one whole response (literals inlined) into resp. */
int imapc_read_response(struct imapc *c, struct buf *resp);
/* Replace the capabilities with the atoms from p to end. */
void imapc_set_caps(struct imapc *c, const char *p, const char *end);
/* Take "[CAPABILITY ...]" at the start of a response text, if there. */
void imapc_caps_from_text(struct imapc *c, const char *text);

/* Run one command line (already split into words).  Output goes to out,
 * errors (the server's text) to err.  Returns 0 on success, 1 on a failed
 * command, -1 for quit, -2 when the connection was lost. */
int adm_execute(struct imapc *c, int argc, char **argv, FILE *out,
                FILE *err);

#endif
