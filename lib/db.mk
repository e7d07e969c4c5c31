# lib/db.mk -- build fragment (see Makefile.am): key/value store over
# Berkeley DB, file locks, read-only mmap, and their unit tests.
lib_libchapar_a_SOURCES += lib/db.h lib/db_berkeley.c \
	lib/lock.c lib/lock.h \
	lib/map.c lib/map.h

check_PROGRAMS += tests/unit/test_db tests/unit/test_lock tests/unit/test_map
tests_unit_test_db_LDADD = $(UNIT_LDADD)
tests_unit_test_lock_LDADD = $(UNIT_LDADD)
tests_unit_test_map_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_db tests/unit/test_lock tests/unit/test_map
