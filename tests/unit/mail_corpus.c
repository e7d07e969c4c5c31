/* mail_corpus.c -- the test messages the index and search tests share;
 * see mail_corpus.h. */
#include "config.h"

#include "lib/buf.h"
#include "tests/unit/mail_corpus.h"

const char ix_msg_plain[] =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
    "From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
    "Subject: afternoon meeting\r\n"
    "To: mooch@owatagu.siam.edu\r\n"
    "Cc: Boss <boss@example.org>,\r\n"
    "  Deputy <deputy@example.org>\r\n"
    "Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n"
    "X-Mailer: TestMail 1.0\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    "\r\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

const char ix_msg_alt[] =
    "Date: Tue, 8 Feb 1994 09:00:00 +0100\r\n"
    "From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@example.de>\r\n"
    "To: team@example.org\r\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_?= =?utf-8?b?S8O2bG4=?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"mix\"\r\n"
    "\r\n"
    "--mix\r\n"
    "Content-Type: multipart/alternative; boundary=\"xyz\"\r\n"
    "\r\n"
    "--xyz\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    /* "Die Quartalszahlen sind da. Grüße!\n" */
    "RGllIFF1YXJ0YWxzemFobGVuIHNpbmQgZGEuIEdyw7zDn2UhCg==\r\n"
    "--xyz\r\n"
    "Content-Type: text/html; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>Caf=E9 cr=E8me br=FBl=E9e with a soft=\r\n"
    "break</p>\r\n"
    "--xyz--\r\n"
    "\r\n"
    "--mix\r\n"
    "Content-Type: application/octet-stream; name=\"report.bin\"\r\n"
    "Content-Disposition: attachment; filename=\"report.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAwQFBgcICQ==\r\n"
    "--mix--\r\n";

const char ix_msg_fwd[] =
    "Date: Wed, 9 Feb 1994 23:30:00 -0500\r\n"
    "From: alice@example.org\r\n"
    "To: bob@example.org\r\n"
    "Subject: Fwd: lunch\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "See below.\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: carol@example.org\r\n"
    "Subject: lunch plans\r\n"
    "\r\n"
    "Pizza at noon, forwarded body text.\r\n"
    "--outer--\r\n";

const char ix_msg_latin1[] =
    "Date: Thu, 10 Feb 1994 08:00:00 +0000\r\n"
    "From: dave@example.fr\r\n"
    "Subject: menu\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Le caf\xe9 est tr\xe8s bon.\r\n";

const char *const ix_hdr_msgs[] = {
    /* repeated, folded, odd case, a space before the colon */
    "date: Fri, 11 Feb 1994 10:00:00 +0000\r\n"
    "Received: from a by b;\r\n\tFri, 11 Feb 1994 10:00:00 +0000\r\n"
    "SUBJECT: first\r\n"
    "To: one@example.org,\r\n two@example.org,\r\n\tthree@example.org\r\n"
    "Subject : second, with a space before the colon\r\n"
    "X-Priority: 1 (Highest)\r\n"
    "Content-Type: multipart/alternative;\r\n boundary=\"b1\"\r\n"
    "cc: a@example.org\r\n"
    "CC:b@example.org\r\n"
    "List-Post: <mailto:list@example.org>\r\n"
    "\r\n"
    "--b1\r\n\r\nx\r\n--b1--\r\n",
    /* values the cache writes again: Date from the sent date, In-Reply-To
     * from References; a Message-Id spelt otherwise; a trailing space */
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "From: Fred <fred@example.org>\r\n"
    "Message-Id: <x@example.org>\r\n"
    "Message-ID: <x@example.org>\r\n"
    "In-Reply-To: <b@x>\r\n"
    "References: <a@x> <b@x>\r\n"
    "Subject: trailing space \r\n"
    "Reply-To:\r\n"
    "Disposition-Notification-To: fred@example.org\r\n"
    "\r\n"
    "Subject: not a header field, body text\r\n",
    /* a first line like a continuation, a line without a colon, 8-bit */
    " Date: not a field of its own\r\n"
    "Date:no-space\r\n"
    "this line has no colon\r\n"
    "From: J\xfcrgen <j@example.de>\r\n"
    "Subject: caf\xe9 cr\xe8me\r\n"
    "\r\n"
    "body\r\n",
    /* no empty line, the last line without its end */
    "From: nobody@example.org\r\n"
    "Subject: no body at all",
    /* no empty line, every line ended */
    "Subject: just a header\r\n"
    "To: x@example.org\r\n",
    /* an empty header */
    "\r\n"
    "Subject: body only\r\n",
    NULL
};

char *ix_hdr_huge_text(unsigned n)
{
    struct buf b = BUF_INITIALIZER;

    buf_appendcstr(&b, "From: big@example.org\r\nReferences:");
    for (unsigned i = 0; i < n; i++)
        buf_printf(&b, "\r\n <%030u@example.org>", i);
    buf_appendcstr(&b, "\r\nSubject: huge\r\n\r\nbody\r\n");
    return buf_release(&b);
}

/* 1994-02-08 06:00, 1994-02-09 12:00, 1994-02-10 12:00, 1994-02-11 23:59:59
 * UTC */
const time_t ix_dates[4] = { 760687200, 760795200, 760881600, 761011199 };
