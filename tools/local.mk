# tools/local.mk -- administration tools and benchmarks (see Makefile.am).
EXTRA_DIST += tools/quickstart tools/install-deps tools/debian-packages tools/mkinstance
noinst_PROGRAMS += tools/mbbench
tools_mbbench_LDADD = imap/mailstore/libmailstore.a lib/libchapar.a
