/* test_acl.c -- rights letters, stored ACLs, identities, acl_myrights(). */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "tests/unit/harness.h"

/* The canonical string of a rights mask (static buffer, for asserts). */
static const char *rstr(unsigned rights)
{
    static struct buf b = BUF_INITIALIZER;
    acl_rights_to_string(rights, &b);
    return buf_cstring(&b);
}

static unsigned parse_ok(const char *s)
{
    unsigned rights = 12345;
    if (acl_rights_parse(s, &rights) != ERR_OK)
        test_fail(__FILE__, __LINE__, "rights \"%s\" rejected", s);
    return rights;
}

/* ---- rights ------------------------------------------------------------- */

static void test_rights_parse(void)
{
    static const char *const bad[] = { "lrQ", "L", "lrs ", "0", "9", "lr-s",
                                       "+l", "q", "lrswipkxtea!", "\x80" };
    unsigned rights;

    TEST_ASSERT_INT(parse_ok(""), 0);
    TEST_ASSERT_INT(parse_ok("l"), ACL_LOOKUP);
    TEST_ASSERT_INT(parse_ok("lrs"), ACL_LOOKUP | ACL_READ | ACL_SEEN);
    TEST_ASSERT_INT(parse_ok("lrswipkxtea"), ACL_ALL);
    TEST_ASSERT_INT(parse_ok("aetxkpiwsrl"), ACL_ALL);      /* any order */
    TEST_ASSERT_INT(parse_ok("llrr"), ACL_LOOKUP | ACL_READ);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rights = 99;
        if (acl_rights_parse(bad[i], &rights) != ERR_BADARG || rights != 0)
            test_fail(__FILE__, __LINE__, "rights \"%s\" accepted", bad[i]);
    }
    TEST_ASSERT_INT(acl_rights_parse(NULL, &rights), ERR_BADARG);
}

/* RFC 4314 2.1.1: c = k + x and d = t + e on input; on output c and d are
 * added whenever one of their members is present. */
static void test_rights_legacy(void)
{
    struct buf b = BUF_INITIALIZER;

    TEST_ASSERT_INT(parse_ok("c"), ACL_CREATE | ACL_DELETEMBOX);
    TEST_ASSERT_INT(parse_ok("d"), ACL_DELETEMSG | ACL_EXPUNGE);
    TEST_ASSERT_STR(rstr(parse_ok("lrswida")), "lrswitea");
    TEST_ASSERT_INT(parse_ok("lrswipcd"), parse_ok("lrswipkxte"));
    TEST_ASSERT_INT(parse_ok("cd") | ACL_LOOKUP | ACL_READ | ACL_SEEN |
                    ACL_WRITE | ACL_INSERT | ACL_POST | ACL_ADMIN, ACL_ALL);

    acl_rights_to_wire(ACL_ALL, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "lrswipkxtecda");
    acl_rights_to_wire(ACL_CREATE, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "kc");
    acl_rights_to_wire(ACL_DELETEMBOX, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "xc");
    acl_rights_to_wire(ACL_EXPUNGE | ACL_LOOKUP, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "led");
    acl_rights_to_wire(parse_ok("lrs"), &b);
    TEST_ASSERT_STR(buf_cstring(&b), "lrs");
    acl_rights_to_wire(0, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "");
    /* The capability lists exactly the non-RFC-2086 rights. */
    TEST_ASSERT_INT(parse_ok(ACL_RIGHTS_CAPABILITY),
                    ACL_CREATE | ACL_DELETEMBOX | ACL_DELETEMSG | ACL_EXPUNGE);
    TEST_ASSERT(!strpbrk(ACL_RIGHTS_CAPABILITY, "lrswipacd0123456789"));
    buf_free(&b);
}

static void test_rights_render(void)
{
    TEST_ASSERT_STR(rstr(ACL_ALL), "lrswipkxtea");
    TEST_ASSERT_STR(rstr(0), "");
    TEST_ASSERT_STR(rstr(ACL_ADMIN | ACL_LOOKUP), "la");
    /* Every mask survives render + parse. */
    for (unsigned m = 0; m <= ACL_ALL; m++)
        TEST_ASSERT_INT(parse_ok(rstr(m)), m);
}

static void test_abbreviations(void)
{
    TEST_ASSERT_STR(acl_expand_rights("none"), "");
    TEST_ASSERT_STR(acl_expand_rights("read"), "lrs");
    TEST_ASSERT_STR(acl_expand_rights("post"), "lrsp");
    TEST_ASSERT_STR(acl_expand_rights("append"), "lrsip");
    TEST_ASSERT_STR(acl_expand_rights("write"), "lrswipkxte");
    TEST_ASSERT_STR(acl_expand_rights("all"), "lrswipkxtea");
    TEST_ASSERT_STR(acl_expand_rights("ALL"), "lrswipkxtea");
    TEST_ASSERT_STR(acl_expand_rights("Read"), "lrs");
    /* Plain letters pass through unchanged. */
    TEST_ASSERT_STR(acl_expand_rights("lrsw"), "lrsw");
    TEST_ASSERT(acl_expand_rights(NULL) == NULL);
    /* "write" is the abbreviation, not the letters r w i t e. */
    TEST_ASSERT_INT(parse_ok(acl_expand_rights("write")),
                    ACL_ALL & ~ACL_ADMIN);
    TEST_ASSERT_INT(parse_ok(acl_expand_rights("all")), ACL_ALL);
}

/* ---- stored ACLs -------------------------------------------------------- */

static void test_parse_serialize(void)
{
    static const struct { const char *in, *out; } cases[] = {
        { "", "" },
        { "bob\tlrswipkxtea\t", "bob\tlrswipkxtea\t" },
        { "bob\tlrswipkxtea\tanyone\tlrs\t-fred\tw\t",
          "bob\tlrswipkxtea\tanyone\tlrs\t-fred\tw\t" },
        { "bob\tlrs", "bob\tlrs\t" },                   /* no final TAB */
        { "bob\tsrl\t", "bob\tlrs\t" },                 /* canonical order */
        { "bob\tlrswipcda\t", "bob\tlrswipkxtea\t" },   /* legacy letters */
        { "bob\t\tann\tr\t", "ann\tr\t" },              /* empty dropped */
        { "bob\tl\tann\tr\tbob\tw\t", "bob\tlw\tann\tr\t" },   /* union */
        { "group:staff\tlr\t", "group:staff\tlr\t" },
    };
    static const char *const bad[] = {
        "bob", "bob\t", "bob\tlrs\tann", "bob\tlrq\t", "\tlrs\t",
        "bad id\tlrs\t", "bob\tLRS\t", "-\tl\t", "--x\tl\t", "bob\tlrs\t\t",
        "a\nb\tl\t",
    };
    struct buf b = BUF_INITIALIZER;
    struct acl *acl;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TEST_ASSERT_INT(acl_parse(cases[i].in, &acl), ERR_OK);
        acl_serialize(acl, &b);
        TEST_ASSERT_STR(buf_cstring(&b), cases[i].out);
        acl_free(&acl);
        TEST_ASSERT(acl == NULL);
        /* The serialized form parses back to itself. */
        TEST_ASSERT_INT(acl_parse(cases[i].out, &acl), ERR_OK);
        acl_serialize(acl, &b);
        TEST_ASSERT_STR(buf_cstring(&b), cases[i].out);
        acl_free(&acl);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acl = (struct acl *)&b;
        if (acl_parse(bad[i], &acl) != ERR_BADFORMAT || acl != NULL)
            test_fail(__FILE__, __LINE__, "ACL case %zu accepted", i);
    }
    TEST_ASSERT_INT(acl_parse(NULL, &acl), ERR_BADFORMAT);
    buf_free(&b);
}

static void test_set_delete(void)
{
    struct buf b = BUF_INITIALIZER;
    struct acl *acl = acl_new();
    unsigned rights;

    TEST_ASSERT_INT(acl_set(acl, "bob", parse_ok("lrs")), ERR_OK);
    TEST_ASSERT_INT(acl_set(acl, "anyone", parse_ok("l")), ERR_OK);
    TEST_ASSERT_INT(acl_set(acl, "-bob", parse_ok("w")), ERR_OK);
    /* Replacing keeps the entry's place. */
    TEST_ASSERT_INT(acl_set(acl, "bob", parse_ok("lrsw")), ERR_OK);
    acl_serialize(acl, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "bob\tlrsw\tanyone\tl\t-bob\tw\t");
    TEST_ASSERT_INT(acl_count(acl), 3);
    TEST_ASSERT_STR(acl_nth(acl, 2, &rights), "-bob");
    TEST_ASSERT_INT(rights, ACL_WRITE);
    TEST_ASSERT_INT(acl_get(acl, "bob"), parse_ok("lrsw"));
    TEST_ASSERT_INT(acl_get(acl, "nobody"), 0);

    /* Empty rights remove the entry. */
    TEST_ASSERT_INT(acl_set(acl, "anyone", 0), ERR_OK);
    TEST_ASSERT_INT(acl_set(acl, "ghost", 0), ERR_OK);
    acl_serialize(acl, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "bob\tlrsw\t-bob\tw\t");

    /* DELETEACL of "bob" leaves "-bob" (RFC 4314 3.2). */
    TEST_ASSERT_INT(acl_delete(acl, "bob"), ERR_OK);
    acl_serialize(acl, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "-bob\tw\t");
    TEST_ASSERT_INT(acl_delete(acl, "bob"), ERR_NOTFOUND);
    TEST_ASSERT_INT(acl_delete(acl, "-bob"), ERR_OK);
    TEST_ASSERT_INT(acl_count(acl), 0);

    /* Bad identifiers are refused and change nothing. */
    TEST_ASSERT_INT(acl_set(acl, "a\tb", ACL_READ), ERR_BADARG);
    TEST_ASSERT_INT(acl_set(acl, "a b", ACL_READ), ERR_BADARG);
    TEST_ASSERT_INT(acl_set(acl, "", ACL_READ), ERR_BADARG);
    TEST_ASSERT_INT(acl_set(acl, "-", ACL_READ), ERR_BADARG);
    TEST_ASSERT_INT(acl_set(acl, NULL, ACL_READ), ERR_BADARG);
    TEST_ASSERT_INT(acl_count(acl), 0);
    acl_free(&acl);
    acl_free(&acl);                 /* NULL is fine */
    buf_free(&b);
}

/* SETACL's +/-/replace forms, including RFC 4314's own example. */
static void test_modify(void)
{
    struct buf b = BUF_INITIALIZER;
    struct acl *acl;

    TEST_ASSERT_INT(acl_parse("Fred\tlrswipkxtea\tChris\tlrswi\t", &acl),
                    ERR_OK);
    TEST_ASSERT_INT(acl_modify(acl, "Chris", "+cda"), ERR_OK);
    TEST_ASSERT_STR(rstr(acl_get(acl, "Chris")), "lrswikxtea");
    TEST_ASSERT_INT(acl_modify(acl, "Chris", "-d"), ERR_OK);
    TEST_ASSERT_STR(rstr(acl_get(acl, "Chris")), "lrswikxa");
    TEST_ASSERT_INT(acl_modify(acl, "Chris", "lr"), ERR_OK);
    TEST_ASSERT_STR(rstr(acl_get(acl, "Chris")), "lr");
    TEST_ASSERT_INT(acl_modify(acl, "Chris", "-lr"), ERR_OK);   /* removed */
    TEST_ASSERT_INT(acl_modify(acl, "new", "+l"), ERR_OK);
    /* Unknown rights: BAD, ACL unchanged. */
    TEST_ASSERT_INT(acl_modify(acl, "Fred", "lrQswicda"), ERR_BADARG);
    TEST_ASSERT_INT(acl_modify(acl, "Fred", "+q"), ERR_BADARG);
    TEST_ASSERT_INT(acl_modify(acl, "Fred", NULL), ERR_BADARG);
    acl_serialize(acl, &b);
    TEST_ASSERT_STR(buf_cstring(&b), "Fred\tlrswipkxtea\tnew\tl\t");
    acl_free(&acl);
    buf_free(&b);
}

/* ---- identities and the decision ---------------------------------------- */

static struct auth_state *user_in(const char *userid, const char *groups)
{
    struct strarray *sa = strarray_split(groups, " ");
    struct auth_state *auth = auth_new_groups(userid, 0, sa);
    strarray_free(&sa);
    return auth;
}

static const char *myrights(const char *acl, const struct auth_state *who)
{
    return rstr(acl_myrights(acl, who));
}

static void test_myrights_union(void)
{
    const char *acl = "bob\tlr\tgroup:staff\tw\tgroup:other\tx\t"
                      "anyone\ts\tanonymous\tp\t";
    struct auth_state *bob = user_in("bob", "staff users");
    struct auth_state *ann = user_in("ann", "");

    TEST_ASSERT_STR(myrights(acl, bob), "lrsw");
    TEST_ASSERT_STR(myrights(acl, ann), "s");
    TEST_ASSERT_STR(myrights("", bob), "");
    TEST_ASSERT_STR(myrights("Bob\tlr\t", bob), "");        /* exact case */
    TEST_ASSERT_STR(myrights("group:Staff\tlr\t", bob), "");
    TEST_ASSERT_STR(myrights("staff\tlr\t", bob), "");   /* not a group id */
    auth_free(&bob);
    auth_free(&ann);
    TEST_ASSERT(bob == NULL);
    auth_free(&bob);
}

static void test_myrights_negative(void)
{
    struct auth_state *bob = user_in("bob", "staff");
    struct auth_state *ann = user_in("ann", "");

    /* Order does not matter: negative entries apply after the union. */
    TEST_ASSERT_STR(myrights("-bob\tw\tbob\tlrsw\t", bob), "lrs");
    TEST_ASSERT_STR(myrights("bob\tlrsw\t-bob\tw\t", bob), "lrs");
    TEST_ASSERT_STR(myrights("anyone\tlrsw\t-group:staff\trw\t", bob), "ls");
    TEST_ASSERT_STR(myrights("anyone\tlrsw\t-group:staff\trw\t", ann), "lrsw");
    TEST_ASSERT_STR(myrights("bob\tlrswipkxtea\t-anyone\ta\t", bob),
                    "lrswipkxte");
    TEST_ASSERT_STR(myrights("anyone\tlr\t-bob\tlrswipkxtea\t", bob), "");
    TEST_ASSERT_STR(myrights("-ann\tl\tbob\tl\t", bob), "l");
    auth_free(&bob);
    auth_free(&ann);
}

static void test_myrights_admin(void)
{
    struct auth_state *admin = auth_new_groups("cyrus", 1, NULL);
    struct auth_state *anon_admin = auth_new_groups(NULL, 1, NULL);
    unsigned r;

    TEST_ASSERT(auth_is_admin(admin));
    TEST_ASSERT_STR(myrights("", admin), "la");
    TEST_ASSERT_STR(myrights("bob\tlrswipkxtea\t", admin), "la");
    /* Not x (nor d) unless granted: admins grant themselves x first. */
    r = acl_myrights("bob\tlrswipkxtea\t", admin);
    TEST_ASSERT(!(r & ACL_DELETEMBOX) && !(r & ACL_LEGACY_DELETE));
    TEST_ASSERT_STR(myrights("cyrus\tx\t", admin), "lxa");
    /* Negative entries cannot take l and a from an admin. */
    TEST_ASSERT_STR(myrights("anyone\tlr\t-cyrus\tlra\t", admin), "la");
    /* A corrupt ACL grants nothing, except an admin's l and a. */
    TEST_ASSERT_STR(myrights("cyrus\tlrQ\t", admin), "la");
    TEST_ASSERT_STR(myrights(NULL, admin), "la");
    /* Anonymous is never an admin. */
    TEST_ASSERT(!auth_is_admin(anon_admin));
    TEST_ASSERT_STR(myrights("", anon_admin), "");
    auth_free(&admin);
    auth_free(&anon_admin);
}

static void test_myrights_corrupt(void)
{
    struct auth_state *bob = user_in("bob", "");

    TEST_ASSERT_STR(myrights("anyone\tlrs", bob), "lrs");
    TEST_ASSERT_STR(myrights("anyone\tlrs\tbob", bob), "");
    TEST_ASSERT_STR(myrights("anyone\tlrsZ\t", bob), "");
    TEST_ASSERT_STR(myrights(NULL, bob), "");
    TEST_ASSERT_INT(acl_myrights("anyone\tl\t", NULL), 0);
    auth_free(&bob);
}

static void test_anonymous_vs_anyone(void)
{
    const char *acl = "anyone\tl\tanonymous\tr\tbob\ts\tgroup:staff\tw\t";
    struct auth_state *anon = auth_new(NULL, 0);
    struct auth_state *anon2 = auth_new("anonymous", 0);
    struct auth_state *bob = user_in("bob", "staff");
    struct strarray groups = STRARRAY_INITIALIZER;
    struct auth_state *anon3;

    TEST_ASSERT(auth_is_anonymous(anon) && auth_is_anonymous(anon2));
    TEST_ASSERT_STR(auth_userid(anon), "anonymous");
    TEST_ASSERT_STR(myrights(acl, anon), "lr");
    TEST_ASSERT_STR(myrights(acl, anon2), "lr");
    TEST_ASSERT_STR(myrights(acl, bob), "lsw");
    TEST_ASSERT(auth_memberof(anon, "anyone"));
    TEST_ASSERT(auth_memberof(anon, "anonymous"));
    TEST_ASSERT(!auth_memberof(anon, "group:staff"));
    TEST_ASSERT(!auth_memberof(bob, "anonymous"));
    TEST_ASSERT(auth_memberof(bob, "anyone"));
    TEST_ASSERT(!auth_memberof(bob, NULL));
    /* Anonymous has no groups even when some are handed in. */
    strarray_append(&groups, "staff");
    anon3 = auth_new_groups(NULL, 0, &groups);
    TEST_ASSERT(!auth_memberof(anon3, "group:staff"));
    TEST_ASSERT_INT(auth_groups(anon3)->count, 0);
    strarray_fini(&groups);
    auth_free(&anon);
    auth_free(&anon2);
    auth_free(&anon3);
    auth_free(&bob);
}

/* Real UNIX groups through NSS: root's primary group, and a group from
 * /etc/group that lists members. */
static void test_unix_groups(void)
{
    struct auth_state *root = auth_new("root", 0);
    struct auth_state *nobody = auth_new("chapar-no-such-user", 0);
    struct group *gr;
    struct passwd *pw = getpwnam("root");
    char *grname = NULL, *member = NULL;

    TEST_ASSERT(pw != NULL);
    gr = getgrgid(pw->pw_gid);
    TEST_ASSERT(gr != NULL);
    grname = xasprintf("group:%s", gr->gr_name);
    TEST_ASSERT(auth_memberof(root, grname));
    TEST_ASSERT(!auth_memberof(nobody, grname));
    TEST_ASSERT_STR(myrights("group:root\tlr\t", root), "lr");
    TEST_ASSERT_STR(myrights("group:root\tlr\t", nobody), "");
    TEST_ASSERT(!auth_memberof(root, "group:chapar-no-such-group"));
    free(grname);

    /* A member listed in /etc/group, whether or not it has an account. */
    setgrent();
    while ((gr = getgrent()) != NULL && !member)
        if (gr->gr_mem && gr->gr_mem[0]) {
            member = xstrdup(gr->gr_mem[0]);
            grname = xasprintf("group:%s", gr->gr_name);
        }
    endgrent();
    if (member) {
        struct auth_state *m = auth_new(member, 0);
        TEST_ASSERT(auth_memberof(m, grname));
        TEST_ASSERT(!auth_memberof(nobody, grname));
        auth_free(&m);
        free(member);
        free(grname);
    }
    auth_free(&root);
    auth_free(&nobody);
}

/* ---- ACLs of new mailboxes ---------------------------------------------- */

static void test_defaults(void)
{
    struct buf b = BUF_INITIALIZER;
    struct auth_state *bob = user_in("bob", "");
    struct auth_state *ann = user_in("ann", "");

    TEST_ASSERT_INT(acl_default_inbox("bob", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "bob\tlrswipkxtea\t");
    TEST_ASSERT_INT(acl_myrights(buf_cstring(&b), bob), ACL_ALL);
    TEST_ASSERT_INT(acl_myrights(buf_cstring(&b), ann), 0);
    TEST_ASSERT_INT(acl_default_inbox("bad id", &b), ERR_BADARG);
    TEST_ASSERT_INT(acl_default_inbox("-bob", &b), ERR_BADARG);

    TEST_ASSERT_INT(acl_default_shared("anyone lrs", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "anyone\tlrs\t");
    TEST_ASSERT_STR(myrights(buf_cstring(&b), ann), "lrs");
    TEST_ASSERT_INT(acl_default_shared("  anyone  lrs\tgroup:staff lrswi ",
                                       &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "anyone\tlrs\tgroup:staff\tlrswi\t");
    TEST_ASSERT_INT(acl_default_shared("", &b), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&b), "");
    TEST_ASSERT_INT(acl_default_shared("anyone", &b), ERR_BADARG);
    TEST_ASSERT_INT(acl_default_shared("anyone lrsQ", &b), ERR_BADARG);
    TEST_ASSERT_INT(acl_default_shared(NULL, &b), ERR_BADARG);
    TEST_ASSERT_INT(b.len, 0);
    auth_free(&bob);
    auth_free(&ann);
    buf_free(&b);
}

/* ---- canonical identities (auth.h) -------------------------------------- */

static void load_conf(const char *extra)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;

    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n"
               "admins: Cyrus@Example.ORG root\nproxyservers: proxy\n%s",
               test_tmpdir(), test_tmpdir(), extra);
    if (conf_load_text("test.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "config: %s", buf_cstring(&err));
    buf_free(&conf);
    buf_free(&err);
}

/* The canonical name of s, or "REFUSED". */
static const char *canon(const char *s)
{
    static char result[128];
    struct buf out = BUF_INITIALIZER;

    if (auth_canonify_userid(s, strlen(s), &out)) {
        TEST_ASSERT_INT(out.len, 0);
        snprintf(result, sizeof(result), "REFUSED");
    } else {
        snprintf(result, sizeof(result), "%s", buf_cstring(&out));
    }
    buf_free(&out);
    return result;
}

static void test_canonify_userid(void)
{
    load_conf("defaultdomain: example.org\n");
    TEST_ASSERT_STR(canon("bob"), "bob");
    TEST_ASSERT_STR(canon("BoB"), "bob");
    TEST_ASSERT_STR(canon("bob@example.org"), "bob");
    TEST_ASSERT_STR(canon("BOB@EXAMPLE.org"), "bob");
    TEST_ASSERT_STR(canon("bob-smith_2"), "bob-smith_2");
    static const char *const refused[] = {
        "", "bob ", " bob", "b ob", "bob\t", "bob\r", "b\x7fob", "b\xc3\xa9",
        "bob@other.org", "bob@example.org.evil", "bob@", "@example.org",
        "bob@x@example.org", "anyone", "Anonymous", "anybody", "-bob",
        "bob.x", "bob+x", "a:b", "group:staff",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        TEST_ASSERT_STR(canon(refused[i]), "REFUSED");
    /* A NUL inside the given length is refused, not cut short. */
    {
        struct buf out = BUF_INITIALIZER;
        TEST_ASSERT_INT(auth_canonify_userid("bob\0x", 5, &out), ERR_BADNAME);
        TEST_ASSERT_INT(auth_canonify_userid("bobx", 3, &out), ERR_OK);
        TEST_ASSERT_STR(buf_cstring(&out), "bob");
        buf_free(&out);
    }

    /* No defaultdomain: every '@' is refused.  username_tolower off:
     * case-sensitive. */
    load_conf("username_tolower: no\n");
    TEST_ASSERT_STR(canon("bob@example.org"), "REFUSED");
    TEST_ASSERT_STR(canon("BoB"), "BoB");
    conf_reset();
}

static void test_canonify_identifier(void)
{
    struct buf out = BUF_INITIALIZER;

    load_conf("defaultdomain: example.org\n");
    TEST_ASSERT_INT(auth_canonify_identifier("BOB@example.org", &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "bob");
    TEST_ASSERT_INT(auth_canonify_identifier("-Bob", &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "-bob");
    TEST_ASSERT_INT(auth_canonify_identifier("anyone", &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "anyone");
    TEST_ASSERT_INT(auth_canonify_identifier("-anonymous", &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "-anonymous");
    TEST_ASSERT_INT(auth_canonify_identifier("group:Staff", &out), ERR_OK);
    TEST_ASSERT_STR(buf_cstring(&out), "group:Staff");
    static const char *const refused[] = {
        "", "-", "--bob", "bob ", "group:", "group:a b", "bob@other.org",
        "Anyone", "anybody",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        TEST_ASSERT_INT(auth_canonify_identifier(refused[i], &out),
                        ERR_BADNAME);
        TEST_ASSERT_INT(out.len, 0);
    }
    TEST_ASSERT_INT(auth_canonify_identifier(NULL, &out), ERR_BADNAME);
    buf_free(&out);
    conf_reset();
}

static void test_admins_and_proxy(void)
{
    load_conf("defaultdomain: example.org\n");
    TEST_ASSERT_INT(auth_userid_is_admin("cyrus"), 1);
    TEST_ASSERT_INT(auth_userid_is_admin("root"), 1);
    TEST_ASSERT_INT(auth_userid_is_admin("Cyrus"), 0);   /* not canonical */
    TEST_ASSERT_INT(auth_userid_is_admin("bob"), 0);
    TEST_ASSERT_INT(auth_userid_is_admin(NULL), 0);
    TEST_ASSERT_INT(auth_may_proxy("bob", "bob"), 1);
    TEST_ASSERT_INT(auth_may_proxy("bob", "alice"), 0);
    TEST_ASSERT_INT(auth_may_proxy("cyrus", "alice"), 1);
    TEST_ASSERT_INT(auth_may_proxy("proxy", "alice"), 1);
    TEST_ASSERT_INT(auth_may_proxy(NULL, "alice"), 0);
    conf_reset();
}

TEST_MAIN("acl",
          TEST_CASE(test_rights_parse),
          TEST_CASE(test_rights_legacy),
          TEST_CASE(test_rights_render),
          TEST_CASE(test_abbreviations),
          TEST_CASE(test_parse_serialize),
          TEST_CASE(test_set_delete),
          TEST_CASE(test_modify),
          TEST_CASE(test_myrights_union),
          TEST_CASE(test_myrights_negative),
          TEST_CASE(test_myrights_admin),
          TEST_CASE(test_myrights_corrupt),
          TEST_CASE(test_anonymous_vs_anyone),
          TEST_CASE(test_unix_groups),
          TEST_CASE(test_defaults),
          TEST_CASE(test_canonify_userid),
          TEST_CASE(test_canonify_identifier),
          TEST_CASE(test_admins_and_proxy))
