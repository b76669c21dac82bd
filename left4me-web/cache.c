/* Generation-keyed read caches; see cache.h. */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "xalloc.h"

#define SESSION_SLOTS 1024
#define PAGE_SLOTS    256

struct session_slot {
	bool used;
	uint64_t gen;
	char hash[65];
	struct session sess;
	int64_t user_id;
	char *user_name;
	bool admin;
};

struct page_slot {
	bool used;
	uint64_t gen;
	int64_t session_id;
	char *url;
	struct MHD_Response *resp;
};

struct cache {
	pthread_mutex_t lock;
	struct session_slot sessions[SESSION_SLOTS];
	struct page_slot pages[PAGE_SLOTS];
};

static unsigned hash_str(const char *s, unsigned seed)
{
	unsigned h = 2166136261u ^ seed;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct cache *cache_new(void)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void cache_free(struct cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < SESSION_SLOTS; i++)
		free(c->sessions[i].user_name);
	for (i = 0; i < PAGE_SLOTS; i++) {
		free(c->pages[i].url);
		if (c->pages[i].resp)
			MHD_destroy_response(c->pages[i].resp);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool cache_session_get(struct cache *c, uint64_t gen, const char *hash, struct session *sess,
		       struct user *user)
{
	struct session_slot *s = &c->sessions[hash_str(hash, 0) % SESSION_SLOTS];
	bool hit = false;

	pthread_mutex_lock(&c->lock);
	if (s->used && s->gen == gen && strcmp(s->hash, hash) == 0 &&
	    s->sess.expires_at > now_ms()) {
		*sess = s->sess;
		user->id = s->user_id;
		user->name = xstrdup(s->user_name);
		user->admin = s->admin;
		hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void cache_session_put(struct cache *c, uint64_t gen, const char *hash, const struct session *sess,
		       const struct user *user)
{
	struct session_slot *s = &c->sessions[hash_str(hash, 0) % SESSION_SLOTS];

	pthread_mutex_lock(&c->lock);
	free(s->user_name);
	s->used = true;
	s->gen = gen;
	memcpy(s->hash, hash, sizeof(s->hash) - 1);
	s->hash[sizeof(s->hash) - 1] = '\0';
	s->sess = *sess;
	s->user_id = user->id;
	s->user_name = xstrdup(user->name);
	s->admin = user->admin;
	pthread_mutex_unlock(&c->lock);
}

static struct page_slot *page_slot(struct cache *c, int64_t session_id, const char *url)
{
	return &c->pages[(hash_str(url, (unsigned)session_id) ^ (unsigned)session_id) % PAGE_SLOTS];
}

int cache_page_serve(struct cache *c, uint64_t gen, int64_t session_id, const char *url,
		     struct MHD_Connection *conn)
{
	struct page_slot *p = page_slot(c, session_id, url);
	int ret = -1;

	/* Queued under the lock: the queue takes its own reference before a
	 * concurrent put could drop the cache's. */
	pthread_mutex_lock(&c->lock);
	if (p->used && p->gen == gen && p->session_id == session_id && strcmp(p->url, url) == 0)
		ret = MHD_queue_response(conn, MHD_HTTP_OK, p->resp);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void cache_page_put(struct cache *c, uint64_t gen, int64_t session_id, const char *url,
		    struct MHD_Response *resp)
{
	struct page_slot *p = page_slot(c, session_id, url);
	struct MHD_Response *old;

	pthread_mutex_lock(&c->lock);
	old = p->resp;
	free(p->url);
	p->used = true;
	p->gen = gen;
	p->session_id = session_id;
	p->url = xstrdup(url);
	p->resp = resp;
	pthread_mutex_unlock(&c->lock);
	if (old)
		MHD_destroy_response(old);
}
