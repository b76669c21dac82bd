/* left4me-worker/steamcmd.c: SteamCMD progress and result lines (table),
 * and the steamclient.so links (created, kept, repaired, the order of the
 * candidate dirs, fallback). */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../left4me-worker/steamcmd.h"
#include "testutil.h"
#include "xalloc.h"

static const struct {
	const char *line;
	bool ok;
	double percent;
	long long done, total;
	const char *label;
} progress_cases[] = {
    {" Update state (0x61) downloading, progress: 2.73 (465905134 / 17058703111)", true, 2.73,
     465905134, 17058703111LL, "downloading"},
    {"Update state (0x5) verifying install, progress: 100.00 (17058703111 / 17058703111)", true,
     100, 17058703111LL, 17058703111LL, "verifying install"},
    {" Update state (0x3) reconfiguring, progress: 0.00 (0 / 0)", true, 0, 0, 0, "reconfiguring"},
    {"garbage before Update state (0x81) verifying update, progress: 45.5 (1 / 2)", true, 45.5, 1,
     2, "verifying update"},
    {"[ 71%] Downloading update (17,692 of 29,709 KB)...", true, 71, 0, 0, "steamcmd self-update"},
    {"[  0%] Downloading update (0 of 29,709 KB)...", true, 0, 0, 0, "steamcmd self-update"},
    {"progress: 12.5", true, 12.5, 0, 0, "updating"},
    {"progress: 12.5 (12 / x)", true, 12.5, 0, 0, "updating"},
    {"progress: abc (1 / 2)", false, 0, 0, 0, ""},
    {"progress: -1 (1 / 2)", false, 0, 0, 0, ""},
    {"progress: 99999999999999 (1 / 2)", false, 0, 0, 0, ""},
    {"Success! App '222860' fully installed.", false, 0, 0, 0, ""},
    {"", false, 0, 0, 0, ""},
    {"[ 71] Downloading update", false, 0, 0, 0, ""},
};

START_TEST(progress_lines)
{
	struct steam_progress p;
	bool ok = steamcmd_parse_progress(progress_cases[_i].line, &p);

	ck_assert_msg(ok == progress_cases[_i].ok, "%s", progress_cases[_i].line);
	if (!ok)
		return;
	ck_assert_double_eq_tol(p.percent, progress_cases[_i].percent, 0.001);
	ck_assert_int_eq(p.done, progress_cases[_i].done);
	ck_assert_int_eq(p.total, progress_cases[_i].total);
	ck_assert_str_eq(p.label, progress_cases[_i].label);
}
END_TEST

static const struct {
	const char *line;
	enum steam_result r;
	const char *msg;
} result_cases[] = {
    {"Success! App '222860' fully installed.", STEAM_RESULT_INSTALLED, NULL},
    {"junk Success! App '222860' already up to date.", STEAM_RESULT_UP_TO_DATE, NULL},
    {"Error! App '222860' state is 0x602 after update job.", STEAM_RESULT_ERROR,
     "Error! App '222860' state is 0x602 after update job."},
    {" Update state (0x61) ... ERROR! Failed to install app '222860' (Invalid platform)",
     STEAM_RESULT_ERROR, "ERROR! Failed to install app '222860' (Invalid platform)"},
    {"Success! App '550' fully installed.", STEAM_RESULT_NONE, NULL},
    {"Loading Steam API...OK", STEAM_RESULT_NONE, NULL},
};

START_TEST(result_lines)
{
	size_t off = 0;
	enum steam_result r = steamcmd_parse_result(result_cases[_i].line, &off);

	ck_assert_int_eq(r, result_cases[_i].r);
	if (result_cases[_i].msg)
		ck_assert_str_eq(result_cases[_i].line + off, result_cases[_i].msg);
}
END_TEST

static const struct {
	const char *msg;
	enum steam_error_class cls;
} class_cases[] = {
    {"Error! App '222860' state is 0x602 after update job.", STEAM_ERR_RETRY},
    {"Error! App '222860' state is 0x402 after update job.", STEAM_ERR_RETRY},
    {"Error! App '222860' state is 0x202 after update job.", STEAM_ERR_DISK},
    {"Error! App '222860' state is 0x212 after update job.", STEAM_ERR_DISK},
    {"Error! App '222860' state is 0X212 after update job.", STEAM_ERR_OTHER},
    {"Error! App '222860' state is 0x2120 after update job.", STEAM_ERR_OTHER},
    {"Error! App '222860' state is 0x6 after update job.", STEAM_ERR_OTHER},
    {"Error! App '222860' state is 0x after update job.", STEAM_ERR_OTHER},
    {"Error! App '222860' state is 0xffffffffffffffff602", STEAM_ERR_OTHER},
    {"ERROR! Failed to install app '222860' (Invalid platform)", STEAM_ERR_OTHER},
    {"ERROR! Failed to install app '222860' (Disk write failure)", STEAM_ERR_DISK},
    {"ERROR! Failed to install app '222860' (Timeout)", STEAM_ERR_RETRY},
    {"", STEAM_ERR_OTHER},
};

START_TEST(error_classes)
{
	ck_assert_msg(steamcmd_error_class(class_cases[_i].msg) == class_cases[_i].cls, "'%s'",
		      class_cases[_i].msg);
}
END_TEST

static const char manifest[] = "\"AppState\"\n{\n\t\"appid\"\t\t\"222860\"\n"
			       "\t\"StateFlags\"\t\t\"4\"\n\t\"UserConfig\"\n\t{\n"
			       "\t\t\"buildid\"\t\t\"1\"\n\t}\n"
			       "\t\"BuildID\"\t\t\"16001234\"\n}\n";

static const char app_info[] = "AppID : 222860, change number : 1/0, last change : x\n"
			       "\"222860\"\n{\n\t\"common\" { \"buildid\" \"7\" }\n"
			       "\t\"depots\"\n\t{\n\t\t\"branches\"\n\t\t{\n"
			       "\t\t\t\"beta\" { \"buildid\" \"999\" }\n"
			       "\t\t\t// a comment \"public\" { \"buildid\" \"1\" }\n"
			       "\t\t\t\"public\"\n\t\t\t{\n\t\t\t\t\"buildid\"\t\t\"17000000\"\n"
			       "\t\t\t}\n\t\t}\n\t}\n}\n";

START_TEST(vdf_lookup)
{
	static const char *const bid[] = {"AppState", "buildid"};
	static const char *const flags[] = {"appstate", "stateflags"};
	static const char *const pub[] = {"222860", "depots", "branches", "public", "buildid"};
	static const char *const none[] = {"222860", "depots", "branches", "alpha", "buildid"};
	static const char *const block[] = {"222860", "depots"};
	char out[32];

	/* case-insensitive keys; a nested same-named key does not count */
	ck_assert(steamcmd_vdf_get(manifest, bid, 2, out, sizeof(out)));
	ck_assert_str_eq(out, "16001234");
	ck_assert(steamcmd_vdf_get(manifest, flags, 2, out, sizeof(out)));
	ck_assert_str_eq(out, "4");
	/* after leading text; a sibling branch and a comment do not count */
	ck_assert(steamcmd_vdf_get(app_info, pub, 5, out, sizeof(out)));
	ck_assert_str_eq(out, "17000000");
	ck_assert(!steamcmd_vdf_get(app_info, none, 5, out, sizeof(out)));
	ck_assert(!steamcmd_vdf_get(app_info, block, 2, out, sizeof(out)));
	/* malformed: unbalanced, truncated, no root block, empty */
	ck_assert(!steamcmd_vdf_get("\"AppState\" { \"buildid\" ", bid, 2, out, sizeof(out)));
	ck_assert(
	    !steamcmd_vdf_get("\"AppState\" { { } \"buildid\" \"1\" }", bid, 2, out, sizeof(out)));
	ck_assert(!steamcmd_vdf_get("\"AppState\" \"buildid\" \"1\"", bid, 2, out, sizeof(out)));
	ck_assert(!steamcmd_vdf_get("", bid, 2, out, sizeof(out)));
	ck_assert(!steamcmd_vdf_get("\"AppState\" { }", bid, 2, out, sizeof(out)));
	/* a value longer than out is cut */
	ck_assert(steamcmd_vdf_get("\"AppState\" { \"buildid\" \"123456789\" }", bid, 2, out, 4));
	ck_assert_str_eq(out, "123");
}
END_TEST

static void say(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* The content of p when it is a regular 0644 file (not a symlink), else
 * NULL: the game unit sees ~/.steam only, so a link would dangle there. */
static char *copy_of(const char *p)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd = open(p, O_RDONLY | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0644) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

START_TEST(sdk_links)
{
	char *dir = tu_mkdtemp(), err[256], *p, *want, *got;
	char *steam = xasprintf("%s/steam", dir), *home = xasprintf("%s/home", dir);
	char *inst = xasprintf("%s/inst", dir), *cmd = xasprintf("%s/steamcmd.sh", steam);
	char *l32 = xasprintf("%s/.steam/sdk32/steamclient.so", home);
	char *l64 = xasprintf("%s/.steam/sdk64/steamclient.so", home);

	ck_assert(mkdir(steam, 0755) == 0 && mkdir(home, 0755) == 0 && mkdir(inst, 0755) == 0);
	tu_write_file(cmd, "");
	/* no source at all: sdk32 is required */
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no steamclient.so for sdk32") != NULL, "%s", err);
	/* install's bin/ as the fallback; sdk64 optional */
	p = xasprintf("%s/bin", inst);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/bin/steamclient.so", inst);
	tu_write_file(p, p);
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), 0);
	got = copy_of(l32);
	ck_assert_str_eq(got, p);
	free(got);
	free(p);
	ck_assert(copy_of(l64) == NULL);
	/* SteamCMD's linux32/ wins once it exists; a stray file is replaced */
	p = xasprintf("%s/linux32", steam);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	want = xasprintf("%s/linux32/steamclient.so", steam);
	tu_write_file(want, want);
	unlink(l32);
	tu_write_file(l32, "not a link");
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), 0);
	got = copy_of(l32);
	ck_assert_str_eq(got, want);
	free(got);
	/* an older version's symlink is replaced by a copy */
	unlink(l32);
	ck_assert(symlink(want, l32) == 0);
	ck_assert(copy_of(l32) == NULL);
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), 0);
	got = copy_of(l32);
	ck_assert_str_eq(got, want);
	free(got);
	/* idempotent */
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), 0);
	got = copy_of(l32);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	tu_rmtree(dir);
	free(dir);
	free(steam);
	free(home);
	free(inst);
	free(cmd);
	free(l32);
	free(l64);
}
END_TEST

/* Debian's /usr/games/steamcmd is a wrapper script: the real SteamCMD
 * (with linux32/ and linux64/) lands in ~/.steam/steamcmd/.  Candidates,
 * in order: beside steamcmd's real path, ~/.steam/steamcmd/, the install's
 * bin/. */
START_TEST(sdk_links_debian_wrapper)
{
	char *dir = tu_mkdtemp(), err[256], *got;
	char *games = xasprintf("%s/usr/games", dir), *home = xasprintf("%s/home", dir);
	char *inst = xasprintf("%s/inst", dir), *cmd = xasprintf("%s/steamcmd", games);
	char *l32 = xasprintf("%s/.steam/sdk32/steamclient.so", home);
	char *l64 = xasprintf("%s/.steam/sdk64/steamclient.so", home);
	char *h32 = xasprintf("%s/.steam/steamcmd/linux32/steamclient.so", home);
	char *h64 = xasprintf("%s/.steam/steamcmd/linux64/steamclient.so", home);
	char *b32 = xasprintf("%s/bin/steamclient.so", inst);
	char *w32 = xasprintf("%s/linux32/steamclient.so", games);
	char *p;

	p = xasprintf("%s/usr", dir);
	ck_assert(mkdir(p, 0755) == 0 && mkdir(games, 0755) == 0);
	free(p);
	p = xasprintf("%s/linux32", games);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	ck_assert(mkdir(home, 0755) == 0 && mkdir(inst, 0755) == 0);
	tu_write_file(cmd, "#!/bin/sh\nexec $HOME/.steam/steamcmd/steamcmd.sh \"$@\"\n");
	p = xasprintf("%s/bin", inst);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	tu_write_file(b32, b32);
	p = xasprintf("%s/.steam", home);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/.steam/steamcmd", home);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/.steam/steamcmd/linux32", home);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/.steam/steamcmd/linux64", home);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	tu_write_file(h32, h32);
	tu_write_file(h64, h64);
	/* ~/.steam/steamcmd/ wins over the install's bin/ */
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), 0);
	got = copy_of(l32);
	ck_assert_str_eq(got, h32);
	free(got);
	got = copy_of(l64);
	ck_assert_str_eq(got, h64);
	free(got);
	/* linux32/ beside steamcmd's real path wins over ~/.steam/steamcmd/ */
	tu_write_file(w32, w32);
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), 0);
	got = copy_of(l32);
	ck_assert_str_eq(got, w32);
	free(got);
	got = copy_of(l64);
	ck_assert_str_eq(got, h64);
	free(got);
	/* with neither SteamCMD dir: the install's bin/, and the error names all three */
	unlink(w32);
	unlink(h32);
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), 0);
	got = copy_of(l32);
	ck_assert_str_eq(got, b32);
	free(got);
	unlink(b32);
	ck_assert_int_eq(steamcmd_sdk_copies(home, cmd, inst, say, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/.steam/steamcmd/linux32/") != NULL, "%s", err);
	tu_rmtree(dir);
	free(dir);
	free(games);
	free(home);
	free(inst);
	free(cmd);
	free(l32);
	free(l64);
	free(h32);
	free(h64);
	free(b32);
	free(w32);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker_steamcmd");
	TCase *tc = tcase_create("steamcmd");

	tcase_add_loop_test(tc, progress_lines, 0,
			    (int)(sizeof(progress_cases) / sizeof(progress_cases[0])));
	tcase_add_loop_test(tc, result_lines, 0,
			    (int)(sizeof(result_cases) / sizeof(result_cases[0])));
	tcase_add_loop_test(tc, error_classes, 0,
			    (int)(sizeof(class_cases) / sizeof(class_cases[0])));
	tcase_add_test(tc, vdf_lookup);
	tcase_add_test(tc, sdk_links);
	tcase_add_test(tc, sdk_links_debian_wrapper);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
