/* error.c -- names for the codes of error.h. */
#include "config.h"
#include "lib/error.h"

static const char *const error_names[ERR__COUNT] = {
    [ERR_OK] = "success",
    [ERR_IO] = "I/O error",
    [ERR_NOMEM] = "out of memory",
    [ERR_NOTFOUND] = "not found",
    [ERR_EXISTS] = "already exists",
    [ERR_PERM] = "permission denied",
    [ERR_QUOTA] = "over quota",
    [ERR_LOCKED] = "locked by another process",
    [ERR_BADFORMAT] = "corrupt or unknown file format",
    [ERR_BADNAME] = "invalid name",
    [ERR_BADARG] = "invalid argument",
    [ERR_TOOBIG] = "too big",
    [ERR_TIMEOUT] = "timed out",
    [ERR_EOF] = "end of stream",
    [ERR_PROTOCOL] = "protocol error",
    [ERR_AGAIN] = "temporary failure, try again",
    [ERR_INTERNAL] = "internal error",
    [ERR_CONFLICT] = "concurrent change",
    [ERR_NOTSUPP] = "not supported",
};

const char *error_string(int code)
{
    if (code < 0 || code >= ERR__COUNT || !error_names[code])
        return "unknown error";
    return error_names[code];
}
