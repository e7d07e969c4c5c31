"""crashtest's harness: for each operation a private instance, N
iterations of set-up, writer, SIGKILL at a random instant and the checks
(checks.py), with the results per operation (OpResult) and the report.
tools/crashtest's docstring describes the run; tests/proto/test_crash.py
drives Harness.run_op."""

import collections
import os
import random
import shutil
import sys
import tempfile
import time

from . import ci
from .checks import Checks
from .imap import INVARIANTS, EXAMPLES, MAX_DELAY, PASSWORD, PROGRAMS, \
    HarnessError
from .ops import (AppendOp, CopyOp, ExpungeOp, MoveOp, Writer)
from .ops_delivery import DeliverOp, LmtpOp, ReconstructOp
from .ops_mailbox import CreateOp, DeleteOp, RenameOp, SetaclOp, SetquotaOp
from .procs import Procs

OPS = {cls.name: cls for cls in (AppendOp, CopyOp, MoveOp, ExpungeOp,
                                 RenameOp, CreateOp, DeleteOp, SetaclOp,
                                 SetquotaOp, LmtpOp, DeliverOp, ReconstructOp)}


# ---- results ----------------------------------------------------------------

class OpResult:
    def __init__(self, name):
        self.name = name
        self.kills = 0             # iterations, each ending in a SIGKILL
        self.landed = 0            # ... that hit a live process
        self.failures = collections.Counter()      # invariant -> count
        self.examples = collections.defaultdict(list)
        self.quota_drifts = 0
        self.quota_examples = []
        self.benign = collections.Counter()
        self.errors = []
        self.kept = None
        self.seconds = 0.0

    @property
    def failed(self):
        return sum(self.failures[i] for i in INVARIANTS)

    def line(self):
        b = ", ".join(f"{k} {v}" for k, v in sorted(self.benign.items()))
        return (f"{self.name:<12} {self.kills:>6} {self.landed:>6} "
                + " ".join(f"{self.failures[i]:>5}" for i in INVARIANTS)
                + f" {self.quota_drifts:>6} {len(self.errors):>4}"
                + f"  {self.seconds:6.1f}s  {b}")

    @staticmethod
    def header():
        return (f"{'operation':<12} {'kills':>6} {'landed':>6} "
                + " ".join(f"{'inv' + str(i):>5}" for i in INVARIANTS)
                + f" {'quota':>6} {'err':>4}  {'time':>7}  benign repairs")


# ---- the harness ------------------------------------------------------------

class Harness(Procs, Checks):
    """Runs operations against private instances; see the module docstring.

    h = Harness(build=..., seed=1); res = h.run_op("append", kills=20)
    h.close()
    """

    def __init__(self, build=None, seed=None, keep=False, strict_quota=True,
                 verbose=False, out=sys.stdout, workdir=None, tls=None):
        self.build = os.path.abspath(build or ci.builddir())
        self.seed = int(time.time()) if seed is None else seed
        self.keep = keep
        self.strict_quota = strict_quota
        self.verbose = verbose
        self.out = out
        self.workdir = workdir or tempfile.mkdtemp(prefix="crashtest-")
        self.instances = []
        self.kept = set()          # instance directories kept (--keep)
        self._ports = {}
        self._late = []
        for prog in PROGRAMS:
            path = os.path.join(self.build, prog)
            if not os.access(path, os.X_OK):
                raise HarnessError(f"{path} is not built (build with "
                                   f"'make -C {self.build}' or give --build)")
        self.tls = tls or ci.make_tls_pair(os.path.join(self.workdir, "tls"))

    def late_failure(self, op, inv, text):
        """A failure found while preparing the next iteration."""
        self._late.append((inv, text))

    # -- one operation
    def run_op(self, name, kills, plant=None):
        """Run kills iterations of operation name; returns an OpResult.
        plant(inst, op, iteration) runs after each kill, before the checks
        (the suite test plants a fault with it)."""
        res = OpResult(name)
        t0 = time.monotonic()
        inst = self.instance(name)
        rng = random.Random(f"{self.seed}-{name}")
        op = OPS[name](self, inst, rng)
        keep_dir = False
        try:
            op.setup()
            self.refresh_all(inst, op)
            for i in range(kills):
                if self.iteration(inst, op, res, i, rng, plant) and self.keep:
                    keep_dir = True
                    res.kept = inst.dir
                    self.kept.add(inst.dir)
                    self.say(f"{name}: failure kept in {inst.dir}")
                    break
                self.forget_finished(inst)
                if (i + 1) % 100 == 0 and self.verbose:
                    self.say(f"  {name}: {i + 1} kills, {res.failed} "
                             f"failures, {res.quota_drifts} quota drifts")
        except HarnessError as e:
            res.errors.append(str(e))
            self.say(f"{name}: harness error: {e}")
        finally:
            res.seconds = time.monotonic() - t0
            inst.teardown()
            self.instances.remove(inst)     # not reached on Ctrl-C: close()
            if not keep_dir:
                shutil.rmtree(inst.dir, ignore_errors=True)
        return res

    def refresh_all(self, inst, op):
        s, _ = self.login(inst, op.user, PASSWORD)
        try:
            self.refresh(op, s)
        finally:
            s.close()

    def iteration(self, inst, op, res, i, rng, plant=None):
        """One kill and its checks; True if an invariant failed."""
        self._late = []
        op.refused = []
        op.prepare()
        if op.dirty:
            self.refresh_all(inst, op)
        fails = list(self._late)
        delay = rng.uniform(0, MAX_DELAY)
        w = Writer()
        op.start(w)
        if not w.started.wait(30):
            raise HarnessError("the writer did not start")
        time.sleep(delay)
        with w.lock:
            w.stop.set()
            target = w.proc
        landed = self.kill(inst, target) if target else False
        w.thread.join(60)
        if w.thread.is_alive():
            raise HarnessError("the writer did not stop after the kill")
        if w.error:
            res.errors.append(w.error)
            self.say(f"{op.name} #{i}: writer error:\n{w.error}")
            raise HarnessError(w.error.strip().splitlines()[-1])
        res.kills += 1
        res.landed += landed
        if plant:
            plant(inst, op, i)

        # 1-3 with a fresh connection, before any repair
        obs1 = self.observe(inst, op)
        fails += op.refused
        fails += obs1.failures
        fails += self.grade(op, obs1)
        fails += self.check_boxes(op, obs1)
        fails += self.check_messages(op, obs1)
        fails += op.check(obs1)
        if fails and self.keep:
            self.record(op, res, i, fails, [], delay)
            return True
        # 4: reconstruct finds nothing to repair; nothing lost or back after
        rfails, qlines, adopted = self.check_reconstruct(inst, op, obs1, res)
        fails += rfails
        obs2 = self.observe(inst, op)
        fails += [(4 if inv == 3 else inv, "after reconstruct: " + t)
                  for inv, t in obs2.failures]
        fails += [(4, t) if inv == 1 else (inv, t) for inv, t in
                  self.grade(op, obs2, "after reconstruct: ", adopted)]
        fails += [(inv if inv == 2 else 4, t)
                  for inv, t in self.check_messages(op, obs2,
                                                    "after reconstruct: ")]
        # 5: quota, on what reconstruct left
        drifts = qlines + self.check_quota(inst, op, obs2)
        if drifts:
            rc, text, err = self.tool(inst, "tools/quota", "-f")
            if rc != 0:
                fails.append((4, f"quota -f exited {rc}: {err.strip()}"))
        self.record(op, res, i, fails, drifts, delay)
        op.note_failures(fails)
        # A box still broken after reconstruct was reported: leave it be.
        op.ignored |= {n for n, b in obs2.boxes.items() if not b.selectable
                       and not {"\\noselect", "\\nonexistent"} &
                       {a.lower() for a in b.attrs}}
        op.settle(obs2)
        for k, v in op.stats.items():
            res.benign[k] += v
        op.stats.clear()
        return bool(fails) or (bool(drifts) and self.strict_quota)

    def record(self, op, res, i, fails, drifts, delay):
        """Count this kill once under each invariant that failed; keep the
        first cases."""
        by_inv = collections.defaultdict(list)
        for inv, text in fails:
            if text not in by_inv[inv]:
                by_inv[inv].append(text)
        if drifts and self.strict_quota:
            by_inv[5] += drifts
        for inv, texts in sorted(by_inv.items()):
            res.failures[inv] += 1
            more = f" (and {len(texts) - 3} more)" if len(texts) > 3 else ""
            msg = (f"kill #{i} at {delay * 1000:.1f} ms: "
                   + "; ".join(texts[:3]) + more)
            first = len(res.examples[inv]) < EXAMPLES
            if first:
                res.examples[inv].append(msg)
            if first or self.verbose:
                self.say(f"{op.name}: FAIL invariant {inv}: {msg}")
        if drifts:
            res.quota_drifts += 1
            msg = f"kill #{i} at {delay * 1000:.1f} ms: " + "; ".join(drifts)
            if len(res.quota_examples) < EXAMPLES:
                res.quota_examples.append(msg)
            if self.verbose:
                self.say(f"{op.name}: quota drift: {msg}")


def report(results, strict_quota, out=sys.stdout):
    print(OpResult.header(), file=out)
    for r in results:
        print(r.line(), file=out)
    for r in results:
        for inv in sorted(r.examples):
            for e in r.examples[inv][:EXAMPLES]:
                print(f"{r.name}: invariant {inv}: {e}", file=out)
        for e in r.quota_examples[:2]:
            print(f"{r.name}: quota drift: {e}", file=out)
        for e in r.errors[:2]:
            print(f"{r.name}: harness error: {e.strip()}", file=out)
        if r.kept:
            print(f"{r.name}: failing instance kept in {r.kept}", file=out)
