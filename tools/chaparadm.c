/* chaparadm.c -- the Chapar admin client, a cyradm work-alike: options,
 * password, then a command loop, interactive (with a "<host>> " prompt) or
 * batch (-f file, or a stdin that is not a terminal).  The protocol is in
 * chaparadm_imap.c / chaparadm_conn.c, the commands in chaparadm_cmds.c. */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#ifdef HAVE_LIBREADLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#include "lib/conf.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "tools/chaparadm_private.h"

#define EX_USAGE_ 64
#define EX_CONNECT 2
#define MAX_WORDS 16

static void usage(FILE *f)
{
    fprintf(f,
"usage: chaparadm [-C conf] [-u user] [-w password | -W passfile] [-p port]\n"
"                 [-s] [--notls] [--cafile file] [-m mech] [-f file] [server]\n");
}

/* Split line into words (whitespace; "double quotes" with \\ escapes). */
static int split_words(const char *s, struct strarray *words)
{
    struct buf w = BUF_INITIALIZER;

    strarray_fini(words);
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        buf_reset(&w);
        if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1])
                    s++;
                buf_putc(&w, *s);
            }
            if (*s != '"') {
                buf_free(&w);
                return -1;
            }
            s++;
        } else {
            while (*s && !isspace((unsigned char)*s))
                buf_putc(&w, *s++);
        }
        strarray_append(words, buf_cstring(&w));
    }
    buf_free(&w);
    return 0;
}

/* Read a password from the terminal without echo. */
static char *ask_password(const char *user, const char *host)
{
    struct termios old, noecho;
    char *line = NULL;
    size_t n = 0;
    ssize_t len;
    FILE *tty = fopen("/dev/tty", "r+");
    int restore;

    if (!tty)
        return NULL;
    fprintf(tty, "%s@%s's password: ", user, host);
    fflush(tty);
    restore = tcgetattr(fileno(tty), &old) == 0;
    if (restore) {
        noecho = old;
        noecho.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
    }
    len = getline(&line, &n, tty);
    if (restore)
        tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    if (len < 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

/* The first line of a password file. */
static char *read_passfile(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t n = 0;

    if (!f)
        return NULL;
    if (getline(&line, &n, f) < 0) {
        free(line);
        line = xstrdup("");
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

/* One command line: with GNU readline when interactive and available
 * (line editing and history), else a plain read.  NULL at the end. */
static char *read_command(FILE *in, int interactive, const char *prompt,
                          char **line, size_t *n)
{
#ifdef HAVE_LIBREADLINE
    if (interactive) {
        char *l = readline(prompt);
        free(*line);
        *line = l;
        *n = l ? strlen(l) + 1 : 0;
        if (l && *l)
            add_history(l);
        return l;
    }
#endif
    if (interactive) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
    return getline(line, n, in) < 0 ? NULL : *line;
}

/* Read commands from in until the end or quit.  Returns the exit code. */
static int command_loop(struct imapc *c, FILE *in, int interactive,
                        const char *host)
{
    struct strarray words = STRARRAY_INITIALIZER;
    char *line = NULL, *prompt = xasprintf("%s> ", host);
    size_t n = 0;
    int failed = 0, lost = 0, r;

    for (;;) {
        if (!read_command(in, interactive, prompt, &line, &n))
            break;
        if (split_words(line, &words)) {
            fprintf(stderr, "unbalanced quotes: %s", line);
            failed = 1;
            continue;
        }
        if (!words.count || words.data[0][0] == '#')
            continue;
        if (words.count > MAX_WORDS) {
            fprintf(stderr, "%s: too many arguments\n", words.data[0]);
            failed = 1;
            continue;
        }
        r = adm_execute(c, (int)words.count, words.data, stdout, stderr);
        if (r == -1)
            break;
        if (r == -2) {
            lost = 1;
            break;
        }
        if (r > 0)
            failed = 1;
    }
    if (interactive && feof(in))
        putchar('\n');
    free(prompt);
    free(line);
    strarray_fini(&words);
    if (lost)
        return EX_CONNECT;
    return failed && !interactive ? 1 : 0;
}

struct args {
    struct imapc_opts o;
    const char *conf, *passfile, *file;
};

enum { OPT_NOTLS = 256, OPT_CAFILE };

static void parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        { "notls", no_argument, NULL, OPT_NOTLS },
        { "cafile", required_argument, NULL, OPT_CAFILE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "C:u:w:W:p:sm:f:h", longopts,
                             NULL)) != -1) {
        switch (ch) {
        case 'C': a->conf = optarg; break;
        case 'u': a->o.user = optarg; break;
        case 'w': a->o.password = optarg; break;
        case 'W': a->passfile = optarg; break;
        case 'p': a->o.port = optarg; break;
        case 's': a->o.implicit_tls = 1; break;
        case 'm': a->o.mech = optarg; break;
        case 'f': a->file = optarg; break;
        case OPT_NOTLS: a->o.notls = 1; break;
        case OPT_CAFILE: a->o.cafile = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(EX_USAGE_);
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        exit(EX_USAGE_);
    }
    a->o.host = optind < argc ? argv[optind] : "localhost";
    a->o.sasl_host = a->o.host;
}

/* -C: take the TLS versions (tls_versions) from the server's configuration. */
static void load_conf(struct args *a)
{
    struct buf err = BUF_INITIALIZER;

    if (conf_load(a->conf, &err)) {
        fprintf(stderr, "chaparadm: %s\n", buf_cstring(&err));
        exit(78);
    }
    a->o.tls_versions = conf_getstring(CONF_TLS_VERSIONS);
    buf_free(&err);
}

/* The user (default: the login name) and the password. */
static char *credentials(struct args *a)
{
    struct passwd *pw;
    char *secret = NULL;

    if (!a->o.user) {
        a->o.user = getenv("USER");
        if (!a->o.user && (pw = getpwuid(getuid())))
            a->o.user = pw->pw_name;
        if (!a->o.user) {
            fprintf(stderr, "chaparadm: no user name (use -u)\n");
            exit(EX_USAGE_);
        }
    }
    if (a->o.password)
        return NULL;
    if (a->passfile) {
        if (!(secret = read_passfile(a->passfile))) {
            fprintf(stderr, "chaparadm: cannot read %s\n", a->passfile);
            exit(EX_USAGE_);
        }
    } else if (!(secret = ask_password(a->o.user, a->o.host))) {
        fprintf(stderr, "chaparadm: no password (use -w or -W)\n");
        exit(EX_USAGE_);
    }
    a->o.password = secret;
    return secret;
}

int main(int argc, char **argv)
{
    struct args a;
    struct imapc c;
    struct buf err = BUF_INITIALIZER;
    FILE *in = stdin;
    char *secret;
    int rc;

    memset(&a, 0, sizeof(a));
    parse_args(argc, argv, &a);
    if (a.conf)
        load_conf(&a);
    if (a.file && !(in = fopen(a.file, "r"))) {
        perror(a.file);
        return EX_USAGE_;
    }
    secret = credentials(&a);
    rc = imapc_connect(&c, &a.o, &err);
    if (secret) {
        explicit_bzero(secret, strlen(secret));
        free(secret);
    }
    if (rc) {
        fprintf(stderr, "chaparadm: %s: %s\n", a.o.host, buf_cstring(&err));
        buf_free(&err);
        return EX_CONNECT;
    }
    rc = command_loop(&c, in, !a.file && isatty(0), a.o.host);
    imapc_close(&c);
    if (in != stdin)
        fclose(in);
    buf_free(&err);
    return rc;
}
