/* sieve_match.c -- comparators and match types (RFC 5228 2.7, RFC 4790):
 * i;octet compares bytes, i;ascii-casemap compares with ASCII letters
 * folded; :is, :contains, and :matches with '*' (any run, also empty), '?'
 * (exactly one UTF-8 character) and '\' (the next pattern character
 * literally).  The :matches loop backtracks only to the last '*', so its
 * work is at most the product of the two lengths. */
#include "config.h"

#include <string.h>

#include "imap/sieve/sieve_private.h"

static unsigned char fold(enum sieve_comparator c, unsigned char x)
{
    return c == SCMP_CASEMAP && x >= 'A' && x <= 'Z' ? (unsigned char)(x + 32)
                                                      : x;
}

static int eq(enum sieve_comparator c, const char *a, const char *b,
              size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold(c, (unsigned char)a[i]) != fold(c, (unsigned char)b[i]))
            return 0;
    return 1;
}

/* Bytes of the UTF-8 character at s (at least 1, at most left). */
static size_t utf8_len(const char *s, size_t left)
{
    size_t n = 1;
    while (n < left && ((unsigned char)s[n] & 0xc0) == 0x80)
        n++;
    return n;
}

static int glob(enum sieve_comparator c, const char *v, size_t vlen,
                const char *p, size_t plen)
{
    size_t vi = 0, pi = 0, star_p = 0, star_v = 0;
    int star = 0;

    while (vi < vlen) {
        if (pi < plen && p[pi] == '*') {
            star = 1;
            star_p = ++pi;
            star_v = vi;
            continue;
        }
        if (pi < plen && p[pi] == '?') {
            pi++;
            vi += utf8_len(v + vi, vlen - vi);
            continue;
        }
        if (pi < plen) {
            size_t lit = pi;
            if (p[lit] == '\\' && lit + 1 < plen)
                lit++;
            if (fold(c, (unsigned char)p[lit]) ==
                fold(c, (unsigned char)v[vi])) {
                pi = lit + 1;
                vi++;
                continue;
            }
        }
        if (!star)
            return 0;
        /* Let the last '*' take one more character and try again. */
        star_v += utf8_len(v + star_v, vlen - star_v);
        vi = star_v;
        pi = star_p;
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

int sieve_match(enum sieve_comparator c, enum sieve_match m,
                const char *value, size_t vlen, const char *key,
                size_t klen)
{
    switch (m) {
    case SMATCH_IS:
        return vlen == klen && eq(c, value, key, klen);
    case SMATCH_CONTAINS:
        if (klen > vlen)
            return 0;
        for (size_t i = 0; i + klen <= vlen; i++)
            if (eq(c, value + i, key, klen))
                return 1;
        return 0;
    case SMATCH_MATCHES:
        return glob(c, value, vlen, key, klen);
    }
    return 0;
}

int sieve_address_part(enum sieve_addrpart part, const char *addr,
                       const char **start, size_t *len)
{
    const char *at = strrchr(addr, '@');

    switch (part) {
    case SADDR_ALL:
        *start = addr;
        *len = strlen(addr);
        return 1;
    case SADDR_LOCALPART:
        *start = addr;
        *len = at ? (size_t)(at - addr) : strlen(addr);
        return 1;
    case SADDR_DOMAIN:
        if (!at)
            return 0;
        *start = at + 1;
        *len = strlen(at + 1);
        return 1;
    }
    return 0;
}
