"""The cost of one connection: what an imapd process started by master loads.

imapd is exec'ed for every connection, so every library it maps is paid for
per connection.  A plaintext session that logs in with LOGIN needs neither
OpenSSL (imapd loads it at STARTTLS or APPEND: lib/openssl_dl.c) nor SASL's
mechanism plugins (master hands imapd the mechanism lists; LOGIN loads only
the auxprop plugin, and SASL is unloaded after login).  The wire must not
change: the greeting and CAPABILITY through master (master's lists) equal
those of an imapd started alone (which asks SASL itself).
"""

import os
import re
import subprocess

import pytest

from chapar_instance import free_port
from test_master import children_of, greet, login, start_master
from test_master import login as login_imap

FAST = {"failedloginpause": "0", "autocreatequota": "-1"}


def maps_of(pid):
    with open(f"/proc/{pid}/maps") as f:
        return f.read()


def capabilities(c, tag):
    lines = c.command(tag, "CAPABILITY")
    assert lines[-1] == f"{tag} OK Completed", lines
    return lines[0]


def test_servers_not_linked_with_openssl_or_icu(builddir):
    """OpenSSL, ICU and zlib are loaded at their first use
    (lib/openssl_dl.c, imap/mailstore/icu_dl.c, lib/zlib_dl.c), not with
    every process."""
    for prog in ("imap/imapd/imapd", "imap/pop3d/pop3d"):
        out = subprocess.run(["readelf", "-d", os.path.join(builddir, prog)],
                             capture_output=True, text=True, check=True).stdout
        needed = [ln for ln in out.splitlines() if "(NEEDED)" in ln]
        assert needed and not any("libssl" in ln or "libcrypto" in ln or
                                  "libicu" in ln or "libz." in ln
                                  for ln in needed), (prog, needed)


@pytest.mark.parametrize("plaintext", ["yes", "no"])
def test_greeting_and_capability_same_with_master_lists(make_instance,
                                                         plaintext):
    inst = make_instance(options=dict(FAST, allowplaintext=plaintext))
    port = free_port()
    start_master(inst, [f'imap cmd="imapd" listen="127.0.0.1:{port}"'], (port,))
    alone = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    seen = []
    for p in (port, alone):
        c = greet(inst, p)
        before = capabilities(c, "c1")
        assert c.command("t1", "STARTTLS")[-1] == "t1 OK Begin TLS negotiation now"
        c.starttls(inst.client_context())
        after = capabilities(c, "c2")
        seen.append((before, after))
    assert seen[0] == seen[1]
    before, after = seen[0]
    assert "AUTH=" in after and ("LOGINDISABLED" in before) == (plaintext == "no")


def test_login_session_maps_no_openssl_nor_mechanisms(make_instance):
    inst = make_instance(options=FAST)
    port = free_port()
    p = start_master(inst, [f'imap cmd="imapd" listen="127.0.0.1:{port}"'],
                     (port,))
    # The first login creates the INBOX (a unique id: libcrypto's RNG).
    c = greet(inst, port)
    login(c)
    c.command("o1", "LOGOUT")
    c = greet(inst, port)
    login(c)
    assert c.command("s1", "SELECT INBOX")[-1].startswith("s1 OK")
    pid = int(re.findall(r"imapd\[(\d+)\]: notice: login: ",
                         "\n".join(inst.log_lines()))[-1])
    assert pid in children_of(p.pid)
    maps = maps_of(pid)
    assert "libcrypto" not in maps and "libssl" not in maps
    assert "/sasl2/" not in maps             # no plugin left after login
    # AUTHENTICATE after a failed LOGIN loads every mechanism and works.
    c2 = greet(inst, port)
    assert c2.command("a1", "LOGIN alice wrong")[-1].startswith("a1 NO")
    lines = c2.command("a2", "AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlcHc=")
    assert lines[-1].startswith("a2 OK"), lines
    # STARTTLS loads OpenSSL on demand.
    c3 = greet(inst, port)
    assert c3.command("t1", "STARTTLS")[-1] == "t1 OK Begin TLS negotiation now"
    c3.starttls(inst.client_context())
    login(c3)


def test_pop3_capa_same_and_login_maps_nothing_extra(make_instance):
    """The same for pop3d: CAPA through master equals pop3d alone, and a
    USER/PASS session maps neither OpenSSL nor a mechanism plugin."""
    from test_pop3 import connect, login, multiline
    inst = make_instance(options=FAST)
    port, imap = free_port(), free_port()
    p = start_master(inst, [f'pop3 cmd="pop3d" listen="127.0.0.1:{port}"',
                            f'imap cmd="imapd" listen="127.0.0.1:{imap}"'],
                     (port, imap))
    alone = inst.serve_tcp(inst.argv("imap/pop3d/pop3d"))
    capas = []
    for q in (port, alone):
        c = connect(inst, q)
        capas.append(multiline(c, "CAPA"))
        assert c.apop_stamp
    assert capas[0] == capas[1]
    # Create the INBOX first (a unique id: libcrypto's RNG).
    c = greet(inst, imap)
    login_imap(c)
    c.command("o1", "LOGOUT")
    c = connect(inst, port)
    login(c)
    pid = int(re.findall(r"pop3d\[(\d+)\]: notice: login: ",
                         "\n".join(inst.log_lines()))[-1])
    assert pid in children_of(p.pid)
    maps = maps_of(pid)
    assert "libcrypto" not in maps and "libssl" not in maps
    assert "/sasl2/" not in maps
