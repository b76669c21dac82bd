# left4me-fetcher: the global-overlay fetcher.  Two programs: the daemon
# (main.c + fetcher.c: config, DB, job claim, heartbeats) links only SQLite,
# the config parser and libsystemd; it forks left4me-fetcher-refresh
# (refresh_main.c + the rest: curl, libarchive, json-c, libcrypto) per job,
# so the idle daemon maps none of those.  The non-main files are also
# linked into the tests.
FETCHER_MAINS := left4me-fetcher/main.c left4me-fetcher/refresh_main.c
FETCHER_OBJS := $(patsubst %.c,$(B)/%.o,$(filter-out $(FETCHER_MAINS),$(wildcard left4me-fetcher/*.c)))
FETCHER_DAEMON_OBJS := $(B)/left4me-fetcher/main.o $(B)/left4me-fetcher/fetcher.o
FETCHER      := $(B)/left4me-fetcher/left4me-fetcher
FETCHER_REFRESH := $(B)/left4me-fetcher/left4me-fetcher-refresh
FETCHER_LIBS  = $(call pc_libs,$(PKG_DB) $(PKG_CONF) $(PKG_SD))
FETCHER_REFRESH_LIBS = $(call pc_libs,$(PKG_DB) $(PKG_CONF) $(PKG_SD) $(PKG_CURL) $(PKG_AR) \
		$(PKG_JSON) libcrypto)
PROGS        += $(FETCHER) $(FETCHER_REFRESH)

$(B)/left4me-fetcher/fetcher.o: ALL_CFLAGS += \
	-DFETCHER_REFRESH_PATH='"$(LIBEXECDIR)/left4me-fetcher-refresh"'

$(FETCHER): $(FETCHER_DAEMON_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(FETCHER_LIBS)

$(FETCHER_REFRESH): $(B)/left4me-fetcher/refresh_main.o $(FETCHER_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(FETCHER_REFRESH_LIBS)

INSTALL_TARGETS += install-left4me-fetcher
.PHONY: install-left4me-fetcher
install-left4me-fetcher: $(FETCHER) $(FETCHER_REFRESH)
	install -D -m 0755 $(FETCHER) $(DESTDIR)$(SBINDIR)/left4me-fetcher
	install -D -m 0755 $(FETCHER_REFRESH) $(DESTDIR)$(LIBEXECDIR)/left4me-fetcher-refresh

# Tests: tests/fetcher/check_*.c, linked with the fetcher's objects, the
# test support code and a loopback HTTP server (tests/fetcher/httpd.c).
FETCHER_TEST_SRCS    := $(wildcard tests/fetcher/check_*.c)
FETCHER_TESTS        := $(FETCHER_TEST_SRCS:%.c=$(B)/%)
FETCHER_TEST_SUPPORT := $(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c) \
                          $(filter-out $(FETCHER_TEST_SRCS),$(wildcard tests/fetcher/*.c)))
TESTS += $(FETCHER_TESTS)

$(B)/tests/fetcher/%.o: ALL_CFLAGS += -Ileft4me-fetcher
$(FETCHER_TESTS): $(B)/tests/fetcher/%: $(B)/tests/fetcher/%.o $(FETCHER_TEST_SUPPORT) \
		$(FETCHER_OBJS) $(LIB) | $(FETCHER) $(FETCHER_REFRESH)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(TEST_LDLIBS)

# Benchmarks (bench/fetcher_*.c): built by `make bench`, see bench/README.md.
FETCHER_BENCHES := $(patsubst %.c,$(B)/%,$(wildcard bench/fetcher_*.c))
BENCHES += $(FETCHER_BENCHES)
$(B)/bench/fetcher_%.o: ALL_CFLAGS += -Ileft4me-fetcher -Itests/fetcher -Itests/support
$(FETCHER_BENCHES): $(B)/bench/%: $(B)/bench/%.o $(FETCHER_TEST_SUPPORT) $(FETCHER_OBJS) $(LIB) \
		| $(FETCHER)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) \
		$(call pc_libs,$(PKG_CHECK) $(PKG_ALL)) -lpthread

# Fuzz target tests/fuzz/fuzz_netcheck.c: the network policy (netcheck.c)
# and the item-name check (index.c); see tests/fuzz/README.md.
FUZZ_SRCS_netcheck := left4me-fetcher/netcheck.c left4me-fetcher/index.c
$(B)/tests/fuzz/fuzz_netcheck.o $(B)/fuzz/obj/tests/fuzz/fuzz_netcheck.o: \
	L4M_CPPFLAGS += -Ileft4me-fetcher

# Fuzz targets tests/fuzz/fuzz_ws_{details,collections}.c: the Steam Web
# API reply parsers (workshop_json.c); see tests/fuzz/README.md.
FUZZ_SRCS_ws_details := left4me-fetcher/workshop_json.c
FUZZ_SRCS_ws_collections := left4me-fetcher/workshop_json.c
$(B)/tests/fuzz/fuzz_ws_details.o $(B)/fuzz/obj/tests/fuzz/fuzz_ws_details.o \
$(B)/tests/fuzz/fuzz_ws_collections.o $(B)/fuzz/obj/tests/fuzz/fuzz_ws_collections.o: \
	L4M_CPPFLAGS += -Ileft4me-fetcher
