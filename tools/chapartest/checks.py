"""The invariant checks of DESIGN.md on a private instance, shared by
tools/crashtest and tools/stress: observe alice's mailboxes with a fresh
connection (LIST, STATUS, SELECT, FETCH, GETQUOTAROOT), grade each
message (whole, the bytes sent), compare with an operation's model
(messages there the expected number of times, acknowledged expunges not
back, mailboxes listed as expected), classify what `reconstruct -U -r`
reports, and sum quota usage.  A mixin: the class using it provides
login() and tool() (procs.Procs).  The model ("op") provides user, gone,
gone_uids, bodies, known_bad, ignored, appends, expect(), expect_boxes(),
own_boxes(), atomic_units(), observe_more() and settle() (ops.Op)."""

import contextlib
import math
import os
import re

from . import ci
from .imap import (LIST_RE, PASSWORD, QUOTA_RE, Box, HarnessError, Obs,
                   internal_name, parse_fetch, parse_quota, quote, unquote)


class Checks:
    """Observation and checks (see the module docstring)."""

    # -- observing
    def observe(self, inst, op):
        o = Obs()
        try:
            s, _ = self.login(inst, op.user, PASSWORD)
        except (HarnessError, ci.ConnectionClosed, ci.ClientTimeout,
                OSError) as e:
            o.fail(3, f"a fresh connection cannot log in: {e}")
            return o
        try:
            self._observe(s, o, op.ignored)
            op.observe_more(s, o)
            s.cmd("LOGOUT")
        except (ci.ConnectionClosed, ci.ClientTimeout, OSError) as e:
            o.fail(3, f"the checking connection broke: {e}")
        finally:
            s.close()
        return o

    def _observe(self, s, o, ignored=()):
        st, lines = s.cmd('LIST "" "*"')
        if st != "OK":
            o.fail(3, f"LIST: {lines[-1]}")
            return
        for line in lines:
            m = LIST_RE.match(line)
            if m:
                name = unquote(m.group(2))
                o.boxes[name] = Box(name, m.group(1).split())
        for name, b in sorted(o.boxes.items()):
            if {"\\noselect", "\\nonexistent"} & \
                    {a.lower() for a in b.attrs} or name in ignored:
                continue
            q = quote(name)
            st, lines = s.cmd(f"STATUS {q} (MESSAGES UIDNEXT UIDVALIDITY)")
            if st != "OK":
                o.fail(3, f"{name} LISTs but STATUS says {lines[-1]!r}")
            else:
                for line in lines:
                    mm = re.match(r'^\* STATUS .*\(([^)]*)\)', line)
                    if mm:
                        t = mm.group(1).split()
                        b.status = {t[i]: int(t[i + 1])
                                    for i in range(0, len(t) - 1, 2)}
            st, lines = s.cmd(f"SELECT {q}")
            if st != "OK":
                o.fail(3, f"{name} LISTs but SELECT says {lines[-1]!r}")
                continue
            b.selectable = True
            exists = next((int(ln.split()[1]) for ln in lines
                           if re.match(r"^\* \d+ EXISTS", ln)), 0)
            if exists:
                self._fetch_all(s, b, o)
            if len(b.msgs) != exists or \
                    b.status.get("MESSAGES", exists) != exists:
                o.fail(3, f"{name}: SELECT says {exists} EXISTS, STATUS "
                          f"{b.status.get('MESSAGES')} MESSAGES, FETCH gave "
                          f"{len(b.msgs)}")
            st, lines = s.cmd(f"GETQUOTAROOT {q}")
            if st != "OK":
                o.fail(3, f"{name}: GETQUOTAROOT says {lines[-1]!r}")
            for line in lines:
                if line.startswith("* QUOTAROOT "):
                    toks = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', line)[3:]
                    b.root = unquote(toks[0]) if toks else None
                mm = QUOTA_RE.match(line)
                if mm:
                    b.quota = parse_quota(mm.group(2))
            s.cmd("UNSELECT")

    def _fetch_all(self, s, b, o):
        st, lines = s.cmd("UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[])")
        if st == "OK":
            b.msgs = [m for m in map(parse_fetch, lines[:-1])
                      if m is not None]
            return
        # One message spoils the whole FETCH: find it.
        st, lines = s.cmd("UID FETCH 1:* (UID RFC822.SIZE FLAGS)")
        for m in filter(None, map(parse_fetch, lines[:-1])):
            st, one = s.cmd(f"UID FETCH {m.uid} (UID RFC822.SIZE FLAGS "
                            f"BODY.PEEK[])")
            got = [x for x in map(parse_fetch, one[:-1]) if x is not None]
            if st == "OK" and got:
                b.msgs.append(got[0])
            else:
                m.readable = m.ok = False
                m.error = one[-1]
                b.msgs.append(m)

    def refresh(self, op, s):
        """Read the UIDs of op's base (after set-up appends)."""
        o = Obs()
        self._observe(s, o)
        op.settle(o, more=False)
        op.dirty = False

    # -- checking
    @staticmethod
    def grade(op, obs, after="", adopted=()):
        """Each message is whole: readable, with a Message-ID, and ending
        with the bytes that were sent (lmtpd and deliver prepend trace
        headers).  Marks the others not ok; (invariant, text) for each,
        once per message (op.known_bad)."""
        out = []
        for box, b in obs.good().items():
            uv = b.status.get("UIDVALIDITY")
            for m in b.msgs:
                key = (box, uv, m.uid)
                sent = op.bodies.get(m.msgid)
                if not m.readable:
                    problem = (f"the body cannot be read (RFC822.SIZE "
                               f"{m.size}" + (f", FETCH says {m.error!r}"
                                              if m.error else "") + ")")
                elif m.msgid is None:
                    problem = f"a message of {m.size} bytes without Message-ID"
                elif sent is not None and not m.body.endswith(sent):
                    problem = (f"its {len(m.body)} bytes are not the "
                               f"{len(sent)} bytes sent")
                else:
                    continue
                m.ok = False
                if key in op.known_bad:
                    continue
                op.known_bad.add(key)
                if (internal_name(box, op.user), m.uid) in adopted:
                    out.append((4, f"reconstruct adopted the stray file "
                                   f"{m.uid}. in {box} as a message, but it "
                                   f"is not a whole one: UID {m.uid}: "
                                   f"{problem}"))
                else:
                    out.append((1, f"{after}{box} UID {m.uid} <{m.msgid}>: "
                                   f"{problem}"))
        return out

    def check_messages(self, op, obs, after=""):
        out = []
        expect = op.expect()
        counts = obs.counts()
        good = obs.good()
        for (box, mid), (lo, hi) in sorted(expect.items()):
            if op.own_boxes(box) or box not in good:
                continue
            n = counts.get((box, mid), 0)
            if n < lo:
                out.append((1, f"{after}{box}: <{mid}> is missing"
                               f" (expected {lo}..{hi})"))
            elif n > hi:
                inv = 2 if (box, mid) in op.gone else 1
                out.append((inv, f"{after}{box}: <{mid}> is there {n} times"
                                 f" (expected {lo}..{hi})"
                                 + (" after an acknowledged expunge"
                                    if inv == 2 else "")))
        for (box, mid), n in sorted(counts.items()):
            if (box, mid) in expect or op.own_boxes(box):
                continue
            inv = 2 if (box, mid) in op.gone else 1
            out.append((inv, f"{after}{box}: <{mid}> is there {n} times, "
                             f"expected none"
                             + (" (acknowledged expunged)" if inv == 2
                                else "")))
        for box, b in good.items():
            gone = op.gone_uids.get((box, b.status.get("UIDVALIDITY")), ())
            for m in b.msgs:
                if m.uid in gone:
                    out.append((2, f"{after}{box}: UID {m.uid} <{m.msgid}> "
                                   f"was acknowledged expunged"))
        for box, mids, what in op.atomic_units() if not after else ():
            if box not in good:
                continue
            there = [m for m in mids if counts.get((box, m))]
            if there and len(there) != len(mids):
                out.append((1, f"{box}: an unacknowledged {what} of "
                               f"{len(mids)} is half there: {there}"))
        return out

    def check_boxes(self, op, obs):
        out = []
        want = op.expect_boxes()
        for box, w in sorted(want.items()):
            if w == "yes" and box not in obs.boxes:
                out.append((1, f"{box} is missing from LIST"))
            elif w == "no" and box in obs.boxes:
                out.append((1, f"{box} still LISTs after an acknowledged "
                               f"change removed it"))
        for box in sorted(obs.boxes):
            if box not in want and not op.own_boxes(box) and \
                    box not in op.ignored:
                out.append((3, f"{box} LISTs but no operation made it"))
        return out

    RECON_BENIGN_NAME = re.compile(r"^[^\s:]+$")
    RECON_EXPUNGED = re.compile(r"^(\S+): (\d+)\.: expunged, file removed$")
    RECON_NEWUID = re.compile(r"^(\S+): (\d+)\.: new uid (\d+)$")
    RECON_INTENT = re.compile(r"^reconstruct: mboxlist: (completed|rolled "
                              r"back) an interrupted \w+: ")
    RECON_QUOTA = re.compile(r"^(\S+): (usage was -?\d+, now -?\d+|quota root "
                             r"was \S+, now \S+)$")

    def check_reconstruct(self, inst, op, obs, res):
        """Invariant 4: run reconstruct; [(invariant, text)], quota lines."""
        out, quota, adopted = [], [], {}
        rc, text, err = self.tool(inst, "tools/reconstruct", "-U", "-r",
                                  f"user.{op.user}")
        if rc != 0:
            out.append((4, f"reconstruct exited {rc}: "
                           + " | ".join(err.strip().splitlines())[-300:]))
        for line in text.splitlines():
            m = self.RECON_EXPUNGED.match(line)
            if m:
                res.benign["expunged file removed"] += 1
                continue
            m = self.RECON_NEWUID.match(line)
            if m:
                mbox, f, u = m.group(1), int(m.group(2)), int(m.group(3))
                box = self.client_name(op, mbox)
                b = obs.good().get(box)
                uv = b.status.get("UIDVALIDITY") if b else None
                nxt = b.status.get("UIDNEXT") if b else None
                if f in op.gone_uids.get((box, uv), ()):
                    out.append((4, f"reconstruct: {line!r}: UID {f} was "
                                   f"acknowledged expunged"))
                elif op.appends and f == u and nxt is not None and f >= nxt:
                    res.benign["stray file adopted"] += 1
                    adopted.setdefault(mbox, []).append(f)
                else:
                    out.append((4, f"reconstruct: {line!r} (UIDNEXT was "
                                   f"{nxt})"))
                continue
            m = self.RECON_QUOTA.match(line)
            if m:
                quota.append(line)
                continue
            if self.RECON_BENIGN_NAME.match(line):
                continue
            out.append((4, f"reconstruct: {line!r}"))
        for line in err.splitlines():
            if self.RECON_INTENT.match(line):
                # mboxlist.h: a change a kill interrupted is completed or
                # rolled back by whoever next needs its names, or here.
                res.benign["interrupted change finished by reconstruct"] += 1
            elif line.strip():
                out.append((4, f"reconstruct (stderr): {line!r}"))
        # "<mailbox>: usage was X, now Y" goes with adopted strays: the
        # index's usage grew by their size, and the root with it.
        drifts = []
        for line in quota:
            m = re.match(r"^(\S+): usage was (-?\d+), now (-?\d+)$", line)
            if m and m.group(1) in adopted and \
                    int(m.group(3)) - int(m.group(2)) == sum(
                        self.file_size(inst, m.group(1), u)
                        for u in adopted[m.group(1)]):
                continue
            drifts.append(f"reconstruct: {line}")
        res_adopted = {(mbox, u) for mbox, us in adopted.items() for u in us}
        return out, drifts, res_adopted

    @staticmethod
    def file_size(inst, mbox, uid):
        path = os.path.join(inst.spool_dir, *mbox.split("."), f"{uid}.")
        try:
            return os.stat(path).st_size
        except OSError:
            return -1

    @staticmethod
    def client_name(op, mbox):
        pre = f"user.{op.user}"
        if mbox == pre:
            return "INBOX"
        if mbox.startswith(pre + "."):
            return "INBOX." + mbox[len(pre) + 1:]
        return mbox

    def check_quota(self, inst, op, obs):
        """Invariant 5: each root's usage is the sum under it."""
        drifts = []
        roots = {}
        for name, b in obs.good().items():
            if not b.root:
                continue
            r = roots.setdefault(b.root, {"bytes": 0, "msgs": 0, "q": None})
            r["bytes"] += sum(m.size for m in b.msgs if m.size > 0)
            r["msgs"] += len(b.msgs)
            if b.root == name or r["q"] is None:
                r["q"] = b.quota
        for root, r in sorted(roots.items()):
            q = r["q"] or {}
            kb = math.ceil(r["bytes"] / 1024)
            used_kb = q.get("STORAGE", (None,))[0]
            used_msgs = q.get("MESSAGE", (None,))[0]
            path = os.path.join(inst.conf_dir, "quota",
                                internal_name(root, op.user))
            fbytes = None
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(path) as f:
                    fbytes = int(f.read().split("\n")[0])
            # MESSAGE is answered only when the root has a limit for it
            if used_kb != kb or fbytes != r["bytes"] or \
                    (used_msgs is not None and used_msgs != r["msgs"]):
                drifts.append(f"quota root {root}: usage {used_kb} KB "
                              f"{used_msgs} messages ({fbytes} bytes in the "
                              f"file), the messages under it: {kb} KB "
                              f"{r['msgs']} messages ({r['bytes']} bytes)")
        return drifts
