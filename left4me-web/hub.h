/* Live streams (SSE) without a thread per stream.  One reader per source
 * (a job's job_log rows, a server's journal) runs in the hub's single
 * thread, woken by db_watch's inotify fd and sd_journal's fd; it appends
 * formatted events to the source's shared buffer and resumes every viewer
 * waiting on it.  A viewer is a suspended libmicrohttpd connection whose
 * content reader copies from the shared buffer and suspends itself again
 * when it has caught up.  Knows libmicrohttpd connections and the
 * database, not requests: the transport (web.c) queues the response a
 * stream is made with and detaches the stream when its request ends. */
#ifndef LEFT4ME_WEB_HUB_H
#define LEFT4ME_WEB_HUB_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct hub;
struct sse_stream;

#define HUB_KEEPALIVE_MS 15000
#define HUB_RECHECK_MS	 250

/* The journald namespace the game servers log into: the server unit's
 * LogNamespace= (units/left4me-server@.service) must name the same one.
 * The web reads only this namespace, never the system journal. */
#define HUB_CONSOLE_NAMESPACE "left4me"
/* The unit whose lines with LEFT4ME_SERVER=NAME are systemd's own lines
 * about server NAME, relayed into that namespace (left4me-status/relay.h);
 * the console shows them marked "[systemd] ". */
#define HUB_RELAY_UNIT "left4me-status.service"

/* A hub on the database at db_path that bumps *generation on every change
 * it sees (cache.h) and reads consoles from the journal namespace, or from
 * journal_dir when it is not NULL (tests).  NULL with err on failure. */
struct hub *hub_new(const char *db_path, const char *journal_dir, atomic_uint_fast64_t *generation,
		    char *err, size_t errlen);
int hub_start(struct hub *h, char *err, size_t errlen);
/* Stop the thread and end every stream (before MHD_stop_daemon). */
void hub_shutdown(struct hub *h);
void hub_free(struct hub *h);
/* The response of an SSE stream of job_id's log after event id after_id
 * for the connection conn, and in *stream its viewer, which the caller
 * hands to hub_detach when the request ends; NULL (and no viewer) if no
 * response can be made. */
struct MHD_Response *hub_job_stream(struct hub *h, struct MHD_Connection *conn, int64_t job_id,
				    int64_t after_id, struct sse_stream **stream);
/* The same for the console of one server, known by its identity (row id
 * server_id, created_at in Unix ms) and not only its name: the journal of
 * left4me-server@NAME.service in the console namespace, only entries at or
 * after created_at, after event id after_id (journal realtime usec).  The
 * stream ends with "event: end" and "data: deleted" once that row is
 * gone, also when a server of the same name exists again. */
struct MHD_Response *hub_console_stream(struct hub *h, struct MHD_Connection *conn,
					int64_t server_id, const char *server, int64_t created_at,
					int64_t after_id, struct sse_stream **stream);
/* The same for the live state of servers: the servers of user
 * scope_user, or every user's for 0 (an admin's).  A new viewer first gets
 * one "status" event per server, then one whenever a server's state,
 * label, map or player count changes, each with JSON data {"server",
 * "state", "label", "map", "players", "max_players"} (the last three null
 * unless A2S answers now), and "removed" with the name of a server that
 * left the scope.  hub_claim's recheck ends a scope-0 stream whose user
 * is no longer an admin ("access revoked"). */
struct MHD_Response *hub_status_stream(struct hub *h, struct MHD_Connection *conn,
				       int64_t scope_user, struct sse_stream **stream);
/* Give stream to user_id, seen through session_id (< 0: minus the id of
 * the API token it came with),
 * unless that user already has max live streams: 0, or -1 (the caller
 * answers 429 and detaches it).  From then on the hub thread checks,
 * after each database change (at most every HUB_RECHECK_MS), that the
 * session or token is still live, the user still enabled and still
 * allowed to see the streamed object (its owner, an admin, or a system
 * job's viewer); when not, the stream ends with "event: end" and "data: "
 * one of "logged out", "token revoked", "user disabled", "user deleted",
 * "deleted" or "access revoked". */
int hub_claim(struct hub *h, struct sse_stream *stream, int64_t user_id, int64_t session_id,
	      int max);
/* End a viewer: called when its request ends (completion callback). */
void hub_detach(struct hub *h, struct sse_stream *s);
size_t hub_streams_open(struct hub *h);

#endif
