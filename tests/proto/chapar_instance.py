"""A private Chapar instance for protocol tests, and small clients to talk to it.

An Instance lives in one temporary directory:

    <dir>/imapd.conf        the configuration (see Instance.DEFAULT_OPTIONS)
    <dir>/conf/             configdirectory, with db quota user proc log msg socket
    <dir>/conf/sasldb2      the users, made with the real saslpasswd2
    <dir>/spool/            partition-default
    <dir>/tls/server.crt    a self-signed certificate for localhost / 127.0.0.1 / ::1
    <dir>/tls/server.key    and its key (0600)
    <dir>/chapar.log        CHAPAR_LOG_FILE: lib/log.c appends "<ident>[<pid>]: <level>: <text>"
    <dir>/stderr/           stderr of every program started, one file per process

It starts programs three ways: inetd style behind a loopback listener
(serve_tcp), on one end of a socketpair (socketpair), or as a daemon that
listens itself (spawn + wait_for_port).  Every process is started in its own
process group and tracked by pid; teardown() sends SIGTERM to each group, then
SIGKILL after a grace period, reaps everything and closes the listeners.

The servers and tools that write the store refuse to run as root without
-U (conf_refuse_root() in lib/conf.h); the tests run as root in CI, so argv()
adds -U to those programs when the tests run as root (master -U passes the
override on to the services it starts).

Only standard-library code; no pip packages.
"""

import contextlib
import ctypes
import os
import re
import selectors
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REALM_DEFAULT = "chapar.test"
DEFAULT_USERS = {"admin": "adminpw", "alice": "alicepw", "bob": "bobpw"}
CONFIG_SUBDIRS = ("db", "quota", "user", "proc", "log", "msg", "socket")
SASLPASSWD2 = "/usr/sbin/saslpasswd2"
SASLDBLISTUSERS2 = "/usr/sbin/sasldblistusers2"
OPENSSL = "/usr/bin/openssl"
# Programs that refuse to run as root unless given -U (lib/conf.h).
ROOT_REFUSING = ("imap/imapd/imapd", "imap/pop3d/pop3d", "deliver/lmtpd",
                 "deliver/deliver", "tools/reconstruct", "tools/quota",
                 "tools/ctl_mboxlist", "tools/ctl_cyrusdb", "tools/ipurge",
                 "tools/unexpunge")
TERM_GRACE = 3.0          # seconds between SIGTERM and SIGKILL at teardown
DEFAULT_TIMEOUT = 10.0    # seconds, client reads and waits


def builddir():
    """The build directory: $CHAPAR_BUILDDIR, else <repo>/build."""
    return os.environ.get("CHAPAR_BUILDDIR") or os.path.join(REPO, "build")


def find_program(relpath, build=None):
    """Absolute path of a built program (e.g. "imap/imapd/imapd"); pytest.fail if absent."""
    build = build or builddir()
    path = os.path.join(build, relpath)
    if not os.path.isfile(path):
        pytest.fail(f"program {relpath!r} is not built: {path} does not exist "
                    f"(build with 'make -C {build}', or set CHAPAR_BUILDDIR)",
                    pytrace=False)
    if not os.access(path, os.X_OK):
        pytest.fail(f"program {relpath!r} is not executable: {path}", pytrace=False)
    return path


def free_port(family=socket.AF_INET):
    """A TCP port on the loopback address that was free a moment ago."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_available():
    """True if a socket can bind to ::1."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def loopback(family):
    return "::1" if family == socket.AF_INET6 else "127.0.0.1"


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def make_tls_pair(directory):
    """Generate a self-signed certificate and key with the real openssl command.

    Slow (RSA key generation), so the conftest does this once per session and
    each Instance copies the files.  Returns (cert_path, key_path).
    """
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, "server.crt")
    key = os.path.join(directory, "server.key")
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-subj", "/CN=localhost", "-days", "2",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.chmod(key, 0o600)
    return cert, key


_subreaper_done = False


def _become_subreaper():
    """Make this process adopt orphaned descendants (Linux), so that children of a
    killed daemon are reparented here and can be reaped instead of lingering as
    zombies under a PID 1 that does not reap."""
    global _subreaper_done
    if _subreaper_done:
        return
    _subreaper_done = True
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _children_of_self():
    """(pid, pgid) of every direct child of this process, from /proc."""
    me = os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields: state ppid pgrp ...
        if int(fields[1]) == me:
            out.append((int(name), int(fields[2])))
    return out


class ClientTimeout(AssertionError):
    """A client read timed out; the message shows what had arrived."""


class ConnectionClosed(EOFError):
    """The peer closed the connection before a complete line arrived."""


class LineClient:
    """A line-oriented raw client over a connected socket (plain or TLS).

    Lines are sent with CRLF; read_line() returns one line as str
    (UTF-8, undecodable bytes kept as surrogates) without its line end.
    `transcript` keeps every line in both directions ("C: ..." / "S: ...").
    """

    def __init__(self, sock, timeout=DEFAULT_TIMEOUT):
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.transcript = []

    @classmethod
    def connect(cls, port, host="127.0.0.1", tls=None, server_hostname="localhost",
                timeout=DEFAULT_TIMEOUT):
        """Connect to host:port; with tls=<SSLContext>, implicit TLS."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect((host, port))
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=server_hostname)
        return cls(sock, timeout)

    # --- sending ---
    def send(self, data):
        """Send raw bytes (or str, UTF-8) with nothing appended."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def send_line(self, line):
        """Send one line; CRLF is appended."""
        self.transcript.append("C: " + (line if isinstance(line, str) else line.decode("utf-8", "replace")))
        self.send((line.encode("utf-8") if isinstance(line, str) else line) + b"\r\n")

    # --- receiving ---
    def _fill(self, timeout):
        """Read more bytes into the buffer; raise on timeout or EOF."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            raise ClientTimeout(f"no complete line within {timeout}s; buffered {self.buf!r}; "
                                f"transcript tail {self.transcript[-5:]}") from None
        if not data:
            raise ConnectionClosed(f"connection closed; buffered {self.buf!r}")
        self.buf += data

    def _deadline_left(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ClientTimeout(f"timed out; buffered {self.buf!r}; "
                                f"transcript tail {self.transcript[-5:]}")
        return left

    def read_bytes(self, n, timeout=None):
        """Exactly n raw bytes (e.g. the body of an IMAP literal)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            self._fill(self._deadline_left(deadline))
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_line(self, timeout=None):
        """The next line, without CRLF (or bare LF)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\n" not in self.buf:
            self._fill(self._deadline_left(deadline))
        raw, self.buf = self.buf.split(b"\n", 1)
        line = raw.rstrip(b"\r").decode("utf-8", "surrogateescape")
        self.transcript.append("S: " + line)
        return line

    _LITERAL = re.compile(r"\{(\d+)\+?\}$")

    def read_imap_line(self, timeout=None):
        """One IMAP response line with its literals inlined: "{n}" + CRLF + n bytes
        are kept in the returned string as "{n}\\r\\n<bytes>"."""
        line = self.read_line(timeout)
        while True:
            m = self._LITERAL.search(line)
            if not m:
                return line
            data = self.read_bytes(int(m.group(1)), timeout)
            line += "\r\n" + data.decode("utf-8", "surrogateescape") + self.read_line(timeout)

    def read_until(self, tag, timeout=None):
        """IMAP: every response line up to and including the one tagged `tag`.
        Returns the list of lines; the last one starts with "<tag> "."""
        deadline = time.monotonic() + (timeout or self.timeout)
        lines = []
        while True:
            line = self.read_imap_line(self._deadline_left(deadline))
            lines.append(line)
            if line.startswith(tag + " "):
                return lines

    def command(self, tag, text, timeout=None):
        """IMAP: send "<tag> <text>" and return read_until(tag)."""
        self.send_line(f"{tag} {text}")
        return self.read_until(tag, timeout)

    def expect(self, regex, timeout=None):
        """Read the next line and assert it matches regex (re.search); return the match."""
        line = self.read_line(timeout)
        m = re.search(regex, line)
        assert m, f"expected /{regex}/, got {line!r}"
        return m

    def expect_eof(self, timeout=None):
        """Assert that the peer closes the connection with no further data."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                self._fill(self._deadline_left(deadline))
            except ConnectionClosed:
                assert not self.buf, f"unexpected data before EOF: {self.buf!r}"
                return
            except (ConnectionResetError, ssl.SSLError):
                return

    # --- TLS ---
    def starttls(self, context, server_hostname="localhost"):
        """Wrap the connection in TLS (after the server's go-ahead to STARTTLS/STLS).
        Refuses if the server already sent bytes that were not read: those would
        be plaintext injected before the handshake."""
        assert not self.buf, f"data after the STARTTLS response: {self.buf!r}"
        self.sock.settimeout(self.timeout)
        self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)

    @property
    def is_tls(self):
        return isinstance(self.sock, ssl.SSLSocket)

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Listener:
    """An inetd-style loopback listener: one process per accepted connection."""

    def __init__(self, instance, argv, family):
        self.instance = instance
        self.argv = list(argv)
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((loopback(family), 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"chapar-listener-{self.port}")
        self.thread.start()

    def _run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        try:
            while not self.stop.is_set():
                if not sel.select(timeout=0.1):
                    continue
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    continue
                try:
                    conn.setblocking(True)
                    self.instance._start(self.argv, conn.fileno(), conn.fileno(),
                                         label="conn")
                except Exception as e:   # keep serving; report at teardown
                    self.errors.append(repr(e))
                finally:
                    conn.close()
        finally:
            sel.close()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


class Instance:
    """A private Chapar instance in `directory`; see the module docstring."""

    DEFAULT_OPTIONS = {
        "configdirectory": "{conf}",
        "partition-default": "{spool}",
        "admins": "admin",
        "servername": REALM_DEFAULT,
        "sasl_pwcheck_method": "auxprop",
        "sasl_auxprop_plugin": "sasldb",
        "sasl_sasldb_path": "{conf}/sasldb2",
        "tls_server_cert": "{tls}/server.crt",
        "tls_server_key": "{tls}/server.key",
        "allowplaintext": "yes",
        # Smaller Berkeley DB lock tables than the production default:
        # hundreds of instances are made in a run, each writing its
        # region (about 8 MB at 50000).  Room for 2,000+ sessions.
        "berkeley_locks_max": "10000",
    }

    def __init__(self, directory, tls_pair, options=None, users=None, build=None):
        """directory: an empty private dir (pytest's tmp_path).
        tls_pair: (cert, key) to copy in.  options: extra/overriding imapd.conf
        options (value None removes one).  users: {name: password}, default
        DEFAULT_USERS.  build: build directory, default builddir()."""
        _become_subreaper()
        self.dir = str(directory)
        self.conf_dir = os.path.join(self.dir, "conf")
        self.spool_dir = os.path.join(self.dir, "spool")
        self.tls_dir = os.path.join(self.dir, "tls")
        self.stderr_dir = os.path.join(self.dir, "stderr")
        self.config_path = os.path.join(self.dir, "imapd.conf")
        self.log_path = os.path.join(self.dir, "chapar.log")
        self.build = build or builddir()
        self.env = dict(os.environ, CHAPAR_LOG_FILE=self.log_path)
        self.procs = []            # every Popen started, in order
        self._lock = threading.Lock()
        self._listeners = []
        self._clients = []
        self._pgids = set()
        self._nstarted = 0
        self._torn_down = False
        self.term_grace = TERM_GRACE  # seconds from SIGTERM to SIGKILL at teardown

        for d in [self.dir, self.conf_dir, self.spool_dir, self.tls_dir, self.stderr_dir] + \
                 [os.path.join(self.conf_dir, s) for s in CONFIG_SUBDIRS]:
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o700)
        cert, key = tls_pair
        self.cert_path = os.path.join(self.tls_dir, "server.crt")
        self.key_path = os.path.join(self.tls_dir, "server.key")
        shutil.copyfile(cert, self.cert_path)
        shutil.copyfile(key, self.key_path)
        os.chmod(self.key_path, 0o600)

        subst = {"conf": self.conf_dir, "spool": self.spool_dir, "tls": self.tls_dir}
        self.options = {k: v.format(**subst) for k, v in self.DEFAULT_OPTIONS.items()}
        self.users = {}
        self.rewrite_config(options or {})
        for name, pw in (DEFAULT_USERS if users is None else users).items():
            self.add_user(name, pw)

    # --- configuration ---
    @property
    def sasldb_path(self):
        return self.options["sasl_sasldb_path"]

    @property
    def realm(self):
        """The SASL realm users live in: the servername (the server's FQDN for SASL)."""
        return self.options.get("servername", REALM_DEFAULT)

    def rewrite_config(self, options=None):
        """Merge options into the current ones (None removes an option) and
        rewrite imapd.conf atomically.  Booleans become yes/no."""
        for k, v in (options or {}).items():
            if v is None:
                self.options.pop(k, None)
            elif isinstance(v, bool):
                self.options[k] = "yes" if v else "no"
            else:
                self.options[k] = str(v)
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write("# imapd.conf written by tests/proto/chapar_instance.py\n")
            for k, v in self.options.items():
                f.write(f"{k}: {v}\n")
        os.replace(tmp, self.config_path)

    def read_config(self):
        with open(self.config_path) as f:
            return f.read()

    # --- users ---
    def add_user(self, name, password):
        """Create or replace name@<realm> in the sasldb (real saslpasswd2)."""
        r = subprocess.run([SASLPASSWD2, "-f", self.sasldb_path, "-p", "-c",
                            "-u", self.realm, name],
                           input=password.encode(), capture_output=True)
        if r.returncode != 0:
            pytest.fail(f"saslpasswd2 failed for {name}: {r.stderr.decode(errors='replace')}")
        self.users[name] = password

    def delete_user(self, name):
        r = subprocess.run([SASLPASSWD2, "-f", self.sasldb_path, "-d",
                            "-u", self.realm, name], capture_output=True)
        if r.returncode != 0:
            pytest.fail(f"saslpasswd2 -d failed for {name}: {r.stderr.decode(errors='replace')}")
        self.users.pop(name, None)

    def list_sasldb(self):
        """Lines of `sasldblistusers2 -f <sasldb>`, e.g. "alice@chapar.test: userPassword"."""
        r = subprocess.run([SASLDBLISTUSERS2, "-f", self.sasldb_path],
                           capture_output=True, text=True, check=True)
        return r.stdout.splitlines()

    # --- programs ---
    def program(self, relpath):
        """Absolute path of a built program, e.g. program("imap/imapd/imapd")."""
        return find_program(relpath, self.build)

    def argv(self, relpath, *args):
        """[program(relpath), "-C", <imapd.conf>, *args], with -U after the
        -C when running as root and the program is one of ROOT_REFUSING."""
        root = ["-U"] if relpath in ROOT_REFUSING and os.geteuid() == 0 else []
        return [self.program(relpath), "-C", self.config_path, *root, *args]

    def _start(self, argv, stdin, stdout, label, **kw):
        """Start argv in its own process group and track it."""
        with self._lock:
            if self._torn_down:
                raise RuntimeError("instance already torn down")
            self._nstarted += 1
            n = self._nstarted
        name = os.path.basename(argv[0])
        errpath = os.path.join(self.stderr_dir, f"{n:03d}-{label}-{name}.err")
        env = dict(self.env, **kw.pop("env", {}))
        with open(errpath, "wb") as err:
            p = subprocess.Popen(argv, stdin=stdin, stdout=stdout,
                                 stderr=kw.pop("stderr", err), env=env,
                                 start_new_session=True, **kw)
        p.stderr_path = errpath
        with self._lock:
            self.procs.append(p)
            self._pgids.add(p.pid)
            for q in self.procs:       # reap connections that have ended
                q.poll()
        return p

    def serve_tcp(self, argv, family=socket.AF_INET):
        """Listen on a free loopback port (127.0.0.1, or ::1 with AF_INET6) and run
        argv inetd style for each connection: the connection is its stdin and
        stdout, stderr goes to <dir>/stderr/.  Returns the port."""
        if family == socket.AF_INET6 and not ipv6_available():
            pytest.skip("IPv6 loopback ::1 not available")
        lst = _Listener(self, argv, family)
        self._listeners.append(lst)
        return lst.port

    def socketpair(self, argv):
        """Run argv with one end of a socketpair as stdin/stdout; returns
        (our socket, Popen)."""
        ours, theirs = socket.socketpair()
        try:
            p = self._start(argv, theirs.fileno(), theirs.fileno(), label="pair")
        finally:
            theirs.close()
        self._clients.append(ours)
        return ours, p

    def spawn(self, argv, **kw):
        """Start a daemon (or any program) with stdin from /dev/null; keyword
        arguments go to subprocess.Popen (env= is merged into the instance env)."""
        stdin = kw.pop("stdin", subprocess.DEVNULL)
        stdout = kw.pop("stdout", None)
        if stdout is None:
            stdout = subprocess.DEVNULL
        return self._start(argv, stdin, stdout, label="spawn", **kw)

    def wait_for_port(self, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT, proc=None):
        """Wait until host:port accepts a connection; fail early if proc exits."""
        deadline = time.monotonic() + timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        while True:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                try:
                    s.connect((host, port))
                    return
                except OSError:
                    pass
            if proc is not None and proc.poll() is not None:
                pytest.fail(f"{proc.args[0]} exited with {proc.returncode} before "
                            f"listening on {host}:{port}; stderr: {self._stderr_tail(proc)}")
            if time.monotonic() > deadline:
                pytest.fail(f"nothing listening on {host}:{port} after {timeout}s")
            time.sleep(0.05)

    def _stderr_tail(self, proc, n=2000):
        with contextlib.suppress(OSError), open(proc.stderr_path, errors="replace") as f:
            return f.read()[-n:]
        return ""

    # --- clients ---
    def client_context(self):
        """An SSLContext that trusts only this instance's certificate
        (hostname "localhost", or 127.0.0.1 / ::1)."""
        ctx = ssl.create_default_context(cafile=self.cert_path)
        return ctx

    def server_context(self):
        """An SSLContext serving this instance's certificate (for fake servers in tests)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_path, self.key_path)
        return ctx

    def connect(self, port, host="127.0.0.1", tls=False, timeout=DEFAULT_TIMEOUT):
        """A LineClient to host:port (implicit TLS with tls=True); closed at teardown."""
        c = LineClient.connect(port, host, tls=self.client_context() if tls else None,
                               timeout=timeout)
        self._clients.append(c)
        return c

    # --- log ---
    def log_lines(self):
        """Lines of CHAPAR_LOG_FILE so far (empty if none yet)."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def wait_for_log(self, regex, timeout=5.0):
        """Wait for a log line matching regex (re.search); return the match."""
        deadline = time.monotonic() + timeout
        pat = re.compile(regex)
        while True:
            for line in self.log_lines():
                m = pat.search(line)
                if m:
                    return m
            if time.monotonic() > deadline:
                pytest.fail(f"no log line matching /{regex}/ within {timeout}s; log tail:\n"
                            + "\n".join(self.log_lines()[-20:]))
            time.sleep(0.05)

    # --- teardown ---
    def kill(self, proc, sig=signal.SIGKILL):
        """Send sig to one tracked process (e.g. to simulate a crash)."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)

    def pids(self):
        return [p.pid for p in self.procs]

    def teardown(self):
        """Stop listeners, SIGTERM every process group started, SIGKILL after
        self.term_grace seconds, reap.  Idempotent; never hangs."""
        with self._lock:
            if self._torn_down:
                return
            self._torn_down = True
        for lst in self._listeners:
            lst.close()
        for c in self._clients:
            with contextlib.suppress(OSError):
                c.close()
        live = [p for p in self.procs if p.poll() is None]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pgid in self._pgids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, sig)
            deadline = time.monotonic() + self.term_grace
            while time.monotonic() < deadline:
                self._reap_orphans(kill=(sig == signal.SIGKILL))
                if all(p.poll() is not None for p in live) and not self._orphans():
                    break
                time.sleep(0.02)
        for p in live:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=1)
        self._reap_orphans(kill=True)
        errors = [e for lst in self._listeners for e in lst.errors]
        if errors:
            raise RuntimeError(f"listener errors: {errors}")

    def _orphans(self):
        """Descendants re-parented to us (we are a subreaper) from our groups."""
        tracked = {p.pid for p in self.procs}
        return [pid for pid, pgid in _children_of_self()
                if pgid in self._pgids and pid not in tracked]

    def _reap_orphans(self, kill):
        """Reap exited orphans; with kill, SIGKILL the live ones first."""
        for pid in self._orphans():
            if kill:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                       "runtime error:")

    def sanitizer_reports(self):
        """Lines of ASan/UBSan reports in the stderr files of the programs
        this instance started (servers built with --enable-sanitizers report
        there); the fixture fails the test when there are any."""
        found = []
        d = os.path.join(self.dir, "stderr")
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), errors="replace") as f:
                for line in f:
                    if any(m in line for m in self.SANITIZER_MARKS):
                        found.append(f"{name}: {line.rstrip()}")
        return found

    def debug_dump(self, n=40):
        """Log tail and non-empty stderr files, for failure reports."""
        out = [f"--- {self.log_path} (last {n} lines)"] + self.log_lines()[-n:]
        for p in self.procs:
            tail = self._stderr_tail(p)
            if tail:
                out += [f"--- stderr of pid {p.pid} {p.args}", tail]
        return "\n".join(out)
