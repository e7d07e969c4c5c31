/* prot.c -- buffered duplex protocol stream; see prot.h.
 *
 * Invariants: in[in_pos..in_len) is input received and decoded but not yet
 * handed to the caller; out holds output not yet sent.  stages[0] is the
 * pair of fds, stages[1..nlayers] the layers; all application I/O goes
 * through stages[nlayers].  Once write_err is set no byte is written again.
 * Output is flushed before every refill of the input buffer, so a reply is
 * on the wire before we wait for the peer's next command.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/prot.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

/* One TLS record's worth: a layer can hand over a whole record at once. */
#define PROT_INBUF_SIZE 16384

struct prot_stage {
    struct prot *prot;
    int level;                      /* 0 = the fds */
    const struct prot_layer *ops;   /* NULL at level 0 */
    void *ctx;
};

struct prot {
    int in_fd, out_fd;
    int out_is_socket;
    int close_on_free;
    int quickack;                   /* in_fd is TCP and prot_set_quickack */
    int mid;                        /* the caller stopped inside a line, or
                                       after a read by count (a literal) */
    int timeout_s;
    long long deadline_ms;          /* monotonic; 0 = none */
    size_t maxline;

    char in[PROT_INBUF_SIZE];
    size_t in_pos, in_len;
    struct buf out;
    int write_err;

    struct prot_stage stages[PROT_MAX_LAYERS + 1];
    int nlayers;

    uint64_t bytes_in, bytes_out;

    int tee_fd;                     /* telemetry, -1 = off */
    int tee_timestamps;
    char tee_open;                  /* direction of an unfinished log line */
    long long tee_last_ms;          /* monotonic time of the last line */

    void (*idle_fn)(void);          /* prot_set_idle */
    int idle_ms;
    int idle_spent;                 /* called since the last input */
};

struct prot *prot_new(int in_fd, int out_fd)
{
    /* All but the input buffer zeroed: its pages stay untouched until
     * input fills them (an idle session keeps 12 of its 16 kB unwritten). */
    struct prot *p = xmalloc(sizeof(*p));
    struct stat st;

    memset(p, 0, offsetof(struct prot, in));
    memset((char *)p + offsetof(struct prot, in_pos), 0,
           sizeof(*p) - offsetof(struct prot, in_pos));

    p->in_fd = in_fd;
    p->out_fd = out_fd;
    p->out_is_socket = fstat(out_fd, &st) == 0 && S_ISSOCK(st.st_mode);
    p->maxline = PROT_DEFAULT_MAXLINE;
    buf_init(&p->out);
    for (int i = 0; i <= PROT_MAX_LAYERS; i++) {
        p->stages[i].prot = p;
        p->stages[i].level = i;
    }
    p->tee_fd = -1;
    return p;
}

void prot_free(struct prot **pp)
{
    struct prot *p = pp ? *pp : NULL;

    if (!p)
        return;
    for (int i = p->nlayers; i >= 1; i--)
        if (p->stages[i].ops->free)
            p->stages[i].ops->free(p->stages[i].ctx);
    if (p->close_on_free) {
        close(p->in_fd);
        if (p->out_fd != p->in_fd)
            close(p->out_fd);
    }
    buf_free(&p->out);
    free(p);
    *pp = NULL;
}

void prot_set_close_on_free(struct prot *p, int on) { p->close_on_free = on; }

void prot_set_quickack(struct prot *p, int on)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    p->quickack = on && getsockname(p->in_fd, (struct sockaddr *)&ss,
                                    &len) == 0 &&
                  (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

/* The read about to wait is in the middle of something: ACK what came
 * now (setting TCP_QUICKACK sends a pending ACK) and what comes next. */
static void prot_push_ack(struct prot *p)
{
    int one = 1;

    if (p->quickack)
        (void)setsockopt(p->in_fd, IPPROTO_TCP, TCP_QUICKACK, &one,
                         sizeof(one));
}

int prot_set_maxline(struct prot *p, size_t maxline)
{
    /* readline keeps maxline + 1 bytes (a CR may still turn out to be part
     * of the terminator), so leave headroom against overflow. */
    if (maxline == 0 || maxline > SIZE_MAX / 2)
        return ERR_BADARG;
    p->maxline = maxline;
    return ERR_OK;
}

void prot_set_idle(struct prot *p, int ms, void (*fn)(void))
{
    p->idle_fn = fn;
    p->idle_ms = ms;
    p->idle_spent = 0;
}

static volatile sig_atomic_t *prot_interrupt;

void prot_set_interrupt(volatile sig_atomic_t *flag)
{
    prot_interrupt = flag;
}

int prot_interrupted(void)
{
    return prot_interrupt && *prot_interrupt;
}

/* The idle calls: the layers' first, so fn can give back what they free. */
static void call_idle(struct prot *p)
{
    p->idle_spent = 1;
    for (int i = 1; i <= p->nlayers; i++)
        if (p->stages[i].ops->idle)
            p->stages[i].ops->idle(p->stages[i].ctx);
    p->idle_fn();
}

/* No input for idle_ms while waiting for it: the idle calls, once. */
static void idle_wait(struct prot *p, int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int n;

    if (!p->idle_fn || p->idle_spent)
        return;
    while ((n = poll(&pfd, 1, p->idle_ms)) < 0 && errno == EINTR &&
           !prot_interrupted())
        ;
    if (n == 0)
        call_idle(p);
}

int prot_set_timeout(struct prot *p, int seconds)
{
    if (seconds < 0 || seconds > INT_MAX / 1000)
        return ERR_BADARG;
    p->timeout_s = seconds;
    return ERR_OK;
}

int prot_get_timeout(const struct prot *p) { return p->timeout_s; }
int prot_error(const struct prot *p) { return p->write_err; }
uint64_t prot_bytes_in(const struct prot *p) { return p->bytes_in; }
uint64_t prot_bytes_out(const struct prot *p) { return p->bytes_out; }

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int prot_set_deadline(struct prot *p, int seconds)
{
    if (seconds < 0 || seconds > INT_MAX / 1000)
        return ERR_BADARG;
    p->deadline_ms = seconds ? now_ms() + seconds * 1000LL : 0;
    return ERR_OK;
}

/* ---- telemetry ----------------------------------------------------------- */

void prot_set_telemetry(struct prot *p, int fd, int timestamps)
{
    p->tee_fd = fd;
    p->tee_timestamps = timestamps;
    p->tee_open = 0;
    p->tee_last_ms = now_ms();
}

static void tee_put(struct prot *p, const void *data, size_t n)
{
    if (p->tee_fd < 0 || retry_write(p->tee_fd, data, n) >= 0)
        return;
    /* The session matters more than its transcript. */
    log_error_errno("protocol telemetry stopped: write to fd=<%d> failed",
                    p->tee_fd);
    p->tee_fd = -1;
}

static void tee_prefix(struct prot *p, char dir)
{
    char mark[32];
    long long now;

    if (!p->tee_timestamps) {
        tee_put(p, &dir, 1);
        return;
    }
    now = now_ms();
    snprintf(mark, sizeof(mark), "%c%lld%c", dir,
             (now - p->tee_last_ms) / 1000, dir);
    p->tee_last_ms = now;
    tee_put(p, mark, strlen(mark));
}

/* Log data moving in direction dir ('<' read, '>' written), one prefixed
 * log line per protocol line. */
static void tee(struct prot *p, char dir, const char *data, size_t n)
{
    if (p->tee_fd < 0 || n == 0)
        return;
    if (p->tee_open && p->tee_open != dir) {
        tee_put(p, "\n", 1);
        p->tee_open = 0;
    }
    while (n > 0) {
        const char *lf = memchr(data, '\n', n);
        size_t seg = lf ? (size_t)(lf - data) + 1 : n;

        if (!p->tee_open)
            tee_prefix(p, dir);
        tee_put(p, data, seg);
        p->tee_open = lf ? 0 : dir;
        data += seg;
        n -= seg;
    }
}

/* ---- the fds: level 0 of the stack ---------------------------------------- */

/* Wait until fd is ready for `events`; ERR_TIMEOUT after timeout_s
 * (0 = never) or at p's deadline, whichever comes first; ERR_IO if poll
 * fails.  Signals do not shorten the wait. */
static int wait_fd(const struct prot *p, int fd, short events)
{
    long long deadline = p->timeout_s ? now_ms() + p->timeout_s * 1000LL : 0;
    struct pollfd pfd = { .fd = fd, .events = events };

    if (p->deadline_ms && (!deadline || p->deadline_ms < deadline))
        deadline = p->deadline_ms;
    for (;;) {
        int ms = -1, n;
        if (deadline) {
            long long left = deadline - now_ms();
            ms = left > 0 ? (int)left : 0;
        }
        if (events == POLLIN && prot_interrupted())
            return ERR_EOF;
        n = poll(&pfd, 1, ms);
        if (n > 0)
            return ERR_OK;
        if (n == 0)
            return ERR_TIMEOUT;
        if (errno != EINTR)
            return ERR_IO;
        if (prot_interrupted())
            return events == POLLIN ? ERR_EOF : ERR_IO;
    }
}

static int fd_read(struct prot *p, void *buf, size_t size, size_t *n_r)
{
    for (;;) {
        ssize_t n;
        int r;

        if (prot_interrupted())
            return ERR_EOF;
        idle_wait(p, p->in_fd);
        if ((p->timeout_s || p->deadline_ms) &&
            (r = wait_fd(p, p->in_fd, POLLIN)))
            return r;
        n = read(p->in_fd, buf, size);
        if (n > 0) {
            p->idle_spent = 0;
            *n_r = (size_t)n;
            return ERR_OK;
        }
        if (n == 0)
            return ERR_EOF;
        if (errno == EINTR) {
            if (prot_interrupted())
                return ERR_EOF;
            continue;
        }
        /* Someone made the fd non-blocking: wait as a blocking read would. */
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if ((r = wait_fd(p, p->in_fd, POLLIN)))
                return r;
            continue;
        }
        return ERR_IO;
    }
}

static int fd_write(struct prot *p, const char *data, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t w;
        int r;

        /* MSG_DONTWAIT lets the timeout bound a peer that stopped reading,
         * without changing the flags of an fd we may share. */
        if (p->out_is_socket)
            w = send(p->out_fd, data + done, n - done,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
        else
            w = write(p->out_fd, data + done, n - done);
        if (w >= 0) {
            done += (size_t)w;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return ERR_IO;
        if ((r = wait_fd(p, p->out_fd, POLLOUT)))
            return r;
    }
    return ERR_OK;
}

/* ---- stages ------------------------------------------------------------- */

int prot_stage_read(struct prot_stage *s, void *buf, size_t size,
                    size_t *n_r)
{
    if (s->level == 0)
        return fd_read(s->prot, buf, size, n_r);
    return s->ops->read(s->ctx, &s->prot->stages[s->level - 1], buf, size,
                        n_r);
}

int prot_stage_write(struct prot_stage *s, const void *buf, size_t n)
{
    if (n == 0)
        return ERR_OK;
    if (s->level == 0)
        return fd_write(s->prot, buf, n);
    return s->ops->write(s->ctx, &s->prot->stages[s->level - 1], buf, n);
}

struct prot_stage *prot_top_stage(struct prot *p)
{
    return &p->stages[p->nlayers];
}

static size_t stage_pending(const struct prot_stage *s)
{
    return s->level && s->ops->pending ? s->ops->pending(s->ctx) : 0;
}

static size_t layers_pending(const struct prot *p)
{
    size_t n = 0;
    for (int i = 1; i <= p->nlayers; i++)
        n += stage_pending(&p->stages[i]);
    return n;
}

int prot_set_layer(struct prot *p, const struct prot_layer *ops, void *ctx)
{
    int r;

    if (p->nlayers >= PROT_MAX_LAYERS)
        return ERR_BADARG;
    if ((r = prot_flush(p)))
        return r;
    prot_discard_input(p);
    p->nlayers++;
    p->stages[p->nlayers].ops = ops;
    p->stages[p->nlayers].ctx = ctx;
    return ERR_OK;
}

void *prot_layer_ctx(const struct prot *p, const struct prot_layer *ops)
{
    for (int i = 1; i <= p->nlayers; i++)
        if (p->stages[i].ops == ops)
            return p->stages[i].ctx;
    return NULL;
}

/* ---- output ------------------------------------------------------------- */

/* Send bytes through the whole stack; on failure the error sticks. */
static int send_out(struct prot *p, const char *data, size_t n)
{
    int r;

    if (p->write_err)
        return p->write_err;
    tee(p, '>', data, n);
    r = prot_stage_write(prot_top_stage(p), data, n);
    if (r) {
        p->write_err = r;
        buf_reset(&p->out);
        return r;
    }
    p->bytes_out += n;
    return ERR_OK;
}

int prot_flush(struct prot *p)
{
    int r;

    if (p->write_err)
        return p->write_err;
    if (p->out.len == 0)
        return ERR_OK;
    r = send_out(p, p->out.s, p->out.len);
    buf_reset(&p->out);
    return r;
}

int prot_write(struct prot *p, const void *data, size_t n)
{
    int r;

    if (p->write_err)
        return p->write_err;
    /* A big block (a message body) goes out directly, not via a copy. */
    if (n >= PROT_FLUSH_THRESHOLD) {
        if ((r = prot_flush(p)))
            return r;
        return send_out(p, data, n);
    }
    buf_appendmap(&p->out, data, n);
    if (p->out.len >= PROT_FLUSH_THRESHOLD)
        return prot_flush(p);
    return ERR_OK;
}

int prot_puts(struct prot *p, const char *s)
{
    return prot_write(p, s, strlen(s));
}

int prot_vprintf(struct prot *p, const char *fmt, va_list ap)
{
    if (p->write_err)
        return p->write_err;
    buf_vprintf(&p->out, fmt, ap);
    if (p->out.len >= PROT_FLUSH_THRESHOLD)
        return prot_flush(p);
    return ERR_OK;
}

int prot_printf(struct prot *p, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = prot_vprintf(p, fmt, ap);
    va_end(ap);
    return r;
}

int prot_putc(struct prot *p, char c)
{
    return prot_write(p, &c, 1);
}

/* ---- input -------------------------------------------------------------- */

/* Refill the empty input buffer from the top of the stack.  Output goes
 * first: the peer may be waiting for it before it sends anything.  A
 * failed flush is recorded (prot_error) and does not stop the read. */
static int prot_fill(struct prot *p)
{
    size_t n = 0;
    int r;

    ASSERT(p->in_pos == p->in_len);
    prot_flush(p);
    p->in_pos = p->in_len = 0;
    r = prot_stage_read(prot_top_stage(p), p->in, sizeof(p->in), &n);
    if (r)
        return r;
    ASSERT(n > 0 && n <= sizeof(p->in));
    p->in_len = n;
    p->bytes_in += n;
    tee(p, '<', p->in, n);
    return ERR_OK;
}

int prot_readline(struct prot *p, struct buf *line)
{
    int toobig = 0, r;

    buf_reset(line);
    for (;;) {
        const char *start, *lf;
        size_t avail, take;

        if (p->in_pos == p->in_len) {
            if (line->len || toobig || p->mid)
                prot_push_ack(p);
            if ((r = prot_fill(p)))
                return r;
        }
        start = p->in + p->in_pos;
        avail = p->in_len - p->in_pos;
        lf = memchr(start, '\n', avail);
        take = lf ? (size_t)(lf - start) : avail;
        if (!toobig) {
            /* Keep one byte more than the limit: it may be the CR of the
             * terminator.  Past that the rest of the line is dropped. */
            size_t room = p->maxline + 1 - line->len;
            if (take > room) {
                buf_appendmap(line, start, room);
                toobig = 1;
            } else {
                buf_appendmap(line, start, take);
            }
        }
        p->in_pos += take + (lf ? 1 : 0);
        if (lf)
            break;
    }
    p->mid = 0;
    if (!toobig && line->len && line->s[line->len - 1] == '\r')
        line->len--;
    if (toobig || line->len > p->maxline) {
        buf_truncate(line, p->maxline);
        return ERR_TOOBIG;
    }
    return ERR_OK;
}

int prot_read(struct prot *p, void *buf, size_t size, size_t *n_r)
{
    size_t n;
    int r;

    *n_r = 0;
    if (size == 0)
        return ERR_BADARG;
    if (p->in_pos == p->in_len) {
        if (p->mid)
            prot_push_ack(p);
        if ((r = prot_fill(p)))
            return r;
    }
    n = p->in_len - p->in_pos;
    if (n > size)
        n = size;
    memcpy(buf, p->in + p->in_pos, n);
    p->in_pos += n;
    p->mid = ((const char *)buf)[n - 1] != '\n';
    *n_r = n;
    return ERR_OK;
}

/* Consume exactly n bytes, appending them to out unless out is NULL. */
static int consume(struct prot *p, size_t n, struct buf *out)
{
    int r;

    p->mid = 1;
    while (n > 0) {
        size_t take;

        if (p->in_pos == p->in_len) {
            prot_push_ack(p);
            if ((r = prot_fill(p)))
                return r;
        }
        take = p->in_len - p->in_pos;
        if (take > n)
            take = n;
        if (out)
            buf_appendmap(out, p->in + p->in_pos, take);
        p->in_pos += take;
        n -= take;
    }
    return ERR_OK;
}

int prot_read_exact(struct prot *p, size_t n, struct buf *out)
{
    return consume(p, n, out);
}

int prot_skip(struct prot *p, size_t n) { return consume(p, n, NULL); }

size_t prot_input_pending(const struct prot *p)
{
    return (p->in_len - p->in_pos) + layers_pending(p);
}

size_t prot_discard_input(struct prot *p)
{
    size_t dropped = p->in_len - p->in_pos;

    p->in_pos = p->in_len = 0;
    /* A layer promises not to do I/O while it holds decoded bytes, so this
     * loop cannot block.  (A layer lower in the stack may hold more, but
     * reading it through the top one could wait for the peer.) */
    while (stage_pending(prot_top_stage(p)) > 0) {
        size_t n = 0;
        if (prot_stage_read(prot_top_stage(p), p->in, sizeof(p->in), &n))
            break;
        dropped += n;
    }
    return dropped;
}

int prot_wait_input(struct prot *p, int timeout_ms)
{
    struct pollfd pfd = { .fd = p->in_fd, .events = POLLIN };
    int n;

    prot_flush(p);
    if (prot_input_pending(p) > 0 || prot_interrupted())
        return 1;
    n = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (n == 0 && p->idle_fn && !p->idle_spent &&
        (timeout_ms < 0 || timeout_ms >= p->idle_ms))
        call_idle(p);
    /* An error is "readable": the read that follows reports it. */
    if (n < 0 && (errno != EINTR || prot_interrupted()))
        return 1;
    return n > 0 ? 1 : 0;
}
