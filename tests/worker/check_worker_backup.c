/* The worker's backup and export jobs (issue 16), the real binary with
 * --once: a backup into backup.dir with its info file, a backup's copy
 * and a server's upper/ into exports/ (0640, what the web streams), an
 * unknown server refused, and exports past backup.export_ttl removed. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "backup_dir.h"
#include "db.h"
#include "db_job.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir, *state, *cfg;
static sqlite3 *db;

static void setup(void)
{
	char *p, *yaml;

	dir = tu_mkdtemp();
	state = xasprintf("%s/state", dir);
	ck_assert_int_eq(mkdir(state, 0755), 0);
	cfg = xasprintf("%s/left4me.yaml", dir);
	yaml = xasprintf("state_dir: %s\nworker:\n  helper_dir: %s\n  sudo: false\n"
			 "backup:\n  dir: %s/backups\n  export_ttl: 60\n",
			 state, dir, dir);
	tu_write_file(cfg, yaml);
	free(yaml);
	db = tu_db_new(state);
	tu_db_exec(db, "INSERT INTO users (id, name, password_hash, created_at, updated_at) "
		       "VALUES (1, 'alice', '$y$x', 0, 0);"
		       "INSERT INTO blueprints (id, user_id, name, config, created_at, updated_at) "
		       "VALUES (1, 1, 'bp', '', 0, 0);"
		       "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		       "updated_at) VALUES ('alpha', 1, 1, 27015, 0, 0)");
	for (const char *const *d =
		 (const char *const[]){"runtime", "runtime/alpha", "runtime/alpha/upper",
				       "runtime/alpha/upper/left4dead2", NULL};
	     *d; d++) {
		p = xasprintf("%s/%s", state, *d);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		free(p);
	}
	p = xasprintf("%s/runtime/alpha/upper/left4dead2/banned_user.cfg", state);
	tu_write_file(p, "banid 0 STEAM_1:0:42\n");
	free(p);
}

static void teardown(void)
{
	sqlite3_close(db);
	tu_rmtree(dir);
	free(dir);
	free(state);
	free(cfg);
}

static int64_t enqueue(enum job_kind kind, const char *target)
{
	struct job_request req = {.kind = kind, .target = target, .user_id = 1};
	int64_t id;

	ck_assert_int_eq(db_job_enqueue(db, &req, &id, NULL), DB_OK);
	return id;
}

static void run_once(void)
{
	char *w = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {w, (char *)"-c", cfg, (char *)"--allow-root", (char *)"--once", NULL};
	struct tu_run r;

	tu_run(&r, argv, NULL, NULL);
	ck_assert_msg(r.status == 0, "worker: %s", r.err);
	tu_run_fini(&r);
	free(w);
}

static void assert_job(int64_t id, const char *state_want, const char *reason_part)
{
	char *q = xasprintf("SELECT count(*) FROM jobs WHERE id = %lld AND state = '%s' AND "
			    "instr(coalesce(reason, ''), '%s') > 0",
			    (long long)id, state_want, reason_part);

	ck_assert_msg(tu_db_int(db, q) == 1, "job %lld: not %s with '%s'", (long long)id,
		      state_want, reason_part);
	free(q);
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	ck_assert_msg(stat(p, &st) == 0, "%s missing", p);
	return st.st_mode & 07777;
}

START_TEST(backup_then_exports)
{
	char *bdir = xasprintf("%s/backups", dir), *p, *q, *a, *b;
	struct backup_stats st;
	struct backup_info info;
	char err[512];
	size_t n;
	char **names;
	int64_t id;

	id = enqueue(JOB_BACKUP, NULL);
	run_once();
	assert_job(id, "succeeded", "backup written");
	names = backup_names(bdir, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(mode_of(bdir), 0750);
	p = xasprintf("%s/%s", bdir, names[0]);
	ck_assert_int_eq(mode_of(p), 0600);
	ck_assert_int_eq(backup_check(p, &st, err, sizeof(err)), 0);
	ck_assert_int_eq(st.servers, 1);
	ck_assert_int_eq(backup_info_read(bdir, names[0], &info), 0);
	ck_assert_int_eq(info.schema_version, st.schema_version);

	/* a copy of it for download */
	id = enqueue(JOB_EXPORT_BACKUP, names[0]);
	run_once();
	assert_job(id, "succeeded", "ready to download");
	q = xasprintf("%s/exports/%lld.tar.zst", state, (long long)id);
	ck_assert_int_eq(mode_of(q), 0640);
	a = tu_read_file(p);
	b = tu_read_file(q);
	ck_assert(strcmp(a, b) == 0 && strlen(a) > 0);
	free(a);
	free(b);
	free(q);

	/* alpha's upper/ */
	id = enqueue(JOB_EXPORT_SERVER, "alpha");
	run_once();
	assert_job(id, "succeeded", "ready to download");
	q = xasprintf("%s/exports/%lld.tar.zst", state, (long long)id);
	ck_assert_int_eq(mode_of(q), 0640);
	/* past backup.export_ttl it goes at the next job */
	{
		struct timespec old[2] = {{1, 0}, {1, 0}};

		ck_assert_int_eq(utimensat(AT_FDCWD, q, old, 0), 0);
	}
	id = enqueue(JOB_EXPORT_SERVER, "nosuch");
	run_once();
	assert_job(id, "failed", "no such server");
	ck_assert_int_eq(access(q, F_OK), -1);
	free(q);
	free(p);
	backup_names_free(names, n);
	free(bdir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker_backup");
	TCase *tc = tcase_create("backup");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, backup_then_exports);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
