/* vpk extraction throughput: left4me-fetcher's extract_vpks() against
 * `bsdtar -x` on the same archives, in one run.
 *
 *   build/bench/fetcher_extract [MIB] [ROUNDS]
 *
 * Builds three archives of MIB MiB of vpk data each (zip deflate, zip
 * stored, 7z LZMA; the data is half pseudo-random, half runs of text, like
 * real maps), then extracts each ROUNDS times with both and reports the
 * best MB/s of each (page cache warm for both).  The fetcher's path also
 * computes md5 (in its second thread) and fsyncs each vpk, as it does in
 * production for json_index items; the other columns leave out one of the
 * two.  MD5 alone (one core, OpenSSL EVP, in memory) is printed first: it
 * bounds the md5 columns. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive.h"
#include "extract.h"
#include "parse.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

/* rm -rf dir. */
static void bench_rmtree(const char *dir)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

/* A fresh directory under /tmp (testutil's needs a running check test). */
static char *bench_tmpdir(void)
{
	char *p = xstrdup("/tmp/left4me-bench.XXXXXX");

	if (!mkdtemp(p)) {
		perror("mkdtemp");
		exit(1);
	}
	return p;
}

static void rm_contents(const char *dir)
{
	char *cmd[] = {"find", (char *)dir, "-mindepth", "1", "-delete", NULL};
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

static double run_bsdtar(const char *archive, const char *dir)
{
	int64_t t0 = mono_ns();
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execlp("bsdtar", "bsdtar", "-x", "-f", archive, "-C", dir, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bsdtar failed (install libarchive-tools)\n");
		exit(1);
	}
	return (double)(mono_ns() - t0) / 1e9;
}

/* MD5 alone over MIB MiB in memory, best of rounds: MB/s. */
static double md5_speed(long long mib, long long rounds)
{
	size_t len = (size_t)mib << 20, i;
	unsigned char *buf = xmalloc(len), dig[EVP_MAX_MD_SIZE];
	unsigned n;
	double best = 1e9;
	long long r;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	for (r = 0; r < rounds; r++) {
		int64_t t0 = mono_ns();
		double t;

		EVP_Digest(buf, len, dig, &n, EVP_md5(), NULL);
		t = (double)(mono_ns() - t0) / 1e9;
		best = t < best ? t : best;
	}
	free(buf);
	return (double)len / 1e6 / best;
}

static double run_ours(const char *archive, const char *dir, bool do_md5, bool do_fsync)
{
	struct extract_limits lim = {
	    .max_total = 1LL << 40, .max_entries = 100000, .md5 = do_md5, .fsync = do_fsync};
	struct extract_result r;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int64_t t0 = mono_ns();

	if (extract_vpks(archive, dfd, &lim, &r) < 0) {
		fprintf(stderr, "extract: %s\n", r.error);
		exit(1);
	}
	extract_result_fini(&r);
	close(dfd);
	return (double)(mono_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	long long mib = 64, rounds = 3;
	static const struct {
		enum ta_format fmt;
		const char *name;
	} fmts[] = {
	    {TA_ZIP, "zip-deflate.zip"}, {TA_ZIP_STORE, "zip-store.zip"}, {TA_7Z, "lzma.7z"}};
	char *dir = bench_tmpdir(), *out = xasprintf("%s/out", dir);
	size_t f;
	int i;

	if ((argc > 1 && parse_int(argv[1], 1, 4096, &mib) < 0) ||
	    (argc > 2 && parse_int(argv[2], 1, 100, &rounds) < 0)) {
		fprintf(stderr, "usage: fetcher_extract [MIB] [ROUNDS]\n");
		return 2;
	}
	mkdir(out, 0755);
	printf("vpk data per archive: %lld MiB in 4 vpks; best of %lld rounds\n", mib, rounds);
	printf("MD5 alone (one core, in memory): %.0f MB/s\n", md5_speed(mib, rounds));
	printf("%-16s %10s %14s %14s %14s %7s %7s %7s\n", "archive", "bsdtar", "md5+fsync",
	       "md5,no fsync", "fsync,no md5", "ratio1", "ratio2", "ratio3");
	for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		char *path = xasprintf("%s/%s", dir, fmts[f].name);
		struct ta_entry e[8];
		char names[8][32];
		double best_b = 1e9, best_o = 1e9, best_n = 1e9, best_r = 1e9,
		       mb = (double)mib * 1048576 / 1e6;

		for (i = 0; i < 8; i++) {
			snprintf(names[i], sizeof(names[i]), "map%d%s", i / 2,
				 i % 2 ? ".txt" : ".vpk");
			e[i] = (struct ta_entry){.name = names[i],
						 .fill = (mib << 20) / 4,
						 .seed = (unsigned)(i % 4 ? i + 1 : 0)};
			if (i % 2)
				e[i] = (struct ta_entry){.name = names[i], .data = "readme"};
		}
		ta_write(path, fmts[f].fmt, e, 8);
		for (i = 0; i < rounds; i++) {
			double t;

			rm_contents(out);
			t = run_bsdtar(path, out);
			best_b = t < best_b ? t : best_b;
			rm_contents(out);
			t = run_ours(path, out, true, true);
			best_o = t < best_o ? t : best_o;
			rm_contents(out);
			t = run_ours(path, out, true, false);
			best_n = t < best_n ? t : best_n;
			rm_contents(out);
			t = run_ours(path, out, false, true);
			best_r = t < best_r ? t : best_r;
		}
		printf("%-16s %5.0f MB/s %9.0f MB/s %9.0f MB/s %9.0f MB/s %6.2fx %6.2fx %6.2fx\n",
		       fmts[f].name, mb / best_b, mb / best_o, mb / best_n, mb / best_r,
		       best_b / best_o, best_b / best_n, best_b / best_r);
		free(path);
	}
	bench_rmtree(dir);
	free(dir);
	free(out);
	return 0;
}
