/* error.h -- the one vocabulary of failure in Chapar.
 *
 * Every function that can fail returns an int from this enum: 0 (ERR_OK) is
 * success, anything else names the failure.  Callers write
 *     if ((r = foo())) goto done;
 * and clean up at done:.  Only the protocol layer turns a code into a
 * response code for a client ([NONEXISTENT], [OVERQUOTA], ...); detail for
 * the administrator goes to the log, never to the client.
 */
#ifndef CHAPAR_ERROR_H
#define CHAPAR_ERROR_H

enum chapar_error {
    ERR_OK = 0,
    ERR_IO,         /* a system call failed; errno was logged */
    ERR_NOMEM,      /* only where allocation failure is recoverable */
    ERR_NOTFOUND,   /* no such key, mailbox, user, file */
    ERR_EXISTS,     /* already exists */
    ERR_PERM,       /* permission denied (ACL or filesystem) */
    ERR_QUOTA,      /* over quota */
    ERR_LOCKED,     /* lock held by someone else (try again) */
    ERR_BADFORMAT,  /* a file on disk is corrupt or of an unknown version */
    ERR_BADNAME,    /* invalid mailbox or user name */
    ERR_BADARG,     /* invalid argument or input from a caller/client */
    ERR_TOOBIG,     /* a size limit was exceeded */
    ERR_TIMEOUT,    /* timed out */
    ERR_EOF,        /* the peer closed the stream */
    ERR_PROTOCOL,   /* the peer broke the protocol */
    ERR_AGAIN,      /* transient failure: retry later */
    ERR_INTERNAL,   /* an internal inconsistency (a bug) */
    ERR_CONFLICT,   /* a concurrent change got in the way (retry) */
    ERR_NOTSUPP,    /* operation not supported */
    ERR__COUNT
};

/* A short English phrase for a code, e.g. "not found"; never NULL. */
const char *error_string(int code);

#endif
