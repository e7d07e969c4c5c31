"""Real clients against imapd: Debian's imtest (cyrus-clients) and cyradm
(cyrus-admin), the tools Cyrus administrators use every day.

cyradm has no password option, so it runs on a pseudo-terminal and the test
answers its prompt, as a person would.
"""

import os
import pty
import select
import subprocess
import time

IMTEST = "/usr/lib/cyrus/bin/imtest"
OPTIONS = {"failedloginpause": "0", "autocreatequota": "-1"}


def test_imtest_plain_over_starttls(make_instance):
    inst = make_instance(options=OPTIONS)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    p = subprocess.run(
        [IMTEST, "-p", str(port), "-a", "alice", "-w", "alicepw", "-m", "PLAIN",
         "-t", "", "127.0.0.1"],
        input=b'a LIST "" "*"\r\nb LOGOUT\r\n', capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    assert "TLS connection established" in out
    assert "Authenticated." in out
    assert '* LIST (\\HasNoChildren) "." "INBOX"' in out
    assert "a OK Completed" in out


def test_imtest_every_sasl_mechanism(make_instance):
    """Each mechanism the installed plugins offer, through the real client;
    "login" is imtest's word for the IMAP LOGIN command."""
    inst = make_instance(options=OPTIONS)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    for mech in ("CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
                 "LOGIN", "PLAIN", "login"):
        p = subprocess.run(
            [IMTEST, "-p", str(port), "-a", "bob", "-w", "bobpw", "-m", mech,
             "-t", "", "127.0.0.1"],
            input=b"z LOGOUT\r\n", capture_output=True, timeout=30)
        out = p.stdout.decode(errors="replace")
        assert "Authenticated." in out, (mech, out)
    p = subprocess.run(
        [IMTEST, "-p", str(port), "-a", "bob", "-w", "wrong", "-m", "PLAIN",
         "-t", "", "127.0.0.1"],
        input=b"z LOGOUT\r\n", capture_output=True, timeout=30)
    assert "Authenticated." not in p.stdout.decode(errors="replace")


class Pty:
    """A program on a pseudo-terminal, read and written like a person."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        self.out = b""

    def until(self, pattern, start=0, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            if pattern in self.out[start:]:
                return True
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    self.out += os.read(self.fd, 4096)
                except OSError:
                    break
        raise AssertionError("no %r in %r" % (pattern, self.out[start:]))

    def command(self, line, prompt=b"127.0.0.1> "):
        start = len(self.out)
        os.write(self.fd, line.encode() + b"\n")
        self.until(prompt, start + len(line))
        text = self.out[start + len(line):]
        return text.decode(errors="replace").replace("\x1b[?2004l", "") \
                   .replace("\x1b[?2004h", "").replace("\r", "")

    def close(self):
        try:
            os.write(self.fd, b"quit\n")
            time.sleep(0.3)
        except OSError:
            pass
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def cyradm(port, user="admin", password="adminpw", extra=()):
    """cyradm logged in as user (extra: more options, e.g. --authz)."""
    c = Pty(["cyradm", "--norc", "--notls", "--user", user, "--auth", "PLAIN",
             "--port", str(port), *extra, "127.0.0.1"])
    c.until(b"assword")
    # The prompt appears before echo is turned off: give it a moment.
    time.sleep(0.5)
    os.write(c.fd, password.encode() + b"\n")
    c.until(b"127.0.0.1> ")
    return c


def test_cyradm_manages_chapar(make_instance):
    inst = make_instance(options=OPTIONS)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    c = cyradm(port)
    try:
        assert "error" not in c.command("cm user.carol").lower()
        c.command("cm user.carol.lists")
        out = c.command("lm")
        assert "user.carol (\\HasChildren)" in out
        assert "user.carol.lists (\\HasNoChildren)" in out
        c.command("sam user.carol.lists alice read")
        out = c.command("lam user.carol.lists")
        assert "alice" in out and "lrs" in out
        assert "carol" in out and "lrswipkxte" in out
        assert "quota:1000" in c.command("sq user.carol 1000")
        assert "STORAGE 0/1000 (0%)" in c.command("lq user.carol")
        # Admins need x like everybody else (SPEC.md); they grant it first.
        assert "NOPERM" in c.command("dm user.carol.lists")
        c.command("sam user.carol.lists admin all")
        assert "error" not in c.command("dm user.carol.lists").lower()
        out = c.command("lm")
        assert "user.carol.lists" not in out
    finally:
        c.close()
