"""Smoke test of the benchmark harness (tools/bench/run): Chapar only, the
tiny --smoke corpus, one round.  Checks that the table is produced with every
row filled in and plausible, and that the mixed load lost nothing.  Cyrus and
Dovecot are not needed (the full harness installs them itself)."""

import os
import re
import subprocess
import sys

from chapar_instance import REPO, builddir

RUN = os.path.join(REPO, "tools", "bench", "run")
# label fragment -> (lowest, highest) sane median
SANE = {
    "LMTP delivery, 1 connection": (1, 1e6),
    "LMTP delivery, 4 connections": (1, 1e6),
    "web-mail session": (0.5, 1e5),
    "LOGIN + LOGOUT, 10 clients": (1, 1e6),
    "random mix: LOGIN SELECT FETCH STORE EXPUNGE APPEND LOGOUT": (1, 1e6),
    "APPEND only, 10 long sessions": (1, 1e6),
    "connect, STARTTLS, LOGIN, LOGOUT": (0.5, 1e5),
    "FETCH 1:*": (0, 10),
    "FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (DATE)])": (0, 10),
    # CPU time has 10 ms ticks: the plain row may be 0; DEFLATE never is.
    "server CPU per MB of FETCH BODY[] responses, uncompressed": (-0.001, 10_000),
    "server CPU per MB of FETCH BODY[] responses, COMPRESS=DEFLATE": (0, 10_000),
    "SEARCH TEXT": (0, 10),
    "SEARCH FROM": (0, 10),
    "mixed load": (1, 1e6),
    "private memory per idle authenticated connection (20 connections)": (1, 100_000),
    "IDLE connections held (of 20)": (19.5, 20.5),     # every one of them
    "private memory per connection in IDLE (20 connections)": (1, 100_000),
    "index, cache and database": (0, 1_000_000),
    "disk per message": (0, 1_000_000),
}


def test_bench_smoke_chapar(tmp_path):
    out = tmp_path / "benchmarks.md"
    r = subprocess.run([sys.executable, RUN, "--smoke", "--only", "chapar",
                        "--rounds", "1", "--build", builddir(), "--out", str(out)],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = out.read_text()
    assert re.search(r"^- date: \d{4}-\d\d-\d\d ", doc, re.M), doc
    assert re.search(r"^- machine: .*cores", doc, re.M), doc
    assert "| workload | unit | chapar |" in doc
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("workload", "---"):
            rows[cells[0]] = float(cells[2].replace(",", ""))
    for frag, (lo, hi) in SANE.items():
        label = [k for k in rows if k.startswith(frag)]
        assert label, f"no row for {frag!r} in:\n{doc}"
        assert lo < rows[label[0]] < hi, f"{label[0]} = {rows[label[0]]}"
    check = re.search(r"^- chapar mixed-load consistency: (.*)$", doc, re.M)
    assert check, doc
    # Nothing lost, duplicated or resurrected, and no command failed.
    assert check.group(1) == "ok", doc
    assert "chapar error" not in doc and "_wrong" not in doc, doc
    # where the metadata went, by kind of file
    detail = re.search(r"^- chapar metadata bytes per message by file: (.*)$",
                       doc, re.M)
    assert detail, doc
    kinds = dict(re.findall(r"([^ ,]+) ([0-9,]+)", detail.group(1)))
    assert "cyrus.cache" in kinds and "cyrus.index" in kinds, detail.group(1)


def test_disk_bytes_counts_directories(tmp_path):
    """The disk row counts the directories as well as the files: an entry
    per message grows a directory, more so with long (maildir) names."""
    sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
    import servers
    top = tmp_path / "store"
    top.mkdir()
    empty = servers.disk_bytes([str(top)])
    assert empty == os.lstat(top).st_blocks * 512 > 0
    for i in range(2000):
        (top / f"{i:0200d}").touch()        # empty files: no blocks of their own
    assert servers.disk_files([str(top)]) and \
        sum(servers.disk_files([str(top)]).values()) == 0
    assert servers.disk_bytes([str(top)]) == os.lstat(top).st_blocks * 512 > empty


def test_client_connects_with_ethernet_mss():
    """The harness's client asks for a 1448-byte MSS, so the server sends
    Ethernet-sized segments, not loopback's 64 kB ones (with those, 4 kB
    writes of a server without TCP_NODELAY stall 40 ms on the client's
    delayed ACK: the old web-mail row's Cyrus figure)."""
    import socket
    sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
    import proto
    with socket.create_server(("127.0.0.1", 0)) as lst:
        c = proto.Conn(lst.getsockname()[1])
        srv, _ = lst.accept()
        with srv:
            mss = srv.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
            assert 0 < mss <= proto.MSS, mss
            assert c.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        c.close()
