/* mailbox_format.c -- byte-exact encoders and decoders for cyrus.index
 * (header and records) and the text of cyrus.header.
 *
 * Every field is written in network byte order at a fixed offset (the
 * OFF_* tables below, mirrored in doc/format.md); structs are never written
 * as they are.  The index header and every record end in a CRC32 of the
 * bytes before it, so a torn or corrupt write is detected on read.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mailbox.h"

/* cyrus.index header: header_size bytes (128 written), its CRC in the
 * last four. */
static const unsigned char index_magic[4] = { 0x89, 'C', 'H', 'I' };
enum {
    HOFF_MAGIC = 0,             /* 4 bytes */
    HOFF_MAJOR = 4,             /* u16 */
    HOFF_MINOR = 6,             /* u16 */
    HOFF_HEADER_SIZE = 8,       /* u32 */
    HOFF_RECORD_SIZE = 12,      /* u32 */
    HOFF_GENERATION = 16,
    HOFF_NUM_RECORDS = 20,
    HOFF_LAST_UID = 24,
    HOFF_UIDVALIDITY = 28,
    HOFF_RECENT_UID = 32,
    HOFF_DELETED = 36,
    HOFF_HIGHEST_MODSEQ = 40,   /* u64 */
    HOFF_QUOTA_USED = 48,       /* u64 */
    HOFF_LAST_APPENDDATE = 56,  /* i64 */
    HOFF_LAST_UPDATED = 64,     /* i64 */
    HOFF_CACHE_SIZE = 72,       /* u64 */
    HOFF_PRUNED_MODSEQ = 80,    /* u64, cyrus.expunge only */
    HOFF_KNOWN = 88             /* 88..header_size-5 reserved, zero */
};

/* cyrus.index record: record_size bytes (1.0: 96, 1.1: 104 written), its
 * CRC in the last four. */
enum {
    ROFF_UID = 0,
    ROFF_SIZE = 4,
    ROFF_HEADER_SIZE = 8,
    ROFF_SYSTEM_FLAGS = 12,
    ROFF_INTERNALDATE = 16,     /* i64 */
    ROFF_SENTDATE = 24,         /* i64 */
    ROFF_LAST_UPDATED = 32,     /* i64 */
    ROFF_CACHE_OFFSET = 40,     /* u64 */
    ROFF_MODSEQ = 48,           /* u64 */
    ROFF_USER_FLAGS = 56,       /* 4 x u32, bit n of flag n */
    ROFF_GUID = 72,             /* 20 bytes */
    ROFF_SAVEDATE = 92,         /* i64, 1.2 (reserved zero in 1.1) */
    ROFF_KNOWN = 100            /* 100..record_size-5 reserved, zero */
};

int mailbox_index_geometry_ok(uint32_t header_size, uint32_t record_size)
{
    return header_size >= MAILBOX_INDEX_HEADER_SIZE &&
           header_size <= MAILBOX_INDEX_SIZE_MAX && header_size % 4 == 0 &&
           record_size >= MAILBOX_INDEX_RECORD_MIN &&
           record_size <= MAILBOX_INDEX_SIZE_MAX && record_size % 4 == 0;
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

void mailbox_index_header_encode(const struct index_header *h,
                                 unsigned char *out)
{
    uint32_t hsize = h->header_size ? h->header_size
                                    : MAILBOX_INDEX_HEADER_SIZE;

    memset(out, 0, hsize);
    memcpy(out + HOFF_MAGIC, index_magic, 4);
    put16(out + HOFF_MAJOR, MAILBOX_INDEX_MAJOR);
    put16(out + HOFF_MINOR, h->header_size ? h->minor : MAILBOX_INDEX_MINOR);
    util_put32(out + HOFF_HEADER_SIZE, hsize);
    util_put32(out + HOFF_RECORD_SIZE, h->record_size ? h->record_size
                                                      : MAILBOX_INDEX_RECORD_SIZE);
    util_put32(out + HOFF_GENERATION, h->generation);
    util_put32(out + HOFF_NUM_RECORDS, h->num_records);
    util_put32(out + HOFF_LAST_UID, h->last_uid);
    util_put32(out + HOFF_UIDVALIDITY, h->uidvalidity);
    util_put32(out + HOFF_RECENT_UID, h->recent_uid);
    util_put32(out + HOFF_DELETED, h->deleted);
    util_put64(out + HOFF_HIGHEST_MODSEQ, h->highest_modseq);
    util_put64(out + HOFF_QUOTA_USED, h->quota_used);
    util_put64(out + HOFF_LAST_APPENDDATE, (uint64_t)h->last_appenddate);
    util_put64(out + HOFF_LAST_UPDATED, (uint64_t)h->last_updated);
    util_put64(out + HOFF_CACHE_SIZE, h->cache_size);
    util_put64(out + HOFF_PRUNED_MODSEQ, h->pruned_modseq);
    util_put32(out + hsize - 4, util_crc32(0, out, hsize - 4));
}

int mailbox_index_header_decode(const unsigned char *p, size_t len,
                                struct index_header *h)
{
    uint32_t hsize, rsize;

    if (len < MAILBOX_INDEX_HEADER_SIZE || memcmp(p, index_magic, 4) ||
        get16(p + HOFF_MAJOR) != MAILBOX_INDEX_MAJOR)
        return ERR_BADFORMAT;
    /* Any minor version of our major: its sizes say where things are, and
     * fields we do not know lie in what we take for reserved bytes. */
    hsize = util_get32(p + HOFF_HEADER_SIZE);
    rsize = util_get32(p + HOFF_RECORD_SIZE);
    if (!mailbox_index_geometry_ok(hsize, rsize) || len < hsize ||
        util_get32(p + hsize - 4) != util_crc32(0, p, hsize - 4))
        return ERR_BADFORMAT;
    h->minor = (uint16_t)get16(p + HOFF_MINOR);
    h->header_size = hsize;
    h->record_size = rsize;
    h->generation = util_get32(p + HOFF_GENERATION);
    h->num_records = util_get32(p + HOFF_NUM_RECORDS);
    h->last_uid = util_get32(p + HOFF_LAST_UID);
    h->uidvalidity = util_get32(p + HOFF_UIDVALIDITY);
    h->recent_uid = util_get32(p + HOFF_RECENT_UID);
    h->deleted = util_get32(p + HOFF_DELETED);
    h->highest_modseq = util_get64(p + HOFF_HIGHEST_MODSEQ);
    h->quota_used = util_get64(p + HOFF_QUOTA_USED);
    h->last_appenddate = (int64_t)util_get64(p + HOFF_LAST_APPENDDATE);
    h->last_updated = (int64_t)util_get64(p + HOFF_LAST_UPDATED);
    h->cache_size = util_get64(p + HOFF_CACHE_SIZE);
    h->pruned_modseq = util_get64(p + HOFF_PRUNED_MODSEQ);
    return ERR_OK;
}

void mailbox_index_record_encode(const struct index_record *r,
                                 uint32_t record_size, unsigned char *out)
{
    memset(out, 0, record_size);
    util_put32(out + ROFF_UID, r->uid);
    util_put32(out + ROFF_SIZE, r->size);
    util_put32(out + ROFF_HEADER_SIZE, r->header_size);
    util_put32(out + ROFF_SYSTEM_FLAGS, r->system_flags);
    util_put64(out + ROFF_INTERNALDATE, (uint64_t)r->internaldate);
    util_put64(out + ROFF_SENTDATE, (uint64_t)r->sentdate);
    util_put64(out + ROFF_LAST_UPDATED, (uint64_t)r->last_updated);
    util_put64(out + ROFF_CACHE_OFFSET, r->cache_offset);
    util_put64(out + ROFF_MODSEQ, r->modseq);
    for (int i = 0; i < MAILBOX_MAX_USER_FLAGS / 32; i++)
        util_put32(out + ROFF_USER_FLAGS + 4 * i, r->user_flags[i]);
    memcpy(out + ROFF_GUID, r->guid, sizeof(r->guid));
    if (record_size >= ROFF_KNOWN + 4)
        util_put64(out + ROFF_SAVEDATE, (uint64_t)r->savedate);
    util_put32(out + record_size - 4, util_crc32(0, out, record_size - 4));
}

int mailbox_index_record_decode(const unsigned char *p, uint32_t record_size,
                                struct index_record *r)
{
    return mailbox_index_record_decode_crc(
        p, record_size, util_crc32(0, p, record_size - 4), r);
}

int mailbox_index_record_decode_crc(const unsigned char *p,
                                    uint32_t record_size, uint32_t crc,
                                    struct index_record *r)
{
    if (util_get32(p + record_size - 4) != crc)
        return ERR_BADFORMAT;
    mailbox_index_record_decode_unchecked(p, r);
    /* 1.0 records end before it */
    if (record_size >= ROFF_KNOWN + 4)
        r->savedate = (int64_t)util_get64(p + ROFF_SAVEDATE);
    return ERR_OK;
}

void mailbox_index_record_decode_unchecked(const unsigned char *p,
                                           struct index_record *r)
{
    r->uid = util_get32(p + ROFF_UID);
    r->size = util_get32(p + ROFF_SIZE);
    r->header_size = util_get32(p + ROFF_HEADER_SIZE);
    r->system_flags = util_get32(p + ROFF_SYSTEM_FLAGS);
    r->internaldate = (int64_t)util_get64(p + ROFF_INTERNALDATE);
    r->sentdate = (int64_t)util_get64(p + ROFF_SENTDATE);
    r->last_updated = (int64_t)util_get64(p + ROFF_LAST_UPDATED);
    r->cache_offset = util_get64(p + ROFF_CACHE_OFFSET);
    r->modseq = util_get64(p + ROFF_MODSEQ);
    for (int i = 0; i < MAILBOX_MAX_USER_FLAGS / 32; i++)
        r->user_flags[i] = util_get32(p + ROFF_USER_FLAGS + 4 * i);
    memcpy(r->guid, p + ROFF_GUID, sizeof(r->guid));
    r->savedate = 0;            /* record_size unknown here */
}

void mailbox_emailid(const struct index_record *rec, char *out)
{
    static const char hex[] = "0123456789abcdef";

    out[0] = 'M';
    for (int i = 0; i < 12; i++) {
        out[1 + 2 * i] = hex[rec->guid[i] >> 4];
        out[2 + 2 * i] = hex[rec->guid[i] & 15];
    }
    out[25] = '\0';
}

int index_record_has_user_flag(const struct index_record *rec, int idx)
{
    if (idx < 0 || idx >= MAILBOX_MAX_USER_FLAGS)
        return 0;
    return (rec->user_flags[idx / 32] >> (idx % 32)) & 1;
}

void index_record_set_user_flag(struct index_record *rec, int idx, int on)
{
    uint32_t bit;
    if (idx < 0 || idx >= MAILBOX_MAX_USER_FLAGS)
        return;
    bit = 1U << (idx % 32);
    if (on)
        rec->user_flags[idx / 32] |= bit;
    else
        rec->user_flags[idx / 32] &= ~bit;
}

/* cyrus.header is text so that an administrator (and reconstruct) can read
 * it; its last line is a CRC of everything before it:
 *     Chapar mailbox header 1
 *     uniqueid <hex>
 *     quotaroot <root>          (nothing after the space: no root)
 *     flags <name> <name> ...
 *     acl <id>TAB<rights>TAB...
 *     crc <8 hex digits>
 */
#define HEADER_MAGIC "Chapar mailbox header "

void mailbox_header_format(const struct mailbox *mb, struct buf *out)
{
    size_t start = out->len;
    buf_printf(out, HEADER_MAGIC "%d\n", MAILBOX_HEADER_MAJOR);
    buf_printf(out, "uniqueid %s\n", mb->uniqueid ? mb->uniqueid : "");
    buf_printf(out, "quotaroot %s\n", mb->quotaroot ? mb->quotaroot : "");
    buf_appendcstr(out, "flags");
    for (size_t i = 0; i < mb->flagnames.count; i++)
        buf_printf(out, " %s", mb->flagnames.data[i]);
    buf_printf(out, "\nacl %s\n", mb->acl ? mb->acl : "");
    buf_printf(out, "crc %08x\n",
               util_crc32(0, out->s + start, out->len - start));
}

/* The value of line "key ..." in data, or NULL. */
static char *header_field(const char *data, size_t len, const char *key)
{
    size_t klen = strlen(key);
    const char *p = data, *end = data + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (llen >= klen + 1 && !memcmp(p, key, klen) && p[klen] == ' ')
            return xstrndup(p + klen + 1, llen - klen - 1);
        if (llen == klen && !memcmp(p, key, klen))
            return xstrdup("");
        p += llen + 1;
    }
    return NULL;
}

/* The major version after the magic: its decimal digits, read no further
 * than len (the data need not end in a NUL); -1 if there are none. */
static long header_major(const char *p, size_t len)
{
    long v = -1;

    for (size_t i = 0; i < len && i < 9 && isdigit((unsigned char)p[i]); i++)
        v = (v < 0 ? 0 : v * 10) + (p[i] - '0');
    return v;
}

int mailbox_header_parse(const char *data, size_t len, struct mailbox *mb)
{
    const char *crcline;
    char *val, *flags;
    unsigned long crc;

    if (len < sizeof(HEADER_MAGIC) ||
        memcmp(data, HEADER_MAGIC, sizeof(HEADER_MAGIC) - 1) ||
        header_major(data + sizeof(HEADER_MAGIC) - 1,
                     len - (sizeof(HEADER_MAGIC) - 1)) != MAILBOX_HEADER_MAJOR)
        return ERR_BADFORMAT;
    /* The CRC line is the last line and covers everything before it. */
    if (len < 13 || data[len - 1] != '\n')
        return ERR_BADFORMAT;
    crcline = data + len - 13;      /* "crc " 8 hex digits "\n" */
    if (memcmp(crcline, "crc ", 4))
        return ERR_BADFORMAT;
    crc = strtoul(crcline + 4, NULL, 16);
    if (crc != util_crc32(0, data, (size_t)(crcline - data)))
        return ERR_BADFORMAT;

    free(mb->uniqueid);
    free(mb->quotaroot);
    free(mb->acl);
    mb->uniqueid = header_field(data, len, "uniqueid");
    val = header_field(data, len, "quotaroot");
    mb->quotaroot = val && *val ? val : NULL;
    if (val && !*val)
        free(val);
    mb->acl = header_field(data, len, "acl");
    if (!mb->acl)
        mb->acl = xstrdup("");
    strarray_fini(&mb->flagnames);
    flags = header_field(data, len, "flags");
    if (flags) {
        struct strarray *sa = strarray_split(flags, " ");
        for (size_t i = 0; i < sa->count; i++)
            strarray_append(&mb->flagnames, sa->data[i]);
        strarray_free(&sa);
        free(flags);
    }
    if (!mb->uniqueid || mb->flagnames.count > MAILBOX_MAX_USER_FLAGS)
        return ERR_BADFORMAT;
    return ERR_OK;
}
