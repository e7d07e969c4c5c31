/* mailbox_private.h -- internals shared by mailbox.c, mailbox_expunge.c
 * and mailbox_tombstone.c; nothing outside them includes it. */
#ifndef CHAPAR_MAILBOX_PRIVATE_H
#define CHAPAR_MAILBOX_PRIVATE_H

#include <sys/types.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/map.h"
#include "imap/mailstore/mailbox.h"

struct mailbox_private {
    int index_fd;
    int cache_fd;
    ino_t index_ino;
    /* cyrus.header as last read: inode numbers are reused, so the size
     * and nanosecond mtime take part in telling files apart */
    ino_t header_ino;
    off_t header_size;
    struct timespec header_mtime;
    struct map index_map;
    struct map cache_map;
    int locked;                     /* exclusive lock held */
    struct index_header committed;  /* what is on disk */
};

/* Append a cache file header / one cache entry to an in-memory image. */
void mailbox_cache_header_append(struct buf *out, uint32_t generation);
void mailbox_cache_entry_append(struct buf *out, const void *data, size_t len);
/* mailbox_tombstone.c: before an expunge's commit, write and rename in
 * the new cyrus.expunge: the kept tombstones and the records of gone[]
 * (removed by the expunge whose new header is nh). */
int mailbox_tombstones_write(struct mailbox *mb, const struct index_header *nh,
                             const struct index_record *gone, size_t ngone);
/* Adopt freshly written, exclusively locked files as the mailbox's view. */
void mailbox_swap_files(struct mailbox *mb, int index_fd, int cache_fd,
                        const struct index_header *h);

#endif
