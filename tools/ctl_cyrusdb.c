/* ctl_cyrusdb.c -- the Berkeley DB environment's administration, as
 * Cyrus's tool of the same name: -r runs recovery, -c a checkpoint.
 * master does both by itself (lib/db.h, CRASHES); this is for the
 * administrator, for cron without master, and for scripts. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/log.h"

static void usage(void)
{
    fprintf(stderr, "usage: ctl_cyrusdb [-C conf] [-U] -r|-c\n");
    exit(EX_USAGE);
}

static int checkpoint(const char *dir)
{
    struct db_env *env = NULL;
    int r = db_env_open(dir, &env);

    if (!r)
        r = db_env_checkpoint(env);
    if (env && db_env_close(&env) && !r)
        r = ERR_IO;
    return r;
}

int main(int argc, char **argv)
{
    const char *alt_config = NULL;
    struct buf dir = BUF_INITIALIZER;
    int opt, recover = 0, ckpt = 0, r, allow_root = 0;

    while ((opt = getopt(argc, argv, "C:Urc")) != -1) {
        switch (opt) {
        case 'C': alt_config = optarg; break;
        case 'U': allow_root = 1; break;
        case 'r': recover = 1; break;
        case 'c': ckpt = 1; break;
        default: usage();
        }
    }
    if (recover == ckpt || optind != argc)
        usage();
    log_init("ctl_cyrusdb");
    log_set_stderr(1);
    conf_init(alt_config);
    conf_refuse_root("ctl_cyrusdb", allow_root);
    umask((mode_t)conf_getint(CONF_UMASK));
    buf_printf(&dir, "%s/db", conf_getstring(CONF_CONFIGDIRECTORY));
    r = recover ? db_env_recover(buf_cstring(&dir)) : checkpoint(dir.s);
    if (r)
        fprintf(stderr, "ctl_cyrusdb: %s failed: dir=%s: %s\n",
                recover ? "recovery" : "checkpoint", dir.s, error_string(r));
    buf_free(&dir);
    conf_reset();
    return r ? EX_SOFTWARE : EX_OK;
}
