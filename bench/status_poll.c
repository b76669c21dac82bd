/* left4me-status with N servers (default 200): every unit active/running
 * on the stand-in systemd (private dbus-daemon), each answered by a
 * strict A2S stand-in on 127.0.0.1.  The real binary runs with the
 * default status.poll_interval (5 s) for SECONDS (default 60); its CPU
 * time (utime + stime from /proc/PID/stat) over that window, after a
 * first full round, is the cost, as a share of one core.
 *
 * The A2S datagrams the responders got over the window are printed too,
 * to show the rounds happened.  LEFT4ME_BUILD (default build) names the
 * build whose left4me-status runs, so two builds can be compared.
 *
 *   make B=build build/bench/status_poll && build/bench/status_poll [N] [SECONDS] */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_server.h"
#include "standin.h"
#include "db_schema.h"
#include "timeutil.h"
#include "xalloc.h"

/* (testutil.h's helpers assert through check, which needs a test runner.) */
static void sql(sqlite3 *db, const char *q)
{
	char *err = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", q, err ? err : "?");
		exit(1);
	}
}

static long long sql_int(sqlite3 *db, const char *q)
{
	sqlite3_stmt *st = db_prepare(db, q);
	long long v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static double cpu_seconds(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		exit(1);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long a2s_requests(struct a2s_standin *a)
{
	long t = 0;

	for (size_t i = 0; i < a->n; i++)
		t += a->r[i].requests;
	return t;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)atoi(argv[1]) : 200;
	int secs = argc > 2 ? atoi(argv[2]) : 60;
	char tmpl[] = "/tmp/status_poll.XXXXXX", *dir = mkdtemp(tmpl), err[256];
	char *cfg = xasprintf("%s/left4me.yaml", dir), *yaml,
	     *dbpath = xasprintf("%s/left4me.db", dir);
	const char *b = getenv("LEFT4ME_BUILD");
	char *bin = xasprintf("%s/left4me-status/left4me-status", b ? b : "build");
	struct fakesd sd;
	struct a2s_standin a2s;
	sqlite3 *db = db_open(dbpath, DB_OPEN_CREATE, err, sizeof(err));
	double c0, c1, wall;
	long q0, q1;
	pid_t pid;
	int64_t t0;

	if (n < 1 || n > FAKESD_UNITS_MAX || secs < 10) {
		fprintf(stderr, "usage: status_poll [N 1..%d] [SECONDS >= 10]\n", FAKESD_UNITS_MAX);
		return 64;
	}
	if (!db || db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "database: %s\n", err);
		return 1;
	}
	sql(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		"('alice', '$y$x', 0, 0);"
		"INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
		"(1, 'coop', 0, 0);");
	a2s_standin_start(&a2s, n);
	fakesd_start(&sd, dir);
	for (size_t i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "s%03zu", i);
		if (db_server_create(db, name, 1, 1, ntohs(a2s.r[i].addr.sin_port), NULL) != DB_OK)
			return 1;
		a2s_standin_set(&a2s, i, "c2m1_highway", 1 + (int)(i % 8), 1);
		fakesd_add(&sd, name);
		fakesd_set(&sd, name, "active", "running", "success", 0, 0, 0, false);
		fakesd_resources(&sd, name, 1000000000ULL * i, 300ULL << 20, 12);
	}
	yaml = xasprintf("state_dir: %s\nlog_level: notice\n", dir);
	{
		FILE *f = fopen(cfg, "w");

		if (!f || fputs(yaml, f) < 0 || fclose(f) != 0)
			return 1;
	}
	pid = fork();
	if (pid == 0) {
		setenv("DBUS_SYSTEM_BUS_ADDRESS", sd.address, 1);
		execl(bin, bin, "-c", cfg, "--allow-root", "--no-console", (char *)NULL);
		_exit(127);
	}
	/* the first round: every server ready */
	t0 = mono_ms();
	while (sql_int(db, "SELECT count(*) FROM server_status WHERE live_state = 'ready'") <
	       (long long)n) {
		if (mono_ms() - t0 > 60000) {
			fprintf(stderr, "not every server became ready\n");
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fakesd_stop(&sd);
			return 1;
		}
		sleep_ms(100);
	}
	printf("servers: %zu, first round done in %lld ms\n", n, (long long)(mono_ms() - t0));
	c0 = cpu_seconds(pid);
	q0 = a2s_requests(&a2s);
	t0 = mono_ms();
	sleep_ms(secs * 1000);
	c1 = cpu_seconds(pid);
	q1 = a2s_requests(&a2s);
	wall = (double)(mono_ms() - t0) / 1000.0;
	/* the work was done: every server asked about every 5 s */
	printf("A2S datagrams received: %ld (%.2f per server per 5 s)\n", q1 - q0,
	       (double)(q1 - q0) / (double)n / (wall / 5.0));
	printf("left4me-status CPU over %.1f s: %.2f s = %.2f%% of one core\n", wall, c1 - c0,
	       100.0 * (c1 - c0) / wall);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	fakesd_stop(&sd);
	a2s_standin_stop(&a2s);
	db_close(db);
	{
		char *rm[] = {(char *)"rm", (char *)"-rf", dir, NULL};
		pid_t r = fork();

		if (r == 0) {
			execvp("rm", rm);
			_exit(127);
		}
		waitpid(r, NULL, 0);
	}
	return 0;
}
