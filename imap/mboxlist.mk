# imap/mboxlist.mk -- mailboxes database, seen state, subscriptions
