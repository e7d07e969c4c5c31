"""master keeps the Berkeley DB environment (lib/db.h, CRASHES): a server
killed inside it is recovered for by master, never by another server, and a
login-heavy load through master causes no recovery at all and leaves no
finished imapd waiting (no checkpoint at logout).
"""

import os
import re
import signal
import threading
import time

from chapar_instance import free_port, pid_alive
from test_master import (FAST, children_of, greet, login, proc_files,
                         start_master, stop_master, wait_until)

import pytest

RECOVERY = re.compile(r"PANIC|recover", re.I)


@pytest.fixture
def fast(make_instance):
    return make_instance(options=FAST)


def test_killed_server_is_recovered_for_by_master(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    a, b = greet(fast, imap), greet(fast, imap)
    login(a)
    assert a.command("a2", "SELECT INBOX")[-1].startswith("a2 OK")
    login(b, user="bob", pw="bobpw")
    assert b.command("b2", "SELECT INBOX")[-1].startswith("b2 OK")
    victim = next(pid for pid, text in proc_files(fast).items()
                  if "\talice" in text)
    os.kill(victim, signal.SIGKILL)
    # Master notices (it reaped a killed child) and recovers, at once.
    fast.wait_for_log(rf"^master\[{p.pid}\]: warning: db: a process died "
                      rf"holding the environment; recovering: ")
    fast.wait_for_log(rf"^master\[{p.pid}\]: info: db: registry: freed the "
                      rf"line of dead pid=<{victim}>$")
    # bob's server reopens by itself; nobody else ran recovery.
    assert b.command("b3", "STATUS INBOX (MESSAGES)")[-1] == "b3 OK Completed"
    assert b.command("b4", "SELECT INBOX")[-1].startswith("b4 OK")
    c = greet(fast, imap)
    login(c, "c1")
    assert c.command("c2", "SELECT INBOX")[-1].startswith("c2 OK")
    recoverers = {m.group(1) for line in fast.log_lines()
                  for m in [re.match(r"^(\w+)\[\d+\]: warning: db: .*"
                                     r"recovering", line)] if m}
    assert recoverers == {"master"}
    stop_master(fast, p)


# Bounded here; CHAPAR_LOAD_CLIENTS / CHAPAR_LOAD_SECONDS make it a soak.
CLIENTS = int(os.environ.get("CHAPAR_LOAD_CLIENTS", "8"))
SECONDS = float(os.environ.get("CHAPAR_LOAD_SECONDS", "6"))


def _session_loop(port, user, pw, stop, errors):
    import imaplib
    n = 0
    while not stop.is_set():
        try:
            m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
            m.login(user, pw)
            m.select("INBOX")
            m.append("INBOX", None, None,
                     f"Subject: load {n}\r\n\r\nbody {n}\r\n".encode())
            typ, data = m.search(None, "ALL")
            ids = data[0].split()
            if ids:
                m.fetch(ids[0], "(FLAGS BODY.PEEK[HEADER])")
                m.store(ids[0], "+FLAGS", "(\\Deleted)")
                m.expunge()
            m.logout()
            n += 1
        except Exception as e:          # the assertion below reports it
            errors.append(f"{user}: {e!r}")
            return


def test_login_load_causes_no_recovery_and_no_pile_up(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'maxchild=100'], (imap,))
    stop, errors, most = threading.Event(), [], 0
    users = [("alice", "alicepw"), ("bob", "bobpw")]
    threads = [threading.Thread(target=_session_loop,
                                args=(imap, *users[i % 2], stop, errors))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        most = max(most, len(children_of(p.pid)))
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors[:3]
    # Finished servers do not queue up behind a checkpoint at logout (they
    # did: 133-195 imapd for 10 clients).  A server that answered LOGOUT
    # may still be exiting while its client's next one starts.
    print(f"load: clients={CLIENTS} seconds={SECONDS} most_children={most}")
    assert most <= 2 * CLIENTS, most
    logins = sum(1 for line in fast.log_lines() if ": notice: login: " in line)
    print(f"load: logins={logins}")
    assert logins > CLIENTS * 5, logins
    bad = [line for line in fast.log_lines() if RECOVERY.search(line)]
    assert not bad, bad[:5]
    assert pid_alive(p.pid)
    stop_master(fast, p)
    wait_until(lambda: not children_of(p.pid), what="children gone")


def test_ctl_cyrusdb_checkpoint_and_recover_under_a_live_server(fast):
    import subprocess
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (imap,))
    a = greet(fast, imap)
    login(a)
    assert a.command("a2", "SELECT INBOX")[-1].startswith("a2 OK")

    def run(*args):
        return subprocess.run(fast.argv("tools/ctl_cyrusdb", *args),
                              capture_output=True, text=True, timeout=60)

    r = run("-c")
    assert (r.returncode, r.stderr) == (0, "")
    r = run("-r")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"ctl_cyrusdb: db: running recovery: dir=<.*/db>\n",
                        r.stderr)
    # The live server reopens the environment and goes on.
    assert a.command("a3", "STATUS INBOX (MESSAGES)")[-1] == "a3 OK Completed"
    r = run()
    assert r.returncode == 64
    assert r.stderr == "usage: ctl_cyrusdb [-C conf] [-U] -r|-c\n"
    r = run("-r", "-c")
    assert r.returncode == 64
    stop_master(fast, p)
