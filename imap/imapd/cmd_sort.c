/* cmd_sort.c -- SORT and THREAD (RFC 5256), with their UID forms: the
 * index module (index_sort.c) parses the arguments and writes the
 * untagged response; here only the tagged answer. */
#include "config.h"

#include "lib/buf.h"
#include "imap/imapd/imapd_private.h"
#include "imap/imapd/index.h"

void cmd_sort(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf error = BUF_INITIALIZER;
    int r = index_sort(s->index, s->prot, c->tag, c->uid, c->args, c->nargs,
                       &error);

    imapd_index_result(s, c, r, &error, NULL);
    buf_free(&error);
}

void cmd_thread(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf error = BUF_INITIALIZER;
    int r = index_thread(s->index, s->prot, c->uid, c->args, c->nargs,
                         &error);

    imapd_index_result(s, c, r, &error, NULL);
    buf_free(&error);
}
