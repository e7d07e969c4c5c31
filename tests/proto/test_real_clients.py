"""Real mail clients from Debian against a private Chapar (issue 19, "Verify
with real clients"): mbsync (isync) and offlineimap3 synchronise alice's
INBOX and a folder with a local Maildir both ways and converge; mutt opens
the INBOX over IMAP with STARTTLS and deletes a message.

Each test asserts the end state on the server over IMAP (imaplib) and in the
local Maildir, and reads the client's session from the protocol telemetry
(<configdirectory>/log/alice/<pid>, doc/format.md) where it says something
the end state cannot: that a sync with nothing to do changes nothing.
Everything runs on 127.0.0.1; every program is started and stopped by PID.
"""

import email
import glob
import imaplib
import os
import re
import shutil
import ssl
import subprocess
import time

import pytest

from test_imap_clients import Pty

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}
CLIENT_TIMEOUT = 40

# Maildir info letters (maildir(5)) and the IMAP flags they stand for.
MAILDIR_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
                 "S": "\\Seen", "T": "\\Deleted"}

# The messages alice starts with: folder -> [(Message-ID, flags)].
SEED = {
    "INBOX": [("<m1@test>", "\\Seen"), ("<m2@test>", ""),
              ("<m3@test>", "\\Seen \\Flagged"), ("<m4@test>", "\\Answered \\Seen"),
              ("<m5@test>", "")],
    "INBOX.work": [("<w1@test>", "\\Seen"), ("<w2@test>", "")],
}


def message(msgid, subject=None):
    return (f"From: Carol <carol@example.com>\r\nTo: alice@chapar.test\r\n"
            f"Subject: {subject or 'note ' + msgid}\r\n"
            f"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: {msgid}\r\n"
            f"\r\nbody of {msgid}\r\n").encode()


# ---- the server side, over imaplib -------------------------------------------

def imap(port, user="alice", pw="alicepw"):
    m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    m.login(user, pw)
    return m


def seed(port):
    m = imap(port)
    for folder, msgs in SEED.items():
        if folder != "INBOX":
            assert m.create(folder)[0] == "OK"
            assert m.subscribe(folder)[0] == "OK"
        for msgid, flags in msgs:
            typ, _ = m.append(folder, f"({flags})", None, message(msgid))
            assert typ == "OK"
    m.logout()


def server_state(port, folder):
    """{Message-ID: (UID, set of flags)} of folder, read with EXAMINE."""
    m = imap(port)
    typ, _ = m.select(folder, readonly=True)
    assert typ == "OK", folder
    typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    m.logout()
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode()
        uid = int(re.search(r"UID (\d+)", meta).group(1))
        flags = set(re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split())
        flags.discard("\\Recent")
        msgid = email.message_from_bytes(item[1])["Message-ID"]
        out[msgid] = (uid, flags)
    return out


def server_expunge(port, folder, msgid):
    m = imap(port)
    m.select(folder)
    typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID", msgid)
    uid, = data[0].split()
    assert m.uid("STORE", uid, "+FLAGS", "(\\Deleted)")[0] == "OK"
    assert m.expunge()[0] == "OK"
    m.logout()


# ---- the client side, a Maildir ------------------------------------------------

def maildir_files(path):
    return sorted(glob.glob(os.path.join(path, "cur", "*")) +
                  glob.glob(os.path.join(path, "new", "*")))


def maildir_state(path):
    """{Message-ID: (file name, set of IMAP flags)} of the Maildir at path."""
    out = {}
    for f in maildir_files(path):
        with open(f, "rb") as fh:
            msgid = email.message_from_binary_file(fh)["Message-ID"]
        info = os.path.basename(f).partition(":2,")[2]
        out[msgid] = (os.path.basename(f), {MAILDIR_FLAGS[c] for c in info if c in MAILDIR_FLAGS})
    return out


def maildir_set_flags(path, msgid, letters):
    """Rename msgid's file to carry exactly these info letters (a client's flag change)."""
    name, _ = maildir_state(path)[msgid]
    old = [f for f in maildir_files(path) if os.path.basename(f) == name][0]
    base = name.partition(":2,")[0]
    os.rename(old, os.path.join(path, "cur", base + ":2," + "".join(sorted(letters))))


def maildir_deliver(path, msgid):
    """A new message written locally, as an MUA would into new/."""
    name = f"{int(time.time())}.local{abs(hash(msgid))}.client"
    tmp = os.path.join(path, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(message(msgid, "written locally"))
    os.rename(tmp, os.path.join(path, "new", name))


def flags_only(state):
    return {k: v[1] for k, v in state.items()}


# ---- telemetry ------------------------------------------------------------------

def telemetry_dir(inst):
    d = os.path.join(inst.conf_dir, "log", "alice")
    os.makedirs(d, exist_ok=True)
    return d


def sessions(d):
    """{pid file name: the client's lines (commands, "<" lines) as text}."""
    out = {}
    for name in os.listdir(d):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = [ln[1:].decode(errors="replace").rstrip("\r")
                         for ln in f.read().split(b"\n") if ln.startswith(b"<")]
    return out


def new_commands(d, before):
    """The client's lines of the sessions that are not in `before`."""
    return [ln for name, lines in sessions(d).items() if name not in before
            for ln in lines]


WRITES = re.compile(r"^\S+ (UID )?(STORE|APPEND|EXPUNGE|COPY|MOVE|CREATE|DELETE|RENAME)\b", re.I)


def run_client(argv, **kw):
    """Run a client to completion (stopped by PID on timeout); assert it succeeded."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True, **kw)
    try:
        out, _ = p.communicate(timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        pytest.fail(f"{argv[0]} timed out: {out.decode(errors='replace')}")
    assert p.returncode == 0, (argv, out.decode(errors="replace"))
    return out.decode(errors="replace")


def assert_converged(port, maildirs):
    """Server folder and local Maildir hold the same messages with the same flags."""
    for folder, path in maildirs.items():
        assert flags_only(server_state(port, folder)) == flags_only(maildir_state(path)), folder


def sync_scenario(inst, port, sync, maildirs, local_uid):
    """The round trip both tests share.  sync() runs the client once;
    maildirs: {server folder: local Maildir path}; local_uid(path, file name)
    is the server UID the client recorded for a local file."""
    tele = telemetry_dir(inst)
    seed(port)
    inbox = maildirs["INBOX"]

    # 1. Initial pull: every message with its flags.
    sync()
    for folder, path in maildirs.items():
        local = maildir_state(path)
        assert flags_only(local) == {i: set(f.split()) for i, f in SEED[folder]}, folder
        srv = server_state(port, folder)
        assert {i: local_uid(path, n) for i, (n, _) in local.items()} == \
               {i: u for i, (u, _) in srv.items()}, folder
    assert_converged(port, maildirs)

    # 2. Local flag changes and a new local message; an expunge on the server.
    maildir_set_flags(inbox, "<m2@test>", "FS")
    maildir_set_flags(inbox, "<m3@test>", "")
    maildir_deliver(inbox, "<local1@test>")
    server_expunge(port, "INBOX", "<m5@test>")
    sync()
    srv = server_state(port, "INBOX")
    assert set(srv) == {"<m1@test>", "<m2@test>", "<m3@test>", "<m4@test>", "<local1@test>"}
    assert srv["<m2@test>"][1] == {"\\Flagged", "\\Seen"}
    assert srv["<m3@test>"][1] == set()
    assert srv["<local1@test>"][0] > max(u for u, _ in srv.values() if u != srv["<local1@test>"][0])
    assert_converged(port, maildirs)
    for folder, path in maildirs.items():
        srv = server_state(port, folder)
        local = maildir_state(path)
        assert {i: local_uid(path, n) for i, (n, _) in local.items()} == \
               {i: u for i, (u, _) in srv.items()}, folder

    # 3. A third sync has nothing to do: no write command, nothing moves.
    before_srv = {f: server_state(port, f) for f in maildirs}
    before_local = {f: maildir_files(p) for f, p in maildirs.items()}
    before = set(sessions(tele))
    sync()
    lines = new_commands(tele, before)
    assert [ln for ln in lines if re.match(r"^\S+ SELECT \S*INBOX", ln)], \
        f"the client's session is not in the telemetry: {lines}"
    assert [ln for ln in lines if WRITES.match(ln)] == []
    assert {f: server_state(port, f) for f in maildirs} == before_srv
    assert {f: maildir_files(p) for f, p in maildirs.items()} == before_local
    return lines


# ---- mbsync -------------------------------------------------------------------

MBSYNC = "/usr/bin/mbsync"


def test_mbsync_converges(make_instance, tmp_path):
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    local = tmp_path / "mbsync"
    local.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(f"""\
IMAPAccount alice
Host localhost
Port {port}
User alice
Pass alicepw
SSLType STARTTLS
CertificateFile {inst.cert_path}
AuthMechs PLAIN
Timeout 10

IMAPStore far
Account alice

MaildirStore near
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel alice
Far :far:
Near :near:
Patterns *
Create Both
Remove None
Expunge Both
Sync All
SyncState *
""")

    def sync():
        run_client([MBSYNC, "-q", "-c", str(rc), "-a"])

    def local_uid(path, name):
        # The sync state pairs the server's UID with the Maildir's (",U=").
        near = int(re.search(r",U=(\d+)", name).group(1))
        with open(os.path.join(path, ".mbsyncstate")) as f:
            pairs = [ln.split() for ln in f if re.match(r"^\d+ \d+ ", ln)]
        far, = [int(a) for a, b, *_ in pairs if int(b) == near]
        return far

    # mbsync drops the personal namespace prefix (NAMESPACE: "INBOX."):
    # INBOX.work is the Maildir "work".
    sync_scenario(inst, port, sync, {"INBOX": str(local / "INBOX"),
                                     "INBOX.work": str(local / "work")}, local_uid)


# ---- offlineimap3 ---------------------------------------------------------------

OFFLINEIMAP = "/usr/bin/offlineimap"


def test_offlineimap_converges(make_instance, tmp_path):
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    local = tmp_path / "offlineimap"
    cfg = tmp_path / "offlineimaprc"
    cfg.write_text(f"""\
[general]
accounts = alice
metadata = {tmp_path}/offlineimap-meta
maxsyncaccounts = 1

[Account alice]
localrepository = near
remoterepository = far

[Repository near]
type = Maildir
localfolders = {local}

[Repository far]
type = IMAP
remotehost = localhost
remoteport = {port}
remoteuser = alice
remotepass = alicepw
ssl = no
starttls = yes
sslcacertfile = {inst.cert_path}
maxconnections = 1
holdconnectionopen = no
""")

    def sync():
        run_client([OFFLINEIMAP, "-u", "quiet", "-o", "-c", str(cfg)],
                   env=dict(os.environ, HOME=str(tmp_path)))

    def local_uid(path, name):
        # offlineimap keeps the server's UID in the file name (",U=").
        return int(re.search(r",U=(\d+)", name).group(1))

    # offlineimap keeps the server's names and separator: INBOX.work.
    sync_scenario(inst, port, sync, {"INBOX": str(local / "INBOX"),
                                     "INBOX.work": str(local / "INBOX.work")}, local_uid)


# ---- mutt -----------------------------------------------------------------------

MUTT = "/usr/bin/mutt"


def test_mutt_reads_flags_and_deletes(make_instance, tmp_path):
    """mutt on a terminal: opens the INBOX over STARTTLS, shows the list,
    deletes the first message, flags the next one, syncs and quits."""
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    seed(port)
    rc = tmp_path / "muttrc"
    rc.write_text(f"""\
set imap_user = alice
set imap_pass = alicepw
set ssl_starttls = yes
set ssl_force_tls = yes
set ssl_ca_certificates_file = {inst.cert_path}
set certificate_file = {tmp_path}/mutt-certs
set folder = imap://alice@localhost:{port}/
set spoolfile = +INBOX
set sort = mailbox-order
set index_format = "%4C %Z %s"
set delete = yes
set quit = yes
set move = no
set mark_old = no
set imap_check_subscribed = no
set header_cache = ""
set message_cachedir = ""
""")
    t = Pty(["env", f"HOME={tmp_path}", "TERM=vt100", "LINES=24", "COLUMNS=80",
             MUTT, "-n", "-F", str(rc), "-f", f"imap://alice@localhost:{port}/INBOX"])
    try:
        t.until(b"note <m5@test>", timeout=20)
        # "=" first entry, d delete (the cursor moves on), F flag, $ sync, q quit.
        start = len(t.out)
        for key in b"=dF$":
            os.write(t.fd, bytes([key]))
            time.sleep(0.2)
        t.until(b"4 kept, 1 deleted.", start)
        os.write(t.fd, b"q")
        t.until(b"Closing connection to localhost", start)
        status = wait_exit(t.pid, 10)
        t.pid = None
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        if t.pid:
            t.close()
        else:
            os.close(t.fd)
    srv = flags_only(server_state(port, "INBOX"))
    assert srv == {"<m2@test>": {"\\Flagged"}, "<m3@test>": {"\\Seen", "\\Flagged"},
                   "<m4@test>": {"\\Answered", "\\Seen"}, "<m5@test>": set()}
    assert re.search(r"^imapd\[\d+\]: notice: login: localhost \[127\.0\.0\.1\] "
                     r"alice SCRAM-SHA-256 TLS$", "\n".join(inst.log_lines()), re.M)


def wait_exit(pid, timeout):
    """waitpid(pid) within timeout seconds; the wait status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} did not exit within {timeout}s")
