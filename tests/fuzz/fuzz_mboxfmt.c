/* fuzz_mboxfmt.c -- libFuzzer target for the migration formats
 * (imap/mailstore/mboxfmt.c, maildirfmt.c): any bytes are an mbox file,
 * a Maildir file name, a dovecot-keywords and a dovecot-uidlist file.
 *
 * Checked beyond "no crash, no leak, no overread" (the input is an
 * exact-size heap copy):
 *   - splitting (mboxrd) ends, either at once with ERR_BADFORMAT and a
 *     reason, or after messages that each moved the reader forward;
 *   - the round trip: each message whose text ends with LF and has no CR
 *     is written back (mboxfmt_write, with CRLF as the store has it) and
 *     read again: the same text, flags, keywords and date;
 *   - the Maildir base length never passes the name; a uidlist's every
 *     entry is found again by its base.
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/maildirfmt.h"
#include "imap/mailstore/mboxfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static int same_keywords(const struct strarray *a, const struct strarray *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->data[i], b->data[i]))
            return 0;
    return 1;
}

static void round_trip(const struct mboxfmt_message *m)
{
    struct buf crlf = BUF_INITIALIZER, out = BUF_INITIALIZER,
               err = BUF_INITIALIZER;
    struct mboxfmt_reader r;
    struct mboxfmt_message again = MBOXFMT_MESSAGE_INITIALIZER;

    if (!m->text.len || m->text.s[m->text.len - 1] != '\n' ||
        memchr(m->text.s, '\r', m->text.len))
        return;
    for (size_t i = 0; i < m->text.len; i++) {
        if (m->text.s[i] == '\n')
            buf_putc(&crlf, '\r');
        buf_putc(&crlf, m->text.s[i]);
    }
    mboxfmt_write(&out, crlf.s, crlf.len, "fuzz@example.org", m->date,
                  m->flags, &m->keywords, MBOXFMT_MBOXRD);
    mboxfmt_reader_init(&r, out.s, out.len, MBOXFMT_MBOXRD);
    CHECK(mboxfmt_next(&r, &again, &err) == ERR_OK);
    CHECK(again.text.len == m->text.len &&
          !memcmp(again.text.s, m->text.s, m->text.len));
    CHECK(again.flags == m->flags);
    CHECK(again.date == m->date);
    CHECK(same_keywords(&again.keywords, &m->keywords));
    CHECK(mboxfmt_next(&r, &again, &err) == ERR_NOTFOUND);
    mboxfmt_message_fini(&again);
    buf_free(&crlf);
    buf_free(&out);
    buf_free(&err);
}

static void mbox(const char *data, size_t size)
{
    struct mboxfmt_reader r;
    struct mboxfmt_message m = MBOXFMT_MESSAGE_INITIALIZER;
    struct buf err = BUF_INITIALIZER;
    size_t last = 0;
    int rc;

    mboxfmt_reader_init(&r, data, size, MBOXFMT_MBOXRD);
    while ((rc = mboxfmt_next(&r, &m, &err)) == ERR_OK) {
        CHECK(r.pos > last || r.pos == size);
        last = r.pos;
        round_trip(&m);
    }
    CHECK(rc == ERR_NOTFOUND || (rc == ERR_BADFORMAT && r.count == 0 &&
                                 err.len));
    mboxfmt_reader_init(&r, data, size, MBOXFMT_MBOXO);
    while (mboxfmt_next(&r, &m, &err) == ERR_OK)
        ;
    mboxfmt_message_fini(&m);
    buf_free(&err);
}

static void maildir(const char *data, size_t size)
{
    char *name = xstrndup(data, size);
    uint32_t flags, kw;
    size_t baselen;
    struct strarray names = STRARRAY_INITIALIZER;
    struct maildirfmt_uidlist ul;

    maildirfmt_parse_name(name, &flags, &kw, &baselen);
    CHECK(baselen <= strlen(name));
    (void)maildirfmt_is_folder(name);
    maildirfmt_parse_keywords(data, size, &names);
    CHECK(names.count <= 26);
    if (maildirfmt_parse_uidlist(data, size, &ul) == ERR_OK) {
        for (size_t i = 0; i < ul.n; i++)
            CHECK(maildirfmt_uid_of(&ul, ul.e[i].base,
                                    strlen(ul.e[i].base)) != 0);
        maildirfmt_uidlist_fini(&ul);
    }
    strarray_fini(&names);
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = xmalloc(size ? size : 1);
    memcpy(copy, data, size);
    mbox(copy, size);
    maildir(copy, size);
    free(copy);
    return 0;
}
