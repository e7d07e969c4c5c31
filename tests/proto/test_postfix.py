"""A real MTA in front of Chapar: Debian's Postfix as a private instance
(its own config, queue and data directories in a temporary directory,
loopback-only, a free SMTP port) delivering
  (a) through a pipe transport that runs deliver (domain chapar.test), and
  (b) through its LMTP client to lmtpd on a loopback TCP port (domain
      lmtp.chapar.test),
exactly as doc/mta.md configures them.  Mail is submitted with smtplib and
checked where a user would see it (IMAP): the message lands with the right
headers (and user+folder in the folder); an over-quota recipient is
deferred (it stays in the queue, postqueue -p); an unknown recipient
bounces (the bounce comes back to the sender's INBOX).

Postfix refuses to run a pipe command as root or as its mail owner, so
every Chapar program here runs as the "cyrus" user (setpriv), and the
instance belongs to it, as in a real installation.
"""

import contextlib
import grp
import os
import pwd
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time

import pytest

from chapar_instance import Instance, _children_of_self, free_port, pid_alive
from test_deliver import FAST, Store

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"
RUN_AS = "cyrus"
WAIT = 30.0


def _missing():
    """Why a private Postfix cannot run here, or None."""
    if os.geteuid() != 0:
        return "starting Postfix needs root (master binds and drops privileges)"
    if not os.path.exists(POSTFIX):
        return f"{POSTFIX} is missing: apt-get install postfix (tools/debian-packages)"
    for user in ("postfix", RUN_AS):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"no user {user!r} (the postfix package creates postfix; " \
                   f"cyrus is the pipe user)"
    try:
        grp.getgrnam("postdrop")
    except KeyError:
        return "no group 'postdrop' (the postfix package creates it)"
    return None


class CyrusInstance(Instance):
    """An Instance whose programs run as the cyrus user."""

    def argv(self, relpath, *args):
        pw = pwd.getpwnam(RUN_AS)
        return ["setpriv", "--reuid", str(pw.pw_uid), "--regid",
                str(pw.pw_gid), "--clear-groups"] + super().argv(relpath, *args)


def chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {base}/queue
data_directory = {base}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-chapar-test
maillog_file = {base}/maillog
maillog_file_prefixes = {base}
inet_interfaces = loopback-only
inet_protocols = ipv4
smtpd_peername_lookup = no
myhostname = mx.chapar.test
mydomain = chapar.test
myorigin = chapar.test
mydestination = chapar.test, lmtp.chapar.test
local_recipient_maps =
alias_maps =
alias_database =
recipient_delimiter = +
biff = no
# (a) the pipe to deliver for chapar.test; (b) LMTP for lmtp.chapar.test
local_transport = chapar
chapar_destination_recipient_limit = 1
transport_maps = texthash:{base}/etc/transport
# deliver's log lines go to the test instance's log too
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C CHAPAR_LOG_FILE={log}
export_environment = TZ MAIL_CONFIG LANG CHAPAR_LOG_FILE
"""

MASTER_CF = """\
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
chapar    unix  -       n       n       -       -       pipe
  flags= user={user} null_sender=
  argv={deliver} -C {conf} -e -r ${{sender}} -m ${{extension}} ${{user}}
"""


class Mta:
    """A Chapar instance (running as cyrus) behind a private Postfix."""

    def __init__(self, base, tls_pair):
        self.base = base
        self.etc = os.path.join(base, "etc")
        pw = pwd.getpwnam(RUN_AS)
        os.makedirs(os.path.join(base, "chapar"))
        self.inst = CyrusInstance(os.path.join(base, "chapar"), tls_pair,
                                  options=FAST)
        chown_tree(self.inst.dir, pw.pw_uid, pw.pw_gid)
        self.store = Store(self.inst)
        self.lmtp_port = self.inst.serve_tcp(self.inst.argv("deliver/lmtpd"))
        self.smtp_port = free_port()
        for d in ("etc", "queue", "data"):
            os.makedirs(os.path.join(base, d))
        os.chown(os.path.join(base, "data"), pwd.getpwnam("postfix").pw_uid, -1)
        deliver = self.inst.program("deliver/deliver")
        self.write("main.cf", MAIN_CF.format(base=base, log=self.inst.log_path))
        self.write("master.cf", MASTER_CF.format(
            smtp_port=self.smtp_port, user=RUN_AS, deliver=deliver,
            conf=self.inst.config_path))
        self.write("transport",
                   f"lmtp.chapar.test lmtp:inet:[127.0.0.1]:{self.lmtp_port}\n")
        self.postfix("start")
        self.inst.wait_for_port(self.smtp_port)

    def write(self, name, text):
        with open(os.path.join(self.etc, name), "w") as f:
            f.write(text)

    def postfix(self, command):
        # postfix(1) reports only to a terminal or the log: show the log.
        r = subprocess.run([POSTFIX, "-c", self.etc, command],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            pytest.fail(f"postfix {command} failed ({r.returncode}): "
                        f"{r.stderr}\n{self.maillog()}")

    def maillog(self):
        with contextlib.suppress(OSError), \
                open(os.path.join(self.base, "maillog"), errors="replace") as f:
            return f.read()
        return ""

    def queue(self):
        r = subprocess.run([POSTQUEUE, "-c", self.etc, "-p"],
                           capture_output=True, text=True, timeout=30)
        return r.stdout + r.stderr

    def master_pid(self):
        with contextlib.suppress(OSError, ValueError), \
                open(os.path.join(self.base, "queue", "pid", "master.pid")) as f:
            return int(f.read().split()[0])
        return None

    def stop(self):
        """postfix stop, then wait for master's process group (master made
        it with setsid) to end; as a subreaper this process inherits the
        daemons and must reap them."""
        pgid = self.master_pid()
        subprocess.run([POSTFIX, "-c", self.etc, "stop"], capture_output=True,
                       timeout=60)
        deadline = time.monotonic() + 10
        while pgid and time.monotonic() < deadline + 5:
            group = [pid for pid, g in _children_of_self() if g == pgid]
            for pid in group:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
            alive = [pid for pid in group if pid_alive(pid)]
            if not alive and not pid_alive(pgid):
                break
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.05)
        self.inst.teardown()


@pytest.fixture(scope="module")
def mta(tls_pair):
    why = _missing()
    if why:
        pytest.fail(f"a private Postfix cannot run here: {why}")
    base = tempfile.mkdtemp(prefix="chapar-postfix-")
    os.chmod(base, 0o755)   # the pipe user and postfix must reach it
    m = None
    try:
        m = Mta(base, tls_pair)
        s = m.store
        s.ok(s.admin.create("user.carol"))
        s.setquota("user.carol", 0)           # at its limit: nothing fits
        s.ok(s.admin.create("user.alice.lists"))
        s.setacl("user.alice.lists", "anyone", "p")
        yield m
    except BaseException:
        if m:
            print(m.maillog()[-4000:])
            print(m.inst.debug_dump())
        raise
    finally:
        if m:
            m.stop()
        shutil.rmtree(base, ignore_errors=True)


def wait_for(what, fn, m):
    deadline = time.monotonic() + WAIT
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}; queue:\n{m.queue()}\n"
                        f"maillog tail:\n{m.maillog()[-3000:]}")
        time.sleep(0.2)


def find(messages, needle):
    return [body for _, body in messages if needle in body]


@pytest.mark.parametrize("domain", ["chapar.test", "lmtp.chapar.test"])
def test_postfix_delivers_defers_and_bounces(mta, domain):
    s = mta.store
    msgid = f"<{domain}.1@example.org>".encode()
    msg = (b"From: Bob <bob@chapar.test>\r\nTo: alice@" + domain.encode() +
           b"\r\nSubject: via Postfix\r\nMessage-ID: " + msgid +
           b"\r\n\r\nHello through a real MTA.\r\n")
    rcpts = [f"alice@{domain}", f"alice+lists@{domain}", f"carol@{domain}",
             f"nosuch@{domain}"]
    with smtplib.SMTP("127.0.0.1", mta.smtp_port, timeout=WAIT) as smtp:
        assert smtp.sendmail("bob@chapar.test", rcpts, msg) == {}

    # Delivered, with the trace of both hops.
    [body] = wait_for("alice's copy", lambda: find(s.messages("alice"), msgid),
                      mta)
    head = body.split(b"\r\n\r\n")[0]
    assert head.startswith(b"Return-Path: <bob@chapar.test>\r\n")
    assert head.count(b"Return-Path:") == 1
    assert b"by mx.chapar.test (Postfix) with ESMTP" in head
    if domain.startswith("lmtp"):
        assert b"by chapar.test (Chapar) with LMTP" in head
    assert b"\r\nSubject: via Postfix\r\n" in head
    assert body.endswith(b"\r\n\r\nHello through a real MTA.\r\n")
    assert wait_for("the folder copy",
                    lambda: find(s.messages("alice", "INBOX.lists"), msgid),
                    mta)

    # Unknown: bounced to the sender, whose INBOX gets the report.
    [bounce] = wait_for("the bounce", lambda: find(
        s.messages("bob"), f"<nosuch@{domain}>".encode()), mta)
    assert bounce.startswith(b"Return-Path: <>\r\n")
    assert b"Undelivered Mail Returned to Sender" in bounce
    reason = b"User unknown" if domain.startswith("lmtp") else \
        b"Mailbox does not exist"
    assert reason in bounce

    # Over quota: deferred, still queued, with the reason.
    queue = wait_for("the deferral", lambda: (
        lambda q: q if f"carol@{domain}" in q and "Over quota" in q else None)(
            mta.queue()), mta)
    assert "bob@chapar.test" in queue
    carol = os.path.join(mta.inst.spool_dir, "user", "carol")
    assert [f for f in os.listdir(carol) if f[0].isdigit()] == []
