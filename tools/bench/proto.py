"""Minimal IMAP and LMTP clients for the benchmark (raw sockets, no imaplib:
imaplib has no IDLE before Python 3.14 and costs more per response)."""

import re
import socket
import zlib

LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
MSS = 1448


class ProtoError(Exception):
    pass


class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=120):
        # The MSS of an Ethernet link (1500-byte MTU), not loopback's 65483.
        # On loopback every 4 kB write of a server without TCP_NODELAY is a
        # sub-MSS segment: Nagle holds its next write until the first is
        # acknowledged, and this client, having nothing to send, delays that
        # ACK by 40 ms (Cyrus's imapd: 48 ms per web-mail session, 50 of its
        # 56 in the FETCH).  With a 1448-byte MSS a 4 kB write is two full
        # segments and the receiver acknowledges at once, as on a real
        # network.  The same for every server.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, MSS)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect((host, port))
        except OSError:
            self.sock.close()
            raise
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Received bytes and a read position: taking a line must not copy
        # the rest of a 256 kB buffer (that made the client, not the
        # server, the bottleneck of FETCH 1:*, and favoured servers that
        # write in small pieces).
        self.buf = bytearray()
        self.pos = 0
        self.z_in = self.z_out = None   # COMPRESS=DEFLATE (Imap.compress)

    def _fill(self):
        if self.pos:
            del self.buf[:self.pos]
            self.pos = 0
        data = self.sock.recv(262144)
        if not data:
            raise ProtoError("connection closed by server")
        self.buf += self.z_in.decompress(data) if self.z_in else data

    def line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                out = bytes(self.buf[self.pos:i + 2])
                self.pos = i + 2
                return out
            self._fill()

    def read(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def send(self, data):
        if self.z_out:
            data = self.z_out.compress(data) + self.z_out.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Imap(Conn):
    """One IMAP connection.  command() returns the untagged responses as a
    list of bytes (literals inlined) and raises on a non-OK completion."""

    def __init__(self, port, **kw):
        super().__init__(port, **kw)
        self.n = 0
        self.exists = 0
        self.idle_tag = None            # in IDLE: its tag
        greet = self.line()
        if not greet.startswith(b"* OK"):
            raise ProtoError(f"greeting: {greet!r}")

    def response(self):
        """One full response: a line plus any literals it announces."""
        parts = [self.line()]
        while True:
            m = LITERAL.search(parts[-1])
            if not m:
                return b"".join(parts)
            parts.append(self.read(int(m.group(1))))
            parts.append(self.line())

    def track(self, r):
        """Keep self.exists (this session's view) from untagged responses."""
        if r.startswith(b"* ") and r[2:3].isdigit():
            w = r.split(None, 3)
            if w[2] == b"EXISTS":
                self.exists = int(w[1])
            elif w[2] == b"EXPUNGE":
                self.exists -= 1

    def command(self, text, literal=None, ok=True):
        self.n += 1
        tag = b"a%d" % self.n
        if isinstance(text, str):
            text = text.encode()
        if literal is not None:
            self.send(tag + b" " + text + b" {%d}\r\n" % len(literal))
            cont = self.line()
            if not cont.startswith(b"+"):
                raise ProtoError(f"{text[:40]!r}: {cont!r}")
            self.send(literal + b"\r\n")
        else:
            self.send(tag + b" " + text + b"\r\n")
        out = []
        while True:
            r = self.response()
            self.track(r)
            if r.startswith(tag + b" "):
                if ok and not r[len(tag) + 1:].startswith(b"OK"):
                    raise ProtoError(f"{text[:60]!r}: {r[:200]!r}")
                return out
            out.append(r)

    def login(self, user, pw):
        self.command(f'LOGIN {user} "{pw}"')

    def compress(self):
        """COMPRESS DEFLATE (RFC 4978): raw DEFLATE both ways from here on,
        a sync flush after each command, as Thunderbird does."""
        self.command("COMPRESS DEFLATE")
        if len(self.buf) > self.pos:
            raise ProtoError("data after the COMPRESS OK")
        self.z_out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.z_in = zlib.decompressobj(-15)

    def starttls(self, ctx):
        """STARTTLS and the TLS handshake; nothing may follow the OK in
        the clear."""
        self.command("STARTTLS")
        if len(self.buf) > self.pos:
            raise ProtoError("data after the STARTTLS OK")
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    def idle_start(self):
        """IDLE, up to the continuation; idle_done() ends it."""
        self.n += 1
        tag = b"a%d" % self.n
        self.send(tag + b" IDLE\r\n")
        while True:                     # untagged updates may come first
            r = self.response()
            if r.startswith(b"+"):
                self.idle_tag = tag
                return
            if r.startswith(tag + b" "):
                raise ProtoError(f"IDLE refused: {r[:200]!r}")
            self.track(r)

    def idle_done(self):
        tag, self.idle_tag = self.idle_tag, None
        self.send(b"DONE\r\n")
        while True:
            r = self.response()
            self.track(r)
            if r.startswith(tag + b" "):
                if not r[len(tag) + 1:].startswith(b"OK"):
                    raise ProtoError(f"IDLE: {r[:200]!r}")
                return

    def idle(self, seconds):
        self.idle_start()
        self.sock.settimeout(seconds)
        try:
            self._fill()
        except (socket.timeout, TimeoutError):
            pass
        finally:
            self.sock.settimeout(120)
        self.idle_done()

    def logout(self):
        """LOGOUT and close; a connection still in IDLE (its DONE not sent:
        a LOGOUT would be taken for the DONE line) is only closed."""
        if self.idle_tag:
            self.close()
            return
        try:
            self.command("LOGOUT", ok=False)
        except (ProtoError, OSError):
            pass
        self.close()


class Lmtp(Conn):
    def __init__(self, port, **kw):
        super().__init__(port, **kw)
        self.reply("220")
        self.send(b"LHLO bench.example\r\n")
        self.reply("250")

    def reply(self, code):
        while True:
            ln = self.line()
            if ln[3:4] != b"-":
                break
        if not ln.startswith(code.encode()):
            raise ProtoError(f"LMTP expected {code}: {ln!r}")
        return ln

    def deliver(self, rcpts, msg):
        """msg: CRLF bytes, already dot-stuffed by the corpus.  Pipelined
        envelope; one reply per recipient after DATA."""
        env = b"MAIL FROM:<bench@example.org>\r\n" + b"".join(
            b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts) + b"DATA\r\n"
        self.send(env)
        self.reply("250")
        for _ in rcpts:
            self.reply("250")
        self.reply("354")
        self.send(msg + b".\r\n")
        for _ in rcpts:
            self.reply("250")

    def quit(self):
        try:
            self.send(b"QUIT\r\n")
            self.line()
        except (ProtoError, OSError):
            pass
        self.close()
