# imap/pop3d/pop3d.mk -- build fragment (see Makefile.am): the POP3 server
# (RFC 1939, STLS, SASL, APOP) over the same mailstore.
# libpop3d: the pure command-line parsing (pop3d_parse.h), also for
# tests/fuzz/fuzz_pop3.
noinst_LIBRARIES += imap/pop3d/libpop3d.a
imap_pop3d_libpop3d_a_SOURCES = imap/pop3d/pop3d_parse.c \
	imap/pop3d/pop3d_parse.h
server_PROGRAMS += imap/pop3d/pop3d
imap_pop3d_pop3d_SOURCES = imap/pop3d/pop3d.c imap/pop3d/pop3d.h \
	imap/pop3d/pop3d_auth.c imap/pop3d/pop3d_commands.c \
	imap/pop3d/pop3d_maildrop.c imap/pop3d/pop3d_maildrop.h
imap_pop3d_pop3d_LDADD = imap/pop3d/libpop3d.a $(SERVER_LDADD) lib/libopenssl_dl.a
imap_pop3d_pop3d_LDFLAGS = $(OPENSSL_DL_LINKFLAGS)
man_MANS += man/pop3d.8
EXTRA_DIST += man/pop3d.8
