"""The session workloads of issue 18, driven by several client processes.

One Python thread costs about as much CPU per IMAP command as a server does,
and threads share one interpreter lock: a threaded client would bound the
rate of the short-session rows, not the server.  So each of these rows runs
`clients` separate processes (multiprocessing, fork), each with one
connection at a time, started together behind a barrier and stopped by the
same deadline; the rate is all their commands (or connections) over the
time from the barrier to the last one's end.

Rows (commands are counted when their tagged OK arrived; any failure fails
the row):
  login     LOGIN + LOGOUT, a new connection each time, users u000..u099
  randmix   connect, LOGIN (client k: one of the ten uNNk), SELECT INBOX,
            4 commands drawn from FETCH 35%, STORE 25%, APPEND 25%,
            EXPUNGE 15% (STORE \\Deleted of the newest message, then
            EXPUNGE: two commands), LOGOUT
  append    APPEND only, one long session per client (users u010..u019)
  starttls  connect, STARTTLS, TLS handshake, LOGIN, LOGOUT: connections/s
And, in the harness process itself, the memory of many held connections:
  held      N connections after LOGIN (idle) or in IDLE after SELECT
"""

import multiprocessing
import random
import ssl
import threading
import time

import corpus
import servers
from proto import Imap, ProtoError

PASSWORD = "bench-pw"


def small_messages(seed, n=50):
    """Deterministic corpus messages under 20 kB, for APPEND."""
    out, i = [], 0
    while len(out) < n:
        m = corpus.message(seed, 200_000 + i, "app")
        i += 1
        if len(m) < 20_000:
            out.append(m)
    return out


def _sessions(port, stop_at, user, middle=None, tls=None):
    """Sessions until stop_at: connect, [STARTTLS with the ssl context
    tls,] LOGIN user(), middle(c) (returns its command count), LOGOUT.
    Returns (sessions, commands)."""
    sessions = commands = 0
    while time.monotonic() < stop_at:
        c = Imap(port)
        if tls:
            c.starttls(tls)
            commands += 1
        c.login(user(), PASSWORD)
        commands += middle(c) if middle else 0
        c.command("LOGOUT")
        c.close()
        sessions += 1
        commands += 2
    return sessions, commands


def _any_user(rng):
    return lambda: f"u{rng.randrange(100):03d}"


def _login_logout(port, k, rng, stop_at, _msgs):
    return _sessions(port, stop_at, _any_user(rng))[1]


def _randmix(port, k, rng, stop_at, msgs):
    def middle(c):
        c.command("SELECT INBOX")
        n = 1
        for _ in range(4):
            op = rng.random()
            if op < 0.25 or not c.exists:
                c.command("APPEND INBOX", literal=rng.choice(msgs))
            elif op < 0.60:
                c.command(f"FETCH 1:{min(20, c.exists)} (FLAGS RFC822.SIZE ENVELOPE)")
            elif op < 0.85:
                c.command(f"STORE 1:{min(5, c.exists)} +FLAGS (\\Seen)")
            else:
                c.command(f"STORE {c.exists} +FLAGS.SILENT (\\Deleted)")
                c.command("EXPUNGE")
                n += 1
            n += 1
        return n
    # client k takes the users uNNk: no two clients share a mailbox, so no
    # FETCH meets another client's EXPUNGE (NO [EXPUNGEISSUED])
    return _sessions(port, stop_at, lambda: f"u{10 * rng.randrange(10) + k % 10:03d}",
                     middle)[1]


def _append(port, k, rng, stop_at, msgs, session=None):
    c = session
    n = 0
    while time.monotonic() < stop_at:
        c.command("APPEND INBOX", literal=rng.choice(msgs))
        n += 1
    c.command("LOGOUT")
    c.close()
    return n


def _starttls(port, k, rng, stop_at, _msgs):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE      # the harness's self-signed certificate
    return _sessions(port, stop_at, _any_user(rng), tls=ctx)[0]


WORKERS = {"login": _login_logout, "randmix": _randmix, "append": _append,
           "starttls": _starttls}


def _child(name, port, k, seed, seconds, msgs, barrier, results):
    rng = random.Random(seed * 1000 + k)
    try:
        session = None
        if name == "append":            # long sessions: log in before the clock
            session = Imap(port)
            session.login(f"u{10 + k % 10:03d}", PASSWORD)
            session.command("SELECT INBOX")
        barrier.wait()
        stop_at = time.monotonic() + seconds
        kw = {"session": session} if session else {}
        n = WORKERS[name](port, k, rng, stop_at, msgs, **kw)
        results.put((k, n, time.monotonic(), None))
    except Exception as e:      # any failure, reported to the parent
        barrier.abort()
        results.put((k, 0, time.monotonic(), f"client {k}: {type(e).__name__}: {e}"))


def rate(srv, name, seconds, seed, clients=10):
    """Run workload `name` with `clients` processes for `seconds`; returns
    {name: commands (or connections) per second}."""
    ctx = multiprocessing.get_context("fork")
    msgs = small_messages(seed)
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(name, srv.imap_port, k, seed, seconds,
                                              msgs, barrier, results))
             for k in range(clients)]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=60)
    except threading.BrokenBarrierError:
        pass                            # a client failed: its error follows
    t0 = time.monotonic()
    got = [results.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    errors = [e for _, _, _, e in got if e]
    if errors:
        raise RuntimeError(f"{name} on {srv.name}: {errors[0]}")
    return {name: sum(n for _, n, _, _ in got) / (max(t for _, _, t, _ in got) - t0)}


def held(srv, n, idle, timeout=30):
    """Open n connections, LOGIN (u000..u099 in turn), and for idle also
    SELECT INBOX and IDLE; wait 2 s (a server may give memory back when a
    session idles); then the private kB (servers.private_kb) of the
    processes serving them, per connection.  A connection that fails ends
    the opening: the memory is of those held, the idle row says how many
    (each is ended with DONE and counts if its tagged OK came back), and
    the failure is noted under the table."""
    key = "idle" if idle else "memory"
    conns, out = [], {}
    try:
        for k in range(n):
            try:
                c = Imap(srv.imap_port, timeout=timeout)
                conns.append(c)
                c.login(f"u{k % 100:03d}", PASSWORD)
                if idle:
                    c.command("SELECT INBOX")
                    c.idle_start()
            except (ProtoError, OSError) as e:
                conns.pop().close()
                out[key + "_wrong"] = f"connection {k + 1} of {n}: {type(e).__name__}: {e}"
                break
        time.sleep(2)
        ports = {c.sock.getsockname()[1] for c in conns}
        pids = servers.serving_pids(srv.imap_port, ports)
        if not pids:
            raise RuntimeError(f"{srv.name}: no process found serving the connections")
        out[key] = servers.private_kb(pids) / len(conns)
        if idle:
            ok = 0
            for c in conns:
                try:
                    c.idle_done()
                    ok += 1
                except (ProtoError, OSError):
                    pass
            out["idle_held"] = ok
    finally:
        for c in conns:
            c.logout()
    return out
