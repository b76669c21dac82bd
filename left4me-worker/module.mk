# left4me-worker: the job daemon.  main.c is thin; the other files (loop,
# job kinds, spawning, SteamCMD parsing, instance staging) are linked into
# the program and into its tests and bench.
WORKER_OBJS := $(patsubst %.c,$(B)/%.o,$(filter-out left4me-worker/main.c,$(wildcard left4me-worker/*.c)))
WORKER      := $(B)/left4me-worker/left4me-worker
WORKER_LIBS  = $(call pc_libs,$(PKG_DB) $(PKG_CONF) $(PKG_SD) $(PKG_AR) $(PKG_JSON) $(PKG_CRYPT))
PROGS       += $(WORKER)

$(WORKER): $(B)/left4me-worker/main.o $(WORKER_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WORKER_LIBS)

# Unit tests of the worker's modules link its objects too (an explicit
# rule: the objects must come before libleft4me.a on the link line).
WORKER_UNIT_TESTS := $(patsubst %.c,$(B)/%,$(wildcard tests/unit/check_worker_*.c))
$(WORKER_UNIT_TESTS): $(B)/tests/unit/%: $(B)/tests/unit/%.o $(WORKER_OBJS) \
		$(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c)) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

# Integration test: the real worker binary against a temp DB and state dir
# with stand-in helpers and SteamCMD (tests/worker/).
# (tests/module.mk and left4mectl/module.mk are included after this file,
# so their variables are not set yet: name the files here.)
# check_worker_start: its startup (libleft4me/daemon.h's contract).
WORKER_TEST := $(patsubst %.c,$(B)/%,$(wildcard tests/worker/check_*.c))
WORKER_TEST_SUPPORT := $(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c))
TESTS       += $(WORKER_TEST)
$(WORKER_TEST): $(B)/tests/worker/%: $(B)/tests/worker/%.o $(WORKER_TEST_SUPPORT) $(LIB) | \
		$(WORKER) $(B)/left4mectl/left4mectl
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

INSTALL_TARGETS += install-left4me-worker
.PHONY: install-left4me-worker
install-left4me-worker: $(WORKER)
	install -D -m 0755 $(WORKER) $(DESTDIR)$(SBINDIR)/left4me-worker

# Benchmark (bench/README.md): initialize + stage with 20 overlays, reset.
BENCHES += $(B)/bench/worker_lifecycle
$(B)/bench/worker_lifecycle: $(B)/bench/worker_lifecycle.o $(WORKER_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WORKER_LIBS)

# Benchmark (bench/README.md, game updates): one build's staging copy.
BENCHES += $(B)/bench/build_clone
$(B)/bench/build_clone: $(B)/bench/build_clone.o $(WORKER_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WORKER_LIBS)
