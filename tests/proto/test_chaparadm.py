"""tools/chaparadm, the cyradm work-alike, against imap/imapd: batch files,
the commands and their abbreviations, errors and exit status, implicit TLS
and STARTTLS, and a comparison with Debian's cyradm running the same batch.
"""

import os
import shutil
import subprocess

import pytest

import time

from test_imap_clients import Pty, cyradm

OPTIONS = {"failedloginpause": "0"}


def run_adm(inst, port, batch, *opts, user="admin", password="adminpw"):
    """Run chaparadm with the batch on stdin (a pipe: batch mode)."""
    argv = [inst.program("tools/chaparadm"), "-u", user, "-w", password,
            "-p", str(port), *opts, "127.0.0.1"]
    return subprocess.run(argv, input=batch.encode(), capture_output=True,
                          timeout=60)


def out(p):
    return p.stdout.decode(errors="replace")


def err(p):
    return p.stderr.decode(errors="replace")


@pytest.fixture
def server(make_instance):
    inst = make_instance(options=OPTIONS)
    return inst, inst.serve_tcp(inst.argv("imap/imapd/imapd"))


BATCH = """\
# users
cm user.x
sq user.x 1000
cm user.x.sent
createmailbox user.y
cm shared
cm shared.news
"""


def mailbox_names(text):
    return sorted(line.split(" (")[0] for line in text.splitlines() if line.strip())


def test_batch_file_and_listing(server, tmp_path):
    inst, port = server
    f = tmp_path / "batch"
    f.write_text(BATCH + "lm\nlm user.x*\nlq user.x\nlqr user.x.sent\n")
    p = subprocess.run([inst.program("tools/chaparadm"), "-u", "admin", "-w",
                        "adminpw", "-p", str(port), "-f", str(f), "127.0.0.1"],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, err(p)
    assert err(p) == ""
    text = out(p)
    assert "quota:1000\n" in text
    assert "user.x (\\HasChildren)\n" in text
    assert "user.x.sent (\\HasNoChildren)\n" in text
    assert "shared.news (\\HasNoChildren)\n" in text
    assert " STORAGE 0/1000 (0%)\n" in text
    assert "user.x STORAGE 0/1000 (0%)\n" in text
    # lm user.x* lists only those two, sorted
    lines = text.splitlines()
    i = lines.index("user.x (\\HasChildren)", lines.index("quota:1000") + 4)
    assert lines[i + 1] == "user.x.sent (\\HasNoChildren)"


def test_acl_commands(server):
    inst, port = server
    p = run_adm(inst, port, """\
cm user.x
cm user.x.lists
sam user.x.lists alice read
sam user.x.lists bob write
setaclmailbox user.x.lists anyone lrsp
lam user.x.lists
dam user.x.lists bob
listaclmailbox user.x.lists
sam user.x.lists alice none
lam user.x.lists
""")
    assert p.returncode == 0, err(p)
    parts = out(p).split("x lrswipkxtecda\n")
    assert len(parts) == 4
    first, second, third = parts[1], parts[2], parts[3]
    assert "alice lrs\n" in first and "bob lrswipkxtecd\n" in first
    assert "anyone lrsp\n" in first
    assert "bob" not in second and "alice lrs\n" in second
    assert "alice" not in third


def test_rename_user_then_login(server):
    inst, port = server
    # Renaming needs x on the source, like deleting: the admin grants it.
    p = run_adm(inst, port, "cm user.a\ncm user.a.sub\nsq user.a 500\n"
                "sam user.a admin all\nsam user.a.sub admin all\n"
                "renm user.a user.b\nlm\nlq user.b\n")
    assert p.returncode == 0, err(p)
    names = out(p)
    assert "user.b (\\HasChildren)" in names and "user.b.sub" in names
    assert "user.a" not in names
    assert " STORAGE 0/500 (0%)" in names
    inst.add_user("b", "bpw")
    p = run_adm(inst, port, "lm *\n", user="b", password="bpw")
    assert p.returncode == 0, err(p)
    assert "INBOX" in out(p) and "INBOX.sub" in out(p)


def test_delete_quota_none_and_failures(server):
    inst, port = server
    p = run_adm(inst, port, """\
cm user.x
cm user.x.old
sq user.x 1000
dm user.x.old
cm user.x
sam user.x.old admin all
dm user.x.old
sq user.x none
lq user.x
lqr user.x
lm
""")
    # dm before granting x and the second cm fail; the rest goes on
    assert p.returncode == 1
    e = err(p).splitlines()
    assert len(e) >= 3, e
    assert e[0].startswith("deletemailbox: ") and "NOPERM" in e[0]
    assert e[1].startswith("createmailbox: ")
    assert "remove quota\n" in out(p)
    assert "STORAGE" not in out(p).split("remove quota\n")[1]
    assert "user.x.old" not in out(p)
    assert "user.x (\\HasNoChildren)" in out(p)


def test_bad_command_and_usage(server):
    inst, port = server
    p = run_adm(inst, port, "frobnicate\ncm\nhelp\nquit\ncm user.never\n")
    assert p.returncode == 1
    assert "frobnicate: unknown command" in err(p)
    assert ("usage: createmailbox [--partition partition] [--specialuse "
            "roles] name [partition]") in err(p)
    assert "renamemailbox" in out(p) and "renm" in out(p)
    p = run_adm(inst, port, "lm\n")
    assert "user.never" not in out(p)


def test_wrong_password(server):
    inst, port = server
    p = run_adm(inst, port, "lm\n", password="wrong")
    assert p.returncode != 0
    lines = err(p).splitlines()
    assert len(lines) == 1, lines
    assert "authentication failed" in lines[0]
    p = run_adm(inst, port, "lm\n", "-m", "login", password="wrong")
    assert p.returncode != 0
    assert len(err(p).splitlines()) == 1


def test_mechanisms(server):
    inst, port = server
    for mech in ("PLAIN", "login", "CRAM-MD5"):
        p = run_adm(inst, port, "cm user.m%s\nlm user.m*\n" % mech.lower().replace("-", ""),
                    "-m", mech)
        assert p.returncode == 0, (mech, err(p))
        assert "user.m" in out(p)


def test_implicit_tls_and_starttls(make_instance):
    inst = make_instance(options=dict(OPTIONS, allowplaintext="no"))
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    p = run_adm(inst, port, "cm user.t\nlm\n")            # STARTTLS
    assert p.returncode == 0, err(p)
    assert "user.t (\\HasNoChildren)" in out(p)
    p = run_adm(inst, port, "lm\n", "-m", "PLAIN", "--notls")
    assert p.returncode != 0
    tport = inst.serve_tcp(inst.argv("imap/imapd/imapd", "-s"))
    p = run_adm(inst, tport, "lm\n", "-s", "-m", "PLAIN")
    assert p.returncode == 0, err(p)
    assert "user.t (\\HasNoChildren)" in out(p)
    p = run_adm(inst, tport, "lm\n", "-s", "--cafile", inst.cert_path)
    assert p.returncode == 0, err(p)
    # verification against a CA that did not sign the certificate fails
    other = os.path.join(inst.dir, "other.pem")
    shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", other)
    p = run_adm(inst, tport, "lm\n", "-s", "--cafile", other)
    assert p.returncode != 0


def test_same_batch_as_cyradm(make_instance):
    """Debian's cyradm and chaparadm, one batch each, same result."""
    results = []
    for client in ("chaparadm", "cyradm"):
        inst = make_instance(options=OPTIONS)
        port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
        lines = [ln for ln in BATCH.splitlines() if ln and not ln.startswith("#")]
        lines += ["sam user.y admin all", "renm user.y user.z",
                  "sam shared.news alice read"]
        if client == "chaparadm":
            p = run_adm(inst, port, "\n".join(lines) + "\n")
            assert p.returncode == 0, err(p)
        else:
            c = cyradm(port)
            try:
                for ln in lines:
                    c.command(ln)
            finally:
                c.close()
        p = run_adm(inst, port, "lm\nlam shared.news\n")
        results.append((mailbox_names(out(p).split("\n\n")[0]), out(p)))
    assert results[0][1] == results[1][1]
    assert "user.z (\\HasNoChildren)" in results[0][1]


def test_interactive_prompt_and_password(server):
    """On a terminal: the password is asked for without echo, then the
    "<host>> " prompt; a failed command does not end the session."""
    inst, port = server
    c = Pty([inst.program("tools/chaparadm"), "-u", "admin", "-p", str(port),
             "127.0.0.1"])
    try:
        c.until(b"admin@127.0.0.1's password: ")
        time.sleep(0.3)
        os.write(c.fd, b"adminpw\n")
        c.until(b"127.0.0.1> ")
        assert b"adminpw" not in c.out
        assert "error" not in c.command("cm user.i").lower()
        assert "createmailbox: " in c.command("cm user.i")
        assert "user.i (\\HasNoChildren)" in c.command("lm")
        assert "quota:10" in c.command("sq user.i 10")
        assert " STORAGE 0/10 (0%)" in c.command("lq user.i")
        # History (GNU readline): the up arrow brings back "lq user.i".
        start = len(c.out)
        os.write(c.fd, b"\x1b[A\r")
        c.until(b" STORAGE 0/10 (0%)", start)
    finally:
        c.close()
