"""imapd session tests: greeting, capabilities, login (LOGIN, AUTHENTICATE
with and without SASL-IR), STARTTLS and LOGINDISABLED, state rules of the
dispatcher, limits, motd/shutdown, LOGOUT, ID, ENABLE, and a full scripted
imaplib session with SELECT/FETCH/STORE/SEARCH/EXPUNGE and IDLE.

Each test runs imapd inetd-style against a private instance (see
tests/proto/README.md) and checks exact wire lines or log lines.
"""

import base64
import imaplib
import os
import re
import socket
import time

import pytest

from test_imap_mailbox import created

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}


def imapd(inst):
    return inst.serve_tcp(inst.argv("imap/imapd/imapd"))


def greet(inst, port, tls=False):
    c = inst.connect(port, tls=tls)
    line = c.expect(r"^\* OK \[CAPABILITY ([^\]]*)\] chapar\.test Chapar IMAP "
                    r"server ready$")
    return c, line.group(1).split()


@pytest.fixture
def fast(make_instance):
    return make_instance(options=FAST)


def test_greeting_and_capability(fast):
    port = imapd(fast)
    c, caps = greet(fast, port)
    assert caps[0] == "IMAP4rev1"
    for cap in ("LITERAL+", "IDLE", "UIDPLUS", "STARTTLS", "SASL-IR",
                "AUTH=PLAIN", "NAMESPACE", "ACL", "QUOTA", "MOVE"):
        assert cap in caps
    assert "LOGINDISABLED" not in caps  # allowplaintext: yes
    lines = c.command("a1", "CAPABILITY")
    assert lines[0] == "* CAPABILITY " + " ".join(caps)
    assert lines[-1] == "a1 OK Completed"


def test_plaintext_refused_before_starttls(make_instance):
    inst = make_instance(options=dict(FAST, allowplaintext="no"))
    port = imapd(inst)
    c, caps = greet(inst, port)
    assert "LOGINDISABLED" in caps
    assert "AUTH=PLAIN" not in caps and "AUTH=LOGIN" not in caps
    assert c.command("a1", "LOGIN alice alicepw")[-1] == (
        "a1 NO [PRIVACYREQUIRED] Plaintext login is disabled; use STARTTLS "
        "first")
    assert c.command("a2", "STARTTLS")[-1] == "a2 OK Begin TLS negotiation now"
    c.starttls(inst.client_context())
    caps = c.command("a3", "CAPABILITY")[0].split()[2:]
    assert "LOGINDISABLED" not in caps and "STARTTLS" not in caps
    assert "AUTH=PLAIN" in caps
    assert c.command("a4", "LOGIN alice alicepw")[-1].startswith(
        "a4 OK [CAPABILITY IMAP4rev1 ")
    inst.wait_for_log(r"^imapd\[\d+\]: notice: login: .* alice plaintext TLS$")


def test_starttls_pipelined_command_is_discarded(fast):
    port = imapd(fast)
    c, _ = greet(fast, port)
    # A command sent in the clear right behind STARTTLS must not run
    # inside TLS (the STARTTLS injection attack).
    c.send(b"a1 STARTTLS\r\na2 LOGIN alice alicepw\r\n")
    c.expect(r"^a1 OK Begin TLS negotiation now$")
    c.starttls(fast.client_context())
    lines = c.command("a3", "NOOP")
    assert lines == ["a3 OK Completed"]
    assert c.command("a4", "SELECT INBOX")[-1] == "a4 BAD Please login first"


def test_login_success_and_failure_logged(fast):
    port = imapd(fast)
    c, _ = greet(fast, port)
    assert c.command("a1", "LOGIN alice wrong")[-1] == (
        "a1 NO [AUTHENTICATIONFAILED] Authentication failed")
    fast.wait_for_log(r"^imapd\[\d+\]: warning: badlogin: \S+ \[127\.0\.0\.1\] "
                      r"plaintext alice ")
    ok = c.command("a2", "LOGIN alice alicepw")[-1]
    assert re.match(r"^a2 OK \[CAPABILITY IMAP4rev1 [^\]]*\] User logged in$", ok)
    assert "AUTH=" not in ok and "STARTTLS" not in ok
    fast.wait_for_log(r"^imapd\[\d+\]: notice: login: \S+ \[127\.0\.0\.1\] "
                      r"alice plaintext$")
    assert c.command("a3", "LOGIN alice alicepw")[-1] == "a3 BAD Already logged in"


def test_authenticate_plain_with_and_without_initial_response(fast):
    port = imapd(fast)
    c, _ = greet(fast, port)
    ir = base64.b64encode(b"\0bob\0bobpw").decode()
    assert c.command("a1", "AUTHENTICATE PLAIN " + ir)[-1].startswith(
        "a1 OK [CAPABILITY")
    c2, _ = greet(fast, port)
    c2.send_line("b1 AUTHENTICATE PLAIN")
    c2.expect(r"^\+ ?$")
    c2.send_line(base64.b64encode(b"\0alice\0alicepw").decode())
    assert c2.read_until("b1")[-1].startswith("b1 OK [CAPABILITY")
    c3, _ = greet(fast, port)
    c3.send_line("c1 AUTHENTICATE PLAIN")
    c3.expect(r"^\+ ?$")
    c3.send_line("*")
    assert c3.read_until("c1")[-1] == "c1 BAD Authentication cancelled"
    assert c3.command("c2", "AUTHENTICATE PLAIN " + base64.b64encode(
        b"\0alice\0nope").decode())[-1] == (
        "c2 NO [AUTHENTICATIONFAILED] Authentication failed")
    assert c3.command("c3", "AUTHENTICATE NOSUCHMECH")[-1].startswith("c3 NO")
    assert c3.command("c4", "AUTHENTICATE PLAIN !!!")[-1] == (
        "c4 BAD Invalid base64 in initial response")


def test_cram_md5_with_imaplib(fast):
    port = imapd(fast)
    m = imaplib.IMAP4("127.0.0.1", port)
    typ, data = m.login_cram_md5("alice", "alicepw")
    assert typ == "OK"
    m.logout()


def test_dispatcher_state_rules(fast):
    port = imapd(fast)
    c, _ = greet(fast, port)
    assert c.command("a1", "SELECT INBOX")[-1] == "a1 BAD Please login first"
    assert c.command("a2", "FROBNICATE")[-1] == "a2 BAD Unrecognized command"
    assert c.command("a3", "UID")[-1] == "a3 BAD Missing command after UID"
    assert c.command("a4", "UID LOGIN x y")[-1] == "a4 BAD Unrecognized command"
    c.command("a5", "LOGIN alice alicepw")
    assert c.command("a6", "FETCH 1 FLAGS")[-1] == (
        "a6 BAD Please select a mailbox first")
    assert c.command("a7", "STARTTLS")[-1] == "a7 BAD Already logged in"
    assert c.command("a8", "NOOP extra")[-1] == (
        "a8 BAD Unexpected extra arguments to NOOP")
    assert c.command("a9", "NOOP")[-1] == "a9 OK Completed"


def test_limits_keep_the_session(make_instance):
    inst = make_instance(options=dict(FAST, maxlinelength="2000",
                                      maxmessagesize="2000", maxargs="50"))
    port = imapd(inst)
    c, _ = greet(inst, port)
    c.send_line("a1 NOOP " + "x" * 5000)
    assert c.read_until("a1")[-1].startswith("a1 BAD ")
    assert c.command("a2", "NOOP") == ["a2 OK Completed"]
    c.command("a3", "LOGIN alice alicepw")
    # A synchronizing literal over the limit is refused before it is sent.
    c.send_line("a4 APPEND INBOX {100000}")
    line = c.read_line()
    assert line.startswith("a4 NO [TOOBIG]") or line.startswith("a4 BAD")
    assert c.command("a5", "NOOP") == ["a5 OK Completed"]
    c.send_line("a6 NOOP " + "(" * 200 + ")" * 200)
    assert c.read_until("a6")[-1].startswith("a6 BAD ")
    assert c.command("a7", "NOOP") == ["a7 OK Completed"]
    # More arguments than maxargs.
    c.send_line("a8 STATUS INBOX (" + " ".join(["MESSAGES"] * 80) + ")")
    assert c.read_until("a8")[-1].startswith("a8 BAD ")
    assert c.command("a9", "NOOP") == ["a9 OK Completed"]


def test_motd_and_shutdown(fast):
    msg = os.path.join(fast.dir, "conf", "msg")
    with open(os.path.join(msg, "motd"), "w") as f:
        f.write("Maintenance on Sunday\nsecond line ignored\n")
    port = imapd(fast)
    c, _ = greet(fast, port)
    c.expect(r"^\* OK \[ALERT\] Maintenance on Sunday$")
    with open(os.path.join(msg, "shutdown"), "w") as f:
        f.write("Server is down for an upgrade\n")
    c2 = fast.connect(port)
    c2.expect(r"^\* BYE \[ALERT\] Server is down for an upgrade$")
    c2.expect_eof()


def test_logout_id_enable(fast):
    port = imapd(fast)
    c, _ = greet(fast, port)
    lines = c.command("a1", 'ID ("name" "pytest")')
    assert lines[0].startswith('* ID ("name" "Chapar" "version" ')
    assert lines[-1] == "a1 OK Completed"
    c.command("a2", "LOGIN alice alicepw")
    assert c.command("a3", "ENABLE CONDSTORE") == [
        "* ENABLED CONDSTORE", "a3 OK Completed"]
    assert c.command("a4", "LOGOUT") == [
        "* BYE Chapar IMAP server signing off", "a4 OK Completed"]
    c.expect_eof()


def test_implicit_tls(fast):
    port = fast.serve_tcp(fast.argv("imap/imapd/imapd", "-s"))
    c, caps = greet(fast, port, tls=True)
    assert "STARTTLS" not in caps
    assert c.command("a1", "LOGIN bob bobpw")[-1].startswith("a1 OK")


MSG = (b"From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
       b"Subject: afternoon meeting\r\n"
       b"To: mooch@owatagu.siam.edu\r\n"
       b"Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n"
       b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n"
       b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n")


def test_imaplib_full_session(fast):
    port = imapd(fast)
    m = imaplib.IMAP4("127.0.0.1", port)
    assert m.login("alice", "alicepw")[0] == "OK"
    typ, data = m.append("INBOX", r"(\Flagged)", None, MSG)
    assert typ == "OK"
    assert re.search(rb"\[APPENDUID \d+ 1\]", data[0])
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"1"]
    typ, data = m.fetch("1", "(FLAGS RFC822.SIZE ENVELOPE)")
    assert typ == "OK"
    assert b"RFC822.SIZE %d" % len(MSG) in data[0]
    assert b'"afternoon meeting"' in data[0]
    assert b"\\Flagged" in data[0]
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert data[0][1] == b"Subject: afternoon meeting\r\n\r\n"
    typ, data = m.fetch("1", "(BODY[TEXT])")
    assert data[0][1] == b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
    typ, data = m.fetch("1", "(FLAGS)")
    assert b"\\Seen" in data[0]               # BODY[] set \Seen
    assert m.search(None, "SUBJECT", "meeting") == ("OK", [b"1"])
    assert m.search(None, "UNSEEN") == ("OK", [b""])
    assert m.store("1", "+FLAGS", r"(\Deleted)")[0] == "OK"
    typ, data = m.expunge()
    assert typ == "OK" and data == [b"1"]
    assert m.select("INBOX")[1] == [b"0"]
    m.logout()


def test_idle_sees_new_mail_from_another_session(fast):
    port = imapd(fast)
    watcher, _ = greet(fast, port)
    watcher.command("w1", "LOGIN alice alicepw")
    assert watcher.command("w2", "SELECT INBOX")[-1].startswith("w2 OK")
    watcher.send_line("w3 IDLE")
    watcher.expect(r"^\+ ")
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login("alice", "alicepw")
    start = time.time()
    assert m.append("INBOX", None, None, MSG)[0] == "OK"
    watcher.expect(r"^\* 1 EXISTS$", timeout=3)
    assert time.time() - start < 2.5
    watcher.send_line("DONE")
    assert watcher.read_until("w3")[-1] == "w3 OK Completed"
    m.logout()


def test_login_timeout_then_long_timeout(make_instance):
    inst = make_instance(options=dict(FAST, logintimeout="2"))
    port = imapd(inst)
    idle, _ = greet(inst, port)
    active, _ = greet(inst, port)
    active.command("a1", "LOGIN alice alicepw")
    time.sleep(3)
    idle.expect(r"^\* BYE Autologout; idle for too long$")
    idle.expect_eof()
    inst.wait_for_log(r"^imapd\[\d+\]: warning: timeout: ")
    # After login the 30-minute timeout applies, not logintimeout.
    assert active.command("a2", "NOOP") == ["a2 OK Completed"]


def test_anonymous_login(make_instance):
    inst = make_instance(options=dict(FAST, allowanonymouslogin="yes"))
    port = imapd(inst)
    admin, _ = greet(inst, port)
    admin.command("a1", "LOGIN admin adminpw")
    assert created(admin.command("a2", "CREATE shared")[-1], "a2")
    assert created(admin.command("a3", "CREATE private")[-1], "a3")
    assert admin.command("a4", "SETACL private anyone \"\"")[-1].startswith(
        "a4 OK")
    c, _ = greet(inst, port)
    assert c.command("b1", "LOGIN anonymous me@example.org")[-1].startswith(
        "b1 OK [CAPABILITY")
    inst.wait_for_log(r"^imapd\[\d+\]: notice: login: .* anonymous anonymous$")
    lines = c.command("b2", 'LIST "" "*"')
    assert lines == ['* LIST (\\HasNoChildren) "." "shared"', "b2 OK Completed"]
    assert c.command("b3", "SELECT shared")[-1].startswith("b3 OK [READ-ONLY]")
    # Without the option, anonymous is just a failed login.
    off = make_instance(options=FAST)
    c2, _ = greet(off, imapd(off))
    assert c2.command("c1", "LOGIN anonymous x")[-1] == (
        "c1 NO [AUTHENTICATIONFAILED] Authentication failed")


def test_quota_alert_at_select(make_instance):
    """SPEC.md: SELECT of a mailbox over quotawarn percent sends an ALERT to
    a user who may delete there, and not to one who may not."""
    inst = make_instance(options=dict(FAST, quotawarn="50"))
    port = imapd(inst)
    admin, _ = greet(inst, port)
    admin.command("a1", "LOGIN admin adminpw")
    admin.command("a2", "CREATE user.alice")
    assert admin.command("a3", "SETQUOTA user.alice (STORAGE 1)")[-1] == (
        "a3 OK Completed")
    admin.command("a4", "SETACL user.alice bob lr")
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login("alice", "alicepw")
    assert m.append("INBOX", None, None, b"Subject: big\r\n\r\n" +
                    b"x" * 600 + b"\r\n")[0] == "OK"
    m.logout()
    c, _ = greet(inst, port)
    c.command("b1", "LOGIN alice alicepw")
    lines = c.command("b2", "SELECT INBOX")
    assert any(re.match(r"^\* OK \[ALERT\] Your mailbox is \d+% full "
                        r"\(storage quota of user\.alice\)$", l) for l in lines)
    b, _ = greet(inst, port)
    b.command("c1", "LOGIN bob bobpw")
    lines = b.command("c2", "EXAMINE user.alice")
    assert lines[-1].startswith("c2 OK [READ-ONLY]")
    assert not any("[ALERT]" in l for l in lines)
