# imap/index.mk -- the selected-mailbox view (protocol layer)
