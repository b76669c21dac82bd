/* Fuzz target: mountinfo_count() (libleft4me/mountinfo.h), which the root
 * overlay helper runs on /proc/self/mountinfo, whose mount points carry
 * user-chosen names.  Input: the first line is the path to look for, the
 * rest the mountinfo text.  Properties: no crash or overread; the fstype
 * is always NUL-terminated within its buffer, also a 1- and 2-byte one;
 * the count agrees with a reimplementation from proc(5) (fields split on
 * spaces, \ooo escapes in the mount point, fstype after the "-"; a
 * non-empty line of under five fields is malformed). */
#include "fuzz.h"

#include <stdbool.h>

#include "mountinfo.h"

/* Decode proc(5)'s \ooo escapes of field f into out; returns the length. */
static size_t unescape(const char *f, size_t flen, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < flen; i++) {
		if (f[i] == '\\' && flen - i >= 4 && f[i + 1] >= '0' && f[i + 1] <= '3' &&
		    f[i + 2] >= '0' && f[i + 2] <= '7' && f[i + 3] >= '0' && f[i + 3] <= '7') {
			out[o++] =
			    (char)((f[i + 1] - '0') * 64 + (f[i + 2] - '0') * 8 + (f[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = f[i];
		}
	}
	return o;
}

/* The reference: -1 for a malformed line that names path or has under five
 * fields, else the number of lines whose mount point is path; *last gets
 * the fstype of the last of them. */
static int ref_count(const char *text, size_t len, const char *path, char *last, size_t lastlen)
{
	char *copy = fuzz_cstring((const uint8_t *)text, len);
	char *save = NULL, *line, *p = copy;
	int count = 0;

	last[0] = '\0';
	while (p && p < copy + len) {
		char *fields[64], *nl = memchr(p, '\n', (size_t)(copy + len - p));
		size_t nf = 0, dash, mplen;
		char *mp;

		line = p;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
		if (strlen(line) != (size_t)((nl ? nl : copy + len) - line)) {
			count = -2; /* a NUL inside a line: compare nothing */
			break;
		}
		for (char *t = strtok_r(line, " ", &save); t && nf < 64;
		     t = strtok_r(NULL, " ", &save))
			fields[nf++] = t;
		if (*line == '\0')
			continue;
		if (nf < 5 || nf == 64) {
			count = nf < 5 ? -1 : -2;
			break;
		}
		mp = malloc(strlen(fields[4]) + 1);
		mplen = unescape(fields[4], strlen(fields[4]), mp);
		if (mplen != strlen(path) || memcmp(mp, path, mplen) != 0) {
			free(mp);
			continue;
		}
		free(mp);
		for (dash = 5; dash < nf && strcmp(fields[dash], "-") != 0; dash++)
			;
		if (dash + 1 >= nf) {
			count = -1;
			break;
		}
		count++;
		snprintf(last, lastlen, "%s", fields[dash + 1]);
	}
	free(copy);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)((const char *)nl - (const char *)data) : size;
	char *path = fuzz_cstring(data, plen);
	const char *text = nl ? nl + 1 : (const char *)data + size;
	size_t tlen = size - (nl ? plen + 1 : plen);
	char fstype[32], tiny[2], one[1], ref_fs[32];
	int n, ref;

	memset(fstype, 'x', sizeof(fstype));
	n = mountinfo_count(text, tlen, path, fstype, sizeof(fstype));
	FUZZ_CHECK(n >= -1, "returned %d", n);
	if (n > 0)
		FUZZ_CHECK(memchr(fstype, '\0', sizeof(fstype)), "fstype not terminated");
	memset(tiny, 'x', sizeof(tiny));
	FUZZ_CHECK(mountinfo_count(text, tlen, path, tiny, sizeof(tiny)) == n, "tiny buffer");
	if (n > 0)
		FUZZ_CHECK(tiny[1] == '\0', "2-byte fstype not terminated");
	one[0] = 'x';
	FUZZ_CHECK(mountinfo_count(text, tlen, path, one, sizeof(one)) == n, "1-byte buffer");
	if (n > 0)
		FUZZ_CHECK(one[0] == '\0', "1-byte fstype not terminated");
	FUZZ_CHECK(mountinfo_count(text, tlen, path, NULL, 0) == n, "NULL fstype");

	ref = ref_count(text, tlen, path, ref_fs, sizeof(ref_fs));
	if (ref >= -1 && strlen(path) == plen) {
		FUZZ_CHECK(n == ref, "count %d, reference %d, path \"%s\"", n, ref, path);
		if (n > 0)
			FUZZ_CHECK(strncmp(fstype, ref_fs, sizeof(fstype) - 1) == 0,
				   "fstype %s, reference %s", fstype, ref_fs);
	}
	free(path);
	return 0;
}
