/* pop3d_maildrop.c -- the POP3 snapshot of an INBOX (pop3d_maildrop.h).
 *
 * Lock order: the user's .pop3 lock file first (held all session), then,
 * briefly, cyrus.index (mailbox_lock) for a \Seen modseq bump or the
 * expunge at QUIT, then the quota file.  The seen database is written
 * after cyrus.index is unlocked, as index_store.c does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/seen.h"
#include "imap/mailstore/seqset.h"
#include "imap/pop3d/pop3d_maildrop.h"

struct pop3d_msg {
    uint32_t uid;
    uint32_t size;
    uint32_t header_size;
    unsigned deleted : 1;
    unsigned seen : 1;
};

struct pop3d_maildrop {
    char *userid;
    struct mailbox *mb;
    unsigned rights;
    uint32_t uidvalidity;
    struct pop3d_msg *msgs;
    uint32_t nmsgs;
    int lock_fd;
    struct seen *seen;              /* NULL without the s right */
};

/* ---- the POP3 lock and the last-login time ------------------------------ */

/* Lock <configdir>/user/<x>/<userid>.pop3 without waiting. */
static int maildrop_lock(const char *userid, int *fd_r)
{
    struct buf path = BUF_INITIALIZER;
    char *slash;
    int r;

    r = mboxname_user_file(conf_getstring(CONF_CONFIGDIRECTORY), userid,
                           "pop3", &path);
    if (r)
        goto done;
    slash = strrchr(buf_cstring(&path), '/');
    *slash = '\0';
    r = util_mkdir_p(path.s, 0700);
    *slash = '/';
    if (r)
        goto done;
    r = lock_open_locked(buf_cstring(&path), O_RDWR | O_CREAT, 0600,
                         LOCK_EXCLUSIVE, LOCK_NOWAIT, fd_r);
done:
    if (r && r != ERR_LOCKED)
        log_error("pop3d: cannot lock maildrop: user=<%s> path=<%s>: %s",
                  userid, buf_cstring(&path), error_string(r));
    buf_free(&path);
    return r;
}

/* ERR_AGAIN if the time in the lock file is less than minpoll seconds ago;
 * otherwise record now as the last login. */
static int maildrop_check_poll(int fd, long minpoll, const char *userid)
{
    char text[32];
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    time_t now = time(NULL);
    long long last = 0;
    int len;

    if (n > 0) {
        text[n] = '\0';
        text[strcspn(text, "\n")] = '\0';
        if (util_parse_long(text, 0, CONF_NOLIMIT_MAX, &last))
            last = 0;
    }
    if (minpoll > 0 && last > 0 && now >= last && now - last < minpoll)
        return ERR_AGAIN;
    len = snprintf(text, sizeof(text), "%lld\n", (long long)now);
    /* Only a policy hint: a lost update is harmless, so no fsync. */
    if (ftruncate(fd, 0) < 0 || retry_pwrite(fd, text, (size_t)len, 0) != len)
        log_error_errno("pop3d: cannot record login time: user=<%s>", userid);
    return ERR_OK;
}

/* ---- the snapshot --------------------------------------------------------- */

static int maildrop_load(struct pop3d_maildrop *drop)
{
    struct mailbox *mb = drop->mb;
    struct index_record rec;
    int r;

    drop->uidvalidity = mb->i.uidvalidity;
    drop->msgs = xcalloc(mb->i.num_records + 1, sizeof(*drop->msgs));
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        if ((r = mailbox_read_record(mb, n, &rec)))
            return r;
        drop->msgs[n].uid = rec.uid;
        drop->msgs[n].size = rec.size;
        drop->msgs[n].header_size = rec.header_size;
    }
    drop->nmsgs = mb->i.num_records;
    return ERR_OK;
}

/* Which messages the user has seen already, so that RETR writes only what
 * changes.  Without the s right \Seen is not stored at all. */
static void maildrop_load_seen(struct pop3d_maildrop *drop)
{
    struct seen_data data;
    int r;

    if (!(drop->rights & ACL_SEEN))
        return;
    r = seen_open(drop->userid, SEEN_CREATE, &drop->seen);
    if (!r) {
        r = seen_read(drop->seen, drop->mb->uniqueid, &data);
        if (r == ERR_NOTFOUND || r == ERR_BADFORMAT)
            r = ERR_OK;
        for (uint32_t i = 0; !r && i < drop->nmsgs; i++)
            drop->msgs[i].seen =
                seqset_ismember(data.seenuids, drop->msgs[i].uid) ? 1 : 0;
        seen_data_fini(&data);
    }
    if (r) {
        log_error("pop3d: seen state unavailable, \\Seen will not be set: "
                  "user=<%s>: %s", drop->userid, error_string(r));
        seen_close(&drop->seen);
    }
}

int pop3d_maildrop_open(const char *userid, const struct auth_state *who,
                        long minpoll, struct pop3d_maildrop **drop_r)
{
    struct pop3d_maildrop *drop = xzmalloc(sizeof(*drop));
    struct buf name = BUF_INITIALIZER;
    int r;

    *drop_r = NULL;
    drop->lock_fd = -1;
    drop->userid = xstrdup(userid);
    r = mboxname_to_internal("INBOX", userid, &name);
    if (r)
        r = ERR_NOTFOUND;
    if (!r)
        r = mboxlist_open_mailbox_access(buf_cstring(&name), who, ACL_READ,
                                         MAILBOX_UNLOCKED, &drop->mb,
                                         &drop->rights);
    if (!r)
        r = maildrop_lock(userid, &drop->lock_fd);
    if (!r)
        r = maildrop_check_poll(drop->lock_fd, minpoll, userid);
    if (!r)
        r = maildrop_load(drop);
    if (r) {
        if (r != ERR_NOTFOUND && r != ERR_PERM && r != ERR_LOCKED &&
            r != ERR_AGAIN)
            log_error("pop3d: cannot open maildrop: user=<%s> "
                      "mailbox=<%s>: %s", userid, buf_cstring(&name),
                      error_string(r));
        pop3d_maildrop_close(&drop);
    } else {
        maildrop_load_seen(drop);
        *drop_r = drop;
    }
    buf_free(&name);
    return r;
}

void pop3d_maildrop_close(struct pop3d_maildrop **dropp)
{
    struct pop3d_maildrop *drop = *dropp;

    if (!drop)
        return;
    seen_close(&drop->seen);
    mailbox_close(&drop->mb);
    if (drop->lock_fd >= 0)
        close(drop->lock_fd);
    free(drop->msgs);
    free(drop->userid);
    free(drop);
    *dropp = NULL;
}

/* ---- reading ------------------------------------------------------------ */

static struct pop3d_msg *maildrop_msg(const struct pop3d_maildrop *drop,
                                      uint32_t msgno)
{
    if (msgno < 1 || msgno > drop->nmsgs || drop->msgs[msgno - 1].deleted)
        return NULL;
    return &drop->msgs[msgno - 1];
}

const char *pop3d_maildrop_name(const struct pop3d_maildrop *drop)
{
    return drop->mb->name;
}

uint32_t pop3d_maildrop_count(const struct pop3d_maildrop *drop)
{
    return drop->nmsgs;
}

void pop3d_maildrop_stat(const struct pop3d_maildrop *drop, uint32_t *count_r,
                         uint64_t *octets_r)
{
    *count_r = 0;
    *octets_r = 0;
    for (uint32_t i = 0; i < drop->nmsgs; i++) {
        if (drop->msgs[i].deleted)
            continue;
        (*count_r)++;
        *octets_r += drop->msgs[i].size;
    }
}

int pop3d_maildrop_info(const struct pop3d_maildrop *drop, uint32_t msgno,
                        uint32_t *size_r, char uidl_r[32])
{
    const struct pop3d_msg *m = maildrop_msg(drop, msgno);

    if (!m)
        return ERR_NOTFOUND;
    if (size_r)
        *size_r = m->size;
    if (uidl_r)
        snprintf(uidl_r, 32, "%" PRIu32 ".%" PRIu32, drop->uidvalidity,
                 m->uid);
    return ERR_OK;
}

int pop3d_maildrop_map(const struct pop3d_maildrop *drop, uint32_t msgno,
                       struct map *m, uint32_t *header_size_r)
{
    const struct pop3d_msg *msg = maildrop_msg(drop, msgno);
    struct buf path = BUF_INITIALIZER;
    int fd, r;

    if (!msg)
        return ERR_NOTFOUND;
    /* After a reconstruct that changed UIDVALIDITY, "<uid>." may be
     * another message: refuse rather than serve the wrong one. */
    if ((r = mailbox_refresh(drop->mb, NULL)))
        return r;
    if (drop->mb->i.uidvalidity != drop->uidvalidity)
        return ERR_CONFLICT;
    mailbox_message_path(drop->mb, msg->uid, &path);
    fd = open(buf_cstring(&path), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        if (r == ERR_IO)
            log_error_errno("pop3d: cannot open message: path=<%s>", path.s);
        buf_free(&path);
        return r;
    }
    /* Message files never change once written, and an expunge only
     * unlinks them, so the mapping stays readable. */
    r = map_refresh(m, fd, buf_cstring(&path));
    close(fd);
    buf_free(&path);
    *header_size_r = msg->header_size;
    return r;
}

/* ---- changes ----------------------------------------------------------- */

struct seen_add {
    uint32_t uid;
    uint32_t lastuid;
    int64_t now;
};

static int seen_add_uid(struct seen_data *data, void *rock)
{
    const struct seen_add *a = rock;

    seqset_add(data->seenuids, a->uid);
    data->lastchange = a->now;
    data->lastread = a->now;
    if (a->lastuid > data->lastuid)
        data->lastuid = a->lastuid;
    return ERR_OK;
}

/* Same flags, new modseq: the user's CONDSTORE clients and other sessions
 * see the \Seen change like any flag change (index_store.c does so too). */
static int maildrop_bump_modseq(struct mailbox *mb, uint32_t uidvalidity,
                                uint32_t uid)
{
    struct index_record rec;
    uint32_t recno;
    int r;

    if ((r = mailbox_lock(mb, 0)))
        return r;
    r = mb->i.uidvalidity == uidvalidity ? mailbox_find_uid(mb, uid, &recno)
                                         : ERR_NOTFOUND;
    if (r == ERR_NOTFOUND) {
        mailbox_unlock(mb);
        return ERR_OK;          /* expunged meanwhile: nothing to tell */
    }
    if (!r)
        r = mailbox_read_record(mb, recno, &rec);
    if (!r)
        r = mailbox_rewrite_record(mb, recno, &rec);
    if (!r)
        r = mailbox_commit(mb);
    if (r)
        mailbox_abort(mb);
    mailbox_unlock(mb);
    return r;
}

int pop3d_maildrop_mark_seen(struct pop3d_maildrop *drop, uint32_t msgno)
{
    struct pop3d_msg *m = maildrop_msg(drop, msgno);
    struct seen_add add;
    int r;

    if (!m)
        return ERR_NOTFOUND;
    if (m->seen || !drop->seen)
        return ERR_OK;
    add.uid = m->uid;
    add.lastuid = drop->mb->i.last_uid;
    add.now = time(NULL);
    r = seen_update(drop->seen, drop->mb->uniqueid, seen_add_uid, &add);
    if (!r) {
        m->seen = 1;
        r = maildrop_bump_modseq(drop->mb, drop->uidvalidity, m->uid);
    }
    if (r)
        log_error("pop3d: cannot set \\Seen: mailbox=<%s> uid=<%" PRIu32
                  ">: %s", drop->mb->name, m->uid, error_string(r));
    return r;
}

int pop3d_maildrop_delete(struct pop3d_maildrop *drop, uint32_t msgno)
{
    struct pop3d_msg *m = maildrop_msg(drop, msgno);

    if (!m)
        return ERR_NOTFOUND;
    if ((drop->rights & (ACL_DELETEMSG | ACL_EXPUNGE)) !=
        (ACL_DELETEMSG | ACL_EXPUNGE))
        return ERR_PERM;
    m->deleted = 1;
    return ERR_OK;
}

void pop3d_maildrop_reset(struct pop3d_maildrop *drop)
{
    for (uint32_t i = 0; i < drop->nmsgs; i++)
        drop->msgs[i].deleted = 0;
}

static int want_marked(const struct index_record *rec, void *rock)
{
    return seqset_ismember(rock, rec->uid);
}

int pop3d_maildrop_commit(struct pop3d_maildrop *drop, uint32_t *left_r)
{
    struct mailbox *mb = drop->mb;
    struct seqset *marked = seqset_new();
    uint32_t *uids = NULL;
    size_t nmarked = 0, n = 0;
    int r;

    for (uint32_t i = 0; i < drop->nmsgs; i++) {
        if (drop->msgs[i].deleted) {
            seqset_add(marked, drop->msgs[i].uid);
            nmarked++;
        }
    }
    if (!nmarked) {
        r = mailbox_refresh(mb, NULL);
        *left_r = mb->i.num_records;
        goto done;
    }
    if ((r = mailbox_lock(mb, 0)))
        goto done;
    /* Reconstruct gave the messages new UIDs: ours name other messages. */
    if (mb->i.uidvalidity != drop->uidvalidity)
        r = ERR_CONFLICT;
    if (!r)
        r = mailbox_expunge(mb, want_marked, marked, &uids, &n);
    *left_r = mb->i.num_records;
    mailbox_unlock(mb);
done:
    if (r)
        log_error("pop3d: cannot expunge deleted messages: mailbox=<%s>: %s",
                  mb->name, error_string(r));
    free(uids);
    seqset_free(&marked);
    return r;
}
