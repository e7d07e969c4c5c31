"""Abuse limits (issue 17): password guessing and slow or idle clients.

Password guessing (imap/server/login_limit.h): failures are counted per
user name and per client address across every connection and process, the
pause before a failure's answer grows, and a name or address that reached
its limit is refused -- a right password too -- until loginlimit_lockout
has passed; an unknown user and a wrong password are answered alike.

Slow clients: master bounds the connections of one client address per
service (maxperclient in cyrus.conf) and keeps serving other addresses; the
whole time before login is bounded by logintimeout, however busily a client
sends bytes.

"Other clients" are loopback connections bound to 127.0.0.2, 127.0.0.3 ...
Every test runs master on free loopback ports with short windows.
"""

import os
import re
import socket
import threading
import time

from chapar_instance import ConnectionClosed, LineClient, free_port
from test_master import GREETING, start_master, stop_master, wait_until

POP_GREETING = r"^\+OK chapar\.test Chapar POP3 server ready"
AUTHFAIL = "NO [AUTHENTICATIONFAILED] Authentication failed"
LOCKED = "NO [UNAVAILABLE] Too many failed logins; try again later"
POP_AUTHFAIL = "-ERR [AUTH] Authentication failed"
POP_LOCKED = "-ERR [SYS/TEMP] Too many failed logins; try again later"
TOO_MANY = ("* BYE [UNAVAILABLE] Too many connections from your address; "
            "try again later")
BASE = {"failedloginpause": "0", "autocreatequota": "-1",
        "loginlimit_window": "60", "loginlimit_lockout": "2"}


def any_child(pid):
    """1 if pid has a child, a zombie not yet reaped included."""
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def connect_from(inst, port, source):
    """A LineClient to 127.0.0.1:port whose source address is `source`."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    c = LineClient(s)
    inst._clients.append(c)     # closed at teardown
    return c


def imap_from(inst, port, source):
    c = connect_from(inst, port, source)
    c.expect(GREETING)
    return c


def imap_login(inst, port, source, user, pw, tag="l1"):
    """The tagged answer to LOGIN on a new connection from source."""
    c = imap_from(inst, port, source)
    line = c.command(tag, f"LOGIN {user} {pw}")[-1]
    c.close()
    return line


def pop_login(inst, port, source, user, pw):
    c = connect_from(inst, port, source)
    c.expect(POP_GREETING)
    c.send_line(f"USER {user}")
    assert c.read_line() == "+OK Name is a valid mailbox"
    c.send_line(f"PASS {pw}")
    line = c.read_line()
    c.close()
    return line


def start(inst, imap, pop=None, extra=""):
    lines = [f'imap cmd="imapd" listen="127.0.0.1:{imap}"{extra}']
    if pop:
        lines.append(f'pop3 cmd="pop3d" listen="127.0.0.1:{pop}"')
    return start_master(inst, lines, [imap] + ([pop] if pop else []))


# ---- password guessing ------------------------------------------------------

def test_user_lockout_across_addresses(make_instance):
    """Three failures for alice from three addresses lock the name: a fourth
    address with the right password is refused over IMAP and POP3 (logged
    for fail2ban), bob is not affected, and after loginlimit_lockout alice
    logs in again."""
    inst = make_instance(options=dict(BASE, loginlimit_user="3",
                                      loginlimit_client="0"))
    imap, pop = free_port(), free_port()
    p = start(inst, imap, pop)
    for i, src in enumerate(("127.0.0.2", "127.0.0.3", "127.0.0.4")):
        assert imap_login(inst, imap, src, "alice", f"guess{i}") == \
            "l1 " + AUTHFAIL
    t0 = time.monotonic()
    assert imap_login(inst, imap, "127.0.0.5", "alice", "alicepw") == \
        "l1 " + LOCKED
    assert imap_login(inst, imap, "127.0.0.5", "ALICE", "alicepw") == \
        "l1 " + LOCKED
    assert pop_login(inst, pop, "127.0.0.6", "alice", "alicepw") == POP_LOCKED
    assert imap_login(inst, imap, "127.0.0.5", "bob", "bobpw").startswith(
        "l1 OK")
    inst.wait_for_log(r"warning: lockout: \S* ?\[127\.0\.0\.4\] user=<alice> "
                      r"by=user failures=<3> seconds=<2>$")
    inst.wait_for_log(r"warning: badlogin: \S* ?\[127\.0\.0\.5\] plaintext "
                      r"alice locked out \(user\)$")
    inst.wait_for_log(r"warning: badlogin: \S* ?\[127\.0\.0\.2\] plaintext "
                      r"alice ")
    time.sleep(max(0.0, 2.2 - (time.monotonic() - t0)))
    assert imap_login(inst, imap, "127.0.0.5", "alice", "alicepw").startswith(
        "l1 OK")
    assert stop_master(inst, p) == 0


def test_client_lockout_across_users(make_instance):
    """Failures as three different (unknown) users from one address lock the
    address: the right password for alice is refused from there, by LOGIN,
    AUTHENTICATE PLAIN and POP3, and accepted from another address; after the
    lockout the address may log in again."""
    inst = make_instance(options=dict(BASE, loginlimit_user="0",
                                      loginlimit_client="3"))
    imap, pop = free_port(), free_port()
    p = start(inst, imap, pop)
    c = imap_from(inst, imap, "127.0.0.7")
    for i in range(3):
        assert c.command(f"a{i}", f"LOGIN nosuch{i} pw")[-1] == \
            f"a{i} " + AUTHFAIL
    t0 = time.monotonic()
    assert c.command("a3", "LOGIN alice alicepw")[-1] == "a3 " + LOCKED
    # AUTHENTICATE PLAIN with an initial response: \0alice\0alicepw
    assert c.command("a4", "AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlcHc=")[-1] == \
        "a4 " + LOCKED
    assert pop_login(inst, pop, "127.0.0.7", "alice", "alicepw") == POP_LOCKED
    assert imap_login(inst, imap, "127.0.0.8", "alice", "alicepw").startswith(
        "l1 OK")
    inst.wait_for_log(r"warning: lockout: \S* ?\[127\.0\.0\.7\] "
                      r"user=<nosuch2> by=client failures=<3> seconds=<2>$")
    time.sleep(max(0.0, 2.2 - (time.monotonic() - t0)))
    assert c.command("a5", "LOGIN alice alicepw")[-1].startswith("a5 OK")
    assert stop_master(inst, p) == 0


def test_growing_delay_and_no_user_enumeration(make_instance):
    """A wrong password for a real user and any password for an unknown one
    get the same answers after the same pauses -- failedloginpause (1 s),
    then doubled (2 s) by the earlier failure from another connection --
    and the same lockout after two failures."""
    inst = make_instance(options=dict(BASE, failedloginpause="1",
                                      loginlimit_maxdelay="2",
                                      loginlimit_user="2",
                                      loginlimit_client="0",
                                      loginlimit_lockout="20"))
    imap, pop = free_port(), free_port()
    p = start(inst, imap, pop)
    results = {}

    def guesses(user, sources):
        out = []
        for i, src in enumerate(sources):
            t = time.monotonic()
            if i == 1:
                out.append(pop_login(inst, pop, src, user, "wrong"))
            else:
                out.append(imap_login(inst, imap, src, user, "wrong"))
            out.append(time.monotonic() - t)
        results[user] = out

    threads = [threading.Thread(target=guesses, args=(u, srcs)) for u, srcs in
               (("alice", ("127.0.0.2", "127.0.0.3", "127.0.0.4")),
                ("nosuchuser", ("127.0.0.5", "127.0.0.6", "127.0.0.7")))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for user in ("alice", "nosuchuser"):
        r = results[user]
        assert r[0::2] == ["l1 " + AUTHFAIL, POP_AUTHFAIL, "l1 " + LOCKED], r
        assert 0.9 <= r[1] < 1.8, r     # failedloginpause
        assert 1.9 <= r[3] < 3.0, r     # doubled by the first failure
        assert r[5] < 0.9, r            # refused at once, no pause
    assert stop_master(inst, p) == 0


# ---- slow and idle clients --------------------------------------------------

def test_one_address_cannot_take_every_child(make_instance):
    """40 connections from 127.0.0.1 that dribble a byte every 0.3 s: master
    serves maxperclient=6 of them, refuses the rest at once with a clear
    line (logged) and keeps maxchild=12 free enough that a client from
    127.0.0.2 is greeted and logged in within 1 s."""
    inst = make_instance(options=BASE)
    imap = free_port()
    p = start(inst, imap, extra=" maxchild=12 maxperclient=6")
    # The probe connection of start_master() is served, gone and reaped
    # first.
    inst.wait_for_log(r"imapd\[\d+\]: info: accepted connection")
    wait_until(lambda: not any_child(p.pid), what="the probe's imapd")
    flood = [connect_from(inst, imap, "127.0.0.1") for _ in range(40)]
    served = []
    for c in flood:
        line = c.read_line()
        if re.match(GREETING, line):
            served.append(c)
        else:
            assert line == TOO_MANY
            c.expect_eof(timeout=5)
    assert len(served) == 6
    stop = threading.Event()

    def dribble():
        while not stop.is_set():
            for c in served:
                c.send(b"a")
            stop.wait(0.3)

    t = threading.Thread(target=dribble)
    t.start()
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        c = imap_from(inst, imap, "127.0.0.2")
        assert c.command("l1", "LOGIN alice alicepw")[-1].startswith("l1 OK")
        assert time.monotonic() - t0 < 1.0
        inst.wait_for_log(r"warning: refused: service=<imap> "
                          r"client=<127\.0\.0\.1>: maxperclient=<6> ")
    finally:
        stop.set()
        t.join()
    for c in flood:
        c.close()
    assert stop_master(inst, p) == 0


def test_prelogin_deadline_is_not_reset_by_activity(make_instance):
    """logintimeout bounds the whole time before login: an IMAP client that
    sends NOOP every 0.4 s and a POP3 client dribbling a byte every 0.4 s
    are both disconnected after 2 s; a client that logged in is not."""
    inst = make_instance(options=dict(BASE, logintimeout="2"))
    imap, pop = free_port(), free_port()
    p = start(inst, imap, pop)
    busy = imap_from(inst, imap, "127.0.0.2")
    done = imap_from(inst, imap, "127.0.0.3")
    assert done.command("l1", "LOGIN alice alicepw")[-1].startswith("l1 OK")
    dribbler = connect_from(inst, pop, "127.0.0.4")
    dribbler.expect(POP_GREETING)
    t0 = time.monotonic()
    lines = []
    try:
        for i in range(15):
            busy.send_line(f"n{i} NOOP")
            while not lines or not lines[-1].startswith((f"n{i} ", "* BYE")):
                lines.append(busy.read_imap_line(timeout=1))
            if lines[-1].startswith("* BYE"):
                break
            try:
                dribbler.send(b"x")
            except OSError:
                pass
            time.sleep(0.4)
    except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
        pass
    elapsed = time.monotonic() - t0
    assert 1.5 <= elapsed < 4.0, (elapsed, lines)
    assert lines[-1] == "* BYE Autologout; idle for too long", lines
    busy.expect_eof(timeout=3)
    dribbler.expect_eof(timeout=3)
    assert done.command("n1", "NOOP")[-1] == "n1 OK Completed"
    assert stop_master(inst, p) == 0
