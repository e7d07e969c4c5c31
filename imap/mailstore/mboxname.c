/* mboxname.c -- mailbox name policy, INBOX mapping, paths, modified UTF-7.
 *
 * The one rule of this file: no name reaches a path unless
 * mboxname_validate() accepted it.  Validation is a whitelist of bytes
 * (Cyrus 2.0's GOODCHARS) plus structural checks on components, so the
 * path code never needs to think about "..", "/" or NUL.  Modified UTF-7 is
 * checked for canonical form because names are compared as bytes: one
 * Unicode name must have exactly one spelling.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mboxname.h"

#define USER_PREFIX_LEN (sizeof(MBOXNAME_USER_PREFIX) - 1)

/* ---- modified UTF-7 ----------------------------------------------------- */

static const char mutf7_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* The 6-bit value of a modified base64 character, or -1. */
static int mutf7_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

static void utf8_put(struct buf *out, uint32_t cp)
{
    if (cp < 0x80) {
        buf_putc(out, (char)cp);
    } else if (cp < 0x800) {
        buf_putc(out, (char)(0xc0 | (cp >> 6)));
        buf_putc(out, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_putc(out, (char)(0xe0 | (cp >> 12)));
        buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_putc(out, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_putc(out, (char)(0xf0 | (cp >> 18)));
        buf_putc(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
        buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_putc(out, (char)(0x80 | (cp & 0x3f)));
    }
}

/* Decode one "&...-" sequence whose base64 text is s[0..n) (the '&' and
 * '-' excluded, n > 0).  Appends UTF-8 to out when out is not NULL. */
static int mutf7_decode_run(const char *s, size_t n, struct buf *out)
{
    uint32_t bits = 0, high = 0;
    int nbits = 0;

    for (size_t i = 0; i < n; i++) {
        int v = mutf7_value((unsigned char)s[i]);
        if (v < 0)
            return ERR_BADNAME;
        bits = (bits << 6) | (uint32_t)v;
        nbits += 6;
        if (nbits < 16)
            continue;
        nbits -= 16;
        uint32_t unit = (bits >> nbits) & 0xffff;
        bits &= (1u << nbits) - 1;
        if (high) {
            /* A high surrogate must be followed by a low one. */
            if (unit < 0xdc00 || unit > 0xdfff)
                return ERR_BADNAME;
            if (out)
                utf8_put(out, 0x10000 + ((high - 0xd800) << 10) +
                                  (unit - 0xdc00));
            high = 0;
        } else if (unit >= 0xd800 && unit <= 0xdbff) {
            high = unit;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            return ERR_BADNAME;                 /* a lone low surrogate */
        } else if (unit < 0xa0) {
            /* ASCII that should stand for itself, or a control. */
            return ERR_BADNAME;
        } else if (out) {
            utf8_put(out, unit);
        }
    }
    /* Leftover bits must be padding: fewer than one base64 digit, zero. */
    if (high || nbits >= 6 || bits != 0)
        return ERR_BADNAME;
    return ERR_OK;
}

/* Walk a modified UTF-7 string, checking it and, with out, decoding it. */
static int mutf7_walk(const char *s, size_t len, struct buf *out)
{
    int after_run = 0;      /* the previous token was an encoded run */
    size_t i = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e)
            return ERR_BADNAME;
        if (c != '&') {
            if (out)
                buf_putc(out, (char)c);
            after_run = 0;
            i++;
            continue;
        }
        const char *end = memchr(s + i + 1, '-', len - i - 1);
        if (!end)
            return ERR_BADNAME;
        size_t n = (size_t)(end - (s + i + 1));
        if (n == 0) {                           /* "&-" is a literal '&' */
            if (out)
                buf_putc(out, '&');
            after_run = 0;
        } else {
            /* Two adjacent runs would be a second spelling of one. */
            if (after_run || mutf7_decode_run(s + i + 1, n, out))
                return ERR_BADNAME;
            after_run = 1;
        }
        i += n + 2;
    }
    return ERR_OK;
}

int mboxname_mutf7_validate(const char *s, size_t len)
{
    return mutf7_walk(s, len, NULL);
}

int mboxname_mutf7_to_utf8(const char *s, struct buf *utf8)
{
    buf_reset(utf8);
    if (!s || mutf7_walk(s, strlen(s), utf8)) {
        buf_reset(utf8);
        return ERR_BADNAME;
    }
    return ERR_OK;
}

/* Decode one UTF-8 character at s (NUL-terminated); advance *s.  Returns
 * the code point, or -1 when malformed. */
static int32_t utf8_get(const unsigned char **sp)
{
    const unsigned char *s = *sp;
    uint32_t cp, min;
    int more;

    if (s[0] < 0x80) {
        cp = s[0];
        more = 0;
        min = 0;
    } else if ((s[0] & 0xe0) == 0xc0) {
        cp = s[0] & 0x1f;
        more = 1;
        min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        cp = s[0] & 0x0f;
        more = 2;
        min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        cp = s[0] & 0x07;
        more = 3;
        min = 0x10000;
    } else {
        return -1;
    }
    for (int k = 1; k <= more; k++) {
        /* The NUL terminator fails this test, so no read past the end. */
        if ((s[k] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *sp = s + 1 + more;
    return (int32_t)cp;
}

struct mutf7_encoder {
    struct buf *out;
    uint32_t bits;
    int nbits;
    int open;
};

static void mutf7_put_unit(struct mutf7_encoder *e, uint32_t unit)
{
    if (!e->open) {
        buf_putc(e->out, '&');
        e->open = 1;
    }
    e->bits = (e->bits << 16) | unit;
    e->nbits += 16;
    while (e->nbits >= 6) {
        e->nbits -= 6;
        buf_putc(e->out, mutf7_alphabet[(e->bits >> e->nbits) & 0x3f]);
    }
    e->bits &= (1u << e->nbits) - 1;
}

static void mutf7_close(struct mutf7_encoder *e)
{
    if (!e->open)
        return;
    if (e->nbits)       /* pad the last digit with zero bits */
        buf_putc(e->out, mutf7_alphabet[(e->bits << (6 - e->nbits)) & 0x3f]);
    buf_putc(e->out, '-');
    e->bits = 0;
    e->nbits = 0;
    e->open = 0;
}

int mboxname_utf8_to_mutf7(const char *s, struct buf *mutf7)
{
    struct mutf7_encoder e = { mutf7, 0, 0, 0 };
    const unsigned char *p = (const unsigned char *)s;

    buf_reset(mutf7);
    while (p && *p) {
        int32_t cp = utf8_get(&p);
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            buf_reset(mutf7);
            return ERR_BADNAME;                 /* malformed or control */
        }
        if (cp < 0x7f) {
            mutf7_close(&e);
            buf_putc(mutf7, (char)cp);
            if (cp == '&')
                buf_putc(mutf7, '-');
        } else if (cp < 0x10000) {
            mutf7_put_unit(&e, (uint32_t)cp);
        } else {
            uint32_t v = (uint32_t)cp - 0x10000;
            mutf7_put_unit(&e, 0xd800 + (v >> 10));
            mutf7_put_unit(&e, 0xdc00 + (v & 0x3ff));
        }
    }
    mutf7_close(&e);
    return ERR_OK;
}

/* ---- validation --------------------------------------------------------- */

static int is_userid_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '@';
}

/* Checks a userid given as len bytes (it may be a component of a name). */
static int userid_check(const char *u, size_t len)
{
    static const char *const reserved[] = { "anyone", "anybody", "anonymous" };

    if (len == 0 || len > MBOXNAME_USERID_MAX || u[0] == '-')
        return ERR_BADNAME;
    for (size_t i = 0; i < len; i++)
        if (!is_userid_char((unsigned char)u[i]))
            return ERR_BADNAME;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (len == strlen(reserved[i]) && !strncasecmp(u, reserved[i], len))
            return ERR_BADNAME;
    return ERR_OK;
}

int mboxname_validate_userid(const char *userid)
{
    if (!userid)
        return ERR_BADNAME;
    return userid_check(userid, strlen(userid));
}

/* The byte whitelist and the component shape: no empty component (which
 * covers leading/trailing '.' and ".."), none longer than a file name. */
static int check_chars_and_components(const char *name, size_t len)
{
    size_t comp = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '\0' || (c != '&' && !strchr(MBOXNAME_GOODCHARS, c)))
            return ERR_BADNAME;
        if (c == MBOXNAME_SEP) {
            if (comp == 0)
                return ERR_BADNAME;
            comp = 0;
        } else if (++comp > MBOXNAME_MAX_COMPONENT) {
            return ERR_BADNAME;
        }
    }
    return comp == 0 ? ERR_BADNAME : ERR_OK;
}

/* The reserved top-level names "inbox" and "user". */
static int check_top_level(const char *name, size_t len)
{
    const char *dot = memchr(name, MBOXNAME_SEP, len);
    size_t toplen = dot ? (size_t)(dot - name) : len;

    if (toplen == 5 && !strncasecmp(name, "inbox", 5))
        return ERR_BADNAME;
    if (toplen == 4 && !strncasecmp(name, "user", 4)) {
        /* Only lowercase "user.<userid>..." is the users' hierarchy;
         * "User.bob" would pass for bob's mail in a listing. */
        if (!dot || strncmp(name, "user", 4))
            return ERR_BADNAME;
        const char *u = dot + 1;
        const char *uend = memchr(u, MBOXNAME_SEP, len - (size_t)(u - name));
        size_t ulen = uend ? (size_t)(uend - u) : len - (size_t)(u - name);
        return userid_check(u, ulen);
    }
    return ERR_OK;
}

int mboxname_validate_len(const char *name, size_t len)
{
    if (!name || len == 0 || len > MBOXNAME_MAX_LEN)
        return ERR_BADNAME;
    if (name[0] == '~')
        return ERR_BADNAME;
    if (check_chars_and_components(name, len))
        return ERR_BADNAME;
    if (mboxname_mutf7_validate(name, len))
        return ERR_BADNAME;
    return check_top_level(name, len);
}

int mboxname_validate(const char *name)
{
    if (!name)
        return ERR_BADNAME;
    /* strnlen: a 10 MB string is rejected without being measured. */
    return mboxname_validate_len(name, strnlen(name, MBOXNAME_MAX_LEN + 1));
}

/* ---- the client's view -------------------------------------------------- */

/* If ext is "INBOX" (any case) alone or before a '.', the length of that
 * prefix (5), else 0. */
static size_t inbox_prefix(const char *ext)
{
    if (strncasecmp(ext, "inbox", 5))
        return 0;
    return (ext[5] == '\0' || ext[5] == MBOXNAME_SEP) ? 5 : 0;
}

int mboxname_to_internal(const char *external, const char *userid,
                         struct buf *internal)
{
    size_t n;

    buf_reset(internal);
    /* Refuse a huge name before copying it. */
    if (!external || strnlen(external, MBOXNAME_MAX_LEN + 1) > MBOXNAME_MAX_LEN)
        return ERR_BADNAME;
    n = inbox_prefix(external);
    if (n) {
        if (!userid)
            return ERR_NOTFOUND;
        if (mboxname_validate_userid(userid))
            return ERR_BADNAME;
        buf_appendcstr(internal, MBOXNAME_USER_PREFIX);
        buf_appendcstr(internal, userid);
        buf_appendcstr(internal, external + n);
    } else {
        buf_setcstr(internal, external);
    }
    if (mboxname_validate_len(internal->s, internal->len)) {
        buf_reset(internal);
        return ERR_BADNAME;
    }
    return ERR_OK;
}

/* If name is user.<userid> or below it, the length of "user.<userid>". */
static size_t owned_prefix(const char *name, const char *userid)
{
    size_t ulen;

    /* An invalid userid (say "bob.x") must not claim "user.bob.x.y". */
    if (mboxname_validate_userid(userid) ||
        strncmp(name, MBOXNAME_USER_PREFIX, USER_PREFIX_LEN))
        return 0;
    ulen = strlen(userid);
    if (strncmp(name + USER_PREFIX_LEN, userid, ulen))
        return 0;
    ulen += USER_PREFIX_LEN;
    return (name[ulen] == '\0' || name[ulen] == MBOXNAME_SEP) ? ulen : 0;
}

int mboxname_to_external(const char *internal, const char *userid,
                         struct buf *external)
{
    size_t n;

    buf_reset(external);
    if (mboxname_validate(internal))
        return ERR_BADNAME;
    n = owned_prefix(internal, userid);
    if (n) {
        buf_appendcstr(external, "INBOX");
        buf_appendcstr(external, internal + n);
    } else {
        buf_setcstr(external, internal);
    }
    return ERR_OK;
}

/* ---- structure ---------------------------------------------------------- */

int mboxname_isusermailbox(const char *name)
{
    return name && !strncmp(name, MBOXNAME_USER_PREFIX, USER_PREFIX_LEN) &&
           name[USER_PREFIX_LEN] != '\0' &&
           name[USER_PREFIX_LEN] != MBOXNAME_SEP;
}

int mboxname_isinbox(const char *name)
{
    return mboxname_isusermailbox(name) &&
           !strchr(name + USER_PREFIX_LEN, MBOXNAME_SEP);
}

char *mboxname_userid_of(const char *name)
{
    const char *u, *end;

    if (!mboxname_isusermailbox(name))
        return NULL;
    u = name + USER_PREFIX_LEN;
    end = strchr(u, MBOXNAME_SEP);
    return end ? xstrndup(u, (size_t)(end - u)) : xstrdup(u);
}

int mboxname_parent(const char *name, struct buf *parent)
{
    const char *dot;

    buf_reset(parent);
    if (!name || mboxname_isinbox(name))
        return ERR_NOTFOUND;
    dot = strrchr(name, MBOXNAME_SEP);
    if (!dot)
        return ERR_NOTFOUND;
    buf_setmap(parent, name, (size_t)(dot - name));
    return ERR_OK;
}

int mboxname_isdescendant(const char *name, const char *ancestor)
{
    size_t alen;

    if (!name || !ancestor)
        return 0;
    alen = strlen(ancestor);
    return alen > 0 && !strncmp(name, ancestor, alen) &&
           name[alen] == MBOXNAME_SEP && name[alen + 1] != '\0';
}

/* ---- paths -------------------------------------------------------------- */

char mboxname_hash_char(const char *s)
{
    unsigned char c = s ? (unsigned char)s[0] : 0;

    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z')
        return (char)c;
    return 'q';
}

/* dir without its trailing slashes ("/" becomes "", so "/" + name works). */
static void append_dir(struct buf *out, const char *dir)
{
    size_t n = strlen(dir);

    while (n > 0 && dir[n - 1] == '/')
        n--;
    buf_appendmap(out, dir, n);
}

int mboxname_to_path(const char *partition_dir, const char *name,
                     int hashimapspool, struct buf *path)
{
    size_t start;

    buf_reset(path);
    if (mboxname_validate(name))
        return ERR_BADNAME;
    if (!partition_dir || !*partition_dir)
        return ERR_BADARG;
    append_dir(path, partition_dir);
    if (hashimapspool) {
        const char *key = mboxname_isusermailbox(name)
                              ? name + USER_PREFIX_LEN : name;
        buf_putc(path, '/');
        buf_putc(path, mboxname_hash_char(key));
    }
    buf_putc(path, '/');
    start = path->len;
    buf_appendcstr(path, name);
    for (size_t i = start; i < path->len; i++)
        if (path->s[i] == MBOXNAME_SEP)
            path->s[i] = '/';
    return ERR_OK;
}

int mboxname_user_file(const char *configdir, const char *userid,
                       const char *suffix, struct buf *path)
{
    size_t slen;

    buf_reset(path);
    if (mboxname_validate_userid(userid))
        return ERR_BADNAME;
    if (!configdir || !*configdir || !suffix)
        return ERR_BADARG;
    slen = strlen(suffix);
    if (slen == 0 || slen > 16 ||
        strspn(suffix, "abcdefghijklmnopqrstuvwxyz0123456789") != slen)
        return ERR_BADARG;
    append_dir(path, configdir);
    buf_printf(path, "/user/%c/%s.%s", mboxname_hash_char(userid), userid,
               suffix);
    return ERR_OK;
}

/* ---- Berkeley mbox migration -------------------------------------------- */

static int is_octal(char c) { return c >= '0' && c <= '7'; }

static int three_octal(const char *s)
{
    return is_octal(s[0]) && is_octal(s[1]) && is_octal(s[2]);
}

int mboxname_import_escape(const char *folder, struct buf *out)
{
    buf_reset(out);
    if (!folder || !*folder)
        return ERR_BADNAME;
    for (const char *p = folder; *p; p++) {
        unsigned char c = (unsigned char)*p;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' ||
                    (c == '_' && !three_octal(p + 1));
        if (plain)
            buf_putc(out, (char)c);
        else
            buf_printf(out, "_%03o", c);
    }
    return ERR_OK;
}

int mboxname_import_unescape(const char *escaped, struct buf *out)
{
    buf_reset(out);
    if (!escaped)
        return ERR_BADNAME;
    for (const char *p = escaped; *p; p++) {
        if (*p == '_' && three_octal(p + 1)) {
            int v = (p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0');
            if (v > 0 && v <= 0377) {
                buf_putc(out, (char)v);
                p += 3;
                continue;
            }
        }
        buf_putc(out, *p);
    }
    if (out->len == 0)
        return ERR_BADNAME;
    return ERR_OK;
}
