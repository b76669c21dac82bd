/* SSE fan-out benchmark for left4me-web: hold N concurrent streams on one
 * job's log, append L lines (each carrying its CLOCK_MONOTONIC send time),
 * and report the delivery latency over every (viewer, line) pair plus the
 * web's RSS.  One epoll thread, non-blocking sockets; raise `ulimit -n`.
 *
 *   sse_fanout PORT TOKEN DB JOB_ID WEB_PID [VIEWERS] [LINES]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_job.h"
#include "timeutil.h"

struct conn {
	int fd;
	bool ok;
	char carry[64];
	size_t carry_len;
	int got;
};

static int64_t *lat;
static size_t n_lat, cap_lat;

static void record(int64_t sent)
{
	if (n_lat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 1 << 16;
		lat = realloc(lat, cap_lat * sizeof(*lat));
	}
	lat[n_lat++] = mono_ns() - sent;
}

/* Scan "data: TNNN\n" markers in carry+buf; keep only the unparsed tail. */
static void scan(struct conn *c, const char *buf, size_t len)
{
	static char tmp[64 + 65536 + 1];
	size_t n = c->carry_len, keep;
	const char *p, *done;

	if (len > 65536)
		len = 65536;
	memcpy(tmp, c->carry, c->carry_len);
	memcpy(tmp + n, buf, len);
	n += len;
	tmp[n] = '\0';
	if (!c->ok && strstr(tmp, "HTTP/1.1 200"))
		c->ok = true;
	p = done = tmp;
	while ((p = strstr(p, "data: T"))) {
		const char *e = strchr(p, '\n');

		if (!e)
			break;
		record(strtoll(p + 7, NULL, 10));
		c->got++;
		p = done = e;
	}
	/* The tail after the last parsed marker may hold a split one. */
	keep = n - (size_t)(done - tmp);
	if (keep > sizeof(c->carry))
		keep = sizeof(c->carry);
	memcpy(c->carry, tmp + n - keep, keep);
	c->carry_len = keep;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static long rss_kib(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* utime + stime of pid in clock ticks (-1 if unreadable). */
static long cpu_ticks(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static void pump(int ep, struct conn *conns, int ms)
{
	struct epoll_event ev[1024];
	int64_t end = mono_ms() + ms;
	char buf[65536];

	while (mono_ms() < end) {
		int n = epoll_wait(ep, ev, 1024, (int)(end - mono_ms()));

		for (int i = 0; i < n; i++) {
			struct conn *c = &conns[ev[i].data.u32];
			ssize_t r;

			while ((r = read(c->fd, buf, sizeof(buf))) > 0)
				scan(c, buf, (size_t)r);
		}
	}
}

int main(int argc, char **argv)
{
	int port, pid, viewers, lines, ep, i, ok = 0;
	const char *token, *dbpath;
	int64_t job;
	struct conn *conns;
	struct sockaddr_in sa;
	char req[512], err[256];
	sqlite3 *db;
	long rss_before, rss_streams, rss_after, web_t0, web_t1, own_t0, own_t1;
	double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);

	if (argc < 6) {
		fprintf(stderr,
			"usage: sse_fanout PORT TOKEN DB JOB_ID WEB_PID [VIEWERS] [LINES]\n");
		return 64;
	}
	port = atoi(argv[1]);
	token = argv[2];
	dbpath = argv[3];
	job = atoll(argv[4]);
	pid = atoi(argv[5]);
	viewers = argc > 6 ? atoi(argv[6]) : 10000;
	lines = argc > 7 ? atoi(argv[7]) : 20;
	db = db_open(dbpath, 0, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rss_before = rss_kib(pid);
	conns = calloc((size_t)viewers, sizeof(*conns));
	ep = epoll_create1(0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req),
		 "GET /api/v1/jobs/%lld/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n",
		 (long long)job, token);
	for (i = 0; i < viewers; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i};
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "connect %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
			return 1;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		conns[i].fd = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		if (i % 500 == 499)
			pump(ep, conns, 5);
	}
	pump(ep, conns, 3000);
	for (i = 0; i < viewers; i++)
		ok += conns[i].ok;
	rss_streams = rss_kib(pid);
	n_lat = 0;
	web_t0 = cpu_ticks(pid);
	own_t0 = cpu_ticks(getpid());
	for (i = 0; i < lines; i++) {
		char line[64];

		snprintf(line, sizeof(line), "T%lld", (long long)mono_ns());
		db_job_log(db, job, STREAM_STDOUT, line, NULL);
		pump(ep, conns, 250);
	}
	pump(ep, conns, 2000);
	web_t1 = cpu_ticks(pid);
	own_t1 = cpu_ticks(getpid());
	rss_after = rss_kib(pid);
	qsort(lat, n_lat, sizeof(*lat), cmp64);
	printf("viewers: %d (200 OK: %d)\n", viewers, ok);
	printf("lines: %d, deliveries: %zu of %lld\n", lines, n_lat, (long long)viewers * lines);
	if (n_lat) {
		printf("fan-out latency p50: %.1f ms\n", lat[n_lat / 2] / 1e6);
		printf("fan-out latency p99: %.1f ms\n", lat[n_lat * 99 / 100] / 1e6);
		printf("fan-out latency max: %.1f ms\n", lat[n_lat - 1] / 1e6);
	}
	if (lines > 0)
		printf("CPU per line: web %.1f ms, this client %.1f ms\n",
		       (double)(web_t1 - web_t0) * tick_ms / lines,
		       (double)(own_t1 - own_t0) * tick_ms / lines);
	printf("web RSS: %.1f MiB before, %.1f MiB with streams, %.1f MiB after lines\n",
	       rss_before / 1024.0, rss_streams / 1024.0, rss_after / 1024.0);
	for (i = 0; i < viewers; i++)
		close(conns[i].fd);
	free(conns);
	free(lat);
	db_close(db);
	return 0;
}
