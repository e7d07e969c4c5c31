"""chapar-migrate against a private instance: an mbox of 10,000 generated
real-looking messages (LF line ends, Return-Path matching the From_ sender,
Status/X-Status/X-Keywords at the end of the header, body lines that need
From_ quoting, UW-IMAP's folder internal data message first) is imported,
IMAP shows its flags, keywords, dates and bodies, and export-mbox gives the
file back byte for byte; a Maildir laid out as Dovecot writes it (cur/,
new/, dovecot-uidlist, dovecot-keywords, a Maildir++ subfolder) comes in
with its flags, keywords, UIDs and UIDVALIDITY, and a second run adds
nothing; so does one written by Debian's Dovecot itself (doveadm save,
flags, expunge, against a private Dovecot without listeners); a dry run changes nothing; bad input exits non-zero with one line
on stderr and changes nothing.
"""

import calendar
import imaplib
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from chapar_instance import Instance

FAST = {"failedloginpause": "0"}
N = 10_000
KEYWORDS = ["$Label1", "Work", "$Label2"]
WORDS = ("the of and to in is that for it as was with be by on not this are "
         "meeting report budget quarter server mailbox deploy review invoice "
         "schedule project release customer ticket network storage").split()


def asctime(t):
    return time.strftime("%a %b ", time.gmtime(t)) + \
        "%2d" % time.gmtime(t).tm_mday + time.strftime(" %H:%M:%S %Y",
                                                       time.gmtime(t))


def gen_message(i):
    """(mbox text with From_ line and separator, stored text (LF),
    flags set, keywords list, internaldate)."""
    date = 1704067200 + i * 3607          # 2024 on, UTC
    sender = "sender%d@example.org" % (i % 50)
    hdr = ["Return-Path: <%s>" % sender,
           "Received: from mx%d.example.org (mx%d.example.org [192.0.2.%d])"
           % (i % 5, i % 5, i % 200 + 1),
           "\tby mail.chapar.test with LMTP; %s" %
           time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(date)),
           "From: Person %d <%s>" % (i % 50, sender),
           "To: Alice <alice@chapar.test>",
           "Subject: Report %d about %s" % (i, WORDS[i % len(WORDS)]),
           "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                                    time.gmtime(date)),
           "Message-ID: <%d.migrate@example.org>" % i,
           "MIME-Version: 1.0",
           "Content-Type: text/plain; charset=utf-8"]
    body = []
    for k in range(20 + i % 30):
        body.append(" ".join(WORDS[(i * 7 + k * 3 + j) % len(WORDS)]
                             for j in range(12)))
    stored_body = list(body)
    quoted_body = list(body)
    if i % 10 == 3:        # needs quoting: "From " and ">From " lines
        stored_body[5:5] = ["", "From the desk of person %d" % i,
                            ">From an earlier message", ">>From deeper"]
        quoted_body[5:5] = ["", ">From the desk of person %d" % i,
                            ">>From an earlier message", ">>>From deeper"]
    flags = set()
    status = ["Status: RO" if i % 3 else "Status: O"]
    if i % 3:
        flags.add("\\Seen")
    xs = ""
    for letter, flag, mod in (("A", "\\Answered", 7), ("F", "\\Flagged", 11),
                              ("T", "\\Draft", 13), ("D", "\\Deleted", 17)):
        if i % mod == 0:
            xs += letter
            flags.add(flag)
    if xs:
        status.append("X-Status: " + xs)
    kws = [k for n, k in enumerate(KEYWORDS) if i == 0 or i % (19 + n) == 0]
    if kws:
        status.append("X-Keywords: " + " ".join(kws))
    stored = "\n".join(hdr) + "\n\n" + "\n".join(stored_body) + "\n"
    mbox = ("From %s %s\n" % (sender, asctime(date)) + "\n".join(hdr) + "\n"
            + "\n".join(status) + "\n\n" + "\n".join(quoted_body) + "\n\n")
    return mbox.encode(), stored.encode(), flags, kws, date


INTERNAL = (b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
            b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
            b"From: Mail System Internal Data <MAILER-DAEMON@example.org>\n"
            b"Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n"
            b"Message-ID: <1704067200@example.org>\n"
            b"X-IMAP: 1704067200 0000010000 $Label1 Work $Label2\n"
            b"Status: RO\n\n"
            b"This text is part of the internal format of your mail folder, "
            b"and is not\na real message.  It is created automatically by "
            b"the mail system software.\n\n")


def ok(res):
    typ, data = res
    assert typ == "OK", data
    return data


class Mig:
    def __init__(self, inst, tmp):
        self.inst = inst
        self.tmp = tmp
        self.port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))

    def run(self, *args, timeout=120):
        argv = [self.inst.program("tools/chapar-migrate"), "-C",
                self.inst.config_path, "-U", *args]
        return subprocess.run(argv, capture_output=True, timeout=timeout,
                              env=self.inst.env)

    def login(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, self.inst.users[user])
        return m

    def mailboxes(self):
        a = self.login("admin")
        names = [re.search(rb'"\." "?([^"]*)"?$', l).group(1).decode()
                 for l in ok(a.list('""', "*")) if l]
        a.logout()
        return sorted(names)

    def spool_files(self):
        out = []
        for root, _, files in os.walk(self.inst.spool_dir):
            out += [os.path.join(root, f) for f in files]
        return sorted(out)


@pytest.fixture
def mig(make_instance, tmp_path):
    return Mig(make_instance(options=FAST), tmp_path)


@pytest.fixture
def shm_mig(tls_pair, request):
    """An instance on /dev/shm (tmpfs) when there is one: append fsyncs
    every message file, and 10,000 fsyncs on a loaded disk take a minute
    on their own, which would time the disk rather than the tool."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    d = tempfile.mkdtemp(prefix="chapar-migrate-", dir=base)
    os.makedirs(os.path.join(d, "instance"))
    inst = Instance(os.path.join(d, "instance"), tls_pair, options=FAST)
    try:
        yield Mig(inst, d)
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(inst.debug_dump())
        inst.teardown()
        reports = inst.sanitizer_reports()
        shutil.rmtree(d, ignore_errors=True)
        if reports:
            pytest.fail("sanitizer reports:\n" + "\n".join(reports),
                        pytrace=False)


def fetch_all(m, what, uid=False):
    """{seq or uid: response text} of FETCH 1:* what."""
    cmd = m.uid if uid else (lambda *a: m.fetch(*a[1:]))
    data = ok(cmd("FETCH", "1:*", what))
    out = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(item, tuple):
            line = item[0]
        mo = re.match(rb"(\d+) \(.*?UID (\d+)" if uid else rb"(\d+) ", line)
        key = int(mo.group(2)) if uid else int(mo.group(1))
        out[key] = item
    return out


def flags_of(text):
    mo = re.search(rb"FLAGS \(([^)]*)\)", text)
    return set(mo.group(1).decode().split())


def test_mbox_round_trip_10000(shm_mig):
    mig = shm_mig
    msgs = [gen_message(i) for i in range(N)]
    src = os.path.join(mig.tmp, "alice.mbox")
    with open(src, "wb") as f:
        f.write(INTERNAL)
        for m in msgs:
            f.write(m[0])
    nbytes = sum(len(m[1]) for m in msgs)
    t0 = time.monotonic()
    p = mig.run("import-mbox", src, "user.alice")
    took = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == (
        "imported %d messages (%d bytes) into 1 mailboxes (1 created), "
        "skipped 1: 1 folder internal data\n" % (N, nbytes))
    # not a terminal: a plain line every 1,000 messages, no progress bar
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 10 and "\r" not in p.stderr.decode(), lines
    assert lines[0].startswith("chapar-migrate: 1000 messages (")
    print("import of %d messages took %.1f s" % (N, took))

    m = mig.login("alice")
    typ, data = m.select("INBOX")
    assert typ == "OK" and int(data[0]) == N
    assert m.response("RECENT")[1] == [b"0"]     # every message had O
    got = fetch_all(m, "(FLAGS INTERNALDATE)")
    assert len(got) == N
    for i, (_, _, flags, kws, date) in enumerate(msgs):
        line = got[i + 1]
        assert flags_of(line) == flags | set(kws), (i, line)
        idate = imaplib.Internaldate2tuple(line)
        assert calendar.timegm(time.gmtime(time.mktime(idate))) == date, \
            (i, line)
    for i in list(range(0, N, 250)) + [3, 13, 9993]:
        typ, data = m.fetch(str(i + 1), "(BODY.PEEK[])")
        assert data[0][1] == msgs[i][1].replace(b"\n", b"\r\n"), i
    m.logout()

    out = os.path.join(mig.tmp, "export.mbox")
    p = mig.run("export-mbox", "user.alice", out)
    assert p.returncode == 0, p.stderr
    want = b"".join(m[0] for m in msgs)
    assert p.stdout.decode() == (
        "exported %d messages (%d bytes) from user.alice, skipped 0\n"
        % (N, len(want)))
    with open(out, "rb") as f:
        assert f.read() == want
    assert not [f for f in os.listdir(mig.tmp) if ".tmp." in f]
    p = mig.run("export-mbox", "user.alice", "-")
    assert p.returncode == 0 and p.stdout == want


def test_mbox_variants_and_rerun(mig):
    src = os.path.join(mig.tmp, "o.mbox")
    text = (b"From a@example.org Mon Jan  1 00:00:00 2024\n"
            b"Return-Path: <a@example.org>\nSubject: one\n\n"
            b">From quoted once\n>>From kept\n\n")
    with open(src, "wb") as f:
        f.write(text)
    p = mig.run("import-mbox", "--format", "mboxo", src, "shared.o")
    assert p.returncode == 0, p.stderr
    m = mig.login("admin")
    ok(m.select("shared.o", readonly=True))   # EXAMINE: still \Recent
    typ, data = m.fetch("1", "(BODY.PEEK[TEXT])")
    assert data[0][1] == b"From quoted once\r\n>>From kept\r\n"
    m.logout()
    p = mig.run("export-mbox", "--format", "mboxo", "shared.o", "-")
    assert p.stdout == text
    # a re-run (as after a kill) adds nothing already there
    p = mig.run("import-mbox", "--format", "mboxo", src, "shared.o")
    assert p.returncode == 0
    assert p.stdout.decode() == (
        "imported 0 messages (0 bytes) into 1 mailboxes (0 created), "
        "skipped 1: 1 already present\n")


def write_maildir(root, uidvalidity, files, uidlist, keywords=None,
                  next_uid=None):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for sub, name, body, mtime in files:
        path = os.path.join(root, sub, name)
        with open(path, "wb") as f:
            f.write(body)
        os.utime(path, (mtime, mtime))
    with open(os.path.join(root, "dovecot-uidlist"), "w") as f:
        f.write("3 V%d N%d G3085f01b7f11e8654a00000b7b4f0d09\n"
                % (uidvalidity,
                   next_uid or max(u for u, _ in uidlist) + 1))
        for uid, base in uidlist:
            f.write("%d :%s\n" % (uid, base))
    if keywords:
        with open(os.path.join(root, "dovecot-keywords"), "w") as f:
            for n, k in enumerate(keywords):
                f.write("%d %s\n" % (n, k))


def dmsg(n):
    return (b"Return-Path: <d%d@example.org>\nFrom: d%d@example.org\n"
            b"To: bob@chapar.test\nSubject: dovecot %d\n"
            b"Message-ID: <%d.dovecot@example.org>\n\nBody %d.\n"
            % (n, n, n, n, n))


def test_maildir_dovecot(mig):
    md = os.path.join(mig.tmp, "Maildir")
    base = ["1700000001.M1P1.host,S=%d" % len(dmsg(1)),
            "1700000002.M2P1.host,S=%d" % len(dmsg(2)),
            "1700000003.M3P1.host,S=%d" % len(dmsg(3)),
            "1700000004.M4P1.host,S=%d" % len(dmsg(4)),
            "1700000005.M5P1.host"]
    write_maildir(md, 1700000123, [
        ("cur", base[0] + ",W=99:2,RSa", dmsg(1), 1700000001),
        ("cur", base[1] + ":2,FTb", dmsg(2), 1700000002),
        ("cur", base[2] + ":2,DSab", dmsg(3), 1700000003),
        ("new", base[3], dmsg(4), 1700000004),
        ("new", base[4], dmsg(5), 1700000005),     # not in the uidlist
    ], [(3, base[0] + ",W=99"), (5, base[1]), (9, base[2]), (10, base[3])],
        keywords=["$Label1", "Work"], next_uid=20)
    write_maildir(os.path.join(md, ".Archive.2023"), 1600000000,
                  [("cur", "1600000001.M1P1.host:2,S", dmsg(6), 1600000001)],
                  [(42, "1600000001.M1P1.host")])

    before = mig.spool_files()
    p = mig.run("-n", "import-maildir", md, "user.bob")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == (
        "dry run: would import 6 messages (%d bytes) into 2 mailboxes "
        "(2 to create), skipped 0\n" % sum(len(dmsg(i)) for i in range(1, 7)))
    assert mig.spool_files() == before
    assert "user.bob" not in mig.mailboxes()

    p = mig.run("import-maildir", md, "user.bob")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().startswith(
        "imported 6 messages (%d bytes) into 2 mailboxes (2 created), "
        "skipped 0\n" % sum(len(dmsg(i)) for i in range(1, 7)))
    m = mig.login("bob")
    ok(m.select("INBOX"))
    assert m.response("UIDVALIDITY")[1] == [b"1700000123"]
    got = fetch_all(m, "(UID FLAGS INTERNALDATE)", uid=True)
    # the kept UIDs; the message Dovecot had not numbered yet gets N20
    # (UIDs up to 19 were Dovecot's to give: none is reused)
    assert sorted(got) == [3, 5, 9, 10, 20]
    assert flags_of(got[3]) == {"\\Answered", "\\Seen", "$Label1"}
    assert flags_of(got[5]) == {"\\Flagged", "\\Deleted", "Work"}
    assert flags_of(got[9]) == {"\\Draft", "\\Seen", "$Label1", "Work"}
    assert flags_of(got[10]) == {"\\Recent"}
    assert flags_of(got[20]) == {"\\Recent"}
    idate = imaplib.Internaldate2tuple(got[9])
    assert calendar.timegm(time.gmtime(time.mktime(idate))) == 1700000003
    typ, data = m.uid("FETCH", "10", "(BODY.PEEK[])")
    assert data[0][1] == dmsg(4).replace(b"\n", b"\r\n")
    ok(m.select("INBOX.Archive.2023"))
    assert m.response("UIDVALIDITY")[1] == [b"1600000000"]
    got = fetch_all(m, "(UID FLAGS)", uid=True)
    assert sorted(got) == [42] and flags_of(got[42]) == {"\\Seen"}
    m.logout()

    # again: everything is already there
    p = mig.run("import-maildir", md, "user.bob")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == (
        "imported 0 messages (0 bytes) into 2 mailboxes (0 created), "
        "skipped 6: 6 already present\n")


def test_dry_run_mbox_and_tree(mig):
    tree = os.path.join(mig.tmp, "Mail")
    os.makedirs(os.path.join(tree, "lists"))
    with open(os.path.join(tree, "sent-mail"), "wb") as f:
        f.write(gen_message(1)[0] + gen_message(2)[0])
    with open(os.path.join(tree, "lists", "debian.devel"), "wb") as f:
        f.write(gen_message(3)[0])
    with open(os.path.join(tree, ".mailboxlist"), "wb") as f:
        f.write(b"sent-mail\n")
    size = sum(len(gen_message(i)[1]) for i in (1, 2, 3))
    before = mig.spool_files()
    p = mig.run("-n", "import-mbox-tree", tree, "user.carol")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == (
        "dry run: would import 3 messages (%d bytes) into 2 mailboxes "
        "(2 to create), skipped 0\n" % size)
    assert mig.spool_files() == before and mig.mailboxes() == []
    p = mig.run("import-mbox-tree", tree, "user.carol")
    assert p.returncode == 0, p.stderr
    assert mig.mailboxes() == ["user.carol.lists.debian_devel",
                               "user.carol.sent-mail"]


@pytest.mark.parametrize("args,err", [
    (["import-mbox", "{nofrom}", "user.alice"],
     "chapar-migrate: {nofrom}: line 1: not an mbox file: a message must "
     "start with a From_ line (\"From sender date\")"),
    (["import-mbox", "{missing}", "user.alice"],
     "chapar-migrate: {missing}: No such file or directory"),
    (["import-mbox", "{good}", "user..bad"],
     "chapar-migrate: user..bad: invalid mailbox name"),
    (["import-mbox", "--format", "mboxcl", "{good}", "user.alice"],
     "chapar-migrate: unknown format \"mboxcl\" (mboxrd or mboxo)"),
    (["import-maildir", "{nofrom}", "user.alice"],
     "chapar-migrate: {nofrom}: not a Maildir (no cur/ or new/)"),
    (["export-mbox", "user.nobody", "-"],
     "chapar-migrate: user.nobody: not found"),
])
def test_bad_input(mig, args, err):
    paths = {"nofrom": os.path.join(mig.tmp, "nofrom"),
             "missing": os.path.join(mig.tmp, "missing"),
             "good": os.path.join(mig.tmp, "good")}
    with open(paths["nofrom"], "wb") as f:
        f.write(b"Subject: no From_ line\n\nbody\n")
    with open(paths["good"], "wb") as f:
        f.write(gen_message(1)[0])
    before = mig.spool_files()
    p = mig.run(*[a.format(**paths) for a in args])
    assert p.returncode != 0
    assert p.stderr.decode() == err.format(**paths) + "\n"
    assert p.stdout == b""
    # and the same in the log
    text = err.format(**paths)
    assert [l for l in mig.inst.log_lines()
            if l.startswith("chapar-migrate[") and l.endswith(text)], \
        mig.inst.log_lines()
    assert mig.spool_files() == before and mig.mailboxes() == []


def test_progress_bar_on_a_terminal(mig):
    """stderr a terminal: a bar redrawn with \\r, ended by a newline; the
    summary still on stdout."""
    import pty
    src = os.path.join(mig.tmp, "five.mbox")
    with open(src, "wb") as f:
        for i in range(5):
            f.write(gen_message(i)[0])
    master, slave = pty.openpty()
    argv = [mig.inst.program("tools/chapar-migrate"), "-C",
            mig.inst.config_path, "-U", "import-mbox", src, "user.dave"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=slave,
                       timeout=60)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    assert p.returncode == 0
    assert p.stdout.decode().startswith("imported 5 messages (")
    assert tty.endswith(b"\r[" + b"#" * 40 + b"] 100% 5 messages\r\n"), tty


DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"


@pytest.fixture
def dovecot_home():
    """A private Dovecot (no listeners: protocols empty) whose doveadm
    writes a real Maildir++ for user bob; stopped by its PID afterwards."""
    if not (os.path.exists(DOVECOT) and os.path.exists(DOVEADM)):
        pytest.skip("Dovecot is not installed (dovecot-core)")
    d = tempfile.mkdtemp(prefix="chapar-migrate-dovecot-")
    os.chmod(d, 0o755)
    home, run = os.path.join(d, "home"), os.path.join(d, "run")
    os.makedirs(home)
    os.makedirs(run)
    user = "nobody" if os.geteuid() == 0 else str(os.getuid())
    group = "nogroup" if os.geteuid() == 0 else str(os.getgid())
    if os.geteuid() == 0:
        shutil.chown(home, "nobody", "nogroup")
    conf = os.path.join(d, "dovecot.conf")
    with open(conf, "w") as f:
        f.write("base_dir = %s\nstate_dir = %s\nlog_path = %s/dovecot.log\n"
                "ssl = no\nprotocols =\nmail_location = maildir:~/Maildir\n"
                "first_valid_uid = 1\ndefault_internal_user = %s\n"
                "default_login_user = %s\n"
                "userdb {\n  driver = static\n"
                "  args = uid=%s gid=%s home=%s\n}\n"
                "passdb {\n  driver = static\n  args = nopassword=y\n}\n"
                % (run, run, d, user, user, user, group, home))
    subprocess.run([DOVECOT, "-c", conf], check=True, timeout=30)
    pidfile, pid = os.path.join(run, "master.pid"), None
    for _ in range(100):       # the daemon writes it after the fork
        try:
            with open(pidfile) as f:
                pid = int(f.read())
            break
        except (FileNotFoundError, ValueError):
            time.sleep(0.1)
    assert pid, "dovecot wrote no %s" % pidfile

    def doveadm(*args, stdin=None):
        p = subprocess.run([DOVEADM, "-c", conf, *args], input=stdin,
                           capture_output=True, timeout=30)
        assert p.returncode == 0, p.stderr
    try:
        yield os.path.join(home, "Maildir"), doveadm
    finally:
        os.kill(pid, 15)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        shutil.rmtree(d, ignore_errors=True)


def test_maildir_made_by_dovecot(mig, dovecot_home):
    maildir, doveadm = dovecot_home
    for n in (1, 2, 3, 5):
        doveadm("save", "-u", "bob", stdin=dmsg(n))
    doveadm("mailbox", "create", "-u", "bob", "Archive.2023")
    doveadm("save", "-u", "bob", "-m", "Archive.2023", stdin=dmsg(4))
    doveadm("flags", "add", "-u", "bob", "\\Seen $Label1", "mailbox",
            "INBOX", "uid", "2")
    doveadm("flags", "add", "-u", "bob", "\\Answered \\Flagged Work",
            "mailbox", "INBOX", "uid", "3")
    doveadm("flags", "add", "-u", "bob", "\\Seen", "mailbox",
            "Archive.2023", "uid", "1")
    doveadm("expunge", "-u", "bob", "mailbox", "INBOX", "uid", "1,4")
    with open(os.path.join(maildir, "dovecot-uidlist")) as f:
        uidvalidity = re.match(r"3 V(\d+) ", f.read()).group(1)

    p = mig.run("import-maildir", maildir, "user.bob")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == (
        "imported 3 messages (%d bytes) into 2 mailboxes (2 created), "
        "skipped 0\n" % sum(len(dmsg(i)) for i in (2, 3, 4)))
    m = mig.login("bob")
    # UID 4 was given out (and expunged) by Dovecot: the next one is 5
    assert ok(m.status("INBOX", "(UIDNEXT UIDVALIDITY)"))[0].decode() == \
        "\"INBOX\" (UIDNEXT 5 UIDVALIDITY %s)" % uidvalidity
    ok(m.select("INBOX"))
    assert m.response("UIDVALIDITY")[1] == [uidvalidity.encode()]
    got = fetch_all(m, "(UID FLAGS)", uid=True)
    assert sorted(got) == [2, 3]
    assert flags_of(got[2]) - {"\\Recent"} == {"\\Seen", "$Label1"}
    assert flags_of(got[3]) - {"\\Recent"} == {"\\Answered", "\\Flagged",
                                               "Work"}
    typ, data = m.uid("FETCH", "3", "(BODY.PEEK[])")
    assert data[0][1] == dmsg(3).replace(b"\n", b"\r\n")
    ok(m.select("INBOX.Archive.2023"))
    got = fetch_all(m, "(UID FLAGS)", uid=True)
    assert sorted(got) == [1]
    assert flags_of(got[1]) - {"\\Recent"} == {"\\Seen"}
    m.logout()
