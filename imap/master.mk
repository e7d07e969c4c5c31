# imap/master.mk -- the master daemon (service table, listeners, libwrap,
# one child per connection) and the bookkeeping every server process shares
# (configdirectory/proc/<pid>, configdirectory/log/<user>/<pid>).
server_PROGRAMS += imap/master
imap_master_SOURCES = imap/master.c imap/master.h \
	imap/master_service.c imap/master_child.c \
	imap/tcpwrap.c imap/tcpwrap.h
imap_master_LDADD = imap/libimapproto.a lib/libchapar.a
man_MANS += man/master.8 man/cyrus.conf.5
EXTRA_DIST += man/master.8 man/cyrus.conf.5

# procinfo is part of the protocol layer (imapd and pop3d call it;
# master removes the files of children it reaped).
imap_libimapproto_a_SOURCES += imap/procinfo.c imap/procinfo.h
