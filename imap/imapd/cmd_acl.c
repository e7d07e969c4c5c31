/* cmd_acl.c -- the ACL commands of RFC 4314: SETACL, DELETEACL, GETACL,
 * LISTRIGHTS, MYRIGHTS.
 *
 * Rights strings and identifiers are checked here first (BAD, nothing
 * changes); an identifier is stored and compared in its canonical form
 * (auth_canonify_identifier(): "BOB" and "bob@<defaultdomain>" are
 * "bob"); the change itself and its `a` check are mboxlist_setacl()'s.
 * GETACL and LISTRIGHTS need `a`, MYRIGHTS any right; a mailbox without
 * `l` answers NO [NONEXISTENT] exactly like a missing one.  Rights go on
 * the wire with the virtual c and d added (acl_rights_to_wire()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/mailstore/acl.h"
#include "imap/mailstore/auth.h"
#include "imap/imapd/cmd_mailbox.h"
#include "imap/imapd/imap_parser.h"
#include "imap/imapd/imapd_private.h"
#include "imap/mailstore/mboxlist.h"
#include "imap/mailstore/mboxname.h"

/* Look a mailbox up for an ACL command: *name gets the internal name. */
static int acl_cmd_lookup(struct imapd_session *s, const char *ext,
                          unsigned need, struct buf *name,
                          struct mboxlist_entry *entry, unsigned *rights_r)
{
    int r = imapd_mailbox_name(s, ext, name);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r)
        r = mboxlist_lookup_access(buf_cstring(name), s->auth, need, entry,
                                   rights_r);
    return r;
}

static void acl_write_astring(struct imapd_session *s, const char *str)
{
    prot_putc(s->prot, ' ');
    imapd_write_atom_or_string(s->prot, str);
}

static void acl_write_rights(struct imapd_session *s, unsigned rights)
{
    struct buf wire = BUF_INITIALIZER;
    acl_rights_to_wire(rights, &wire);
    acl_write_astring(s, buf_cstring(&wire));
    buf_free(&wire);
}

/* The canonical form of the client's identifier into *canon; 0, or -1
 * after a BAD. */
static int acl_cmd_identifier(struct imapd_session *s, const char *tag,
                              const char *id, struct buf *canon)
{
    if (auth_canonify_identifier(id, canon) ||
        !acl_identifier_valid(buf_cstring(canon))) {
        imapd_tagged_bad(s, tag, "Invalid identifier");
        return -1;
    }
    return 0;
}

/* SETACL mailbox identifier rights / DELETEACL mailbox identifier */
void cmd_setacl(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER, canon = BUF_INITIALIZER;
    int del = !strcmp(c->name, "DELETEACL"), r;
    const char *ext, *id, *mod = "";
    unsigned rights;

    if (c->nargs != (del ? 2u : 3u) ||
        !imap_arg_get_astring(&c->args[0], &ext) ||
        !imap_arg_get_astring(&c->args[1], &id) ||
        (!del && !imap_arg_get_astring(&c->args[2], &mod))) {
        imapd_tagged_bad(s, c->tag, del ? "DELETEACL needs a mailbox and an "
                         "identifier" : "SETACL needs a mailbox, an "
                         "identifier and rights");
        return;
    }
    if (acl_cmd_identifier(s, c->tag, id, &canon))
        goto done;
    /* RFC 4314 3.1: an unknown right is BAD. */
    if (acl_rights_parse(mod + (*mod == '+' || *mod == '-'), &rights)) {
        imapd_tagged_bad(s, c->tag, "Invalid rights");
        goto done;
    }
    r = imapd_mailbox_name(s, ext, &name);
    if (r == ERR_BADNAME)
        r = ERR_NOTFOUND;
    if (!r)
        r = mboxlist_setacl(buf_cstring(&name), s->auth, buf_cstring(&canon),
                            mod);
    if (r)
        imapd_tagged_error(s, c->tag, r, NULL);
    else
        imapd_tagged_ok(s, c->tag, "Completed");
done:
    buf_free(&name);
    buf_free(&canon);
}

/* GETACL mailbox */
void cmd_getacl(struct imapd_session *s, const struct imapd_command *c)
{
    struct mboxlist_entry entry;
    struct buf name = BUF_INITIALIZER;
    struct acl *acl = NULL;
    const char *ext;
    int r;

    memset(&entry, 0, sizeof(entry));
    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &ext)) {
        imapd_tagged_bad(s, c->tag, "GETACL needs a mailbox name");
        return;
    }
    r = acl_cmd_lookup(s, ext, ACL_ADMIN, &name, &entry, NULL);
    if (!r)
        r = acl_parse(entry.acl, &acl);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    prot_puts(s->prot, "* ACL");
    acl_write_astring(s, ext);
    for (size_t i = 0; i < acl_count(acl); i++) {
        unsigned rights;
        const char *id = acl_nth(acl, i, &rights);
        acl_write_astring(s, id);
        acl_write_rights(s, rights);
    }
    prot_puts(s->prot, "\r\n");
    imapd_tagged_ok(s, c->tag, "Completed");
done:
    acl_free(&acl);
    mboxlist_entry_fini(&entry);
    buf_free(&name);
}

/* LISTRIGHTS mailbox identifier.  The owner of a user INBOX always has
 * every right there (required); anyone else may be given each right on
 * its own (optional). */
void cmd_listrights(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER, canon = BUF_INITIALIZER;
    const char *ext, *id;
    char *owner = NULL;
    int r;

    if (c->nargs != 2 || !imap_arg_get_astring(&c->args[0], &ext) ||
        !imap_arg_get_astring(&c->args[1], &id)) {
        imapd_tagged_bad(s, c->tag, "LISTRIGHTS needs a mailbox and an "
                         "identifier");
        return;
    }
    if (acl_cmd_identifier(s, c->tag, id, &canon))
        goto done;
    r = acl_cmd_lookup(s, ext, ACL_ADMIN, &name, NULL, NULL);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
        goto done;
    }
    if (mboxname_isinbox(name.s))
        owner = mboxname_userid_of(name.s);
    prot_puts(s->prot, "* LISTRIGHTS");
    acl_write_astring(s, ext);
    acl_write_astring(s, id);
    if (owner && !strcmp(owner, buf_cstring(&canon)))
        acl_write_rights(s, ACL_ALL);
    else
        prot_puts(s->prot, " \"\" l r s w i p k x t e a c d");
    prot_puts(s->prot, "\r\n");
    imapd_tagged_ok(s, c->tag, "Completed");
done:
    free(owner);
    buf_free(&name);
    buf_free(&canon);
}

/* MYRIGHTS mailbox */
void cmd_myrights(struct imapd_session *s, const struct imapd_command *c)
{
    struct buf name = BUF_INITIALIZER;
    const char *ext;
    unsigned rights = 0;
    int r;

    if (c->nargs != 1 || !imap_arg_get_astring(&c->args[0], &ext)) {
        imapd_tagged_bad(s, c->tag, "MYRIGHTS needs a mailbox name");
        return;
    }
    r = acl_cmd_lookup(s, ext, 0, &name, NULL, &rights);
    if (r) {
        imapd_tagged_error(s, c->tag, r, NULL);
    } else {
        prot_puts(s->prot, "* MYRIGHTS");
        acl_write_astring(s, ext);
        acl_write_rights(s, rights);
        prot_puts(s->prot, "\r\n");
        imapd_tagged_ok(s, c->tag, "Completed");
    }
    buf_free(&name);
}
