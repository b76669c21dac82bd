# left4me-helpers: small root programs.  They link libleft4me.a with no
# pkg-config libraries, so anything beyond validate/parse/log/instance_env/
# mountinfo/lowerdir fails to link instead of sneaking SQLite or curl into
# root.  One exception: left4me-script-sandbox links libyaml (config.c) to
# read its limits (sandbox.*) from root's own left4me.yaml.
#
# Two builds of the same sources:
#   $(B)/left4me-helpers/NAME  installed; state dir $(HELPER_STATE_DIR)
#   $(B)/helpers-test/NAME     tests only; state dir $(HELPERS_TEST_STATE),
#                              built with LEFT4ME_HELPER_TEST (print argv
#                              instead of exec, no setns into PID 1) and
#                              left4me-overlay asking a stub systemctl that
#                              the tests write (tests/helpers/lib.sh).
HELPER_NAMES := left4me-overlay left4me-systemctl left4me-script-sandbox
HELPER_COMMON := helper idmap overlay sandbox
# The objects and libraries of each helper.
HELPER_OBJS_left4me-overlay := helper idmap overlay
HELPER_OBJS_left4me-systemctl := helper
HELPER_OBJS_left4me-script-sandbox := helper idmap sandbox
HELPER_LIBS_left4me-script-sandbox = $(call pc_libs,$(PKG_CONF))
HELPER_BINS := $(HELPER_NAMES:%=$(B)/left4me-helpers/%)
HELPER_TEST_BINS := $(HELPER_NAMES:%=$(B)/helpers-test/%)
# Outside $(B): the top Makefile -includes every *.d found under $(B).
HELPERS_TEST_STATE := $(abspath $(B))-helpers-test

HELPER_DEFS = -DLEFT4ME_STATE_DIR='"$(HELPER_STATE_DIR)"' \
              -DLEFT4ME_SYSCONF_DIR='"$(SYSCONFDIR)/left4me"' \
              -DLEFT4ME_STAGING_DIR='"/run/left4me-sandbox"' \
              -DLEFT4ME_CGROUP_DIR='"/sys/fs/cgroup"'
HELPER_TEST_DEFS = -DLEFT4ME_STATE_DIR='"$(HELPERS_TEST_STATE)"' \
              -DLEFT4ME_SYSCONF_DIR='"$(HELPERS_TEST_STATE)/etc"' \
              -DLEFT4ME_STAGING_DIR='"$(HELPERS_TEST_STATE)/staging"' \
              -DLEFT4ME_CGROUP_DIR='"$(HELPERS_TEST_STATE)/cgroup"' \
              -DLEFT4ME_SYSTEMCTL='"$(HELPERS_TEST_STATE)/systemctl"' -DLEFT4ME_HELPER_TEST=1

PROGS += $(HELPER_BINS) $(HELPER_TEST_BINS) $(B)/helpers-test/state-dir

$(B)/left4me-helpers/%.o: ALL_CFLAGS += $(HELPER_DEFS)

$(B)/helpers-test/%.o: left4me-helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HELPER_TEST_DEFS) -MMD -MP -c -o $@ $<

# Rebuild when the compiled-in paths change.
$(B)/left4me-helpers/helper.o $(B)/left4me-helpers/sandbox.o $(B)/left4me-helpers/overlay.o: \
	$(B)/left4me-helpers/paths.stamp
$(B)/left4me-helpers/paths.stamp: FORCE_HELPER_PATHS
	@mkdir -p $(@D)
	@echo '$(HELPER_DEFS)' | cmp -s - $@ || echo '$(HELPER_DEFS)' > $@
$(HELPER_NAMES:%=$(B)/helpers-test/%.o) $(HELPER_COMMON:%=$(B)/helpers-test/%.o): \
	$(B)/helpers-test/paths.stamp
$(B)/helpers-test/paths.stamp: FORCE_HELPER_PATHS
	@mkdir -p $(@D)
	@echo '$(HELPER_TEST_DEFS)' | cmp -s - $@ || echo '$(HELPER_TEST_DEFS)' > $@
.PHONY: FORCE_HELPER_PATHS

$(B)/helpers-test/state-dir: $(B)/helpers-test/paths.stamp
	@mkdir -p $(@D)
	echo '$(HELPERS_TEST_STATE)' > $@

define helper_link
$(B)/$(1)/$(2): $(B)/$(1)/$(2).o $(HELPER_OBJS_$(2):%=$(B)/$(1)/%.o) $(LIB)
	$$(CC) $$(L4M_LDFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(HELPER_LIBS_$(2))
endef
$(foreach h,$(HELPER_NAMES),$(eval $(call helper_link,left4me-helpers,$(h))))
$(foreach h,$(HELPER_NAMES),$(eval $(call helper_link,helpers-test,$(h))))

TEST_SCRIPTS += tests/helpers/argv.sh tests/helpers/overlay.sh tests/helpers/sandbox.sh \
                tests/helpers/units.sh

# ---- install: helpers, units, sudoers, sandbox resolver ------------------
# (units/ has no module.mk of its own: the top Makefile includes only
# left4me*/module.mk, so the unit install rules live here.)  Units and
# sudoers are installed as the top Makefile fills them (UNIT_FILES,
# SUDOERS_FILE: paths from PREFIX, LIBEXECDIR, ...), never from the source.
.PHONY: install-helpers install-units
install-helpers: $(HELPER_BINS) $(SUDOERS_FILE)
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(HELPER_BINS) $(DESTDIR)$(LIBEXECDIR)/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/sudoers.d $(DESTDIR)$(SYSCONFDIR)/left4me
	install -m 0440 $(SUDOERS_FILE) $(DESTDIR)$(SYSCONFDIR)/sudoers.d/left4me
	install -m 0644 etc/left4me/sandbox-resolv.conf $(DESTDIR)$(SYSCONFDIR)/left4me/

install-units: $(UNIT_FILES)
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 $(UNIT_FILES) $(DESTDIR)$(UNITDIR)/
	install -D -m 0644 etc/systemd/journald@left4me.conf \
	  $(DESTDIR)$(JOURNALDDIR)/journald@left4me.conf.d/left4me.conf

INSTALL_TARGETS += install-helpers install-units
