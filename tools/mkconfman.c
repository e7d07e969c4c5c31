/* mkconfman.c -- print man/imapd.conf.5, rendered from the option table.
 *
 * The page is generated so that it cannot drift from lib/conf_options.def;
 * tests/unit/test_conf fails when the committed copy is out of date.
 * Usage: tools/mkconfman > man/imapd.conf.5
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "lib/buf.h"
#include "lib/conf.h"

int main(int argc, char **argv)
{
    struct buf page = BUF_INITIALIZER;
    int ok;

    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: mkconfman > man/imapd.conf.5\n");
        return EX_USAGE;
    }
    conf_manpage(&page);
    ok = fwrite(page.s, 1, page.len, stdout) == page.len
         && fflush(stdout) == 0;
    buf_free(&page);
    if (!ok) {
        perror("mkconfman: write");
        return EX_IOERR;
    }
    return 0;
}
