# left4me-status: the live state of the game servers (systemd's unit
# signals, A2S) into the database.  main.c is thin; the loop (status.c),
# the unit-state mapping (unitstate.c) and the console relay (relay.c) are
# linked into the program and into its tests and bench.  Links SQLite, the
# config parser and libsystemd (sd-bus, sd-journal, sd_notify).
STATUS_OBJS := $(patsubst %.c,$(B)/%.o,$(filter-out left4me-status/main.c,$(wildcard left4me-status/*.c)))
STATUS      := $(B)/left4me-status/left4me-status
STATUS_LIBS  = $(call pc_libs,$(PKG_DB) $(PKG_CONF) $(PKG_SD))
PROGS       += $(STATUS)

$(STATUS): $(B)/left4me-status/main.o $(STATUS_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(STATUS_LIBS)

INSTALL_TARGETS += install-left4me-status
.PHONY: install-left4me-status
install-left4me-status: $(STATUS)
	install -D -m 0755 $(STATUS) $(DESTDIR)$(SBINDIR)/left4me-status

# Unit tests of its modules (tests/unit/check_status_*.c) link its objects.
STATUS_UNIT_TESTS := $(patsubst %.c,$(B)/%,$(wildcard tests/unit/check_status_*.c))
$(STATUS_UNIT_TESTS): $(B)/tests/unit/%: $(B)/tests/unit/%.o $(STATUS_OBJS) \
		$(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c)) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)
$(B)/tests/unit/check_status_%.o: ALL_CFLAGS += -Ileft4me-status

# Integration test: the real binary against a stand-in systemd on a
# private dbus-daemon and stand-in A2S responders (tests/status/).
STATUS_TEST := $(patsubst %.c,$(B)/%,$(wildcard tests/status/check_*.c))
STATUS_TEST_SUPPORT := $(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c) \
		$(filter-out $(wildcard tests/status/check_*.c),$(wildcard tests/status/*.c)))
TESTS       += $(STATUS_TEST)
$(B)/tests/status/%.o: ALL_CFLAGS += -Ileft4me-status
$(STATUS_TEST): $(B)/tests/status/%: $(B)/tests/status/%.o $(STATUS_TEST_SUPPORT) $(LIB) | \
		$(STATUS)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

# Benchmark (bench/README.md): the real binary with 200 servers.
BENCHES += $(B)/bench/status_poll
$(B)/bench/status_poll.o: ALL_CFLAGS += $(call pc_cflags,$(PKG_CHECK)) -Itests/status -Itests/support
$(B)/bench/status_poll: $(B)/bench/status_poll.o $(STATUS_TEST_SUPPORT) $(LIB) | $(STATUS)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

# Fuzz target tests/fuzz/fuzz_status_unit.c: which server a line of PID
# 1's is about (relay.c, the journal's UNIT= field); tests/fuzz/README.md.
FUZZ_SRCS_status_unit := left4me-status/relay.c
$(B)/tests/fuzz/fuzz_status_unit.o $(B)/fuzz/obj/tests/fuzz/fuzz_status_unit.o: \
	L4M_CPPFLAGS += -Ileft4me-status
