/* dl.h -- a shared library loaded at its first use, for the servers that
 * are exec'ed per connection (lib/openssl_dl.c, lib/zlib_dl.c,
 * imap/mailstore/icu_dl.c).
 *
 * Why: every library a server is linked with is loaded and relocated again
 * in every process, yet most sessions never call OpenSSL, ICU or zlib.
 *
 * How: a *_dl.c file defines each function its callers use, with the
 * library's own prototype (its header is included, so the compiler checks
 * every signature), through DL_FORWARD/DL_FORWARD_VOID.  The first call of
 * a function dlopen()s the library (once per handle) and fetches the real
 * function with dlsym() (once per function); every call then goes on
 * through that pointer.  The program links the *_dl.a archive instead of
 * the library (or before it, with --as-needed), so the library drops out
 * of its dependencies; tests/proto/test_conn_cost.py checks with readelf.
 *
 * Failure to load the library or to find a function is an environment
 * failure: log_fatal() naming the library (`what`) and the function.
 * Header-only: the *_dl.a archives are linked after libchapar.a.
 * Not thread-safe (the servers are single-threaded).
 */
#ifndef CHAPAR_DL_H
#define CHAPAR_DL_H

#include <dlfcn.h>

#include "lib/log.h"

/* The function `name` of `library` (a soname such as "libz.so.1"); opens
 * the library into *handle at the first call. */
static inline void *dl_symbol(void **handle, const char *library,
                              const char *what, const char *name)
{
    void *sym;

    if (!*handle && !(*handle = dlopen(library, RTLD_NOW)))
        log_fatal("cannot load %s: %s", what, dlerror());
    if (!(sym = dlsym(*handle, name)))
        log_fatal("%s has no function=<%s>: %s", what, name, dlerror());
    return sym;
}

/* Define `static void *fn(const char *name)`: dl_symbol() with its own
 * handle, for DL_FORWARD. */
#define DL_LOOKUP(fn, library, what)                                         \
    static void *fn(const char *name)                                        \
    {                                                                        \
        static void *handle;                                                 \
        return dl_symbol(&handle, library, what, name);                      \
    }

#define DL_STR2(x) #x
/* The name after macro expansion (ICU renames u_totitle to u_totitle_72). */
#define DL_STR(x) DL_STR2(x)

/* One forwarding definition: lookup(const char *) returns the real
 * function; params and args are parenthesised lists. */
#define DL_FORWARD(lookup, ret, name, params, args)                          \
    ret name params                                                          \
    {                                                                        \
        static ret (*real) params;                                           \
        if (!real)                                                           \
            *(void **)&real = lookup(DL_STR(name));                          \
        return real args;                                                    \
    }
#define DL_FORWARD_VOID(lookup, name, params, args)                          \
    void name params                                                         \
    {                                                                        \
        static void (*real) params;                                          \
        if (!real)                                                           \
            *(void **)&real = lookup(DL_STR(name));                          \
        real args;                                                           \
    }

#endif
