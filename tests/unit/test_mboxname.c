/* test_mboxname.c -- name policy, INBOX mapping, paths, mUTF-7, import. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/mboxname.h"
#include "tests/unit/harness.h"

/* ---- validation --------------------------------------------------------- */

static const char *const good_names[] = {
    "user.johndoe", "user.johndoe.drafts", "user.bob.sent-mail",
    "shared.lists", "lists", "Sent Items", "user.bob.Sent Items",
    "a+b,c:d=e@f_g~h", "user.bob.&AMk-t&AOk-", "x&-y", "&-", "&AMk-&-",
    "user.a_b-c@d", "user.bob.INBOX", "inboxes", "users.x", "userx",
    "user.bob.&2D3eAA-",                        /* U+1F600, a pair */
    "a.b.c.d.e.f",
};

static const char *const bad_names[] = {
    "", ".", "..", ".a", "a.", "a..b", "../x", "user..bob", "user.",
    "user", "USER", "User.bob", "uSer.bob.x", "INBOX", "inbox", "Inbox.x",
    "a/b", "user/../../etc", "/etc/passwd", "a*", "a%", "*", "%",
    "a\tb", "a\nb", "a\rb", "a\x01", "a\x7f", "caf\xc3\xa9", "a\x80",
    "a`b", "a$b", "a#b", "a'b", "a\"b", "a!b", "a;b", "a|b", "a\\b",
    "a?b", "a(b)", "a[b]", "a{b}", "a<b>", "a^b", "~bob", "~",
    "user.bad id", "user.a.b..c", "user.-bob", "user.anyone",
    "user.anonymous", "user.Anyone.x", "user.bob+x", "user.bo:b",
    "user.&AMk-",                       /* userids are plain ASCII */
    /* malformed or non-canonical modified UTF-7 */
    "a&", "a&AMk", "a&AMk.-", "a&AGE-",        /* unterminated; 'a' */
    "a&ACA-", "a&AAA-", "a&AAE-", "a&AH8-",    /* space, NUL, ^A, DEL */
    "a&AIA-",                                  /* C1 control U+0080 */
    "a&AMk-&AOk-",                             /* two adjacent runs */
    "a&AMn-", "a&AM-", "a&A-", "a&AMkA-",      /* bad padding/length */
    "a&2D0-", "a&3gA-", "a&2D3YAA-",           /* lone/bad surrogates */
    "a&AMk/-", "a&A=k-",                       /* not modified base64 */
};

static void test_validate_table(void)
{
    for (size_t i = 0; i < sizeof(good_names) / sizeof(good_names[0]); i++) {
        if (mboxname_validate(good_names[i]) != ERR_OK)
            test_fail(__FILE__, __LINE__, "rejected \"%s\"", good_names[i]);
    }
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        if (mboxname_validate(bad_names[i]) != ERR_BADNAME)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad_names[i]);
    }
    TEST_ASSERT_INT(mboxname_validate(NULL), ERR_BADNAME);
}

static void test_validate_nul_and_length(void)
{
    char *big;

    /* An embedded NUL is invalid when the length is known. */
    TEST_ASSERT_INT(mboxname_validate_len("user.bob", 8), ERR_OK);
    TEST_ASSERT_INT(mboxname_validate_len("user.bob\0x", 10), ERR_BADNAME);
    TEST_ASSERT_INT(mboxname_validate_len("\0", 1), ERR_BADNAME);
    TEST_ASSERT_INT(mboxname_validate_len("user.bob", 0), ERR_BADNAME);

    /* The limit is exact: 490 bytes pass, 491 do not (components of 200). */
    big = xmalloc(10001);
    for (size_t i = 0; i < 10000; i++)
        big[i] = (i % 201 == 200) ? '.' : 'x';
    big[10000] = '\0';
    TEST_ASSERT_INT(mboxname_validate_len(big, MBOXNAME_MAX_LEN), ERR_OK);
    TEST_ASSERT_INT(mboxname_validate_len(big, MBOXNAME_MAX_LEN + 1),
                    ERR_BADNAME);
    TEST_ASSERT_INT(mboxname_validate(big), ERR_BADNAME);      /* ~10 kB */
    /* One component may not exceed a file name (255). */
    memset(big, 'y', 256);
    big[256] = '\0';
    TEST_ASSERT_INT(mboxname_validate(big), ERR_BADNAME);
    big[255] = '\0';
    TEST_ASSERT_INT(mboxname_validate(big), ERR_OK);
    free(big);
}

static void test_validate_userid(void)
{
    static const char *const good[] = { "bob", "John_Doe", "a-b", "x@y",
                                        "0", "b0b" };
    static const char *const bad[] = { "", "bob.smith", "a/b", "a b",
        "-bob", "anyone", "ANYONE", "anonymous", "Anybody", "a+b", "a:b",
        "group:x", "a*", "\xc3\xa9", "a\tb", "a&b" };
    char longid[MBOXNAME_USERID_MAX + 2];

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (mboxname_validate_userid(good[i]))
            test_fail(__FILE__, __LINE__, "rejected userid \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (mboxname_validate_userid(bad[i]) != ERR_BADNAME)
            test_fail(__FILE__, __LINE__, "accepted userid \"%s\"", bad[i]);
    TEST_ASSERT_INT(mboxname_validate_userid(NULL), ERR_BADNAME);
    memset(longid, 'u', sizeof(longid) - 1);
    longid[MBOXNAME_USERID_MAX] = '\0';
    TEST_ASSERT_INT(mboxname_validate_userid(longid), ERR_OK);
    longid[MBOXNAME_USERID_MAX] = 'u';
    longid[MBOXNAME_USERID_MAX + 1] = '\0';
    TEST_ASSERT_INT(mboxname_validate_userid(longid), ERR_BADNAME);
}

/* ---- the client's view -------------------------------------------------- */

static void test_to_internal(void)
{
    static const struct { const char *ext, *user, *want; int r; } cases[] = {
        { "INBOX", "johndoe", "user.johndoe", ERR_OK },
        { "inbox", "johndoe", "user.johndoe", ERR_OK },
        { "InBoX", "johndoe", "user.johndoe", ERR_OK },
        { "INBOX.drafts", "johndoe", "user.johndoe.drafts", ERR_OK },
        { "iNbOx.Drafts", "johndoe", "user.johndoe.Drafts", ERR_OK },
        { "user.bob.x", "johndoe", "user.bob.x", ERR_OK },
        { "user.johndoe.x", "johndoe", "user.johndoe.x", ERR_OK },
        { "shared.lists", "johndoe", "shared.lists", ERR_OK },
        { "shared.lists", NULL, "shared.lists", ERR_OK },
        { "INBOXES", "johndoe", "INBOXES", ERR_OK },
        { "INBOX", NULL, "", ERR_NOTFOUND },
        { "INBOX.x", NULL, "", ERR_NOTFOUND },
        { "INBOX.", "johndoe", "", ERR_BADNAME },
        { "INBOX..x", "johndoe", "", ERR_BADNAME },
        { "INBOX/x", "johndoe", "", ERR_BADNAME },
        { "INBOX", "bad.user", "", ERR_BADNAME },
        { "user", "johndoe", "", ERR_BADNAME },
        { "../etc", "johndoe", "", ERR_BADNAME },
    };
    struct buf out = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = mboxname_to_internal(cases[i].ext, cases[i].user, &out);
        if (r != cases[i].r || strcmp(buf_cstring(&out), cases[i].want))
            test_fail(__FILE__, __LINE__, "%s as %s: r=%d \"%s\"",
                      cases[i].ext, cases[i].user ? cases[i].user : "(null)",
                      r, buf_cstring(&out));
    }
    buf_free(&out);
}

static void test_to_external(void)
{
    static const struct { const char *in, *user, *want; } cases[] = {
        { "user.johndoe", "johndoe", "INBOX" },
        { "user.johndoe.drafts", "johndoe", "INBOX.drafts" },
        { "user.johndoex.drafts", "johndoe", "user.johndoex.drafts" },
        { "user.bob.x", "johndoe", "user.bob.x" },
        { "user.johndoe", NULL, "user.johndoe" },
        { "shared.lists", "johndoe", "shared.lists" },
        /* An invalid userid never claims someone's mailbox. */
        { "user.bob.x.y", "bob.x", "user.bob.x.y" },
    };
    struct buf out = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_ASSERT_INT(mboxname_to_external(cases[i].in, cases[i].user, &out),
                        ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&out), cases[i].want);
    }
    TEST_ASSERT_INT(mboxname_to_external("a..b", "bob", &out), ERR_BADNAME);
    TEST_ASSERT_INT(out.len, 0);
    buf_free(&out);
}

static void test_structure(void)
{
    struct buf b = BUF_INITIALIZER;
    char *u;

    TEST_ASSERT(mboxname_isusermailbox("user.bob"));
    TEST_ASSERT(mboxname_isusermailbox("user.bob.x"));
    TEST_ASSERT(!mboxname_isusermailbox("shared.lists"));
    TEST_ASSERT(!mboxname_isusermailbox("userbob"));
    TEST_ASSERT(!mboxname_isusermailbox("user"));
    TEST_ASSERT(mboxname_isinbox("user.bob"));
    TEST_ASSERT(!mboxname_isinbox("user.bob.x"));
    TEST_ASSERT(!mboxname_isinbox("shared"));

    u = mboxname_userid_of("user.bob.x.y");
    TEST_ASSERT_STR(u, "bob");
    free(u);
    u = mboxname_userid_of("user.alice");
    TEST_ASSERT_STR(u, "alice");
    free(u);
    TEST_ASSERT(mboxname_userid_of("shared.user.bob") == NULL);

    TEST_ASSERT_INT(mboxname_parent("user.bob.x.y", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "user.bob.x");
    TEST_ASSERT_INT(mboxname_parent("user.bob.x", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "user.bob");
    TEST_ASSERT_INT(mboxname_parent("user.bob", &b), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxname_parent("shared", &b), ERR_NOTFOUND);
    TEST_ASSERT_INT(mboxname_parent("shared.lists", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "shared");

    TEST_ASSERT(mboxname_isdescendant("a.b.c", "a"));
    TEST_ASSERT(mboxname_isdescendant("a.b.c", "a.b"));
    TEST_ASSERT(!mboxname_isdescendant("a.b", "a.b"));
    TEST_ASSERT(!mboxname_isdescendant("ab.c", "a"));
    TEST_ASSERT(!mboxname_isdescendant("a", "a.b"));
    buf_free(&b);
}

/* ---- paths -------------------------------------------------------------- */

static void test_paths(void)
{
    static const struct { const char *part, *name; int hash; const char *want; }
    cases[] = {
        { "/var/spool/chapar", "user.bob.sent-mail", 0,
          "/var/spool/chapar/user/bob/sent-mail" },
        { "/var/spool/chapar/", "user.bob", 0, "/var/spool/chapar/user/bob" },
        { "/var/spool/chapar", "user.bob.sent-mail", 1,
          "/var/spool/chapar/b/user/bob/sent-mail" },
        { "/p", "user.Bob", 1, "/p/b/user/Bob" },
        { "/p", "user.0day.x", 1, "/p/q/user/0day/x" },
        { "/p", "user._x", 1, "/p/q/user/_x" },
        { "/p", "shared.lists", 1, "/p/s/shared/lists" },
        { "/p", "Lists", 1, "/p/l/Lists" },
        { "/p", "shared.lists", 0, "/p/shared/lists" },
        { "/", "x", 0, "/x" },
    };
    struct buf b = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_ASSERT_INT(mboxname_to_path(cases[i].part, cases[i].name,
                                         cases[i].hash, &b), ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&b), cases[i].want);
    }
    TEST_ASSERT_INT(mboxname_to_path("", "user.bob", 0, &b), ERR_BADARG);
    TEST_ASSERT_INT(mboxname_to_path(NULL, "user.bob", 0, &b), ERR_BADARG);
    TEST_ASSERT(mboxname_hash_char("Bob") == 'b');
    TEST_ASSERT(mboxname_hash_char("9") == 'q');
    TEST_ASSERT(mboxname_hash_char("") == 'q');
    buf_free(&b);
}

/* Every hostile name is refused and produces no path. */
static void test_paths_hostile(void)
{
    struct buf b = BUF_INITIALIZER;
    char *big = xmalloc(10241);

    memset(big, 'a', 10240);
    big[10240] = '\0';
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        for (int hash = 0; hash <= 1; hash++) {
            buf_setcstr(&b, "junk");
            if (mboxname_to_path("/p", bad_names[i], hash, &b) != ERR_BADNAME
                || b.len != 0)
                test_fail(__FILE__, __LINE__, "path for \"%s\"", bad_names[i]);
        }
    }
    TEST_ASSERT_INT(mboxname_to_path("/p", big, 0, &b), ERR_BADNAME);
    TEST_ASSERT_INT(b.len, 0);
    free(big);
    buf_free(&b);
}

/* No path component of a valid name's directory can be empty, "." or "..",
 * and the path always starts with the partition. */
static int path_is_confined(const char *path, const char *part)
{
    size_t plen = strlen(part);
    const char *p;

    if (strncmp(path, part, plen) || path[plen] != '/')
        return 0;
    for (p = path + plen + 1;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!p[n])
            return 1;
        p += n + 1;
    }
}

static void test_paths_random(void)
{
    static const char alphabet[] = "ab./.-&~ *%\\\t\nAZ09_-+,:=@'$`";
    struct buf b = BUF_INITIALIZER;
    char name[24];
    int valid = 0;

    srandom(4242);
    for (int round = 0; round < 200000; round++) {
        size_t len = 1 + (size_t)random() % (sizeof(name) - 1);
        for (size_t i = 0; i < len; i++)
            name[i] = alphabet[(size_t)random() % (sizeof(alphabet) - 1)];
        name[len] = '\0';
        if (round % 3 == 0)     /* often under user., to test userids */
            memcpy(name, "user.", len < 5 ? len : 5);
        for (int hash = 0; hash <= 1; hash++) {
            int r = mboxname_to_path("/part", name, hash, &b);
            if (r == ERR_OK) {
                valid++;
                if (!path_is_confined(buf_cstring(&b), "/part") ||
                    mboxname_validate(name) != ERR_OK)
                    test_fail(__FILE__, __LINE__, "\"%s\" -> \"%s\"", name,
                              buf_cstring(&b));
            } else if (r != ERR_BADNAME || b.len) {
                test_fail(__FILE__, __LINE__, "\"%s\": r=%d", name, r);
            }
        }
    }
    TEST_ASSERT(valid > 1000);      /* the generator does make valid names */
    buf_free(&b);
}

static void test_user_files(void)
{
    struct buf b = BUF_INITIALIZER;

    TEST_ASSERT_INT(mboxname_user_file("/var/lib/chapar", "bob", "sub", &b),
                    ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "/var/lib/chapar/user/b/bob.sub");
    TEST_ASSERT_INT(mboxname_user_file("/c/", "Zed", "seen", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "/c/user/z/Zed.seen");
    TEST_ASSERT_INT(mboxname_user_file("/c", "_x", "sub", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "/c/user/q/_x.sub");
    TEST_ASSERT_INT(mboxname_user_file("/c", "2bob", "seen", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "/c/user/q/2bob.seen");
    TEST_ASSERT_INT(mboxname_user_file("/c", "../../etc/passwd", "sub", &b),
                    ERR_BADNAME);
    TEST_ASSERT_INT(b.len, 0);
    TEST_ASSERT_INT(mboxname_user_file("/c", "bob", "../x", &b), ERR_BADARG);
    TEST_ASSERT_INT(mboxname_user_file("/c", "bob", "", &b), ERR_BADARG);
    TEST_ASSERT_INT(mboxname_user_file("/c", "bob", "SUB", &b), ERR_BADARG);
    TEST_ASSERT_INT(mboxname_user_file("", "bob", "sub", &b), ERR_BADARG);
    buf_free(&b);
}

/* ---- modified UTF-7 ----------------------------------------------------- */

static void test_mutf7_convert(void)
{
    static const struct { const char *utf8, *mutf7; } cases[] = {
        { "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
        { "caf\xc3\xa9", "caf&AOk-" },
        { "&", "&-" },
        { "a&b", "a&-b" },
        { "\xc3\xa9\xc3\xa9", "&AOkA6Q-" },                 /* one run */
        /* RFC 3501's example: ~peter/mail/<Japanese>/<Japanese> */
        { "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
          "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
        { "\xf0\x9f\x98\x80", "&2D3eAA-" },                 /* U+1F600 */
        { "\xc2\xa0", "&AKA-" },                            /* NBSP */
        { "plain", "plain" },
        { "", "" },
    };
    struct buf b = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_ASSERT_INT(mboxname_utf8_to_mutf7(cases[i].utf8, &b), ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&b), cases[i].mutf7);
        TEST_ASSERT_INT(mboxname_mutf7_to_utf8(cases[i].mutf7, &b), ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&b), cases[i].utf8);
        TEST_ASSERT_INT(mboxname_mutf7_validate(cases[i].mutf7,
                                                strlen(cases[i].mutf7)),
                        ERR_OK);
    }
    buf_free(&b);
}

static void test_mutf7_reject(void)
{
    static const char *const bad_utf8[] = {
        "\xc3", "\xc3(", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xff", "\x80", "a\x01", "\x7f", "\xc2\x85",
        "a\tb",
    };
    static const char *const bad_mutf7[] = {
        "&", "&AMk", "&AGE-", "&AMk-&AOk-", "&AMn-", "&2D0-", "&3gA-",
        "caf\xc3\xa9", "a\tb", "&AAA-", "&AMk,,-", "&ZeVnLIqe",
    };
    struct buf b = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
        buf_setcstr(&b, "junk");
        if (mboxname_utf8_to_mutf7(bad_utf8[i], &b) != ERR_BADNAME || b.len)
            test_fail(__FILE__, __LINE__, "utf8 case %zu accepted", i);
    }
    for (size_t i = 0; i < sizeof(bad_mutf7) / sizeof(bad_mutf7[0]); i++) {
        buf_setcstr(&b, "junk");
        if (mboxname_mutf7_to_utf8(bad_mutf7[i], &b) != ERR_BADNAME || b.len)
            test_fail(__FILE__, __LINE__, "mutf7 \"%s\" accepted",
                      bad_mutf7[i]);
    }
    TEST_ASSERT_INT(mboxname_mutf7_validate("a\0b", 3), ERR_BADNAME);
    buf_free(&b);
}

/* Every BMP and astral code point a name may hold survives the round trip
 * and gives a valid, canonical name. */
static void test_mutf7_roundtrip_all(void)
{
    struct buf utf8 = BUF_INITIALIZER, m = BUF_INITIALIZER;
    struct buf back = BUF_INITIALIZER;

    for (unsigned cp = 0xa0; cp <= 0x10ffff; cp += (cp < 0x10000 ? 1 : 97)) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        buf_reset(&utf8);
        buf_appendcstr(&utf8, "x");
        if (cp < 0x800) {
            buf_putc(&utf8, (char)(0xc0 | (cp >> 6)));
        } else if (cp < 0x10000) {
            buf_putc(&utf8, (char)(0xe0 | (cp >> 12)));
            buf_putc(&utf8, (char)(0x80 | ((cp >> 6) & 0x3f)));
        } else {
            buf_putc(&utf8, (char)(0xf0 | (cp >> 18)));
            buf_putc(&utf8, (char)(0x80 | ((cp >> 12) & 0x3f)));
            buf_putc(&utf8, (char)(0x80 | ((cp >> 6) & 0x3f)));
        }
        buf_putc(&utf8, (char)(0x80 | (cp & 0x3f)));
        if (mboxname_utf8_to_mutf7(buf_cstring(&utf8), &m) ||
            mboxname_validate(buf_cstring(&m)) ||
            mboxname_mutf7_to_utf8(buf_cstring(&m), &back) ||
            buf_cmp(&utf8, &back))
            test_fail(__FILE__, __LINE__, "U+%04X -> \"%s\"", cp,
                      buf_cstring(&m));
    }
    buf_free(&utf8);
    buf_free(&m);
    buf_free(&back);
}

/* ---- Berkeley mbox migration -------------------------------------------- */

static void test_import_escape(void)
{
    static const struct { const char *folder, *escaped; } cases[] = {
        { "s&me", "s_046me" },          /* the SPEC's examples */
        { "s!me", "s_041me" },
        { "s.me", "s_056me" },
        { "plain_name-1", "plain_name-1" },
        { "a b/c", "a_040b_057c" },
        { "caf\xc3\xa9", "caf_303_251" },
        { "a_046", "a_137046" },        /* a literal "_ddd" stays itself */
        { "a_04", "a_04" },
        { "_", "_" },
        { "..", "_056_056" },
    };
    struct buf b = BUF_INITIALIZER;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_ASSERT_INT(mboxname_import_escape(cases[i].folder, &b), ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&b), cases[i].escaped);
        TEST_ASSERT_INT(mboxname_validate(buf_cstring(&b)), ERR_OK);
        TEST_ASSERT_INT(mboxname_import_unescape(cases[i].escaped, &b),
                        ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&b), cases[i].folder);
    }
    TEST_ASSERT_INT(mboxname_import_escape("", &b), ERR_BADNAME);
    TEST_ASSERT_INT(mboxname_import_unescape("", &b), ERR_BADNAME);
    /* Not escapes: out of byte range or NUL. */
    TEST_ASSERT_INT(mboxname_import_unescape("a_400_000", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "a_400_000");
    buf_free(&b);
}

/* Random byte strings: escape then unescape gives the original back, and
 * the escaped form is always a valid name component. */
static void test_import_escape_random(void)
{
    struct buf e = BUF_INITIALIZER, d = BUF_INITIALIZER;
    char name[16];

    srandom(7);
    for (int round = 0; round < 20000; round++) {
        size_t len = 1 + (size_t)random() % (sizeof(name) - 1);
        for (size_t i = 0; i < len; i++) {
            /* Bias towards '_' and octal digits, where it is subtle. */
            static const char tricky[] = "_01234567_a.";
            long r = random();
            name[i] = (r & 1) ? tricky[(r >> 1) % 12]
                              : (char)(1 + (r >> 1) % 255);
        }
        name[len] = '\0';
        TEST_ASSERT_INT(mboxname_import_escape(name, &e), ERR_OK);
        TEST_ASSERT(strspn(buf_cstring(&e), "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == e.len);
        TEST_ASSERT_INT(mboxname_import_unescape(buf_cstring(&e), &d), ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&d), name);
    }
    buf_free(&e);
    buf_free(&d);
}

TEST_MAIN("mboxname",
          TEST_CASE(test_validate_table),
          TEST_CASE(test_validate_nul_and_length),
          TEST_CASE(test_validate_userid),
          TEST_CASE(test_to_internal),
          TEST_CASE(test_to_external),
          TEST_CASE(test_structure),
          TEST_CASE(test_paths),
          TEST_CASE(test_paths_hostile),
          TEST_CASE(test_paths_random),
          TEST_CASE(test_user_files),
          TEST_CASE(test_mutf7_convert),
          TEST_CASE(test_mutf7_reject),
          TEST_CASE(test_mutf7_roundtrip_all),
          TEST_CASE(test_import_escape),
          TEST_CASE(test_import_escape_random))
