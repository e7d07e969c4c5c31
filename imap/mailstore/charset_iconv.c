/* charset_iconv.c -- every other charset, through glibc's iconv; see
 * charset.h (charset_lookup, charset_to_utf8).
 *
 * The charsets charset.c reads itself (US-ASCII, UTF-8, ISO-8859-1,
 * windows-1252) keep their fast in-place paths; any other name that
 * iconv knows gets an id of its own (CHARSET_ICONV and up) the first time
 * it is looked up, with its converter to UTF-8 kept open for the life of
 * the process (a table of CHARSET_ICONV_MAX names; names iconv does not
 * know are remembered too, in a small ring, so a message full of bogus
 * names does not open gconv modules again and again).  A name is
 * accepted only when it looks like one: letters, digits and "-_.:+()",
 * at most 40 bytes (no "//TRANSLIT" or other iconv suffixes).
 *
 * Conversion: invalid or unconvertible bytes become U+FFFD, one per
 * byte skipped; a truncated sequence at the end becomes one U+FFFD.  The
 * converter is reset after each text, so stateful charsets (ISO-2022-JP,
 * UTF-7) start every text in their initial state.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "imap/mailstore/charset.h"

#define NAME_MAX_LEN 40
#define BAD_RING 16

static struct {
    char name[NAME_MAX_LEN + 1];
    iconv_t cd;
} known[CHARSET_ICONV_MAX];
static int nknown;
static char bad[BAD_RING][NAME_MAX_LEN + 1];
static int nbad;

static int name_ok(const char *name, size_t len)
{
    if (!len || len > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("-_.:+()", c)))
            return 0;
    }
    return 1;
}

int charset_iconv_lookup(const char *name, size_t len)
{
    char n[NAME_MAX_LEN + 1];
    iconv_t cd;

    if (!name_ok(name, len))
        return CHARSET_UNKNOWN;
    memcpy(n, name, len);
    n[len] = '\0';
    for (int i = 0; i < nknown; i++)
        if (!strcasecmp(known[i].name, n))
            return CHARSET_ICONV + i;
    for (int i = 0; i < BAD_RING; i++)
        if (!strcasecmp(bad[i], n))
            return CHARSET_UNKNOWN;
    if (nknown == CHARSET_ICONV_MAX ||
        (cd = iconv_open("UTF-8", n)) == (iconv_t)-1) {
        memcpy(bad[nbad], n, len + 1);
        nbad = (nbad + 1) % BAD_RING;
        return CHARSET_UNKNOWN;
    }
    memcpy(known[nknown].name, n, len + 1);
    known[nknown].cd = cd;
    return CHARSET_ICONV + nknown++;
}

const char *charset_iconv_name(int cs)
{
    return cs >= CHARSET_ICONV && cs < CHARSET_ICONV + nknown
               ? known[cs - CHARSET_ICONV].name
               : NULL;
}

static void put_replacement(struct buf *out)
{
    buf_appendmap(out, "\xef\xbf\xbd", 3);
}

void charset_iconv_to_utf8(int cs, const char *s, size_t len,
                           struct buf *out)
{
    iconv_t cd;
    char *in = (char *)s;
    size_t left = len;

    if (cs < CHARSET_ICONV || cs >= CHARSET_ICONV + nknown) {
        /* not ours: every byte unreadable */
        for (size_t i = 0; i < len; i++)
            put_replacement(out);
        return;
    }
    cd = known[cs - CHARSET_ICONV].cd;
    iconv(cd, NULL, NULL, NULL, NULL);
    while (left) {
        size_t room, r;
        char *o;
        buf_ensure(out, left * 2 + 16);
        room = out->alloc - out->len - 1;     /* buf keeps one for NUL */
        o = out->s + out->len;
        r = iconv(cd, &in, &left, &o, &room);
        out->len = (size_t)(o - out->s);
        if (r != (size_t)-1 || errno == E2BIG)
            continue;
        put_replacement(out);
        if (errno == EINVAL)    /* truncated at the end */
            break;
        in++;                   /* EILSEQ: skip one byte */
        left--;
    }
    /* the shift sequence back to the initial state, if any */
    {
        char tail[16], *o = tail;
        size_t room = sizeof(tail);
        if (iconv(cd, NULL, NULL, &o, &room) != (size_t)-1)
            buf_appendmap(out, tail, (size_t)(o - tail));
    }
}
