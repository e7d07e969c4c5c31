# tools/admin.mk -- reconstruct, quota, ctl_mboxlist: thin programs over the
# mailstore's repair module (imap/mailstore/reconstruct.c).
ADMIN_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a
server_PROGRAMS += tools/reconstruct tools/quota tools/ctl_mboxlist
tools_reconstruct_SOURCES = tools/reconstruct.c
tools_reconstruct_LDADD = $(ADMIN_LDADD)
tools_quota_SOURCES = tools/quota.c
tools_quota_LDADD = $(ADMIN_LDADD)
tools_ctl_mboxlist_SOURCES = tools/ctl_mboxlist.c
tools_ctl_mboxlist_LDADD = $(ADMIN_LDADD)
man_MANS += man/reconstruct.8 man/quota.8 man/ctl_mboxlist.8
EXTRA_DIST += man/reconstruct.8 man/quota.8 man/ctl_mboxlist.8 doc/admin.md
