/* Failed-login rate limits of left4me-web: how many failures a key (a
 * client address, a user name) had within a window.  Thread-safe; at most
 * RL_MAX_KEYS keys are counted at once.  Knows nothing of HTTP. */
#ifndef LEFT4ME_WEB_RATELIMIT_H
#define LEFT4ME_WEB_RATELIMIT_H

#include <stdbool.h>

struct ratelimit;

struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/* true if key has max or more failures within window_s. */
bool ratelimit_blocked(struct ratelimit *rl, const char *key, int max, int window_s);
void ratelimit_fail(struct ratelimit *rl, const char *key, int window_s);
void ratelimit_clear(struct ratelimit *rl, const char *key);

#endif
