# imap/mboxlist.mk -- the mailboxes database, per-user seen state and
# subscriptions, IMAP sequence sets (see Makefile.am)
imap_libmailstore_a_SOURCES += imap/seqset.c imap/seqset.h \
	imap/seen.c imap/seen.h \
	imap/subs.c imap/subs.h \
	imap/mboxlist.c imap/mboxlist.h imap/mboxlist_private.h \
	imap/mboxlist_find.c imap/mboxlist_rename.c imap/mboxlist_dump.c

check_PROGRAMS += tests/unit/test_seqset tests/unit/test_seen \
	tests/unit/test_subs tests/unit/test_mboxlist
tests_unit_test_seqset_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_seen_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_subs_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_mboxlist_SOURCES = tests/unit/test_mboxlist.c \
	tests/unit/test_mboxlist_rename.c \
	tests/unit/mboxlist_check.c tests/unit/mboxlist_check.h
tests_unit_test_mboxlist_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_seqset tests/unit/test_seen \
	tests/unit/test_subs tests/unit/test_mboxlist
