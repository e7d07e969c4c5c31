# imap/sieve/sieve.mk -- build fragment (see Makefile.am): the Sieve
# interpreter, libsieve: the bounded parser and its check (the compiled
# form), the matcher, the interpreter and the scripts' layout on disk.  It
# includes lib/ and imap/mailstore/ only; deliver/ runs it, tools/ has
# chapar-sievec.
noinst_LIBRARIES += imap/sieve/libsieve.a
imap_sieve_libsieve_a_SOURCES = \
	imap/sieve/sieve.h imap/sieve/sieve_private.h \
	imap/sieve/sieve_parse.c \
	imap/sieve/sieve_check.c imap/sieve/sieve_check.h \
	imap/sieve/sieve_match.c imap/sieve/sieve_interp.c \
	imap/sieve/sieve_script.c imap/sieve/sieve_vacation.c
SIEVE_LDADD = imap/sieve/libsieve.a $(MAILSTORE_LDADD)

SIEVE_TESTS = tests/unit/test_sieve_parse tests/unit/test_sieve_interp
check_PROGRAMS += $(SIEVE_TESTS)
TESTS += $(SIEVE_TESTS)
tests_unit_test_sieve_parse_LDADD = $(SIEVE_LDADD)
tests_unit_test_sieve_interp_LDADD = $(SIEVE_LDADD)
