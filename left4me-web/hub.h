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

struct hub *hub_new(struct web *w, char *err, size_t errlen);
int hub_start(struct hub *h, char *err, size_t errlen);
/* Stop the thread and end every stream (before MHD_stop_daemon). */
void hub_shutdown(struct hub *h);
void hub_free(struct hub *h);
/* Answer r with an SSE stream of job_id's log after event id after_id. */
int hub_serve_job(struct req *r, int64_t job_id, int64_t after_id);
/* Answer r with an SSE stream of left4me-server@NAME.service's journal
 * after event id after_id (journal realtime usec). */
int hub_serve_console(struct req *r, const char *server, int64_t after_id);
/* Called when the request ends (completion callback). */
void hub_detach(struct hub *h, struct sse_stream *s);
size_t hub_streams_open(struct hub *h);

#endif
