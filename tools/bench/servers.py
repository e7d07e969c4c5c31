"""Private loopback instances of Chapar, Cyrus and Dovecot with the same users.

Each server lives in its own temporary directory, listens on free 127.0.0.1
ports and is stopped by the pid of the master process it was started as.
Cyrus and Dovecot come from Debian: cyrus-imapd and dovecot-imapd conflict
(both provide imap-server), so dovecot-imapd, dovecot-lmtpd and cyrus-common
(master, lmtpd) are installed with apt-get while cyrus-imapd (imapd only) is
downloaded and unpacked into a private directory, not installed.  The
policy-rc.d hook keeps apt from starting the system daemons; any that were
started anyway are stopped with 'service ... stop'.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CYRBIN = "/usr/lib/cyrus/bin"
CYRUS_IMAPD_CACHE = "/var/tmp/chapar-bench-cyrus-imapd"
# sessions at once per server: the held-connection rows open up to 1,000
# (--idle-connections more), plus the harness's own
MAXCHILD = 2100


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} not answering after {timeout}s")


def make_cert(top):
    """One self-signed RSA 2048 certificate for every server (CN and
    subjectAltName localhost); returns (cert, key) paths.  Each server
    reads a copy in its own directory, owned by its user."""
    cert, key = os.path.join(top, "tls.crt"), os.path.join(top, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "30", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def saslpasswd(path, users, realm="localhost"):
    for u, pw in users.items():
        subprocess.run(["saslpasswd2", "-f", path, "-p", "-c", "-u", realm, u],
                       input=pw.encode(), check=True)


def dpkg_installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       capture_output=True, text=True)
    return r.stdout.endswith("installed") and "not-installed" not in r.stdout


def _apt(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "-q", "-y", "--no-install-recommends", *args],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def install(names, log):
    """Install what the selected servers need; stop daemons apt started."""
    want = []
    if "dovecot" in names:
        want += [p for p in ("dovecot-imapd", "dovecot-lmtpd") if not dpkg_installed(p)]
    if "cyrus" in names and not dpkg_installed("cyrus-common"):
        want.append("cyrus-common")
    if want:
        log(f"apt-get install {' '.join(want)}")
        _apt("install", *want)
        for svc in ("dovecot", "cyrus-imapd"):
            if os.path.exists(f"/etc/init.d/{svc}"):
                subprocess.run(["service", svc, "stop"], capture_output=True)
    if "cyrus" in names:
        imapd = os.path.join(CYRUS_IMAPD_CACHE, "usr/lib/cyrus/bin/imapd")
        if not os.path.exists(imapd):
            log("apt-get download cyrus-imapd (unpacked privately, not installed)")
            os.makedirs(CYRUS_IMAPD_CACHE, exist_ok=True)
            subprocess.run(["apt-get", "-q", "download", "cyrus-imapd"], check=True,
                           cwd=CYRUS_IMAPD_CACHE, capture_output=True)
            deb = [f for f in os.listdir(CYRUS_IMAPD_CACHE) if f.endswith(".deb")][0]
            subprocess.run(["dpkg-deb", "-x", deb, "."], check=True, cwd=CYRUS_IMAPD_CACHE)


def tree_pids(root):
    """root and all its descendants, from /proc."""
    parent = {}
    for n in os.listdir("/proc"):
        if n.isdigit():
            try:
                with open(f"/proc/{n}/stat") as f:
                    parent[int(n)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, pp in parent.items() if pp == p]
    return out


def private_kb(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for ln in f:
                    if ln.startswith(("Private_Clean:", "Private_Dirty:")):
                        total += int(ln.split()[1])
        except OSError:
            pass
    return total


def serving_pids(server_port, client_ports):
    """Pids holding the server end of the given loopback connections: the
    sockets in /proc/net/tcp with local port server_port and a remote port
    in client_ports, then whoever has them open in /proc/*/fd."""
    inodes = set()
    with open("/proc/net/tcp") as f:
        for ln in f.readlines()[1:]:
            w = ln.split()
            if (int(w[1].split(":")[1], 16) == server_port
                    and int(w[2].split(":")[1], 16) in client_ports):
                inodes.add(f"socket:[{w[9]}]")
    pids = set()
    for n in os.listdir("/proc"):
        if not n.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{n}/fd"):
                if os.readlink(f"/proc/{n}/fd/{fd}") in inodes:
                    pids.add(int(n))
                    break
        except OSError:
            pass
    return pids


def disk_files(paths, skip=None):
    """{path: bytes allocated (st_blocks)} for the files under paths,
    leaving out those for which skip(path) is true."""
    sizes = {}
    for top in paths:
        for d, _, files in os.walk(top):
            for f in files:
                path = os.path.join(d, f)
                if skip and skip(path):
                    continue
                try:
                    sizes[path] = os.lstat(path).st_blocks * 512
                except OSError:
                    pass
    return sizes


def disk_bytes(paths, skip=None):
    """Bytes allocated to the files under paths and to the directories
    holding them (a directory's blocks grow with its entries: one per
    message in a one-file-per-message store, longer names cost more)."""
    dirs = 0
    for top in paths:
        for d, _, _ in os.walk(top):
            try:
                dirs += os.lstat(d).st_blocks * 512
            except OSError:
                pass
    return dirs + sum(disk_files(paths, skip).values())


def disk_growth(before, after, per, top=6):
    """Where the bytes went between two disk_files() snapshots, per
    message: "name 123, ..." for the file kinds that grew most (digits in
    a file name count as one kind: log.0000000003 is log.N)."""
    kinds = {}
    for path, size in after.items():
        grown = size - before.get(path, 0)
        if grown:
            kind = re.sub(r"[0-9]+", "N", os.path.basename(path))
            kinds[kind] = kinds.get(kind, 0) + grown
    ranked = sorted(kinds.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{k} {v / per:,.0f}" for k, v in ranked)


# One file per message: "<uid>." in Cyrus's and Chapar's spools, anything
# in a maildir's cur/, new/ or tmp/.
_SPOOL_MESSAGE = re.compile(r"/[0-9]+\.$")
_MAILDIR_MESSAGE = re.compile(r"/(cur|new|tmp)/[^/]+$")


class Server:
    name = "?"

    @staticmethod
    def is_message(path):
        return bool(_SPOOL_MESSAGE.search(path))
    admin = True           # has an IMAP admin that must CREATE user INBOXes

    def __init__(self, top, users, build=None, prefork=0, cert=None):
        self.dir = os.path.join(top, self.name)
        os.makedirs(self.dir)
        self.users = users
        self.build = build
        self.prefork = prefork          # Chapar and Cyrus imap service
        self.cert = cert                # (cert, key) from make_cert, or None
        self.imap_port, self.lmtp_port = free_port(), free_port()
        self.proc = None

    def spawn(self, argv, env=None):
        self.errf = open(os.path.join(self.dir, "stderr.log"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.errf, stderr=self.errf,
                                     env=env, start_new_session=True)
        wait_port(self.imap_port, self.proc)
        wait_port(self.lmtp_port, self.proc)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # children that outlived their master (same session): by pid
        for p in tree_pids(self.proc.pid) if self.proc else []:
            if p != self.proc.pid:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass

    def pids(self):
        return tree_pids(self.proc.pid)

    def rcpt(self, user):
        return user


class Chapar(Server):
    name = "chapar"

    def start(self):
        d = self.dir
        if self.cert:                   # mkinstance keeps an existing key
            os.makedirs(os.path.join(d, "tls"))
            shutil.copy(self.cert[0], os.path.join(d, "tls/server.crt"))
            shutil.copy(self.cert[1], os.path.join(d, "tls/server.key"))
        subprocess.run([os.path.join(REPO, "tools/mkinstance"), d, "admin",
                        "adminpw"], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(d, "imapd.conf"), "a") as f:
            f.write("failedloginpause: 0\n")
        saslpasswd(os.path.join(d, "conf/sasldb2"), self.users)
        table = os.path.join(d, "cyrus.conf")
        with open(table, "w") as f:
            f.write(f'imap cmd="imapd" listen="127.0.0.1:{self.imap_port}" '
                    f'prefork={self.prefork} maxchild={MAXCHILD}\n'
                    f'lmtp cmd="lmtpd" listen="127.0.0.1:{self.lmtp_port}" '
                    f'maxchild=20\n')
        with open(os.path.join(d, "imapd.conf"), "a") as f:
            f.write(f"hosts_allow: {d}/hosts.allow\nhosts_deny: {d}/hosts.deny\n")
        env = dict(os.environ, CHAPAR_LOG_FILE=os.path.join(d, "chapar.log"))
        self.spawn([os.path.join(self.build, "imap/server/master"), "-U",
                    "-C", os.path.join(d, "imapd.conf"), "-M", table,
                    "-D", os.path.join(self.build, "imap", "imapd"),
                    "-D", os.path.join(self.build, "deliver")], env=env)

    def data_dirs(self):
        return [os.path.join(self.dir, "spool"), os.path.join(self.dir, "conf")]


class Cyrus(Server):
    name = "cyrus"

    def start(self):
        d = self.dir
        for sub in ("conf/db", "conf/socket", "conf/proc", "conf/log", "conf/lock",
                    "spool", "sieve"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        conf = os.path.join(d, "imapd.conf")
        with open(conf, "w") as f:
            f.write(f"""configdirectory: {d}/conf
partition-default: {d}/spool
sievedir: {d}/sieve
admins: admin
servername: localhost
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {d}/conf/sasldb2
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
unixhierarchysep: no
altnamespace: no
virtdomains: off
lmtpsocket: {d}/conf/socket/lmtp
idlesocket: {d}/conf/socket/idle
notifysocket: {d}/conf/socket/notify
syslog_prefix: cyrus-bench
proc_path: {d}/conf/proc
mboxname_lockpath: {d}/conf/lock
""")
            if self.cert:
                for src, dst in zip(self.cert, ("conf/tls.crt", "conf/tls.key")):
                    shutil.copy(src, os.path.join(d, dst))
                f.write(f"tls_server_cert: {d}/conf/tls.crt\n"
                        f"tls_server_key: {d}/conf/tls.key\n")
        saslpasswd(os.path.join(d, "conf/sasldb2"), dict(self.users, admin="adminpw"))
        imapd = os.path.join(CYRUS_IMAPD_CACHE, "usr/lib/cyrus/bin/imapd")
        table = os.path.join(d, "cyrus.conf")
        with open(table, "w") as f:
            f.write(f"""START {{
  recover cmd="{CYRBIN}/ctl_cyrusdb -C {conf} -r"
}}
SERVICES {{
  imap cmd="{imapd} -C {conf}" listen="127.0.0.1:{self.imap_port}" prefork={self.prefork} maxchild={MAXCHILD}
  lmtp cmd="{CYRBIN}/lmtpd -C {conf} -a" listen="127.0.0.1:{self.lmtp_port}" prefork=0 maxchild=20
}}
EVENTS {{
}}
""")
        cy = pwd.getpwnam("cyrus")
        for dd, dirs, files in os.walk(d):
            for n in dirs + files:
                os.chown(os.path.join(dd, n), cy.pw_uid, cy.pw_gid)
        os.chown(d, cy.pw_uid, cy.pw_gid)
        os.chmod(os.path.dirname(d), 0o755)
        # Cyrus master does not pass -C on: every cmd above has its own.
        self.spawn([f"{CYRBIN}/master", "-C", conf, "-M", table,
                    "-p", os.path.join(d, "master.pid")])

    def data_dirs(self):
        return [os.path.join(self.dir, "spool"), os.path.join(self.dir, "conf")]


class Dovecot(Server):
    name = "dovecot"
    admin = False          # LMTP and LOGIN create the INBOX

    def start(self):
        d = self.dir
        for sub in ("run", "state", "mail"):
            os.makedirs(os.path.join(d, sub))
        mail = pwd.getpwnam("mail")
        os.chown(os.path.join(d, "mail"), mail.pw_uid, mail.pw_gid)
        os.chmod(os.path.dirname(d), 0o755)
        os.chmod(d, 0o755)
        with open(os.path.join(d, "users"), "w") as f:
            for u, pw in self.users.items():
                f.write(f"{u}:{{PLAIN}}{pw}\n")
        conf = os.path.join(d, "dovecot.conf")
        ssl = (f"ssl = yes\nssl_cert = <{self.cert[0]}\nssl_key = <{self.cert[1]}"
               if self.cert else "ssl = no")
        with open(conf, "w") as f:
            f.write(f"""# private benchmark instance
instance_name = chapar-bench-dovecot
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
first_valid_uid = {mail.pw_uid}
default_process_limit = {MAXCHILD}
default_client_limit = {2 * MAXCHILD}
mail_max_userip_connections = {MAXCHILD}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={d}/mail/%u
}}
protocol imap {{
  mail_plugins = $mail_plugins zlib imap_zlib
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
""")
        self.spawn(["dovecot", "-F", "-c", conf])

    def data_dirs(self):
        return [os.path.join(self.dir, "mail")]

    @staticmethod
    def is_message(path):
        return bool(_MAILDIR_MESSAGE.search(path))


CLASSES = {"chapar": Chapar, "cyrus": Cyrus, "dovecot": Dovecot}
