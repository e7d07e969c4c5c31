# tests/tests.mk -- build fragment (see Makefile.am): the unit-test harness
# and the test runner scripts.  Unit tests register in their module's
# fragment.
noinst_LIBRARIES += tests/unit/libharness.a
tests_unit_libharness_a_SOURCES = tests/unit/harness.c tests/unit/harness.h
UNIT_LDADD = tests/unit/libharness.a lib/libchapar.a

EXTRA_DIST += tests/summarize.py

# The layers of DESIGN.md (lib <- mailstore <- server <- servers and
# tools), private headers and banned calls, checked on every make check.
dist_check_SCRIPTS = tests/check-layering
TESTS += tests/check-layering
