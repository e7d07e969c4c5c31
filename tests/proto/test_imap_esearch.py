"""SEARCH extensions and two compliance fixes, with exact responses.

- NIL in a flag list is the keyword "NIL" (RFC 3501/9051 4.5: NIL is not
  used for atom-form data): STORE and APPEND accept it.
- FROM, TO, CC, BCC match the parsed addresses as well as the raw text:
  "user-from@domain.org" finds "<user-from (comment)@ (comment) domain.org>".
- ESEARCH (RFC 4731): SEARCH / UID SEARCH RETURN (MIN MAX ALL COUNT), the
  "* ESEARCH (TAG ...)" answer, empty results, MODSEQ, bad options.
- SEARCHRES (RFC 5182): RETURN (SAVE) and "$" in FETCH, STORE, COPY, MOVE,
  SEARCH, UID EXPUNGE and their UID forms; what is saved with MIN/MAX;
  "$" empty before a SAVE, after SELECT/EXAMINE/CLOSE/UNSELECT, after a NO,
  unchanged after a BAD; expunged messages leave it.
- WITHIN (RFC 5032): OLDER / YOUNGER n seconds against INTERNALDATE.
- ESORT (RFC 5267 3): SORT RETURN (...), results in sort order; CONTEXT=SORT:
  SORT RETURN (UPDATE) with ADDTO / REMOVEFROM at positions in sort order.
- CONTEXT=SEARCH (RFC 5267): PARTIAL lo:hi, the CONTEXT hint, UPDATE with
  its unsolicited ADDTO / REMOVEFROM (after EXISTS, before EXPUNGE, for
  other sessions' and our own changes), tag reuse, CANCELUPDATE, NOUPDATE
  past 16 contexts, contexts ending with the view.
"""

import time

from test_imap_mailbox import Session, inst, port  # noqa: F401


def msg(n, frm="a@example.com"):
    return (f"From: {frm}\r\nSubject: message {n}\r\n\r\nbody {n}\r\n"
            .encode())


class S(Session):
    def next_tag(self):
        return f"t{self.n + 1}"

    def esearch(self, text):
        """The untagged lines of an OK command, with TAG "<tag>" in place
        of the command's own tag."""
        tag = self.next_tag()
        return [ln.replace(f'(TAG "{tag}")', '(TAG "<tag>")')
                for ln in self.ok(text)]


def mailbox_of_six(inst, port):
    """INBOX with UIDs 2..6 at msgnos 1..5 (UID 1 expunged); \\Flagged on
    msgnos 2, 3, 5 (UIDs 3, 4, 6)."""
    s = S(inst, port, "alice")
    for n in range(1, 7):
        assert s.append("INBOX", msg(n)).startswith("OK")
    s.ok("SELECT INBOX")
    s.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert s.ok("EXPUNGE") == ["* 1 EXPUNGE"]
    s.ok("STORE 2:3,5 +FLAGS.SILENT (\\Flagged)")
    return s


def test_capabilities(inst, port):
    caps = S(inst, port, "alice").ok("CAPABILITY")[0].split()
    assert {"ESEARCH", "SEARCHRES", "WITHIN", "CONTEXT=SEARCH",
            "ESORT", "CONTEXT=SORT"} <= set(caps)
    # not (yet) implemented: not advertised
    assert "MULTISEARCH" not in caps


# ---- NIL as a flag keyword --------------------------------------------------

def test_nil_is_a_keyword(inst, port):
    s = S(inst, port, "alice")
    assert s.append("INBOX", msg(1), "(NIL)").startswith("OK")
    assert s.append("INBOX", msg(2), "(\\Seen nil)").startswith("OK")
    assert s.append("INBOX", msg(3)).startswith("OK")
    s.ok("SELECT INBOX")
    assert s.ok("FETCH 1:3 FLAGS") == [
        "* 1 FETCH (FLAGS (\\Recent NIL))",
        "* 2 FETCH (FLAGS (\\Seen \\Recent NIL))",
        "* 3 FETCH (FLAGS (\\Recent))"]
    assert s.ok("STORE 3 +FLAGS NIL") == ["* 3 FETCH (FLAGS (\\Recent NIL))"]
    assert s.ok("STORE 3 FLAGS (NIL \\Flagged)") == [
        "* 3 FETCH (FLAGS (\\Flagged \\Recent NIL))"]
    assert s.ok("STORE 1 -FLAGS (nil)") == ["* 1 FETCH (FLAGS (\\Recent))"]
    assert s.ok("SEARCH KEYWORD NIL") == ["* SEARCH 2 3"]
    # still refused: NIL as the whole flag list of APPEND, a string
    assert s.append("INBOX", msg(4), 'NIL') == \
        "BAD Expected a message literal"
    assert s.status('STORE 1 +FLAGS ("x")') == "BAD Invalid flag"
    assert s.ok("FETCH 1:3 FLAGS") == [
        "* 1 FETCH (FLAGS (\\Recent))",
        "* 2 FETCH (FLAGS (\\Seen \\Recent NIL))",
        "* 3 FETCH (FLAGS (\\Flagged \\Recent NIL))"]


# ---- address searches -------------------------------------------------------

def test_address_keys_match_parsed_addresses(inst, port):
    s = S(inst, port, "alice")
    for frm in ("<user-from (comment)@ (comment) domain.org>",
                "Other <user-from@other.org>"):
        assert s.append("INBOX", msg(1, frm)).startswith("OK")
    assert s.append("INBOX", b"From: x@y.z\r\nTo: \"Doe, Jay\" "
                             b"<jay . doe@example . net>\r\nCc: "
                             b"c (Carl) @ example.com\r\nBcc: Sam "
                             b"<sam@ (the boss) secret.example>\r\n\r\nb\r\n"
                    ).startswith("OK")
    s.ok("SELECT INBOX")
    assert s.ok("SEARCH FROM user-from@domain.org") == ["* SEARCH 1"]
    assert s.ok('SEARCH FROM "from@DOMAIN.ORG"') == ["* SEARCH 1"]
    assert s.ok("SEARCH FROM user-from") == ["* SEARCH 1 2"]
    assert s.ok('SEARCH FROM "(comment)"') == ["* SEARCH 1"]
    assert s.ok("SEARCH TO jay.doe@example.net") == ["* SEARCH 3"]
    assert s.ok('SEARCH TO "doe, jay"') == ["* SEARCH 3"]
    assert s.ok("SEARCH CC c@example.com") == ["* SEARCH 3"]
    assert s.ok("SEARCH CC carl") == ["* SEARCH 3"]
    assert s.ok("SEARCH BCC sam@secret.example") == ["* SEARCH 3"]
    # HEADER is the raw text only; SUBJECT is not an address
    assert s.ok("SEARCH HEADER From user-from@domain.org") == ["* SEARCH"]
    assert s.ok("SEARCH TO user-from@domain.org") == ["* SEARCH"]


# ---- ESEARCH ----------------------------------------------------------------

def test_esearch_result_options(inst, port):
    s = mailbox_of_six(inst, port)
    assert s.esearch("SEARCH RETURN (MIN MAX ALL COUNT) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") MIN 2 MAX 5 ALL 2:3,5 COUNT 3']
    assert s.esearch("UID SEARCH RETURN (MIN MAX ALL COUNT) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") UID MIN 3 MAX 6 ALL 3:4,6 COUNT 3']
    assert s.esearch("UID SEARCH RETURN (COUNT ALL) ALL") == [
        '* ESEARCH (TAG "<tag>") UID ALL 2:6 COUNT 5']
    assert s.esearch("search return (max) unflagged") == [
        '* ESEARCH (TAG "<tag>") MAX 4']
    assert s.esearch("SEARCH RETURN (MIN) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") MIN 2']
    assert s.esearch("SEARCH RETURN (COUNT COUNT) 2:4") == [
        '* ESEARCH (TAG "<tag>") COUNT 3']
    # RETURN () is ALL; CHARSET comes after RETURN
    assert s.esearch("UID SEARCH RETURN () 1,3,4") == [
        '* ESEARCH (TAG "<tag>") UID ALL 2,4:5']
    assert s.esearch("SEARCH RETURN (COUNT) CHARSET UTF-8 BODY body") == [
        '* ESEARCH (TAG "<tag>") COUNT 5']
    # nothing found: no MIN, MAX, ALL; COUNT 0 stays
    assert s.esearch("UID SEARCH RETURN (MIN MAX ALL) DELETED") == [
        '* ESEARCH (TAG "<tag>") UID']
    assert s.esearch("SEARCH RETURN (ALL COUNT) DELETED") == [
        '* ESEARCH (TAG "<tag>") COUNT 0']
    # without RETURN, the classic answer
    assert s.ok("UID SEARCH FLAGGED") == ["* SEARCH 3 4 6"]


def test_esearch_modseq(inst, port):
    s = mailbox_of_six(inst, port)
    mod = {}
    for line in s.ok("FETCH 1:5 (MODSEQ)"):
        n, m = line.split()[1], line.split("(MODSEQ (")[1].rstrip("))")
        mod[int(n)] = int(m)
    flagged = max(mod[2], mod[3], mod[5])
    assert s.esearch("SEARCH RETURN (ALL) MODSEQ 1 FLAGGED") == [
        f'* ESEARCH (TAG "<tag>") ALL 2:3,5 MODSEQ {flagged}']
    # MIN: the modseq of the message returned
    assert s.esearch("SEARCH RETURN (MIN) MODSEQ 1 FLAGGED") == [
        f'* ESEARCH (TAG "<tag>") MIN 2 MODSEQ {mod[2]}']
    assert s.esearch("SEARCH RETURN (MIN MAX) MODSEQ 1 FLAGGED") == [
        f'* ESEARCH (TAG "<tag>") MIN 2 MAX 5 MODSEQ {max(mod[2], mod[5])}']
    # COUNT alone returns no message: no MODSEQ
    assert s.esearch("SEARCH RETURN (COUNT) MODSEQ 1 FLAGGED") == [
        '* ESEARCH (TAG "<tag>") COUNT 3']
    assert s.esearch("SEARCH RETURN (ALL) MODSEQ 1 DELETED") == [
        '* ESEARCH (TAG "<tag>")']


def test_esearch_bad_options(inst, port):
    s = mailbox_of_six(inst, port)
    for text, why in [
            ("SEARCH RETURN (FOO) ALL", "Unknown search result option"),
            ("SEARCH RETURN (MIN (MAX)) ALL", "Unknown search result option"),
            ('SEARCH RETURN ("MIN") ALL', "Unknown search result option"),
            ("SEARCH RETURN ALL", "RETURN needs a list of result options"),
            ("SEARCH RETURN", "RETURN needs a list of result options"),
            ("SEARCH RETURN (MIN)", "Missing search criteria"),
            ("SEARCH CHARSET UTF-8 RETURN (MIN) ALL", "Unknown search key"),
            ("SEARCH RETURN (MIN) RETURN (MAX) ALL", "Unknown search key")]:
        assert s.status(text) == f"BAD {why}", text
    assert s.status("SEARCH RETURN (COUNT) CHARSET KOI9 ALL").startswith(
        "NO [BADCHARSET")


# ---- SEARCHRES --------------------------------------------------------------

def test_searchres_save_and_use(inst, port):
    s = mailbox_of_six(inst, port)
    s.ok("CREATE INBOX.copies")
    # empty before any SAVE: valid, names nothing
    assert s.ok("FETCH $ UID") == []
    assert s.ok("UID FETCH $ UID") == []
    assert s.ok("SEARCH $") == ["* SEARCH"]
    # SAVE alone answers nothing but the tagged OK
    assert s.ok("SEARCH RETURN (SAVE) FLAGGED") == []
    assert s.ok("FETCH $ UID") == ["* 2 FETCH (UID 3)", "* 3 FETCH (UID 4)",
                                   "* 5 FETCH (UID 6)"]
    assert s.ok("UID FETCH $ (FLAGS)") == [
        "* 2 FETCH (UID 3 FLAGS (\\Flagged \\Recent))",
        "* 3 FETCH (UID 4 FLAGS (\\Flagged \\Recent))",
        "* 5 FETCH (UID 6 FLAGS (\\Flagged \\Recent))"]
    assert s.ok("SEARCH $") == ["* SEARCH 2 3 5"]
    # NOT 3: message number 3, UID 4
    assert s.ok("UID SEARCH UID $ NOT 3") == ["* SEARCH 3 6"]
    assert s.ok("STORE $ +FLAGS (\\Answered)") == [
        "* 2 FETCH (FLAGS (\\Answered \\Flagged \\Recent))",
        "* 3 FETCH (FLAGS (\\Answered \\Flagged \\Recent))",
        "* 5 FETCH (FLAGS (\\Answered \\Flagged \\Recent))"]
    assert s.status("COPY $ INBOX.copies").startswith(
        "OK [COPYUID ")
    assert s.status("COPY $ INBOX.copies").split("]")[0].split()[-2] == \
        "3:4,6"
    # UID SEARCH saves too; the set is UIDs either way
    assert s.ok("UID SEARCH RETURN (SAVE) UID 5:6") == []
    assert s.ok("FETCH $ UID") == ["* 4 FETCH (UID 5)", "* 5 FETCH (UID 6)"]
    # SAVE with other options: ESEARCH as usual
    assert s.esearch("SEARCH RETURN (SAVE COUNT) UNFLAGGED") == [
        '* ESEARCH (TAG "<tag>") COUNT 2']
    assert s.ok("SEARCH $") == ["* SEARCH 1 4"]
    # "$" inside a set is not "$"
    assert s.status("FETCH 1,$ UID") == "BAD Invalid sequence set"
    assert s.status("SEARCH 1,$") == "BAD Invalid sequence set in search"


def test_searchres_min_max(inst, port):
    s = mailbox_of_six(inst, port)
    cases = [("MIN", "2"), ("MAX", "5"), ("MIN MAX", "2 5"),
             ("MIN ALL", "2 3 5"), ("MAX COUNT", "2 3 5"), ("", "2 3 5")]
    for opts, saved in cases:
        s.ok(f"SEARCH RETURN ({'SAVE ' + opts if opts else 'SAVE'}) FLAGGED")
        assert s.ok("SEARCH $") == [f"* SEARCH {saved}"], opts
    s.ok("SEARCH RETURN (SAVE MIN MAX) 3")
    assert s.ok("SEARCH $") == ["* SEARCH 3"]
    s.ok("SEARCH RETURN (SAVE MIN) DELETED")
    assert s.ok("SEARCH $") == ["* SEARCH"]


def test_searchres_resets(inst, port):
    s = mailbox_of_six(inst, port)
    saved = ["* SEARCH 2 3 5"]
    s.ok("SEARCH RETURN (SAVE) FLAGGED")
    # BAD leaves it, SEARCH without SAVE too
    assert s.status("SEARCH RETURN (SAVE) FOO").startswith("BAD")
    assert s.status("SEARCH RETURN (SAVE BAR) ALL").startswith("BAD")
    s.ok("SEARCH ALL")
    assert s.ok("SEARCH $") == saved
    # NO empties it
    assert s.status("SEARCH RETURN (SAVE) CHARSET KOI9 ALL").startswith(
        "NO [BADCHARSET")
    assert s.ok("SEARCH $") == ["* SEARCH"]
    for leave in ("SELECT INBOX", "EXAMINE INBOX", "CLOSE", "UNSELECT"):
        s.ok("SEARCH RETURN (SAVE) FLAGGED")
        assert s.ok("SEARCH $") == saved
        s.ok(leave)
        if leave in ("CLOSE", "UNSELECT"):
            s.ok("SELECT INBOX")
        assert s.ok("SEARCH $") == ["* SEARCH"], leave
        assert s.ok("UID FETCH $ UID") == [], leave


def test_searchres_expunge_move(inst, port):
    s = mailbox_of_six(inst, port)
    s.ok("CREATE INBOX.moved")
    s.ok("SEARCH RETURN (SAVE) FLAGGED")
    # an expunged message leaves "$"; the rest are renumbered
    s.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert s.ok("EXPUNGE") == ["* 2 EXPUNGE"]
    assert s.ok("FETCH $ UID") == ["* 2 FETCH (UID 4)", "* 4 FETCH (UID 6)"]
    # another session's expunge too, once reported
    o = S(inst, port, "alice")
    o.ok("SELECT INBOX")
    o.ok("UID STORE 4 +FLAGS.SILENT (\\Deleted)")
    o.ok("UID EXPUNGE 4")
    assert s.ok("NOOP") == ["* 2 EXPUNGE"]
    assert s.ok("UID SEARCH $") == ["* SEARCH 6"]
    # UID EXPUNGE $ and MOVE $
    s.ok("SEARCH RETURN (SAVE) 1:2")
    s.ok("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    assert s.ok("UID EXPUNGE $") == ["* 1 EXPUNGE", "* 1 EXPUNGE"]
    assert s.ok("UID SEARCH ALL") == ["* SEARCH 6"]
    s.ok("SEARCH RETURN (SAVE) ALL")
    untagged = s.ok("MOVE $ INBOX.moved")
    assert untagged[1:] == ["* 1 EXPUNGE"]
    assert s.ok("FETCH $ UID") == []


# ---- WITHIN -----------------------------------------------------------------

def test_within(inst, port):
    s = S(inst, port, "alice")
    now = time.time()
    for age in (3 * 86400, 2 * 3600, 0):
        date = time.strftime("%d-%b-%Y %H:%M:%S +0000",
                             time.gmtime(now - age))
        assert s.append("INBOX", msg(age), f'"{date}"').startswith("OK")
    s.ok("SELECT INBOX")
    assert s.ok("SEARCH YOUNGER 3600") == ["* SEARCH 3"]
    assert s.ok("SEARCH YOUNGER 86400") == ["* SEARCH 2 3"]
    assert s.ok("SEARCH OLDER 3600") == ["* SEARCH 1 2"]
    assert s.ok("SEARCH OLDER 86400") == ["* SEARCH 1"]
    assert s.ok("SEARCH older 864000") == ["* SEARCH"]
    assert s.ok("SEARCH NOT YOUNGER 86400 OLDER 60") == ["* SEARCH 1"]
    assert s.esearch("UID SEARCH RETURN (COUNT) YOUNGER 86400") == [
        '* ESEARCH (TAG "<tag>") UID COUNT 2']
    for bad in ("OLDER 0", "YOUNGER", "OLDER -5", "YOUNGER 1x",
                "OLDER 4294967296", 'YOUNGER "60"'):
        assert s.status(f"SEARCH {bad}") == \
            "BAD Invalid interval in search", bad


# ---- CONTEXT=SEARCH: PARTIAL, CONTEXT, UPDATE, CANCELUPDATE -----------------

def test_partial(inst, port):
    s = mailbox_of_six(inst, port)
    assert s.esearch("UID SEARCH RETURN (PARTIAL 1:2) ALL") == [
        '* ESEARCH (TAG "<tag>") UID PARTIAL (1:2 2:3)']
    assert s.esearch("SEARCH RETURN (PARTIAL 4:10) ALL") == [
        '* ESEARCH (TAG "<tag>") PARTIAL (4:10 4:5)']
    assert s.esearch("SEARCH RETURN (partial 3:2 COUNT) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") PARTIAL (2:3 3,5) COUNT 3']
    assert s.esearch("UID SEARCH RETURN (PARTIAL 7:9) ALL") == [
        '* ESEARCH (TAG "<tag>") UID PARTIAL (7:9 NIL)']
    assert s.esearch("SEARCH RETURN (MIN PARTIAL 2:2) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") MIN 2 PARTIAL (2:2 3)']
    assert s.esearch("UID SEARCH RETURN (PARTIAL 1:5) DELETED") == [
        '* ESEARCH (TAG "<tag>") UID PARTIAL (1:5 NIL)']
    # CONTEXT is a hint; alone (or with UPDATE only) it means ALL
    assert s.esearch("SEARCH RETURN (CONTEXT COUNT) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") COUNT 3']
    assert s.esearch("SEARCH RETURN (CONTEXT) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") ALL 2:3,5']
    # SAVE with PARTIAL keeps the window
    assert s.esearch("SEARCH RETURN (SAVE PARTIAL 2:3) FLAGGED") == [
        '* ESEARCH (TAG "<tag>") PARTIAL (2:3 3,5)']
    assert s.ok("SEARCH $") == ["* SEARCH 3 5"]
    for opts, why in [
            ("PARTIAL 1:*", "PARTIAL needs a range such as 1:100"),
            ("PARTIAL 0:5", "PARTIAL needs a range such as 1:100"),
            ("PARTIAL 5", "PARTIAL needs a range such as 1:100"),
            ("PARTIAL", "PARTIAL needs a range such as 1:100"),
            ("PARTIAL 1:2 PARTIAL 3:4", "At most one PARTIAL or ALL"),
            ("ALL PARTIAL 1:2", "At most one PARTIAL or ALL"),
            ("PARTIAL 1:2 ALL", "At most one PARTIAL or ALL")]:
        assert s.status(f"SEARCH RETURN ({opts}) ALL") == f"BAD {why}", opts


def watched(inst, port):
    """mailbox_of_six's session, and another session on the same INBOX
    that makes the changes."""
    s = mailbox_of_six(inst, port)
    o = S(inst, port, "alice")
    o.ok("SELECT INBOX")
    return s, o


def raw(s, tag, text):
    """Send text with our own tag; (untagged lines, tagged status)."""
    lines = s.c.command(tag, text)
    return lines[:-1], lines[-1][len(tag) + 1:]


def tagged_ok(s, tag, text):
    """raw(), which must answer OK; its untagged lines."""
    untagged, status = raw(s, tag, text)
    assert status == "OK Completed", (text, status)
    return untagged


def test_update_notifications(inst, port):
    s, o = watched(inst, port)
    assert tagged_ok(s, "U1", "UID SEARCH RETURN (UPDATE COUNT) FLAGGED") == [
        '* ESEARCH (TAG "U1") UID COUNT 3']
    assert tagged_ok(s, "U2", "SEARCH RETURN (UPDATE MIN) FLAGGED") == [
        '* ESEARCH (TAG "U2") MIN 2']
    # another session flags UID 2 (msgno 1), unflags UID 4 (msgno 3)
    o.ok("UID STORE 2 +FLAGS.SILENT (\\Flagged)")
    o.ok("UID STORE 4 -FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP") == [
        "* 1 FETCH (FLAGS (\\Flagged \\Recent))",
        "* 3 FETCH (FLAGS (\\Recent))",
        '* ESEARCH (TAG "U1") UID REMOVEFROM (0 4)',
        '* ESEARCH (TAG "U1") UID ADDTO (0 2)',
        '* ESEARCH (TAG "U2") REMOVEFROM (0 3)',
        '* ESEARCH (TAG "U2") ADDTO (0 1)']
    assert s.ok("NOOP") == []
    # this session's own STORE: reported at the next command
    s.ok("STORE 4 +FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP") == ['* ESEARCH (TAG "U1") UID ADDTO (0 5)',
                            '* ESEARCH (TAG "U2") ADDTO (0 4)']
    # a new message: ADDTO after EXISTS
    assert o.append("INBOX", msg(7), "(\\Flagged)").startswith("OK")
    assert s.ok("NOOP") == ["* 6 EXISTS", "* 5 RECENT",
                            '* ESEARCH (TAG "U1") UID ADDTO (0 7)',
                            '* ESEARCH (TAG "U2") ADDTO (0 6)']
    # expunged: REMOVEFROM first, by the old number
    o.ok("UID STORE 3,7 +FLAGS.SILENT (\\Deleted)")
    o.ok("EXPUNGE")
    untagged = s.ok("NOOP")
    assert untagged == [
        '* ESEARCH (TAG "U1") UID REMOVEFROM (0 3,7)',
        '* ESEARCH (TAG "U2") REMOVEFROM (0 2,6)',
        "* 2 EXPUNGE", "* 5 EXPUNGE"]
    assert s.ok("UID SEARCH FLAGGED") == ["* SEARCH 2 5 6"]
    # during SEARCH (no EXPUNGE allowed) a message expunged elsewhere
    # keeps its number and its last state
    o.ok("UID STORE 6 +FLAGS.SILENT (\\Deleted)")
    o.ok("EXPUNGE")
    assert s.ok("SEARCH FLAGGED") == ["* SEARCH 1 3 4"]
    assert s.ok("NOOP") == ['* ESEARCH (TAG "U1") UID REMOVEFROM (0 6)',
                            '* ESEARCH (TAG "U2") REMOVEFROM (0 4)',
                            "* 4 EXPUNGE"]


def test_update_tags_cancel_and_limits(inst, port):
    s, o = watched(inst, port)
    assert tagged_ok(s, "U1", "SEARCH RETURN (UPDATE) UNFLAGGED") == [
        '* ESEARCH (TAG "U1") ALL 1,4']
    # a tag in use by an updating search: BAD, nothing runs
    assert raw(s, "U1", "SEARCH RETURN (UPDATE COUNT) ALL") == (
        [], "BAD Tag reuse: an updating search has this tag")
    # without UPDATE the tag is just a tag
    assert tagged_ok(s, "U1", "SEARCH RETURN (COUNT) ALL") == [
        '* ESEARCH (TAG "U1") COUNT 5']
    for text, why in [
            ("CANCELUPDATE", "CANCELUPDATE needs the tags of searches"),
            ("CANCELUPDATE U1", "CANCELUPDATE takes quoted tags"),
            ('CANCELUPDATE "U1" "U9"', "No updating search has that tag")]:
        assert s.status(text) == f"BAD {why}", text
    # the failed CANCELUPDATE cancelled nothing
    o.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP") == ["* 1 FETCH (FLAGS (\\Flagged \\Recent))",
                            '* ESEARCH (TAG "U1") REMOVEFROM (0 1)']
    assert s.ok('CANCELUPDATE "U1"') == []
    o.ok("STORE 1 -FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP") == ["* 1 FETCH (FLAGS (\\Recent))"]
    assert s.status('CANCELUPDATE "U1"') == \
        "BAD No updating search has that tag"
    # at most 16 contexts: the 17th search is answered, without updates
    for k in range(16):
        raw(s, f"C{k}", "UID SEARCH RETURN (UPDATE COUNT) UID 6")
    assert tagged_ok(s, "C16", "UID SEARCH RETURN (UPDATE COUNT) UID 6") == [
        '* ESEARCH (TAG "C16") UID COUNT 1',
        '* NO [NOUPDATE "C16"] Too many updating searches']
    o.ok("UID STORE 6 +FLAGS.SILENT (\\Deleted)")
    o.ok("EXPUNGE")
    assert s.ok("NOOP") == [
        f'* ESEARCH (TAG "C{k}") UID REMOVEFROM (0 6)' for k in range(16)
    ] + ["* 5 EXPUNGE"]
    # a new SELECT ends every context (and CANCELUPDATE needs one)
    s.ok("SELECT INBOX")
    o.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
    assert s.ok("NOOP") == ["* 1 FETCH (FLAGS (\\Seen))"]
    assert s.status('CANCELUPDATE "C1"') == \
        "BAD No updating search has that tag"


# ---- ESORT ------------------------------------------------------------------

def test_esort(inst, port):
    s = mailbox_of_six(inst, port)
    # subjects "message 2" .. "message 6" at msgnos 1..5 (UIDs 2..6)
    assert s.esearch("UID SORT RETURN (ALL) (REVERSE SUBJECT) UTF-8 ALL") == [
        '* ESEARCH (TAG "<tag>") UID ALL 6,5,4,3,2']
    assert s.esearch("SORT RETURN (MIN MAX COUNT) (REVERSE SUBJECT) UTF-8 "
                     "FLAGGED") == [
        '* ESEARCH (TAG "<tag>") MIN 5 MAX 2 COUNT 3']
    assert s.esearch("SORT RETURN () (SUBJECT) UTF-8 ALL") == [
        '* ESEARCH (TAG "<tag>") ALL 1:5']
    assert s.esearch("SORT RETURN (PARTIAL 2:3) (REVERSE SUBJECT) US-ASCII "
                     "ALL") == ['* ESEARCH (TAG "<tag>") PARTIAL (2:3 4,3)']
    assert s.esearch("UID SORT RETURN (COUNT) (SUBJECT) UTF-8 DELETED") == [
        '* ESEARCH (TAG "<tag>") UID COUNT 0']
    # SAVE: MIN is the first sorted message
    assert s.esearch("SORT RETURN (SAVE MIN) (REVERSE SUBJECT) UTF-8 "
                     "ALL") == ['* ESEARCH (TAG "<tag>") MIN 5']
    assert s.ok("UID SEARCH $") == ["* SEARCH 6"]
    assert s.ok("SORT RETURN (SAVE) (SUBJECT) UTF-8 FLAGGED") == []
    assert s.ok("UID SEARCH $") == ["* SEARCH 3 4 6"]
    for text, why in [
            ("SORT RETURN (FOO) (SUBJECT) UTF-8 ALL",
             "Unknown search result option"),
            ("SORT RETURN (ALL)", "Missing sort criteria"),
            ("SORT RETURN (ALL) (SUBJECT)", "Missing charset")]:
        assert s.status(text) == f"BAD {why}", text
    # without RETURN: the classic answer
    assert s.ok("UID SORT (REVERSE SUBJECT) UTF-8 ALL") == [
        "* SORT 6 5 4 3 2"]


def test_sort_update(inst, port):
    s, o = watched(inst, port)
    # flagged: UIDs 3, 4, 6 ("message 3", "4", "6") at msgnos 2, 3, 5
    assert tagged_ok(s, "S1", "UID SORT RETURN (UPDATE ALL) "
                     "(REVERSE SUBJECT) UTF-8 FLAGGED") == [
        '* ESEARCH (TAG "S1") UID ALL 6,4,3']
    assert tagged_ok(s, "S2", "SORT RETURN (UPDATE COUNT) (SUBJECT) UTF-8 "
                     "FLAGGED") == ['* ESEARCH (TAG "S2") COUNT 3']
    # UID 5 (msgno 4) in, UID 3 (msgno 2) out
    o.ok("UID STORE 5 +FLAGS.SILENT (\\Flagged)")
    o.ok("UID STORE 3 -FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP") == [
        "* 2 FETCH (FLAGS (\\Recent))",
        "* 4 FETCH (FLAGS (\\Flagged \\Recent))",
        '* ESEARCH (TAG "S1") UID REMOVEFROM (3 3)',
        '* ESEARCH (TAG "S1") UID ADDTO (2 5)',
        '* ESEARCH (TAG "S2") REMOVEFROM (1 2)',
        '* ESEARCH (TAG "S2") ADDTO (2 4)']
    # now S1 is 6,5,4 and S2 is msgnos 3,4,5; several at once, in runs
    o.ok("UID STORE 2,3 +FLAGS.SILENT (\\Flagged)")
    o.ok("UID STORE 5 -FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP")[3:] == [
        '* ESEARCH (TAG "S1") UID REMOVEFROM (2 5)',
        '* ESEARCH (TAG "S1") UID ADDTO (3 3,2)',
        '* ESEARCH (TAG "S2") REMOVEFROM (2 4)',
        '* ESEARCH (TAG "S2") ADDTO (1 1:2)']
    # S1: 6,4,3,2; S2: msgnos 1,2,3,5.  Expunge UIDs 4 and 6: REMOVEFROM
    # first (neighbours as one run, old numbers), then EXPUNGE
    o.ok("UID STORE 4,6 +FLAGS.SILENT (\\Deleted)")
    o.ok("EXPUNGE")
    assert s.ok("NOOP") == [
        '* ESEARCH (TAG "S1") UID REMOVEFROM (1 6,4)',
        '* ESEARCH (TAG "S2") REMOVEFROM (3 3,5)',
        "* 3 EXPUNGE", "* 4 EXPUNGE"]
    # an arrival goes where it sorts, after EXISTS
    assert o.append("INBOX", msg(1), "(\\Flagged)").startswith("OK")
    assert s.ok("NOOP")[2:] == ['* ESEARCH (TAG "S1") UID ADDTO (3 7)',
                                '* ESEARCH (TAG "S2") ADDTO (1 4)']
    # S1: 3,2,7; S2: msgnos 4,1,2.  Two runs: the highest position first
    o.ok("UID STORE 3,7 -FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP")[2:] == [
        '* ESEARCH (TAG "S1") UID REMOVEFROM (3 7 1 3)',
        '* ESEARCH (TAG "S2") REMOVEFROM (3 2 1 4)']
    assert s.ok('CANCELUPDATE "S1" "S2"') == []
    o.ok("UID STORE 2 -FLAGS.SILENT (\\Flagged)")
    assert s.ok("NOOP") == ["* 1 FETCH (FLAGS (\\Recent))"]


def test_sort_update_reordered(inst, port):
    """A message another session expunged sorts on its record alone until
    its EXPUNGE may be sent (empty subject: first); what stays then moved,
    so the whole list is removed and added again."""
    s, o = watched(inst, port)
    assert tagged_ok(s, "R1", "UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 "
                     "FLAGGED") == ['* ESEARCH (TAG "R1") UID ALL 3:4,6']
    o.ok("UID STORE 4 +FLAGS.SILENT (\\Deleted)")
    o.ok("EXPUNGE")
    assert s.ok("SEARCH UID 2") == [
        '* ESEARCH (TAG "R1") UID REMOVEFROM (1 3:4,6)',
        '* ESEARCH (TAG "R1") UID ADDTO (1 4,3,6)',
        "* SEARCH 1"]
    assert s.ok("NOOP") == ['* ESEARCH (TAG "R1") UID REMOVEFROM (1 4)',
                            "* 3 EXPUNGE"]
    assert s.ok("NOOP") == []
