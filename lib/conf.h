/* conf.h -- imapd.conf: the parsed configuration shared by every program.
 *
 * Every option is declared once, in lib/conf_options.def (name, type,
 * default, range, one line of documentation); the enum below, the parser
 * and man/imapd.conf.5 all come from that table.
 *
 * File syntax: one "option: value" per line.  Blank lines and lines whose
 * first non-blank character is '#' are ignored; whitespace around the name
 * and the value is trimmed; '#' later on a line is part of the value.
 * Option names are case-insensitive (folded to lowercase, as Cyrus does).
 * A repeated option is not an error: the last line wins.  Besides the
 * table, two families are accepted:
 *   partition-<name>: <absolute path>   a mail partition; the partition named
 *                                       by defaultpartition must exist.
 *   sasl_<option>: <value>              handed to the SASL library as
 *                                       <option>, whether or not the table
 *                                       knows it.
 * Types: STRING (anything), PATH (absolute path; empty means the default),
 * INT (decimal, within the table's bounds), OCTAL (digits 0-7, e.g. umask),
 * SWITCH (yes 1 t on true / no 0 f off false, any case), ENUM (one of a
 * fixed set of words, any case; the getter returns the table's spelling),
 * WORDS (one or more of a fixed set of words separated by blanks, any case;
 * the getter returns them once each, in the table's order and spelling,
 * separated by single spaces).  Values out of bounds are errors, never
 * silently clamped: "timeout: 10" is rejected, since RFC 3501 sets 30
 * minutes as the least.  configdirectory is required.  Defaults naming
 * "<configdirectory>" (sievedir, lmtpsocket, master_pidfile) are resolved
 * against it at load time, and an empty servername becomes the host name, so
 * the getters return the value to use.
 *
 * State: one module-private configuration, replaced as a whole by a
 * successful conf_load(); a failed load leaves the previous one untouched
 * (so master can reload on SIGHUP safely).  Not thread-safe; a forked child
 * inherits the parent's copy.  Strings returned by the getters stay valid
 * until the next successful load or conf_reset().
 *
 * Calling a getter before a successful load, or with an option of another
 * type, is a bug and log_panic()s.
 */
#ifndef CHAPAR_CONF_H
#define CHAPAR_CONF_H

#include <limits.h>

#include "lib/buf.h"

/* Bounds of an INT option that has no limit on that side. */
#define CONF_NOLIMIT_MIN LLONG_MIN
#define CONF_NOLIMIT_MAX LLONG_MAX

enum conf_type {
    CONF_TYPE_STRING,
    CONF_TYPE_PATH,
    CONF_TYPE_INT,
    CONF_TYPE_OCTAL,
    CONF_TYPE_SWITCH,
    CONF_TYPE_ENUM,
    CONF_TYPE_WORDS
};

enum conf_option {
#define CONF_OPTION(en, name, type, dflt, shown, min, max, words, doc) en,
#include "lib/conf_options.def"
#undef CONF_OPTION
    CONF__COUNT
};

/* Read and check path, then make it the configuration.  On failure returns
 * ERR_IO (the file cannot be read) or ERR_BADARG (its contents are wrong),
 * puts one line "<file>:<line>: <reason>" (or "<file>: <reason>" for an
 * unreadable file) into *error (replacing its contents; error may be NULL),
 * and keeps the previous configuration. */
int conf_load(const char *path, struct buf *error);
/* The same from text in memory (tests, tools); name is used in messages and
 * as conf_filename(). */
int conf_load_text(const char *name, const char *text, size_t len,
                   struct buf *error);

/* Program start-up: load alt_config, or DEFAULT_CONFIG_FILE when it is NULL
 * (every program's -C flag).  On failure print the one error line to
 * stderr, log it, and exit(EX_CONFIG) (78). */
void conf_init(const char *alt_config);

/* Options of Cyrus IMAP that Chapar does not use (lib/conf_cyrus.h: every
 * name Cyrus 2.0-3.x documents, its families, and "<service>_<option>")
 * are accepted and ignored; conf_init() logs one warning line naming them,
 * unless CONF_WARNED_ENV is set (master sets it once it has warned, and the
 * servers it starts inherit it).  An unknown name is an error, with the
 * nearest option name when one is close ("did you mean").  The count of
 * ignored names in the current configuration: */
#define CONF_WARNED_ENV "CHAPAR_CONF_WARNED"
size_t conf_ignored_count(void);

/* The root rule, called right after conf_init() by every program that
 * writes the configuration directory or a partition (imapd, pop3d, lmtpd,
 * deliver, reconstruct, quota, ctl_mboxlist, ctl_cyrusdb), before it
 * touches anything: files made as root would lock the server user out of
 * them.  When the effective uid is root, unless allow_root (the program's
 * -U) or the environment has CHAPAR_ALLOW_ROOT=1 (master -U sets it for
 * the services it runs, which inherit its decision), print
 * "<prog>: must run as the <cyrus_user> user, not root (-U overrides)" to
 * stderr, log it, and exit(EX_USAGE) (64).  Not root: returns at once.
 * master itself is not subject to it: it drops root after binding. */
#define CONF_ALLOW_ROOT_ENV "CHAPAR_ALLOW_ROOT"
void conf_refuse_root(const char *prog, int allow_root);

/* STRING, PATH, ENUM and WORDS options; never NULL ("" when empty). */
const char *conf_getstring(enum conf_option opt);
/* INT and OCTAL options. */
long long conf_getint(enum conf_option opt);
/* SWITCH options: 1 or 0. */
int conf_getswitch(enum conf_option opt);

/* The option's name in the file, e.g. "timeout" (for messages). */
const char *conf_option_name(enum conf_option opt);
/* The file the configuration came from, or NULL before a load. */
const char *conf_filename(void);

/* Directory of partition `name`, or NULL if no partition-<name> line. */
const char *conf_partition_dir(const char *name);
/* Call fn for every partition, in order of name. */
void conf_partition_foreach(void (*fn)(const char *name, const char *dir,
                                       void *rock),
                            void *rock);
/* Value of sasl_<option> for the SASL library: the table's sasl_ options
 * (with their defaults) and any other sasl_ line of the file.  NULL when
 * unset or empty, so that SASL falls back to its own default. */
const char *conf_sasl_option(const char *option);

/* Forget the configuration (tests; leak-free exit). */
void conf_reset(void);

/* Render man/imapd.conf.5 from the option table into out (appended). */
void conf_manpage(struct buf *out);

#endif
