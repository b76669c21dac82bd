# left4mectl: the admin CLI.  main.c is thin; the commands live in the other
# files, which tests may link too.
CTL_OBJS := $(patsubst %.c,$(B)/%.o,$(filter-out left4mectl/main.c,$(wildcard left4mectl/*.c)))
CTL      := $(B)/left4mectl/left4mectl
PROGS    += $(CTL)

$(CTL): $(B)/left4mectl/main.o $(CTL_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_DB) $(PKG_CONF) $(PKG_CRYPT) $(PKG_AR) $(PKG_JSON))

INSTALL_TARGETS += install-left4mectl
.PHONY: install-left4mectl
install-left4mectl: $(CTL)
	install -D -m 0755 $(CTL) $(DESTDIR)$(BINDIR)/left4mectl
	install -D -m 0644 etc/tmpfiles.d/left4me-backup.conf $(DESTDIR)$(TMPFILESDIR)/left4me-backup.conf
