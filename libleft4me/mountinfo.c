/* mountinfo parsing; see mountinfo.h.  Format (proc(5)):
 *   ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
 * with space, tab, newline and backslash in paths escaped as \ooo. */
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h"

/* Next space-separated field of [*p, end); false at end of line. */
static bool next_field(const char **p, const char *end, const char **f, size_t *flen)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s >= end)
		return false;
	*f = s;
	while (s < end && *s != ' ')
		s++;
	*flen = (size_t)(s - *f);
	*p = s;
	return true;
}

/* Does the escaped field equal path? */
static bool field_equals(const char *f, size_t flen, const char *path)
{
	size_t i = 0;
	const char *q = path;

	while (i < flen) {
		char c = f[i];
		if (c == '\\' && i + 3 < flen && f[i + 1] >= '0' && f[i + 1] <= '3' &&
		    f[i + 2] >= '0' && f[i + 2] <= '7' && f[i + 3] >= '0' && f[i + 3] <= '7') {
			c = (char)((f[i + 1] - '0') * 64 + (f[i + 2] - '0') * 8 + (f[i + 3] - '0'));
			i += 4;
		} else {
			i++;
		}
		if (*q == '\0' || *q != c)
			return false;
		q++;
	}
	return *q == '\0';
}

int mountinfo_count(const char *text, size_t len, const char *path, char *fstype, size_t fstype_len)
{
	const char *p = text, *end = text + len;
	int count = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *f, *cur = p;
		size_t flen;
		int i;

		p = nl ? nl + 1 : end;
		if (cur == le)
			continue;
		for (i = 0; i < 5; i++)
			if (!next_field(&cur, le, &f, &flen))
				return -1;
		if (!field_equals(f, flen, path))
			continue;
		/* Skip options and optional fields up to the "-" separator. */
		for (;;) {
			if (!next_field(&cur, le, &f, &flen))
				return -1;
			if (flen == 1 && f[0] == '-')
				break;
		}
		if (!next_field(&cur, le, &f, &flen))
			return -1;
		count++;
		if (fstype && fstype_len > 0) {
			size_t n = flen < fstype_len - 1 ? flen : fstype_len - 1;
			memcpy(fstype, f, n);
			fstype[n] = '\0';
		}
	}
	return count;
}

int mountinfo_lookup(const char *path, char *fstype, size_t fstype_len)
{
	struct strbuf sb;
	char buf[8192];
	ssize_t n;
	int fd, r;

	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	strbuf_init(&sb);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -1;
			goto out;
		}
		strbuf_append(&sb, buf, (size_t)n);
	}
	r = mountinfo_count(sb.buf, sb.len, path, fstype, fstype_len);
	if (r < 0)
		errno = EINVAL;
out:
	close(fd);
	strbuf_fini(&sb);
	return r;
}
