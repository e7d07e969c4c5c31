"""CATENATE (RFC 4469), with exact responses.

- APPEND ... CATENATE (TEXT literal / URL url ...) builds the message from
  literals and from IMAP URLs (RFC 5092) of messages and parts the user
  may read: relative to imap://user@server/ ("/INBOX;UIDVALIDITY=n/;UID=1
  /;SECTION=x"), to the selected mailbox (";UID=1"), absolute naming this
  server and user; SECTION as FETCH BODY[] takes it (HEADER, a part,
  N.MIME, HEADER.FIELDS), PARTIAL; the URL's bytes are copied unchanged
  and its message is not marked \\Seen.
- NO [BADURL url]: a mailbox without the r right (or missing), an
  unknown UID, a UIDVALIDITY that is not the mailbox's, a part that does
  not exist, another host or user, ";UID=" with nothing selected, a URL
  that does not parse; nothing is appended.
- MULTIAPPEND mixing literals and CATENATE messages is one transaction:
  a bad URL in the last message adds none.
- NO [OVERQUOTA] over quota, NO [TOOBIG] past maxmessagesize; malformed
  CATENATE lists are BAD.
"""

import pytest

from test_imap_binary import MIME
from test_imap_mailbox import FAST, Session

HOST = "mail.example.org"
TEXT = b"\r\n--added--\r\n"


@pytest.fixture
def inst(make_instance):
    return make_instance(options=dict(FAST, servername=HOST))


@pytest.fixture
def port(inst):
    return inst.serve_tcp(inst.argv("imap/imapd/imapd"))


def lit(data):
    return b"{%d+}\r\n" % len(data) + data


def append(s, cmd):
    """Send "tN <cmd>" (bytes, literals inline); the tagged status."""
    s.n += 1
    tag = f"t{s.n}"
    s.c.send(tag.encode() + b" " + cmd + b"\r\n")
    return s.c.read_until(tag)[-1][len(tag) + 1:]


def source_and_dst(inst, port):
    """alice with MIME as INBOX UID 1 and an empty INBOX.dst; (session,
    INBOX's UIDVALIDITY)."""
    s = Session(inst, port, "alice")
    assert s.append("INBOX", MIME).startswith("OK")
    s.ok("CREATE INBOX.dst")
    st = s.ok("STATUS INBOX (UIDVALIDITY)")[0]
    return s, int(st.split("UIDVALIDITY ")[1].rstrip(")"))


def header(data):
    return data[:data.index(b"\r\n\r\n") + 4]


def part(n):
    """Body of part n of MIME (the CRLF before a boundary excluded)."""
    chunks = MIME.split(b"\r\n--b")
    body = chunks[n]
    return body[body.index(b"\r\n\r\n") + 4:]


def dst_messages(s):
    st = s.ok('STATUS INBOX.dst (MESSAGES)')[0]
    return int(st.split("MESSAGES ")[1].rstrip(")"))


def fetch_last(s, mailbox="INBOX.dst"):
    s.ok(f"EXAMINE {mailbox}")
    lines = s.ok("FETCH * BODY.PEEK[]")
    s.ok("UNSELECT")
    text = lines[-1]
    body = text.split("}\r\n", 1)[1][:-1]
    return body.encode("utf-8", "surrogateescape")


def test_capability(inst, port):
    caps = Session(inst, port, "alice").ok("CAPABILITY")[0].split()
    assert "CATENATE" in caps


def test_text_and_url_parts(inst, port):
    s, v = source_and_dst(inst, port)
    status = append(s, b'APPEND INBOX.dst (\\Draft) CATENATE (URL "/INBOX;UIDV'
                    b'ALIDITY=%d/;UID=1/;SECTION=HEADER" TEXT ' % v
                    + lit(TEXT) + b' URL "/INBOX/;UID=1/;section=4" URL '
                    b'"imap://alice@' + HOST.encode() + b'/INBOX/;UID=1/;Secti'
                    b'on=4.MIME" TEXT ~{3+}\r\nend)')
    assert status.startswith("OK [APPENDUID ") and status.endswith(
        " 1] Completed")
    assert fetch_last(s) == (header(MIME) + TEXT + part(4) +
                             b"Content-Type: text/plain\r\n\r\nend")
    # the source message is not \Seen
    s.ok("EXAMINE INBOX")
    assert s.ok("FETCH 1 FLAGS") == ["* 1 FETCH (FLAGS (\\Recent))"]


def test_whole_message_fields_partial_and_selected_base(inst, port):
    s, v = source_and_dst(inst, port)
    s.ok("SELECT INBOX")
    assert append(s, b'APPEND INBOX.dst CATENATE (URL "/INBOX/;UID=1")'
                  ).startswith("OK [APPENDUID")
    assert fetch_last(s) == MIME
    s.ok("SELECT INBOX")
    assert append(s, b'APPEND INBOX.dst CATENATE (URL ";UID=1/;SECTION=HEAD'
                  b'ER.FIELDS%20(Subject%20From)" URL "/;UID=1/;PARTIAL=6.9"'
                  b' URL "/INBOX/;UID=1/;PARTIAL=3")').startswith("OK")
    assert fetch_last(s) == (b"From: a@example.com\r\nSubject: parts\r\n\r\n"
                             + MIME[6:15] + MIME[3:])


def test_utf8_mailbox_and_synchronizing_literal(inst, port):
    """RFC 5092 names a mailbox in %-encoded UTF-8 (here INBOX.caf\u00e9,
    "INBOX.caf&AOk-" on the wire); a TEXT literal may be synchronizing."""
    s, _ = source_and_dst(inst, port)
    s.ok('CREATE "INBOX.caf&AOk-"')
    assert s.append('"INBOX.caf&AOk-"', b"Subject: x\r\n\r\ny\r\n"
                    ).startswith("OK")
    s.n += 1
    tag = f"t{s.n}"
    s.c.send(f"{tag} APPEND INBOX.dst CATENATE (TEXT {{3}}\r\n".encode())
    assert s.c.read_line() == "+ go ahead"
    s.c.send(b'a\r\n URL "/INBOX.caf%C3%A9/;UID=1")\r\n')
    assert s.c.read_until(tag)[-1].startswith(f"{tag} OK [APPENDUID ")
    assert fetch_last(s) == b"a\r\nSubject: x\r\n\r\ny\r\n"
    # the modified UTF-7 spelling is not RFC 5092's
    assert append(s, b'APPEND INBOX.dst CATENATE (URL "/INBOX.caf&AOk-/;UID'
                  b'=1")') == \
        "NO [BADURL /INBOX.caf&AOk-/;UID=1] Cannot use this URL"


def test_other_users_mailbox_needs_read_right(inst, port):
    s, _ = source_and_dst(inst, port)
    bob = Session(inst, port, "bob")
    assert bob.append("INBOX", b"Subject: bob's\r\n\r\nhi\r\n").startswith("OK")
    url = b'"/user.bob/;UID=1"'
    cmd = b"APPEND INBOX.dst CATENATE (URL " + url + b")"
    assert append(s, cmd) == \
        'NO [BADURL /user.bob/;UID=1] Cannot use this URL'
    bob.ok("SETACL INBOX alice l")          # sees it, may not read it
    assert append(s, cmd) == \
        'NO [BADURL /user.bob/;UID=1] Cannot use this URL'
    assert dst_messages(s) == 0
    bob.ok("SETACL INBOX alice lr")
    assert append(s, cmd).startswith("OK [APPENDUID")
    assert fetch_last(s) == b"Subject: bob's\r\n\r\nhi\r\n"
    bob.ok("EXAMINE INBOX")
    assert bob.ok("FETCH 1 FLAGS") == ["* 1 FETCH (FLAGS (\\Recent))"]


@pytest.mark.parametrize("url", [
    "/INBOX/;UID=99",                           # no such UID
    "/INBOX;UIDVALIDITY=1/;UID=1",              # not the mailbox's
    "/INBOX/;UID=1/;SECTION=9",                 # no such part
    "/INBOX/;UID=1/;SECTION=1.HEADER",          # not a message/rfc822
    "/INBOX/;UID=1/;SECTION=bogus",
    "/INBOX.none/;UID=1",                       # no such mailbox
    "imap://alice@other.example.org/INBOX/;UID=1",
    "imap://bob@" + HOST + "/INBOX/;UID=1",
    ";UID=1",                                   # nothing selected
    "/INBOX/;UID=0", "/INBOX/;UID=", "/INBOX/;UID=1/;URLAUTH=anonymous",
    "/INBOX/;UID=1/;PARTIAL=1.0", "/INBOX/;UID=1/;SECTION=%zz",
    "http://example.org/", "INBOX"])
def test_bad_urls(inst, port, url):
    s, _ = source_and_dst(inst, port)
    assert append(s, b'APPEND INBOX.dst CATENATE (TEXT ' + lit(b"x") +
                  b' URL "' + url.encode() + b'")') == \
        f"NO [BADURL {url}] Cannot use this URL"
    assert dst_messages(s) == 0


def test_multiappend_is_atomic(inst, port):
    s, _ = source_and_dst(inst, port)
    first = b"Subject: first\r\n\r\n1\r\n"
    assert append(s, b"APPEND INBOX.dst " + lit(first) +
                  b' CATENATE (URL "/INBOX/;UID=1") (\\Seen) CATENATE (URL '
                  b'"/INBOX/;UID=7")') == \
        "NO [BADURL /INBOX/;UID=7] Cannot use this URL"
    assert dst_messages(s) == 0
    status = append(s, b"APPEND INBOX.dst " + lit(first) +
                    b' CATENATE (URL "/INBOX/;UID=1") (\\Seen) CATENATE (TEXT '
                    + lit(b"Subject: third\r\n\r\n") + b' URL "/INBOX/;UID=1/'
                    b';SECTION=4")')
    assert status.startswith("OK [APPENDUID ") and status.endswith(
        " 1:3] Completed"), status
    s.ok("EXAMINE INBOX.dst")
    lines = s.ok("FETCH 1:3 (FLAGS RFC822.SIZE)")
    assert lines == [
        f"* 1 FETCH (FLAGS (\\Recent) RFC822.SIZE {len(first)})",
        f"* 2 FETCH (FLAGS (\\Recent) RFC822.SIZE {len(MIME)})",
        f"* 3 FETCH (FLAGS (\\Seen \\Recent) RFC822.SIZE "
        f"{len(b'Subject: third') + 4 + len(part(4))})"]


@pytest.mark.parametrize("cmd", [
    b"CATENATE ()", b'CATENATE (TEXT "x")', b"CATENATE (TEXT)",
    b"CATENATE (FOO " + lit(b"x") + b")", b"CATENATE (URL (x))",
    b"CATENATE URL", b"CATENATE"])
def test_bad_syntax(inst, port, cmd):
    s, _ = source_and_dst(inst, port)
    status = append(s, b"APPEND INBOX.dst " + cmd)
    assert status in (
        "BAD CATENATE needs TEXT literal or URL url parts",
        "BAD Expected a message literal"), status
    assert dst_messages(s) == 0


def test_quota(inst, port):
    s, _ = source_and_dst(inst, port)
    admin = Session(inst, port, "admin")
    admin.ok("SETQUOTA user.alice (STORAGE 1)")     # 1 KB, MIME is < 1 KB
    cmd = (b'APPEND INBOX.dst CATENATE (URL "/INBOX/;UID=1" URL '
           b'"/INBOX/;UID=1")')
    assert append(s, cmd) == "NO [OVERQUOTA] Over quota"
    assert dst_messages(s) == 0


def test_toobig(make_instance):
    inst = make_instance(options=dict(FAST, servername=HOST,
                                      maxmessagesize=len(MIME) + 10))
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    s, _ = source_and_dst(inst, port)
    ok = b'APPEND INBOX.dst CATENATE (URL "/INBOX/;UID=1" TEXT ' + lit(b"1")
    assert append(s, ok + b")").startswith("OK [APPENDUID")
    assert append(s, ok + b' URL "/INBOX/;UID=1/;SECTION=1")') == \
        "NO [TOOBIG] Message too big"
    assert append(s, ok + b" TEXT " + lit(b"x" * 20) + b")") == \
        "NO [TOOBIG] Message too big"
    assert dst_messages(s) == 1
    # all the CATENATE messages of one command: at most the literal bytes
    # a command may send (8 x APPENDLIMIT)
    one = b' CATENATE (URL "/INBOX/;UID=1")'
    assert append(s, b"APPEND INBOX.dst" + one * 9) == \
        "NO [TOOBIG] Message too big"
    assert dst_messages(s) == 1
    assert append(s, b"APPEND INBOX.dst" + one * 8).endswith(
        " 2:9] Completed")
    assert dst_messages(s) == 9
