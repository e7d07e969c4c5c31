/* sieve_check.h -- the semantic check of a parsed Sieve script: every
 * command and test known, its arguments of the right kind and number, its
 * extension required, require only at the start, elsif/else only after
 * if/elsif.  It fills in the nodes' compiled fields (sieve_private.h).
 * Used by sieve_compile() only. */
#ifndef CHAPAR_SIEVE_CHECK_H
#define CHAPAR_SIEVE_CHECK_H

#include "lib/buf.h"
#include "imap/sieve/sieve_private.h"

/* On the first fault: *failed = ERR_BADFORMAT and err "line N: what". */
void sieve_check(struct sieve_script *s, int *failed, struct buf *err);

#endif
