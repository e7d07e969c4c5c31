/* pop3d_commands.c -- the TRANSACTION state (RFC 1939 5, 7): STAT, LIST,
 * UIDL, RETR, TOP, DELE, RSET, NOOP; and QUIT, which from TRANSACTION
 * enters the UPDATE state and applies the deletions.
 *
 * Multi-line responses end with "." on a line of its own; every line of a
 * message that starts with "." gets one more (byte-stuffing), and lines
 * are sent with CRLF ends whatever the file holds.  A message that
 * another session expunged meanwhile answers "-ERR No such message", as a
 * number that was never there or is marked deleted.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/map.h"
#include "imap/pop3d/pop3d.h"
#include "imap/pop3d/pop3d_maildrop.h"
#include "imap/pop3d/pop3d_parse.h"

/* One optional or required message number; -1 after answering -ERR. */
static long pop3d_msgno_arg(struct pop3d_session *s, const char *args,
                            int required)
{
    unsigned long v[1];
    unsigned n = 0;

    if (pop3d_parse_numbers(args, required ? 1 : 0, 1, v, &n)) {
        pop3d_err(s, "Invalid message number");
        return -1;
    }
    return n ? (long)v[0] : 0;
}

void pop3d_cmd_stat(struct pop3d_session *s, const char *args)
{
    uint32_t count;
    uint64_t octets;

    if (*args) {
        pop3d_err(s, "Unexpected argument to STAT");
        return;
    }
    pop3d_maildrop_stat(s->drop, &count, &octets);
    pop3d_ok(s, "%" PRIu32 " %" PRIu64, count, octets);
}

/* LIST and UIDL share their shape: one line for "n", or a listing of
 * every message not marked deleted. */
static void pop3d_listing(struct pop3d_session *s, const char *args,
                          int uidl)
{
    long msgno = pop3d_msgno_arg(s, args, 0);
    uint32_t size, count;
    uint64_t octets;
    char uid[32];

    if (msgno < 0)
        return;
    if (msgno > 0) {
        if (pop3d_maildrop_info(s->drop, (uint32_t)msgno, &size, uid))
            pop3d_err(s, "No such message");
        else if (uidl)
            pop3d_ok(s, "%ld %s", msgno, uid);
        else
            pop3d_ok(s, "%ld %" PRIu32, msgno, size);
        return;
    }
    pop3d_maildrop_stat(s->drop, &count, &octets);
    if (uidl)
        pop3d_ok(s, "Unique-ID listing follows");
    else
        pop3d_ok(s, "%" PRIu32 " messages (%" PRIu64 " octets)", count,
                 octets);
    for (uint32_t i = 1; i <= pop3d_maildrop_count(s->drop); i++) {
        if (pop3d_maildrop_info(s->drop, i, &size, uid))
            continue;
        if (uidl)
            prot_printf(s->prot, "%" PRIu32 " %s\r\n", i, uid);
        else
            prot_printf(s->prot, "%" PRIu32 " %" PRIu32 "\r\n", i, size);
    }
    prot_puts(s->prot, ".\r\n");
}

void pop3d_cmd_list(struct pop3d_session *s, const char *args)
{
    pop3d_listing(s, args, 0);
}

void pop3d_cmd_uidl(struct pop3d_session *s, const char *args)
{
    pop3d_listing(s, args, 1);
}

/* Send data[0..len) byte-stuffed with CRLF line ends, then ".".  With
 * body_lines >= 0 only the header (the first header_size bytes) and that
 * many lines after it go out (TOP). */
static void pop3d_send_stuffed(struct prot *p, const char *data, size_t len,
                               size_t header_size, long body_lines)
{
    size_t pos = 0;

    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len, text_end = end;

        if (body_lines >= 0 && pos >= header_size && body_lines-- == 0)
            break;
        if (text_end > pos && data[text_end - 1] == '\r')
            text_end--;
        if (data[pos] == '.')
            prot_putc(p, '.');
        prot_write(p, data + pos, text_end - pos);
        prot_puts(p, "\r\n");
        pos = nl ? end + 1 : len;
    }
    prot_puts(p, ".\r\n");
}

static void pop3d_send_message(struct pop3d_session *s, uint32_t msgno,
                               long body_lines)
{
    struct map m = MAP_INITIALIZER;
    uint32_t header_size = 0, size = 0;
    int r;

    pop3d_maildrop_info(s->drop, msgno, &size, NULL);
    r = pop3d_maildrop_map(s->drop, msgno, &m, &header_size);
    if (r == ERR_NOTFOUND) {
        pop3d_err(s, "No such message");
        return;
    }
    if (r == ERR_CONFLICT) {
        pop3d_err(s, "[SYS/TEMP] Mailbox was rebuilt; log in again");
        return;
    }
    if (r) {
        pop3d_err(s, "[SYS/TEMP] Cannot read message, try again later");
        return;
    }
    if (body_lines < 0)
        pop3d_ok(s, "%" PRIu32 " octets", size);
    else
        pop3d_ok(s, "Top of message follows");
    pop3d_send_stuffed(s->prot, m.base, m.len, header_size, body_lines);
    map_free(&m);
    /* RFC 1939 leaves \Seen to us: RETR hands the whole message over, so
     * it counts as read; TOP does not (as in Cyrus). */
    if (body_lines < 0)
        pop3d_maildrop_mark_seen(s->drop, msgno);
}

void pop3d_cmd_retr(struct pop3d_session *s, const char *args)
{
    long msgno = pop3d_msgno_arg(s, args, 1);

    if (msgno < 0)
        return;
    pop3d_send_message(s, (uint32_t)msgno, -1);
}

void pop3d_cmd_top(struct pop3d_session *s, const char *args)
{
    unsigned long v[2];
    unsigned n;

    if (pop3d_parse_numbers(args, 2, 2, v, &n)) {
        pop3d_err(s, "TOP needs a message number and a line count");
        return;
    }
    pop3d_send_message(s, (uint32_t)v[0], (long)v[1]);
}

void pop3d_cmd_dele(struct pop3d_session *s, const char *args)
{
    long msgno = pop3d_msgno_arg(s, args, 1);
    int r;

    if (msgno < 0)
        return;
    r = pop3d_maildrop_delete(s->drop, (uint32_t)msgno);
    if (r == ERR_PERM)
        pop3d_err(s, "[SYS/PERM] Permission denied");
    else if (r)
        pop3d_err(s, "No such message");
    else
        pop3d_ok(s, "Message %ld deleted", msgno);
}

void pop3d_cmd_rset(struct pop3d_session *s, const char *args)
{
    uint32_t count;
    uint64_t octets;

    if (*args) {
        pop3d_err(s, "Unexpected argument to RSET");
        return;
    }
    pop3d_maildrop_reset(s->drop);
    pop3d_maildrop_stat(s->drop, &count, &octets);
    pop3d_ok(s, "Maildrop has %" PRIu32 " messages (%" PRIu64 " octets)",
             count, octets);
}

void pop3d_cmd_noop(struct pop3d_session *s, const char *args)
{
    if (*args) {
        pop3d_err(s, "Unexpected argument to NOOP");
        return;
    }
    pop3d_ok(s, "Done");
}

/* From TRANSACTION: the UPDATE state.  Deletions are applied all or none;
 * RFC 1939 6 wants -ERR when that failed. */
void pop3d_cmd_quit(struct pop3d_session *s, const char *args)
{
    uint32_t left = 0;

    if (*args) {
        pop3d_err(s, "Unexpected argument to QUIT");
        return;
    }
    s->state = POP3D_DONE;
    if (!s->drop) {
        pop3d_ok(s, "Chapar POP3 server signing off");
        return;
    }
    if (pop3d_maildrop_commit(s->drop, &left))
        pop3d_err(s, "[SYS/TEMP] Deleted messages were not removed");
    else if (left)
        pop3d_ok(s, "Chapar POP3 server signing off (%" PRIu32
                    " messages left)", left);
    else
        pop3d_ok(s, "Chapar POP3 server signing off (maildrop empty)");
}
