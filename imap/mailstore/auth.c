/* auth.c -- identities and UNIX group membership for ACL checks.
 *
 * The group list is computed once, by one pass over the group database
 * (getgrent), when a check first needs it: membership checks are then
 * string comparisons and never block on NSS again, and a session whose
 * ACLs name no group never reads it (loading NSS modules and reading
 * /etc/passwd and /etc/group was a third of a LOGIN's system calls).  The
 * anonymous identity has no groups and matches only "anyone" and
 * "anonymous".
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxname.h"

/* Filled when first needed, through a const auth_state. */
struct auth_group_cache {
    int loaded;
    struct strarray names;
};

struct auth_state {
    char *userid;
    int is_admin;
    int is_anonymous;
    struct auth_group_cache *groups;
};

static struct auth_state *auth_alloc(const char *userid, int is_admin)
{
    struct auth_state *auth = xzmalloc(sizeof(*auth));

    auth->is_anonymous = !userid || !strcmp(userid, AUTH_ANONYMOUS);
    auth->userid = xstrdup(auth->is_anonymous ? AUTH_ANONYMOUS : userid);
    auth->is_admin = is_admin && !auth->is_anonymous;
    auth->groups = xzmalloc(sizeof(*auth->groups));
    auth->groups->loaded = auth->is_anonymous;
    return auth;
}

static int listed_in(char **members, const char *userid)
{
    for (; members && *members; members++)
        if (!strcmp(*members, userid))
            return 1;
    return 0;
}

/* Every group that lists userid, plus the primary group of a UNIX account
 * of that name if there is one. */
static const struct strarray *auth_unix_groups(const struct auth_state *auth)
{
    struct auth_group_cache *g = auth->groups;
    struct passwd *pw;
    gid_t primary = 0;
    int has_account;
    struct group *gr;

    if (g->loaded)
        return &g->names;
    g->loaded = 1;
    pw = getpwnam(auth->userid);
    if ((has_account = pw != NULL))
        primary = pw->pw_gid;
    setgrent();
    while ((gr = getgrent()) != NULL) {
        if ((has_account && gr->gr_gid == primary) ||
            listed_in(gr->gr_mem, auth->userid))
            strarray_add(&g->names, gr->gr_name);
    }
    endgrent();
    return &g->names;
}

struct auth_state *auth_new(const char *userid, int is_admin)
{
    return auth_alloc(userid, is_admin);
}

struct auth_state *auth_new_groups(const char *userid, int is_admin,
                                   const struct strarray *groups)
{
    struct auth_state *auth = auth_alloc(userid, is_admin);

    auth->groups->loaded = 1;
    for (size_t i = 0; !auth->is_anonymous && groups && i < groups->count; i++)
        strarray_add(&auth->groups->names, groups->data[i]);
    return auth;
}

void auth_free(struct auth_state **authp)
{
    struct auth_state *auth = *authp;

    if (!auth)
        return;
    free(auth->userid);
    strarray_fini(&auth->groups->names);
    free(auth->groups);
    free(auth);
    *authp = NULL;
}

const char *auth_userid(const struct auth_state *auth) { return auth->userid; }
int auth_is_admin(const struct auth_state *auth) { return auth->is_admin; }
int auth_is_anonymous(const struct auth_state *auth)
{
    return auth->is_anonymous;
}
const struct strarray *auth_groups(const struct auth_state *auth)
{
    return auth_unix_groups(auth);
}

int auth_memberof(const struct auth_state *auth, const char *identifier)
{
    static const size_t plen = sizeof(AUTH_GROUP_PREFIX) - 1;

    if (!auth || !identifier)
        return 0;
    if (!strcmp(identifier, AUTH_ANYONE))
        return 1;
    if (auth->is_anonymous)
        return !strcmp(identifier, AUTH_ANONYMOUS);
    if (!strncmp(identifier, AUTH_GROUP_PREFIX, plen))
        return strarray_find(auth_unix_groups(auth), identifier + plen) >= 0;
    /* A user named "anonymous" does not exist (it is the anonymous
     * identity), so this compare cannot let a user match "anonymous". */
    return !strcmp(identifier, auth->userid);
}

/* ---- canonical identities ------------------------------------------------ */

int auth_canonify_userid(const char *in, size_t len, struct buf *out)
{
    const char *domain = conf_getstring(CONF_DEFAULTDOMAIN);
    const char *at = NULL;
    size_t ulen = len;

    buf_reset(out);
    if (!in || len == 0)
        return ERR_BADNAME;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c >= 0x7f)
            return ERR_BADNAME;
        /* A second '@' would leave one in the user part: refused, since
         * a canonical user id never holds one. */
        if (c == '@' && at)
            return ERR_BADNAME;
        if (c == '@')
            at = in + i;
    }
    if (at) {
        size_t dlen = len - (size_t)(at + 1 - in);
        if (!domain || !*domain || strlen(domain) != dlen ||
            strncasecmp(at + 1, domain, dlen))
            return ERR_BADNAME;
        ulen = (size_t)(at - in);
    }
    buf_setmap(out, in, ulen);
    if (conf_getswitch(CONF_USERNAME_TOLOWER))
        buf_tolower(out);
    if (mboxname_validate_userid(buf_cstring(out))) {
        buf_reset(out);
        return ERR_BADNAME;
    }
    return ERR_OK;
}

int auth_canonify_identifier(const char *id, struct buf *out)
{
    struct buf user = BUF_INITIALIZER;
    int neg = id && *id == '-';
    const char *bare = id ? id + neg : NULL;
    int r = ERR_OK;

    buf_reset(out);
    if (!bare || !*bare)
        return ERR_BADNAME;
    if (!strcmp(bare, AUTH_ANYONE) || !strcmp(bare, AUTH_ANONYMOUS) ||
        (!strncmp(bare, AUTH_GROUP_PREFIX, sizeof(AUTH_GROUP_PREFIX) - 1) &&
         bare[sizeof(AUTH_GROUP_PREFIX) - 1])) {
        for (const char *p = bare; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
                return ERR_BADNAME;
        buf_setcstr(&user, bare);
    } else {
        r = auth_canonify_userid(bare, strlen(bare), &user);
    }
    if (!r) {
        if (neg)
            buf_putc(out, '-');
        buf_appendbuf(out, &user);
    }
    buf_free(&user);
    return r;
}

/* Is the canonical userid one of the names of a space- or comma-separated
 * option (each entry canonified; entries that are no valid name never
 * match)? */
static int auth_listed(enum conf_option opt, const char *userid)
{
    struct strarray *names = strarray_split(conf_getstring(opt), " \t,");
    struct buf canon = BUF_INITIALIZER;
    int found = 0;

    for (size_t i = 0; !found && i < names->count; i++)
        found = !auth_canonify_userid(names->data[i],
                                      strlen(names->data[i]), &canon) &&
                !strcmp(buf_cstring(&canon), userid);
    buf_free(&canon);
    strarray_free(&names);
    return found;
}

int auth_userid_is_admin(const char *userid)
{
    return userid && auth_listed(CONF_ADMINS, userid);
}

int auth_may_proxy(const char *authid, const char *authzid)
{
    if (!authid || !authzid)
        return 0;
    return !strcmp(authid, authzid) || auth_userid_is_admin(authid) ||
           auth_listed(CONF_PROXYSERVERS, authid);
}
