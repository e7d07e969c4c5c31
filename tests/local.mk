# tests/local.mk -- test runner scripts (unit tests register in their module's fragment).
EXTRA_DIST += tests/summarize.py
