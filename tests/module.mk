# Unit tests: tests/unit/check_<module>.c, one binary each, linked with the
# whole library, the check framework and every daemon library.
# tests/cli/check_*.c drive the real left4mectl binary the same way.
UNIT_SRCS  := $(wildcard tests/unit/check_*.c tests/cli/check_*.c)
UNIT_TESTS := $(UNIT_SRCS:%.c=$(B)/%)
TEST_SUPPORT_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard tests/support/*.c))
TESTS += $(UNIT_TESTS)
# The tree is clang-formatted (docs/STYLE.md).
TEST_SCRIPTS += tests/style.sh
# make run and the postinst lay out the state dir from one table.
TEST_SCRIPTS += tests/state-layout.sh
# make run notices a daemon that dies (tools/run-dev).
TEST_SCRIPTS += tests/tools/run-dev-supervises.sh

TEST_LDLIBS = $(call pc_libs,$(PKG_CHECK) $(PKG_ALL)) -lpthread

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(TEST_SUPPORT_OBJS) $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS)

$(B)/tests/cli/%: $(B)/tests/cli/%.o $(TEST_SUPPORT_OBJS) $(LIB) $(CTL)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $(filter-out $(CTL),$^) $(TEST_LDLIBS)

# Test objects see the check framework's headers and tests/support/.
$(B)/tests/%.o: ALL_CFLAGS += $(call pc_cflags,$(PKG_CHECK)) -Itests/support
include tests/fuzz/module.mk

# The srcds stand-in is as strict as srcds (tests/system/check-standin).
TEST_SCRIPTS += tests/system/check-standin
# ... and gamedig, the npm client server lists use, reads it.  It needs node
# and npm like the browser test (tools/install-deps browser), so `make check`
# runs it with that test rather than in `make test` (which package builds
# run offline); node_modules go to $(B)/tests/system/gamedig.
.PHONY: check-standin-gamedig
check-standin-gamedig:
	LEFT4ME_BUILD=$(B) tests/system/check-standin --gamedig
# ... and rcon-srcds, a Source RCON client, authenticates with the password
# the worker stages (node_modules into $(B)/tests/system/rcon).
.PHONY: check-standin-rcon
check-standin-rcon:
	LEFT4ME_BUILD=$(B) tests/system/check-standin --rcon
check-browser: check-standin-gamedig check-standin-rcon
