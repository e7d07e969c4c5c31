/* index_copy.c -- COPY, MOVE (RFC 6851) with the COPYUID data of UIDPLUS
 * (RFC 4315), and EXPUNGE / UID EXPUNGE / CLOSE.
 *
 * Copies go through append (DESIGN.md: the one way in): one transaction
 * for the whole set, so the destination gets all messages or none.
 * Keywords travel by name (flag numbers differ between mailboxes); \Seen
 * travels in the user's seen state of the destination.  MOVE copies first
 * and expunges the originals only after the copy is committed: a crash in
 * between leaves the messages in both mailboxes, never in neither.
 * COPY/MOVE by number run without EXPUNGE responses before them (the
 * numbers are the client's); if one of the messages was expunged by another
 * session meanwhile, nothing is copied: NO [EXPUNGEISSUED].  The UID forms
 * get those EXPUNGEs first, and then ignore UIDs that no longer exist.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/append.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/quota.h"

/* ---- expunge ------------------------------------------------------------- */

static int want_deleted(const struct index_record *rec, void *rock)
{
    const struct seqset *uids = rock;
    return (rec->system_flags & FLAG_DELETED) &&
           (!uids || seqset_ismember(uids, rec->uid));
}

static int want_uids(const struct index_record *rec, void *rock)
{
    return seqset_ismember(rock, rec->uid);
}

int index_expunge_where(struct index_state *st, struct prot *out,
                        int (*want)(const struct index_record *, void *),
                        void *rock)
{
    struct mailbox *mb = st->mb;
    uint32_t *uids = NULL;
    size_t n = 0;
    int r;

    if ((r = mailbox_lock(mb, 0)))
        return r;
    r = mailbox_expunge(mb, want, rock, &uids, &n);
    mailbox_unlock(mb);
    free(uids);
    if (r || !out)
        return r;
    /* Done.  The EXPUNGE responses follow, unless another session renamed
     * or deleted the mailbox the moment we unlocked it: the expunge (or
     * MOVE) still succeeded, and the responses come if it comes back. */
    r = index_check_updates(st, out, 1);
    return r == ERR_NOTFOUND ? ERR_OK : r;
}

int index_expunge(struct index_state *st, struct prot *out,
                  const struct imap_arg *uidset)
{
    struct seqset *set = NULL;
    const char *text;
    int uid = 1, r;

    if (st->readonly || !(st->rights & ACL_EXPUNGE))
        return ERR_PERM;
    if (uidset && (uidset->type != IMAP_ARG_ATOM ||
                   !imap_arg_get_atom(uidset, &text) ||
                   index_parse_set(st, text, &uid, &set)))
        return ERR_BADARG;
    r = index_expunge_where(st, out, want_deleted, set);
    seqset_free(&set);
    return r;
}

int index_close_expunge(struct index_state **stp)
{
    struct index_state *st = *stp;
    int r = ERR_OK;

    if (!st)
        return ERR_OK;
    if (!st->readonly && (st->rights & ACL_EXPUNGE) &&
        !(r = mailbox_refresh(st->mb, NULL)) && st->mb->i.deleted)
        r = index_expunge_where(st, NULL, want_deleted, NULL);
    index_close(stp);
    return r;
}

/* ---- copy ---------------------------------------------------------------- */

/* The NO text when a message of the set was expunged by another session
 * (RFC 5530 EXPUNGEISSUED). */
#define COPY_GONE "[EXPUNGEISSUED] Some of the requested messages no longer " \
                  "exist"

static void record_keywords(const struct mailbox *mb,
                            const struct index_record *rec,
                            struct strarray *out)
{
    strarray_fini(out);
    for (size_t i = 0; i < mb->flagnames.count && i < MAILBOX_MAX_USER_FLAGS;
         i++)
        if (index_record_has_user_flag(rec, (int)i))
            strarray_append(out, mb->flagnames.data[i]);
}

/* Copy msgnos into dest in one append transaction; the source UIDs go to
 * srcuids[] in order. */
static int copy_messages(struct index_state *st, const uint32_t *msgnos,
                         size_t n, struct mailbox *dest, uint32_t *srcuids,
                         struct append_result *result)
{
    static const struct append_params params = { .quota = APPEND_QUOTA_STRICT };
    struct strarray kw = STRARRAY_INITIALIZER;
    struct append_state *as = NULL;
    struct index_record rec;
    int r;

    if ((r = append_begin(dest, &params, &as)))
        return r;
    for (size_t i = 0; i < n; i++) {
        uint32_t flags, newuid;
        if ((r = index_msg_record(st, msgnos[i], &rec)))
            goto fail;
        flags = rec.system_flags;
        if (index_uid_seen(st, rec.uid))
            flags |= APPEND_SEEN;
        record_keywords(st->mb, &rec, &kw);
        if ((r = append_copy(as, st->mb, &rec, flags, &kw, &newuid)))
            goto fail;
        srcuids[i] = rec.uid;
    }
    strarray_fini(&kw);
    return append_commit(&as, result);
fail:
    strarray_fini(&kw);
    append_abort(&as);
    return r;
}

/* Lock src and dest exclusively, in name order (append_begin() finds
 * dest locked already; index_expunge_where() and append unlock them).  The
 * selected mailbox's name may be stale (renamed since it was selected),
 * and then the order may not be the one a RENAME locks in: so the second
 * lock is waited for in steps of MOVE_LOCK_STEP_MS, letting the first go
 * in between, instead of holding it while the other side waits for it.
 * A move into the mailbox itself locks nothing here: the two handles are
 * one file, which append and expunge lock in turn. */
#define MOVE_LOCK_STEP_MS 100
#define MOVE_LOCK_STEPS 600

static int move_lock(struct mailbox *src, struct mailbox *dest)
{
    int cmp = strcmp(src->name, dest->name);
    struct mailbox *first = cmp < 0 ? src : dest;
    struct mailbox *second = first == src ? dest : src;
    int r;

    if (!cmp)
        return ERR_OK;
    for (int step = 0;; step++) {
        if ((r = mailbox_lock(first, 0)))
            return r;
        r = mailbox_lock(second, MOVE_LOCK_STEP_MS);
        if (r != ERR_TIMEOUT || step + 1 >= MOVE_LOCK_STEPS)
            break;
        mailbox_unlock(first);
        usleep(1000 + (useconds_t)(rand() % 20000));
    }
    if (r)
        mailbox_unlock(first);
    return r;
}

int index_copy(struct index_state *st, struct prot *out, int uid,
               const struct imap_arg *set, struct mailbox *dest, int move,
               struct buf *srcuids, struct append_result *result,
               struct buf *error)
{
    uint32_t *msgnos = NULL, *uids = NULL;
    struct seqset *moved = NULL;
    size_t n = 0;
    int r;

    memset(result, 0, sizeof(*result));
    buf_reset(srcuids);
    buf_reset(error);
    if ((r = index_resolve_set(st, set, uid, &msgnos, &n, error)))
        goto done;
    if (move && (st->readonly || !(st->rights & ACL_EXPUNGE) ||
                 !(st->rights & ACL_DELETEMSG))) {
        buf_setcstr(error, "Permission denied");
        r = ERR_PERM;
        goto done;
    }
    /* A message another session expunged (its EXPUNGE not sent yet) is
     * gone with its file: copy nothing (RFC 2180 4.4). */
    for (size_t i = 0; i < n; i++) {
        if (index_msg(st, msgnos[i])->gone) {
            buf_setcstr(error, COPY_GONE);
            r = ERR_NOTFOUND;
            goto done;
        }
    }
    if (!n)
        goto done;
    uids = xcalloc(n, sizeof(uint32_t));
    /* MOVE holds the source locked from before the copy until the expunge
     * of the copied messages, so no RENAME or DELETE (which lock every
     * mailbox they move) gets in between and leaves the messages in both
     * places.  Both locks are taken in name order, as RENAME does. */
    if (move && (r = move_lock(st->mb, dest)))
        goto done;
    if ((r = mailbox_refresh(st->mb, NULL)) ||
        (r = copy_messages(st, msgnos, n, dest, uids, result))) {
        if (r == ERR_NOTFOUND)          /* expunged since the last sync */
            buf_setcstr(error, COPY_GONE);
        goto done;
    }
    index_seen_add_to(st, dest->uniqueid, result->seen_uids, result->nseen,
                      result->last_uid);
    free(result->seen_uids);
    result->seen_uids = NULL;
    result->nseen = 0;
    index_format_msgset(uids, n, srcuids);
    if (!move)
        goto done;
    if (result->first_uid == result->last_uid)
        prot_printf(out, "* OK [COPYUID %" PRIu32 " %s %" PRIu32 "] Ok\r\n",
                    result->uidvalidity, buf_cstring(srcuids),
                    result->first_uid);
    else
        prot_printf(out, "* OK [COPYUID %" PRIu32 " %s %" PRIu32 ":%" PRIu32
                    "] Ok\r\n", result->uidvalidity, buf_cstring(srcuids),
                    result->first_uid, result->last_uid);
    if ((r = seqset_from_list(uids, n, &moved)) ||
        (r = index_expunge_where(st, out, want_uids, moved)))
        log_error("index: move copied but did not expunge: mailbox=<%s> "
                  "uids=<%s>: %s", st->mb->name, srcuids->s, error_string(r));
done:
    if (move) {                 /* on every path that did not unlock them */
        mailbox_unlock(st->mb);
        mailbox_unlock(dest);
    }
    seqset_free(&moved);
    free(msgnos);
    free(uids);
    return r;
}
