"""chapartest -- the code tools/crashtest and tools/stress share.

    imap.py          IMAP sessions, snapshot types, response parsers
    procs.py         private instances and their processes (mixin Procs)
    checks.py        DESIGN.md's invariant checks on an instance (mixin Checks)
    ops.py           crashtest's writer and message operations (Op ...)
    ops_mailbox.py   crashtest's mailbox operations (RENAME ... SETQUOTA)
    ops_delivery.py  crashtest's lmtpd, deliver and reconstruct operations
    harness.py       crashtest's kill-and-check loop (Harness, OPS, report)
    stress.py        tools/stress's instance through master and its clients
    stress_check.py  tools/stress's final consistency check

Python standard library only (and tests/proto/chapar_instance.py, imported
as ci).  Run the tools with Debian's /usr/bin/python3.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
if os.path.join(REPO, "tests", "proto") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "tests", "proto"))

import chapar_instance as ci  # noqa: E402,F401
