"""Real mail clients from Debian against a private Chapar (issue 19, "Verify
with real clients"): mbsync (isync) and offlineimap3 synchronise alice's
INBOX and a folder with a local Maildir both ways and converge; mutt opens
the INBOX over IMAP with STARTTLS, deletes and flags; Roundcube, in headless
Chromium, lists a 10,000-message INBOX sorted and threaded and searches it
(CHAPAR_ROUNDCUBE_MESSAGES=<n> changes the size for a quick run by hand).

Each test asserts the end state on the server over IMAP (imaplib) and in the
local Maildir, and reads the client's session from the protocol telemetry
(<configdirectory>/log/alice/<pid>, doc/format.md) where it says something
the end state cannot: that a sync with nothing to do changes nothing.
Everything runs on 127.0.0.1; every program is started and stopped by PID.
"""

import email
import glob
import imaplib
import os
import re
import subprocess
import time

import pytest

from chapar_instance import free_port
from test_imap_clients import Pty

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}
CLIENT_TIMEOUT = 40

# Maildir info letters (maildir(5)) and the IMAP flags they stand for.
MAILDIR_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
                 "S": "\\Seen", "T": "\\Deleted"}

# The messages alice starts with: folder -> [(Message-ID, flags)].
SEED = {
    "INBOX": [("<m1@test>", "\\Seen"), ("<m2@test>", ""),
              ("<m3@test>", "\\Seen \\Flagged"), ("<m4@test>", "\\Answered \\Seen"),
              ("<m5@test>", "")],
    "INBOX.work": [("<w1@test>", "\\Seen"), ("<w2@test>", "")],
}


def message(msgid, subject=None):
    return (f"From: Carol <carol@example.com>\r\nTo: alice@chapar.test\r\n"
            f"Subject: {subject or 'note ' + msgid}\r\n"
            f"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: {msgid}\r\n"
            f"\r\nbody of {msgid}\r\n").encode()


# ---- the server side, over imaplib -------------------------------------------

def imap(port, user="alice", pw="alicepw"):
    m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    m.login(user, pw)
    return m


def seed(port):
    m = imap(port)
    for folder, msgs in SEED.items():
        if folder != "INBOX":
            assert m.create(folder)[0] == "OK"
            assert m.subscribe(folder)[0] == "OK"
        for msgid, flags in msgs:
            typ, _ = m.append(folder, f"({flags})", None, message(msgid))
            assert typ == "OK"
    m.logout()


def server_state(port, folder):
    """{Message-ID: (UID, set of flags)} of folder, read with EXAMINE."""
    m = imap(port)
    typ, _ = m.select(folder, readonly=True)
    assert typ == "OK", folder
    typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    m.logout()
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode()
        uid = int(re.search(r"UID (\d+)", meta).group(1))
        flags = set(re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split())
        flags.discard("\\Recent")
        msgid = email.message_from_bytes(item[1])["Message-ID"]
        out[msgid] = (uid, flags)
    return out


def server_expunge(port, folder, msgid):
    m = imap(port)
    m.select(folder)
    typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID", msgid)
    uid, = data[0].split()
    assert m.uid("STORE", uid, "+FLAGS", "(\\Deleted)")[0] == "OK"
    assert m.expunge()[0] == "OK"
    m.logout()


# ---- the client side, a Maildir ------------------------------------------------

def maildir_files(path):
    return sorted(glob.glob(os.path.join(path, "cur", "*")) +
                  glob.glob(os.path.join(path, "new", "*")))


def maildir_state(path):
    """{Message-ID: (file name, set of IMAP flags)} of the Maildir at path."""
    out = {}
    for f in maildir_files(path):
        with open(f, "rb") as fh:
            msgid = email.message_from_binary_file(fh)["Message-ID"]
        info = os.path.basename(f).partition(":2,")[2]
        out[msgid] = (os.path.basename(f), {MAILDIR_FLAGS[c] for c in info if c in MAILDIR_FLAGS})
    return out


def maildir_set_flags(path, msgid, letters):
    """Rename msgid's file to carry exactly these info letters (a client's flag change)."""
    name, _ = maildir_state(path)[msgid]
    old = [f for f in maildir_files(path) if os.path.basename(f) == name][0]
    base = name.partition(":2,")[0]
    os.rename(old, os.path.join(path, "cur", base + ":2," + "".join(sorted(letters))))


def maildir_deliver(path, msgid):
    """A new message written locally, as an MUA would into new/."""
    name = f"{int(time.time())}.local{abs(hash(msgid))}.client"
    tmp = os.path.join(path, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(message(msgid, "written locally"))
    os.rename(tmp, os.path.join(path, "new", name))


def flags_only(state):
    return {k: v[1] for k, v in state.items()}


# ---- telemetry ------------------------------------------------------------------

def telemetry_dir(inst):
    d = os.path.join(inst.conf_dir, "log", "alice")
    os.makedirs(d, exist_ok=True)
    return d


def sessions(d, mark=b"<"):
    """{pid file name: the client's lines (mark "<") or the server's (">") as text}."""
    out = {}
    for name in os.listdir(d):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = [ln[1:].decode(errors="replace").rstrip("\r")
                         for ln in f.read().split(b"\n") if ln.startswith(mark)]
    return out


def new_commands(d, before):
    """The client's lines of the sessions that are not in `before`."""
    return [ln for name, lines in sessions(d).items() if name not in before
            for ln in lines]


WRITES = re.compile(r"^\S+ (UID )?(STORE|APPEND|EXPUNGE|COPY|MOVE|CREATE|DELETE|RENAME)\b", re.I)


def run_client(argv, **kw):
    """Run a client to completion (stopped by PID on timeout); assert it succeeded."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True, **kw)
    try:
        out, _ = p.communicate(timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        pytest.fail(f"{argv[0]} timed out: {out.decode(errors='replace')}")
    assert p.returncode == 0, (argv, out.decode(errors="replace"))
    return out.decode(errors="replace")


def assert_converged(port, maildirs, local_uid):
    """Server folder and local Maildir hold the same messages with the same
    flags, and the client's record of each file names the server's UID."""
    for folder, path in maildirs.items():
        srv, local = server_state(port, folder), maildir_state(path)
        assert flags_only(srv) == flags_only(local), folder
        assert {i: local_uid(path, n) for i, (n, _) in local.items()} == \
               {i: u for i, (u, _) in srv.items()}, folder


def sync_scenario(inst, port, sync, maildirs, local_uid):
    """The round trip both tests share.  sync() runs the client once;
    maildirs: {server folder: local Maildir path}; local_uid(path, file name)
    is the server UID the client recorded for a local file."""
    tele = telemetry_dir(inst)
    seed(port)
    inbox = maildirs["INBOX"]

    # 1. Initial pull: every message with its flags.
    sync()
    for folder, path in maildirs.items():
        assert flags_only(maildir_state(path)) == \
            {i: set(f.split()) for i, f in SEED[folder]}, folder
    assert_converged(port, maildirs, local_uid)

    # 2. Local flag changes and a new local message; an expunge on the server.
    maildir_set_flags(inbox, "<m2@test>", "FS")
    maildir_set_flags(inbox, "<m3@test>", "")
    maildir_deliver(inbox, "<local1@test>")
    server_expunge(port, "INBOX", "<m5@test>")
    sync()
    srv = server_state(port, "INBOX")
    assert set(srv) == {"<m1@test>", "<m2@test>", "<m3@test>", "<m4@test>", "<local1@test>"}
    assert srv["<m2@test>"][1] == {"\\Flagged", "\\Seen"}
    assert srv["<m3@test>"][1] == set()
    assert srv["<local1@test>"][0] > max(u for u, _ in srv.values() if u != srv["<local1@test>"][0])
    assert_converged(port, maildirs, local_uid)

    # 3. A third sync has nothing to do: no write command, nothing moves.
    before_srv = {f: server_state(port, f) for f in maildirs}
    before_local = {f: maildir_files(p) for f, p in maildirs.items()}
    before = set(sessions(tele))
    sync()
    lines = new_commands(tele, before)
    assert [ln for ln in lines if re.match(r"^\S+ SELECT \S*INBOX", ln)], \
        f"the client's session is not in the telemetry: {lines}"
    assert [ln for ln in lines if WRITES.match(ln)] == []
    assert {f: server_state(port, f) for f in maildirs} == before_srv
    assert {f: maildir_files(p) for f, p in maildirs.items()} == before_local
    return lines


# ---- mbsync -------------------------------------------------------------------

MBSYNC = "/usr/bin/mbsync"


def test_mbsync_converges(make_instance, tmp_path):
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    local = tmp_path / "mbsync"
    local.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(f"""\
IMAPAccount alice
Host localhost
Port {port}
User alice
Pass alicepw
SSLType STARTTLS
CertificateFile {inst.cert_path}
AuthMechs PLAIN
Timeout 10

IMAPStore far
Account alice

MaildirStore near
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel alice
Far :far:
Near :near:
Patterns *
Create Both
Remove None
Expunge Both
Sync All
SyncState *
""")

    def sync():
        run_client([MBSYNC, "-q", "-c", str(rc), "-a"])

    def local_uid(path, name):
        # The sync state pairs the server's UID with the Maildir's (",U=").
        near = int(re.search(r",U=(\d+)", name).group(1))
        with open(os.path.join(path, ".mbsyncstate")) as f:
            pairs = [ln.split() for ln in f if re.match(r"^\d+ \d+ ", ln)]
        far, = [int(a) for a, b, *_ in pairs if int(b) == near]
        return far

    # mbsync drops the personal namespace prefix (NAMESPACE: "INBOX."):
    # INBOX.work is the Maildir "work".
    sync_scenario(inst, port, sync, {"INBOX": str(local / "INBOX"),
                                     "INBOX.work": str(local / "work")}, local_uid)


# ---- offlineimap3 ---------------------------------------------------------------

OFFLINEIMAP = "/usr/bin/offlineimap"


def test_offlineimap_converges(make_instance, tmp_path):
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    local = tmp_path / "offlineimap"
    cfg = tmp_path / "offlineimaprc"
    cfg.write_text(f"""\
[general]
accounts = alice
metadata = {tmp_path}/offlineimap-meta
maxsyncaccounts = 1

[Account alice]
localrepository = near
remoterepository = far

[Repository near]
type = Maildir
localfolders = {local}

[Repository far]
type = IMAP
remotehost = localhost
remoteport = {port}
remoteuser = alice
remotepass = alicepw
ssl = no
starttls = yes
sslcacertfile = {inst.cert_path}
maxconnections = 1
holdconnectionopen = no
""")

    def sync():
        run_client([OFFLINEIMAP, "-u", "quiet", "-o", "-c", str(cfg)],
                   env=dict(os.environ, HOME=str(tmp_path)))

    def local_uid(path, name):
        # offlineimap keeps the server's UID in the file name (",U=").
        return int(re.search(r",U=(\d+)", name).group(1))

    # offlineimap keeps the server's names and separator: INBOX.work.
    sync_scenario(inst, port, sync, {"INBOX": str(local / "INBOX"),
                                     "INBOX.work": str(local / "INBOX.work")}, local_uid)


# ---- mutt -----------------------------------------------------------------------

MUTT = "/usr/bin/mutt"


def test_mutt_reads_flags_and_deletes(make_instance, tmp_path):
    """mutt on a terminal: opens the INBOX over STARTTLS, shows the list,
    deletes the first message, flags the next one, syncs and quits."""
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    seed(port)
    rc = tmp_path / "muttrc"
    rc.write_text(f"""\
set imap_user = alice
set imap_pass = alicepw
set ssl_starttls = yes
set ssl_force_tls = yes
set ssl_ca_certificates_file = {inst.cert_path}
set certificate_file = {tmp_path}/mutt-certs
set folder = imap://alice@localhost:{port}/
set spoolfile = +INBOX
set sort = mailbox-order
set index_format = "%4C %Z %s"
set delete = yes
set quit = yes
set move = no
set mark_old = no
set imap_check_subscribed = no
set header_cache = ""
set message_cachedir = ""
""")
    t = Pty(["env", f"HOME={tmp_path}", "TERM=vt100", "LINES=24", "COLUMNS=80",
             MUTT, "-n", "-F", str(rc), "-f", f"imap://alice@localhost:{port}/INBOX"])
    try:
        t.until(b"note <m5@test>", timeout=20)
        # "=" first entry, d delete (the cursor moves on), F flag, $ sync, q quit.
        start = len(t.out)
        for key in b"=dF$":
            os.write(t.fd, bytes([key]))
            time.sleep(0.2)
        t.until(b"4 kept, 1 deleted.", start)
        os.write(t.fd, b"q")
        t.until(b"Closing connection to localhost", start)
        status = wait_exit(t.pid, 10)
        t.pid = None
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        if t.pid:
            t.close()
        else:
            os.close(t.fd)
    srv = flags_only(server_state(port, "INBOX"))
    assert srv == {"<m2@test>": {"\\Flagged"}, "<m3@test>": {"\\Seen", "\\Flagged"},
                   "<m4@test>": {"\\Answered", "\\Seen"}, "<m5@test>": set()}
    assert re.search(r"^imapd\[\d+\]: notice: login: localhost \[127\.0\.0\.1\] "
                     r"alice SCRAM-SHA-256 TLS$", "\n".join(inst.log_lines()), re.M)


def wait_exit(pid, timeout):
    """waitpid(pid) within timeout seconds; the wait status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} did not exit within {timeout}s")


# ---- Roundcube in headless Chromium ---------------------------------------------

ROUNDCUBE = "/var/lib/roundcube/public_html"
ROUNDCUBE_ETC = "/etc/roundcube"
PHP = "/usr/bin/php"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROUNDCUBE_MESSAGES = int(os.environ.get("CHAPAR_ROUNDCUBE_MESSAGES", "10000"))


def sent_time(i):
    """The Date of big_mbox's message i (1-based): not in arrival order."""
    return 1_500_000_000 + (i * 7919) % 3000 * 86400 + i


def big_mbox(path, n):
    """n messages for an mbox import, in threads of five: message i is
    "topic <(i-1)//5>", a reply (In-Reply-To, References) to i-1 unless it
    starts a thread.  Imported in order, message i gets UID i."""
    with open(path, "wb") as f:
        for i in range(1, n + 1):
            when = time.gmtime(sent_time(i))
            reply = (i - 1) % 5 != 0
            refs = f"In-Reply-To: <r{i - 1}@test>\nReferences: <r{i - 1}@test>\n" if reply else ""
            f.write((f"From carol@example.com {time.strftime('%a %b %d %H:%M:%S %Y', when)}\n"
                     f"From: Carol <carol@example.com>\nTo: alice@chapar.test\n"
                     f"Subject: {'Re: ' if reply else ''}topic {(i - 1) // 5}\n"
                     f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', when)}\n"
                     f"Message-ID: <r{i}@test>\n{refs}\nbody {i}\n\n").encode())


def roundcube_config(tmp_path, inst, port):
    """A private Roundcube configuration directory (ROUNDCUBE_CONFIG_DIR):
    the package's defaults, our IMAP server over STARTTLS, SQLite in tmp."""
    d = tmp_path / "roundcube"
    for sub in ("config", "logs", "temp"):
        (d / sub).mkdir(parents=True)
    for name in ("defaults.inc.php", "mimetypes.php"):
        os.symlink(os.path.join(ROUNDCUBE_ETC, name), d / "config" / name)
    (d / "config" / "config.inc.php").write_text(f"""<?php
$config = [];
$config['db_dsnw'] = 'sqlite:///{d}/roundcube.db?mode=0600';
$config['imap_host'] = 'tls://localhost:{port}';
$config['imap_conn_options'] = ['ssl' => ['verify_peer' => true,
    'cafile' => '{inst.cert_path}', 'peer_name' => 'localhost']];
$config['smtp_host'] = '';
$config['log_dir'] = '{d}/logs/';
$config['temp_dir'] = '{d}/temp/';
$config['imap_debug'] = true;
$config['des_key'] = 'chapar-test-des-key-0123';
$config['plugins'] = [];
$config['skin'] = 'elastic';
$config['enable_installer'] = false;
$config['message_sort_col'] = 'date';
$config['message_sort_order'] = 'DESC';
$config['mail_pagesize'] = 50;
$config['refresh_interval'] = 0;
""")
    return d


def test_roundcube(make_instance, tmp_path):
    """Debian's Roundcube, served by php -S on loopback and driven by headless
    Chromium through Selenium: alice logs in and opens her 10,000-message
    INBOX sorted by date, switches to the threads view and runs a quick
    search.  The telemetry shows what Roundcube asked and Chapar answered:
    LIST (SPECIAL-USE), UID SORT, UID THREAD REFS and UID SEARCH RETURN
    (ESEARCH); the page shows the answers (newest message first, thread
    trees, the search hits, the special folders by role).  Roundcube 1.6.5
    never asks for LIST-STATUS: no caller passes a STATUS return option to
    rcube_imap_generic::listMailboxes, and its unread counts are one STATUS
    per folder.  The time from a click on INBOX to the sorted list shown is
    printed, not asserted."""
    from selenium import webdriver  # python3-selenium, in tools/debian-packages
    from selenium.webdriver.common.by import By
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    # Roles under names Roundcube would not guess: it can only find them by SPECIAL-USE.
    inst = make_instance(options=dict(
        FAST, autocreate_inbox_folders="Outbox | Drafts | Bin | Spam",
        autocreate_subscribe_folders="Outbox | Drafts | Bin | Spam",
        **{"xlist-sent": "Outbox", "xlist-trash": "Bin", "xlist-junk": "Spam"}))
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    imap(port).logout()       # autocreates the INBOX and its folders
    n = ROUNDCUBE_MESSAGES
    big_mbox(tmp_path / "inbox.mbox", n)
    p = subprocess.run([inst.program("tools/chapar-migrate"), "-C", inst.config_path, "-U",
                        "import-mbox", str(tmp_path / "inbox.mbox"), "user.alice"],
                       capture_output=True, timeout=120, env=inst.env)
    assert p.returncode == 0, p.stderr
    m = imap(port)
    m.select("INBOX", readonly=True)
    t0 = time.monotonic()
    typ, data = m.uid("SORT", "(DATE)", "US-ASCII", "ALL")
    print(f"Chapar: UID SORT (DATE) of {n} messages over imaplib "
          f"{(time.monotonic() - t0) * 1000:.0f} ms")
    assert typ == "OK" and len(data[0].split()) == n
    m.logout()
    tele = telemetry_dir(inst)
    rc = roundcube_config(tmp_path, inst, port)
    web = free_port()
    php = inst.spawn([PHP, "-S", f"127.0.0.1:{web}", "-t", ROUNDCUBE],
                     env={"ROUNDCUBE_CONFIG_DIR": str(rc / "config"),
                          "PHP_CLI_SERVER_WORKERS": "4"})
    inst.wait_for_port(web, proc=php)

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--user-data-dir={tmp_path}/chromium", "--window-size=1280,900",
              "--no-proxy-server"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        wait = WebDriverWait(drv, 30)
        js = drv.execute_script
        drv.get(f"http://127.0.0.1:{web}/")
        wait.until(lambda d: d.find_elements(By.ID, "rcmloginuser"))
        drv.find_element(By.ID, "rcmloginuser").send_keys("alice")
        drv.find_element(By.ID, "rcmloginpwd").send_keys("alicepw")
        drv.find_element(By.ID, "rcmloginsubmit").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messagelist tbody tr"))
        wait.until(lambda d: js("return !rcmail.busy"))
        # The special folders, found by their roles.
        roles = {cls: drv.find_element(By.CSS_SELECTOR, f"#mailboxlist li.{cls} > a")
                 .get_attribute("rel") for cls in ("sent", "drafts", "trash", "junk")}
        assert roles == {"sent": "INBOX.Outbox", "drafts": "INBOX.Drafts",
                         "trash": "INBOX.Bin", "junk": "INBOX.Spam"}
        # "listupdate" fires when the rows are shown.
        js("rcmail.addEventListener('listupdate', function(e) {"
           " window.chapar_shown = performance.now(); window.chapar_rows = e.rowcount; });")

        def timed(action):
            """Milliseconds from action (a click) to the list shown."""
            js("window.chapar_shown = null; window.chapar_clicked = performance.now();")
            action()
            wait.until(lambda d: js("return window.chapar_shown"))
            wait.until(lambda d: js("return !rcmail.busy"))
            return js("return window.chapar_shown - window.chapar_clicked")

        inbox = drv.find_element(By.CSS_SELECTOR, "#mailboxlist li.inbox > a")
        clicks = [timed(inbox.click) for _ in range(3)]
        print(f"Roundcube: sorted list (date, descending) of {n} messages, "
              "click to shown: " + ", ".join(f"{ms:.0f} ms" for ms in clicks))
        assert js("return window.chapar_rows") == 50
        newest = max(range(1, n + 1), key=sent_time)
        assert int(js("return rcmail.message_list.get_first_row()")) == newest

        # Threads view, as the list options dialog sets it.
        ms = timed(lambda: js("rcmail.set_list_options(null, 'date', 'DESC', 1)"))
        print(f"Roundcube: threads view {ms:.0f} ms")
        # 50 thread roots on the page, each a chain of five.
        rows = js("return Object.values(rcmail.message_list.rows).map("
                  "function(r) { return [r.depth, r.has_children ? 1 : 0]; })")
        assert sorted(map(tuple, rows)) == sorted([(d, int(d < 4)) for d in range(5)] * 50)

        # A quick search, in arrival order and unthreaded.
        timed(lambda: js("rcmail.set_list_options(null, '', 'ASC', 0)"))
        box = drv.find_element(By.CSS_SELECTOR, "#mailsearchform")
        box.send_keys("topic 1234")
        ms = timed(lambda: box.send_keys("\n"))
        print(f"Roundcube: quick search {ms:.0f} ms")
        assert js("return window.chapar_rows") == 5
    finally:
        drv.quit()

    client = [ln for lines in sessions(tele).values() for ln in lines]
    server = [ln for lines in sessions(tele, b">").values() for ln in lines]
    used = [ln for ln in client if re.match(
        r"^\S+ (LIST \(SPECIAL-USE\)|UID SORT|UID THREAD|UID SEARCH RETURN|LIST .*RETURN)", ln)]
    print("Roundcube's commands:\n  " + "\n  ".join(sorted(set(used))))
    assert 'LIST (SPECIAL-USE) "" "*" RETURN (SUBSCRIBED)' in {ln.split(" ", 1)[1] for ln in used}
    assert any(ln.endswith(' "." "INBOX.Outbox"') and "\\Sent" in ln for ln in server)
    assert any(ln.split(" ", 1)[1] == "UID SORT (DATE) US-ASCII ALL" for ln in used)
    sort = [ln for ln in server if ln.startswith("* SORT ")]
    assert sort and all(len(ln.split()) == n + 2 for ln in sort)
    assert any(ln.split(" ", 1)[1] == "UID THREAD REFS US-ASCII ALL" for ln in used)
    thread = [ln for ln in server if ln.startswith("* THREAD ")]
    assert thread and thread[0].count(")(") == n // 5 - 1
    tag = [ln.split()[0] for ln in used if "UID SEARCH RETURN (ALL)" in ln]
    assert len(tag) == 1
    first = 1234 * 5 + 1
    assert f'* ESEARCH (TAG "{tag[0]}") UID ALL {first}:{first + 4}' in server
