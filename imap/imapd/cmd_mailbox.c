/* cmd_mailbox.c -- CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE and
 * NAMESPACE.
 *
 * Rights and rules are mboxlist's (mboxlist.h); this file only maps client
 * names to internal ones and errors to responses.  Two IMAP rules live
 * here because they are protocol, not mailstore:
 *   - RENAME of one's own INBOX moves its messages into a new mailbox and
 *     leaves INBOX existing and empty (RFC 3501 6.3.5).  The INBOX stays
 *     locked from the snapshot to the expunge, so nothing that arrives
 *     meanwhile is lost or moved twice; the copies are committed before
 *     the originals are expunged, so a crash leaves duplicates at worst.
 *   - SUBSCRIBE needs the mailbox to exist and be visible (Cyrus's rule
 *     without allowallsubscribe): NO [NONEXISTENT] otherwise.  UNSUBSCRIBE
 *     of a name that is not subscribed is OK, as in Cyrus.
 * Deleting or renaming the selected mailbox closes it (state goes back to
 * authenticated, with an untagged OK [CLOSED]).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "imap/mailstore/append.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/subs.h"

/* Close the selected mailbox if it is name, or lies below it when
 * children went too (a moved or deleted hierarchy). */
static void mailbox_close_selected(struct imapd_session *s, const char *name,
                                   int children)
{
    const char *sel;

    if (!s->index)
        return;
    sel = index_mailbox(s->index)->name;
    if (strcmp(sel, name) && !(children && mboxname_isdescendant(sel, name)))
        return;
    index_close(&s->index);
    s->state = IMAPD_AUTH;
    prot_puts(s->prot, "* OK [CLOSED] Selected mailbox closed\r\n");
}

/* 1 if name is the session user's own INBOX (user.<me>). */
static int mailbox_is_own_inbox(struct imapd_session *s, const char *name)
{
    char *owner = mboxname_isinbox(name) ? mboxname_userid_of(name) : NULL;
    int r = owner && s->userid && !strcmp(owner, s->userid);
    free(owner);
    return r;
}

/* Optional partition argument (Cyrus's CREATE/RENAME extension, used by
 * the admin client): administrators only. */
static int mailbox_partition_arg(struct imapd_session *s,
                                 const struct imapd_command *c, size_t i,
                                 const char **partition_r)
{
    *partition_r = NULL;
    if (c->nargs <= i)
        return ERR_OK;
    if (!imap_arg_get_astring(&c->args[i], partition_r) || !**partition_r) {
        imapd_tagged_bad(s, c->tag, "Invalid %s arguments", c->name);
        return ERR_BADARG;
    }
    if (!s->is_admin) {
        imapd_tagged_no(s, c->tag, "[NOPERM] Only administrators may "
                        "choose a partition");
        return ERR_PERM;
    }
    return ERR_OK;
}

/* Answer a model error, naming an unknown partition plainly. */
static void mailbox_error(struct imapd_session *s, const char *tag, int r,
                          const char *partition)
{
    if (r == ERR_BADARG && partition)
        imapd_tagged_no(s, tag, "[CANNOT] Unknown partition");
    else
        imapd_tagged_error(s, tag, r, NULL);
}

/* CREATE mailbox [partition] */
void cmd_create(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf ext = BUF_INITIALIZER, name = BUF_INITIALIZER;
    const char *arg, *partition;
    int r;

    if (c->nargs < 1 || c->nargs > 2 ||
        !imap_arg_get_astring(&c->args[0], &arg)) {
        imapd_tagged_bad(s, c->tag, "CREATE needs a mailbox name");
        return;
    }
    if (mailbox_partition_arg(s, c, 1, &partition))
        return;
    /* RFC 3501 6.3.3: a trailing separator only declares the intent to
     * create children; the name is created without it. */
    buf_setcstr(&ext, arg);
    if (ext.len > 1 && ext.s[ext.len - 1] == MBOXNAME_SEP)
        buf_truncate(&ext, ext.len - 1);
    r = imapd_mailbox_name(s, buf_cstring(&ext), &name);
    if (!r)
        r = mboxlist_create(buf_cstring(&name), partition, s->auth, 0);
    if (r)
        mailbox_error(s, c->tag, r, partition);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
    buf_free(&ext);
    buf_free(&name);
}

/* DELETE mailbox */
void cmd_delete(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER;
    const char *arg;
    int r;

    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &arg)) {
        imapd_tagged_bad(s, c->tag, "DELETE needs a mailbox name");
        return;
    }
    r = imapd_mailbox_name(s, arg, &name);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r && mailbox_is_own_inbox(s, buf_cstring(&name)) && !s->is_admin) {
        imapd_tagged_no(s, c->tag, "[CANNOT] INBOX cannot be deleted");
        goto done;
    }
    if (!r)
        r = mboxlist_delete(name.s, s->auth, 0);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    /* A user INBOX takes its whole hierarchy with it. */
    mailbox_close_selected(s, name.s, mboxname_isinbox(name.s));
    imapd_tagged_ok(s, c->tag, "Completed");
done:
    buf_free(&name);
}

/* ---- RENAME INBOX --------------------------------------------------------- */

static int rename_want_all(const struct index_record *rec, void *rock)
{
    (void)rec;
    (void)rock;
    return 1;
}

/* The keyword names of rec in mb, for append_copy(). */
static void rename_keywords(const struct mailbox *mb,
                            const struct index_record *rec,
                            struct strarray *out)
{
    strarray_fini(out);
    for (size_t i = 0; i < mb->flagnames.count; i++)
        if (index_record_has_user_flag(rec, (int)i) && mb->flagnames.data[i])
            strarray_append(out, mb->flagnames.data[i]);
}

/* Copy every message of src into dst (one transaction), carrying the
 * user's \Seen state over to the new UIDs. */
static int rename_copy_all(struct imapd_session *s, struct mailbox *src,
                           struct mailbox *dst, uint32_t *count_r)
{
    struct append_params params;
    struct append_result result;
    struct append_state *as = NULL;
    struct strarray keywords = STRARRAY_INITIALIZER;
    struct seen *seen = NULL;
    struct seen_data sd;
    int same_root, r;

    memset(&params, 0, sizeof(params));
    memset(&result, 0, sizeof(result));
    memset(&sd, 0, sizeof(sd));
    same_root = (!src->quotaroot && !dst->quotaroot) ||
                (src->quotaroot && dst->quotaroot &&
                 !strcmp(src->quotaroot, dst->quotaroot));
    /* Within one quota root the usage does not change in the end. */
    params.quota = same_root ? APPEND_QUOTA_IGNORE : APPEND_QUOTA_STRICT;
    if (seen_open(s->userid, 0, &seen) == ERR_OK)
        seen_read(seen, src->uniqueid, &sd);
    seen_close(&seen);
    if ((r = append_begin(dst, &params, &as)))
        goto done;
    for (uint32_t n = 0; !r && n < src->i.num_records; n++) {
        struct index_record rec;
        uint32_t flags;
        if ((r = mailbox_read_record(src, n, &rec)))
            break;
        flags = rec.system_flags;
        if (sd.seenuids && seqset_ismember(sd.seenuids, rec.uid))
            flags |= APPEND_SEEN;
        rename_keywords(src, &rec, &keywords);
        r = append_copy(as, src, &rec, flags, &keywords, NULL);
    }
    if (r) {
        append_abort(&as);
        goto done;
    }
    if ((r = append_commit(&as, &result)))
        goto done;
    *count_r = result.count;
    if (result.nseen)
        cmd_append_mark_seen(s->userid, dst->uniqueid, result.seen_uids,
                             result.nseen, result.last_uid);
done:
    free(result.seen_uids);
    seen_data_fini(&sd);
    strarray_fini(&keywords);
    return r;
}

/* RENAME INBOX newname: create newname, move every message there. */
static int rename_inbox(struct imapd_session *s, const char *inbox,
                        const char *newname)
{
    struct mailbox *src = NULL, *dst = NULL;
    uint32_t *expunged = NULL, count = 0;
    size_t nexpunged = 0;
    uint64_t freed = 0;
    int r;

    if ((r = mboxlist_create(newname, NULL, s->auth, 0)))
        return r;
    /* The INBOX stays locked from the snapshot to the expunge. */
    r = mboxlist_open_mailbox(inbox, MAILBOX_EXCLUSIVE, &src);
    if (!r)
        r = mboxlist_open_mailbox(newname, MAILBOX_UNLOCKED, &dst);
    if (!r)
        r = rename_copy_all(s, src, dst, &count);
    mailbox_close(&dst);
    if (r) {
        mailbox_close(&src);
        if (mboxlist_delete(newname, s->auth, 0))
            log_error("rename INBOX: could not remove mailbox=<%s> after "
                      "a failed move; remove it by hand", newname);
        return r;
    }
    if (count) {
        r = mailbox_expunge(src, rename_want_all, NULL, &expunged, &nexpunged,
                            &freed);
        if (!r && src->quotaroot)
            quota_update(src->quotaroot, -(int64_t)freed,
                         -(int64_t)nexpunged);
        if (r)
            log_error("rename INBOX: messages copied to mailbox=<%s> but not "
                      "expunged from mailbox=<%s>: %s", newname, inbox,
                      error_string(r));
    }
    log_info("rename INBOX: user=<%s> to=<%s> messages=<%u>", s->userid,
             newname, count);
    free(expunged);
    mailbox_close(&src);
    return r;
}

/* RENAME old new [partition] */
void cmd_rename(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf oldname = BUF_INITIALIZER, newname = BUF_INITIALIZER;
    const char *oldarg, *newarg, *partition;
    int r;

    if (c->nargs < 2 || c->nargs > 3 ||
        !imap_arg_get_astring(&c->args[0], &oldarg) ||
        !imap_arg_get_astring(&c->args[1], &newarg)) {
        imapd_tagged_bad(s, c->tag, "RENAME needs two mailbox names");
        return;
    }
    if (mailbox_partition_arg(s, c, 2, &partition))
        return;
    r = imapd_mailbox_name(s, oldarg, &oldname);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r)
        r = imapd_mailbox_name(s, newarg, &newname);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    buf_cstring(&oldname);
    buf_cstring(&newname);
    if (mailbox_is_own_inbox(s, oldname.s) && !partition) {
        if (!strcmp(oldname.s, newname.s))
            r = ERR_EXISTS;
        else
            r = rename_inbox(s, oldname.s, newname.s);
    } else {
        r = mboxlist_rename(oldname.s, newname.s, partition, s->auth);
        if (!r)
            mailbox_close_selected(s, oldname.s, 1);
    }
    if (r)
        mailbox_error(s, c->tag, r, partition);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
done:
    buf_free(&oldname);
    buf_free(&newname);
}

/* SUBSCRIBE mailbox / UNSUBSCRIBE mailbox */
void cmd_subscribe(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER;
    int add = !strcmp(c->name, "SUBSCRIBE"), r;
    const char *arg;

    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &arg)) {
        imapd_tagged_bad(s, c->tag, "%s needs a mailbox name", c->name);
        return;
    }
    r = imapd_mailbox_name(s, arg, &name);
    if (add) {
        if (r == ERR_BADNAME)
            r = ERR_NOTFOUND;
        if (!r)
            r = mboxlist_lookup_access(buf_cstring(&name), s->auth, 0, NULL,
                                       NULL);
        if (!r)
            r = subs_add(s->userid, name.s);
    } else {
        if (!r)
            r = subs_remove(s->userid, buf_cstring(&name));
        if (r == ERR_NOTFOUND)
            r = ERR_OK;
    }
    if (r)
        imapd_tagged_error(s, c->tag, r, NULL);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
    buf_free(&name);
}

/* NAMESPACE (RFC 2342): personal "INBOX.", other users "user.", shared
 * at the top level, all with "." as the separator. */
void cmd_namespace(struct imapd_session *s, const struct imapd_command *c)
{
    if (c->nargs) {
        imapd_tagged_bad(s, c->tag, "Unexpected arguments to NAMESPACE");
        return;
    }
    prot_puts(s->prot, "* NAMESPACE ((\"INBOX.\" \".\")) "
              "((\"user.\" \".\")) ((\"\" \".\"))\r\n");
    imapd_tagged_ok(s, c->tag, "Completed");
}
