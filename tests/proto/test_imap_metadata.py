"""METADATA and METADATA-SERVER (RFC 5464) in imapd: the RFC's examples,
GETMETADATA's options (MAXSIZE with LONGENTRIES, DEPTH 0/1/infinity, the
Cyrus wildcards cyradm uses), SETMETADATA (NIL removes, all or nothing,
MAXSIZE/TOOMANY/NOPRIVATE), bad input (BAD with the reason), the rights
(private entries need l, shared ones r to read and w to write, server
entries are the administrators'), entries following RENAME and going with
DELETE, the server's /shared/motd as the greeting's ALERT, and Debian's
cyradm `info`, `mboxconfig` and `setinfo` plus chaparadm's `mboxconfig`.
Exact wire lines throughout.
"""

import subprocess

from test_imap_mailbox import FAST, NONEXISTENT, Session
from test_imap_clients import cyradm

UNDEFINED = dict(FAST, annotation_allow_undefined="yes")


def serve(make_instance, **options):
    inst = make_instance(options=dict(FAST, **options))
    return inst, inst.serve_tcp(inst.argv("imap/imapd/imapd"))


def literal_command(s, head, data, tail):
    """Send head + {n} + data + tail with a synchronizing literal; the
    untagged lines and the tagged status (without the tag)."""
    s.n += 1
    tag = f"t{s.n}"
    s.c.send(f"{tag} {head}{{{len(data)}}}\r\n".encode())
    assert s.c.read_line().startswith("+ ")
    s.c.send(data + tail.encode() + b"\r\n")
    lines = s.c.read_until(tag)
    return lines[:-1], lines[-1][len(tag) + 1:]


def test_capabilities(make_instance):
    inst, port = serve(make_instance)
    caps = Session(inst, port, "alice").ok("CAPABILITY")[0].split()
    assert "METADATA" in caps and "METADATA-SERVER" in caps


def test_rfc_examples(make_instance):
    """RFC 5464 4.2 and 4.3, with our tagged texts."""
    inst, port = serve(make_instance, annotation_allow_undefined="yes",
                       annotation_maxsize="40")
    s = Session(inst, port, "alice")
    assert literal_command(s, "SETMETADATA INBOX (/private/comment ",
                           b"My new comment across\r\ntwo lines.", ")") == \
        ([], "OK Completed")
    assert s.ok('GETMETADATA "INBOX" /private/comment') == [
        '* METADATA "INBOX" (/private/comment {33}\r\n'
        'My new comment across\r\ntwo lines.)']
    s.ok("SETMETADATA INBOX (/private/comment NIL)")
    assert s.ok('GETMETADATA "INBOX" /private/comment') == [
        '* METADATA "INBOX" (/private/comment NIL)']
    s.ok('SETMETADATA INBOX (/private/comment "My new comment" '
         '/shared/comment "This one is for you!")')
    assert s.ok('GETMETADATA "INBOX" (/shared/comment /private/comment)') == [
        '* METADATA "INBOX" (/shared/comment "This one is for you!" '
        '/private/comment "My new comment")']
    # MAXSIZE leaves the longer value out and names its size.
    assert s.run('GETMETADATA (MAXSIZE 15) "INBOX" '
                 '(/shared/comment /private/comment)') == (
        ['* METADATA "INBOX" (/private/comment "My new comment")'],
        "OK [METADATA LONGENTRIES 20] Completed")
    # DEPTH 1: the entry and its children, not grandchildren.
    s.ok('SETMETADATA INBOX (/private/filters/values/small "By size" '
         '/private/filters/values/boss "By boss" '
         '/private/filters/values/boss/deep "x")')
    assert s.ok('GETMETADATA (DEPTH 1) "INBOX" /private/filters/values') == [
        '* METADATA "INBOX" (/private/filters/values/boss "By boss" '
        '/private/filters/values/small "By size")']
    assert s.ok('GETMETADATA (DEPTH infinity) "INBOX" '
                '/private/filters/values') == [
        '* METADATA "INBOX" (/private/filters/values/boss "By boss" '
        '/private/filters/values/boss/deep "x" '
        '/private/filters/values/small "By size")']
    assert s.ok('GETMETADATA (DEPTH 0) "INBOX" /private/filters/values') == [
        '* METADATA "INBOX" (/private/filters/values NIL)']
    # Options after the mailbox (Cyrus accepts them there too).
    assert s.ok('GETMETADATA "INBOX" (DEPTH 1) /private/filters') == []
    # The limits' responses (4.3).
    assert s.status('SETMETADATA INBOX (/private/comment "%s")' % ("x" * 41)) \
        == "NO [METADATA MAXSIZE 40] The value of /private/comment is too long"


def test_server_entries_and_motd(make_instance):
    """METADATA-SERVER: "" is the server; /shared/motd is the greeting's
    ALERT (msg/motd, as in Cyrus), /shared/vendor/cmu/cyrus-imapd/shutdown
    refuses new sessions."""
    inst, port = serve(make_instance)
    a = Session(inst, port, "admin")
    a.ok('SETMETADATA "" (/shared/comment "Shared comment" '
         '/shared/motd "Maintenance at 22:00")')
    c = inst.connect(port)
    c.expect(r"^\* OK \[CAPABILITY ")
    assert c.read_line() == "* OK [ALERT] Maintenance at 22:00"
    s = Session(inst, port, "bob")
    assert s.ok('GETMETADATA "" (/shared/comment /shared/motd)') == [
        '* METADATA "" (/shared/comment "Shared comment" '
        '/shared/motd "Maintenance at 22:00")']
    assert s.status('SETMETADATA "" (/shared/comment "mine")') == (
        "NO [NOPERM] Cannot set /shared/comment: only administrators set "
        "shared server entries")
    s.ok('SETMETADATA "" (/private/comment "bob\'s")')
    assert s.ok('GETMETADATA "" ("/private/*")') == [
        '* METADATA "" (/private/comment "bob\'s")']
    assert Session(inst, port, "alice").ok(
        'GETMETADATA "" /private/comment') == [
        '* METADATA "" (/private/comment NIL)']
    assert literal_command(a, 'SETMETADATA "" (/shared/motd ', b"a\r\nb",
                           ")")[1] == \
        "NO [CANNOT] Cannot set /shared/motd: the value must be one line"
    a.ok('SETMETADATA "" (/shared/motd NIL)')
    c = inst.connect(port)
    c.expect(r"^\* OK \[CAPABILITY ")
    c.send_line("x LOGOUT")
    assert c.read_line().startswith("* BYE")
    assert s.ok('GETMETADATA "" /shared/motd') == [
        '* METADATA "" (/shared/motd NIL)']
    a.ok('SETMETADATA "" (/shared/vendor/cmu/cyrus-imapd/shutdown '
         '"Server moved")')
    c = inst.connect(port)
    assert c.read_line() == "* BYE [ALERT] Server moved"
    a.ok('SETMETADATA "" (/shared/vendor/cmu/cyrus-imapd/shutdown NIL)')
    Session(inst, port, "alice")


def test_bad_input(make_instance):
    inst, port = serve(make_instance)
    s = Session(inst, port, "alice")
    for cmd, reason in [
            ("GETMETADATA", "GETMETADATA needs a mailbox and entries"),
            ("GETMETADATA INBOX", "GETMETADATA needs a mailbox and entries"),
            ("GETMETADATA INBOX ()", "GETMETADATA needs at least one entry"),
            ("GETMETADATA INBOX /comment",
             "Entry name must start with /shared or /private"),
            ("GETMETADATA INBOX /sharedx",
             "Entry name must start with /shared or /private"),
            ("GETMETADATA INBOX /shared//a",
             "Entry name may not contain // or end with /"),
            ("GETMETADATA INBOX /shared/a/",
             "Entry name may not contain // or end with /"),
            ("GETMETADATA INBOX (/shared/a (x))", "An entry must be a string"),
            ("GETMETADATA (DEPTH 2) INBOX /shared",
             "DEPTH must be 0, 1 or infinity"),
            ("GETMETADATA (MAXSIZE x) INBOX /shared", "MAXSIZE needs a number"),
            ("GETMETADATA (MAXSIZE) INBOX /shared",
             "GETMETADATA option without a value"),
            ("GETMETADATA (DEPTH 0 DEPTH 1) INBOX /shared",
             "Unknown or repeated GETMETADATA option (MAXSIZE, DEPTH)"),
            ("GETMETADATA (FOO 1) INBOX /shared",
             "Unknown or repeated GETMETADATA option (MAXSIZE, DEPTH)"),
            ("GETMETADATA INBOX /shared/a /shared/b",
             "GETMETADATA needs a mailbox and entries"),
            ("SETMETADATA INBOX", "SETMETADATA needs a mailbox and "
             "(entry value ...)"),
            ("SETMETADATA INBOX ()", "SETMETADATA needs a mailbox and "
             "(entry value ...)"),
            ("SETMETADATA INBOX (/shared/comment)", "SETMETADATA needs a "
             "mailbox and (entry value ...)"),
            ("SETMETADATA INBOX (/shared/comment atom)",
             "A value must be a string or NIL"),
            ("SETMETADATA INBOX (/shared \"x\")",
             "Entry name needs a part after /shared or /private"),
            ("SETMETADATA INBOX (/shared/a* \"x\")",
             "Entry name may not contain * or %"),
            ("SETMETADATA INBOX (\"/shared/a b\" \"x\")",
             "Entry name may only hold printable US-ASCII"),
            ("SETMETADATA INBOX ((x) \"x\")", "An entry must be a string")]:
        assert s.status(cmd) == "BAD " + reason, cmd
    # Nothing was set by any of them.
    assert s.ok('GETMETADATA INBOX (/shared/comment /shared/a)') == [
        '* METADATA "INBOX" (/shared/comment NIL /shared/a NIL)']


def test_set_errors_and_limits(make_instance):
    inst, port = serve(make_instance, annotation_maxsize="10",
                       annotation_maxentries="2")
    s = Session(inst, port, "alice")
    cmu = "/vendor/cmu/cyrus-imapd/"
    assert s.status(f'SETMETADATA INBOX (/private{cmu}expire "3")') == (
        f"NO [METADATA NOPRIVATE] /private{cmu}expire: the entry has no "
        "private form")
    assert s.status('SETMETADATA INBOX (/shared/vendor/acme/x "1")') == (
        "NO [CANNOT] Cannot set /shared/vendor/acme/x: no such entry "
        "(annotation_allow_undefined is off)")
    assert s.status(f'SETMETADATA INBOX (/shared{cmu}expire "3d")') == (
        f"NO [CANNOT] Cannot set /shared{cmu}expire: the value must be a "
        "number of days")
    assert s.status(f'SETMETADATA INBOX (/shared{cmu}partition "p")') == (
        f"NO [NOPERM] Cannot set /shared{cmu}partition: the entry is "
        "read-only")
    assert s.status('SETMETADATA INBOX (/shared/specialuse "\\\\Sent")') == (
        "NO [CANNOT] Cannot set /shared/specialuse: no such entry "
        "(annotation_allow_undefined is off)")
    assert s.status('SETMETADATA INBOX (/shared/comment "12345678901")') == \
        "NO [METADATA MAXSIZE 10] The value of /shared/comment is too long"
    assert s.status('SETMETADATA nosuch (/shared/comment "x")') == NONEXISTENT
    assert s.status('GETMETADATA nosuch /shared/comment') == NONEXISTENT
    # All or nothing: the good first entry is not set either.
    assert s.status(f'SETMETADATA INBOX (/shared/comment "ok" '
                    f'/shared{cmu}expire "x")').startswith("NO [CANNOT]")
    assert s.ok("GETMETADATA INBOX /shared/comment") == [
        '* METADATA "INBOX" (/shared/comment NIL)']
    # TOOMANY: two shared entries at most; changing them stays possible.
    s.ok(f'SETMETADATA INBOX (/shared/comment "c" /shared{cmu}expire "7")')
    inst2, port2 = serve(make_instance, annotation_maxentries="1")
    t = Session(inst2, port2, "alice")
    t.ok('SETMETADATA INBOX (/shared/comment "c")')
    assert t.status(f'SETMETADATA INBOX (/shared{cmu}expire "7")') == \
        "NO [METADATA TOOMANY] Too many entries for " \
        f"/shared{cmu}expire (at most 1)"
    t.ok('SETMETADATA INBOX (/shared/comment "d" /private/comment "p")')
    t.ok(f'SETMETADATA INBOX (/shared/comment NIL /shared{cmu}expire "7")')
    assert t.ok(f"GETMETADATA INBOX (/shared/comment /shared{cmu}expire "
                "/private/comment)") == [
        f'* METADATA "INBOX" (/shared/comment NIL /shared{cmu}expire "7" '
        '/private/comment "p")']


def test_permissions(make_instance):
    """RFC 5464 3.3 with RFC 4314 rights: bob on alice's INBOX.box."""
    inst, port = serve(make_instance)
    a = Session(inst, port, "alice")
    a.ok("CREATE INBOX.box")
    a.ok('SETMETADATA INBOX.box (/shared/comment "alice\'s" '
         '/private/comment "private")')
    b = Session(inst, port, "bob")
    # No rights: like a mailbox that does not exist.
    assert b.status("GETMETADATA user.alice.box /shared/comment") == \
        NONEXISTENT
    assert b.status('SETMETADATA user.alice.box (/private/comment "x")') == \
        NONEXISTENT
    # l: his own private entries; shared ones neither read nor written.
    a.ok("SETACL INBOX.box bob l")
    b.ok('SETMETADATA user.alice.box (/private/comment "bob")')
    assert b.ok("GETMETADATA user.alice.box "
                "(/private/comment /shared/comment)") == [
        '* METADATA "user.alice.box" (/private/comment "bob" '
        '/shared/comment NIL)']
    assert b.status('SETMETADATA user.alice.box (/shared/comment "x")') == (
        "NO [NOPERM] Cannot set /shared/comment: shared entries need the w "
        "right")
    # r: shared entries are read; w: written.
    a.ok("SETACL INBOX.box bob lr")
    assert b.ok("GETMETADATA user.alice.box /shared/comment") == [
        '* METADATA "user.alice.box" (/shared/comment "alice\'s")']
    # The partition is for who administers the mailbox (a), as in Cyrus.
    part = "/shared/vendor/cmu/cyrus-imapd/partition"
    assert b.ok(f"GETMETADATA user.alice.box {part}") == [
        f'* METADATA "user.alice.box" ({part} NIL)']
    assert a.ok(f"GETMETADATA INBOX.box {part}") == [
        f'* METADATA "INBOX.box" ({part} "default")']
    a.ok("SETACL INBOX.box bob lrw")
    b.ok('SETMETADATA user.alice.box (/shared/comment "from bob")')
    assert a.ok("GETMETADATA INBOX.box (/shared/comment /private/comment)") \
        == ['* METADATA "INBOX.box" (/shared/comment "from bob" '
            '/private/comment "private")']
    # The administrator may set shared entries of any mailbox.
    adm = Session(inst, port, "admin")
    adm.ok('SETMETADATA user.alice.box (/shared/comment "admin")')
    assert a.ok("GETMETADATA INBOX.box /shared/comment") == [
        '* METADATA "INBOX.box" (/shared/comment "admin")']


def test_rename_and_delete(make_instance):
    inst, port = serve(make_instance)
    s = Session(inst, port, "alice")
    s.ok("CREATE INBOX.a")
    s.ok("CREATE INBOX.a.b")
    s.ok('SETMETADATA INBOX.a (/shared/comment "A")')
    s.ok('SETMETADATA INBOX.a.b (/private/comment "B")')
    s.ok("RENAME INBOX.a INBOX.z")
    assert s.ok("GETMETADATA INBOX.z /shared/comment") == [
        '* METADATA "INBOX.z" (/shared/comment "A")']
    assert s.ok("GETMETADATA INBOX.z.b /private/comment") == [
        '* METADATA "INBOX.z.b" (/private/comment "B")']
    assert s.status("GETMETADATA INBOX.a /shared/comment") == NONEXISTENT
    s.ok("DELETE INBOX.z.b")
    s.ok("CREATE INBOX.z.b")
    assert s.ok("GETMETADATA INBOX.z.b /private/comment") == [
        '* METADATA "INBOX.z.b" (/private/comment NIL)']


def test_binary_value_and_specialuse(make_instance):
    """A value with NUL comes back as literal8; /private/specialuse
    (the mailbox's roles) goes with other entries."""
    inst, port = serve(make_instance)
    s = Session(inst, port, "alice")
    s.ok("CREATE INBOX.Sent")
    s.n += 1
    s.c.send(f"t{s.n} SETMETADATA INBOX (/private/comment ~{{3+}}\r\n"
             "a\0b)\r\n".encode())
    assert s.c.read_until(f"t{s.n}")[-1] == f"t{s.n} OK Completed"
    assert s.ok("GETMETADATA INBOX /private/comment") == [
        '* METADATA "INBOX" (/private/comment ~{3}\r\na\0b)']
    s.ok('SETMETADATA INBOX.Sent (/private/specialuse "\\\\Sent" '
         '/private/comment "sent mail")')
    assert s.ok('GETMETADATA INBOX.Sent ("/private/*")') == [
        '* METADATA "INBOX.Sent" (/private/comment "sent mail" '
        '/private/specialuse {5}\r\n\\Sent)']
    assert s.ok('LIST "" INBOX.Sent') == [
        '* LIST (\\HasNoChildren \\Sent) "." "INBOX.Sent"']


def test_cyradm_info_mboxconfig_setinfo(make_instance):
    """Debian's cyradm: mboxconfig (comment, expire), setinfo (motd,
    comment) and info; chaparadm's mboxconfig, setinfo and info the same
    (info in cyradm's format)."""
    inst, port = serve(make_instance)
    c = cyradm(port)
    try:
        assert "error" not in c.command("cm user.carol").lower()
        out = c.command("mboxconfig user.carol comment Carol")
        assert "error" not in out.lower(), out
        out = c.command("mboxconfig user.carol expire 30")
        assert "error" not in out.lower(), out
        out = c.command("mboxconfig user.carol expire soon")
        assert "number of days" in out, out
        out = c.command("setinfo motd \"Be nice\"")
        assert "error" not in out.lower(), out
        out = c.command("setinfo comment \"Chapar test server\"")
        assert "error" not in out.lower(), out
        out = c.command("info user.carol")
        assert "{user.carol}:" in out, out
        assert sorted(out.split("shared:")[1].splitlines()[1:-1]) == [
            "    comment: Carol",
            "    expire: 30",
            "    partition: default",
            "    uniqueid: " + out.split("uniqueid: ")[1].split()[0]], out
        assert "expire: 30" in out, out
        assert "partition: default" in out, out
        out = c.command("info")
        assert "{Server Wide}" in out, out
        assert "motd: Be nice" in out, out
        assert "comment: Chapar test server" in out, out
        out = c.command("mboxconfig user.carol comment none")
        assert "error" not in out.lower(), out
        assert "Carol" not in c.command("info user.carol")
    finally:
        c.close()
    conn = inst.connect(port)
    conn.expect(r"^\* OK \[CAPABILITY ")
    assert conn.read_line() == "* OK [ALERT] Be nice"
    adm = inst.program("tools/chaparadm")
    batch = ("mboxconfig user.carol comment Hello\n"
             "mboxconfig user.carol expire 7\n"
             "mboxconfig user.carol expire x\n"
             "mboxconfig user.carol bogus 1\n"
             "info user.carol\n"
             "mboxconfig user.carol comment none\n"
             "setinfo motd \"Hi all\"\n"
             "setinfo bogus x\n"
             "info\n"
             "setinfo motd none\n"
             "setinfo comment none\n"
             "info\n")
    p = subprocess.run([adm, "-u", "admin", "-w", "adminpw", "-p", str(port),
                        "127.0.0.1"], input=batch, capture_output=True,
                       text=True, timeout=60)
    assert p.stderr.splitlines() == [
        "mboxconfig: [CANNOT] Cannot set "
        "/shared/vendor/cmu/cyrus-imapd/expire: the value must be a number "
        "of days",
        "mboxconfig: unknown attribute bogus (comment, expire, "
        "specialuse)",
        "setinfo: unknown attribute bogus (comment, motd, admin, shutdown, "
        "expire)"], p.stderr
    assert p.returncode != 0
    uid = Session(inst, port, "admin").ok(
        "GETMETADATA user.carol /shared/vendor/cmu/cyrus-imapd/uniqueid")
    assert p.stdout.splitlines() == [
        "{user.carol}:",
        "  shared:",
        "    comment: Hello",
        "    expire: 7",
        "    partition: default",
        "    uniqueid: " + uid[0].split('"')[-2],
        "{Server Wide}",
        "  shared:",
        "    comment: Chapar test server",
        "    motd: Hi all",
        "{Server Wide}"], p.stdout
    s = Session(inst, port, "admin")
    assert s.ok("GETMETADATA user.carol (/shared/comment "
                "/shared/vendor/cmu/cyrus-imapd/expire)") == [
        '* METADATA "user.carol" (/shared/comment NIL '
        '/shared/vendor/cmu/cyrus-imapd/expire "7")']
