"""Tests of the protocol-test scaffolding itself (chapar_instance.py, conftest.py)."""

import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time

import pytest

from chapar_instance import (CONFIG_SUBDIRS, ClientTimeout, LineClient, find_program,
                             free_port, ipv6_available, pid_alive)

CAT = "/bin/cat"
SH = "/bin/sh"


def parse_conf(text):
    opts = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            k, v = line.split(":", 1)
            opts[k.strip()] = v.strip()
    return opts


def test_config_has_defaults_and_overrides(make_instance):
    inst = make_instance(options={"admins": "admin root", "quotawarn": 80,
                                  "allowanonymouslogin": False})
    opts = parse_conf(inst.read_config())
    assert opts["configdirectory"] == inst.conf_dir
    assert opts["partition-default"] == inst.spool_dir
    assert opts["admins"] == "admin root"            # overridden
    assert opts["quotawarn"] == "80"                 # added
    assert opts["allowanonymouslogin"] == "no"
    assert opts["servername"] == "chapar.test"
    assert opts["sasl_pwcheck_method"] == "auxprop"
    assert opts["sasl_auxprop_plugin"] == "sasldb"
    assert opts["sasl_sasldb_path"] == os.path.join(inst.conf_dir, "sasldb2")
    assert opts["tls_server_cert"] == inst.cert_path
    assert opts["tls_server_key"] == inst.key_path
    assert opts["allowplaintext"] == "yes"

    inst.rewrite_config({"allowplaintext": "no", "admins": None, "timeout": 45})
    opts = parse_conf(inst.read_config())
    assert opts["allowplaintext"] == "no"
    assert "admins" not in opts
    assert opts["timeout"] == "45"
    assert opts["quotawarn"] == "80"                 # earlier options kept


def test_directories_exist_mode_0700(instance):
    dirs = [instance.conf_dir, instance.spool_dir] + \
           [os.path.join(instance.conf_dir, d) for d in CONFIG_SUBDIRS]
    assert set(CONFIG_SUBDIRS) == {"db", "quota", "user", "proc", "log", "msg", "socket"}
    for d in dirs:
        st = os.stat(d)
        assert stat.S_ISDIR(st.st_mode), d
        assert stat.S_IMODE(st.st_mode) == 0o700, (d, oct(st.st_mode))


def test_sasldb_holds_users_add_delete(instance):
    out = subprocess.run(["/usr/sbin/sasldblistusers2", "-f", instance.sasldb_path],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    for u in ("admin", "alice", "bob"):
        assert f"{u}@chapar.test: userPassword" in out
    instance.add_user("carol", "carolpw")
    assert "carol@chapar.test: userPassword" in instance.list_sasldb()
    instance.delete_user("alice")
    lines = instance.list_sasldb()
    assert not any(line.startswith("alice@") for line in lines)
    assert "bob@chapar.test: userPassword" in lines
    assert instance.users == {"admin": "adminpw", "bob": "bobpw", "carol": "carolpw"}


def test_tls_pair_loads_and_handshakes(instance):
    assert stat.S_IMODE(os.stat(instance.key_path).st_mode) == 0o600
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(instance.cert_path, instance.key_path)

    lsock = socket.create_server(("127.0.0.1", 0))
    port = lsock.getsockname()[1]
    result = {}

    def serve():
        conn, _ = lsock.accept()
        conn.settimeout(5)
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            result["version"] = tls.version()
            tls.sendall(tls.recv(100).upper())

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        # Implicit TLS through the helper client, trusting only this cert.
        with instance.connect(port, tls=True) as c:
            assert c.is_tls
            assert c.sock.getpeercert()["subject"] == ((("commonName", "localhost"),),)
            c.send_line("hello")
            c.expect(r"^HELLO$")
        t.join(5)
        assert result["version"].startswith("TLS")
    finally:
        lsock.close()


def test_starttls_with_line_client(instance):
    """A fake IMAP server in a thread: plaintext greeting, STARTTLS, then TLS."""
    server_ctx = instance.server_context()
    lsock = socket.create_server(("127.0.0.1", 0))
    port = lsock.getsockname()[1]

    def serve():
        conn, _ = lsock.accept()
        conn.settimeout(5)
        f = conn.makefile("rb")
        conn.sendall(b"* OK ready\r\n")
        assert f.readline() == b"a1 STARTTLS\r\n"
        conn.sendall(b"a1 OK begin TLS\r\n")
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            line = tls.recv(100)
            tls.sendall(b"* echo " + line + b"a2 OK done\r\n")

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        c = instance.connect(port)
        c.expect(r"^\* OK ")
        assert c.command("a1", "STARTTLS")[-1] == "a1 OK begin TLS"
        c.starttls(instance.client_context())
        assert c.is_tls
        lines = c.command("a2", "NOOP")
        assert lines == ["* echo a2 NOOP", "a2 OK done"]
        t.join(5)
    finally:
        lsock.close()


def test_untrusted_certificate_is_refused(instance, tmp_path):
    """The client context trusts the instance cert only, not any cert."""
    ctx = ssl.create_default_context()      # system CAs: does not know ours
    lsock = socket.create_server(("127.0.0.1", 0))
    server_ctx = instance.server_context()

    def serve():
        conn, _ = lsock.accept()
        conn.settimeout(5)
        try:
            server_ctx.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            LineClient.connect(lsock.getsockname()[1], tls=ctx)
        t.join(5)
    finally:
        lsock.close()


def test_serve_tcp_two_concurrent_connections(instance):
    port = instance.serve_tcp([CAT])
    c1 = instance.connect(port)
    c2 = instance.connect(port)
    c1.send_line("one")
    c2.send_line("two")
    assert c2.read_line() == "two"
    assert c1.read_line() == "one"
    c1.send_line("again")
    assert c1.read_line() == "again"
    pids = instance.pids()
    assert len(pids) == 2 and pids[0] != pids[1]
    assert all(pid_alive(p) for p in pids)
    # Closing the client ends its cat; the other keeps running.
    c1.close()
    instance.procs[0].wait(timeout=5)
    c2.send_line("still")
    assert c2.read_line() == "still"


def test_serve_tcp_ipv6(instance):
    if not ipv6_available():
        pytest.skip("no ::1")
    port = instance.serve_tcp([CAT], family=socket.AF_INET6)
    c = instance.connect(port, host="::1")
    c.send_line("six")
    assert c.read_line() == "six"


def test_serve_tcp_program_sees_peer_and_stderr_file(instance):
    # The connection is a real socket on stdin: the program can read its peer.
    prog = [sys.executable, "-c",
            "import socket,sys; s=socket.socket(fileno=0); "
            "print(s.getpeername()[0], flush=True); print('err', file=sys.stderr)"]
    port = instance.serve_tcp(prog)
    c = instance.connect(port)
    assert c.read_line() == "127.0.0.1"
    instance.procs[0].wait(timeout=5)
    with open(instance.procs[0].stderr_path) as f:
        assert f.read() == "err\n"


def test_socketpair_with_cat(instance):
    sock, proc = instance.socketpair([CAT])
    c = LineClient(sock, timeout=5)
    c.send_line("ping")
    assert c.read_line() == "ping"
    c.send(b"pa")
    c.send(b"rtial\r\n")
    c.expect(r"^partial$")
    sock.shutdown(socket.SHUT_WR)
    assert proc.wait(timeout=5) == 0
    c.expect_eof()


def test_read_until_inlines_literals_and_times_out(instance):
    script = r'printf "* 1 FETCH (BODY[] {9}\r\na1 OK x\r\n)\r\n* 2 EXISTS\r\na1 OK done\r\n"; sleep 5'
    sock, _ = instance.socketpair([SH, "-c", script])
    c = LineClient(sock, timeout=5)
    lines = c.read_until("a1")
    assert lines == ["* 1 FETCH (BODY[] {9}\r\na1 OK x\r\n)", "* 2 EXISTS", "a1 OK done"]
    t0 = time.monotonic()
    with pytest.raises(ClientTimeout):
        c.read_line(timeout=0.3)
    assert time.monotonic() - t0 < 2


def test_teardown_stops_every_process(make_instance):
    inst = make_instance()
    port = inst.serve_tcp([CAT])
    c = inst.connect(port)
    c.send_line("x")
    c.read_line()
    _, pair = inst.socketpair([CAT])
    # A process that ignores SIGTERM (needs the SIGKILL), and a daemon-like
    # shell with a child of its own (killed through its process group).
    stubborn = inst.spawn([SH, "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"],
                          stdout=subprocess.PIPE)
    assert stubborn.stdout.readline() == b"ready\n"
    grandchild_file = os.path.join(inst.dir, "grandchild.pid")
    parent = inst.spawn([SH, "-c", f'sleep 60 & echo $! > {grandchild_file}; wait'])
    deadline = time.monotonic() + 5
    while not os.path.exists(grandchild_file) or not open(grandchild_file).read().strip():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    grandchild = int(open(grandchild_file).read())
    pids = inst.pids() + [grandchild]
    assert len(pids) == 5 and all(pid_alive(p) for p in pids)

    inst.term_grace = 0.5
    t0 = time.monotonic()
    inst.teardown()
    assert time.monotonic() - t0 < 3
    assert not any(pid_alive(p) for p in pids), [p for p in pids if pid_alive(p)]
    # Not even a zombie: the orphaned grandchild was adopted and reaped.
    assert not os.path.exists(f"/proc/{grandchild}")
    assert all(p.returncode is not None for p in inst.procs)
    assert stubborn.returncode == -9 and pair.returncode is not None
    assert parent.returncode == -15
    stubborn.stdout.close()
    # The listener is closed: nothing accepts on the port any more.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    inst.teardown()   # idempotent


def test_spawn_and_wait_for_port(instance):
    port = free_port()
    daemon = [sys.executable, "-c",
              "import socket,sys,time; time.sleep(0.3); "
              f"s=socket.create_server(('127.0.0.1',{port})); "
              "c,_=s.accept(); c.sendall(b'+OK daemon\\r\\n'); time.sleep(30)"]
    proc = instance.spawn(daemon)
    instance.wait_for_port(port, proc=proc)
    # wait_for_port's probe took the one accept; the daemon greeted it.  Just
    # check the process is still up, then let teardown stop it.
    assert proc.poll() is None


def test_wait_for_port_fails_when_daemon_exits(instance):
    proc = instance.spawn([SH, "-c", "echo boom >&2; exit 3"])
    with pytest.raises(pytest.fail.Exception, match=r"exited with 3.*boom"):
        instance.wait_for_port(free_port(), proc=proc, timeout=5)


def test_log_file_reaches_program(instance):
    proc = instance.spawn([SH, "-c", 'echo x >> "$CHAPAR_LOG_FILE"'])
    assert proc.wait(timeout=5) == 0
    assert instance.log_lines() == ["x"]
    assert os.environ.get("CHAPAR_LOG_FILE") != instance.log_path


def test_wait_for_log(instance):
    instance.spawn([SH, "-c", 'sleep 0.2; echo "imapd[$$]: notice: login alice" >> "$CHAPAR_LOG_FILE"'])
    m = instance.wait_for_log(r"^imapd\[(\d+)\]: notice: login (\w+)$", timeout=5)
    assert m.group(2) == "alice"
    with pytest.raises(pytest.fail.Exception, match="no log line matching"):
        instance.wait_for_log("never", timeout=0.2)


def missing_program():
    return find_program("imap/no-such-program")


def test_program_missing_fails_clearly(instance, tmp_path):
    with pytest.raises(pytest.fail.Exception,
                       match=r"program 'imap/no-such-program' is not built: .*imap/no-such-program does not exist"):
        missing_program()
    with pytest.raises(pytest.fail.Exception, match="is not built"):
        instance.program("imap/no-such-program")
    # An existing executable in a given build directory resolves.
    (tmp_path / "fake" / "imap").mkdir(parents=True)
    exe = tmp_path / "fake" / "imap" / "imapd"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    assert find_program("imap/imapd", str(tmp_path / "fake")) == str(exe)
    exe.chmod(0o644)
    with pytest.raises(pytest.fail.Exception, match="not executable"):
        find_program("imap/imapd", str(tmp_path / "fake"))


def test_argv_helper_adds_config(make_instance, tmp_path):
    (tmp_path / "b" / "imap").mkdir(parents=True)
    exe = tmp_path / "b" / "imap" / "imapd"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    inst = make_instance(build=str(tmp_path / "b"))
    assert inst.argv("imap/imapd", "-s") == [str(exe), "-C", inst.config_path, "-s"]


def test_free_port_is_bindable():
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        pass
    assert re.fullmatch(r"\d+", str(port)) and 0 < port < 65536


def test_sanitizer_reports_are_found(instance):
    """The fixture's check for sanitizer reports in server stderr works."""
    assert instance.sanitizer_reports() == []
    sock, proc = instance.socketpair(
        ["/bin/sh", "-c", "echo '==7==ERROR: AddressSanitizer: heap-use-after-"
         "free' >&2; echo 'x.c:3:5: runtime error: signed overflow' >&2"])
    proc.wait(timeout=5)
    sock.close()
    found = instance.sanitizer_reports()
    assert len(found) == 2
    assert "heap-use-after-free" in found[0]
    # Clean up so the fixture itself does not fail this test.
    for name in os.listdir(os.path.join(instance.dir, "stderr")):
        open(os.path.join(instance.dir, "stderr", name), "w").close()
