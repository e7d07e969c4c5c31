/* fuzz_pop3.c -- libFuzzer target for the POP3 command-line parser
 * (imap/pop3d/pop3d_parse.c): the input is what a client sends, split
 * into lines at LF (a CR before it dropped, as prot_readline does); each
 * line is an exact-size heap copy with a NUL after it, NUL bytes inside
 * kept, as pop3d gets it.
 *
 * Each line goes through pop3d_parse_command, then its argument through
 * pop3d_parse_numbers (the ranges pop3d uses: 0-1, 1, 2 and a wider
 * 0-8), pop3d_parse_apop and pop3d_parse_auth, and the AUTH initial
 * response through base64_decode.  Checked beyond "no crash, no leak, no
 * overread": a line with a NUL is refused; name and argument lie inside
 * the line and the name holds no space; parsed numbers are within the
 * count asked for and below 2^31, and written back in decimal they parse
 * to the same values; an APOP user is non-empty without a space and the
 * digest is 32 bytes; an AUTH mechanism holds no space.
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "imap/pop3d/pop3d_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_numbers(const char *args, unsigned min, unsigned max)
{
    unsigned long v[8], w[8];
    unsigned n = 99, m = 99;
    struct buf text = BUF_INITIALIZER;

    if (pop3d_parse_numbers(args, min, max, v, &n))
        return;
    CHECK(n >= min && n <= max);
    for (unsigned i = 0; i < n; i++) {
        CHECK(v[i] <= 0x7fffffffUL);
        buf_printf(&text, "%s%lu", i ? " " : "", v[i]);
    }
    CHECK(!pop3d_parse_numbers(buf_cstring(&text), min, max, w, &m));
    CHECK(m == n && !memcmp(v, w, n * sizeof(*v)));
    buf_free(&text);
}

static void check_args(const char *args)
{
    const char *digest;
    char *user, *mech, *initial;

    check_numbers(args, 0, 1);
    check_numbers(args, 1, 1);
    check_numbers(args, 2, 2);
    check_numbers(args, 0, 8);
    if (!pop3d_parse_apop(args, &user, &digest)) {
        CHECK(*user && !strchr(user, ' ') && strlen(digest) == 32);
        free(user);
    }
    pop3d_parse_auth(args, &mech, &initial);
    CHECK(!strchr(mech, ' '));
    if (initial) {
        struct buf ir = BUF_INITIALIZER;
        CHECK(initial > mech);
        (void)base64_decode(initial, strlen(initial), &ir);
        buf_free(&ir);
    }
    free(mech);
}

static void check_line(const char *bytes, size_t n)
{
    char *line = xmalloc(n + 1);
    const char *name, *args;

    memcpy(line, bytes, n);
    line[n] = '\0';
    if (pop3d_parse_command(line, n, &name, &args)) {
        CHECK(memchr(bytes, '\0', n) && !memcmp(line, bytes, n));
    } else {
        CHECK(!memchr(bytes, '\0', n));
        CHECK(name == line && !strchr(name, ' '));
        CHECK(args >= line && args <= line + n);
        check_args(args);
    }
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;

    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n && p[n - 1] == '\r')
            n--;
        check_line(p, n);
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}
