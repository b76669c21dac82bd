/* Learning quickly that the database changed, without busy polling:
 * inotify on the database's directory, filtered to the database and its
 * -wal file (every commit writes the WAL).  A waiter re-checks its query
 * after each wake-up; a slow fallback timeout covers anything inotify
 * cannot see (another mount namespace writing through a bind, a full
 * inotify queue).  Spurious wake-ups are harmless by design. */
#ifndef LEFT4ME_DB_WATCH_H
#define LEFT4ME_DB_WATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Fallback poll interval for waiters, in milliseconds. */
#define DB_WATCH_FALLBACK_MS 2000

struct db_watch;

/* Watch db_path's directory; NULL with one line in err on failure. */
struct db_watch *db_watch_new(const char *db_path, char *err, size_t errlen);
void db_watch_free(struct db_watch *w);
/* A descriptor that becomes readable on a change, for poll/epoll. */
int db_watch_fd(const struct db_watch *w);
/* Read every pending event; true if one concerned the database. */
bool db_watch_drain(struct db_watch *w);
/* Wait up to timeout_ms (-1: forever) for a change: 1 changed, 0 timed
 * out, -1 error (EINTR is reported as 0 so callers re-check their flags).
 * After a change it waits for the writer to go quiet (a few ms) so the
 * commit is visible when it returns.  Callers that poll db_watch_fd()
 * themselves should re-check a few ms after a wake-up for the same reason. */
int db_watch_wait(struct db_watch *w, int timeout_ms);

#endif
