/* acl.c -- rights letters, the stored ACL format, and the rights decision.
 *
 * An ACL in memory is an ordered array of (identifier, rights) with unique
 * identifiers; the order is the order of GETACL and of the stored string.
 * Negative entries keep their dash in the identifier, so "fred" and
 * "-fred" are separate entries, as RFC 4314 wants for DELETEACL.  Every
 * entry has at least one right: setting no rights removes the entry.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"

/* Canonical order of the real rights: bit i is letter acl_letters[i]. */
static const char acl_letters[] = "lrswipkxtea";

struct acl_entry {
    char *id;
    unsigned rights;
};

struct acl {
    struct acl_entry *entries;
    size_t count;
    size_t alloc;
};

/* ---- rights ------------------------------------------------------------- */

static unsigned acl_letter_bits(char c)
{
    const char *p;

    if (c == 'c')
        return ACL_LEGACY_CREATE;
    if (c == 'd')
        return ACL_LEGACY_DELETE;
    p = c ? strchr(acl_letters, c) : NULL;
    return p ? 1u << (p - acl_letters) : 0;
}

int acl_rights_parse(const char *s, unsigned *rights_r)
{
    unsigned rights = 0;

    *rights_r = 0;
    if (!s)
        return ERR_BADARG;
    for (; *s; s++) {
        unsigned bits = acl_letter_bits(*s);
        if (!bits)
            return ERR_BADARG;
        rights |= bits;
    }
    *rights_r = rights;
    return ERR_OK;
}

void acl_rights_to_string(unsigned rights, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; acl_letters[i]; i++)
        if (rights & (1u << i))
            buf_putc(out, acl_letters[i]);
}

void acl_rights_to_wire(unsigned rights, struct buf *out)
{
    /* "lrswipkxte", then the virtual letters, then "a" (Cyrus's order). */
    buf_reset(out);
    for (size_t i = 0; acl_letters[i] != 'a'; i++)
        if (rights & (1u << i))
            buf_putc(out, acl_letters[i]);
    if (rights & ACL_LEGACY_CREATE)
        buf_putc(out, 'c');
    if (rights & ACL_LEGACY_DELETE)
        buf_putc(out, 'd');
    if (rights & ACL_ADMIN)
        buf_putc(out, 'a');
}

const char *acl_expand_rights(const char *s)
{
    static const struct { const char *name, *rights; } abbrevs[] = {
        { "none", "" },
        { "read", "lrs" },
        { "post", "lrsp" },
        { "append", "lrsip" },
        { "write", "lrswipkxte" },
        { "all", "lrswipkxtea" },
    };

    for (size_t i = 0; s && i < sizeof(abbrevs) / sizeof(abbrevs[0]); i++)
        if (!strcasecmp(s, abbrevs[i].name))
            return abbrevs[i].rights;
    return s;
}

/* ---- ACL lists ---------------------------------------------------------- */

struct acl *acl_new(void)
{
    return xzmalloc(sizeof(struct acl));
}

void acl_free(struct acl **aclp)
{
    struct acl *acl = *aclp;

    if (!acl)
        return;
    for (size_t i = 0; i < acl->count; i++)
        free(acl->entries[i].id);
    free(acl->entries);
    free(acl);
    *aclp = NULL;
}

int acl_identifier_valid(const char *id)
{
    size_t len;

    if (!id)
        return 0;
    len = strnlen(id, ACL_ID_MAX + 1);
    if (len == 0 || len > ACL_ID_MAX || !strcmp(id, "-") ||
        !strncmp(id, "--", 2))
        return 0;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

static long acl_find(const struct acl *acl, const char *id)
{
    for (size_t i = 0; i < acl->count; i++)
        if (!strcmp(acl->entries[i].id, id))
            return (long)i;
    return -1;
}

static void acl_remove_at(struct acl *acl, size_t i)
{
    free(acl->entries[i].id);
    memmove(&acl->entries[i], &acl->entries[i + 1],
            (acl->count - i - 1) * sizeof(acl->entries[0]));
    acl->count--;
}

int acl_set(struct acl *acl, const char *id, unsigned rights)
{
    long i;

    if (!acl_identifier_valid(id))
        return ERR_BADARG;
    rights &= ACL_ALL;
    i = acl_find(acl, id);
    if (i >= 0) {
        if (rights)
            acl->entries[i].rights = rights;
        else
            acl_remove_at(acl, (size_t)i);
        return ERR_OK;
    }
    if (!rights)
        return ERR_OK;
    if (acl->count == acl->alloc) {
        acl->alloc = acl->alloc ? acl->alloc * 2 : 4;
        acl->entries = xreallocarray(acl->entries, acl->alloc,
                                     sizeof(acl->entries[0]));
    }
    acl->entries[acl->count].id = xstrdup(id);
    acl->entries[acl->count].rights = rights;
    acl->count++;
    return ERR_OK;
}

int acl_modify(struct acl *acl, const char *id, const char *mod)
{
    unsigned rights, old;

    if (!mod || !acl_identifier_valid(id))
        return ERR_BADARG;
    if (acl_rights_parse(mod + (*mod == '+' || *mod == '-'), &rights))
        return ERR_BADARG;
    old = acl_get(acl, id);
    if (*mod == '+')
        rights = old | rights;
    else if (*mod == '-')
        rights = old & ~rights;
    return acl_set(acl, id, rights);
}

int acl_delete(struct acl *acl, const char *id)
{
    long i = id ? acl_find(acl, id) : -1;

    if (i < 0)
        return ERR_NOTFOUND;
    acl_remove_at(acl, (size_t)i);
    return ERR_OK;
}

unsigned acl_get(const struct acl *acl, const char *id)
{
    long i = id ? acl_find(acl, id) : -1;

    return i >= 0 ? acl->entries[i].rights : 0;
}

size_t acl_count(const struct acl *acl) { return acl->count; }

const char *acl_nth(const struct acl *acl, size_t i, unsigned *rights_r)
{
    ASSERT(i < acl->count);
    if (rights_r)
        *rights_r = acl->entries[i].rights;
    return acl->entries[i].id;
}

/* Parse "id rights id rights ..." already split into fields. */
static int acl_from_pairs(const struct strarray *fields, struct acl **acl_r)
{
    struct acl *acl = acl_new();

    *acl_r = NULL;
    if (fields->count % 2)
        goto bad;
    for (size_t i = 0; i < fields->count; i += 2) {
        const char *id = fields->data[i];
        unsigned rights;
        if (!acl_identifier_valid(id) ||
            acl_rights_parse(fields->data[i + 1], &rights))
            goto bad;
        /* A repeated identifier: the union, as acl_myrights() would. */
        acl_set(acl, id, acl_get(acl, id) | rights);
    }
    *acl_r = acl;
    return ERR_OK;
bad:
    acl_free(&acl);
    return ERR_BADFORMAT;
}

/* Split s at every TAB, keeping empty fields (empty rights are legal);
 * a single final TAB ends the last field rather than opening a new one. */
static void acl_split_tabs(const char *s, struct strarray *fields)
{
    const char *start = s;

    for (const char *p = s;; p++) {
        if (*p != '\t' && *p != '\0')
            continue;
        if (*p == '\0' && p == start)
            break;                      /* after a final TAB, or empty */
        strarray_appendm(fields, xstrndup(start, (size_t)(p - start)));
        if (*p == '\0')
            break;
        start = p + 1;
    }
}

int acl_parse(const char *s, struct acl **acl_r)
{
    struct strarray fields = STRARRAY_INITIALIZER;
    int r;

    *acl_r = NULL;
    if (!s)
        return ERR_BADFORMAT;
    acl_split_tabs(s, &fields);
    r = acl_from_pairs(&fields, acl_r);
    strarray_fini(&fields);
    return r;
}

void acl_serialize(const struct acl *acl, struct buf *out)
{
    struct buf rights = BUF_INITIALIZER;

    buf_reset(out);
    for (size_t i = 0; i < acl->count; i++) {
        acl_rights_to_string(acl->entries[i].rights, &rights);
        buf_appendcstr(out, acl->entries[i].id);
        buf_putc(out, '\t');
        buf_appendbuf(out, &rights);
        buf_putc(out, '\t');
    }
    buf_free(&rights);
}

/* ---- the decision ------------------------------------------------------- */

unsigned acl_myrights(const char *aclstr, const struct auth_state *who)
{
    struct acl *acl = NULL;
    unsigned allowed = 0, denied = 0;

    if (!who)
        return 0;
    if (aclstr && acl_parse(aclstr, &acl) == ERR_OK) {
        for (size_t i = 0; i < acl->count; i++) {
            const char *id = acl->entries[i].id;
            if (id[0] == '-') {
                if (auth_memberof(who, id + 1))
                    denied |= acl->entries[i].rights;
            } else if (auth_memberof(who, id)) {
                allowed |= acl->entries[i].rights;
            }
        }
        acl_free(&acl);
    } else {
        /* Fail closed: a damaged ACL must not open a mailbox. */
        log_error("acl: unreadable ACL, no rights granted: user=<%s>",
                  auth_userid(who));
    }
    allowed &= ~denied;
    if (auth_is_admin(who))
        allowed |= ACL_ADMIN_IMPLICIT;
    return allowed;
}

/* ---- ACLs of new mailboxes ---------------------------------------------- */

int acl_default_inbox(const char *owner, struct buf *out)
{
    struct buf rights = BUF_INITIALIZER;

    buf_reset(out);
    if (!acl_identifier_valid(owner) || owner[0] == '-')
        return ERR_BADARG;
    acl_rights_to_string(ACL_ALL, &rights);
    buf_printf(out, "%s\t%s\t", owner, buf_cstring(&rights));
    buf_free(&rights);
    return ERR_OK;
}

int acl_default_shared(const char *defaultacl, struct buf *out)
{
    struct strarray *fields;
    struct acl *acl = NULL;
    int r;

    buf_reset(out);
    if (!defaultacl)
        return ERR_BADARG;
    fields = strarray_split(defaultacl, " \t\r\n");
    r = acl_from_pairs(fields, &acl);
    strarray_free(&fields);
    if (r)
        return ERR_BADARG;
    acl_serialize(acl, out);
    acl_free(&acl);
    return ERR_OK;
}
