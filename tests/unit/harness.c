/* harness.c -- forked-case unit-test runner; see harness.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "tests/unit/harness.h"

static char test_dir[1024];

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "# %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

const char *test_tmpdir(void) { return test_dir; }

const char *test_path(const char *name)
{
    static char paths[8][4096];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof(paths[0]), "%s/%s", test_dir, name);
    return p;
}

const char *test_write_file(const char *name, const char *contents)
{
    const char *path = test_path(name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(contents, f) < 0 || fclose(f) != 0)
        test_fail(__FILE__, __LINE__, "cannot write %s", path);
    return path;
}

static char test_abs_srcdir[PATH_MAX];

const char *test_srcdir(void)
{
    return test_abs_srcdir[0] ? test_abs_srcdir : ".";
}

/* Cases run in their own temp dir, so a relative $srcdir is resolved once,
 * before the first case. */
static void test_resolve_srcdir(void)
{
    const char *s = getenv("srcdir");
    if (!realpath(s && *s ? s : ".", test_abs_srcdir))
        test_abs_srcdir[0] = '\0';
}

int test_run_child(void (*fn)(void *rock), void *rock)
{
    int status;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        test_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        fn(rock);
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            test_fail(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static int test_run_case(const struct test_case *tc)
{
    const char *tmp = getenv("TMPDIR");
    int status;
    pid_t pid;

    snprintf(test_dir, sizeof(test_dir), "%s/chapar-test.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(test_dir)) {
        fprintf(stderr, "# mkdtemp: %s\n", strerror(errno));
        return 0;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        if (chdir(test_dir) < 0)
            _exit(2);
        alarm(120);
        tc->fn();
        /* exit(), not _exit(): LeakSanitizer checks at exit in ASan runs. */
        exit(0);
    }
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    util_remove_tree(test_dir);
    if (pid < 0)
        return 0;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "# case killed by signal %d\n", WTERMSIG(status));
        return 0;
    }
    return WEXITSTATUS(status) == 0;
}

int test_main(const char *suite, const struct test_case *cases, size_t n,
              int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;

    /* A test that kills a writer must not take the runner down with it. */
    signal(SIGPIPE, SIG_IGN);
    test_resolve_srcdir();
    for (size_t i = 0; i < n; i++) {
        if (only && !strstr(cases[i].name, only))
            continue;
        if (test_run_case(&cases[i])) {
            printf("ok %zu - %s\n", i + 1, cases[i].name);
            passed++;
        } else {
            printf("not ok %zu - %s\n", i + 1, cases[i].name);
            failed++;
        }
        fflush(stdout);
    }
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}
