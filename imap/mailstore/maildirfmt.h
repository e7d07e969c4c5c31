/* maildirfmt.h -- Maildir and Dovecot Maildir++ names and index files,
 * pure (no files, no mailstore): the migration tool reads the directory
 * and hands the bytes here.
 *
 * File names (cur/ and new/): "<base>:2,<info>" where info letters are
 * flags: R \Answered, S \Seen, T \Deleted (trashed), D \Draft, F \Flagged
 * (P, "passed", has no IMAP flag and is ignored); the lowercase letters
 * a-z are Dovecot keywords, numbered 0-25 by the dovecot-keywords file.
 * A name without ":2," has no flags.  The base is the part before ':'
 * (Dovecot's ",S=<size>,W=<vsize>" stays in it, as dovecot-uidlist does).
 *
 * dovecot-keywords: lines "<number> <name>"; other lines are ignored.
 *
 * dovecot-uidlist: version 3 (Dovecot 1.0 and later): a header line
 * "3 V<uidvalidity> N<nextuid> ..." then "<uid> [<ext>...] :<base>" per
 * message; version 1: "1 <uidvalidity> <nextuid>" then "<uid> <base>".
 * A line that is not understood is skipped (counted in bad_lines).
 *
 * Maildir++ folders are directories ".a.b" beside cur/new/tmp: the name
 * without its leading dot, '.' the hierarchy separator as in our internal
 * names (maildirfmt_is_folder says which directory names are folders).
 */
#ifndef CHAPAR_MAILDIRFMT_H
#define CHAPAR_MAILDIRFMT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/strarray.h"

/* Flags of a file name (the same meanings as mboxfmt.h's). */
#define MAILDIRFMT_SEEN     0x01
#define MAILDIRFMT_ANSWERED 0x04
#define MAILDIRFMT_FLAGGED  0x08
#define MAILDIRFMT_DRAFT    0x10
#define MAILDIRFMT_DELETED  0x20

/* The flags and the keyword letters (bit n for letter 'a' + n) of a file
 * name; the length of its base into *baselen. */
void maildirfmt_parse_name(const char *name, uint32_t *flags_r,
                           uint32_t *keywords_r, size_t *baselen_r);

/* dovecot-keywords into names (names->data[n] is keyword n; a missing
 * number is ""). */
void maildirfmt_parse_keywords(const char *data, size_t len,
                               struct strarray *names);

struct maildirfmt_uid {
    uint32_t uid;
    char *base;
};

struct maildirfmt_uidlist {
    uint32_t uidvalidity;       /* 0 when the file gave none */
    uint32_t next_uid;
    struct maildirfmt_uid *e;   /* sorted by base after parsing */
    size_t n;
    size_t bad_lines;
};

/* Parse dovecot-uidlist: ERR_OK, or ERR_BADFORMAT (unknown header line:
 * nothing kept). */
int maildirfmt_parse_uidlist(const char *data, size_t len,
                             struct maildirfmt_uidlist *ul);
/* The UID of base[0..baselen) or 0. */
uint32_t maildirfmt_uid_of(const struct maildirfmt_uidlist *ul,
                           const char *base, size_t baselen);
void maildirfmt_uidlist_fini(struct maildirfmt_uidlist *ul);

/* Is the directory entry name a Maildir++ folder (".x", not "." or "..")? */
int maildirfmt_is_folder(const char *name);

#endif
