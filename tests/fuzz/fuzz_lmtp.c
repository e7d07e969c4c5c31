/* fuzz_lmtp.c -- libFuzzer target for the LMTP command-line parser
 * (deliver/lmtp_parse.c): the input is what an MTA sends, split into
 * lines at LF (a CR before it dropped, as prot_readline does); each line
 * is a NUL-terminated exact-size heap copy, cut at its first NUL as
 * lmtpd's C string is.
 *
 * Each line goes through lmtp_parse_command, then its argument through
 * lmtp_parse_path ("FROM:" and "TO:"), lmtp_unquote and
 * lmtp_parse_mail_params (three size limits).  Checked beyond "no crash,
 * no leak, no overread": the verb and argument lie inside the line; a
 * parsed path lies inside the argument, the parameters after it;
 * unquoting never lengthens and leaves a path without '"' as it is; a
 * SIZE= within one limit is within every larger one.
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "deliver/lmtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_path(const char *arg, const char *keyword)
{
    const char *rest = NULL;
    char *addr = NULL, *plain;
    size_t alen = strlen(arg);

    if (!lmtp_parse_path(arg, keyword, &addr, &rest)) {
        CHECK(!addr);
        return;
    }
    CHECK(strlen(addr) < alen);
    CHECK(rest > arg && rest <= arg + alen && *rest != ' ');
    plain = lmtp_unquote(addr);
    CHECK(strlen(plain) <= strlen(addr));
    if (!strchr(addr, '"'))
        CHECK(!strcmp(plain, addr));
    free(plain);
    free(addr);
}

static void check_params(const char *params)
{
    static const size_t limits[] = { 0, 10240, (size_t)-1 };
    enum lmtp_mail_param prev = LMTP_PARAM_OK;

    for (size_t i = 0; i < sizeof(limits) / sizeof(*limits); i++) {
        enum lmtp_mail_param r = lmtp_parse_mail_params(params, limits[i]);
        CHECK(r <= LMTP_PARAM_UNSUPPORTED);
        /* a larger limit never turns an accepted SIZE into a refusal */
        if (i > 0 && prev == LMTP_PARAM_OK)
            CHECK(r == LMTP_PARAM_OK);
        prev = r;
    }
}

static void check_line(const char *line)
{
    const char *arg;
    size_t verb, len = strlen(line);

    lmtp_parse_command(line, &verb, &arg);
    CHECK(verb <= len);
    CHECK(verb == len ? *arg == '\0'
                      : line[verb] == ' ' && arg == line + verb + 1);
    check_path(arg, "FROM:");
    check_path(arg, "TO:");
    check_params(arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;

    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line;
        if (n && p[n - 1] == '\r')
            n--;
        line = xstrndup(p, n);
        check_line(line);
        free(line);
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}
