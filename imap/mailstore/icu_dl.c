/* icu_dl.c -- the three ICU functions of charset_casemap.c, loaded at
 * their first use, for imapd (as lib/openssl_dl.c does for OpenSSL).
 *
 * Why: a server process is exec'ed per connection (or per worker), and a
 * library it is linked with is loaded and relocated in every one of them:
 * libicuuc and its chain made about 156 kB of each idle imapd's private
 * memory (measured by the bench helper), yet only SORT and THREAD over
 * non-ASCII text use it (charset_casemap() maps ASCII itself).
 *
 * How: each function is defined here with ICU's own prototype (the
 * headers are included; ICU renames its symbols with its version, e.g.
 * u_totitle_72, and so do we).  The first call dlopen()s libicuuc of the
 * version we were built against and fetches the real function once.
 * imapd links imap/mailstore/libicu_dl.a before ICU with --as-needed, so
 * libicuuc drops out of its dependencies (tests/proto/test_conn_cost.py
 * checks with readelf -d); the unit tests use ICU directly.
 *
 * Failure to load ICU is an environment failure: log_fatal().
 * Not thread-safe (the servers are single-threaded).
 */
#include "config.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uvernum.h>

#include "lib/dl.h"

#define ICU_DL_LIB "libicuuc.so." DL_STR(U_ICU_VERSION_MAJOR_NUM)

DL_LOOKUP(icu_dl_sym, ICU_DL_LIB, "ICU")

/* name expands to ICU's versioned symbol (DL_FORWARD expands it). */
#define ICU_DL(ret, name, params, args)                                      \
    DL_FORWARD(icu_dl_sym, ret, name, params, args)

ICU_DL(UChar32, u_totitle, (UChar32 c), (c))
ICU_DL(const UNormalizer2 *, unorm2_getNFKDInstance, (UErrorCode *pErrorCode),
       (pErrorCode))
ICU_DL(int32_t, unorm2_getDecomposition,
       (const UNormalizer2 *norm2, UChar32 c, UChar *decomposition,
        int32_t capacity, UErrorCode *pErrorCode),
       (norm2, c, decomposition, capacity, pErrorCode))
