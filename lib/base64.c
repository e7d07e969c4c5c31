/* base64.c -- strict RFC 4648 base64; see base64.h. */
#include "config.h"

#include "lib/base64.h"
#include "lib/error.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const void *data, size_t len, struct buf *out)
{
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        buf_putc(out, b64[p[i] >> 2]);
        buf_putc(out, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
        buf_putc(out, b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
        buf_putc(out, b64[p[i + 2] & 63]);
    }
    if (i < len) {
        buf_putc(out, b64[p[i] >> 2]);
        if (i + 1 < len) {
            buf_putc(out, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
            buf_putc(out, b64[(p[i + 1] & 15) << 2]);
        } else {
            buf_putc(out, b64[(p[i] & 3) << 4]);
            buf_putc(out, '=');
        }
        buf_putc(out, '=');
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base64_decode(const char *text, size_t len, struct buf *out)
{
    buf_reset(out);
    if (len % 4)
        return ERR_BADARG;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                pad++;
                v[k] = 0;
                continue;
            }
            if (pad || (v[k] = b64_value(c)) < 0)
                return ERR_BADARG;
        }
        buf_putc(out, (char)(v[0] << 2 | v[1] >> 4));
        if (pad < 2)
            buf_putc(out, (char)((v[1] & 15) << 4 | v[2] >> 2));
        if (pad < 1)
            buf_putc(out, (char)((v[2] & 3) << 6 | v[3]));
    }
    return ERR_OK;
}
