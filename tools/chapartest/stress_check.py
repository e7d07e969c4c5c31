"""tools/stress's consistency check, run after every client stopped (the
instance and master still running).  Returns a list of failures (text);
the run passed when it is empty:

  - the clients' own failures (BAD, [SERVERBUG], drops; stress.py);
  - every mailbox that LISTs SELECTs and STATUSes, and they agree
    (checks.Checks._observe), and each message is whole (grade);
  - every acknowledged message (by UIDVALIDITY and UID, after acknowledged
    COPY, MOVE and RENAME) is there once with its Message-ID; nothing
    acknowledged gone (UID EXPUNGE, MOVE, DELETE of its mailbox) is back;
    nothing is there that nobody acknowledged;
  - the base folders are all there, in one tree (a, a.x and b|c under
    tree|tree2); each child a creator made and did not delete LISTs
    once, a deleted one not at all; no other mailbox LISTs;
  - mailboxes.db (ctl_mboxlist -d) and the partition agree: each record
    has its directory with cyrus.header and cyrus.index, and no directory
    is there without a record unless it leads to one;
  - each quota root's usage (GETQUOTAROOT and configdirectory/quota/)
    equals the sum of RFC822.SIZE under it (checks.Checks.check_quota);
  - `reconstruct -U -r user.alice` reports nothing but mailbox names;
  - no err-level log line about a corrupt mailbox or reconstruct, no crit
    line, no child of master killed by a signal, no sanitizer report,
    master alive, and master never had more than clients + SLACK children.
"""

import collections
import os
import re

from .imap import USER

SLACK = 6                   # children of master beyond one per client
KID_RE = re.compile(r"^k-?\d+n\d+$")
LOG_RE = re.compile(r"^(\w+)\[(\d+)\]: (\w+): (.*)$")


class Model:
    """What checks.Checks needs of an operation's model, from a Ledger."""

    appends = False
    user = USER

    def __init__(self, ledger):
        self.bodies = ledger.bodies
        self.known_bad = set()
        self.ignored = set()
        self.gone_uids = {}

    def observe_more(self, s, obs):
        pass


class Result:
    def __init__(self):
        self.benign = collections.Counter()


def check(st):
    """All the checks on the Stress st; [failure text]."""
    led = st.ledger
    fails = list(led.failures)
    model = Model(led)
    obs = st.observe(st.inst, model)
    fails += [text for _, text in obs.failures]
    fails += [text for _, text in st.grade(model, obs)]
    fails += check_messages(led, obs)
    fails += check_mailboxes(led, obs)
    fails += check_files(st)
    fails += st.check_quota(st.inst, model, obs)
    res = Result()
    rfails, drifts, _ = st.check_reconstruct(st.inst, model, obs, res)
    fails += [text for _, text in rfails] + drifts
    fails += [f"reconstruct: {what} ({n})" for what, n in res.benign.items()]
    fails += check_log(st)
    if st.most_children > st.nclients + SLACK:
        fails.append(f"master had {st.most_children} children at once "
                     f"({st.nclients} clients)")
    if st.master.poll() is not None:
        fails.append(f"master is gone (exit {st.master.returncode})")
    return fails


def check_messages(led, obs):
    out = []
    found = {}
    for name, b in obs.good().items():
        uv = b.status.get("UIDVALIDITY")
        for m in b.msgs:
            found[(uv, m.uid)] = (name, m)
    alive = led.alive()
    for key, mid in sorted(alive.items(), key=lambda kv: kv[0]):
        if key not in found:
            out.append(f"<{mid}> (UIDVALIDITY {key[0]} UID {key[1]}) was "
                       f"acknowledged and is missing")
        elif mid is not None and found[key][1].msgid != mid:
            out.append(f"{found[key][0]} UID {key[1]} holds "
                       f"<{found[key][1].msgid}>, acknowledged <{mid}>")
    for key, (name, m) in sorted(found.items()):
        if key in alive:
            continue
        if key in led.gone:
            out.append(f"{name} UID {m.uid} <{m.msgid}> is back after it "
                       f"was acknowledged gone ({led.gone[key]})")
        else:
            out.append(f"{name} UID {m.uid} <{m.msgid}> is there but no "
                       f"command that put it there was acknowledged")
    return out


def check_mailboxes(led, obs):
    out = []
    by_uv = {b.status.get("UIDVALIDITY"): n for n, b in obs.good().items()}
    where = {}
    for f, uv in sorted(led.base_uv.items()):
        if uv not in by_uv:
            out.append(f"the folder {f} (UIDVALIDITY {uv}) is not LISTed")
        else:
            where[f] = by_uv[uv]
    if len(where) == len(led.base_uv):
        root = where["root"]
        if where["a"] != root + ".a" or where["ax"] != root + ".a.x" or \
                where["b"] not in (root + ".b", root + ".c"):
            out.append(f"the tree came apart: {where}")
    known = set(where.values())
    leaves = collections.defaultdict(list)
    for name in obs.boxes:
        leaf = name.rsplit(".", 1)[-1]
        if KID_RE.match(leaf):
            leaves[leaf].append(name)
            known.add(name)
    for leaf, state in sorted(led.kids.items()):
        n = len(leaves.get(leaf, ()))
        if state == "live" and n != 1:
            out.append(f"the child {leaf} was created (acknowledged), not "
                       f"deleted, and LISTs {n} times: {leaves.get(leaf)}")
        elif state == "deleted" and n:
            out.append(f"the child {leaf} was deleted (acknowledged) and "
                       f"still LISTs: {leaves[leaf]}")
    for leaf in sorted(set(leaves) - set(led.kids)):
        out.append(f"{leaves[leaf]} LISTs but no CREATE of it was "
                   f"acknowledged")
    for name, b in sorted(obs.boxes.items()):
        if name in known:
            continue
        noselect = {"\\noselect", "\\nonexistent"} & \
            {a.lower() for a in b.attrs}
        if noselect and any(n.startswith(name + ".") for n in obs.boxes):
            continue
        out.append(f"{name} {' '.join(b.attrs)} LISTs but nobody made it")
    return out


def check_files(st):
    """mailboxes.db records and partition directories agree."""
    out = []
    rc, text, err = st.tool(st.inst, "tools/ctl_mboxlist", "-d")
    if rc != 0:
        return [f"ctl_mboxlist -d exited {rc}: {err.strip()[-200:]}"]
    spool = st.inst.spool_dir
    dirs = {}
    for line in text.splitlines():
        name = line.split("\t", 1)[0]
        if name == f"user.{USER}" or name.startswith(f"user.{USER}."):
            dirs[os.path.join(spool, *name.split("."))] = name
    for d, name in sorted(dirs.items()):
        for f in ("cyrus.header", "cyrus.index"):
            if not os.path.isfile(os.path.join(d, f)):
                out.append(f"mailboxes.db has {name} but {d}/{f} is missing")
    top = os.path.join(spool, "user", USER)
    for d, subdirs, files in os.walk(top):
        if d in dirs:
            continue
        leads = any(x.startswith(d + os.sep) for x in dirs)
        if files or not leads:
            out.append(f"{d} ({len(files)} files) has no mailboxes.db record"
                       + ("" if leads else " and leads to none"))
    return out


def check_log(st):
    out = []
    for line in st.inst.log_lines():
        m = LOG_RE.match(line)
        if not m:
            continue
        level, text = m.group(3), m.group(4)
        if level in ("crit", "alert", "emerg") or \
                (level == "err" and re.search(r"corrupt|reconstruct|child "
                                              r"killed", text, re.I)):
            out.append(f"log: {line[:300]}")
    out += [f"sanitizer: {r}" for r in st.inst.sanitizer_reports()]
    return out


def err_lines(st):
    """Other err-level lines (reported, not failures)."""
    return [ln for ln in st.inst.log_lines()
            if (m := LOG_RE.match(ln)) and m.group(3) == "err"]
