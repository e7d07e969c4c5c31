"""imapd mailbox-management tests: CREATE/DELETE/RENAME (hierarchies and the
INBOX rename), LIST/LSUB patterns with the CHILDREN attributes, SUBSCRIBE,
NAMESPACE, STATUS, APPEND (flags, date-time, MULTIAPPEND atomicity,
APPENDUID, TRYCREATE), QUOTA (SETQUOTA by admins, GETQUOTAROOT, OVERQUOTA,
re-rooting), the ACL commands with a matrix of single rights, UIDVALIDITY
across DELETE/CREATE, COPY/MOVE of a message another session expunged,
and a RENAME whose imapd is killed half-way.

Each test runs imapd inetd-style against a private instance (see
tests/proto/README.md).  Raw sessions check exact wire lines; one test
drives the same commands through Python's imaplib.
"""

import imaplib
import os
import random
import re
import signal
import time

import pytest

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}
NONEXISTENT = "NO [NONEXISTENT] Mailbox does not exist"
NOPERM = "NO [NOPERM] Permission denied"
MSG = b"From: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n"


class Session:
    """A raw IMAP session with automatic tags."""

    def __init__(self, inst, port, user=None):
        """Connected, and logged in as user unless it is None."""
        self.c = inst.connect(port)
        self.c.expect(r"^\* OK ")
        self.n = 0
        if user is not None:
            self.ok(f"LOGIN {user} {inst.users[user]}")

    def run(self, text):
        """Send a command; (untagged lines, tagged status text without tag)."""
        self.n += 1
        tag = f"t{self.n}"
        lines = self.c.command(tag, text)
        return lines[:-1], lines[-1][len(tag) + 1:]

    def ok(self, text):
        untagged, status = self.run(text)
        assert status.startswith("OK"), (text, untagged, status)
        return untagged

    def status(self, text):
        return self.run(text)[1]

    def append(self, mailbox, data=MSG, extra=""):
        """APPEND with a non-synchronizing literal; the tagged status."""
        self.n += 1
        tag = f"t{self.n}"
        head = f"{tag} APPEND {mailbox} {extra}".rstrip()
        self.c.send(f"{head} {{{len(data)}+}}\r\n".encode() + data + b"\r\n")
        lines = self.c.read_until(tag)
        return lines[-1][len(tag) + 1:]


@pytest.fixture
def inst(make_instance):
    return make_instance(options=FAST)


@pytest.fixture
def port(inst):
    return inst.serve_tcp(inst.argv("imap/imapd/imapd"))


def login(inst, port, user="alice"):
    return Session(inst, port, user)


def created(status, tag=None):
    """status is CREATE's OK, with the new mailbox's MAILBOXID (RFC 8474
    4.1); tag: status is the whole tagged line."""
    prefix = f"{tag} " if tag else ""
    return re.fullmatch(re.escape(prefix) + r"OK \[MAILBOXID \([0-9a-f]{32}\)\]"
                        r" Completed", status) is not None


def status_items(line):
    """{"MESSAGES": 1, ...} of a '* STATUS name (...)' line."""
    items = re.search(r"\(([^)]*)\)$", line).group(1).split()
    return {k: int(v) for k, v in zip(items[::2], items[1::2])}


# ---- NAMESPACE, LIST root ----------------------------------------------------

def test_namespace_and_list_root(inst, port):
    s = login(inst, port)
    assert s.ok("NAMESPACE") == [
        '* NAMESPACE (("INBOX." ".")) (("user." ".")) (("" "."))']
    assert s.ok('LIST "" ""') == ['* LIST (\\Noselect) "." ""']
    assert s.ok('LIST "INBOX.sent" ""') == ['* LIST (\\Noselect) "." "INBOX."']
    assert s.ok('LSUB "" ""') == []
    assert s.status('LIST ""') == "BAD LIST needs a reference and a pattern"
    assert s.status("NAMESPACE x") == "BAD Unexpected arguments to NAMESPACE"


# ---- CREATE / DELETE / RENAME ------------------------------------------------

def test_create_delete_rename_hierarchy(inst, port):
    s = login(inst, port)
    assert created(s.status("CREATE INBOX.a."))     # trailing sep
    s.ok("CREATE INBOX.a.b")
    s.ok('CREATE "INBOX.a.b.c"')
    assert s.ok('LIST "" "*"') == [
        '* LIST (\\HasChildren) "." "INBOX"',
        '* LIST (\\HasChildren) "." "INBOX.a"',
        '* LIST (\\HasChildren) "." "INBOX.a.b"',
        '* LIST (\\HasNoChildren) "." "INBOX.a.b.c"']
    assert s.status("CREATE INBOX") == \
        "NO [ALREADYEXISTS] Mailbox already exists"
    assert s.status("CREATE inbox.") == \
        "NO [ALREADYEXISTS] Mailbox already exists"
    assert s.status("CREATE INBOX.a") == \
        "NO [ALREADYEXISTS] Mailbox already exists"
    assert s.status("CREATE toplevel") == NOPERM
    assert s.status("CREATE INBOX.x/y") == "NO [CANNOT] Invalid mailbox name"
    assert s.status("CREATE INBOX..x") == "NO [CANNOT] Invalid mailbox name"
    assert s.status("CREATE INBOX.x default") == \
        "NO [NOPERM] Only administrators may choose a partition"
    assert s.status("CREATE") == "BAD CREATE needs a mailbox name"

    # Hierarchical rename: the children follow.
    s.ok("RENAME INBOX.a INBOX.z")
    assert s.ok('LIST "" "INBOX.*"') == [
        '* LIST (\\HasChildren) "." "INBOX.z"',
        '* LIST (\\HasChildren) "." "INBOX.z.b"',
        '* LIST (\\HasNoChildren) "." "INBOX.z.b.c"']
    assert s.status("RENAME INBOX.a INBOX.q") == NONEXISTENT
    s.ok("CREATE INBOX.q")
    assert s.status("RENAME INBOX.q INBOX.z") == \
        "NO [ALREADYEXISTS] Mailbox already exists"
    assert s.status("RENAME INBOX.z INBOX.z.b.new") == \
        "NO [CANNOT] Invalid request"
    assert s.status("RENAME INBOX.q") == "BAD RENAME needs two mailbox names"

    # DELETE leaves the children; a missing mailbox is NONEXISTENT.
    s.ok("DELETE INBOX.z.b")
    assert s.ok('LIST "" "INBOX.z*"') == [
        '* LIST (\\HasChildren) "." "INBOX.z"',
        '* LIST (\\HasNoChildren) "." "INBOX.z.b.c"']
    assert s.status("DELETE INBOX.z.b") == NONEXISTENT
    assert s.status("DELETE INBOX.nope") == NONEXISTENT
    assert s.status("DELETE INBOX") == "NO [CANNOT] INBOX cannot be deleted"
    assert s.status("DELETE") == "BAD DELETE needs a mailbox name"


def test_delete_and_rename_of_selected_mailbox(inst, port):
    s = login(inst, port)
    s.ok("CREATE INBOX.sel")
    s.ok("SELECT INBOX.sel")
    assert s.ok("DELETE INBOX.sel") == [
        "* OK [CLOSED] Selected mailbox closed"]
    assert s.status("FETCH 1 FLAGS") == "BAD Please select a mailbox first"
    s.ok("CREATE INBOX.sel2")
    s.ok("SELECT INBOX.sel2")
    assert s.ok("RENAME INBOX.sel2 INBOX.sel3") == [
        "* OK [CLOSED] Selected mailbox closed"]
    s.ok("SELECT INBOX.sel3")


def test_uidvalidity_never_reused(inst, port):
    # DELETE + CREATE, or RENAME onto a deleted name, in the same second:
    # never an old UIDVALIDITY (RFC 9051 2.3.1.1), and the values grow.
    s = login(inst, port)

    def uidvalidity(name):
        return status_items(s.ok(f"STATUS {name} (UIDVALIDITY)")[0])[
            "UIDVALIDITY"]

    seen = []
    for _ in range(3):
        s.ok("CREATE INBOX.re")
        seen.append(uidvalidity("INBOX.re"))
        s.ok("DELETE INBOX.re")
    s.ok("CREATE INBOX.re")
    s.ok("CREATE INBOX.other")
    seen += [uidvalidity("INBOX.re"), uidvalidity("INBOX.other")]
    s.ok("DELETE INBOX.re")
    s.ok("RENAME INBOX.other INBOX.re")
    assert uidvalidity("INBOX.re") == seen[-1]
    assert seen == sorted(set(seen)), seen


def test_rename_inbox_moves_messages(inst, port):
    s = login(inst, port)
    assert s.append("INBOX", extra="(\\Seen)").startswith("OK")
    assert s.append("INBOX", extra="(\\Flagged $Work)").startswith("OK")
    assert s.append("INBOX").startswith("OK")
    s.ok("CREATE INBOX.keep")
    before = status_items(s.ok("STATUS INBOX (UIDNEXT UIDVALIDITY)")[0])

    s.ok("RENAME INBOX INBOX.old")
    # INBOX still exists, empty, with its UIDs still growing.
    assert status_items(s.ok("STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)")
                        [0]) == dict(before, MESSAGES=0)
    assert status_items(s.ok("STATUS INBOX.old (MESSAGES UNSEEN)")[0]) == {
        "MESSAGES": 3, "UNSEEN": 2}
    assert s.ok('LIST "" "*"') == [
        '* LIST (\\HasChildren) "." "INBOX"',
        '* LIST (\\HasNoChildren) "." "INBOX.keep"',
        '* LIST (\\HasNoChildren) "." "INBOX.old"']
    s.ok("SELECT INBOX.old")
    flags = [l for l in s.ok("FETCH 1:3 FLAGS") if "FETCH" in l]
    assert "\\Seen" in flags[0]
    assert "\\Flagged" in flags[1] and "$Work" in flags[1]
    assert "\\Seen" not in flags[2]
    # The next message in INBOX gets a fresh, higher UID.
    assert s.append("INBOX") == \
        f"OK [APPENDUID {before['UIDVALIDITY']} {before['UIDNEXT']}] Completed"
    assert s.status("RENAME INBOX INBOX.old") == \
        "NO [ALREADYEXISTS] Mailbox already exists"


def _tree_state(inst, port, names, kids, messages):
    """A new session: LIST shows the tree under exactly one of names, every
    child with it; SELECT and STATUS find all its messages.  That name."""
    s = login(inst, port)
    listed = [re.search(r'"([^"]+)"$', l).group(1)
              for l in s.ok('LIST "" "INBOX.*"')]
    where = [n for n in names if n in listed]
    assert len(where) == 1, listed
    top = where[0]
    assert sorted(listed) == sorted([top] + [top + k for k in kids]), listed
    assert f"* {messages} EXISTS" in s.ok(f"SELECT {top}")
    for k in kids:
        assert status_items(s.ok(f"STATUS {top}{k} (MESSAGES)")[0]) == {
            "MESSAGES": messages}
    s.ok("LOGOUT")
    return top


def test_rename_killed_midway_is_completed_or_undone(inst, port):
    # DESIGN.md invariant 6: an imapd killed with SIGKILL while it renames
    # a folder with children leaves the folder, for the next session,
    # under exactly one of the two names with all its mail: completed or
    # rolled back by whoever looks next, without reconstruct.
    names, kids = ("INBOX.tree", "INBOX.bush"), (".a", ".b", ".b.c")
    s = login(inst, port)
    for name in (names[0],) + tuple(names[0] + k for k in kids):
        s.ok(f"CREATE {name}")
        for _ in range(2):
            assert s.append(name).startswith("OK")
    start = time.monotonic()
    s.ok(f"RENAME {names[0]} {names[1]}")
    took = time.monotonic() - start
    s.ok(f"RENAME {names[1]} {names[0]}")
    s.ok("LOGOUT")
    proc_dir = os.path.join(inst.conf_dir, "proc")
    rng = random.Random(6)
    top, landed = names[0], 0
    taken_over = re.compile(r"notice: mboxlist: (completed|rolled back) an "
                            r"interrupted rename: from=<user\.alice\."
                            r"(tree|bush)>")
    # 16 kills, and on until one landed after the commit (an intent to
    # take over: a kill before it leaves nothing to do), 48 at most.
    for i in range(48):
        if i >= 16 and taken_over.search("\n".join(inst.log_lines())):
            break
        before = set(os.listdir(proc_dir))
        victim = login(inst, port)
        pids = set(os.listdir(proc_dir)) - before
        assert len(pids) == 1, pids
        pid = int(pids.pop())
        other = names[1] if top == names[0] else names[0]
        victim.c.send_line(f"k1 RENAME {top} {other}")
        # The window widens as tries go by: on a loaded machine (ASan) a
        # RENAME takes longer than the one timed above.
        time.sleep(rng.uniform(0, took * 1.2 * (1 + i / 8)))
        os.kill(pid, signal.SIGKILL)
        try:
            lines = victim.c.read_until("k1", timeout=2)
        except Exception:           # killed before it answered
            lines = []
        landed += not any(l.startswith("k1 ") for l in lines)
        victim.c.close()
        top = _tree_state(inst, port, names, kids, 2)
    assert landed >= 4, landed
    log = "\n".join(inst.log_lines())
    assert "reconstruct" not in log
    assert taken_over.search(log), log[-2000:]


# ---- LIST / LSUB -------------------------------------------------------------

def test_list_patterns(inst, port):
    s = login(inst, port)
    for name in ("INBOX.a", "INBOX.a.b", "INBOX.c", "INBOX.cb"):
        s.ok(f"CREATE {name}")
    assert s.ok('LIST "" "%"') == ['* LIST (\\HasChildren) "." "INBOX"']
    assert s.ok('LIST "" "INBOX.%"') == [
        '* LIST (\\HasChildren) "." "INBOX.a"',
        '* LIST (\\HasNoChildren) "." "INBOX.c"',
        '* LIST (\\HasNoChildren) "." "INBOX.cb"']
    # INBOX matches in any case; the answer spells it INBOX.
    assert s.ok('LIST "" "inbox.%"') == s.ok('LIST "" "INBOX.%"')
    assert s.ok('LIST "" "iNbOx"') == ['* LIST (\\HasChildren) "." "INBOX"']
    # The reference is prepended (one separator dropped).
    assert s.ok('LIST "INBOX." "%"') == s.ok('LIST "" "INBOX.%"')
    assert s.ok('LIST "INBOX." ".a.%"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.a.b"']
    assert s.ok('LIST "INBOX.a" ".*"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.a.b"']
    assert s.ok('LIST "" "*b"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.a.b"',
        '* LIST (\\HasNoChildren) "." "INBOX.cb"']
    assert s.ok('LIST "" "INBOX.c"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.c"']
    assert s.ok('LIST "" "nothing*"') == []
    assert s.ok('LIST "" "INBOX.%.%"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.a.b"']


def test_list_other_users_and_shared(inst, port):
    admin = login(inst, port, "admin")
    admin.ok("CREATE shared")                  # defaultacl: anyone lrs
    admin.ok("CREATE shared.news")
    admin.ok("CREATE private")
    admin.ok("SETACL private anyone \"\"")
    bob = login(inst, port, "bob")
    bob.ok("CREATE INBOX.pub")
    bob.ok("CREATE INBOX.pub.deep")
    bob.ok("CREATE INBOX.secret")
    bob.ok("SETACL INBOX.pub alice lr")
    alice = login(inst, port)
    assert alice.ok('LIST "" "%"') == [
        '* LIST (\\HasNoChildren) "." "INBOX"',
        '* LIST (\\HasChildren) "." "shared"',
        '* LIST (\\Noselect \\HasChildren) "." "user"']
    assert alice.ok('LIST "" "user.%"') == [
        '* LIST (\\Noselect \\HasChildren) "." "user.bob"']
    # user.bob.pub.deep was created before the grant: alice cannot see it.
    assert alice.ok('LIST "" "user.bob.%"') == [
        '* LIST (\\HasNoChildren) "." "user.bob.pub"']
    assert alice.ok('LIST "" "*"') == [
        '* LIST (\\HasNoChildren) "." "INBOX"',
        '* LIST (\\HasChildren) "." "shared"',
        '* LIST (\\HasNoChildren) "." "shared.news"',
        '* LIST (\\HasNoChildren) "." "user.bob.pub"']
    # The admin sees every user's INBOX under user.
    assert admin.ok('LIST "" "user.%"') == [
        '* LIST (\\HasNoChildren) "." "user.alice"',
        '* LIST (\\HasChildren) "." "user.bob"']
    assert admin.ok('LIST "" "%"') == [
        '* LIST (\\HasNoChildren) "." "private"',
        '* LIST (\\HasChildren) "." "shared"',
        '* LIST (\\Noselect \\HasChildren) "." "user"']


def test_list_names_quoted(inst, port):
    s = login(inst, port)
    s.ok('CREATE "INBOX.two words"')
    s.ok("CREATE INBOX.&AOk-t&AOk-")           # "été" in modified UTF-7
    s.ok("CREATE {11+}\r\nINBOX.x y+z")
    assert s.ok('LIST "" "INBOX.*"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.&AOk-t&AOk-"',
        '* LIST (\\HasNoChildren) "." "INBOX.two words"',
        '* LIST (\\HasNoChildren) "." "INBOX.x y+z"']
    assert status_items(s.ok('STATUS "INBOX.two words" (MESSAGES)')[0]) == {
        "MESSAGES": 0}
    assert s.status('CREATE "INBOX.bad\\"quote"') == \
        "NO [CANNOT] Invalid mailbox name"


def test_subscribe_lsub(inst, port):
    s = login(inst, port)
    for name in ("INBOX.a", "INBOX.a.b", "INBOX.c"):
        s.ok(f"CREATE {name}")
    s.ok("SUBSCRIBE INBOX.a.b")
    s.ok("SUBSCRIBE inbox")
    s.ok("SUBSCRIBE INBOX.c")
    s.ok("SUBSCRIBE INBOX.c")                  # twice is fine
    assert s.ok('LSUB "" "*"') == [
        '* LSUB () "." "INBOX"',
        '* LSUB () "." "INBOX.a.b"',
        '* LSUB () "." "INBOX.c"']
    # A level that is not subscribed itself shows as \Noselect with %.
    assert s.ok('LSUB "" "INBOX.%"') == [
        '* LSUB (\\Noselect) "." "INBOX.a"',
        '* LSUB () "." "INBOX.c"']
    assert s.ok('LSUB "INBOX.a." "%"') == ['* LSUB () "." "INBOX.a.b"']
    # Cyrus's rule: only existing, visible mailboxes can be subscribed.
    assert s.status("SUBSCRIBE INBOX.nope") == NONEXISTENT
    assert s.status("SUBSCRIBE user.bob") == NONEXISTENT
    s.ok("UNSUBSCRIBE INBOX.c")
    s.ok("UNSUBSCRIBE INBOX.c")                # not subscribed: still OK
    # A subscribed mailbox that is deleted disappears from LSUB.
    s.ok("DELETE INBOX.a.b")
    assert s.ok('LSUB "" "*"') == ['* LSUB () "." "INBOX"']
    assert s.status("SUBSCRIBE") == "BAD SUBSCRIBE needs a mailbox name"


# ---- STATUS ------------------------------------------------------------------

def test_status_after_appends(inst, port):
    s = login(inst, port)
    s.ok("CREATE INBOX.st")
    first = status_items(s.ok("STATUS INBOX.st (MESSAGES RECENT UIDNEXT "
                              "UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)")[0])
    assert first["MESSAGES"] == 0 and first["UIDNEXT"] == 1
    assert first["UNSEEN"] == 0 and first["SIZE"] == 0
    assert first["RECENT"] == 0 and first["UIDVALIDITY"] > 0
    assert s.append("INBOX.st") == \
        f"OK [APPENDUID {first['UIDVALIDITY']} 1] Completed"
    assert s.append("INBOX.st", extra="(\\Seen)").startswith("OK")
    assert s.append("INBOX.st", extra="(\\Deleted)").startswith("OK")
    st = status_items(s.ok("STATUS INBOX.st (MESSAGES RECENT UIDNEXT "
                           "UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)")[0])
    assert st == {"MESSAGES": 3, "RECENT": 3, "UIDNEXT": 4,
                  "UIDVALIDITY": first["UIDVALIDITY"], "UNSEEN": 2,
                  "HIGHESTMODSEQ": st["HIGHESTMODSEQ"], "SIZE": 3 * len(MSG)}
    assert st["HIGHESTMODSEQ"] > first["HIGHESTMODSEQ"]
    # The exact line, items in the client's order.
    assert s.ok("STATUS INBOX.st (UNSEEN MESSAGES)") == [
        '* STATUS "INBOX.st" (UNSEEN 2 MESSAGES 3)']
    # \Seen is per user: bob (with r) sees all three unseen.
    s.ok("SETACL INBOX.st bob lr")
    bob = login(inst, port, "bob")
    assert bob.ok("STATUS user.alice.st (UNSEEN)") == [
        '* STATUS "user.alice.st" (UNSEEN 3)']
    assert s.status("STATUS INBOX.st (BOGUS)") == "BAD Invalid STATUS items"
    assert s.status("STATUS INBOX.st ()") == "BAD Invalid STATUS items"
    assert s.status("STATUS INBOX.st") == \
        "BAD STATUS needs a mailbox and a list of items"
    assert s.status("STATUS INBOX.none (MESSAGES)") == NONEXISTENT


# ---- APPEND ------------------------------------------------------------------

def test_append_flags_and_date(inst, port):
    s = login(inst, port)
    st = s.append("INBOX", extra='(\\Flagged \\Seen $Work) '
                  '"05-Mar-2021 14:15:16 +0200"')
    assert re.fullmatch(r"OK \[APPENDUID \d+ 1\] Completed", st)
    assert s.append("INBOX", extra='" 7-Jul-2020 01:02:03 -0130"') \
        .startswith("OK [APPENDUID")
    s.ok("SELECT INBOX")
    lines = s.ok("FETCH 1:2 (FLAGS INTERNALDATE)")
    fetch = [l for l in lines if " FETCH " in l]
    assert "\\Flagged" in fetch[0] and "\\Seen" in fetch[0]
    assert "$Work" in fetch[0]
    assert 'INTERNALDATE " 5-Mar-2021 12:15:16 +0000"' in fetch[0]
    assert 'INTERNALDATE " 7-Jul-2020 02:32:03 +0000"' in fetch[1]
    assert "\\Seen" not in fetch[1]


def test_append_errors(inst, port):
    s = login(inst, port)
    assert s.append("INBOX.none") == "NO [TRYCREATE] Mailbox does not exist"
    assert s.append("INBOX", extra='"32-Jan-2020 00:00:00 +0000"') == \
        "BAD Invalid date-time"
    assert s.append("INBOX", extra='"29-Feb-2021 00:00:00 +0000"') == \
        "BAD Invalid date-time"
    assert s.append("INBOX", extra='"01-Foo-2020 00:00:00 +0000"') == \
        "BAD Invalid date-time"
    assert s.append("INBOX", extra='"01-Jan-2020 00:00:00"') == \
        "BAD Invalid date-time"
    assert s.append("INBOX", extra="(\\Recent)") == \
        "BAD \\Recent may not be set"
    assert s.append("INBOX", extra="(\\Bogus)") == "BAD Unknown system flag"
    assert s.append("INBOX", extra="(bad]kw)") == "BAD Invalid keyword"
    assert s.append("INBOX", data=b"") == \
        "NO [CANNOT] Cannot store an empty message"
    assert s.status('APPEND INBOX "01-Jan-2020 00:00:00 +0000" "text"') == \
        "BAD Expected a message literal"
    assert s.status("APPEND INBOX (\\Seen)") == \
        "BAD Expected a message literal"
    assert s.status("APPEND INBOX") == \
        "BAD APPEND needs a mailbox and a message literal"
    # a literal8 (RFC 3516) the store would change (bare LF): refused
    # (test_imap_binary.py has the rest)
    lf = MSG.replace(b"\r\n", b"\n")
    s.n += 1
    s.c.send(f"t{s.n} APPEND INBOX ~{{{len(lf)}+}}\r\n".encode() + lf +
             b"\r\n")
    assert s.c.read_until(f"t{s.n}")[-1].startswith(
        f"t{s.n} NO [UNKNOWN-CTE] ")
    assert status_items(s.ok("STATUS INBOX (MESSAGES)")[0]) == {"MESSAGES": 0}


def test_append_synchronizing_literal_and_selected_exists(inst, port):
    s = login(inst, port)
    s.ok("SELECT INBOX")
    s.c.send_line(f"a1 APPEND INBOX {{{len(MSG)}}}")
    s.c.expect(r"^\+ ")
    s.c.send(MSG + b"\r\n")
    lines = s.c.read_until("a1")
    assert "* 1 EXISTS" in lines
    assert re.fullmatch(r"a1 OK \[APPENDUID \d+ 1\] Completed", lines[-1])


def test_append_too_big(make_instance):
    inst = make_instance(options=dict(FAST, maxmessagesize=100))
    s = login(inst, inst.serve_tcp(inst.argv("imap/imapd/imapd")))
    big = b"Subject: big\r\n\r\n" + b"x" * 200 + b"\r\n"
    s.c.send_line(f"a1 APPEND INBOX {{{len(big)}}}")
    assert s.c.read_line().startswith("a1 NO [TOOBIG]")
    assert s.append("INBOX", data=big).startswith("NO [TOOBIG]")
    assert s.append("INBOX").startswith("OK [APPENDUID")
    assert status_items(s.ok("STATUS INBOX (MESSAGES)")[0]) == {"MESSAGES": 1}


def test_append_flags_need_rights(inst, port):
    alice = login(inst, port)
    alice.ok("CREATE INBOX.drop")
    alice.ok("SETACL INBOX.drop bob lirs")
    bob = login(inst, port, "bob")
    assert bob.append("user.alice.drop",
                      extra="(\\Seen \\Flagged \\Deleted $Kw)").startswith("OK")
    # \Seen went to bob's own state; w and t are missing: no other flag.
    assert bob.ok("STATUS user.alice.drop (UNSEEN)") == [
        '* STATUS "user.alice.drop" (UNSEEN 0)']
    assert alice.ok("STATUS INBOX.drop (UNSEEN)") == [
        '* STATUS "INBOX.drop" (UNSEEN 1)']
    alice.ok("SELECT INBOX.drop")
    fetch = [l for l in alice.ok("FETCH 1 FLAGS") if " FETCH " in l]
    assert fetch == ["* 1 FETCH (FLAGS (\\Recent))"]


def test_multiappend_is_atomic(inst, port):
    s = login(inst, port)
    uv = status_items(s.ok("STATUS INBOX (UIDVALIDITY)")[0])["UIDVALIDITY"]
    m2 = b"Subject: two\r\n\r\nsecond\r\n"
    s.n += 1
    s.c.send(f"t{s.n} APPEND INBOX (\\Seen) {{{len(MSG)}+}}\r\n".encode() +
             MSG + f' (\\Draft) "01-Jan-2022 00:00:00 +0000" {{{len(m2)}+}}'
             f"\r\n".encode() + m2 + b"\r\n")
    assert s.c.read_until(f"t{s.n}")[-1] == \
        f"t{s.n} OK [APPENDUID {uv} 1:2] Completed"
    # One bad message (here its date) and nothing at all is added.
    s.n += 1
    s.c.send(f"t{s.n} APPEND INBOX {{{len(MSG)}+}}\r\n".encode() + MSG +
             f' "99-Jan-2022 00:00:00 +0000" {{{len(m2)}+}}\r\n'.encode() +
             m2 + b"\r\n")
    assert s.c.read_until(f"t{s.n}")[-1] == f"t{s.n} BAD Invalid date-time"
    # A message that breaks the quota undoes the ones before it.
    admin = login(inst, port, "admin")
    admin.ok("SETQUOTA user.alice (MESSAGE 3)")
    s.n += 1
    s.c.send(f"t{s.n} APPEND INBOX {{{len(MSG)}+}}\r\n".encode() + MSG +
             f" {{{len(m2)}+}}\r\n".encode() + m2 + b"\r\n")
    assert s.c.read_until(f"t{s.n}")[-1] == \
        f"t{s.n} NO [OVERQUOTA] Over quota"
    assert status_items(s.ok("STATUS INBOX (MESSAGES UNSEEN UIDNEXT)")[0]) \
        == {"MESSAGES": 2, "UNSEEN": 1, "UIDNEXT": 3}
    assert s.append("INBOX") == f"OK [APPENDUID {uv} 3] Completed"


# ---- QUOTA -------------------------------------------------------------------

def test_quota(inst, port):
    admin = login(inst, port, "admin")
    s = login(inst, port)
    s.ok("CREATE INBOX.sub")
    assert s.append("INBOX.sub").startswith("OK")        # before any root
    assert s.ok("GETQUOTAROOT INBOX") == ['* QUOTAROOT "INBOX"']
    assert s.status("SETQUOTA INBOX (STORAGE 10)") == \
        "NO [NOPERM] Only administrators may set quotas"
    # Creating the root takes over the usage already below it.
    assert admin.ok("SETQUOTA user.alice (STORAGE 2 MESSAGE 10)") == [
        '* QUOTA "user.alice" (STORAGE 1 2 MESSAGE 1 10)']
    assert s.ok("GETQUOTAROOT INBOX.sub") == [
        '* QUOTAROOT "INBOX.sub" "INBOX"',
        '* QUOTA "INBOX" (STORAGE 1 2 MESSAGE 1 10)']
    assert s.ok("GETQUOTA INBOX") == [
        '* QUOTA "INBOX" (STORAGE 1 2 MESSAGE 1 10)']
    assert admin.ok("GETQUOTAROOT user.alice") == [
        '* QUOTAROOT "user.alice" "user.alice"',
        '* QUOTA "user.alice" (STORAGE 1 2 MESSAGE 1 10)']
    big = b"Subject: big\r\n\r\n" + b"x" * 3000 + b"\r\n"
    assert s.append("INBOX", data=big) == "NO [OVERQUOTA] Over quota"
    assert s.append("INBOX").startswith("OK")
    assert s.ok("GETQUOTA INBOX") == [
        '* QUOTA "INBOX" (STORAGE 1 2 MESSAGE 2 10)']
    # A lower root takes its mailbox's usage away from the upper one.
    admin.ok("SETQUOTA user.alice.sub (MESSAGE 5)")
    assert s.ok("GETQUOTAROOT INBOX.sub") == [
        '* QUOTAROOT "INBOX.sub" "INBOX.sub"',
        '* QUOTA "INBOX.sub" (MESSAGE 1 5)']
    assert s.ok("GETQUOTA INBOX") == [
        '* QUOTA "INBOX" (STORAGE 1 2 MESSAGE 1 10)']
    # () removes the root; the usage goes back up.
    assert admin.ok("SETQUOTA user.alice.sub ()") == []
    assert s.status("GETQUOTA INBOX.sub") == \
        "NO [NONEXISTENT] No such quota root"
    assert s.ok("GETQUOTA INBOX") == [
        '* QUOTA "INBOX" (STORAGE 1 2 MESSAGE 2 10)']
    admin.ok("SETQUOTA user.alice ()")
    assert s.ok("GETQUOTAROOT INBOX") == ['* QUOTAROOT "INBOX"']
    assert s.append("INBOX", data=big).startswith("OK")
    # Errors.
    assert admin.status("SETQUOTA user.alice (STORAGE)") == \
        "BAD Invalid quota list"
    assert admin.status("SETQUOTA user.alice (STORAGE x)") == \
        "BAD Invalid quota list"
    assert admin.status("SETQUOTA user.alice (STORAGE 1 STORAGE 2)") == \
        "BAD Resource given twice"
    assert admin.status("SETQUOTA user.alice (FISH 1)") == \
        "NO [CANNOT] Unsupported quota resource"
    assert admin.status("SETQUOTA user.nobody (STORAGE 1)") == NONEXISTENT
    assert s.status("GETQUOTAROOT user.bob") == NONEXISTENT
    assert s.status("GETQUOTA user.bob") == \
        "NO [NONEXISTENT] No such quota root"


# ---- ACL ---------------------------------------------------------------------

def test_acl_commands(inst, port):
    s = login(inst, port)
    s.ok("CREATE INBOX.f")
    assert s.ok("GETACL INBOX.f") == [
        '* ACL INBOX.f alice lrswipkxtecda']
    s.ok("SETACL INBOX.f bob lrs")
    s.ok("SETACL INBOX.f bob +w")
    s.ok("SETACL INBOX.f bob -s")
    s.ok("SETACL INBOX.f anyone c")            # legacy c = k + x
    s.ok('SETACL INBOX.f -carol "r"')
    assert s.ok("GETACL INBOX.f") == [
        '* ACL INBOX.f alice lrswipkxtecda bob lrw anyone kxc -carol r']
    s.ok("DELETEACL INBOX.f anyone")
    s.ok("DELETEACL INBOX.f -carol")
    assert s.ok("GETACL INBOX.f") == [
        '* ACL INBOX.f alice lrswipkxtecda bob lrw']
    assert s.ok("MYRIGHTS INBOX.f") == ['* MYRIGHTS INBOX.f lrswipkxtecda']
    assert s.ok("LISTRIGHTS INBOX alice") == [
        '* LISTRIGHTS INBOX alice lrswipkxtecda']
    assert s.ok("LISTRIGHTS INBOX.f bob") == [
        '* LISTRIGHTS INBOX.f bob "" l r s w i p k x t e a c d']
    assert s.status("SETACL INBOX.f bob lrz") == "BAD Invalid rights"
    assert s.status("SETACL INBOX.f bob +R") == "BAD Invalid rights"
    assert s.status('SETACL INBOX.f "two words" lr') == \
        "BAD Invalid identifier"
    assert s.status("SETACL INBOX.f bob") == \
        "BAD SETACL needs a mailbox, an identifier and rights"
    assert s.status("DELETEACL INBOX.f") == \
        "BAD DELETEACL needs a mailbox and an identifier"
    assert s.status("SETACL INBOX.none bob lr") == NONEXISTENT
    assert s.status("GETACL INBOX.none") == NONEXISTENT
    bob = login(inst, port, "bob")
    assert bob.ok("MYRIGHTS user.alice.f") == [
        '* MYRIGHTS user.alice.f lrw']
    assert bob.status("GETACL user.alice.f") == NOPERM
    assert bob.status("LISTRIGHTS user.alice.f bob") == NOPERM
    assert bob.status("SETACL user.alice.f bob lrswi") == NOPERM


def missing_answers(sess, name):
    """What a session gets for name from commands that must not leak."""
    return [sess.status(f"SELECT {name}"),
            sess.status(f"STATUS {name} (MESSAGES)"),
            sess.status(f"MYRIGHTS {name}"),
            sess.status(f"GETACL {name}"),
            sess.status(f"DELETE {name}"),
            sess.status(f"SETACL {name} bob lrswipkxtea"),
            sess.status(f"SUBSCRIBE {name}"),
            sess.append(name)]


# Each right alone (plus l where the operation needs to find the mailbox):
# (rights granted, the operation bob tries, its expected status start).
ACL_MATRIX = [
    ("l", 'LIST "" "user.alice.*"', "OK"),
    ("lr", "SELECT user.alice.box", "OK"),
    ("l", "SELECT user.alice.box", "NO [NOPERM]"),
    ("li", "APPEND", "OK [APPENDUID"),
    ("l", "APPEND", "NO [NOPERM]"),
    ("lk", "CREATE user.alice.box.child", "OK"),
    ("l", "CREATE user.alice.box.child", "NO [NOPERM]"),
    ("lx", "DELETE user.alice.box", "OK"),
    ("l", "DELETE user.alice.box", "NO [NOPERM]"),
    ("la", "SETACL user.alice.box carol lr", "OK"),
    ("l", "SETACL user.alice.box carol lr", "NO [NOPERM]"),
]


@pytest.mark.parametrize("rights,op,expect", ACL_MATRIX)
def test_acl_matrix(inst, port, rights, op, expect):
    alice = login(inst, port)
    alice.ok("CREATE INBOX.box")
    alice.ok(f"SETACL INBOX.box bob {rights}")
    bob = login(inst, port, "bob")
    if op == "APPEND":
        got = bob.append("user.alice.box")
    else:
        got = bob.status(op)
    assert got.startswith(expect), (rights, op, got)
    if op.startswith("LIST"):
        assert bob.ok(op) == ['* LIST (\\HasNoChildren) "." "user.alice.box"']
    if op.startswith("CREATE") and expect == "OK":
        assert bob.ok('LIST "" "user.alice.box.*"') == [
            '* LIST (\\HasNoChildren) "." "user.alice.box.child"']
    if op.startswith("DELETE") and expect == "OK":
        assert alice.ok('LIST "" "INBOX.*"') == []
    if op.startswith("SETACL") and expect == "OK":
        assert bob.ok("GETACL user.alice.box") == [
            '* ACL user.alice.box alice lrswipkxtecda bob la carol lr']
    if expect == "OK [APPENDUID":
        assert alice.ok("STATUS INBOX.box (MESSAGES)") == [
            '* STATUS "INBOX.box" (MESSAGES 1)']


def test_acl_without_lookup_is_like_missing(inst, port):
    alice = login(inst, port)
    alice.ok("CREATE INBOX.hidden")
    # Every right but l: the mailbox still does not exist for bob.
    alice.ok("SETACL INBOX.hidden bob rswipkxtea")
    bob = login(inst, port, "bob")
    hidden = missing_answers(bob, "user.alice.hidden")
    missing = missing_answers(bob, "user.alice.nosuch")
    assert hidden == missing
    assert hidden[0] == NONEXISTENT
    assert hidden[-1] == "NO [TRYCREATE] Mailbox does not exist"
    assert bob.ok('LIST "" "user.alice.*"') == []
    assert bob.ok('LIST "" "user.%"') == []
    # With l alone it appears, and the other commands say NOPERM.
    alice.ok("SETACL INBOX.hidden bob l")
    assert bob.status("SELECT user.alice.hidden") == NOPERM
    assert bob.ok('LIST "" "user.%"') == [
        '* LIST (\\Noselect \\HasChildren) "." "user.alice"']


# ---- COPY / MOVE of messages another session expunged -----------------------

EXPUNGEISSUED = "NO [EXPUNGEISSUED] Some of the requested messages no longer exist"


def test_copy_move_of_message_expunged_elsewhere(inst, port):
    a = login(inst, port)
    b = login(inst, port)
    a.ok("CREATE INBOX.src")
    a.ok("CREATE INBOX.dst")
    for n in range(1, 6):
        msg = MSG.replace(b"hello", f"message {n}".encode())
        assert a.append("INBOX.src", msg).startswith("OK")
    uv = status_items(b.ok("STATUS INBOX.dst (UIDVALIDITY)")[0])["UIDVALIDITY"]

    def dst_messages():
        return status_items(b.ok("STATUS INBOX.dst (MESSAGES)")[0])["MESSAGES"]

    a.ok("SELECT INBOX.src")
    b.ok("SELECT INBOX.src")
    assert b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)") == []
    assert b.ok("EXPUNGE") == ["* 2 EXPUNGE"]
    # By number, A's message 2 is the one B expunged: nothing is copied or
    # moved, and no EXPUNGE comes before the answer (A's numbers hold).
    for cmd in ("COPY 2 INBOX.dst", "MOVE 2 INBOX.dst",
                "COPY 1:3 INBOX.dst", "MOVE 1:* INBOX.dst"):
        assert a.run(cmd) == ([], EXPUNGEISSUED), cmd
    assert dst_messages() == 0
    assert a.run("COPY 6 INBOX.dst") == (
        [], "BAD Invalid sequence: no such message")
    # Message 3 is still A's message 3 (UID 3), not the one after it.
    assert a.run("COPY 3 INBOX.dst") == ([], f"OK [COPYUID {uv} 3 1] Completed")
    assert dst_messages() == 1
    assert a.ok("FETCH 3 (UID)") == ["* 3 FETCH (UID 3)"]
    assert a.ok("NOOP") == ["* 2 EXPUNGE"]
    assert a.ok("FETCH 2 (UID)") == ["* 2 FETCH (UID 3)"]

    # By UID, the EXPUNGE is reported first and the UID, which no longer
    # exists, is ignored (RFC 3501 6.4.8; Cyrus does the same).
    assert b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)") == []     # UID 1
    assert b.ok("EXPUNGE") == ["* 1 EXPUNGE"]
    assert a.run("UID COPY 1 INBOX.dst") == (["* 1 EXPUNGE"], "OK Completed")
    assert b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)") == []     # UID 3
    assert b.ok("EXPUNGE") == ["* 1 EXPUNGE"]
    assert a.run("UID MOVE 3 INBOX.dst") == (["* 1 EXPUNGE"], "OK Completed")
    assert dst_messages() == 1
    # A UID set mixing a gone and a live message copies the live one.
    assert b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)") == []     # UID 4
    assert b.ok("EXPUNGE") == ["* 1 EXPUNGE"]
    assert a.run("UID COPY 4:5 INBOX.dst") == (
        ["* 1 EXPUNGE"], f"OK [COPYUID {uv} 5 2] Completed")
    assert dst_messages() == 2
    dst = a.ok("EXAMINE INBOX.dst")
    assert "* 2 EXISTS" in dst
    assert a.ok("FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])") == [
        f"* {n} FETCH (BODY[HEADER.FIELDS (SUBJECT)] {{22}}\r\n"
        f"Subject: message {m}\r\n\r\n)" for n, m in ((1, 3), (2, 5))]


# ---- imaplib -----------------------------------------------------------------

def test_imaplib_session(inst, port):
    m = imaplib.IMAP4("127.0.0.1", port)
    try:
        assert m.login("alice", "alicepw")[0] == "OK"
        assert m.create("INBOX.Work")[0] == "OK"
        assert m.create("INBOX.Work.2024")[0] == "OK"
        typ, data = m.list('""', "*")
        assert typ == "OK"
        assert data == [b'(\\HasChildren) "." "INBOX"',
                        b'(\\HasChildren) "." "INBOX.Work"',
                        b'(\\HasNoChildren) "." "INBOX.Work.2024"']
        typ, data = m.append("INBOX.Work", "(\\Seen \\Answered)",
                             imaplib.Time2Internaldate(1700000000),
                             MSG)
        assert typ == "OK" and b"APPENDUID" in data[0]
        typ, data = m.status("INBOX.Work", "(MESSAGES UNSEEN UIDNEXT)")
        assert data == [b'"INBOX.Work" (MESSAGES 1 UNSEEN 0 UIDNEXT 2)']
        assert m.subscribe("INBOX.Work")[0] == "OK"
        assert m.lsub('""', "*") == ("OK", [b'() "." "INBOX.Work"'])
        assert m.rename("INBOX.Work", "INBOX.Job")[0] == "OK"
        assert m.select("INBOX.Job")[0] == "OK"
        typ, data = m.fetch("1", "(FLAGS)")
        assert typ == "OK" and b"\\Seen" in data[0] and b"\\Answered" in data[0]
        assert m.close()[0] == "OK"
        assert m.getacl("INBOX.Job") == (
            "OK", [b'INBOX.Job alice lrswipkxtecda'])
        assert m.setacl("INBOX.Job", "bob", "lr")[0] == "OK"
        assert m.myrights("INBOX.Job") == (
            "OK", [b'INBOX.Job lrswipkxtecda'])
        assert m.getquotaroot("INBOX") == ("OK", [[b'"INBOX"'], [None]])
        assert m.namespace() == (
            "OK", [b'(("INBOX." ".")) (("user." ".")) (("" "."))'])
        assert m.delete("INBOX.Job.2024")[0] == "OK"
        assert m.delete("INBOX.Job")[0] == "OK"
        typ, data = m.list('""', "*")
        assert data == [b'(\\HasNoChildren) "." "INBOX"']
        typ, data = m.delete("INBOX.Job")
        assert typ == "NO" and data == [b"[NONEXISTENT] Mailbox does not exist"]
    finally:
        m.logout()
