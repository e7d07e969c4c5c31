# imap/pop3d.mk -- the POP3 server program (see Makefile.am), and the
# session-edge helpers it shares with imapd (imap/server_common.c, in
# libimapproto so that both servers link it).
imap_libimapproto_a_SOURCES += imap/server_common.c imap/server_common.h

server_PROGRAMS += imap/pop3d
imap_pop3d_SOURCES = imap/pop3d.c imap/pop3d.h \
	imap/pop3d_auth.c imap/pop3d_commands.c \
	imap/pop3d_maildrop.c imap/pop3d_maildrop.h
imap_pop3d_LDADD = imap/libimapproto.a imap/libmailstore.a lib/libchapar.a \
	lib/libopenssl_dl.a
imap_pop3d_LDFLAGS = $(OPENSSL_DL_LINKFLAGS)
man_MANS += man/pop3d.8
EXTRA_DIST += man/pop3d.8
