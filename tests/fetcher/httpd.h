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

/* A stand-in of the Steam Web API's Workshop calls, strict as the real
 * one is documented (../shared/DOMAIN.md): only POST with a
 * application/x-www-form-urlencoded body of exactly
 *   itemcount=N&publishedfileids[0]=ID...        (GetPublishedFileDetails)
 *   collectioncount=N&publishedfileids[0]=ID...  (GetCollectionDetails)
 * at /ISteamRemoteStorage/{GetPublishedFileDetails,GetCollectionDetails}/v1/;
 * anything else is a 405/415/400 counted by ts_ws_refused.  Replies are
 * {"response":{"result":1,"resultcount":N,"publishedfiledetails":[...]}}
 * (or "collectiondetails") with one entry per id asked, in order. */
/* The details entry of id: the members after "publishedfileid" and
 * "result":1 (JSON text, e.g. "\"title\":\"A\",\"file_size\":3");
 * NULL: the item is gone (result 9). */
void ts_ws_item(struct ts_server *s, long long id, const char *members);
/* id is a collection with these children (JSON array text); NULL: not a
 * collection (result 9 from GetCollectionDetails). */
void ts_ws_collection(struct ts_server *s, long long id, const char *children);
/* Requests the stand-in refused (wrong method, type or form). */
long ts_ws_refused(struct ts_server *s);
/* Ids asked for in GetPublishedFileDetails calls, all calls together. */
long ts_ws_ids_asked(struct ts_server *s);

#endif
