/* chaparadm_cmds.c -- the admin commands of chaparadm (cyradm's verbs and
 * abbreviations, SPEC.md "Tools"), each one IMAP command, with output in
 * cyradm's format. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/mailstore/acl.h"
#include "lib/strarray.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "tools/chaparadm_private.h"

struct adm_cmd {
    const char *name, *abbrev;
    int min, max;                   /* arguments after the command word */
    int (*fn)(struct imapc *c, char **argv, FILE *out, struct buf *text);
    const char *usage;
};

/* Keep every untagged response for the command to parse. */
static void collect(const char *resp, size_t len, void *rock)
{
    strarray_appendm(rock, xstrndup(resp, len));
}

/* Run the command built so far; untagged responses into `un`. */
static int run(struct imapc *c, struct strarray *un, struct buf *text)
{
    enum imapc_status st = imapc_run(c, un ? collect : NULL, un, text);

    return st == IMAPC_OK ? 0 : st == IMAPC_FAIL ? -1 : 1;
}

/* One command with string arguments; no output. */
static int simple(struct imapc *c, const char *cmd, char **args, int n,
                  struct buf *text)
{
    int i;

    imapc_begin(c, cmd);
    for (i = 0; i < n; i++)
        if (args[i] && imapc_string(c, args[i]))
            return 1;
    return run(c, NULL, text);
}

/* If resp starts with word (and a space), return what follows. */
static const char *after(const char *resp, const char *word)
{
    size_t n = strlen(word);

    if (strncasecmp(resp, word, n) || resp[n] != ' ')
        return NULL;
    return resp + n + 1;
}

static int is_str(enum imapc_tok t)
{
    return t == IMAPC_T_ATOM || t == IMAPC_T_STRING;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "LIST (attrs) delim name" -> "name (attrs)" */
static void list_line(const char *p, struct strarray *lines)
{
    const char *end = p + strlen(p);
    struct buf tok = BUF_INITIALIZER, attrs = BUF_INITIALIZER;
    enum imapc_tok t;

    if (imapc_token(&p, end, &tok) != IMAPC_T_OPEN)
        goto out;
    while ((t = imapc_token(&p, end, &tok)) == IMAPC_T_ATOM) {
        if (attrs.len)
            buf_putc(&attrs, ' ');
        buf_appendbuf(&attrs, &tok);
    }
    if (t != IMAPC_T_CLOSE || imapc_token(&p, end, &tok) == IMAPC_T_END)
        goto out;
    t = imapc_token(&p, end, &tok);
    if (t != IMAPC_T_ATOM && t != IMAPC_T_STRING)
        goto out;
    if (attrs.len)
        buf_printf(&tok, " (%s)", buf_cstring(&attrs));
    strarray_append(lines, buf_cstring(&tok));
out:
    buf_free(&tok);
    buf_free(&attrs);
}

static int cmd_lm(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    struct strarray un = STRARRAY_INITIALIZER, lines = STRARRAY_INITIALIZER;
    const char *p;
    size_t i;
    int r;

    imapc_begin(c, "LIST \"\"");
    if (imapc_string(c, argv[0] ? argv[0] : "*"))
        return 1;
    r = run(c, &un, text);
    for (i = 0; !r && i < un.count; i++)
        if ((p = after(un.data[i], "LIST")))
            list_line(p, &lines);
    if (lines.count)
        qsort(lines.data, lines.count, sizeof(char *), cmp_str);
    for (i = 0; i < lines.count; i++)
        fprintf(out, "%s\n", lines.data[i]);
    strarray_fini(&un);
    strarray_fini(&lines);
    return r;
}

/* A list of special-use roles, as atoms: "\\Word" separated by spaces.
 * 0, or -1 with the reason in text. */
static int roles_ok(const char *roles, struct buf *text)
{
    for (const char *p = roles; *p;) {
        size_t len = strcspn(p, " ");
        if (len && (p[0] != '\\' || len < 2 ||
                    strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz") != len - 1)) {
            buf_printf(text, "bad special-use %s (e.g. \\Sent)", roles);
            return -1;
        }
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

static int is_opt(const char *arg, const char *name)
{
    return (arg[0] == '-' && !strcmp(arg + 1, name)) ||
           (arg[0] == '-' && arg[1] == '-' && !strcmp(arg + 2, name));
}

/* cm [--partition p] [--specialuse roles] name [partition], as cyradm:
 * with roles, CREATE name ([PARTITION p ]USE (roles)) (RFC 6154). */
static int cmd_cm(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    const char *name = NULL, *part = NULL, *use = NULL;
    int bad = 0;

    (void)out;
    for (int i = 0; argv[i] && !bad; i++) {
        if (is_opt(argv[i], "partition") && argv[i + 1] && !part)
            part = argv[++i];
        else if (is_opt(argv[i], "specialuse") && argv[i + 1] && !use)
            use = argv[++i];
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else if (argv[i][0] != '-' && !part)
            part = argv[i];
        else
            bad = 1;
    }
    if (bad || !name) {
        buf_setcstr(text, "usage: createmailbox [--partition partition] "
                    "[--specialuse specialuse] mailbox [partition]");
        return 1;
    }
    if (use && roles_ok(use, text))
        return 1;
    imapc_begin(c, "CREATE");
    if (imapc_string(c, name))
        return 1;
    if (use) {
        prot_puts(c->p, " (");
        if (part) {
            prot_puts(c->p, "PARTITION");
            if (imapc_string(c, part))
                return 1;
            prot_putc(c->p, ' ');
        }
        prot_printf(c->p, "USE (%s))", use);
    } else if (part && imapc_string(c, part)) {
        return 1;
    }
    return run(c, NULL, text);
}

/* SETMETADATA mailbox (entry value), value "none" sent as NIL. */
static int setmeta(struct imapc *c, const char *mailbox, const char *entry,
                   const char *value, struct buf *text)
{
    imapc_begin(c, "SETMETADATA");
    if (imapc_string(c, mailbox))
        return 1;
    prot_printf(c->p, " (%s", entry);
    if (!strcasecmp(value, "none"))
        prot_puts(c->p, " NIL");
    else if (imapc_string(c, value))
        return 1;
    prot_putc(c->p, ')');
    return run(c, NULL, text);
}

/* The entry cyradm's name stands for in table (pairs, NULL-ended), or
 * NULL with the names in text. */
static const char *entry_named(const char *const (*table)[2],
                               const char *name, struct buf *text)
{
    for (size_t i = 0; table[i][0]; i++)
        if (!strcasecmp(name, table[i][0]))
            return table[i][1];
    buf_printf(text, "unknown attribute %s (", name);
    for (size_t i = 0; table[i][0]; i++)
        buf_printf(text, "%s%s", i ? ", " : "", table[i][0]);
    buf_putc(text, ')');
    return NULL;
}

/* mboxconfig name attribute value|none: SETMETADATA of one entry of an
 * existing mailbox, cyradm's names: comment (/shared/comment), expire
 * (/shared/vendor/cmu/cyrus-imapd/expire) and specialuse
 * (/private/specialuse, checked here first). */
static int cmd_mboxcfg(struct imapc *c, char **argv, FILE *out,
                       struct buf *text)
{
    static const char *const attrs[][2] = {
        { "comment", "/shared/comment" },
        { "expire", "/shared/vendor/cmu/cyrus-imapd/expire" },
        { "specialuse", "/private/specialuse" },
        { NULL, NULL }
    };
    const char *entry = entry_named(attrs, argv[1], text);

    (void)out;
    if (!entry)
        return 1;
    if (!strcmp(entry, "/private/specialuse") &&
        strcasecmp(argv[2], "none") && roles_ok(argv[2], text))
        return 1;
    return setmeta(c, argv[0], entry, argv[2], text);
}

/* setinfo attribute value|none: a shared entry of the server (cyradm's
 * setinfo; administrators only). */
static int cmd_setinfo(struct imapc *c, char **argv, FILE *out,
                       struct buf *text)
{
    static const char *const attrs[][2] = {
        { "comment", "/shared/comment" },
        { "motd", "/shared/motd" },
        { "admin", "/shared/admin" },
        { "shutdown", "/shared/vendor/cmu/cyrus-imapd/shutdown" },
        { "expire", "/shared/vendor/cmu/cyrus-imapd/expire" },
        { NULL, NULL }
    };
    const char *entry = entry_named(attrs, argv[0], text);

    (void)out;
    return entry ? setmeta(c, "", entry, argv[1], text) : 1;
}

/* info [mailbox]: every entry of the mailbox (or the server) as cyradm
 * prints it: "{name}:" (or "{Server Wide}"), then "  private:" and
 * "  shared:", each entry as "    <last part of its name>: <value>". */
static int cmd_info(struct imapc *c, char **argv, FILE *out,
                    struct buf *text)
{
    static const char *const kinds[] = { "/private/", "/shared/" };
    const char *box = argv[0] ? argv[0] : "";
    struct strarray un = STRARRAY_INITIALIZER;
    struct buf entry = BUF_INITIALIZER, value = BUF_INITIALIZER;
    enum imapc_tok vt;
    int r;

    imapc_begin(c, "GETMETADATA");
    if (imapc_string(c, box))
        return 1;
    prot_puts(c->p, " (\"/private/*\" \"/shared/*\")");
    if ((r = run(c, &un, text)))
        goto done;
    if (*box)
        fprintf(out, "{%s}:\n", box);
    else
        fputs("{Server Wide}\n", out);
    for (size_t k = 0; k < 2; k++) {
        int header = 0;
        for (size_t i = 0; i < un.count; i++) {
            const char *p = after(un.data[i], "METADATA"), *end;
            if (!p)
                continue;
            end = p + strlen(p);
            if (!is_str(imapc_token(&p, end, &entry)) ||
                imapc_token(&p, end, &entry) != IMAPC_T_OPEN)
                continue;
            while (is_str(imapc_token(&p, end, &entry)) &&
                   is_str(vt = imapc_token(&p, end, &value))) {
                const char *e = buf_cstring(&entry);
                if (strncmp(e, kinds[k], strlen(kinds[k])) ||
                    vt == IMAPC_T_ATOM)             /* NIL: no value */
                    continue;
                if (!header++)
                    fprintf(out, "  %.*s:\n", (int)strlen(kinds[k]) - 2,
                            kinds[k] + 1);
                fprintf(out, "    %s: %s\n", strrchr(e, '/') + 1,
                        buf_cstring(&value));
            }
        }
    }
done:
    strarray_fini(&un);
    buf_free(&entry);
    buf_free(&value);
    return r;
}

static int cmd_dm(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    (void)out;
    return simple(c, "DELETE", argv, 1, text);
}

static int cmd_renm(struct imapc *c, char **argv, FILE *out,
                    struct buf *text)
{
    (void)out;
    return simple(c, "RENAME", argv, 3, text);
}

static int cmd_sam(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    char *args[3];

    (void)out;
    args[0] = argv[0];
    args[1] = argv[1];
    args[2] = (char *)acl_expand_rights(argv[2]);
    return simple(c, "SETACL", args, 3, text);
}

static int cmd_dam(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    (void)out;
    return simple(c, "DELETEACL", argv, 2, text);
}

static int cmd_lam(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    struct strarray un = STRARRAY_INITIALIZER;
    struct buf id = BUF_INITIALIZER, rights = BUF_INITIALIZER;
    const char *p, *end;
    size_t i;
    int r;

    imapc_begin(c, "GETACL");
    if (imapc_string(c, argv[0]))
        return 1;
    r = run(c, &un, text);
    for (i = 0; !r && i < un.count; i++) {
        if (!(p = after(un.data[i], "ACL")))
            continue;
        end = p + strlen(p);
        if (imapc_token(&p, end, &id) == IMAPC_T_END)       /* the name */
            continue;
        while (is_str(imapc_token(&p, end, &id)) &&
               is_str(imapc_token(&p, end, &rights)))
            fprintf(out, "%s %s\n", buf_cstring(&id), buf_cstring(&rights));
    }
    strarray_fini(&un);
    buf_free(&id);
    buf_free(&rights);
    return r;
}

/* " STORAGE used/limit (pct%)" for each resource of a QUOTA response
 * body "root (res used limit ...)", after the root if with_root. */
static void print_quota(const char *p, FILE *out, int with_root)
{
    struct buf root = BUF_INITIALIZER;
    const char *end = p + strlen(p);
    struct buf res = BUF_INITIALIZER, used = BUF_INITIALIZER;
    struct buf lim = BUF_INITIALIZER;
    long long u, l;

    if (!is_str(imapc_token(&p, end, &root)) ||
        imapc_token(&p, end, &res) != IMAPC_T_OPEN)
        goto out;
    if (with_root)
        fputs(buf_cstring(&root), out);
    while (imapc_token(&p, end, &res) == IMAPC_T_ATOM &&
           imapc_token(&p, end, &used) == IMAPC_T_ATOM &&
           imapc_token(&p, end, &lim) == IMAPC_T_ATOM) {
        u = strtoll(buf_cstring(&used), NULL, 10);
        l = strtoll(buf_cstring(&lim), NULL, 10);
        fprintf(out, " %s %lld/%lld", buf_cstring(&res), u, l);
        if (l > 0)
            fprintf(out, " (%lld%%)", u * 100 / l);
    }
out:
    fputc('\n', out);
    buf_free(&root);
    buf_free(&res);
    buf_free(&used);
    buf_free(&lim);
}

static int cmd_lq(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    struct strarray un = STRARRAY_INITIALIZER;
    const char *p;
    size_t i;
    int r;

    imapc_begin(c, "GETQUOTA");
    if (imapc_string(c, argv[0]))
        return 1;
    r = run(c, &un, text);
    for (i = 0; !r && i < un.count; i++) {
        if ((p = after(un.data[i], "QUOTA")))
            print_quota(p, out, 0);
    }
    strarray_fini(&un);
    return r;
}

static int cmd_lqr(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    struct strarray un = STRARRAY_INITIALIZER;
    const char *p;
    size_t i;
    int r;

    imapc_begin(c, "GETQUOTAROOT");
    if (imapc_string(c, argv[0]))
        return 1;
    r = run(c, &un, text);
    for (i = 0; !r && i < un.count; i++) {
        if ((p = after(un.data[i], "QUOTA")))
            print_quota(p, out, 1);
    }
    strarray_fini(&un);
    return r;
}

/* sq root [storage] KB|none */
static int cmd_sq(struct imapc *c, char **argv, FILE *out, struct buf *text)
{
    const char *limit = argv[2] ? argv[2] : argv[1];
    long long kb;

    if (argv[2] && strcasecmp(argv[1], "storage")) {
        buf_printf(text, "unknown quota resource %s (only STORAGE)", argv[1]);
        return 1;
    }
    if (!strcasecmp(limit, "none")) {
        fprintf(out, "remove quota\n");
        imapc_begin(c, "SETQUOTA");
        if (imapc_string(c, argv[0]))
            return 1;
        imapc_atom(c, "()");
        return run(c, NULL, text);
    }
    if (util_parse_long(limit, 0, 0x7fffffffffffLL, &kb)) {
        buf_printf(text, "bad quota limit %s (a number of KB or none)", limit);
        return 1;
    }
    fprintf(out, "quota:%lld\n", kb);
    imapc_begin(c, "SETQUOTA");
    if (imapc_string(c, argv[0]))
        return 1;
    prot_printf(c->p, " (STORAGE %lld)", kb);
    return run(c, NULL, text);
}

static int cmd_help(struct imapc *c, char **argv, FILE *out,
                    struct buf *text);

static const struct adm_cmd commands[] = {
    { "listmailbox", "lm", 0, 1, cmd_lm, "[pattern]" },
    { "createmailbox", "cm", 1, 5, cmd_cm,
      "[--partition partition] [--specialuse roles] name [partition]" },
    { "deletemailbox", "dm", 1, 1, cmd_dm, "name" },
    { "renamemailbox", "renm", 2, 3, cmd_renm, "old new [partition]" },
    { "setaclmailbox", "sam", 3, 3, cmd_sam,
      "name id rights (none read post append write all, or letters)" },
    { "deleteaclmailbox", "dam", 2, 2, cmd_dam, "name id" },
    { "listaclmailbox", "lam", 1, 1, cmd_lam, "name" },
    { "setquota", "sq", 2, 3, cmd_sq, "root [storage] KB|none" },
    { "mboxconfig", "mboxcfg", 3, 3, cmd_mboxcfg,
      "name comment|expire|specialuse value|none (e.g. \"\\\\Sent\")" },
    { "info", "info", 0, 1, cmd_info, "[name] (the server's without)" },
    { "setinfo", "setinfo", 2, 2, cmd_setinfo,
      "comment|motd|admin|shutdown|expire value|none" },
    { "listquota", "lq", 1, 1, cmd_lq, "root" },
    { "listquotaroot", "lqr", 1, 1, cmd_lqr, "name" },
    { "help", "?", 0, 1, cmd_help, "[command]" },
    { "quit", "exit", 0, 0, NULL, "" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct adm_cmd *find_cmd(const char *word)
{
    size_t i;

    for (i = 0; i < NCOMMANDS; i++)
        if (!strcmp(word, commands[i].name) ||
            !strcmp(word, commands[i].abbrev))
            return &commands[i];
    return NULL;
}

static int cmd_help(struct imapc *c, char **argv, FILE *out,
                    struct buf *text)
{
    const struct adm_cmd *cmd;
    size_t i;

    (void)c;
    if (argv[0]) {
        if (!(cmd = find_cmd(argv[0]))) {
            buf_printf(text, "no such command: %s", argv[0]);
            return 1;
        }
        fprintf(out, "%s (%s) %s\n", cmd->name, cmd->abbrev, cmd->usage);
        return 0;
    }
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(out, "%-17s %-5s %s\n", commands[i].name, commands[i].abbrev,
                commands[i].usage);
    return 0;
}

int adm_execute(struct imapc *c, int argc, char **argv, FILE *out,
                FILE *err)
{
    const struct adm_cmd *cmd = find_cmd(argv[0]);
    struct buf text = BUF_INITIALIZER;
    char *args[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
    int i, r;

    if (!cmd) {
        fprintf(err, "%s: unknown command (try help)\n", argv[0]);
        return 1;
    }
    if (!cmd->fn)
        return -1;
    if (argc - 1 < cmd->min || argc - 1 > cmd->max) {
        fprintf(err, "usage: %s %s\n", cmd->name, cmd->usage);
        return 1;
    }
    for (i = 1; i < argc; i++)
        args[i - 1] = argv[i];
    r = cmd->fn(c, args, out, &text);
    fflush(out);
    if (r)
        fprintf(err, "%s: %s\n", cmd->name,
                text.len ? buf_cstring(&text) : "failed");
    buf_free(&text);
    return r < 0 ? -2 : r;
}
