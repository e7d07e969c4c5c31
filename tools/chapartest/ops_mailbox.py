"""crashtest's operations on mailboxes: RENAME (a folder with children,
back and forth), CREATE, DELETE, SETACL and SETQUOTA (as admin).  Each is
an Op (ops.py); tools/crashtest's docstring says what each checks."""

import collections
import re

from .imap import (ADMIN, ADMIN_PASSWORD, PASSWORD, QUOTA_KB,
                   QUOTA_MESSAGES, Obs, parse_acl)
from .ops import Op


class RenameOp(Op):
    """RENAME INBOX.ra (with children c1 c2 c3, two messages each) to
    INBOX.rb and back, until killed."""

    name = "rename"
    KIDS = ("", ".c1", ".c2", ".c3")

    def setup_more(self, s):
        self.gen = 0
        self.make_tree(s)

    def names(self, side):
        return [f"INBOX.{side}{self.gen or ''}{k}" for k in self.KIDS]

    def make_tree(self, s):
        self.side, self.tree = "ra", {}
        for k, box in zip(self.KIDS, self.names("ra")):
            s.ok(f"CREATE {box}")
            before = set(self.base.get(box, {}))
            self.fill(s, box, 2)
            self.tree[k] = sorted(set(self.base.pop(box)) - before)

    def own_boxes(self, name):
        return re.match(r"^INBOX\.r[ab]\d*(\.|$)", name) is not None

    def prepare(self):
        self.flight = None         # the side an unacknowledged RENAME aimed at
        self.acked = 0
        if self.broken:
            # The last check found the tree split or damaged: start a new
            # one under new names (the old ones stay, outside the test).
            self.ignored |= set(self.names("ra")) | set(self.names("rb"))
            s = self.session()
            try:
                self.gen += 1
                self.make_tree(s)
            finally:
                s.close()
            self.broken = False

    broken = False

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive)

    def drive(self, s, w):
        w.started.set()
        for _ in range(200):
            other = "rb" if self.side == "ra" else "ra"
            self.flight = other
            st, lines = s.cmd(f"RENAME {self.names(self.side)[0]} "
                              f"{self.names(other)[0]}")
            self.flight = None
            if st != "OK":
                self.refuse(f"RENAME {self.names(self.side)[0]} "
                            f"{self.names(other)[0]}: {lines[-1]}")
                break
            self.side = other
            self.acked += 1

    def expect_boxes(self):
        e = super().expect_boxes()
        for side in ("ra", "rb"):
            for box in self.names(side):
                e[box] = "maybe"
        return e

    def check(self, obs):
        sides = {self.side} | ({self.flight} if self.flight else set())
        fam = set(self.names("ra")) | set(self.names("rb"))
        listed = sorted(n for n in obs.boxes if n in fam)
        what = (f"RENAME {self.names(self.side)[0]} -> "
                f"{self.names(self.flight)[0]} unacknowledged"
                if self.flight else
                f"after {self.acked} acknowledged RENAMEs, last to "
                f"{self.names(self.side)[0]}")
        for side in sides:
            if listed == sorted(self.names(side)):
                out = self.check_side(obs, side, what)
                if not out:
                    self.side = side
                else:
                    self.broken = True
                return out
        self.broken = True
        out = [(1, f"{what}: the hierarchy is split: LIST shows "
                   f"{listed or 'none of it'}")]
        # Is any message lost outright (in neither name)?
        c = obs.counts()
        for k, mids in self.tree.items():
            old, new = (f"INBOX.{s}{self.gen or ''}{k}" for s in ("ra", "rb"))
            for m in mids:
                if not c[(old, m)] and not c[(new, m)]:
                    out.append((1, f"{what}: <{m}> of {k or 'the top'} is "
                                   f"in neither {old} nor {new}"))
        return out

    def check_side(self, obs, side, what):
        out = []
        for k, box in zip(self.KIDS, self.names(side)):
            b = obs.boxes[box]
            if not b.selectable:
                continue           # invariant 3, reported already
            want = collections.Counter(self.tree[k])
            have = collections.Counter(m.msgid for m in b.msgs if m.ok)
            if want != have:
                out.append((1, f"{what}: {box} holds "
                               f"{sorted(have.elements())}, not "
                               f"{sorted(want.elements())}"))
        return out

    def note_failures(self, fails):
        if fails:
            self.broken = True


class CreateOp(Op):
    """CREATE INBOX.crN, N = 1, 2, ... until killed; an unacknowledged
    name that is not there must be creatable next time."""

    name = "create"

    def setup_more(self, s):
        self.n = 0
        self.made = set()          # acknowledged, not yet deleted
        self.retry = []            # unacknowledged and absent

    def prepare(self):
        self.results = []          # [name, "ack" | "flight" | "no"]
        if not self.retry and len(self.made) < 20:
            return
        s = self.session()
        try:
            for name in self.retry:
                st, lines = s.cmd(f"CREATE {name}")
                if st != "OK":
                    self.h.late_failure(self, 3, f"{name}: an unacknowledged "
                                        f"CREATE left the name unusable: "
                                        f"it does not LIST, but CREATE "
                                        f"again says {lines[-1]!r}")
                else:
                    self.made.add(name)
                    self.base[name] = collections.Counter()
            self.retry = []
            if len(self.made) >= 20:
                for name in sorted(self.made, reverse=True):
                    s.ok(f"DELETE {name}")
                    self.base.pop(name, None)
                self.made = set()
        finally:
            s.close()

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive)

    def drive(self, s, w):
        w.started.set()
        for _ in range(100):
            self.n += 1
            name = f"INBOX.cr{self.n}"
            cmd = f"CREATE {name}"
            if not self.tracked(self.results, name, lambda: s.cmd(cmd), cmd):
                break

    def expect_boxes(self):
        e = super().expect_boxes()
        for name, state in self.results:
            e[name] = {"ack": "yes", "flight": "maybe", "no": "no"}[state]
        return e

    def settle_more(self, obs):
        for name, state in self.results:
            if name in obs.good():
                self.made.add(name)
            elif state == "flight" and name not in obs.boxes:
                self.retry.append(name)
        self.made &= set(self.base)


class DeleteOp(Op):
    """DELETE of INBOX.dl0..dl5 (a message each) in random order until
    killed; the same names are made again, and must come back empty."""

    name = "delete"

    def setup_more(self, s):
        self.names = [f"INBOX.dl{i}" for i in range(6)]
        self.spoilt = 0

    def prepare(self):
        self.results = []
        s = self.session()
        try:
            for i, name in enumerate(self.names):
                if name in self.base:
                    continue
                st, lines = s.cmd(f"CREATE {name}")
                if st != "OK":
                    self.h.late_failure(self, 3, f"{name}: it does not LIST "
                                        f"after a DELETE, but CREATE says "
                                        f"{lines[-1]!r}")
                    # reported once: go on under a new name
                    self.ignored.add(name)
                    self.spoilt += 1
                    self.names[i] = name = f"INBOX.dl{i}x{self.spoilt}"
                    s.ok(f"CREATE {name}")
                s.ok(f"SELECT {name}")
                st, lines = s.cmd("UID SEARCH ALL")
                s.ok("UNSELECT")
                left = [x for ln in lines if ln.startswith("* SEARCH")
                        for x in ln.split()[2:]]
                if left:
                    self.h.late_failure(self, 2, f"{name} made again holds "
                                        f"UIDs {left} of the deleted one")
                self.base[name] = collections.Counter()
                self.fill(s, name, 1)
        finally:
            s.close()

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive)

    def drive(self, s, w):
        names = [n for n in self.names if n in self.base]
        self.rng.shuffle(names)
        w.started.set()
        for name in names:
            cmd = f"DELETE {name}"
            if not self.tracked(self.results, name, lambda: s.cmd(cmd), cmd):
                break

    def expect(self):
        e = super().expect()
        for name, state in self.results:
            for m in self.base.get(name, {}):
                if state == "ack":
                    e[(name, m)] = (0, 0)
                    self.gone.add((name, m))
                elif state == "flight":
                    e[(name, m)] = (0, 1)
        return e

    def expect_boxes(self):
        e = super().expect_boxes()
        for name, state in self.results:
            e[name] = {"ack": "no", "flight": "maybe", "no": "yes"}[state]
        return e

    def check(self, obs):
        out = []
        for name, state in self.results:
            b = obs.good().get(name)
            if state == "flight" and b is not None:
                have = {m.msgid for m in b.msgs if m.ok}
                want = set(self.base.get(name, {}))
                if have != want:
                    out.append((1, f"DELETE {name} unacknowledged: it is "
                                   f"there but holds {sorted(have)}, not "
                                   f"{sorted(want)}"))
        return out


class SetaclOp(Op):
    """SETACL INBOX.acl bob <rights>, cycling through seven rights, until
    killed."""

    name = "setacl"
    BOX, WHO = "INBOX.acl", "bob"
    RIGHTS = ["l", "lr", "lrs", "lrsw", "lrswi", "lrswip", "lrswipk"]

    def setup_more(self, s):
        s.ok(f"CREATE {self.BOX}")
        s.ok(f"SETACL {self.BOX} {self.WHO} l")
        self.base[self.BOX] = collections.Counter()
        self.now = "l"

    def prepare(self):
        self.flight, self.acked = None, 0

    def start(self, w):
        self.start_imap(w, self.user, PASSWORD, self.drive)

    def drive(self, s, w):
        w.started.set()
        i = self.RIGHTS.index(self.now)
        for _ in range(200):
            i = (i + 1) % len(self.RIGHTS)
            self.flight = self.RIGHTS[i]
            st, lines = s.cmd(f"SETACL {self.BOX} {self.WHO} {self.flight}")
            if st != "OK":
                self.refuse(f"SETACL: {lines[-1]}")
                break
            self.now, self.flight = self.flight, None
            self.acked += 1

    def observe_more(self, s, obs):
        b = obs.boxes.get(self.BOX)
        if b is None:
            return
        st, lines = s.cmd(f"GETACL {self.BOX}")
        if st != "OK":
            obs.fail(3, f"GETACL {self.BOX}: {lines[-1]}")
            return
        for line in lines:
            if line.startswith("* ACL "):
                b.acl = parse_acl(line)

    def check(self, obs):
        b = obs.boxes.get(self.BOX)
        if b is None or b.acl is None:
            return []
        got = b.acl.get(self.WHO, "")
        # GETACL adds the RFC 2086 names: c with k, d with t e x.
        norm = "".join(sorted(set(got) - set("cd")))
        ok = {self.now} | ({self.flight} if self.flight else set())
        for r in ok:
            if "".join(sorted(r)) == norm:
                self.now = r
                return []
        what = (f"SETACL {self.WHO} {self.flight} unacknowledged, before it "
                f"{self.now}" if self.flight else
                f"SETACL {self.WHO} {self.now} acknowledged")
        self.now = next((r for r in self.RIGHTS
                         if "".join(sorted(r)) == norm), self.now)
        return [(1, f"{self.BOX}: {what}; GETACL shows {got or 'nothing'!r}")]


class SetquotaOp(Op):
    """As admin: SETQUOTA user.alice with a new STORAGE limit, or a quota
    root set on / removed from user.alice.qsub (whose mailboxes are
    re-rooted), until killed."""

    name = "setquota"
    SUB, DEEP = "INBOX.qsub", "INBOX.qsub.deep"
    LIMITS = [QUOTA_KB - 3, QUOTA_KB - 2, QUOTA_KB - 1, QUOTA_KB]

    def setup_more(self, s):
        for box, n in ((self.SUB, 4), (self.DEEP, 3)):
            s.ok(f"CREATE {box}")
            self.base[box] = collections.Counter()
            self.fill(s, box, n)
        self.fill(s, "INBOX", 5)
        self.limit, self.sub = QUOTA_KB, False

    def prepare(self):
        self.flight, self.acked = None, 0
        if self.resync:
            # quota -f rewrote the roots after the last check: start from
            # what they are now.
            s = self.session()
            try:
                o = Obs()
                self.h._observe(s, o)
                sub, inbox = o.good().get(self.SUB), o.good().get("INBOX")
                if sub and inbox and inbox.quota:
                    self.sub = sub.root == self.SUB
                    self.limit = inbox.quota["STORAGE"][1]
            finally:
                s.close()
            self.resync = False

    resync = False

    def note_failures(self, fails):
        self.resync = True          # one GETQUOTAROOT round: every time

    def start(self, w):
        self.start_imap(w, ADMIN, ADMIN_PASSWORD, self.drive)

    def drive(self, s, w):
        w.started.set()
        u = f"user.{self.user}"
        for _ in range(200):
            if self.rng.random() < 0.5:
                lim = self.rng.choice([x for x in self.LIMITS
                                       if x != self.limit])
                self.flight = ("limit", lim)
                cmd = f"SETQUOTA {u} (STORAGE {lim} MESSAGE {QUOTA_MESSAGES})"
            else:
                self.flight = ("sub", not self.sub)
                cmd = (f"SETQUOTA {u}.qsub (STORAGE {QUOTA_KB} "
                       f"MESSAGE {QUOTA_MESSAGES})"
                       if not self.sub else f"SETQUOTA {u}.qsub ()")
            st, lines = s.cmd(cmd)
            if st != "OK":
                self.refuse(f"{cmd}: {lines[-1]}")
                break
            if self.flight[0] == "limit":
                self.limit = self.flight[1]
            else:
                self.sub = self.flight[1]
            self.flight = None
            self.acked += 1

    def check(self, obs):
        out = []
        inbox, sub = obs.good().get("INBOX"), obs.good().get(self.SUB)
        deep = obs.good().get(self.DEEP)
        if not inbox or not sub or not deep or not inbox.quota:
            return out
        limit = inbox.quota.get("STORAGE", (0, None))[1]
        fl = self.flight or ("", None)
        ok = {self.limit} | ({fl[1]} if fl[0] == "limit" else set())
        if limit not in ok:
            out.append((1, f"user.{self.user}: STORAGE limit {limit}, "
                           f"acknowledged {self.limit}"
                           + (f", in flight {fl[1]}" if fl[0] == "limit"
                              else "")))
        else:
            self.limit = limit
        has = sub.root == self.SUB
        ok = {self.sub} | ({fl[1]} if fl[0] == "sub" else set())
        if sub.root is None or deep.root is None:
            pass                    # GETQUOTAROOT failed: invariant 3
        elif has not in ok:
            mine = "own root" if self.sub else "none"
            out.append((1, f"{self.SUB}: quota root is {sub.root}; "
                           f"acknowledged: {mine}"
                           + (" (a change in flight)" if fl[0] == "sub"
                              else "")))
        else:
            self.sub = has
        if deep.root != sub.root and None not in (sub.root, deep.root):
            out.append((1, f"{self.DEEP} has quota root {deep.root}, its "
                           f"parent {sub.root}"))
        return out
