# tests/fuzz/fuzz.mk -- build fragment (see Makefile.am): the libFuzzer
# targets, one per parser or reader that takes untrusted bytes.  Built by
# `make fuzz` in a build directory configured with
#     CC=clang ../configure --enable-fuzzers
# (everything there is compiled with coverage, ASan and UBSan; only these
# programs link libFuzzer).  tools/fuzz runs them for minutes each,
# tests/proto/test_fuzz.py for seconds.  Each has a seed corpus,
# tests/fuzz/corpus_<name without fuzz_>.
FUZZER_LINK = -fsanitize=fuzzer
EXTRA_PROGRAMS += tests/fuzz/fuzz_imap_parser tests/fuzz/fuzz_message \
	tests/fuzz/fuzz_cache_decode tests/fuzz/fuzz_mailbox_header \
	tests/fuzz/fuzz_mailbox_index tests/fuzz/fuzz_lmtp tests/fuzz/fuzz_pop3 \
	tests/fuzz/fuzz_mboxfmt tests/fuzz/fuzz_sieve
FUZZ_TARGETS = tests/fuzz/fuzz_imap_parser$(EXEEXT) \
	tests/fuzz/fuzz_message$(EXEEXT) tests/fuzz/fuzz_cache_decode$(EXEEXT) \
	tests/fuzz/fuzz_mailbox_header$(EXEEXT) \
	tests/fuzz/fuzz_mailbox_index$(EXEEXT) tests/fuzz/fuzz_lmtp$(EXEEXT) \
	tests/fuzz/fuzz_pop3$(EXEEXT) tests/fuzz/fuzz_mboxfmt$(EXEEXT) \
	tests/fuzz/fuzz_sieve$(EXEEXT)

tests_fuzz_fuzz_imap_parser_LDADD = imap/imapd/libimapd.a lib/libchapar.a
tests_fuzz_fuzz_imap_parser_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_message_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a
tests_fuzz_fuzz_message_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_cache_decode_LDADD = imap/mailstore/libmailstore.a \
	lib/libchapar.a
tests_fuzz_fuzz_cache_decode_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_mailbox_header_LDADD = imap/mailstore/libmailstore.a \
	lib/libchapar.a
tests_fuzz_fuzz_mailbox_header_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_mailbox_index_LDADD = imap/mailstore/libmailstore.a \
	lib/libchapar.a
tests_fuzz_fuzz_mailbox_index_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_lmtp_LDADD = deliver/libdeliver.a lib/libchapar.a
tests_fuzz_fuzz_lmtp_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_pop3_LDADD = imap/pop3d/libpop3d.a lib/libchapar.a
tests_fuzz_fuzz_pop3_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_mboxfmt_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a
tests_fuzz_fuzz_mboxfmt_LDFLAGS = $(FUZZER_LINK)
tests_fuzz_fuzz_sieve_LDADD = imap/sieve/libsieve.a \
	imap/mailstore/libmailstore.a lib/libchapar.a
tests_fuzz_fuzz_sieve_LDFLAGS = $(FUZZER_LINK)

if FUZZERS
fuzz: $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz: configure this build directory with" \
	      "CC=clang ../configure --enable-fuzzers" >&2; exit 1
endif
.PHONY: fuzz

EXTRA_DIST += tests/fuzz/corpus_imap_parser tests/fuzz/corpus_message \
	tests/fuzz/corpus_cache_decode tests/fuzz/corpus_mailbox_header \
	tests/fuzz/corpus_mailbox_index tests/fuzz/corpus_lmtp \
	tests/fuzz/corpus_pop3 tests/fuzz/corpus_mboxfmt \
	tests/fuzz/corpus_sieve tools/fuzz

# The bugs the targets found, one regression case each (a plain unit test:
# it runs in every make check).
check_PROGRAMS += tests/unit/test_fuzz_found
tests_unit_test_fuzz_found_LDADD = $(MAILSTORE_LDADD)
TESTS += tests/unit/test_fuzz_found
