# imap/imapparse.mk -- IMAP command parser (protocol layer)
# The parser belongs to the protocol layer, not the mailstore: its own
# library, which later protocol code (commands, session) joins.
noinst_LIBRARIES += imap/libimapproto.a
imap_libimapproto_a_SOURCES = imap/imap_parser.c imap/imap_parser.h
IMAPPROTO_LDADD = imap/libimapproto.a $(MAILSTORE_LDADD)

check_PROGRAMS += tests/unit/test_imap_parser
tests_unit_test_imap_parser_LDADD = $(IMAPPROTO_LDADD)
TESTS += tests/unit/test_imap_parser

# The libFuzzer target is built by hand with clang (see its header).
EXTRA_DIST += tests/fuzz/fuzz_imap_parser.c tests/fuzz/corpus_imap_parser
