/* Fuzz target: backup_path_refused (libleft4me/backup.h), the rule every
 * entry of a backup meets before a restore writes anything.  The input's
 * first byte picks the entry type, the rest is the name.  Properties: an
 * accepted name is relative, has no empty, "." or ".." component, is
 * shorter than 4096 bytes and lies in what a backup holds (left4me.db,
 * MANIFEST.json, overlays/, instances/, runtime/NAME/upper/ below
 * runtime/NAME); only a directory may be a top-level dir or runtime/NAME;
 * a device only under upper/, a symlink never under instances/; and a
 * refusal is one line. */
#include "fuzz.h"

#include <archive_entry.h>
#include <stdbool.h>

#include "backup.h"

static bool has_bad_component(const char *p)
{
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		if (!slash)
			return false;
		p = slash + 1;
	}
}

static bool starts(const char *p, const char *prefix)
{
	return strncmp(p, prefix, strlen(prefix)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned types[] = {AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO};
	unsigned type;
	char *name;
	const char *why;

	if (size < 1)
		return 0;
	type = types[data[0] % 5];
	name = malloc(size);
	memcpy(name, data + 1, size - 1);
	name[size - 1] = '\0';
	why = backup_path_refused(name, type);
	if (why) {
		FUZZ_CHECK(why[0] && !strchr(why, '\n'), "bad reason for %s", name);
		free(name);
		return 0;
	}
	FUZZ_CHECK(name[0] != '/' && !has_bad_component(name), "accepted %s", name);
	FUZZ_CHECK(strlen(name) < 4096, "accepted a %zu-byte name", strlen(name));
	FUZZ_CHECK(type != AE_IFIFO, "accepted a FIFO %s", name);
	if (strcmp(name, "left4me.db") == 0 || strcmp(name, BACKUP_MANIFEST) == 0) {
		FUZZ_CHECK(type == AE_IFREG, "%s as type %o", name, type);
	} else if (strcmp(name, "overlays") == 0 || strcmp(name, "instances") == 0 ||
		   strcmp(name, "runtime") == 0) {
		FUZZ_CHECK(type == AE_IFDIR, "%s as type %o", name, type);
	} else if (starts(name, "overlays/")) {
		FUZZ_CHECK(type != AE_IFCHR, "device %s", name);
	} else if (starts(name, "instances/")) {
		FUZZ_CHECK(type == AE_IFREG || type == AE_IFDIR, "%s as type %o", name, type);
	} else {
		const char *rest;

		FUZZ_CHECK(starts(name, "runtime/"), "accepted %s", name);
		rest = strchr(name + 8, '/');
		if (!rest || strcmp(rest, "/upper") == 0)
			FUZZ_CHECK(type == AE_IFDIR, "%s as type %o", name, type);
		else
			FUZZ_CHECK(starts(rest, "/upper/"), "accepted %s", name);
	}
	if (type == AE_IFCHR)
		FUZZ_CHECK(starts(name, "runtime/") && strstr(name, "/upper/"), "device %s", name);
	free(name);
	return 0;
}
