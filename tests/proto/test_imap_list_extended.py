"""LIST for modern clients (issue 19): LIST-EXTENDED (RFC 5258: selection
and return options, several patterns, CHILDINFO), LIST-STATUS (RFC 5819),
LIST-MYRIGHTS (RFC 8440), SPECIAL-USE and CREATE-SPECIAL-USE (RFC 6154),
XLIST, STATUS DELETED (RFC 9051) and APPENDLIMIT (RFC 7889), the
autocreated folders of a new user, and Debian's cyradm and chaparadm
using the roles.  Exact wire lines throughout.
"""

import os
import re
import signal
import subprocess
import time

import pytest

from test_imap_mailbox import (FAST, MSG, Session, created,  # noqa: F401
                               inst, port)
from test_imap_clients import cyradm

BAD_RM = "BAD RECURSIVEMATCH needs the SUBSCRIBED selection option"


def tree(inst, port):
    """alice: INBOX.a, INBOX.a.b, INBOX.c; subscribed INBOX, INBOX.a.b and
    INBOX.gone (which no longer exists)."""
    s = Session(inst, port, "alice")
    for name in ("INBOX.a", "INBOX.a.b", "INBOX.c", "INBOX.gone"):
        s.ok(f"CREATE {name}")
    for name in ("INBOX", "INBOX.a.b", "INBOX.gone"):
        s.ok(f"SUBSCRIBE {name}")
    s.ok("DELETE INBOX.gone")
    return s


def test_capabilities(inst, port):
    s = Session(inst, port, "alice")
    caps = s.ok("CAPABILITY")[0].split()
    for cap in ("LIST-EXTENDED", "LIST-STATUS", "LIST-MYRIGHTS",
                "SPECIAL-USE", "CREATE-SPECIAL-USE", "STATUS=SIZE", "XLIST",
                "APPENDLIMIT=67108864"):
        assert cap in caps


def test_selection_subscribed(inst, port):
    s = tree(inst, port)
    assert s.ok('LIST (SUBSCRIBED) "" "*"') == [
        '* LIST (\\Subscribed) "." "INBOX"',
        '* LIST (\\Subscribed) "." "INBOX.a.b"',
        '* LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"']
    assert s.ok('LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)') == [
        '* LIST (\\HasChildren \\Subscribed) "." "INBOX"',
        '* LIST (\\HasNoChildren \\Subscribed) "." "INBOX.a.b"',
        '* LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"']
    # Without RECURSIVEMATCH a parent whose child is subscribed is absent.
    assert s.ok('LIST (SUBSCRIBED) "" "INBOX.%"') == [
        '* LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"']
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "INBOX.%"') == [
        '* LIST () "." "INBOX.a" ("CHILDINFO" ("SUBSCRIBED"))',
        '* LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"']
    assert s.ok('LIST (RECURSIVEMATCH SUBSCRIBED REMOTE) "" "%" '
                'RETURN (CHILDREN)') == [
        '* LIST (\\HasChildren \\Subscribed) "." "INBOX" '
        '("CHILDINFO" ("SUBSCRIBED"))']
    # With "*" every subscribed child matches itself: no CHILDINFO.
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "INBOX*"') == \
        s.ok('LIST (SUBSCRIBED) "" "INBOX*"')
    # LSUB is unchanged: existing subscriptions, levels \Noselect.
    assert s.ok('LSUB "" "*"') == ['* LSUB () "." "INBOX"',
                                   '* LSUB () "." "INBOX.a.b"']
    assert s.ok('LSUB "" "INBOX.%"') == ['* LSUB (\\Noselect) "." "INBOX.a"']


def test_return_subscribed_children_and_patterns(inst, port):
    s = tree(inst, port)
    plain = ['* LIST (\\HasChildren) "." "INBOX"',
             '* LIST (\\HasChildren) "." "INBOX.a"',
             '* LIST (\\HasNoChildren) "." "INBOX.a.b"',
             '* LIST (\\HasNoChildren) "." "INBOX.c"']
    assert s.ok('LIST "" "*"') == plain
    assert s.ok('LIST () "" "*"') == plain
    assert s.ok('LIST (REMOTE) "" "*" RETURN ()') == plain
    assert s.ok('LIST "" "*" RETURN (CHILDREN)') == plain
    assert s.ok('LIST "" "*" RETURN (SUBSCRIBED)') == [
        '* LIST (\\HasChildren \\Subscribed) "." "INBOX"',
        '* LIST (\\HasChildren) "." "INBOX.a"',
        '* LIST (\\HasNoChildren \\Subscribed) "." "INBOX.a.b"',
        '* LIST (\\HasNoChildren) "." "INBOX.c"']
    # Several patterns: each name once, in the patterns' order.
    assert s.ok('LIST "" ("INBOX.c" "inbox.a*" INBOX.a.b "INBOX.c")') == [
        '* LIST (\\HasNoChildren) "." "INBOX.c"',
        '* LIST (\\HasChildren) "." "INBOX.a"',
        '* LIST (\\HasNoChildren) "." "INBOX.a.b"']
    assert s.ok('LIST "INBOX." ("c" "a.%")') == [
        '* LIST (\\HasNoChildren) "." "INBOX.c"',
        '* LIST (\\HasNoChildren) "." "INBOX.a.b"']
    # The empty pattern still gives the root.
    assert s.ok('LIST () "" ""') == ['* LIST (\\Noselect) "." ""']


@pytest.mark.parametrize("cmd,answer", [
    ('LIST (RECURSIVEMATCH) "" "*"', BAD_RM),
    ('LIST (REMOTE RECURSIVEMATCH) "" "*"', BAD_RM),
    ('LIST (SPECIAL-USE RECURSIVEMATCH) "" "*"', BAD_RM),
    ('LIST (BOGUS) "" "*"', "BAD Unknown LIST selection option"),
    ('LIST ("SUBSCRIBED") "" "*"', "BAD Unknown LIST selection option"),
    ('LIST (SUBSCRIBED subscribed) "" "*"',
     "BAD LIST selection option given twice"),
    ('LIST "" "*" RETURN (BOGUS)', "BAD Unknown LIST return option"),
    ('LIST "" "*" RETURN (CHILDREN CHILDREN)',
     "BAD LIST return option given twice"),
    ('LIST "" "*" RETURN', "BAD Unexpected LIST arguments"),
    ('LIST "" "*" RETURN CHILDREN', "BAD RETURN needs a list of options"),
    ('LIST "" "*" EXTRA (CHILDREN)', "BAD Unexpected LIST arguments"),
    ('LIST "" "*" RETURN (STATUS)', "BAD Invalid STATUS items in LIST RETURN"),
    ('LIST "" "*" RETURN (STATUS ())',
     "BAD Invalid STATUS items in LIST RETURN"),
    ('LIST "" "*" RETURN (STATUS (MESSAGES BOGUS))',
     "BAD Invalid STATUS items in LIST RETURN"),
    ('LIST "" ()', "BAD LIST needs a pattern or a list of patterns"),
    ('LIST "" ("a" ("b"))', "BAD Invalid pattern in the LIST pattern list"),
    ('LIST (SUBSCRIBED) ""', "BAD LIST needs a reference and a pattern"),
    ('LSUB "" ("a")', "BAD Invalid pattern"),
    ('LSUB (SUBSCRIBED) "" "*"', "BAD LSUB needs a reference and a pattern"),
])
def test_bad_arguments(inst, port, cmd, answer):
    s = Session(inst, port, "alice")
    assert s.run(cmd) == ([], answer)


def test_list_status_and_myrights(inst, port):
    s = tree(inst, port)
    for _ in range(3):
        assert s.append("INBOX.c") .startswith("OK")
    s.ok("SELECT INBOX.c")
    s.ok("STORE 1 +FLAGS (\\Seen \\Deleted)")
    s.ok("STORE 2 +FLAGS (\\Deleted)")
    s.ok("UNSELECT")
    size = 3 * len(MSG)
    lines = s.ok('LIST "" "INBOX.%" RETURN (STATUS (MESSAGES UNSEEN SIZE '
                 'DELETED UIDNEXT) MYRIGHTS)')
    assert lines == [
        '* LIST (\\HasChildren) "." "INBOX.a"',
        '* STATUS "INBOX.a" (MESSAGES 0 UNSEEN 0 SIZE 0 DELETED 0 UIDNEXT 1)',
        '* MYRIGHTS "INBOX.a" lrswipkxtecda',
        '* LIST (\\HasNoChildren) "." "INBOX.c"',
        f'* STATUS "INBOX.c" (MESSAGES 3 UNSEEN 2 SIZE {size} DELETED 2 '
        'UIDNEXT 4)',
        '* MYRIGHTS "INBOX.c" lrswipkxtecda']
    # The same as STATUS says.
    assert s.ok("STATUS INBOX.c (MESSAGES UNSEEN SIZE DELETED UIDNEXT)") == \
        [lines[4]]
    assert s.ok("MYRIGHTS INBOX.c") == ['* MYRIGHTS INBOX.c lrswipkxtecda']
    # No STATUS for a \NonExistent name.
    assert s.ok('LIST (SUBSCRIBED) "" "INBOX.gone" RETURN (STATUS '
                '(MESSAGES) MYRIGHTS)') == [
        '* LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"']


def test_list_status_rights(inst, port):
    """A shared folder alice may see but not read: LIST and MYRIGHTS, no
    STATUS; the "user" level above it is \\Noselect: neither."""
    bob = Session(inst, port, "bob")
    bob.ok("CREATE INBOX.shown")
    bob.ok("SETACL INBOX.shown alice l")
    bob.ok("CREATE INBOX.read")
    bob.ok("SETACL INBOX.read alice lr")
    s = Session(inst, port, "alice")
    assert s.ok('LIST "" "user.bob.*" RETURN (STATUS (MESSAGES) '
                'MYRIGHTS)') == [
        '* LIST (\\HasNoChildren) "." "user.bob.read"',
        '* STATUS "user.bob.read" (MESSAGES 0)',
        '* MYRIGHTS "user.bob.read" lr',
        '* LIST (\\HasNoChildren) "." "user.bob.shown"',
        '* MYRIGHTS "user.bob.shown" l']
    assert s.ok('LIST "" "%" RETURN (STATUS (MESSAGES))') == [
        '* LIST (\\HasNoChildren) "." "INBOX"',
        '* STATUS "INBOX" (MESSAGES 0)',
        '* LIST (\\Noselect \\HasChildren) "." "user"']
    # REMOTE narrows nothing: the level is there as in a plain LIST.
    assert s.ok('LIST (REMOTE) "" "%"') == s.ok('LIST "" "%"') == [
        '* LIST (\\HasNoChildren) "." "INBOX"',
        '* LIST (\\Noselect \\HasChildren) "." "user"']


def test_create_special_use(inst, port):
    s = Session(inst, port, "alice")
    assert created(s.status("CREATE INBOX.Sent (USE (\\Sent))"))
    assert created(s.status("CREATE INBOX.Keep (USE (\\archive \\Drafts))"))
    assert created(s.status("CREATE INBOX.Spam (USE (\\Junk))"))
    assert created(s.status("CREATE INBOX.None (USE ())"))
    useattr = ("NO [USEATTR] Unsupported special-use attribute (known: "
               "\\All \\Archive \\Drafts \\Flagged \\Junk \\Sent \\Trash)")
    assert s.status("CREATE INBOX.X (USE (\\Important))") == useattr
    assert s.status("CREATE INBOX.X (USE (Sent))") == \
        "BAD USE needs special-use attributes such as \\Sent"
    assert s.status('CREATE INBOX.X (USE ("\\\\Sent"))') == \
        "BAD USE needs special-use attributes such as \\Sent"
    assert s.status("CREATE INBOX.X (FOO (\\Sent))") == \
        "BAD Invalid CREATE parameters"
    assert s.status("CREATE INBOX.X (USE)") == "BAD Invalid CREATE parameters"
    assert s.status("CREATE INBOX.X (PARTITION default USE (\\Sent))") == \
        "NO [NOPERM] Only administrators may choose a partition"
    assert s.ok('LIST "" "INBOX.X"') == []
    everything = [
        '* LIST (\\HasChildren) "." "INBOX"',
        '* LIST (\\HasNoChildren \\Archive \\Drafts) "." "INBOX.Keep"',
        '* LIST (\\HasNoChildren) "." "INBOX.None"',
        '* LIST (\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        '* LIST (\\HasNoChildren \\Junk) "." "INBOX.Spam"']
    assert s.ok('LIST "" "*"') == everything
    assert s.ok('LIST "" "*" RETURN (SPECIAL-USE)') == everything
    assert s.ok('LIST (SPECIAL-USE) "" "*"') == [
        everything[1], everything[3], everything[4]]
    assert s.ok('LIST (SPECIAL-USE) "" "%"') == []
    assert s.ok('XLIST "" "*"') == [
        '* XLIST (\\HasChildren \\Inbox) "." "INBOX"',
        '* XLIST (\\HasNoChildren \\Archive \\Drafts) "." "INBOX.Keep"',
        '* XLIST (\\HasNoChildren) "." "INBOX.None"',
        '* XLIST (\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        '* XLIST (\\HasNoChildren \\Spam) "." "INBOX.Spam"']
    # RENAME keeps the role (a child too); DELETE drops it.
    s.ok("CREATE INBOX.Sent.old (USE (\\Trash))")
    s.ok("RENAME INBOX.Sent INBOX.Outbox")
    assert s.ok('LIST (SPECIAL-USE) "" "INBOX.O*"') == [
        '* LIST (\\HasChildren \\Sent) "." "INBOX.Outbox"',
        '* LIST (\\HasNoChildren \\Trash) "." "INBOX.Outbox.old"']
    s.ok("DELETE INBOX.Outbox.old")
    s.ok("CREATE INBOX.Outbox.old")
    assert s.ok('LIST "" "INBOX.Outbox.old"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.Outbox.old"']
    # One mailbox per role and user (as Cyrus); another user's is apart.
    assert s.status("CREATE INBOX.Sent2 (USE (\\Drafts \\Sent))") == \
        "NO [USEATTR] Mailbox INBOX.Keep already has that special-use " \
        "attribute"
    assert s.status("CREATE INBOX.Sent2 (USE (\\Sent))") == \
        "NO [USEATTR] Mailbox INBOX.Outbox already has that special-use " \
        "attribute"
    assert s.status('SETMETADATA INBOX.None (/private/specialuse '
                    '"\\\\Junk")') == \
        "NO [USEATTR] Mailbox INBOX.Spam already has that special-use " \
        "attribute"
    assert s.ok('LIST "" "INBOX.Sent2"') == []
    assert s.status('SETMETADATA INBOX.Spam (/private/specialuse '
                    '"\\\\Junk")') == "OK Completed"
    bob = Session(inst, port, "bob")
    assert created(bob.status("CREATE INBOX.Sent (USE (\\Sent))"))
    # LSUB shows no roles.
    s.ok("SUBSCRIBE INBOX.Spam")
    assert s.ok('LSUB "" "*"') == ['* LSUB () "." "INBOX.Spam"']


def test_status_deleted_and_appendlimit(make_instance):
    inst = make_instance(options=dict(FAST, maxmessagesize="100000"))
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    s = Session(inst, port, "alice")
    assert "APPENDLIMIT=100000" in s.ok("CAPABILITY")[0].split()
    assert s.append("INBOX", extra="(\\Deleted)").startswith("OK")
    assert s.append("INBOX").startswith("OK")
    assert s.ok("STATUS INBOX (DELETED APPENDLIMIT MESSAGES)") == [
        '* STATUS "INBOX" (DELETED 1 APPENDLIMIT 100000 MESSAGES 2)']
    # DELETED-STORAGE (RFC 9208): KB of the \Deleted ones, rounded up.
    big = b"Subject: y\r\n\r\n" + b"y" * 3000
    assert s.append("INBOX", data=big, extra="(\\Deleted)").startswith("OK")
    kb = (len(MSG) + len(big) + 1023) // 1024
    assert s.ok("STATUS INBOX (DELETED-STORAGE DELETED)") == [
        f'* STATUS "INBOX" (DELETED-STORAGE {kb} DELETED 2)']
    s.ok("SELECT INBOX")
    s.ok("EXPUNGE")
    assert s.ok("STATUS INBOX (DELETED-STORAGE DELETED)") == [
        '* STATUS "INBOX" (DELETED-STORAGE 0 DELETED 0)']
    huge = b"Subject: x\r\n\r\n" + b"x" * 100001
    assert s.append("INBOX", data=huge).startswith("NO [TOOBIG]")


def test_setmetadata_specialuse(inst, port):
    """The roles of an existing mailbox: SETMETADATA of /private/specialuse
    (the rest of METADATA: test_imap_metadata.py)."""
    s = Session(inst, port, "alice")
    s.ok("CREATE INBOX.Old")
    assert s.status('SETMETADATA INBOX.Old (/private/specialuse '
                    '"\\\\Archive \\\\Trash")') == "OK Completed"
    assert s.ok('LIST "" "INBOX.Old"') == [
        '* LIST (\\HasNoChildren \\Archive \\Trash) "." "INBOX.Old"']
    assert s.status('SETMETADATA INBOX.Old (/private/specialuse '
                    '"\\\\Bogus")').startswith("NO [USEATTR] ")
    assert s.status('SETMETADATA INBOX.Old (/private/specialuse NIL)') == \
        "OK Completed"
    assert s.ok('LIST "" "INBOX.Old"') == [
        '* LIST (\\HasNoChildren) "." "INBOX.Old"']
    assert s.status('SETMETADATA INBOX.Nope (/private/specialuse '
                    '"\\\\Sent")') == "NO [NONEXISTENT] Mailbox does not exist"
    assert s.status('SETMETADATA INBOX.Old /private/specialuse') == \
        "BAD SETMETADATA needs a mailbox and (entry value ...)"
    # Needs `a`: bob may see and read alice's folder, not set its roles.
    s.ok("SETACL INBOX.Old bob lr")
    bob = Session(inst, port, "bob")
    assert bob.status('SETMETADATA user.alice.Old (/private/specialuse '
                      '"\\\\Sent")') == "NO [NOPERM] Permission denied"


AUTOCREATE = dict(FAST, autocreate_inbox_folders="Sent | Drafts|Trash|Junk",
                  autocreate_subscribe_folders="Sent|Trash")


def test_autocreate_folders(make_instance):
    inst = make_instance(options=AUTOCREATE)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    s = Session(inst, port, "alice")
    assert s.ok('LIST "" "*"') == [
        '* LIST (\\HasChildren) "." "INBOX"',
        '* LIST (\\HasNoChildren \\Drafts) "." "INBOX.Drafts"',
        '* LIST (\\HasNoChildren \\Junk) "." "INBOX.Junk"',
        '* LIST (\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        '* LIST (\\HasNoChildren \\Trash) "." "INBOX.Trash"']
    assert s.ok('LSUB "" "*"') == ['* LSUB () "." "INBOX.Sent"',
                                   '* LSUB () "." "INBOX.Trash"']
    # A first login killed after two folders: no INBOX yet, so the next
    # login makes the rest and keeps what is there.
    adm = Session(inst, port, "admin")
    adm.ok("CREATE user.bob.Sent (USE (\\Sent))")
    adm.ok("CREATE user.bob.Drafts")
    bob = Session(inst, port, "bob")
    assert bob.ok('LIST "" "*"') == [
        '* LIST (\\HasChildren) "." "INBOX"',
        '* LIST (\\HasNoChildren) "." "INBOX.Drafts"',
        '* LIST (\\HasNoChildren \\Junk) "." "INBOX.Junk"',
        '* LIST (\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        '* LIST (\\HasNoChildren \\Trash) "." "INBOX.Trash"']
    assert bob.ok("MYRIGHTS INBOX.Junk") == [
        '* MYRIGHTS INBOX.Junk lrswipkxtecda']
    with open(inst.log_path) as f:
        assert "autocreated INBOX: user=<bob> quota=<-1> folders=<4>" in \
            f.read()


def test_cyradm_and_chaparadm_roles(make_instance):
    """Debian's cyradm `cm --specialuse` and `lm`; chaparadm the same, and
    `mboxconfig` for an existing mailbox."""
    inst = make_instance(options=FAST)
    port = inst.serve_tcp(inst.argv("imap/imapd/imapd"))
    c = cyradm(port)
    try:
        assert "error" not in c.command("cm user.carol").lower()
        out = c.command("cm --specialuse \\\\Sent user.carol.Sent")
        assert "error" not in out.lower(), out
        out = c.command("cm --specialuse \\\\Bogus user.carol.X")
        assert "USEATTR" in out, out
        out = c.command("lm")
        assert "user.carol.Sent (\\HasNoChildren \\Sent)" in out, out
        assert "user.carol (\\HasChildren)" in out, out
        out = c.command("lm --specialuse")
        assert "user.carol.Sent (\\HasNoChildren \\Sent)" in out, out
        assert "user.carol " not in out, out
    finally:
        c.close()
    adm = inst.program("tools/chaparadm")
    batch = ("cm --specialuse \\Drafts user.carol.Drafts\n"
             "cm --specialuse \\Bad user.carol.Y\n"
             'cm --specialuse ")" user.carol.Y\n'
             "cm user.carol.Old\n"
             "mboxconfig user.carol.Old specialuse \\Archive\n"
             "lm user.carol.*\n"
             "mboxcfg user.carol.Old specialuse none\n"
             "lm user.carol.Old\n")
    p = subprocess.run([adm, "-u", "admin", "-w", "adminpw", "-p", str(port),
                        "127.0.0.1"], input=batch, capture_output=True,
                       text=True, timeout=60)
    assert p.stdout.splitlines() == [
        "user.carol.Drafts (\\HasNoChildren \\Drafts)",
        "user.carol.Old (\\HasNoChildren \\Archive)",
        "user.carol.Sent (\\HasNoChildren \\Sent)",
        "user.carol.Old (\\HasNoChildren)"], p.stdout + p.stderr
    assert p.stderr.splitlines()[0].startswith(
        "createmailbox: [USEATTR] Unsupported special-use attribute")
    assert p.stderr.splitlines()[1] == \
        "createmailbox: bad special-use ) (e.g. \\Sent)"
    assert p.returncode != 0

