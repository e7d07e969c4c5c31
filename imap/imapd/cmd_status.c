/* cmd_status.c -- STATUS (RFC 3501 6.3.10) with HIGHESTMODSEQ (RFC 7162),
 * SIZE (RFC 8438), DELETED and DELETED-STORAGE (RFC 9051/9208: what
 * QUOTA=RES-MESSAGE and QUOTA=RES-STORAGE require; the storage in units of
 * 1024 octets, rounded up as GETQUOTA rounds), APPENDLIMIT (RFC 7889)
 * and MAILBOXID (RFC 8474: the mailbox's unique id, kept by RENAME);
 * the same items for LIST-STATUS (RFC 5819, cmd_list.c).
 *
 * Clients poll with STATUS every few minutes (SPEC.md), so it stays cheap:
 * the mailbox is opened (index and cache mapped, one short shared lock),
 * the counts come from the index header; only RECENT walks the records
 * above the recent mark and UNSEEN the mapped records against the user's
 * \Seen set.  No message file is opened, nothing is selected or changed.
 * Rights: `r` is needed; without `l` the mailbox does not exist.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/mailstore/acl.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/seen.h"

enum status_item {
    STATUS_MESSAGES,
    STATUS_RECENT,
    STATUS_UIDNEXT,
    STATUS_UIDVALIDITY,
    STATUS_UNSEEN,
    STATUS_HIGHESTMODSEQ,
    STATUS_SIZE,
    STATUS_DELETED,
    STATUS_DELETED_STORAGE,
    STATUS_APPENDLIMIT,
    STATUS_MAILBOXID,
    STATUS_NITEMS
};

static const char *const status_names[STATUS_NITEMS] = {
    "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN",
    "HIGHESTMODSEQ", "SIZE", "DELETED", "DELETED-STORAGE", "APPENDLIMIT",
    "MAILBOXID"
};

int status_items_parse(const struct imap_arg *arg, struct status_items *it)
{
    const struct imap_arg *list;
    size_t count;
    const char *atom;

    it->n = 0;
    if (!imap_arg_get_list(arg, &list, &count) || !count ||
        count > STATUS_MAX_ITEMS)
        return ERR_BADARG;
    for (size_t i = 0; i < count; i++) {
        int found = -1;
        if (!imap_arg_get_atom(&list[i], &atom))
            return ERR_BADARG;
        for (int k = 0; k < STATUS_NITEMS; k++)
            if (!strcasecmp(atom, status_names[k]))
                found = k;
        if (found < 0)
            return ERR_BADARG;
        it->item[it->n++] = found;
    }
    return ERR_OK;
}

unsigned long long imapd_appendlimit(void)
{
    struct imap_parser_limits l;
    imapd_parser_limits(&l, 1);
    return l.max_literal;
}

/* Messages above the recent mark: the records are in UID order, so walk
 * back from the end. */
static uint32_t status_recent(const struct mailbox *mb)
{
    uint32_t count = 0;
    for (uint32_t n = mb->i.num_records; n-- > 0;) {
        struct index_record rec;
        if (mailbox_read_record(mb, n, &rec) || rec.uid <= mb->i.recent_uid)
            break;
        count++;
    }
    return count;
}

/* Messages not in userid's \Seen set. */
static uint32_t status_unseen(const struct mailbox *mb, const char *userid)
{
    struct seen *seen = NULL;
    struct seen_data sd;
    uint32_t count = 0;

    memset(&sd, 0, sizeof(sd));
    if (seen_open(userid, 0, &seen) == ERR_OK)
        seen_read(seen, mb->uniqueid, &sd);
    seen_close(&seen);
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct index_record rec;
        if (mailbox_read_record(mb, n, &rec))
            break;
        if (!sd.seenuids || !seqset_ismember(sd.seenuids, rec.uid))
            count++;
    }
    seen_data_fini(&sd);
    return count;
}

/* Messages with \Deleted: how many (storage 0), or their size in units
 * of 1024 octets, rounded up (storage 1). */
static uint64_t status_deleted(const struct mailbox *mb, int storage)
{
    uint64_t count = 0, bytes = 0;
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct index_record rec;
        if (mailbox_read_record(mb, n, &rec))
            break;
        if (rec.system_flags & FLAG_DELETED) {
            count++;
            bytes += rec.size;
        }
    }
    return storage ? (bytes + 1023) / 1024 : count;
}

static void status_write(struct imapd_session *s, const char *ext,
                         const struct mailbox *mb,
                         const struct status_items *it)
{
    const int *items = it->item;
    size_t n = it->n;

    prot_puts(s->prot, "* STATUS ");
    imapd_write_astring(s->prot, ext, strlen(ext));
    prot_puts(s->prot, " (");
    for (size_t i = 0; i < n; i++) {
        unsigned long long v = 0;
        switch ((enum status_item)items[i]) {
        case STATUS_MESSAGES: v = mb->i.num_records; break;
        case STATUS_RECENT: v = status_recent(mb); break;
        case STATUS_UIDNEXT: v = (unsigned long long)mb->i.last_uid + 1; break;
        case STATUS_UIDVALIDITY: v = mb->i.uidvalidity; break;
        case STATUS_UNSEEN: v = status_unseen(mb, s->userid); break;
        case STATUS_HIGHESTMODSEQ: v = mb->i.highest_modseq; break;
        case STATUS_SIZE: v = mb->i.quota_used; break;
        case STATUS_DELETED: v = status_deleted(mb, 0); break;
        case STATUS_DELETED_STORAGE: v = status_deleted(mb, 1); break;
        case STATUS_APPENDLIMIT: v = imapd_appendlimit(); break;
        case STATUS_MAILBOXID:
            prot_printf(s->prot, "%sMAILBOXID (%s)", i ? " " : "",
                        mb->uniqueid);
            continue;
        case STATUS_NITEMS: break;
        }
        prot_printf(s->prot, "%s%s %llu", i ? " " : "",
                    status_names[items[i]], v);
    }
    prot_puts(s->prot, ")\r\n");
}

int status_mailbox(struct imapd_session *s, const char *name,
                   const char *ext, const struct status_items *it)
{
    struct mailbox *mb = NULL;
    int r = mboxlist_open_mailbox_access(name, s->auth, ACL_READ,
                                         MAILBOX_UNLOCKED, &mb, NULL);
    if (!r)
        status_write(s, ext, mb, it);
    mailbox_close(&mb);
    return r;
}

/* STATUS mailbox (item ...) */
void cmd_status(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER;
    struct status_items it;
    const char *ext;
    int r;

    if (c->nargs != 2 || !imap_arg_get_astring(&c->args[0], &ext)) {
        imapd_tagged_bad(s, c->tag, "STATUS needs a mailbox and a list of "
                         "items");
        return;
    }
    if (status_items_parse(&c->args[1], &it)) {
        imapd_tagged_bad(s, c->tag, "Invalid STATUS items");
        return;
    }
    r = imapd_mailbox_name(s, ext, &name);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r)
        r = status_mailbox(s, buf_cstring(&name), ext, &it);
    if (r)
        imapd_tagged_error(s, c->tag, r, NULL);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
    buf_free(&name);
}
