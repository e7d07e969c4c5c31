/* auth.c -- identities and UNIX group membership for ACL checks.
 *
 * The group list is computed once, when the identity is made, by one pass
 * over the group database (getgrent): membership checks during a session
 * are then string comparisons and never block on NSS.  The anonymous
 * identity has no groups and matches only "anyone" and "anonymous".
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/auth.h"

struct auth_state {
    char *userid;
    int is_admin;
    int is_anonymous;
    struct strarray groups;
};

static struct auth_state *auth_alloc(const char *userid, int is_admin)
{
    struct auth_state *auth = xzmalloc(sizeof(*auth));

    auth->is_anonymous = !userid || !strcmp(userid, AUTH_ANONYMOUS);
    auth->userid = xstrdup(auth->is_anonymous ? AUTH_ANONYMOUS : userid);
    auth->is_admin = is_admin && !auth->is_anonymous;
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
static void auth_load_unix_groups(struct auth_state *auth)
{
    struct passwd *pw = getpwnam(auth->userid);
    int has_account = pw != NULL;
    gid_t primary = has_account ? pw->pw_gid : 0;
    struct group *gr;

    setgrent();
    while ((gr = getgrent()) != NULL) {
        if ((has_account && gr->gr_gid == primary) ||
            listed_in(gr->gr_mem, auth->userid))
            strarray_add(&auth->groups, gr->gr_name);
    }
    endgrent();
}

struct auth_state *auth_new(const char *userid, int is_admin)
{
    struct auth_state *auth = auth_alloc(userid, is_admin);

    if (!auth->is_anonymous)
        auth_load_unix_groups(auth);
    return auth;
}

struct auth_state *auth_new_groups(const char *userid, int is_admin,
                                   const struct strarray *groups)
{
    struct auth_state *auth = auth_alloc(userid, is_admin);

    for (size_t i = 0; !auth->is_anonymous && groups && i < groups->count; i++)
        strarray_add(&auth->groups, groups->data[i]);
    return auth;
}

void auth_free(struct auth_state **authp)
{
    struct auth_state *auth = *authp;

    if (!auth)
        return;
    free(auth->userid);
    strarray_fini(&auth->groups);
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
    return &auth->groups;
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
        return strarray_find(&auth->groups, identifier + plen) >= 0;
    /* A user named "anonymous" does not exist (it is the anonymous
     * identity), so this compare cannot let a user match "anonymous". */
    return !strcmp(identifier, auth->userid);
}
