"""The benchmark workloads.  Each takes a started server (servers.Server) and
returns numbers; run() decides rounds and medians."""

import os
import random
import re
import threading
import time

import corpus
import servers
from proto import Imap, Lmtp, ProtoError

PASSWORD = "bench-pw"


def users(n=100):
    return {f"u{k:03d}": PASSWORD for k in range(n)} | {"big": PASSWORD}


def setup_mailboxes(srv):
    if not srv.admin:
        return
    c = Imap(srv.imap_port)
    c.login("admin", "adminpw")
    for u in srv.users:
        c.command(f"CREATE user.{u}")
    c.logout()


def _deliver_parallel(srv, msgs, rcpts, conns):
    """Deliver msgs[i] to rcpts[i] over `conns` LMTP connections."""
    errors = []

    def worker(k):
        try:
            lm = Lmtp(srv.lmtp_port)
            for i in range(k, len(msgs), conns):
                lm.deliver([srv.rcpt(rcpts[i])], msgs[i])
            lm.quit()
        except (ProtoError, OSError) as e:
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        raise RuntimeError(f"LMTP delivery to {srv.name}: {errors[0]}")
    return dt


def lmtp_delivery(srv, seed, n, rnd):
    """Workload 1: msg/s with one connection and with four."""
    rc = [f"u{i % 100:03d}" for i in range(n)]
    out = {}
    for conns in (1, 4):
        msgs = [corpus.stuffed(corpus.message(seed, i, f"r{rnd}c{conns}"))
                for i in range(n)]
        out[f"lmtp{conns}"] = n / _deliver_parallel(srv, msgs, rc, conns)
    return out


def populate_big(srv, seed, n):
    """Deliver the n-message corpus into user 'big' (not timed); returns
    the message bytes delivered."""
    total, batch = 0, 500
    for start in range(0, n, batch):
        msgs = [corpus.message(seed, i, "big") for i in range(start, min(n, start + batch))]
        total += sum(len(m) for m in msgs)
        _deliver_parallel(srv, [corpus.stuffed(m) for m in msgs], ["big"] * len(msgs), 4)
    return total


def webmail(srv, seconds):
    """Workload 2: LOGIN, SELECT INBOX, FETCH 1:50 (FLAGS ENVELOPE), LOGOUT."""
    t0, n = time.monotonic(), 0
    while n < 5 or time.monotonic() - t0 < seconds:
        c = Imap(srv.imap_port)
        c.login("big", PASSWORD)
        c.command("SELECT INBOX")
        r = c.command("FETCH 1:50 (FLAGS ENVELOPE)")
        if len(r) < 50:
            raise RuntimeError(f"webmail FETCH on {srv.name}: {len(r)} responses")
        c.logout()
        n += 1
    return {"webmail": n / (time.monotonic() - t0)}


def big_session(srv):
    c = Imap(srv.imap_port)
    c.login("big", PASSWORD)
    c.command("SELECT INBOX")
    return c


def fetch_all(srv, n):
    """Workload 3: seconds for FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE), and
    for Roundcube's sort-by-date fallback, FETCH 1:* (UID
    BODY.PEEK[HEADER.FIELDS (DATE)])."""
    c = big_session(srv)
    out = {}
    for key, items in (("fetchall", "(UID FLAGS RFC822.SIZE ENVELOPE)"),
                       ("fetchdate", "(UID BODY.PEEK[HEADER.FIELDS (DATE)])")):
        t0 = time.monotonic()
        r = c.command(f"FETCH 1:* {items}")
        out[key] = time.monotonic() - t0
        if sum(1 for x in r if b" FETCH " in x) != n:
            raise RuntimeError(f"FETCH 1:* {items} on {srv.name}: {len(r)} responses, want {n}")
    c.logout()
    return out


def _cpu_seconds(pids):
    """User + system CPU seconds the processes have used so far."""
    ticks = 0
    for p in pids:
        with open(f"/proc/{p}/stat") as f:
            w = f.read().rsplit(")", 1)[1].split()
        ticks += int(w[11]) + int(w[12])           # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def fetch_cpu(srv, megabytes=20):
    """Workload 3b: the server's CPU milliseconds per MB of FETCH 1:*
    BODY.PEEK[] responses on `big` (the MB counted as the client reads them,
    decompressed), in a plain session and in one after COMPRESS DEFLATE;
    FETCH 1:* is repeated until `megabytes` have come.  The CPU is that of
    the processes holding the server end of the connection (/proc/PID/stat).
    A server that does not advertise COMPRESS=DEFLATE after login gets no
    compressed figure."""
    out = {}
    for key in ("fetch_cpu", "fetch_cpu_z"):
        c = big_session(srv)
        if key == "fetch_cpu_z":
            if not any(b"COMPRESS=DEFLATE" in r.split()
                       for r in c.command("CAPABILITY")):
                c.logout()
                break
            c.compress()
        pids = servers.serving_pids(srv.imap_port, {c.sock.getsockname()[1]})
        if not pids:
            raise RuntimeError(f"{srv.name}: no process found serving the connection")
        cpu0, got = _cpu_seconds(pids), 0
        while got < megabytes * 1e6:
            got += sum(len(r) for r in c.command("FETCH 1:* (BODY.PEEK[])"))
        out[key] = (_cpu_seconds(pids) - cpu0) * 1000 / (got / 1e6)
        c.logout()
    return out


def _search_count(r):
    for x in r:
        if x.startswith(b"* SEARCH"):
            return len(x.split()) - 2
    return 0


def search(srv, n):
    """Workload 4: seconds for SEARCH TEXT <word> and SEARCH FROM <address>."""
    c = big_session(srv)
    out = {}
    for key, crit, want in (
            ("search_text", f"SEARCH TEXT {corpus.SEARCH_WORD}",
             sum(1 for i in range(n) if i % 100 == 37)),
            ("search_hdr", f'SEARCH FROM "{corpus.SEARCH_FROM}"',
             sum(1 for i in range(n) if i % 50 == 11))):
        t0 = time.monotonic()
        r = c.command(crit)
        out[key] = time.monotonic() - t0
        got = _search_count(r)
        if got != want:
            out[key + "_wrong"] = f"{got} hits, want {want}"
    c.logout()
    return out


ID_RE = re.compile(rb"X-Bench-Id: (\S+)", re.I)


def mixed(srv, seed, seconds, clients=50, boxes=10):
    """Workload 5: 50 clients on 10 mailboxes doing APPEND, FETCH, STORE,
    EXPUNGE (of their own appended messages) and IDLE; then every mailbox
    is read back: each appended and not expunged message exactly once."""
    pool = [corpus.message(seed, 100_000 + i, "mix") for i in range(200)]
    pool = [m for m in pool if len(m) < 300_000]
    appended, deleted, ops, errors = set(), set(), [0], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(k):
        rng = random.Random(seed + k)
        user = f"u{k % boxes:03d}"
        mine, seq = [], 0
        try:
            c = Imap(srv.imap_port)
            c.login(user, PASSWORD)
            c.command("SELECT INBOX")
            while time.monotonic() < stop_at:
                op = rng.random()
                if op >= 0.25 and mine and not c.exists:
                    c.command("NOOP")
                if op < 0.25 or not mine or not c.exists:
                    seq += 1
                    bid = f"r{seed}c{k:02d}n{seq:06d}"  # no id is a substring of another
                    msg = f"X-Bench-Id: {bid}\r\n".encode() + rng.choice(pool)
                    c.command("APPEND INBOX", literal=msg)
                    mine.append(bid)
                    with lock:
                        appended.add(bid)
                elif op < 0.55:
                    c.command(f"FETCH 1:{min(20, c.exists)} (FLAGS RFC822.SIZE)")
                elif op < 0.75:
                    c.command(f"STORE 1:{min(5, c.exists)} +FLAGS (\\Seen)")
                elif op < 0.85:
                    bid = mine.pop(rng.randrange(len(mine)))
                    r = c.command(f'UID SEARCH HEADER X-Bench-Id "{bid}"')
                    uids = [u.decode() for x in r if x.startswith(b"* SEARCH")
                            for u in x.split()[2:]]
                    if len(uids) != 1:
                        errors.append(f"{bid}: UID SEARCH found {uids}")
                        continue
                    c.command(f"UID STORE {uids[0]} +FLAGS.SILENT (\\Deleted)")
                    with lock:
                        deleted.add(bid)
                    c.command("EXPUNGE")
                else:
                    c.idle(0.1)
                with lock:
                    ops[0] += 1
            c.logout()
        except (ProtoError, OSError) as e:
            errors.append(f"client {k}: {e}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    found = {}
    for b in range(boxes):
        c = Imap(srv.imap_port)
        c.login(f"u{b:03d}", PASSWORD)
        c.command("SELECT INBOX")
        for r in c.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (X-Bench-Id)])"):
            m = ID_RE.search(r)
            if m:
                bid = m.group(1).decode()
                found[bid] = found.get(bid, 0) + 1
        c.logout()
    want = appended - deleted
    lost = want - set(found)
    dup = [b for b, n in found.items() if n > 1]
    back = set(found) & deleted
    check = "ok" if not (lost or dup or back or errors) else (
        f"lost {len(lost)}, duplicated {len(dup)}, expunged-but-present "
        f"{len(back)}, errors {len(errors)}: {errors[:2]}")
    return {"mixed": ops[0] / dt, "mixed_check": check}


def memory(srv, n=100):
    """Workload 6: private kB (Private_Clean + Private_Dirty of
    smaps_rollup) of the processes serving 100 idle authenticated
    connections, per connection.  Counting the serving processes (not the
    growth of the whole tree) is right also when a server reuses processes
    that earlier sessions left behind, as Cyrus does."""
    conns = []
    try:
        for k in range(n):
            c = Imap(srv.imap_port)
            c.login(f"u{k % 100:03d}", PASSWORD)
            conns.append(c)
        time.sleep(0.5)
        ports = {c.sock.getsockname()[1] for c in conns}
        pids = servers.serving_pids(srv.imap_port, ports)
        if not pids:
            raise RuntimeError(f"{srv.name}: no process found serving the connections")
        kb = servers.private_kb(pids)
    finally:
        for c in conns:
            c.logout()
    return {"memory": kb / n}
