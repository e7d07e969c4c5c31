# imap/pop3d.mk -- build fragment (see Makefile.am)
