/* imapd_private.h -- what imapd's own files share: the command table type,
 * the dispatcher and the handlers.  Not for other programs. */
#ifndef CHAPAR_IMAPD_PRIVATE_H
#define CHAPAR_IMAPD_PRIVATE_H

#include "imap/imapd/imapd.h"

struct imap_parser_command;

/* The capabilities every state shares; imapd_capabilities() adds the
 * pre-login ones (STARTTLS, LOGINDISABLED, AUTH=..., SASL-IR). */
#define IMAPD_CAPABILITIES                                                    \
    "IMAP4rev1 LITERAL+ ID ENABLE IDLE UNSELECT UIDPLUS MOVE CHILDREN "      \
    "NAMESPACE MULTIAPPEND ACL RIGHTS=kxte QUOTA QUOTA=RES-STORAGE "         \
    "QUOTA=RES-MESSAGE CONDSTORE ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH "   \
    "ESORT CONTEXT=SORT OBJECTID SAVEDATE PREVIEW "                          \
    "QRESYNC "                                                               \
    "BINARY CATENATE "                                                       \
    "SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES "             \
    "THREAD=REFS METADATA METADATA-SERVER"

/* Command flags: the states a command is valid in, and more. */
#define CMD_NOTAUTH  0x01   /* valid before login */
#define CMD_AUTH     0x02   /* valid after login */
#define CMD_SELECTED 0x04   /* valid with a mailbox selected */
#define CMD_ANY      (CMD_NOTAUTH | CMD_AUTH | CMD_SELECTED)
#define CMD_UID      0x08   /* may follow UID */
#define CMD_NOEXPUNGE 0x10  /* no EXPUNGE responses before its non-UID
                               form (RFC 3501 7.4.1: FETCH, STORE, SEARCH;
                               and COPY, MOVE: RFC 2180 4.4) */

struct imapd_cmd_entry {
    const char *name;
    imapd_handler *handler;
    unsigned flags;
};

struct imap_parser_limits;
/* The parser limits from imapd.conf, before or after login. */
void imapd_parser_limits(struct imap_parser_limits *l, int authenticated);
void imapd_dispatch(struct imapd_session *s, struct imap_parser_command *cmd);
/* Report the selected mailbox's changes; ERR_CONFLICT (after a BYE) when
 * the session must end. */
int imapd_check_updates(struct imapd_session *s, int allow_expunge);
void imapd_tls_started(struct imapd_session *s);
/* First line of configdirectory/msg/<name> (motd, shutdown) or NULL. */
char *imapd_msg_file(const char *name);
/* configdirectory/msg/shutdown exists: answer "* BYE [ALERT] <its first
 * line>", log it, set the state to IMAPD_LOGOUT and return 1 (0: go on).
 * Checked before each command (which is then not run) and at each poll
 * of IDLE, so the file ends sessions already open, as in Cyrus;
 * administrators are let on. */
int imapd_shutdown_pending(struct imapd_session *s);
/* Finish a login: identity, admin flag, INBOX autocreate, log line.
 * userid is canonical (auth.h); authid, when not NULL and different, is
 * the administrator or proxy server acting as userid (logged "as <userid>
 * by <authid>"; the session has userid's rights only). */
void imapd_login_complete(struct imapd_session *s, const char *userid,
                          const char *authid, const char *mech);
/* Resolve a client mailbox name to its internal form (INBOX etc.);
 * ERR_BADNAME when it cannot be a mailbox. */
int imapd_mailbox_name(struct imapd_session *s, const char *external,
                       struct buf *internal);

/* cmd_auth.c */
void cmd_capability(struct imapd_session *s, const struct imapd_command *c);
void cmd_noop(struct imapd_session *s, const struct imapd_command *c);
void cmd_logout(struct imapd_session *s, const struct imapd_command *c);
void cmd_id(struct imapd_session *s, const struct imapd_command *c);
void cmd_enable(struct imapd_session *s, const struct imapd_command *c);
void cmd_login(struct imapd_session *s, const struct imapd_command *c);
void cmd_authenticate(struct imapd_session *s, const struct imapd_command *c);
void cmd_starttls(struct imapd_session *s, const struct imapd_command *c);
void cmd_unauthenticate(struct imapd_session *s,
                        const struct imapd_command *c);
/* cmd_compress.c */
void cmd_compress(struct imapd_session *s, const struct imapd_command *c);
/* cmd_select.c */
void cmd_select(struct imapd_session *s, const struct imapd_command *c);
void cmd_close(struct imapd_session *s, const struct imapd_command *c);
void cmd_unselect(struct imapd_session *s, const struct imapd_command *c);
/* Close the selected mailbox, if any (no expunge): state AUTH. */
void imapd_unselect(struct imapd_session *s);
void cmd_check(struct imapd_session *s, const struct imapd_command *c);
void cmd_idle(struct imapd_session *s, const struct imapd_command *c);
/* cmd_message.c */
void cmd_fetch(struct imapd_session *s, const struct imapd_command *c);
void cmd_store(struct imapd_session *s, const struct imapd_command *c);
void cmd_search(struct imapd_session *s, const struct imapd_command *c);
void cmd_copy(struct imapd_session *s, const struct imapd_command *c);
void cmd_expunge(struct imapd_session *s, const struct imapd_command *c);
void cmd_cancelupdate(struct imapd_session *s,
                      const struct imapd_command *c);
/* The tagged answer of an index_* command: BAD with *error's reason for
 * ERR_BADARG, NO with *error (or the error's text) for another error,
 * else OK (with [code] when code is not empty). */
struct buf;
void imapd_index_result(struct imapd_session *s,
                        const struct imapd_command *c, int r,
                        struct buf *error, const char *code);
/* cmd_sort.c */
void cmd_sort(struct imapd_session *s, const struct imapd_command *c);
void cmd_thread(struct imapd_session *s, const struct imapd_command *c);

#endif
