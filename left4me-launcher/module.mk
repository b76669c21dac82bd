# left4me-launcher: the ExecStart of left4me-server@NAME.service, run as
# the game's own unprivileged uid (docs/HACKING.md says why it has its own
# directory).  It links libleft4me.a with no pkg-config libraries: parser,
# validators, console rule and log only, so no SQLite or libsystemd can
# sneak into a process that shares its uid with untrusted game code.
#
# The state dir is compiled in (LAUNCHER_STATE_DIR, by default the
# helpers'); --state-dir overrides it for tests and `make run`.
LAUNCHER_STATE_DIR ?= $(HELPER_STATE_DIR)
LAUNCHER_OBJS := $(patsubst %.c,$(B)/%.o,$(filter-out left4me-launcher/main.c,$(wildcard left4me-launcher/*.c)))
LAUNCHER      := $(B)/left4me-launcher/left4me-launcher
LAUNCHER_DEFS  = -DLEFT4ME_LAUNCHER_STATE_DIR='"$(LAUNCHER_STATE_DIR)"'
PROGS         += $(LAUNCHER)

$(B)/left4me-launcher/main.o: ALL_CFLAGS += $(LAUNCHER_DEFS)
# Rebuild when the compiled-in path changes.
$(B)/left4me-launcher/main.o: $(B)/left4me-launcher/paths.stamp
$(B)/left4me-launcher/paths.stamp: FORCE_LAUNCHER_PATHS
	@mkdir -p $(@D)
	@echo '$(LAUNCHER_DEFS)' | cmp -s - $@ || echo '$(LAUNCHER_DEFS)' > $@
.PHONY: FORCE_LAUNCHER_PATHS

$(LAUNCHER): $(B)/left4me-launcher/main.o $(LAUNCHER_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^

# Tests (tests/launcher/): the output filter and the console line reader
# linked in directly, and the real binary against a temp state dir with a
# fake srcds_run (tests/launcher/fake-srcds).  (tests/module.mk is included
# after this file: name the support objects here.)
LAUNCHER_TEST_SUPPORT := $(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c))
LAUNCHER_UNIT_TESTS   := $(B)/tests/launcher/check_relay $(B)/tests/launcher/check_cmdin
LAUNCHER_TEST         := $(B)/tests/launcher/check_launcher
TESTS += $(LAUNCHER_UNIT_TESTS) $(LAUNCHER_TEST)

$(B)/tests/launcher/%.o: ALL_CFLAGS += -Ileft4me-launcher

$(LAUNCHER_UNIT_TESTS): $(B)/tests/launcher/%: $(B)/tests/launcher/%.o $(LAUNCHER_OBJS) \
		$(LAUNCHER_TEST_SUPPORT) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(LAUNCHER_TEST): $(B)/tests/launcher/check_launcher.o $(LAUNCHER_TEST_SUPPORT) $(LIB) | \
		$(LAUNCHER)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

INSTALL_TARGETS += install-left4me-launcher
.PHONY: install-left4me-launcher
install-left4me-launcher: $(LAUNCHER)
	install -D -m 0755 $(LAUNCHER) $(DESTDIR)$(LIBEXECDIR)/left4me-launcher

# Fuzz targets tests/fuzz/fuzz_relay.c and fuzz_cmdin.c: the output filter
# (the game's text) and the console line reader (the FIFO's); see
# tests/fuzz/README.md.
FUZZ_SRCS_relay := left4me-launcher/relay.c
FUZZ_SRCS_cmdin := left4me-launcher/cmdin.c
$(B)/tests/fuzz/fuzz_relay.o $(B)/fuzz/obj/tests/fuzz/fuzz_relay.o \
$(B)/tests/fuzz/fuzz_cmdin.o $(B)/fuzz/obj/tests/fuzz/fuzz_cmdin.o: \
	L4M_CPPFLAGS += -Ileft4me-launcher
