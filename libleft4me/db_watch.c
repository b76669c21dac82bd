/* inotify-based change notification for the database; see db_watch.h. */
#include "db_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "xalloc.h"

struct db_watch {
	int fd;
	char *db_name;	/* basename of the database */
	char *wal_name; /* basename + "-wal" */
};

struct db_watch *db_watch_new(const char *db_path, char *err, size_t errlen)
{
	struct db_watch *w;
	const char *slash = strrchr(db_path, '/');
	char *dir;

	w = xcalloc(1, sizeof(*w));
	dir = slash ? xstrndup(db_path, (size_t)(slash - db_path)) : xstrdup(".");
	if (dir[0] == '\0') {
		free(dir);
		dir = xstrdup("/");
	}
	w->db_name = xstrdup(slash ? slash + 1 : db_path);
	w->wal_name = xasprintf("%s-wal", w->db_name);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 ||
	    inotify_add_watch(w->fd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) <
		0) {
		snprintf(err, errlen, "cannot watch %s: %s", dir, strerror(errno));
		free(dir);
		db_watch_free(w);
		return NULL;
	}
	free(dir);
	return w;
}

void db_watch_free(struct db_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->db_name);
	free(w->wal_name);
	free(w);
}

int db_watch_fd(const struct db_watch *w)
{
	return w->fd;
}

bool db_watch_drain(struct db_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		char *p;

		if (n <= 0)
			break;
		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW)
				changed = true;
			else if (ev->len > 0 && (strcmp(ev->name, w->wal_name) == 0 ||
						 strcmp(ev->name, w->db_name) == 0))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return changed;
}

/* SQLite appends the WAL frames (inotify sees those writes) before it
 * publishes the commit in the -shm index (a memory write inotify cannot
 * see), so a waiter woken by the first write may look too early and then
 * sleep until the fallback poll.  After a relevant event, wait until the
 * files have been quiet for SETTLE_MS (at most SETTLE_MAX_MS in all). */
#define SETTLE_MS     2
#define SETTLE_MAX_MS 20

static void settle(struct db_watch *w)
{
	struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
	int spent = 0;

	while (spent < SETTLE_MAX_MS && poll(&pfd, 1, SETTLE_MS) > 0) {
		db_watch_drain(w);
		spent += SETTLE_MS;
	}
}

int db_watch_wait(struct db_watch *w, int timeout_ms)
{
	struct pollfd pfd = {.fd = w->fd, .events = POLLIN};

	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);

		if (n < 0)
			return errno == EINTR ? 0 : -1;
		if (n == 0)
			return 0;
		if (db_watch_drain(w)) {
			settle(w);
			return 1;
		}
		/* Only unrelated files changed: keep waiting.  The budget
		 * restarts, which is fine for a fallback poll. */
	}
}
