/* test_mboxlist_crash.c -- DESIGN.md invariant 6: CREATE, DELETE and
 * RENAME (one folder, a folder with children, a user, to the other
 * partition) and RENAME of one's own INBOX, each run in a child that is
 * killed with SIGKILL, first at every step of its intent in turn (the
 * test-only mboxlist_intent_hook), then at random instants; after each
 * kill the parent runs the recovery (mboxlist_recover_intents) and checks
 * the whole store: every mailbox under exactly its old or its new name,
 * record and files agreeing, every message file there, no record without
 * files, no file outside a mailbox, nothing for reconstruct to repair,
 * every quota root's usage exactly its mailboxes' once read as GETQUOTA
 * reads it (quota.h, CRASHES; also killed at every step of the quota
 * files: append and expunge, rename across roots, SETQUOTA set and unset).
 * Run from test_mboxlist.c. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/error.h"
#include "lib/strarray.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/append.h"
#include "imap/mailstore/auth.h"
#include "imap/mailstore/mailbox.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxlist_private.h"
#include "imap/mailstore/quota.h"
#include "imap/mailstore/reconstruct.h"
#include "imap/mailstore/subs.h"
#include "tests/unit/harness.h"
#include "tests/unit/crash_check.h"
#include "tests/unit/mboxlist_check.h"

/* Random kills per operation (each one a fork, a kill and a check). */
#define RANDOM_KILLS 16

/* ---- the store is whole ------------------------------------------------ */

void store_fini(struct store *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->b[i].name);
        free(st->b[i].partition);
        free(st->b[i].uniqueid);
        free(st->b[i].path);
    }
    free(st->b);
    memset(st, 0, sizeof(*st));
}

static int store_collect(const char *name, const struct mboxlist_entry *e,
                         void *rock)
{
    struct store *st = rock;
    struct box *b;

    st->b = xreallocarray(st->b, st->n + 1, sizeof(*st->b));
    b = &st->b[st->n++];
    memset(b, 0, sizeof(*b));
    b->name = xstrdup(name);
    b->partition = xstrdup(e->partition);
    b->uniqueid = xstrdup(e->uniqueid);
    return 0;
}

static void count_line(const char *line, void *rock)
{
    if (++*(int *)rock > 1)
        fprintf(stderr, "# reconstruct: %s\n", line);
}

/* Every regular file below dir, as its directory's path. */
static void walk_files(const char *dir, struct strarray *dirs)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d))) {
        char *p;
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        p = strconcat(dir, "/", de->d_name, (char *)NULL);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            walk_files(p, dirs);
        else
            strarray_add(dirs, dir);
        free(p);
    }
    closedir(d);
}

/* One mailbox's files: its unique id, every message file, nothing for
 * reconstruct to do. */
static void check_box(struct box *b)
{
    struct mboxlist_entry e;
    struct buf path = BUF_INITIALIZER;
    struct mailbox *mb = NULL;
    struct stat st;
    int lines = 0;

    TEST_ASSERT_INT(mboxlist_lookup(b->name, &e), ERR_OK);
    TEST_ASSERT_INT(mboxlist_entry_path(&e, &path), ERR_OK);
    b->path = buf_release(&path);
    if (mailbox_open(b->name, b->path, MAILBOX_UNLOCKED, &mb))
        test_fail(__FILE__, __LINE__, "record without files: %s", b->name);
    TEST_ASSERT_STR(mb->uniqueid, b->uniqueid);
    b->messages = mb->i.num_records;
    for (uint32_t n = 0; n < mb->i.num_records; n++) {
        struct index_record rec;
        TEST_ASSERT_INT(mailbox_read_record(mb, n, &rec), ERR_OK);
        mailbox_message_path(mb, rec.uid, &path);
        if (stat(buf_cstring(&path), &st) != 0)
            test_fail(__FILE__, __LINE__, "message file lost: %s", path.s);
    }
    mailbox_close(&mb);
    mboxlist_entry_fini(&e);
    buf_free(&path);
    TEST_ASSERT_INT(reconstruct_mailbox(b->name, count_line, &lines), ERR_OK);
    if (lines != 1)
        test_fail(__FILE__, __LINE__, "reconstruct repaired %s", b->name);
}

/* A mailbox directory without a record that store_check() leaves alone
 * (an orphan a test made): its name and path. */
static const char *store_ignore_name, *store_ignore;

static int store_ignored(const char *path)
{
    size_t n = store_ignore ? strlen(store_ignore) : 0;
    return n && !strncmp(path, store_ignore, n) &&
           (path[n] == '\0' || path[n] == '/');
}

/* Every quota root counts exactly the messages below it (read as
 * GETQUOTA does, settling what a kill left: quota.h, CRASHES). */
static void quota_check_all(const struct store *st)
{
    struct strarray roots = STRARRAY_INITIALIZER;

    /* Read each root as GETQUOTA does (which finishes what a kill left),
     * then compare the files with the mailboxes. */
    TEST_ASSERT_INT(reconstruct_quota_roots(&roots), ERR_OK);
    for (size_t i = 0; i < roots.count; i++) {
        struct quota q;
        int r = mboxlist_quota_read(roots.data[i], &q);
        TEST_ASSERT(r == ERR_OK || r == ERR_NOTFOUND);
        quota_fini(&q);
    }
    strarray_fini(&roots);
    TEST_ASSERT_INT(reconstruct_quota_roots(&roots), ERR_OK);
    for (size_t i = 0; i < roots.count; i++) {
        int64_t bytes = 0, msgs = 0;
        struct quota q;
        for (size_t j = 0; j < st->n; j++) {
            char *root = NULL;
            struct mailbox *mb;
            if (quota_find_root(st->b[j].name, &root) ||
                strcmp(root, roots.data[i])) {
                free(root);
                continue;
            }
            free(root);
            mb = open_mb(st->b[j].name);
            bytes += (int64_t)mb->i.quota_used;
            msgs += mb->i.num_records;
            TEST_ASSERT_STR(mb->quotaroot ? mb->quotaroot : "(none)",
                            roots.data[i]);
            mailbox_close(&mb);
        }
        TEST_ASSERT_INT(quota_read(roots.data[i], &q), ERR_OK);
        TEST_ASSERT_INT(q.state, QUOTA_STATE_OK);
        if (q.used[QUOTA_STORAGE] != bytes || q.used[QUOTA_MESSAGE] != msgs)
            test_fail(__FILE__, __LINE__, "quota root %s: usage %lld bytes "
                      "%lld messages, the mailboxes hold %lld and %lld",
                      roots.data[i], (long long)q.used[QUOTA_STORAGE],
                      (long long)q.used[QUOTA_MESSAGE], (long long)bytes,
                      (long long)msgs);
        TEST_ASSERT_INT(q.npending, 0);
        quota_fini(&q);
    }
    strarray_fini(&roots);
}

/* Recover, then check everything; st gets every mailbox. */
void store_check(struct store *st)
{
    struct strarray ids = STRARRAY_INITIALIZER, names = STRARRAY_INITIALIZER,
                    parts = STRARRAY_INITIALIZER, dirs = STRARRAY_INITIALIZER;

    store_fini(st);
    TEST_ASSERT_INT(mboxlist_recover_intents(), ERR_OK);
    TEST_ASSERT_INT(mboxlist_intent_ids(&ids), ERR_OK);
    TEST_ASSERT_INT(ids.count, 0);
    TEST_ASSERT_INT(mboxlist_find("*", admin, store_collect, st), ERR_OK);
    /* Quota first: reconstruct (in check_box) settles too. */
    quota_check_all(st);
    for (size_t i = 0; i < st->n; i++)
        check_box(&st->b[i]);
    /* No mailbox directory without a record ... */
    TEST_ASSERT_INT(reconstruct_scan(NULL, &names, &parts), ERR_OK);
    for (size_t i = 0; i < names.count; i++) {
        size_t j = 0;
        if (store_ignore_name && !strcmp(names.data[i], store_ignore_name)) {
            strarray_remove(&names, i--);
            strarray_remove(&parts, i + 1);
            continue;
        }
        while (j < st->n && (strcmp(st->b[j].name, names.data[i]) ||
                             strcmp(st->b[j].partition, parts.data[i])))
            j++;
        if (j == st->n)
            test_fail(__FILE__, __LINE__, "directory without a record: %s "
                      "on %s", names.data[i], parts.data[i]);
    }
    TEST_ASSERT_INT(names.count, st->n);
    /* ... and no file anywhere but in a mailbox of a record. */
    walk_files(test_path("spool"), &dirs);
    walk_files(test_path("spool2"), &dirs);
    for (size_t i = 0; i < dirs.count; i++) {
        size_t j = 0;
        if (store_ignored(dirs.data[i]))
            continue;
        while (j < st->n && strcmp(st->b[j].path, dirs.data[i]))
            j++;
        if (j == st->n)
            test_fail(__FILE__, __LINE__, "files outside any mailbox: %s",
                      dirs.data[i]);
    }
    strarray_fini(&ids);
    strarray_fini(&names);
    strarray_fini(&parts);
    strarray_fini(&dirs);
}

const struct box *store_name(const struct store *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->b[i].name, name))
            return &st->b[i];
    return NULL;
}

/* The mailbox with this unique id: exactly one, named a (on partition pa)
 * or b (on pb), with messages messages. */
void expect_moved(const struct store *st, const char *uniqueid,
                  const char *a, const char *pa, const char *b,
                  const char *pb, uint32_t messages)
{
    const struct box *found = NULL;

    for (size_t i = 0; i < st->n; i++) {
        if (strcmp(st->b[i].uniqueid, uniqueid))
            continue;
        TEST_ASSERT(found == NULL);
        found = &st->b[i];
    }
    if (!found)
        test_fail(__FILE__, __LINE__, "mailbox lost: %s / %s", a, b);
    if (!((!strcmp(found->name, a) && !strcmp(found->partition, pa)) ||
          (!strcmp(found->name, b) && !strcmp(found->partition, pb))))
        test_fail(__FILE__, __LINE__, "mailbox %s under %s on %s", a,
                  found->name, found->partition);
    TEST_ASSERT_INT(found->messages, messages);
}

/* ---- killing a child ----------------------------------------------------- */

typedef int crash_op_fn(void *rock);

static int crash_kill_at, crash_calls;

static void crash_hook(const char *point)
{
    (void)point;
    if (++crash_calls == crash_kill_at)
        kill(getpid(), SIGKILL);
}

long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* Run op in a child that kills itself at step `at` of its intents (0:
 * never), or that the parent kills delay_us after it starts (-1: never).
 * 1 if it was killed, 0 if op completed with ERR_OK (anything else fails
 * the case); *took_us: how long it ran. */
static int crash_run(crash_op_fn *op, void *rock, int at, long delay_us,
                     long *took_us)
{
    int fds[2], status;
    long t0;
    char c;
    pid_t pid;

    mboxlist_close();                   /* no handle crosses the fork */
    fflush(NULL);
    TEST_ASSERT(pipe(fds) == 0);
    pid = fork();
    TEST_ASSERT(pid >= 0);
    if (pid == 0) {
        int r;
        close(fds[0]);
        db_fork_child();
        crash_kill_at = at;
        crash_calls = 0;
        mboxlist_intent_hook = crash_hook;
        quota_test_hook = crash_hook;
        if (write(fds[1], "s", 1) != 1)
            _exit(2);
        r = op(rock);
        exit(r ? 100 + r : 0);          /* atexit: leave the environment */
    }
    close(fds[1]);
    TEST_ASSERT(read(fds[0], &c, 1) == 1);
    t0 = now_us();
    if (delay_us >= 0) {
        usleep((useconds_t)delay_us);
        kill(pid, SIGKILL);
    }
    TEST_ASSERT(waitpid(pid, &status, 0) == pid);
    *took_us = now_us() - t0;
    close(fds[0]);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        test_fail(__FILE__, __LINE__, "operation failed: status %d%s",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                  WIFEXITED(status) && WEXITSTATUS(status) > 100 ? " (100 + "
                  "error code)" : "");
    return 0;
}

/* Kill op at each of its steps in turn, then RANDOM_KILLS times at random
 * instants; check() after every run.  An op that goes both ways (where()
 * says which side the state is on: 0 or 1; NULL: one way only) is killed
 * at every step from each side: a run that the recovery completed is
 * undone by one more run first.  Prints the counts. */
static void crash_all(const char *what, crash_op_fn *op, void *rock,
                      int (*where)(void *rock), void (*check)(void *rock))
{
    long took = 0, full = 0;
    int steps = 0, landed = 0;

    for (int side = 0; side < (where ? 2 : 1); side++) {
        for (int at = 1;; at++) {
            int killed;
            if (where && where(rock) != side) {
                TEST_ASSERT_INT(crash_run(op, rock, 0, -1, &took), 0);
                check(rock);
            }
            killed = crash_run(op, rock, at, -1, &took);
            check(rock);
            if (!killed) {
                /* The shortest whole run: random kills land within it. */
                full = !full || took < full ? took : full;
                break;
            }
            steps++;
            TEST_ASSERT(at < 1000);
        }
    }
    srand((unsigned)getpid());
    for (int i = 0; i < RANDOM_KILLS; i++) {
        long delay = (long)((double)rand() / RAND_MAX * (double)full * 1.2);
        landed += crash_run(op, rock, 0, delay, &took);
        check(rock);
    }
    printf("# %s: killed at each of %d steps, %d of %d random kills "
           "landed\n", what, steps, landed, RANDOM_KILLS);
    fflush(stdout);
    TEST_ASSERT(steps >= 3);
}

/* ---- fixtures ------------------------------------------------------------ */

char *uniqueid_of(const char *name)
{
    struct mboxlist_entry e;
    char *id;
    TEST_ASSERT_INT(mboxlist_lookup(name, &e), ERR_OK);
    id = xstrdup(e.uniqueid);
    mboxlist_entry_fini(&e);
    return id;
}

/* One real message (cache entry and all), through append. */
void put_message(const char *name)
{
    struct append_params p = { .quota = APPEND_QUOTA_IGNORE };
    struct append_state *as = NULL;
    struct mailbox *mb = open_mb(name);
    static const char msg[] = "From: a@b.c\r\nSubject: hi\r\n\r\nbody\r\n";

    mailbox_unlock(mb);
    TEST_ASSERT_INT(append_begin(mb, &p, &as), ERR_OK);
    TEST_ASSERT_INT(append_message(as, msg, strlen(msg), 0, 0, NULL, NULL),
                    ERR_OK);
    TEST_ASSERT_INT(append_commit(&as, NULL), ERR_OK);
    mailbox_close(&mb);
}

/* A rename back and forth between two names (and partitions): each run
 * moves the tree from wherever it is to the other place. */
struct flip {
    const char *a, *pa, *b, *pb;
    const char *kids[4];            /* suffixes of the children */
    uint32_t msgs[5];               /* per mailbox: top, then kids */
    char *ids[5];
};

static int flip_op(void *rock)
{
    struct flip *f = rock;
    struct mboxlist_entry e;
    int at_a, r;

    /* A partition move of one mailbox keeps its name: its partition says
     * where it is. */
    if (!strcmp(f->a, f->b)) {
        if ((r = mboxlist_lookup(f->a, &e)))
            return r;
        at_a = !strcmp(e.partition, f->pa);
        mboxlist_entry_fini(&e);
        return mboxlist_rename(f->a, f->a, at_a ? f->pb : f->pa, admin);
    }
    at_a = mboxlist_lookup(f->a, NULL) == ERR_OK;
    return mboxlist_rename(at_a ? f->a : f->b, at_a ? f->b : f->a,
                           strcmp(f->pa, f->pb) ? (at_a ? f->pb : f->pa)
                                                : NULL, admin);
}

static int flip_where(void *rock)
{
    struct flip *f = rock;
    struct mboxlist_entry e;
    int side;

    if (strcmp(f->a, f->b))
        return mboxlist_lookup(f->a, NULL) != ERR_OK;
    TEST_ASSERT_INT(mboxlist_lookup(f->a, &e), ERR_OK);
    side = strcmp(e.partition, f->pa) != 0;
    mboxlist_entry_fini(&e);
    return side;
}

static void flip_check(void *rock)
{
    struct flip *f = rock;
    struct store st = { NULL, 0 };
    char a[128], b[128];

    store_check(&st);
    for (size_t i = 0; i < 5 && f->ids[i]; i++) {
        const char *kid = i ? f->kids[i - 1] : "";
        snprintf(a, sizeof(a), "%s%s", f->a, kid);
        snprintf(b, sizeof(b), "%s%s", f->b, kid);
        expect_moved(&st, f->ids[i], a, f->pa, b, f->pb, f->msgs[i]);
    }
    store_fini(&st);
}

static void flip_setup(struct flip *f)
{
    char name[128];

    make(f->a, admin);
    TEST_ASSERT_INT(mboxlist_setacl(f->a, admin, "admin", "+x"), ERR_OK);
    for (size_t i = 0; i < 5; i++) {
        if (i > 0 && !f->kids[i - 1])
            break;
        snprintf(name, sizeof(name), "%s%s", f->a, i ? f->kids[i - 1] : "");
        if (i > 0)
            make(name, admin);
        for (uint32_t k = 0; k < f->msgs[i]; k++)
            put_message(name);
        f->ids[i] = uniqueid_of(name);
    }
    if (strcmp(f->pa, "default")) {
        TEST_ASSERT_INT(mboxlist_rename(f->a, f->a, f->pa, admin), ERR_OK);
    }
}

static void flip_fini(struct flip *f)
{
    for (size_t i = 0; i < 5; i++)
        free(f->ids[i]);
}

void test_crash_rename_one(void)
{
    struct flip f = { "shared.one", "default", "shared.two", "default",
                      { NULL }, { 3 }, { NULL } };
    setup();
    flip_setup(&f);
    crash_all("rename of one folder", flip_op, &f, flip_where, flip_check);
    flip_fini(&f);
}

void test_crash_rename_tree(void)
{
    struct flip f = { "shared.tree", "default", "shared.bush", "default",
                      { ".a", ".b", ".b.c", NULL }, { 2, 1, 2, 1 },
                      { NULL } };
    setup();
    make("shared.bush.x", admin);           /* the target directory exists */
    flip_setup(&f);
    crash_all("rename of a folder with 3 children", flip_op, &f, flip_where,
              flip_check);
    flip_fini(&f);
}

void test_crash_rename_user(void)
{
    struct flip f = { "user.alice", "default", "user.zed", "default",
                      { ".sent", ".a", ".a.b", NULL }, { 2, 1, 1, 1 },
                      { NULL } };
    setup_with("hashimapspool: yes\n");
    flip_setup(&f);
    TEST_ASSERT_INT(subs_add("alice", "user.alice.sent"), ERR_OK);
    crash_all("user rename", flip_op, &f, flip_where, flip_check);
    flip_fini(&f);
}

void test_crash_rename_partition(void)
{
    struct flip f = { "shared.here", "default", "shared.there", "other",
                      { ".kid", NULL }, { 3, 2 }, { NULL } };
    struct flip g = { "shared.box", "default", "shared.box", "other",
                      { NULL }, { 2 }, { NULL } };
    setup();
    flip_setup(&f);
    crash_all("rename of a folder with a child to the other partition",
              flip_op, &f, flip_where, flip_check);
    flip_setup(&g);
    crash_all("move of a folder to the other partition", flip_op, &g,
              flip_where, flip_check);
    flip_fini(&f);
    flip_fini(&g);
}

/* A rename that meets, after its commit, mailbox files with messages and
 * no record at one of its new paths: it rolls back (ERR_EXISTS), and a
 * kill at any step of that roll back is completed the same way. */
static int back_op(void *rock)
{
    int r = mboxlist_rename("shared.tree", "shared.bush", NULL, admin);
    (void)rock;
    return r == ERR_EXISTS ? ERR_OK : r ? r : ERR_INTERNAL;
}

static void back_check(void *rock)
{
    struct flip *f = rock;
    struct store st = { NULL, 0 };
    struct mailbox *mb;

    store_check(&st);
    for (size_t i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof(name), "shared.tree%s", i ? f->kids[i - 1] : "");
        expect_moved(&st, f->ids[i], name, "default", name, "default",
                     f->msgs[i]);
    }
    store_fini(&st);
    /* The stranger's files are untouched. */
    TEST_ASSERT_INT(mailbox_open("shared.bush.b", store_ignore,
                                 MAILBOX_UNLOCKED, &mb), ERR_OK);
    TEST_ASSERT_INT(mb->i.num_records, 1);
    mailbox_close(&mb);
}

void test_crash_rename_rollback(void)
{
    struct flip f = { "shared.tree", "default", "shared.bush", "default",
                      { ".a", ".b", NULL }, { 2, 1, 1 }, { NULL } };
    struct mboxlist_entry e;
    struct buf path = BUF_INITIALIZER;
    struct db *db;

    setup();
    flip_setup(&f);
    make("shared.bush.b", admin);
    put_message("shared.bush.b");
    TEST_ASSERT_INT(mboxlist_lookup("shared.bush.b", &e), ERR_OK);
    TEST_ASSERT_INT(mboxlist_entry_path(&e, &path), ERR_OK);
    store_ignore = buf_cstring(&path);
    store_ignore_name = "shared.bush.b";
    TEST_ASSERT_INT(mboxlist_db_get(NULL, &db), ERR_OK);
    TEST_ASSERT_INT(db_delete(db, NULL, "shared.bush.b", 13), ERR_OK);
    crash_all("rename rolled back", back_op, &f, NULL, back_check);
    store_ignore = store_ignore_name = NULL;
    mboxlist_entry_fini(&e);
    buf_free(&path);
    flip_fini(&f);
}

/* ---- create and delete ------------------------------------------------- */

static int cd_op(void *rock)
{
    (void)rock;
    if (mboxlist_lookup("shared.cd", NULL) == ERR_OK)
        return mboxlist_delete("shared.cd", admin, MBOXLIST_DELETE_CHILDREN);
    return mboxlist_create("shared.cd", NULL, admin, 0);
}

static int cd_where(void *rock)
{
    (void)rock;
    return mboxlist_lookup("shared.cd", NULL) == ERR_OK;
}

/* Absent with its child, or just created (empty, no child), or whole
 * (1 message, a child with 2): then it is made whole for the delete. */
static void cd_check(void *rock)
{
    struct store st = { NULL, 0 };
    const struct box *b, *kid;

    (void)rock;
    store_check(&st);
    b = store_name(&st, "shared.cd");
    kid = store_name(&st, "shared.cd.kid");
    TEST_ASSERT(b != NULL || kid == NULL);
    TEST_ASSERT(!b || (b->messages == 0 && !kid) ||
                (b->messages == 1 && kid && kid->messages == 2));
    if (b && !kid) {
        TEST_ASSERT_INT(mboxlist_setacl("shared.cd", admin, "admin", "+x"),
                        ERR_OK);
        put_message("shared.cd");
        make("shared.cd.kid", admin);
        TEST_ASSERT_INT(mboxlist_setacl("shared.cd.kid", admin, "admin",
                                        "+x"), ERR_OK);
        put_message("shared.cd.kid");
        put_message("shared.cd.kid");
    }
    store_fini(&st);
}

void test_crash_create_delete(void)
{
    setup();
    make("shared", admin);
    TEST_ASSERT_INT(mboxlist_setquota("shared", 1000, QUOTA_UNLIMITED, admin),
                    ERR_OK);
    crash_all("create, then delete of a folder with a child", cd_op, NULL,
              cd_where, cd_check);
}

/* ---- quota usage across append and expunge ------------------------------ */

static int want_first(const struct index_record *rec, void *rock)
{
    uint32_t *first = rock;
    if (!*first)
        *first = rec->uid;
    return rec->uid == *first;
}

/* Append one message, then expunge the oldest: two usage changes. */
static int ae_op(void *rock)
{
    struct mailbox *mb;
    uint32_t first = 0;
    int r;

    (void)rock;
    put_message("shared.q");
    if ((r = mboxlist_open_mailbox("shared.q", MAILBOX_EXCLUSIVE, &mb)))
        return r;
    r = mailbox_expunge(mb, want_first, &first, NULL, NULL);
    mailbox_close(&mb);
    return r;
}

static void ae_check(void *rock)
{
    struct store st = { NULL, 0 };
    struct buf path = BUF_INITIALIZER;
    const struct box *b;
    struct mailbox *mb;

    (void)rock;
    /* A kill before the append's commit leaves its message file above the
     * last UID (append.h: reconstruct would adopt it), one between an
     * expunge's commit and its unlink the file of a tombstoned UID (which
     * reconstruct removes); here only quota is under test: they go. */
    TEST_ASSERT_INT(mboxlist_recover_intents(), ERR_OK);
    mb = open_mb("shared.q");
    for (uint32_t uid = 1, n; uid <= mb->i.last_uid + 1; uid++) {
        if (uid <= mb->i.last_uid && !mailbox_find_uid(mb, uid, &n))
            continue;
        mailbox_message_path(mb, uid, &path);
        unlink(buf_cstring(&path));
    }
    mailbox_close(&mb);
    buf_free(&path);
    store_check(&st);
    b = store_name(&st, "shared.q");
    /* A run adds one and removes one; a killed run may only add. */
    TEST_ASSERT(b && b->messages >= 3);
    store_fini(&st);
}

void test_crash_quota_append_expunge(void)
{
    setup();
    make("shared", admin);
    make("shared.q", admin);
    TEST_ASSERT_INT(mboxlist_setacl("shared.q", admin, "admin", "+x"),
                    ERR_OK);
    TEST_ASSERT_INT(mboxlist_setquota("shared", 1000, QUOTA_UNLIMITED, admin),
                    ERR_OK);
    put_message("shared.q");
    put_message("shared.q");
    put_message("shared.q");
    crash_all("append and expunge under a quota root", ae_op, NULL, NULL,
              ae_check);
}

/* SETQUOTA of a new root below another, then its removal: each re-roots
 * the mailboxes below it, one by one. */
static int sq_op(void *rock)
{
    (void)rock;
    if (quota_used("shared.s") >= 0)
        return mboxlist_unsetquota("shared.s", admin);
    return mboxlist_setquota("shared.s", 500, QUOTA_UNLIMITED, admin);
}

static int sq_where(void *rock)
{
    (void)rock;
    return quota_used("shared.s") >= 0;
}

static void sq_check(void *rock)
{
    struct store st = { NULL, 0 };
    (void)rock;
    store_check(&st);
    store_fini(&st);
}

void test_crash_setquota(void)
{
    setup();
    make("shared", admin);
    make("shared.s", admin);
    make("shared.s.a", admin);
    make("shared.s.b", admin);
    TEST_ASSERT_INT(mboxlist_setquota("shared", 1000, QUOTA_UNLIMITED, admin),
                    ERR_OK);
    put_message("shared");
    put_message("shared.s");
    put_message("shared.s.a");
    put_message("shared.s.a");
    put_message("shared.s.b");
    crash_all("SETQUOTA of a root below another, and its removal", sq_op,
              NULL, sq_where, sq_check);
}

/* A rename from one quota root to another moves the usage. */
void test_crash_rename_quota(void)
{
    struct flip f = { "shared.x.f", "default", "shared.y.f", "default",
                      { ".kid", NULL }, { 2, 1 }, { NULL } };
    setup();
    make("shared", admin);
    make("shared.x", admin);
    make("shared.y", admin);
    TEST_ASSERT_INT(mboxlist_setquota("shared.x", 1000, QUOTA_UNLIMITED,
                                      admin), ERR_OK);
    TEST_ASSERT_INT(mboxlist_setquota("shared.y", 1000, QUOTA_UNLIMITED,
                                      admin), ERR_OK);
    flip_setup(&f);
    crash_all("rename from one quota root to another", flip_op, &f,
              flip_where, flip_check);
    flip_fini(&f);
}

/* ---- RENAME INBOX ------------------------------------------------------ */

struct inbox_state {
    char *inbox_id;
    int round;
};

static int inbox_op(void *rock)
{
    struct inbox_state *s = rock;
    char name[64];

    snprintf(name, sizeof(name), "user.bob.old%d", s->round);
    return mboxlist_rename_inbox("user.bob", name, bob);
}

/* Old state (INBOX 3, no new folder) or new (INBOX 0, new folder 3). */
static void inbox_check(void *rock)
{
    struct inbox_state *s = rock;
    struct store st = { NULL, 0 };
    const struct box *inbox, *moved;
    char name[64];

    store_check(&st);
    snprintf(name, sizeof(name), "user.bob.old%d", s->round);
    inbox = store_name(&st, "user.bob");
    moved = store_name(&st, name);
    TEST_ASSERT(inbox != NULL);
    TEST_ASSERT_STR(inbox->uniqueid, s->inbox_id);
    if (moved) {
        TEST_ASSERT_INT(inbox->messages, 0);
        TEST_ASSERT_INT(moved->messages, 3);
    } else {
        TEST_ASSERT_INT(inbox->messages, 3);
    }
    if (moved) {
        s->round++;
        for (int i = 0; i < 3; i++)
            put_message("user.bob");
    }
    store_fini(&st);
}

void test_crash_rename_inbox(void)
{
    struct inbox_state s = { NULL, 0 };

    setup();
    make("user.bob", admin);
    for (int i = 0; i < 3; i++)
        put_message("user.bob");
    s.inbox_id = uniqueid_of("user.bob");
    crash_all("RENAME INBOX", inbox_op, &s, NULL, inbox_check);
    free(s.inbox_id);
}
