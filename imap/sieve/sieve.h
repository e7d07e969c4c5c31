/* sieve.h -- the Sieve interpreter run at delivery (RFC 5228).
 *
 *   sieve_compile(src, len, &limits, &script, &err)   parse and check once
 *   sieve_execute(script, msg, len, &env, &result, &err)   per message
 *   ... the caller performs result.actions ...
 *   sieve_result_fini(&result); sieve_script_free(&script);
 *
 * This module only decides: it never writes a mailbox, runs a program or
 * logs.  The caller (deliver/delivery_sieve.c) performs every action
 * through append.h (keep, fileinto) or the MTA (redirect) and answers a
 * reject; it is also the caller's job to file the message into the INBOX
 * and log a line when sieve_execute() fails (a runtime error never loses
 * mail).
 *
 * LANGUAGE.  RFC 5228 base: require, if/elsif/else, stop, keep, discard,
 * redirect; tests address (:all/:localpart/:domain), header, exists, size
 * (:over/:under), allof, anyof, not, true, false; comparators i;octet and
 * i;ascii-casemap (the default); match types :is (default), :contains,
 * :matches ('*' any run, '?' one UTF-8 character, '\' takes the next
 * character literally).  Extensions, each only after its require:
 * "fileinto", "envelope" (parts "from" and "to"), "mailbox" (fileinto
 * :create), "imap4flags" (setflag, addflag, removeflag, hasflag, :flags on
 * keep and fileinto), "copy" (:copy on fileinto and redirect), "reject"
 * and "ereject" (RFC 5429), "vacation" (RFC 5230) and "vacation-seconds"
 * (RFC 6131), and the comparator-i;octet / comparator-i;ascii-casemap
 * names.  Not yet: variables, body, regex, relational, subaddress,
 * include, encoded-character, date.
 *
 * BOUNDS (the parser is bounded like the IMAP parser): a script larger
 * than limits.max_script bytes, nesting (blocks and tests) deeper than
 * max_depth, a string longer than max_string bytes, or more than
 * max_commands commands and tests is refused with ERR_TOOBIG; any other
 * fault with ERR_BADFORMAT.  Either way err holds one line, "line N:
 * what" (N counted from 1), and *s_r is NULL.  Execution stops with a
 * runtime error (ERR_TOOBIG / ERR_BADARG, err "line N: what") after
 * max_actions actions or max_redirects redirects, and when reject is
 * combined with keep, fileinto or redirect (RFC 5429 2.3).
 */
#ifndef CHAPAR_SIEVE_H
#define CHAPAR_SIEVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/strarray.h"

struct sieve_limits {
    size_t max_script;          /* bytes of source */
    unsigned max_depth;         /* nested blocks and tests */
    size_t max_string;          /* bytes of one string */
    unsigned max_commands;      /* commands and tests of the script */
    unsigned max_actions;       /* actions of one run */
    unsigned max_redirects;     /* redirects of one run */
};

#define SIEVE_DEFAULT_MAX_SCRIPT    (32 * 1024)
#define SIEVE_DEFAULT_MAX_DEPTH     16
#define SIEVE_DEFAULT_MAX_STRING    (16 * 1024)
#define SIEVE_DEFAULT_MAX_COMMANDS  1000
#define SIEVE_DEFAULT_MAX_ACTIONS   32
#define SIEVE_DEFAULT_MAX_REDIRECTS 5

/* The defaults above; max_script from sieve_maxscriptsize (KiB) and
 * max_redirects from sieve_maxredirects when the configuration is
 * loaded. */
void sieve_limits_default(struct sieve_limits *l);

struct sieve_script;

int sieve_compile(const char *src, size_t len, const struct sieve_limits *l,
                  struct sieve_script **s_r, struct buf *err);
void sieve_script_free(struct sieve_script **sp);

/* The SMTP envelope: from "" for the null reverse path <>; to the
 * recipient address as the MTA gave it.  Either may be NULL (unknown:
 * an envelope test on it is false). */
struct sieve_envelope {
    const char *from;
    const char *to;
};

enum sieve_action_kind {
    SIEVE_ACT_KEEP,             /* the recipient's own target (INBOX) */
    SIEVE_ACT_FILEINTO,         /* target: the mailbox name as written */
    SIEVE_ACT_REDIRECT,         /* target: the address */
    SIEVE_ACT_REJECT,           /* target: the reason (ereject too) */
    SIEVE_ACT_VACATION          /* target: the reason; see below */
};

/* vacation's arguments (RFC 5230, RFC 6131 :seconds). */
struct sieve_vacation {
    int64_t seconds;            /* :days * 86400 or :seconds; -1: default */
    char *subject;              /* NULL: "Auto: <the original subject>" */
    char *from;                 /* NULL: the recipient's address */
    char *handle;               /* NULL: made of reason, subject and from */
    struct strarray addresses;  /* :addresses, the user's other addresses */
    int mime;                   /* the reason is a MIME entity */
};

struct sieve_action {
    enum sieve_action_kind kind;
    char *target;               /* NULL for keep */
    int create;                 /* fileinto :create */
    int implicit;               /* the implicit keep */
    int line;                   /* of the command; 0 for the implicit keep */
    struct strarray flags;      /* imap4flags: flags for keep/fileinto */
    struct sieve_vacation vacation;     /* SIEVE_ACT_VACATION */
};

/* The actions to perform, in script order, without repeats (the same
 * keep, fileinto or redirect twice is one).  No action at all means the
 * message was discarded. */
struct sieve_result {
    struct sieve_action *actions;
    size_t count, alloc;
};

/* ---- vacation (sieve_vacation.c) ----------------------------------------
 * Whether a vacation action answers this message (RFC 5230 4.5, 4.6 and
 * RFC 3834): NULL when it does, else why not, for the log: no envelope
 * sender (a bounce), a sender that is a list or daemon (MAILER-DAEMON,
 * LISTSERV, majordomo, owner-*, *-request), Auto-Submitted other than
 * "no", Precedence bulk/list/junk, a List-* field, a sender that is one of
 * own (the user's addresses: the recipient's, :addresses), or none of own
 * in To, Cc, Bcc, Resent-To, Resent-Cc, Resent-Bcc.  An own address
 * without '@' compares with local parts only. */
const char *sieve_vacation_refuse(const char *msg, size_t len,
                                  const struct sieve_envelope *env,
                                  const struct strarray *own);
/* The reply to msg (CRLF lines) into *out: From: from, To: to, Subject
 * (:subject, else "Auto: " and the original's), In-Reply-To and
 * References, Date (now), Message-ID (@host), Auto-Submitted:
 * auto-replied, MIME-Version and the reason as text/plain in UTF-8 (or,
 * with :mime, as the MIME entity it is).  Header values lose CR and LF;
 * non-ASCII in the subject is RFC 2047 encoded. */
void sieve_vacation_compose(const char *msg, size_t len,
                            const struct sieve_action *a, const char *from,
                            const char *to, const char *host, time_t now,
                            struct buf *out);
/* The tracking handle: :handle, else one made of the reason, subject
 * and from (so that a changed message is sent again). */
void sieve_vacation_handle(const struct sieve_action *a, struct buf *out);

int sieve_execute(const struct sieve_script *s, const char *msg, size_t len,
                  const struct sieve_envelope *env, struct sieve_result *res,
                  struct buf *err);
void sieve_result_fini(struct sieve_result *res);

/* ---- scripts on disk (sieve_script.c) ------------------------------------
 * Cyrus's timsieved layout: <sievedir>/<x>/<user>/ holds <name>.script
 * (the source) and the active script's link "defaultbc" -> "<name>.bc",
 * x being mboxname_hash_char(user).  Chapar keeps no bytecode: it reads
 * the link's target name only to find <name>.script and compiles that at
 * every delivery (the parse costs microseconds at the size limit, and no
 * bytecode format has to be versioned).  Absent link: no active script. */

/* The user's directory in *path.  ERR_BADNAME for an invalid userid. */
int sieve_user_dir(const char *sievedir, const char *userid,
                   struct buf *path);
/* The active script's source in *src and its name in *name (may be NULL).
 * ERR_NOTFOUND when the user has none; ERR_TOOBIG beyond max bytes;
 * ERR_IO (errno logged by the caller) otherwise. */
int sieve_active_source(const char *sievedir, const char *userid,
                        size_t max, struct buf *src, struct buf *name);

#endif
