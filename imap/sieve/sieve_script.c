/* sieve_script.c -- where a user's scripts live (sieve.h, "scripts on
 * disk"): Cyrus timsieved's layout, read only.  The active script is the
 * one the link "defaultbc" names (its target "<name>.bc", relative); its
 * source is "<name>.script" next to it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/util.h"
#include "imap/mailstore/mboxname.h"
#include "imap/sieve/sieve.h"

int sieve_user_dir(const char *sievedir, const char *userid,
                   struct buf *path)
{
    buf_reset(path);
    if (mboxname_validate_userid(userid))
        return ERR_BADNAME;
    buf_printf(path, "%s/%c/%s", sievedir, mboxname_hash_char(userid),
               userid);
    return ERR_OK;
}

int sieve_active_source(const char *sievedir, const char *userid,
                        size_t max, struct buf *src, struct buf *name)
{
    struct buf path = BUF_INITIALIZER;
    char target[NAME_MAX + 1];
    char *data = NULL;
    size_t len = 0, dirlen;
    ssize_t n;
    struct stat st;
    int r;

    if ((r = sieve_user_dir(sievedir, userid, &path)))
        goto done;
    dirlen = path.len;
    buf_appendcstr(&path, "/defaultbc");
    n = readlink(buf_cstring(&path), target, sizeof(target) - 1);
    if (n < 0) {
        r = errno == ENOENT || errno == ENOTDIR ? ERR_NOTFOUND : ERR_IO;
        goto done;
    }
    target[n] = '\0';
    /* "<name>.bc", a name in the same directory. */
    if (n <= 3 || strcmp(target + n - 3, ".bc") || strchr(target, '/') ||
        target[0] == '.') {
        errno = EINVAL;
        r = ERR_IO;
        goto done;
    }
    target[n - 3] = '\0';
    buf_truncate(&path, dirlen);
    buf_printf(&path, "/%s.script", target);
    if (stat(buf_cstring(&path), &st)) {
        r = ERR_IO;
        goto done;
    }
    if ((size_t)st.st_size > max) {
        r = ERR_TOOBIG;
        goto done;
    }
    if ((r = util_read_file(buf_cstring(&path), &data, &len)))
        goto done;
    buf_setmap(src, data, len);
    if (name)
        buf_setcstr(name, target);
done:
    free(data);
    buf_free(&path);
    return r;
}
