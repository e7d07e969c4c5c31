"""One canonical identity for every way in, and proxy authorization.

A user has exactly one name (imap/mailstore/auth.h): "bob@<defaultdomain>"
and "BOB" (username_tolower) are bob, "bob " and "bob@elsewhere" are nobody
and fail exactly like a wrong password, so a negative ACL entry "-bob"
cannot be walked around and no second INBOX appears.  The same rules hold
for LOGIN, AUTHENTICATE (PLAIN, SCRAM through Debian's imtest), POP3
USER/PASS, APOP and AUTH, LMTP recipients (lmtp_downcase_rcpt), deliver's
arguments and -a, and ACL identifiers.  Admins and proxyservers may
authenticate as themselves and act as another user (SASL authzid); the
session then has that user's rights only; anyone else gets NO
[AUTHORIZATIONFAILED].
"""

import base64
import hashlib
import imaplib
import subprocess

import pytest

from chapar_instance import REALM_DEFAULT
from test_imap_mailbox import Session

IMTEST = "/usr/lib/cyrus/bin/imtest"
USERS = {"admin": "adminpw", "alice": "alicepw", "bob": "bobpw",
         "carol": "carolpw"}
BASE = {"failedloginpause": "0", "autocreatequota": "-1",
        "defaultdomain": REALM_DEFAULT, "proxyservers": "carol"}
AUTHFAIL = "NO [AUTHENTICATIONFAILED] Authentication failed"
AUTHZFAIL = "NO [AUTHORIZATIONFAILED] Not authorized to act as that user"
HIDDEN = "NO [NONEXISTENT] Mailbox does not exist"
# Every mailbox after the setup: no second INBOX for any alias of bob.
BOXES = ["user.alice", "user.alice.team", "user.bob", "user.carol"]
MSG = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"


class Imap(Session):
    """test_imap_mailbox's session, not logged in, with AUTHENTICATE PLAIN."""

    def plain(self, authzid, authcid, password):
        ir = base64.b64encode(f"{authzid}\0{authcid}\0{password}".encode())
        return self.status("AUTHENTICATE PLAIN " + ir.decode())


@pytest.fixture
def setup(make_instance):
    return make_setup(make_instance, {})


def make_setup(make_instance, extra):
    """alice's INBOX.team readable by anyone except bob (-bob lrs), one
    message in alice's INBOX; bob and carol have INBOXes."""
    inst = make_instance(options=dict(BASE, **extra), users=USERS)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    a = Imap(inst, port)
    a.ok("LOGIN alice alicepw")
    a.ok("CREATE INBOX.team")
    a.ok("SETACL INBOX.team anyone lrs")
    a.ok("SETACL INBOX.team -bob lrs")
    assert a.append("INBOX", MSG).startswith("OK")
    for u in ("bob", "carol"):
        Imap(inst, port).ok(f"LOGIN {u} {USERS[u]}")
    return inst, port


def mailboxes(inst, port):
    adm = Imap(inst, port)
    adm.ok("LOGIN admin adminpw")
    return sorted(line.rsplit(" ", 1)[1].strip('"')
                  for line in adm.ok('LIST "" "*"'))


def test_login_aliases_are_bob_or_nobody(setup):
    inst, port = setup
    # bob himself: the negative entry applies.
    c = Imap(inst, port)
    c.ok("LOGIN bob bobpw")
    assert c.status("SELECT user.alice.team") == HIDDEN
    # bob@<defaultdomain> and BOB are bob: the entry still applies.
    for name in (f"bob@{REALM_DEFAULT}", "BOB", f"Bob@{REALM_DEFAULT.upper()}"):
        c = Imap(inst, port)
        c.ok(f'LOGIN "{name}" bobpw')
        assert c.status("SELECT user.alice.team") == HIDDEN, name
        assert c.status("SELECT INBOX").startswith("OK [READ-WRITE]"), name
    inst.wait_for_log(r"^imapd\[\d+\]: notice: login: \S+ \[[^]]+\] bob "
                      r"plaintext$")
    assert "login: " not in "".join(
        l for l in inst.log_lines() if "Bob@" in l or " BOB " in l)
    # White space, another domain, an empty or reserved name: nobody, and
    # the same answer as a wrong password.
    for name in ("bob ", " bob", "b ob", "bob@elsewhere.example", "bob@",
                 "@" + REALM_DEFAULT, "anyone", "-bob", "bob\t"):
        c = Imap(inst, port)
        assert c.status(f'LOGIN "{name}" bobpw') == AUTHFAIL, name
    c = Imap(inst, port)
    assert c.status("LOGIN bob wrongpw") == AUTHFAIL
    # No second INBOX was made for any alias (autocreatequota is on).
    assert mailboxes(inst, port) == BOXES


def test_admin_at_defaultdomain_is_admin(setup):
    inst, port = setup
    c = Imap(inst, port)
    c.ok(f"LOGIN admin@{REALM_DEFAULT} adminpw")
    assert c.status("SETQUOTA user.bob (STORAGE 100)") == "OK Completed"
    inst.wait_for_log(r"^imapd\[\d+\]: notice: login: .* admin plaintext "
                      r"admin$")


def test_without_defaultdomain_any_domain_is_refused(make_instance):
    inst = make_instance(options=dict(BASE, defaultdomain=None), users=USERS)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    c = Imap(inst, port)
    assert c.status(f"LOGIN bob@{REALM_DEFAULT} bobpw") == AUTHFAIL
    assert c.plain("", f"bob@{REALM_DEFAULT}", "bobpw") == AUTHFAIL
    c.ok("LOGIN bob bobpw")


def test_case_sensitive_when_username_tolower_is_off(make_instance):
    inst = make_instance(options=dict(BASE, username_tolower="no"),
                         users=USERS)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    c = Imap(inst, port)
    assert c.status("LOGIN BOB bobpw") == AUTHFAIL
    c.ok("LOGIN bob bobpw")


def test_authenticate_plain_aliases(setup):
    inst, port = setup
    for name in (f"bob@{REALM_DEFAULT}", "BOB"):
        c = Imap(inst, port)
        assert c.plain("", name, "bobpw").startswith("OK [CAPABILITY "), name
        assert c.status("SELECT user.alice.team") == HIDDEN, name
    for name in ("bob ", "bob@elsewhere.example"):
        c = Imap(inst, port)
        assert c.plain("", name, "bobpw") == AUTHFAIL, name
    assert mailboxes(inst, port) == BOXES


def imtest(port, authname, password, mech, commands, authzid=None):
    argv = [IMTEST, "-p", str(port), "-a", authname, "-w", password,
            "-m", mech, "-t", "", "127.0.0.1"]
    if authzid:
        argv[1:1] = ["-u", authzid]
    p = subprocess.run(argv, input=commands + b"z LOGOUT\r\n",
                       capture_output=True, timeout=30)
    return p.stdout.decode(errors="replace")


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5",
                                  "DIGEST-MD5", "LOGIN"])
def test_mechanism_aliases_through_imtest(setup, mech):
    inst, port = setup
    out = imtest(port, f"BOB@{REALM_DEFAULT}", "bobpw", mech,
                 b"a SELECT user.alice.team\r\n")
    assert "Authenticated." in out, out
    assert "a " + HIDDEN in out, out
    out = imtest(port, "bob@elsewhere.example", "bobpw", mech, b"")
    assert "Authenticated." not in out, out


def test_proxy_authorization(setup):
    inst, port = setup
    # admin acting as alice: alice's INBOX, alice's rights, no admin rights.
    c = Imap(inst, port)
    assert c.plain("alice", "admin", "adminpw").startswith("OK [CAPABILITY ")
    assert "* 1 EXISTS" in c.ok("SELECT INBOX")
    assert c.status("SETQUOTA user.bob (STORAGE 100)") == (
        "NO [NOPERM] Only administrators may set quotas")
    assert c.status("SELECT user.bob") == HIDDEN
    inst.wait_for_log(r"^imapd\[\d+\]: notice: login: \S+ \[[^]]+\] alice "
                      r"PLAIN as alice by admin$")
    # A proxyservers entry may too, with its canonical form in either id.
    c = Imap(inst, port)
    assert c.plain(f"ALICE@{REALM_DEFAULT}", "Carol", "carolpw").startswith(
        "OK [CAPABILITY ")
    assert "* 1 EXISTS" in c.ok("SELECT INBOX")
    # Anyone else is refused with AUTHORIZATIONFAILED, after the password
    # was checked (a wrong one is an authentication failure).
    c = Imap(inst, port)
    assert c.plain("alice", "bob", "bobpw") == AUTHZFAIL
    assert c.plain("alice", "bob", "wrongpw") == AUTHFAIL
    assert c.plain("bob", "bob", "bobpw").startswith("OK [CAPABILITY ")
    inst.wait_for_log(r"^imapd\[\d+\]: warning: badlogin: .* PLAIN alice .*"
                      r"bob may not act as alice")


def test_proxy_authorization_with_imtest(setup):
    inst, port = setup
    out = imtest(port, "admin", "adminpw", "PLAIN", b"a SELECT INBOX\r\n",
                 authzid="alice")
    assert "Authenticated." in out, out
    assert "* 1 EXISTS" in out, out
    out = imtest(port, "bob", "bobpw", "PLAIN", b"", authzid="alice")
    assert "Authenticated." not in out, out
    assert AUTHZFAIL in out, out


def test_cyradm_authz(setup):
    """Debian's cyradm --authz: admin's password, alice's session."""
    from test_imap_clients import cyradm
    inst, port = setup
    c = cyradm(port, extra=("--authz", "alice"))
    try:
        out = c.command("lm")
        assert "INBOX.team (\\HasNoChildren)" in out, out
        assert "user.bob" not in out, out
        out = c.command("cm user.dave")
        assert "permission denied" in out.lower(), out
    finally:
        c.close()
    inst.wait_for_log(r"^imapd\[\d+\]: notice: login: .* alice PLAIN as alice "
                      r"by admin$")
    assert "user.dave" not in mailboxes(inst, port)


def test_acl_identifiers_are_canonical(setup):
    inst, port = setup
    a = Imap(inst, port)
    a.ok("LOGIN alice alicepw")
    a.ok(f"SETACL INBOX.team Carol@{REALM_DEFAULT} lr")
    a.ok("SETACL INBOX.team -BOB lrsw")
    acl = a.ok("GETACL INBOX.team")[0]
    assert acl == "* ACL INBOX.team alice lrswipkxtecda anyone lrs -bob lrsw " \
                  "carol lr", acl
    for bad in ('"bo b"', '"carol "', "carol@elsewhere.example", "-", "--bob"):
        assert a.status(f"SETACL INBOX.team {bad} lr") == \
            "BAD Invalid identifier", bad
        assert a.status(f"DELETEACL INBOX.team {bad}") == \
            "BAD Invalid identifier", bad
    a.ok("DELETEACL INBOX.team CAROL")
    a.ok("DELETEACL INBOX.team -Bob")
    assert a.ok("GETACL INBOX.team")[0] == \
        "* ACL INBOX.team alice lrswipkxtecda anyone lrs"
    # LISTRIGHTS knows the owner under any of its names.
    assert a.ok("LISTRIGHTS INBOX ALICE")[0] == \
        "* LISTRIGHTS INBOX ALICE lrswipkxtecda"


# ---- POP3 -------------------------------------------------------------------

def pop3(inst):
    port = inst.serve_tcp(inst.argv("imap/pop3d/pop3d"))
    c = inst.connect(port)
    greeting = c.read_line()
    assert greeting.startswith("+OK")
    c.stamp = greeting[greeting.index("<"):greeting.index(">") + 1]
    return c


def pop(c, line):
    c.send_line(line)
    return c.read_line()


def test_pop3_aliases_and_proxy(setup):
    inst, port = setup
    ok_alice = "+OK Mailbox locked and ready, 1 messages ("
    ok_bob = "+OK Mailbox locked and ready, 0 messages (0 octets)"
    for name in (f"bob@{REALM_DEFAULT}", "BOB"):
        c = pop3(inst)
        assert pop(c, "USER " + name) == "+OK Name is a valid mailbox"
        assert pop(c, "PASS bobpw") == ok_bob, name
        assert pop(c, "QUIT").startswith("+OK")
    inst.wait_for_log(r"^pop3d\[\d+\]: notice: login: .* bob plaintext$")
    for name in ("bob@elsewhere.example", "b\tob"):
        c = pop3(inst)
        pop(c, "USER " + name)
        assert pop(c, "PASS bobpw") == "-ERR [AUTH] Authentication failed"
    # APOP with the name in capitals is bob.
    c = pop3(inst)
    digest = hashlib.md5((c.stamp + "bobpw").encode()).hexdigest()
    assert pop(c, f"APOP BOB {digest}") == ok_bob
    # AUTH PLAIN with an authorization identity.
    c = pop3(inst)
    ir = base64.b64encode(b"alice\0admin\0adminpw").decode()
    assert pop(c, "AUTH PLAIN " + ir).startswith(ok_alice)
    inst.wait_for_log(r"^pop3d\[\d+\]: notice: login: .* alice PLAIN as "
                      r"alice by admin$")
    c = pop3(inst)
    ir = base64.b64encode(b"alice\0bob\0bobpw").decode()
    assert pop(c, "AUTH PLAIN " + ir) == \
        "-ERR [AUTH] Not authorized to act as that user"
    assert mailboxes(inst, port) == BOXES


# ---- LMTP and deliver --------------------------------------------------------

def lmtp_rcpts(inst, rcpts):
    """One LMTP transaction; the RCPT replies."""
    port = getattr(inst, "lmtp_port", None)
    if port is None:
        port = inst.lmtp_port = inst.serve_tcp(inst.argv("deliver/lmtpd"))
    c = inst.connect(port)
    assert c.read_line().startswith("220 ")
    c.send_line("LHLO mx.example.org")
    while c.read_line().startswith("250-"):
        pass
    assert pop(c, "MAIL FROM:<s@example.org>").startswith("250 ")
    replies = [pop(c, f"RCPT TO:<{r}>") for r in rcpts]
    if any(r.startswith("250") for r in replies):
        assert pop(c, "DATA").startswith("354")
        c.send(MSG + b".\r\n")
        for r in replies:
            if r.startswith("250"):
                assert c.read_line().startswith("250 ")
    pop(c, "QUIT")
    return replies


def messages(inst, port, user):
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(user, USERS[user])
    n = int(m.select("INBOX", readonly=True)[1][0])
    m.logout()
    return n


def test_lmtp_recipients_reach_one_user(setup):
    inst, port = setup
    ok = "250 2.1.5 Ok"
    unknown = "550 5.1.1 User unknown"
    assert lmtp_rcpts(inst, ["Bob@x.example", "BOB+Sub@x.example",
                             "bob@x.example", '"bob "@x.example',
                             "b\\ ob@x.example"]) == \
        [ok, ok, ok, unknown, unknown]
    assert messages(inst, port, "bob") == 3
    assert mailboxes(inst, port) == BOXES


def test_lmtp_downcase_rcpt_off(make_instance):
    inst, port = make_setup(make_instance, {"lmtp_downcase_rcpt": "no",
                                            "username_tolower": "no"})
    assert lmtp_rcpts(inst, ["Bob@x.example", "bob@x.example"]) == \
        ["550 5.1.1 User unknown", "250 2.1.5 Ok"]


def test_deliver_arguments_are_canonical(setup):
    inst, port = setup

    def deliver(*args):
        p = subprocess.run(inst.argv("deliver/deliver", *args), input=MSG,
                           capture_output=True, env=inst.env, timeout=60)
        return p.returncode, p.stderr.decode(errors="replace")

    assert deliver("BOB") == (0, "")
    assert deliver(f"Bob@{REALM_DEFAULT}") == (0, "")
    assert deliver("bob ")[0] == 67
    assert messages(inst, port, "bob") == 2
    # -a names the sender's identity the same way: bob's p is BOB's.
    a = Imap(inst, port)
    a.ok("LOGIN alice alicepw")
    a.ok("CREATE INBOX.drop")
    a.ok("SETACL INBOX.drop bob p")
    assert deliver("-a", "BOB", "-m", "user.alice.drop") == (0, "")
    assert deliver("-a", "carol", "-m", "user.alice.drop")[0] == 67  # no p
    assert deliver("-a", "bo b", "alice") == (
        64, "deliver: -a bo b: invalid user name\n")
