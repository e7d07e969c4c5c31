/* test_conf.c -- imapd.conf: defaults, every type, errors with file and
 * line, option families, aliases, conf_init's exit, and the man page. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tests/unit/harness.h"

#define MINIMAL "configdirectory: /var/lib/chapar\n" \
                "partition-default: /var/spool/chapar\n"

/* Load text from the file "imapd.conf"; returns the result, error in *err. */
static int load(const char *text, struct buf *err)
{
    return conf_load(test_write_file("imapd.conf", text), err);
}

/* Load MINIMAL plus extra, which must succeed. */
static void load_ok(const char *extra)
{
    struct buf err = BUF_INITIALIZER;
    char *text = strconcat(MINIMAL, extra, (char *)NULL);
    int r = load(text, &err);

    if (r)
        test_fail(__FILE__, __LINE__, "load failed: %s", buf_cstring(&err));
    free(text);
    buf_free(&err);
}

/* Load MINIMAL plus one bad line 3; the error must be exactly
 * "<path>:3: <reason>" and the earlier configuration must survive. */
static void expect_line3_error(const char *line, const char *reason)
{
    struct buf err = BUF_INITIALIZER;
    char *text = strconcat(MINIMAL, line, "\n", (char *)NULL);
    char *want = xasprintf("%s:3: %s", test_path("imapd.conf"), reason);

    load_ok("quotawarn: 42\n");
    TEST_ASSERT_INT(load(text, &err), ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    TEST_ASSERT_INT(conf_getint(CONF_QUOTAWARN), 42);
    free(text);
    free(want);
    buf_free(&err);
}

static void test_defaults(void)
{
    char host[256] = "";

    load_ok("");
    TEST_ASSERT_STR(conf_filename(), test_path("imapd.conf"));
    TEST_ASSERT_STR(conf_getstring(CONF_CONFIGDIRECTORY), "/var/lib/chapar");
    TEST_ASSERT_STR(conf_getstring(CONF_DEFAULTPARTITION), "default");
    TEST_ASSERT_STR(conf_getstring(CONF_ADMINS), "");
    TEST_ASSERT_INT(conf_getint(CONF_UMASK), 077);
    TEST_ASSERT_INT(conf_getswitch(CONF_ALLOWANONYMOUSLOGIN), 0);
    TEST_ASSERT_INT(conf_getint(CONF_QUOTAWARN), 90);
    TEST_ASSERT_INT(conf_getint(CONF_TIMEOUT), 30);
    TEST_ASSERT_STR(conf_getstring(CONF_DEFAULTACL), "anyone lrs");
    TEST_ASSERT_INT(conf_getint(CONF_AUTOCREATEQUOTA), 0);
    TEST_ASSERT_INT(conf_getswitch(CONF_LOGTIMESTAMPS), 0);
    TEST_ASSERT_INT(conf_getint(CONF_PLAINTEXTLOGINPAUSE), 0);
    TEST_ASSERT_INT(conf_getint(CONF_FAILEDLOGINPAUSE), 3);
    TEST_ASSERT_INT(conf_getswitch(CONF_REJECT8BIT), 0);
    TEST_ASSERT_INT(conf_getswitch(CONF_ALLOWPLAINTEXT), 0);
    TEST_ASSERT_STR(conf_getstring(CONF_TLS_SERVER_CERT), "");
    TEST_ASSERT_STR(conf_getstring(CONF_TLS_SERVER_KEY), "");
    /* Mozilla's "intermediate" profile: ECDHE and AEAD only. */
    TEST_ASSERT_STR(conf_getstring(CONF_TLS_CIPHERS),
                    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    TEST_ASSERT_STR(conf_getstring(CONF_TLS_VERSIONS), "tls1_2 tls1_3");
    TEST_ASSERT_INT(conf_getswitch(CONF_TLS_PREFER_SERVER_CIPHERS), 0);
    TEST_ASSERT_INT(conf_getint(CONF_MAXMESSAGESIZE), 0);
    TEST_ASSERT_INT(conf_getint(CONF_MAXLINELENGTH), 65536);
    TEST_ASSERT_INT(conf_getint(CONF_MAXNESTING), 64);
    TEST_ASSERT_INT(conf_getint(CONF_MAXARGS), 1000);
    TEST_ASSERT_INT(conf_getswitch(CONF_DUPLICATESUPPRESSION), 1);
    TEST_ASSERT_STR(conf_getstring(CONF_SIEVEDIR), "/var/lib/chapar/sieve");
    TEST_ASSERT_INT(conf_getswitch(CONF_HASHIMAPSPOOL), 0);
    TEST_ASSERT_INT(gethostname(host, sizeof(host) - 1), 0);
    TEST_ASSERT_STR(conf_getstring(CONF_SERVERNAME), host);
    TEST_ASSERT_STR(conf_getstring(CONF_LMTPSOCKET),
                    "/var/lib/chapar/socket/lmtp");
    TEST_ASSERT_STR(conf_getstring(CONF_HOSTS_ALLOW), "/etc/hosts.allow");
    TEST_ASSERT_STR(conf_getstring(CONF_HOSTS_DENY), "/etc/hosts.deny");
    TEST_ASSERT_INT(conf_getint(CONF_POPMINPOLL), 0);
    TEST_ASSERT_INT(conf_getint(CONF_POPTIMEOUT), 10);
    TEST_ASSERT_INT(conf_getswitch(CONF_SINGLEINSTANCESTORE), 1);
    TEST_ASSERT_STR(conf_getstring(CONF_POSTMASTER), "postmaster");
    TEST_ASSERT_INT(conf_getint(CONF_IMAPIDLEPOLL), 1);
    TEST_ASSERT_STR(conf_getstring(CONF_MASTER_PIDFILE),
                    "/var/lib/chapar/master.pid");
    TEST_ASSERT_STR(conf_getstring(CONF_CYRUS_USER), CYRUS_USER);
    TEST_ASSERT_STR(conf_getstring(CONF_CYRUS_GROUP), CYRUS_GROUP);
    TEST_ASSERT_STR(conf_getstring(CONF_SASL_PWCHECK_METHOD), "auxprop");
    TEST_ASSERT_STR(conf_getstring(CONF_SASL_AUXPROP_PLUGIN), "sasldb");
    TEST_ASSERT_STR(conf_getstring(CONF_SASL_SASLDB_PATH), "");
    TEST_ASSERT_STR(conf_getstring(CONF_SASL_MECH_LIST), "");
    TEST_ASSERT_STR(conf_option_name(CONF_TIMEOUT), "timeout");
    conf_reset();
    TEST_ASSERT(conf_filename() == NULL);
}

static void test_every_type_parsed(void)
{
    load_ok("admins: bob  alice\n"
            "tls_ciphers: HIGH:!aNULL\n"          /* a colon in the value */
            "servername: mail.example.org\n"
            "sievedir: /srv/sieve\n"
            "lmtpsocket: /run/lmtp\n"
            "autocreatequota: -1\n"
            "maxmessagesize: 9223372036854775807\n"
            "timeout: 30\n"
            "quotawarn: 100\n"
            "maxargs: 1\n"
            "umask: 027\n"
            "tls_versions: TLS1_3\ttls1_2 tls1_3\n" /* any case, once each,
                                                   in the table's order */
            "reject8bit: yes\n");
    TEST_ASSERT_STR(conf_getstring(CONF_ADMINS), "bob  alice");
    TEST_ASSERT_STR(conf_getstring(CONF_TLS_CIPHERS), "HIGH:!aNULL");
    TEST_ASSERT_STR(conf_getstring(CONF_SERVERNAME), "mail.example.org");
    TEST_ASSERT_STR(conf_getstring(CONF_SIEVEDIR), "/srv/sieve");
    TEST_ASSERT_STR(conf_getstring(CONF_LMTPSOCKET), "/run/lmtp");
    TEST_ASSERT_INT(conf_getint(CONF_AUTOCREATEQUOTA), -1);
    TEST_ASSERT_INT(conf_getint(CONF_MAXMESSAGESIZE), 9223372036854775807LL);
    TEST_ASSERT_INT(conf_getint(CONF_TIMEOUT), 30);
    TEST_ASSERT_INT(conf_getint(CONF_QUOTAWARN), 100);
    TEST_ASSERT_INT(conf_getint(CONF_MAXARGS), 1);
    TEST_ASSERT_INT(conf_getint(CONF_UMASK), 027);
    TEST_ASSERT_STR(conf_getstring(CONF_TLS_VERSIONS), "tls1_2 tls1_3");
    TEST_ASSERT_INT(conf_getswitch(CONF_REJECT8BIT), 1);

    load_ok("umask: 0\nquotawarn: 0\nautocreatequota: 2048\n"
            "tls_versions:  tls1_3 \n");
    TEST_ASSERT_STR(conf_getstring(CONF_TLS_VERSIONS), "tls1_3");
    TEST_ASSERT_INT(conf_getint(CONF_UMASK), 0);
    TEST_ASSERT_INT(conf_getint(CONF_QUOTAWARN), 0);
    TEST_ASSERT_INT(conf_getint(CONF_AUTOCREATEQUOTA), 2048);
    load_ok("umask: 0777\n");
    TEST_ASSERT_INT(conf_getint(CONF_UMASK), 0777);
}

static void test_switch_spellings(void)
{
    static const char *const yes[] = { "yes", "YES", "1", "t", "T", "on",
                                       "On", "true", "TRUE" };
    static const char *const no[] = { "no", "No", "0", "f", "F", "off",
                                      "OFF", "false", "False" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        char *line = xasprintf("reject8bit: %s\nduplicatesuppression: %s\n",
                               yes[i], no[i]);
        load_ok(line);
        if (conf_getswitch(CONF_REJECT8BIT) != 1 ||
            conf_getswitch(CONF_DUPLICATESUPPRESSION) != 0)
            test_fail(__FILE__, __LINE__, "\"%s\"/\"%s\" misread", yes[i],
                      no[i]);
        free(line);
    }
}

static void test_bad_numbers(void)
{
    expect_line3_error("quotawarn: abc", "quotawarn: \"abc\" is not a number");
    expect_line3_error("quotawarn:", "quotawarn: \"\" is not a number");
    expect_line3_error("quotawarn: 5x", "quotawarn: \"5x\" is not a number");
    expect_line3_error("quotawarn: +5", "quotawarn: \"+5\" is not a number");
    expect_line3_error("quotawarn: 0x10", "quotawarn: \"0x10\" is not a number");
    expect_line3_error("quotawarn: 1 2", "quotawarn: \"1 2\" is not a number");
    expect_line3_error("quotawarn: -", "quotawarn: \"-\" is not a number");
    expect_line3_error("quotawarn: 101",
                       "quotawarn: 101 is out of range (0 to 100)");
    expect_line3_error("quotawarn: -1",
                       "quotawarn: -1 is out of range (0 to 100)");
    expect_line3_error("timeout: 29",
                       "timeout: 29 is out of range (30 to 10080)");
    expect_line3_error("poptimeout: 9",
                       "poptimeout: 9 is out of range (10 to 10080)");
    expect_line3_error("maxmessagesize: -1",
                       "maxmessagesize: -1 is out of range (at least 0)");
    expect_line3_error("maxmessagesize: 9223372036854775808",
                       "maxmessagesize: 9223372036854775808 is out of range "
                       "(at least 0)");
    expect_line3_error("autocreatequota: -99999999999999999999",
                       "autocreatequota: -99999999999999999999 is out of "
                       "range");
}

static void test_bad_octal_switch_enum_path(void)
{
    expect_line3_error("umask: 089", "umask: \"089\" is not an octal number");
    expect_line3_error("umask: -1", "umask: \"-1\" is not an octal number");
    expect_line3_error("umask:", "umask: \"\" is not an octal number");
    expect_line3_error("umask: 1000",
                       "umask: 1000 is out of range (at most 0777)");
    expect_line3_error("umask: 77777777777777777777777777",
                       "umask: 77777777777777777777777777 is out of range "
                       "(at most 0777)");
    expect_line3_error("reject8bit: maybe",
                       "reject8bit: \"maybe\" is not a switch (use yes/no, "
                       "on/off, true/false, t/f or 1/0)");
    expect_line3_error("reject8bit: yess",
                       "reject8bit: \"yess\" is not a switch (use yes/no, "
                       "on/off, true/false, t/f or 1/0)");
    expect_line3_error("reject8bit:",
                       "reject8bit: \"\" is not a switch (use yes/no, "
                       "on/off, true/false, t/f or 1/0)");
    expect_line3_error("tls_versions: tls1_1 tls1_2",
                       "tls_versions: \"tls1_1\" is not one of tls1_2, "
                       "tls1_3");
    expect_line3_error("tls_versions: tls1_2,tls1_3",
                       "tls_versions: \"tls1_2,tls1_3\" is not one of "
                       "tls1_2, tls1_3");
    expect_line3_error("tls_versions:",
                       "tls_versions: \"\" is not one of tls1_2, tls1_3");
    expect_line3_error("sievedir: sieve",
                       "sievedir: \"sieve\" is not an absolute path");
    expect_line3_error("partition-x: relative",
                       "partition-x: \"relative\" is not an absolute path");
    expect_line3_error("partition-x:",
                       "partition-x: \"\" is not an absolute path");
}

static void test_bad_lines(void)
{
    expect_line3_error("just some words",
                       "missing ':' (expected \"option: value\")");
    expect_line3_error(": value", "bad option name \"\"");
    expect_line3_error("bad name: x", "bad option name \"bad name\"");
    expect_line3_error("time.out: 30", "bad option name \"time.out\"");
    expect_line3_error("nosuchoption: 1", "unknown option \"nosuchoption\"");
    expect_line3_error("partition: /x", "unknown option \"partition\"");
    expect_line3_error("partition-: /x",
                       "partition-: a partition name is needed");
    expect_line3_error("sasl_: x", "sasl_: a SASL option name is needed");
}

static void test_unknown_option_line_number(void)
{
    struct buf err = BUF_INITIALIZER;
    char *want = xasprintf("%s:6: unknown option \"quotawrn\" (did you "
                           "mean \"quotawarn\"?)", test_path("imapd.conf"));

    TEST_ASSERT_INT(load("# Chapar\n\n" MINIMAL "   \n"
                         "quotawrn: 80\nadmins: x\n", &err), ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    /* Nothing was loaded. */
    TEST_ASSERT(conf_filename() == NULL);
    free(want);
    buf_free(&err);
}

static void test_comments_blanks_whitespace(void)
{
    load_ok("\n"
            "# quotawarn: 10\n"
            "   # indented comment\n"
            "\t\n"
            "  quotawarn  :   80  \r\n"          /* CRLF and padding */
            "\tadmins:\tbob # not a comment\n"
            "TIMEOUT: 45\n"                      /* names are caseless */
            "Partition-Big: /big\n"
            "maxargs: 10\n"
            "maxargs: 20\n"                      /* the last one wins */
            "failedloginpause: 7");              /* no final newline */
    TEST_ASSERT_INT(conf_getint(CONF_QUOTAWARN), 80);
    TEST_ASSERT_STR(conf_getstring(CONF_ADMINS), "bob # not a comment");
    TEST_ASSERT_INT(conf_getint(CONF_TIMEOUT), 45);
    TEST_ASSERT_STR(conf_partition_dir("big"), "/big");
    TEST_ASSERT_INT(conf_getint(CONF_MAXARGS), 20);
    TEST_ASSERT_INT(conf_getint(CONF_FAILEDLOGINPAUSE), 7);
}

static void test_empty_path_means_default(void)
{
    load_ok("sievedir: /elsewhere\nsievedir:\nservername:\n");
    TEST_ASSERT_STR(conf_getstring(CONF_SIEVEDIR), "/var/lib/chapar/sieve");
    TEST_ASSERT(*conf_getstring(CONF_SERVERNAME) != '\0');
}

static void test_missing_configdirectory(void)
{
    struct buf err = BUF_INITIALIZER;
    const char *path = test_path("imapd.conf");
    char *want = xasprintf("%s:2: missing required option "
                           "\"configdirectory\"", path);

    TEST_ASSERT_INT(load("partition-default: /p\nadmins: x\n", &err),
                    ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    /* An empty value does not count as given. */
    TEST_ASSERT_INT(load("partition-default: /p\nconfigdirectory:\n", &err),
                    ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    free(want);
    want = xasprintf("%s:1: missing required option \"configdirectory\"",
                     path);
    TEST_ASSERT_INT(load("", &err), ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    TEST_ASSERT_INT(load("configdirectory: relative\n", &err), ERR_BADARG);
    free(want);
    want = xasprintf("%s:1: configdirectory: \"relative\" is not an "
                     "absolute path", path);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    free(want);
    buf_free(&err);
}

static void test_missing_default_partition(void)
{
    struct buf err = BUF_INITIALIZER;
    char *want = xasprintf("%s:2: the default partition \"default\" is not "
                           "defined (add a line \"partition-default: "
                           "<path>\")", test_path("imapd.conf"));

    TEST_ASSERT_INT(load("configdirectory: /c\npartition-other: /o\n", &err),
                    ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    free(want);
    want = xasprintf("%s:3: the default partition \"main\" is not defined "
                     "(add a line \"partition-main: <path>\")",
                     test_path("imapd.conf"));
    TEST_ASSERT_INT(load(MINIMAL "defaultpartition: main\n", &err),
                    ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    TEST_ASSERT_INT(load("configdirectory: /c\npartition-other: /o\n"
                         "defaultpartition: other\n", &err), ERR_OK);
    TEST_ASSERT_STR(conf_getstring(CONF_DEFAULTPARTITION), "other");
    TEST_ASSERT(conf_partition_dir("default") == NULL);
    free(want);
    buf_free(&err);
}

static void collect_partition(const char *name, const char *dir, void *rock)
{
    buf_printf(rock, "%s=%s;", name, dir);
}

static void test_partitions(void)
{
    struct buf seen = BUF_INITIALIZER;

    load_ok("partition-news: /var/spool/news\n"
            "partition-archive: /old\n"
            "partition-archive: /archive\n"    /* the last one wins */
            "partition-spare_1: /spare\n");
    TEST_ASSERT_STR(conf_partition_dir("default"), "/var/spool/chapar");
    TEST_ASSERT_STR(conf_partition_dir("news"), "/var/spool/news");
    TEST_ASSERT_STR(conf_partition_dir("archive"), "/archive");
    TEST_ASSERT_STR(conf_partition_dir("spare_1"), "/spare");
    TEST_ASSERT(conf_partition_dir("nosuch") == NULL);
    TEST_ASSERT(conf_partition_dir("") == NULL);
    conf_partition_foreach(collect_partition, &seen);
    TEST_ASSERT_STR(buf_cstring(&seen), "archive=/archive;"
                    "default=/var/spool/chapar;news=/var/spool/news;"
                    "spare_1=/spare;");
    buf_free(&seen);
}

static void test_sasl_passthrough(void)
{
    load_ok("sasl_saslauthd_path: /run/saslauthd/mux\n"
            "sasl_mech_list: PLAIN LOGIN\n"
            "sasl_minimum_layer: 0\n"
            "sasl_empty:\n");
    /* Not in the table: handed through as written. */
    TEST_ASSERT_STR(conf_sasl_option("saslauthd_path"), "/run/saslauthd/mux");
    TEST_ASSERT_STR(conf_sasl_option("minimum_layer"), "0");
    /* In the table: set, or defaulted, or empty (left to SASL). */
    TEST_ASSERT_STR(conf_sasl_option("mech_list"), "PLAIN LOGIN");
    TEST_ASSERT_STR(conf_getstring(CONF_SASL_MECH_LIST), "PLAIN LOGIN");
    TEST_ASSERT_STR(conf_sasl_option("pwcheck_method"), "auxprop");
    TEST_ASSERT_STR(conf_sasl_option("auxprop_plugin"), "sasldb");
    TEST_ASSERT(conf_sasl_option("sasldb_path") == NULL);
    TEST_ASSERT(conf_sasl_option("empty") == NULL);
    TEST_ASSERT(conf_sasl_option("nosuch") == NULL);
}

static void test_aliases(void)
{
    load_ok("cleartextloginpause: 5\nsieve_dir: /s\n");
    TEST_ASSERT_INT(conf_getint(CONF_PLAINTEXTLOGINPAUSE), 5);
    TEST_ASSERT_STR(conf_getstring(CONF_SIEVEDIR), "/s");
    /* The last line wins, whichever name it uses. */
    load_ok("cleartextloginpause: 5\nplaintextloginpause: 2\n");
    TEST_ASSERT_INT(conf_getint(CONF_PLAINTEXTLOGINPAUSE), 2);
    /* An error names the option as the file wrote it. */
    expect_line3_error("cleartextloginpause: soon",
                       "cleartextloginpause: \"soon\" is not a number");
}

static void test_load_text_and_reload(void)
{
    static const char text[] = MINIMAL "admins: a\0b\n";
    struct buf err = BUF_INITIALIZER;

    TEST_ASSERT_INT(conf_load_text("mem", text, sizeof(text) - 1, &err),
                    ERR_BADARG);
    TEST_ASSERT_STR(buf_cstring(&err), "mem:3: NUL byte in line");
    TEST_ASSERT_INT(conf_load_text("mem", MINIMAL, strlen(MINIMAL), NULL),
                    ERR_OK);
    TEST_ASSERT_STR(conf_filename(), "mem");
    /* No error buffer is fine too. */
    TEST_ASSERT_INT(conf_load_text("bad", "x", 1, NULL), ERR_BADARG);
    TEST_ASSERT_STR(conf_filename(), "mem");
    /* A good load replaces everything, options not repeated included. */
    load_ok("quotawarn: 50\n");
    load_ok("admins: z\n");
    TEST_ASSERT_INT(conf_getint(CONF_QUOTAWARN), 90);
    TEST_ASSERT_STR(conf_getstring(CONF_ADMINS), "z");
    buf_free(&err);
}

static void test_unreadable_file(void)
{
    struct buf err = BUF_INITIALIZER;
    char *want = xasprintf("%s: cannot read: No such file or directory",
                           test_path("missing.conf"));

    TEST_ASSERT_INT(conf_load(test_path("missing.conf"), &err), ERR_IO);
    TEST_ASSERT_STR(buf_cstring(&err), want);
    free(want);
    buf_free(&err);
}

/* conf_init in a child with stderr sent to the file "stderr". */
static void init_child(void *rock)
{
    int fd = open(test_path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0 || dup2(fd, 2) < 0)
        _exit(99);
    close(fd);
    log_set_stderr(1);      /* even so, the error appears once */
    conf_init(rock);
    conf_reset();
    exit(0);
}

static void expect_init_failure(const char *path, const char *line)
{
    char *data, *want = xasprintf("%s\n", line);
    size_t len;

    TEST_ASSERT_INT(test_run_child(init_child, (void *)path), EX_CONFIG);
    TEST_ASSERT_INT(util_read_file(test_path("stderr"), &data, &len), ERR_OK);
    TEST_ASSERT_STR(data, want);
    free(data);
    free(want);
}

static void test_conf_init(void)
{
    const char *bad = test_write_file("bad.conf", MINIMAL "umask: 9\n");
    const char *good = test_write_file("good.conf", MINIMAL);
    char *line = xasprintf("%s:3: umask: \"9\" is not an octal number", bad);

    TEST_ASSERT_INT(EX_CONFIG, 78);
    expect_init_failure(bad, line);
    free(line);
    line = xasprintf("%s: cannot read: No such file or directory",
                     test_path("none.conf"));
    expect_init_failure(test_path("none.conf"), line);
    free(line);
    TEST_ASSERT_INT(test_run_child(init_child, (void *)good), 0);
    conf_init(good);
    TEST_ASSERT_STR(conf_filename(), good);
}

/* Cyrus's options that are not ours are accepted and ignored (one warning
 * from conf_init()); a typo of ours is an error naming the nearest. */
static void test_cyrus_options_ignored(void)
{
    load_ok("proc_path: /run/cyrus/proc\n"
            "newsspool: /var/spool/news\n"         /* Cyrus 2.0 */
            "srvtab: /etc/srvtab\n"
            "loginuseacl: no\n"
            "netscapeurl: http://x\n"
            "sieveusehomedir: false\n"
            "metapartition-default: /var/meta\n"  /* a family */
            "backuppartition-x: /var/backup\n"
            "lmtp_admins: cyrus\n"                 /* <service>_<ours> */
            "imap_sieve_extensions: fileinto\n"    /* <service>_<Cyrus's> */
            "proc_path: /again\n");
    TEST_ASSERT_INT(conf_ignored_count(), 10);
    load_ok("");
    TEST_ASSERT_INT(conf_ignored_count(), 0);
    expect_line3_error("quotawarm: 80",
                       "unknown option \"quotawarm\" (did you mean "
                       "\"quotawarn\"?)");
    expect_line3_error("admnis: x",             /* two letters swapped */
                       "unknown option \"admnis\" (did you mean "
                       "\"admins\"?)");
    expect_line3_error("metapartition-: /x",
                       "unknown option \"metapartition-\"");
    expect_line3_error("xyzzy_frobnicate: 1",
                       "unknown option \"xyzzy_frobnicate\"");
}

/* The option lines of Debian 12's stock /etc/imapd.conf (cyrus-common
 * 3.6.1), comments left out: accepted, with Cyrus's own options ignored. */
static const char debian_cyrus_conf[] =
    "configdirectory: /var/lib/cyrus\n"
    "proc_path: /run/cyrus/proc\n"
    "mboxname_lockpath: /run/cyrus/lock\n"
    "defaultpartition: default\n"
    "partition-default: /var/spool/cyrus/mail\n"
    "partition-news: /var/spool/cyrus/news\n"
    "newsspool: /var/spool/news\n"
    "altnamespace: no\n"
    "unixhierarchysep: no\n"
    "lmtp_downcase_rcpt: yes\n"
    "allowanonymouslogin: no\n"
    "popminpoll: 1\n"
    "autocreate_quota: 0\n"
    "umask: 077\n"
    "sieveusehomedir: false\n"
    "sievedir: /var/spool/sieve\n"
    "httpmodules: caldav carddav\n"
    "hashimapspool: true\n"
    "allowplaintext: yes\n"
    "sasl_pwcheck_method: auxprop\n"
    "sasl_auto_transition: no\n"
    "tls_client_ca_dir: /etc/ssl/certs\n"
    "tls_session_timeout: 1440\n"
    "lmtpsocket: /run/cyrus/socket/lmtp\n"
    "idlesocket: /run/cyrus/socket/idle\n"
    "notifysocket: /run/cyrus/socket/notify\n"
    "syslog_prefix: cyrus\n"
    "admins: cyrus\n";

static void test_debian_cyrus_file(void)
{
    struct buf err = BUF_INITIALIZER;

    if (conf_load_text("imapd.conf", debian_cyrus_conf,
                       sizeof(debian_cyrus_conf) - 1, &err))
        test_fail(__FILE__, __LINE__, "%s", buf_cstring(&err));
    TEST_ASSERT_STR(conf_partition_dir("default"), "/var/spool/cyrus/mail");
    TEST_ASSERT(conf_ignored_count() > 0);
    buf_free(&err);
}

static int captured_warning;

static void capture_line(int prio, const char *line, void *rock)
{
    (void)rock;
    if (prio == LOG_WARNING &&
        strstr(line, "cyrus.conf: ignoring 2 options of Cyrus IMAP that "
                     "Chapar does not use: httpmodules idlesocket"))
        captured_warning++;
}

static void warn_child(void *rock)
{
    log_set_capture(capture_line, NULL);
    if (rock)
        setenv(CONF_WARNED_ENV, "1", 1);
    conf_init(test_path("cyrus.conf"));
    _exit(captured_warning == 1 ? 10 : 11);
}

static void test_cyrus_options_warning(void)
{
    test_write_file("cyrus.conf", MINIMAL "httpmodules: caldav\n"
                                          "idlesocket: /run/idle\n");
    /* One line naming both; none where master warned already. */
    TEST_ASSERT_INT(test_run_child(warn_child, NULL), 10);
    TEST_ASSERT_INT(test_run_child(warn_child, (void *)1), 11);
}

static void get_int_of_string(void *rock)
{
    (void)rock;
    load_ok("");
    conf_getint(CONF_ADMINS);
}

static void get_switch_of_int(void *rock)
{
    (void)rock;
    load_ok("");
    conf_getswitch(CONF_TIMEOUT);
}

static void get_before_load(void *rock)
{
    (void)rock;
    conf_getstring(CONF_ADMINS);
}

static void test_misuse_panics(void)
{
    TEST_ASSERT_INT(test_run_child(get_int_of_string, NULL), 128 + SIGABRT);
    TEST_ASSERT_INT(test_run_child(get_switch_of_int, NULL), 128 + SIGABRT);
    TEST_ASSERT_INT(test_run_child(get_before_load, NULL), 128 + SIGABRT);
}

static void test_manpage_content(void)
{
    struct buf page = BUF_INITIALIZER;
    const char *s;

    conf_manpage(&page);
    s = buf_cstring(&page);
    TEST_ASSERT(strstr(s, ".TH IMAPD.CONF 5 "));
    TEST_ASSERT(strstr(s, "\n.SH SYNOPSIS\n"));
    TEST_ASSERT(strstr(s, "\n.SH DESCRIPTION\n"));
    TEST_ASSERT(strstr(s, "\n.BI partition\\- name\n"));
    TEST_ASSERT(strstr(s, "\n.BI sasl_ option\n"));
    TEST_ASSERT(strstr(s, "\n.SH FILES\n"));
    TEST_ASSERT(strstr(s, ".BR imapd (8),\n.BR master (8),\n"
                          ".BR deliver (8)\n"));
    TEST_ASSERT(strstr(s, ".TP\n\\fBtimeout\\fR\nInteger, 30 to 10080; "
                          "default: \\fB30\\fR.\n"));
    TEST_ASSERT(strstr(s, ".TP\n\\fBumask\\fR\nOctal number, at most 0777; "
                          "default: \\fB077\\fR.\n"));
    TEST_ASSERT(strstr(s, ".TP\n\\fBconfigdirectory\\fR\nAbsolute path; "
                          "required.\n"));
    TEST_ASSERT(strstr(s, "\nOne or more of \\fBtls1_2\\fR, \\fBtls1_3\\fR; "
                          "default: \\fBtls1_2 tls1_3\\fR.\n"));
    TEST_ASSERT(strstr(s, "Also accepted as \\fBcleartextloginpause\\fR.\n"));
    /* Build-time values must not leak into the committed page. */
    TEST_ASSERT(strstr(s, "default: chosen at build time (configure "
                          "\\-\\-with\\-cyrus\\-user), normally cyrus.\n"));
    for (int i = 0; i < CONF__COUNT; i++) {
        struct buf entry = BUF_INITIALIZER;
        buf_printf(&entry, ".TP\n\\fB");
        for (const char *n = conf_option_name(i); *n; n++)
            buf_appendcstr(&entry, *n == '-' ? "\\-" : (char[]){ *n, 0 });
        buf_appendcstr(&entry, "\\fR\n");
        if (!strstr(s, buf_cstring(&entry)))
            test_fail(__FILE__, __LINE__, "no entry for %s",
                      conf_option_name(i));
        buf_free(&entry);
    }
    buf_free(&page);
}

static void test_manpage_up_to_date(void)
{
    const char *srcdir = test_srcdir();
    struct buf page = BUF_INITIALIZER;
    char *path, *data;
    size_t len;

    path = strconcat(srcdir, "/man/imapd.conf.5", (char *)NULL);
    if (util_read_file(path, &data, &len))
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
    conf_manpage(&page);
    if (len != page.len || memcmp(data, page.s, len))
        test_fail(__FILE__, __LINE__, "man/imapd.conf.5 is out of date: run "
                  "tools/mkconfman > man/imapd.conf.5");
    free(data);
    free(path);
    buf_free(&page);
}

TEST_MAIN("conf",
          TEST_CASE(test_defaults),
          TEST_CASE(test_every_type_parsed),
          TEST_CASE(test_switch_spellings),
          TEST_CASE(test_bad_numbers),
          TEST_CASE(test_bad_octal_switch_enum_path),
          TEST_CASE(test_bad_lines),
          TEST_CASE(test_unknown_option_line_number),
          TEST_CASE(test_comments_blanks_whitespace),
          TEST_CASE(test_empty_path_means_default),
          TEST_CASE(test_missing_configdirectory),
          TEST_CASE(test_missing_default_partition),
          TEST_CASE(test_partitions),
          TEST_CASE(test_sasl_passthrough),
          TEST_CASE(test_aliases),
          TEST_CASE(test_load_text_and_reload),
          TEST_CASE(test_unreadable_file),
          TEST_CASE(test_conf_init),
          TEST_CASE(test_cyrus_options_ignored),
          TEST_CASE(test_cyrus_options_warning),
          TEST_CASE(test_debian_cyrus_file),
          TEST_CASE(test_misuse_panics),
          TEST_CASE(test_manpage_content),
          TEST_CASE(test_manpage_up_to_date))
