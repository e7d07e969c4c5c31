# imap/server/server.mk -- build fragment (see Makefile.am): what every
# network server shares, libserver (the session-edge helpers of
# server_common.c, the proc files of procinfo.c, the password-guessing
# limits of login_limit.c, the libwrap glue), and the
# master daemon (service table in our format or Cyrus's sections,
# listeners, one child per connection or preforked workers, START, EVENTS
# and DAEMON tasks; server_worker.c is the workers' side).
# It builds on the mailstore and lib/; the protocol servers build on it.

noinst_LIBRARIES += imap/server/libserver.a
imap_server_libserver_a_SOURCES = \
	imap/server/server_common.c imap/server/server_common.h \
	imap/server/procinfo.c imap/server/procinfo.h \
	imap/server/login_limit.c imap/server/login_limit.h \
	imap/server/tcpwrap.c imap/server/tcpwrap.h \
	imap/server/server_worker.c imap/server/server_worker.h
SERVER_LDADD = imap/server/libserver.a imap/mailstore/libmailstore.a \
	lib/libchapar.a

server_PROGRAMS += imap/server/master
imap_server_master_SOURCES = imap/server/master.c imap/server/master.h \
	imap/server/master_table.c imap/server/master_command.c \
	imap/server/master_service.c imap/server/master_child.c \
	imap/server/master_prefork.c imap/server/master_events.c
imap_server_master_LDADD = $(SERVER_LDADD)
man_MANS += man/master.8 man/cyrus.conf.5
EXTRA_DIST += man/master.8 man/cyrus.conf.5

tests_unit_test_login_limit_SOURCES = tests/unit/test_login_limit.c
tests_unit_test_login_limit_LDADD = tests/unit/libharness.a $(SERVER_LDADD)
check_PROGRAMS += tests/unit/test_login_limit
TESTS += tests/unit/test_login_limit
