/* What a daemon tells systemd (Type=notify, WatchdogSec=): READY with a
 * status line once its loop runs, STATUS as it works, WATCHDOG at half
 * the unit's WatchdogSec= while it is alive, STOPPING when it leaves.
 * Without $NOTIFY_SOCKET (tests, a terminal) every call is a no-op.  Its
 * own module so that left4mectl, which shares daemon.h, links no
 * libsystemd. */
#ifndef LEFT4ME_DAEMON_NOTIFY_H
#define LEFT4ME_DAEMON_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct daemon_notify {
	int64_t watchdog_ms; /* ping interval (half of WatchdogSec=), 0: no watchdog */
	int64_t last_ping;   /* mono_ms() of the last ping */
};

/* Read the watchdog interval systemd gave us (WATCHDOG_USEC). */
void daemon_notify_init(struct daemon_notify *n);
/* READY=1 with STATUS=status. */
void daemon_notify_ready(const char *status);
void daemon_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* WATCHDOG=1 if the last ping is watchdog_ms old (no-op without one). */
void daemon_notify_watchdog(struct daemon_notify *n);
/* How long a loop may sleep before it must ping: at most max_ms. */
int64_t daemon_notify_wait_ms(const struct daemon_notify *n, int64_t max_ms);
void daemon_notify_stopping(void);

/* Sleep until SIGTERM or SIGINT (blocked by the caller: daemon.h's
 * DAEMON_BLOCK_STOP_SIGNALS), pinging the watchdog when it is due; for a
 * daemon whose work runs in other threads (left4me-web).  With alive
 * (may be NULL), a ping is sent only when alive(ctx, ms) returns true,
 * ms being half the ping interval: the time it may take to answer. */
void daemon_notify_wait_for_stop(struct daemon_notify *n, bool (*alive)(void *ctx, int ms),
				 void *ctx);

#endif
