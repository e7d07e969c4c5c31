"""Minimal IMAP and LMTP clients for the benchmark (raw sockets, no imaplib:
imaplib has no IDLE before Python 3.14 and costs more per response)."""

import re
import socket

LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class ProtoError(Exception):
    pass


class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=120):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Received bytes and a read position: taking a line must not copy
        # the rest of a 256 kB buffer (that made the client, not the
        # server, the bottleneck of FETCH 1:*, and favoured servers that
        # write in small pieces).
        self.buf = bytearray()
        self.pos = 0

    def _fill(self):
        if self.pos:
            del self.buf[:self.pos]
            self.pos = 0
        data = self.sock.recv(262144)
        if not data:
            raise ProtoError("connection closed by server")
        self.buf += data

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

    def idle(self, seconds):
        self.n += 1
        tag = b"a%d" % self.n
        self.send(tag + b" IDLE\r\n")
        if not self.line().startswith(b"+"):
            raise ProtoError("IDLE refused")
        self.sock.settimeout(seconds)
        try:
            self._fill()
        except (socket.timeout, TimeoutError):
            pass
        finally:
            self.sock.settimeout(120)
        self.send(b"DONE\r\n")
        while True:
            r = self.response()
            self.track(r)
            if r.startswith(tag + b" "):
                return

    def logout(self):
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
