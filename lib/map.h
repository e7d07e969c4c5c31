/* map.h -- a read-only view of a whole file through mmap().
 *
 * A struct map holds the mapped bytes of one file: base and len are for the
 * caller to read; the other fields are private.  Start with MAP_INITIALIZER
 * (or map_init()), call map_refresh() whenever the file may have changed
 * size (e.g. after taking the file's lock), and map_free() at the end.
 *
 * map_refresh() costs one fstat() when nothing changed and keeps the same
 * mapping (base stays valid).  It maps afresh when the size or the inode
 * differs from the last call, so a file that grew shows its new bytes and
 * one that shrank never exposes pages past its end.  After a remap every
 * pointer into the old base is invalid.  An empty file gives base NULL and
 * len 0 (mmap cannot map zero bytes).
 *
 * The mapping is MAP_SHARED: in-place writes to the file by anyone (write(),
 * pwrite()) are visible through base at once.  Reading past a point where
 * another process has since truncated the file raises SIGBUS, so callers
 * hold the file's lock (lib/lock.h) between map_refresh() and their reads,
 * as the mailbox code does for cyrus.index.
 *
 * Errors: ERR_IO (fstat/mmap failed, logged with the file name and errno),
 * ERR_TOOBIG (file larger than the address space).  On any error the map is
 * left empty (base NULL, len 0), never half-updated.
 *
 * Fork: a mapping is inherited by a child and stays valid there; each
 * process calls map_free() on its own copy.  The fd is not kept: it may be
 * closed after map_refresh() and the mapping stays valid.
 */
#ifndef CHAPAR_MAP_H
#define CHAPAR_MAP_H

#include <stddef.h>
#include <sys/types.h>

struct map {
    const char *base;   /* NULL when len == 0 */
    size_t len;
    /* private: identity of what is mapped, to detect a changed file */
    dev_t dev;
    ino_t ino;
};

#define MAP_INITIALIZER { NULL, 0, 0, 0 }

void map_init(struct map *m);
/* (Re)map the file open on fd if its size or identity changed since the
 * last call.  name is for log lines only. */
int map_refresh(struct map *m, int fd, const char *name);
/* Unmap and reset to empty; safe on an empty or already freed map. */
void map_free(struct map *m);

#endif
