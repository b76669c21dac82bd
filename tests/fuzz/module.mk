# Fuzz targets (docs/DESIGN.md §7): tests/fuzz/fuzz_NAME.c defines
# LLVMFuzzerTestOneInput; tests/fuzz/corpus/NAME/ holds its seeds;
# tests/fuzz/NAME.dict (optional) is a libFuzzer dictionary.  Adding a
# target is dropping those files in; see tests/fuzz/README.md.
#
# Two builds of every target:
#   $(B)/tests/fuzz/replay_NAME  gcc, in TESTS: seeds + 20,000 deterministic
#                                mutations in every `make check`/check-asan
#   $(B)/fuzz/fuzz_NAME          clang + libFuzzer + ASan/UBSan, built and
#                                run only by `make fuzz` (FUZZ_SECONDS each)
#
# A target whose parser lives in a program directory rather than in
# libleft4me names the extra sources before this file is included (in the
# program's module.mk):  FUZZ_SRCS_relay := left4me-launcher/relay.c
FUZZ_NAMES   := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(B)/tests/fuzz/replay_%)
TESTS += $(FUZZ_REPLAYS)

$(B)/tests/fuzz/replay.o: ALL_CFLAGS += -DFUZZ_CORPUS_DIR='"$(CURDIR)/tests/fuzz/corpus"'

define fuzz_replay_rule
$(B)/tests/fuzz/replay_$(1): $(B)/tests/fuzz/replay.o $(B)/tests/fuzz/fuzz_$(1).o \
		$(patsubst %.c,$(B)/%.o,$(FUZZ_SRCS_$(1))) $(LIB)
	$$(CC) $$(L4M_LDFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(call pc_libs,$$(PKG_ALL))
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call fuzz_replay_rule,$(n))))

# ---- libFuzzer (make fuzz) -------------------------------------------------
# Its own objects under $(B)/fuzz/obj/, compiled by clang with coverage
# instrumentation, so the gcc build is never touched.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_ARGS    ?=
FUZZ_CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
FUZZ_SAN     ?= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_DIR     := $(B)/fuzz
FUZZ_LIB     := $(FUZZ_DIR)/libleft4me.a
# gcc's -Werror guards the code; clang's extra opinions (-Wformat-nonliteral
# on va_list wrappers, ...) are shown but must not stop a fuzz run.
FUZZ_ALL_CFLAGS = $(L4M_CPPFLAGS) $(CPPFLAGS) $(call pc_cflags,$(PKG_ALL)) -std=gnu11 \
                  $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral -fPIE $(FUZZ_CFLAGS) \
                  $(FUZZ_SAN) -fsanitize=fuzzer-no-link

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CLANG   $<")
	$(Q)$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
	@rm -f $@
	$(AR) rcs $@ $^

define fuzz_rule
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_DIR)/obj/tests/fuzz/fuzz_$(1).o \
		$(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRCS_$(1))) $(FUZZ_LIB)
	$$(FUZZ_CC) -pie $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $$(call pc_libs,$$(PKG_ALL))

# New inputs go to $(FUZZ_DIR)/corpus/$(1); the seeds are only read.
.PHONY: fuzz-run-$(1)
fuzz-run-$(1): $(FUZZ_DIR)/fuzz_$(1)
	@mkdir -p $(FUZZ_DIR)/corpus/$(1) $(FUZZ_DIR)/artifacts
	$(FUZZ_DIR)/fuzz_$(1) -max_total_time=$$(FUZZ_SECONDS) -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)- \
	  $(if $(wildcard tests/fuzz/$(1).dict),-dict=tests/fuzz/$(1).dict) \
	  $$(FUZZ_ARGS) $(FUZZ_DIR)/corpus/$(1) tests/fuzz/corpus/$(1)
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(n))))

# `make fuzz` installs clang and libFuzzer when missing (as `check` does
# for the build packages), then builds and runs each of FUZZ_TARGETS (in parallel under -j).
.PHONY: fuzz fuzz-build fuzz-run
fuzz:
	@tools/install-deps build fuzz
	+$(MAKE) fuzz-run

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

fuzz-run: $(FUZZ_TARGETS:%=fuzz-run-%)
