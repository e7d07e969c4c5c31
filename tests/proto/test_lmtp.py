"""lmtpd (RFC 2033) against a private instance: exact transcripts of
LHLO/MAIL/RCPT/DATA with several recipients (one unknown: 550 at RCPT, one
reply per accepted recipient after DATA), over quota at RCPT (452),
PIPELINING, RSET, bad commands (500/501/503/555, the session goes on),
limits (SIZE=, line length, message size), dot-unstuffing, the trace
headers, shared mailboxes (bb+mailbox), duplicate suppression and a
refused message.  lmtpd runs inetd style behind a loopback port, and once
on a socketpair as master hands it a UNIX connection.
"""

import re

import pytest

from chapar_instance import LineClient
from test_deliver import FAST, Store, message

GREETING = "220 chapar.test LMTP Chapar ready"
LHLO_REPLY = ["250-chapar.test", "250-PIPELINING", "250-ENHANCEDSTATUSCODES",
              "250-8BITMIME", "250 SIZE 67108864"]


@pytest.fixture
def store(make_instance):
    return Store(make_instance(options=FAST))


def session(store, lhlo=True):
    port = getattr(store, "lmtp_port", None)
    if port is None:
        port = store.lmtp_port = store.inst.serve_tcp(
            store.inst.argv("deliver/lmtpd"))
    c = store.inst.connect(port)
    assert c.read_line() == GREETING
    if lhlo:
        c.send_line("LHLO mx.example.org")
        for want in LHLO_REPLY:
            assert c.read_line().split(" ")[0] == want.split(" ")[0]
    return c


def talk(c, line, *replies):
    """Send one line and check the exact replies that follow."""
    c.send_line(line)
    for want in replies:
        assert c.read_line() == want, line


def send_data(c, body, *replies):
    talk(c, "DATA", "354 Go ahead, end with <CR><LF>.<CR><LF>")
    c.send(body + b".\r\n")
    for want in replies:
        assert c.read_line() == want


def test_transcript_two_recipients_one_unknown(store):
    c = session(store, lhlo=False)
    c.send_line("LHLO mx.example.org")
    assert [c.read_line() for _ in LHLO_REPLY] == LHLO_REPLY
    talk(c, "MAIL FROM:<sender@example.org> SIZE=120 BODY=8BITMIME",
         "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice@chapar.test>", "250 2.1.5 Ok")
    talk(c, "RCPT TO:<nosuch@chapar.test>", "550 5.1.1 User unknown")
    talk(c, "RCPT TO:<bob@chapar.test>", "250 2.1.5 Ok")
    send_data(c, b"Subject: hi\r\nMessage-ID: <l1@example.org>\r\n\r\n"
                 b"..leading dot\r\nbare lf\nlast\r\n",
              "250 2.1.5 Ok", "250 2.1.5 Ok")
    talk(c, "QUIT", "221 2.0.0 chapar.test closing connection")
    c.expect_eof()
    for user in ("alice", "bob"):
        [(_, body)] = store.messages(user)
        assert re.match(
            rb"^Return-Path: <sender@example\.org>\r\n"
            rb"Received: from mx\.example\.org \(localhost \[127\.0\.0\.1\]\)"
            rb"\r\n\tby chapar\.test \(Chapar\) with LMTP;\r\n\t"
            rb"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n"
            rb"Subject: hi\r\n", body), body
        assert body.endswith(b"\r\n\r\n.leading dot\r\nbare lf\r\nlast\r\n")
    store.inst.wait_for_log(r"^lmtpd\[\d+\]: info: lmtp: recipient refused: "
                            r"from=<sender@example\.org> "
                            r"to=<nosuch@chapar\.test>: not found$")


def test_over_quota_at_rcpt(store):
    store.setquota("user.bob", 1)
    assert store.run(["bob"], message(1, b"x" * 2000 + b"\n"))[0] == 0
    c = session(store)
    talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<bob>", "452 4.2.2 Over quota")
    talk(c, "DATA", "503 5.5.1 No valid recipients")
    talk(c, "RCPT TO:<alice>", "250 2.1.5 Ok")
    send_data(c, b"Subject: q\r\n\r\nx\r\n", "250 2.1.5 Ok")
    assert (store.count("alice"), store.count("bob")) == (1, 1)
    # Over quota between RCPT and DATA: the answer comes after DATA.
    store.setquota("user.alice", 1)
    talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice>", "250 2.1.5 Ok")
    assert store.run(["alice"], message(2, b"x" * 2000 + b"\n"))[0] == 0
    send_data(c, b"Subject: late\r\n\r\nx\r\n", "452 4.2.2 Over quota")
    assert store.count("alice") == 2


def test_pipelining(store):
    c = session(store)
    c.send(b"MAIL FROM:<s@example.org>\r\nRCPT TO:<alice>\r\n"
           b"RCPT TO:<nobody>\r\nRCPT TO:<bob+nosuch>\r\nDATA\r\n")
    assert [c.read_line() for _ in range(5)] == [
        "250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 User unknown",
        "250 2.1.5 Ok", "354 Go ahead, end with <CR><LF>.<CR><LF>"]
    # The message, the next transaction and QUIT in one go as well.
    c.send(b"Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\n"
           b"RCPT TO:<alice>\r\nDATA\r\nSubject: p2\r\n\r\nb\r\n.\r\nQUIT\r\n")
    assert [c.read_line() for _ in range(7)] == [
        "250 2.1.5 Ok", "250 2.1.5 Ok", "250 2.1.0 Ok", "250 2.1.5 Ok",
        "354 Go ahead, end with <CR><LF>.<CR><LF>", "250 2.1.5 Ok",
        "221 2.0.0 chapar.test closing connection"]
    assert (store.count("alice"), store.count("bob")) == (2, 1)
    assert store.messages("alice")[1][1].startswith(b"Return-Path: <>\r\n")


def test_rset_and_noop(store):
    c = session(store)
    talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice>", "250 2.1.5 Ok")
    talk(c, "RSET", "250 2.0.0 Ok")
    talk(c, "DATA", "503 5.5.1 Need MAIL command")
    talk(c, "NOOP", "250 2.0.0 Ok")
    talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice>", "250 2.1.5 Ok")
    send_data(c, b"Subject: after rset\r\n\r\nx\r\n", "250 2.1.5 Ok")
    assert store.count("alice") == 1


def test_bad_commands_keep_the_session(store):
    c = session(store, lhlo=False)
    talk(c, "MAIL FROM:<s@example.org>", "503 5.5.1 Send LHLO first")
    talk(c, "EHLO mx", "500 5.5.1 This is LMTP: use LHLO")
    talk(c, "LHLO", "501 5.5.4 Syntax: LHLO hostname")
    talk(c, "FROBNICATE now", "500 5.5.2 Unrecognized command")
    talk(c, "", "500 5.5.2 Unrecognized command")
    c.send_line("lhlo mx")
    assert [c.read_line() for _ in LHLO_REPLY] == LHLO_REPLY
    talk(c, "RCPT TO:<alice>", "503 5.5.1 Need MAIL command")
    talk(c, "MAIL FROM:sender@example.org", "501 5.5.4 Syntax: MAIL FROM:<address>")
    talk(c, "MAIL FROM:<s@example.org> SIZE=99999999999",
         "552 5.3.4 Message size exceeds fixed maximum message size")
    talk(c, "MAIL FROM:<s@example.org> SIZE=big", "501 5.5.4 Invalid SIZE parameter")
    talk(c, "MAIL FROM:<s@example.org> BODY=BINARYMIME",
         "501 5.5.4 Invalid BODY parameter")
    talk(c, "MAIL FROM:<s@example.org> NOTIFY=NEVER", "555 5.5.4 Unsupported parameter")
    talk(c, "MAIL FROM:<@relay.example:s@example.org>", "250 2.1.0 Ok")
    talk(c, "MAIL FROM:<s@example.org>", "503 5.5.1 Nested MAIL command")
    talk(c, "RCPT TO:alice", "501 5.5.4 Syntax: RCPT TO:<address>")
    talk(c, "RCPT TO:<>", "501 5.5.4 Syntax: RCPT TO:<address>")
    talk(c, "RCPT TO:<alice> NOTIFY=NEVER", "555 5.5.4 Unsupported parameter")
    talk(c, "RCPT " + "x" * 5000, "500 5.5.2 Line too long")
    talk(c, 'RCPT TO:<"alice"@chapar.test>', "250 2.1.5 Ok")
    send_data(c, b"Subject: still here\r\n\r\nx\r\n", "250 2.1.5 Ok")
    talk(c, "QUIT", "221 2.0.0 chapar.test closing connection")
    assert store.count("alice") == 1


def test_message_too_big_and_refused_message(make_instance):
    s = Store(make_instance(options=dict(FAST, maxmessagesize="300")))
    c = session(s, lhlo=False)
    c.send_line("LHLO mx")
    assert [c.read_line() for _ in LHLO_REPLY][-1] == "250 SIZE 300"
    talk(c, "MAIL FROM:<s@example.org> SIZE=301",
         "552 5.3.4 Message size exceeds fixed maximum message size")
    talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice>", "250 2.1.5 Ok")
    talk(c, "RCPT TO:<bob>", "250 2.1.5 Ok")
    send_data(c, b"Subject: big\r\n\r\n" + b"y" * 400 + b"\r\n",
              "552 5.3.4 Message too big", "552 5.3.4 Message too big")
    talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice>", "250 2.1.5 Ok")
    send_data(c, b"From s@example.org Mon Feb  7 21:52:25 1994\r\n"
                 b"Subject: x\r\n\r\nx\r\n",
              "554 5.6.0 Message contains invalid header")
    assert (s.count("alice"), s.count("bob")) == (0, 0)


def test_shared_mailbox_and_duplicates(store):
    store.ok(store.admin.create("shared.lists"))
    c = session(store)
    talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<bb+shared.lists@chapar.test>", "550 5.1.1 User unknown")
    talk(c, "RSET", "250 2.0.0 Ok")
    store.setacl("shared.lists", "anyone", "lrsp")
    for _ in range(2):
        talk(c, "MAIL FROM:<s@example.org>", "250 2.1.0 Ok")
        talk(c, "RCPT TO:<bb+shared.lists@chapar.test>", "250 2.1.5 Ok")
        talk(c, "RCPT TO:<alice>", "250 2.1.5 Ok")
        send_data(c, b"Message-ID: <same@example.org>\r\n\r\nx\r\n",
                  "250 2.1.5 Ok", "250 2.1.5 Ok")
    # duplicatesuppression: yes (the default): the second copy was dropped.
    assert (store.count("admin", "shared.lists"), store.count("alice")) == (1, 1)
    store.inst.wait_for_log(r"^lmtpd\[\d+\]: info: dupelim: eliminated "
                            r"duplicate message to mailbox=<shared\.lists> ")


def test_socketpair_like_master(store):
    sock, proc = store.inst.socketpair(store.inst.argv("deliver/lmtpd"))
    c = LineClient(sock)
    assert c.read_line() == GREETING
    c.send(b"LHLO local\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<bob>\r\n"
           b"DATA\r\nSubject: unix\r\n\r\nx\r\n.\r\nQUIT\r\n")
    lines = [c.read_line() for _ in range(len(LHLO_REPLY) + 5)]
    assert lines[-2:] == ["250 2.1.5 Ok",
                          "221 2.0.0 chapar.test closing connection"]
    assert proc.wait(timeout=10) == 0
    assert b"Received: from local ([local])\r\n" in store.messages("bob")[0][1]
