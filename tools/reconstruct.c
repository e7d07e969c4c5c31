/* reconstruct.c -- the reconstruct tool: rebuild mailboxes' index and cache
 * from their message files, and mailboxes.db from the partitions.  A thin
 * front end: the repairs are imap/mailstore/reconstruct.c's. */
#include "config.h"

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
#include "imap/mailstore/reconstruct.h"

static void usage(void)
{
    fprintf(stderr, "usage: reconstruct [-C conf] [-U] [-r] [-f] [-m] "
            "[mailbox...]\n");
    exit(EX_USAGE);
}

static void print_line(const char *line, void *rock)
{
    (void)rock;
    printf("%s\n", line);
    fflush(stdout);
}

/* -m, and -f: enter the mailboxes found on the partitions that
 * mailboxes.db lacks; the ones entered are added to todo. */
static int discover(const char *under, struct strarray *todo)
{
    struct strarray names = STRARRAY_INITIALIZER, parts = STRARRAY_INITIALIZER;
    int r = reconstruct_scan(under, &names, &parts);

    if (!r)
        r = reconstruct_adopt(&names, &parts, print_line, NULL, todo);
    if (r)
        fprintf(stderr, "reconstruct: cannot update mailboxes.db: %s\n",
                error_string(r));
    strarray_fini(&names);
    strarray_fini(&parts);
    return r;
}

static int run(int argc, char **argv, int recurse, int find, int mboxes)
{
    struct strarray todo = STRARRAY_INITIALIZER;
    int r = ERR_OK, failed = 0;

    /* Mailbox changes a crash interrupted first: they are no damage. */
    if ((r = mboxlist_recover_intents()))
        fprintf(stderr, "reconstruct: unfinished mailbox changes: %s\n",
                error_string(r));
    if (mboxes && (r = discover(NULL, find ? &todo : NULL)))
        return 1;
    for (int i = 0; i < argc; i++) {
        size_t before = todo.count;
        if (find && (r = discover(argv[i], NULL)))
            return 1;
        r = reconstruct_list(argv[i], recurse || find, &todo);
        if (!r && todo.count == before) {
            fprintf(stderr, "reconstruct: %s: mailbox does not exist\n",
                    argv[i]);
            failed = 1;
        }
    }
    for (size_t i = 0; i < todo.count; i++) {
        if ((r = reconstruct_mailbox(todo.data[i], print_line, NULL))) {
            fprintf(stderr, "reconstruct: %s: %s\n", todo.data[i],
                    error_string(r));
            failed = 1;
        }
    }
    strarray_fini(&todo);
    return failed;
}

int main(int argc, char **argv)
{
    const char *alt_config = NULL;
    int opt, recurse = 0, find = 0, mboxes = 0, asroot = 0, ex;

    while ((opt = getopt(argc, argv, "C:Urfm")) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        case 'U': asroot = 1; break;
        case 'r': recurse = 1; break;
        case 'f': find = 1; break;
        case 'm': mboxes = 1; break;
        default: usage();
        }
    }
    if (optind == argc && !mboxes)
        usage();
    log_init("reconstruct");
    log_set_stderr(1);
    conf_init(alt_config);
    conf_refuse_root("reconstruct", asroot);
    umask((mode_t)conf_getint(CONF_UMASK));
    ex = run(argc - optind, argv + optind, recurse, find, mboxes);
    mboxlist_close();
    conf_reset();
    return ex ? EX_SOFTWARE : EX_OK;
}
