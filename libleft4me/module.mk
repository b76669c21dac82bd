# libleft4me: the one shared static library.  Programs link only what they
# reference, so a helper that pulls in no db_*.o needs no SQLite at link.
LIB_SRCS := $(wildcard libleft4me/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
LIB      := $(B)/libleft4me.a

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^
