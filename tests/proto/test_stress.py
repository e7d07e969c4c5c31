"""The concurrency stress, bounded (issue 16): tools/stress's run (imported
from tools/chapartest, not run as a program) with 24 clients for 30 s
against a private instance served through master -- appenders, storers,
expungers, copiers, movers, a renamer of the tree, a renamer of its
subtree, creators and deleters of children inside the tree being renamed,
readers and an admin -- then the consistency check (acknowledged messages
there exactly once, acknowledged expunges gone, listed mailboxes
selectable and consistent, mailboxes.db and the partition agreeing,
reconstruct with nothing to repair, quota usage equal to the messages'
sizes, no corruption or crash in the log, master's children bounded).
CHAPAR_STRESS_CLIENTS, CHAPAR_STRESS_SECONDS and CHAPAR_STRESS_SEED change
the run.

Before the fixes it found (test_imap_races.py; util_mkdir_p; RENAME
locking), this run failed every time: false "mailbox corrupt ... run
reconstruct" errors and NO [SERVERBUG] for sessions whose mailbox was
renamed, MOVEs leaving messages in both mailboxes, two RENAMEs (or a
MOVE and a RENAME) waiting 60 s for each other's locks, lookups and
renames waiting for every new change in the tree, CREATE and RENAME
answering NO [SERVERBUG].

Planted faults prove the check can fail: a message file and a mailbox's
files removed behind the server's back (its mailboxes.db record left
without them), and a mailbox directory nobody made, must all be
reported.
"""

import os
import shutil
import subprocess
import sys

import pytest

import chapar_instance
from test_crash import interrupt_leaves_nothing

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))

from chapartest import stress_check  # noqa: E402
from chapartest.stress import Stress  # noqa: E402

CLIENTS = int(os.environ.get("CHAPAR_STRESS_CLIENTS", "24"))
SECONDS = float(os.environ.get("CHAPAR_STRESS_SECONDS", "30"))
SEED = int(os.environ.get("CHAPAR_STRESS_SEED", "20261207"))


def _live_children():
    return {pid for pid, _ in chapar_instance._children_of_self()
            if chapar_instance.pid_alive(pid)}


@pytest.fixture
def stress(tmp_path, tls_pair, builddir):
    made = []

    def make(clients, seconds):
        st = Stress(build=builddir, seed=SEED, clients=clients,
                    seconds=seconds, workdir=str(tmp_path), tls=tls_pair)
        made.append(st)
        return st
    yield make
    for st in made:
        st.close()


def test_stress_keeps_the_mailstore_consistent(stress):
    before = _live_children()
    st = stress(CLIENTS, SECONDS)
    st.start()
    st.run()
    fails = stress_check.check(st)
    led = st.ledger
    ok = {(verb): sum(n for (k, v, s), n in led.counts.items()
                      if v == verb and s == "OK")
          for verb in ("APPEND", "STORE", "EXPUNGE", "COPY", "MOVE", "RENAME",
                       "CREATE", "DELETE", "FETCH", "SETACL")}
    print(f"stress: {CLIENTS} clients {st.elapsed:.1f} s seed {SEED}: "
          f"{ok}, {len(led.born)} messages, most children "
          f"{st.most_children}")
    assert not fails, "\n".join(fails[:30])
    # Every kind of change happened, racing.
    assert all(n > 0 for n in ok.values()), ok
    assert led.renames >= 10, led.renames
    st.close()
    assert _live_children() <= before


def test_planted_faults_are_reported(stress, builddir):
    st = stress(8, 4)
    st.start()
    st.run()
    assert stress_check.check(st) == []
    inst = st.inst
    # 1. an acknowledged message in INBOX loses its file
    inbox_uv = st.ledger.base_uv["INBOX"]
    alive = st.ledger.alive()
    uid, mid = min((k[1], m) for k, m in alive.items() if k[0] == inbox_uv)
    os.unlink(os.path.join(inst.spool_dir, "user", "alice", f"{uid}."))
    # 2. a mailbox directory nobody made (a copy of INBOX's files)
    stray = os.path.join(inst.spool_dir, "user", "alice", "stray")
    os.mkdir(stray)
    for f in ("cyrus.header", "cyrus.index", "cyrus.cache"):
        shutil.copy(os.path.join(inst.spool_dir, "user", "alice", f), stray)
    # 3. the files of INBOX.tree.a.x (wherever the renames left the tree)
    # go, its mailboxes.db record stays
    top = os.path.join(inst.spool_dir, "user", "alice")
    ax = next(p for p in (os.path.join(top, r, "a", "x")
                          for r in ("tree", "tree2")) if os.path.isdir(p))
    shutil.rmtree(ax)
    fails = stress_check.check(st)
    text = "\n".join(fails)
    assert f"<{mid}>" in text and "missing" in text, text
    assert f"{stray} (3 files) has no mailboxes.db record" in text, text
    assert f"{ax}/cyrus.header is missing" in text, text
    assert any(f.startswith("reconstruct") for f in fails), text
    # the CLI's exit status follows the check
    r = subprocess.run([sys.executable, os.path.join(REPO, "tools", "stress"),
                        "--clients", "0"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == \
        "stress: --clients and --seconds must be positive"


def test_main_stops_everything_on_sigint(builddir):
    """The program, interrupted while its clients run: exit 130 and no
    process left behind."""
    interrupt_leaves_nothing(
        [os.path.join(REPO, "tools", "stress"), "--build", builddir,
         "--clients", "6", "--seconds", "600", "--seed", "1"], workers=8)
