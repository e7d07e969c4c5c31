"""COMPRESS=DEFLATE (RFC 4978) in imapd: exact responses, the capability
after login only, and a compressed session that sees byte for byte what an
uncompressed one sees (SELECT, FETCH of a large message, APPEND of a
literal, IDLE woken by another session, LOGOUT), in plaintext, after
STARTTLS and on implicit TLS; input split into tiny writes; pipelined
input dropped at the switch; garbage compressed input ends the session
with a log line.

The client side is Python's zlib: raw DEFLATE (wbits -15), a sync flush
after every write, as Thunderbird and K-9 do.
"""

import re
import subprocess
import time
import zlib

import pytest

from chapar_instance import LineClient

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}
DATE = '"08-Dec-2026 01:00:00 +0000"'


class DeflateClient(LineClient):
    """A LineClient that can turn on COMPRESS=DEFLATE.  `received` keeps
    every byte read after decompression; `wire_in` counts bytes read from
    the socket."""

    def __init__(self, sock, timeout=10):
        super().__init__(sock, timeout)
        self.z_out = self.z_in = None
        self.received = b""
        self.wire_in = 0

    def compress(self):
        assert not self.buf, f"data after the COMPRESS OK: {self.buf!r}"
        self.z_out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.z_in = zlib.decompressobj(-15)

    def deflate(self, data, flush=zlib.Z_SYNC_FLUSH):
        return self.z_out.compress(data) + self.z_out.flush(flush)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.z_out:
            data = self.deflate(data)
        self.sock.sendall(data)

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        before = len(self.buf)
        save, self.buf = self.buf, b""
        super()._fill(timeout)
        raw, self.buf = self.buf, save
        self.wire_in += len(raw)
        data = self.z_in.decompress(raw) if self.z_in else raw
        self.buf += data
        self.received += data
        assert len(self.buf) >= before


def connect(inst, port, tls=False):
    c = DeflateClient.connect(port, tls=inst.client_context() if tls else None)
    inst._clients.append(c)
    c.expect(r"^\* OK \[CAPABILITY ")
    return c


def caps_of(line):
    return line.split()[2:]


def big_message(n=300_000):
    lines = [b"From: Alice <alice@example.org>", b"To: bob@example.org",
             b"Subject: a large message", b"", b""]
    body = b"".join(b"line %06d of the large message, compressible text\r\n"
                    % i for i in range(n // 52))
    return b"\r\n".join(lines) + body


def append(c, tag, mailbox, msg):
    c.send_line(f"{tag} APPEND {mailbox} {DATE} {{{len(msg)}}}")
    c.expect(r"^\+ ")
    c.send(msg + b"\r\n")
    lines = c.read_until(tag)
    assert lines[-1].startswith(f"{tag} OK"), lines
    return lines


def compress_on(c, tag="z1"):
    assert c.command(tag, "COMPRESS DEFLATE") == [f"{tag} OK DEFLATE active"]
    c.compress()


@pytest.fixture
def inst(make_instance):
    return make_instance(options=FAST)


def serve(inst, implicit_tls=False):
    args = ("-s",) if implicit_tls else ()
    return inst.serve_tcp(inst.argv("imap/imapd/imapd", *args))


def test_capability_after_login_and_while_off(inst):
    port = serve(inst)
    c = connect(inst, port)
    caps = caps_of(c.command("c1", "CAPABILITY")[0])
    assert "COMPRESS=DEFLATE" not in caps
    assert c.command("c2", "COMPRESS DEFLATE")[-1] == "c2 BAD Please login first"
    login = c.command("l1", "LOGIN alice alicepw")[-1]
    assert re.match(r"^l1 OK \[CAPABILITY [^\]]* COMPRESS=DEFLATE\]", login)
    caps = caps_of(c.command("c3", "CAPABILITY")[0])
    assert caps.count("COMPRESS=DEFLATE") == 1
    compress_on(c)
    lines = c.command("c4", "CAPABILITY")
    assert lines[-1] == "c4 OK Completed"
    assert "COMPRESS=DEFLATE" not in caps_of(lines[0])
    assert caps_of(lines[0]) == [x for x in caps if x != "COMPRESS=DEFLATE"]


def test_exact_responses(inst):
    port = serve(inst)
    c = connect(inst, port)
    c.command("l1", "LOGIN alice alicepw")
    assert c.command("a1", "COMPRESS") == ["a1 BAD COMPRESS takes one algorithm"]
    assert c.command("a2", "COMPRESS DEFLATE X") == [
        "a2 BAD COMPRESS takes one algorithm"]
    assert c.command("a3", "COMPRESS LZMA") == ["a3 BAD Unknown COMPRESS algorithm"]
    assert c.command("a4", 'COMPRESS "DEFLATE"') == [
        "a4 BAD COMPRESS takes one algorithm"]
    # Still uncompressed after those: a plain NOOP answers in plain text.
    assert c.command("a5", "NOOP") == ["a5 OK Completed"]
    compress_on(c, "a6")
    # Everything after the OK is compressed, the second COMPRESS included.
    assert c.command("a7", "COMPRESS DEFLATE") == [
        "a7 NO [COMPRESSIONACTIVE] DEFLATE active via COMPRESS"]
    assert c.command("a8", "compress deflate") == [
        "a8 NO [COMPRESSIONACTIVE] DEFLATE active via COMPRESS"]
    assert c.command("a9", "NOOP") == ["a9 OK Completed"]
    assert c.command("a10", "LOGOUT") == ["* BYE Chapar IMAP server signing off",
                                          "a10 OK Completed"]
    c.expect_eof()
    inst.wait_for_log(r"imapd\[\d+\]: info: compress: .* user=<alice> DEFLATE$")


def test_compress_in_selected_state(inst):
    port = serve(inst)
    c = connect(inst, port)
    c.command("l1", "LOGIN alice alicepw")
    assert c.command("s1", "SELECT INBOX")[-1].startswith("s1 OK")
    compress_on(c)
    assert c.command("s2", "SELECT INBOX")[-1].startswith("s2 OK")
    assert c.command("s3", "COMPRESS DEFLATE")[-1].startswith("s3 NO [COMPRESSIONACTIVE]")


def test_idle_session_compresses_again(inst):
    """After a second without input imapd frees its compressor (the idle
    call, lib/deflate.h) and makes a new one at the next response; the
    client's decompressor goes on undisturbed."""
    port = serve(inst)
    fill_inbox(inst, port, "alice", big_message(100_000), "plain")
    c = connect(inst, port)
    c.command("l1", "LOGIN alice alicepw")
    compress_on(c)
    assert c.command("s1", "SELECT INBOX")[-1].startswith("s1 OK")
    first = c.command("f1", "FETCH 1 (BODY.PEEK[])")
    time.sleep(1.5)
    assert c.command("n1", "NOOP") == ["n1 OK Completed"]
    time.sleep(1.5)
    assert c.command("f2", "FETCH 1 (BODY.PEEK[])") == first[:-1] + ["f2 OK Completed"]


def fill_inbox(inst, port, user, msg, tls):
    c = connect(inst, port, tls=tls == "imaps")
    c.command("p1", f"LOGIN {user} {user}pw")
    append(c, "p2", "INBOX", msg)
    c.command("p3", "LOGOUT")


def scripted_session(inst, port, user, compress, tls):
    """LOGIN [COMPRESS] SELECT, FETCH a large message, APPEND a literal,
    IDLE until another session appends, LOGOUT; returns the bytes received
    after LOGIN (decompressed) and the bytes on the wire for them."""
    implicit = tls == "imaps"
    c = connect(inst, port, tls=implicit)
    if tls == "starttls":
        assert c.command("t1", "STARTTLS") == ["t1 OK Begin TLS negotiation now"]
        c.starttls(inst.client_context())
    assert c.command("l1", f"LOGIN {user} {user}pw")[-1].startswith("l1 OK")
    if compress:
        compress_on(c)
    start, wire0 = len(c.received), c.wire_in
    assert c.command("s1", "SELECT INBOX")[-1].startswith("s1 OK")
    lines = c.command("f1", "FETCH 1 (RFC822.SIZE BODY[])")
    assert lines[-1] == "f1 OK Completed"
    append(c, "a1", "INBOX", b"Subject: appended\r\n\r\n" + b"x" * 5000)
    c.send_line("i1 IDLE")
    c.expect(r"^\+ ")
    other = connect(inst, port, tls=implicit)
    other.command("o1", f"LOGIN {user} {user}pw")
    append(other, "o2", "INBOX", b"Subject: while idle\r\n\r\nhello\r\n")
    c.expect(r"^\* 3 EXISTS$")
    c.send_line("DONE")
    assert c.read_until("i1")[-1] == "i1 OK Completed"
    assert c.command("z9", "LOGOUT")[-1] == "z9 OK Completed"
    c.expect_eof()
    return c.received[start:], c.wire_in - wire0


def normalise(data):
    """The two users' INBOXes differ only in their UIDVALIDITY and
    MAILBOXID."""
    data = re.sub(rb"(UIDVALIDITY|APPENDUID) \d+", rb"\1 N", data)
    return re.sub(rb"MAILBOXID \([0-9a-f]+\)", rb"MAILBOXID (M)", data)


@pytest.mark.parametrize("tls", ["plain", "starttls", "imaps"])
def test_same_bytes_compressed_and_not(inst, tls):
    port = serve(inst, implicit_tls=tls == "imaps")
    msg = big_message()
    for user in ("alice", "bob"):
        fill_inbox(inst, port, user, msg, tls)
    plain, plain_wire = scripted_session(inst, port, "alice", False, tls)
    comp, comp_wire = scripted_session(inst, port, "bob", True, tls)
    assert msg in plain
    assert normalise(plain) == normalise(comp)
    assert plain_wire >= len(plain)
    # The large message is text: the wire carries a small fraction of it.
    assert comp_wire < len(comp) / 5, (comp_wire, len(comp))
    assert not inst.sanitizer_reports()


def test_input_in_tiny_writes(inst):
    """A client whose compressed commands arrive a byte at a time, flushed
    in partial, sync and full mode, with a literal in between."""
    port = serve(inst)
    c = connect(inst, port)
    c.command("l1", "LOGIN alice alicepw")
    compress_on(c)
    data = (c.deflate(b"t1 NOOP\r\n", zlib.Z_PARTIAL_FLUSH) +
            c.deflate(b"t2 APPEND INBOX {12+}\r\nSubject: x\r\n", zlib.Z_NO_FLUSH) +
            c.deflate(b"\r\nt3 SELECT INBOX\r\n", zlib.Z_SYNC_FLUSH) +
            c.deflate(b"t4 NOOP\r\n", zlib.Z_FULL_FLUSH))
    for i in range(len(data)):
        c.send_raw(data[i:i + 1])
        time.sleep(0.002)
    assert c.read_until("t1") == ["t1 OK Completed"]
    assert re.match(r"^t2 OK \[APPENDUID \d+ 1\] Completed$", c.read_until("t2")[-1])
    assert c.read_until("t3")[-1].startswith("t3 OK [READ-WRITE]")
    assert c.read_until("t4") == ["t4 OK Completed"]


def test_pipelined_after_compress_is_dropped(inst):
    """RFC 4978: the client waits for the answer to COMPRESS.  Bytes sent
    behind it arrived before the layer and are dropped (lib/prot.h), with a
    warning; the session goes on compressed."""
    port = serve(inst)
    c = connect(inst, port)
    c.command("l1", "LOGIN alice alicepw")
    c.send(b"z1 COMPRESS DEFLATE\r\nz2 NOOP\r\n")
    assert c.read_line() == "z1 OK DEFLATE active"
    c.compress()
    assert c.command("z3", "NOOP") == ["z3 OK Completed"]
    inst.wait_for_log(r"imapd\[\d+\]: warning: compress: dropped 9 bytes the "
                      r"peer sent before compression started$")
    assert "z2" not in c.received.decode()


@pytest.mark.parametrize("junk", [b"\xff\xff\xff\xff", b"\x00\x05\x00\x00\x00"],
                         ids=["bad-block-type", "bad-stored-length"])
def test_garbage_compressed_input(inst, junk):
    port = serve(inst)
    c = connect(inst, port)
    c.command("l1", "LOGIN alice alicepw")
    compress_on(c)
    assert c.command("n1", "NOOP") == ["n1 OK Completed"]
    c.send_raw(junk)
    c.expect_eof()
    m = inst.wait_for_log(r"imapd\[(\d+)\]: warning: compress: undecodable "
                          r"DEFLATE data from the peer: (.*)$")
    assert m.group(2) in ("invalid block type",
                          "invalid stored block lengths")
    inst.wait_for_log(r"imapd\[%s\]: notice: logout: .* user=<alice>" % m.group(1))
    assert not inst.sanitizer_reports()


def test_zlib_loaded_only_by_compress(inst):
    """imapd maps zlib at COMPRESS, not before (lib/zlib_dl.c)."""
    port = serve(inst)
    c = connect(inst, port)
    c.command("l1", "LOGIN alice alicepw")
    assert c.command("s1", "SELECT INBOX")[-1].startswith("s1 OK")
    pid = inst.wait_for_log(r"imapd\[(\d+)\]: info: open: user=<alice>").group(1)
    with open(f"/proc/{pid}/maps") as f:
        assert "/libz.so" not in f.read()
    compress_on(c)
    assert c.command("n1", "NOOP") == ["n1 OK Completed"]
    with open(f"/proc/{pid}/maps") as f:
        assert "/libz.so" in f.read()


IMTEST = "/usr/lib/cyrus/bin/imtest"


def test_cyrus_imtest_compresses_over_a_security_layer(inst):
    """Debian's imtest -q (Cyrus's own COMPRESS code) with DIGEST-MD5 and
    its security layer: imtest asks for the capabilities again after a
    layer is negotiated, sees COMPRESS=DEFLATE and turns compression on
    above the layer (RFC 4978 section 3's order); every response,
    a 100 kB FETCH included, arrives through both."""
    port = serve(inst)
    fill_inbox(inst, port, "alice", big_message(100_000), "plain")
    p = subprocess.run([IMTEST, "-q", "-a", "alice", "-w", "alicepw", "-m", "DIGEST-MD5",
                        "-p", str(port), "127.0.0.1"],
                       input=b"f1 SELECT INBOX\r\nf2 FETCH 1 (BODY[])\r\nz LOGOUT\r\n",
                       capture_output=True, timeout=60)
    out = p.stdout.decode(errors="replace")
    m = re.search(r"^Security strength factor: (\d+)$", out, re.M)
    assert m and int(m.group(1)) > 1, out[:3000]
    assert "C: Z01 COMPRESS DEFLATE" in out, out[:3000]
    assert "Z01 OK DEFLATE active" in out, out[:3000]
    assert "f1 OK [READ-WRITE] Completed" in out, out[:3000]
    assert "line 001922 of the large message" in out, out[-2000:]
    assert "f2 OK Completed" in out, out[-2000:]
    inst.wait_for_log(r"imapd\[\d+\]: info: compress: .* user=<alice> DEFLATE$")
