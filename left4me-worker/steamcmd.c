/* SteamCMD output parsing and the steamclient.so links; see steamcmd.h.
 * Runs in left4me-worker; trusts nothing SteamCMD prints. */
#include "steamcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "xalloc.h"

/* Digits at s: their count (0 if none). */
static size_t digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* "12.34" (fraction optional) as a percentage; advances *s. */
static bool parse_percent(const char **s, double *out)
{
	const char *p = *s;
	size_t n = digits(p), f;
	long long whole, frac = 0;
	double scale = 1;

	if (n == 0 || n > 3 || parse_int_n(p, n, 0, 999, &whole) < 0) {
		/* parse_int_n refuses leading zeros: accept "0" only */
		if (!(n == 1 && p[0] == '0'))
			return false;
		whole = 0;
	}
	p += n;
	if (*p == '.') {
		p++;
		f = digits(p);
		if (f == 0)
			return false;
		for (size_t i = 0; i < f && i < 6; i++) {
			frac = frac * 10 + (p[i] - '0');
			scale *= 10;
		}
		p += f;
	}
	*out = (double)whole + (double)frac / scale;
	if (*out > 100)
		*out = 100;
	*s = p;
	return true;
}

/* A byte count (leading zeros tolerated: "0" and "000123" both occur). */
static bool parse_count(const char **s, int64_t *out)
{
	const char *p = *s;
	size_t n = digits(p);
	long long v;

	while (n > 1 && *p == '0') {
		p++;
		n--;
	}
	if (n == 0 || n > 18)
		return false;
	if (n == 1 && *p == '0')
		v = 0;
	else if (parse_int_n(p, n, 0, LLONG_MAX, &v) < 0)
		return false;
	*out = v;
	*s = p + n;
	return true;
}

static bool parse_update_state(const char *line, struct steam_progress *p)
{
	const char *s = strstr(line, "progress: ");
	const char *st, *q;

	if (!s)
		return false;
	q = s + 10;
	if (!parse_percent(&q, &p->percent))
		return false;
	if (strncmp(q, " (", 2) == 0) {
		q += 2;
		if (parse_count(&q, &p->done) && strncmp(q, " / ", 3) == 0) {
			q += 3;
			if (!parse_count(&q, &p->total) || *q != ')')
				p->done = p->total = 0;
		} else {
			p->done = 0;
		}
	}
	/* label: the word after "Update state (0x..) " */
	st = strstr(line, "Update state (");
	if (st && st < s) {
		const char *w = strchr(st, ')');
		size_t n = 0;

		if (w && w[1] == ' ') {
			w += 2;
			while (w + n < s && w[n] != ',' && n < sizeof(p->label) - 1 &&
			       ((w[n] >= 'a' && w[n] <= 'z') || w[n] == ' '))
				n++;
			memcpy(p->label, w, n);
			p->label[n] = '\0';
		}
	}
	if (!p->label[0])
		snprintf(p->label, sizeof(p->label), "updating");
	return true;
}

bool steamcmd_parse_progress(const char *line, struct steam_progress *p)
{
	const char *s;

	memset(p, 0, sizeof(*p));
	if (parse_update_state(line, p))
		return true;
	memset(p, 0, sizeof(*p));
	/* SteamCMD's self-update: "[ 71%] Downloading update (...)" */
	s = strstr(line, "] Downloading update");
	if (s) {
		const char *b = s;
		size_t n;
		long long v;

		while (b > line && b[-1] != '[')
			b--;
		if (b == line)
			return false;
		while (*b == ' ')
			b++;
		n = digits(b);
		if (n == 0 || b[n] != '%' || b + n + 1 != s)
			return false;
		if (!(n == 1 && *b == '0') && parse_int_n(b, n, 0, 100, &v) < 0)
			return false;
		p->percent = (n == 1 && *b == '0') ? 0 : (double)v;
		snprintf(p->label, sizeof(p->label), "steamcmd self-update");
		return true;
	}
	return false;
}

enum steam_result steamcmd_parse_result(const char *line, size_t *msg_off)
{
	const char *s;

	if (strstr(line, "Success! App '" STEAM_APP_ID "' fully installed."))
		return STEAM_RESULT_INSTALLED;
	if (strstr(line, "Success! App '" STEAM_APP_ID "' already up to date."))
		return STEAM_RESULT_UP_TO_DATE;
	s = strstr(line, "Error! ");
	if (!s)
		s = strstr(line, "ERROR! ");
	if (s) {
		if (msg_off)
			*msg_off = (size_t)(s - line);
		return STEAM_RESULT_ERROR;
	}
	return STEAM_RESULT_NONE;
}

enum steam_error_class steamcmd_error_class(const char *msg)
{
	const char *s = strstr(msg, "state is 0x");
	unsigned long v = 0;
	size_t n = 0;

	if (strstr(msg, "Disk write failure") || strstr(msg, "Not enough disk space"))
		return STEAM_ERR_DISK;
	if (strstr(msg, "(Timeout)") || strstr(msg, "(No Connection)"))
		return STEAM_ERR_RETRY;
	if (!s)
		return STEAM_ERR_OTHER;
	s += 11;
	while (n < 8 && ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f') ||
			 (s[n] >= 'A' && s[n] <= 'F'))) {
		char ch = s[n] | 0x20;

		v = v * 16 + (unsigned long)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
		n++;
	}
	if (n == 0)
		return STEAM_ERR_OTHER;
	if (v == 0x402 || v == 0x602)
		return STEAM_ERR_RETRY;
	if (v == 0x202 || v == 0x212)
		return STEAM_ERR_DISK;
	return STEAM_ERR_OTHER;
}

/* ---- KeyValues ------------------------------------------------------------- */

enum vdf_tok { VDF_END, VDF_OPEN, VDF_CLOSE, VDF_STR };

/* The next token from *s; a string's text (escapes resolved, cut) in buf. */
static enum vdf_tok vdf_next(const char **s, char *buf, size_t len)
{
	const char *p = *s;
	size_t n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (p[0] == '/' && p[1] == '/') {
			p += strcspn(p, "\n");
			continue;
		}
		break;
	}
	*s = p + (*p != '\0');
	if (*p == '\0')
		return VDF_END;
	if (*p == '{' || *p == '}')
		return *p == '{' ? VDF_OPEN : VDF_CLOSE;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < len)
				buf[n++] = *p;
		}
		*s = p + (*p == '"');
	} else {
		for (; *p && !strchr(" \t\r\n{}\"", *p); p++)
			if (n + 1 < len)
				buf[n++] = *p;
		*s = p;
	}
	buf[n] = '\0';
	return VDF_STR;
}

/* Where the block "root" { starts (just after the brace), or NULL. */
static const char *vdf_root(const char *text, const char *root)
{
	size_t rl = strlen(root);

	for (const char *p = strchr(text, '"'); p; p = strchr(p + 1, '"')) {
		const char *q = p + 1 + rl;

		if (strncasecmp(p + 1, root, rl) != 0 || *q != '"')
			continue;
		q++;
		while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			q++;
		if (*q == '{')
			return q + 1;
	}
	return NULL;
}

bool steamcmd_vdf_get(const char *text, const char *const *path, size_t n, char *out, size_t outlen)
{
	char key[256], val[256];
	const char *s = n >= 2 ? vdf_root(text, path[0]) : NULL;
	size_t depth = 1, matched = 1;

	if (!s)
		return false;
	for (;;) {
		enum vdf_tok t = vdf_next(&s, key, sizeof(key));

		if (t == VDF_END || t == VDF_OPEN)
			return false; /* a block without a key: not KeyValues */
		if (t == VDF_CLOSE) {
			if (matched == depth)
				matched--;
			if (--depth == 0)
				return false;
			continue;
		}
		t = vdf_next(&s, val, sizeof(val));
		if (t == VDF_OPEN) {
			if (matched == depth && depth < n && strcasecmp(key, path[depth]) == 0)
				matched++;
			depth++;
			if (depth > 64)
				return false;
		} else if (t == VDF_STR) {
			if (matched == depth && depth == n - 1 &&
			    strcasecmp(key, path[depth]) == 0) {
				snprintf(out, outlen, "%s", val);
				return true;
			}
		} else {
			return false;
		}
	}
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int mkdir_p(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", buf, strerror(errno));
			return -1;
		}
		buf[i] = path[i];
	}
	return 0;
}

/* Bytes of fd a and fd b equal?  Both are regular files of equal size. */
static bool same_content(int a, int b)
{
	char ba[65536], bb[65536];

	for (;;) {
		ssize_t na = read(a, ba, sizeof(ba)), nb;

		if (na < 0)
			return false;
		if (na == 0)
			return read(b, bb, 1) == 0;
		for (ssize_t off = 0; off < na; off += nb) {
			nb = read(b, bb + off, (size_t)(na - off));
			if (nb <= 0)
				return false;
		}
		if (memcmp(ba, bb, (size_t)na) != 0)
			return false;
	}
}

static int copy_fd(int in, int out, off_t size)
{
	off_t done = 0;
	char buf[65536];

	while (done < size) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);

		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
			n = read(in, buf, sizeof(buf));
			if (n > 0 && write(out, buf, (size_t)n) != n)
				return -1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? (errno = EIO, -1) : -1;
		done += n;
	}
	return 0;
}

/* Make dst a regular 0644 copy of src, atomically (temp file + rename):
 * the game unit sees only ~/.steam (read-only), so a symlink into a
 * SteamCMD dir elsewhere under the state dir would dangle there.  An
 * identical copy is left alone; anything else at dst (a symlink from an
 * older version, a stray file) is replaced.  Reports what it did. */
static int ensure_copy(const char *dst, const char *src, void (*say)(void *ctx, const char *line),
		       void *ctx, char *err, size_t errlen)
{
	struct stat sst, dst_st;
	char *tmp = NULL, *msg;
	int in, cur, out = -1, rc = -1;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &sst) < 0 || !S_ISREG(sst.st_mode)) {
		snprintf(err, errlen, "%s: %s", src,
			 in < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	cur = open(dst, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (cur >= 0) {
		bool same = fstat(cur, &dst_st) == 0 && S_ISREG(dst_st.st_mode) &&
			    dst_st.st_size == sst.st_size && (dst_st.st_mode & 07777) == 0644 &&
			    same_content(in, cur);

		close(cur);
		if (same) {
			msg = xasprintf("%s: already a copy of %s", dst, src);
			say(ctx, msg);
			free(msg);
			rc = 0;
			goto out;
		}
		if (lseek(in, 0, SEEK_SET) < 0) {
			snprintf(err, errlen, "%s: %s", src, strerror(errno));
			goto out;
		}
	}
	tmp = xasprintf("%s.left4me-tmp", dst);
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0 || fchmod(out, 0644) < 0 || copy_fd(in, out, sst.st_size) < 0 ||
	    fsync(out) < 0) {
		snprintf(err, errlen, "copy %s to %s: %s", src, tmp, strerror(errno));
		goto out;
	}
	if (close(out) < 0 || (out = -1, rename(tmp, dst) < 0)) {
		snprintf(err, errlen, "rename %s: %s", dst, strerror(errno));
		goto out;
	}
	msg = xasprintf("%s: copied from %s (%lld bytes)", dst, src, (long long)sst.st_size);
	say(ctx, msg);
	free(msg);
	rc = 0;
out:
	if (out >= 0)
		close(out);
	if (tmp && rc < 0)
		unlink(tmp);
	if (in >= 0)
		close(in);
	free(tmp);
	return rc;
}

int steamcmd_sdk_copies(const char *home, const char *steamcmd, const char *install_dir,
			void (*say)(void *ctx, const char *line), void *ctx, char *err,
			size_t errlen)
{
	static const struct {
		const char *sdk, *steam_sub, *bin_sub;
		bool required;
	} sdks[] = {
	    {"sdk32", "linux32", "bin/steamclient.so", true},
	    {"sdk64", "linux64", "bin/linux64/steamclient.so", false},
	};
	char real[PATH_MAX];
	char *dirs[2] = {NULL, NULL}; /* SteamCMD dirs that may hold linux32/ and linux64/ */
	int rc = 0;

	if (steamcmd && realpath(steamcmd, real)) {
		char *slash = strrchr(real, '/');

		if (slash) {
			*slash = '\0';
			dirs[0] = xstrdup(real[0] ? real : "/");
		}
	}
	/* Debian's /usr/games/steamcmd is a wrapper script that installs the
	 * real SteamCMD into ~/.steam/steamcmd/ on its first run. */
	dirs[1] = xasprintf("%s/.steam/steamcmd", home);
	for (size_t i = 0; i < sizeof(sdks) / sizeof(sdks[0]) && rc == 0; i++) {
		char *target = NULL, *dir, *link;

		for (size_t d = 0; d < 2 && !target; d++) {
			if (!dirs[d])
				continue;
			target = xasprintf("%s/%s/steamclient.so", dirs[d], sdks[i].steam_sub);
			if (!is_file(target)) {
				free(target);
				target = NULL;
			}
		}
		if (!target) {
			target = xasprintf("%s/%s", install_dir, sdks[i].bin_sub);
			if (!is_file(target)) {
				free(target);
				target = NULL;
			}
		}
		if (!target) {
			if (sdks[i].required) {
				snprintf(
				    err, errlen,
				    "no steamclient.so for %s: none of %s/%s/ beside SteamCMD, "
				    "%s/%s/ or %s/%s exists",
				    sdks[i].sdk, dirs[0] ? dirs[0] : "?", sdks[i].steam_sub,
				    dirs[1], sdks[i].steam_sub, install_dir, sdks[i].bin_sub);
				rc = -1;
			} else {
				char *msg = xasprintf("no steamclient.so for %s found; skipped",
						      sdks[i].sdk);

				say(ctx, msg);
				free(msg);
			}
			continue;
		}
		dir = xasprintf("%s/.steam/%s", home, sdks[i].sdk);
		link = xasprintf("%s/steamclient.so", dir);
		rc = mkdir_p(dir, err, errlen);
		if (rc == 0)
			rc = ensure_copy(link, target, say, ctx, err, errlen);
		free(dir);
		free(link);
		free(target);
	}
	free(dirs[0]);
	free(dirs[1]);
	return rc;
}
