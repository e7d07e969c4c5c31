# imap/imapd/imapd.mk -- build fragment (see Makefile.am): the IMAP server.
# libimapd holds the protocol layer that unit tests reach: the bounded
# command parser and the selected-mailbox view (index*: sequence numbers,
# FETCH, STORE, SEARCH, COPY/MOVE, EXPUNGE responses).  The imapd program
# adds the session, the command table and the cmd_* handlers.

noinst_LIBRARIES += imap/imapd/libimapd.a
imap_imapd_libimapd_a_SOURCES = \
	imap/imapd/imap_parser.c imap/imapd/imap_parser.h \
	imap/imapd/imap_parser_format.c imap/imapd/index_preview.c \
	imap/imapd/index.c imap/imapd/index.h imap/imapd/index_private.h \
	imap/imapd/index_fetch.c imap/imapd/index_section.c \
	imap/imapd/index_store.c imap/imapd/index_search.c \
	imap/imapd/index_sort.c \
	imap/imapd/index_copy.c imap/imapd/index_esearch.c \
	imap/imapd/index_context.c imap/imapd/index_binary.c \
	imap/imapd/index_url.c imap/imapd/imapurl.c imap/imapd/imapurl.h \
	imap/imapd/index_qresync.c
IMAPD_LDADD = imap/imapd/libimapd.a $(MAILSTORE_LDADD)

server_PROGRAMS += imap/imapd/imapd
imap_imapd_imapd_SOURCES = \
	imap/imapd/imapd.c imap/imapd/imapd.h imap/imapd/imapd_private.h \
	imap/imapd/imapd_commands.c \
	imap/imapd/cmd_auth.c imap/imapd/cmd_select.c imap/imapd/cmd_message.c \
	imap/imapd/cmd_sort.c \
	imap/imapd/cmd_mailbox.c imap/imapd/cmd_mailbox.h \
	imap/imapd/cmd_metadata.c \
	imap/imapd/cmd_list.c imap/imapd/cmd_list.h imap/imapd/cmd_list_args.c \
	imap/imapd/cmd_status.c \
	imap/imapd/cmd_append.c imap/imapd/cmd_catenate.c \
	imap/imapd/cmd_catenate.h imap/imapd/cmd_acl.c imap/imapd/cmd_quota.c \
	imap/imapd/cmd_compress.c
imap_imapd_imapd_LDADD = imap/imapd/libimapd.a imap/server/libserver.a \
	imap/mailstore/libmailstore.a lib/libchapar.a lib/libopenssl_dl.a \
	imap/mailstore/libicu_dl.a $(ICU_LIBS) lib/libzlib_dl.a
imap_imapd_imapd_LDFLAGS = $(OPENSSL_DL_LINKFLAGS)
man_MANS += man/imapd.8
EXTRA_DIST += man/imapd.8

IMAPD_TESTS = tests/unit/test_imap_parser tests/unit/test_index \
	tests/unit/test_index_search tests/unit/test_index_hdrcache
check_PROGRAMS += $(IMAPD_TESTS)
TESTS += $(IMAPD_TESTS)
tests_unit_test_imap_parser_LDADD = $(IMAPD_LDADD)
tests_unit_test_index_SOURCES = tests/unit/test_index.c \
	tests/unit/index_check.c tests/unit/index_check.h \
	tests/unit/mail_corpus.c tests/unit/mail_corpus.h
tests_unit_test_index_LDADD = $(IMAPD_LDADD)
tests_unit_test_index_search_SOURCES = tests/unit/test_index_search.c \
	tests/unit/index_check.c tests/unit/index_check.h \
	tests/unit/mail_corpus.c tests/unit/mail_corpus.h
tests_unit_test_index_search_LDADD = $(IMAPD_LDADD)
tests_unit_test_index_hdrcache_SOURCES = tests/unit/test_index_hdrcache.c \
	tests/unit/index_check.c tests/unit/index_check.h \
	tests/unit/mail_corpus.c tests/unit/mail_corpus.h
tests_unit_test_index_hdrcache_LDADD = $(IMAPD_LDADD)
