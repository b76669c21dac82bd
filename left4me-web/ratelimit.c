/* Failed-login throttling; see ratelimit.h.  Entries are in a hash table
 * of chains and on one list ordered by last failure (head newest), so the
 * stale ones are dropped from the tail and a full table evicts its tail. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct rl_entry {
	struct rl_entry *chain;		/* next in the bucket */
	struct rl_entry *newer, *older; /* the list by last failure */
	int64_t last_ms;
	int count;
	char key[]; /* NUL-terminated */
};

struct ratelimit {
	pthread_mutex_t lock;
	struct rl_entry **bucket;
	size_t n_buckets; /* a power of two */
	size_t n, capacity;
	int64_t forget_ms;
	struct rl_entry *newest, *oldest;
};

struct ratelimit *ratelimit_new(size_t capacity, int64_t forget_ms)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	rl->capacity = capacity ? capacity : 1;
	rl->forget_ms = forget_ms;
	rl->n_buckets = 16;
	while (rl->n_buckets < rl->capacity)
		rl->n_buckets *= 2;
	rl->bucket = xcalloc(rl->n_buckets, sizeof(*rl->bucket));
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	struct rl_entry *e, *next;

	if (!rl)
		return;
	for (e = rl->newest; e; e = next) {
		next = e->older;
		free(e);
	}
	free(rl->bucket);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* FNV-1a. */
static size_t hash(const char *key)
{
	uint64_t h = 14695981039346656037ull;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

static void list_unlink(struct ratelimit *rl, struct rl_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		rl->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		rl->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void list_push_newest(struct ratelimit *rl, struct rl_entry *e)
{
	e->older = rl->newest;
	e->newer = NULL;
	if (rl->newest)
		rl->newest->newer = e;
	rl->newest = e;
	if (!rl->oldest)
		rl->oldest = e;
}

/* Take e out of the table and free it.  Lock held. */
static void drop(struct ratelimit *rl, struct rl_entry *e)
{
	struct rl_entry **pp = &rl->bucket[hash(e->key) & (rl->n_buckets - 1)];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	list_unlink(rl, e);
	free(e);
	rl->n--;
}

/* Drop what is forgotten by now (from the oldest end); then the entry of
 * key, or NULL.  Lock held. */
static struct rl_entry *find(struct ratelimit *rl, const char *key, int64_t now)
{
	struct rl_entry *e;

	while (rl->oldest && now - rl->oldest->last_ms >= rl->forget_ms)
		drop(rl, rl->oldest);
	for (e = rl->bucket[hash(key) & (rl->n_buckets - 1)]; e; e = e->chain)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* The delay after count failures under p. */
static int64_t delay_after(const struct rl_policy *p, int count)
{
	int64_t d = p->delay_ms;
	int extra;

	if (count < p->free)
		return 0;
	for (extra = count - p->free; extra > 0 && d < p->max_delay_ms; extra--)
		d *= 2;
	return d < p->max_delay_ms ? d : p->max_delay_ms;
}

int64_t ratelimit_wait(struct ratelimit *rl, const char *key, const struct rl_policy *p,
		       int64_t now)
{
	struct rl_entry *e;
	int64_t left = 0;

	pthread_mutex_lock(&rl->lock);
	e = find(rl, key, now);
	if (e)
		left = e->last_ms + delay_after(p, e->count) - now;
	pthread_mutex_unlock(&rl->lock);
	return left > 0 ? left : 0;
}

void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now)
{
	struct rl_entry *e;
	size_t len, b;

	pthread_mutex_lock(&rl->lock);
	e = find(rl, key, now);
	if (e) {
		list_unlink(rl, e);
	} else {
		if (rl->n >= rl->capacity)
			drop(rl, rl->oldest); /* never stop limiting: the stalest goes */
		len = strlen(key);
		e = xcalloc(1, sizeof(*e) + len + 1);
		memcpy(e->key, key, len + 1);
		b = hash(key) & (rl->n_buckets - 1);
		e->chain = rl->bucket[b];
		rl->bucket[b] = e;
		rl->n++;
	}
	if (e->count < 1000000)
		e->count++;
	e->last_ms = now;
	list_push_newest(rl, e);
	pthread_mutex_unlock(&rl->lock);
}

void ratelimit_clear(struct ratelimit *rl, const char *key)
{
	struct rl_entry *e;

	pthread_mutex_lock(&rl->lock);
	for (e = rl->bucket[hash(key) & (rl->n_buckets - 1)]; e; e = e->chain)
		if (strcmp(e->key, key) == 0) {
			drop(rl, e);
			break;
		}
	pthread_mutex_unlock(&rl->lock);
}

size_t ratelimit_size(struct ratelimit *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->lock);
	n = rl->n;
	pthread_mutex_unlock(&rl->lock);
	return n;
}
