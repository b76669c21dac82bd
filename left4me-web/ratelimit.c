/* Failed-login counters per key ("ip:ADDR", "user:NAME") over a window;
 * see ratelimit.h.  One mutex; expired entries are dropped on every look. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "xalloc.h"

#define RL_MAX_KEYS 16384

struct rl_entry {
	char *key;
	int count;
	int64_t first_ms;
};

struct ratelimit {
	pthread_mutex_t lock;
	struct rl_entry *e;
	size_t n;
};

struct ratelimit *ratelimit_new(void)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	size_t i;

	if (!rl)
		return;
	for (i = 0; i < rl->n; i++)
		free(rl->e[i].key);
	free(rl->e);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* Drop expired entries; the entry for key or NULL.  Lock held. */
static struct rl_entry *rl_find(struct ratelimit *rl, const char *key, int window_s)
{
	int64_t now = mono_ms();
	struct rl_entry *found = NULL;
	size_t i = 0;

	while (i < rl->n) {
		if (now - rl->e[i].first_ms >= (int64_t)window_s * 1000) {
			free(rl->e[i].key);
			rl->e[i] = rl->e[--rl->n];
			continue;
		}
		if (strcmp(rl->e[i].key, key) == 0)
			found = &rl->e[i];
		i++;
	}
	return found;
}

bool ratelimit_blocked(struct ratelimit *rl, const char *key, int max, int window_s)
{
	struct rl_entry *e;
	bool blocked;

	pthread_mutex_lock(&rl->lock);
	e = rl_find(rl, key, window_s);
	blocked = e && e->count >= max;
	pthread_mutex_unlock(&rl->lock);
	return blocked;
}

void ratelimit_fail(struct ratelimit *rl, const char *key, int window_s)
{
	struct rl_entry *e;

	pthread_mutex_lock(&rl->lock);
	e = rl_find(rl, key, window_s);
	if (e) {
		e->count++;
	} else if (rl->n < RL_MAX_KEYS) {
		rl->e = xreallocarray(rl->e, rl->n + 1, sizeof(*rl->e));
		rl->e[rl->n].key = xstrdup(key);
		rl->e[rl->n].count = 1;
		rl->e[rl->n].first_ms = mono_ms();
		rl->n++;
	}
	pthread_mutex_unlock(&rl->lock);
}

void ratelimit_clear(struct ratelimit *rl, const char *key)
{
	size_t i;

	pthread_mutex_lock(&rl->lock);
	for (i = 0; i < rl->n; i++) {
		if (strcmp(rl->e[i].key, key) == 0) {
			free(rl->e[i].key);
			rl->e[i] = rl->e[--rl->n];
			break;
		}
	}
	pthread_mutex_unlock(&rl->lock);
}
