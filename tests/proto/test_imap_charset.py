"""SEARCH, SORT=DISPLAY and THREAD on text in charsets Chapar reads through
iconv (issue 19): KOI8-R, ISO-2022-JP, windows-1251, in RFC 2047 words and
in bodies, found by UTF-8 keys and by keys in the charset itself; an
unknown charset is NO [BADCHARSET (...)] with the usual names listed.
"""

import base64

import pytest

from test_imap_sort import login


def b64word(charset, text):
    data = base64.b64encode(text.encode(charset)).decode()
    return f"=?{charset}?B?{data}?="


def msg(headers, body=b"hello\r\n"):
    return "".join(f"{h}\r\n" for h in headers).encode() + b"\r\n" + body


MSGS = [
    # 1: Привет in a KOI8-R encoded word
    msg(["From: Boris <b@x.org>", "Subject: " + b64word("KOI8-R", "Привет"),
         "Date: Fri, 1 Jan 2021 10:00:00 +0000", "Message-ID: <1@x>"]),
    # 2: Привет in a KOI8-R body, 8-bit
    msg(["From: Zed <z@x.org>", "Subject: body only",
         "Date: Sat, 2 Jan 2021 10:00:00 +0000", "Message-ID: <2@x>",
         "MIME-Version: 1.0", "Content-Type: text/plain; charset=KOI8-R",
         "Content-Transfer-Encoding: 8bit"],
        "Ну, Привет всем\r\n".encode("koi8-r")),
    # 3: 会議 in an ISO-2022-JP encoded word
    msg(["From: Anna <a@x.org>", "Subject: " + b64word("ISO-2022-JP", "会議"),
         "Date: Sun, 3 Jan 2021 10:00:00 +0000", "Message-ID: <3@x>"]),
    # 4: Иван as a windows-1251 display name
    msg(["From: " + b64word("windows-1251", "Иван") + " <ivan@x.org>",
         "Date: Mon, 4 Jan 2021 10:00:00 +0000", "Message-ID: <4@x>"]),
    # 5: nothing of the above
    msg(["Subject: hello", "Date: Tue, 5 Jan 2021 10:00:00 +0000",
         "Message-ID: <5@x>"]),
    # 6: a reply to 1 by subject, in UTF-8
    msg(["From: c@x.org", "Subject: Re: " + b64word("UTF-8", "привет"),
         "Date: Wed, 6 Jan 2021 10:00:00 +0000", "Message-ID: <6@x>"]),
]


@pytest.fixture
def client(make_instance):
    c = login(make_instance)
    for i, data in enumerate(MSGS):
        c.send_line(f"a{i} APPEND INBOX {{{len(data)}+}}")
        c.send(data + b"\r\n")
        assert c.read_until(f"a{i}")[-1].startswith(f"a{i} OK")
    c.command("s", "SELECT INBOX")
    return c


def search(c, before, key, after=b""):
    """A command whose last argument is the literal key (raw bytes)."""
    c.send(b"t " + before + b" {%d+}\r\n" % len(key) + key + after + b"\r\n")
    lines = c.read_until("t")
    assert lines[-1] == "t OK Completed", lines
    assert len(lines) == 2, lines
    return lines[0]


@pytest.mark.parametrize("prog,key,want", [
    (b"SEARCH CHARSET UTF-8 SUBJECT", "Привет", "* SEARCH 1 6"),
    (b"SEARCH CHARSET UTF-8 SUBJECT", "ПРИВЕТ", "* SEARCH 1 6"),
    (b"SEARCH CHARSET UTF-8 BODY", "Привет", "* SEARCH 2"),
    (b"SEARCH CHARSET UTF-8 TEXT", "привет", "* SEARCH 1 2 6"),
    (b"SEARCH CHARSET UTF-8 SUBJECT", "会議", "* SEARCH 3"),
    (b"SEARCH CHARSET UTF-8 FROM", "Иван", "* SEARCH 4"),
    (b"SEARCH CHARSET UTF-8 FROM", "иван", "* SEARCH 4"),
    (b"SEARCH CHARSET UTF-8 FROM", "Ивана", "* SEARCH"),
])
def test_search_utf8_keys(client, prog, key, want):
    assert search(client, prog, key.encode()) == want


def test_search_keys_in_other_charsets(client):
    # the key in the charset the client names, converted through iconv
    assert search(client, b"SEARCH CHARSET KOI8-R SUBJECT",
                  "привет".encode("koi8-r")) == "* SEARCH 1 6"
    assert search(client, b"SEARCH CHARSET ISO-2022-JP SUBJECT",
                  "会議".encode("iso2022_jp")) == "* SEARCH 3"
    assert search(client, b"SEARCH CHARSET windows-1251 TEXT",
                  "Иван".encode("cp1251")) == "* SEARCH 4"
    assert search(client, b"UID SEARCH CHARSET Shift_JIS SUBJECT",
                  "会議".encode("shift_jis")) == "* SEARCH 3"


def test_badcharset(client):
    assert client.command("t", "SEARCH CHARSET X-KLINGON TEXT x") == [
        "t NO [BADCHARSET (US-ASCII UTF-8 ISO-8859-1 ISO-8859-2 ISO-8859-5 "
        "ISO-8859-7 ISO-8859-15 WINDOWS-1250 WINDOWS-1251 WINDOWS-1252 "
        "KOI8-R KOI8-U ISO-2022-JP SHIFT_JIS EUC-JP GB2312 GBK GB18030 BIG5 "
        "EUC-KR UTF-16)] Unsupported charset"]
    # an iconv suffix is not a charset name
    assert client.command("t", "SEARCH CHARSET UTF-8//IGNORE TEXT x")[0] \
        .startswith("t NO [BADCHARSET (")


def test_sort_display_and_thread_decode(client):
    # DISPLAYFROM: "" (5), Anna, Boris, c@x.org (6), Zed, Иван (after
    # Latin); undecoded, "=?windows-1251?..." would sort first
    assert search(client, b"SORT (DISPLAYFROM) UTF-8 NOT SUBJECT",
                  b"qqq") == "* SORT 5 3 1 6 2 4"
    # 1 and 6 share the base subject ПРИВЕТ (KOI8-R and UTF-8 words)
    assert search(client, b"THREAD ORDEREDSUBJECT UTF-8 SUBJECT",
                  "привет".encode()) == "* THREAD (1 6)"
    assert search(client, b"THREAD REFERENCES UTF-8 NOT SUBJECT",
                  b"qqq") == "* THREAD (1 6)(2)(3)(4)(5)"
