/* mboxfmt.h -- the Berkeley mbox format, pure (no files, no mailstore):
 * split an mbox into messages, unquote them, turn their status headers
 * into flags; and the reverse, one message into mbox text.  The
 * migration tool (tools/migrate*.c) does the I/O around it.
 *
 * Splitting.  A message starts at a From_ line, "From SENDER DATE", that is
 * the first line of the input or follows an empty line, and whose DATE is
 * an asctime() date ("Www Mmm dd hh:mm:ss yyyy"; a time-zone word or
 * number before or after the year is allowed and ignored: the date is read
 * as UTC).  A "From " line without such a date is body text.  The input
 * must start with a From_ line, else ERR_BADFORMAT with the reason.  The
 * empty line before the next From_ line (the separator every mbox writer
 * adds) is not part of the message.  Content-Length headers (mboxcl2) are
 * not used for splitting and stay in the message as they are.  Line ends
 * are LF (a CRLF input keeps its CRs, which append normalises).
 *
 * Quoting.  MBOXFMT_MBOXRD: a line of one or more '>' then "From " loses
 * one '>' on reading and any line of zero or more '>' then "From " gains
 * one on writing, so every body round-trips.  MBOXFMT_MBOXO: only
 * ">From " is unquoted and only "From " quoted (a body line ">From "
 * comes back as "From ": the classic ambiguity of that variant).
 *
 * Flags.  The header fields Status (R: seen, O: old, i.e. not \Recent),
 * X-Status (A \Answered, F \Flagged, T \Draft, D \Deleted) and X-Keywords
 * (keywords separated by spaces and/or commas) are turned into flags and
 * removed from the message (with their continuation lines).  Writing
 * appends them after the other header fields, in the order Status,
 * X-Status, X-Keywords, each only when it has something to say.
 *
 * The UW-IMAP pseudo message ("DON'T DELETE THIS MESSAGE -- FOLDER
 * INTERNAL DATA"): the FIRST message of an mbox having an X-IMAP or
 * X-IMAPbase header field is returned with `internal` set, for the caller
 * to skip and count.
 */
#ifndef CHAPAR_MBOXFMT_H
#define CHAPAR_MBOXFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/strarray.h"

enum mboxfmt_variant { MBOXFMT_MBOXRD, MBOXFMT_MBOXO };

/* Message flags as the status headers carry them. */
#define MBOXFMT_SEEN     0x01   /* Status R */
#define MBOXFMT_OLD      0x02   /* Status O */
#define MBOXFMT_ANSWERED 0x04   /* X-Status A */
#define MBOXFMT_FLAGGED  0x08   /* X-Status F */
#define MBOXFMT_DRAFT    0x10   /* X-Status T */
#define MBOXFMT_DELETED  0x20   /* X-Status D */

struct mboxfmt_reader {
    const char *data;           /* the whole mbox, borrowed */
    size_t len;
    size_t pos;                 /* start of the next From_ line */
    unsigned long line;         /* line number of pos (1-based) */
    enum mboxfmt_variant variant;
    unsigned long count;        /* messages returned so far */
};

struct mboxfmt_message {
    unsigned long line;         /* of its From_ line */
    time_t date;                /* of the From_ line, as UTC */
    struct buf text;            /* unquoted, without the status fields */
    uint32_t flags;             /* MBOXFMT_* */
    struct strarray keywords;
    int internal;               /* UW-IMAP internal data message */
};

#define MBOXFMT_MESSAGE_INITIALIZER \
    { 0, 0, BUF_INITIALIZER, 0, STRARRAY_INITIALIZER, 0 }

void mboxfmt_reader_init(struct mboxfmt_reader *r, const char *data,
                         size_t len, enum mboxfmt_variant variant);
/* The next message into *m (its previous contents replaced): ERR_OK;
 * ERR_NOTFOUND at the end; ERR_BADFORMAT with a one-line reason in err
 * when the input does not start with a From_ line (an empty input is
 * an mbox of no messages). */
int mboxfmt_next(struct mboxfmt_reader *r, struct mboxfmt_message *m,
                 struct buf *err);
void mboxfmt_message_fini(struct mboxfmt_message *m);

/* The date of a From_ line (line without its LF, starting "From "):
 * ERR_OK and *date_r (UTC), or ERR_BADFORMAT. */
int mboxfmt_parse_from_line(const char *line, size_t len, time_t *date_r);

/* Append one message to out: the From_ line ("From " sender or
 * MAILER-DAEMON when sender is NULL or empty, then the asctime() of date
 * in UTC), the message with CRLF turned into LF, its "From " lines quoted
 * per variant and the status fields for flags and keywords added at the
 * end of the header, then the separating empty line. */
void mboxfmt_write(struct buf *out, const char *msg, size_t len,
                   const char *sender, time_t date, uint32_t flags,
                   const struct strarray *keywords,
                   enum mboxfmt_variant variant);

/* The address of msg's Return-Path field into out ("" when there is none
 * or it is "<>"). */
void mboxfmt_return_path(const char *msg, size_t len, struct buf *out);

/* The folder-name map of import-mbox-tree (bsd2cyrus): one component of
 * a file's path under the tree into one component of a mailbox name,
 * appended to out.  Components are joined with '.', our hierarchy
 * separator, so a '.' inside a component cannot stay: Cyrus with
 * unixhierarchysep writes it '^', which our name policy refuses
 * (mboxname.h), so it becomes '_'; so does every other byte outside
 * MBOXNAME_GOODCHARS (8-bit bytes included) and a leading '~'. */
void mboxfmt_folder_component(const char *comp, struct buf *out);

#endif
