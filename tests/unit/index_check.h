/* index_check.h -- fixtures for the index tests: a configuration and a
 * mailbox of realistic messages in the case's temp dir, views opened on
 * it, and a way to run FETCH / STORE / SEARCH / COPY / MOVE / EXPUNGE
 * command lines through the real IMAP parser into index.h, capturing the
 * exact bytes written to the client.
 */
#ifndef CHAPAR_TESTS_INDEX_CHECK_H
#define CHAPAR_TESTS_INDEX_CHECK_H

#include <stdint.h>
#include <time.h>

#include "imap/mailstore/append.h"
#include "imap/imapd/index.h"
#include "imap/mailstore/mailbox.h"

/* ix_setup() appends the messages of mail_corpus.h as UIDs 1..4 (1 with
 * \Flagged), on ix_dates. */
#include "tests/unit/mail_corpus.h"

/* Config, TZ=UTC, mailbox user.bob (UIDVALIDITY 42) with the four
 * messages.  Returns the spool directory of name. */
void ix_setup(void);
const char *ix_dir(const char *name);
/* Create another (empty) mailbox. */
void ix_create(const char *name);
/* Append one more message to name (flags FLAG_* / APPEND_SEEN). */
uint32_t ix_append(const char *name, const char *msg, time_t when,
                   uint32_t flags);

/* A view of name for user (NULL: anonymous) with rights (acl.h bits). */
struct index_state *ix_open(const char *name, const char *user,
                            unsigned rights, int examine);

/* Run one command line without tag, e.g. "UID FETCH 1:* (FLAGS)",
 * "STORE 1 +FLAGS (\\Seen)", "SEARCH OR SEEN DRAFT", "COPY 1:2 user.x",
 * "MOVE 1 user.x", "EXPUNGE", "UID EXPUNGE 3", "CHECK" (check_updates
 * with expunge allowed), "POLL" (without).  Returns the index's code. */
int ix_run(struct index_state *st, const char *line);
/* What the last run wrote (and what it wrote since the previous call). */
const char *ix_out(void);
/* Its *error / *code text, and COPY's srcuids and result. */
const char *ix_error(void);
const char *ix_code(void);
const char *ix_srcuids(void);
const struct append_result *ix_copy_result(void);

#endif
