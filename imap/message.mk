# imap/message.mk -- build fragment for the message parser (see Makefile.am)
imap_libmailstore_a_SOURCES += \
	imap/message.c imap/message.h imap/message_private.h \
	imap/message_fields.c imap/message_envelope.c \
	imap/message_body.c imap/message_cache.c \
	imap/message_pack.c
check_PROGRAMS += tests/unit/test_message
tests_unit_test_message_SOURCES = tests/unit/test_message.c \
	tests/unit/test_message_mime.c \
	tests/unit/message_check.c tests/unit/message_check.h
tests_unit_test_message_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_message
