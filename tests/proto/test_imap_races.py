"""Races between sessions that tools/stress found, one test per fix, each
replaying the interleaving with two or three raw sessions (imapd inetd
style on a private instance, as in test_imap_mailbox.py):

  - a mailbox selected in one session and renamed away by another (and
    written to under its new name, and renamed back): the selecting
    session answers NO [NONEXISTENT] while the mailbox is away, never
    reports it corrupt, and sees it again, with what was added, when it
    is back; another mailbox created at the old name is not taken for it;
  - UID MOVE out of a mailbox whose parent another session renames back
    and forth: each message ends up once, where the MOVE's answer says;
  - STATUS and SELECT of a mailbox inside a tree another session keeps
    renaming answer at once (a lookup waits for the renames under way
    when it came, not for every one begun since).
"""

from test_imap_mailbox import (MSG, NONEXISTENT, Session,  # noqa: F401
                               inst, port)

CORRUPT = ("corrupt", "reconstruct")
GONE = "NO [EXPUNGEISSUED] Some of the requested messages no longer exist"


def no_corruption_logged(inst):
    bad = [ln for ln in inst.log_lines() if ": err: " in ln and
           any(w in ln for w in CORRUPT)]
    assert not bad, bad


def test_selected_mailbox_renamed_away_and_back(inst, port):
    a, b = Session(inst, port, "alice"), Session(inst, port, "alice")
    b.ok("CREATE INBOX.t.b")
    for _ in range(3):
        assert b.append("INBOX.t.b").startswith("OK")
    a.ok("SELECT INBOX.t.b")
    b.ok("RENAME INBOX.t.b INBOX.t.c")
    # Away: reads of what the session already has go on, changes are
    # refused as for a mailbox that does not exist.
    assert a.status("NOOP") == "OK Completed"
    assert a.status("UID STORE 1 +FLAGS (\\Flagged)") == NONEXISTENT
    assert b.append("INBOX.t.c").startswith("OK [APPENDUID")
    assert a.status("NOOP") == "OK Completed"
    assert a.ok("UID FETCH 1:* (UID)") == [
        f"* {i} FETCH (UID {i})" for i in (1, 2, 3)]
    assert a.status("UID STORE 2 +FLAGS (\\Flagged)") == NONEXISTENT
    # Back: the session sees the message added meanwhile and may write.
    b.ok("RENAME INBOX.t.c INBOX.t.b")
    assert a.ok("NOOP") == ["* 4 EXISTS", "* 4 RECENT"]
    assert a.ok("UID STORE 4 +FLAGS (\\Flagged)") == [
        "* 4 FETCH (UID 4 FLAGS (\\Flagged \\Recent))"]
    assert a.ok("UID FETCH 1:* (UID)") == [
        f"* {i} FETCH (UID {i})" for i in (1, 2, 3, 4)]
    no_corruption_logged(inst)


def test_selected_mailbox_replaced_by_another_of_that_name(inst, port):
    a, b = Session(inst, port, "alice"), Session(inst, port, "alice")
    b.ok("CREATE INBOX.r")
    assert b.append("INBOX.r").startswith("OK")
    a.ok("SELECT INBOX.r")
    b.ok("RENAME INBOX.r INBOX.s")
    b.ok("CREATE INBOX.r")
    for _ in range(2):
        assert b.append("INBOX.r").startswith("OK")
    # Not the mailbox the session selected: no view of its messages, no
    # write into it.
    assert a.status("UID STORE 1 +FLAGS (\\Flagged)") == NONEXISTENT
    assert a.status("NOOP") == "OK Completed"
    assert a.ok("UID FETCH 1:* (UID)") == ["* 1 FETCH (UID 1)"]
    b.ok("SELECT INBOX.r")
    assert b.ok("UID FETCH 1:* (FLAGS)") == [
        "* 1 FETCH (UID 1 FLAGS (\\Recent))",
        "* 2 FETCH (UID 2 FLAGS (\\Recent))"]
    no_corruption_logged(inst)


def test_move_and_rename_of_its_source_leave_each_message_once(inst, port):
    """MOVE from a mailbox whose parent another session renames back and
    forth: each message ends up in the source or the target, never both
    (the rename got in between the copy and the expunge), and where its
    MOVE's answer says (OK: the target; NO: the source)."""
    import threading
    import time
    a, b = Session(inst, port, "alice"), Session(inst, port, "alice")
    total, batch = 100, 1
    b.ok("CREATE INBOX.p")
    b.ok("CREATE INBOX.p.s")
    pad = b"x" * 70 + b"\r\n"
    for i in range(total):
        msg = MSG.replace(b"Subject: hello", f"Message-ID: <m{i}>".encode())
        assert b.append("INBOX.p.s", msg + pad).startswith("OK")
    stop = threading.Event()

    def renamer():
        names = ("INBOX.p", "INBOX.q")
        i = 0
        while not stop.is_set():
            if b.status(f"RENAME {names[i % 2]} {names[(i + 1) % 2]}") \
                    .startswith("OK"):
                i += 1
    t = threading.Thread(target=renamer)
    a.ok("SELECT INBOX.p.s")
    # \Seen messages make the MOVE record them seen in the target between
    # the copy and the expunge: a wider window for the rename.
    a.ok("STORE 1:* +FLAGS.SILENT (\\Seen)")
    t.start()
    answers = {}
    try:
        deadline = time.monotonic() + 8
        uid = 1
        while uid <= total and time.monotonic() < deadline:
            last = min(uid + batch - 1, total)
            status = a.status(f"UID MOVE {uid}:{last} INBOX")
            if status.startswith("OK"):
                for u in range(uid, last + 1):
                    answers[f"m{u - 1}"] = "INBOX"
                uid = last + 1
            else:       # the source away, or its files while it moved
                assert status in (NONEXISTENT, GONE), status
    finally:
        stop.set()
        t.join()
    seen = {}
    for box in ("INBOX", "INBOX.p.s", "INBOX.q.s"):
        if not b.status(f"EXAMINE {box}").startswith("OK"):
            continue
        for line in b.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"):
            if "Message-ID" in line:
                mid = line.split("<", 1)[1].split(">", 1)[0]
                seen.setdefault(mid, []).append(
                    "INBOX" if box == "INBOX" else "source")
    assert sorted(seen) == sorted(f"m{i}" for i in range(total))
    where = {m: boxes[0] if len(boxes) == 1 else boxes
             for m, boxes in seen.items()}
    assert where == {m: answers.get(m, "source") for m in where}, answers
    no_corruption_logged(inst)


def test_lookups_are_not_starved_by_a_renaming_session(inst, port):
    import threading
    import time
    a, b = Session(inst, port, "alice"), Session(inst, port, "alice")
    b.ok("CREATE INBOX.t")
    b.ok("CREATE INBOX.t.a")
    stop, renames = threading.Event(), [0]

    def renamer():
        names = ("INBOX.t", "INBOX.t2")
        while not stop.is_set():
            if b.status(f"RENAME {names[renames[0] % 2]} "
                        f"{names[(renames[0] + 1) % 2]}").startswith("OK"):
                renames[0] += 1
    t = threading.Thread(target=renamer)
    t.start()
    slowest, answers = 0.0, 0
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            for cmd in ("STATUS INBOX.t.a (MESSAGES)",
                        "STATUS INBOX.t2.a (MESSAGES)", "SELECT INBOX.t.a"):
                t0 = time.monotonic()
                status = a.status(cmd)
                slowest = max(slowest, time.monotonic() - t0)
                assert status.startswith(("OK", NONEXISTENT)), status
                answers += status.startswith("OK")
    finally:
        stop.set()
        t.join()
    assert slowest < 2, (slowest, renames[0])
    assert answers > 10 and renames[0] > 10, (answers, renames[0])
