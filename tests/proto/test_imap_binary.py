"""BINARY (RFC 3516), with exact responses.

- FETCH BINARY[part] / BINARY.PEEK[part]: the part with its
  Content-Transfer-Encoding undone (base64, quoted-printable; 7bit, 8bit
  and binary as they are); a string ({n}) unless the bytes sent hold a
  NUL, then a literal8 (~{n}, RFC 3516 4.3); partial fetches count in the
  decoded bytes; a part that does not exist is NIL.
- BINARY.SIZE[part]: the size BINARY[part] would send (from the cache for
  an identity encoding, decoded for the others).
- An encoding we cannot undo: NO [UNKNOWN-CTE], for BINARY and BINARY.SIZE.
- Sections RFC 3516 does not allow (HEADER, TEXT, MIME, a partial on
  BINARY.SIZE, malformed part numbers): BAD.
- BINARY[] sets \\Seen, BINARY.PEEK and BINARY.SIZE do not.
- APPEND and MULTIAPPEND take literal8 (~{n} and ~{n+}): the message is
  stored byte for byte; one that the store would have to change (bare LF
  or CR, NUL or 8-bit bytes in the header) is refused with NO
  [UNKNOWN-CTE] (4.4: no transformation may lose data), and nothing is
  added.
- Before login: APPEND with a literal8 and FETCH BINARY are BAD.
"""

import base64
import glob
import os

import pytest

from test_imap_mailbox import Session, inst, port  # noqa: F401

B64_NUL = b"\x00\x01\x02hello\x00"
MIME = (b"From: a@example.com\r\n"
        b"Subject: parts\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b\"\r\n"
        b"\r\n"
        b"--b\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n"
        b"caf=C3=A9 =3D ok=\r\n"
        b" soft\r\n"
        b"--b\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n" + base64.b64encode(B64_NUL) + b"\r\n"
        b"--b\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: x-uuencode\r\n"
        b"\r\n"
        b"begin 644 f\r\n"
        b"--b\r\n"
        b"Content-Type: text/plain\r\n"
        b"\r\n"
        b"plain 7bit\r\n"
        b"--b\r\n"
        b"Content-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: BASE64\r\n"
        b"\r\n"
        b"aGVsbG8g\r\nd29ybGQ=\r\n"
        b"--b--\r\n")
SIMPLE = (b"From: a@example.com\r\nSubject: one part\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\n"
          b"b25lIHBhcnQ=\r\n")


def mailbox(inst, port):
    s = Session(inst, port, "alice")
    assert s.append("INBOX", MIME).startswith("OK")
    assert s.append("INBOX", SIMPLE).startswith("OK")
    s.ok("SELECT INBOX")
    return s


def test_capability(inst, port):
    caps = Session(inst, port, "alice").ok("CAPABILITY")[0].split()
    assert "BINARY" in caps


def test_decoded_parts(inst, port):
    s = mailbox(inst, port)
    assert s.ok("FETCH 1 (BINARY.PEEK[1])") == [
        "* 1 FETCH (BINARY[1] {15}\r\ncaf\u00e9 = ok soft)"]
    # NUL in the decoded bytes: literal8
    assert s.ok("FETCH 1 (BINARY.PEEK[2])") == [
        "* 1 FETCH (BINARY[2] ~{9}\r\n\x00\x01\x02hello\x00)"]
    assert s.ok("FETCH 1 (BINARY.PEEK[4] BINARY.PEEK[5])") == [
        "* 1 FETCH (BINARY[4] {10}\r\nplain 7bit BINARY[5] {11}\r\n"
        "hello world)"]
    # a single-part message: part 1 is its body, decoded; [] the message
    assert s.ok("FETCH 2 (BINARY.PEEK[1])") == [
        "* 2 FETCH (BINARY[1] {8}\r\none part)"]
    assert s.ok("FETCH 2 (BINARY.PEEK[])") == [
        "* 2 FETCH (BINARY[] {%d}\r\n%s)" % (len(SIMPLE), SIMPLE.decode())]
    # the UID form, a part that does not exist
    assert s.ok("UID FETCH 1 (BINARY.PEEK[9] BINARY.PEEK[1.1])") == [
        "* 1 FETCH (UID 1 BINARY[9] NIL BINARY[1.1] NIL)"]


def test_sizes(inst, port):
    s = mailbox(inst, port)
    assert s.ok("FETCH 1:2 (BINARY.SIZE[1] BINARY.SIZE[2])") == [
        "* 1 FETCH (BINARY.SIZE[1] 15 BINARY.SIZE[2] 9)",
        "* 2 FETCH (BINARY.SIZE[1] 8 BINARY.SIZE[2] 0)"]
    assert s.ok("FETCH 1 (BINARY.SIZE[4] BINARY.SIZE[5] BINARY.SIZE[])") == [
        "* 1 FETCH (BINARY.SIZE[4] 10 BINARY.SIZE[5] 11 BINARY.SIZE[] %d)"
        % len(MIME)]


def test_identity_sizes_from_cache(inst, port):
    """BINARY.SIZE of a 7bit part (and of []) reads no message file; a
    decoded part does."""
    s = mailbox(inst, port)
    files = glob.glob(os.path.join(inst.spool_dir, "**", "1."),
                      recursive=True)
    assert len(files) == 1
    os.unlink(files[0])
    assert s.ok("FETCH 1 (BINARY.SIZE[4] BINARY.SIZE[] BINARY.SIZE[9])") == [
        "* 1 FETCH (BINARY.SIZE[4] 10 BINARY.SIZE[] %d BINARY.SIZE[9] 0)"
        % len(MIME)]
    assert s.run("FETCH 1 (BINARY.SIZE[1])") == (
        [], "NO [EXPUNGEISSUED] Some messages were expunged before they "
            "could be fetched")


def test_partial(inst, port):
    s = mailbox(inst, port)
    assert s.ok("FETCH 1 (BINARY.PEEK[2]<1.5>)") == [
        "* 1 FETCH (BINARY[2]<1> {5}\r\n\x01\x02hel)"]
    assert s.ok("FETCH 1 (BINARY.PEEK[2]<3.100>)") == [
        "* 1 FETCH (BINARY[2]<3> ~{6}\r\nhello\x00)"]
    # bytes 4..7 of "caf\xc3\xa9 = ok soft": half a UTF-8 character
    assert s.ok("FETCH 1 (BINARY.PEEK[1]<4.4>)") == [
        "* 1 FETCH (BINARY[1]<4> {4}\r\n\udca9 = )"]
    assert s.ok("FETCH 1 (BINARY.PEEK[5]<20.5>)") == [
        "* 1 FETCH (BINARY[5]<20> {0}\r\n)"]


def test_unknown_cte(inst, port):
    s = mailbox(inst, port)
    assert s.run("FETCH 1 (BINARY.PEEK[3])") == (
        [], "NO [UNKNOWN-CTE] Cannot decode the content transfer encoding "
            "of a part")
    assert s.status("FETCH 1 (BINARY.SIZE[3])").startswith(
        "NO [UNKNOWN-CTE] ")
    # BODY[3] is still the encoded text
    assert s.ok("FETCH 1 (BODY.PEEK[3])") == [
        "* 1 FETCH (BODY[3] {11}\r\nbegin 644 f)"]


@pytest.mark.parametrize("item", [
    "BINARY[HEADER]", "BINARY[TEXT]", "BINARY[1.MIME]", "BINARY.PEEK[1.TEXT]",
    "BINARY[HEADER.FIELDS (From)]", "BINARY.SIZE[1]<0.5>", "BINARY[0]",
    "BINARY[1.]", "BINARY[01]", "BINARY[1]<5>", "BINARY[1", "BINARY.SIZE",
    "BINARY.FOO[1]"])
def test_bad_sections(inst, port, item):
    s = mailbox(inst, port)
    status = s.status(f"FETCH 1 ({item})")
    assert status in ("BAD Invalid body section",
                      "BAD Invalid fetch attribute",
                      "BAD Invalid character in section"), status


def test_seen(inst, port):
    s = mailbox(inst, port)
    assert s.ok("FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[2] FLAGS)") == [
        "* 1 FETCH (FLAGS (\\Recent) BINARY[1] {15}\r\ncaf\u00e9 = ok soft "
        "BINARY.SIZE[2] 9)"]
    assert s.ok("FETCH 1 (BINARY.SIZE[1])") == [
        "* 1 FETCH (BINARY.SIZE[1] 15)"]
    assert s.ok("FETCH 1 FLAGS") == ["* 1 FETCH (FLAGS (\\Recent))"]
    assert s.ok("FETCH 1 (BINARY[4])") == [
        "* 1 FETCH (FLAGS (\\Seen \\Recent) BINARY[4] {10}\r\nplain 7bit)"]


BIN_MSG = (b"From: a@example.com\r\nSubject: bin\r\n"
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n"
           b"\x00\xff\r\nX\x00")


def test_append_literal8(inst, port):
    s = Session(inst, port, "alice")
    # non-synchronizing
    s.n += 1
    s.c.send(b"t%d APPEND INBOX ~{%d+}\r\n" % (s.n, len(BIN_MSG)) + BIN_MSG
             + b"\r\n")
    assert s.c.read_until(f"t{s.n}")[-1].startswith(f"t{s.n} OK [APPENDUID ")
    # synchronizing, MULTIAPPEND with a classic literal after it
    s.n += 1
    s.c.send(b"t%d APPEND INBOX (\\Flagged) ~{%d}\r\n" % (s.n, len(BIN_MSG)))
    assert s.c.read_line() == "+ go ahead"
    s.c.send(BIN_MSG + b" {%d+}\r\n" % len(SIMPLE) + SIMPLE + b"\r\n")
    assert s.c.read_until(f"t{s.n}")[-1].startswith(f"t{s.n} OK [APPENDUID ")
    s.ok("SELECT INBOX")
    assert s.ok("FETCH 1:3 RFC822.SIZE") == [
        f"* 1 FETCH (RFC822.SIZE {len(BIN_MSG)})",
        f"* 2 FETCH (RFC822.SIZE {len(BIN_MSG)})",
        f"* 3 FETCH (RFC822.SIZE {len(SIMPLE)})"]
    body = "\x00\udcff\r\nX\x00"
    assert s.ok("FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1] FLAGS)") == [
        "* 2 FETCH (FLAGS (\\Flagged \\Recent) BINARY[1] ~{6}\r\n" + body +
        " BINARY.SIZE[1] 6)"]
    assert s.ok("FETCH 1 (BINARY.PEEK[])") == [
        "* 1 FETCH (BINARY[] ~{%d}\r\n%s)" % (
            len(BIN_MSG), BIN_MSG.decode("utf-8", "surrogateescape"))]
    assert '"BINARY" 6' in s.ok("FETCH 1 BODYSTRUCTURE")[0]


@pytest.mark.parametrize("data", [
    b"From: a@example.com\nSubject: lf\n\nbody\n",           # bare LF
    b"From: a@example.com\r\nSubject: cr\r\n\r\nbo\rdy\r\n",  # bare CR
    b"From: a\x00b@example.com\r\n\r\nbody\r\n",           # NUL in header
    b"From: a@example.com\r\nSubject: \xe9t\xe9\r\n\r\nb\r\n"])  # 8-bit
def test_append_literal8_that_would_change(inst, port, data):
    s = Session(inst, port, "alice")
    s.n += 1
    s.c.send(b"t%d APPEND INBOX {%d+}\r\n%s ~{%d+}\r\n%s\r\n" % (
        s.n, len(MIME), MIME, len(data), data))
    assert s.c.read_until(f"t{s.n}")[-1] == (
        f"t{s.n} NO [UNKNOWN-CTE] The message would not be stored as sent "
        "(bare CR or LF, or NUL or 8-bit bytes in its header)")
    # MULTIAPPEND: nothing was added
    assert s.ok("STATUS INBOX (MESSAGES)") == [
        '* STATUS "INBOX" (MESSAGES 0)']


def test_before_login(inst, port):
    s = Session(inst, port)
    s.n += 1
    s.c.send(b"t1 APPEND INBOX ~{5}\r\n")
    assert s.c.read_line() == "+ go ahead"
    s.c.send(b"x\x00y\r\n\r\n")
    assert s.c.read_until("t1") == ["t1 BAD Please login first"]
    assert s.status("FETCH 1 (BINARY[1])") == "BAD Please login first"
    assert s.status("FETCH 1 (BINARY.SIZE[1])") == "BAD Please login first"
