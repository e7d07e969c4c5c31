"""Deterministic message corpus: message(seed, i, tag) is always the same bytes
for the same arguments (tag only changes the Message-ID, so one corpus can
be delivered twice past duplicate suppression).

Sizes: log-normal around 6 kB (mean about 14 kB), clamped to 1 kB .. 2 MB;
half plain text, 30% multipart/alternative, 20% with a base64 attachment
(the large ones); 20% with RFC 2047 non-ASCII headers; messages grouped
in threads of 1-8 with In-Reply-To and References.  One message in 100
(i % 100 == 37) contains the word SEARCH_WORD; one in 50 (i % 50 == 11)
is from SEARCH_FROM.
"""

import base64
import datetime
import math
import random

SEARCH_WORD = "zanzibarite"
SEARCH_FROM = "zoe.marsh@example.net"
WORDS = ("the of and to in is that for it as was with be by on not he this are "
         "or his from at which but have an they you were her she there been "
         "meeting report budget quarter server mailbox deploy review invoice "
         "schedule project release customer ticket network storage").split()
NAMES = [("Alice Archer", "alice@example.com"), ("Bob Baker", "bob@example.org"),
         ("Carol Chen", "carol@example.com"), ("Dave Dunn", "dave@example.net"),
         ("=?UTF-8?B?" + base64.b64encode("Zoë Marsh".encode()).decode() + "?=",
          SEARCH_FROM),
         ("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=", "juergen@example.de"),
         ("=?UTF-8?B?" + base64.b64encode("Shahrzad Kâmrâni".encode()).decode() + "?=",
          "shahrzad@example.ir")]


def date(i):
    """An RFC 5322 date in February 2026, with the weekday that goes with
    it, as mail software writes it."""
    d = datetime.datetime(2026, 2, 1 + i % 28, i % 24, i % 60)
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d.weekday()]
    return f"{day}, {d.day} Feb 2026 {d.hour:02d}:{d.minute:02d}:00 +0000"


def size_of(rng):
    return int(min(max(rng.lognormvariate(math.log(6000), 1.3), 1000), 2_000_000))


def text(rng, nbytes, word=False):
    out, n = [], 0
    while n < nbytes:
        line = " ".join(rng.choice(WORDS) for _ in range(12))
        out.append(line)
        n += len(line) + 2
    if word:
        out.insert(len(out) // 2, f"Please look at the {SEARCH_WORD} sample.")
    return "\r\n".join(out) + "\r\n"


def message(seed, i, tag="0"):
    rng = random.Random(seed * 1_000_003 + i)
    size = size_of(rng)
    thread, pos = divmod(i, 8)
    pos = pos % (1 + (thread * 7919) % 8)
    frm = NAMES[4] if i % 50 == 11 else NAMES[rng.randrange(len(NAMES))]
    if i % 50 != 11 and frm[1] == SEARCH_FROM:
        frm = NAMES[0]
    subj = f"Thread {thread} about {rng.choice(WORDS)} {rng.choice(WORDS)}"
    if rng.random() < 0.2:
        subj = "=?UTF-8?Q?R=C3=A9union_=C3=A0_Paris?= " + subj
    hdr = [f"From: {frm[0]} <{frm[1]}>", "To: Team <team@example.com>",
           f"Subject: {'Re: ' if pos else ''}{subj}",
           f"Date: {date(i)}",
           f"Message-ID: <{i}.{tag}.{seed}@bench.example>"]
    if pos:
        refs = " ".join(f"<{thread * 8 + k}.{tag}.{seed}@bench.example>"
                        for k in range(pos))
        hdr += [f"In-Reply-To: <{thread * 8 + pos - 1}.{tag}.{seed}@bench.example>",
                f"References: {refs}"]
    hdr.append("MIME-Version: 1.0")
    word = i % 100 == 37
    kind = rng.random()
    if kind < 0.2 or size > 200_000:
        b = f"=_att{i}"
        att = base64.encodebytes(rng.randbytes(max(size * 3 // 4 - 1500, 100)))
        att = att.decode().replace("\n", "\r\n")
        hdr.append(f'Content-Type: multipart/mixed; boundary="{b}"')
        body = (f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                f"{text(rng, 600, word)}--{b}\r\n"
                f'Content-Type: application/pdf; name="doc{i}.pdf"\r\n'
                f"Content-Transfer-Encoding: base64\r\n"
                f'Content-Disposition: attachment; filename="doc{i}.pdf"\r\n\r\n'
                f"{att}--{b}--\r\n")
    elif kind < 0.5:
        b = f"=_alt{i}"
        plain = text(rng, size // 3, word)
        html = "<html><body><p>" + plain.replace("\r\n", "</p>\r\n<p>") + "</p></body></html>\r\n"
        hdr.append(f'Content-Type: multipart/alternative; boundary="{b}"')
        body = (f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}"
                f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}"
                f"--{b}--\r\n")
    else:
        hdr.append("Content-Type: text/plain; charset=utf-8")
        body = text(rng, size - 400, word)
    return ("\r\n".join(hdr) + "\r\n\r\n" + body).encode()


def stuffed(msg):
    """Dot-stuffed for LMTP DATA."""
    out = msg.replace(b"\r\n.", b"\r\n..")
    return b"." + out if out.startswith(b".") else out
