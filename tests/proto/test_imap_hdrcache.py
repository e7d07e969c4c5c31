"""FETCH BODY.PEEK[HEADER.FIELDS (...)] answered from cyrus.cache.

The raw lines of the fields mail clients list (the cached header fields and
Content-Type, List-Post, Disposition-Notification-To, X-Priority, Priority,
Newsgroups) are kept in each cache entry (version 4), so Roundcube's
sort-by-date fallback and its message list are answered without opening a
message file.  Exact responses, then the same answers with the message files
removed (the proof they are not read), while a field that is not kept reads
the file (and, with it gone, the message is left out).
"""

import glob
import os

from test_imap_mailbox import Session, inst, port  # noqa: F401

MSGS = [
    b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    b"From: Fred Foobar <foobar@example.com>\r\n"
    b"Subject: afternoon meeting\r\n"
    b"To: mooch@example.edu\r\n"
    b"Cc: Boss <boss@example.org>,\r\n"
    b"  Deputy <deputy@example.org>\r\n"
    b"X-Mailer: TestMail 1.0\r\n"
    b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    b"\r\n"
    b"Hello Joe.\r\n",
    b"date: Tue, 8 Feb 1994 09:00:00 +0100\r\n"
    b"SUBJECT: first\r\n"
    b"Subject : second\r\n"
    b"X-Priority: 1\r\n"
    b"cc: a@example.org\r\n"
    b"\r\n"
    b"body\r\n",
]
ROUNDCUBE = ("DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST "
             "DISPOSITION-NOTIFICATION-TO X-PRIORITY")
DATES = [
    "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (DATE)] {40}\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n)",
    "* 2 FETCH (UID 2 BODY[HEADER.FIELDS (DATE)] {40}\r\n"
    "date: Tue, 8 Feb 1994 09:00:00 +0100\r\n\r\n)",
]
LIST = [
    f"* 1 FETCH (BODY[HEADER.FIELDS ({ROUNDCUBE})] {{236}}\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "From: Fred Foobar <foobar@example.com>\r\n"
    "Subject: afternoon meeting\r\n"
    "To: mooch@example.edu\r\n"
    "Cc: Boss <boss@example.org>,\r\n"
    "  Deputy <deputy@example.org>\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    "\r\n)",
    f"* 2 FETCH (BODY[HEADER.FIELDS ({ROUNDCUBE})] {{108}}\r\n"
    "date: Tue, 8 Feb 1994 09:00:00 +0100\r\n"
    "SUBJECT: first\r\n"
    "Subject : second\r\n"
    "X-Priority: 1\r\n"
    "cc: a@example.org\r\n"
    "\r\n)",
]
PARTIAL = ["* 2 FETCH (BODY[HEADER.FIELDS (subject)]<9> {5}\r\nfirst)"]


def cached_answers(s):
    assert s.ok("FETCH 1:2 (UID BODY.PEEK[HEADER.FIELDS (DATE)])") == DATES
    assert s.ok(f"FETCH 1:2 BODY.PEEK[HEADER.FIELDS ({ROUNDCUBE})]") == LIST
    assert s.ok("FETCH 2 BODY.PEEK[HEADER.FIELDS (subject)]<9.5>") == PARTIAL


def test_header_fields_from_cache(inst, port):
    s = Session(inst, port, "alice")
    for msg in MSGS:
        assert s.append("INBOX", msg).startswith("OK")
    s.ok("SELECT INBOX")
    cached_answers(s)
    assert s.ok("FETCH 1 BODY.PEEK[HEADER.FIELDS (X-MAILER)]") == [
        "* 1 FETCH (BODY[HEADER.FIELDS (X-MAILER)] {26}\r\n"
        "X-Mailer: TestMail 1.0\r\n\r\n)"]

    files = glob.glob(os.path.join(inst.spool_dir, "**", "[12]."),
                      recursive=True)
    assert len(files) == 2
    for f in files:
        os.unlink(f)
    # The same bytes without the files: they are not read.
    cached_answers(s)
    # X-Mailer is not kept: the file is read, and it is gone (a missing
    # file is answered as a message expunged meanwhile, as before).
    assert s.run("FETCH 1 BODY.PEEK[HEADER.FIELDS (X-MAILER)]") == (
        [], "NO [EXPUNGEISSUED] Some messages were expunged before they "
            "could be fetched")
    s.ok("LOGOUT")
