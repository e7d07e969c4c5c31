# imap/mailstore/mailstore.mk -- build fragment (see Makefile.am): the mail
# model, libmailstore.  Names, the mailboxes database, the mailbox files,
# the message parser and cache, rights and identities, quota, seen state,
# subscriptions, append, expunge, search, charset and reconstruct.  It
# includes only lib/ and itself: it never writes to a client.

noinst_LIBRARIES += imap/mailstore/libmailstore.a
imap_mailstore_libmailstore_a_SOURCES = \
	imap/mailstore/mboxname.c imap/mailstore/mboxname.h \
	imap/mailstore/acl.c imap/mailstore/acl.h \
	imap/mailstore/auth.c imap/mailstore/auth.h \
	imap/mailstore/charset.c imap/mailstore/charset.h \
	imap/mailstore/charset_casemap.c imap/mailstore/charset_iconv.c \
	imap/mailstore/sortkey.c imap/mailstore/sortkey.h \
	imap/mailstore/thread.c imap/mailstore/thread.h \
	imap/mailstore/message.c imap/mailstore/message.h \
	imap/mailstore/message_private.h \
	imap/mailstore/message_fields.c imap/mailstore/message_envelope.c \
	imap/mailstore/message_body.c imap/mailstore/message_cache.c \
	imap/mailstore/message_pack.c \
	imap/mailstore/mailbox.c imap/mailstore/mailbox.h \
	imap/mailstore/mailbox_private.h \
	imap/mailstore/mailbox_format.c imap/mailstore/mailbox_expunge.c \
	imap/mailstore/mailbox_tombstone.c imap/mailstore/mailbox_quota.c \
	imap/mailstore/quota.c imap/mailstore/quota.h \
	imap/mailstore/append.c imap/mailstore/append.h \
	imap/mailstore/mboxfmt.c imap/mailstore/mboxfmt.h \
	imap/mailstore/maildirfmt.c imap/mailstore/maildirfmt.h \
	imap/mailstore/seqset.c imap/mailstore/seqset.h \
	imap/mailstore/search.c imap/mailstore/search.h \
	imap/mailstore/search_memo.c imap/mailstore/search_private.h \
	imap/mailstore/seen.c imap/mailstore/seen.h \
	imap/mailstore/subs.c imap/mailstore/subs.h \
	imap/mailstore/mboxlist.c imap/mailstore/mboxlist.h \
	imap/mailstore/mboxlist_private.h \
	imap/mailstore/mboxlist_find.c imap/mailstore/mboxlist_rename.c \
	imap/mailstore/mboxlist_quota.c \
	imap/mailstore/mboxlist_dump.c \
	imap/mailstore/mboxlist_intent.c imap/mailstore/mboxlist_intent_steps.c \
	imap/mailstore/mboxlist_files.c imap/mailstore/mboxlist_delete.c \
	imap/mailstore/mboxlist_specialuse.c imap/mailstore/mboxlist_autocreate.c \
	imap/mailstore/mboxlist_annotate.c \
	imap/mailstore/reconstruct.c imap/mailstore/reconstruct.h \
	imap/mailstore/reconstruct_quota.c imap/mailstore/reconstruct_private.h
MAILSTORE_LDADD = imap/mailstore/libmailstore.a $(UNIT_LDADD) $(ICU_LIBS)

MAILSTORE_TESTS = tests/unit/test_mboxname tests/unit/test_acl \
	tests/unit/test_charset tests/unit/test_message \
	tests/unit/test_mailbox tests/unit/test_mailbox_format \
	tests/unit/test_mailbox_tombstone \
	tests/unit/test_quota tests/unit/test_append \
	tests/unit/test_mboxfmt \
	tests/unit/test_seqset tests/unit/test_seen tests/unit/test_subs \
	tests/unit/test_search \
	tests/unit/test_mboxlist tests/unit/test_mboxlist_specialuse \
	tests/unit/test_mboxlist_annotate
check_PROGRAMS += $(MAILSTORE_TESTS)
TESTS += $(MAILSTORE_TESTS)
tests_unit_test_mboxname_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_acl_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_charset_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_message_SOURCES = tests/unit/test_message.c \
	tests/unit/test_message_mime.c \
	tests/unit/message_check.c tests/unit/message_check.h
tests_unit_test_message_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mailbox_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mailbox_format_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mailbox_tombstone_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_quota_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_append_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mboxfmt_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_seqset_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_seen_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_subs_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_search_SOURCES = tests/unit/test_search.c \
	tests/unit/mail_corpus.c tests/unit/mail_corpus.h
tests_unit_test_search_LDADD = $(MAILSTORE_LDADD)
# SORT and THREAD: base subjects, sent dates, addresses, the comparator;
# the thread algorithms.
SORT_TESTS = tests/unit/test_sortkey tests/unit/test_thread
check_PROGRAMS += $(SORT_TESTS)
TESTS += $(SORT_TESTS)
tests_unit_test_sortkey_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_thread_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mboxlist_SOURCES = tests/unit/test_mboxlist.c \
	tests/unit/test_mboxlist_rename.c tests/unit/test_mboxlist_inbox.c \
	tests/unit/test_mboxlist_crash.c tests/unit/test_mboxlist_intent.c \
	tests/unit/crash_check.h \
	tests/unit/mboxlist_check.c tests/unit/mboxlist_check.h
tests_unit_test_mboxlist_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mboxlist_specialuse_SOURCES = \
	tests/unit/test_mboxlist_specialuse.c \
	tests/unit/mboxlist_check.c tests/unit/mboxlist_check.h
tests_unit_test_mboxlist_specialuse_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mboxlist_annotate_SOURCES = \
	tests/unit/test_mboxlist_annotate.c \
	tests/unit/mboxlist_check.c tests/unit/mboxlist_check.h
tests_unit_test_mboxlist_annotate_LDADD = $(MAILSTORE_LDADD)

# ICU loaded at its first use, for imapd (icu_dl.c; like lib/libopenssl_dl.a).
noinst_LIBRARIES += imap/mailstore/libicu_dl.a
imap_mailstore_libicu_dl_a_SOURCES = imap/mailstore/icu_dl.c
