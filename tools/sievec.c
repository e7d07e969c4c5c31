/* sievec.c -- chapar-sievec: check Sieve scripts as delivery would.
 *
 *   chapar-sievec [-C conf] script...
 *
 * Each script is parsed and checked with the interpreter's own compiler
 * (imap/sieve/sieve.h) and limits (sieve_maxscriptsize from conf with -C,
 * else the built-in defaults).  Silent with exit 0 when every script is
 * good; else one line per bad script on stderr, "<file>: line N: what",
 * and exit 1 (2 for a script that cannot be read, 64 for a usage error).
 * Nothing is written: Chapar keeps no bytecode (sieve.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "imap/sieve/sieve.h"

static int check_one(const char *path, const struct sieve_limits *lim)
{
    struct sieve_script *s = NULL;
    struct buf err = BUF_INITIALIZER;
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    int r;

    if (stat(path, &st) || (S_ISREG(st.st_mode) &&
                            (size_t)st.st_size <= lim->max_script &&
                            util_read_file(path, &data, &len))) {
        fprintf(stderr, "chapar-sievec: %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "chapar-sievec: %s: not a regular file\n", path);
        return 2;
    }
    if ((size_t)st.st_size > lim->max_script) {
        fprintf(stderr, "%s: line 1: script larger than %zu bytes\n", path,
                lim->max_script);
        return 1;
    }
    r = sieve_compile(data ? data : "", len, lim, &s, &err);
    if (r)
        fprintf(stderr, "%s: %s\n", path, buf_cstring(&err));
    sieve_script_free(&s);
    buf_free(&err);
    free(data);
    return r ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct sieve_limits lim;
    const char *conf = NULL;
    int opt, ex = 0;

    while ((opt = getopt(argc, argv, "C:")) != -1) {
        if (opt != 'C') {
            fprintf(stderr, "usage: chapar-sievec [-C conf] script...\n");
            return EX_USAGE;
        }
        conf = optarg;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: chapar-sievec [-C conf] script...\n");
        return EX_USAGE;
    }
    if (conf)
        conf_init(conf);
    sieve_limits_default(&lim);
    for (int i = optind; i < argc; i++) {
        int r = check_one(argv[i], &lim);
        if (r > ex)
            ex = r;
    }
    return ex;
}
