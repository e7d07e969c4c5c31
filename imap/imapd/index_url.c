/* index_url.c -- the bytes an IMAP URL (RFC 5092) names on this server:
 * a message, or a body section of it, of any mailbox the user may read,
 * exactly as FETCH BODY.PEEK[section]<partial> would return them.  For
 * CATENATE (RFC 4469); URLFETCH would read the same way.
 *
 * The mailbox is opened on its own (it need not be the selected one);
 * the user needs the r right, and a mailbox without it answers like a
 * missing one (ERR_NOTFOUND), so names do not leak.  The section comes
 * from cyrus.cache (message_find_section), the bytes from the message
 * file; HEADER.FIELDS[.NOT] is filtered as FETCH filters it.  The one
 * function that maps a message file for imapd is here (index_map_file).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/map.h"
#include "imap/imapd/index.h"
#include "imap/imapd/index_private.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/message.h"

int index_map_file(struct mailbox *mb, uint32_t uid, struct map *map)
{
    struct buf path = BUF_INITIALIZER;
    int fd, r;

    mailbox_message_path(mb, uid, &path);
    fd = open(buf_cstring(&path), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        if (r == ERR_IO)
            log_error_errno("index: cannot open message file=<%s>", path.s);
    } else {
        r = map_refresh(map, fd, path.s);
        close(fd);
    }
    buf_free(&path);
    return r;
}

/* The section of the message (file mapped in map, described by info)
 * appended to out. */
static int append_section(const struct message_info *info,
                          const struct map *map,
                          const struct index_section *sec, struct buf *out)
{
    struct buf filtered = BUF_INITIALIZER;
    const char *data;
    size_t off, len;

    if (message_find_section(info, sec->spec, &off, &len))
        return ERR_NOTFOUND;
    if (off > map->len)
        off = map->len;
    if (len > map->len - off)
        len = map->len - off;
    data = map->base ? map->base + off : "";
    if (sec->filter) {
        index_header_filter(data, len, &sec->fields,
                            sec->filter == INDEX_FILTER_FIELDS_NOT, &filtered);
        data = filtered.s;
        len = filtered.len;
    }
    index_partial_range(sec, &data, &len);
    if (len)
        buf_appendmap(out, data, len);
    buf_free(&filtered);
    return ERR_OK;
}

int index_urlfetch(const struct index_url *url, const struct auth_state *who,
                   size_t max, struct buf *out)
{
    struct index_section sec;
    struct buf atom = BUF_INITIALIZER, error = BUF_INITIALIZER;
    struct mailbox *mb = NULL;
    struct index_record rec;
    struct message_info *info = NULL;
    struct map map = MAP_INITIALIZER;
    const char *data;
    size_t len, before = out->len;
    uint32_t n;
    int r;

    /* The section as a FETCH item: the one parser of sections. */
    buf_printf(&atom, "BODY.PEEK[%s]", url->section ? url->section : "");
    if (url->partial)
        buf_printf(&atom, "<%u.%u>", url->partial_origin,
                   url->partial_count);
    r = index_section_parse(buf_cstring(&atom), &sec, &error);
    buf_free(&atom);
    buf_free(&error);
    if (r)
        return ERR_NOTFOUND;
    r = mboxlist_open_mailbox_access(url->mailbox, who, ACL_READ,
                                     MAILBOX_UNLOCKED, &mb, NULL);
    if (r == ERR_PERM)
        r = ERR_NOTFOUND;
    if (r)
        goto done;
    if ((url->uidvalidity && url->uidvalidity != mb->i.uidvalidity) ||
        mailbox_find_uid(mb, url->uid, &n)) {
        r = ERR_NOTFOUND;
        goto done;
    }
    if ((r = mailbox_read_record(mb, n, &rec)) ||
        (r = mailbox_cache_entry(mb, &rec, &data, &len)) ||
        (r = message_info_decode(data, len, &info)) ||
        (r = index_map_file(mb, rec.uid, &map)))
        goto done;
    r = append_section(info, &map, &sec, out);
    if (!r && out->len - before > max)
        r = ERR_TOOBIG;
done:
    if (r && r != ERR_NOTFOUND && r != ERR_TOOBIG)
        log_error("index: url fetch failed: mailbox=<%s> uid=<%u>: %s",
                  url->mailbox, url->uid, error_string(r));
    if (r)
        buf_truncate(out, before);
    map_free(&map);
    message_info_free(&info);
    mailbox_close(&mb);
    index_section_fini(&sec);
    return r;
}
