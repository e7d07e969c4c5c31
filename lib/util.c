/* util.c -- retrying I/O, durable replace, parsing, CRC; see util.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

ssize_t retry_write(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t retry_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, p + done, n - done, off + (off_t)done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t retry_read(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, p + done, n - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

int util_fsync_fd(int fd)
{
    while (fsync(fd) < 0) {
        if (errno != EINTR)
            return ERR_IO;
    }
    return ERR_OK;
}

int util_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;
    if (fd < 0)
        return ERR_IO;
    r = util_fsync_fd(fd);
    close(fd);
    return r;
}

int util_fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int r;

    if (!slash)
        return util_fsync_dir(".");
    dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
    r = util_fsync_dir(dir);
    free(dir);
    return r;
}

int util_atomic_replace(const char *path, const void *data, size_t len,
                        mode_t mode)
{
    char *tmp = strconcat(path, ".NEW", (char *)NULL);
    int r = util_atomic_replace_tmp(path, tmp, data, len, mode);
    free(tmp);
    return r;
}

int util_atomic_replace_tmp(const char *path, const char *tmp,
                            const void *data, size_t len, mode_t mode)
{
    int fd, r = ERR_IO;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        log_error_errno("open failed: file=<%s>", tmp);
        goto done;
    }
    if (retry_write(fd, data, len) < 0 || util_fsync_fd(fd)) {
        log_error_errno("write failed: file=<%s>", tmp);
        close(fd);
        unlink(tmp);
        goto done;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        log_error_errno("rename failed: file=<%s>", path);
        unlink(tmp);
        goto done;
    }
    r = util_fsync_parent(path);
done:
    return r;
}

long long util_days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097LL + doe - 719468;
}

int util_read_file(const char *path, char **data_r, size_t *len_r)
{
    struct buf b = BUF_INITIALIZER;
    char chunk[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
    while ((n = retry_read(fd, chunk, sizeof(chunk))) > 0)
        buf_appendmap(&b, chunk, (size_t)n);
    close(fd);
    if (n < 0) {
        buf_free(&b);
        return ERR_IO;
    }
    if (len_r)
        *len_r = b.len;
    *data_r = buf_release(&b);
    return ERR_OK;
}

/* A level made and then removed before the next one could be made in it
 * (a concurrent rmdir of empty directories, e.g. mboxlist pruning after a
 * DELETE or RENAME of a sibling) sends us back to the top this often. */
#define UTIL_MKDIR_P_TRIES 100

int util_mkdir_p(const char *path, mode_t mode)
{
    char *p = xstrdup(path);
    int r = ERR_OK, tries = 0;

    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, mode) < 0 && errno != EEXIST) {
                if (errno == ENOENT && ++tries < UTIL_MKDIR_P_TRIES) {
                    *s = c;
                    s = p;      /* a parent went away: from the top */
                    continue;
                }
                r = ERR_IO;
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return r;
}

static int util_remove_one(const char *path, const struct stat *st, int flag,
                           struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int util_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? ERR_OK : ERR_IO;
    return nftw(path, util_remove_one, 16, FTW_DEPTH | FTW_PHYS) ? ERR_IO
                                                                 : ERR_OK;
}

int util_parse_long(const char *s, long long min, long long max,
                    long long *val_r)
{
    char *end;
    long long v;

    if (!s || !*s)
        return ERR_BADARG;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return ERR_BADARG;
    *val_r = v;
    return ERR_OK;
}

/* CRC-32 by "slicing by 8": eight tables let the loop consume eight bytes
 * per step (cache entries are checked on every FETCH, so this is hot). */
static uint32_t crc_tables[8][256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        crc_tables[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tables[t][i] = (crc_tables[t - 1][i] >> 8) ^
                               crc_tables[0][crc_tables[t - 1][i] & 0xff];
    crc_ready = 1;
}

/* One slicing-by-8 step of crc over the 8 bytes at p. */
#define CRC_STEP(crc, p)                                                    \
    do {                                                                    \
        uint32_t lo_ = (crc) ^ ((uint32_t)(p)[0] | (uint32_t)(p)[1] << 8 |  \
                                (uint32_t)(p)[2] << 16 |                    \
                                (uint32_t)(p)[3] << 24);                    \
        (crc) = crc_tables[7][lo_ & 0xff] ^ crc_tables[6][(lo_ >> 8) & 0xff] ^\
                crc_tables[5][(lo_ >> 16) & 0xff] ^ crc_tables[4][lo_ >> 24] ^\
                crc_tables[3][(p)[4]] ^ crc_tables[2][(p)[5]] ^             \
                crc_tables[1][(p)[6]] ^ crc_tables[0][(p)[7]];              \
    } while (0)

uint32_t util_crc32(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    while (len >= 8) {
        CRC_STEP(crc, p);
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = crc_tables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

void util_crc32_x4(const void *buf, size_t stride, size_t len,
                   uint32_t out[4])
{
    const unsigned char *p0 = buf, *p1 = p0 + stride, *p2 = p1 + stride,
                        *p3 = p2 + stride;
    uint32_t a = ~0U, b = ~0U, c = ~0U, d = ~0U;
    size_t i = 0;

    if (!crc_ready)
        crc_init();
    /* Four independent chains: the loads of one overlap the others'. */
    for (; i + 8 <= len; i += 8) {
        CRC_STEP(a, p0 + i);
        CRC_STEP(b, p1 + i);
        CRC_STEP(c, p2 + i);
        CRC_STEP(d, p3 + i);
    }
    for (; i < len; i++) {
        a = crc_tables[0][(a ^ p0[i]) & 0xff] ^ (a >> 8);
        b = crc_tables[0][(b ^ p1[i]) & 0xff] ^ (b >> 8);
        c = crc_tables[0][(c ^ p2[i]) & 0xff] ^ (c >> 8);
        d = crc_tables[0][(d ^ p3[i]) & 0xff] ^ (d >> 8);
    }
    out[0] = ~a;
    out[1] = ~b;
    out[2] = ~c;
    out[3] = ~d;
}

void util_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void util_put64(unsigned char *p, uint64_t v)
{
    util_put32(p, (uint32_t)(v >> 32));
    util_put32(p + 4, (uint32_t)v);
}

/* The lowest address of this process's [stack] mapping (/proc/self/maps,
 * read without malloc), 0 if not found. */
static uintptr_t stack_low(void)
{
    char buf[1024];
    size_t have = 0;
    ssize_t n;
    uintptr_t lo = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
        char *line = buf, *nl;

        have += (size_t)n;
        buf[have] = '\0';
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            if (strstr(line, " [stack]"))
                lo = (uintptr_t)strtoull(line, NULL, 16);
            line = nl + 1;
        }
        have = strlen(line);            /* a partial line: keep for more */
        memmove(buf, line, have);
        if (have == sizeof(buf) - 1)    /* no line is this long: drop it */
            have = 0;
    }
    close(fd);
    return lo;
}

void util_release_idle_memory(void)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), lo, top;
    volatile char here = 0;

    malloc_trim(0);
    /* Two pages below this frame stay for the calls made from here. */
    lo = stack_low();
    top = ((uintptr_t)&here & ~(page - 1)) - 2 * page;
    if (lo && top > lo)
        madvise((void *)lo, top - lo, MADV_DONTNEED);
}

int util_socket_keepalive(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int type = 0, on = 1;
    socklen_t tlen = sizeof(type);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
        type != SOCK_STREAM)
        return 0;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0) {
        log_error_errno("setsockopt SO_KEEPALIVE fd=<%d>", fd);
        return -1;
    }
    return 1;
}
