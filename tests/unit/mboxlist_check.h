/* mboxlist_check.h -- shared by the mailboxes-database unit tests
 * (test_mboxlist.c, test_mboxlist_rename.c, test_mboxlist_inbox.c,
 * test_mboxlist_crash.c): a private configuration with
 * two partitions, a few identities, and shortcuts that fail the case on
 * any unexpected error. */
#ifndef CHAPAR_TEST_MBOXLIST_CHECK_H
#define CHAPAR_TEST_MBOXLIST_CHECK_H

#include <stdint.h>

#include "imap/mailstore/mailbox.h"

#define OWNER_ACL(u) u "\tlrswipkxtea\t"

/* Made by setup(): "admin" is an administrator, the others are not. */
extern struct auth_state *admin, *bob, *alice, *carol;

/* Load a configuration (configdirectory conf/, partition-default spool/,
 * partition-other spool2/ in the case's directory) plus extra lines. */
void setup_with(const char *extra);
void setup(void);
/* 1 if the path relative to the case's directory exists. */
int exists_path(const char *rel);
/* A mailbox's stored ACL (static buffer), or "NOTFOUND". */
const char *acl_of(const char *name);
/* mboxlist_create() on the default partition, which must succeed. */
void make(const char *name, const struct auth_state *who);
/* Open a mailbox by name, exclusively locked. */
struct mailbox *open_mb(const char *name);
/* Append count messages as append would, charging the quota root named
 * in cyrus.header; returns their total size. */
int64_t add_messages(const char *name, int count);
/* Storage used by a quota root, or -1 when it has no file. */
int64_t quota_used(const char *root);

/* The rename cases, in test_mboxlist_rename.c. */
void test_rename_hierarchy(void);
void test_rename_rights(void);
void test_rename_partitions(void);
void test_rename_quota(void);
void test_rename_user(void);
/* test_mboxlist_crash.c: kills at every step and at random instants */
void test_crash_rename_one(void);
void test_crash_rename_tree(void);
void test_crash_rename_user(void);
void test_crash_rename_partition(void);
void test_crash_rename_rollback(void);
void test_crash_create_delete(void);
void test_crash_quota_append_expunge(void);
void test_crash_rename_quota(void);
void test_crash_setquota(void);
void test_crash_rename_inbox(void);
void test_race_rename_create_delete(void);
void test_intent_codec(void);
void test_intent_live_owner(void);
/* test_mboxlist_inbox.c */
void test_rename_inbox(void);
void test_setquota_reroot(void);

#endif
