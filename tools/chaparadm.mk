# tools/chaparadm.mk -- the admin client (cyradm work-alike), see Makefile.am
bin_PROGRAMS += tools/chaparadm
tools_chaparadm_SOURCES = tools/chaparadm.c tools/chaparadm_private.h \
	tools/chaparadm_imap.c tools/chaparadm_imap.h \
	tools/chaparadm_conn.c tools/chaparadm_cmds.c
tools_chaparadm_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a $(READLINE_LIBS)
man_MANS += man/chaparadm.1
EXTRA_DIST += man/chaparadm.1
