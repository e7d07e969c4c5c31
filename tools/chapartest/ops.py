"""crashtest's operations on messages: the writer thread (Writer), the
base of every operation's model (Op: what the mailboxes held, what the
writer was told, what may be seen after a kill) and APPEND/MULTIAPPEND,
UID COPY, UID MOVE and EXPUNGE.  tools/crashtest's docstring says what each
checks."""

import collections
import threading
import traceback

from . import ci
from .imap import (ADMIN, ADMIN_PASSWORD, PASSWORD, QUOTA_KB,
                   QUOTA_MESSAGES, USER, HarnessError, append_cmd,
                   message_bytes, quote)


class Writer:
    """The process the kill is aimed at, and the thread driving it."""

    def __init__(self):
        self.started = threading.Event()   # the operation has begun
        self.stop = threading.Event()      # no new process after this
        self.lock = threading.Lock()       # guards proc against a respawn
        self.proc = None
        self.thread = None
        self.error = None

    def run(self, fn, *args):
        def body():
            try:
                fn(*args)
            except (ci.ConnectionClosed, ci.ClientTimeout, OSError):
                pass                        # the kill, seen from the client
            except Exception:
                self.error = traceback.format_exc()
            finally:
                self.started.set()
        self.thread = threading.Thread(target=body, daemon=True,
                                       name="crashtest-writer")
        self.thread.start()


# ---- operations -------------------------------------------------------------

class Op:
    """One operation's model: what the mailboxes held after the last
    iteration (base), what the writer was told, and what may be seen."""

    name = None
    appends = False            # may leave stray files above the last UID
    user = USER

    def __init__(self, h, inst, rng):
        self.h, self.inst, self.rng = h, inst, rng
        self.seq = 0
        self.base = {}             # box -> Counter(msgid -> copies)
        self.flags = {}            # box -> {msgid: flags}
        self.uids = {}             # box -> {msgid: [uid, ...]}
        self.gone = set()          # (box, msgid) acknowledged expunged
        self.gone_uids = {}        # (box, uidvalidity) -> {uid}
        self.uidvalidity = {}      # box -> uidvalidity
        self.stats = collections.Counter()   # benign events, for the report
        self.dirty = False         # set-up changed the base: read it again
        self.bodies = {}           # msgid -> the bytes sent
        self.ignored = set()       # boxes reported broken: not looked at
        self.known_bad = set()     # (box, uidvalidity, uid) reported already
        self.refused = []          # (3, text) from the writer

    # -- messages
    def new_msgid(self):
        self.seq += 1
        return f"{self.name}.{self.seq}.{self.h.seed}@crashtest.invalid"

    def message(self, msgid):
        """The bytes of message msgid (the same each time: a retry sends
        what the first try sent); grade() compares the stored ones."""
        if msgid not in self.bodies:
            self.bodies[msgid] = message_bytes(
                msgid, self.user, self.rng.randint(100, 3000))
        return self.bodies[msgid]

    def fill(self, s, box, n, flags=""):
        """APPEND n new messages to box (set-up, not under test)."""
        for _ in range(n):
            mid = self.new_msgid()
            st, lines = s.raw(append_cmd(box, [self.message(mid)], flags))
            if st != "OK":
                raise HarnessError(f"APPEND to {box}: {lines[-1]}")
            self.base.setdefault(box, collections.Counter())[mid] += 1
        self.dirty = True

    def empty(self, s, box):
        """Expunge everything in box (set-up); the messages are gone."""
        s.ok(f"SELECT {quote(box)}")
        st, lines = s.cmd("UID STORE 1:* +FLAGS.SILENT (\\Deleted)")
        s.ok("EXPUNGE")
        s.ok("UNSELECT")
        for mid in self.base.get(box, {}):
            self.gone.add((box, mid))
        uv = self.uidvalidity.get(box)
        self.gone_uids.setdefault((box, uv), set()).update(
            u for us in self.uids.get(box, {}).values() for u in us)
        self.base[box] = collections.Counter()
        self.uids[box] = {}
        self.dirty = True

    def refuse(self, text):
        """The writer met a NO or BAD it should not have: the state an
        earlier kill left gets in the way of the next operation."""
        self.refused.append((3, f"refused after the earlier kills: {text}"))

    def tracked(self, units, what, send, label):
        """Send one command whose outcome the checks need: [what, state]
        joins units, "flight" until the answer, then "ack" or "no" (a NO is
        refused: False, the caller stops).  send() returns (status, lines)."""
        unit = [what, "flight"]
        units.append(unit)
        st, lines = send()
        if st != "OK":
            unit[1] = "no"
            self.refuse(f"{label}: {lines[-1]}")
            return False
        unit[1] = "ack"
        return True

    def admin(self):
        return self.h.login(self.inst, ADMIN, ADMIN_PASSWORD)[0]

    def session(self):
        return self.h.login(self.inst, self.user, PASSWORD)[0]

    # -- the life of the op
    def setup(self):
        """Once: the user's INBOX with a quota root, then setup_more()."""
        a = self.admin()
        try:
            a.ok(f"CREATE user.{self.user}")
            a.ok(f"SETQUOTA user.{self.user} "
                 f"(STORAGE {QUOTA_KB} MESSAGE {QUOTA_MESSAGES})")
        finally:
            a.close()
        s = self.session()
        try:
            self.base["INBOX"] = collections.Counter()
            self.setup_more(s)
        finally:
            s.close()

    def setup_more(self, s):
        pass

    def prepare(self):
        """Before each iteration (not under test)."""

    def start(self, w):
        """Start the writer: set w.proc, then w.run(...)."""
        raise NotImplementedError

    def start_imap(self, w, user, password, drive, pre=None):
        s, p = self.h.login(self.inst, user, password)
        if pre:
            pre(s)
        w.proc = p

        def go():
            try:
                drive(s, w)
                s.drain()
            finally:
                s.close()
        w.run(go)

    # -- what may be seen
    def expect(self):
        """(box, msgid) -> (lo, hi) copies; default: exactly the base."""
        return {(b, m): (n, n) for b, c in self.base.items()
                for m, n in c.items()}

    def expect_boxes(self):
        """box -> "yes" | "no" | "maybe"; listed boxes not named here are
        unexpected."""
        return {b: "yes" for b in self.base}

    def own_boxes(self, name):
        """True for boxes whose contents check() looks at itself."""
        return False

    def check(self, obs):
        """Op-specific failures after the kill: [(invariant, text)]."""
        return []

    def atomic_units(self):
        """[(box, [msgid, ...], what)] of unacknowledged all-or-nothing
        changes."""
        return []

    def settle(self, obs, more=True):
        """The state seen after reconstruct becomes the next base
        (more=False: after set-up, the iteration's records do not apply)."""
        self.base, self.flags, self.uids = {}, {}, {}
        for name, b in obs.good().items():
            if self.own_boxes(name):
                continue
            c, fl, us = collections.Counter(), {}, {}
            for m in b.msgs:
                if m.msgid is not None and m.ok:
                    c[m.msgid] += 1
                    fl[m.msgid] = m.flags
                    us.setdefault(m.msgid, []).append(m.uid)
            self.base[name], self.flags[name], self.uids[name] = c, fl, us
            self.uidvalidity[name] = b.status.get("UIDVALIDITY")
        if more:
            self.settle_more(obs)

    def settle_more(self, obs):
        pass

    def observe_more(self, s, obs):
        pass

    def note_failures(self, fails):
        """Called with the iteration's failures, before settle()."""


class AppendOp(Op):
    """APPEND (one message, or a MULTIAPPEND of 2-3) to INBOX until killed."""

    name, appends = "append", True
    LIMIT = 150

    def prepare(self):
        self.units = []            # [msgids, "ack" | "flight" | "no"]
        if sum(self.base["INBOX"].values()) > self.LIMIT:
            s = self.session()
            try:
                self.empty(s, "INBOX")
            finally:
                s.close()

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive)

    def drive(self, s, w):
        w.started.set()
        for _ in range(300):
            n = 1 if self.rng.random() < 0.75 else self.rng.randint(2, 3)
            mids = [self.new_msgid() for _ in range(n)]
            cmd = append_cmd("INBOX", [self.message(m) for m in mids])
            if not self.tracked(self.units, mids, lambda: s.raw(cmd),
                                "APPEND"):
                break

    def expect(self):
        e = super().expect()
        for mids, state in self.units:
            for m in mids:
                e[("INBOX", m)] = {"ack": (1, 1), "no": (0, 0),
                                   "flight": (0, 1)}[state]
        return e

    def atomic_units(self):
        return [("INBOX", mids, "MULTIAPPEND") for mids, st in self.units
                if st == "flight" and len(mids) > 1]


class CopyOp(Op):
    """UID COPY of 1-3 messages from INBOX to INBOX.copyto until killed;
    the target is emptied when every message is there."""

    name, appends = "copy", True
    SRC, DST, POOL = "INBOX", "INBOX.copyto", 40

    def setup_more(self, s):
        s.ok(f"CREATE {self.DST}")
        self.base[self.DST] = collections.Counter()
        self.fill(s, self.SRC, self.POOL)

    def prepare(self):
        self.units = []            # [msgids, state]
        s = None
        try:
            if len(self.base[self.SRC]) < self.POOL // 2:
                s = s or self.session()
                self.fill(s, self.SRC, self.POOL // 2)
            if not self.candidates():
                s = s or self.session()
                self.empty(s, self.DST)
        finally:
            if s:
                s.close()

    def candidates(self):
        return [m for m in self.base[self.SRC]
                if self.base[self.SRC][m] == 1 and not
                self.base.get(self.DST, {}).get(m)]

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive,
                        pre=lambda s: s.ok(f"SELECT {self.SRC}"))

    def drive(self, s, w):
        todo = self.candidates()
        self.rng.shuffle(todo)
        w.started.set()
        while todo:
            mids, todo = todo[:self.rng.randint(1, 3)], todo[3:]
            uids = ",".join(str(self.uids[self.SRC][m][0]) for m in mids)
            cmd = f"UID COPY {uids} {self.DST}"
            if not self.tracked(self.units, mids, lambda: s.cmd(cmd), cmd):
                break

    def expect(self):
        e = super().expect()
        for mids, state in self.units:
            for m in mids:
                for key in [(self.DST, m)]:
                    e[key] = {"ack": (1, 1), "no": (0, 0),
                              "flight": (0, 1)}[state]
                    self.gone.discard(key)
        return e

    def atomic_units(self):
        return [(self.DST, mids, "COPY") for mids, st in self.units
                if st == "flight" and len(mids) > 1]


class MoveOp(Op):
    """UID MOVE of 1-3 messages from one folder to the other until killed;
    the direction turns when the source has nothing left to move."""

    name, appends = "move", True
    A, B, POOL = "INBOX.movea", "INBOX.moveb", 40

    def setup_more(self, s):
        for box in (self.A, self.B):
            s.ok(f"CREATE {box}")
            self.base[box] = collections.Counter()
        self.fill(s, self.A, self.POOL)
        self.src, self.dst = self.A, self.B

    def prepare(self):
        self.units = []
        if not self.candidates():
            self.src, self.dst = self.dst, self.src
        if not self.candidates():          # everything stuck in both
            s = self.session()
            try:
                self.empty(s, self.B)
                self.fill(s, self.A, self.POOL)
                self.src, self.dst = self.A, self.B
            finally:
                s.close()

    def candidates(self):
        return [m for m, n in self.base.get(self.src, {}).items()
                if n == 1 and not self.base.get(self.dst, {}).get(m)]

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive,
                        pre=lambda s: s.ok(f"SELECT {self.src}"))

    def drive(self, s, w):
        todo = self.candidates()
        self.rng.shuffle(todo)
        w.started.set()
        while todo:
            mids, todo = todo[:self.rng.randint(1, 3)], todo[3:]
            uids = ",".join(str(self.uids[self.src][m][0]) for m in mids)
            cmd = f"UID MOVE {uids} {self.dst}"
            if not self.tracked(self.units, mids, lambda: s.cmd(cmd), cmd):
                break

    def expect(self):
        e = super().expect()
        for mids, state in self.units:
            for m in mids:
                if state == "ack":
                    e[(self.src, m)], e[(self.dst, m)] = (0, 0), (1, 1)
                elif state == "flight":
                    e[(self.src, m)], e[(self.dst, m)] = (0, 1), (0, 1)
                self.gone.discard((self.dst, m))
        return e

    def check(self, obs):
        out, c = [], obs.counts()
        for mids, state in self.units:
            if state != "flight":
                continue
            for m in mids:
                if not c[(self.src, m)] and not c[(self.dst, m)]:
                    out.append((1, f"MOVE {self.src} -> {self.dst} "
                                   f"(unacknowledged): <{m}> in neither"))
                elif c[(self.src, m)] and c[(self.dst, m)]:
                    self.stats["in both after an unacknowledged MOVE"] += 1
        return out

    def atomic_units(self):
        return [(self.dst, mids, "MOVE's copy") for mids, st in self.units
                if st == "flight" and len(mids) > 1]


class ExpungeOp(Op):
    """UID STORE +FLAGS.SILENT (\\Deleted) of 1-4 messages, then EXPUNGE,
    until killed; refilled when few are left."""

    name = "expunge"
    BOX, POOL = "INBOX", 40

    def setup_more(self, s):
        self.fill(s, self.BOX, self.POOL)

    def prepare(self):
        self.stored = []          # [msgids, "ack" | "flight"]
        self.expunged = []        # msgids acknowledged expunged
        self.flight = None        # msgids an unacknowledged EXPUNGE may take
        live = [m for m in self.base[self.BOX]
                if "\\Deleted" not in self.flags.get(self.BOX, {}).get(m, ())]
        if len(live) < self.POOL // 3:
            s = self.session()
            try:
                self.fill(s, self.BOX, self.POOL)
            finally:
                s.close()

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive,
                        pre=lambda s: s.ok(f"SELECT {self.BOX}"))

    def drive(self, s, w):
        box = self.BOX
        deleted = {m for m in self.base[box]
                   if "\\Deleted" in self.flags[box].get(m, ())}
        live = [m for m in self.base[box] if m not in deleted]
        self.rng.shuffle(live)
        w.started.set()
        while live:
            mids, live = live[:self.rng.randint(1, 4)], live[4:]
            uids = ",".join(str(u) for m in mids for u in self.uids[box][m])
            unit = [mids, "flight"]
            self.stored.append(unit)
            st, lines = s.cmd(f"UID STORE {uids} +FLAGS.SILENT (\\Deleted)")
            if st != "OK":
                self.refuse(f"UID STORE {uids}: {lines[-1]}")
                break
            unit[1] = "ack"
            deleted.update(mids)
            self.flight = set(deleted)
            st, lines = s.cmd("EXPUNGE")
            if st != "OK":
                self.refuse(f"EXPUNGE: {lines[-1]}")
                break
            self.expunged += sorted(deleted)
            self.flight, deleted = None, set()

    def expect(self):
        e = super().expect()
        box, uv = self.BOX, self.uidvalidity.get(self.BOX)
        for m in self.flight or ():
            e[(box, m)] = (0, 1)
        for m in self.expunged:
            e[(box, m)] = (0, 0)
            self.gone.add((box, m))
            self.gone_uids.setdefault((box, uv), set()).update(
                self.uids[box].get(m, ()))
        return e

    def check(self, obs):
        out = []
        b = obs.good().get(self.BOX)
        if not b:
            return out
        have = {m.msgid: m for m in b.msgs}
        for mids, state in self.stored:
            for mid in mids:
                if state == "ack" and mid in have and \
                        "\\Deleted" not in have[mid].flags:
                    out.append((1, f"<{mid}> UID {have[mid].uid}: the "
                                   f"acknowledged \\Deleted flag is gone"))
        return out
