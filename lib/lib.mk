# lib/lib.mk -- build fragment (see Makefile.am): the foundation,
# libchapar, which knows nothing about mail.  Buffers, allocation, config
# (imapd.conf and its option table), logging, the protocol stream with its
# TLS (OpenSSL) and SASL (Cyrus SASL) layers, key/value over Berkeley DB,
# file locks, read-only mmap, glob patterns, digests and base64.

noinst_LIBRARIES += lib/libchapar.a
lib_libchapar_a_SOURCES = \
	lib/error.c lib/error.h \
	lib/xmalloc.c lib/xmalloc.h \
	lib/log.c lib/log.h \
	lib/buf.c lib/buf.h \
	lib/strarray.c lib/strarray.h \
	lib/hash.c lib/hash.h \
	lib/util.c lib/util.h \
	lib/glob.c lib/glob.h \
	lib/digest.c lib/digest.h \
	lib/base64.c lib/base64.h \
	lib/conf.c lib/conf.h lib/conf_cyrus.c lib/conf_cyrus.h \
	lib/prot.c lib/prot.h lib/deflate.c lib/deflate.h lib/dl.h \
	lib/tls.c lib/tls.h \
	lib/sasl_glue.c lib/sasl_glue.h \
	lib/db.h lib/db_berkeley.c lib/db_berkeley_private.h lib/db_env.c \
	lib/db_registry.c lib/db_registry.h \
	lib/lock.c lib/lock.h \
	lib/map.c lib/map.h
EXTRA_DIST += lib/conf_options.def

# OpenSSL loaded at its first use (lib/openssl_dl.c), for the servers that
# are exec'ed per connection; link it after lib/libchapar.a, with
# $(OPENSSL_DL_LINKFLAGS) so that libssl and libcrypto then drop out.
noinst_LIBRARIES += lib/libopenssl_dl.a
lib_libopenssl_dl_a_SOURCES = lib/openssl_dl.c
OPENSSL_DL_LINKFLAGS = -Wl,--as-needed

# zlib loaded at its first use (lib/zlib_dl.c): imapd links this archive
# and never -lz; programs that link zlib itself use $(ZLIB_LIBS).
noinst_LIBRARIES += lib/libzlib_dl.a
lib_libzlib_dl_a_SOURCES = lib/zlib_dl.c

LIB_TESTS = tests/unit/test_buf tests/unit/test_strarray \
	tests/unit/test_hash tests/unit/test_util tests/unit/test_log \
	tests/unit/test_glob tests/unit/test_base64 tests/unit/test_digest \
	tests/unit/test_xmalloc tests/unit/test_conf \
	tests/unit/test_prot tests/unit/test_deflate tests/unit/test_tls \
	tests/unit/test_sasl \
	tests/unit/test_sasl_lazy \
	tests/unit/test_db tests/unit/test_db_crash tests/unit/test_lock \
	tests/unit/test_map
check_PROGRAMS += $(LIB_TESTS)
TESTS += $(LIB_TESTS)
tests_unit_test_buf_LDADD = $(UNIT_LDADD)
tests_unit_test_strarray_LDADD = $(UNIT_LDADD)
tests_unit_test_hash_LDADD = $(UNIT_LDADD)
tests_unit_test_util_LDADD = $(UNIT_LDADD)
tests_unit_test_log_LDADD = $(UNIT_LDADD)
tests_unit_test_glob_LDADD = $(UNIT_LDADD)
tests_unit_test_base64_LDADD = $(UNIT_LDADD)
tests_unit_test_digest_LDADD = $(UNIT_LDADD)
tests_unit_test_xmalloc_LDADD = $(UNIT_LDADD)
tests_unit_test_conf_LDADD = $(UNIT_LDADD)
tests_unit_test_prot_LDADD = $(UNIT_LDADD)
tests_unit_test_deflate_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS)
tests_unit_test_tls_LDADD = $(UNIT_LDADD)
tests_unit_test_sasl_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS)
tests_unit_test_sasl_lazy_LDADD = $(UNIT_LDADD)
tests_unit_test_db_SOURCES = tests/unit/test_db.c \
	tests/unit/db_check.c tests/unit/db_check.h
tests_unit_test_db_LDADD = $(UNIT_LDADD)
tests_unit_test_db_crash_SOURCES = tests/unit/test_db_crash.c \
	tests/unit/db_check.c tests/unit/db_check.h
tests_unit_test_db_crash_LDADD = $(UNIT_LDADD)
tests_unit_test_lock_LDADD = $(UNIT_LDADD)
tests_unit_test_map_LDADD = $(UNIT_LDADD)
