# tools/tools.mk -- build fragment (see Makefile.am): the administration
# tools and benchmarks.
EXTRA_DIST += tools/quickstart tools/install-deps tools/debian-packages tools/mkinstance
EXTRA_DIST += tools/crashtest
noinst_PROGRAMS += tools/mbbench
tools_mbbench_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a

# Regenerate the man page of imapd.conf from lib/conf_options.def with:
# tools/mkconfman > man/imapd.conf.5
noinst_PROGRAMS += tools/mkconfman
tools_mkconfman_SOURCES = tools/mkconfman.c
tools_mkconfman_LDADD = lib/libchapar.a
man_MANS += man/imapd.conf.5
EXTRA_DIST += man/imapd.conf.5

# reconstruct, quota, ctl_mboxlist: thin programs over the mailstore's
# repair module (imap/mailstore/reconstruct.c).
ADMIN_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a
server_PROGRAMS += tools/reconstruct tools/quota tools/ctl_mboxlist \
	tools/ctl_cyrusdb
tools_reconstruct_SOURCES = tools/reconstruct.c
tools_reconstruct_LDADD = $(ADMIN_LDADD)
tools_quota_SOURCES = tools/quota.c
tools_quota_LDADD = $(ADMIN_LDADD)
tools_ctl_mboxlist_SOURCES = tools/ctl_mboxlist.c
tools_ctl_mboxlist_LDADD = $(ADMIN_LDADD)
server_PROGRAMS += tools/ipurge
tools_ipurge_SOURCES = tools/ipurge.c
tools_ipurge_LDADD = $(ADMIN_LDADD)
man_MANS += man/ipurge.8
EXTRA_DIST += man/ipurge.8
server_PROGRAMS += tools/unexpunge
tools_unexpunge_SOURCES = tools/unexpunge.c
tools_unexpunge_LDADD = $(ADMIN_LDADD)
man_MANS += man/unexpunge.8
EXTRA_DIST += man/unexpunge.8
tools_ctl_cyrusdb_SOURCES = tools/ctl_cyrusdb.c
tools_ctl_cyrusdb_LDADD = lib/libchapar.a
man_MANS += man/reconstruct.8 man/quota.8 man/ctl_mboxlist.8 \
	man/ctl_cyrusdb.8
EXTRA_DIST += man/reconstruct.8 man/quota.8 man/ctl_mboxlist.8 \
	man/ctl_cyrusdb.8 doc/admin.md

# chapar-migrate: mbox import/export, Maildir/Dovecot import, all through
# the append API (the formats are imap/mailstore/mboxfmt.c, maildirfmt.c).
server_PROGRAMS += tools/chapar-migrate
tools_chapar_migrate_SOURCES = tools/migrate.c tools/migrate.h \
	tools/migrate_mbox.c tools/migrate_maildir.c
tools_chapar_migrate_LDADD = $(ADMIN_LDADD)
man_MANS += man/chapar-migrate.8
EXTRA_DIST += man/chapar-migrate.8

# chaparadm, the admin client (a cyradm work-alike).
bin_PROGRAMS += tools/chaparadm
tools_chaparadm_SOURCES = tools/chaparadm.c tools/chaparadm_private.h \
	tools/chaparadm_imap.c tools/chaparadm_imap.h \
	tools/chaparadm_conn.c tools/chaparadm_cmds.c
tools_chaparadm_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a $(READLINE_LIBS)
man_MANS += man/chaparadm.1
EXTRA_DIST += man/chaparadm.1

# chapar-sievec: checks Sieve scripts with the interpreter's own compiler.
bin_PROGRAMS += tools/chapar-sievec
tools_chapar_sievec_SOURCES = tools/sievec.c
tools_chapar_sievec_LDADD = imap/sieve/libsieve.a imap/mailstore/libmailstore.a lib/libchapar.a
man_MANS += man/chapar-sievec.1
EXTRA_DIST += man/chapar-sievec.1
