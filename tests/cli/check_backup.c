/* left4mectl backup: create, list, check and restore through the real
 * binary, and every way a restore must refuse (a tampered file, a newer
 * schema, names that leave the state dir, hard links, devices, a busy DB,
 * a non-empty state) with the target left exactly as it was. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "backup_dir.h"
#include "db_schema.h"
#include "strbuf.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir, *ctl, *cfg1, *cfg2, *s1, *s2, *out;

/* DIR/name */
static char *path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void mkdirs(const char *rel)
{
	char *p = xasprintf("%s/%s", s1, rel);

	for (char *q = p + strlen(s1) + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			mkdir(p, 0755);
			*q = '/';
		}
	mkdir(p, 0755);
	free(p);
}

static void put(const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", s1, rel);

	tu_write_file(p, text);
	free(p);
}

static void run(struct tu_run *r, const char *cfg, const char *const *args)
{
	const char *argv[16];
	int n = 0;

	argv[n++] = ctl;
	if (cfg) {
		argv[n++] = "-c";
		argv[n++] = cfg;
	}
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	tu_run(r, (char *const *)argv, NULL, NULL);
}

#define RUN(r, cfg, ...) run(r, cfg, (const char *const[]){__VA_ARGS__, NULL})

static void ok(const char *cfg, const char *const *args)
{
	struct tu_run r;

	run(&r, cfg, args);
	ck_assert_msg(r.status == 0, "%s %s: %d %s", args[0], args[1], r.status, r.err);
	tu_run_fini(&r);
}

#define OK(cfg, ...) ok(cfg, (const char *const[]){__VA_ARGS__, NULL})

/* A state with a user, an overlay (a file, a symlink, a FIFO), an
 * instance and a server's upper/ data. */
static void setup(void)
{
	struct tu_run r;
	char *text;

	dir = tu_mkdtemp();
	ctl = tu_build_path("left4mectl/left4mectl");
	s1 = path("s1");
	s2 = path("s2");
	out = path("out");
	cfg1 = path("c1.yaml");
	cfg2 = path("c2.yaml");
	mkdir(s1, 0755);
	mkdir(s2, 0755);
	text = xasprintf("state_dir: %s\nbackup:\n  dir: %s\n  retention: 2\n", s1, out);
	tu_write_file(cfg1, text);
	free(text);
	text = xasprintf("state_dir: %s\n", s2);
	tu_write_file(cfg2, text);
	free(text);
	OK(cfg1, "db", "migrate");
	OK(cfg2, "db", "migrate");
	tu_run(&r, (char *const[]){ctl, "-c", cfg1, "user", "add", "bob", "--password-stdin", NULL},
	       "a-long-password\n", NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_fini(&r);
	mkdirs("overlays/7/left4dead2/cfg");
	put("overlays/7/left4dead2/cfg/server.cfg", "hostname \"restored\"\n");
	text = xasprintf("%s/overlays/7/left4dead2/link", s1);
	ck_assert_int_eq(symlink("cfg/server.cfg", text), 0);
	free(text);
	text = xasprintf("%s/overlays/7/fifo", s1);
	ck_assert_int_eq(mkfifo(text, 0600), 0);
	free(text);
	mkdirs("instances/alpha");
	put("instances/alpha/instance.env", "L4M_PORT=27015\n");
	mkdirs("runtime/alpha/upper/left4dead2");
	mkdirs("runtime/alpha/work");
	put("runtime/alpha/upper/left4dead2/banned_user.cfg", "banid 0 STEAM_1:0:1\n");
	put("runtime/alpha/work/scratch", "not backed up\n");
	mkdirs("installation/left4dead2");
	put("installation/left4dead2/pak01.vpk", "downloadable\n");
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(ctl);
	free(s1);
	free(s2);
	free(out);
	free(cfg1);
	free(cfg2);
}

static char *create(void)
{
	char *file = path("b.tar.zst");

	OK(cfg1, "backup", "create", "--output", file);
	return file;
}

static char *slurp2(const char *rel)
{
	char *p = xasprintf("%s/%s", s2, rel);
	char *t = tu_read_file(p);

	free(p);
	return t;
}

static struct strbuf list_buf;

static int list_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	strbuf_printf(&list_buf, "%s %c %lld\n", p + strlen(s2),
		      S_ISDIR(st->st_mode)   ? 'd'
		      : S_ISLNK(st->st_mode) ? 'l'
		      : S_ISREG(st->st_mode) ? 'f'
					     : '?',
		      (long long)st->st_size);
	return 0;
}

/* A listing of s2 (names, types, sizes): what a refused restore must not
 * change. */
static char *listing(void)
{
	char *s;

	strbuf_init(&list_buf);
	ck_assert_int_eq(nftw(s2, list_one, 16, FTW_PHYS), 0);
	s = strbuf_detach(&list_buf);
	strbuf_fini(&list_buf);
	return s;
}

/* As root: an overlayfs whiteout in upper/ (a 0:0 character device: "a
 * lower file was deleted") must come back, and everything restored
 * belongs to the state dir's owner.  Not root: say so, the rest runs. */
static bool root_setup(void)
{
	char *p;

	if (geteuid() != 0) {
		fprintf(stderr, "check_backup: not root: whiteouts and ownership are not tested\n");
		return false;
	}
	p = xasprintf("%s/runtime/alpha/upper/left4dead2/deleted.vpk", s1);
	ck_assert_int_eq(mknod(p, S_IFCHR | 0000, makedev(0, 0)), 0);
	free(p);
	ck_assert_int_eq(chown(s2, 65534, 65534), 0);
	return true;
}

static void root_check(void)
{
	char *p = xasprintf("%s/runtime/alpha/upper/left4dead2/deleted.vpk", s2);
	struct stat st;

	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	free(p);
	p = xasprintf("%s/overlays/7/left4dead2/cfg/server.cfg", s2);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_uint_eq(st.st_gid, 65534);
	free(p);
	p = xasprintf("%s/left4me.db", s2);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_uint_eq(st.st_uid, 65534);
	free(p);
}

/* One audit row of action naming file, in state's DB. */
static void audited(const char *state, const char *action, const char *file)
{
	char *db_path = xasprintf("%s/left4me.db", state), *q;
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	q = xasprintf("SELECT count(*) FROM audit_log WHERE actor = 'cli' AND action = '%s' "
		      "AND detail = 'file=%s'",
		      action, file);
	ck_assert_int_eq(tu_db_int(db, q), 1);
	sqlite3_close(db);
	free(q);
	free(db_path);
}

START_TEST(test_roundtrip)
{
	bool root = root_setup();
	char *file = create(), *t, *link;
	struct tu_run r;
	struct stat st;
	char buf[64];
	ssize_t n;

	RUN(&r, NULL, "backup", "check", file);
	ck_assert_msg(r.status == 0, "%s", r.err);
	{
		char want[32];

		snprintf(want, sizeof(want), "schema %d; 1 users", DB_SCHEMA_VERSION);
		ck_assert_msg(strstr(r.out, want), "%s", r.out);
	}
	tu_run_fini(&r);
	RUN(&r, cfg2, "backup", "restore", file);
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_fini(&r);
	t = slurp2("overlays/7/left4dead2/cfg/server.cfg");
	ck_assert_str_eq(t, "hostname \"restored\"\n");
	free(t);
	t = slurp2("runtime/alpha/upper/left4dead2/banned_user.cfg");
	ck_assert_str_eq(t, "banid 0 STEAM_1:0:1\n");
	free(t);
	t = slurp2("instances/alpha/instance.env");
	ck_assert_str_eq(t, "L4M_PORT=27015\n");
	free(t);
	link = xasprintf("%s/overlays/7/left4dead2/link", s2);
	n = readlink(link, buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 14);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "cfg/server.cfg");
	free(link);
	/* Left out: what can be downloaded again, work/, the FIFO. */
	ck_assert_ptr_null(slurp2("installation/left4dead2/pak01.vpk"));
	ck_assert_ptr_null(slurp2("runtime/alpha/work/scratch"));
	t = xasprintf("%s/overlays/7/fifo", s2);
	ck_assert_int_eq(lstat(t, &st), -1);
	free(t);
	t = xasprintf("%s/left4me.db", s2);
	ck_assert_int_eq(stat(t, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	free(t);
	if (root)
		root_check();
	audited(s1, "backup_create", file);
	audited(s2, "backup_restore", file);
	RUN(&r, cfg2, "user", "list");
	ck_assert_msg(strstr(r.out, "bob"), "%s", r.out);
	tu_run_fini(&r);
	free(file);
}
END_TEST

START_TEST(test_nonempty_needs_force)
{
	char *file = create(), *before, *t;
	struct tu_run r;

	OK(cfg2, "backup", "restore", file);
	before = listing();
	RUN(&r, cfg2, "backup", "restore", file);
	ck_assert_int_eq(r.status, EX_DATAERR);
	ck_assert_msg(strstr(r.err, "the state is not empty (overlays/ is not empty); restore "
				    "with --force"),
		      "%s", r.err);
	tu_run_fini(&r);
	t = listing();
	ck_assert_str_eq(t, before);
	free(t);
	/* --force: the old state moves aside, nothing is deleted. */
	RUN(&r, cfg2, "backup", "restore", "--force", file);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "the replaced state is in "), "%s", r.out);
	tu_run_fini(&r);
	t = listing();
	ck_assert_msg(strstr(t, "\n/overlays/7/left4dead2/cfg/server.cfg f 20"), "%s", t);
	ck_assert_msg(strstr(t, "Z/overlays/7/left4dead2/cfg/server.cfg f 20"), "old copy: %s", t);
	ck_assert_msg(strstr(t, "Z/left4me.db f "), "old DB kept: %s", t);
	free(t);
	free(before);
	free(file);
}
END_TEST

START_TEST(test_busy_db_refused)
{
	char *file = create(), *db = xasprintf("%s/left4me.db", s2), *before, *after;
	struct tu_run r;
	int pipefd[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) { /* a "daemon" with the DB open */
		int fd = open(db, O_RDONLY);

		(void)!write(pipefd[1], fd >= 0 ? "y" : "n", 1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	before = listing();
	RUN(&r, cfg2, "backup", "restore", "--force", file);
	ck_assert_int_eq(r.status, EX_DATAERR);
	ck_assert_msg(strstr(r.err, "has the database open: stop the daemons first"), "%s", r.err);
	tu_run_fini(&r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	after = listing();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	free(db);
	free(file);
}
END_TEST

/* ---- hand-made archives ------------------------------------------------------- */

struct ent {
	const char *name;
	unsigned type;
	const char *data; /* file: contents; symlink: target */
	const char *hardlink;
	unsigned rdev_major;
};

static void write_archive(const char *file, const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();

	ck_assert_int_eq(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_filename(a, file), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = ents[i].type == AE_IFREG && ents[i].data ? strlen(ents[i].data) : 0;

		archive_entry_set_pathname(e, ents[i].name);
		archive_entry_set_filetype(e, ents[i].type);
		archive_entry_set_perm(e, ents[i].type == AE_IFDIR ? 0755 : 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		if (ents[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, ents[i].data);
		if (ents[i].hardlink)
			archive_entry_set_hardlink(e, ents[i].hardlink);
		if (ents[i].type == AE_IFCHR)
			archive_entry_set_rdev(e, makedev(ents[i].rdev_major, 0));
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		if (len)
			ck_assert_int_eq(archive_write_data(a, ents[i].data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* Copy the backup file to bad with victim's bytes replaced by data (the
 * manifest kept), or, when victim is the manifest, the manifest replaced. */
static void rewrite(const char *file, const char *bad, const char *victim, const char *data)
{
	struct archive *in = archive_read_new(), *o = archive_write_new();
	struct archive_entry *e;
	char buf[65536];
	la_ssize_t n;

	archive_read_support_filter_all(in);
	archive_read_support_format_all(in);
	ck_assert_int_eq(archive_read_open_filename(in, file, 65536), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_add_filter_zstd(o), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_set_format_pax_restricted(o), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_filename(o, bad), ARCHIVE_OK);
	while (archive_read_next_header(in, &e) == ARCHIVE_OK) {
		bool hit = strcmp(archive_entry_pathname(e), victim) == 0;

		if (hit)
			archive_entry_set_size(e, (la_int64_t)strlen(data));
		ck_assert_int_eq(archive_write_header(o, e), ARCHIVE_OK);
		if (hit) {
			ck_assert_int_eq(archive_write_data(o, data, strlen(data)),
					 (la_ssize_t)strlen(data));
			continue;
		}
		while ((n = archive_read_data(in, buf, sizeof(buf))) > 0)
			ck_assert_int_eq(archive_write_data(o, buf, (size_t)n), n);
	}
	ck_assert_int_eq(archive_write_close(o), ARCHIVE_OK);
	archive_write_free(o);
	archive_read_free(in);
}

/* The manifest of a real backup. */
static char *manifest_of(const char *file)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *m = NULL;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, file, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK)
		if (strcmp(archive_entry_pathname(e), BACKUP_MANIFEST) == 0) {
			size_t len = (size_t)archive_entry_size(e);

			m = xcalloc(1, len + 1);
			ck_assert_int_eq(archive_read_data(a, m, len), (la_ssize_t)len);
		}
	archive_read_free(a);
	ck_assert_ptr_nonnull(m);
	return m;
}

static void refused(const char *file, const char *expect)
{
	char *before = listing(), *after;
	struct tu_run r;

	RUN(&r, cfg2, "backup", "restore", "--force", file);
	ck_assert_msg(r.status == EX_DATAERR, "%s: %d %s", expect, r.status, r.err);
	ck_assert_msg(strstr(r.err, expect), "want '%s', got: %s", expect, r.err);
	tu_run_fini(&r);
	after = listing();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
}

START_TEST(test_tampered_and_newer)
{
	char *file = create(), *m = manifest_of(file), *bad = path("bad.tar.zst");
	char *newer, *p;

	/* One file's bytes changed, the manifest kept. */
	rewrite(file, bad, "overlays/7/left4dead2/cfg/server.cfg", "hostname \"evil\"\n");
	refused(bad,
		"overlays/7/left4dead2/cfg/server.cfg: size or sha256 differs from the manifest");
	/* A manifest from a newer left4me. */
	p = strstr(m, "\"schema_version\":");
	ck_assert_ptr_nonnull(p);
	newer = xasprintf("%.*s\"schema_version\":999%s", (int)(p - m), m, strchr(p + 17, ','));
	rewrite(file, bad, BACKUP_MANIFEST, newer);
	refused(bad, "the backup's database is at schema 999, this left4me knows up to");
	/* Not a backup at all, and one cut short. */
	write_archive(bad, (struct ent[]){{"overlays", AE_IFDIR}}, 1);
	refused(bad, "no MANIFEST.json: not a left4me backup, or cut short");
	tu_write_file(bad, "not an archive");
	refused(bad, "bad.tar.zst: ");
	free(newer);
	free(m);
	free(bad);
	free(file);
}
END_TEST

START_TEST(test_hostile_entries)
{
	char *bad = path("bad.tar.zst");
	static const struct {
		struct ent e;
		const char *expect;
	} cases[] = {
	    {{"../escape", AE_IFREG, "x"}, "../escape: \".\" or \"..\" component"},
	    {{"overlays/7/../../../etc/x", AE_IFREG, "x"}, "\".\" or \"..\" component"},
	    {{"/etc/cron.d/x", AE_IFREG, "x"}, "/etc/cron.d/x: absolute name"},
	    {{"etc/passwd", AE_IFREG, "x"}, "etc/passwd: not part of a left4me backup"},
	    {{"installation/srcds_run", AE_IFREG, "x"}, "not part of a left4me backup"},
	    {{"runtime/alpha/work/x", AE_IFREG, "x"}, "only upper/ of a server's runtime dir"},
	    {{"instances/alpha/instance.env", AE_IFLNK, "/etc/shadow"},
	     "only files and directories in instances/"},
	    {{"left4me.db", AE_IFLNK, "/etc/shadow"}, "left4me.db: must be a regular file"},
	    {{"overlays/7/x", AE_IFREG, NULL, "etc/shadow"}, "hard links are not part of a backup"},
	    {{"runtime/a/upper/dev", AE_IFCHR, NULL, NULL, 8},
	     "a character device that is not an overlayfs whiteout"},
	    {{"overlays/7/dev", AE_IFCHR}, "only files, directories and symlinks in overlays/"},
	    {{"overlays//x", AE_IFREG, "x"}, "empty component"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_archive(bad, &cases[i].e, 1);
		refused(bad, cases[i].expect);
	}
	free(bad);
}
END_TEST

START_TEST(test_retention)
{
	static const char *const old[] = {"left4me-20200101T000000Z.tar.zst",
					  "left4me-20210101T000000Z.tar.zst",
					  "left4me-20220101T000000Z.tar.zst"};
	struct tu_run r;
	char *p;

	mkdir(out, 0700);
	for (size_t i = 0; i < 3; i++) {
		p = xasprintf("%s/%s", out, old[i]);
		tu_write_file(p, "x");
		free(p);
	}
	p = xasprintf("%s/keep-me.tar.zst", out);
	tu_write_file(p, "not ours");
	free(p);
	RUN(&r, cfg1, "backup", "create");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "removed ") && strstr(r.out, "(backup.retention: 2)"), "%s",
		      r.out);
	tu_run_fini(&r);
	RUN(&r, cfg1, "backup", "list");
	/* The newest old one and the new one; never a name it did not write. */
	ck_assert_msg(strstr(r.out, old[2]) && !strstr(r.out, old[1]) && !strstr(r.out, old[0]),
		      "%s", r.out);
	tu_run_fini(&r);
	p = xasprintf("%s/keep-me.tar.zst", out);
	ck_assert_int_eq(access(p, F_OK), 0);
	free(p);
}
END_TEST

/* Backups made within the same second do not collide: with the names of
 * this second and the next four taken, a create still succeeds, under a
 * later name, and replaces none of them. */
START_TEST(test_same_second)
{
	char names[5][BACKUP_NAME_MAX], when[24], made[BACKUP_NAME_MAX] = "", path[512];
	time_t now = time(NULL);
	struct tu_run r;
	const char *w;
	char *p;

	mkdir(out, 0700);
	for (int i = 0; i < 5; i++) {
		time_t t = now + i;

		strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", gmtime(&t));
		snprintf(names[i], sizeof(names[i]), "left4me-%s.tar.zst", when);
		p = xasprintf("%s/%s", out, names[i]);
		tu_write_file(p, "taken");
		free(p);
	}
	RUN(&r, cfg1, "backup", "create");
	ck_assert_msg(r.status == 0, "a backup in a taken second failed: %s", r.err);
	w = strstr(r.out, "wrote ");
	ck_assert_msg(w && sscanf(w + 6, "%511[^ :\n]", path) == 1 && strrchr(path, '/'), "%s",
		      r.out);
	snprintf(made, sizeof(made), "%s", strrchr(path, '/') + 1);
	tu_run_fini(&r);
	for (int i = 0; i < 5; i++)
		ck_assert_msg(strcmp(made, names[i]) != 0, "wrote over %s", names[i]);
	ck_assert_msg(strcmp(made, names[4]) > 0, "%s is not after the taken names", made);
	/* backup.retention (2) may remove the oldest taken names; what is
	 * left of them is untouched. */
	for (int i = 0; i < 5; i++) {
		char *t;

		p = xasprintf("%s/%s", out, names[i]);
		if (access(p, F_OK) == 0) {
			t = tu_read_file(p);
			ck_assert_str_eq(t, "taken");
			free(t);
		}
		free(p);
	}
	p = xasprintf("%s/%s", out, made);
	ck_assert_msg(access(p, F_OK) == 0, "no %s", p);
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup");
	TCase *t = tcase_create("backup");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_roundtrip);
	tcase_add_test(t, test_nonempty_needs_force);
	tcase_add_test(t, test_busy_db_refused);
	tcase_add_test(t, test_tampered_and_newer);
	tcase_add_test(t, test_hostile_entries);
	tcase_add_test(t, test_retention);
	tcase_add_test(t, test_same_second);
	suite_add_tcase(s, t);
	return tu_main(s);
}
