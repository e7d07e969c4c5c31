# tools/local.mk -- administration tools and benchmarks (see Makefile.am).
EXTRA_DIST += tools/quickstart tools/install-deps tools/debian-packages
