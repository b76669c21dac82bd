# left4me-fetcher: the global-overlay fetcher daemon.  main.c is thin; the
# other files are linked into the program and into its tests.
FETCHER_OBJS := $(patsubst %.c,$(B)/%.o,$(filter-out left4me-fetcher/main.c,$(wildcard left4me-fetcher/*.c)))
FETCHER      := $(B)/left4me-fetcher/left4me-fetcher
FETCHER_LIBS  = $(call pc_libs,$(PKG_DB) $(PKG_CONF) $(PKG_SD) $(PKG_CURL) $(PKG_AR) $(PKG_JSON) libcrypto)
PROGS        += $(FETCHER)

$(FETCHER): $(B)/left4me-fetcher/main.o $(FETCHER_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(FETCHER_LIBS)

INSTALL_TARGETS += install-left4me-fetcher
.PHONY: install-left4me-fetcher
install-left4me-fetcher: $(FETCHER)
	install -D -m 0755 $(FETCHER) $(DESTDIR)$(SBINDIR)/left4me-fetcher

# Tests: tests/fetcher/check_*.c, linked with the fetcher's objects, the
# test support code and a loopback HTTP server (tests/fetcher/httpd.c).
FETCHER_TEST_SRCS    := $(wildcard tests/fetcher/check_*.c)
FETCHER_TESTS        := $(FETCHER_TEST_SRCS:%.c=$(B)/%)
FETCHER_TEST_SUPPORT := $(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c) \
                          $(filter-out $(FETCHER_TEST_SRCS),$(wildcard tests/fetcher/*.c)))
TESTS += $(FETCHER_TESTS)

$(B)/tests/fetcher/%.o: ALL_CFLAGS += -Ileft4me-fetcher
$(FETCHER_TESTS): $(B)/tests/fetcher/%: $(B)/tests/fetcher/%.o $(FETCHER_TEST_SUPPORT) \
		$(FETCHER_OBJS) $(LIB) | $(FETCHER)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(TEST_LDLIBS)

# Benchmarks (bench/fetcher_*.c): built by `make bench`, see bench/README.md.
FETCHER_BENCHES := $(patsubst %.c,$(B)/%,$(wildcard bench/fetcher_*.c))
BENCHES += $(FETCHER_BENCHES)
$(B)/bench/fetcher_%.o: ALL_CFLAGS += -Ileft4me-fetcher -Itests/fetcher -Itests/support
$(FETCHER_BENCHES): $(B)/bench/%: $(B)/bench/%.o $(FETCHER_TEST_SUPPORT) $(FETCHER_OBJS) $(LIB) \
		| $(FETCHER)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) \
		$(call pc_libs,$(PKG_CHECK) $(PKG_ALL)) -lpthread
