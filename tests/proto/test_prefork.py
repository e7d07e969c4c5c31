"""Preforked imapd workers (cyrus.conf prefork=N maxuses=M): master forks
and execs imapd once per worker; the worker accepts on the listener it was
handed, serves a connection, forgets it entirely, and takes the next.

The heart of it: a second user on a reused process sees nothing of the
first (identity, SASL, TLS, selected mailbox, ENABLEd extensions, a
half-sent literal, the proc file, telemetry).  maxchild=1 makes sure both
connections land on the same worker, and the proc file names its pid.
Then: maxuses, replacement of exiting and killed workers, maxchild,
maxperclient, libwrap, reload, the TLS context loaded before the
connection, and prefork=0 unchanged.  Every response is checked exactly.
"""

import os
import re
import signal
import time

import pytest

from chapar_instance import (ConnectionClosed, LineClient,
                             free_port, pid_alive)
from test_master import (FAST, GREETING, at_maxchild_two, children_of, greet,
                         log_count, login, proc_files, start_master,
                         wait_log_count, wait_until)

REFUSAL = ("* BYE [UNAVAILABLE] Too many connections from your address; "
           "try again later")


@pytest.fixture
def fast(make_instance):
    return make_instance(options=FAST)


def serving_pid(inst):
    """The pid of the one process with a proc file (a session is open)."""
    wait_until(lambda: len(proc_files(inst)) == 1, what="one proc file")
    (pid, _), = proc_files(inst).items()
    return pid


def logout(c, tag="z"):
    assert c.command(tag, "LOGOUT")[-2:] == [
        "* BYE Chapar IMAP server signing off", f"{tag} OK Completed"]
    c.expect_eof()


def close_session(inst, c):
    """Drop the connection and wait until its worker is idle again."""
    c.close()
    wait_until(lambda: not proc_files(inst), what="the session's end")


def capability(c, tag):
    lines = c.command(tag, "CAPABILITY")
    assert lines[-1] == f"{tag} OK Completed", lines
    return lines[0]


# With more than one possible worker, start_master is called without ports:
# its port probe, still queued when the test's first client connects, would
# make master start workers (and count a client) the test does not expect.
# master logs "started" only after its listeners exist.


def the_worker(master):
    """The pid of master's one child, once there is exactly one."""
    wait_until(lambda: len(children_of(master.pid)) == 1, what="one worker")
    pid, = children_of(master.pid)
    return pid


def one_worker(inst, port, extra=""):
    """master with one imapd worker (prefork=1 maxchild=1): every
    connection is served by the same process until maxuses."""
    return start_master(inst, [f'imap cmd="imapd" listen="127.0.0.1:{port}" '
                               f'prefork=1 maxchild=1 {extra}'], (port,))


def test_second_user_on_a_reused_worker_sees_nothing_of_the_first(fast):
    imap = free_port()
    one_worker(fast, imap, "maxuses=50")
    os.mkdir(os.path.join(fast.conf_dir, "log", "alice"))
    # A fresh session's view, for comparison.
    c = fast.connect(imap)
    fresh_greeting = c.read_line()
    assert re.match(GREETING, fresh_greeting)
    fresh_caps = capability(c, "f1")
    pid = serving_pid(fast)
    logout(c, "f2")

    # alice: TLS, login, CONDSTORE, a selected mailbox, a changed flag,
    # and a literal left half-sent.
    a = greet(fast, imap)
    assert serving_pid(fast) == pid
    assert a.command("a0", "STARTTLS")[-1] == "a0 OK Begin TLS negotiation now"
    a.starttls(fast.client_context())
    login(a, "a1")
    assert a.command("a2", "ENABLE CONDSTORE")[-2:] == [
        "* ENABLED CONDSTORE", "a2 OK Completed"]
    a.send(b"a3 APPEND INBOX {22}\r\n")
    assert a.read_line() == "+ go ahead"
    a.send(b"Subject: hi\r\n\r\nhello\r\n\r\n")
    assert a.read_until("a3")[-1].startswith("a3 OK [APPENDUID ")
    lines = a.command("a4", "SELECT INBOX")
    assert lines[-1] == "a4 OK [READ-WRITE] Completed"
    assert any(l.startswith("* OK [HIGHESTMODSEQ ") for l in lines)
    assert proc_files(fast)[pid].endswith("\talice\tuser.alice\n")
    lines = a.command("a5", "STORE 1 +FLAGS (\\Flagged)")
    assert re.fullmatch(r"\* 1 FETCH \(FLAGS \(\\Flagged \\Recent\) "
                        r"MODSEQ \(\d+\)\)",
                        lines[0]), lines
    a.send(b"a6 APPEND INBOX {30}\r\nSubject: half")
    assert a.read_line() == "+ go ahead"
    close_session(fast, a)

    # bob, on the same process: a fresh greeting in plaintext, fresh
    # capabilities, nothing selected, no identity, alice's password fails.
    b = fast.connect(imap)
    assert b.read_line() == fresh_greeting
    assert serving_pid(fast) == pid
    assert re.fullmatch(r"\S+ \[127\.0\.0\.1\]\n", proc_files(fast)[pid])
    assert not b.is_tls
    assert capability(b, "b1") == fresh_caps
    assert b.command("b2", "SELECT INBOX") == ["b2 BAD Please login first"]
    assert b.command("b3", "ENABLE CONDSTORE") == ["b3 BAD Please login first"]
    assert b.command("b4", "FETCH 1 FLAGS") == ["b4 BAD Please login first"]
    assert b.command("b5", "LOGIN bob alicepw") == [
        "b5 NO [AUTHENTICATIONFAILED] Authentication failed"]
    assert b.command("b6", "NOOP") == ["b6 OK Completed"]
    login(b, "b7", "bob", "bobpw")
    assert proc_files(fast)[pid].endswith("\tbob\n")
    assert b.command("b8", "FETCH 1 FLAGS") == [
        "b8 BAD Please select a mailbox first"]
    # CONDSTORE is not on: ENABLE turns it on now, not "already".
    assert b.command("b9", "ENABLE CONDSTORE")[-2:] == [
        "* ENABLED CONDSTORE", "b9 OK Completed"]
    lines = b.command("b10", "SELECT INBOX")
    assert lines[-1] == "b10 OK [READ-WRITE] Completed"
    assert "* 0 EXISTS" in lines            # bob's INBOX, not alice's
    logout(b, "b11")
    wait_until(lambda: not proc_files(fast), what="bob's proc file removal")
    # alice's telemetry has her session only.
    with open(os.path.join(fast.conf_dir, "log", "alice", str(pid)), "rb") as f:
        tele = f.read()
    assert b"<a4 SELECT INBOX\r\n" in tele
    # No line of bob's (his tags are b1..b11; a bare "b7" would also match
    # inside alice's random MAILBOXID or GUIDs).
    assert not re.search(rb"^<b\d", tele, re.M) and b"bobpw" not in tele
    assert log_count(fast, rf"^imapd\[{pid}\]: notice: logout: .* user=<alice>$") == 1
    assert log_count(fast, rf"^imapd\[{pid}\]: notice: logout: .* user=<bob>$") == 1


def test_worker_exits_after_maxuses_and_is_replaced(fast):
    imap = free_port()
    p = one_worker(fast, imap, "maxuses=3")
    first = the_worker(p)
    # The port probe of start_master was the first use; two more.
    for i in range(2):
        c = greet(fast, imap)
        assert serving_pid(fast) == first
        logout(c, f"z{i}")
    wait_until(lambda: not pid_alive(first), what="the worker's exit")
    c = greet(fast, imap)
    second = serving_pid(fast)
    assert second != first and children_of(p.pid) == [second]
    login(c)
    logout(c)
    assert log_count(fast, r"child (failed|killed)") == 0


def test_killed_worker_is_replaced(fast):
    imap = free_port()
    # No port probe: a probe still waiting for a worker when `a` connects
    # makes both workers busy at once and master start two more.
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'prefork=2'])
    wait_until(lambda: len(children_of(p.pid)) == 2, what="two workers")
    a = greet(fast, imap)
    login(a)
    victim = serving_pid(fast)
    wait_until(lambda: len(children_of(p.pid)) == 3, what="a third worker")
    os.kill(victim, signal.SIGKILL)
    fast.wait_for_log(rf"^master\[{p.pid}\]: err: child killed: "
                      rf"service=<imap> pid=<{victim}> signal=<9> \(Killed\)$")
    with pytest.raises((ConnectionClosed, ConnectionResetError)):
        a.read_line(timeout=5)
    assert victim not in proc_files(fast)
    wait_until(lambda: len(children_of(p.pid)) == 2, what="two idle workers")
    for user in ("alice", "bob"):
        c = greet(fast, imap)
        login(c, user=user, pw=f"{user}pw")
        logout(c)


def test_maxchild_with_prefork(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'prefork=1 maxchild=2'])
    a, b, c = at_maxchild_two(fast, p, imap)
    logout(a, "a1")
    c.expect(GREETING)              # a's worker takes it
    assert len(children_of(p.pid)) == 2
    fast.wait_for_log(rf"^master\[{p.pid}\]: info: service=<imap> has an "
                      r"idle worker again$")
    # Logged when all workers are busy (a and b; then b and c), not when
    # they start.
    wait_log_count(fast, r"reached maxchild=<2>", 2)
    assert log_count(fast, r"reached maxchild") == 2
    assert b.command("b1", "NOOP") == ["b1 OK Completed"]


def test_maxperclient_with_prefork(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'prefork=1 maxperclient=2'])
    a, b = greet(fast, imap), greet(fast, imap)
    c = fast.connect(imap)
    assert c.read_line() == REFUSAL
    c.expect_eof()
    fast.wait_for_log(rf"^master\[{p.pid}\]: warning: refused: service=<imap> "
                      r"client=<127\.0\.0\.1>: maxperclient=<2> connections "
                      r"from this address \(refused=<1>\)$")
    # The refusing worker is idle again, and a slot frees with a logout.
    logout(a, "a1")
    wait_until(lambda: len(proc_files(fast)) == 1, what="a's end")
    time.sleep(0.2)                 # master reads the worker's "ready"
    d = greet(fast, imap)
    login(d, "d1", "bob", "bobpw")
    assert b.command("b1", "NOOP") == ["b1 OK Completed"]
    e = fast.connect(imap)
    assert e.read_line() == REFUSAL
    e.expect_eof()


def test_libwrap_denies_in_the_worker(fast):
    imap = free_port()
    deny = os.path.join(fast.dir, "hosts.deny")
    with open(deny, "w") as f:
        f.write("imap: 127.0.0.1\n")
    fast.rewrite_config({"hosts_allow": os.path.join(fast.dir, "hosts.allow"),
                         "hosts_deny": deny})
    worker = the_worker(one_worker(fast, imap))
    c = fast.connect(imap)
    c.expect_eof()
    fast.wait_for_log(rf"^imapd\[{worker}\]: notice: denied: service=<imap> "
                      r"client=<127\.0\.0\.1>$")
    os.unlink(deny)
    c = greet(fast, imap)
    assert serving_pid(fast) == worker
    logout(c)


def test_tls_context_is_loaded_before_the_connection(fast):
    """A worker builds its TLS context before its first connection: with
    the certificate gone afterwards, STARTTLS and imaps still work there
    (a prefork=0 child would read the files at STARTTLS and fail)."""
    imap, imaps, once = free_port(), free_port(), free_port()
    start_master(fast, [
        f'imap cmd="imapd" listen="127.0.0.1:{imap}" prefork=1 maxchild=1',
        f'imaps cmd="imapd -s" listen="127.0.0.1:{imaps}" prefork=1 '
        f'maxchild=1',
        f'once cmd="imapd" listen="127.0.0.1:{once}" prefork=0'],
        (imap, imaps, once))
    # Both workers are up once each has greeted someone.
    logout(greet(fast, imap))
    logout(greet(fast, imaps, tls=True))
    ctx = fast.client_context()
    os.unlink(fast.cert_path)
    os.unlink(fast.key_path)
    for _ in range(2):
        c = greet(fast, imap)
        assert c.command("s1", "STARTTLS") == ["s1 OK Begin TLS negotiation now"]
        c.starttls(ctx)
        login(c, "s2")
        logout(c)
        s = LineClient.connect(imaps, tls=ctx)
        s.expect(GREETING)
        login(s, "t1", "bob", "bobpw")
        logout(s)
    assert log_count(fast, r"TLS disabled") == 0
    c = greet(fast, once)
    assert c.command("s1", "STARTTLS") == [
        "s1 NO TLS is not configured on this server"]
    fast.wait_for_log(r"^imapd\[\d+\]: err: TLS disabled: cannot read "
                      r"certificate file ")


def test_reload_replaces_workers_and_keeps_sessions(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'prefork=1 maxchild=2'])
    old = the_worker(p)
    a = greet(fast, imap)
    login(a)
    assert serving_pid(fast) == old
    os.kill(p.pid, signal.SIGHUP)
    fast.wait_for_log(rf"^master\[{p.pid}\]: notice: reloaded: services=<1>$")
    # The busy old worker finishes its session, then exits; a new one
    # serves new connections.
    assert a.command("a2", "NOOP") == ["a2 OK Completed"]
    b = greet(fast, imap)
    assert b.command("b1", "NOOP") == ["b1 OK Completed"]
    logout(a)
    wait_until(lambda: not pid_alive(old), what="the old worker's exit")
    logout(b)
    assert log_count(fast, r"child (failed|killed)") == 0


def test_prefork_zero_forks_per_connection(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'prefork=0'], (imap,))
    pids = []
    for _ in range(2):
        c = greet(fast, imap)
        wait_until(lambda: len(children_of(p.pid)) == 1, what="one child")
        pids.append(serving_pid(fast))
        logout(c)
        wait_until(lambda: not children_of(p.pid), what="the child's exit")
    assert pids[0] != pids[1]
