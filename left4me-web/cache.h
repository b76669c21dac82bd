/* Read caches keyed on a database generation: w->generation is bumped by
 * the hub thread on every change inotify reports on the DB's WAL and by
 * every state-changing request when it ends, so an entry made at
 * generation G is served only while nothing has been written since.  Other
 * processes' writes are seen within the inotify latency (milliseconds).
 *   - sessions: token hash -> session and user (expiry still checked);
 *   - pages: a few list pages per session, as ready MHD responses. */
#ifndef LEFT4ME_WEB_CACHE_H
#define LEFT4ME_WEB_CACHE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "db_session.h"
#include "db_user.h"

struct cache;

struct cache *cache_new(void);
void cache_free(struct cache *c);
/* Fill *sess and *user (id, name: a new string, admin) from the cache;
 * false on a miss. */
bool cache_session_get(struct cache *c, uint64_t gen, const char *hash, struct session *sess,
		       struct user *user);
void cache_session_put(struct cache *c, uint64_t gen, const char *hash, const struct session *sess,
		       const struct user *user);
/* Queue the cached page of session session_id for url on conn: the MHD
 * result, or -1 on a miss (nothing queued). */
int cache_page_serve(struct cache *c, uint64_t gen, int64_t session_id, const char *url,
		     struct MHD_Connection *conn);
/* Keep resp (takes a reference) for session session_id and url. */
void cache_page_put(struct cache *c, uint64_t gen, int64_t session_id, const char *url,
		    struct MHD_Response *resp);

#endif
