/* procinfo.c -- configdirectory/proc/<pid> and log/<user>/<pid>.
 *
 * The proc file is rewritten whole at each change (temp file + rename, no
 * fsync: it describes a live process and is worthless after a crash, when
 * master's start-up cleanup removes it).  The fields are kept here so each
 * update writes the complete line.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/util.h"
#include "lib/xmalloc.h"
#include "imap/server/procinfo.h"

static struct {
    int active;         /* procinfo_begin() wrote the file */
    char *clienthost;
    char *userid;
    char *mailbox;
    int telemetry_fd;   /* log/<user>/<pid>, or -1 */
} procinfo = { 0, NULL, NULL, NULL, -1 };

static void procinfo_path(struct buf *path, pid_t pid, const char *suffix)
{
    buf_reset(path);
    buf_printf(path, "%s/proc/%ld%s", conf_getstring(CONF_CONFIGDIRECTORY),
               (long)pid, suffix);
}

/* Tabs and line ends inside a field would break the line format. */
static void procinfo_append_field(struct buf *line, const char *s)
{
    buf_putc(line, '\t');
    for (; *s; s++)
        buf_putc(line, (*s == '\t' || *s == '\r' || *s == '\n') ? ' ' : *s);
}

static void procinfo_write(void)
{
    struct buf path = BUF_INITIALIZER, tmp = BUF_INITIALIZER;
    struct buf line = BUF_INITIALIZER;
    int fd;

    buf_appendcstr(&line, procinfo.clienthost);
    if (procinfo.userid) {
        procinfo_append_field(&line, procinfo.userid);
        if (procinfo.mailbox)
            procinfo_append_field(&line, procinfo.mailbox);
    }
    buf_putc(&line, '\n');
    procinfo_path(&path, getpid(), "");
    procinfo_path(&tmp, getpid(), ".tmp");
    fd = open(buf_cstring(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
              0600);
    if (fd < 0) {
        log_error_errno("procinfo: cannot create file=<%s>", tmp.s);
        goto done;
    }
    if (retry_write(fd, line.s, line.len) < 0) {
        log_error_errno("procinfo: cannot write file=<%s>", tmp.s);
        close(fd);
        unlink(tmp.s);
        goto done;
    }
    close(fd);
    if (rename(tmp.s, buf_cstring(&path)) < 0) {
        log_error_errno("procinfo: cannot rename file=<%s>", tmp.s);
        unlink(tmp.s);
    }
done:
    buf_free(&path);
    buf_free(&tmp);
    buf_free(&line);
}

void procinfo_begin(const char *clienthost)
{
    free(procinfo.clienthost);
    procinfo.clienthost = xstrdup(clienthost);
    procinfo.active = 1;
    procinfo_write();
}

/* A user name is a path component of log/<user>/: refuse anything that
 * could leave that directory. */
static int procinfo_safe_component(const char *s)
{
    return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/');
}

static void procinfo_telemetry_start(const char *userid, struct prot *prot)
{
    struct buf path = BUF_INITIALIZER;
    struct stat st;

    if (procinfo.telemetry_fd >= 0 || !procinfo_safe_component(userid))
        return;
    buf_printf(&path, "%s/log/%s", conf_getstring(CONF_CONFIGDIRECTORY),
               userid);
    /* The administrator turns telemetry on by creating the directory. */
    if (stat(buf_cstring(&path), &st) < 0 || !S_ISDIR(st.st_mode))
        goto done;
    buf_printf(&path, "/%ld", (long)getpid());
    procinfo.telemetry_fd = open(buf_cstring(&path),
                                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                                 0600);
    if (procinfo.telemetry_fd < 0) {
        log_error_errno("telemetry: cannot open file=<%s>", path.s);
        goto done;
    }
    prot_set_telemetry(prot, procinfo.telemetry_fd,
                       conf_getswitch(CONF_LOGTIMESTAMPS));
done:
    buf_free(&path);
}

void procinfo_login(const char *userid, struct prot *prot)
{
    free(procinfo.userid);
    procinfo.userid = xstrdup(userid);
    if (procinfo.active)
        procinfo_write();
    procinfo_telemetry_start(userid, prot);
}

void procinfo_logout(struct prot *prot)
{
    free(procinfo.userid);
    free(procinfo.mailbox);
    procinfo.userid = procinfo.mailbox = NULL;
    if (procinfo.telemetry_fd >= 0) {
        prot_set_telemetry(prot, -1, 0);
        close(procinfo.telemetry_fd);
        procinfo.telemetry_fd = -1;
    }
    if (procinfo.active)
        procinfo_write();
}

void procinfo_mailbox(const char *mailbox)
{
    if (!mailbox && !procinfo.mailbox)
        return;
    free(procinfo.mailbox);
    procinfo.mailbox = xstrdupnull(mailbox);
    if (procinfo.active)
        procinfo_write();
}

void procinfo_end(void)
{
    if (procinfo.active)
        procinfo_remove(getpid());
    if (procinfo.telemetry_fd >= 0)
        close(procinfo.telemetry_fd);
    procinfo.telemetry_fd = -1;
    procinfo.active = 0;
    free(procinfo.clienthost);
    free(procinfo.userid);
    free(procinfo.mailbox);
    procinfo.clienthost = procinfo.userid = procinfo.mailbox = NULL;
}

void procinfo_remove(pid_t pid)
{
    struct buf path = BUF_INITIALIZER;

    procinfo_path(&path, pid, "");
    if (unlink(buf_cstring(&path)) < 0 && errno != ENOENT)
        log_error_errno("procinfo: cannot remove file=<%s>", path.s);
    procinfo_path(&path, pid, ".tmp");
    unlink(buf_cstring(&path));
    buf_free(&path);
}

/* The pid a proc/ entry belongs to ("<pid>" or "<pid>.tmp"), or 0. */
static pid_t procinfo_entry_pid(const char *name)
{
    char *end;
    long pid;

    if (*name < '1' || *name > '9')
        return 0;
    errno = 0;
    pid = strtol(name, &end, 10);
    if (errno || pid <= 0 || (*end && strcmp(end, ".tmp")))
        return 0;
    return (pid_t)pid;
}

int procinfo_cleanup(void)
{
    struct buf dir = BUF_INITIALIZER;
    struct dirent *de;
    DIR *d;
    int removed = 0;

    buf_printf(&dir, "%s/proc", conf_getstring(CONF_CONFIGDIRECTORY));
    if (mkdir(buf_cstring(&dir), 0700) < 0 && errno != EEXIST)
        log_error_errno("procinfo: cannot create directory=<%s>", dir.s);
    d = opendir(buf_cstring(&dir));
    if (!d) {
        log_error_errno("procinfo: cannot read directory=<%s>", dir.s);
        buf_free(&dir);
        return 0;
    }
    while ((de = readdir(d))) {
        pid_t pid = procinfo_entry_pid(de->d_name);
        /* kill(pid, 0): ESRCH means no such process; EPERM means it lives
         * under another user, so it is not stale. */
        if (pid && kill(pid, 0) < 0 && errno == ESRCH) {
            procinfo_remove(pid);
            removed++;
        }
    }
    closedir(d);
    buf_free(&dir);
    return removed;
}
