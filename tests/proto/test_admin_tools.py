"""reconstruct, quota and ctl_mboxlist against a private instance: each
disaster the administration literature warns about is reproduced on disk
(lost or corrupt cyrus.index, a vanished or stray message file, a deleted
mailboxes.db, a corrupt or removed quota file), then repaired with the tool,
and the result is checked the way a user would see it, over IMAP.  Also the
classic addusers batch (100 users with folders and quotas) and the
checkpoint (dump / undump) of mailboxes.db.

The tests run as root in CI, so the tools get -U from Instance.argv(); the
root rule itself is tested in test_security.py.
"""

import imaplib
import os
import re
import subprocess

import pytest

FAST = {"failedloginpause": "0"}


def msg(n):
    return (b"From: s@example.org\r\nTo: alice@chapar.test\r\n"
            b"Subject: note %d\r\nMessage-ID: <%d@example.org>\r\n\r\n"
            b"Body %d.\r\n" % (n, n, n))


def ok(res):
    typ, data = res
    assert typ == "OK", data
    return data


class Admin:
    """imapd on a loopback port; runs the tools."""

    def __init__(self, inst):
        self.inst = inst
        self.port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))

    def login(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, self.inst.users[user])
        return m

    def tool(self, prog, *args, check=True):
        p = subprocess.run(self.inst.argv(prog, *args), capture_output=True,
                           text=True, timeout=30)
        if check:
            assert p.returncode == 0, (p.stdout, p.stderr)
        return p

    def reconstruct(self, *args, check=True):
        return self.tool("tools/reconstruct", *args, check=check)

    def path(self, *parts):
        return os.path.join(self.inst.spool_dir, *parts)

    def setup_user(self, user, n, quota=None, folders=()):
        a = self.login("admin")
        ok(a.create("user." + user))
        for f in folders:
            ok(a.create("user.%s.%s" % (user, f)))
        if quota is not None:
            ok(a.setquota("user." + user, "(STORAGE %d)" % quota))
        a.logout()
        m = self.login(user)
        for i in range(1, n + 1):
            ok(m.append("INBOX", None, None, msg(i)))
        return m


@pytest.fixture
def adm(make_instance):
    return Admin(make_instance(options=FAST))


def uids_and_flags(m, box="INBOX"):
    ok(m.select(box))
    data = ok(m.uid("FETCH", "1:*", "(FLAGS)"))
    out = {}
    for item in data:
        if not item:
            continue
        text = item.decode() if isinstance(item, bytes) else item[0].decode()
        mm = re.search(r"UID (\d+) FLAGS \(([^)]*)\)", text)
        if mm:
            out[int(mm.group(1))] = mm.group(2).split()
    return out


def uidvalidity(m, box="INBOX"):
    ok(m.select(box))
    return m.response("UIDVALIDITY")[1][0]


def test_lost_index_messages_come_back(adm):
    m = adm.setup_user("alice", 3)
    ok(m.select("INBOX"))
    ok(m.uid("STORE", "2", "+FLAGS", "(\\Flagged $Work)"))
    m.logout()
    os.unlink(adm.path("user", "alice", "cyrus.index"))
    out = adm.reconstruct("user.alice").stdout
    assert out.splitlines()[0] == "user.alice"
    assert "user.alice: cyrus.index missing or corrupt" in out
    m = adm.login("alice")
    assert sorted(uids_and_flags(m)) == [1, 2, 3]
    # the flag names lived in cyrus.header, which survived
    flags = m.response("FLAGS")[1][0].decode()
    assert "$Work" in flags
    data = ok(m.uid("FETCH", "3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
    assert b"note 3" in data[0][1]
    m.logout()


def test_corrupt_record_missing_file_and_strays(adm):
    m = adm.setup_user("alice", 5)
    ok(m.select("INBOX"))
    ok(m.uid("STORE", "2", "+FLAGS", "(\\Flagged)"))
    before = uidvalidity(m)
    m.logout()
    index = adm.path("user", "alice", "cyrus.index")
    with open(index, "r+b") as f:          # one byte of uid 1's record
        f.seek(128 + 20)
        b = f.read(1)
        f.seek(128 + 20)
        f.write(bytes([b[0] ^ 0xFF]))
    os.unlink(adm.path("user", "alice", "3."))
    with open(adm.path("user", "alice", "100."), "wb") as f:
        f.write(msg(100))
    out = adm.reconstruct("user.alice").stdout
    assert "user.alice: uid 3: message file missing, record dropped" in out
    assert "user.alice: 1.: new uid 101" in out
    assert "user.alice: 100.: new uid 100" in out
    m = adm.login("alice")
    got = uids_and_flags(m)
    assert sorted(got) == [2, 4, 5, 100, 101]
    assert "\\Flagged" in got[2]
    assert uidvalidity(m) == before
    m.logout()
    # a second run finds nothing to repair
    out = adm.reconstruct("user.alice").stdout
    assert out.strip() == "user.alice"


def test_corrupt_index_header_and_recursion(adm):
    adm.setup_user("bob", 2, folders=("lists", "lists.a")).logout()
    index = adm.path("user", "bob", "lists", "cyrus.index")
    with open(index, "r+b") as f:
        f.write(b"\0" * 16)
    out = adm.reconstruct("-r", "user.bob").stdout.splitlines()
    assert [l for l in out if ":" not in l] == \
        ["user.bob", "user.bob.lists", "user.bob.lists.a"]
    m = adm.login("bob")
    ok(m.select("INBOX.lists"))
    m.logout()
    p = adm.reconstruct("user.nobody", check=False)
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_lost_mailboxes_db_reconstruct_m(adm):
    adm.setup_user("alice", 1).logout()
    adm.setup_user("bob", 2, folders=("lists",)).logout()
    a = adm.login("admin")
    ok(a.setacl("user.bob.lists", "alice", "lr"))
    a.logout()
    before = adm.tool("tools/ctl_mboxlist", "-d").stdout
    os.unlink(os.path.join(adm.inst.conf_dir, "mailboxes.db"))
    out = adm.reconstruct("-m").stdout
    for box in ("user.alice", "user.bob", "user.bob.lists"):
        assert "%s: added to mailboxes.db" % box in out
    assert adm.tool("tools/ctl_mboxlist", "-d").stdout == before
    m = adm.login("alice")
    names = b" ".join(ok(m.list("\"\"", "*")))
    assert b"user.bob.lists" in names
    m.logout()
    m = adm.login("bob")
    assert sorted(uids_and_flags(m)) == [1, 2]
    m.logout()


def test_checkpoint_restore_then_reconstruct(adm, tmp_path):
    adm.setup_user("alice", 1, folders=("old",)).logout()
    ckpt = str(tmp_path / "mailboxes.txt")
    adm.tool("tools/ctl_mboxlist", "-d", "-f", ckpt)
    lines = open(ckpt).read().splitlines()
    assert lines[0].split("\t")[:2] == ["user.alice", "default"]
    a = adm.login("admin")
    ok(a.create("user.alice.new"))     # made after the checkpoint
    a.logout()
    os.unlink(os.path.join(adm.inst.conf_dir, "mailboxes.db"))
    adm.tool("tools/ctl_mboxlist", "-u", "-f", ckpt)
    out = adm.reconstruct("-m").stdout
    assert out.strip() == "user.alice.new: added to mailboxes.db"
    m = adm.login("alice")
    names = b" ".join(ok(m.list("\"\"", "*")))
    assert b"INBOX.old" in names and b"INBOX.new" in names
    assert sorted(uids_and_flags(m)) == [1]
    m.logout()
    p = adm.tool("tools/ctl_mboxlist", "-u", "-f", str(tmp_path / "nope"),
                 check=False)
    assert p.returncode != 0 and p.stderr.strip()


def quota_rows(adm, *args):
    out = adm.tool("tools/quota", *args).stdout.splitlines()
    assert out[0].split() == ["Quota", "%", "Used", "Used", "Root"]
    return {l.split()[-1]: l.split()[:-1] for l in out[1:]}


def test_quota_report_and_fix(adm):
    adm.setup_user("alice", 2, quota=1000, folders=("sub",)).logout()
    size = 2 * len(msg(1))
    assert quota_rows(adm)["user.alice"] == ["1000", "0", "0"]
    qfile = os.path.join(adm.inst.conf_dir, "quota", "user.alice")
    with open(qfile, "w") as f:
        f.write("5\n1000\n")
    out = adm.tool("tools/quota", "-f").stdout
    assert "user.alice: usage was 5, now %d" % size in out
    with open(qfile, "w") as f:
        f.write("garbage\n1000\n")
    assert adm.tool("tools/quota", check=False).returncode != 0
    out = adm.tool("tools/quota", "-f").stdout
    assert "user.alice: usage was unreadable, now %d" % size in out
    assert quota_rows(adm)["user.alice"][0] == "1000"
    assert adm.tool("tools/quota", "-f").stdout.splitlines()[0].startswith(
        "   Quota")
    # removing a root: delete its file, then quota -f
    os.unlink(qfile)
    out = adm.tool("tools/quota", "-f").stdout
    assert "user.alice: quota root was user.alice, now none" in out
    assert "user.alice.sub: quota root was user.alice, now none" in out
    header = open(adm.path("user", "alice", "cyrus.header")).read()
    assert "user.alice" not in re.findall(r"quotaroot[^\n]*", header)[0]


def test_reconstruct_fixes_quota_usage(adm):
    adm.setup_user("alice", 3, quota=1000).logout()
    os.unlink(adm.path("user", "alice", "2."))
    out = adm.reconstruct("user.alice").stdout
    size = 2 * len(msg(1))
    assert "user.alice: usage was %d, now %d" % (3 * len(msg(1)), size) in out
    qfile = os.path.join(adm.inst.conf_dir, "quota", "user.alice")
    assert open(qfile).read().splitlines()[0] == str(size)


def test_addusers_batch(adm):
    a = adm.login("admin")
    for i in range(100):
        u = "user.u%03d" % i
        ok(a.create(u))
        for f in ("drafts", "sent-mail", "trash"):
            ok(a.create("%s.%s" % (u, f)))
        ok(a.setquota(u, "(STORAGE 10240)"))
    a.logout()
    rows = quota_rows(adm)
    assert len(rows) == 100
    assert rows["user.u042"] == ["10240", "0", "0"]
    assert len(quota_rows(adm, "user.u04")) == 10
    dump = adm.tool("tools/ctl_mboxlist", "-d").stdout.splitlines()
    assert len(dump) == 400
    assert adm.tool("tools/quota", "-f").stdout.count("usage was") == 0
    out = adm.reconstruct("-r", "user.u007").stdout.splitlines()
    assert out == ["user.u007", "user.u007.drafts", "user.u007.sent-mail",
                   "user.u007.trash"]


def test_reconstruct_f_adopts_restored_directory(adm, tmp_path):
    import shutil
    adm.setup_user("bob", 1, folders=("lists",)).logout()
    m = adm.login("bob")
    ok(m.append("INBOX.lists", None, None, msg(7)))
    m.logout()
    saved = str(tmp_path / "lists")
    shutil.copytree(adm.path("user", "bob", "lists"), saved)
    a = adm.login("admin")
    ok(a.setacl("user.bob.lists", "admin", "lrx"))
    ok(a.delete("user.bob.lists"))
    a.logout()
    shutil.copytree(saved, adm.path("user", "bob", "lists"))   # from tape
    out = adm.reconstruct("-f", "user.bob").stdout.splitlines()
    assert "user.bob.lists: added to mailboxes.db" in out
    assert "user.bob.lists" in out
    m = adm.login("bob")
    assert sorted(uids_and_flags(m, "INBOX.lists")) == [1]
    m.logout()


def test_quota_f_keeps_usage_when_a_mailbox_is_broken(adm):
    adm.setup_user("alice", 2, quota=1000, folders=("sub",)).logout()
    with open(adm.path("user", "alice", "sub", "cyrus.index"), "r+b") as f:
        f.write(b"\0" * 16)
    p = adm.tool("tools/quota", "-f", check=False)
    assert p.returncode != 0
    assert "user.alice.sub: cannot open" in p.stdout
    assert "user.alice: usage not recomputed" in p.stdout
    adm.reconstruct("user.alice.sub")
    assert "usage was" not in adm.tool("tools/quota", "-f").stdout
