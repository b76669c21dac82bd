/* backup.dir: dated backups, their info files, retention; see
 * backup_dir.h. */
#include "backup_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "validate.h"
#include "xalloc.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **backup_names(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	while (d && (de = readdir(d))) {
		if (!backup_name_ok(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[(*n)++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), by_name);
	return names;
}

void backup_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* dir/left4me-TIME.json for the backup name (which backup_name_ok took). */
static char *info_path(const char *dir, const char *name)
{
	size_t stem = strlen(name) - strlen(BACKUP_NAME_SUFFIX);

	return xasprintf("%s/%.*s" BACKUP_INFO_SUFFIX, dir, (int)stem, name);
}

/* The info file: written beside its final name, 0640, renamed in. */
void backup_info_write(const char *dir, const char *name, const struct backup_stats *st)
{
	json_object *o = json_object_new_object();
	char *path = info_path(dir, name), *tmp = xasprintf("%s.partial-XXXXXX", path);
	const char *text;
	int fd;

	json_object_object_add(o, "schema_version", json_object_new_int(st->schema_version));
	json_object_object_add(o, "left4me_version", json_object_new_string(LEFT4ME_VERSION));
	json_object_object_add(o, "created_at", json_object_new_string(st->created_at));
	json_object_object_add(o, "files", json_object_new_int64(st->files));
	json_object_object_add(o, "bytes", json_object_new_int64(st->bytes));
	json_object_object_add(o, "servers", json_object_new_int64(st->servers));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd >= 0 && fchmod(fd, 0640) == 0 &&
	    write(fd, text, strlen(text)) == (ssize_t)strlen(text) && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) < 0)
			unlink(tmp);
	} else if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	json_object_put(o);
	free(tmp);
	free(path);
}

void backup_prune(const char *dir, int retention, void (*removed)(void *, const char *), void *arg)
{
	size_t n;
	char **names = backup_names(dir, &n);

	for (size_t i = 0; i + (size_t)retention < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]), *info = info_path(dir, names[i]);

		if (unlink(p) == 0 && removed)
			removed(arg, p);
		unlink(info);
		free(info);
		free(p);
	}
	backup_names_free(names, n);
}

static long long jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		   ? json_object_get_int64(v)
		   : -1;
}

static void jstr(json_object *o, const char *key, char *out, size_t len)
{
	json_object *v;

	snprintf(out, len, "%s",
		 json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		     ? json_object_get_string(v)
		     : "");
}

int backup_info_read(const char *dir, const char *name, struct backup_info *info)
{
	char buf[BACKUP_INFO_MAX + 1], *path;
	json_object *o;
	ssize_t n = -1;
	int fd;

	memset(info, 0, sizeof(*info));
	if (!backup_name_ok(name))
		return -1;
	path = info_path(dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd >= 0) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= BACKUP_INFO_MAX)
			n = read(fd, buf, BACKUP_INFO_MAX);
		close(fd);
	}
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	info->schema_version = (int)jint(o, "schema_version");
	info->files = jint(o, "files");
	info->bytes = jint(o, "bytes");
	info->servers = jint(o, "servers");
	jstr(o, "left4me_version", info->version, sizeof(info->version));
	jstr(o, "created_at", info->created_at, sizeof(info->created_at));
	json_object_put(o);
	return info->schema_version > 0 ? 0 : -1;
}
