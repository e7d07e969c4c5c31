# lib/prot.mk -- build fragment (see Makefile.am): the protocol stream and
# its TLS (OpenSSL) and SASL (Cyrus SASL) glue.
lib_libchapar_a_SOURCES += lib/prot.c lib/prot.h \
	lib/tls.c lib/tls.h \
	lib/sasl_glue.c lib/sasl_glue.h

# OpenSSL loaded at its first use (lib/openssl_dl.c), for the servers that
# are exec'ed per connection; link it after lib/libchapar.a, with
# $(OPENSSL_DL_LINKFLAGS) so that libssl and libcrypto then drop out.
noinst_LIBRARIES += lib/libopenssl_dl.a
lib_libopenssl_dl_a_SOURCES = lib/openssl_dl.c
OPENSSL_DL_LINKFLAGS = -Wl,--as-needed

check_PROGRAMS += tests/unit/test_prot tests/unit/test_tls \
	tests/unit/test_sasl tests/unit/test_sasl_lazy
tests_unit_test_prot_LDADD = $(UNIT_LDADD)
tests_unit_test_tls_LDADD = $(UNIT_LDADD)
tests_unit_test_sasl_LDADD = $(UNIT_LDADD)
tests_unit_test_sasl_lazy_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_prot tests/unit/test_tls tests/unit/test_sasl \
	tests/unit/test_sasl_lazy
