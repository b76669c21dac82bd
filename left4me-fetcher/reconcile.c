/* Symlink reconciliation; see reconcile.h. */
#include "reconcile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index.h"
#include "xalloc.h"

struct name {
	char *s;
	bool seen;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct name *)a)->s, ((const struct name *)b)->s);
}

static struct name *find(struct name *v, size_t n, const char *s)
{
	struct name key = {.s = (char *)s};

	return bsearch(&key, v, n, sizeof(*v), name_cmp);
}

/* The cache's vpk files (regular files, safe names), sorted. */
static int list_cache(const char *cache_dir, struct name **out, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(cache_dir);
	struct dirent *de;
	struct name *v = NULL;
	size_t cnt = 0;

	if (!d) {
		snprintf(err, errlen, "cannot open %s: %s", cache_dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		unsigned char t = de->d_type;

		if (!fetch_safe_name(de->d_name) || !fetch_has_suffix(de->d_name, ".vpk"))
			continue;
		if (t == DT_UNKNOWN) {
			struct stat sb;

			if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			t = S_ISREG(sb.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		if (t != DT_REG)
			continue;
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt].s = xstrdup(de->d_name);
		v[cnt++].seen = false;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

/* An entry that is not our link: count it, and note when it holds the
 * name a cached vpk's link would take. */
static void count_foreign(struct reconcile_stats *st, struct name *want)
{
	st->foreign++;
	if (want && !want->seen) {
		want->seen = true;
		st->conflicts++;
	}
}

/* Walk addons/: keep each link of ours that points at the cached vpk of
 * its own name, remove our other links, and leave alone (counted) what is
 * not ours.  Marks the names that have their link. */
static int prune_links(DIR *d, const char *cache_dir, struct name *names, size_t n,
		       struct reconcile_stats *st, char *err, size_t errlen)
{
	size_t clen = strlen(cache_dir);
	char target[PATH_MAX + 1];
	int afd = dirfd(d);
	struct dirent *de;

	while ((de = readdir(d))) {
		unsigned char t = de->d_type;
		struct name *want;
		ssize_t len;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (t == DT_UNKNOWN) {
			struct stat sb;

			if (fstatat(afd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			t = S_ISLNK(sb.st_mode) ? DT_LNK : DT_REG;
		}
		want = find(names, n, de->d_name);
		if (t != DT_LNK) {
			count_foreign(st, want);
			continue;
		}
		len = readlinkat(afd, de->d_name, target, sizeof(target) - 1);
		if (len < 0)
			continue; /* gone meanwhile */
		target[len] = '\0';
		/* ours: CACHE_DIR/NAME, one component below the cache */
		if (!((size_t)len > clen + 1 && strncmp(target, cache_dir, clen) == 0 &&
		      target[clen] == '/' && !strchr(target + clen + 1, '/'))) {
			count_foreign(st, want);
			continue;
		}
		if (want && !want->seen && strcmp(target + clen + 1, de->d_name) == 0) {
			want->seen = true;
			st->kept++;
			continue;
		}
		if (unlinkat(afd, de->d_name, 0) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove stale link %.100s: %s", de->d_name,
				 strerror(errno));
			return -1;
		}
		st->removed++;
	}
	return 0;
}

/* A link in addons/ (afd) for every cached vpk that has none yet. */
static int add_links(int afd, const char *cache_dir, struct name *names, size_t n,
		     struct reconcile_stats *st, char *err, size_t errlen)
{
	char target[PATH_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		int w;

		if (names[i].seen)
			continue;
		w = snprintf(target, sizeof(target), "%s/%s", cache_dir, names[i].s);
		if (w < 0 || (size_t)w >= sizeof(target)) {
			snprintf(err, errlen, "link target too long");
			return -1;
		}
		if (symlinkat(target, afd, names[i].s) < 0) {
			if (errno == EEXIST) {
				st->conflicts++; /* appeared meanwhile: not ours to replace */
				continue;
			}
			snprintf(err, errlen, "cannot link %.100s: %s", names[i].s,
				 strerror(errno));
			return -1;
		}
		st->added++;
	}
	return 0;
}

int reconcile_links(const char *cache_dir, const char *addons_dir, struct reconcile_stats *st,
		    char *err, size_t errlen)
{
	struct name *names = NULL;
	size_t n = 0, i;
	DIR *d = NULL;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (cache_dir[0] != '/') {
		snprintf(err, errlen, "cache dir is not absolute");
		return -1;
	}
	if (list_cache(cache_dir, &names, &n, err, errlen) < 0)
		return -1;
	st->cached = n;
	d = opendir(addons_dir);
	if (!d)
		snprintf(err, errlen, "cannot open %s: %s", addons_dir, strerror(errno));
	else if (prune_links(d, cache_dir, names, n, st, err, errlen) == 0 &&
		 add_links(dirfd(d), cache_dir, names, n, st, err, errlen) == 0)
		rc = 0;
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i].s);
	free(names);
	return rc;
}
