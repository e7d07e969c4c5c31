"""IMAP sessions and what a fresh connection sees: the session (Imap),
quoting and APPEND helpers, the snapshot types (Msg, Box, Obs) and the
parsers of FETCH, QUOTA and ACL responses.  Shared by tools/crashtest and
tools/stress; no side effects on import."""

import collections
import contextlib
import re

USER, PASSWORD = "alice", "alicepw"
ADMIN, ADMIN_PASSWORD = "admin", "adminpw"
OPTIONS = {"failedloginpause": "0"}
QUOTA_KB, QUOTA_MESSAGES = 10000000, 10000000
MAX_DELAY = 0.030          # the kill comes 0-30 ms into the operation
PROGRAMS = ("imap/imapd/imapd", "deliver/lmtpd", "deliver/deliver",
            "tools/reconstruct", "tools/quota")
INVARIANTS = (1, 2, 3, 4)
EXAMPLES = 5               # failing cases kept per operation and invariant


class HarnessError(Exception):
    """The harness could not do a step that is not under test (a set-up
    command refused, a program that would not start)."""


# ---- IMAP over chapar_instance.LineClient -----------------------------------

class Imap:
    """A logged-in IMAP session: cmd() -> (status, lines)."""

    def __init__(self, client):
        self.c = client
        self.n = 0

    def tag(self):
        self.n += 1
        return f"t{self.n}"

    @staticmethod
    def status(line, tag):
        rest = line[len(tag) + 1:]
        return rest.split(" ", 1)[0].upper()

    def cmd(self, text, timeout=None):
        tag = self.tag()
        lines = self.c.command(tag, text, timeout)
        return self.status(lines[-1], tag), lines

    def raw(self, data, timeout=None):
        """Send "<tag> " + data (bytes, with its own CRLFs and literals)."""
        tag = self.tag()
        self.c.send(tag.encode() + b" " + data)
        lines = self.c.read_until(tag, timeout)
        return self.status(lines[-1], tag), lines

    def ok(self, text):
        st, lines = self.cmd(text)
        if st != "OK":
            raise HarnessError(f"{text!r}: {lines[-1]}")
        return lines

    def drain(self):
        """Read until the server closes the connection."""
        while True:
            self.c.read_line(timeout=30)

    def close(self):
        with contextlib.suppress(OSError):
            self.c.sock.close()


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(text):
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r'\\(.)', r'\1', text[1:-1])
    return text


def append_cmd(box, messages, flags=""):
    """APPEND of one or more messages (MULTIAPPEND) with LITERAL+."""
    out = b"APPEND " + quote(box).encode()
    for m in messages:
        out += (b" (" + flags.encode() + b")" if flags else b"") + \
            b" {%d+}\r\n" % len(m) + m
    return out + b"\r\n"


def message_bytes(msgid, user, pad, tool="crashtest"):
    """A test message with Message-ID <msgid>, about pad bytes of body."""
    body = "".join(f"line {i} of {msgid}\r\n" for i in range(pad // 40 + 1))
    return (f"From: Crash Test <crash@example.org>\r\n"
            f"To: {user}@chapar.test\r\n"
            f"Subject: {tool} {msgid}\r\n"
            f"Message-ID: <{msgid}>\r\n"
            f"Date: Mon, 07 Dec 2026 12:00:00 +0000\r\n"
            f"\r\n{body}").encode()


LIST_RE = re.compile(r'^\* LIST \(([^)]*)\) (?:"[^"]*"|NIL) (.+)$')
MSGID_RE = re.compile(rb'^Message-ID:[ \t]*<([^>\r\n]*)>', re.I | re.M)
QUOTA_RE = re.compile(r'^\* QUOTA (\S+|"[^"]*") \(([^)]*)\)')


def internal_name(box, user=USER):
    """alice's client name -> internal name (INBOX.x -> user.alice.x)."""
    if box == "INBOX":
        return f"user.{user}"
    if box.startswith("INBOX."):
        return f"user.{user}." + box[6:]
    return box


# ---- what a fresh connection sees -------------------------------------------

class Msg:
    __slots__ = ("uid", "size", "flags", "msgid", "readable", "body", "ok",
                 "error")

    def __init__(self, uid, size, flags, msgid, readable, body):
        self.uid, self.size, self.flags = uid, size, flags
        self.msgid, self.readable, self.body = msgid, readable, body
        self.ok = readable          # readable and the bytes sent (grade())
        self.error = None           # a FETCH BODY[] that failed


class Box:
    def __init__(self, name, attrs):
        self.name = name
        self.attrs = attrs
        self.selectable = False
        self.status = {}
        self.msgs = []
        self.root = None           # quota root (client name) or None
        self.quota = None          # {"STORAGE": (used, limit), ...}
        self.acl = None            # {identifier: rights}


class Obs:
    """A snapshot of alice's mailboxes and the failures met taking it."""

    def __init__(self):
        self.boxes = {}            # listed, selectable or not
        self.failures = []         # (invariant, text)

    def fail(self, inv, text):
        self.failures.append((inv, text))

    def good(self):
        return {n: b for n, b in self.boxes.items() if b.selectable}

    def counts(self):
        """(box, msgid) -> how many whole copies."""
        c = collections.Counter()
        for name, b in self.good().items():
            for m in b.msgs:
                if m.msgid is not None and m.ok:
                    c[(name, m.msgid)] += 1
        return c


def parse_fetch(line):
    """One FETCH line (literals inlined by LineClient) -> Msg or None."""
    raw = line.encode("utf-8", "surrogateescape")
    head = raw.split(b"BODY[]", 1)[0].decode("ascii", "replace")
    uid = re.search(r"\bUID (\d+)", head)
    size = re.search(r"\bRFC822\.SIZE (\d+)", head)
    flags = re.search(r"\bFLAGS \(([^)]*)\)", head)
    if not uid:
        return None
    body = None
    m = re.search(rb"BODY\[\] \{(\d+)\}\r\n", raw)
    if m:
        body = raw[m.end():m.end() + int(m.group(1))]
    size = int(size.group(1)) if size else -1
    msgid = None
    if body is not None:
        mm = MSGID_RE.search(body.split(b"\r\n\r\n", 1)[0])
        msgid = mm.group(1).decode("ascii", "replace") if mm else None
    readable = body is not None and len(body) == size and size > 0
    return Msg(int(uid.group(1)), size,
               frozenset(flags.group(1).split()) if flags else frozenset(),
               msgid, readable, body)


def parse_quota(text):
    toks = text.split()
    out = {}
    for i in range(0, len(toks) - 2, 3):
        out[toks[i].upper()] = (int(toks[i + 1]), int(toks[i + 2]))
    return out


def parse_acl(line):
    """'* ACL box id rights id rights ...' -> {id: rights}."""
    toks = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', line)[3:]
    return {unquote(toks[i]): unquote(toks[i + 1])
            for i in range(0, len(toks) - 1, 2)}


# ---- the writer under test --------------------------------------------------
