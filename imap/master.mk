# imap/master.mk -- build fragment (see Makefile.am)
