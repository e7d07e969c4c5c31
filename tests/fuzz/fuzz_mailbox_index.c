/* fuzz_mailbox_index.c -- libFuzzer target for the cyrus.index header and
 * record readers and the cyrus.cache entry reader, through the real code
 * that opens a mailbox (imap/mailstore/mailbox.c, mailbox_format.c).
 *
 * Input: a flags byte, two 16-bit big-endian lengths H and I, then H
 * bytes of cyrus.header, I bytes of cyrus.index and the rest cyrus.cache
 * (lengths past the end are cut).  Flags make damaged files reach deeper
 * code without guessing CRCs:
 *   1  cyrus.header is replaced by a valid one (its text has its own
 *      target, fuzz_mailbox_header);
 *   2  the index header's CRC is set right (when its sizes are sane);
 *   4  every record's CRC is set right;
 *   8  the cache header is made valid for the index's generation and each
 *      entry a record points to gets its right CRC;
 *   16 the mailbox is opened for writing (MAILBOX_EXCLUSIVE: an older
 *      minor version is upgraded in place).
 * The files are written to a private directory (under /dev/shm when it
 * exists, else $TMPDIR or /tmp, with a configuration of its own) and the mailbox is opened, every record and
 * cache entry read (records one by one, four at a time, by UID and from a
 * snapshot), each cache entry decoded, and the view refreshed.  The index
 * bytes also go to mailbox_index_header_decode and
 * mailbox_index_record_decode straight (exact-size heap copies).
 * Checked: no crash, no leak, no overread, and only ERR_BADFORMAT (or
 * ERR_NOTFOUND for a record) for damage.
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/map.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_RECORDS 4096        /* read at most this many per input */
#define CACHE_OFF_GENERATION 8  /* doc/format.md, cyrus.cache */
#define CACHE_OFF_CRC 28

static char *dir, *mboxdir;

static void cleanup(void)
{
    util_remove_tree(dir);
}

/* A private directory: the mailbox in mbox/, a configuration whose
 * configdirectory (quota files of an upgrade) is conf/. */
static void setup(void)
{
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                      : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;

    dir = strconcat(tmp, "/chapar-fuzz-XXXXXX", (char *)NULL);
    CHECK(mkdtemp(dir));
    atexit(cleanup);
    mboxdir = strconcat(dir, "/mbox", (char *)NULL);
    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s\n",
               dir, dir);
    CHECK(conf_load_text("fuzz.conf", conf.s, conf.len, &err) == ERR_OK);
    CHECK(util_mkdir_p(mboxdir, 0700) == 0);
    buf_reset(&conf);
    buf_printf(&conf, "%s/conf/quota", dir);
    CHECK(util_mkdir_p(buf_cstring(&conf), 0700) == 0);
    buf_free(&conf);
    buf_free(&err);
}

static void write_file(const char *name, const void *p, size_t n)
{
    char *path = strconcat(mboxdir, "/", name, (char *)NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    CHECK(fd >= 0 && retry_write(fd, p, n) == (ssize_t)n);
    close(fd);
    free(path);
}

/* The index's geometry, if its header says sane sizes. */
static int geometry(const struct buf *idx, uint32_t *hsize, uint32_t *rsize)
{
    const unsigned char *p = (const unsigned char *)idx->s;

    if (idx->len < MAILBOX_INDEX_HEADER_SIZE)
        return 0;
    *hsize = util_get32(p + 8);
    *rsize = util_get32(p + 12);
    return mailbox_index_geometry_ok(*hsize, *rsize) && idx->len >= *hsize;
}

static void fix_crcs(unsigned flags, struct buf *idx, struct buf *cache)
{
    unsigned char *ip = (unsigned char *)idx->s, *cp;
    uint32_t hsize, rsize;

    if (!geometry(idx, &hsize, &rsize))
        return;
    if (flags & 2)
        util_put32(ip + hsize - 4, util_crc32(0, ip, hsize - 4));
    if ((flags & 8) && cache->len >= MAILBOX_CACHE_HEADER_SIZE) {
        cp = (unsigned char *)cache->s;
        memcpy(cp + CACHE_OFF_GENERATION, ip + 16, 4);
        util_put32(cp + CACHE_OFF_CRC, util_crc32(0, cp, CACHE_OFF_CRC));
    }
    for (size_t off = hsize; off + rsize <= idx->len; off += rsize) {
        uint64_t coff = util_get64(ip + off + 40);
        if ((flags & 8) && coff >= MAILBOX_CACHE_HEADER_SIZE &&
            coff <= cache->len && cache->len - coff >= 8) {
            cp = (unsigned char *)cache->s + coff;
            uint32_t n = util_get32(cp);
            if (n <= cache->len - coff - 8)
                util_put32(cp + 4, util_crc32(0, cp + 8, n));
        }
        if (flags & 4)
            util_put32(ip + off + rsize - 4,
                       util_crc32(0, ip + off, rsize - 4));
    }
}

static void decode_entry(const char *p, size_t n)
{
    struct message_info *info = NULL;
    struct message_cache_peek pk;

    if (message_info_decode(p, n, &info) == ERR_OK)
        message_info_free(&info);
    (void)message_cache_peek(p, n, &pk);
}

/* The pure decoders on an exact-size copy of the index. */
static void decode_index(const struct buf *idx)
{
    unsigned char *copy = xmalloc(idx->len ? idx->len : 1);
    struct index_header h;
    struct index_record rec;

    memcpy(copy, idx->s ? idx->s : "", idx->len);
    if (mailbox_index_header_decode(copy, idx->len, &h) == ERR_OK) {
        size_t off = h.header_size;
        for (uint32_t n = 0; n < h.num_records && n < MAX_RECORDS &&
                             off + h.record_size <= idx->len;
             n++, off += h.record_size)
            (void)mailbox_index_record_decode(copy + off, h.record_size,
                                              &rec);
    }
    free(copy);
}

static void read_mailbox(unsigned flags)
{
    struct mailbox *mb = NULL;
    struct mailbox_changes ch;
    struct index_record rec, *recs;
    struct map snap;
    uint32_t count, n;
    int r = mailbox_open("user.fuzz", mboxdir,
                         flags & 16 ? MAILBOX_EXCLUSIVE : MAILBOX_UNLOCKED,
                         &mb);

    if (r) {
        CHECK(!mb && (r == ERR_BADFORMAT || r == ERR_NOTFOUND));
        return;
    }
    count = mb->i.num_records < MAX_RECORDS ? mb->i.num_records
                                            : MAX_RECORDS;
    for (uint32_t i = 0; i < count; i++) {
        const char *entry;
        size_t len;
        if (mailbox_read_record(mb, i, &rec))
            continue;
        if (mailbox_cache_entry(mb, &rec, &entry, &len) == ERR_OK)
            decode_entry(entry, len);
        (void)mailbox_find_uid(mb, rec.uid, &n);
    }
    recs = xmalloc((count ? count : 1) * sizeof(*recs));
    (void)mailbox_read_records(mb, 0, count, recs);
    free(recs);
    if (mailbox_snapshot(mb, &snap) == ERR_OK) {
        for (uint32_t i = 0; i < count; i++)
            (void)mailbox_snapshot_record(&snap, i, &rec);
        map_free(&snap);
    }
    (void)mailbox_refresh(mb, &ch);
    mailbox_close(&mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf hdr = BUF_INITIALIZER, idx = BUF_INITIALIZER,
               cache = BUF_INITIALIZER;
    size_t hlen, ilen, pos = 5;
    unsigned flags;

    if (size < 5)
        return 0;
    if (!dir)
        setup();
    flags = data[0];
    hlen = (size_t)data[1] << 8 | data[2];
    ilen = (size_t)data[3] << 8 | data[4];
    hlen = hlen < size - pos ? hlen : size - pos;
    buf_appendmap(&hdr, data + pos, hlen);
    pos += hlen;
    ilen = ilen < size - pos ? ilen : size - pos;
    buf_appendmap(&idx, data + pos, ilen);
    pos += ilen;
    buf_appendmap(&cache, data + pos, size - pos);

    if (flags & 1) {
        buf_reset(&hdr);
        buf_appendcstr(&hdr, "Chapar mailbox header 1\nuniqueid 0123\n"
                             "quotaroot \nflags a b\nacl fuzz\tlrs\t\n");
        buf_printf(&hdr, "crc %08x\n", util_crc32(0, hdr.s, hdr.len));
    }
    fix_crcs(flags, &idx, &cache);
    decode_index(&idx);
    write_file(MAILBOX_HEADER_FILE, hdr.s ? hdr.s : "", hdr.len);
    write_file(MAILBOX_INDEX_FILE, idx.s ? idx.s : "", idx.len);
    write_file(MAILBOX_CACHE_FILE, cache.s ? cache.s : "", cache.len);
    read_mailbox(flags);
    buf_free(&hdr);
    buf_free(&idx);
    buf_free(&cache);
    return 0;
}
