/* sd_notify for the daemons; see daemon_notify.h. */
#include "daemon_notify.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "timeutil.h"

void daemon_notify_init(struct daemon_notify *n)
{
	uint64_t usec = 0;

	n->watchdog_ms = 0;
	n->last_ping = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		n->watchdog_ms = (int64_t)(usec / 2000);
	if (n->watchdog_ms == 0 && usec > 0)
		n->watchdog_ms = 1;
}

void daemon_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void daemon_notify_status(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap); /* a status line may be cut */
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", line);
}

void daemon_notify_watchdog(struct daemon_notify *n)
{
	int64_t now;

	if (n->watchdog_ms <= 0)
		return;
	now = mono_ms();
	if (now - n->last_ping >= n->watchdog_ms) {
		sd_notify(0, "WATCHDOG=1");
		n->last_ping = now;
	}
}

int64_t daemon_notify_wait_ms(const struct daemon_notify *n, int64_t max_ms)
{
	return n->watchdog_ms > 0 && n->watchdog_ms < max_ms ? n->watchdog_ms : max_ms;
}

void daemon_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void daemon_notify_wait_for_stop(struct daemon_notify *n, bool (*alive)(void *ctx, int ms),
				 void *ctx)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		int64_t ms = daemon_notify_wait_ms(n, 3600 * 1000);
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT)
			return;
		if (n->watchdog_ms == 0)
			continue;
		if (!alive || alive(ctx, (int)(n->watchdog_ms / 2)))
			daemon_notify_watchdog(n);
	}
}
