# tools/admin.mk -- reconstruct, quota, ctl_mboxlist
