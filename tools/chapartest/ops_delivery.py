"""crashtest's delivery and repair operations: lmtpd (LMTP over
loopback), deliver (the program) and reconstruct (the tool itself is
killed).  Each is an Op (ops.py); tools/crashtest's docstring says what
each checks."""

import collections
import contextlib
import subprocess

from . import ci
from .ops import Op


class DeliveryOp(Op):
    """Common part of lmtp and deliver: messages to alice's INBOX; one
    without success is retried in the next iteration, as an MTA would
    (duplicate suppression is on: a retry may be 250 without a copy)."""

    appends = True
    LIMIT = 150

    def setup_more(self, s):
        self.queue = []            # msgids to retry
        self.acked = set()

    def prepare(self):
        self.sent = []             # [msgid, "ack" | "flight" | "no"]
        if sum(self.base["INBOX"].values()) > self.LIMIT and not self.queue:
            s = self.session()
            try:
                self.empty(s, "INBOX")
            finally:
                s.close()

    def next_messages(self):
        for mid in list(self.queue):
            yield mid
        for _ in range(300):
            yield self.new_msgid()

    def record(self, mid, state):
        if state == "ack":
            self.acked.add(mid)

    def expect(self):
        e = super().expect()
        tries = collections.Counter(mid for mid, _ in self.sent)
        for mid, state in self.sent:
            n = self.base["INBOX"].get(mid, 0)
            lo = 1 if mid in self.acked else n
            # A retry after a kill between the commit and the duplicate
            # mark delivers again: at most one more copy per try.
            e[("INBOX", mid)] = (lo, n + tries[mid])
        return e

    def settle_more(self, obs):
        c = obs.counts()
        self.queue = [m for m, st in self.sent if st != "ack"
                      and m not in self.acked]
        for mid, st in self.sent:
            if c[("INBOX", mid)] > 1:
                self.stats["retry delivered twice"] += 1


class LmtpOp(DeliveryOp):
    name = "lmtp"

    def start(self, w):
        before = {p.pid for p in self.inst.procs}
        c = ci.LineClient.connect(self.h.lmtp_port(self.inst))
        try:
            c.expect(r"^220 ")
            c.send_line("LHLO crashtest.example.org")
            while not c.read_line().startswith("250 "):
                pass
            w.proc = self.h.new_proc(self.inst, before, "lmtpd")
        except BaseException:
            c.sock.close()
            raise

        def go():
            try:
                self.drive(c, w)
                while True:
                    c.read_line(timeout=30)
            finally:
                c.sock.close()
        w.run(go)

    def drive(self, c, w):
        w.started.set()
        for mid in self.next_messages():
            r = [mid, "flight"]
            self.sent.append(r)
            c.send_line("MAIL FROM:<crash@example.org>")
            c.send_line(f"RCPT TO:<{self.user}@chapar.test>")
            c.send_line("DATA")
            replies = [c.read_line() for _ in range(3)]
            if [x[:3] for x in replies] != ["250", "250", "354"]:
                r[1] = "flight" if replies[1][:1] == "4" else "no"
                self.refuse(f"LMTP MAIL/RCPT/DATA: {replies}")
                c.send_line("RSET")
                c.read_line()
                break
            c.send(self.message(mid).replace(b"\r\n.", b"\r\n..") + b".\r\n")
            reply = c.read_line()
            if not reply.startswith("250"):
                r[1] = "flight" if reply[:1] == "4" else "no"
                self.refuse(f"LMTP DATA: {reply}")
                break
            r[1] = "ack"
            self.record(mid, r[1])


class DeliverOp(DeliveryOp):
    name = "deliver"

    def start(self, w):
        w.run(self.drive, w)

    def drive(self, w):
        argv = self.inst.argv("deliver/deliver", self.user)
        for i, mid in enumerate(self.next_messages()):
            with w.lock:
                if w.stop.is_set():
                    return
                p = self.inst.spawn(argv, stdin=subprocess.PIPE)
                w.proc = p
                r = [mid, "flight"]
                self.sent.append(r)
            if i == 0:
                w.started.set()
            with contextlib.suppress(OSError):
                p.stdin.write(self.message(mid))
                p.stdin.close()
            rc = p.wait()
            # killed, or EX_TEMPFAIL: the MTA tries later
            r[1] = "ack" if rc == 0 else ("flight" if rc in (-9, 75)
                                          else "no")
            self.record(mid, r[1])
            if rc > 0:
                self.refuse(f"deliver exited {rc}: "
                            f"{self.inst._stderr_tail(p, 300).strip()}")
                return


class ReconstructOp(Op):
    """reconstruct -U -r user.alice, run again and again until killed, over
    INBOX (flagged messages, tombstones) and INBOX.rc."""

    name = "reconstruct"

    def setup_more(self, s):
        s.ok("CREATE INBOX.rc")
        self.base["INBOX.rc"] = collections.Counter()
        self.fill(s, "INBOX", 40)
        self.fill(s, "INBOX.rc", 10, flags="\\Flagged")
        s.ok("SELECT INBOX")
        s.ok("UID STORE 1:10 +FLAGS.SILENT (\\Seen $Work)")
        s.ok("UID STORE 30:35 +FLAGS.SILENT (\\Deleted)")
        s.ok("EXPUNGE")

    def start(self, w):
        w.run(self.drive, w)

    def drive(self, w):
        argv = self.inst.argv("tools/reconstruct", "-U", "-r",
                              f"user.{self.user}")
        for i in range(200):
            with w.lock:
                if w.stop.is_set():
                    return
                w.proc = self.inst.spawn(argv)
            if i == 0:
                w.started.set()
            w.proc.wait()

    def check(self, obs):
        out = []
        for name, b in obs.good().items():
            for m in b.msgs:
                want = self.flags.get(name, {}).get(m.msgid)
                if want is None:
                    continue
                got = m.flags - {"\\Recent"}
                if got != want - {"\\Recent"}:
                    out.append((1, f"{name} <{m.msgid}> UID {m.uid}: flags "
                                   f"{sorted(got)}, were {sorted(want)}"))
        return out
