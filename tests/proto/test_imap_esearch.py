"""SEARCH and two compliance fixes, with exact responses.

- NIL in a flag list is the keyword "NIL" (RFC 3501/9051 4.5: NIL is not
  used for atom-form data): STORE and APPEND accept it.
- FROM, TO, CC, BCC match the parsed addresses as well as the raw text:
  "user-from@domain.org" finds "<user-from (comment)@ (comment) domain.org>".
"""

from test_imap_mailbox import Session, inst, port  # noqa: F401


def msg(n, frm="a@example.com"):
    return (f"From: {frm}\r\nSubject: message {n}\r\n\r\nbody {n}\r\n"
            .encode())


S = Session


# ---- NIL as a flag keyword ---------------------------------------------------

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


# ---- address searches ----------------------------------------------------------

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
