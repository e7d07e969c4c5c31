"""deliver (the MDA) against a private instance: every exit code with its one
stderr line, user+folder with and without the p right, -m (folders and
shared mailboxes), duplicate suppression (-e, the option, -E pruning),
quota (-q), -F flags seen through IMAP, Return-Path, refused messages
(leading From line, 8-bit header, size), bytes as stored (bare LF, NUL, a
message starting with a blank line), several users (worst status, one file
hard-linked) and -l.

Mailboxes are made and inspected over IMAP (imap/imapd, imaplib) as a
client would; deliver runs as the MTA would run it: message on stdin,
exit status and stderr checked.
"""

import imaplib
import os
import re
import subprocess

import pytest

FAST = {"failedloginpause": "0"}
MSG = (b"From: Sender <sender@example.org>\n"
       b"To: alice@chapar.test\n"
       b"Subject: test\n"
       b"Message-ID: <%d@example.org>\n"
       b"\n"
       b"Hello.\n")

EX_OK, EX_USAGE, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 0, 64, 65, 67, 75


def message(n=1, extra=b""):
    return MSG.replace(b"%d", str(n).encode()) + extra


class Store:
    """An instance with imapd behind a loopback port, users alice and bob
    (INBOXes made by the admin), and helpers to run deliver and to read
    what landed."""

    def __init__(self, inst):
        self.inst = inst
        self.port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
        self.admin = self.login("admin")
        for box in ("user.alice", "user.bob"):
            self.ok(self.admin.create(box))

    def login(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, self.inst.users[user])
        return m

    @staticmethod
    def ok(res):
        typ, data = res
        assert typ == "OK", data
        return data

    def run(self, args, msg=None, **kw):
        """deliver args with msg on stdin -> (exit status, stderr text)."""
        p = subprocess.run(self.inst.argv("deliver/deliver", *args),
                           input=msg if msg is not None else message(),
                           capture_output=True, env=self.inst.env, timeout=60,
                           **kw)
        return p.returncode, p.stderr.decode(errors="replace")

    def setacl(self, mailbox, who, rights):
        self.ok(self.admin._simple_command("SETACL", mailbox, who,
                                           rights or '""'))

    def setquota(self, root, kb):
        self.ok(self.admin._simple_command("SETQUOTA", root,
                                           f"(STORAGE {kb})"))

    def messages(self, user, mailbox="INBOX"):
        """[(flags, bytes)] of every message, in UID order."""
        m = self.login(user)
        try:
            typ, data = m.select(mailbox, readonly=True)
            assert typ == "OK", data
            if int(data[0]) == 0:
                return []
            typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[])")
            assert typ == "OK", data
            out = []
            for item in data:
                if isinstance(item, tuple):
                    flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1)
                    out.append((flags.decode().split(), item[1]))
            return out
        finally:
            m.logout()

    def count(self, user, mailbox="INBOX"):
        return len(self.messages(user, mailbox))


@pytest.fixture
def store(make_instance):
    return Store(make_instance(options=FAST))


# ---- exit codes ---------------------------------------------------------------

def test_delivered_bytes_bare_lf_become_crlf(store):
    assert store.run(["alice"]) == (EX_OK, "")
    [(flags, body)] = store.messages("alice")
    assert body == message().replace(b"\n", b"\r\n")
    assert "\\Seen" not in flags
    store.inst.wait_for_log(r"^deliver\[\d+\]: info: delivered: "
                            r"mailbox=<user\.alice> uid=<1> size=<\d+> "
                            r"msgid=<<1@example\.org>>$")


def test_unknown_user_is_nouser(store):
    assert store.run(["nosuch"]) == (
        EX_NOUSER, "deliver: nosuch: Mailbox does not exist\n")
    # An invalid user name answers the same.
    assert store.run(["../etc"]) == (
        EX_NOUSER, "deliver: ../etc: Mailbox does not exist\n")


def test_usage_errors(store):
    code, err = store.run([])
    assert code == EX_USAGE and err.startswith("usage: deliver ")
    assert err.count("\n") == 1
    assert store.run(["-F", "bad(flag", "alice"]) == (
        EX_USAGE, "deliver: invalid flag: bad(flag\n")
    assert store.run(["-E", "soon"]) == (
        EX_USAGE, "deliver: -E needs a number of days\n")
    assert store.count("alice") == 0


def test_leading_from_line_refused(store):
    msg = b"From sender@example.org Mon Feb  7 21:52:25 1994\n" + message()
    assert store.run(["alice"], msg) == (
        EX_DATAERR, "deliver: Message contains invalid header\n")
    assert store.count("alice") == 0


def test_reject8bit(make_instance):
    msg = b"Subject: caf\xc3\xa9\n\nbody \xc3\xa9\n"
    strict = Store(make_instance(options=dict(FAST, reject8bit="yes")))
    assert strict.run(["alice"], msg) == (
        EX_DATAERR, "deliver: Message contains 8-bit characters in header\n")
    assert strict.count("alice") == 0
    lax = Store(make_instance(options=FAST))
    assert lax.run(["alice"], msg) == (EX_OK, "")
    # The header byte becomes X; the body keeps its bytes.
    assert lax.messages("alice")[0][1] == b"Subject: cafXX\r\n\r\nbody \xc3\xa9\r\n"


def test_maxmessagesize(make_instance):
    s = Store(make_instance(options=dict(FAST, maxmessagesize="200")))
    assert s.run(["alice"], message(1, b"x" * 300 + b"\n")) == (
        EX_DATAERR, "deliver: Message too big\n")
    assert s.run(["alice"], message(2)) == (EX_OK, "")
    assert s.count("alice") == 1


def test_empty_message_refused(store):
    assert store.run(["alice"], b"") == (EX_DATAERR,
                                         "deliver: Message is empty\n")


# ---- message bytes ------------------------------------------------------------

def test_blank_first_line_has_no_headers(store):
    assert store.run(["alice"], b"\nJust a body.\nFrom: not a header\n") == (
        EX_OK, "")
    [(_, body)] = store.messages("alice")
    assert body == b"\r\nJust a body.\r\nFrom: not a header\r\n"
    m = store.login("alice")
    m.select("INBOX", readonly=True)
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER] ENVELOPE)")
    assert data[0][1] == b"\r\n"
    m.logout()


def test_nul_byte_does_not_cut_a_line(store):
    msg = message(1, b"before\x00after\nnext line\n")
    assert store.run(["alice"], msg) == (EX_OK, "")
    [(_, body)] = store.messages("alice")
    assert body.endswith(b"Hello.\r\nbefore\x00after\r\nnext line\r\n")


def test_return_path(store):
    assert store.run(["-r", "bounces@example.org", "alice"]) == (EX_OK, "")
    assert store.run(["-f", "", "bob"]) == (EX_OK, "")
    assert store.messages("alice")[0][1].startswith(
        b"Return-Path: <bounces@example.org>\r\nFrom: Sender")
    assert store.messages("bob")[0][1].startswith(b"Return-Path: <>\r\n")
    # An address cannot smuggle in a header.
    assert store.run(["-r", "a@x>\r\nX-Evil: 1", "bob"], message(2)) == (
        EX_OK, "")
    assert store.messages("bob")[1][1].startswith(
        b"Return-Path: <a@x>??X-Evil: 1>\r\nFrom: Sender")


# ---- recipients and rights ---------------------------------------------------

def test_plus_folder_needs_p(store):
    store.ok(store.admin.create("user.alice.lists"))
    # The folder copies alice's ACL: the anonymous sender has no p there,
    # so the message goes to the INBOX.
    assert store.run(["alice+lists"], message(1)) == (EX_OK, "")
    assert (store.count("alice"), store.count("alice", "INBOX.lists")) == (1, 0)
    # A missing folder: INBOX as well.
    assert store.run(["alice+nosuch"], message(2)) == (EX_OK, "")
    assert store.count("alice") == 2
    store.setacl("user.alice.lists", "anyone", "p")
    assert store.run(["alice+lists"], message(3)) == (EX_OK, "")
    assert (store.count("alice"), store.count("alice", "INBOX.lists")) == (2, 1)
    # -a: the identity's own rights count.
    store.setacl("user.alice.lists", "anyone", "")
    store.setacl("user.alice.lists", "bob", "p")
    assert store.run(["-a", "bob", "alice+lists"], message(4)) == (EX_OK, "")
    assert store.run(["alice+lists"], message(5)) == (EX_OK, "")
    assert (store.count("alice"), store.count("alice", "INBOX.lists")) == (3, 2)


def test_m_folder_for_each_user(store):
    for box in ("user.alice.lists", "user.bob.lists"):
        store.ok(store.admin.create(box))
        store.setacl(box, "anyone", "p")
    assert store.run(["-m", "lists", "alice", "bob"]) == (EX_OK, "")
    assert store.count("alice", "INBOX.lists") == 1
    assert store.count("bob", "INBOX.lists") == 1
    # -m "" (an empty ${extension}) means no folder.
    assert store.run(["-m", "", "alice"], message(2)) == (EX_OK, "")
    assert store.count("alice") == 1


def test_m_shared_mailbox_without_p_is_like_missing(store):
    store.ok(store.admin.create("shared"))
    store.setacl("shared", "anyone", "lrs")
    no_p = store.run(["-m", "shared"])
    missing = store.run(["-m", "nosuch"])
    assert no_p == (EX_NOUSER, "deliver: shared: Mailbox does not exist\n")
    assert missing == (EX_NOUSER, "deliver: nosuch: Mailbox does not exist\n")
    store.setacl("shared", "anyone", "lrsp")
    assert store.run(["-m", "shared"]) == (EX_OK, "")
    assert store.count("admin", "shared") == 1


def test_bb_plus_mailbox_posts_to_shared(store):
    store.ok(store.admin.create("shared.lists"))
    assert store.run(["bb+shared.lists"]) == (
        EX_NOUSER, "deliver: bb+shared.lists: Mailbox does not exist\n")
    # p alone is enough (no l: the sender need not see the mailbox).
    store.setacl("shared.lists", "anyone", "p")
    assert store.run(["bb+shared.lists"]) == (EX_OK, "")
    store.setacl("shared.lists", "admin", "lr")
    assert store.count("admin", "shared.lists") == 1


# ---- duplicates --------------------------------------------------------------

def test_duplicate_suppression(make_instance):
    s = Store(make_instance(options=dict(FAST, duplicatesuppression="no")))
    assert s.run(["alice"], message(1)) == (EX_OK, "")
    assert s.run(["alice"], message(1)) == (EX_OK, "")
    assert s.count("alice") == 2          # option off, no -e: both
    assert s.run(["-e", "alice"], message(7)) == (EX_OK, "")
    assert s.run(["-e", "alice", "bob"], message(7)) == (EX_OK, "")
    assert (s.count("alice"), s.count("bob")) == (3, 1)
    s.inst.wait_for_log(r"^deliver\[\d+\]: info: dupelim: eliminated "
                        r"duplicate message to mailbox=<user\.alice> "
                        r"msgid=<<7@example\.org>>$")
    # A message without Message-ID is never suppressed.
    assert s.run(["-e", "alice"], b"Subject: x\n\nno id\n") == (EX_OK, "")
    assert s.run(["-e", "alice"], b"Subject: x\n\nno id\n") == (EX_OK, "")
    assert s.count("alice") == 5


def test_duplicatesuppression_option_and_prune(store):
    # The default (duplicatesuppression: yes) suppresses without -e.
    assert store.run(["alice"], message(1)) == (EX_OK, "")
    assert store.run(["alice"], message(1)) == (EX_OK, "")
    assert store.count("alice") == 1
    # -E 1 keeps today's records, -E 0 drops them: then it comes again.
    p = subprocess.run(store.inst.argv("deliver/deliver", "-E", "1"),
                       capture_output=True, env=store.inst.env, timeout=30)
    assert (p.returncode, p.stdout, p.stderr) == (
        0, b"deliver: expired 0 of 1 entries\n", b"")
    p = subprocess.run(store.inst.argv("deliver/deliver", "-E", "0"),
                       capture_output=True, env=store.inst.env, timeout=30)
    assert (p.returncode, p.stdout) == (0, b"deliver: expired 1 of 1 entries\n")
    assert store.run(["alice"], message(1)) == (EX_OK, "")
    assert store.count("alice") == 2


# ---- quota and flags ----------------------------------------------------------

def test_over_quota_tempfail_and_q(store):
    store.setquota("user.alice", 1)
    big = message(1, b"x" * 2000 + b"\n")
    # Below the limit: accepted, even though it crosses it.
    assert store.run(["alice"], big) == (EX_OK, "")
    assert store.run(["alice"], message(2)) == (
        EX_TEMPFAIL, "deliver: alice: Over quota\n")
    assert store.run(["-q", "alice"], message(3)) == (EX_OK, "")
    assert store.count("alice") == 2
    # Several users: the temporary failure wins, the others are delivered.
    assert store.run(["alice", "bob", "nosuch"], message(4)) == (
        EX_TEMPFAIL, "deliver: alice: Over quota\n"
                     "deliver: nosuch: Mailbox does not exist\n")
    assert store.count("bob") == 1
    assert store.run(["bob", "nosuch"], message(5)) == (
        EX_NOUSER, "deliver: nosuch: Mailbox does not exist\n")


def test_flags_visible_over_imap(store):
    assert store.run(["-F", "\\Seen", "-F", "\\Flagged", "-F", "$Label1",
                      "alice", "bob"]) == (EX_OK, "")
    assert store.run(["-F", "\\answered", "-F", "\\Draft", "-F", "\\Deleted",
                      "alice"], message(2)) == (EX_OK, "")
    [(f1, _), (f2, _)] = store.messages("alice")
    assert sorted(f1) == ["$Label1", "\\Flagged", "\\Recent", "\\Seen"]
    assert sorted(f2) == ["\\Answered", "\\Deleted", "\\Draft", "\\Recent"]
    # \Seen is per user: bob's copy is seen in bob's own state.
    [(fb, _)] = store.messages("bob")
    assert "\\Seen" in fb and "\\Flagged" in fb


def test_several_users_one_file(store):
    assert store.run(["alice", "bob"]) == (EX_OK, "")
    spool = store.inst.spool_dir
    a = os.stat(os.path.join(spool, "user", "alice", "1."))
    b = os.stat(os.path.join(spool, "user", "bob", "1."))
    assert (a.st_ino, a.st_nlink) == (b.st_ino, 2)
    assert store.messages("alice")[0][1] == store.messages("bob")[0][1]


# ---- LMTP on stdin/stdout ---------------------------------------------------------

def test_dash_l_speaks_lmtp(store):
    script = (b"LHLO mx\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<alice>\r\n"
              b"DATA\r\nSubject: via -l\r\n\r\nhi\r\n.\r\nQUIT\r\n")
    p = subprocess.run(store.inst.argv("deliver/deliver", "-l"), input=script,
                       capture_output=True, env=store.inst.env, timeout=30)
    lines = p.stdout.decode().split("\r\n")
    assert p.returncode == 0
    assert lines[0] == "220 chapar.test LMTP Chapar ready"
    assert lines[-3:] == ["250 2.1.5 Ok", "221 2.0.0 chapar.test closing "
                          "connection", ""]
    assert b"Subject: via -l\r\n\r\nhi\r\n" in store.messages("alice")[0][1]
