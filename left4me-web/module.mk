# left4me-web: the HTTP daemon (pages, SSE, JSON API).  main.c is thin; the
# other files are linked into the program and its tests.  The static files
# in left4me-web/static/ are embedded as byte arrays (assets_data.c).
WEB_SRCS := $(filter-out left4me-web/main.c,$(wildcard left4me-web/*.c))
WEB_OBJS := $(patsubst %.c,$(B)/%.o,$(WEB_SRCS)) $(B)/left4me-web/assets_data.o
WEB      := $(B)/left4me-web/left4me-web
WEB_LIBS  = $(call pc_libs,$(PKG_DB) $(PKG_CONF) $(PKG_SD) $(PKG_HTTP) $(PKG_JSON) $(PKG_CRYPT)) -lpthread -lm
PROGS    += $(WEB)

$(WEB): $(B)/left4me-web/main.o $(WEB_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WEB_LIBS)

WEB_ASSETS := left4me-web/static/app.css left4me-web/static/app.js left4me-web/static/favicon.svg
$(B)/left4me-web/assets_data.c: $(WEB_ASSETS) left4me-web/module.mk
	@mkdir -p $(@D)
	@{ echo '/* Generated from left4me-web/static/ by module.mk. */'; \
	   echo '#include <stddef.h>'; \
	   for f in $(WEB_ASSETS); do \
	     n=$$(basename $$f | tr '.-' '__'); \
	     echo "extern const unsigned char asset_$$n[]; extern const size_t asset_$${n}_len;"; \
	     echo "const unsigned char asset_$$n[] = {"; \
	     od -An -v -tx1 $$f | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	     echo "0};"; \
	     echo "const size_t asset_$${n}_len = $$(wc -c < $$f);"; \
	   done; } > $@.tmp && mv $@.tmp $@
$(B)/left4me-web/assets_data.o: $(B)/left4me-web/assets_data.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Integration tests: the real daemon on port 0 against a temp DB, driven by
# libcurl (tests/web/; promtool_metrics is check-promtool's, below).
WEB_TESTS := $(patsubst %.c,$(B)/%,$(wildcard tests/web/check_*.c))
TESTS     += $(WEB_TESTS)
WEB_TEST_SUPPORT := $(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c))
$(B)/tests/web/%: $(B)/tests/web/%.o $(B)/tests/web/webtest.o $(WEB_TEST_SUPPORT) $(LIB) | $(WEB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

# Fuzz targets of the web's parsers (tests/fuzz/): the upload form's
# multipart bodies, a trusted proxy's X-Forwarded-For.  parse_percent_decode and parse_host_port are
# libleft4me's (fuzz_percent, fuzz_host_port).
FUZZ_SRCS_multipart := left4me-web/multipart.c
FUZZ_SRCS_xff := left4me-web/xff.c

# The web's layering (docs/HACKING.md): a file includes only its own header
# and lower layers' (tests/layers.sh), checked by `make test`.
TEST_SCRIPTS += tests/layers.sh

# The escaping, throttle and X-Forwarded-For unit tests link the web's
# html.o, ratelimit.o and xff.o (make merges these into the unit-test
# rule's prerequisites).
$(B)/tests/unit/check_web_html: $(B)/left4me-web/html.o
$(B)/tests/unit/check_web_ratelimit: $(B)/left4me-web/ratelimit.o
$(B)/tests/unit/check_web_xff: $(B)/left4me-web/xff.o
$(B)/tests/unit/check_web_promtext: $(B)/left4me-web/promtext.o
$(B)/tests/unit/check_web_svgchart: $(B)/left4me-web/svgchart.o $(B)/left4me-web/html.o

# promtool (Debian's prometheus package) on the real /metrics: in `make
# check` (tools/install-deps test installs it), not in `make test`, which
# package builds run without it.
WEB_PROMTOOL_TEST := $(B)/tests/web/promtool_metrics
.PHONY: check-promtool
check-promtool: $(WEB) $(WEB_PROMTOOL_TEST)
	@LEFT4ME_BUILD=$(B) tests/run $(WEB_PROMTOOL_TEST)

# Browser test (chromium + playwright-core): run by the browser profile.
WEB_BROWSER_TEST := tests/browser/run
.PHONY: check-browser
check-browser: $(WEB) $(CTL)
	LEFT4ME_BUILD=$(B) $(WEB_BROWSER_TEST)

INSTALL_TARGETS += install-left4me-web
.PHONY: install-left4me-web
install-left4me-web: $(WEB)
	install -D -m 0755 $(WEB) $(DESTDIR)$(SBINDIR)/left4me-web
	install -D -m 0644 etc/tmpfiles.d/left4me-web.conf $(DESTDIR)$(TMPFILESDIR)/left4me-web.conf

# Benchmarks (bench/web.sh): the SSE fan-out client.
BENCHES += $(B)/bench/sse_fanout
$(B)/bench/sse_fanout: $(B)/bench/sse_fanout.o $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_DB))
