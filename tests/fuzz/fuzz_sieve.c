/* fuzz_sieve.c -- libFuzzer target for the Sieve compiler and interpreter
 * (imap/sieve/): the bytes up to the first NUL are a script, the rest (or
 * a fixed message when there is no NUL) the message it runs on.
 *
 * Checked beyond "no crash, no leak, no overread" (exact-size copies):
 *   - the compiler either gives a script or fails with ERR_BADFORMAT or
 *     ERR_TOOBIG and one line "line N: what", N within the script's
 *     lines (the bounds are small, so the fuzzer reaches them);
 *   - a run either gives at most max_actions actions (no two the same
 *     keep, fileinto or redirect, a reject alone but for a vacation) or
 *     fails with "line N: ..." and no action;
 *   - a vacation action's refusal and reply are made (the reply has no
 *     bare LF in its header).
 * Built by `make fuzz` (configure CC=clang --enable-fuzzers); run by
 * tools/fuzz and tests/proto/test_fuzz.py.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/sieve/sieve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const char fixed[] =
    "Return-Path: <sender@example.org>\r\n"
    "From: \"A\" <a@example.org>, b@example.net\r\n"
    "To: rcpt@example.net\r\nCc: g: c@d, e@f;\r\n"
    "Subject: =?UTF-8?Q?caf=C3=A9?= hello\r\n"
    "Message-ID: <1@example.org>\r\nX-Flag: yes\r\n\r\nbody\r\n";

/* "line N: ..." with 1 <= N <= maxline. */
static void check_error_line(const struct buf *err, long maxline)
{
    char *end;
    long n;

    CHECK(err->len > 6 && !memcmp(err->s, "line ", 5));
    n = strtol(err->s + 5, &end, 10);
    CHECK(n >= 1 && n <= maxline && *end == ':');
}

static void check_result(const struct sieve_result *res, unsigned max,
                         const char *msg, size_t len)
{
    size_t rejects = 0;

    CHECK(res->count <= max);
    for (size_t i = 0; i < res->count; i++) {
        const struct sieve_action *a = &res->actions[i];
        for (size_t k = 0; k < i; k++) {
            const struct sieve_action *b = &res->actions[k];
            if (b->kind != a->kind)
                continue;
            CHECK(a->kind == SIEVE_ACT_FILEINTO ||
                  a->kind == SIEVE_ACT_REDIRECT);
            CHECK(a->kind == SIEVE_ACT_FILEINTO
                      ? strcmp(a->target, b->target) != 0
                      : strcasecmp(a->target, b->target) != 0);
        }
        if (a->kind == SIEVE_ACT_REJECT)
            rejects++;
        if (a->kind == SIEVE_ACT_VACATION) {
            struct strarray own = STRARRAY_INITIALIZER;
            struct sieve_envelope env = { "sender@example.org",
                                          "rcpt@example.net" };
            struct buf out = BUF_INITIALIZER;
            const char *hdr_end;
            strarray_append(&own, "rcpt@example.net");
            (void)sieve_vacation_refuse(msg, len, &env, &own);
            sieve_vacation_compose(msg, len, a, "rcpt@example.net",
                                   "sender@example.org", "h", 0, &out);
            hdr_end = strstr(buf_cstring(&out), "\r\n\r\n");
            for (const char *p = out.s; p && hdr_end && p < hdr_end; p++)
                CHECK(*p != '\n' || (p > out.s && p[-1] == '\r'));
            sieve_vacation_handle(a, &out);
            buf_free(&out);
            strarray_fini(&own);
        }
    }
    CHECK(rejects <= 1);
    if (rejects)
        for (size_t i = 0; i < res->count; i++)
            CHECK(res->actions[i].kind == SIEVE_ACT_REJECT ||
                  res->actions[i].kind == SIEVE_ACT_VACATION);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, '\0', size);
    size_t slen = nul ? (size_t)(nul - (const char *)data) : size;
    char *script = xmalloc(slen ? slen : 1);
    char *msg;
    size_t mlen;
    struct sieve_limits l;
    struct sieve_script *s = NULL;
    struct sieve_result res;
    struct sieve_envelope env = { "sender@example.org", "rcpt@example.net" };
    struct buf err = BUF_INITIALIZER;
    long lines = 1;
    int r;

    memcpy(script, data, slen);
    if (nul) {
        mlen = size - slen - 1;
        msg = xmalloc(mlen ? mlen : 1);
        memcpy(msg, nul + 1, mlen);
    } else {
        mlen = sizeof(fixed) - 1;
        msg = xmalloc(mlen);
        memcpy(msg, fixed, mlen);
    }
    for (size_t i = 0; i < slen; i++)
        lines += script[i] == '\n';

    sieve_limits_default(&l);
    l.max_depth = 8;
    l.max_string = 512;
    l.max_commands = 200;
    l.max_actions = 8;
    l.max_redirects = 2;
    r = sieve_compile(script, slen, &l, &s, &err);
    if (r) {
        CHECK(r == ERR_BADFORMAT || r == ERR_TOOBIG);
        CHECK(s == NULL);
        check_error_line(&err, lines);
    } else {
        CHECK(s != NULL);
        r = sieve_execute(s, msg, mlen, &env, &res, &err);
        if (r) {
            CHECK(res.count == 0);
            check_error_line(&err, lines);
        } else {
            check_result(&res, l.max_actions, msg, mlen);
        }
        sieve_result_fini(&res);
        sieve_script_free(&s);
    }
    buf_free(&err);
    free(script);
    free(msg);
    return 0;
}
