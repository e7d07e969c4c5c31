"""expunge_mode: delayed and unexpunge (man/unexpunge.8) against a private
instance: expunged files stay, out of quota and out of reconstruct's
reach; unexpunge lists and restores them with new UIDs, their flags,
keywords and the owner's \\Seen; a restore interrupted after its commit is
finished, not repeated; immediate mode keeps nothing; bad usage."""

import os
import re
import time

import pytest

from test_admin_tools import Admin, FAST, msg, ok, uids_and_flags

DELAYED = dict(FAST, expunge_mode="delayed")


@pytest.fixture
def adm(make_instance):
    return Admin(make_instance(options=DELAYED))


def unexpunge(adm, *args, check=True):
    return adm.tool("tools/unexpunge", *args, check=check)


def expunge(m, uids):
    ok(m.select("INBOX"))
    ok(m.uid("STORE", uids, "+FLAGS", r"(\Deleted)"))
    ok(m.expunge())


def usage_bytes(adm, m):
    """The quota root's usage in bytes (its file; GETQUOTAROOT settles it
    first and rounds to kilobytes)."""
    m.getquotaroot("INBOX")
    with open(os.path.join(adm.inst.conf_dir, "quota", "user.alice")) as f:
        return int(f.readline().split()[0])


def fill(adm):
    """alice: UIDs 1 (\\Flagged $Work, seen), 2, 3; 1 and 2 expunged."""
    m = adm.setup_user("alice", 3, quota=100000)
    ok(m.select("INBOX"))
    ok(m.uid("STORE", "1", "+FLAGS", r"(\Flagged $Work \Seen)"))
    expunge(m, "1:2")
    return m


def test_delayed_expunge_keeps_files_out_of_sight(adm):
    m = fill(adm)
    assert sorted(uids_and_flags(m)) == [3]
    for uid in (1, 2):
        assert os.path.exists(adm.path("user", "alice", "%d." % uid))
    assert usage_bytes(adm, m) == len(msg(3))
    m.logout()
    out = adm.reconstruct("-r", "user.alice").stdout
    assert "expunged" not in out
    m = adm.login("alice")
    assert sorted(uids_and_flags(m)) == [3]
    out = unexpunge(adm, "-l", "user.alice").stdout.splitlines()
    assert re.match(r"^uid 1 size %d expunged \S+ \S+ received \S+ \S+ "
                    r"\\Flagged \\Deleted$" % len(msg(1)), out[0]), out
    assert out[1].startswith("uid 2 size ")
    assert out[-1] == "user.alice: 2 expunged messages can be restored"


def test_restore_with_flags_keywords_and_seen(adm):
    fill(adm).logout()
    out = unexpunge(adm, "-v", "-u", "user.alice", "2").stdout
    assert "uid 2: restored as uid 4" in out
    assert out.splitlines()[-1] == "user.alice: restored 1 messages"
    assert not os.path.exists(adm.path("user", "alice", "2."))
    out = unexpunge(adm, "-d", "-a", "user.alice").stdout
    assert out.splitlines()[-1] == "user.alice: restored 1 messages"
    m = adm.login("alice")
    flags = uids_and_flags(m)
    assert sorted(flags) == [3, 4, 5]
    assert r"\Deleted" in flags[4]              # -d was not given then
    # New UIDs: \Recent to the first session that sees them.
    assert sorted(flags[5]) == sorted([r"\Flagged", "$Work", r"\Seen",
                                       r"\Recent"])
    ok(m.select("INBOX"))
    typ, data = m.uid("FETCH", "5", "(INTERNALDATE BODY.PEEK[])")
    assert data[0][1] == msg(1)
    assert usage_bytes(adm, m) == 3 * len(msg(1))
    assert unexpunge(adm, "-l", "user.alice").stdout.splitlines()[-1] == \
        "user.alice: 0 expunged messages can be restored"


def test_interrupted_restore_is_finished_not_repeated(adm):
    fill(adm).logout()
    old = adm.path("user", "alice", "1.")
    data = open(old, "rb").read()
    unexpunge(adm, "-u", "user.alice", "1")
    # As if killed after the commit, before the old file went.
    with open(old, "wb") as f:
        f.write(data)
    out = unexpunge(adm, "-u", "user.alice", "1").stdout
    assert "uid 1: restored before, old file removed" in out
    assert out.splitlines()[-1] == "user.alice: restored 0 messages"
    assert not os.path.exists(old)
    m = adm.login("alice")
    assert sorted(uids_and_flags(m)) == [3, 4]


def test_interval(adm):
    fill(adm).logout()
    time.sleep(1.1)
    out = unexpunge(adm, "-t", "0s", "user.alice").stdout
    assert out.splitlines()[-1] == "user.alice: restored 0 messages"
    out = unexpunge(adm, "-t", "1h", "user.alice").stdout
    assert out.splitlines()[-1] == "user.alice: restored 2 messages"


def test_immediate_mode_keeps_nothing(make_instance):
    adm = Admin(make_instance(options=FAST))
    fill(adm).logout()
    assert not os.path.exists(adm.path("user", "alice", "1."))
    assert unexpunge(adm, "-l", "user.alice").stdout.splitlines()[-1] == \
        "user.alice: 0 expunged messages can be restored"


@pytest.mark.parametrize("args,code,why", [
    ((), 64, "exactly one of -l, -a, -t, -u"),
    (("-l", "-a", "user.alice"), 64, "exactly one of -l, -a, -t, -u"),
    (("-t", "5x", "user.alice"), 64, 'bad interval "5x"'),
    (("-u", "user.alice", "0"), 64, '"0" is not a UID'),
    (("-l", "user.nobody"), 66, "user.nobody: "),
])
def test_bad_usage(adm, args, code, why):
    adm.setup_user("alice", 1).logout()
    p = unexpunge(adm, *args, check=False)
    assert p.returncode == code, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and why in lines[0], p.stderr


def test_kept_files_go_with_their_tombstones(make_instance):
    """expunge_tombstone_days 0: the next expunge drops the older
    tombstones, and their kept files with them."""
    adm = Admin(make_instance(options=dict(DELAYED,
                                           expunge_tombstone_days="0")))
    m = adm.setup_user("alice", 3)
    expunge(m, "1")
    time.sleep(1.1)
    expunge(m, "2")
    assert not os.path.exists(adm.path("user", "alice", "1."))
    assert os.path.exists(adm.path("user", "alice", "2."))
