# imap/local.mk -- build fragment (see Makefile.am)

# ---- libmailstore: the mail model (names, rights, identities, ...) --------
noinst_LIBRARIES += imap/libmailstore.a
imap_libmailstore_a_SOURCES = \
	imap/mboxname.c imap/mboxname.h \
	imap/acl.c imap/acl.h \
	imap/auth.c imap/auth.h
MAILSTORE_LDADD = imap/libmailstore.a $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_mboxname tests/unit/test_acl
tests_unit_test_mboxname_LDADD = $(MAILSTORE_LDADD)
tests_unit_test_acl_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_mboxname tests/unit/test_acl
