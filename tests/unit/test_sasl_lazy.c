/* test_sasl_lazy.c -- SASL started only as far as needed (sasl_glue.h):
 * sasl_glue_server_init_checkpass() loads no mechanism plugin yet checks
 * passwords against a real sasldb; sasl_glue_server_init() after it loads
 * every plugin; sasl_glue_done() unloads them and SASL starts again. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/sasl_glue.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

/* As in test_sasl.c: DIGEST-MD5 keeps an OpenSSL cipher it never frees. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcrypto.so\n";
}

#define REALM "chapar.test"

static char *sasldb;

static const char *test_getopt(const char *option, void *rock)
{
    (void)rock;
    if (!strcmp(option, "pwcheck_method"))
        return "auxprop";
    if (!strcmp(option, "auxprop_plugin"))
        return "sasldb";
    if (!strcmp(option, "sasldb_path"))
        return sasldb;
    return NULL;
}

static void make_sasldb(void)
{
    char *cmd;

    sasldb = xstrdup(test_path("sasldb2"));
    cmd = xasprintf("echo secret | saslpasswd2 -f %s -p -c -u " REALM
                    " alice", sasldb);
    TEST_ASSERT(system(cmd) == 0);
    free(cmd);
}

/* Is a SASL plugin whose file name contains `name` mapped? */
static int plugin_mapped(const char *name)
{
    char *maps = NULL, *line;
    size_t len;
    int found = 0;

    TEST_ASSERT_INT(util_read_file("/proc/self/maps", &maps, &len), ERR_OK);
    for (line = strtok(maps, "\n"); line && !found; line = strtok(NULL, "\n"))
        found = strstr(line, "/sasl2/") && strstr(line, name);
    free(maps);
    return found;
}

static struct sasl_glue *session(void)
{
    struct sasl_glue *s = NULL;
    TEST_ASSERT_INT(sasl_glue_server_new("imap", REALM, NULL, NULL, NULL,
                                         SASL_GLUE_PLAINTEXT, &s), ERR_OK);
    return s;
}

static void test_checkpass_only_then_everything(void)
{
    struct buf list = BUF_INITIALIZER;
    struct sasl_glue *s;

    make_sasldb();
    TEST_ASSERT_INT(sasl_glue_server_init_checkpass("chapar-test",
                                                    test_getopt, NULL),
                    ERR_OK);
    TEST_ASSERT_INT(sasl_glue_server_mechs_loaded(), 0);
    TEST_ASSERT(plugin_mapped("libsasldb"));
    TEST_ASSERT(!plugin_mapped("libplain") && !plugin_mapped("libcrammd5"));
    s = session();
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "secret"), ERR_OK);
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "wrong"), ERR_PERM);
    TEST_ASSERT_INT(sasl_glue_mechlist(s, "", &list), ERR_OK);
    TEST_ASSERT_INT((int)list.len, 0);
    sasl_glue_free(&s);
    /* A second checkpass-only start changes nothing. */
    TEST_ASSERT_INT(sasl_glue_server_init_checkpass("chapar-test",
                                                    test_getopt, NULL),
                    ERR_OK);
    TEST_ASSERT_INT(sasl_glue_server_mechs_loaded(), 0);

    /* Everything: the mechanisms appear. */
    TEST_ASSERT_INT(sasl_glue_server_init("chapar-test", test_getopt, NULL),
                    ERR_OK);
    TEST_ASSERT_INT(sasl_glue_server_mechs_loaded(), 1);
    TEST_ASSERT(plugin_mapped("libplain"));
    s = session();
    TEST_ASSERT_INT(sasl_glue_mechlist(s, "", &list), ERR_OK);
    TEST_ASSERT(strstr(buf_cstring(&list), "PLAIN"));
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "secret"), ERR_OK);
    sasl_glue_free(&s);
    /* checkpass-only on a full SASL keeps it full. */
    TEST_ASSERT_INT(sasl_glue_server_init_checkpass("chapar-test",
                                                    test_getopt, NULL),
                    ERR_OK);
    TEST_ASSERT_INT(sasl_glue_server_mechs_loaded(), 1);

    /* Done unloads the plugins; SASL starts again afterwards. */
    sasl_glue_done();
    TEST_ASSERT(!plugin_mapped("libplain") && !plugin_mapped("libsasldb"));
    TEST_ASSERT_INT(sasl_glue_server_init_checkpass("chapar-test",
                                                    test_getopt, NULL),
                    ERR_OK);
    s = session();
    TEST_ASSERT_INT(sasl_glue_checkpass(s, "alice", "secret"), ERR_OK);
    sasl_glue_free(&s);
    sasl_glue_done();
    buf_free(&list);
    free(sasldb);
}

TEST_MAIN("sasl_lazy",
          TEST_CASE(test_checkpass_only_then_everything))
