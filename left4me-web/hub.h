/* Live streams (SSE) without a thread per stream.  One reader per source
 * (a job's job_log rows, a server's journal) runs in the hub's single
 * thread, woken by db_watch's inotify fd and sd_journal's fd; it appends
 * formatted events to the source's shared buffer and resumes every viewer
 * waiting on it.  A viewer is a suspended libmicrohttpd connection whose
 * content reader copies from the shared buffer and suspends itself again
 * when it has caught up. */
#ifndef LEFT4ME_WEB_HUB_H
#define LEFT4ME_WEB_HUB_H

#include <stddef.h>
#include <stdint.h>

struct web;
struct req;
struct hub;
struct sse_stream;

#define HUB_KEEPALIVE_MS 15000

/* The journald namespace the game servers log into: the server unit's
 * LogNamespace= (units/left4me-server@.service) must name the same one.
 * The web reads only this namespace, never the system journal. */
#define HUB_CONSOLE_NAMESPACE "left4me"

struct hub *hub_new(struct web *w, char *err, size_t errlen);
int hub_start(struct hub *h, char *err, size_t errlen);
/* Stop the thread and end every stream (before MHD_stop_daemon). */
void hub_shutdown(struct hub *h);
void hub_free(struct hub *h);
/* Answer r with an SSE stream of job_id's log after event id after_id. */
int hub_serve_job(struct req *r, int64_t job_id, int64_t after_id);
/* Answer r with an SSE stream of the console of one server, known by its
 * identity (row id server_id, created_at in Unix ms) and not only its
 * name: the journal of left4me-server@NAME.service in the console
 * namespace, only entries at or after created_at, after event id after_id
 * (journal realtime usec).  The stream ends with "event: end" and
 * "data: deleted" once that row is gone, also when a server of the same
 * name exists again. */
int hub_serve_console(struct req *r, int64_t server_id, const char *server, int64_t created_at,
		      int64_t after_id);
/* Called when the request ends (completion callback). */
void hub_detach(struct hub *h, struct sse_stream *s);
size_t hub_streams_open(struct hub *h);

#endif
