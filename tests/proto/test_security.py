"""Security defaults (doc/install.md, "Security"): the TLS profile
(tls_versions, tls_ciphers, tls_prefer_server_ciphers) seen by Debian's
openssl s_client on implicit TLS and STARTTLS, TCP keepalive on every
accepted connection, and the root rule: every program that writes the store
refuses to run as root without -U, writing nothing.

The TLS and keepalive tests run as any user; the root-rule tests need root
(the CI runs the suite as root).
"""

import os
import re
import socket
import subprocess
import time

import pytest

from chapar_instance import OPENSSL, ROOT_REFUSING, free_port
from test_master import master_argv, start_master

MSG = b"From: a@example.org\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
STRONG12 = "ECDHE-RSA-AES128-GCM-SHA256"


# ---- TLS ----------------------------------------------------------------------

def s_client(port, *args, starttls=None):
    """Run openssl s_client against 127.0.0.1:port; returns (established,
    protocol, cipher, output)."""
    argv = [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-brief",
            "-servername", "localhost", *args]
    if starttls:
        argv += ["-starttls", starttls]
    p = subprocess.run(argv, input=b"", capture_output=True, timeout=30)
    out = (p.stdout + p.stderr).decode(errors="replace")
    proto = re.search(r"^Protocol version: (\S+)$", out, re.M)
    cipher = re.search(r"^Ciphersuite: (\S+)$", out, re.M)
    established = "CONNECTION ESTABLISHED" in out
    assert established == (p.returncode == 0), out
    return (established, proto and proto.group(1), cipher and cipher.group(1),
            out)


def refused(inst, port, args, reason, starttls=None):
    """The handshake fails, and the server logs OpenSSL's reason."""
    before = len(inst.log_lines())
    ok, _, _, out = s_client(port, *args, starttls=starttls)
    assert not ok, out
    deadline = time.monotonic() + 5
    while not any(reason in line and "TLS" in line
                  for line in inst.log_lines()[before:]):
        assert time.monotonic() < deadline, inst.log_lines()[before:]
        time.sleep(0.05)


def accepted(port, args, proto, cipher=None, starttls=None):
    ok, got_proto, got_cipher, out = s_client(port, *args, starttls=starttls)
    assert ok, out
    assert got_proto == proto, out
    if cipher:
        assert got_cipher == cipher, out
    return got_cipher


# What Mozilla's "intermediate" profile refuses and accepts; the reason is
# OpenSSL's, as the server logs it.  The TLS 1.1 client lowers its own
# security level so that the refusal is the server's.
PROFILE = [
    (["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], None, "unsupported protocol"),
    (["-tls1_2", "-cipher", "AES128-GCM-SHA256"], None, "no shared cipher"),
    (["-tls1_2", "-cipher", "AES256-SHA256"], None, "no shared cipher"),
    (["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"], None, "no shared cipher"),
    (["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"], None,
     "no shared cipher"),
    (["-tls1_2", "-cipher", STRONG12], ("TLSv1.2", STRONG12), None),
    (["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"],
     ("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305"), None),
    (["-tls1_3"], ("TLSv1.3", None), None),
]


def check_profile(inst, port, starttls=None):
    for args, good, reason in PROFILE:
        if good:
            accepted(port, args, *good, starttls=starttls)
        else:
            refused(inst, port, args, reason, starttls=starttls)


def test_imaps_tls_profile(instance):
    port = instance.serve_tcp(instance.argv("imap/imapd/imapd", "-s"))
    check_profile(instance, port)


def test_imap_starttls_tls_profile(instance):
    port = instance.serve_tcp(instance.argv("imap/imapd/imapd"))
    check_profile(instance, port, starttls="imap")


def test_pop3s_same_profile(instance):
    # pop3d builds its context with the same server_common_tls_ctx().
    port = instance.serve_tcp(instance.argv("imap/pop3d/pop3d", "-s"))
    refused(instance, port, ["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
            "no shared cipher")
    refused(instance, port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"],
            "no shared cipher")
    accepted(port, ["-tls1_2", "-cipher", STRONG12], "TLSv1.2", STRONG12)
    accepted(port, ["-tls1_3"], "TLSv1.3")


def test_tls_versions_tls13_only(make_instance):
    inst = make_instance(options={"tls_versions": "tls1_3"})
    for argv, starttls in ((inst.argv("imap/imapd/imapd", "-s"), None),
                           (inst.argv("imap/imapd/imapd"), "imap")):
        port = inst.serve_tcp(argv)
        refused(inst, port, ["-tls1_2", "-cipher", STRONG12],
                "unsupported protocol", starttls=starttls)
        accepted(port, ["-tls1_3"], "TLSv1.3", starttls=starttls)


def test_tls_versions_tls12_only(make_instance):
    inst = make_instance(options={"tls_versions": "tls1_2"})
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd", "-s"))
    refused(inst, port, ["-tls1_3"], "unsupported protocol")
    accepted(port, ["-tls1_2", "-cipher", STRONG12], "TLSv1.2", STRONG12)


def test_tls_prefer_server_ciphers(make_instance):
    # The client lists AES-256 first; the default list has AES-128 first.
    offer = ["-tls1_2", "-cipher",
             "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"]
    inst = make_instance()
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd", "-s"))
    accepted(port, offer, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")
    inst.rewrite_config({"tls_prefer_server_ciphers": "yes"})
    accepted(port, offer, "TLSv1.2", STRONG12)


def test_tls_ciphers_option(make_instance):
    inst = make_instance(options={"tls_ciphers": "ECDHE-RSA-AES256-GCM-SHA384"})
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd", "-s"))
    refused(inst, port, ["-tls1_2", "-cipher", STRONG12], "no shared cipher")
    accepted(port, ["-tls1_2"], "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384")


@pytest.mark.parametrize("value", ["tls1_1", "tls1_2,tls1_3", "TLSv1.2", ""])
def test_bad_tls_versions_refuses_start(make_instance, value):
    inst = make_instance(options={"tls_versions": value})
    line = [n for n, text in enumerate(inst.read_config().splitlines(), 1)
            if text.startswith("tls_versions:")][0]
    bad = value.split()[0] if value else ""
    want = (f'{inst.config_path}:{line}: tls_versions: "{bad}" is not one '
            f'of tls1_2, tls1_3\n')
    for prog in ("imap/imapd/imapd", "imap/pop3d/pop3d"):
        p = subprocess.run(inst.argv(prog), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=10)
        assert (p.returncode, p.stdout, p.stderr) == (78, "", want)
    table = os.path.join(inst.dir, "cyrus.conf")
    with open(table, "w") as f:
        f.write(f'imaps cmd="imapd -s" listen="127.0.0.1:{free_port()}"\n')
    p = subprocess.run(master_argv(inst, table), capture_output=True,
                       text=True, timeout=10, env=inst.env)
    assert (p.returncode, p.stderr) == (78, want)


def test_bad_tls_ciphers_refuses_master_start(make_instance):
    inst = make_instance(options={"tls_ciphers": "NO-SUCH-CIPHER"})
    table = os.path.join(inst.dir, "cyrus.conf")
    with open(table, "w") as f:
        f.write(f'imaps cmd="imapd -s" listen="127.0.0.1:{free_port()}"\n')
    p = subprocess.run(master_argv(inst, table), capture_output=True,
                       text=True, timeout=10, env=inst.env)
    assert p.returncode == 78
    assert re.search(r'TLS: bad TLS cipher list "NO-SUCH-CIPHER" \(OpenSSL: '
                     r'no cipher match\)$', p.stderr.strip()), p.stderr


# ---- TCP keepalive ------------------------------------------------------------

def server_side_timer(port):
    """The timer ss shows for the server end (local port `port`) of the one
    established loopback connection on it: "keepalive" once seen within 2 s
    (a retransmission timer may show for an instant after a write), else
    what was last seen (None: no timer)."""
    deadline = time.monotonic() + 2
    timer = None
    while True:
        out = subprocess.run(["ss", "-tnoH", "state", "established",
                              f"( sport = :{port} )"],
                             capture_output=True, text=True, check=True).stdout
        assert len(out.strip().splitlines()) == 1, out
        m = re.search(r"timer:\((\w+),", out)
        timer = m.group(1) if m else None
        if timer == "keepalive" or time.monotonic() > deadline:
            return timer
        time.sleep(0.05)


def test_keepalive_inetd_style(instance):
    port = instance.serve_tcp(instance.argv("imap/imapd/imapd"))
    c = instance.connect(port)
    c.expect(r"^\* OK ")
    assert server_side_timer(port) == "keepalive"


def test_keepalive_through_master(instance):
    # The service is a script, so the setting can only come from master's
    # accept path (imapd would set it on its fd 0 as well).
    script = os.path.join(instance.dir, "hello")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho hello\nread line\n")
    os.chmod(script, 0o755)
    port = free_port()
    start_master(instance, [f'hello cmd="{script}" listen="127.0.0.1:{port}"'],
                 (port,))
    c = instance.connect(port)
    c.expect(r"^hello$")
    assert server_side_timer(port) == "keepalive"
    c.send_line("bye")


def test_keepalive_off_without_it():
    # The control: a plain accepted socket shows no timer, so the tests above
    # see the servers' setting, not a system default.
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        port = lst.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            conn, _ = lst.accept()
            with conn:
                assert server_side_timer(port) is None
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                assert server_side_timer(port) == "keepalive"


# ---- the root rule ------------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the root rule applies to root only")

# Each program with arguments that would write the store.
WRITERS = {
    "imap/imapd/imapd": [],
    "imap/pop3d/pop3d": [],
    "deliver/lmtpd": [],
    "deliver/deliver": ["alice"],
    "tools/reconstruct": ["-r", "user.alice"],
    "tools/quota": ["-f"],
    "tools/ctl_mboxlist": ["-u"],
    "tools/ctl_cyrusdb": ["-c"],
    "tools/ipurge": ["-f", "-d", "1"],
    "tools/unexpunge": ["-l", "user.alice"],
}


def snapshot(inst):
    """Every path under the instance's configdirectory and partition, with
    its size, mtime and owner."""
    found = {}
    for top in (inst.conf_dir, inst.spool_dir):
        for d, dirs, files in os.walk(top):
            for name in dirs + files:
                st = os.lstat(os.path.join(d, name))
                found[os.path.join(d, name)] = (st.st_size, st.st_mtime_ns,
                                                st.st_uid)
    return found


def run_as_root(inst, prog, args, allow, env_extra=None):
    argv = [inst.program(prog), "-C", inst.config_path, *(["-U"] if allow else []),
            *args]
    env = {k: v for k, v in inst.env.items() if k != "CHAPAR_ALLOW_ROOT"}
    env.update(env_extra or {})
    return subprocess.run(argv, input=MSG if prog == "deliver/deliver" else b"",
                          capture_output=True, timeout=30, env=env)


@pytest.fixture
def store(make_instance):
    """An instance with user.alice holding one message (cyrus_user set, so
    the message must name it)."""
    inst = make_instance(options={"cyrus_user": "mailsrv"})
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    c = inst.connect(port)
    c.expect(r"^\* OK ")
    assert c.command("a", "LOGIN admin adminpw")[-1].startswith("a OK")
    assert c.command("b", "CREATE user.alice")[-1].startswith("b OK")
    c.command("c", "LOGOUT")
    p = subprocess.run(inst.argv("deliver/deliver", "alice"), input=MSG,
                       capture_output=True, timeout=30, env=inst.env)
    assert p.returncode == 0, p.stderr
    return inst


def test_writers_list_matches_instance():
    # Instance.argv() gives -U to exactly the programs tested here.
    assert sorted(WRITERS) == sorted(ROOT_REFUSING)


@needs_root
@pytest.mark.parametrize("prog", sorted(WRITERS))
def test_root_refused_without_U(store, prog):
    name = os.path.basename(prog)
    before = snapshot(store)
    time.sleep(0.01)
    p = run_as_root(store, prog, WRITERS[prog], allow=False)
    assert p.returncode == 64
    assert p.stdout == b""
    assert p.stderr.decode() == (f"{name}: must run as the mailsrv user, not "
                                 f"root (-U overrides)\n")
    assert snapshot(store) == before
    assert any(re.search(rf"^{name}\[\d+\]: err: must run as the mailsrv "
                         rf"user, not root \(-U overrides\)$", line)
               for line in store.log_lines())


@needs_root
@pytest.mark.parametrize("prog", sorted(WRITERS))
def test_root_override(store, prog):
    # -U and the environment master -U exports both let the program run.
    for allow, env in ((True, None), (False, {"CHAPAR_ALLOW_ROOT": "1"})):
        args = ["-d"] if prog == "tools/ctl_mboxlist" else WRITERS[prog]
        p = run_as_root(store, prog, args, allow=allow, env_extra=env)
        assert b"must run as" not in p.stderr
        assert p.returncode == 0, p.stderr


@needs_root
def test_root_override_servers_answer(store):
    # imapd, pop3d and lmtpd with -U really serve (greeting over a socket).
    for prog, greeting in (("imap/imapd/imapd", r"^\* OK "),
                           ("imap/pop3d/pop3d", r"^\+OK "),
                           ("deliver/lmtpd", r"^220 ")):
        port = store.serve_tcp(store.argv(prog))
        c = store.connect(port)
        c.expect(greeting)


@needs_root
def test_master_U_passes_the_override_to_services(store):
    # cmd="imapd" has no -U: master -U exports the override to it.
    port = free_port()
    start_master(store, [f'imap cmd="imapd" listen="127.0.0.1:{port}"'], (port,))
    c = store.connect(port)
    c.expect(r"^\* OK ")
    assert c.command("a", "LOGIN alice alicepw")[-1].startswith("a OK")
    assert c.command("b", "SELECT INBOX")[-1].startswith("b OK")
