"""chaparadm against a real Cyrus IMAP server (Debian's cyrus-imapd 3.6),
as the administration issue asks: the same batch that manages Chapar
manages Cyrus.

The private Cyrus instance is the benchmark harness's (tools/bench/
servers.py): Cyrus's master and lmtpd from cyrus-common, its imapd from the
cyrus-imapd package unpacked into /var/tmp (it conflicts with
dovecot-imapd, so it is not installed).  `tools/bench/run --only cyrus`
fetches it.  Where it is missing this test is skipped, and reported as
skipped, not passed.
"""

import os
import subprocess
import sys
import tempfile

import pytest

from chapar_instance import REPO, find_program

sys.path.insert(0, os.path.join(REPO, "tools", "bench"))

CYRUS_IMAPD = "/var/tmp/chapar-bench-cyrus-imapd/usr/lib/cyrus/bin/imapd"
CYRUS_MASTER = "/usr/lib/cyrus/bin/master"


@pytest.fixture
def cyrus():
    if not (os.path.exists(CYRUS_IMAPD) and os.path.exists(CYRUS_MASTER)
            and os.geteuid() == 0):
        pytest.skip("Debian's cyrus-imapd is not unpacked here "
                    "(run tools/bench/run --only cyrus once, as root)")
    import servers
    top = tempfile.mkdtemp(prefix="chapar-cyrus-")
    os.chmod(top, 0o755)
    srv = servers.Cyrus(top, {"alice": "alicepw"})
    srv.start()
    yield srv
    srv.stop()
    subprocess.run(["rm", "-rf", top])


def test_chaparadm_manages_real_cyrus(cyrus):
    adm = find_program("tools/chaparadm")
    batch = "\n".join([
        "cm user.carol", "cm user.carol.lists", "sq user.carol 1000",
        "sam user.carol.lists alice read", "lm", "lam user.carol.lists",
        "lq user.carol", "lqr user.carol.lists",
        "sam user.carol.lists admin all", "dm user.carol.lists", "lm"]) + "\n"
    p = subprocess.run([adm, "--notls", "-u", "admin", "-w", "adminpw", "-m",
                        "PLAIN", "-p", str(cyrus.imap_port), "127.0.0.1"],
                       input=batch, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "user.carol.lists (\\HasNoChildren)" in out
    assert "alice lrs" in out
    assert " STORAGE 0/1000 (0%)" in out
    # After dm the last lm shows user.carol without its child.
    last = out[out.rindex("user.carol"):]
    assert "user.carol.lists" not in last
