"""tools/stress's run: a private instance served through master (imapd
forked by master as in production), alice's mailboxes (INBOX and the tree
INBOX.tree with children a, a.x and b), and N client threads, each with
its own IMAP connection, mixing the kinds below for S seconds.  Every
client writes what the server acknowledged into one Ledger:

  appender    APPEND / MULTIAPPEND into INBOX and the tree's folders
              (APPENDUID: the new (UIDVALIDITY, UID) and its Message-ID)
  storer      UID STORE +/-FLAGS of \\Flagged \\Seen $Stress (never
              \\Deleted, never FLAGS: an expunger's \\Deleted stays set)
  expunger    UID STORE +FLAGS.SILENT (\\Deleted) then UID EXPUNGE of the
              same UIDs: after OK none of them may exist again
  copier      UID COPY between folders (COPYUID: the new instances)
  mover       UID MOVE between folders (COPYUID: old gone, new there)
  renamer     RENAME INBOX.tree <-> INBOX.tree2
  subrenamer  RENAME <root>.b <-> <root>.c under whichever root exists
  creator     CREATE children k<client>n<N> inside the tree being renamed,
              APPEND one message into some, DELETE them later
  reader      SELECT / EXAMINE, FETCH, SEARCH, STATUS, LIST
  admin       (as admin) SETACL / DELETEACL / GETACL on the tree,
              GETQUOTAROOT, LIST

A message is known by (UIDVALIDITY, UID): UIDVALIDITY values are unique
server-wide and kept by RENAME (mboxlist.h), so the pair names one copy
wherever its mailbox moved.  A mailbox is known by its UIDVALIDITY (the
base folders) or its leaf name (the creators' children, names unique to
the run).  NO answers a racing client may get are counted by text; BAD,
[SERVERBUG], [CORRUPTION], an untagged BAD or BYE, a dropped connection or
no answer in CLIENT_TIMEOUT seconds are failures.  stress_check.py checks
the instance at the end.
"""

import collections
import os
import random
import re
import threading
import time

from . import ci
from .imap import (ADMIN, ADMIN_PASSWORD, PASSWORD, USER, HarnessError,
                   append_cmd, message_bytes, quote)
from .checks import Checks
from .procs import Procs, connect_login

CLIENT_TIMEOUT = 60.0      # an intent may make a change wait 30 s
ROOTS = ("tree", "tree2")
SUBS = ("b", "c")
# Kinds in the order clients get them: the first 12 cover every kind.
KINDS = ("appender", "renamer", "creator", "reader", "copier", "mover",
         "expunger", "storer", "appender", "subrenamer", "reader", "admin",
         "appender", "creator", "copier", "mover", "expunger", "storer",
         "appender", "reader", "creator", "appender", "reader", "appender")
FOLDERS = ("INBOX", "a", "ax", "b")     # where messages are put
APPENDUID_RE = re.compile(r"\[APPENDUID (\d+) ([\d:,]+)\]")
COPYUID_RE = re.compile(r"\[COPYUID (\d+) ([\d:,]+) ([\d:,]+)\]")
UIDVALIDITY_RE = re.compile(r"\[UIDVALIDITY (\d+)\]")
BAD_TEXT = ("[SERVERBUG]", "[CORRUPTION]")


def uid_list(text):
    """'3,5:7' -> [3, 5, 6, 7] (ranges either way round, RFC 4315)."""
    out = []
    for part in text.split(","):
        a, _, b = part.partition(":")
        lo, hi = sorted((int(a), int(b or a)))
        out.extend(range(lo, hi + 1))
    return sorted(out)


def candidates(folder):
    """The client names a logical folder can have while the tree and its
    b subtree are renamed back and forth."""
    if folder == "INBOX":
        return ["INBOX"]
    if folder == "root":
        return [f"INBOX.{r}" for r in ROOTS]
    if folder == "a":
        return [f"INBOX.{r}.a" for r in ROOTS]
    if folder == "ax":
        return [f"INBOX.{r}.a.x" for r in ROOTS]
    if folder == "b":
        return [f"INBOX.{r}.{s}" for r in ROOTS for s in SUBS]
    raise ValueError(folder)


def kid_candidates(leaf):
    return [f"INBOX.{r}.{p}.{leaf}" for r in ROOTS for p in ("a",) + SUBS]


class Dropped(Exception):
    """The client's connection is gone (already recorded as a failure)."""


class Ledger:
    """What the server acknowledged, from every client (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.born = {}             # (uv, uid) -> msgid | ("from", (uv, uid))
        self.gone = {}             # (uv, uid) -> why
        self.bodies = {}           # msgid -> the bytes sent
        self.base_uv = {}          # logical folder -> UIDVALIDITY
        self.kids = {}             # leaf -> "live" | "deleted"
        self.kid_uv = {}           # leaf -> UIDVALIDITY (once appended to)
        self.counts = collections.Counter()   # (kind, verb, OK|NO)
        self.no_texts = collections.Counter()  # (verb, text)
        self.failures = []         # text
        self.renames = 0

    def fail(self, text):
        with self.lock:
            self.failures.append(text)

    def add(self, uv, uids, what):
        with self.lock:
            for uid, w in zip(uids, what):
                self.born.setdefault((uv, uid), w)

    def remove(self, uv, uids, why):
        with self.lock:
            for uid in uids:
                self.gone.setdefault((uv, uid), why)

    def msgid(self, key, depth=0):
        """The Message-ID of an instance (following copies), or None."""
        w = self.born.get(key)
        while isinstance(w, tuple) and depth < 10000:
            w, depth = self.born.get(w[1]), depth + 1
        return w

    def alive(self):
        return {k: self.msgid(k) for k in self.born if k not in self.gone}


class Client(threading.Thread):
    """One stress client: a kind, a connection, a loop until stop."""

    def __init__(self, run, cid, kind):
        super().__init__(daemon=True, name=f"stress-{cid}-{kind}")
        self.run_, self.cid, self.kind = run, cid, kind
        self.ledger = run.ledger
        self.rng = random.Random(f"{run.seed}-{cid}")
        self.s = None
        self.n = 0
        self.selected = None       # (name, uv)
        self.prefer = {}           # folder -> the name that last worked

    # -- the connection
    def connect(self):
        user, pw = (ADMIN, ADMIN_PASSWORD) if self.kind == "admin" else \
            (USER, PASSWORD)
        try:
            self.s = connect_login(self.run_.port, user, pw, CLIENT_TIMEOUT)
        except (HarnessError, ci.ConnectionClosed, ci.ClientTimeout,
                OSError) as e:
            self.ledger.fail(f"client {self.cid} ({self.kind}): cannot log "
                             f"in: {e}")
            raise Dropped from e
        self.selected = None

    def close(self):
        if self.s:
            self.s.close()
            self.s = None

    def cmd(self, verb, text):
        """Send one command; (status, lines).  Records the answer."""
        s = self.s
        try:
            if isinstance(text, bytes):
                st, lines = s.raw(text, timeout=CLIENT_TIMEOUT)
            else:
                st, lines = s.cmd(text, timeout=CLIENT_TIMEOUT)
        except ci.ClientTimeout as e:
            self.ledger.fail(f"client {self.cid} ({self.kind}): {verb}: no "
                             f"answer within {CLIENT_TIMEOUT:.0f} s")
            self.close()
            raise Dropped from e
        except (ci.ConnectionClosed, OSError) as e:
            self.ledger.fail(f"client {self.cid} ({self.kind}): {verb}: the "
                             f"connection dropped ({e!r})")
            self.close()
            raise Dropped from e
        who = f"client {self.cid} ({self.kind}): {verb}"
        for line in lines[:-1]:
            if line.startswith("* BAD") or \
                    (line.startswith("* BYE") and verb != "LOGOUT") or \
                    any(b in line[:200] for b in BAD_TEXT):
                self.ledger.fail(f"{who}: {line[:200]!r}")
        last = lines[-1]
        with self.ledger.lock:
            self.ledger.counts[(self.kind, verb, st)] += 1
        if st == "NO" and not any(b in last for b in BAD_TEXT):
            text = re.sub(r"\d+", "N", last.split(" ", 2)[-1])[:80]
            with self.ledger.lock:
                self.ledger.no_texts[(verb, text)] += 1
        elif st != "OK":
            self.ledger.fail(f"{who}: {last[:200]!r}")
        return st, lines

    def on_names(self, names, verb, fmt, key=None):
        """Try fmt(name) for each name (the one that worked last first)
        until one is not refused; (status, lines, name)."""
        names = list(names)
        self.rng.shuffle(names)
        if key in self.prefer and self.prefer[key] in names:
            names.remove(self.prefer[key])
            names.insert(0, self.prefer[key])
        st, lines = "NO", ["x NO no name"]
        for name in names:
            st, lines = self.cmd(verb, fmt(name))
            if st == "OK":
                if key:
                    self.prefer[key] = name
                return st, lines, name
        return st, lines, None

    # -- the loop
    def run(self):
        op = getattr(self, "do_" + self.kind)
        stop = self.run_.stop
        while not stop.is_set():
            try:
                if self.s is None:
                    self.connect()
                op()
                self.n += 1
                if self.rng.random() < 0.01:        # a new session now and then
                    self.cmd("LOGOUT", "LOGOUT")
                    self.close()
            except Dropped:
                self.close()
                stop.wait(0.2)
            except Exception as e:      # a harness bug: stop this client
                self.ledger.fail(f"client {self.cid} ({self.kind}): harness "
                                 f"error {e!r}")
                break
        if self.s is not None:
            try:
                self.cmd("LOGOUT", "LOGOUT")
            except Dropped:
                pass
            self.close()

    # -- helpers
    def new_message(self):
        msgid = f"s{self.cid}.{self.n}.{self.rng.getrandbits(32):08x}." \
                f"{self.run_.seed}@stress.invalid"
        body = message_bytes(msgid, USER, self.rng.randint(100, 3000),
                             tool="stress")
        with self.ledger.lock:
            self.ledger.bodies[msgid] = body
        return msgid, body

    def append(self, names, key, count):
        msgs = [self.new_message() for _ in range(count)]
        st, lines, name = self.on_names(
            names, "APPEND", lambda n: append_cmd(n, [b for _, b in msgs]),
            key)
        if st == "OK":
            m = APPENDUID_RE.search(lines[-1])
            uids = uid_list(m.group(2)) if m else []
            if len(uids) != len(msgs):
                self.ledger.fail(f"client {self.cid}: APPEND of {len(msgs)} "
                                 f"to {name} said {lines[-1]!r}")
                return None
            self.ledger.add(int(m.group(1)), uids, [i for i, _ in msgs])
            return int(m.group(1))
        return None

    def select(self, folder, verb="SELECT"):
        """Select a name of folder; its UIDVALIDITY, or None."""
        if self.selected and self.selected[2] == folder and \
                self.rng.random() < 0.7:
            return self.selected[1]
        st, lines, name = self.on_names(candidates(folder), verb,
                                        lambda n: f"{verb} {quote(n)}",
                                        folder)
        self.selected = None
        if st != "OK":
            return None
        m = next(filter(None, map(UIDVALIDITY_RE.search, lines)), None)
        if not m:
            self.ledger.fail(f"client {self.cid}: {verb} {name}: no "
                             f"UIDVALIDITY")
            return None
        self.selected = (name, int(m.group(1)), folder)
        return self.selected[1]

    def some_uids(self, most):
        st, lines = self.cmd("SEARCH", "UID SEARCH ALL")
        if st != "OK":
            return []
        uids = [int(u) for ln in lines[:-1] if ln.startswith("* SEARCH")
                for u in ln.split()[2:]]
        return sorted(self.rng.sample(uids, min(len(uids),
                                                self.rng.randint(1, most))))

    def folder(self):
        return self.rng.choice(FOLDERS)

    # -- the kinds
    def do_appender(self):
        f = self.folder()
        self.append(candidates(f), f, self.rng.choice((1, 1, 1, 2, 3)))

    def do_storer(self):
        if self.select(self.folder()) is None:
            return
        uids = self.some_uids(5)
        if uids:
            sign = self.rng.choice("+-")
            flag = self.rng.choice(("\\Flagged", "\\Seen", "$Stress"))
            self.cmd("STORE", f"UID STORE {','.join(map(str, uids))} "
                              f"{sign}FLAGS ({flag})")

    def do_expunger(self):
        uv = self.select(self.folder())
        if uv is None:
            return
        uids = self.some_uids(3)
        if not uids:
            return
        s = ",".join(map(str, uids))
        st, _ = self.cmd("STORE", f"UID STORE {s} +FLAGS.SILENT (\\Deleted)")
        if st == "OK":
            st, _ = self.cmd("EXPUNGE", f"UID EXPUNGE {s}")
            if st == "OK":
                self.ledger.remove(uv, uids, f"expunged by client {self.cid}")

    def copy_or_move(self, verb):
        src = self.folder()
        uv = self.select(src)
        if uv is None:
            return
        uids = self.some_uids(4)
        if not uids:
            return
        dst = self.rng.choice([f for f in FOLDERS if f != src])
        s = ",".join(map(str, uids))
        st, lines, name = self.on_names(
            candidates(dst), verb, lambda n: f"UID {verb} {s} {quote(n)}",
            dst)
        if st != "OK":
            return
        m = next(filter(None, map(COPYUID_RE.search, lines)), None)
        if m is None:
            return          # none of the UIDs was there any more
        dst_uv, srcs, dsts = int(m.group(1)), uid_list(m.group(2)), \
            uid_list(m.group(3))
        if len(srcs) != len(dsts) or not set(srcs) <= set(uids):
            self.ledger.fail(f"client {self.cid}: {verb} {s}: {m.group(0)}")
            return
        self.ledger.add(dst_uv, dsts, [("from", (uv, u)) for u in srcs])
        if verb == "MOVE":
            self.ledger.remove(uv, srcs, f"moved by client {self.cid}")

    def do_copier(self):
        self.copy_or_move("COPY")

    def do_mover(self):
        self.copy_or_move("MOVE")

    def rename(self, pairs, key):
        """RENAME along one of pairs [(old, new)], the last good first."""
        pairs = list(pairs)
        self.rng.shuffle(pairs)
        pairs.sort(key=lambda p: p[0] != self.prefer.get(key))
        for old, new in pairs:
            st, _ = self.cmd("RENAME", f"RENAME {quote(old)} {quote(new)}")
            if st == "OK":
                self.prefer[key] = new
                with self.ledger.lock:
                    self.ledger.renames += 1
                return
        self.run_.stop.wait(self.rng.uniform(0, 0.05))

    def do_renamer(self):
        self.rename([("INBOX.tree", "INBOX.tree2"),
                     ("INBOX.tree2", "INBOX.tree")], "root")

    def do_subrenamer(self):
        self.rename([(f"INBOX.{r}.{a}", f"INBOX.{r}.{b}") for r in ROOTS
                     for a, b in (SUBS, SUBS[::-1])], "sub")

    def do_creator(self):
        with self.ledger.lock:
            mine = [k for k, v in self.ledger.kids.items()
                    if v == "live" and k.startswith(f"k{self.cid}n")]
        if len(mine) < 3 and (not mine or self.rng.random() < 0.5):
            leaf = f"k{self.cid}n{self.n}"
            names = [f"INBOX.{r}.{p}.{leaf}" for r in ROOTS
                     for p in ("a",) + SUBS]
            # the parent that exists now, most of the time
            names = [n for n in names if self.prefer.get("kidroot", "") in n]\
                or names
            st, _, name = self.on_names(names, "CREATE",
                                        lambda n: f"CREATE {quote(n)}")
            if st != "OK":
                return
            with self.ledger.lock:
                self.ledger.kids[leaf] = "live"
            if self.rng.random() < 0.6:
                uv = self.append(kid_candidates(leaf), None, 1)
                if uv is not None:
                    with self.ledger.lock:
                        self.ledger.kid_uv[leaf] = uv
            return
        leaf = self.rng.choice(mine)
        st, _, name = self.on_names(kid_candidates(leaf), "DELETE",
                                    lambda n: f"DELETE {quote(n)}")
        if st == "OK":
            with self.ledger.lock:
                self.ledger.kids[leaf] = "deleted"
                uv = self.ledger.kid_uv.get(leaf)
                if uv is not None:
                    for key in self.ledger.born:
                        if key[0] == uv:
                            self.ledger.gone.setdefault(
                                key, f"deleted with {leaf}")
            self.prefer["kidroot"] = name.rsplit(".", 2)[0]

    def do_reader(self):
        f = self.folder()
        verb = self.rng.choice(("SELECT", "EXAMINE"))
        if self.select(f, verb) is not None:
            self.cmd("FETCH", "FETCH 1:* (UID FLAGS RFC822.SIZE)")
            self.cmd("SEARCH", self.rng.choice(
                ("UID SEARCH FLAGGED", "SEARCH UNSEEN",
                 "UID SEARCH HEADER Message-ID stress")))
            st, lines = self.cmd("SEARCH", "UID SEARCH ALL")
            uids = [u for ln in lines[:-1] if ln.startswith("* SEARCH")
                    for u in ln.split()[2:]]
            if uids:
                self.cmd("FETCH", f"UID FETCH {self.rng.choice(uids)} "
                                  f"(BODY.PEEK[] RFC822.SIZE)")
        other = self.folder()
        self.on_names(candidates(other), "STATUS",
                      lambda n: f"STATUS {quote(n)} (MESSAGES UIDNEXT "
                                f"UIDVALIDITY UNSEEN)", other)
        if self.rng.random() < 0.3:
            self.cmd("LIST", 'LIST "" "*"')

    def do_admin(self):
        which = self.rng.random()
        if which < 0.5:
            rights = self.rng.choice(("lr", "lrs", "lrsw"))
            self.on_names([f"user.{USER}.{r}.a" for r in ROOTS], "SETACL",
                          lambda n: f"SETACL {quote(n)} bob {rights}")
        elif which < 0.7:
            self.on_names([f"user.{USER}.{r}.a" for r in ROOTS], "DELETEACL",
                          lambda n: f"DELETEACL {quote(n)} bob")
        elif which < 0.85:
            self.on_names([f"user.{USER}.{r}" for r in ROOTS], "GETACL",
                          lambda n: f"GETACL {quote(n)}")
            self.cmd("GETQUOTAROOT", f"GETQUOTAROOT user.{USER}")
        else:
            self.cmd("LIST", f'LIST "" "user.{USER}.*"')


def kinds(n):
    return [KINDS[i % len(KINDS)] for i in range(n)]


class Stress(Procs, Checks):
    """One run: start(), run(), then stress_check.check(); close() stops
    every process started, by pid (Procs)."""

    def __init__(self, build=None, seed=None, clients=24, seconds=60.0,
                 keep=False, out=None, workdir=None, tls=None):
        self.build = os.path.abspath(build or ci.builddir())
        self.seed = int(time.time()) if seed is None else seed
        self.nclients, self.seconds = clients, seconds
        self.keep, self.out = keep, out
        self.workdir = workdir or __import__("tempfile").mkdtemp(
            prefix="stress-")
        self.instances, self.kept, self._ports = [], set(), {}
        self.tls = tls or ci.make_tls_pair(os.path.join(self.workdir, "tls"))
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.clients = []
        self.inst = self.master = self.port = None
        self.most_children = 0
        self.elapsed = 0.0

    def start(self):
        """The instance, master serving imapd on a loopback port, alice
        with a quota root and the tree, a few messages in each folder."""
        import test_master as tm
        d = os.path.join(self.workdir, "instance")
        os.makedirs(d)
        self.inst = ci.Instance(d, self.tls, options={"failedloginpause": "0"},
                                build=self.build)
        self.instances.append(self.inst)
        self.port = ci.free_port()
        try:
            self.master = tm.start_master(
                self.inst, [f'imap cmd="imapd" listen="127.0.0.1:{self.port}"'
                            f' maxchild={4 * self.nclients + 20}'],
                (self.port,))
        except BaseException as e:      # pytest.fail() of the helpers
            if isinstance(e, KeyboardInterrupt):
                raise
            raise HarnessError(f"master did not start: {e}") from None
        a = connect_login(self.port, ADMIN, ADMIN_PASSWORD)
        try:
            a.ok(f"CREATE user.{USER}")
            a.ok(f"SETQUOTA user.{USER} (STORAGE 10000000 MESSAGE 10000000)")
            for sub in ("tree", "tree.a", "tree.a.x", "tree.b"):
                a.ok(f"CREATE user.{USER}.{sub}")
        finally:
            a.close()
        c = Client(self, -1, "appender")
        c.connect()
        try:
            for f in FOLDERS:
                for _ in range(8):
                    c.append(candidates(f)[:1], None, 1)
                st, lines = c.cmd("STATUS", f"STATUS {quote(candidates(f)[0])}"
                                  f" (UIDVALIDITY)")
                m = re.search(r"UIDVALIDITY (\d+)", " ".join(lines))
                if st != "OK" or not m:
                    raise HarnessError(f"STATUS {f}: {lines[-1]}")
                self.ledger.base_uv[f] = int(m.group(1))
            st, lines = c.cmd("STATUS", "STATUS INBOX.tree (UIDVALIDITY)")
            self.ledger.base_uv["root"] = int(re.search(
                r"UIDVALIDITY (\d+)", " ".join(lines)).group(1))
        finally:
            c.close()
        if self.ledger.failures:
            raise HarnessError("set-up: " + self.ledger.failures[0])
        self.ledger.counts.clear()
        self.ledger.no_texts.clear()

    def login(self, inst, user, password):
        """For Checks: a session through master (no process of ours)."""
        return connect_login(self.port, user, password, CLIENT_TIMEOUT), None

    def children(self):
        import test_master as tm
        return tm.children_of(self.master.pid)

    def run(self):
        """The clients for self.seconds, master's children sampled."""
        self.clients = [Client(self, i, k)
                        for i, k in enumerate(kinds(self.nclients))]
        t0 = time.monotonic()
        for c in self.clients:
            c.start()
        try:
            deadline = t0 + self.seconds
            while time.monotonic() < deadline:
                self.most_children = max(self.most_children,
                                         len(self.children()))
                if self.master.poll() is not None:
                    self.ledger.fail(f"master exited "
                                     f"({self.master.returncode})")
                    break
                time.sleep(0.05)
        finally:
            self.stop.set()
        for c in self.clients:
            c.join(CLIENT_TIMEOUT + 30)
            if c.is_alive():
                self.ledger.fail(f"client {c.cid} ({c.kind}) did not stop")
                c.close()
        self.elapsed = time.monotonic() - t0

    def close(self):
        """Stop master (SIGTERM), then everything the instance started."""
        self.stop.set()
        for c in self.clients:
            c.close()
        if self.master is not None and self.master.poll() is None:
            import test_master as tm
            try:
                tm.stop_master(self.inst, self.master)
            except Exception:       # teardown below kills it
                pass
        if self.keep and self.inst is not None:
            self.kept.add(self.inst.dir)
        Procs.close(self)
