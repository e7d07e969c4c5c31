/* index_check.c -- fixtures of the index tests; see index_check.h. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/error.h"
#include "lib/prot.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/imapd/imap_parser.h"
#include "tests/unit/harness.h"
#include "tests/unit/index_check.h"

static struct prot *out_prot;
static int out_fd = -1;
static off_t out_seen;
static struct buf out_text = BUF_INITIALIZER;
static struct buf err_text = BUF_INITIALIZER;
static struct buf code_text = BUF_INITIALIZER;
static struct buf srcuids_text = BUF_INITIALIZER;
static struct append_result copy_result;

const char *ix_dir(const char *name)
{
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/spool/%s", test_tmpdir(), name);
    for (char *c = p + strlen(test_tmpdir()) + 7; *c; c++)
        if (*c == '.')
            *c = '/';
    return p;
}

void ix_create(const char *name)
{
    char uniqueid[33];
    uint32_t h = 2166136261u;

    for (const char *c = name; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    snprintf(uniqueid, sizeof(uniqueid), "%08x%08x%08x%08x", h, h ^ 0x1111u,
             h ^ 0x2222u, h ^ 0x3333u);
    TEST_ASSERT_INT(util_mkdir_p(ix_dir(name), 0700), ERR_OK);
    TEST_ASSERT_INT(mailbox_create(name, ix_dir(name), uniqueid, "", NULL, 42),
                    ERR_OK);
}

uint32_t ix_append(const char *name, const char *msg, time_t when,
                   uint32_t flags)
{
    static const struct append_params params = { .quota = APPEND_QUOTA_IGNORE };
    struct mailbox *mb = NULL;
    struct append_state *as = NULL;
    struct append_result res;
    uint32_t uid = 0;

    TEST_ASSERT_INT(mailbox_open(name, ix_dir(name), MAILBOX_UNLOCKED, &mb),
                    ERR_OK);
    TEST_ASSERT_INT(append_begin(mb, &params, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg, strlen(msg), when, flags, NULL,
                                   &uid), ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, &res), ERR_OK);
    free(res.seen_uids);
    mailbox_close(&mb);
    return uid;
}

void ix_setup(void)
{
    struct buf conf = BUF_INITIALIZER, err = BUF_INITIALIZER;

    setenv("TZ", "UTC", 1);
    tzset();
    buf_printf(&conf, "configdirectory: %s/conf\npartition-default: %s/spool\n",
               test_tmpdir(), test_tmpdir());
    if (conf_load_text("t.conf", conf.s, conf.len, &err))
        test_fail(__FILE__, __LINE__, "%s", buf_cstring(&err));
    util_mkdir_p(test_path("conf/quota"), 0700);
    buf_free(&conf);
    buf_free(&err);
    ix_create("user.bob");
    ix_append("user.bob", ix_msg_plain, ix_dates[0], FLAG_FLAGGED);
    ix_append("user.bob", ix_msg_alt, ix_dates[1], 0);
    ix_append("user.bob", ix_msg_fwd, ix_dates[2], FLAG_ANSWERED);
    ix_append("user.bob", ix_msg_latin1, ix_dates[3], 0);
    out_fd = open(test_path("out.txt"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    TEST_ASSERT(out_fd >= 0);
    out_prot = prot_new(-1, out_fd);
}

struct index_state *ix_open(const char *name, const char *user,
                            unsigned rights, int examine)
{
    struct index_open_params params = { name, ix_dir(name), user, rights,
                                        examine };
    struct index_state *st = NULL;
    TEST_ASSERT_INT(index_open(&params, &st), ERR_OK);
    TEST_ASSERT(st != NULL);
    return st;
}

const char *ix_out(void)
{
    char chunk[4096];
    ssize_t n;

    prot_flush(out_prot);
    buf_reset(&out_text);
    while ((n = pread(out_fd, chunk, sizeof(chunk), out_seen)) > 0) {
        buf_appendmap(&out_text, chunk, (size_t)n);
        out_seen += n;
    }
    return buf_cstring(&out_text);
}

const char *ix_error(void)
{
    return buf_cstring(&err_text);
}

const char *ix_code(void)
{
    return buf_cstring(&code_text);
}

const char *ix_srcuids(void)
{
    return buf_cstring(&srcuids_text);
}

const struct append_result *ix_copy_result(void)
{
    return &copy_result;
}

/* Parse "tag " + line through the real parser. */
static struct imap_parser_command *ix_parse(const char *line)
{
    struct imap_parser_command *cmd = NULL;
    struct imap_parser *parser;
    struct prot *in;
    int fd = open(test_path("in.txt"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    char *text = xasprintf("t %s\r\n", line);

    TEST_ASSERT(fd >= 0);
    TEST_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    lseek(fd, 0, SEEK_SET);
    in = prot_new(fd, -1);
    parser = imap_parser_new(in, NULL);
    if (imap_parser_read(parser, &cmd) != IMAP_PARSER_OK)
        test_fail(__FILE__, __LINE__, "the parser refused: %s", line);
    imap_parser_free(&parser);
    prot_free(&in);
    close(fd);
    free(text);
    return cmd;
}

static int ix_copy(struct index_state *st, const struct imap_arg *args,
                   size_t nargs, int uid, int move)
{
    struct mailbox *dest = NULL;
    const char *name;
    int r;

    TEST_ASSERT(nargs == 2 && imap_arg_get_astring(&args[1], &name));
    TEST_ASSERT_INT(mailbox_open(name, ix_dir(name), MAILBOX_UNLOCKED, &dest),
                    ERR_OK);
    r = index_copy(st, out_prot, uid, &args[0], dest, move, &srcuids_text,
                   &copy_result, &err_text);
    mailbox_close(&dest);
    return r;
}

int ix_run(struct index_state *st, const char *line)
{
    struct imap_parser_command *cmd = ix_parse(line);
    const struct imap_arg *a = cmd->args;
    size_t n = cmd->nargs;
    const char *verb = cmd->name;
    int uid = 0, r = ERR_BADARG;

    buf_reset(&err_text);
    buf_reset(&code_text);
    if (!strcasecmp(verb, "UID")) {
        uid = 1;
        TEST_ASSERT(n > 0 && imap_arg_get_atom(&a[0], &verb));
        a++;
        n--;
    }
    if (!strcasecmp(verb, "FETCH"))
        r = index_fetch(st, out_prot, uid, n > 0 ? &a[0] : NULL,
                        n > 1 ? &a[1] : NULL, n > 2 ? &a[2] : NULL, &err_text);
    else if (!strcasecmp(verb, "STORE"))
        r = index_store(st, out_prot, uid, n > 0 ? &a[0] : NULL, a + 1,
                        n ? n - 1 : 0, &code_text, &err_text);
    else if (!strcasecmp(verb, "SEARCH"))
        r = index_search(st, out_prot, cmd->tag, uid, a, n, &err_text);
    else if (!strcasecmp(verb, "COPY") || !strcasecmp(verb, "MOVE"))
        r = ix_copy(st, a, n, uid, !strcasecmp(verb, "MOVE"));
    else if (!strcasecmp(verb, "EXPUNGE"))
        r = index_expunge(st, out_prot, uid && n ? &a[0] : NULL);
    else if (!strcasecmp(verb, "CHECK") || !strcasecmp(verb, "POLL"))
        r = index_check_updates(st, out_prot, !strcasecmp(verb, "CHECK"));
    else if (!strcasecmp(verb, "SELECT")) {
        index_select_responses(st, out_prot);
        r = ERR_OK;
    } else
        test_fail(__FILE__, __LINE__, "unknown test command %s", verb);
    imap_parser_command_free(&cmd);
    return r;
}
