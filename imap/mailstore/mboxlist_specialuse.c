/* mboxlist_specialuse.c -- special-use roles of mailboxes (RFC 6154):
 * the canonical form of a role list, and setting the roles of an existing
 * mailbox.  The roles live in the mailbox's mailboxes.db record
 * (mboxlist.h, the optional roles field); CREATE sets them with
 * mboxlist_create_special(), RENAME carries them with the record, DELETE
 * drops them with it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/mboxname.h"

static const char *const specialuse_roles[] = {
    "\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
    "\\Trash"
};
#define SPECIALUSE_NROLES (sizeof(specialuse_roles) / sizeof(*specialuse_roles))

int mboxlist_specialuse_normalize(const char *text, struct buf *out)
{
    int seen[SPECIALUSE_NROLES];
    const char *p = text ? text : "";

    memset(seen, 0, sizeof(seen));
    buf_reset(out);
    while (*p) {
        size_t len = strcspn(p, " "), k;
        if (len) {
            for (k = 0; k < SPECIALUSE_NROLES; k++)
                if (strlen(specialuse_roles[k]) == len &&
                    !strncasecmp(specialuse_roles[k], p, len))
                    break;
            if (k == SPECIALUSE_NROLES)
                return ERR_BADARG;
            seen[k] = 1;
        }
        p += len;
        p += strspn(p, " ");
    }
    for (size_t k = 0; k < SPECIALUSE_NROLES; k++) {
        if (!seen[k])
            continue;
        if (out->len)
            buf_putc(out, ' ');
        buf_appendcstr(out, specialuse_roles[k]);
    }
    buf_cstring(out);
    return ERR_OK;
}

/* 1 if the canonical list roles holds role (len bytes). */
static int specialuse_has(const char *roles, const char *role, size_t len)
{
    for (const char *p = roles; p && *p;) {
        size_t n = strcspn(p, " ");
        if (n == len && !strncmp(p, role, len))
            return 1;
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

struct taken_rock {
    const char *self;           /* the mailbox being given the roles */
    const char *roles;          /* canonical */
    struct buf *holder;
};

static int taken_one(const char *name, const struct mboxlist_entry *e,
                     void *rock)
{
    struct taken_rock *tr = rock;

    if (!e->specialuse || !strcmp(name, tr->self))
        return 0;
    for (const char *p = tr->roles; *p;) {
        size_t n = strcspn(p, " ");
        if (specialuse_has(e->specialuse, p, n)) {
            buf_setcstr(tr->holder, name);
            return ERR_EXISTS;
        }
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

int mboxlist_specialuse_taken(const char *name, const char *roles,
                              const struct auth_state *who,
                              struct buf *holder)
{
    char *owner = mboxname_userid_of(name);
    struct buf inbox = BUF_INITIALIZER, norm = BUF_INITIALIZER;
    struct mboxlist_entry e;
    struct taken_rock tr;
    int r = ERR_OK;

    if (!owner || mboxlist_specialuse_normalize(roles, &norm) || !norm.len)
        goto done;
    tr.self = name;
    tr.roles = buf_cstring(&norm);
    tr.holder = holder;
    buf_printf(&inbox, "user.%s", owner);
    if (!mboxlist_lookup_access(buf_cstring(&inbox), who, 0, &e, NULL)) {
        r = taken_one(inbox.s, &e, &tr);
        mboxlist_entry_fini(&e);
    }
    buf_appendcstr(&inbox, ".*");
    if (!r)
        r = mboxlist_find(buf_cstring(&inbox), who, taken_one, &tr);
done:
    free(owner);
    buf_free(&inbox);
    buf_free(&norm);
    return r;
}

struct setuse_rock {
    const char *name;
    const char *roles;          /* canonical, "" for none */
};

static int setuse_txn(struct db *db, struct db_txn *txn, void *rock)
{
    struct setuse_rock *sr = rock;
    struct mboxlist_entry e;
    int r;

    (void)db;
    if ((r = mboxlist_intent_check(txn, sr->name)))
        return r;
    if ((r = mboxlist_fetch(txn, sr->name, &e)))
        return r;
    free(e.specialuse);
    e.specialuse = *sr->roles ? xstrdup(sr->roles) : NULL;
    r = mboxlist_store(txn, &e);
    mboxlist_entry_fini(&e);
    return r;
}

int mboxlist_setspecialuse(const char *name, const struct auth_state *who,
                           const char *specialuse)
{
    struct buf roles = BUF_INITIALIZER;
    struct setuse_rock sr;
    int r;

    if (mboxlist_specialuse_normalize(specialuse, &roles)) {
        buf_free(&roles);
        return ERR_BADARG;
    }
    for (int round = 0;; round++) {
        r = mboxlist_lookup_access(name, who, ACL_ADMIN, NULL, NULL);
        if (r)
            break;
        sr.name = name;
        sr.roles = buf_cstring(&roles);
        r = mboxlist_txn_run(setuse_txn, &sr);
        /* An intent came in between: wait for it (lookup) and go again. */
        if (r != ERR_AGAIN || round >= MBOXLIST_MAX_RETRIES)
            break;
    }
    if (!r)
        log_info("mailbox roles set: mailbox=<%s> roles=<%s> by=<%s>", name,
                 buf_cstring(&roles), auth_userid(who));
    buf_free(&roles);
    return r == ERR_AGAIN ? ERR_LOCKED : r;
}
