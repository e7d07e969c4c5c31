"""The examples of the RFCs, replayed against imapd with exact responses.

Each test sets up the state the RFC's example assumes (the right number of
messages, the flags, the names), sends the example's commands and compares
every response line.  Where Chapar's names differ from the example's
(separator ".", UIDVALIDITY values), the test says so.
"""

import re

from test_imap_mailbox import created

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}

# RFC 3501 6.3.11: the APPEND example message.
RFC3501_MSG = (
    b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
    b"From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
    b"Subject: afternoon meeting\r\n"
    b"To: mooch@owatagu.siam.edu\r\n"
    b"Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    b"\r\n"
    b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n")


def session(make_instance, user="alice", pw="alicepw"):
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    c = inst.connect(port)
    c.expect(r"^\* OK ")
    assert c.command("l", f"LOGIN {user} {pw}")[-1].startswith("l OK")
    return inst, port, c


def claim_recent(inst, port):
    """SELECT once in another session, so the messages are no longer
    \\Recent to the session of the example (as in the RFC's)."""
    o = inst.connect(port)
    o.expect(r"^\* OK ")
    o.command("l", "LOGIN alice alicepw")
    o.command("s", "SELECT INBOX")
    o.command("z", "LOGOUT")


def append(c, tag, msg, flags=""):
    c.send_line(f"{tag} APPEND INBOX {flags}{{{len(msg)}+}}")
    c.send(msg + b"\r\n")
    return c.read_until(tag)


def test_rfc3501_append_example_and_envelope(make_instance):
    inst, port, c = session(make_instance)
    # A003 APPEND saved-messages (\Seen) {310} ... A003 OK APPEND completed
    # (users create below INBOX in a Cyrus-style server: INBOX.saved-messages)
    assert created(c.command("A002", "CREATE INBOX.saved-messages")[-1],
                   "A002")
    c.send_line(f"A003 APPEND INBOX.saved-messages (\\Seen) "
                f"{{{len(RFC3501_MSG)}}}")
    c.expect(r"^\+ ")
    c.send(RFC3501_MSG + b"\r\n")
    assert re.match(r"^A003 OK \[APPENDUID \d+ 1\] Completed$",
                    c.read_until("A003")[-1])
    assert len(RFC3501_MSG) == 310      # the size the RFC announces
    c.command("A004", "SELECT INBOX.saved-messages")
    lines = c.command("A005", "FETCH 1 (FLAGS RFC822.SIZE ENVELOPE)")
    assert lines[0] == (
        '* 1 FETCH (FLAGS (\\Seen \\Recent) RFC822.SIZE 310 ENVELOPE ('
        '"Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "afternoon meeting" '
        '(("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) '
        '(("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) '
        '(("Fred Foobar" NIL "foobar" "Blurdybloop.COM")) '
        '((NIL NIL "mooch" "owatagu.siam.edu")) NIL NIL NIL '
        '"<B27397-0100000@Blurdybloop.COM>"))')
    lines = c.command("A006", "FETCH 1 (BODY)")
    assert lines[0] == ('* 1 FETCH (BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") '
                        'NIL NIL "7BIT" 55 1))')


def test_rfc3501_expunge_example(make_instance):
    # 6.4.3: messages 3, 4, 7 and 11 had \Deleted set:
    #   * 3 EXPUNGE / * 3 EXPUNGE / * 5 EXPUNGE / * 8 EXPUNGE
    inst, port, c = session(make_instance)
    for i in range(1, 12):
        flags = "(\\Deleted) " if i in (3, 4, 7, 11) else ""
        append(c, f"p{i}", b"Subject: %d\r\n\r\nbody\r\n" % i, flags)
    c.command("s", "SELECT INBOX")
    assert c.command("A202", "EXPUNGE") == [
        "* 3 EXPUNGE", "* 3 EXPUNGE", "* 5 EXPUNGE", "* 8 EXPUNGE",
        "A202 OK Completed"]


def test_rfc3501_store_example(make_instance):
    # 6.4.6: A003 STORE 2:4 +FLAGS (\Deleted), message 3 already \Seen
    # (the RFC's 2 and 4 are also \Seen; 3 is not -- replayed exactly).
    inst, port, c = session(make_instance)
    for i in range(1, 5):
        flags = "(\\Seen) " if i in (2, 4) else ""
        append(c, f"p{i}", b"Subject: %d\r\n\r\nbody\r\n" % i, flags)
    claim_recent(inst, port)
    c.command("s", "SELECT INBOX")
    assert c.command("A003", "STORE 2:4 +FLAGS (\\Deleted)") == [
        "* 2 FETCH (FLAGS (\\Deleted \\Seen))",
        "* 3 FETCH (FLAGS (\\Deleted))",
        "* 4 FETCH (FLAGS (\\Deleted \\Seen))",
        "A003 OK Completed"]


def test_rfc3501_list_examples(make_instance):
    # 6.3.8 with Chapar's "." separator: the hierarchy delimiter query,
    # and % on a small tree.
    inst, port, c = session(make_instance)
    assert c.command("A101", 'LIST "" ""') == [
        '* LIST (\\Noselect) "." ""', "A101 OK Completed"]
    for name in ("INBOX.Drafts", "INBOX.Sent", "INBOX.Sent.2025"):
        assert created(c.command("c", f"CREATE {name}")[-1], "c")
    assert c.command("A102", 'LIST "" "INBOX.%"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.Drafts"',
        '* LIST (\\HasChildren) "." "INBOX.Sent"', "A102 OK Completed"]
    assert c.command("A103", 'LIST "INBOX." "*"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.Drafts"',
        '* LIST (\\HasChildren) "." "INBOX.Sent"',
        '* LIST (\\HasNoChildren) "." "INBOX.Sent.2025"', "A103 OK Completed"]


def test_rfc3501_status_example(make_instance):
    # 6.3.10: A042 STATUS blurdybloop (UIDNEXT MESSAGES)
    inst, port, c = session(make_instance)
    c.command("c", "CREATE INBOX.blurdybloop")
    c.send_line("m APPEND INBOX.blurdybloop " + " ".join(
        ["{12+}\r\nSubject: x\r\n"] * 3))
    assert c.read_until("m")[-1].startswith("m OK [APPENDUID")
    assert c.command("A042", "STATUS INBOX.blurdybloop (UIDNEXT MESSAGES)") == [
        '* STATUS "INBOX.blurdybloop" (UIDNEXT 4 MESSAGES 3)',
        "A042 OK Completed"]


def test_rfc4315_uidplus_and_rfc6851_move(make_instance):
    inst, port, c = session(make_instance)
    c.command("c", "CREATE INBOX.foo")
    for i in range(1, 5):
        append(c, f"p{i}", b"Subject: %d\r\n\r\nbody\r\n" % i)
    c.command("s", "SELECT INBOX")
    lines = c.command("A003", "COPY 2:4 INBOX.foo")
    m = re.match(r"^A003 OK \[COPYUID (\d+) 2:4 1:3\] Completed$", lines[-1])
    assert m, lines
    # RFC 6851 3.3 example shape: COPYUID first, then the EXPUNGEs.
    lines = c.command("a", "UID MOVE 1:2 INBOX.foo")
    assert re.match(r"^\* OK \[COPYUID \d+ 1:2 4:5\] ", lines[0]), lines
    assert lines[1:] == ["* 1 EXPUNGE", "* 1 EXPUNGE", "a OK Completed"]
    c.command("u", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert c.command("A004", "UID EXPUNGE 3") == ["* 1 EXPUNGE",
                                                  "A004 OK Completed"]


def test_rfc2342_namespace_and_rfc4314_myrights(make_instance):
    inst, port, c = session(make_instance)
    assert c.command("A001", "NAMESPACE") == [
        '* NAMESPACE (("INBOX." ".")) (("user." ".")) (("" "."))',
        "A001 OK Completed"]
    # RFC 4314 3.5: the owner of a mailbox has every right; the legacy
    # c and d are included on the wire (section 2.1.1).
    assert c.command("a", "MYRIGHTS INBOX") == [
        '* MYRIGHTS INBOX lrswipkxtecda', "a OK Completed"]


def test_rfc2087_quota_example(make_instance):
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    admin = inst.connect(port)
    admin.expect(r"^\* OK ")
    admin.command("l", "LOGIN admin adminpw")
    admin.command("c", "CREATE user.alice")
    assert admin.command("A003", "SETQUOTA user.alice (STORAGE 512)")[-1] == (
        "A003 OK Completed")
    c = inst.connect(port)
    c.expect(r"^\* OK ")
    c.command("l", "LOGIN alice alicepw")
    # RFC 2087 5.2 GETQUOTAROOT INBOX -> QUOTAROOT and QUOTA lines.
    lines = c.command("A003", "GETQUOTAROOT INBOX")
    assert lines[0] == '* QUOTAROOT "INBOX" "INBOX"'
    assert re.match(r'^\* QUOTA "INBOX" \(STORAGE 0 512( MESSAGE 0 \d+)?\)$',
                    lines[1]), lines
    assert lines[-1] == "A003 OK Completed"
