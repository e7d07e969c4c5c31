/* quota.c -- the quota tool: report quota roots (limit and usage in KB)
 * and, with -f, recompute every mailbox's root and every root's usage
 * exactly from the indexes (reconstruct_quota_fix). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/reconstruct.h"

static void usage(void)
{
    fprintf(stderr, "usage: quota [-C conf] [-U] [-f] [prefix...]\n");
    exit(EX_USAGE);
}

static void print_line(const char *line, void *rock)
{
    (void)rock;
    printf("%s\n", line);
}

static int wanted(const char *root, const struct strarray *prefixes)
{
    if (!prefixes->count)
        return 1;
    for (size_t i = 0; i < prefixes->count; i++)
        if (!strncmp(root, prefixes->data[i], strlen(prefixes->data[i])))
            return 1;
    return 0;
}

/* The classic table: limit KB, percent used, usage KB, root. */
static int report(const struct strarray *prefixes)
{
    struct strarray roots = STRARRAY_INITIALIZER;
    int r = reconstruct_quota_roots(&roots), failed = 0;

    if (r) {
        fprintf(stderr, "quota: cannot list quota roots: %s\n",
                error_string(r));
        return 1;
    }
    printf("   Quota   %% Used    Used Root\n");
    for (size_t i = 0; i < roots.count; i++) {
        struct quota q;
        if (!wanted(roots.data[i], prefixes))
            continue;
        memset(&q, 0, sizeof(q));
        if ((r = mboxlist_quota_read(roots.data[i], &q))) {
            fprintf(stderr, "quota: %s: %s (run quota -f)\n", roots.data[i],
                    error_string(r));
            failed = 1;
            continue;
        }
        if (q.limit[QUOTA_STORAGE] >= 0)
            printf(" %7" PRId64 " %7d", q.limit[QUOTA_STORAGE],
                   quota_percent(&q, QUOTA_STORAGE));
        else
            printf("%16s", "");
        printf(" %7" PRId64 " %s\n", q.used[QUOTA_STORAGE] / 1024,
               roots.data[i]);
        quota_fini(&q);
    }
    strarray_fini(&roots);
    return failed;
}

int main(int argc, char **argv)
{
    struct strarray prefixes = STRARRAY_INITIALIZER;
    const char *alt_config = NULL;
    int opt, fix = 0, ex = 0, r, allow_root = 0;

    while ((opt = getopt(argc, argv, "C:Uf")) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        case 'U': allow_root = 1; break;
        case 'f': fix = 1; break;
        default: usage();
        }
    }
    for (int i = optind; i < argc; i++)
        strarray_append(&prefixes, argv[i]);
    log_init("quota");
    log_set_stderr(1);
    conf_init(alt_config);
    conf_refuse_root("quota", allow_root);
    umask((mode_t)conf_getint(CONF_UMASK));
    if (fix && (r = reconstruct_quota_fix(&prefixes, print_line, NULL))) {
        fprintf(stderr, "quota: -f incomplete: %s\n", error_string(r));
        ex = 1;
    }
    fflush(stdout);
    if (report(&prefixes))
        ex = 1;
    strarray_fini(&prefixes);
    mboxlist_close();
    conf_reset();
    return ex ? EX_SOFTWARE : EX_OK;
}
