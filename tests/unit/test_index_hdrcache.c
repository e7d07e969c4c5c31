/* test_index_hdrcache.c -- FETCH BODY[HEADER.FIELDS (...)] answered from
 * the raw header lines of cyrus.cache (cache version 4): byte for byte
 * what the message file gives (folded, repeated, odd-case and absent
 * fields, partial fetches, no empty line, 8-bit bytes), without the file
 * (it is unlinked), and read from the file for a field the cache does not
 * keep, for a header too big to keep, and for a version 3 entry. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/message.h"
#include "imap/imapd/index_private.h"
#include "tests/unit/harness.h"
#include "tests/unit/index_check.h"
#include "tests/unit/mail_corpus.h"

/* HEADER.FIELDS lists the cache answers (every name is kept raw). */
static const char *const cached_lists[] = {
    "(DATE)",
    "(date)",
    "(DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST "
    "DISPOSITION-NOTIFICATION-TO X-PRIORITY)",
    "(Subject \"subject\" cC)",
    "(In-Reply-To References Message-ID)",
    "(x-priority priority newsgroups list-id bcc sender)",
};
static const char *const partials[] = { "", "<0.10>", "<7.3>", "<0.1>",
                                        "<100000.5>" };

static void unlink_message(uint32_t uid)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/%u.", ix_dir("user.bob"), uid);
    TEST_ASSERT_INT(unlink(path), 0);
}

/* UIDs 1..4 are the corpus of ix_setup, then ix_hdr_msgs, then the huge
 * one; *n_r is the last UID. */
static struct index_state *setup_all(uint32_t *n_r)
{
    char *huge = ix_hdr_huge_text(200);
    uint32_t n = 4;

    ix_setup();
    for (size_t i = 0; ix_hdr_msgs[i]; i++)
        n = ix_append("user.bob", ix_hdr_msgs[i], ix_dates[0], 0);
    n = ix_append("user.bob", huge, ix_dates[0], 0);
    free(huge);
    *n_r = n;
    return ix_open("user.bob", "bob", ACL_ALL, 0);
}

/* The answer to "FETCH uid item" through the file: RFC822.HEADER in the
 * same FETCH makes it read the file, and its item is cut out again. */
static char *fetch_via_file(struct index_state *st, uint32_t uid,
                            const char *item)
{
    char *line = xasprintf("FETCH %u (RFC822.HEADER %s)", uid, item), *out;
    const char *s, *brace;
    size_t pre, len;

    TEST_ASSERT_INT(ix_run(st, line), ERR_OK);
    free(line);
    s = ix_out();
    brace = strstr(s, "RFC822.HEADER {");
    TEST_ASSERT(brace != NULL);
    pre = (size_t)(brace - s);
    len = strtoul(brace + 15, NULL, 10);
    brace = strstr(brace, "}\r\n") + 3 + len;
    TEST_ASSERT(*brace == ' ');
    out = xasprintf("%.*s%s", (int)pre, s, brace + 1);
    return out;
}

static char *fetch_text(struct index_state *st, uint32_t uid,
                        const char *item, int *r_r)
{
    char *line = xasprintf("FETCH %u %s", uid, item);

    *r_r = ix_run(st, line);
    free(line);
    return xstrdup(ix_out());
}

#define NLISTS (sizeof(cached_lists) / sizeof(cached_lists[0]))
#define NPARTIALS (sizeof(partials) / sizeof(partials[0]))

/* Every cached list, with and without partials, on UIDs first..last: the
 * cache's answer is the file's; then, with the files gone, the same
 * answers still come (the file is not read), except for UID
 * file_only, which must fail. */
static void check_cache_equals_file(struct index_state *st, uint32_t first,
                                    uint32_t last, uint32_t file_only)
{
    size_t per = NLISTS * NPARTIALS, n = (size_t)(last - first + 1) * per;
    char **want = xcalloc(n, sizeof(char *));
    char item[512];
    int r;

    /* k names the UID, the list and the partial */
#define ITEM(k)                                                               \
    snprintf(item, sizeof(item), "BODY.PEEK[HEADER.FIELDS %s]%s",             \
             cached_lists[(k) % per / NPARTIALS], partials[(k) % NPARTIALS])
#define UID_OF(k) (first + (uint32_t)((k) / per))
    for (size_t k = 0; k < n; k++) {
        char *file;
        ITEM(k);
        file = fetch_via_file(st, UID_OF(k), item);
        want[k] = fetch_text(st, UID_OF(k), item, &r);
        TEST_ASSERT_INT(r, ERR_OK);
        TEST_ASSERT_STR(want[k], file);
        free(file);
    }
    for (uint32_t uid = first; uid <= last; uid++)
        unlink_message(uid);
    for (size_t k = 0; k < n; k++) {
        char *got;
        ITEM(k);
        got = fetch_text(st, UID_OF(k), item, &r);
        if (UID_OF(k) == file_only) {
            TEST_ASSERT_INT(r, ERR_NOTFOUND);
        } else {
            TEST_ASSERT_INT(r, ERR_OK);
            TEST_ASSERT_STR(got, want[k]);
        }
        free(got);
        free(want[k]);
    }
#undef ITEM
#undef UID_OF
    free(want);
}

/* The corpus and ix_hdr_msgs; the huge header is not kept (its file is
 * read); a field the cache does not keep, HEADER.FIELDS.NOT, a part's
 * header and a section beside them read the file too. */
static void test_cache_equals_file(void)
{
    uint32_t last;
    struct index_state *st = setup_all(&last);

    check_cache_equals_file(st, 1, last, last);
    TEST_ASSERT_INT(ix_run(st, "FETCH 1 BODY.PEEK[HEADER.FIELDS (DATE "
                               "X-MAILER)]"), ERR_NOTFOUND);
    TEST_ASSERT_INT(ix_run(st, "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (DATE)]"),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(ix_run(st, "FETCH 1 BODY.PEEK[1.HEADER.FIELDS (DATE)]"),
                    ERR_NOTFOUND);
    TEST_ASSERT_INT(ix_run(st, "FETCH 1 (BODY.PEEK[HEADER.FIELDS (DATE)] "
                               "BODY.PEEK[TEXT])"), ERR_NOTFOUND);
    TEST_ASSERT_INT(ix_run(st, "FETCH 1 (RFC822.HEADER "
                               "BODY.PEEK[HEADER.FIELDS (DATE)])"),
                    ERR_NOTFOUND);
    ix_out();
    index_close(&st);
}

/* Exact bytes of a few answers from the cache (files gone). */
static void test_cache_exact(void)
{
    uint32_t last;
    struct index_state *st = setup_all(&last);

    for (uint32_t uid = 1; uid <= last; uid++)
        unlink_message(uid);
    /* every occurrence, in message order, folding kept, any case, the
     * field with a space before its colon */
    TEST_ASSERT_INT(ix_run(st, "FETCH 5 BODY.PEEK[HEADER.FIELDS (subject "
                               "CC To)]"), ERR_OK);
    TEST_ASSERT_STR(ix_out(),
                    "* 5 FETCH (BODY[HEADER.FIELDS (subject CC To)] {165}\r\n"
                    "SUBJECT: first\r\n"
                    "To: one@example.org,\r\n two@example.org,\r\n"
                    "\tthree@example.org\r\n"
                    "Subject : second, with a space before the colon\r\n"
                    "cc: a@example.org\r\n"
                    "CC:b@example.org\r\n"
                    "\r\n)\r\n");
    /* a partial of it */
    TEST_ASSERT_INT(ix_run(st, "FETCH 5 BODY.PEEK[HEADER.FIELDS (subject)]"
                               "<9.5>"), ERR_OK);
    TEST_ASSERT_STR(ix_out(),
                    "* 5 FETCH (BODY[HEADER.FIELDS (subject)]<9> {5}\r\n"
                    "first)\r\n");
    /* derived values written again, both Message-ID spellings */
    TEST_ASSERT_INT(ix_run(st, "FETCH 6 BODY.PEEK[HEADER.FIELDS (DATE "
                               "MESSAGE-ID IN-REPLY-TO SUBJECT REPLY-TO)]"),
                    ERR_OK);
    TEST_ASSERT_STR(ix_out(),
                    "* 6 FETCH (BODY[HEADER.FIELDS (DATE MESSAGE-ID "
                    "IN-REPLY-TO SUBJECT REPLY-TO)] {155}\r\n"
                    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
                    "Message-Id: <x@example.org>\r\n"
                    "Message-ID: <x@example.org>\r\n"
                    "In-Reply-To: <b@x>\r\n"
                    "Subject: trailing space \r\n"
                    "Reply-To:\r\n"
                    "\r\n)\r\n");
    /* the continuation-like first line is no field; 8-bit became X */
    TEST_ASSERT_INT(ix_run(st, "FETCH 7 BODY.PEEK[HEADER.FIELDS (DATE FROM "
                               "SUBJECT)]"), ERR_OK);
    TEST_ASSERT_STR(ix_out(),
                    "* 7 FETCH (BODY[HEADER.FIELDS (DATE FROM SUBJECT)] "
                    "{67}\r\n"
                    "Date:no-space\r\n"
                    "From: JXrgen <j@example.de>\r\n"
                    "Subject: cafX crXme\r\n"
                    "\r\n)\r\n");
    /* no empty line and no last line end: one is added */
    TEST_ASSERT_INT(ix_run(st, "FETCH 8 BODY.PEEK[HEADER.FIELDS (SUBJECT)]"),
                    ERR_OK);
    TEST_ASSERT_STR(ix_out(),
                    "* 8 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {27}\r\n"
                    "Subject: no body at all\r\n\r\n)\r\n");
    /* an empty header: only the empty line */
    TEST_ASSERT_INT(ix_run(st, "FETCH 10 BODY.PEEK[HEADER.FIELDS (SUBJECT)]"),
                    ERR_OK);
    TEST_ASSERT_STR(ix_out(),
                    "* 10 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {2}\r\n"
                    "\r\n)\r\n");
    index_close(&st);
}

/* A version 3 entry of msg: the version 4 one without its raw lines. */
static void encode_v3(const char *msg, struct buf *out)
{
    struct message_info *info = NULL;
    struct buf probe = BUF_INITIALIZER;
    size_t at, nsections;

    TEST_ASSERT_INT(message_parse(msg, strlen(msg), &info), ERR_OK);
    free(info->header_fields);
    info->header_fields = NULL;         /* coded as one 0 byte */
    message_info_encode(info, out);
    /* where that byte is: just before the section count */
    nsections = info->nsections;
    info->nsections = 0;
    message_info_encode(info, &probe);
    info->nsections = nsections;
    at = probe.len - 2;
    TEST_ASSERT_INT(out->s[0], MESSAGE_CACHE_VERSION);
    TEST_ASSERT_INT(out->s[at], 0);
    out->s[0] = 3;
    buf_remove(out, at, 1);
    buf_free(&probe);
    message_info_free(&info);
}

/* Stage msg as the next UID of user.bob with the cache entry entry. */
static uint32_t append_with_entry(const char *msg, const struct buf *entry)
{
    struct mailbox *mb = NULL;
    struct index_record rec;
    struct buf path = BUF_INITIALIZER;
    struct message_info *info = NULL;
    FILE *f;

    TEST_ASSERT_INT(message_parse(msg, strlen(msg), &info), ERR_OK);
    TEST_ASSERT_INT(mailbox_open("user.bob", ix_dir("user.bob"),
                                 MAILBOX_EXCLUSIVE, &mb), ERR_OK);
    memset(&rec, 0, sizeof(rec));
    rec.uid = mb->i.last_uid + 1;
    rec.size = (uint32_t)strlen(msg);
    rec.header_size = info->header_size;
    rec.internaldate = ix_dates[0];
    rec.sentdate = info->sent_date;
    mailbox_message_path(mb, rec.uid, &path);
    TEST_ASSERT((f = fopen(buf_cstring(&path), "w")) != NULL);
    TEST_ASSERT(fwrite(msg, 1, strlen(msg), f) == strlen(msg));
    TEST_ASSERT_INT(fclose(f), 0);
    TEST_ASSERT_INT(mailbox_append_record(mb, &rec, entry->s, entry->len),
                    ERR_OK);
    TEST_ASSERT_INT(mailbox_commit(mb), ERR_OK);
    mailbox_close(&mb);
    buf_free(&path);
    message_info_free(&info);
    return rec.uid;
}

/* A version 3 entry (written before this change) still decodes, keeps no
 * raw lines, and FETCH answers from the file: the same bytes while the
 * file is there, NO once it is gone. */
static void test_old_entry_reads_file(void)
{
    struct buf v3 = BUF_INITIALIZER, out = BUF_INITIALIZER;
    struct message_cache_peek pk;
    struct message_info *info = NULL;
    struct index_state *st;
    uint32_t uid;
    char *file;

    ix_setup();
    encode_v3(ix_msg_plain, &v3);
    TEST_ASSERT_INT(message_cache_peek(v3.s, v3.len, &pk), ERR_OK);
    TEST_ASSERT_INT(pk.version, 3);
    TEST_ASSERT_INT(message_cache_header_fields(&pk, &out), ERR_NOTFOUND);
    TEST_ASSERT_INT(message_info_decode(v3.s, v3.len, &info), ERR_OK);
    TEST_ASSERT(info->header_fields == NULL);
    TEST_ASSERT_STR(info->headers[MESSAGE_HDR_SUBJECT], "afternoon meeting");
    message_info_free(&info);

    uid = append_with_entry(ix_msg_plain, &v3);
    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    file = fetch_via_file(st, 1, "BODY.PEEK[HEADER.FIELDS (CC SUBJECT)]");
    {
        char line[128];
        snprintf(line, sizeof(line), "FETCH %u BODY.PEEK[HEADER.FIELDS "
                                     "(CC SUBJECT)]", uid);
        TEST_ASSERT_INT(ix_run(st, line), ERR_OK);
        /* the same bytes as UID 1 (the same message, version 4) */
        TEST_ASSERT_STR(strchr(ix_out(), '('), strchr(file, '('));
        unlink_message(uid);
        TEST_ASSERT_INT(ix_run(st, line), ERR_NOTFOUND);
        ix_out();
    }
    /* UID 1, version 4, without its file, still answers */
    unlink_message(1);
    TEST_ASSERT_INT(ix_run(st, "FETCH 1 BODY.PEEK[HEADER.FIELDS "
                               "(CC SUBJECT)]"), ERR_OK);
    TEST_ASSERT_STR(ix_out(), file);
    free(file);
    index_close(&st);
    buf_free(&v3);
    buf_free(&out);
}

/* Bytes the parser meets when reconstruct reads a file written by other
 * means (no normalising): bare LF and bare CR line ends, 8-bit bytes, a
 * last line ending in CR.  The version 4 entry parse makes of them still
 * answers exactly as the file does. */
static void test_raw_bytes_entry(void)
{
    static const char *const raw[] = {
        "Subject: caf\xe9\nFrom: a@example.org\n\tcontinued\n"
        "subject: two\r\n\nSubject: body\n",
        "Date: x\rSubject: y\r\nTo: z\n\r\nbody",
        "To: a\r\n \r\nCc: b\r\nSubject: ends in CR\r",
        "Subject:\r\n\r\n",
    };
    struct index_state *st;
    uint32_t first = 0, uid = 0;

    ix_setup();
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        struct message_info *info = NULL;
        struct buf entry = BUF_INITIALIZER;
        TEST_ASSERT_INT(message_parse(raw[i], strlen(raw[i]), &info), ERR_OK);
        TEST_ASSERT(info->header_fields != NULL);
        message_info_encode(info, &entry);
        uid = append_with_entry(raw[i], &entry);
        if (!first)
            first = uid;
        buf_free(&entry);
        message_info_free(&info);
    }
    st = ix_open("user.bob", "bob", ACL_ALL, 0);
    check_cache_equals_file(st, first, uid, 0);
    index_close(&st);
}

/* A corrupt code in the raw lines: peek refuses the entry. */
static void test_corrupt_fields(void)
{
    struct message_info *info = NULL;
    struct message_cache_peek pk;
    struct buf enc = BUF_INITIALIZER, out = BUF_INITIALIZER;
    const char *msg = "Subject: s\r\n\r\nbody\r\n";

    TEST_ASSERT_INT(message_parse(msg, strlen(msg), &info), ERR_OK);
    TEST_ASSERT_STR(info->header_fields, "Subject: s\r\n");
    message_info_encode(info, &enc);
    TEST_ASSERT_INT(message_cache_peek(enc.s, enc.len, &pk), ERR_OK);
    TEST_ASSERT_INT(message_cache_header_fields(&pk, &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "Subject: s\r\n");
    /* the line is a reference to the Subject value (one byte, 2k + 1):
     * make it name header 99, which does not exist */
    {
        const char *ref = pk.fields;
        TEST_ASSERT_INT(pk.nfields, 1);
        TEST_ASSERT_INT(ref[0], 2 * MESSAGE_HDR_SUBJECT + 1);
        enc.s[ref - enc.s] = (char)(2 * 60 + 1);
    }
    TEST_ASSERT_INT(message_cache_peek(enc.s, enc.len, &pk), ERR_BADFORMAT);
    buf_free(&enc);
    buf_free(&out);
    message_info_free(&info);
}

TEST_MAIN("index_hdrcache", TEST_CASE(test_cache_equals_file),
          TEST_CASE(test_cache_exact), TEST_CASE(test_old_entry_reads_file),
          TEST_CASE(test_raw_bytes_entry), TEST_CASE(test_corrupt_fields))
