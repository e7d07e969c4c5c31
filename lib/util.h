/* util.h -- small system helpers every module needs.
 *
 * retry_read()/retry_write() loop over short transfers and EINTR.  The fsync
 * helpers and util_atomic_replace() are how Chapar makes a change durable:
 * write a temp file beside the target, fsync it, rename() it over the
 * target, fsync the directory.  After a crash either the old or the new file
 * is there, never a mix.  All return ERR_OK or ERR_IO (errno kept).
 */
#ifndef CHAPAR_UTIL_H
#define CHAPAR_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Turn on SO_KEEPALIVE when fd is a TCP socket (IPv4 or IPv6), so that a
 * client that vanished without closing (a laptop suspended, a NAT that
 * forgot the flow) is found by the kernel's probes and the session ends
 * instead of holding a process and its locks until the timeout.  The one
 * place that does it: master on each accepted connection, every server on
 * its fd 0 (inetd style).  1: set; 0: fd is not a TCP socket (a pipe, a
 * UNIX socket, a terminal), nothing done; -1: setsockopt failed (logged). */
int util_socket_keepalive(int fd);

/* Give back to the kernel the memory a process's last busy moment left
 * dirty and unused: free heap pages (malloc_trim) and the stack below the
 * caller's frame (MADV_DONTNEED; they read as zeros when touched again).
 * For a server about to sit idle (prot_set_idle); costs a few system calls
 * and, later, the page faults of memory used again. */
void util_release_idle_memory(void);

/* Write all n bytes; -1 with errno on failure, else n. */
ssize_t retry_write(int fd, const void *buf, size_t n);
/* Read until n bytes or EOF; -1 on error, else bytes read. */
ssize_t retry_read(int fd, void *buf, size_t n);
/* Like retry_write at an offset (pwrite). */
ssize_t retry_pwrite(int fd, const void *buf, size_t n, off_t off);

int util_fsync_fd(int fd);
/* fsync the directory that holds path (for a create, rename or unlink). */
int util_fsync_parent(const char *path);
int util_fsync_dir(const char *dir);
/* Replace path's contents with data atomically and durably (mode for a new
 * file).  The temp file is "<path>.NEW"; a stale one is overwritten. */
int util_atomic_replace(const char *path, const void *data, size_t len,
                        mode_t mode);
/* The same through the temporary file tmp (util_atomic_replace uses
 * "<path>.NEW"), for directories where that name could be a real one. */
int util_atomic_replace_tmp(const char *path, const char *tmp,
                            const void *data, size_t len, mode_t mode);
/* Read a whole (small) file into a fresh NUL-terminated string. */
int util_read_file(const char *path, char **data_r, size_t *len_r);
/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian,
 * m 1..12; negative before 1970). */
long long util_days_from_civil(long y, long m, long d);
/* mkdir -p, each created level with mode.  A level removed meanwhile (an
 * rmdir of empty directories racing us) is made again. */
int util_mkdir_p(const char *path, mode_t mode);
/* rm -r; a missing path is fine. */
int util_remove_tree(const char *path);

/* Strict decimal parse of a whole string into [min,max]; ERR_BADARG else. */
int util_parse_long(const char *s, long long min, long long max,
                    long long *val_r);

/* CRC-32 (IEEE 802.3, as zlib's crc32), continuing from crc (start with 0). */
uint32_t util_crc32(uint32_t crc, const void *buf, size_t len);
/* util_crc32(0, ...) of four buffers of len bytes, stride bytes apart,
 * at once (about 1.6 times the speed of four calls on short records). */
void util_crc32_x4(const void *buf, size_t stride, size_t len,
                   uint32_t out[4]);

/* Big-endian (network order) encoders/decoders for on-disk formats. */
void util_put32(unsigned char *p, uint32_t v);
void util_put64(unsigned char *p, uint64_t v);
static inline uint32_t util_get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static inline uint64_t util_get64(const unsigned char *p)
{
    return (uint64_t)util_get32(p) << 32 | util_get32(p + 4);
}

#endif
