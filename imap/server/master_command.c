/* master_command.c -- from an entry's cmd= to the argv master executes,
 * with Cyrus's commands made Chapar's.
 *
 * Our flat format: the first word is the program (absolute, or looked up
 * in the program directories, master -D), the others its arguments; the
 * program must be executable.  "-C imapd.conf" is put right after the
 * program (when master has -C).
 *
 * In Cyrus's sections (START, SERVICES, EVENTS, DAEMON) the command is
 * first translated, by the table below (documented in cyrus.conf(5),
 * COMING FROM CYRUS):
 *   - Debian's wrapper "/usr/sbin/cyrus <prog> ..." and Cyrus's program
 *     directories ("/usr/lib/cyrus/bin/<prog>" and the like) mean our
 *     program of that name; "nice [-n N] <command>" keeps nice in front;
 *   - in SERVICES, imapd/pop3d/lmtpd: Cyrus's -U n (uses of a process)
 *     becomes maxuses (our -U means "may run as root" and is never passed
 *     on); -T n and the other options of Cyrus's that ours lack are
 *     dropped, each with a warning;
 *   - "ctl_cyrusdb -r" in START is left out (master recovers the database
 *     environment itself before anything runs);
 *   - "cyr_expire -E days" (Cyrus 2's "expire"), pruning the duplicate
 *     delivery database, is "deliver -E days" while Chapar has no
 *     cyr_expire; with any other option (-X, -D: expunged and deleted
 *     data) the entry is left out;
 *   - a program Chapar does not have leaves the entry out with a reason
 *     (out->skip), never an error; only imapd, pop3d, lmtpd and
 *     ctl_cyrusdb must be there, as in the flat format.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/server/master.h"

#define MAXUSES_MAX 1000000

enum {
    PROG_SERVER = 1,            /* a server: Cyrus's options translated */
    PROG_REQUIRED = 2,          /* missing: an error, not a skipped entry */
    PROG_CTL_CYRUSDB = 4,
    PROG_EXPIRE = 8             /* -E alone: deliver -E */
};

/* Cyrus's programs that Chapar runs under another name or not at all, or
 * whose command is translated.  Any other program is looked up under its
 * own name. */
static const struct cyrus_program {
    const char *cyrus;
    const char *ours;           /* NULL: Chapar has no such program */
    unsigned flags;
    const char *what;           /* what it is, for the skip warning */
} programs[] = {
    { "imapd", "imapd", PROG_SERVER | PROG_REQUIRED, NULL },
    { "pop3d", "pop3d", PROG_SERVER | PROG_REQUIRED, NULL },
    { "lmtpd", "lmtpd", PROG_SERVER | PROG_REQUIRED, NULL },
    { "ctl_cyrusdb", "ctl_cyrusdb", PROG_CTL_CYRUSDB | PROG_REQUIRED, NULL },
    { "cyr_expire", "cyr_expire", PROG_EXPIRE,
      "expiry of expunged and deleted data" },
    { "expire", "cyr_expire", PROG_EXPIRE,
      "expiry of expunged and deleted data" },
    { "timsieved", NULL, 0, "ManageSieve" },
    { "nntpd", NULL, 0, "Usenet news" },
    { "httpd", NULL, 0, "CalDAV, CardDAV and JMAP" },
    { "notifyd", NULL, 0, "the notification daemon" },
    { "tls_prune", NULL, 0, "there is no TLS session cache to prune" },
    { "idled", NULL, 0, "IDLE needs no idled" },
    { "squatter", NULL, 0, "full-text indexing" },
    { "mupdate", NULL, 0, "Murder" },
    { "proxyd", NULL, 0, "Murder" },
    { "pop3proxyd", NULL, 0, "Murder" },
    { "lmtpproxyd", NULL, 0, "Murder" },
    { "fud", NULL, 0, "the finger daemon" },
    { "smmapd", NULL, 0, "Sendmail socket maps" },
    { "sync_client", NULL, 0, "replication" },
    { "sync_server", NULL, 0, "replication" },
    { "backupd", NULL, 0, "Cyrus backups" },
    { "ptloader", NULL, 0, "the PTS loader" },
    { "calalarmd", NULL, 0, "calendar alarms" },
    { "arbitron", NULL, 0, "the readership report" },
};

/* Where Cyrus installs its programs ("/usr/sbin/cyrus" is Debian's
 * wrapper, its first argument the program). */
static const char *const cyrus_dirs[] = {
    "/usr/lib/cyrus/bin/", "/usr/lib/cyrus/", "/usr/libexec/cyrus-imapd/",
    "/usr/lib/cyrus-imapd/", "/usr/cyrus/bin/", "/usr/local/cyrus/bin/",
    "/usr/local/libexec/cyrus-imapd/",
};
#define CYRUS_WRAPPER "/usr/sbin/cyrus"

static const struct cyrus_program *cyrus_program(const char *name)
{
    for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
        if (!strcmp(programs[i].cyrus, name))
            return &programs[i];
    return NULL;
}

/* The program: absolute, or the first executable one of the progdirs
 * (the last candidate when none is). */
static char *find_program(const struct strarray *progdirs, const char *word)
{
    if (word[0] == '/')
        return xstrdup(word);
    for (size_t i = 0; i < progdirs->count; i++) {
        char *prog = strconcat(progdirs->data[i], "/", word, (char *)NULL);
        if (access(prog, X_OK) == 0 || i + 1 == progdirs->count)
            return prog;
        free(prog);
    }
    return xstrdup(word);
}

/* prog (taken) is the program: argv[0] of the command, then -C conf. */
static void put_program(struct master_cmd *out, char *prog,
                        const char *conf_path)
{
    const char *slash = strrchr(prog, '/');

    strarray_appendm(&out->argv, prog);
    out->program = slash ? slash + 1 : prog;
    if (conf_path) {
        strarray_append(&out->argv, "-C");
        strarray_append(&out->argv, conf_path);
    }
}

static int executable(const char *prog, struct buf *why)
{
    if (access(prog, X_OK) == 0)
        return 1;
    buf_printf(why, "program=<%s> is not executable: %s", prog,
               strerror(errno));
    return 0;
}

/* words[*i] names a program of Cyrus's: *i moves to the program's name
 * (past the wrapper) and its name without directory is returned; NULL
 * for any other absolute program. */
static const char *cyrus_name(const struct strarray *words, size_t *i)
{
    const char *w = words->data[*i];

    if (!strcmp(w, CYRUS_WRAPPER))
        return *i + 1 < words->count ? words->data[++*i] : NULL;
    if (w[0] != '/')
        return w;
    for (size_t d = 0; d < sizeof(cyrus_dirs) / sizeof(cyrus_dirs[0]); d++) {
        size_t n = strlen(cyrus_dirs[d]);
        if (!strncmp(w, cyrus_dirs[d], n) && w[n] && !strchr(w + n, '/'))
            return w + n;
    }
    return NULL;
}

/* "nice" and its options in front of a command: their count, or 0. */
static size_t nice_prefix(const struct strarray *words)
{
    const char *slash = strrchr(words->data[0], '/');
    size_t i = 1;

    if (words->data[0][0] != '/' || strcmp(slash + 1, "nice"))
        return 0;
    while (i < words->count && words->data[i][0] == '-') {
        if (!strcmp(words->data[i], "-n"))
            i++;
        i++;
    }
    return i;
}

/* Cyrus's options of a server: -U n becomes maxuses, -s and -C file stay,
 * the others are dropped with a warning.  Appends to out->argv. */
static int server_options(const struct strarray *words, size_t i,
                          struct master_cmd *out, struct buf *why)
{
    for (; i < words->count; i++) {
        const char *w = words->data[i], *arg = NULL;
        int takes = w[0] == '-' && w[1] && strchr("CUTp", w[1]) && !w[2];

        if (takes && i + 1 < words->count)
            arg = words->data[++i];
        else if (w[0] == '-' && w[1] && strchr("CUTp", w[1]) && w[2])
            arg = w + 2;
        if (w[0] != '-' || !strcmp(w, "-s")) {
            strarray_append(&out->argv, w);
        } else if (w[1] == 'C' && arg) {
            strarray_append(&out->argv, "-C");
            strarray_append(&out->argv, arg);
        } else if (w[1] == 'U') {
            long long n;
            if (!arg || util_parse_long(arg, 1, MAXUSES_MAX, &n)) {
                buf_printf(why, "-U <%s>: expected 1..%d (uses of a "
                           "process)", arg ? arg : "", MAXUSES_MAX);
                return ERR_BADARG;
            }
            out->maxuses = (int)n;
        } else if (w[1] == 'T') {
            strarray_appendm(&out->warnings, xasprintf(
                "-T %s ignored (Cyrus's time a preforked process waits "
                "for a connection)", arg ? arg : ""));
        } else {
            strarray_appendm(&out->warnings, xasprintf(
                "%s%s%s ignored (Chapar's %s has no such option)", w,
                arg && takes ? " " : "", arg && takes ? arg : "",
                out->program));
        }
    }
    return ERR_OK;
}

/* cyr_expire's job that deliver does: "-E days" (and -v) only, words
 * from i on.  0 when the command asks for more. */
static int expire_as_deliver(const struct strarray *words, size_t i,
                             const struct strarray *progdirs,
                             const char *conf_path, struct master_cmd *out)
{
    const char *days = NULL;
    char *deliver;

    for (i++; i < words->count; i++) {
        if (!strcmp(words->data[i], "-E") && i + 1 < words->count)
            days = words->data[++i];
        else if (strcmp(words->data[i], "-v"))
            return 0;
    }
    if (!days || !(deliver = find_program(progdirs, "deliver")))
        return 0;
    if (access(deliver, X_OK) < 0) {
        free(deliver);
        return 0;
    }
    put_program(out, deliver, conf_path);
    strarray_append(&out->argv, "-E");
    strarray_append(&out->argv, days);
    return 1;
}

/* Translate words (a command of a Cyrus section) from words[i] on. */
static int cyrus_command(const struct strarray *words, size_t i,
                         enum master_cmd_where where,
                         const struct strarray *progdirs,
                         const char *conf_path, struct master_cmd *out,
                         struct buf *why)
{
    const struct cyrus_program *cp;
    const char *name = cyrus_name(words, &i);
    char *prog;

    if (!name) {
        if (!strcmp(words->data[i], CYRUS_WRAPPER)) {
            buf_printf(why, "%s needs the name of a program", CYRUS_WRAPPER);
            return ERR_BADARG;
        }
        name = words->data[i];        /* an absolute program of its own */
    }
    cp = cyrus_program(name);
    if (cp && !cp->ours) {
        out->skip = xasprintf("Chapar has no %s (%s)", name, cp->what);
        return ERR_OK;
    }
    prog = find_program(progdirs, cp ? cp->ours : name);
    if (access(prog, X_OK) < 0 && cp && (cp->flags & PROG_EXPIRE) &&
        expire_as_deliver(words, i, progdirs, conf_path, out)) {
        free(prog);
        return ERR_OK;
    }
    if (access(prog, X_OK) < 0 && !(cp && (cp->flags & PROG_REQUIRED)) &&
        name[0] != '/') {
        out->skip = cp && cp->what
            ? xasprintf("Chapar has no %s (%s)", cp->ours, cp->what)
            : xasprintf("Chapar has no %s", name);
        free(prog);
        return ERR_OK;
    }
    if (!executable(prog, why)) {
        free(prog);
        return ERR_BADARG;
    }
    if (cp && (cp->flags & PROG_CTL_CYRUSDB) && where == MASTER_CMD_START &&
        strarray_find(words, "-r") > (long)i) {
        out->skip = xstrdup("master recovers the database environment "
                            "itself before anything runs");
        out->skip_quietly = 1;
        free(prog);
        return ERR_OK;
    }
    put_program(out, prog, conf_path);
    if (cp && (cp->flags & PROG_SERVER) && where == MASTER_CMD_SERVICES)
        return server_options(words, i + 1, out, why);
    for (i++; i < words->count; i++)
        strarray_append(&out->argv, words->data[i]);
    return ERR_OK;
}

int master_command(const char *cmd, enum master_cmd_where where,
                   const struct strarray *progdirs, const char *conf_path,
                   struct master_cmd *out, struct buf *why)
{
    struct strarray *words = strarray_split(cmd, " \t");
    size_t first = 0;
    int r = ERR_OK;

    buf_reset(why);
    if (!words->count) {
        buf_appendcstr(why, "cmd is empty");
        r = ERR_BADARG;
    } else if (where != MASTER_CMD_FLAT) {
        first = nice_prefix(words);
        for (size_t i = 0; i < first && i < words->count; i++)
            strarray_append(&out->argv, words->data[i]);
        if (first >= words->count) {
            buf_printf(why, "%s: nothing to run", words->data[0]);
            r = ERR_BADARG;
        } else {
            r = cyrus_command(words, first, where, progdirs, conf_path, out,
                              why);
        }
    } else {
        char *prog = find_program(progdirs, words->data[0]);
        if (!executable(prog, why))
            r = ERR_BADARG;
        put_program(out, prog, conf_path);
        for (size_t i = 1; i < words->count; i++)
            strarray_append(&out->argv, words->data[i]);
    }
    strarray_free(&words);
    return r;
}

void master_cmd_fini(struct master_cmd *c)
{
    strarray_fini(&c->argv);
    strarray_fini(&c->warnings);
    free(c->skip);
    memset(c, 0, sizeof(*c));
}
