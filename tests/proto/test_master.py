"""master tests: the service table, listeners (TCP, IPv6, UNIX), implicit and
STARTTLS through master, libwrap allow/deny, motd/shutdown, proc/ and log/
files, crashed children, maxchild, SIGHUP reload, SIGTERM stop, restart
without losing mail, the pid file, privilege checks, and 200 concurrent
idle sessions with their memory per connection.

Each test starts master from the build tree (-D <build>/imap) with a private
service table on free loopback ports.  -U keeps the invoking user (tests run
as root in CI); the privilege-drop tests run only as root and use a
throwaway directory owned by nobody.
"""

import contextlib
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from chapar_instance import (ConnectionClosed, ClientTimeout, LineClient,
                             free_port, ipv6_available, pid_alive)

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}
GREETING = (r"^\* OK \[CAPABILITY [^\]]*\] chapar\.test Chapar IMAP server "
            r"ready$")


# ---- helpers ----------------------------------------------------------------

def write_table(inst, lines, name="cyrus.conf"):
    path = os.path.join(inst.dir, name)
    with open(path + ".tmp", "w") as f:
        f.write("# service table written by test_master.py\n")
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
    return path


def master_argv(inst, table, *extra, stay=True):
    argv = inst.argv("imap/server/master", "-M", table,
                     "-D", os.path.join(inst.build, "imap", "imapd"),
                     "-D", os.path.join(inst.build, "imap", "pop3d"))
    return argv + (["-U"] if stay else []) + list(extra)


def private_wrappers(inst):
    """Point libwrap at files of the instance (absent unless a test writes
    them: everyone allowed), never at the host's /etc/hosts.{allow,deny}."""
    if "hosts_allow" not in inst.options:
        inst.rewrite_config({"hosts_allow": os.path.join(inst.dir, "hosts.allow"),
                             "hosts_deny": os.path.join(inst.dir, "hosts.deny")})


def start_master(inst, lines, ports=(), stay=True, **kw):
    """Write the table, start master, wait until it is started and every
    port listens.  Returns the Popen."""
    private_wrappers(inst)
    table = write_table(inst, lines)
    p = inst.spawn(master_argv(inst, table, stay=stay), **kw)
    for port in ports:
        inst.wait_for_port(port, proc=p)
    inst.wait_for_log(rf"^master\[{p.pid}\]: notice: started: ")
    return p


def log_count(inst, regex):
    pat = re.compile(regex)
    return sum(1 for line in inst.log_lines() if pat.search(line))


def wait_log_count(inst, regex, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while log_count(inst, regex) < n:
        if time.monotonic() > deadline:
            pytest.fail(f"fewer than {n} log lines match /{regex}/; tail:\n"
                        + "\n".join(inst.log_lines()[-20:]))
        time.sleep(0.05)


def children_of(pid):
    """Live direct children of pid, from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            out.append(int(name))
    return out


def wait_until(cond, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def proc_files(inst):
    d = os.path.join(inst.conf_dir, "proc")
    return {int(n): open(os.path.join(d, n)).read()
            for n in os.listdir(d) if n.isdigit()}


def listen_inode(port):
    """Inode of the socket listening on TCP port (IPv4), from /proc/net/tcp."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                return int(fields[9])
    return None


def greet(inst, port, tls=False):
    c = inst.connect(port, tls=tls)
    c.expect(GREETING)
    return c


def lmtp_hello(sock):
    """An LMTP client on UNIX socket sock, past its LHLO."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    c = LineClient(s)
    c.expect(r"^220 ")
    c.send_line("LHLO mta.example")
    while not c.read_line().startswith("250 "):
        pass
    return c


def login(c, tag="l1", user="alice", pw="alicepw"):
    lines = c.command(tag, f"LOGIN {user} {pw}")
    assert lines[-1].startswith(f"{tag} OK"), lines


def at_maxchild_two(inst, p, port):
    """Two sessions on a service with maxchild=2, and a third connection
    that waits in the kernel's queue (no greeting): (a, b, c)."""
    a, b = greet(inst, port), greet(inst, port)
    inst.wait_for_log(rf"^master\[{p.pid}\]: notice: service=<imap> reached "
                      r"maxchild=<2>: new connections wait")
    c = inst.connect(port)
    with pytest.raises(ClientTimeout):
        c.read_line(timeout=0.7)
    assert len(children_of(p.pid)) == 2
    return a, b, c


def stop_master(inst, p, timeout=15):
    os.kill(p.pid, signal.SIGTERM)
    return p.wait(timeout=timeout)


@pytest.fixture
def fast(make_instance):
    return make_instance(options=FAST)


# ---- serving through master -------------------------------------------------

def test_imap_starttls_and_imaps(fast):
    imap, imaps = free_port(), free_port()
    p = start_master(fast, [
        f'imap   cmd="imapd" listen="127.0.0.1:{imap}" maxchild=10 prefork=0',
        f'imaps  cmd="imapd -s" listen="127.0.0.1:{imaps}"'], (imap, imaps))
    c = greet(fast, imap)
    login(c)
    assert c.command("a2", "SELECT INBOX")[-1].startswith("a2 OK [READ-WRITE]")
    c2 = greet(fast, imap)
    assert c2.command("s1", "STARTTLS")[-1] == "s1 OK Begin TLS negotiation now"
    c2.starttls(fast.client_context())
    login(c2, "s2")
    c3 = greet(fast, imaps, tls=True)
    assert c3.is_tls
    login(c3, "t1", "bob", "bobpw")
    for cl in (c, c2, c3):
        assert cl.command("z", "LOGOUT")[-1] == "z OK Completed"
    fast.wait_for_log(rf"^master\[{p.pid}\]: info: listening: "
                      rf"service=<imaps> address=<127\.0\.0\.1> port=<{imaps}>")
    fast.wait_for_log(r"^imapd\[\d+\]: info: starttls: .*TLSv1\.[23]")


def _socket_of(pid, peer):
    """A duplicate of the TCP socket process pid has connected to peer, the
    client's (address, port) (pidfd_getfd, Linux 5.6; root or the same
    user), or None (also when pid is gone meanwhile: the port probe's
    child exits any time)."""
    import ctypes
    import errno
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return None
    try:
        try:
            names = os.listdir(f"/proc/{pid}/fd")
        except FileNotFoundError:
            names = []
        for name in names:
            try:
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                    continue
            except OSError:
                continue
            fd = libc.syscall(438, pidfd, int(name), 0)    # pidfd_getfd
            if fd < 0 and ctypes.get_errno() in (errno.ESRCH, errno.EBADF):
                continue
            assert fd >= 0, os.strerror(ctypes.get_errno())
            s = socket.socket(fileno=fd)
            try:
                if s.family == socket.AF_INET and s.getpeername() == peer:
                    return s
            except OSError:             # not connected: a listener
                pass
            s.detach()
            os.close(fd)
    finally:
        os.close(pidfd)
    return None


def test_accepted_connections_have_nodelay(fast):
    """Servers write a whole response at once; Nagle would hold its tail
    back until the client's delayed ACK (tens of ms per command)."""
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    c = greet(fast, imap)
    # the imapd serving c (master may have another child, its probe)
    peer = c.sock.getsockname()
    socks = [s for s in (_socket_of(pid, peer) for pid in children_of(p.pid))
             if s is not None]
    assert len(socks) == 1, socks
    s = socks[0]
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    s.close()
    assert c.command("z", "LOGOUT")[-1] == "z OK Completed"


def test_ipv6_and_host_name_listeners(fast):
    if not ipv6_available():
        pytest.skip("IPv6 loopback ::1 not available")
    v6, named = free_port(socket.AF_INET6), free_port()
    p = start_master(fast, [f'imap6 cmd="imapd" listen="[::1]:{v6}"',
                            f'named cmd="imapd" listen="localhost:{named}" '
                            f'proto=tcp4'])
    fast.wait_for_port(v6, host="::1")
    c = LineClient.connect(v6, host="::1")
    c.expect(GREETING)
    c.close()
    greet(fast, named)
    fast.wait_for_log(rf"^master\[{p.pid}\]: info: listening: service=<named> "
                      rf"address=<127\.0\.0\.1> port=<{named}>$")


def test_program_search_path_and_arguments(fast):
    """Relative programs are looked up in each -D directory in order, and run
    as: program -C <imapd.conf> <arguments of cmd>."""
    bindir = os.path.join(fast.dir, "bin")
    os.mkdir(bindir)
    script = os.path.join(bindir, "greeter")
    with open(script, "w") as f:
        f.write('#!/bin/sh\necho "* OK greeter $*"\n')
    os.chmod(script, 0o755)
    g, imap = free_port(), free_port()
    private_wrappers(fast)
    table = write_table(fast, [f'g cmd="greeter one  two" listen="127.0.0.1:{g}"',
                               f'imap cmd="imapd" listen="127.0.0.1:{imap}"'])
    p = fast.spawn(master_argv(fast, table, "-D", bindir))
    fast.wait_for_log(rf"^master\[{p.pid}\]: notice: started: services=<2>")
    c = fast.connect(g)
    c.expect(rf"^\* OK greeter -C {re.escape(fast.config_path)} one two$")
    greet(fast, imap)


def test_libwrap_allow_deny_and_unix_socket(fast):
    imap, imaps = free_port(), free_port()
    sock = os.path.join(fast.conf_dir, "socket", "imap")
    allow = os.path.join(fast.dir, "hosts.allow")
    deny = os.path.join(fast.dir, "hosts.deny")
    with open(allow, "w") as f:
        f.write("imaps: 127.0.0.1\n")
    with open(deny, "w") as f:
        f.write("ALL: ALL\n")
    fast.rewrite_config({"hosts_allow": allow, "hosts_deny": deny})
    start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"',
                        f'imaps cmd="imapd -s" listen="127.0.0.1:{imaps}"',
                        f'local cmd="imapd" listen="{sock}"'], (imap, imaps))
    # Denied: closed before the server says a word, and logged at notice.
    c = fast.connect(imap)
    c.expect_eof()
    fast.wait_for_log(r"^master\[\d+\]: notice: denied: service=<imap> "
                      r"client=<127\.0\.0\.1>$")
    # Allowed by hosts.allow although hosts.deny says ALL.
    greet(fast, imaps, tls=True)
    # UNIX-socket connections are not checked.
    assert stat.S_ISSOCK(os.stat(sock).st_mode)
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(sock)
    lc = LineClient(u)
    lc.expect(GREETING)
    lc.close()
    assert log_count(fast, r"denied: service=<(imaps|local)>") == 0


def test_motd_and_shutdown_through_master(fast):
    imap = free_port()
    start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'], (imap,))
    msg = os.path.join(fast.conf_dir, "msg")
    with open(os.path.join(msg, "motd"), "w") as f:
        f.write("Maintenance tonight at 22:00\nsecond line not shown\n")
    c = greet(fast, imap)
    c.expect(r"^\* OK \[ALERT\] Maintenance tonight at 22:00$")
    with open(os.path.join(msg, "shutdown"), "w") as f:
        f.write("Server closed for the upgrade\n")
    c2 = fast.connect(imap)
    c2.expect(r"^\* BYE \[ALERT\] Server closed for the upgrade$")
    c2.expect_eof()
    os.unlink(os.path.join(msg, "shutdown"))
    greet(fast, imap)


def test_cyrus_options_warned_once(make_instance):
    """A Cyrus imapd.conf's options that Chapar does not use: one warning
    line, from master; its servers inherit that it was given."""
    inst = make_instance(options=dict(FAST, proc_path="/run/cyrus/proc",
                                      httpmodules="caldav carddav"))
    imap = free_port()
    p = start_master(inst, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    for tag in ("l1", "l2"):
        c = greet(inst, imap)
        login(c, tag)
        c.close()
    stop_master(inst, p)
    warned = [ln for ln in inst.log_lines() if "options of Cyrus IMAP" in ln]
    assert len(warned) == 1, warned
    assert re.search(rf"^master\[{p.pid}\]: warning: \S+imapd\.conf: "
                     r"ignoring 2 options of Cyrus IMAP that Chapar does not "
                     r"use: (proc_path httpmodules|httpmodules proc_path)$",
                     warned[0]), warned


def test_proc_files_and_telemetry(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    os.mkdir(os.path.join(fast.conf_dir, "log", "alice"))
    c = greet(fast, imap)
    # Once the wait_for_port probe's server is gone, one child and one file.
    wait_until(lambda: len(children_of(p.pid)) == 1 and
               len(proc_files(fast)) == 1, what="one child and its proc file")
    (pid, text), = proc_files(fast).items()
    assert re.fullmatch(r"\S+ \[127\.0\.0\.1\]\n", text), text
    login(c)
    assert proc_files(fast)[pid].endswith("[127.0.0.1]\talice\n")
    c.command("a2", "SELECT INBOX")
    assert proc_files(fast)[pid].endswith("\talice\tuser.alice\n")
    c.command("a3", "UNSELECT")
    assert proc_files(fast)[pid].endswith("\talice\n")
    c.command("a4", "LOGOUT")
    c.expect_eof()
    wait_until(lambda: not proc_files(fast), what="proc file removal")
    # The session after login went to log/alice/<pid>; the password did not.
    with open(os.path.join(fast.conf_dir, "log", "alice", str(pid)), "rb") as f:
        tele = f.read()
    assert b">l1 OK" in tele and b"<a2 SELECT INBOX\r\n" in tele
    assert b"alicepw" not in tele


def test_stale_proc_files_removed_at_start(fast):
    d = os.path.join(fast.conf_dir, "proc")
    dead = 1
    while pid_alive(dead) or os.path.exists(f"/proc/{dead}"):
        dead = (dead * 7 + 13) % 30000 + 300
    for name in (str(dead), f"{dead}.tmp", str(os.getpid()), "notes"):
        with open(os.path.join(d, name), "w") as f:
            f.write("host\n")
    imap = free_port()
    start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'], (imap,))
    assert sorted(os.listdir(d)) == sorted([str(os.getpid()), "notes"])


def test_killed_child_is_logged_and_others_keep_working(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    a, b = greet(fast, imap), greet(fast, imap)
    login(a)
    login(b, user="bob", pw="bobpw")
    wait_until(lambda: len(children_of(p.pid)) == 2, what="two children")
    victim = next(pid for pid, text in proc_files(fast).items()
                  if "\talice" in text)
    os.kill(victim, signal.SIGKILL)
    fast.wait_for_log(rf"^master\[{p.pid}\]: err: child killed: "
                      rf"service=<imap> pid=<{victim}> signal=<9> \(Killed\)$")
    with pytest.raises((ConnectionClosed, ConnectionResetError)):
        a.read_line(timeout=5)
    # Its proc file went with it (master removed it); bob is unaffected.
    assert victim not in proc_files(fast)
    assert b.command("b2", "NOOP")[-1] == "b2 OK Completed"
    c = greet(fast, imap)
    login(c, "c1")
    assert pid_alive(p.pid)


def test_maxchild_makes_the_next_connection_wait(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'maxchild=2'])
    fast.wait_for_log(r"listening: service=<imap>")
    a, b, c = at_maxchild_two(fast, p, imap)
    a.command("a1", "LOGOUT")
    c.expect(GREETING)              # served once a child exited
    assert b.command("b1", "NOOP")[-1] == "b1 OK Completed"


def test_sighup_reload(fast):
    keep, gone, new = free_port(), free_port(), free_port()
    p = start_master(fast, [f'keep cmd="imapd" listen="127.0.0.1:{keep}"',
                            f'gone cmd="imapd" listen="127.0.0.1:{gone}"'],
                     (keep, gone))
    old_session = greet(fast, keep)
    login(old_session)
    gone_session = greet(fast, gone)
    keep_inode = listen_inode(keep)
    assert keep_inode
    write_table(fast, [f'keep cmd="imapd" listen="127.0.0.1:{keep}" '
                       f'maxchild=50',
                       f'new cmd="imapd" listen="127.0.0.1:{new}"'])
    os.kill(p.pid, signal.SIGHUP)
    fast.wait_for_log(rf"^master\[{p.pid}\]: notice: reloaded: services=<2>$")
    fast.wait_for_log(r"notice: reload: service=<gone> removed; "
                      r"children=<\d+> finish")
    fast.wait_for_log(r"notice: reload: service=<new> added listen=")
    # The new service listens, the removed one does not; both old sessions
    # (on the kept and on the removed service) go on.
    greet(fast, new)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", gone), timeout=2)
    assert listen_inode(keep) == keep_inode     # the same socket, kept open
    assert old_session.command("a2", "NOOP")[-1] == "a2 OK Completed"
    assert gone_session.command("g1", "NOOP")[-1] == "g1 OK Completed"
    greet(fast, keep)
    gone_session.command("g2", "LOGOUT")
    fast.wait_for_log(r"info: service=<gone>: last child exited")
    # A broken table on reload keeps the running services.
    write_table(fast, ['keep cmd="imapd" listen="127.0.0.1:1" bogus=1'])
    os.kill(p.pid, signal.SIGHUP)
    fast.wait_for_log(r"err: reload: .*cyrus\.conf:2: unknown option <bogus>"
                      r".*; keeping the previous services")
    greet(fast, new)
    greet(fast, keep)


def test_sigterm_with_open_sessions(make_instance):
    inst = make_instance(options=dict(FAST, master_stop_timeout="3"))
    imap = free_port()
    p = start_master(inst, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    pidfile = os.path.join(inst.conf_dir, "master.pid")
    assert open(pidfile).read() == f"{p.pid}\n"
    sessions = [greet(inst, imap) for _ in range(3)]
    login(sessions[0])
    wait_until(lambda: len(children_of(p.pid)) == 3, what="three children")
    kids = children_of(p.pid)
    t0 = time.monotonic()
    assert stop_master(inst, p) == 0
    assert time.monotonic() - t0 < 3
    assert not any(pid_alive(k) for k in kids)
    assert not os.path.exists(pidfile)
    assert not proc_files(inst)
    inst.wait_for_log(rf"^master\[{p.pid}\]: notice: stopping: children=<3>$")
    inst.wait_for_log(rf"^master\[{p.pid}\]: notice: stopped$")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", imap), timeout=2)


def test_sigterm_kills_children_that_ignore_it(make_instance):
    inst = make_instance(options=dict(FAST, master_stop_timeout="1"))
    script = os.path.join(inst.dir, "stubborn")
    with open(script, "w") as f:
        f.write("#!/bin/sh\ntrap '' TERM\necho '* OK stubborn'\nexec sleep 60\n")
    os.chmod(script, 0o755)
    port = free_port()
    p = start_master(inst, [f'stubborn cmd="{script}" listen="127.0.0.1:{port}"'],
                     (port,))
    c = inst.connect(port)
    c.expect(r"^\* OK stubborn$")
    kids = children_of(p.pid)
    t0 = time.monotonic()
    assert stop_master(inst, p) == 0
    assert 0.9 < time.monotonic() - t0 < 4
    assert not any(pid_alive(k) for k in kids)
    inst.wait_for_log(r"warning: stopping: children=<\d+> still running "
                      r"after 1s: SIGKILL")
    assert log_count(inst, r"err: child killed") == 0


def test_restart_keeps_mail(fast):
    imap = free_port()
    lines = [f'imap cmd="imapd" listen="127.0.0.1:{imap}"']
    p = start_master(fast, lines, (imap,))
    msg = (b"From: a@example.org\r\nTo: alice@example.org\r\n"
           b"Subject: survives a restart\r\n\r\nbody line\r\n")
    m = imaplib.IMAP4("127.0.0.1", imap)
    m.login("alice", "alicepw")
    assert m.append("INBOX", r"(\Flagged)", None, msg)[0] == "OK"
    m.logout()
    assert stop_master(fast, p) == 0
    p2 = start_master(fast, lines, (imap,))
    assert p2.pid != p.pid
    m = imaplib.IMAP4("127.0.0.1", imap)
    m.login("alice", "alicepw")
    assert m.select("INBOX") == ("OK", [b"1"])
    typ, data = m.fetch("1", "(FLAGS BODY.PEEK[])")
    assert typ == "OK" and data[0][1] == msg
    assert b"\\Flagged" in data[0][0]
    m.logout()


def test_pidfile_lock_refuses_a_second_master(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    table = os.path.join(fast.dir, "cyrus.conf")
    r = subprocess.run(master_argv(fast, table), capture_output=True,
                       text=True, timeout=10, env=fast.env)
    assert r.returncode == 75
    assert f"another master runs for this instance: pid=<{p.pid}>" in r.stderr
    greet(fast, imap)


def test_bad_service_tables(fast):
    cases = [
        ('imap cmd="imapd" listen="127.0.0.1:1" maxchild=0',
         r"cyrus\.conf:2: maxchild=<0>: expected -1"),
        ('imap cmd="imapd"', r"cyrus\.conf:2: service imap needs cmd= and listen="),
        ('imap cmd="nosuchprogram" listen="1"',
         r"cyrus\.conf:2: cmd=<nosuchprogram>: program=<.*/imap/pop3d/nosuchprogram> "
         r"is not executable"),
        ('imap cmd="imapd" listen="::1:143"', r"cyrus\.conf:2: listen=<::1:143>: "),
        ('pop3 cmd="pop3d" listen="1" prefork=1',
         r"cyrus\.conf:2: prefork=<1>: only imapd serves as a preforked "
         r"worker; pop3d needs prefork=0"),
        ('imap cmd="imapd" listen="1" prefork=-1',
         r"cyrus\.conf:2: prefork=<-1>: expected 0 \(a process per "
         r"connection\) or 1\.\.100000"),
        ('imap cmd="imapd" listen="1" prefork=1 maxuses=0',
         r"cyrus\.conf:2: maxuses=<0>: expected 1\.\.1000000"),
        ('imap cmd="imapd listen="1"', r"cyrus\.conf:2: cmd: space expected"),
        ('imap cmd="imapd" listen="1"\nimap cmd="imapd" listen="2"',
         r"cyrus\.conf:3: service imap is defined twice"),
    ]
    for line, err in cases:
        table = write_table(fast, [line], "bad.conf")
        r = subprocess.run(master_argv(fast, table), capture_output=True,
                           text=True, timeout=10, env=fast.env)
        assert r.returncode == 78, (line, r.stderr)
        assert re.search(err.replace("cyrus", "bad"), r.stderr), (line, r.stderr)


def test_daemonize_writes_pidfile_and_detaches(fast):
    imap = free_port()
    private_wrappers(fast)
    table = write_table(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'])
    r = subprocess.run(master_argv(fast, table, "-d"), capture_output=True,
                       text=True, timeout=10, env=fast.env)
    pidfile = os.path.join(fast.conf_dir, "master.pid")
    assert r.returncode == 0, r.stderr
    pid = int(open(pidfile).read())
    try:
        assert pid_alive(pid)
        greet(fast, imap)
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        assert int(fields[3]) == pid     # its own session (setsid)
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not pid_alive(pid), 10, "daemon exit")
        # pytest is a subreaper (chapar_instance): the daemon is ours to reap.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    assert not os.path.exists(pidfile)


# ---- privileges (root only) -------------------------------------------------

def need_root():
    if os.geteuid() != 0:
        pytest.skip("needs root (the privilege drop only happens as root)")


def test_root_refuses_missing_or_root_user(fast):
    need_root()
    imap = free_port()
    table = write_table(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'])
    for opts, err in (
            ({"cyrus_user": "chapar-no-such-user"},
             "cyrus_user=<chapar-no-such-user> does not exist"),
            ({"cyrus_user": "root", "cyrus_group": "root"},
             "refusing to run the services as root")):
        fast.rewrite_config(opts)
        r = subprocess.run(master_argv(fast, table, stay=False),
                           capture_output=True, text=True, timeout=10,
                           env=fast.env)
        assert r.returncode == 75 and err in r.stderr, r.stderr


def test_root_drops_privileges(make_instance):
    """As root without -U: bind, then become nobody/nogroup for good; the
    children run as nobody too.  The instance lives in a directory owned by
    nobody (pytest's tmp_path is not reachable for it)."""
    need_root()
    try:
        nobody, nogroup = pwd.getpwnam("nobody"), grp.getgrnam("nogroup")
    except KeyError:
        pytest.skip("no nobody/nogroup on this system")
    inst = make_instance(options=FAST)
    d = tempfile.mkdtemp(prefix="chapar-master-drop-")
    try:
        os.chmod(d, 0o755)
        for sub in ("conf", "conf/proc", "conf/msg", "spool"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        log = os.path.join(d, "chapar.log")
        open(log, "w").close()
        imap = free_port()
        with open(os.path.join(d, "imapd.conf"), "w") as f:
            f.write(f"configdirectory: {d}/conf\npartition-default: {d}/spool\n"
                    f"servername: chapar.test\ncyrus_user: nobody\n"
                    f"cyrus_group: nogroup\nhosts_allow: {d}/hosts.allow\n"
                    f"hosts_deny: {d}/hosts.deny\n")
        with open(os.path.join(d, "cyrus.conf"), "w") as f:
            f.write(f'imap cmd="imapd" listen="127.0.0.1:{imap}"\n')
        for root, dirs, files in os.walk(d):
            for name in [root] + [os.path.join(root, x) for x in files]:
                os.chown(name, nobody.pw_uid, nogroup.gr_gid)
        p = inst.spawn([inst.program("imap/server/master"), "-C",
                        os.path.join(d, "imapd.conf"), "-M",
                        os.path.join(d, "cyrus.conf"), "-D",
                        os.path.join(inst.build, "imap", "imapd")],
                       env={"CHAPAR_LOG_FILE": log})
        inst.wait_for_port(imap, proc=p)
        c = LineClient.connect(imap)
        c.expect(GREETING)
        want = {"Uid": [str(nobody.pw_uid)] * 4,
                "Gid": [str(nogroup.gr_gid)] * 4}
        checked = 0
        for pid in [p.pid] + children_of(p.pid):
            # The child that served wait_for_port's probe may be exiting.
            try:
                with open(f"/proc/{pid}/status") as f:
                    status = dict(line.split(":", 1) for line in f
                                  if ":" in line)
            except FileNotFoundError:
                continue
            for key, ids in want.items():
                assert status[key].split() == ids, (pid, key, status[key])
            assert set(status["Groups"].split()) <= {str(nogroup.gr_gid)}
            checked += 1
        assert checked >= 2      # master and the child serving c
        c.close()
        with open(log) as f:
            assert re.search(r"notice: running as user=<nobody> uid=<\d+> "
                             r"group=<nogroup>", f.read())
        assert stop_master(inst, p) == 0
        assert not os.path.exists(os.path.join(d, "conf", "master.pid"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- many connections -------------------------------------------------------

def smaps_rollup(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        vals = {}
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                vals[parts[0][:-1]] = int(parts[1])
    return vals


def test_200_idle_authenticated_connections(fast):
    n = 200
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    t0 = time.monotonic()
    clients = [fast.connect(imap, timeout=20) for _ in range(n)]
    for c in clients:
        c.expect(GREETING)
    for i, c in enumerate(clients):
        c.send_line(f"l{i} LOGIN alice alicepw")
    for i, c in enumerate(clients):
        assert c.read_until(f"l{i}")[-1].startswith(f"l{i} OK")
    elapsed = time.monotonic() - t0
    wait_until(lambda: len(children_of(p.pid)) == n, what=f"{n} children")
    kids = children_of(p.pid)
    mem = [smaps_rollup(k) for k in kids]
    priv = sorted(m["Private_Clean"] + m["Private_Dirty"] for m in mem)
    pss = sorted(m["Pss"] for m in mem)
    master_mem = smaps_rollup(p.pid)
    print(f"\n{n} idle authenticated IMAP sessions in {elapsed:.1f}s; per "
          f"imapd: private median {priv[n // 2]} kB (min {priv[0]}, max "
          f"{priv[-1]}), Pss median {pss[n // 2]} kB, Rss median "
          f"{sorted(m['Rss'] for m in mem)[n // 2]} kB; master private "
          f"{master_mem['Private_Clean'] + master_mem['Private_Dirty']} kB")
    # All still alive and answering.
    for i, c in enumerate(clients[::20]):
        assert c.command(f"n{i}", "NOOP")[-1] == f"n{i} OK Completed"
    for c in clients:
        c.close()
    wait_until(lambda: not children_of(p.pid), 20, "children to exit")
    assert not proc_files(fast)



def test_700_sessions_with_a_mailbox_selected(make_instance):
    """Each session with a mailbox selected holds database handles in the
    shared Berkeley DB environment (about 4.5 mutexes and 2 lockers): with
    the engine's own sizing SELECT failed with BDB2034 and NO [SERVERBUG]
    from about the 400th to the 560th session (with or without IDLE).  The
    tables come from berkeley_locks_max (its default here, as in
    production)."""
    n = 700
    inst = make_instance(options=dict(FAST, berkeley_locks_max="50000"))
    imap = free_port()
    p = start_master(inst, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'maxchild={n + 10}'], (imap,))
    clients = []
    for i in range(n):
        c = inst.connect(imap, timeout=30)
        c.expect(GREETING)
        c.send_line(f"l{i} LOGIN alice alicepw")
        assert c.read_until(f"l{i}")[-1].startswith(f"l{i} OK")
        c.send_line(f"s{i} SELECT INBOX")
        assert c.read_until(f"s{i}")[-1].startswith(f"s{i} OK"), i
        clients.append(c)
    for i, c in enumerate(clients[::50]):
        assert c.command(f"n{i}", "NOOP")[-1] == f"n{i} OK Completed"
    assert not [ln for ln in inst.log_lines() if "BDB" in ln]
    for c in clients:
        c.close()
    wait_until(lambda: not children_of(p.pid), 60, "children to exit")


def test_lock_tables_remade_when_they_are_too_small(make_instance):
    """Regions made with smaller tables (an older Chapar, a smaller
    berkeley_locks_max) are remade by master at start: the engine sizes
    them only when it creates them.  Not again once they are big enough."""
    inst = make_instance(options=dict(FAST, berkeley_locks_max="2000"))
    imap = free_port()
    table = [f'imap cmd="imapd" listen="127.0.0.1:{imap}"']
    stop_master(inst, start_master(inst, table, (imap,)))
    remade = r"notice: db: remaking the environment's regions for " \
             r"berkeley_locks_max=<4000>"
    inst.rewrite_config({"berkeley_locks_max": "4000"})
    p = start_master(inst, table, (imap,))
    assert log_count(inst, remade) == 1
    c = greet(inst, imap)
    login(c)
    assert c.command("s", "SELECT INBOX")[-1].startswith("s OK")
    c.close()
    stop_master(inst, p)
    stop_master(inst, start_master(inst, table, (imap,)))
    assert log_count(inst, remade) == 1

def test_lmtp_on_unix_socket_and_imap_timeout(make_instance):
    """master runs lmtpd on a UNIX socket (as an MTA reaches it) next to
    imapd; a message delivered there is read over IMAP; an idle client that
    never logs in is logged out after logintimeout."""
    inst = make_instance(options=dict(FAST, logintimeout="2"))
    imap = free_port()
    sock = os.path.join(inst.conf_dir, "socket", "lmtp")
    private_wrappers(inst)
    table = write_table(inst, [
        f'imap cmd="imapd" listen="127.0.0.1:{imap}"',
        f'lmtp cmd="lmtpd" listen="{sock}"'])
    p = inst.spawn(master_argv(inst, table, "-D",
                               os.path.join(inst.build, "deliver")))
    inst.wait_for_port(imap, proc=p)
    inst.wait_for_log(rf"^master\[{p.pid}\]: notice: started: services=<2>")
    idle = greet(inst, imap)
    login(greet(inst, imap), "l0")          # creates alice's INBOX
    c = lmtp_hello(sock)
    c.send_line("MAIL FROM:<sender@example.org>")
    c.expect(r"^250 ")
    c.send_line("RCPT TO:<alice>")
    c.expect(r"^250 ")
    c.send_line("DATA")
    c.expect(r"^354 ")
    c.send(b"Subject: via the lmtp socket\r\n\r\nhello\r\n.\r\n")
    c.expect(r"^250 ")
    c.send_line("QUIT")
    m = imaplib.IMAP4("127.0.0.1", imap)
    m.login("alice", "alicepw")
    assert m.select("INBOX") == ("OK", [b"1"])
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: via the lmtp socket" in data[0][1]
    m.logout()
    idle.expect(r"^\* BYE Autologout; idle for too long$", timeout=5)
    idle.expect_eof()


def test_bad_certificate_is_a_startup_error(make_instance):
    """A missing certificate, or an implicit-TLS service without one, stops
    master at start with one clear line and EX_CONFIG (78)."""
    inst = make_instance(options=dict(FAST, tls_server_cert=os.path.join(
        "/nonexistent", "server.crt")))
    private_wrappers(inst)
    table = write_table(inst, [f'imaps cmd="imapd -s" listen="127.0.0.1:{free_port()}"'])
    p = subprocess.run(master_argv(inst, table), capture_output=True, text=True,
                       timeout=30, env={"CHAPAR_LOG_FILE": os.path.join(inst.dir, "x.log")})
    assert p.returncode == 78, p.stderr
    assert "/nonexistent/server.crt" in p.stderr
    inst.rewrite_config({"tls_server_cert": None, "tls_server_key": None})
    p = subprocess.run(master_argv(inst, table), capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 78, p.stderr
    assert "service=<imaps> uses implicit TLS (-s)" in p.stderr
