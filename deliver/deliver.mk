# deliver/deliver.mk -- build fragment (see Makefile.am)
