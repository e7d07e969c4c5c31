/* mboxlist_autocreate.c -- a new user's INBOX and its folders at the
 * first login (mboxlist.h, mboxlist_autocreate_user()): Cyrus's
 * autocreate_inbox_folders, autocreate_subscribe_folders and xlist-<role>
 * options.  Crash safety comes from the order: every folder is one
 * mboxlist_create_special() (record and roles in one transaction, files
 * by the intent), subscriptions are idempotent, and the INBOX, made
 * last, is what says the work is done.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/subs.h"

/* The xlist-<role> options, and the role each gives. */
static const struct {
    enum conf_option opt;
    const char *role;
} autocreate_roles[] = {
    { CONF_XLIST_ARCHIVE, "\\Archive" }, { CONF_XLIST_DRAFTS, "\\Drafts" },
    { CONF_XLIST_JUNK, "\\Junk" }, { CONF_XLIST_SENT, "\\Sent" },
    { CONF_XLIST_TRASH, "\\Trash" }
};

/* "a | b|c " -> a, b, c (empty items dropped). */
static void autocreate_split(const char *text, struct strarray *out)
{
    struct buf item = BUF_INITIALIZER;

    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "|");
        const char *s = p, *e = p + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s) {
            buf_setmap(&item, s, (size_t)(e - s));
            strarray_append(out, buf_cstring(&item));
        }
        p += len;
        if (*p)
            p++;
    }
    buf_free(&item);
}

/* The roles the xlist- options give folder (space-separated, "" none). */
static void autocreate_folder_roles(const char *folder, struct buf *roles)
{
    buf_reset(roles);
    for (size_t i = 0; i < sizeof(autocreate_roles) / sizeof(*autocreate_roles);
         i++) {
        if (strcmp(conf_getstring(autocreate_roles[i].opt), folder))
            continue;
        if (roles->len)
            buf_putc(roles, ' ');
        buf_appendcstr(roles, autocreate_roles[i].role);
    }
    buf_cstring(roles);
}

/* One folder (and its subscription); ERR_OK when it was there already. */
static int autocreate_folder(const char *userid, const char *inbox,
                             const char *folder, int subscribe,
                             const struct auth_state *who)
{
    struct buf name = BUF_INITIALIZER, roles = BUF_INITIALIZER;
    int r;

    buf_printf(&name, "%s.%s", inbox, folder);
    if (mboxname_validate(buf_cstring(&name))) {
        log_error("autocreate: invalid folder name in "
                  "autocreate_inbox_folders: folder=<%s>", folder);
        r = ERR_OK;
        goto done;
    }
    autocreate_folder_roles(folder, &roles);
    r = mboxlist_create_special(name.s, NULL, who, MBOXLIST_CREATE_AUTOINBOX,
                                buf_cstring(&roles));
    if (r == ERR_EXISTS)
        r = ERR_OK;
    if (!r && subscribe)
        r = subs_add(userid, name.s);
    if (r)
        log_error("autocreate: folder failed: user=<%s> folder=<%s>: %s",
                  userid, folder, error_string(r));
done:
    buf_free(&name);
    buf_free(&roles);
    return r;
}

int mboxlist_autocreate_user(const char *userid,
                             const struct auth_state *who, int64_t quota_kb)
{
    struct strarray folders = STRARRAY_INITIALIZER;
    struct strarray subscribe = STRARRAY_INITIALIZER;
    struct buf inbox = BUF_INITIALIZER;
    int r;

    buf_printf(&inbox, "user.%s", userid);
    if ((r = mboxlist_lookup(buf_cstring(&inbox), NULL)) != ERR_NOTFOUND) {
        buf_free(&inbox);
        return r ? r : ERR_EXISTS;
    }
    autocreate_split(conf_getstring(CONF_AUTOCREATE_INBOX_FOLDERS), &folders);
    autocreate_split(conf_getstring(CONF_AUTOCREATE_SUBSCRIBE_FOLDERS),
                     &subscribe);
    /* The quota root first: the folders are charged to it from the start. */
    r = quota_kb > 0 ? quota_set_limits(inbox.s, quota_kb, QUOTA_UNLIMITED)
                     : ERR_OK;
    for (size_t i = 0; !r && i < folders.count; i++)
        r = autocreate_folder(userid, inbox.s, folders.data[i],
                              strarray_find(&subscribe, folders.data[i]) >= 0,
                              who);
    if (!r)
        r = mboxlist_create(inbox.s, NULL, who, MBOXLIST_CREATE_AUTOINBOX);
    if (r == ERR_EXISTS)
        ;                       /* another login of the user was first */
    else if (r)
        log_error("autocreate INBOX failed: user=<%s>: %s", userid,
                  error_string(r));
    else
        log_notice("autocreated INBOX: user=<%s> quota=<%lld> folders=<%zu>",
                   userid, (long long)quota_kb, folders.count);
    strarray_fini(&folders);
    strarray_fini(&subscribe);
    buf_free(&inbox);
    return r;
}
