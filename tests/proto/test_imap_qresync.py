"""QRESYNC (RFC 7162 3.2) and CONDSTORE's remaining corners, with exact
responses.

- ENABLE QRESYNC answers "* ENABLED QRESYNC" and implies CONDSTORE.
- SELECT/EXAMINE (QRESYNC (uidvalidity modseq [known-uids
  [(seq-match-data)]])): after the usual responses, "* VANISHED (EARLIER)"
  of the known UIDs expunged since modseq (from the tombstones), then
  "* n FETCH (UID u FLAGS (...) MODSEQ (m))" of the known messages changed
  since it (RFC 7162 3.2.5.1's example, scaled down); another UIDVALIDITY:
  neither; without ENABLE QRESYNC, or malformed: BAD and the mailbox that
  was selected stays selected.
- UID FETCH ... (CHANGEDSINCE m VANISHED) (3.2.6's example): VANISHED
  (EARLIER) first; VANISHED without CHANGEDSINCE, with FETCH, or without
  ENABLE QRESYNC: BAD.
- Once enabled, expunges are "* VANISHED uid-set" (this session's EXPUNGE
  and UID EXPUNGE, another session's, MOVE), never "* n EXPUNGE", and they
  wait, as EXPUNGE does, during FETCH/STORE/SEARCH; sessions without
  QRESYNC still get EXPUNGE.  EXPUNGE and UID EXPUNGE that removed
  something answer OK [HIGHESTMODSEQ n] (3.2.7).
- SEARCH MODSEQ with the per-entry form ("/flags/\\Seen" all|shared|priv):
  a well-formed entry is ignored (one modseq per message, RFC 7162 3.1.5),
  a malformed one is BAD.
- Pruned tombstones (expunge_tombstone_days 0): a modseq older than the
  newest pruned tombstone gets every known UID that is missing, narrowed by
  the sequence match data (3.2.5.2); a newer one stays exact.
- Property: a client that resynchronises with QRESYNC after random APPEND,
  STORE, EXPUNGE and MOVE by another session (and keeps its cache up to
  date from unsolicited responses while connected) always holds the view a
  full UID FETCH 1:* (FLAGS) gives.
"""

import os
import random
import re
import time

import pytest

from test_imap_mailbox import FAST, MSG, Session, inst, port  # noqa: F401


def qsession(inst, port):
    s = Session(inst, port, "alice")
    assert s.ok("ENABLE QRESYNC") == ["* ENABLED QRESYNC"]
    return s


def fill(s, n, mailbox="INBOX"):
    for _ in range(n):
        assert s.append(mailbox).startswith("OK")


def code(untagged, name):
    """The value of "* OK [NAME value]" among the untagged lines."""
    for line in untagged:
        m = re.match(rf"^\* OK \[{name} (\d+)\]", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no {name} in {untagged}")


def resync_lines(untagged):
    """The VANISHED and FETCH lines of a SELECT answer, checked to follow
    every other line."""
    first = next((i for i, line in enumerate(untagged)
                  if line.startswith("* VANISHED") or " FETCH " in line),
                 len(untagged))
    rest = untagged[first:]
    assert all(line.startswith("* VANISHED") or " FETCH " in line
               for line in rest), untagged
    return rest


def expunge_uids(s, uids):
    s.ok(f"UID STORE {uids} +FLAGS.SILENT (\\Deleted)")
    return s.ok(f"UID EXPUNGE {uids}")


def rfc_mailbox(inst, port):
    """Twelve messages; modseq M remembered; then UIDs 3:5 and 9
    expunged, 6 and 10 changed and 13 added.  (s, uidvalidity, M)."""
    s = Session(inst, port, "alice")
    fill(s, 12)
    sel = s.ok("SELECT INBOX")
    v, m = code(sel, "UIDVALIDITY"), code(sel, "HIGHESTMODSEQ")
    expunge_uids(s, "3:5")
    s.ok("UID STORE 6 +FLAGS (\\Seen)")
    s.ok("UID STORE 10 +FLAGS ($NotJunk)")
    expunge_uids(s, "9")
    fill(s, 1)
    s.ok("LOGOUT")
    return v, m


def modseqs(s, uids):
    """{uid: modseq} of the messages."""
    out = {}
    for line in s.ok(f"UID FETCH {uids} (MODSEQ)"):
        m = re.match(r"^\* \d+ FETCH \(UID (\d+) MODSEQ \((\d+)\)\)$", line)
        assert m, line
        out[int(m.group(1))] = int(m.group(2))
    return out


# ---- ENABLE, CAPABILITY ------------------------------------------------------

def test_capability_and_enable(inst, port):
    s = Session(inst, port, "alice")
    assert "QRESYNC" in s.ok("CAPABILITY")[0].split()
    assert s.ok("ENABLE QRESYNC") == ["* ENABLED QRESYNC"]
    # enabled once; CONDSTORE came with it (RFC 7162 3.2.3)
    assert s.ok("ENABLE QRESYNC CONDSTORE") == ["* ENABLED"]
    fill(s, 1)
    s.ok("SELECT INBOX")
    assert s.ok("STORE 1 +FLAGS (\\Flagged)") == [
        "* 1 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (3))"]


# ---- SELECT (QRESYNC ...) ----------------------------------------------------

def test_select_with_known_uids(inst, port):
    """RFC 7162 3.2.5.1's first example, scaled down: known UIDs 1,3:11
    (2 and 12 are not known), so VANISHED (EARLIER) names 3:5 and 9, and
    only 6 and 10 of the changed messages are reported (13 is new)."""
    v, m = rfc_mailbox(inst, port)
    s = qsession(inst, port)
    untagged = s.ok(f"SELECT INBOX (QRESYNC ({v} {m} 1,3:11))")
    assert untagged[:3] == [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $NotJunk)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
        "$NotJunk \\*)] Ok",
        "* 9 EXISTS"]
    ms = modseqs(s, "6,10")
    assert resync_lines(untagged) == [
        "* VANISHED (EARLIER) 3:5,9",
        f"* 3 FETCH (UID 6 FLAGS (\\Seen) MODSEQ ({ms[6]}))",
        f"* 6 FETCH (UID 10 FLAGS ($NotJunk) MODSEQ ({ms[10]}))"]


def test_select_without_known_uids_and_examine(inst, port):
    v, m = rfc_mailbox(inst, port)
    s = qsession(inst, port)
    ms = modseqs(s.ok("EXAMINE INBOX") and s, "6,10,13")
    untagged = s.ok(f"EXAMINE INBOX (QRESYNC ({v} {m}))")
    assert untagged[0] == "* OK [CLOSED] Previous mailbox closed"
    assert resync_lines(untagged) == [
        "* VANISHED (EARLIER) 3:5,9",
        f"* 3 FETCH (UID 6 FLAGS (\\Seen) MODSEQ ({ms[6]}))",
        f"* 6 FETCH (UID 10 FLAGS ($NotJunk) MODSEQ ({ms[10]}))",
        f"* 9 FETCH (UID 13 FLAGS () MODSEQ ({ms[13]}))"]
    # the modseq of the last change: nothing to report
    hms = code(untagged, "HIGHESTMODSEQ")
    untagged = s.ok(f"SELECT INBOX (QRESYNC ({v} {hms} 1:13))")
    assert resync_lines(untagged) == []
    # between the two expunges: only 9 vanished since
    between = ms[10]
    assert resync_lines(s.ok(f"SELECT INBOX (QRESYNC ({v} {between})"
                             f")"))[0] == "* VANISHED (EARLIER) 9"


def test_select_other_uidvalidity(inst, port):
    """RFC 7162 3.2.5.1's second example: another UIDVALIDITY gets the
    plain SELECT answer."""
    v, m = rfc_mailbox(inst, port)
    s = qsession(inst, port)
    untagged = s.ok(f"SELECT INBOX (QRESYNC ({v + 1} {m} 1:13))")
    assert resync_lines(untagged) == []
    assert code(untagged, "UIDVALIDITY") == v


def test_select_bad_input(inst, port):
    v, m = rfc_mailbox(inst, port)
    plain = Session(inst, port, "alice")
    assert plain.status(f"SELECT INBOX (QRESYNC ({v} {m}))") == (
        "BAD QRESYNC needs ENABLE QRESYNC first")
    s = qsession(inst, port)
    s.ok("SELECT INBOX")
    for arg, reason in [
            ("QRESYNC", "Unknown SELECT parameter"),
            (f"QRESYNC {v}", "QRESYNC needs (uidvalidity modseq [known-uids "
                             "[(seq-match-data)]])"),
            (f"QRESYNC ({v})", "QRESYNC needs (uidvalidity modseq "
                               "[known-uids [(seq-match-data)]])"),
            (f"QRESYNC (0 {m})", "Invalid QRESYNC UIDVALIDITY"),
            (f"QRESYNC ({v} 0)", "Invalid QRESYNC mod-sequence"),
            (f"QRESYNC ({v} x)", "Invalid QRESYNC mod-sequence"),
            (f"QRESYNC ({v} {m} 1:*)", "Invalid QRESYNC known-uids"),
            (f"QRESYNC ({v} {m} 0:3)", "Invalid QRESYNC known-uids"),
            (f"QRESYNC ({v} {m} 1:5 (1:2 1:3))",
             "Invalid QRESYNC sequence match data"),
            (f"QRESYNC ({v} {m} 1:5 (1:2))",
             "Invalid QRESYNC sequence match data"),
            (f"QRESYNC ({v} {m} 1:5 (1:* 1:2))",
             "Invalid QRESYNC sequence match data"),
            (f"QRESYNC ({v} {m} 1:5 (1 1) 7)",
             "QRESYNC needs (uidvalidity modseq [known-uids "
             "[(seq-match-data)]])"),
            (f"QRESYNC ({v} {m}) QRESYNC ({v} {m})",
             "Unknown SELECT parameter")]:
        assert s.run(f"SELECT INBOX ({arg})") == ([], "BAD " + reason), arg
    # nothing changed: INBOX is still selected, no [CLOSED] came
    assert s.ok("UID FETCH 1 (UID)") == ["* 1 FETCH (UID 1)"]


def test_select_with_match_data_and_exact_tombstones(inst, port):
    """With every tombstone kept the answer is exact: the sequence match
    data changes nothing."""
    v, m = rfc_mailbox(inst, port)
    s = qsession(inst, port)
    untagged = s.ok(f"SELECT INBOX (QRESYNC ({v} {m} 1:12 (1:2 1:2)))")
    assert resync_lines(untagged)[0] == "* VANISHED (EARLIER) 3:5,9"


# ---- UID FETCH (CHANGEDSINCE m VANISHED) --------------------------------------

def test_uid_fetch_vanished(inst, port):
    """RFC 7162 3.2.6's example, scaled down."""
    v, m = rfc_mailbox(inst, port)
    s = qsession(inst, port)
    s.ok("SELECT INBOX")
    ms = modseqs(s, "6,10,13")
    assert s.ok(f"UID FETCH 2:12 (FLAGS) (CHANGEDSINCE {m} VANISHED)") == [
        "* VANISHED (EARLIER) 3:5,9",
        f"* 3 FETCH (UID 6 FLAGS (\\Seen) MODSEQ ({ms[6]}))",
        f"* 6 FETCH (UID 10 FLAGS ($NotJunk) MODSEQ ({ms[10]}))"]
    # "*" is the last UID given out, 13; modifiers in either order
    assert s.ok(f"UID FETCH 9:* (FLAGS) (VANISHED CHANGEDSINCE {ms[10]})"
                ) == ["* VANISHED (EARLIER) 9",
                      f"* 9 FETCH (UID 13 FLAGS () MODSEQ ({ms[13]}))"]
    assert s.ok(f"UID FETCH 1:2 (FLAGS) (CHANGEDSINCE {m} VANISHED)") == []


def test_uid_fetch_vanished_bad_input(inst, port):
    v, m = rfc_mailbox(inst, port)
    plain = Session(inst, port, "alice")
    plain.ok("ENABLE CONDSTORE")
    plain.ok("SELECT INBOX")
    assert plain.status(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {m} VANISHED)"
                        ) == "BAD VANISHED needs ENABLE QRESYNC"
    s = qsession(inst, port)
    s.ok("SELECT INBOX")
    for cmd, reason in [
            ("UID FETCH 1:* (FLAGS) (VANISHED)", "VANISHED needs CHANGEDSINCE"),
            (f"FETCH 1:* (FLAGS) (CHANGEDSINCE {m} VANISHED)",
             "VANISHED needs UID FETCH"),
            (f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {m} VANISHED VANISHED)",
             "Invalid fetch modifier"),
            (f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {m} CHANGEDSINCE {m})",
             "Invalid fetch modifier"),
            ("UID FETCH 1:* (FLAGS) (CHANGEDSINCE)", "Invalid fetch modifier")]:
        assert s.run(cmd) == ([], "BAD " + reason), cmd


# ---- VANISHED instead of EXPUNGE ---------------------------------------------

def test_vanished_replaces_expunge(inst, port):
    s = Session(inst, port, "alice")
    fill(s, 8)
    s.ok("CREATE INBOX.Archive")
    a = qsession(inst, port)
    hms = code(a.ok("SELECT INBOX"), "HIGHESTMODSEQ")
    plain = Session(inst, port, "alice")
    plain.ok("SELECT INBOX")
    # this session's EXPUNGE and UID EXPUNGE, with the new modseq in the
    # tagged OK (RFC 7162 3.2.7)
    a.ok("STORE 3:4 +FLAGS.SILENT (\\Deleted)")
    untagged, status = a.run("EXPUNGE")
    assert untagged == ["* VANISHED 3:4"]
    assert status == f"OK [HIGHESTMODSEQ {hms + 3}] Completed"
    assert a.run("EXPUNGE") == ([], "OK Completed")
    a.ok("UID STORE 8 +FLAGS.SILENT (\\Deleted)")
    assert a.run("UID EXPUNGE 8") == (["* VANISHED 8"],
                                      f"OK [HIGHESTMODSEQ {hms + 5}] Completed")
    # MOVE: COPYUID first, then VANISHED
    untagged = a.ok("UID MOVE 2 INBOX.Archive")
    assert re.match(r"^\* OK \[COPYUID \d+ 2 1\] Ok$", untagged[0]), untagged
    assert untagged[1:] == ["* VANISHED 2"]
    # another session's expunge: not during FETCH, at the next NOOP
    expunge_uids(s.ok("SELECT INBOX") and s, "6")
    assert a.ok("FETCH 1 (UID)") == ["* 1 FETCH (UID 1)"]
    assert a.ok("NOOP") == ["* VANISHED 6"]
    # a session without QRESYNC gets EXPUNGE, by message number, and no
    # HIGHESTMODSEQ after its own
    assert plain.ok("NOOP") == ["* 2 EXPUNGE", "* 2 EXPUNGE", "* 2 EXPUNGE",
                                "* 3 EXPUNGE", "* 4 EXPUNGE"]
    plain.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert plain.run("EXPUNGE") == (["* 1 EXPUNGE"], "OK Completed")


def test_closed_only_when_a_mailbox_was_selected(inst, port):
    s = qsession(inst, port)
    fill(s, 1)
    assert not s.ok("EXAMINE INBOX")[0].startswith("* OK [CLOSED]")
    assert s.ok("SELECT INBOX")[0] == "* OK [CLOSED] Previous mailbox closed"
    s.ok("UNSELECT")
    assert not s.ok("SELECT INBOX")[0].startswith("* OK [CLOSED]")


# ---- SEARCH MODSEQ entry --------------------------------------------------------

def test_search_modseq_entry(inst, port):
    s = Session(inst, port, "alice")
    fill(s, 3)
    s.ok("SELECT INBOX")
    s.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
    ms = modseqs(s, "2")[2]
    for entry in ['"/flags/\\\\Seen" all', '"/flags/\\\\Seen" priv',
                  '"/FLAGS/$Junk" shared', '{8+}\r\n/flags/x ALL']:
        if entry.startswith("{"):
            s.c.send(f"x1 SEARCH MODSEQ {entry} {ms}\r\n".encode())
            assert s.c.read_until("x1") == [f"* SEARCH 2 (MODSEQ {ms})",
                                            "x1 OK Completed"]
            continue
        assert s.ok(f"SEARCH MODSEQ {entry} {ms}") == [
            f"* SEARCH 2 (MODSEQ {ms})"], entry
    for arg, reason in [('"/flags/" all 1', "Invalid MODSEQ entry name"),
                        ('"/flags/\\\\" all 1', "Invalid MODSEQ entry name"),
                        ('"/shared/comment" all 1',
                         "Invalid MODSEQ entry name"),
                        ('"/flags/a b" all 1', "Invalid MODSEQ entry name"),
                        ('"/flags/\\\\Seen" bogus 1',
                         "Invalid MODSEQ entry type"),
                        ('"/flags/\\\\Seen" all', "Invalid number in search"),
                        ('"/flags/\\\\Seen"', "Invalid MODSEQ entry type")]:
        assert s.run(f"SEARCH MODSEQ {arg}") == ([], "BAD " + reason), arg


# ---- pruned tombstones ------------------------------------------------------------

@pytest.fixture
def pruning(make_instance):
    inst = make_instance(options=dict(FAST, expunge_tombstone_days="0"))
    return inst, inst.serve_tcp(inst.argv("imap/imapd/imapd"))


def test_pruned_tombstones(pruning):
    """UID 1 expunged before the client's modseq M0, 8 after it; a second
    later 9 is expunged and the tombstones of 1 and 8 are pruned: for M0
    what was expunged since is no longer known, and every missing known UID
    is reported (1 too: RFC 7162 3.2.5.2 allows UIDs the client does not
    know); the match data narrows it; a modseq after 8's expunge is still
    exact."""
    inst, port = pruning
    s = Session(inst, port, "alice")
    fill(s, 10)
    s.ok("SELECT INBOX")
    expunge_uids(s, "1")
    sel = s.ok("SELECT INBOX")
    v, m0 = code(sel, "UIDVALIDITY"), code(sel, "HIGHESTMODSEQ")
    expunge_uids(s, "8")
    m8 = code(s.ok("SELECT INBOX"), "HIGHESTMODSEQ")
    time.sleep(1.1)
    expunge_uids(s, "9")
    q = qsession(inst, port)

    def vanished(arg):
        return resync_lines(q.ok(f"SELECT INBOX (QRESYNC ({v} {arg}))"))[:1]

    assert vanished(f"{m0}") == ["* VANISHED (EARLIER) 1,8:9"]
    assert vanished(f"{m0} 2:10") == ["* VANISHED (EARLIER) 8:9"]
    # the client's messages 1:5 were UIDs 2:6 and still are
    assert vanished(f"{m0} 1:10 (1:5 2:6)") == ["* VANISHED (EARLIER) 8:9"]
    # a pair that does not match any more: no narrowing from it on
    assert vanished(f"{m0} 1:10 (1,7 2,9)") == ["* VANISHED (EARLIER) 8:9"]
    assert vanished(f"{m0} 1:10 (7 9)") == ["* VANISHED (EARLIER) 1,8:9"]
    assert vanished(f"{m8}") == ["* VANISHED (EARLIER) 9"]


# ---- the property ---------------------------------------------------------------

FLAGS = ["\\Seen", "\\Flagged", "\\Answered", "\\Draft", "$Work", "$Later"]


class Client:
    """A QRESYNC client's cache: {uid: flags} of INBOX, its UIDVALIDITY and
    the modseq it has seen everything up to."""

    def __init__(self, inst, port):
        self.inst, self.port = inst, port
        self.cache, self.v, self.modseq, self.s = {}, None, None, None
        self.seed = None

    def seq(self):
        return sorted(self.cache)

    def apply(self, untagged):
        """Fold unsolicited and resync responses into the cache."""
        fetch_new = False
        for line in untagged:
            m = re.match(r"^\* VANISHED (\(EARLIER\) )?([\d:,]+)$", line)
            if m:
                for part in m.group(2).split(","):
                    lo, _, hi = part.partition(":")
                    for uid in range(int(lo), int(hi or lo) + 1):
                        self.cache.pop(uid, None)
                continue
            m = re.match(r"^\* (\d+) FETCH \((.*)\)$", line)
            if m:
                uid = re.search(r"\bUID (\d+)", m.group(2))
                uid = int(uid.group(1)) if uid else self.seq()[
                    int(m.group(1)) - 1]
                flags = re.search(r"FLAGS \(([^)]*)\)", m.group(2))
                if flags:
                    self.cache[uid] = set(flags.group(1).split()) - {
                        "\\Recent"}
                continue
            if re.match(r"^\* \d+ EXISTS$", line):
                fetch_new = True
        if fetch_new:
            last = max(self.cache, default=0)
            self.apply([line for line in self.s.ok(
                f"UID FETCH {last + 1}:* (FLAGS)")
                if int(re.search(r"UID (\d+)", line).group(1)) > last])
        assert self.seq() == sorted(self.cache)

    def connect(self, rng):
        self.s = qsession(self.inst, self.port)
        if self.v is None:
            untagged = self.s.ok("SELECT INBOX")
            self.v = code(untagged, "UIDVALIDITY")
            self.apply(self.s.ok("UID FETCH 1:* (FLAGS)"))
        else:
            known, extra = self.seq(), ""
            if known and rng.random() < 0.7:
                extra = " " + ",".join(map(str, known))
                if rng.random() < 0.5:
                    picks = sorted(rng.sample(range(len(known)),
                                              min(3, len(known))))
                    extra += " (%s %s)" % (
                        ",".join(str(i + 1) for i in picks),
                        ",".join(str(known[i]) for i in picks))
            untagged = self.s.ok(
                f"SELECT INBOX (QRESYNC ({self.v} {self.modseq}{extra}))")
            self.apply(resync_lines(untagged))
            # new messages: past what the client knew
            self.apply([f"* {len(self.cache)} EXISTS"])
        self.modseq = code(untagged, "HIGHESTMODSEQ")

    def check(self):
        full = {}
        for line in self.s.ok("UID FETCH 1:* (FLAGS)"):
            m = re.match(r"^\* \d+ FETCH \((.*)\)$", line)
            uid = int(re.search(r"UID (\d+)", m.group(1)).group(1))
            full[uid] = set(re.search(r"FLAGS \(([^)]*)\)",
                                      m.group(1)).group(1).split()) - {
                                          "\\Recent"}
        assert self.cache == full, f"CHAPAR_QRESYNC_SEED={self.seed}"


def random_changes(s, rng, uids, count, seen=None):
    """count random APPEND/STORE/EXPUNGE/MOVE in INBOX through s (and MOVE
    back from Archive, unless seen: the untagged answers are given to it,
    and s stays in INBOX)."""
    def run(text):
        lines = s.ok(text)
        if seen:
            seen(lines)

    ops = ["append", "store", "store", "expunge", "move"]
    for _ in range(count):
        op = rng.choice(ops if seen else ops + ["back"])
        pick = rng.choice(uids()) if uids() else None
        if op == "append" or pick is None:
            flags = " ".join(rng.sample(FLAGS, rng.randint(0, 2)))
            s.n += 1
            s.c.send(f"a{s.n} APPEND INBOX ({flags}) {{{len(MSG)}+}}\r\n"
                     .encode() + MSG + b"\r\n")
            lines = s.c.read_until(f"a{s.n}")
            assert lines[-1].startswith(f"a{s.n} OK"), lines
            if seen:
                seen(lines[:-1])
        elif op == "store":
            sign = rng.choice("+-")
            flags = " ".join(rng.sample(FLAGS, rng.randint(1, 3)))
            run(f"UID STORE {pick} {sign}FLAGS ({flags})")
        elif op == "expunge":
            run(f"UID STORE {pick} +FLAGS (\\Deleted)")
            run(f"UID EXPUNGE {pick}")
        elif op == "move":
            run(f"UID MOVE {pick} INBOX.Archive")
        else:
            s.ok("SELECT INBOX.Archive")
            if s.ok("SEARCH ALL") != ["* SEARCH"]:
                s.ok("MOVE 1 INBOX")
            s.ok("SELECT INBOX")


@pytest.mark.parametrize("days", ["30", "0"])
def test_resync_property(make_instance, days):
    """Seeded (CHAPAR_QRESYNC_SEED to repeat one), about 3 seconds per
    tombstone setting; with expunge_tombstone_days 0 tombstones are pruned
    along the way."""
    seed = int(os.environ.get("CHAPAR_QRESYNC_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    inst = make_instance(options=dict(FAST, expunge_tombstone_days=days))
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    other = Session(inst, port, "alice")
    fill(other, 6)
    other.ok("CREATE INBOX.Archive")
    other.ok("SELECT INBOX")

    def live():
        found = [line for line in other.ok("UID SEARCH ALL")
                 if line.startswith("* SEARCH")]
        return [int(x) for x in found[0].split()[2:]]

    client = Client(inst, port)
    client.seed = seed
    client.connect(rng)
    rounds, deadline = 0, time.monotonic() + 3
    while rounds < 8 or (time.monotonic() < deadline and rounds < 80):
        rounds += 1
        # connected: the other session changes things, the client follows
        random_changes(other, rng, live, rng.randint(0, 3))
        client.apply(client.s.ok("NOOP"))
        client.check()
        # the client changes things itself
        random_changes(client.s, rng, client.seq, rng.randint(0, 2),
                       client.apply)
        client.apply(client.s.ok("NOOP"))
        client.check()
        # disconnected: more changes, then QRESYNC
        client.s.ok("LOGOUT")
        random_changes(other, rng, live, rng.randint(1, 6))
        client.connect(rng)
        client.check()
