/* ctl_mboxlist.c -- checkpoint mailboxes.db as text and load it back
 * (SPEC.md "Tools"): -d dumps a consistent snapshot (safe while servers
 * run), -u replaces records from a dump.  The work is mboxlist_dump() and
 * mboxlist_load(). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/util.h"
#include "imap/mailstore/mboxlist.h"

static void usage(void)
{
    fprintf(stderr, "usage: ctl_mboxlist [-C conf] [-U] -d|-u [-f file]\n");
    exit(EX_USAGE);
}

/* Dump to file durably: write "<file>.NEW", fsync, rename, so a cron job
 * never leaves a half-written checkpoint. */
static int dump_to(const char *file)
{
    struct buf tmp = BUF_INITIALIZER;
    FILE *out;
    int r;

    if (!file)
        return mboxlist_dump(stdout) || fflush(stdout) ? ERR_IO : ERR_OK;
    buf_printf(&tmp, "%s.NEW", file);
    out = fopen(buf_cstring(&tmp), "w");
    if (!out) {
        buf_free(&tmp);
        return ERR_IO;
    }
    r = mboxlist_dump(out);
    if (fflush(out) || util_fsync_fd(fileno(out)))
        r = r ? r : ERR_IO;
    if (fclose(out) && !r)
        r = ERR_IO;
    if (!r && rename(tmp.s, file) < 0)
        r = ERR_IO;
    if (r)
        unlink(tmp.s);
    else
        util_fsync_parent(file);
    buf_free(&tmp);
    return r;
}

static int load_from(const char *file)
{
    struct buf err = BUF_INITIALIZER;
    FILE *in = file ? fopen(file, "r") : stdin;
    int r;

    if (!in) {
        fprintf(stderr, "ctl_mboxlist: %s: cannot open\n", file);
        return ERR_IO;
    }
    r = mboxlist_load(in, 1, &err);
    if (r && err.len)
        fprintf(stderr, "ctl_mboxlist: %s: %s\n", file ? file : "stdin",
                buf_cstring(&err));
    else if (r)
        fprintf(stderr, "ctl_mboxlist: load failed: %s\n", error_string(r));
    if (in != stdin)
        fclose(in);
    buf_free(&err);
    return r;
}

int main(int argc, char **argv)
{
    const char *alt_config = NULL, *file = NULL;
    int opt, dump = 0, undump = 0, r, allow_root = 0;

    while ((opt = getopt(argc, argv, "C:Uduf:")) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        case 'U': allow_root = 1; break;
        case 'd': dump = 1; break;
        case 'u': undump = 1; break;
        case 'f': file = optarg; break;
        default: usage();
        }
    }
    if (dump == undump || optind != argc)
        usage();
    log_init("ctl_mboxlist");
    log_set_stderr(1);
    conf_init(alt_config);
    conf_refuse_root("ctl_mboxlist", allow_root);
    umask((mode_t)conf_getint(CONF_UMASK));
    if (dump) {
        r = dump_to(file);
        if (r)
            fprintf(stderr, "ctl_mboxlist: dump failed: %s\n",
                    error_string(r));
    } else {
        r = load_from(file);
    }
    mboxlist_close();
    conf_reset();
    return r ? EX_SOFTWARE : EX_OK;
}
