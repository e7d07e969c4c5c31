/* test_subs.c -- subscription files: sorted and unique on disk, add and
 * remove, bad names, hand-edited junk, concurrent writers losing nothing,
 * user rename (names rewritten) and delete. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "imap/mailstore/subs.h"
#include "tests/unit/harness.h"

static void setup(void)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;
    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n",
               test_tmpdir(), test_tmpdir());
    if (conf_load_text("test.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "config: %s", buf_cstring(&err));
    buf_free(&conf);
    buf_free(&err);
}

/* The file's exact contents, or "MISSING". */
static const char *file_text(const char *rel)
{
    static char out[4096];
    char *data;
    size_t len;
    if (util_read_file(test_path(rel), &data, &len))
        return "MISSING";
    TEST_ASSERT(len < sizeof(out));
    memcpy(out, data, len + 1);
    free(data);
    return out;
}

static char *joined(const char *userid)
{
    struct strarray names = STRARRAY_INITIALIZER;
    char *s;
    TEST_ASSERT_INT(subs_list(userid, &names), ERR_OK);
    s = strarray_join(&names, ",");
    strarray_fini(&names);
    return s;
}

static void test_add_remove_list(void)
{
    char *s;
    setup();
    s = joined("bob");
    TEST_ASSERT_STR(s, "");             /* no file: no subscriptions */
    free(s);
    TEST_ASSERT_INT(subs_add("bob", "user.bob.zeta"), ERR_OK);
    TEST_ASSERT_INT(subs_add("bob", "shared.news"), ERR_OK);
    TEST_ASSERT_INT(subs_add("bob", "user.bob"), ERR_OK);
    TEST_ASSERT_INT(subs_add("bob", "shared.news"), ERR_OK);    /* again */
    TEST_ASSERT_STR(file_text("conf/user/b/bob.sub"),
                    "shared.news\nuser.bob\nuser.bob.zeta\n");
    s = joined("bob");
    TEST_ASSERT_STR(s, "shared.news,user.bob,user.bob.zeta");
    free(s);
    TEST_ASSERT(subs_is_subscribed("bob", "user.bob"));
    TEST_ASSERT(!subs_is_subscribed("bob", "user.bo"));
    TEST_ASSERT(!subs_is_subscribed("amy", "user.bob"));
    TEST_ASSERT_INT(subs_remove("bob", "user.bob"), ERR_OK);
    TEST_ASSERT_INT(subs_remove("bob", "user.bob"), ERR_NOTFOUND);
    TEST_ASSERT_INT(subs_remove("amy", "user.bob"), ERR_NOTFOUND);
    TEST_ASSERT_STR(file_text("conf/user/a/amy.sub"), "MISSING");
    TEST_ASSERT_STR(file_text("conf/user/b/bob.sub"),
                    "shared.news\nuser.bob.zeta\n");
}

static void test_bad_input(void)
{
    struct stat st;
    char *s;
    setup();
    TEST_ASSERT_INT(subs_add("bob", "a..b"), ERR_BADNAME);
    TEST_ASSERT_INT(subs_add("bob", "../../etc/passwd"), ERR_BADNAME);
    TEST_ASSERT_INT(subs_add("bob", "x\ny"), ERR_BADNAME);
    TEST_ASSERT_INT(subs_add("bob", ""), ERR_BADNAME);
    TEST_ASSERT_INT(subs_add("../evil", "shared.x"), ERR_BADNAME);
    TEST_ASSERT_INT(subs_add("a.b", "shared.x"), ERR_BADNAME);
    TEST_ASSERT_INT(subs_remove("bob", "a..b"), ERR_BADNAME);
    TEST_ASSERT(stat(test_path("conf/user"), &st) < 0);     /* nothing made */
    /* A hand-edited file with junk, duplicates, no final newline. */
    util_mkdir_p(test_path("conf/user/b"), 0700);
    test_write_file("conf/user/b/bob.sub",
                    "zz.top\n\nbad..name\nuser.bob\nzz.top\n/etc\nuser.bob.x");
    s = joined("bob");
    TEST_ASSERT_STR(s, "user.bob,user.bob.x,zz.top");
    free(s);
    /* The next change writes the clean form. */
    TEST_ASSERT_INT(subs_add("bob", "a.b"), ERR_OK);
    TEST_ASSERT_STR(file_text("conf/user/b/bob.sub"),
                    "a.b\nuser.bob\nuser.bob.x\nzz.top\n");
}

/* Four processes subscribe 25 names each, all at once. */
static void test_concurrent_writers(void)
{
    struct strarray names = STRARRAY_INITIALIZER;
    pid_t pids[4];
    setup();
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char name[64];
            for (int k = 0; k < 25; k++) {
                snprintf(name, sizeof(name), "shared.p%d.n%02d", i, k);
                if (subs_add("bob", name))
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int i = 0; i < 4; i++) {
        int status;
        TEST_ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
        TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    TEST_ASSERT_INT(subs_list("bob", &names), ERR_OK);
    TEST_ASSERT_INT(names.count, 100);
    TEST_ASSERT_STR(names.data[0], "shared.p0.n00");
    TEST_ASSERT_STR(names.data[99], "shared.p3.n24");
    strarray_fini(&names);
}

static void test_rename_delete_user(void)
{
    setup();
    TEST_ASSERT_INT(subs_add("al", "user.al"), ERR_OK);
    TEST_ASSERT_INT(subs_add("al", "user.al.work"), ERR_OK);
    TEST_ASSERT_INT(subs_add("al", "user.alice.x"), ERR_OK);    /* not al's */
    TEST_ASSERT_INT(subs_add("al", "user.bob.shared"), ERR_OK);
    TEST_ASSERT_INT(subs_add("al", "shared.al"), ERR_OK);
    TEST_ASSERT_INT(subs_add("zoe", "old.stuff"), ERR_OK);      /* replaced */
    TEST_ASSERT_INT(subs_rename_user("al", "zoe"), ERR_OK);
    TEST_ASSERT_STR(file_text("conf/user/a/al.sub"), "MISSING");
    TEST_ASSERT_STR(file_text("conf/user/z/zoe.sub"),
                    "shared.al\nuser.alice.x\nuser.bob.shared\nuser.zoe\n"
                    "user.zoe.work\n");
    TEST_ASSERT_INT(subs_rename_user("nobody", "someone"), ERR_OK);
    TEST_ASSERT_STR(file_text("conf/user/s/someone.sub"), "MISSING");
    TEST_ASSERT_INT(subs_rename_user("zoe", "zoe"), ERR_BADARG);
    TEST_ASSERT_INT(subs_rename_user("zoe", "bad/user"), ERR_BADNAME);
    TEST_ASSERT(strcmp(file_text("conf/user/z/zoe.sub"), "MISSING"));
    TEST_ASSERT_INT(subs_delete_user("zoe"), ERR_OK);
    TEST_ASSERT_STR(file_text("conf/user/z/zoe.sub"), "MISSING");
    TEST_ASSERT_INT(subs_delete_user("zoe"), ERR_OK);
    TEST_ASSERT_INT(subs_delete_user("../x"), ERR_BADNAME);
}

TEST_MAIN("subs",
          TEST_CASE(test_add_remove_list),
          TEST_CASE(test_bad_input),
          TEST_CASE(test_concurrent_writers),
          TEST_CASE(test_rename_delete_user))
