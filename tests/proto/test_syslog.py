"""Where the log lines go: syslog_facility and syslog_prefix (Cyrus's
options) choose the facility and the name of every program's syslog lines.

The program runs in a private mount namespace whose /dev holds the usual
device nodes and, as /dev/log, a datagram socket of this test: the test
reads exactly what syslog(3) sent, and the machine's own /dev/log (if any)
is left alone.
"""
import os
import re
import shutil
import socket
import subprocess

import pytest

LOG_INFO = 6
FACILITY = {"local6": 22, "mail": 2, "local0": 16}


def syslog_lines(inst, tmp_path, extra):
    inst.rewrite_config(extra)
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) is needed")
    sock_path = str(tmp_path / "log")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(sock_path)
    rx.settimeout(5)
    fakedev = tmp_path / "dev"
    fakedev.mkdir()
    argv = inst.argv("imap/imapd/imapd")
    script = f"""
set -e
mount -t tmpfs tmpfs {fakedev}
for n in null zero random urandom; do
    touch {fakedev}/$n; mount --bind /dev/$n {fakedev}/$n
done
touch {fakedev}/log; mount --bind {sock_path} {fakedev}/log
mount --rbind {fakedev} /dev
exec "$@"
"""
    p = subprocess.run(["unshare", "-m", "--propagation", "private",
                        "sh", "-c", script, "sh", *argv],
                       input=b"a LOGOUT\r\n", capture_output=True, timeout=30,
                       env=inst.env)
    assert p.returncode == 0, p.stderr
    assert b"a OK" in p.stdout, p.stdout
    lines = []
    rx.settimeout(1)
    try:
        while True:
            lines.append(rx.recv(65536).decode("utf-8", "replace"))
    except socket.timeout:
        pass
    rx.close()
    return lines


def pri_and_ident(line):
    m = re.match(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d ([^\[:]+)\[(\d+)\]: ",
                 line)
    assert m, line
    return int(m.group(1)), m.group(2)


@pytest.mark.parametrize("options,facility,ident", [
    ({}, "local6", "imapd"),
    ({"syslog_facility": "mail"}, "mail", "imapd"),
    ({"syslog_facility": "local0", "syslog_prefix": "chapar2"},
     "local0", "chapar2/imapd"),
])
def test_facility_and_prefix(make_instance, tmp_path, options, facility,
                             ident):
    inst = make_instance()
    lines = syslog_lines(inst, tmp_path, options)
    accepted = [l for l in lines if "accepted connection" in l]
    assert accepted, lines
    pri, name = pri_and_ident(accepted[0])
    assert pri == FACILITY[facility] * 8 + LOG_INFO
    assert name == ident
    # The test's log file keeps the plain name.
    assert any(re.match(r"^imapd\[\d+\]: info: accepted connection", l)
               for l in inst.log_lines())


def test_unknown_facility_is_an_error(make_instance):
    inst = make_instance()
    inst.rewrite_config({"syslog_facility": "local9"})
    p = subprocess.run(inst.argv("imap/imapd/imapd"), input=b"",
                       capture_output=True, timeout=30, env=inst.env)
    assert p.returncode == 78
    assert re.search(rb"imapd\.conf:\d+: syslog_facility: .*local9",
                     p.stderr), p.stderr
