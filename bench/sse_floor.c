/* The kernel's floor under the SSE fan-out benchmark: no HTTP, no
 * libmicrohttpd, no hub.  N loopback TCP connections; per line, T sender
 * threads write one 48-byte chunk (the size of a chunked SSE event in
 * sse_fanout) to every server socket, and one epoll thread reads the client
 * ends as sse_fanout does.  Reports the senders' CPU per line and the wall
 * time from the start of a line to its last delivery.  Needs 2N+ fds.
 *
 *   sse_floor [N] [THREADS] [LINES]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	    48
#define MAX_THREADS 8

static int n_conns, n_threads;
static int *srv_fd;
static atomic_int line_no = -1; /* -2: stop */
static double sender_cpu_ms[MAX_THREADS];

static double ms_of(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *sender(void *arg)
{
	int k = (int)(long)arg, last = -1;
	char msg[CHUNK];

	memset(msg, 'x', sizeof(msg));
	for (;;) {
		int l;
		double c0;

		while ((l = atomic_load(&line_no)) == last)
			usleep(100);
		if (l == -2)
			return NULL;
		last = l;
		c0 = ms_of(CLOCK_THREAD_CPUTIME_ID);
		for (int i = k; i < n_conns; i += n_threads)
			(void)!send(srv_fd[i], msg, sizeof(msg), MSG_NOSIGNAL);
		sender_cpu_ms[k] += ms_of(CLOCK_THREAD_CPUTIME_ID) - c0;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	pthread_t th[MAX_THREADS];
	struct epoll_event evs[1024];
	static char buf[65536];
	double client_cpu = 0, wall = 0, wall_max = 0, cpu = 0;
	int lines, ls, ep, one = 1, *cli_fd;

	n_conns = argc > 1 ? atoi(argv[1]) : 9000;
	n_threads = argc > 2 ? atoi(argv[2]) : 2;
	lines = argc > 3 ? atoi(argv[3]) : 10;
	if (n_conns < 1 || n_threads < 1 || n_threads > MAX_THREADS || lines < 1) {
		fprintf(stderr, "usage: sse_floor [N] [THREADS 1-%d] [LINES]\n", MAX_THREADS);
		return 64;
	}
	srv_fd = calloc((size_t)n_conns, sizeof(*srv_fd));
	cli_fd = calloc((size_t)n_conns, sizeof(*cli_fd));
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!srv_fd || !cli_fd || ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 4096) < 0 || getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) {
		perror("listen");
		return 1;
	}
	ep = epoll_create1(0);
	for (int i = 0; i < n_conns; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i};

		cli_fd[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cli_fd[i] < 0 || connect(cli_fd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    (srv_fd[i] = accept(ls, NULL, NULL)) < 0) {
			fprintf(stderr, "connection %d: %s (raise ulimit -n)\n", i,
				strerror(errno));
			return 1;
		}
		fcntl(srv_fd[i], F_SETFL, O_NONBLOCK);
		fcntl(cli_fd[i], F_SETFL, O_NONBLOCK);
		epoll_ctl(ep, EPOLL_CTL_ADD, cli_fd[i], &ev);
	}
	for (long k = 0; k < n_threads; k++)
		pthread_create(&th[k], NULL, sender, (void *)k);
	for (int l = 0; l < lines; l++) {
		long got = 0;
		double t0, c0, w;

		usleep(250000);
		t0 = ms_of(CLOCK_MONOTONIC);
		c0 = ms_of(CLOCK_THREAD_CPUTIME_ID);
		atomic_store(&line_no, l);
		while (got < (long)n_conns * CHUNK) {
			int n = epoll_wait(ep, evs, 1024, 1000);

			for (int i = 0; i < n; i++) {
				ssize_t r;

				while ((r = read(cli_fd[evs[i].data.u32], buf, sizeof(buf))) > 0)
					got += r;
			}
		}
		w = ms_of(CLOCK_MONOTONIC) - t0;
		wall += w;
		wall_max = w > wall_max ? w : wall_max;
		client_cpu += ms_of(CLOCK_THREAD_CPUTIME_ID) - c0;
	}
	atomic_store(&line_no, -2);
	for (int k = 0; k < n_threads; k++) {
		pthread_join(th[k], NULL);
		cpu += sender_cpu_ms[k];
	}
	printf("sse_floor: %d connections, %d sender threads, %d lines\n", n_conns, n_threads,
	       lines);
	printf("sender CPU per line: %.1f ms (%.2f us per send); client CPU per line: %.1f ms\n",
	       cpu / lines, cpu / lines / n_conns * 1e3, client_cpu / lines);
	printf("line start -> last delivery: mean %.1f ms, max %.1f ms\n", wall / lines, wall_max);
	return 0;
}
