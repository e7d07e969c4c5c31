/* mboxlist_find.c -- LIST-style walks of the mailboxes database.
 *
 * A walk reads only the keys that start with the pattern's literal prefix
 * (glob_literal_prefix()), in key (= name) order, and reports a mailbox
 * only if it matches and the caller has `l` there (acl_myrights()).  Keys
 * that are no mailbox (mboxlist_is_meta_key()) are never reported.
 * lib/db holds no lock while the callback runs, so it may call anything.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/glob.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"

/* Which names a walk considers. */
enum find_scope {
    FIND_INTERNAL,      /* all, matched by internal name */
    FIND_OWN,           /* only user.<userid> and below, as INBOX... */
    FIND_OTHERS         /* all but those, by (unchanged) external name */
};

struct find_rock {
    struct glob *g;
    const struct auth_state *who;
    mboxlist_find_fn *fn;
    void *rock;
    const char *userid;
    struct buf inbox;   /* "user.<userid>" */
    enum find_scope scope;
    int stopped;        /* fn returned non-zero: that value is in ret */
    int ret;
};

/* 1 if name is user.<userid> or below it. */
static int find_is_own(const struct find_rock *fr, const char *name)
{
    size_t n = fr->inbox.len;
    return fr->inbox.len && !strncmp(name, fr->inbox.s, n) &&
           (name[n] == '\0' || name[n] == MBOXNAME_SEP);
}

static int find_one(const void *key, size_t keylen, const void *val,
                    size_t vallen, void *rock)
{
    struct find_rock *fr = rock;
    struct buf ext = BUF_INITIALIZER;
    struct mboxlist_entry e;
    char *name = xstrndup(key, keylen);
    const char *matched = name;
    int r = 0;

    memset(&e, 0, sizeof(e));
    if (mboxlist_is_meta_key(key, keylen))    /* the UIDVALIDITY counter */
        goto done;
    if (fr->scope != FIND_INTERNAL && (find_is_own(fr, name) !=
                                       (fr->scope == FIND_OWN)))
        goto done;
    if (fr->scope == FIND_OWN) {
        if (mboxname_to_external(name, fr->userid, &ext))
            goto done;
        matched = buf_cstring(&ext);
    }
    if (!glob_match(fr->g, matched) ||
        mboxlist_entry_decode(name, val, vallen, &e) ||
        !(acl_myrights(e.acl, fr->who) & ACL_LOOKUP))
        goto done;
    if ((fr->ret = fr->fn(matched, &e, fr->rock)) != 0) {
        fr->stopped = 1;
        r = 1;
    }
done:
    mboxlist_entry_fini(&e);
    buf_free(&ext);
    free(name);
    return r;
}

/* Walk the keys starting with prefix[0..len) in scope. */
static int find_walk(struct find_rock *fr, const char *prefix, size_t len,
                     enum find_scope scope)
{
    struct db *db;
    int r;

    if ((r = mboxlist_db_get(NULL, &db)))
        return r;
    fr->scope = scope;
    r = db_foreach(db, NULL, prefix, len, find_one, fr);
    return fr->stopped ? fr->ret : r;
}

int mboxlist_find(const char *pattern, const struct auth_state *who,
                  mboxlist_find_fn *fn, void *rock)
{
    struct find_rock fr;
    const char *prefix;
    size_t len;
    int r;

    memset(&fr, 0, sizeof(fr));
    fr.g = glob_new(pattern, MBOXNAME_SEP, 0);
    fr.who = who;
    fr.fn = fn;
    fr.rock = rock;
    prefix = glob_literal_prefix(fr.g, &len);
    r = find_walk(&fr, prefix, len, FIND_INTERNAL);
    glob_free(&fr.g);
    return r;
}

/* The own-mailbox walk: the literal prefix with "INBOX" turned into
 * "user.<userid>" when the prefix spells INBOX, else the whole INBOX tree. */
static int find_own(struct find_rock *fr, const char *lit, size_t len)
{
    struct buf prefix = BUF_INITIALIZER;
    int r;

    buf_appendbuf(&prefix, &fr->inbox);
    if (len > 5 && lit[5] == MBOXNAME_SEP && !strncasecmp(lit, "INBOX", 5))
        buf_appendmap(&prefix, lit + 5, len - 5);
    r = find_walk(fr, prefix.s, prefix.len, FIND_OWN);
    buf_free(&prefix);
    return r;
}

int mboxlist_find_external(const char *pattern, const char *userid,
                           const struct auth_state *who,
                           mboxlist_find_fn *fn, void *rock)
{
    struct find_rock fr;
    const char *lit;
    size_t len;
    int r = ERR_OK, only_inbox;

    memset(&fr, 0, sizeof(fr));
    fr.g = glob_new(pattern, MBOXNAME_SEP, GLOB_INBOXCASE);
    fr.who = who;
    fr.fn = fn;
    fr.rock = rock;
    fr.userid = userid;
    lit = glob_literal_prefix(fr.g, &len);
    /* Internal names never start with an "INBOX" component, so a pattern
     * spelling "INBOX" or "INBOX." can only match own mailboxes. */
    only_inbox = len >= 5 && !strncasecmp(lit, "INBOX", 5) &&
                 (len > 5 ? lit[5] == MBOXNAME_SEP : pattern[5] == '\0');
    if (userid && mboxname_validate_userid(userid) == ERR_OK) {
        buf_printf(&fr.inbox, "%s%s", MBOXNAME_USER_PREFIX, userid);
        if (glob_prefix_may_match(fr.g, "INBOX", 5))
            r = find_own(&fr, lit, len);
    }
    if (!r && !only_inbox)
        r = find_walk(&fr, lit, len, FIND_OTHERS);
    buf_free(&fr.inbox);
    glob_free(&fr.g);
    return r;
}
