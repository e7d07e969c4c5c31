"""Sieve at delivery: deliver and lmtpd run the recipient's active script
(sievedir/<x>/<user>/<name>.script, chosen by the link defaultbc ->
<name>.bc, Cyrus's layout) against a private instance.  fileinto (with
:create, :copy and imap4flags :flags), keep with flags, discard, header /
address / envelope / size tests, redirect through the `sendmail` program
(a capture script here), reject (deliver: exit 77 with the reason;
lmtpd: 550 5.7.1 with the reason, per recipient), vacation (one reply per
sender and period, none to lists, bulk, auto-submitted mail or bounces),
and every way a script
can fail (syntax, runtime error, a missing folder, sendmail failing): the
message lands in the INBOX and a log line says why.  Also chapar-sievec.

Mailboxes are made and read over IMAP as a client would (test_deliver's
Store)."""

import os
import re
import subprocess

import pytest

from chapar_instance import find_program
from test_deliver import FAST, Store, message
from test_lmtp import send_data, session, talk

EX_OK, EX_NOPERM = 0, 77


def install_script(inst, user, text, name="main", active=True):
    """Write <name>.script for user in the sievedir and make it active."""
    d = os.path.join(inst.conf_dir, "sieve", user[0], user)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name + ".script"), "w") as f:
        f.write(text)
    link = os.path.join(d, "defaultbc")
    if os.path.lexists(link):
        os.unlink(link)
    if active:
        os.symlink(name + ".bc", link)


@pytest.fixture
def store(make_instance, tmp_path):
    capture = tmp_path / "sendmail"
    capture.write_text('#!/bin/sh\n'
                       'd=$(dirname "$0")\n'
                       'printf "%s\\n" "$@" > "$d/sent.args"\n'
                       'cat > "$d/sent.msg"\n'
                       'echo "$@" >> "$d/sent.log"\n'
                       'test ! -e "$d/sendmail.fail"\n')
    capture.chmod(0o755)
    s = Store(make_instance(options=dict(FAST, sendmail=str(capture))))
    s.capture_dir = tmp_path
    return s


def flags_and_count(store, user, mailbox):
    msgs = store.messages(user, mailbox)
    return [sorted(f for f in flags if f != "\\Recent") for flags, _ in msgs]


def test_fileinto_by_header_with_flags(store):
    store.ok(store.admin.create("user.alice.Lists"))
    install_script(store.inst, "alice", """\
require ["fileinto", "imap4flags"];
if header :contains "list-id" "chapar" {
    fileinto :flags ["\\\\Flagged", "$Lists"] "INBOX.Lists";
}
""")
    assert store.run(["alice"], message(1, b"")) == (EX_OK, "")
    msg = message(2).replace(b"Subject:", b"List-Id: <dev.chapar.test>\n"
                             b"Subject:")
    assert store.run(["alice"], msg) == (EX_OK, "")
    assert store.count("alice") == 1
    assert flags_and_count(store, "alice", "INBOX.Lists") == [
        ["$Lists", "\\Flagged"]]
    [(_, body)] = store.messages("alice", "INBOX.Lists")
    assert body == msg.replace(b"\n", b"\r\n")
    store.inst.wait_for_log(r"delivered: mailbox=<user\.alice\.Lists> "
                            r"uid=<1>")


def test_fileinto_create_and_copy(store):
    install_script(store.inst, "alice", """\
require ["fileinto", "mailbox", "copy"];
fileinto :create :copy "INBOX.New";
""")
    assert store.run(["alice"]) == (EX_OK, "")
    assert store.count("alice", "INBOX.New") == 1
    assert store.count("alice") == 1            # :copy keeps the implicit keep
    store.inst.wait_for_log(r"sieve: created mailbox=<user\.alice\.New> "
                            r"for user=<alice>")


def test_fileinto_missing_folder_goes_to_inbox(store):
    install_script(store.inst, "alice", 'require "fileinto";\n\n'
                                        'fileinto "INBOX.Nowhere";\n')
    assert store.run(["alice"]) == (EX_OK, "")
    assert store.count("alice") == 1
    store.inst.wait_for_log(r"sieve: user=<alice> line 3: fileinto "
                            r"\"INBOX\.Nowhere\" failed: not found")
    store.inst.wait_for_log(r"sieve: user=<alice> msgid=<<1@example\.org>>: "
                            r"filing into the INBOX instead")


def test_fileinto_other_users_folder_needs_p(store):
    store.ok(store.admin.create("user.bob.Drop"))
    install_script(store.inst, "alice", 'require "fileinto";\n'
                                        'fileinto "user.bob.Drop";\n')
    assert store.run(["alice"]) == (EX_OK, "")
    assert store.count("bob", "INBOX.Drop") == 0
    assert store.count("alice") == 1
    store.setacl("user.bob.Drop", "alice", "p")
    assert store.run(["alice"], message(2)) == (EX_OK, "")
    assert store.count("bob", "INBOX.Drop") == 1
    assert store.count("alice") == 1


def test_discard_and_implicit_keep_flags(store):
    install_script(store.inst, "alice", """\
require "imap4flags";
if header :is "subject" "spam" { discard; stop; }
addflag "\\\\Seen";
""")
    spam = message(1).replace(b"Subject: test", b"Subject: spam")
    assert store.run(["alice"], spam) == (EX_OK, "")
    assert store.count("alice") == 0
    store.inst.wait_for_log(r"sieve: discarded: user=<alice> "
                            r"msgid=<<1@example\.org>>")
    assert store.run(["alice"], message(2)) == (EX_OK, "")
    assert flags_and_count(store, "alice", "INBOX") == [["\\Seen"]]


def test_keep_flags_and_tests(store):
    for box in ("user.alice.Big", "user.alice.Example", "user.alice.Env"):
        store.ok(store.admin.create(box))
    install_script(store.inst, "alice", """\
require ["fileinto", "envelope", "imap4flags"];
if size :over 1K { fileinto "INBOX.Big"; stop; }
if address :domain :is "from" "EXAMPLE.org" {
    fileinto "INBOX.Example";
}
if envelope :localpart :matches "from" "list-*" {
    fileinto "INBOX.Env";
}
if exists "x-important" { keep :flags "\\\\Flagged"; }
""")
    assert store.run(["-r", "list-bounces@lists.test", "alice"],
                     message(1, b"x" * 2000)) == (EX_OK, "")
    assert store.run(["-r", "someone@else.test", "alice"],
                     message(2)) == (EX_OK, "")
    assert store.run(["-r", "list-x@lists.test", "alice"],
                     message(3).replace(b"From: Sender <sender@example.org>",
                                        b"From: other@other.test\n"
                                        b"X-Important: yes")) == (EX_OK, "")
    assert store.count("alice", "INBOX.Big") == 1
    assert store.count("alice", "INBOX.Example") == 1
    assert store.count("alice", "INBOX.Env") == 1
    assert flags_and_count(store, "alice", "INBOX") == [["\\Flagged"]]


def test_broken_script_goes_to_inbox_with_log_line(store):
    install_script(store.inst, "alice", 'require "fileinto";\n'
                                        'if header :contains "subject" {\n'
                                        '    fileinto "INBOX.x";\n}\n')
    assert store.run(["alice"]) == (EX_OK, "")
    assert store.count("alice") == 1
    store.inst.wait_for_log(r"err: sieve: user=<alice> script=<main>: "
                            r"line 2: \"header\" needs 2 arguments$")


def test_runtime_error_goes_to_inbox_with_log_line(store):
    install_script(store.inst, "alice", 'require ["fileinto", "reject"];\n'
                                        'fileinto "INBOX";\n'
                                        'reject "no";\n')
    assert store.run(["alice"]) == (EX_OK, "")
    assert store.count("alice") == 1
    store.inst.wait_for_log(r"err: sieve: user=<alice> "
                            r"msgid=<<1@example\.org>>: runtime error: "
                            r"line 3: reject cannot be combined")


def test_inactive_script_is_not_run(store):
    install_script(store.inst, "alice", "discard;\n", active=False)
    assert store.run(["alice"]) == (EX_OK, "")
    assert store.count("alice") == 1


def test_reject_from_deliver(store):
    install_script(store.inst, "alice", 'require "reject";\n'
                                        'if header :contains "subject" "test"'
                                        ' { reject text:\nNot wanted.\n'
                                        'Really.\n.\n; }\n')
    assert store.run(["alice"]) == (
        EX_NOPERM, "deliver: alice: Not wanted.  Really.\n")
    assert store.count("alice") == 0
    store.inst.wait_for_log(r"sieve: rejected: user=<alice> "
                            r"msgid=<<1@example\.org>>: Not wanted\.  Really\.")


def test_lmtp_reject_one_recipient_fileinto_another(store):
    install_script(store.inst, "alice", 'require "ereject";\n'
                                        'ereject "I do not accept spam.";\n')
    store.ok(store.admin.create("user.bob.From"))
    install_script(store.inst, "bob", """\
require ["fileinto", "envelope"];
if envelope :is "from" "sender@example.org" { fileinto "INBOX.From"; }
""")
    c = session(store)
    talk(c, "MAIL FROM:<sender@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice@chapar.test>", "250 2.1.5 Ok")
    talk(c, "RCPT TO:<bob@chapar.test>", "250 2.1.5 Ok")
    send_data(c, message(7).replace(b"\n", b"\r\n"),
              "550 5.7.1 I do not accept spam.", "250 2.1.5 Ok")
    talk(c, "QUIT", "221 2.0.0 chapar.test closing connection")
    assert store.count("alice") == 0
    assert store.count("bob") == 0
    assert store.count("bob", "INBOX.From") == 1


def test_lmtp_broken_script_keeps(store):
    install_script(store.inst, "alice", "keep\n")
    c = session(store)
    talk(c, "MAIL FROM:<sender@example.org>", "250 2.1.0 Ok")
    talk(c, "RCPT TO:<alice@chapar.test>", "250 2.1.5 Ok")
    send_data(c, message(8).replace(b"\n", b"\r\n"), "250 2.1.5 Ok")
    c.close()
    assert store.count("alice") == 1
    store.inst.wait_for_log(r"sieve: user=<alice> script=<main>: line 2: "
                            r"expected \";\" or \"{\", found end of script")


def test_redirect_through_sendmail(store):
    install_script(store.inst, "alice", 'redirect "fwd@example.net";\n')
    assert store.run(["-r", "sender@example.org", "alice"]) == (EX_OK, "")
    assert store.count("alice") == 0
    args = (store.capture_dir / "sent.args").read_text().splitlines()
    assert args == ["-i", "-f", "sender@example.org", "--",
                    "fwd@example.net"]
    sent = (store.capture_dir / "sent.msg").read_bytes()
    assert sent == b"X-Chapar-Loop: alice\n" + message()
    store.inst.wait_for_log(r"sieve: redirected: user=<alice> "
                            r"to=<fwd@example\.net>")


def test_redirect_loop_is_refused(store):
    """A message alice's script redirected comes back (the other account
    forwards it here again): it is kept, not sent round once more."""
    install_script(store.inst, "alice", 'redirect "fwd@example.net";\n')
    looped = b"X-Chapar-Loop: alice\n" + message()
    assert store.run(["-r", "fwd@example.net", "alice"], looped) == (
        EX_OK, "")
    assert sent_log(store) == []
    assert store.count("alice") == 1
    store.inst.wait_for_log(r"err: sieve: user=<alice> line 1: redirect to "
                            r"<fwd@example\.net> refused: the message was "
                            r"redirected by this user before "
                            r"\(X-Chapar-Loop: alice\), a loop$")
    # Another user's mark is no loop for alice.
    other = b"X-Chapar-Loop: bob\n" + message(2)
    assert store.run(["alice"], other) == (EX_OK, "")
    assert sent_log(store) == ["-i -f <> -- fwd@example.net"]
    assert (store.capture_dir / "sent.msg").read_bytes() == (
        b"X-Chapar-Loop: alice\n" + other)


def test_redirect_copy_and_sendmail_failure(store):
    install_script(store.inst, "alice", 'require "copy";\n'
                                        'redirect :copy "fwd@example.net";\n')
    assert store.run(["alice"]) == (EX_OK, "")
    assert store.count("alice") == 1
    args = (store.capture_dir / "sent.args").read_text().splitlines()
    assert args[:3] == ["-i", "-f", "<>"]
    install_script(store.inst, "alice", '\nredirect "fwd@example.net";\n')
    (store.capture_dir / "sendmail.fail").write_text("")
    assert store.run(["alice"], message(2)) == (EX_OK, "")
    assert store.count("alice") == 2
    store.inst.wait_for_log(r"sieve: user=<alice> line 2: redirect to "
                            r"<fwd@example\.net> failed")


def test_sievec(store, tmp_path):
    sievec = find_program("tools/chapar-sievec")
    good = tmp_path / "good.sieve"
    good.write_text('require "fileinto";\nfileinto "INBOX.x";\n')
    bad = tmp_path / "bad.sieve"
    bad.write_text('require "fileinto";\n\nfileinto;\n')
    p = subprocess.run([sievec, str(good)], capture_output=True)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
    p = subprocess.run([sievec, str(good), str(bad)], capture_output=True)
    assert p.returncode == 1
    assert p.stderr.decode() == (f"{bad}: line 3: \"fileinto\" needs 1 "
                                 "argument\n")
    big = tmp_path / "big.sieve"
    big.write_text("keep;" + " " * 2048)
    conf = tmp_path / "small.conf"
    conf.write_text(store.inst.read_config() + "sieve_maxscriptsize: 1\n")
    p = subprocess.run([sievec, "-C", str(conf), str(big)],
                       capture_output=True, env=store.inst.env)
    assert (p.returncode, p.stderr.decode()) == (
        1, f"{big}: line 1: script larger than 1024 bytes\n")
    p = subprocess.run([sievec, str(tmp_path / "none")], capture_output=True)
    assert p.returncode == 2
    assert re.fullmatch(r"chapar-sievec: .*/none: No such file or "
                        r"directory\n", p.stderr.decode())


VACATION = """\
require "vacation";
vacation :days 1 :subject "Away" "I am away until Monday.";
"""


def sent_log(store):
    try:
        return (store.capture_dir / "sent.log").read_text().splitlines()
    except FileNotFoundError:
        return []


def test_vacation_once_per_sender(store):
    install_script(store.inst, "alice", VACATION)
    assert store.run(["-r", "sender@example.org", "alice"]) == (EX_OK, "")
    assert store.count("alice") == 1            # the keep is untouched
    assert sent_log(store) == ["-i -f <> -- sender@example.org"]
    reply = (store.capture_dir / "sent.msg").read_text()
    head, body = reply.split("\n\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    assert fields["From"] == "alice@chapar.test"
    assert fields["To"] == "sender@example.org"
    assert fields["Subject"] == "Away"
    assert fields["In-Reply-To"] == "<1@example.org>"
    assert fields["Auto-Submitted"] == "auto-replied (vacation)"
    assert re.fullmatch(r"<vacation\.\d+\.\d+@chapar\.test>",
                        fields["Message-ID"])
    assert body == "I am away until Monday.\n"
    store.inst.wait_for_log(r"sieve: vacation: replied to "
                            r"<sender@example\.org> for user=<alice>")
    # The same sender again: no second reply within the period.
    assert store.run(["-r", "sender@example.org", "alice"],
                     message(2)) == (EX_OK, "")
    assert len(sent_log(store)) == 1
    store.inst.wait_for_log(r"sieve: vacation: <sender@example\.org> was "
                            r"answered for user=<alice> at \d+")
    # Another sender gets one.
    assert store.run(["-r", "other@example.org", "alice"],
                     message(3)) == (EX_OK, "")
    assert sent_log(store)[1:] == ["-i -f <> -- other@example.org"]
    assert store.count("alice") == 3


@pytest.mark.parametrize("extra,sender,why", [
    (b"List-Id: <dev.lists.example>\n", "dev@lists.example",
     "a mailing list message"),
    (b"Precedence: bulk\n", "news@example.org",
     "Precedence bulk, list or junk"),
    (b"Auto-Submitted: auto-generated\n", "robot@example.org",
     "Auto-Submitted"),
    (b"", "", "no envelope sender"),
    (b"", "owner-dev@lists.example", "the sender is a list or a daemon"),
])
def test_vacation_never_answers_lists_bulk_or_bounces(store, extra, sender,
                                                      why):
    install_script(store.inst, "alice", VACATION)
    assert store.run(["-r", sender, "alice"], extra + message(1)) == (
        EX_OK, "")
    assert store.count("alice") == 1
    assert sent_log(store) == []
    store.inst.wait_for_log(r"sieve: vacation: no reply to <%s> for "
                            r"user=<alice>: %s$" % (re.escape(sender),
                                                    re.escape(why)))


def test_vacation_not_addressed_to_user(store):
    install_script(store.inst, "alice", VACATION)
    msg = message(1).replace(b"To: alice@chapar.test", b"To: list@else.test")
    assert store.run(["-r", "sender@example.org", "alice"], msg) == (
        EX_OK, "")
    assert sent_log(store) == []
    # Unless one of :addresses is there.
    install_script(store.inst, "alice", 'require "vacation";\n'
                   'vacation :addresses "list@else.test" "Away.";\n')
    assert store.run(["-r", "sender@example.org", "alice"], msg) == (
        EX_OK, "")
    assert sent_log(store) == ["-i -f <> -- sender@example.org"]


def test_vacation_seconds_and_min_response(store):
    store.inst.rewrite_config({"sieve_vacation_min_response": "0"})
    install_script(store.inst, "alice", 'require ["vacation", '
                   '"vacation-seconds"];\nvacation :seconds 0 "Away.";\n')
    c = session(store)
    for n in (1, 2):
        talk(c, "MAIL FROM:<sender@example.org>", "250 2.1.0 Ok")
        talk(c, "RCPT TO:<alice@chapar.test>", "250 2.1.5 Ok")
        send_data(c, message(n).replace(b"\n", b"\r\n"), "250 2.1.5 Ok")
    c.close()
    assert sent_log(store) == ["-i -f <> -- sender@example.org"] * 2
    # With the default minimum (3 days), :seconds 0 answers once.
    store.inst.rewrite_config({"sieve_vacation_min_response": None})
    assert store.run(["-r", "sender@example.org", "alice"],
                     message(3)) == (EX_OK, "")
    assert len(sent_log(store)) == 2
