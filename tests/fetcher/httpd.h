/* A loopback HTTP server for the fetcher's tests (libmicrohttpd, one thread
 * per connection, in the test process): serves files under a docroot with
 * ETag / Last-Modified and answers conditional requests with 304, counts
 * requests and body bytes per path, and injects faults and redirects per
 * path. */
#ifndef LEFT4ME_TEST_HTTPD_H
#define LEFT4ME_TEST_HTTPD_H

#include <stdbool.h>

enum ts_fault {
	TS_NONE,
	TS_404,	  /* answer 404 */
	TS_500,	  /* answer 500 */
	TS_STALL, /* send half the body, then nothing until the server stops */
	TS_RESET, /* send half the body, then reset the connection (RST) */
};

struct ts_server;

/* Listen on 127.0.0.1, an ephemeral port. */
struct ts_server *ts_start(const char *docroot);
void ts_stop(struct ts_server *s);
int ts_port(const struct ts_server *s);

/* Answer requests for path with 302 and this Location (NULL: stop). */
void ts_redirect(struct ts_server *s, const char *path, const char *location);
/* Fault for a path ("/a.zip"); times < 0: every request, else the next N. */
void ts_fault(struct ts_server *s, const char *path, enum ts_fault f, int times);
void ts_clear_faults(struct ts_server *s);
/* Send and honour ETag / Last-Modified (both on by default). */
void ts_validators(struct ts_server *s, bool etag, bool last_modified);

/* Requests for path (NULL: all) and body bytes sent for .zip/.7z paths. */
long ts_requests(struct ts_server *s, const char *path);
long long ts_archive_bytes(struct ts_server *s);
/* Body bytes sent for one path. */
long long ts_bytes(struct ts_server *s, const char *path);
void ts_reset_counters(struct ts_server *s);

#endif
