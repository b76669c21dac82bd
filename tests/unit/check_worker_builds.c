/* left4me-worker/builds.c: the copy of a build (every byte, mode, mtime
 * and symlink; never following a link), publishing (rename + current),
 * and garbage collection (never current, the newest or a build an
 * instance.env names). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../left4me-worker/builds.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir, *state;

static void mk(const char *rel)
{
	char *p = xasprintf("%s/%s", state, rel);

	for (char *s = p + strlen(state) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	ck_assert(mkdir(p, 0755) == 0 || errno == EEXIST);
	free(p);
}

static void put(const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", state, rel);

	tu_write_file(p, text);
	free(p);
}

static bool there(const char *rel)
{
	char *p = xasprintf("%s/%s", state, rel);
	struct stat st;
	bool ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

static void setup(void)
{
	dir = tu_mkdtemp();
	state = xasprintf("%s/state", dir);
	mkdir(state, 0755);
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(state);
}

static void noop(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

START_TEST(ids)
{
	int64_t id = 0;

	ck_assert(builds_id_ok("1", &id) && id == 1);
	ck_assert(builds_id_ok("4294967295", &id) && id == 4294967295LL);
	ck_assert(!builds_id_ok("0", NULL));
	ck_assert(!builds_id_ok("01", NULL));
	ck_assert(!builds_id_ok("", NULL));
	ck_assert(!builds_id_ok("12345678901", NULL));
	ck_assert(!builds_id_ok("1a", NULL));
	ck_assert(!builds_id_ok("-1", NULL));
	ck_assert(!builds_id_ok("staging", NULL));
}
END_TEST

START_TEST(clone_tree)
{
	char *src = xasprintf("%s/src", state), *dst = xasprintf("%s/dst", state), err[256], *p, *t,
	     buf[64];
	struct clone_stats st;
	struct stat a, b;
	ssize_t n;

	mk("src/bin/linux64");
	put("src/srcds_run", "#!/bin/sh\n");
	put("src/bin/linux64/steamclient.so", "ELF");
	put("src/empty", "");
	p = xasprintf("%s/src/srcds_run", state);
	ck_assert(chmod(p, 0751) == 0);
	free(p);
	p = xasprintf("%s/src/link", state);
	ck_assert(symlink("/etc/passwd", p) == 0);
	free(p);
	p = xasprintf("%s/src/bin", state);
	ck_assert(chmod(p, 0700) == 0);
	free(p);
	ck_assert_int_eq(builds_clone(src, dst, &st, err, sizeof(err)), 0);
	ck_assert_int_eq(st.files, 3);
	ck_assert_int_eq(st.links, 1);
	ck_assert_int_eq(st.dirs, 3);
	ck_assert_int_eq(st.bytes, 13);
	ck_assert_int_eq(st.reflinked + st.copied, 13);
	p = xasprintf("%s/dst/bin/linux64/steamclient.so", state);
	t = tu_read_file(p);
	ck_assert_str_eq(t, "ELF");
	free(t);
	free(p);
	p = xasprintf("%s/src/srcds_run", state);
	ck_assert(stat(p, &a) == 0);
	free(p);
	p = xasprintf("%s/dst/srcds_run", state);
	ck_assert(stat(p, &b) == 0);
	free(p);
	ck_assert_int_eq(b.st_mode & 07777, 0751);
	ck_assert(a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
	ck_assert(a.st_ino != b.st_ino); /* a copy, never a hard link into a build */
	p = xasprintf("%s/dst/bin", state);
	ck_assert(stat(p, &b) == 0 && (b.st_mode & 07777) == 0700);
	free(p);
	p = xasprintf("%s/dst/link", state);
	n = readlink(p, buf, sizeof(buf) - 1);
	ck_assert(n > 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "/etc/passwd"); /* copied as a link, not followed */
	free(p);
	/* the destination must not exist */
	ck_assert_int_eq(builds_clone(src, dst, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "File exists") != NULL, "%s", err);
	/* a source that is a symlink is refused */
	p = xasprintf("%s/srclink", state);
	ck_assert(symlink(src, p) == 0);
	t = xasprintf("%s/dst2", state);
	ck_assert_int_eq(builds_clone(p, t, &st, err, sizeof(err)), -1);
	free(t);
	free(p);
	free(src);
	free(dst);
}
END_TEST

static void instance_on(const char *name, const char *build)
{
	char *rel = xasprintf("instances/%s", name), *env, *text;

	mk(rel);
	env = xasprintf("%s/instance.env", rel);
	text = xasprintf("L4D2_LOWERDIRS=\"%s/installation/builds/%s\"\nL4D2_PORT=27015\n"
			 "L4D2_MAP=c1m1_hotel\nL4D2_MAXPLAYERS=8\n",
			 state, build);
	put(env, text);
	free(text);
	free(env);
	free(rel);
}

START_TEST(publish_and_gc)
{
	char err[256];
	bool existed;
	int64_t id = 0;

	ck_assert_int_eq(builds_current(state, &id, err, sizeof(err)), 0);
	for (int b = 100; b <= 103; b++) {
		mk("installation/staging/left4dead2");
		ck_assert_int_eq(builds_publish(state, b, &existed, err, sizeof(err)), 0);
		ck_assert(!existed);
		ck_assert(!there("installation/staging"));
		ck_assert_int_eq(builds_current(state, &id, err, sizeof(err)), 1);
		ck_assert_int_eq(id, b);
	}
	/* a build already published is not replaced: the staging tree goes */
	mk("installation/staging/new");
	ck_assert_int_eq(builds_publish(state, 102, &existed, err, sizeof(err)), 0);
	ck_assert(existed);
	ck_assert(!there("installation/staging"));
	ck_assert(!there("installation/builds/102/new"));
	ck_assert_int_eq(builds_current(state, &id, err, sizeof(err)), 1);
	ck_assert_int_eq(id, 102);
	/* alpha runs 100; current is 102; 103 is the newest: 101 goes */
	instance_on("alpha", "100");
	mk("installation/builds/not-a-build");
	ck_assert_int_eq(builds_gc(state, noop, NULL, err, sizeof(err)), 0);
	ck_assert(there("installation/builds/100"));
	ck_assert(!there("installation/builds/101"));
	ck_assert(there("installation/builds/102"));
	ck_assert(there("installation/builds/103"));
	ck_assert(there("installation/builds/not-a-build"));
	ck_assert_int_eq(builds_of_instance(state, "alpha", &id, err, sizeof(err)), 1);
	ck_assert_int_eq(id, 100);
	/* alpha moves on: 100 goes */
	instance_on("alpha", "103");
	ck_assert_int_eq(builds_gc(state, noop, NULL, err, sizeof(err)), 0);
	ck_assert(!there("installation/builds/100"));
	ck_assert(there("installation/builds/102"));
	/* an unreadable instance.env stops the collection: it removes nothing */
	instance_on("beta", "102");
	put("instances/beta/instance.env", "garbage\n");
	mk("installation/builds/99");
	ck_assert_int_eq(builds_gc(state, noop, NULL, err, sizeof(err)), -1);
	ck_assert(there("installation/builds/99"));
	/* an old-layout lowerdir names no build */
	ck_assert_int_eq(builds_of_lowerdir(state, "/x/installation/builds/5"), 0);
	ck_assert_int_eq(builds_of_lowerdir(state, state), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker_builds");
	TCase *tc = tcase_create("builds");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ids);
	tcase_add_test(tc, clone_tree);
	tcase_add_test(tc, publish_and_gc);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
