# lib/conf.mk -- build fragment (see Makefile.am): imapd.conf parsing, its
# option table, and the man page generated from that table.

lib_libchapar_a_SOURCES += lib/conf.c lib/conf.h
EXTRA_DIST += lib/conf_options.def

# Regenerate the man page with: tools/mkconfman > man/imapd.conf.5
noinst_PROGRAMS += tools/mkconfman
tools_mkconfman_SOURCES = tools/mkconfman.c
tools_mkconfman_LDADD = lib/libchapar.a
man_MANS += man/imapd.conf.5
EXTRA_DIST += man/imapd.conf.5

check_PROGRAMS += tests/unit/test_conf
tests_unit_test_conf_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_conf
