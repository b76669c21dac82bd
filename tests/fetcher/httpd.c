/* The loopback test server; see httpd.h. */
#include "httpd.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

#define MAX_PATHS 4096

struct ts_path {
	char *path;
	long requests;
	long long bytes;
	enum ts_fault fault;
	int fault_times;
	char *location; /* answer 302 with this */
};

#define MAX_WS 256

struct ts_ws {
	long long id;
	char *members;	/* details, NULL: gone */
	char *children; /* collection children, NULL: none */
};

struct ts_server {
	struct MHD_Daemon *d;
	struct ts_ws ws[MAX_WS];
	size_t n_ws;
	long ws_refused, ws_ids_asked;
	char *docroot;
	int port;
	pthread_mutex_t mu;
	struct ts_path paths[MAX_PATHS];
	size_t n_paths;
	/* Read by the server's threads without mu: atomics. */
	atomic_bool etag, last_modified;
	atomic_bool stopping;
};

/* Caller holds mu. */
static struct ts_path *path_entry(struct ts_server *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n_paths; i++)
		if (strcmp(s->paths[i].path, path) == 0)
			return &s->paths[i];
	if (s->n_paths == MAX_PATHS)
		abort();
	s->paths[s->n_paths].path = xstrdup(path);
	return &s->paths[s->n_paths++];
}

static bool is_archive(const char *p)
{
	size_t n = strlen(p);

	return (n > 4 && strcmp(p + n - 4, ".zip") == 0) ||
	       (n > 3 && strcmp(p + n - 3, ".7z") == 0);
}

struct body {
	struct ts_server *s;
	struct MHD_Connection *conn;
	char *path;
	int fd;
	uint64_t size;
	enum ts_fault fault;
};

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body *b = cls;
	ssize_t n;

	if (pos >= b->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if ((b->fault == TS_STALL || b->fault == TS_RESET) && pos >= b->size / 2) {
		if (b->fault == TS_RESET) {
			const union MHD_ConnectionInfo *ci =
			    MHD_get_connection_info(b->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
			struct linger lg = {1, 0};

			if (ci)
				setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		for (int i = 0; i < 600 && !b->s->stopping; i++)
			usleep(50 * 1000);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if ((b->fault == TS_STALL || b->fault == TS_RESET) && pos + max > b->size / 2)
		max = (size_t)(b->size / 2 - pos);
	if (max == 0)
		max = 1;
	n = pread(b->fd, buf, max, (off_t)pos);
	if (n <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	pthread_mutex_lock(&b->s->mu);
	path_entry(b->s, b->path)->bytes += n;
	pthread_mutex_unlock(&b->s->mu);
	return n;
}

static void body_free(void *cls)
{
	struct body *b = cls;

	close(b->fd);
	free(b->path);
	free(b);
}

static enum MHD_Result answer_status(struct MHD_Connection *conn, unsigned code)
{
	static const char msg[] = "error\n";
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(conn, code, r);

	MHD_destroy_response(r);
	return ret;
}

/* ---- the Steam Web API stand-in ---------------------------------------- */

#define API_PREFIX  "/ISteamRemoteStorage/"
#define API_DETAILS "/ISteamRemoteStorage/GetPublishedFileDetails/v1/"
#define API_COLL    "/ISteamRemoteStorage/GetCollectionDetails/v1/"
#define FORM_MAX    (64 * 1024)

struct post {
	char buf[FORM_MAX];
	size_t len;
	bool overflow;
};

/* Caller holds mu. */
static struct ts_ws *ws_entry(struct ts_server *s, long long id, bool make)
{
	for (size_t i = 0; i < s->n_ws; i++)
		if (s->ws[i].id == id)
			return &s->ws[i];
	if (!make)
		return NULL;
	if (s->n_ws == MAX_WS)
		abort();
	s->ws[s->n_ws].id = id;
	return &s->ws[s->n_ws++];
}

/* The ids of a form "COUNTKEY=N&publishedfileids[0]=ID&...", exactly in
 * that order: their number, or -1. */
static int form_ids(const char *form, const char *count_key, long long *ids, int max)
{
	size_t kl = strlen(count_key);
	const char *p = form;
	int n, used = 0;
	long long v;

	if (strncmp(p, count_key, kl) != 0 || p[kl] != '=')
		return -1;
	p += kl + 1;
	if (sscanf(p, "%d%n", &n, &used) != 1 || n < 1 || n > max)
		return -1;
	p += used;
	for (int i = 0; i < n; i++) {
		int idx = -1;

		used = 0;
		if (sscanf(p, "&publishedfileids%%5B%d%%5D=%lld%n", &idx, &v, &used) != 2 &&
		    sscanf(p, "&publishedfileids[%d]=%lld%n", &idx, &v, &used) != 2)
			return -1;
		if (idx != i || v < 1)
			return -1;
		ids[i] = v;
		p += used;
	}
	return *p ? -1 : n;
}

static enum MHD_Result answer_json(struct MHD_Connection *conn, char *json)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json; charset=UTF-8");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result api_answer(struct ts_server *s, struct MHD_Connection *conn, const char *url,
				  const char *method, struct post *pb)
{
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	bool details = strcmp(url, API_DETAILS) == 0;
	long long ids[200];
	char *json, *part;
	int n;

	if (!details && strcmp(url, API_COLL) != 0)
		return answer_status(conn, 404);
	pthread_mutex_lock(&s->mu);
	path_entry(s, url)->requests++;
	pthread_mutex_unlock(&s->mu);
	if (strcmp(method, "POST") != 0 || !type ||
	    strncmp(type, "application/x-www-form-urlencoded", 33) != 0 || pb->overflow) {
		pthread_mutex_lock(&s->mu);
		s->ws_refused++;
		pthread_mutex_unlock(&s->mu);
		return answer_status(conn, strcmp(method, "POST") != 0 ? 405 : 415);
	}
	pb->buf[pb->len] = '\0';
	n = form_ids(pb->buf, details ? "itemcount" : "collectioncount", ids, 200);
	pthread_mutex_lock(&s->mu);
	if (n < 0) {
		s->ws_refused++;
		pthread_mutex_unlock(&s->mu);
		return answer_status(conn, 400);
	}
	if (details)
		s->ws_ids_asked += n;
	json = xasprintf("{\"response\":{\"result\":1,\"resultcount\":%d,\"%s\":[", n,
			 details ? "publishedfiledetails" : "collectiondetails");
	for (int i = 0; i < n; i++) {
		struct ts_ws *w = ws_entry(s, ids[i], false);
		const char *more = details ? (w ? w->members : NULL) : (w ? w->children : NULL);

		if (!more)
			part = xasprintf("%s%s{\"publishedfileid\":\"%lld\",\"result\":9}", json,
					 i ? "," : "", ids[i]);
		else if (details)
			part = xasprintf("%s%s{\"publishedfileid\":\"%lld\",\"result\":1,%s}", json,
					 i ? "," : "", ids[i], more);
		else
			part = xasprintf("%s%s{\"publishedfileid\":\"%lld\",\"result\":1,"
					 "\"children\":%s}",
					 json, i ? "," : "", ids[i], more);
		free(json);
		json = part;
	}
	pthread_mutex_unlock(&s->mu);
	part = xasprintf("%s]}}", json);
	free(json);
	return answer_json(conn, part);
}

void ts_ws_item(struct ts_server *s, long long id, const char *members)
{
	struct ts_ws *w;

	pthread_mutex_lock(&s->mu);
	w = ws_entry(s, id, true);
	free(w->members);
	w->members = members ? xstrdup(members) : NULL;
	pthread_mutex_unlock(&s->mu);
}

void ts_ws_collection(struct ts_server *s, long long id, const char *children)
{
	struct ts_ws *w;

	pthread_mutex_lock(&s->mu);
	w = ws_entry(s, id, true);
	free(w->children);
	w->children = children ? xstrdup(children) : NULL;
	pthread_mutex_unlock(&s->mu);
}

long ts_ws_refused(struct ts_server *s)
{
	long n;

	pthread_mutex_lock(&s->mu);
	n = s->ws_refused;
	pthread_mutex_unlock(&s->mu);
	return n;
}

long ts_ws_ids_asked(struct ts_server *s)
{
	long n;

	pthread_mutex_lock(&s->mu);
	n = s->ws_ids_asked;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	if (*con_cls && *con_cls != (void *)&request_done)
		free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_size, void **con_cls)
{
	static int marker;
	struct ts_server *s = cls;
	struct ts_path *pe;
	enum ts_fault fault;
	char *file, *location, etag[64], lm[64];
	struct stat sb;
	struct MHD_Response *r;
	struct body *b;
	const char *inm, *ims;
	enum MHD_Result ret;
	int fd;

	(void)version;
	(void)marker;
	if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0) {
		struct post *pb = *con_cls;

		if (!pb) {
			*con_cls = xcalloc(1, sizeof(struct post));
			return MHD_YES;
		}
		if (*upload_size) {
			if (pb->len + *upload_size < FORM_MAX) {
				memcpy(pb->buf + pb->len, upload_data, *upload_size);
				pb->len += *upload_size;
			} else {
				pb->overflow = true;
			}
			*upload_size = 0;
			return MHD_YES;
		}
		return api_answer(s, conn, url, method, pb);
	}
	if (*con_cls == NULL) {
		*con_cls = (void *)&request_done;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0)
		return answer_status(conn, 405);
	pthread_mutex_lock(&s->mu);
	pe = path_entry(s, url);
	pe->requests++;
	location = pe->location ? xstrdup(pe->location) : NULL;
	fault = pe->fault;
	if (fault != TS_NONE && pe->fault_times > 0 && --pe->fault_times == 0)
		pe->fault = TS_NONE;
	pthread_mutex_unlock(&s->mu);
	if (location) {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Location", location);
		free(location);
		ret = MHD_queue_response(conn, 302, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (fault == TS_404)
		return answer_status(conn, 404);
	if (fault == TS_500)
		return answer_status(conn, 500);
	if (strstr(url, "..") || url[0] != '/')
		return answer_status(conn, 400);
	file = xasprintf("%s%s", s->docroot, url);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	free(file);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		return answer_status(conn, 404);
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)sb.st_size,
		 (unsigned long long)sb.st_mtim.tv_sec * 1000000000ULL +
		     (unsigned long long)sb.st_mtim.tv_nsec);
	{
		struct tm tm;

		gmtime_r(&sb.st_mtim.tv_sec, &tm);
		strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	}
	inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
	ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Modified-Since");
	if ((s->etag && inm && strcmp(inm, etag) == 0) ||
	    (s->last_modified && !(s->etag && inm) && ims && curl_getdate(ims, NULL) >= 0 &&
	     sb.st_mtim.tv_sec <= curl_getdate(ims, NULL))) {
		close(fd);
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (s->etag)
			MHD_add_response_header(r, "ETag", etag);
		ret = MHD_queue_response(conn, 304, r);
		MHD_destroy_response(r);
		return ret;
	}
	b = xcalloc(1, sizeof(*b));
	b->s = s;
	b->conn = conn;
	b->path = xstrdup(url);
	b->fd = fd;
	b->size = (uint64_t)sb.st_size;
	b->fault = fault;
	r = MHD_create_response_from_callback(b->size, 32 * 1024, body_read, b, body_free);
	if (s->etag)
		MHD_add_response_header(r, "ETag", etag);
	if (s->last_modified)
		MHD_add_response_header(r, "Last-Modified", lm);
	if (strlen(url) > 4 && strcmp(url + strlen(url) - 4, ".png") == 0)
		MHD_add_response_header(r, "Content-Type", "image/png");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

struct ts_server *ts_start(const char *docroot)
{
	struct ts_server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
	const union MHD_DaemonInfo *di;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->docroot = xstrdup(docroot);
	atomic_init(&s->etag, true);
	atomic_init(&s->last_modified, true);
	atomic_init(&s->stopping, false);
	pthread_mutex_init(&s->mu, NULL);
	s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
				NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, &sin,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED,
				request_done, NULL, MHD_OPTION_END);
	if (!s->d)
		abort();
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di->port;
	return s;
}

void ts_stop(struct ts_server *s)
{
	size_t i;

	if (!s)
		return;
	s->stopping = true;
	MHD_stop_daemon(s->d);
	for (i = 0; i < s->n_paths; i++) {
		free(s->paths[i].path);
		free(s->paths[i].location);
	}
	for (i = 0; i < s->n_ws; i++) {
		free(s->ws[i].members);
		free(s->ws[i].children);
	}
	pthread_mutex_destroy(&s->mu);
	free(s->docroot);
	free(s);
}

int ts_port(const struct ts_server *s)
{
	return s->port;
}

void ts_fault(struct ts_server *s, const char *path, enum ts_fault f, int times)
{
	struct ts_path *pe;

	pthread_mutex_lock(&s->mu);
	pe = path_entry(s, path);
	pe->fault = f;
	pe->fault_times = times < 0 ? -1 : times;
	pthread_mutex_unlock(&s->mu);
}

void ts_redirect(struct ts_server *s, const char *path, const char *location)
{
	struct ts_path *pe;

	pthread_mutex_lock(&s->mu);
	pe = path_entry(s, path);
	free(pe->location);
	pe->location = location ? xstrdup(location) : NULL;
	pthread_mutex_unlock(&s->mu);
}

void ts_clear_faults(struct ts_server *s)
{
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n_paths; i++)
		s->paths[i].fault = TS_NONE;
	pthread_mutex_unlock(&s->mu);
}

void ts_validators(struct ts_server *s, bool etag, bool last_modified)
{
	pthread_mutex_lock(&s->mu);
	s->etag = etag;
	s->last_modified = last_modified;
	pthread_mutex_unlock(&s->mu);
}

long ts_requests(struct ts_server *s, const char *path)
{
	long n = 0;
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n_paths; i++)
		if (!path || strcmp(path, s->paths[i].path) == 0)
			n += s->paths[i].requests;
	pthread_mutex_unlock(&s->mu);
	return n;
}

long long ts_archive_bytes(struct ts_server *s)
{
	long long n = 0;
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n_paths; i++)
		if (is_archive(s->paths[i].path))
			n += s->paths[i].bytes;
	pthread_mutex_unlock(&s->mu);
	return n;
}

long long ts_bytes(struct ts_server *s, const char *path)
{
	long long n = 0;
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n_paths; i++)
		if (strcmp(path, s->paths[i].path) == 0)
			n += s->paths[i].bytes;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void ts_reset_counters(struct ts_server *s)
{
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n_paths; i++) {
		s->paths[i].requests = 0;
		s->paths[i].bytes = 0;
	}
	pthread_mutex_unlock(&s->mu);
}
