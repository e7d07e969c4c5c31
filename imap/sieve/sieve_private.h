/* sieve_private.h -- the compiled form of a Sieve script, shared by the
 * parser (sieve_parse.c, which builds and checks it), the matcher
 * (sieve_match.c) and the interpreter (sieve_interp.c).
 *
 * A script is a tree of nodes.  The parser reads the generic grammar of
 * RFC 5228 section 8 (a command is an identifier, arguments, then ";" or
 * a block; arguments are string lists, numbers and tags, then a test or
 * a test list), then checks each command and test against the table of
 * known ones and stores what the interpreter needs in the node: its op,
 * its comparator, match type and address part, its tags and the string
 * lists it works on.  Nothing in a checked tree can fail to be understood
 * at run time.
 */
#ifndef CHAPAR_SIEVE_PRIVATE_H
#define CHAPAR_SIEVE_PRIVATE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/strarray.h"
#include "imap/sieve/sieve.h"

enum sieve_op {
    /* commands */
    SOP_REQUIRE, SOP_IF, SOP_ELSIF, SOP_ELSE, SOP_STOP, SOP_KEEP,
    SOP_DISCARD, SOP_REDIRECT, SOP_FILEINTO, SOP_REJECT, SOP_EREJECT,
    SOP_SETFLAG, SOP_ADDFLAG, SOP_REMOVEFLAG, SOP_VACATION,
    /* tests */
    SOP_ADDRESS, SOP_ENVELOPE, SOP_HEADER, SOP_EXISTS, SOP_SIZE,
    SOP_ALLOF, SOP_ANYOF, SOP_NOT, SOP_TRUE, SOP_FALSE, SOP_HASFLAG
};

enum sieve_comparator { SCMP_OCTET, SCMP_CASEMAP };
enum sieve_match { SMATCH_IS, SMATCH_CONTAINS, SMATCH_MATCHES };
enum sieve_addrpart { SADDR_ALL, SADDR_LOCALPART, SADDR_DOMAIN };

#define STAG_COPY   0x01
#define STAG_CREATE 0x02
#define STAG_OVER   0x04
#define STAG_UNDER  0x08
#define STAG_MIME   0x10

enum sieve_arg_kind { SARG_STRINGS, SARG_NUMBER, SARG_TAG };

struct sieve_arg {
    enum sieve_arg_kind kind;
    int line;
    int is_list;                /* written as [...] */
    struct strarray strs;       /* SARG_STRINGS; the tag name for SARG_TAG */
    uint64_t num;               /* SARG_NUMBER, suffix applied */
};

struct sieve_node {
    enum sieve_op op;
    int line;
    char *name;                 /* as written, lower-cased */
    struct sieve_arg *args;
    size_t nargs;
    struct sieve_node *tests;   /* the test, or the test list */
    size_t ntests;
    int has_tests;              /* a test list was written, even "()" */
    struct sieve_node *block;
    size_t nblock;
    int has_block;
    /* filled in by the check */
    enum sieve_comparator comparator;
    enum sieve_match match;
    enum sieve_addrpart addrpart;
    unsigned tags;              /* STAG_* */
    const struct strarray *list1;   /* header names, flags, the target */
    const struct strarray *list2;   /* keys */
    const struct strarray *flags;   /* :flags, or NULL */
    uint64_t num;               /* size */
    /* vacation: :days (as seconds) or :seconds, -1 when absent; :subject,
     * :from, :handle (NULL when absent); :addresses (or NULL) */
    int64_t seconds;
    const char *subject, *from, *handle;
    const struct strarray *addresses;
};

struct sieve_script {
    struct sieve_node *cmds;
    size_t ncmds;
    struct sieve_limits limits;
};

void sieve_node_fini(struct sieve_node *n);

/* The first error of a compile or run: unless *failed is set already, set
 * it to code and err to "line N: <fmt...>" (sieve_parse.c). */
void sieve_verror(int *failed, struct buf *err, int code, int line,
                  const char *fmt, va_list ap);

/* ---- a message's header (sieve_interp.c) -------------------------------- */

struct sieve_hdr {
    const char *name;           /* in the message; not NUL-terminated */
    size_t name_len;
    char *value;                /* unfolded, trimmed */
};

struct sieve_headers {
    struct sieve_hdr *h;
    size_t n;
};

/* The fields of msg's header, in order. */
void sieve_headers_read(const char *msg, size_t len, struct sieve_headers *hs);
void sieve_headers_fini(struct sieve_headers *hs);
/* 1 if h is the field name (any case). */
int sieve_hdr_is(const struct sieve_hdr *h, const char *name);
/* The value of the first field name, or NULL. */
const char *sieve_header_first(const struct sieve_headers *hs,
                               const char *name);

/* ---- sieve_match.c ----------------------------------------------------- */

/* 1 if value (vlen bytes) matches key under the comparator and match
 * type (sieve.h); key is a pattern for SMATCH_MATCHES. */
int sieve_match(enum sieve_comparator c, enum sieve_match m,
                const char *value, size_t vlen, const char *key,
                size_t klen);
/* The part of an address (local@domain; the last '@' splits) in *start,
 * *len.  0 if the address has no such part (no '@': no domain). */
int sieve_address_part(enum sieve_addrpart part, const char *addr,
                       const char **start, size_t *len);

#endif
