/* charset_casemap.c -- the i;unicode-casemap form of RFC 5051, through
 * ICU (libicu): the one glue file of that library; see charset.h.
 *
 * RFC 5051 section 2: each character is replaced by its titlecase
 * (UnicodeData.txt field 14, ICU's u_totitle), then by its decomposition
 * (field 5, canonical and compatibility alike, applied recursively: ICU's
 * NFKD decomposition mapping of the character, unorm2_getDecomposition).
 * Precomposed Hangul syllables have no field-5 mapping and stay as they
 * are (ICU would decompose them algorithmically).  The result is compared
 * octet by octet (RFC 5051 section 2.3: ordering by code point).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf8.h>

#include "lib/buf.h"
#include "imap/mailstore/charset.h"

#define DECOMP_MAX 32           /* UTF-16 units; the longest NFKD mapping
                                   (U+FDFA) is 18 */

static void put_cp(struct buf *out, UChar32 c)
{
    uint8_t b[4];
    int32_t n = 0;
    UBool err = 0;

    U8_APPEND(b, n, 4, c, err);
    if (err)
        return;
    buf_appendmap(out, b, (size_t)n);
}

/* ICU's NFKD normaliser, fetched at the first character that needs it
 * (so that imapd loads ICU only for non-ASCII text: icu_dl.c). */
static const UNormalizer2 *casemap_nfkd(void)
{
    static const UNormalizer2 *nfkd;
    static int tried;

    if (!tried) {
        UErrorCode ec = U_ZERO_ERROR;
        nfkd = unorm2_getNFKDInstance(&ec);
        if (U_FAILURE(ec))
            nfkd = NULL;
        tried = 1;
    }
    return nfkd;
}

static void casemap_char(UChar32 c, struct buf *out)
{
    const UNormalizer2 *nfkd;
    UChar d[DECOMP_MAX];
    UErrorCode ec = U_ZERO_ERROR;
    int32_t n;

    c = u_totitle(c);
    if ((c >= 0xAC00 && c <= 0xD7A3) || !(nfkd = casemap_nfkd())) {
        put_cp(out, c);
        return;
    }
    n = unorm2_getDecomposition(nfkd, c, d, DECOMP_MAX, &ec);
    if (U_FAILURE(ec) || n <= 0) {
        put_cp(out, c);
        return;
    }
    for (int32_t i = 0; i < n;) {
        UChar32 k;
        U16_NEXT(d, i, n, k);
        put_cp(out, k);
    }
}

void charset_casemap(const char *s, size_t len, struct buf *out)
{
    const uint8_t *u = (const uint8_t *)s;
    int32_t i = 0, n = len > INT32_MAX ? INT32_MAX : (int32_t)len;

    buf_ensure(out, len);
    while (i < n) {
        UChar32 c;
        if (u[i] < 0x80) {
            c = u[i++];
            buf_putc(out, (char)(c >= 'a' && c <= 'z' ? c - 32 : c));
            continue;
        }
        U8_NEXT(u, i, n, c);
        casemap_char(c < 0 ? 0xFFFD : c, out);
    }
}
