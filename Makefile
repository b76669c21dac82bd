# left4me — one GNU Makefile for the whole tree.
#
#   make                 build every binary into $(B)/ (default build/)
#   make check           install missing packages (root), build, run all tests
#                        (unit, integration, root namespace, promtool, browser)
#   make check-asan      the same tests built with ASan+UBSan into build-asan/
#   make check-valgrind  the unit tests under valgrind
#   make run             build and start the stack from the checkout, state in ./var/
#   make install DESTDIR=... PREFIX=/usr
#
# Each program directory has a module.mk that adds its binaries and tests;
# this file holds the rules they share.  Honours CFLAGS/CPPFLAGS/LDFLAGS from
# the environment (dpkg-buildflags); our own warnings are always -Werror.

B        ?= build
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/left4me
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share/left4me
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
TMPFILESDIR ?= /usr/lib/tmpfiles.d
JOURNALDDIR ?= /usr/lib/systemd
# The helpers' compiled-in state dir: no argument or environment changes it.
HELPER_STATE_DIR ?= /var/lib/left4me

# Units and the sudoers file are templates: units/* and etc/sudoers.d/left4me
# name what we install and the state dir as @SBINDIR@, @LIBEXECDIR@,
# @STATE_DIR@ and @SYSCONFDIR@.  The build fills them into $(B)/units/ and
# $(B)/etc/ from the variables above (the same ones that decide where the
# binaries go) and install copies only the filled files.  $(B)/install-paths
# holds the values (NAME=VALUE lines); it is rewritten only when one
# changes, so it is also the stamp the filled files depend on, and
# tests/helpers/units.sh reads it.  (The source files keep their unit names,
# so every reference to them stays valid.)
FILL_VARS = SBINDIR=$(SBINDIR) LIBEXECDIR=$(LIBEXECDIR) STATE_DIR=$(HELPER_STATE_DIR) \
            SYSCONFDIR=$(SYSCONFDIR) BINDIR=$(BINDIR)
UNIT_TEMPLATES := $(wildcard units/*.service units/*.socket units/*.timer units/*.slice)
UNIT_FILES := $(UNIT_TEMPLATES:%=$(B)/%)
SUDOERS_FILE := $(B)/etc/sudoers.d/left4me

CC       ?= cc
CFLAGS   ?= -O2 -g
SAN_FLAGS ?=
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-missing-field-initializers
L4M_CPPFLAGS = -D_GNU_SOURCE -Ilibleft4me -DLEFT4ME_VERSION='"$(VERSION)"'
L4M_CFLAGS = -std=gnu11 $(WARN) -fPIE $(SAN_FLAGS)
L4M_LDFLAGS = -pie $(SAN_FLAGS)
VERSION  ?= $(or $(shell sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog 2>/dev/null),0.1.0)

# pkg-config is asked lazily (recursive variables), so `make check` can
# install the packages first and only then compile.
pc_cflags = $(shell pkg-config --cflags $(1))
pc_libs   = $(shell pkg-config --libs $(1))

# Libraries by role.  Root helpers get none of the daemon libraries.
PKG_DB    := sqlite3
PKG_CONF  := yaml-0.1
PKG_SD    := libsystemd
PKG_HTTP  := libmicrohttpd
PKG_CURL  := libcurl
PKG_AR    := libarchive
PKG_JSON  := json-c
PKG_CRYPT := libcrypt libcrypto
PKG_CHECK := check
PKG_ALL   := $(PKG_DB) $(PKG_CONF) $(PKG_SD) $(PKG_HTTP) $(PKG_CURL) $(PKG_AR) $(PKG_JSON) $(PKG_CRYPT)

ALL_CFLAGS = $(L4M_CPPFLAGS) $(CPPFLAGS) $(call pc_cflags,$(PKG_ALL)) $(L4M_CFLAGS) $(CFLAGS)

PROGS :=
TESTS :=
TEST_SCRIPTS :=
INSTALL_TARGETS :=

# Keep intermediate objects (test programs link through pattern rules).
.SECONDARY:

.PHONY: all check test check-asan check-valgrind run deps install clean \
        fmt fmt-check
all:

# ---- modules -------------------------------------------------------------
include libleft4me/module.mk
include $(sort $(wildcard left4me*/module.mk))
include tests/module.mk
include bench/module.mk

all: $(LIB) $(PROGS) $(UNIT_FILES) $(SUDOERS_FILE)

# ---- compile rules ---------------------------------------------------------
# V=1 shows the full compiler lines.
Q := $(if $(filter 1,$(V)),,@)
$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B) -type f -name '*.d' 2>/dev/null)

# ---- tests ---------------------------------------------------------------
# `check` installs what is missing (as root) and then builds and tests in a
# sub-make, so pkg-config sees the freshly installed libraries.
check: deps
	@tools/install-deps browser
	+$(MAKE) test
	+$(MAKE) check-promtool
	+$(MAKE) check-install
	+$(MAKE) check-browser

test: all $(TESTS)
	@LEFT4ME_BUILD=$(B) tests/run $(TESTS) $(TEST_SCRIPTS)

check-asan: deps
	+$(MAKE) B=build-asan CFLAGS='-O1 -g -fno-omit-frame-pointer' \
	  SAN_FLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all' test

check-valgrind: deps
	+$(MAKE) all $(TESTS)
	@LEFT4ME_BUILD=$(B) LEFT4ME_VALGRIND=1 tests/run $(TESTS)

deps:
	@tools/install-deps build test

# `make install` into a temp DESTDIR, with PREFIX=/usr (the Debian build's)
# and then with this make's PREFIX (default /usr/local), each checked by
# tests/check-install: every program a unit or the sudoers file names is
# installed under DESTDIR.  Same $(B): nothing is rebuilt but the filled
# units, the default last so $(B) ends as it began.  A failing DESTDIR is
# kept for a look.
.PHONY: check-install
check-install: all
	+@set -e; for p in /usr $(PREFIX); do \
	  d=$$(mktemp -d); \
	  echo "check-install: make install PREFIX=$$p DESTDIR=$$d"; \
	  $(MAKE) --no-print-directory PREFIX=$$p DESTDIR=$$d install >$$d.log 2>&1 || \
	    { cat $$d.log; echo "check-install: make install failed (PREFIX=$$p, $$d)" >&2; exit 1; }; \
	  tests/check-install $$d $$p $(UNITDIR) $(SYSCONFDIR) || \
	    { echo "check-install: failed, install kept in $$d" >&2; exit 1; }; \
	  rm -rf $$d $$d.log; \
	done

# ---- running from the checkout -------------------------------------------
PORT ?= 8080
run:
	@tools/install-deps build run
	+$(MAKE) all
	@B=$(B) PORT=$(PORT) tools/run-dev

# ---- install -------------------------------------------------------------
install: all $(INSTALL_TARGETS) install-config install-man

# Fill @NAME@ from $(B)/install-paths; a placeholder left over (a typo, or a
# name FILL_VARS lacks) fails the build.
$(B)/install-paths: FORCE_INSTALL_PATHS
	@mkdir -p $(@D)
	@printf '%s\n' $(FILL_VARS) | cmp -s - $@ || printf '%s\n' $(FILL_VARS) >$@
.PHONY: FORCE_INSTALL_PATHS
define fill_template
	@mkdir -p $(@D)
	$(if $(Q),@echo "  FILL    $@")
	$(Q)sed "$$(sed 's/^\([A-Z_]*\)=\(.*\)$$/s|@\1@|\2|g/' $(B)/install-paths)" $< >$@.tmp
	$(Q)if grep -n '@[A-Z_][A-Z_]*@' $@.tmp >&2; then \
	  echo "$<: unknown placeholder (known: $(foreach v,$(FILL_VARS),@$(firstword $(subst =, ,$(v)))@))" >&2; \
	  rm -f $@.tmp; exit 1; fi
	$(Q)mv $@.tmp $@
endef
$(B)/units/%: units/% $(B)/install-paths
	$(fill_template)
$(B)/etc/sudoers.d/%: etc/sudoers.d/% $(B)/install-paths
	$(fill_template)

.PHONY: install-config
install-config:
	install -D -m 0644 etc/left4me/left4me.yaml $(DESTDIR)$(SYSCONFDIR)/left4me/left4me.yaml

# Man pages: docs/man/NAME.SECTION into $(MANDIR)/manSECTION/.
MAN_PAGES := $(wildcard docs/man/*.1 docs/man/*.5 docs/man/*.8)
.PHONY: install-man
install-man:
	@set -e; for p in $(MAN_PAGES); do \
	  s=$${p##*.}; echo "install -D -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/$${p##*/}"; \
	  install -D -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/$${p##*/}; done

# ---- Debian packages and the system test ----------------------------------
# `make deb`: every binary package into build/deb/ (dpkg-buildpackage in a
# clean copy under build-pkg/), then lintian.  `make check-system`: build
# them and drive the appliance in a booted Debian 12 container
# (tests/system/README.md); needs root.
.PHONY: deb check-system
deb:
	@tools/install-deps build system
	debian/make-deb build/deb

check-system:
	@tools/install-deps build system
	tests/system/run

# `make demo`: the packages installed in a booted Debian 12 container, the
# web forwarded to 127.0.0.1:$(PORT), until Ctrl-C (tools/demo; root).
# `make check-demo`: CI's short form (DEMO_SECONDS=20), then asserts that
# nothing is left (tests/system/check-demo).
.PHONY: demo check-demo
demo:
	@tools/install-deps build run system
	@PORT=$(PORT) tools/demo

check-demo:
	@tools/install-deps build run system
	tests/system/check-demo

clean:
	rm -rf build build-asan

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

fmt-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')
