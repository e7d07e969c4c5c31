# deliver/deliver.mk -- the delivery agents (see Makefile.am): deliver (the
# MDA an MTA pipes each message into) and lmtpd (LMTP), over one shared
# delivery module and the duplicate-delivery database.
noinst_LIBRARIES += deliver/libdeliver.a
deliver_libdeliver_a_SOURCES = \
	deliver/delivery.c deliver/delivery.h \
	deliver/delivery_sieve.c deliver/delivery_private.h \
	deliver/duplicate.c deliver/duplicate.h \
	deliver/lmtp.c deliver/lmtp.h \
	deliver/lmtp_parse.c deliver/lmtp_parse.h
DELIVER_LDADD = deliver/libdeliver.a imap/sieve/libsieve.a imap/mailstore/libmailstore.a lib/libchapar.a

server_PROGRAMS += deliver/deliver deliver/lmtpd
deliver_deliver_SOURCES = deliver/deliver.c
deliver_deliver_LDADD = $(DELIVER_LDADD)
deliver_lmtpd_SOURCES = deliver/lmtpd.c
deliver_lmtpd_LDADD = deliver/libdeliver.a imap/sieve/libsieve.a $(SERVER_LDADD)

check_PROGRAMS += tests/unit/test_duplicate
tests_unit_test_duplicate_LDADD = deliver/libdeliver.a $(MAILSTORE_LDADD)
TESTS += tests/unit/test_duplicate

man_MANS += man/deliver.8 man/lmtpd.8
EXTRA_DIST += man/deliver.8 man/lmtpd.8 doc/mta.md tools/delivbench
