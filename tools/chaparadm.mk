# tools/chaparadm.mk -- the admin client
