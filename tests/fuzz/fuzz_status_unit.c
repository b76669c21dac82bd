/* Fuzz target: left4me-status's reading of a journal entry's UNIT= field
 * (console_relay_server, left4me-status/relay.c): which server, if any,
 * one of PID 1's lines is about.  The input is the field's value, NULs
 * and all.  Properties:
 *  - it is accepted exactly when it is "left4me-server@" NAME ".service"
 *    with NAME a valid server name (validate.h) that fits the buffer, so
 *    no line about another unit, and no name a game could not have,
 *    reaches a console;
 *  - the name given back is exactly NAME, NUL-terminated in the buffer,
 *    with a 65-byte buffer and a 6-byte one. */
#include "fuzz.h"

#include <stdbool.h>

#include "relay.h"
#include "validate.h"

static const char prefix[] = "left4me-server@", suffix[] = ".service";

static bool reference(const uint8_t *d, size_t n, size_t cap, char *name)
{
	size_t pl = sizeof(prefix) - 1, sl = sizeof(suffix) - 1, nl;

	if (n <= pl + sl || memcmp(d, prefix, pl) != 0 || memcmp(d + n - sl, suffix, sl) != 0)
		return false;
	nl = n - pl - sl;
	if (nl >= cap || memchr(d + pl, '\0', nl))
		return false;
	memcpy(name, d + pl, nl);
	name[nl] = '\0';
	return valid_server_name(name);
}

static void check(const uint8_t *data, size_t size, size_t cap)
{
	char got[65], want[65];
	bool ok, ref;

	memset(got, 'x', sizeof(got));
	ok = console_relay_server((const char *)data, size, got, cap);
	ref = reference(data, size, cap, want);
	FUZZ_CHECK(ok == ref, "accepted %d, reference %d (buffer %zu)", ok, ref, cap);
	if (ok) {
		FUZZ_CHECK(strnlen(got, cap) < cap, "name not terminated in %zu bytes", cap);
		FUZZ_CHECK(strcmp(got, want) == 0, "name '%s', want '%s'", got, want);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, 65);
	check(data, size, 6);
	return 0;
}
