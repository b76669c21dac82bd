/* backup_export_server: a server's upper/ is hostile input (the game
 * writes it).  Regular files and directories only: a symlink is neither
 * followed nor stored, a FIFO is never opened (the export does not block
 * on it), and backup.export_max_bytes stops it with the key named. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "testutil.h"
#include "xalloc.h"

static char *state;

static void mk(const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", state, rel);

	if (text)
		tu_write_file(p, text);
	else
		ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
}

static void setup(void)
{
	char *p;

	state = tu_mkdtemp();
	mk("runtime", NULL);
	mk("runtime/alpha", NULL);
	mk("runtime/alpha/upper", NULL);
	mk("runtime/alpha/upper/addons", NULL);
	mk("runtime/alpha/upper/addons/bans.txt", "STEAM_1:0:42\n");
	mk("runtime/alpha/upper/top.log", "hello\n");
	p = xasprintf("%s/runtime/alpha/upper/passwd", state);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	free(p);
	p = xasprintf("%s/runtime/alpha/upper/addons/pipe", state);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	free(p);
	p = xasprintf("%s/runtime/alpha/upper/linkdir", state);
	ck_assert_int_eq(symlink("/etc", p), 0);
	free(p);
}

static void teardown(void)
{
	tu_rmtree(state);
	free(state);
}

/* Every entry's name, "NAME TYPE SIZE CONTENT;" concatenated. */
static char *entries(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *all = xstrdup(""), buf[256];

	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		ssize_t n = archive_read_data(a, buf, sizeof(buf) - 1);
		char *next;

		buf[n > 0 ? n : 0] = '\0';
		next = xasprintf("%s%s %o %lld %s;", all, archive_entry_pathname(e),
				 (unsigned)archive_entry_filetype(e),
				 (long long)archive_entry_size(e), buf);
		free(all);
		all = next;
	}
	archive_read_free(a);
	return all;
}

START_TEST(export_files_only)
{
	char *out = xasprintf("%s/out.tar.zst", state), err[512], *all;
	struct backup_stats st;
	struct stat sb;

	ck_assert_int_eq(backup_export_server(state, "alpha", out, 1 << 20, &st, err, sizeof(err)),
			 0);
	ck_assert_int_eq(stat(out, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0640);
	all = entries(out);
	ck_assert_msg(strstr(all, "alpha/addons/bans.txt 100000 13 STEAM_1:0:42\n;"), "%s", all);
	ck_assert_msg(strstr(all, "alpha/top.log 100000 6 hello\n;"), "%s", all);
	ck_assert_msg(!strstr(all, "passwd") && !strstr(all, "root:"), "symlink stored: %s", all);
	ck_assert_msg(!strstr(all, "pipe") && !strstr(all, "linkdir"), "%s", all);
	ck_assert_int_eq(st.files, 2);
	ck_assert_int_eq(st.bytes, 19);
	ck_assert_int_eq(st.unreadable, 3); /* two symlinks and the FIFO */
	free(all);
	free(out);
}
END_TEST

START_TEST(export_cap_names_key)
{
	char *out = xasprintf("%s/out.tar.zst", state), err[512];
	struct backup_stats st;

	ck_assert_int_eq(backup_export_server(state, "alpha", out, 10, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "backup.export_max_bytes"), "%s", err);
	ck_assert_int_eq(access(out, F_OK), -1); /* nothing left behind */
	free(out);
}
END_TEST

START_TEST(export_symlinked_runtime_refused)
{
	char *out = xasprintf("%s/out.tar.zst", state), err[512], *p;
	struct backup_stats st;

	p = xasprintf("%s/runtime/beta", state);
	ck_assert_int_eq(symlink("alpha", p), 0);
	ck_assert_int_eq(backup_export_server(state, "beta", out, 1 << 20, &st, err, sizeof(err)),
			 -1);
	free(p);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup_export");
	TCase *tc = tcase_create("export");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, export_files_only);
	tcase_add_test(tc, export_cap_names_key);
	tcase_add_test(tc, export_symlinked_runtime_refused);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
