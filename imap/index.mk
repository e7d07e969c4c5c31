# imap/index.mk -- the selected-mailbox view (protocol layer): FETCH,
# STORE, SEARCH, COPY/MOVE, EXPUNGE.  The charset decoding SEARCH uses is
# pure text work of the mail model (DESIGN.md lists it there), so it goes
# into libmailstore where deliver (Sieve) can use it too.
imap_libmailstore_a_SOURCES += imap/charset.c imap/charset.h
imap_libimapproto_a_SOURCES += imap/index.c imap/index.h \
	imap/index_private.h imap/index_fetch.c imap/index_section.c \
	imap/index_store.c imap/index_search.c imap/index_memo.c \
	imap/index_copy.c

check_PROGRAMS += tests/unit/test_index tests/unit/test_index_search \
	tests/unit/test_charset
tests_unit_test_index_SOURCES = tests/unit/test_index.c \
	tests/unit/index_check.c tests/unit/index_check.h
tests_unit_test_index_LDADD = $(IMAPPROTO_LDADD)
tests_unit_test_index_search_SOURCES = tests/unit/test_index_search.c \
	tests/unit/index_check.c tests/unit/index_check.h
tests_unit_test_index_search_LDADD = $(IMAPPROTO_LDADD)
tests_unit_test_charset_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_index tests/unit/test_index_search \
	tests/unit/test_charset
