# imap/imapparse.mk -- IMAP command parser (protocol layer)
