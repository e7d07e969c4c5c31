/* prot.h -- a buffered, duplex protocol stream over an input and an output fd.
 *
 * One struct prot carries one conversation: imapd, pop3d and lmtpd run one
 * process per connection and read commands from in_fd and write responses
 * to out_fd (inetd style these are 0 and 1; under the daemon both are the
 * same socket).  Client code in tools uses the same stream.
 *
 * Reading.  Lines end at LF; a CR just before the LF is removed too.  A line
 * longer than the caller's limit (prot_set_maxline) is read to its end and
 * dropped, and ERR_TOOBIG is returned, so the session can answer BAD and go
 * on with the next line.  Literals are read by count (prot_read_exact,
 * prot_skip); the caller checks an announced size against its own maximum
 * before reading.  Everything is binary-safe: NUL bytes never cut a line.
 * Reads block, for at most the timeout set by prot_set_timeout() per wait
 * and never past a deadline set by prot_set_deadline().
 * Read errors are ERR_EOF (the peer closed), ERR_TIMEOUT, ERR_IO (errno
 * kept) or ERR_PROTOCOL (a layer could not decode its input).  After
 * ERR_TIMEOUT, ERR_IO or ERR_PROTOCOL the position in the stream is
 * undefined: end the session.
 *
 * Writing.  Output is collected in a buffer and sent by prot_flush(), when
 * the buffer passes PROT_FLUSH_THRESHOLD bytes, and -- automatically --
 * before any read that has to wait for the peer, so a server that writes a
 * response and then reads the next command never deadlocks.  A write error
 * (EPIPE, ECONNRESET, a write timeout) is sticky: every later write and
 * flush returns it, buffered output is dropped, and prot_error() reports
 * it.  On sockets prot sends with MSG_NOSIGNAL, so a vanished peer never
 * raises SIGPIPE; writes to a pipe can, so servers ignore SIGPIPE (the
 * daemon does).  On sockets the read timeout also bounds each wait for the
 * peer to accept more output.
 *
 * Layers.  TLS and the SASL security layer sit between the buffers and the
 * fds as a stack of struct prot_layer (read/write vtables); prot.c knows
 * neither OpenSSL nor SASL.  Installing a layer flushes the output still
 * buffered (it leaves in the old form, e.g. the plaintext "OK Begin TLS")
 * and DISCARDS input already buffered: bytes a client pipelined in
 * plaintext behind STARTTLS (or behind a SASL exchange) arrived before the
 * layer existed and must never be read as if they came through it.
 *
 * Counters and telemetry.  prot_bytes_in/out count the application bytes
 * (above all layers) read and written.  prot_set_telemetry() copies them to
 * a log fd in this format, one log line per protocol line:
 *     <a1 LOGIN bob secret\r\n      a line read from the peer
 *     >a1 OK done\r\n               a line written to the peer
 * The bytes after the direction mark are exactly those on the wire (CRLF
 * kept); a log line always ends in "\n" (one is added when the other
 * direction interrupts a partial line, which then continues on a new
 * prefixed line).  With timestamps the mark is followed by the whole
 * seconds since the previous log line and the mark again:
 *     <0<a1 NOOP\r\n
 *     >0>a1 OK NOOP completed\r\n
 *     <42<a2 LOGOUT\r\n
 * (the role of Cyrus's logtimestamps option; the first line counts from
 * prot_set_telemetry()).  A failed write to the log fd
 * is logged once and ends telemetry; it never disturbs the session.
 *
 * Ownership and processes.  prot_free() does not flush (call prot_flush()
 * first) and does not close the fds unless prot_set_close_on_free(p, 1)
 * was called; it never closes the telemetry fd.  It frees every layer.
 * A struct prot belongs to one process: do not use it on both sides of a
 * fork().  Not thread-safe.
 */
#ifndef CHAPAR_PROT_H
#define CHAPAR_PROT_H

#include <stdarg.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/log.h"

#define PROT_DEFAULT_MAXLINE 65536   /* bytes per line, CRLF not counted */
#define PROT_FLUSH_THRESHOLD 16384   /* buffered output sent at this size */
#define PROT_MAX_LAYERS 4

struct prot;

/* A new stream; the fds are not touched until the first read or write.
 * No read timeout, maximum line PROT_DEFAULT_MAXLINE.  Never NULL. */
struct prot *prot_new(int in_fd, int out_fd);
/* Free layers and buffers, set *pp = NULL; NULL and *pp == NULL are fine. */
void prot_free(struct prot **pp);
/* on != 0: prot_free() closes in_fd and out_fd (once, if they are equal). */
void prot_set_close_on_free(struct prot *p, int on);

/* Longest line prot_readline() returns, CR/LF excluded: ERR_BADARG for 0. */
int prot_set_maxline(struct prot *p, size_t maxline);
/* Seconds to wait for the peer per read (and per stalled write on a
 * socket); 0 waits forever.  ERR_BADARG outside 0..INT_MAX/1000. */
int prot_set_timeout(struct prot *p, int seconds);
/* A deadline `seconds` from now for every later wait for the peer (reads,
 * stalled writes on a socket, handshakes under a layer), whatever arrives
 * meanwhile: a wait reaching it returns ERR_TIMEOUT, as a read timeout
 * does.  Bounds a client that dribbles a byte at a time (which resets the
 * per-wait timeout) -- the servers give the whole pre-login phase one
 * (logintimeout).  0 removes it; ERR_BADARG outside 0..INT_MAX/1000. */
int prot_set_deadline(struct prot *p, int seconds);

/* on != 0 and in_fd a TCP socket: acknowledge the peer's data at once
 * (TCP_QUICKACK, re-armed at each such wait, since Linux clears it) whenever
 * a read must wait in the middle of something -- a line begun (by
 * prot_readline, or by prot_read: the last byte it returned was no LF), a
 * literal (prot_read_exact, prot_skip), or the line right after one.  A client
 * that writes a command in several small writes (Nagle's algorithm on)
 * would otherwise wait for our delayed ACK, up to 40 ms, before it may
 * send the next piece.  A wait between commands keeps the delayed ACK, which
 * rides on the response.  Off by default. */
void prot_set_quickack(struct prot *p, int on);

/* Read one line into `line` (replacing its contents), without the LF and
 * a CR just before it.  ERR_TOOBIG: the line was longer than the maximum;
 * it has been read to its end and dropped, `line` holds its first maxline
 * bytes (enough for the tag of a BAD answer), the next call reads the next
 * line.  ERR_EOF: the stream ended before an LF (`line` holds what came). */
int prot_readline(struct prot *p, struct buf *line);
/* Read 1..size bytes into buf (*n_r), waiting only if nothing is buffered.
 * ERR_BADARG for size 0. */
int prot_read(struct prot *p, void *buf, size_t size, size_t *n_r);
/* APPEND exactly n bytes to `out`; ERR_EOF if the stream ends first (what
 * arrived is appended).  Memory grows with what arrives, not with n. */
int prot_read_exact(struct prot *p, size_t n, struct buf *out);
/* Read and drop exactly n bytes; ERR_EOF if the stream ends first. */
int prot_skip(struct prot *p, size_t n);

/* A wait for input (a read at the fds, or prot_wait_input) that sees no
 * input for `ms` calls the idle op of every layer and then fn() once, then
 * waits on; they are called again only after input has come.  For an idle session to give back memory its
 * last command used (util_release_idle_memory); a busy session pays one
 * poll() per read of the fd.  fn NULL: off (the default). */
void prot_set_idle(struct prot *p, int ms, void (*fn)(void));

/* Process-wide: once *flag is non-zero (set by a signal handler installed
 * without SA_RESTART, e.g. for the SIGTERM of master's shutdown), waits
 * end: a read that would wait returns ERR_EOF, prot_wait_input() returns
 * 1 (the read that follows says ERR_EOF), a write interrupted while it
 * waits returns ERR_IO.  Input already buffered is still read, and a write
 * that need not wait (the goodbye line) still goes out.  NULL: off. */
void prot_set_interrupt(volatile sig_atomic_t *flag);
/* Whether that flag is set: the caller is asked to end (say goodbye in its
 * protocol and exit the normal way). */
int prot_interrupted(void);

/* Flush the output, then wait up to timeout_ms (<0: forever) for input.
 * 1: input is buffered, a layer holds decoded input, or the fd is readable
 * (which includes end of stream and errors: the next read reports them);
 * 0: the time passed, or a signal interrupted the wait.  For IDLE.  Under
 * TLS a readable fd may carry no application data; the next read then
 * waits (with the read timeout) as usual. */
int prot_wait_input(struct prot *p, int timeout_ms);
/* Input bytes already received and decoded but not yet read by the caller. */
size_t prot_input_pending(const struct prot *p);
/* Drop the buffered input and what the top layer holds decoded, without
 * waiting; returns how many bytes were dropped. */
size_t prot_discard_input(struct prot *p);

/* Buffered output; each returns ERR_OK or the sticky write error. */
int prot_write(struct prot *p, const void *data, size_t n);
int prot_puts(struct prot *p, const char *s);
int prot_printf(struct prot *p, const char *fmt, ...) CHAPAR_FORMAT(2, 3);
int prot_vprintf(struct prot *p, const char *fmt, va_list ap)
    CHAPAR_FORMAT(2, 0);
int prot_putc(struct prot *p, char c);
/* Send all buffered output through the layers; blocks until done. */
int prot_flush(struct prot *p);
/* The sticky write error, or ERR_OK. */
int prot_error(const struct prot *p);

uint64_t prot_bytes_in(const struct prot *p);
uint64_t prot_bytes_out(const struct prot *p);
/* Copy the conversation to fd (not owned) in the format described above;
 * fd < 0 turns telemetry off. */
void prot_set_telemetry(struct prot *p, int fd, int timestamps);

/* ---- layers (for tls.c and sasl_glue.c) ----------------------------------
 * A stage is one level of the stack: level 0 is the pair of fds, each layer
 * adds one on top.  A layer reads and writes through the stage below it.
 * Stages live as long as the prot; pointers to them stay valid. */
struct prot_stage;

struct prot_layer {
    const char *name;
    /* Return 1..size decoded bytes (*n_r), reading from `below` as needed.
     * If pending() > 0 this must not do any I/O.  Errors as for reads. */
    int (*read)(void *ctx, struct prot_stage *below, void *buf, size_t size,
                size_t *n_r);
    /* Encode and send all n bytes through `below`. */
    int (*write)(void *ctx, struct prot_stage *below, const void *buf,
                 size_t n);
    /* Decoded bytes the layer holds (readable without I/O); may be NULL. */
    size_t (*pending)(void *ctx);
    /* Release ctx (no I/O); may be NULL. */
    void (*free)(void *ctx);
    /* The session is idle (prot_set_idle's call is due): give back memory
     * the layer can rebuild at its next use (no I/O); may be NULL. */
    void (*idle)(void *ctx);
};

/* Push a layer: flush output through the current stack (ERR_* if that
 * fails; the layer is then not installed), discard buffered input, then
 * own ctx (ops->free is called by prot_free).  ERR_BADARG when
 * PROT_MAX_LAYERS are already installed (ctx stays the caller's).  A
 * client pushes its layer before it reads anything the server sends
 * through it, or that input would be discarded too. */
int prot_set_layer(struct prot *p, const struct prot_layer *ops, void *ctx);
/* The ctx of the installed layer with these ops, or NULL. */
void *prot_layer_ctx(const struct prot *p, const struct prot_layer *ops);
/* The current top of the stack: where a layer being negotiated (a TLS
 * handshake) reads and writes before it is pushed. */
struct prot_stage *prot_top_stage(struct prot *p);
/* I/O through a stage (a layer, or the fds with the prot's timeout). */
int prot_stage_read(struct prot_stage *s, void *buf, size_t size,
                    size_t *n_r);
int prot_stage_write(struct prot_stage *s, const void *buf, size_t n);
/* The read timeout in seconds (0: none), for a handshake that changes it
 * for a while. */
int prot_get_timeout(const struct prot *p);

#endif
