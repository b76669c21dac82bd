/* Failed-login throttling of left4me-web: per key (a client address, an
 * address with an account name: session.c makes them), how many failures
 * and when the last one was, and from that how long the key must wait
 * before its next attempt.  A delay grows, it never becomes a lock: once
 * a key has policy.free failures its next attempt waits policy.delay_ms
 * after the last failure, doubled with every further failure up to
 * policy.max_delay_ms.  A key is forgotten
 * forget_ms after its last failure.
 *
 * The table holds at most capacity keys; a new key when it is full evicts
 * the key whose last failure is the oldest, so limiting never stops (a
 * key that keeps failing stays fresh; only the stalest goes).  Lookups are
 * O(1) (a hash table and a list in order of last failure).  Thread-safe
 * (one mutex).  Times are the caller's monotonic milliseconds, so tests
 * drive the clock.  Knows nothing of HTTP. */
#ifndef LEFT4ME_WEB_RATELIMIT_H
#define LEFT4ME_WEB_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

struct rl_policy {
	int free;	      /* failures before the first delay (>= 1) */
	int64_t delay_ms;     /* the first delay */
	int64_t max_delay_ms; /* where doubling stops */
};

struct ratelimit *ratelimit_new(size_t capacity, int64_t forget_ms);
void ratelimit_free(struct ratelimit *rl);
/* Milliseconds key must still wait at now before an attempt (0: none). */
int64_t ratelimit_wait(struct ratelimit *rl, const char *key, const struct rl_policy *p,
		       int64_t now);
/* Count a failure of key at now. */
void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now);
/* Forget key (a success). */
void ratelimit_clear(struct ratelimit *rl, const char *key);
/* How many keys are held now. */
size_t ratelimit_size(struct ratelimit *rl);

#endif
