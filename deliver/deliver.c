/* deliver.c -- the mail delivery agent: one message on stdin into mailboxes.
 *
 *   deliver [-C conf] [-m mailbox] [-e] [-E days] [-q] [-F flag]...
 *           [-a authid] [-r addr | -f addr] [-l] [--] user...
 *
 * An MTA runs it once per message (a Postfix pipe transport, sendmail's
 * Mcyrus mailer, procmail) and learns the outcome from the exit status
 * alone (sysexits.h), so every failure is one line on stderr and one exit
 * code that says "delivered", "try later" or "give up".  This file only
 * reads the command line and the message and reports; resolving users,
 * rights, quota, duplicates and the writes are delivery.c's, shared with
 * lmtpd (deliver -l runs the same LMTP engine on stdin/stdout).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "deliver/delivery.h"
#include "deliver/duplicate.h"
#include "deliver/lmtp.h"

struct deliver_args {
    const char *alt_config;
    const char *mailbox;        /* -m; "" counts as absent */
    const char *authid;         /* -a */
    const char *return_path;    /* -r / -f */
    long long prune_days;       /* -E; -1: not asked */
    int dupelim, ignore_quota, lmtp;
    int allow_root;             /* -U */
    uint32_t flags;             /* -F system flags */
    struct strarray keywords;   /* -F user flags */
    char **users;
    int nusers;
};

static void usage(void)
{
    fprintf(stderr, "usage: deliver [-C conf] [-U] [-m mailbox] [-e] "
                    "[-E days] [-q] [-F flag]... [-a authid] [-r addr] [-l] "
                    "user...\n");
    exit(EX_USAGE);
}

/* -F: a system flag or a keyword (an IMAP atom). */
static void deliver_add_flag(struct deliver_args *a, const char *flag)
{
    static const struct { const char *name; uint32_t bit; } sys[] = {
        { "\\Seen", APPEND_SEEN }, { "\\Answered", FLAG_ANSWERED },
        { "\\Flagged", FLAG_FLAGGED }, { "\\Draft", FLAG_DRAFT },
        { "\\Deleted", FLAG_DELETED }
    };

    for (size_t i = 0; i < sizeof(sys) / sizeof(*sys); i++) {
        if (!strcasecmp(flag, sys[i].name)) {
            a->flags |= sys[i].bit;
            return;
        }
    }
    for (const unsigned char *p = (const unsigned char *)flag; *p; p++) {
        if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]", *p)) {
            fprintf(stderr, "deliver: invalid flag: %s\n", flag);
            exit(EX_USAGE);
        }
    }
    if (!*flag)
        usage();
    strarray_append(&a->keywords, flag);
}

static void deliver_parse_args(int argc, char **argv, struct deliver_args *a)
{
    int opt;

    memset(a, 0, sizeof(*a));
    a->prune_days = -1;
    while ((opt = getopt(argc, argv, "C:Um:eE:qF:a:r:f:l")) != -1) {
        switch (opt) {
        case 'C': a->alt_config = optarg; break;
        case 'U': a->allow_root = 1; break;
        case 'm': a->mailbox = *optarg ? optarg : NULL; break;
        case 'e': a->dupelim = 1; break;
        case 'E':
            if (util_parse_long(optarg, 0, 100000, &a->prune_days)) {
                fprintf(stderr, "deliver: -E needs a number of days\n");
                exit(EX_USAGE);
            }
            break;
        case 'q': a->ignore_quota = 1; break;
        case 'F': deliver_add_flag(a, optarg); break;
        case 'a': a->authid = optarg; break;
        case 'r':
        case 'f': a->return_path = optarg; break;
        case 'l': a->lmtp = 1; break;
        default: usage();
        }
    }
    a->users = argv + optind;
    a->nusers = argc - optind;
}

/* -E: drop duplicate records older than days. */
static int deliver_prune(long long days)
{
    struct duplicate *dup = NULL;
    unsigned long removed = 0, total = 0;
    int r = duplicate_open(conf_getstring(CONF_CONFIGDIRECTORY), &dup);

    if (!r)
        r = duplicate_prune(dup, time(NULL) - (time_t)days * 86400, &removed,
                            &total);
    duplicate_close(&dup);
    if (r) {
        fprintf(stderr, "deliver: cannot prune the duplicate database: %s\n",
                error_string(r));
        return EX_TEMPFAIL;
    }
    log_info("duplicate: expired %lu of %lu entries (older than %lld days)",
             removed, total, days);
    printf("deliver: expired %lu of %lu entries\n", removed, total);
    return EX_OK;
}

/* The whole of stdin into msg; ERR_TOOBIG (the rest read and dropped, so
 * the MTA's write does not fail) beyond max bytes. */
static int deliver_read(int fd, size_t max, struct buf *msg)
{
    char chunk[65536];
    int toobig = 0;

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ERR_IO;
        if (n == 0)
            break;
        if (toobig || msg->len + (size_t)n > max)
            toobig = 1;
        else
            buf_appendmap(msg, chunk, (size_t)n);
    }
    return toobig ? ERR_TOOBIG : ERR_OK;
}

/* Exit status and text for a failed recipient.  Everything but "no such
 * mailbox" is temporary: the MTA keeps the message and tries again. */
static int deliver_status(int r, const char **text_r)
{
    switch (r) {
    case ERR_NOTFOUND:
        *text_r = "Mailbox does not exist";
        return EX_NOUSER;
    case ERR_QUOTA:
        *text_r = "Over quota";
        return EX_TEMPFAIL;
    case ERR_LOCKED:
    case ERR_TIMEOUT:
    case ERR_CONFLICT:
    case ERR_AGAIN:
        *text_r = "Mailbox is locked, try again later";
        return EX_TEMPFAIL;
    default:
        *text_r = "Temporary failure, try again later";
        return EX_TEMPFAIL;
    }
}

/* With several recipients the worst outcome wins, and "try later" is the
 * worst: the MTA then retries every recipient, and duplicate suppression
 * keeps those already delivered from getting a second copy, whereas a
 * bounce would tell the sender that delivered copies were lost. */
static int deliver_worse(int a, int b)
{
    if (a == EX_TEMPFAIL || b == EX_TEMPFAIL)
        return EX_TEMPFAIL;
    return a ? a : b;
}

static int deliver_one(struct delivery_agent *agent, struct delivery *d,
                       const char *rcpt, const char *folder, int shared)
{
    struct delivery_target t;
    const char *text;
    int r, ex;

    r = shared ? delivery_resolve_mailbox(agent, folder, &t)
               : delivery_resolve(agent, rcpt, folder, &t);
    if (!r)
        r = delivery_to(d, &t, NULL);
    delivery_target_fini(&t);
    if (!r)
        return EX_OK;
    if (r == ERR_PERM && delivery_rejected(d)) {
        /* The recipient's Sieve script rejected it: a permanent failure
         * the MTA bounces with this text. */
        fprintf(stderr, "deliver: %s: %s\n", rcpt, delivery_rejected(d));
        return EX_NOPERM;
    }
    ex = deliver_status(r, &text);
    fprintf(stderr, "deliver: %s: %s\n", rcpt, text);
    return ex;
}

/* Read the message and hand it to every recipient. */
static int deliver_message(const struct deliver_args *a,
                           struct delivery_agent *agent)
{
    struct buf msg = BUF_INITIALIZER, prefix = BUF_INITIALIZER;
    struct delivery *d = NULL;
    const char *why = NULL;
    int r, ex = EX_OK;

    r = deliver_read(0, delivery_max_size(), &msg);
    if (r == ERR_IO) {
        fprintf(stderr, "deliver: cannot read the message: %s\n",
                strerror(errno));
        ex = EX_TEMPFAIL;
        goto done;
    }
    if (a->return_path)
        delivery_return_path(a->return_path, &prefix);
    if (r == ERR_TOOBIG)
        why = "Message too big";
    else
        r = delivery_begin(agent, prefix.s, prefix.len, msg.s, msg.len, &d,
                           &why);
    if (r) {
        fprintf(stderr, "deliver: %s\n", why);
        log_info("deliver: message refused: %s", why);
        ex = EX_DATAERR;
        goto done;
    }
    delivery_set_sender(d, a->return_path);
    if (!a->nusers)
        ex = deliver_one(agent, d, a->mailbox, a->mailbox, 1);
    for (int i = 0; i < a->nusers; i++)
        ex = deliver_worse(ex, deliver_one(agent, d, a->users[i], a->mailbox,
                                           0));
done:
    delivery_end(&d);
    buf_free(&msg);
    buf_free(&prefix);
    return ex;
}

/* -l: LMTP on stdin/stdout, the same engine as lmtpd. */
static int deliver_lmtp(struct delivery_agent *agent)
{
    struct lmtp_options opts = { conf_getstring(CONF_SERVERNAME), "[local]",
                                 0 };
    struct prot *p = prot_new(0, 1);
    int r = lmtp_serve(p, agent, &opts);
    prot_free(&p);
    return r ? EX_TEMPFAIL : EX_OK;
}

int main(int argc, char **argv)
{
    struct deliver_args a;
    struct delivery_params params;
    struct delivery_agent *agent;
    struct auth_state *auth;
    struct buf authid = BUF_INITIALIZER;
    int ex;

    deliver_parse_args(argc, argv, &a);
    if (a.prune_days < 0 && !a.lmtp && !a.nusers && !a.mailbox)
        usage();
    log_init("deliver");
    conf_init(a.alt_config);
    conf_refuse_root("deliver", a.allow_root);
    umask((mode_t)conf_getint(CONF_UMASK));
    signal(SIGPIPE, SIG_IGN);
    if (a.prune_days >= 0) {
        ex = deliver_prune(a.prune_days);
        goto done;
    }

    /* Without -a the sender is anonymous: it may post wherever "anyone"
     * or "anonymous" has p, and to every INBOX.  With -a, the identity's
     * canonical name (auth.h), as a login would have it. */
    if (a.authid && auth_canonify_userid(a.authid, strlen(a.authid),
                                         &authid)) {
        fprintf(stderr, "deliver: -a %s: invalid user name\n", a.authid);
        log_error("deliver: invalid -a identity: authid=<%s>", a.authid);
        ex = EX_USAGE;
        goto done;
    }
    auth = auth_new(a.authid ? buf_cstring(&authid) : NULL, 0);
    memset(&params, 0, sizeof(params));
    params.auth = auth;
    params.ignore_quota = a.ignore_quota;
    params.dupelim = a.dupelim || conf_getswitch(CONF_DUPLICATESUPPRESSION);
    params.flags = a.flags;
    params.keywords = &a.keywords;
    agent = delivery_agent_new(&params);
    ex = a.lmtp ? deliver_lmtp(agent) : deliver_message(&a, agent);
    delivery_agent_free(&agent);
    auth_free(&auth);
done:
    mboxlist_close();
    buf_free(&authid);
    strarray_fini(&a.keywords);
    conf_reset();
    return ex;
}
