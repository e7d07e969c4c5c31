"""ipurge (man/ipurge.8) against a private instance: Cyrus's options and
their tests (age by Date: header or delivery time, size, exact, inverted,
\\Flagged skipped, \\Deleted only, dry run, personal mailboxes only with -f,
-M), what a client then sees over IMAP (the UIDs left, the quota), that
reconstruct does not bring purged mail back, and bad usage."""

import email.utils
import imaplib
import re
import time

import pytest

from test_admin_tools import Admin, FAST, ok, uids_and_flags

DAY = 86400


def dated(n, age_days, body=b""):
    date = email.utils.formatdate(time.time() - age_days * DAY)
    return (b"From: s@example.org\r\nTo: alice@chapar.test\r\n"
            b"Subject: note %d\r\nDate: %s\r\n\r\nBody %d.\r\n%s"
            % (n, date.encode(), n, body))


@pytest.fixture
def adm(make_instance):
    return Admin(make_instance(options=FAST))


def fill(adm, box="INBOX", specs=()):
    """alice's box gets one message per (age_days, extra_bytes, flags)."""
    m = adm.login("alice")
    for i, (age, extra, flags) in enumerate(specs, 1):
        ok(m.append(box, flags, None, dated(i, age, b"x" * extra)))
    return m


def ipurge(adm, *args, check=True):
    return adm.tool("tools/ipurge", *args, check=check)


def left(adm, box="INBOX"):
    m = adm.login("alice")
    uids = sorted(uids_and_flags(m, box))
    m.logout()
    return uids


def quota_used_kb(adm):
    m = adm.login("alice")
    typ, data = m.getquotaroot("INBOX")
    m.logout()
    text = " ".join(d.decode() if isinstance(d, bytes) else str(d)
                    for part in data for d in part)
    return int(re.search(r"STORAGE (\d+)", text).group(1))


def test_age_by_date_header_only_with_f(adm):
    adm.setup_user("alice", 0, quota=100000).logout()
    fill(adm, specs=[(40, 3000, None), (2, 3000, None), (100, 3000, None),
                     (1, 0, None)]).logout()
    before = quota_used_kb(adm)
    # Personal mailboxes need -f.
    out = ipurge(adm, "-d", "30", "user.alice").stdout
    assert out.splitlines()[-1].startswith("total: 0 mailboxes")
    assert left(adm) == [1, 2, 3, 4]
    out = ipurge(adm, "-f", "-d", "30", "user.alice").stdout
    assert "user.alice: 4 messages" in out
    assert "purged 2 messages" in out
    assert left(adm) == [2, 4]
    assert quota_used_kb(adm) < before
    # reconstruct finds nothing to bring back: the UIDs are tombstoned.
    adm.reconstruct("-r", "user.alice")
    assert left(adm) == [2, 4]


def test_delivery_time_exact_and_invert(adm):
    adm.setup_user("alice", 0).logout()
    m = adm.login("alice")
    old = imaplib.Time2Internaldate(time.time() - 10 * DAY)
    # Date: says new, delivery says 10 days old.
    ok(m.append("INBOX", None, old, dated(1, 0)))
    ok(m.append("INBOX", None, None, dated(2, 10)))
    m.logout()
    ipurge(adm, "-f", "-n", "-X", "-d", "5", "user.alice")
    assert left(adm) == [1, 2]                  # -n changed nothing
    out = ipurge(adm, "-f", "-X", "-d", "5", "user.alice").stdout
    assert "purged 1 messages" in out
    assert left(adm) == [2]
    # -x: age of exactly 10 whole days; -i -x: any other age.
    out = ipurge(adm, "-f", "-x", "-i", "-d", "10", "user.alice").stdout
    assert "purged 0 messages" in out
    ipurge(adm, "-f", "-x", "-d", "10", "user.alice")
    assert left(adm) == []


def test_size_flags_and_dry_run(adm):
    adm.setup_user("alice", 0).logout()
    fill(adm, specs=[(0, 5000, None), (0, 5000, r"(\Flagged)"),
                     (0, 10, None), (0, 5000, r"(\Deleted)"),
                     (0, 10, r"(\Deleted)")]).logout()
    out = ipurge(adm, "-f", "-n", "-k", "4", "user.alice").stdout
    assert re.search(r"^user\.alice: uid 1 size \d+ sent=\S+ \S+ "
                     r"received=\S+ \S+ \(would be purged\)$", out, re.M)
    assert "would purge 3 messages" in out
    assert left(adm) == [1, 2, 3, 4, 5]
    # Only \Deleted ones, and of those only the large.
    out = ipurge(adm, "-f", "-o", "-b", "1000", "user.alice").stdout
    assert "purged 1 messages" in out
    assert left(adm) == [1, 2, 3, 5]
    # \Flagged is spared with -s.
    ipurge(adm, "-f", "-s", "-k", "4", "user.alice")
    assert left(adm) == [2, 3, 5]
    # Inverted: smaller than 1000 bytes.
    ipurge(adm, "-f", "-i", "-b", "1000", "user.alice")
    assert left(adm) == [2]


def test_patterns_recursion_and_m(adm):
    adm.setup_user("alice", 0, folders=("Junk", "Junk.old")).logout()
    fill(adm, "INBOX.Junk", [(20, 0, None)]).logout()
    fill(adm, "INBOX.Junk.old", [(20, 0, None)]).logout()
    fill(adm, "INBOX", [(20, 0, None)]).logout()
    out = ipurge(adm, "-f", "-M", "-d", "7", "user.%.Junk").stdout
    assert "total: 1 mailboxes" in out
    assert left(adm, "INBOX.Junk") == [] and left(adm, "INBOX.Junk.old") == [1]
    out = ipurge(adm, "-f", "-d", "7", "user.alice.Junk").stdout
    assert "total: 2 mailboxes" in out
    assert left(adm, "INBOX.Junk.old") == [] and left(adm, "INBOX") == [1]


@pytest.mark.parametrize("args,why", [
    ((), "one of -d, -b, -k or -m is needed"),
    (("-d", "ten"), '"ten" is not a number'),
    (("-b", "-5"), '"-5" is not a number'),
])
def test_bad_usage(adm, args, why):
    p = ipurge(adm, *args, check=False)
    assert p.returncode == 64
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and why in lines[0], p.stderr
