/* zlib_dl.c -- the zlib functions of lib/deflate.c, loaded at their first
 * use (lib/dl.h), for imapd: only a session that sends COMPRESS needs
 * zlib, so the others never map it.
 *
 * imapd links lib/libzlib_dl.a and not -lz; the unit tests link zlib
 * itself ($(ZLIB_LIBS)).  deflateInit2() and inflateInit2() are macros for
 * the underscore functions, which also check that the library matches the
 * header we were built with (Z_VERSION_ERROR otherwise).
 */
#include "config.h"

#include <zlib.h>

#include "lib/dl.h"

#define ZLIB_DL_LIB "libz.so." DL_STR(ZLIB_VER_MAJOR)

DL_LOOKUP(zlib_dl_sym, ZLIB_DL_LIB, "zlib")

#define ZLIB_DL(ret, name, params, args)                                     \
    DL_FORWARD(zlib_dl_sym, ret, name, params, args)

ZLIB_DL(int, deflateInit2_,
        (z_streamp strm, int level, int method, int windowBits, int memLevel,
         int strategy, const char *version, int stream_size),
        (strm, level, method, windowBits, memLevel, strategy, version,
         stream_size))
ZLIB_DL(int, deflate, (z_streamp strm, int flush), (strm, flush))
ZLIB_DL(int, deflateEnd, (z_streamp strm), (strm))
ZLIB_DL(int, inflateInit2_,
        (z_streamp strm, int windowBits, const char *version,
         int stream_size),
        (strm, windowBits, version, stream_size))
ZLIB_DL(int, inflate, (z_streamp strm, int flush), (strm, flush))
ZLIB_DL(int, inflateEnd, (z_streamp strm), (strm))
