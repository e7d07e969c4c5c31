"""pop3d tests (RFC 1939, 2449, 2595, 5034): exact raw transcripts of the
greeting, CAPA, USER/PASS, STAT, LIST, UIDL, TOP, RETR (byte-stuffing),
DELE, RSET and QUIT; bad input; a poplib session; deletions applied at QUIT
and not after a dropped connection; the login snapshot; \\Seen seen through
IMAP; the per-user POP3 lock; STLS, AUTH, implicit TLS; popminpoll;
allowplaintext; motd/shutdown; and Debian's fetchmail pulling every message
over POP3 and over IMAP into an mbox file.

Messages are put into INBOXes with imaplib APPEND through imapd
(autocreatequota -1 makes the INBOX at the first IMAP login).
"""

import base64
import hmac
import imaplib
import mailbox
import hashlib
import os
import poplib
import re
import subprocess
import sys
import time

import pytest

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}
GREETING = "+OK chapar.test Chapar POP3 server ready"
# The greeting ends with APOP's timestamp (RFC 1939 7).
APOP_STAMP = r" (<\d+\.\d+@chapar\.test>)$"


def greeting_ok(line, motd=""):
    m = re.match(re.escape(GREETING + motd) + APOP_STAMP, line)
    assert m, line
    return m.group(1)
FETCHMAIL = "/usr/bin/fetchmail"

MSG1 = (b"From: Fred Foobar <foobar@example.com>\r\n"
        b"To: alice@chapar.test\r\n"
        b"Subject: one\r\n"
        b"\r\n"
        b"first line\r\n"
        b".starts with a dot\r\n"
        b"..two dots\r\n"
        b".\r\n"
        b"last line\r\n")
MSG2 = (b"From: bob@example.com\r\n"
        b"Subject: two\r\n"
        b"\r\n"
        b"From the body, a line mbox must quote\r\n"
        b"b2\r\n")
MSG3 = b"Subject: three\r\n\r\nshort\r\n"


# ---- helpers ----------------------------------------------------------------

@pytest.fixture
def fast(make_instance):
    return make_instance(options=FAST)


def pop3d(inst, *args):
    return inst.serve_tcp(inst.argv("imap/pop3d/pop3d", *args))


def imapd(inst):
    return inst.serve_tcp(inst.argv("imap/imapd/imapd"))


def imap_login(inst, user, port=None):
    m = imaplib.IMAP4("127.0.0.1", port or imapd(inst))
    if inst.options.get("allowplaintext") == "no":
        m.starttls(ssl_context=inst.client_context())
    m.login(user, inst.users[user])
    return m


def deliver(inst, user, messages, port=None):
    """APPEND messages to user's INBOX through imapd; returns UIDVALIDITY."""
    m = imap_login(inst, user, port)
    for msg in messages:
        assert m.append("INBOX", None, None, msg)[0] == "OK"
    m.select("INBOX", readonly=True)
    uidvalidity = int(m.response("UIDVALIDITY")[1][0])
    m.logout()
    return uidvalidity


def imap_flags(inst, user, port=None):
    """{uid: flags string} of user's INBOX (\\Recent left out)."""
    m = imap_login(inst, user, port)
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    m.logout()
    out = {}
    for item in data:
        if item:
            g = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", item)
            flags = g.group(2).decode().split()
            out[int(g.group(1))] = " ".join(f for f in flags
                                            if f != "\\Recent")
    return out


def connect(inst, port, tls=False):
    c = inst.connect(port, tls=tls)
    c.apop_stamp = greeting_ok(c.read_line())
    return c


def cmd(c, line):
    c.send_line(line)
    return c.read_line()


def multiline(c, line):
    """Send line; return (status line, [body lines]) up to the "." line."""
    c.send_line(line)
    status = c.read_line()
    body = []
    if status.startswith("+OK"):
        while True:
            ln = c.read_line()
            if ln == ".":
                break
            body.append(ln)
    return status, body


def login(c, user="alice", pw="alicepw"):
    assert cmd(c, "USER " + user) == "+OK Name is a valid mailbox"
    resp = cmd(c, "PASS " + pw)
    assert resp.startswith("+OK Mailbox locked and ready"), resp
    return resp


def quit_session(c):
    resp = cmd(c, "QUIT")
    assert resp.startswith("+OK Chapar POP3 server signing off"), resp
    c.expect_eof()
    return resp


# ---- greeting, CAPA, transcripts -------------------------------------------

def test_greeting_and_capa(fast):
    port = pop3d(fast)
    c = connect(fast, port)
    status, caps = multiline(c, "CAPA")
    assert status == "+OK List of capabilities follows"
    assert caps[:6] == ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                        "PIPELINING", "USER"]
    assert caps[6].startswith("SASL ") and "PLAIN" in caps[6].split()
    assert caps[7:] == ["STLS", "IMPLEMENTATION Chapar"]
    deliver(fast, "alice", [MSG3])
    login(c)
    status, caps = multiline(c, "CAPA")
    assert caps == ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                    "PIPELINING", "IMPLEMENTATION Chapar"]
    assert cmd(c, "CAPA x") == "-ERR Unexpected argument to CAPA"
    quit_session(c)


def test_raw_transcript(fast):
    uv = deliver(fast, "alice", [MSG1, MSG2, MSG3])
    s1, s2, s3 = len(MSG1), len(MSG2), len(MSG3)
    total = s1 + s2 + s3
    port = pop3d(fast)
    c = connect(fast, port)
    assert cmd(c, "USER alice") == "+OK Name is a valid mailbox"
    assert cmd(c, "PASS alicepw") == (
        f"+OK Mailbox locked and ready, 3 messages ({total} octets)")
    fast.wait_for_log(r"^pop3d\[\d+\]: notice: login: \S+ \[127\.0\.0\.1\] "
                      r"alice plaintext$")
    assert cmd(c, "STAT") == f"+OK 3 {total}"
    assert multiline(c, "LIST") == (f"+OK 3 messages ({total} octets)",
                                    [f"1 {s1}", f"2 {s2}", f"3 {s3}"])
    assert cmd(c, "LIST 2") == f"+OK 2 {s2}"
    assert multiline(c, "UIDL") == ("+OK Unique-ID listing follows",
                                    [f"1 {uv}.1", f"2 {uv}.2", f"3 {uv}.3"])
    assert cmd(c, "UIDL 3") == f"+OK 3 {uv}.3"
    assert multiline(c, "TOP 1 0") == ("+OK Top of message follows", [
        "From: Fred Foobar <foobar@example.com>", "To: alice@chapar.test",
        "Subject: one", ""])
    assert multiline(c, "TOP 1 2")[1][-3:] == [
        "", "first line", "..starts with a dot"]
    # RETR: the exact bytes, byte-stuffed, then the terminating ".".
    c.send_line("RETR 1")
    assert c.read_line() == f"+OK {s1} octets"
    stuffed = MSG1.replace(b"\r\n.", b"\r\n..") + b".\r\n"
    assert c.read_bytes(len(stuffed)) == stuffed
    # TOP with more lines than the body has: the whole message.
    c.send_line("TOP 1 100")
    assert c.read_line() == "+OK Top of message follows"
    assert c.read_bytes(len(stuffed)) == stuffed
    assert cmd(c, "DELE 2") == "+OK Message 2 deleted"
    assert cmd(c, "DELE 2") == "-ERR No such message"
    assert cmd(c, "RETR 2") == "-ERR No such message"
    assert cmd(c, "LIST 2") == "-ERR No such message"
    assert cmd(c, "STAT") == f"+OK 2 {s1 + s3}"
    assert multiline(c, "UIDL")[1] == [f"1 {uv}.1", f"3 {uv}.3"]
    assert cmd(c, "RSET") == f"+OK Maildrop has 3 messages ({total} octets)"
    assert cmd(c, "DELE 1") == "+OK Message 1 deleted"
    assert cmd(c, "NOOP") == "+OK Done"
    assert cmd(c, "QUIT") == (
        "+OK Chapar POP3 server signing off (2 messages left)")
    c.expect_eof()
    # Deleted at QUIT: exactly UID 1; UIDs are stable across sessions.
    assert sorted(imap_flags(fast, "alice")) == [2, 3]
    c = connect(fast, port)
    login(c)
    assert multiline(c, "UIDL")[1] == [f"1 {uv}.2", f"2 {uv}.3"]
    quit_session(c)


def test_pipelining(fast):
    deliver(fast, "alice", [MSG3, MSG3])
    port = pop3d(fast)
    c = connect(fast, port)
    c.send(b"USER alice\r\nPASS alicepw\r\nSTAT\r\nLIST\r\nDELE 1\r\n"
           b"QUIT\r\n")
    assert c.read_line() == "+OK Name is a valid mailbox"
    assert c.read_line().startswith("+OK Mailbox locked and ready, 2 ")
    assert c.read_line() == f"+OK 2 {2 * len(MSG3)}"
    assert c.read_line().startswith("+OK 2 messages")
    assert [c.read_line() for _ in range(3)] == [
        f"1 {len(MSG3)}", f"2 {len(MSG3)}", "."]
    assert c.read_line() == "+OK Message 1 deleted"
    assert c.read_line() == (
        "+OK Chapar POP3 server signing off (1 messages left)")
    c.expect_eof()


def test_bad_input_keeps_the_session(fast):
    deliver(fast, "alice", [MSG3])
    port = pop3d(fast)
    c = connect(fast, port)
    assert cmd(c, "FROB") == "-ERR Unknown command"
    assert cmd(c, "") == "-ERR Unknown command"
    assert cmd(c, "STAT") == "-ERR Command not valid in this state"
    assert cmd(c, "RETR 1") == "-ERR Command not valid in this state"
    assert cmd(c, "PASS alicepw") == "-ERR Send USER first"
    assert cmd(c, "USER") == "-ERR USER needs a user name"
    assert cmd(c, "X" * 20000) == "-ERR Line too long"
    c.send(b"USER al\0ice\r\n")
    assert c.read_line() == "-ERR Invalid NUL byte in command"
    assert cmd(c, "USER alice") == "+OK Name is a valid mailbox"
    assert cmd(c, "PASS wrong") == "-ERR [AUTH] Authentication failed"
    fast.wait_for_log(r"^pop3d\[\d+\]: warning: badlogin: \S+ "
                      r"\[127\.0\.0\.1\] plaintext alice ")
    assert cmd(c, "PASS alicepw") == "-ERR Send USER first"
    login(c)
    assert cmd(c, "user alice") == "-ERR Command not valid in this state"
    assert cmd(c, "AUTH PLAIN") == "-ERR Command not valid in this state"
    assert cmd(c, "stat") == f"+OK 1 {len(MSG3)}"
    for bad in ("RETR", "RETR x", "RETR -1", "RETR 1 2", "RETR  1",
                "DELE 99999999999", "LIST 1x"):
        assert cmd(c, bad) == "-ERR Invalid message number", bad
    for gone in ("RETR 0", "RETR 2", "TOP 9 1", "DELE 2", "UIDL 2"):
        assert cmd(c, gone) == "-ERR No such message", gone
    assert cmd(c, "TOP 1") == "-ERR TOP needs a message number and a line count"
    assert cmd(c, "STAT 1") == "-ERR Unexpected argument to STAT"
    assert cmd(c, "Y" * 20000) == "-ERR Line too long"
    assert cmd(c, "NOOP") == "+OK Done"
    quit_session(c)


def test_poplib_full_session(fast):
    uv = deliver(fast, "alice", [MSG1, MSG2])
    port = pop3d(fast)
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    greeting_ok(p.getwelcome().decode())
    caps = p.capa()
    assert "UIDL" in caps and "TOP" in caps and "STLS" in caps
    p.user("alice")
    p.pass_("alicepw")
    assert p.stat() == (2, len(MSG1) + len(MSG2))
    resp, listing, _ = p.list()
    assert listing == [b"1 %d" % len(MSG1), b"2 %d" % len(MSG2)]
    assert p.uidl()[1] == [b"1 %d.1" % uv, b"2 %d.2" % uv]
    resp, lines, octets = p.retr(1)
    # poplib undoes the byte-stuffing.
    assert b"\r\n".join(lines) + b"\r\n" == MSG1
    resp, lines, _ = p.top(2, 1)
    assert lines == [b"From: bob@example.com", b"Subject: two", b"",
                     b"From the body, a line mbox must quote"]
    p.dele(1)
    assert p.quit().startswith(b"+OK")
    assert sorted(imap_flags(fast, "alice")) == [2]


# ---- the maildrop: deletions, snapshot, \Seen, lock -------------------------

def test_dropped_connection_deletes_nothing(fast):
    deliver(fast, "alice", [MSG1, MSG2])
    port = pop3d(fast)
    c = connect(fast, port)
    login(c)
    assert cmd(c, "DELE 1") == "+OK Message 1 deleted"
    assert cmd(c, "DELE 2") == "+OK Message 2 deleted"
    c.close()
    fast.wait_for_log(r"^pop3d\[\d+\]: info: connection dropped: .* "
                      r"user=<alice>: deletions not applied$")
    fast.wait_for_log(r"^pop3d\[\d+\]: notice: logout: .* user=<alice>$")
    assert sorted(imap_flags(fast, "alice")) == [1, 2]
    c = connect(fast, port)
    login(c)
    assert cmd(c, "STAT") == f"+OK 2 {len(MSG1) + len(MSG2)}"
    quit_session(c)


def test_mail_delivered_during_session_waits_for_the_next(fast):
    iport = imapd(fast)
    deliver(fast, "alice", [MSG1], port=iport)
    port = pop3d(fast)
    c = connect(fast, port)
    login(c)
    assert cmd(c, "DELE 1") == "+OK Message 1 deleted"
    deliver(fast, "alice", [MSG2], port=iport)
    assert cmd(c, "STAT") == "+OK 0 0"
    assert cmd(c, "RSET") == f"+OK Maildrop has 1 messages ({len(MSG1)} octets)"
    assert cmd(c, "RETR 2") == "-ERR No such message"
    assert cmd(c, "DELE 1") == "+OK Message 1 deleted"
    assert cmd(c, "QUIT") == (
        "+OK Chapar POP3 server signing off (1 messages left)")
    c = connect(fast, port)
    login(c)
    assert cmd(c, "LIST 1") == f"+OK 1 {len(MSG2)}"
    assert cmd(c, "DELE 1") == "+OK Message 1 deleted"
    assert cmd(c, "QUIT") == "+OK Chapar POP3 server signing off (maildrop empty)"


def test_message_expunged_by_imap_during_session(fast):
    iport = imapd(fast)
    deliver(fast, "alice", [MSG1, MSG2], port=iport)
    port = pop3d(fast)
    c = connect(fast, port)
    login(c)
    m = imaplib.IMAP4("127.0.0.1", iport)
    m.login("alice", "alicepw")
    m.select("INBOX")
    m.store("1", "+FLAGS", r"(\Deleted)")
    m.expunge()
    m.logout()
    assert cmd(c, "RETR 1") == "-ERR No such message"
    assert cmd(c, "DELE 1") == "+OK Message 1 deleted"
    assert cmd(c, "DELE 2") == "+OK Message 2 deleted"
    assert cmd(c, "QUIT") == "+OK Chapar POP3 server signing off (maildrop empty)"


def test_seen_after_retr_visible_through_imap(fast):
    iport = imapd(fast)
    deliver(fast, "alice", [MSG1, MSG2, MSG3], port=iport)
    port = pop3d(fast)
    c = connect(fast, port)
    login(c)
    assert multiline(c, "RETR 1")[0] == f"+OK {len(MSG1)} octets"
    assert multiline(c, "TOP 2 5")[0] == "+OK Top of message follows"
    # An IMAP session of the user sees it at once, even before QUIT.
    assert imap_flags(fast, "alice", port=iport) == {1: "\\Seen", 2: "",
                                                     3: ""}
    quit_session(c)


def test_second_pop_session_locked_out(fast):
    iport = imapd(fast)
    deliver(fast, "alice", [MSG1], port=iport)
    port = pop3d(fast)
    a = connect(fast, port)
    login(a)
    b = connect(fast, port)
    assert cmd(b, "USER alice") == "+OK Name is a valid mailbox"
    assert cmd(b, "PASS alicepw") == (
        "-ERR [IN-USE] Mailbox is locked by another POP3 session")
    fast.wait_for_log(r"^pop3d\[\d+\]: notice: login refused: .* alice "
                      r"plaintext: maildrop in use$")
    assert cmd(b, "STAT") == "-ERR Command not valid in this state"
    # Neither IMAP nor delivery is locked out.
    deliver(fast, "alice", [MSG2], port=iport)
    # Another user is not affected.
    deliver(fast, "bob", [MSG3], port=iport)
    other = connect(fast, port)
    login(other, "bob", "bobpw")
    quit_session(other)
    quit_session(a)
    login(b)
    assert cmd(b, "STAT") == f"+OK 2 {len(MSG1) + len(MSG2)}"
    quit_session(b)


def test_rights_limit_dele_and_seen(fast):
    iport = imapd(fast)
    deliver(fast, "alice", [MSG1], port=iport)
    m = imap_login(fast, "admin", iport)
    assert m.setacl("user.alice", "alice", "lr")[0] == "OK"
    m.logout()
    port = pop3d(fast)
    c = connect(fast, port)
    login(c)
    assert multiline(c, "RETR 1")[0] == f"+OK {len(MSG1)} octets"
    assert cmd(c, "DELE 1") == "-ERR [SYS/PERM] Permission denied"
    quit_session(c)
    assert imap_flags(fast, "alice", port=iport) == {1: ""}
    m = imap_login(fast, "admin", iport)
    assert m.deleteacl("user.alice", "alice")[0] == "OK"
    m.logout()
    c = connect(fast, port)
    assert cmd(c, "USER alice") == "+OK Name is a valid mailbox"
    assert cmd(c, "PASS alicepw") == "-ERR [SYS/PERM] Unable to open maildrop"


def test_user_without_inbox(fast):
    port = pop3d(fast)
    c = connect(fast, port)
    assert cmd(c, "USER bob") == "+OK Name is a valid mailbox"
    assert cmd(c, "PASS bobpw") == "-ERR [SYS/PERM] Unable to open maildrop"
    assert cmd(c, "QUIT") == "+OK Chapar POP3 server signing off"
    c.expect_eof()


def test_proc_file_and_telemetry(fast):
    deliver(fast, "alice", [MSG3])
    os.mkdir(os.path.join(fast.conf_dir, "log", "alice"), 0o700)
    port = pop3d(fast)
    c = connect(fast, port)
    login(c)
    pid = int(fast.wait_for_log(r"^pop3d\[(\d+)\]: notice: login: ").group(1))
    with open(os.path.join(fast.conf_dir, "proc", str(pid))) as f:
        assert f.read() == "localhost [127.0.0.1]\talice\tuser.alice\n"
    assert cmd(c, "STAT") == f"+OK 1 {len(MSG3)}"
    quit_session(c)
    fast.wait_for_log(rf"^pop3d\[{pid}\]: notice: logout: ")
    deadline = time.monotonic() + 5
    while os.path.exists(os.path.join(fast.conf_dir, "proc", str(pid))):
        assert time.monotonic() < deadline, "proc file not removed"
        time.sleep(0.02)
    with open(os.path.join(fast.conf_dir, "log", "alice", str(pid)), "rb") as f:
        log = f.read()
    assert b"<STAT\r\n" in log and b">+OK 1 " in log
    assert b"alicepw" not in log


# ---- TLS and SASL ------------------------------------------------------------

def test_allowplaintext_off_stls_and_auth_plain(make_instance):
    inst = make_instance(options=dict(FAST, allowplaintext="no"))
    deliver(inst, "alice", [MSG3])
    port = pop3d(inst)
    c = connect(inst, port)
    caps = multiline(c, "CAPA")[1]
    assert "USER" not in caps and "STLS" in caps
    assert not any("PLAIN" in cap.split() for cap in caps)
    assert cmd(c, "USER alice") == (
        "-ERR [AUTH] Plaintext login is disabled; use STLS first")
    assert cmd(c, "PASS alicepw") == "-ERR Send USER first"
    ir = base64.b64encode(b"\0alice\0alicepw").decode()
    assert cmd(c, "AUTH PLAIN " + ir) == "-ERR Mechanism PLAIN is not available"
    assert cmd(c, "STLS x") == "-ERR Unexpected argument to STLS"
    assert cmd(c, "STLS") == "+OK Begin TLS negotiation now"
    c.starttls(inst.client_context())
    caps = multiline(c, "CAPA")[1]
    assert "USER" in caps and "STLS" not in caps
    assert "PLAIN" in [cap for cap in caps if cap.startswith("SASL ")][0].split()
    assert cmd(c, "STLS") == "-ERR TLS is already active"
    status, mechs = multiline(c, "AUTH")
    assert status == "+OK List of SASL mechanisms follows" and "PLAIN" in mechs
    # Without an initial response: an empty challenge "+ ".
    c.send_line("AUTH PLAIN")
    assert c.read_line() == "+ "
    c.send_line("*")
    assert c.read_line() == "-ERR Authentication cancelled"
    assert cmd(c, "AUTH PLAIN " + base64.b64encode(b"\0alice\0no").decode()) == (
        "-ERR [AUTH] Authentication failed")
    assert cmd(c, "AUTH PLAIN !!!") == "-ERR [AUTH] Authentication failed"
    c.send_line("AUTH PLAIN")
    assert c.read_line() == "+ "
    c.send_line(ir)
    assert c.read_line() == "+OK Mailbox locked and ready, 1 messages (%d octets)" % len(MSG3)
    inst.wait_for_log(r"^pop3d\[\d+\]: notice: login: .* alice PLAIN TLS$")
    quit_session(c)


def test_auth_plain_initial_response_and_cram_md5(fast):
    deliver(fast, "alice", [MSG3])
    port = pop3d(fast)
    c = connect(fast, port)
    ir = base64.b64encode(b"\0alice\0alicepw").decode()
    assert cmd(c, "AUTH PLAIN " + ir).startswith("+OK Mailbox locked and ready")
    quit_session(c)
    # CRAM-MD5 (sasldb holds the clear password), computed here.
    c = connect(fast, port)
    c.send_line("AUTH CRAM-MD5")
    line = c.read_line()
    assert line.startswith("+ ")
    challenge = base64.b64decode(line[2:])
    digest = hmac.new(b"alicepw", challenge, "md5").hexdigest()
    c.send_line(base64.b64encode(b"alice " + digest.encode()).decode())
    assert c.read_line().startswith("+OK Mailbox locked and ready")
    fast.wait_for_log(r"^pop3d\[\d+\]: notice: login: .* alice CRAM-MD5$")
    quit_session(c)


def test_stls_pipelined_command_is_discarded(fast):
    port = pop3d(fast)
    c = connect(fast, port)
    c.send(b"STLS\r\nUSER alice\r\n")
    assert c.read_line() == "+OK Begin TLS negotiation now"
    c.starttls(fast.client_context())
    assert cmd(c, "PASS alicepw") == "-ERR Send USER first"


def test_implicit_tls(fast):
    deliver(fast, "alice", [MSG1])
    port = pop3d(fast, "-s")
    p = poplib.POP3_SSL("127.0.0.1", port, context=fast.client_context(),
                        timeout=10)
    greeting_ok(p.getwelcome().decode())
    assert "STLS" not in p.capa()
    p.user("alice")
    p.pass_("alicepw")
    assert p.stat() == (1, len(MSG1))
    p.quit()
    fast.wait_for_log(r"^pop3d\[\d+\]: notice: login: .* alice plaintext TLS$")


# ---- policies ----------------------------------------------------------------

def test_popminpoll(make_instance):
    inst = make_instance(options=dict(FAST, popminpoll="1"))
    deliver(inst, "alice", [MSG3])
    port = pop3d(inst)
    c = connect(inst, port)
    assert "LOGIN-DELAY 60" in multiline(c, "CAPA")[1]
    login(c)
    quit_session(c)
    c = connect(inst, port)
    assert cmd(c, "USER alice") == "+OK Name is a valid mailbox"
    assert cmd(c, "PASS alicepw") == (
        "-ERR [LOGIN-DELAY] Logins must be at least 1 minute apart")
    # A wrong password is still just a failed login.
    assert cmd(c, "USER alice") == "+OK Name is a valid mailbox"
    assert cmd(c, "PASS nope") == "-ERR [AUTH] Authentication failed"
    # Another user has their own clock.
    deliver(inst, "bob", [MSG3])
    login(c, "bob", "bobpw")
    quit_session(c)


def test_motd_and_shutdown(fast):
    port = pop3d(fast)
    msgdir = os.path.join(fast.conf_dir, "msg")
    with open(os.path.join(msgdir, "motd"), "w") as f:
        f.write("Maintenance tonight\nsecond line\n")
    c = fast.connect(port)
    greeting_ok(c.read_line(), " (Maintenance tonight)")
    with open(os.path.join(msgdir, "shutdown"), "w") as f:
        f.write("Down for upgrade\n")
    c = fast.connect(port)
    assert c.read_line() == "-ERR [SYS/TEMP] Down for upgrade"
    c.expect_eof()


# ---- fetchmail ---------------------------------------------------------------

MDA = r"""
import sys
data = sys.stdin.buffer.read()
with open(sys.argv[1], "ab") as f:
    f.write(b"From fetchmail@localhost Thu Jan  1 00:00:00 1970\n")
    for line in data.splitlines(keepends=True):
        if line.lstrip(b">").startswith(b"From "):
            line = b">" + line
        f.write(line)
    if not data.endswith(b"\n"):
        f.write(b"\n")
    f.write(b"\n")
"""


def run_fetchmail(inst, tmp, proto, port, user):
    """fetchmail every message of user over proto (STARTTLS, checked against
    the instance certificate) into <tmp>/<proto>.mbox; returns its path."""
    if not os.path.exists(FETCHMAIL):
        pytest.fail("fetchmail is not installed (tools/debian-packages)")
    home = os.path.join(tmp, "home-" + proto)
    os.makedirs(home, mode=0o700)
    mbox = os.path.join(tmp, proto + ".mbox")
    mda = os.path.join(tmp, "mda.py")
    with open(mda, "w") as f:
        f.write(MDA)
    rc = os.path.join(home, "fetchmailrc")
    with open(rc, "w") as f:
        f.write(f'set no bouncemail\nset invisible\n'
                f'poll localhost service {port} protocol {proto}\n'
                f'  user "{user}" there with password "{inst.users[user]}"\n'
                f'  is "nobody" here\n'
                f'  sslcertck sslcertfile "{inst.cert_path}"\n'
                f'  mda "{sys.executable} {mda} {mbox}"\n'
                f'  fetchall no keep\n')
    os.chmod(rc, 0o600)
    r = subprocess.run([FETCHMAIL, "-f", rc, "--nosyslog", "-v",
                        "-i", os.path.join(home, "fetchids"),
                        "--pidfile", os.path.join(home, "fetchmail.pid")],
                       env=dict(os.environ, HOME=home, FETCHMAILHOME=home),
                       capture_output=True, timeout=60)
    log = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    assert r.returncode == 0, log
    assert re.search(r"STARTTLS|STLS", log), log
    return mbox


def check_mbox(path, messages):
    """The mbox holds exactly messages, in order, byte for byte (LF line
    ends and ">From " quoting being the mbox's own)."""
    box = mailbox.mbox(path, create=False)
    got = [box.get_bytes(k) for k in box.keys()]
    box.close()
    assert len(got) == len(messages)
    for raw, orig in zip(got, messages):
        want = re.sub(rb"(?m)^(>*From )", rb">\1", orig.replace(b"\r\n", b"\n"))
        assert raw == want


def test_fetchmail_over_pop3_and_imap(fast, tmp_path):
    messages = [MSG1, MSG2, MSG3]
    iport = imapd(fast)
    deliver(fast, "alice", messages, port=iport)
    deliver(fast, "bob", messages, port=iport)
    pport = pop3d(fast)
    check_mbox(run_fetchmail(fast, str(tmp_path), "POP3", pport, "alice"),
               messages)
    fast.wait_for_log(r"^pop3d\[\d+\]: info: expunged: mailbox=<user\.alice> "
                      r"count=<3>$")
    check_mbox(run_fetchmail(fast, str(tmp_path), "IMAP", iport, "bob"),
               messages)
    assert imap_flags(fast, "alice", port=iport) == {}
    assert imap_flags(fast, "bob", port=iport) == {}


def test_apop(fast):
    """APOP: MD5 of the greeting's timestamp and the password (sasldb keeps
    clear passwords, so SASL can check it); allowed before STLS."""
    deliver(fast, "alice", [MSG1])
    deliver(fast, "bob", [MSG1])
    port = pop3d(fast)
    c = connect(fast, port)
    digest = hashlib.md5((c.apop_stamp + "alicepw").encode()).hexdigest()
    c.send_line("APOP alice " + "0" * 32)
    assert c.read_line().startswith("-ERR")
    c2 = connect(fast, port)
    c2.send_line("APOP alice " + hashlib.md5(
        (c2.apop_stamp + "alicepw").encode()).hexdigest())
    assert c2.read_line().startswith("+OK")
    c2.send_line("STAT")
    assert c2.read_line().startswith("+OK 1 ")
    fast.wait_for_log(r"^pop3d\[\d+\]: notice: login: .* alice APOP")
    # A digest made for another greeting's timestamp does not work.
    c3 = connect(fast, port)
    c3.send_line("APOP alice " + digest)
    assert c3.read_line().startswith("-ERR")
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    assert p.apop("bob", "bobpw").startswith(b"+OK")
    p.quit()
