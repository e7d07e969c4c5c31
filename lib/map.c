/* map.c -- read-only whole-file mmap that follows the file's size.
 *
 * Invariant: base == NULL exactly when len == 0, and a non-NULL base is a
 * live PROT_READ/MAP_SHARED mapping of exactly len bytes of the file whose
 * dev/ino are recorded, so map_free() and a remap always know what to
 * munmap().  Errors empty the map rather than keep a view of a file we could
 * no longer check.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/map.h"

void map_init(struct map *m)
{
    m->base = NULL;
    m->len = 0;
    m->dev = 0;
    m->ino = 0;
}

void map_free(struct map *m)
{
    if (m->base) {
        /* munmap only fails on arguments we never pass (a bad range). */
        if (munmap((void *)m->base, m->len) < 0)
            log_panic("map: munmap failed: len=<%zu>", m->len);
    }
    map_init(m);
}

int map_refresh(struct map *m, int fd, const char *name)
{
    struct stat st;
    void *p;

    if (fstat(fd, &st) < 0) {
        log_error_errno("map: fstat failed: file=<%s>", name);
        map_free(m);
        return ERR_IO;
    }
    if ((uintmax_t)st.st_size > SIZE_MAX) {
        log_error("map: file too large to map: file=<%s> size=<%jd>", name,
                  (intmax_t)st.st_size);
        map_free(m);
        return ERR_TOOBIG;
    }
    if ((size_t)st.st_size == m->len && st.st_dev == m->dev &&
        st.st_ino == m->ino)
        return ERR_OK;

    map_free(m);
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    if (st.st_size == 0)
        return ERR_OK;
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        log_error_errno("map: mmap failed: file=<%s> size=<%jd>", name,
                        (intmax_t)st.st_size);
        map_init(m);
        return ERR_IO;
    }
    m->base = p;
    m->len = (size_t)st.st_size;
    return ERR_OK;
}
