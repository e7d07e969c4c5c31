"""master with Cyrus's cyrus.conf: the START, SERVICES, EVENTS and DAEMON
sections, Cyrus's commands translated, the entries Chapar cannot run left
out with one warning each, START before the services listen, EVENTS on
their schedule (period=, at=, never twice at once, re-read at reload),
DAEMON entries kept running with a backoff, maxfds, errors with file:line,
and Debian's stock /etc/cyrus.conf (cyrus-common; a copy of 3.6.1-4+deb12u5's
is in data/cyrus.conf.debian for machines without the package) serving IMAP,
POP3 and LMTP.

The event clock's minute is shortened with CHAPAR_MASTER_MINUTE_MS (a knob
for tests, see master(8)).
"""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from chapar_instance import free_port, pid_alive
from test_master import (FAST, greet, lmtp_hello, log_count, login,
                         master_argv, private_wrappers, stop_master,
                         wait_until, write_table)

DEBIAN_CONF = "/etc/cyrus.conf"
DEBIAN_COPY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "data", "cyrus.conf.debian")


@pytest.fixture
def fast(make_instance):
    return make_instance(options=FAST)


def bindir(inst):
    d = os.path.join(inst.dir, "bin")
    os.makedirs(d, exist_ok=True)
    return d


def script(inst, name, body):
    """An executable shell script in the instance's bin/ (master runs it as
    <script> -C <imapd.conf> <arguments>: "$3" is the first argument)."""
    path = os.path.join(bindir(inst), name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def argv(inst, table, *extra):
    return master_argv(inst, table, "-D", os.path.join(inst.build, "deliver"),
                       "-D", os.path.join(inst.build, "tools"),
                       "-D", bindir(inst), *extra)


def start(inst, lines, env=None):
    private_wrappers(inst)
    table = write_table(inst, lines)
    p = inst.spawn(argv(inst, table), env=env or {})
    inst.wait_for_log(rf"^master\[{p.pid}\]: notice: started: ", timeout=15)
    return p


def lines_of(path):
    try:
        with open(path) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def master_lines(inst, p, regex):
    pat = re.compile(rf"^master\[{p.pid}\]: " + regex)
    return [line for line in inst.log_lines() if pat.search(line)]


# ---- sections ----------------------------------------------------------------

def test_sections_and_flat_lines_together(fast):
    """Services in a SERVICES section and on flat lines outside any section;
    Cyrus's wrapper and program directories mean our programs; -U becomes
    maxuses and is not passed on; -T and prefork of a non-imapd program
    are dropped with a warning each."""
    imap, pop, flat = free_port(), free_port(), free_port()
    sock = os.path.join(fast.conf_dir, "socket", "lmtp")
    p = start(fast, [
        "# Cyrus's sections, and one of our lines",
        "SERVICES {",
        f'  imap  cmd="/usr/sbin/cyrus imapd -U 2 -T 60" '
        f'listen="127.0.0.1:{imap}" prefork=1',
        f'  pop3  cmd="/usr/lib/cyrus/bin/pop3d" listen="127.0.0.1:{pop}"',
        f'  lmtp  cmd="lmtpd" listen="{sock}" prefork=1  # comment',
        "}",
        f'flat cmd="imapd" listen="127.0.0.1:{flat}"',
    ])
    greet(fast, imap)
    greet(fast, flat)
    c = fast.connect(pop)
    c.expect(r"^\+OK ")
    lmtp_hello(sock)
    fast.wait_for_log(r"cyrus\.conf:4: SERVICES imap: -T 60 ignored \(Cyrus's "
                      r"time a preforked process waits for a connection\)$")
    fast.wait_for_log(r"cyrus\.conf:6: SERVICES lmtp: prefork=<1> ignored: "
                      r"only imapd is preforked; lmtpd runs a process per "
                      r"connection$")
    # The imap worker: maxuses 2 from -U 2, and neither -U nor -T given.
    workers = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            continue
        if b"CHAPAR_WORKER=imap:1:2:0" in env:
            workers.append(cmdline)
    assert workers, "no imapd worker with maxuses 2"
    for cmdline in workers:
        assert cmdline[0].endswith(b"/imap/imapd/imapd")
        assert b"-U" not in cmdline and b"-T" not in cmdline, cmdline
    assert master_lines(fast, p, r"(crit|err):") == []


def test_start_runs_in_order_before_the_services_listen(fast):
    imap = free_port()
    out = os.path.join(fast.dir, "start.out")
    script(fast, "prep", f'sleep 0.5; echo "$3" >> {out}')
    private_wrappers(fast)
    table = write_table(fast, [
        "START {",
        '  one   cmd="prep one"',
        '  two   cmd="/usr/lib/cyrus/bin/prep two"',
        '  recover cmd="/usr/sbin/cyrus ctl_cyrusdb -r"',
        "}",
        "SERVICES {",
        f'  imap cmd="imapd" listen="127.0.0.1:{imap}"',
        "}"])
    p = fast.spawn(argv(fast, table))
    # The first connection that succeeds finds both entries done.
    deadline = time.monotonic() + 15
    while True:
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", imap))
            break
        except ConnectionRefusedError:
            assert p.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        finally:
            s.close()
    assert lines_of(out) == ["one", "two"]
    fast.wait_for_log(r"cyrus\.conf:5: START recover skipped: master "
                      r"recovers the database environment itself")
    fast.wait_for_log(rf"^master\[{p.pid}\]: info: start=<two> exited: "
                      r"pid=<\d+> status=<0> seconds=<0\.\d+>$")
    # Not again at a reload.
    os.kill(p.pid, signal.SIGHUP)
    fast.wait_for_log(rf"^master\[{p.pid}\]: notice: reloaded: ")
    assert lines_of(out) == ["one", "two"]


def test_a_failing_start_entry_stops_master(fast):
    imap = free_port()
    script(fast, "broken", "exit 3")
    private_wrappers(fast)
    table = write_table(fast, [
        "START {", '  prep cmd="broken"', "}",
        f'imap cmd="imapd" listen="127.0.0.1:{imap}"'])
    r = subprocess.run(argv(fast, table), capture_output=True, text=True,
                       timeout=15, env=fast.env)
    assert r.returncode == 75, r.stderr
    assert re.search(r"start=<prep> failed: pid=<\d+> status=<3>", r.stderr)
    assert re.search(r"cannot run START entry prep \(.*cyrus\.conf:3\): "
                     r"master stops, as Cyrus's does", r.stderr)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", imap), timeout=2)


# ---- events ------------------------------------------------------------------

def test_event_period_runs_repeatedly_never_twice_at_once(fast):
    """period=1 with 200 ms minutes: at once, then every 200 ms, but a run
    takes 500 ms: the runs never overlap and each skipped one is logged.
    period=500 runs once at start (Cyrus's rule: at once, then every 500
    minutes); period=0 once."""
    out = os.path.join(fast.dir, "tick.out")
    script(fast, "tick", f'echo "start-$3" >> {out}; sleep 0.5; '
                         f'echo "end-$3" >> {out}')
    p = start(fast, [
        "EVENTS {",
        '  tick   cmd="tick t" period=1',
        '  slow   cmd="tick s" period=500',
        '  once   cmd="tick o"',
        "}"], env={"CHAPAR_MASTER_MINUTE_MS": "200"})
    wait_until(lambda: lines_of(out).count("start-t") >= 4, 15, "4 runs")
    time.sleep(0.7)
    runs = [x for x in lines_of(out) if x.endswith("-t")]
    for i, x in enumerate(runs):         # start, end, start, end, ...
        assert x == ("start-t" if i % 2 == 0 else "end-t"), runs
    assert lines_of(out).count("start-s") == 1
    assert lines_of(out).count("start-o") == 1
    assert master_lines(fast, p, r"warning: event=<tick> still running: "
                                 r"pid=<\d+>: not started again$")
    assert master_lines(fast, p, r"info: event=<tick> started: pid=<\d+>$")
    assert master_lines(fast, p, r"info: event=<tick> exited: pid=<\d+> "
                                 r"status=<0> seconds=<0\.\d+>$")
    assert stop_master(fast, p) == 0


def test_event_at_runs_when_the_clock_passes_it(fast):
    """at=HHMM, with 1 s minutes: the next HH:MM two to three minutes
    ahead comes two to three seconds after master starts, once; one twelve
    hours ahead does not come."""
    out = os.path.join(fast.dir, "at.out")
    script(fast, "stamp", f'echo "$3-$(date +%s.%N)" >> {out}')
    soon = time.localtime(time.time() + 180)
    later = time.localtime(time.time() + 12 * 3600)
    spawned = time.time()
    start(fast, [
        "EVENTS {",
        f'  soon  cmd="stamp soon"  at={soon.tm_hour:02d}{soon.tm_min:02d}',
        f'  later cmd="stamp later" at={later.tm_hour:02d}{later.tm_min:02d} '
        'period=1',
        "}"], env={"CHAPAR_MASTER_MINUTE_MS": "1000"})
    wait_until(lambda: lines_of(out), 10, "the at= event")
    time.sleep(1.5)
    runs = lines_of(out)
    assert len(runs) == 1 and runs[0].startswith("soon-"), runs
    assert float(runs[0].split("-")[1]) - spawned >= 1.9


def test_reload_rereads_events(fast):
    out = os.path.join(fast.dir, "mark.out")
    script(fast, "mark", f'echo "$3" >> {out}')
    p = start(fast, ["EVENTS {", '  a cmd="mark a" period=1', "}"],
              env={"CHAPAR_MASTER_MINUTE_MS": "200"})
    wait_until(lambda: lines_of(out).count("a") >= 2, 10, "event a")
    write_table(fast, ["EVENTS {", '  b cmd="mark b" period=1', "}"])
    os.kill(p.pid, signal.SIGHUP)
    fast.wait_for_log(rf"^master\[{p.pid}\]: notice: reloaded: ")
    wait_until(lambda: lines_of(out).count("b") >= 2, 10, "event b")
    n = lines_of(out).count("a")
    time.sleep(0.8)
    assert lines_of(out).count("a") == n
    assert lines_of(out).count("b") >= 4


# ---- daemons, maxfds ---------------------------------------------------------

def test_daemon_restarted_with_backoff_and_stopped(fast):
    out = os.path.join(fast.dir, "keeper.out")
    script(fast, "keeper", f'echo "$$-$(ulimit -n)-$(date +%s.%N)" >> {out}; '
                           "exec sleep 1000")
    fds = free_port()
    script(fast, "fds", 'echo "* OK fds $(ulimit -n)"')
    p = start(fast, [
        "DAEMON {", '  keeper cmd="keeper" maxfds=77', "}",
        "SERVICES {",
        f'  fds cmd="fds" listen="127.0.0.1:{fds}" maxfds=99',
        "}"])
    fast.connect(fds).expect(r"^\* OK fds 99$")
    wait_until(lambda: lines_of(out), 10, "the daemon")
    pid, limit, _ = lines_of(out)[0].split("-")
    assert limit == "77"
    for n, pause in ((2, 1.0), (3, 2.0)):
        killed = time.time()
        os.kill(int(pid), signal.SIGKILL)
        wait_until(lambda: len(lines_of(out)) == n, 10, f"restart {n}")
        pid, _, when = lines_of(out)[-1].split("-")
        assert float(when) - killed >= pause - 0.1, (n, float(when) - killed)
    fast.wait_for_log(rf"^master\[{p.pid}\]: warning: daemon=<keeper> "
                      r"restarts in 2000 ms$")
    assert stop_master(fast, p) == 0
    assert not pid_alive(int(pid))


# ---- errors ------------------------------------------------------------------

def test_bad_tables(fast):
    ok = 'imap cmd="imapd" listen="1"'
    cases = [
        (["MAIL {", ok, "}"], r"bad\.conf:2: unknown section <MAIL> "
         r"\(expected START, SERVICES, EVENTS or DAEMON\)"),
        (["SERVICES {", ok], r"bad\.conf:2: section SERVICES is not closed: "
         r"missing }"),
        (["START {", "SERVICES {"], r"bad\.conf:3: section SERVICES opened "
         r"inside section START \(line 2\): missing }"),
        ([ok, "}"], r"bad\.conf:3: } without a section to close"),
        (["EVENTS { x", "}"], r"bad\.conf:2: nothing may follow <\{> on its "
         r"line"),
        (["EVENTS {", 'c cmd="ctl_cyrusdb -c" period=often', "}"],
         r"bad\.conf:3: period=<often>: expected minutes, 0\.\.525600"),
        (["EVENTS {", 'c cmd="ctl_cyrusdb -c" at=2460', "}"],
         r"bad\.conf:3: at=<2460>: expected HHMM, a time of day"),
        (["EVENTS {", 'c cmd="ctl_cyrusdb -c" at=12:00', "}"],
         r"bad\.conf:3: at=<12:00>: expected HHMM"),
        (["EVENTS {", 'c cmd="ctl_cyrusdb -c" listen="1"', "}"],
         r"bad\.conf:3: unknown option <listen> \(expected cmd, period, at\)"),
        (["EVENTS {", "c period=1", "}"], r"bad\.conf:3: EVENTS c needs cmd="),
        (["EVENTS {", 'c cmd="ctl_cyrusdb -c"', 'c cmd="ctl_cyrusdb -c"', "}"],
         r"bad\.conf:4: EVENTS c is defined twice"),
        (["SERVICES {", 'imap cmd="imapd" listen="nosuchport"', "}"],
         r"bad\.conf:3: listen=<nosuchport>: unknown port name <nosuchport>"),
        (["SERVICES {", 'imap cmd="imapd -U 0" listen="1"', "}"],
         r"bad\.conf:3: cmd=<imapd -U 0>: -U <0>: expected 1\.\.1000000"),
        (["DAEMON {", 'd cmd="/nonexistent/prog"', "}"],
         r"bad\.conf:3: cmd=</nonexistent/prog>: program=</nonexistent/prog> "
         r"is not executable"),
        (["SERVICES {", ok, "}", "DAEMON {", 'imap cmd="imapd"', "}"],
         r"bad\.conf:6: DAEMON imap is defined twice"),
    ]
    for lines, err in cases:
        table = write_table(fast, lines, "bad.conf")
        r = subprocess.run(argv(fast, table), capture_output=True, text=True,
                           timeout=10, env=fast.env)
        assert r.returncode == 78, (lines, r.stderr)
        assert re.search(err, r.stderr), (lines, r.stderr)


# ---- Debian's stock file -----------------------------------------------------

def debian_table(inst, imap, pop, sock):
    """Debian's file with the test's ports and socket paths."""
    path = DEBIAN_CONF if os.path.exists(DEBIAN_CONF) else DEBIAN_COPY
    with open(path) as f:
        text = f.read()
    subst = {'listen="imap"': f'listen="127.0.0.1:{imap}"',
             'listen="pop3"': f'listen="127.0.0.1:{pop}"',
             'listen="nntp"': f'listen="127.0.0.1:{free_port()}"',
             'listen="8008"': f'listen="127.0.0.1:{free_port()}"',
             'listen="localhost:sieve"': f'listen="127.0.0.1:{free_port()}"',
             "/run/cyrus/socket/lmtp": sock,
             "/run/cyrus/socket/notify": os.path.join(inst.dir, "notify")}
    for old, new in subst.items():
        assert old in text, old
        text = text.replace(old, new)
    table = os.path.join(inst.dir, "cyrus.conf")
    with open(table, "w") as f:
        f.write(text)
    return table


def test_debian_stock_cyrus_conf_serves(fast):
    imap, pop = free_port(), free_port()
    sock = os.path.join(fast.conf_dir, "socket", "lmtp")
    private_wrappers(fast)
    table = debian_table(fast, imap, pop, sock)
    p = fast.spawn(argv(fast, table))
    fast.wait_for_log(rf"^master\[{p.pid}\]: notice: started: services=<3> ",
                      timeout=15)
    # LMTP delivers (to the INBOX the first login made), IMAP and POP3
    # serve it.
    c = greet(fast, imap)
    login(c)
    lm = lmtp_hello(sock)
    for line, reply in (("MAIL FROM:<bob@example.org>", r"^250 "),
                        ("RCPT TO:<alice>", r"^250 "), ("DATA", r"^354 ")):
        lm.send_line(line)
        lm.expect(reply)
    lm.send(b"Subject: from Debian's table\r\n\r\nhello\r\n.\r\n")
    lm.expect(r"^250 ")
    assert "* 1 EXISTS" in c.command("s", "SELECT INBOX")
    pc = fast.connect(pop)
    pc.expect(r"^\+OK ")
    for line in ("USER alice", "PASS alicepw", "STAT"):
        pc.send_line(line)
        pc.expect(r"^\+OK")
    # START delprune (expire -E 3) ran before; checkpoint (ctl_cyrusdb -c)
    # runs at once under master, and works.
    fast.wait_for_log(rf"^master\[{p.pid}\]: info: start=<delprune> "
                      r"exited: pid=<\d+> status=<0> ")
    fast.wait_for_log(rf"^master\[{p.pid}\]: info: event=<checkpoint> "
                      r"exited: pid=<\d+> status=<0> ")
    # One line for each entry left out, and nothing worse.
    skipped = {}
    for line in master_lines(fast, p, r"(warning|info): .*cyrus\.conf:\d+: "):
        m = re.search(r"cyrus\.conf:\d+: (\w+) (\w+) skipped: ", line)
        assert m, line
        skipped.setdefault(m.group(1, 2), []).append(line)
    expected = {("START", "recover"), ("START", "tlsprune"),
                ("SERVICES", "nntp"), ("SERVICES", "http"),
                ("SERVICES", "sieve"), ("SERVICES", "notify"),
                ("EVENTS", "tlsprune")}
    if not os.path.exists(os.path.join(fast.build, "tools", "cyr_expire")):
        # expire -E (the duplicate deliveries) is deliver -E; -D, -X wait.
        expected |= {("EVENTS", "deleteprune"), ("EVENTS", "expungeprune")}
        assert "Chapar has no cyr_expire (expiry of expunged and deleted " \
            "data)" in skipped["EVENTS", "deleteprune"][0]
    assert set(skipped) == expected, skipped
    assert all(len(v) == 1 for v in skipped.values()), skipped
    assert "Chapar has no nntpd (Usenet news)" in skipped["SERVICES", "nntp"][0]
    assert master_lines(fast, p, r"(crit|err):") == []
    assert stop_master(fast, p) == 0
    assert log_count(fast, r"^master\[\d+\]: err") == 0
