/* Connection flood against left4me-web (bench/README.md, "1,500 held
 * connections"): N connections from 8 loopback addresses (127.0.0.2 ..
 * 127.0.0.9, round robin, so web.per_ip_connections does not cap them),
 * each holding an unfinished request (idle: a request line and nothing
 * more; trickle: one more header byte every 5 s), while a new client on
 * 127.0.0.1 (a 9th address) asks GET /healthz every 250 ms.  Reports the
 * /healthz latencies, how many flood connections the web still holds,
 * and the web's RSS and peak RSS.  Loopback only.
 *
 *   conn_flood PORT WEB_PID [N] [SECONDS] [idle|trickle] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define N_ADDRS 8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A socket from 127.0.0.src to 127.0.0.1:port, connected, or -1. */
static int connect_from(int src, int port)
{
	struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	me.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)src);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* GET /healthz from 127.0.0.1 on a new connection: seconds to "200", or
 * a negative number if it failed or took over 5 s. */
static double healthz(int port)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n";
	double t0 = now_s();
	int fd = connect_from(1, port);
	char buf[64];
	size_t got = 0;

	if (fd < 0)
		return -1;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		close(fd);
		return -1;
	}
	while (got < 12) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0)
		return -1;
	return now_s() - t0;
}

/* How many of fds the server has not closed. */
static int held(int *fds, int n)
{
	int alive = 0;

	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		char c;

		if (fds[i] < 0)
			continue;
		if (poll(&p, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_DONTWAIT) <= 0) {
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		alive++;
	}
	return alive;
}

static long status_kb(int pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			kb = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return kb;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char line[] = "GET / HTTP/1.1\r\nX-Trickle: ";
	int port, pid, n, secs, *fds, failed = 0, opened = 0, n_lat = 0, bad = 0;
	bool trickle;
	double start, next_trickle, lat[4096], worst;

	if (argc < 3) {
		fprintf(stderr, "usage: conn_flood PORT WEB_PID [N] [SECONDS] [idle|trickle]\n");
		return 2;
	}
	port = atoi(argv[1]);
	pid = atoi(argv[2]);
	n = argc > 3 ? atoi(argv[3]) : 1500;
	secs = argc > 4 ? atoi(argv[4]) : 20;
	trickle = argc > 5 && strcmp(argv[5], "trickle") == 0;
	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds)
		return 1;
	printf("web RSS before: %ld KiB\n", status_kb(pid, "VmRSS"));
	for (int i = 0; i < n; i++) {
		fds[i] = connect_from(2 + i % N_ADDRS, port);
		if (fds[i] < 0 || write(fds[i], line, sizeof(line) - 1) < 0) {
			failed++;
			continue;
		}
		opened++;
	}
	printf("flood: %d connections opened from 127.0.0.2-127.0.0.%d (%s), %d failed\n", opened,
	       1 + N_ADDRS, trickle ? "trickling a header byte every 5 s" : "idle", failed);
	start = now_s();
	next_trickle = start + 5;
	while (now_s() - start < secs && n_lat < (int)(sizeof(lat) / sizeof(lat[0]))) {
		double l = healthz(port);

		if (l < 0)
			bad++;
		else
			lat[n_lat++] = l;
		if (trickle && now_s() >= next_trickle) {
			for (int i = 0; i < n; i++)
				if (fds[i] >= 0 && send(fds[i], "a", 1, MSG_NOSIGNAL) != 1) {
					close(fds[i]);
					fds[i] = -1;
				}
			next_trickle += 5;
		}
		usleep(250000);
	}
	qsort(lat, (size_t)n_lat, sizeof(*lat), cmp_double);
	worst = n_lat ? lat[n_lat - 1] : -1;
	printf("/healthz from 127.0.0.1 under the flood: %d answered, %d failed or over 5 s\n",
	       n_lat, bad);
	if (n_lat)
		printf("  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms (target: < 2000 ms)\n",
		       lat[n_lat / 2] * 1e3, lat[(n_lat * 99) / 100] * 1e3, worst * 1e3);
	printf("flood connections the web still holds after %d s: %d\n", secs, held(fds, n));
	printf("web RSS: %ld KiB, peak (VmHWM): %ld KiB\n", status_kb(pid, "VmRSS"),
	       status_kb(pid, "VmHWM"));
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return bad == 0 && worst >= 0 && worst < 2.0 ? 0 : 1;
}
