/* Symlink reconciliation of a global overlay with 10,000 cached vpks.
 *
 *   build/bench/fetcher_reconcile [VPKS] [ROUNDS]
 *
 * Times reconcile_links() (the fetcher's own function) three ways: from an
 * empty addons/ (every link added), steady state (every link kept), and
 * after 10% of the cache was replaced (10% removed + 10% added).  Best and
 * median of ROUNDS for the steady state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parse.h"
#include "reconcile.h"
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

/* Write a file (testutil's helpers need a running check test). */
static void wfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static double timed(const char *cache, const char *addons, struct reconcile_stats *st)
{
	char err[256];
	int64_t t0 = mono_ns();

	if (reconcile_links(cache, addons, st, err, sizeof(err)) < 0) {
		fprintf(stderr, "reconcile: %s\n", err);
		exit(1);
	}
	return (double)(mono_ns() - t0) / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long long n = 10000, rounds = 11;
	char *dir = bench_tmpdir(), *cache = xasprintf("%s/cache", dir),
	     *addons = xasprintf("%s/addons", dir);
	struct reconcile_stats st;
	double *t;
	int i;

	if ((argc > 1 && parse_int(argv[1], 1, 1000000, &n) < 0) ||
	    (argc > 2 && parse_int(argv[2], 1, 1000, &rounds) < 0)) {
		fprintf(stderr, "usage: fetcher_reconcile [VPKS] [ROUNDS]\n");
		return 2;
	}
	mkdir(cache, 0755);
	mkdir(addons, 0755);
	for (i = 0; i < n; i++) {
		char *p = xasprintf("%s/map_%06d.vpk", cache, i);

		wfile(p, "");
		free(p);
	}
	printf("%lld vpks, initial (all added): %.1f ms", n, timed(cache, addons, &st));
	printf(" [added %zu]\n", st.added);
	t = xcalloc((size_t)rounds, sizeof(*t));
	for (i = 0; i < rounds; i++)
		t[i] = timed(cache, addons, &st);
	qsort(t, (size_t)rounds, sizeof(*t), cmp);
	printf(
	    "steady state (all kept): best %.1f ms, median %.1f ms [kept %zu] (target < 200 ms)\n",
	    t[0], t[rounds / 2], st.kept);
	for (i = 0; i < n / 10; i++) {
		char *p = xasprintf("%s/map_%06d.vpk", cache, i),
		     *q = xasprintf("%s/new_%06d.vpk", cache, i);

		rename(p, q);
		free(p);
		free(q);
	}
	printf("10%% replaced: %.1f ms", timed(cache, addons, &st));
	printf(" [added %zu, removed %zu]\n", st.added, st.removed);
	free(t);
	bench_rmtree(dir);
	free(dir);
	free(cache);
	free(addons);
	return 0;
}
