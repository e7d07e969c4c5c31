"""Stopping master ends every session cleanly.

master sends SIGTERM to its children when it stops.  A server waiting for
its client's next command (or in IDLE) says goodbye in its protocol and
exits the normal way, closing the Berkeley DB environment, so that neither
master's last checkpoint nor the next start has a dead process to recover
from.  Before, SIGTERM killed the servers: clients saw the connection drop
without a word and master logged "a process died holding the environment;
recovering" at every stop with sessions open.
"""
import os
import re
import signal
import time

from chapar_instance import free_port
from test_master import (FAST, greet, lmtp_hello, login, master_argv,
                         private_wrappers, start_master, stop_master,
                         write_table)

import pytest

RECOVERY = r"died holding the environment|running recovery"


def pop3_alice(inst, port):
    """A POP3 session of alice's, past PASS."""
    c = inst.connect(port)
    c.expect(r"^\+OK ")
    c.send_line("USER alice")
    c.expect(r"^\+OK")
    c.send_line("PASS alicepw")
    c.expect(r"^\+OK")
    return c


@pytest.fixture
def fast(make_instance):
    return make_instance(options=FAST)


def log_matches(inst, regex):
    pat = re.compile(regex)
    return [line for line in inst.log_lines() if pat.search(line)]


def test_stop_says_goodbye_to_every_session(fast):
    imap, pop = free_port(), free_port()
    sock = os.path.join(fast.conf_dir, "socket", "lmtp")
    private_wrappers(fast)
    table = write_table(fast, [
        f'imap cmd="imapd" listen="127.0.0.1:{imap}" prefork=0',
        f'pop3 cmd="pop3d" listen="127.0.0.1:{pop}" prefork=0',
        f'lmtp cmd="lmtpd" listen="{sock}" prefork=0'])
    p = fast.spawn(master_argv(fast, table, "-D",
                               os.path.join(fast.build, "deliver")))
    fast.wait_for_log(rf"^master\[{p.pid}\]: notice: started: services=<3>")
    before = len(fast.log_lines())

    selected = greet(fast, imap)
    login(selected)
    assert selected.command("s", "SELECT INBOX")[-1] == \
        "s OK [READ-WRITE] Completed"
    idling = greet(fast, imap)
    login(idling, user="bob", pw="bobpw")
    assert idling.command("s", "SELECT INBOX")[-1].startswith("s OK")
    idling.send_line("i IDLE")
    idling.expect(r"^\+ ")
    pop3 = pop3_alice(fast, pop)
    lmtp = lmtp_hello(sock)

    assert stop_master(fast, p) == 0
    assert selected.read_line(timeout=5) == "* BYE Server shutting down"
    assert idling.read_line(timeout=5) == "* BYE Server shutting down"
    assert pop3.read_line(timeout=5) == "-ERR [SYS/TEMP] Server shutting down"
    assert lmtp.read_line(timeout=5) == \
        "421 4.3.2 chapar.test Server shutting down, closing connection"
    for c in (selected, idling, pop3, lmtp):
        c.expect_eof(timeout=5)
    log = fast.log_lines()[before:]
    assert not [l for l in log if "still running after" in l], log
    assert not log_matches(fast, RECOVERY), log
    assert len([l for l in log if ": info: shutdown: " in l]) == 3, log

    # The next start finds a clean environment: no recovery.
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'])
    c = greet(fast, imap)
    login(c)
    assert c.command("s", "STATUS INBOX (MESSAGES)")[-1].startswith("s OK")
    c.close()
    assert stop_master(fast, p) == 0
    assert not log_matches(fast, RECOVERY)


def test_stop_ends_a_worker_session(fast):
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}" '
                            f'prefork=1'])
    c = greet(fast, imap)
    login(c)
    assert c.command("s", "SELECT INBOX")[-1].startswith("s OK")
    t0 = time.monotonic()
    assert stop_master(fast, p) == 0
    assert c.read_line(timeout=5) == "* BYE Server shutting down"
    c.expect_eof(timeout=5)
    assert time.monotonic() - t0 < 5        # not master's stop timeout
    assert not log_matches(fast, RECOVERY)
    assert not log_matches(fast, r"still running after")


def test_sigterm_while_a_literal_is_awaited_appends_nothing(fast):
    """SIGTERM straight to the server (an administrator) while it waits for
    an APPEND literal: the wait ends, the session says goodbye, and nothing
    of the message is stored."""
    imap = free_port()
    p = start_master(fast, [f'imap cmd="imapd" listen="127.0.0.1:{imap}"'])
    c = greet(fast, imap)
    login(c)
    assert c.command("s", "SELECT INBOX")[-1].startswith("s OK")
    c.send_line("a APPEND INBOX {20}")
    c.expect(r"^\+ ")
    c.send(b"Subject: half")
    pid = int(log_matches(fast, r"imapd\[\d+\]: notice: login: ")[-1]
              .split("[")[1].split("]")[0])
    time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    assert c.read_line(timeout=5) == "* BYE Server shutting down"
    c.expect_eof(timeout=5)
    c2 = greet(fast, imap)
    login(c2)
    assert "* 0 EXISTS" in c2.command("s", "SELECT INBOX")
    c2.close()
    assert stop_master(fast, p) == 0
    assert not log_matches(fast, RECOVERY)


def test_shutdown_file_ends_open_sessions(fast):
    """configdirectory/msg/shutdown refuses new sessions (the greeting) and
    ends those already open at their next command, or at IDLE's next poll,
    with its text; the command is not run.  Administrators stay."""
    imap, pop = free_port(), free_port()
    p = start_master(fast, [
        f'imap cmd="imapd" listen="127.0.0.1:{imap}"',
        f'pop3 cmd="pop3d" listen="127.0.0.1:{pop}"'])
    alice = greet(fast, imap)
    login(alice)
    assert alice.command("s", "SELECT INBOX")[-1].startswith("s OK")
    bob = greet(fast, imap)
    login(bob, user="bob", pw="bobpw")
    assert bob.command("s", "SELECT INBOX")[-1].startswith("s OK")
    bob.send_line("i IDLE")
    bob.expect(r"^\+ ")
    admin = greet(fast, imap)
    login(admin, user="admin", pw="adminpw")
    pop3 = pop3_alice(fast, pop)

    with open(os.path.join(fast.conf_dir, "msg", "shutdown"), "w") as f:
        f.write("[Down for maintenance until 10:00\n")
    bye = "* BYE [ALERT] Down for maintenance until 10:00"
    assert bob.read_line(timeout=5) == bye          # IDLE's next poll
    bob.expect_eof(timeout=5)
    alice.send_line("c CREATE NotMade")
    assert alice.read_line(timeout=5) == bye
    alice.expect_eof(timeout=5)
    pop3.send_line("DELE 1")
    assert pop3.read_line(timeout=5) == \
        "-ERR [SYS/TEMP] Down for maintenance until 10:00"
    pop3.expect_eof(timeout=5)
    assert admin.command("n", "NOOP") == ["n OK Completed"]
    assert admin.command("l", 'LIST "" user.alice.NotMade') == \
        ["l OK Completed"]
    late = fast.connect(imap)
    assert late.read_line(timeout=5) == bye
    ended = log_matches(fast, r": notice: shutdown file: session ended: ")
    assert len(ended) == 3, ended
    os.unlink(os.path.join(fast.conf_dir, "msg", "shutdown"))
    assert stop_master(fast, p) == 0
