/* mboxname.h -- mailbox names: validation, INBOX, paths, modified UTF-7.
 *
 * Internal names use '.' as the hierarchy separator: a user's INBOX is
 * "user.<userid>", its folders "user.<userid>.drafts", shared mailboxes
 * are anything else ("shared.lists").  Internal names are ASCII; characters
 * outside ASCII are stored in their modified UTF-7 form (RFC 3501 5.1.3),
 * exactly as clients send them.
 *
 * mboxname_validate() is THE name policy; every path that creates a
 * mailbox, and every function here that produces a path, calls it.  A name
 * is valid when all of these hold:
 *   - 1 to MBOXNAME_MAX_LEN bytes, no NUL, each component at most
 *     MBOXNAME_MAX_COMPONENT bytes (a component becomes a directory name);
 *   - only the bytes of MBOXNAME_GOODCHARS, plus '&' opening a modified
 *     UTF-7 sequence.  This is Cyrus 2.0's set: no controls, no 8-bit, no
 *     '/', no IMAP wildcards '*' '%', no shell metacharacters
 *     ( ! " # $ ' ( ) ; < > ? [ \ ] ^ ` { | } ) and no '&' except as mUTF-7;
 *   - no leading '~' (a home directory to shells and UW-style namespaces);
 *   - no leading or trailing '.', no ".." (no empty component);
 *   - well-formed, canonical modified UTF-7 (mboxname_mutf7_validate());
 *   - the first component is not "inbox" in any case (INBOX is only the
 *     client's alias of user.<me>) and not "user" in any case except as
 *     exactly "user.<valid userid>[.<more>]"; "user" alone is no mailbox.
 * Names are case-sensitive byte strings.  Invalid names give ERR_BADNAME.
 *
 * User ids (mboxname_validate_userid()): 1 to MBOXNAME_USERID_MAX bytes of
 * [A-Za-z0-9_@-], not starting with '-' (that marks a negative ACL entry),
 * and not one of the reserved ACL identifiers "anyone", "anybody",
 * "anonymous" (any case).  No '.', since it is the separator; no '+', which
 * addresses user+folder in delivery; no ':' (group:<name> identifiers).
 *
 * Nothing here touches the filesystem or the configuration: the partition
 * directory, the config directory and hashimapspool are parameters.  All
 * functions are pure and reentrant.  Output goes to a caller's struct buf,
 * which is overwritten (not appended to) and left empty on error.
 */
#ifndef CHAPAR_MBOXNAME_H
#define CHAPAR_MBOXNAME_H

#include <stddef.h>

#include "lib/buf.h"

#define MBOXNAME_SEP '.'
/* Cyrus's MAX_MAILBOX_NAME: keeps a name plus partition and file name well
 * under PATH_MAX, and a mailboxes.db key small. */
#define MBOXNAME_MAX_LEN 490
/* NAME_MAX on Linux: one component is one directory name. */
#define MBOXNAME_MAX_COMPONENT 255
/* Longer than any login people use; bounds the user's file names. */
#define MBOXNAME_USERID_MAX 64
#define MBOXNAME_USER_PREFIX "user."
#define MBOXNAME_GOODCHARS \
    " +,-.0123456789:=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"

/* ---- validation --------------------------------------------------------- */

/* ERR_OK if name (a C string) is a valid internal name, else ERR_BADNAME. */
int mboxname_validate(const char *name);
/* The same for len bytes that may contain a NUL (which is invalid). */
int mboxname_validate_len(const char *name, size_t len);
/* ERR_OK if userid may own a mailbox (see above), else ERR_BADNAME. */
int mboxname_validate_userid(const char *userid);

/* ---- the client's view -------------------------------------------------- */

/* Client name -> internal name for the logged-in userid.  "INBOX" in any
 * case, alone or followed by ".", stands for "user.<userid>"; the rest of
 * the name is kept as is (case-sensitive).  userid NULL (an admin or
 * anonymous session without an INBOX): INBOX gives ERR_NOTFOUND.  The
 * result is validated: ERR_BADNAME if it is not a valid name. */
int mboxname_to_internal(const char *external, const char *userid,
                         struct buf *internal);
/* Internal name -> what userid's client sees: "user.<userid>" is "INBOX",
 * "user.<userid>.x" is "INBOX.x", every other name is unchanged.  userid
 * may be NULL.  ERR_BADNAME if internal is not valid. */
int mboxname_to_external(const char *internal, const char *userid,
                         struct buf *external);

/* ---- structure of a (valid) name ---------------------------------------- */

/* 1 if name is "user.<id>" or below it. */
int mboxname_isusermailbox(const char *name);
/* 1 if name is exactly a user's INBOX, "user.<id>". */
int mboxname_isinbox(const char *name);
/* The owner of a user.* name as a fresh string (free() it), else NULL. */
char *mboxname_userid_of(const char *name);
/* The parent of name in *parent.  ERR_NOTFOUND for a top-level name and
 * for a user's INBOX (whose parent "user" is not a mailbox). */
int mboxname_parent(const char *name, struct buf *parent);
/* 1 if name lies strictly below ancestor ("a.b.c" below "a" and "a.b"). */
int mboxname_isdescendant(const char *name, const char *ancestor);

/* ---- where things live -------------------------------------------------- */

/* The hash directory letter of a string, as Cyrus computes it: its first
 * character lowercased if it is an ASCII letter, else 'q'. */
char mboxname_hash_char(const char *s);

/* The directory of a mailbox: partition_dir, then with hashimapspool a
 * directory of one letter, then the name with each '.' turned into '/'.
 *   user.bob.sent-mail -> <partition>/user/bob/sent-mail
 *                         <partition>/b/user/bob/sent-mail  (hashimapspool)
 *   shared.lists       -> <partition>/s/shared/lists        (hashimapspool)
 * The letter is mboxname_hash_char() of the userid for user.* names and of
 * the top-level name for shared ones, so a whole hierarchy shares one
 * letter directory.  (Cyrus hashes a shared name by the component after
 * the first '.', which splits shared hierarchies; ours does not.)
 * Trailing '/' on partition_dir are ignored.  Since components are never
 * empty, ".", ".." or contain '/', the path cannot leave the partition;
 * since they never contain '.', a sub-mailbox directory never collides
 * with a message file "<uid>." or a "cyrus.*" file.
 * ERR_BADNAME for an invalid name, ERR_BADARG for an empty partition_dir. */
int mboxname_to_path(const char *partition_dir, const char *name,
                     int hashimapspool, struct buf *path);

/* A user's file in the config directory:
 *   <configdir>/user/<x>/<userid>.<suffix>
 * with <x> = mboxname_hash_char(userid), e.g. suffix "sub" (subscriptions)
 * or "seen".  ERR_BADNAME for an invalid userid, ERR_BADARG for a suffix
 * that is empty, longer than 16 bytes or not all [a-z0-9], or an empty
 * configdir. */
int mboxname_user_file(const char *configdir, const char *userid,
                       const char *suffix, struct buf *path);

/* ---- modified UTF-7 (RFC 3501 section 5.1.3) ---------------------------- */

/* ERR_OK if the len bytes are canonical modified UTF-7, else ERR_BADNAME:
 * only printable ASCII (0x20-0x7e) outside sequences; "&-" is '&'; each
 * "&...-" holds modified base64 (A-Za-z0-9+,) of UTF-16 with no partial
 * unit and zero padding bits; surrogates come in proper pairs; no encoded
 * character that could be written as itself, and none below U+00A0 (C0
 * and C1 controls, DEL); two encoded sequences are never adjacent.  These
 * make the encoding of a name unique, so equal names are equal bytes. */
int mboxname_mutf7_validate(const char *s, size_t len);
/* Modified UTF-7 -> UTF-8 (for UTF8=ACCEPT clients).  ERR_BADNAME if s is
 * not valid as above. */
int mboxname_mutf7_to_utf8(const char *s, struct buf *utf8);
/* UTF-8 -> canonical modified UTF-7.  ERR_BADNAME for malformed UTF-8
 * (overlong, surrogates, above U+10FFFF, truncated) and for control
 * characters (below U+0020, U+007F to U+009F). */
int mboxname_utf8_to_mutf7(const char *s, struct buf *mutf7);

/* ---- Berkeley mbox migration (SPEC.md "Tools") -------------------------- */

/* Escape a folder file name for use as one name component: every byte
 * outside [A-Za-z0-9_-] becomes '_' and its three-digit octal code
 * ("s&me" -> "s_046me", "s.me" -> "s_056me").  So that unescaping is an
 * exact inverse, a '_' that is followed by three octal digits is itself
 * escaped ("a_046" -> "a_137046"); any other '_' stays.  ERR_BADNAME for an
 * empty folder name. */
int mboxname_import_escape(const char *folder, struct buf *out);
/* The inverse: "_ddd" with ddd octal in 001..377 becomes that byte.
 * ERR_BADNAME if the result would be empty. */
int mboxname_import_unescape(const char *escaped, struct buf *out);

#endif
