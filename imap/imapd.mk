# imap/imapd.mk -- the IMAP server program (see Makefile.am)
server_PROGRAMS += imap/imapd
imap_imapd_SOURCES = imap/imapd.c imap/imapd.h imap/imapd_private.h \
	imap/imapd_commands.c imap/imapd_commands_mailbox.c \
	imap/cmd_auth.c imap/cmd_select.c imap/cmd_message.c \
	imap/cmd_mailbox.c imap/cmd_mailbox.h imap/cmd_list.c imap/cmd_status.c \
	imap/cmd_append.c imap/cmd_acl.c imap/cmd_quota.c
imap_imapd_LDADD = imap/libimapproto.a imap/libmailstore.a lib/libchapar.a \
	lib/libopenssl_dl.a
imap_imapd_LDFLAGS = $(OPENSSL_DL_LINKFLAGS)
man_MANS += man/imapd.8
EXTRA_DIST += man/imapd.8
