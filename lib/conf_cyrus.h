/* conf_cyrus.h -- is this an imapd.conf option Cyrus IMAP knows?
 *
 * Administrators bring their Cyrus imapd.conf.  Chapar accepts every
 * option Cyrus 2.0 to 3.x documents: its own (lib/conf_options.def) are
 * used; the others are ignored with one warning line naming them
 * (lib/conf.c), where an unknown name is still an error.  This module is
 * only the list of Cyrus's names, including its families (partition-<name>,
 * metapartition-<name>, archivepartition-<name>, searchpartition-<name>,
 * backuppartition-<name>, xlist-<flag>).  Pure; no state.
 */
#ifndef CHAPAR_CONF_CYRUS_H
#define CHAPAR_CONF_CYRUS_H

/* 1 if key (lower case) is the name of a Cyrus option or of a member of one
 * of its families, else 0. */
int conf_cyrus_option(const char *key);

#endif
