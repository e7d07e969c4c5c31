# imap/mailbox.mk -- cyrus.header/index/cache (see Makefile.am)
imap_libmailstore_a_SOURCES += imap/mailbox.c imap/mailbox.h \
	imap/mailbox_format.c imap/mailbox_expunge.c imap/mailbox_private.h
check_PROGRAMS += tests/unit/test_mailbox
tests_unit_test_mailbox_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_mailbox
imap_libmailstore_a_SOURCES += imap/quota.c imap/quota.h
check_PROGRAMS += tests/unit/test_quota
tests_unit_test_quota_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_quota
imap_libmailstore_a_SOURCES += imap/append.c imap/append.h
check_PROGRAMS += tests/unit/test_append
tests_unit_test_append_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_append
