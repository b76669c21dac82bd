/* The transport of left4me-web: the libmicrohttpd daemon and its limits,
 * request state, body collection with a hard cap (413, never cropped),
 * authentication (the hook of the layer above) before the body is read,
 * dispatch through the route table's hook, and every response with its
 * security headers and its count.  Runs as the web's own unprivileged
 * user; trusts nothing a client sends.  See web.h. */
#include "web.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "conns.h"
#include "db.h"
#include "html.h"
#include "hub.h"
#include "log.h"
#include "netaddr.h"
#include "timeutil.h"
#include "parse.h"
#include "ratelimit.h"
#include "validate.h"
#include "xalloc.h"
#include "xff.h"

#define CSP                                                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
#define WEB_THREADS	 2
#define MHD_MEMORY_LIMIT (8 * 1024)

/* ---- per-thread database connections ------------------------------------ */

static __thread sqlite3 *t_db;
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 **all_dbs;
static size_t n_all_dbs;

sqlite3 *web_db(struct req *r)
{
	char err[256];

	if (t_db)
		return t_db;
	t_db = db_open(r->w->db_path, 0, err, sizeof(err));
	if (!t_db)
		fatal("%s", err);
	pthread_mutex_lock(&db_lock);
	all_dbs = xreallocarray(all_dbs, n_all_dbs + 1, sizeof(*all_dbs));
	all_dbs[n_all_dbs++] = t_db;
	pthread_mutex_unlock(&db_lock);
	return t_db;
}

static void close_all_dbs(void)
{
	size_t i;

	pthread_mutex_lock(&db_lock);
	for (i = 0; i < n_all_dbs; i++)
		db_close(all_dbs[i]);
	free(all_dbs);
	all_dbs = NULL;
	n_all_dbs = 0;
	pthread_mutex_unlock(&db_lock);
}

/* ---- responses ------------------------------------------------------------ */

void web_add_headers(struct req *r, struct MHD_Response *resp, const char *type)
{
	int i;

	if (type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (type && strncmp(type, "text/event-stream", 17) == 0) {
		/* Not a document: the page-only headers would cost ~400 bytes
		 * per open stream (10,000 streams: 4 MiB). */
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		return;
	}
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->retry_after > 0) {
		char ra[24];

		snprintf(ra, sizeof(ra), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	for (i = 0; i < 2; i++)
		if (r->set_cookie[i])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie[i]);
	if (r->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
}

static void count_status(struct req *r, unsigned status)
{
	unsigned cls = status / 100;

	if (cls < 6)
		atomic_fetch_add(&r->w->responses_by_class[cls], 1);
}

/* Queue body (taken over) with status and type. */
static int respond(struct req *r, unsigned status, const char *type, struct strbuf *body)
{
	size_t len = body->len;
	char *buf = strbuf_detach(body);
	struct MHD_Response *resp;
	enum MHD_Result ret;

	strbuf_fini(body); /* detach leaves a fresh empty buffer */
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	web_add_headers(r, resp, type);
	count_status(r, status);
	ret = MHD_queue_response(r->conn, status, resp);
	if (r->cache_store && status == 200 && ret == MHD_YES)
		cache_page_put(r->w->cache, r->cache_gen, r->sess.id, r->url,
			       resp); /* takes our reference */
	else
		MHD_destroy_response(resp);
	return ret;
}

int web_respond(struct req *r, unsigned status, const char *type, struct strbuf *body)
{
	/* A page is HTML only from a struct html (web_respond_html). */
	assert(!type || strncasecmp(type, "text/html", 9) != 0);
	return respond(r, status, type, body);
}

int web_respond_html(struct req *r, unsigned status, struct html *page)
{
	return respond(r, status, "text/html; charset=utf-8", &page->escaped);
}

int web_respond_text(struct req *r, unsigned status, const char *text)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_puts(&sb, text);
	return web_respond(r, status, "text/plain; charset=utf-8", &sb);
}

int web_redirect(struct req *r, const char *location)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	web_add_headers(r, resp, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	count_status(r, 303);
	ret = MHD_queue_response(r->conn, MHD_HTTP_SEE_OTHER, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A response streaming regular file fd (taken: closed on failure) as
 * type, or NULL with *ret the MHD result of the error answered. */
static struct MHD_Response *fd_response(struct req *r, int fd, const char *type, int *ret)
{
	struct MHD_Response *resp;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*ret = web_error(r, 500, "cannot read the file");
		return NULL;
	}
	resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		*ret = MHD_NO;
		return NULL;
	}
	web_add_headers(r, resp, type);
	return resp;
}

/* Queue resp as a 200 and let it go. */
static int queue_ok(struct req *r, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	count_status(r, 200);
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int web_respond_file(struct req *r, int fd, const char *name)
{
	const char *base = strrchr(name, '/');
	struct MHD_Response *resp;
	char *disp;
	size_t i;
	int ret;

	if (!(resp = fd_response(r, fd, "application/octet-stream", &ret)))
		return ret;
	/* The name is a valid overlay path component: printable ASCII; quotes
	 * and backslashes are not allowed in it, but be safe. */
	disp = xasprintf("attachment; filename=\"%s\"", base ? base + 1 : name);
	for (i = 22; disp[i]; i++)
		if (disp[i] == '"' && disp[i + 1] != '\0')
			disp[i] = '_';
	MHD_add_response_header(resp, "Content-Disposition", disp);
	free(disp);
	return queue_ok(r, resp);
}

int web_respond_inline(struct req *r, int fd, const char *type)
{
	struct MHD_Response *resp;
	int ret;

	if (!(resp = fd_response(r, fd, type, &ret)))
		return ret;
	MHD_del_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "private, max-age=300");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	return queue_ok(r, resp);
}

int web_respond_static(struct req *r, const char *type, const void *data, size_t len)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	web_add_headers(r, resp, type);
	MHD_del_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "max-age=300");
	count_status(r, 200);
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int web_respond_stream(struct req *r, struct MHD_Response *resp, struct sse_stream *stream)
{
	int max = r->w->cfg->web.max_streams_per_user;
	enum MHD_Result ret;
	char msg[160];

	if (!resp)
		return MHD_NO;
	if (hub_claim(r->w->hub, stream, r->user.id, r->via_token ? -r->token_id : r->sess.id,
		      max) < 0) {
		MHD_destroy_response(resp);
		hub_detach(r->w->hub, stream);
		snprintf(msg, sizeof(msg),
			 "too many live streams: %d are open for this user "
			 "(web.max_streams_per_user); close one first",
			 max);
		return web_error(r, 429, msg);
	}
	r->stream = stream; /* detached in req_free */
	web_add_headers(r, resp, "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	count_status(r, 200);
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int web_error(struct req *r, unsigned status, const char *msg)
{
	return r->error(r, status, msg);
}

/* ---- request data ------------------------------------------------------- */

const char *web_param(struct req *r, const char *key)
{
	int i;

	for (i = 0; i < r->n_params; i++)
		if (strcmp(r->params[i].key, key) == 0)
			return r->params[i].value;
	return NULL;
}

const char *web_query(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *web_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *web_cookie(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

/* Decode one urlencoded component: no raw control character but tab in
 * it, a well-formed %XX for every '%', no %00, UTF-8 once decoded.  NULL
 * if malformed. */
static char *form_decode(const char *s, size_t len)
{
	char *out;
	size_t i, n;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return NULL;
	if (parse_percent_decode(s, len, PARSE_PCT_PLUS | PARSE_PCT_STRICT, &out, &n) < 0)
		return NULL;
	if (!valid_utf8(out, n)) {
		free(out);
		return NULL;
	}
	return out;
}

int web_parse_form(struct req *r, const char *data, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *field = data + pos, *amp = memchr(field, '&', len - pos), *eq;
		size_t flen = amp ? (size_t)(amp - field) : len - pos;
		char *k, *v;

		pos += flen + 1;
		if (flen == 0)
			continue;
		eq = memchr(field, '=', flen);
		if (!eq)
			return -1;
		if (r->n_params >= WEB_MAX_PARAMS)
			return -1;
		k = form_decode(field, (size_t)(eq - field));
		v = form_decode(eq + 1, flen - (size_t)(eq - field) - 1);
		if (!k || !v || !k[0]) {
			free(k);
			free(v);
			return -1;
		}
		r->params[r->n_params].key = k;
		r->params[r->n_params].value = v;
		r->n_params++;
	}
	return 0;
}

/* ---- streamed uploads ------------------------------------------------------ */

void web_upload_fail(struct req *r, unsigned status, const char *msg)
{
	if (r->upload.drop)
		r->upload.drop(r);
	memset(&r->upload, 0, sizeof(r->upload));
	if (r->upload_status)
		return;
	r->upload_status = status;
	r->upload_msg = xstrdup(msg);
}

/* Check the CSRF token and call the route's upload hook: 0, or -1 with
 * the failure recorded. */
static int upload_begin(struct req *r)
{
	if (r->route->csrf && r->authed && !r->w->hooks->csrf_ok(r)) {
		web_upload_fail(r, 403, "missing or wrong CSRF token");
		return -1;
	}
	if (r->route->upload(r) < 0) {
		if (!r->upload_status)
			web_upload_fail(r, 500, "cannot take the upload");
		return -1;
	}
	return 0;
}

/* A text field of a multipart form: into r->params (UTF-8, no NUL). */
static int mp_field(void *ctx, const char *name, const char *value, size_t len)
{
	struct req *r = ctx;

	if (r->filename) {
		web_upload_fail(r, 400, "a form's fields must come before its file");
		return -1;
	}
	if (r->n_params >= WEB_MAX_PARAMS || !name[0] || memchr(value, '\0', len) ||
	    !valid_utf8(value, len)) {
		web_upload_fail(r, 400, "malformed multipart form data");
		return -1;
	}
	r->params[r->n_params].key = xstrdup(name);
	r->params[r->n_params].value = xstrndup(value, len);
	r->n_params++;
	return 0;
}

static int mp_file_begin(void *ctx, const char *name, const char *filename)
{
	struct req *r = ctx;

	(void)name;
	if (r->filename) {
		web_upload_fail(r, 400, "a form takes one file");
		return -1;
	}
	r->filename = xstrdup(filename);
	return upload_begin(r);
}

static int mp_file_data(void *ctx, const char *data, size_t len)
{
	struct req *r = ctx;

	return r->upload.write ? r->upload.write(r, data, len) : -1;
}

static const struct multipart_cb mp_cb = {mp_field, mp_file_begin, mp_file_data};

/* The 413 of a body over its limit, naming the key. */
static int body_too_large(struct req *r)
{
	char msg[160];
	bool upload = r->route->body == BODY_FILE || r->route->body == BODY_MULTIPART;

	if (r->edit_put)
		snprintf(msg, sizeof(msg),
			 "request body too large: a text edit is over web.max_edit (%lld bytes)",
			 r->body_limit);
	else if (r->route->body == BODY_EDIT)
		snprintf(msg, sizeof(msg),
			 "request body too large: the editor's form is at most %lld bytes "
			 "(web.max_body + 3 x web.max_edit)",
			 r->body_limit);
	else
		snprintf(msg, sizeof(msg),
			 "request body too large: %s is at most %lld bytes (web.%s)",
			 upload ? "an upload" : "a request body", r->body_limit,
			 upload ? "max_upload" : "max_body");
	return web_error(r, 413, msg);
}

/* The body's next bytes: kept (form, JSON), parsed (multipart) or
 * streamed to the upload (file), under the body's limit. */
static void body_chunk(struct req *r, const char *data, size_t len)
{
	r->body_seen += (long long)len;
	if (r->too_big || r->upload_status)
		return; /* read and dropped: the answer comes at the end */
	if (r->body_seen > r->body_limit) {
		r->too_big = true;
		web_upload_fail(r, 413, "");
		return;
	}
	if (r->route->body == BODY_MULTIPART) {
		int rc = multipart_feed(r->mp, data, len);

		if (rc == -1)
			web_upload_fail(r, 400, "malformed multipart form data");
	} else if (r->route->body == BODY_FILE && !r->edit_put) {
		if (r->upload.write)
			(void)r->upload.write(r, data, len);
	} else {
		strbuf_append(&r->body, data, len);
	}
}

/* The body has ended: 0 to go on to the handler, else the MHD result of
 * the error answered. */
static int body_end(struct req *r, int *queued)
{
	*queued = 1;
	if (r->too_big)
		return body_too_large(r);
	if (r->route->body == BODY_MULTIPART && !r->upload_status && multipart_finish(r->mp) < 0)
		web_upload_fail(r, 400, "malformed multipart form data");
	if (r->upload_status)
		return web_error(r, r->upload_status, r->upload_msg);
	if ((r->route->body == BODY_FORM || r->route->body == BODY_EDIT) &&
	    strcmp(r->method, "POST") == 0) {
		const char *ct = web_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);

		if (r->body.len &&
		    (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0))
			return web_error(r, 415, "expected a form");
		if (web_parse_form(r, r->body.buf, r->body.len) < 0)
			return web_error(r, 400, "malformed form data");
	}
	if (r->route->csrf && r->authed && !r->w->hooks->csrf_ok(r))
		return web_error(r, 403, "missing or wrong CSRF token");
	*queued = 0;
	return MHD_YES;
}

/* ---- the access handler ---------------------------------------------------- */

static void req_free(struct req *r)
{
	int i;

	if (!r)
		return;
	if (r->stream)
		hub_detach(r->w->hub, r->stream);
	for (i = 0; i < r->n_cap; i++)
		free(r->cap[i]);
	for (i = 0; i < r->n_params; i++) {
		free(r->params[i].key);
		if (r->params[i].value) {
			explicit_bzero(r->params[i].value, strlen(r->params[i].value));
			free(r->params[i].value);
		}
	}
	if (r->upload.drop)
		r->upload.drop(r); /* an aborted or refused upload leaves nothing */
	multipart_free(r->mp);
	free(r->filename);
	free(r->upload_msg);
	if (r->body.buf)
		explicit_bzero(r->body.buf, r->body.len);
	strbuf_fini(&r->body);
	user_fini(&r->user);
	free(r->set_cookie[0]);
	free(r->set_cookie[1]);
	free(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	req_free(*con_cls);
	*con_cls = NULL;
	conns_request_done(conn); /* the next request's headers are due */
}

struct xff_join {
	struct strbuf sb;
	int n;
};

static enum MHD_Result join_xff(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct xff_join *j = cls;

	(void)kind;
	if (strcasecmp(key, "X-Forwarded-For") == 0 && value) {
		if (j->n++)
			strbuf_puts(&j->sb, ",");
		strbuf_puts(&j->sb, value);
	}
	return MHD_YES;
}

/* The client's address into r->ip, the one every log line, audit row and
 * per-address limit above uses: the peer's, or, when the peer is one of
 * web.trusted_proxies, the client its X-Forwarded-For headers name
 * (xff.h; several headers read as one list, in order).  A trusted proxy's
 * missing or bad header falls back to the peer, logged once.
 * r->is_loopback is the peer's, whatever the header says.  (MHD's own
 * per-IP connection limit counts peers: it runs before any header.) */
static void client_address(struct req *r)
{
	static atomic_bool warned;
	const struct config *cfg = r->w->cfg;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct netaddr peer, client;
	struct xff_join j = {.n = 0};
	char esc[128];

	snprintf(r->ip, sizeof(r->ip), "?");
	if (!ci || netaddr_from_sockaddr(ci->client_addr, &peer) < 0)
		return;
	r->is_loopback = netaddr_is_loopback(&peer);
	netaddr_format(&peer, r->ip, sizeof(r->ip));
	if (!netaddr_in_any(&peer, cfg->web.trusted_proxies, cfg->web.n_trusted_proxies))
		return;
	strbuf_init(&j.sb);
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, join_xff, &j);
	if (xff_client(j.sb.buf, j.sb.len, cfg->web.trusted_proxies, cfg->web.n_trusted_proxies,
		       &client) == 0)
		netaddr_format(&client, r->ip, sizeof(r->ip));
	else if (!atomic_exchange(&warned, true))
		log_warn("trusted proxy %s sent %s X-Forwarded-For '%s': using its address (logged "
			 "once; see web.trusted_proxies)",
			 r->ip, j.n ? "a bad" : "no",
			 log_escape(esc, sizeof(esc), j.sb.buf ? j.sb.buf : "", j.sb.len));
	strbuf_fini(&j.sb);
}

/* libmicrohttpd decodes the URL path and query in place with this before
 * on_request sees them.  A decoded NUL would end the C string, and the
 * request would act on a shorter name (PUT a.txt%00.png wrote a.txt): %00
 * decodes to DEL (0x7f) instead, a control character that first_call
 * refuses like every other, raw or percent-encoded. */
static size_t url_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	for (char *p = s; (p = strchr(p, '%')) != NULL; p++)
		if (p[1] == '0' && p[2] == '0') {
			p[1] = '7';
			p[2] = 'f';
		}
	return MHD_http_unescape(s);
}

/* Whether the decoded URL path holds a byte below 0x20 or DEL. */
static bool has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

struct framing {
	int content_length, transfer_encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct framing *f = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->transfer_encoding++;
	return MHD_YES;
}

/* The body's length is said once: at most one Content-Length, a number,
 * and not with Transfer-Encoding.  A proxy in front could frame an
 * ambiguous body otherwise than we do (request smuggling).  NULL, or
 * why not. */
static const char *framing_error(struct req *r, const char *cl)
{
	struct framing f = {0};

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.content_length > 1)
		return "more than one Content-Length header";
	if (f.content_length && f.transfer_encoding)
		return "Content-Length together with Transfer-Encoding";
	if (cl && (cl[0] < '0' || cl[0] > '9' || cl[strspn(cl, "0123456789")] != '\0'))
		return "Content-Length is not a number";
	return NULL;
}

/* What to do once the request line and headers are in: route, limits,
 * authentication.  Returns 0 to go on, else the MHD result of an answer
 * already queued. */
static int first_call(struct req *r, int *queued)
{
	bool mismatch = false, metrics_open;
	const char *cl, *why;
	long long len;

	*queued = 1;
	r->route = r->w->hooks->match(r->method, r->url, r->cap, &r->n_cap, &mismatch, &r->error);
	if (r->route)
		r->error = r->route->error;
	if (has_control_char(r->url))
		return web_error(r, 400,
				 "the URL path must not contain a control character "
				 "(bytes 0x00-0x1f and 0x7f, raw or percent-encoded)");
	if (!r->route)
		return web_error(r, mismatch ? 405 : 404,
				 mismatch ? "method not allowed" : "not found");
	r->error = r->route->error;
	r->body_limit = (r->route->body == BODY_FILE || r->route->body == BODY_MULTIPART)
			    ? r->w->cfg->web.max_upload
			    : r->w->cfg->web.max_body;
	/* The editor's form: its text, percent-encoded (3 bytes a byte). */
	if (r->route->body == BODY_EDIT)
		r->body_limit += 3 * r->w->cfg->web.max_edit;
	/* A conditional PUT is the editor's save of a text file: its checks
	 * need the whole text, so it is kept in memory, at most max_edit.
	 * Every other upload streams to disk. */
	r->edit_put = r->route->body == BODY_FILE && strcmp(r->method, "PUT") == 0 &&
		      (web_header(r, "If-Match") || web_header(r, "If-None-Match"));
	if (r->edit_put)
		r->body_limit = r->w->cfg->web.max_edit;
	cl = web_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if ((why = framing_error(r, cl)) != NULL)
		return web_error(r, 400, why);
	if (cl && (parse_int(cl, 0, (long long)1 << 62, &len) < 0 || len > r->body_limit))
		return body_too_large(r);
	r->w->hooks->authenticate(r);
	/* /metrics is open to a loopback peer only when no proxy is trusted:
	 * behind a proxy on this host every client is a loopback peer. */
	metrics_open = r->route->auth == AUTH_METRICS && r->is_loopback &&
		       r->w->cfg->web.n_trusted_proxies == 0;
	if (r->route->auth != AUTH_NONE && !r->authed && !metrics_open)
		return web_error(r, 401, "authentication required");
	if ((r->route->auth == AUTH_ADMIN || (r->route->auth == AUTH_METRICS && !metrics_open)) &&
	    !r->user.admin)
		return web_error(r, 403, "administrators only");
	if (r->route->body == BODY_MULTIPART) {
		r->mp = multipart_new(web_header(r, MHD_HTTP_HEADER_CONTENT_TYPE), &mp_cb, r,
				      (size_t)r->w->cfg->web.max_body);
		if (!r->mp)
			return web_error(r, 400, "malformed multipart form data");
	} else if (r->route->body == BODY_FILE && !r->edit_put && upload_begin(r) < 0) {
		return web_error(r, r->upload_status, r->upload_msg);
	}
	*queued = 0;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct web *w = cls;
	struct req *r = *con_cls;
	int queued, ret;

	(void)version;
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->w = w;
		r->conn = conn;
		r->url = url;
		r->method = method;
		strbuf_init(&r->body);
		*con_cls = r;
		atomic_fetch_add(&w->requests_total, 1);
		conns_headers_in(conn); /* the body's deadline starts */
		client_address(r);
		ret = first_call(r, &queued);
		if (queued)
			r->body_done = true;
		return ret;
	}
	if (r->body_done) {
		/* An answer is already queued; drop whatever body follows
		 * (still within the body's deadline). */
		conns_body_bytes(conn, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		conns_body_bytes(conn, *upload_data_size);
		body_chunk(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	r->body_done = true;
	conns_request_in(conn); /* no deadline while it is answered */
	ret = body_end(r, &queued);
	if (queued)
		return ret;
	if (r->route->cache && r->authed && !r->via_token && strcmp(method, "GET") == 0) {
		/* The generation is read before any query: a change during
		 * rendering makes the stored page stale at once. */
		r->cache_gen = atomic_load(&w->generation);
		ret = cache_page_serve(w->cache, r->cache_gen, r->sess.id, r->url, conn);
		if (ret >= 0) {
			atomic_fetch_add(&w->responses_by_class[2], 1);
			return ret;
		}
		r->cache_store = true;
	}
	ret = r->route->handler(r);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		atomic_fetch_add(&w->generation, 1); /* our own write: seen at once */
	return ret;
}

/* ---- liveness ------------------------------------------------------------- */

/* One GET /healthz over a socketpair handed to libmicrohttpd as if
 * accepted (whatever web.listen is): 0 if "HTTP/1.1 200" comes back
 * within ms.  MHD gives the connection to worker (fd + i) % threads, the
 * first with room. */
static int self_check_one(struct web *w, int fd, int peer, int ms)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: self\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd p = {.fd = peer, .events = POLLIN};
	int64_t deadline = mono_ms() + ms;
	char buf[16];
	size_t got = 0;
	ssize_t n;
	enum MHD_Result added;

	/* Exempt from the connection cap: a table full of idle clients is
	 * not a dead web (conns.h). */
	conns_self_check(true);
	added = MHD_add_connection(w->mhd, fd, (struct sockaddr *)&sa, sizeof(sa.sun_family));
	conns_self_check(false);
	if (added != MHD_YES)
		return -1; /* MHD closed fd */
	if (write(peer, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		return -1;
	while (got < 12) {
		int64_t left = deadline - mono_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = read(peer, buf + got, sizeof(buf) - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return memcmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

int web_self_check(struct web *w, int ms)
{
	bool seen[WEB_THREADS] = {false};
	int held[8 * WEB_THREADS], n_held = 0, left = WEB_THREADS, rc = 0;

	/* A check per worker thread: the fd picks it, so look for an fd of
	 * each residue, holding the pairs that give none (closed ones would
	 * come back with the same numbers) until the end. */
	while (left > 0 && rc == 0 && n_held + 2 <= (int)(sizeof(held) / sizeof(held[0]))) {
		int sv[2], use;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			rc = -1;
			break;
		}
		use = !seen[sv[0] % WEB_THREADS] ? 0 : !seen[sv[1] % WEB_THREADS] ? 1 : -1;
		if (use < 0) {
			held[n_held++] = sv[0];
			held[n_held++] = sv[1];
			continue;
		}
		seen[sv[use] % WEB_THREADS] = true;
		left--;
		rc = self_check_one(w, sv[use], sv[!use], ms);
		held[n_held++] = sv[!use];
	}
	while (n_held > 0)
		close(held[--n_held]);
	return rc;
}

/* ---- start and stop ------------------------------------------------------- */

/* Bind HOST:PORT (parse_host_port's grammar, the same as the config's);
 * the fd or -1. */
static int bind_listen(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	if (parse_host_port(spec, &ss, &sl, NULL) < 0) {
		snprintf(err, errlen, "web.listen: cannot use '%s'", spec);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 4096) < 0) {
		snprintf(err, errlen, "listen %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_info("libmicrohttpd: %s", buf);
}

/* The connection table (conns.h): its cap from RLIMIT_NOFILE and
 * web.max_connections, said in the log.  -1 with err if there is no room
 * for connections. */
static int conns_setup(struct web *w, char *err, size_t errlen)
{
	const struct config *cfg = w->cfg;
	struct conns_limits l = {
	    .workers = WEB_THREADS,
	    .max_connections = cfg->web.max_connections,
	    .header_timeout = cfg->web.header_timeout,
	    .body_timeout = cfg->web.body_timeout,
	    .body_min_rate = cfg->web.body_min_rate,
	};
	unsigned long long nofile = 1ULL << 40;
	struct rlimit rl;
	char why[512];
	unsigned cap;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		nofile = rl.rlim_cur;
	cap = conns_cap(cfg->web.max_connections, nofile, WEB_THREADS, why, sizeof(why));
	if (cap == 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (cap < (unsigned long long)cfg->web.max_connections)
		log_warn("%s", why);
	else
		log_notice("%s", why);
	w->conns = conns_new(&l, cap);
	return 0;
}

struct web *web_start(const struct config *cfg, const unsigned char *secret, size_t secret_len,
		      int listen_fd, const char *journal_dir, const struct web_hooks *hooks,
		      char *err, size_t errlen)
{
	struct web *w = xcalloc(1, sizeof(*w));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned threads = WEB_THREADS;

	w->cfg = cfg;
	w->hooks = hooks;
	w->db_path = config_db_path(cfg);
	if (secret_len > sizeof(w->secret))
		secret_len = sizeof(w->secret);
	memcpy(w->secret, secret, secret_len);
	w->secret_len = secret_len;
	w->journal_dir = journal_dir ? xstrdup(journal_dir) : NULL;
	w->rl = ratelimit_new((size_t)cfg->web.login_throttle_keys,
			      (int64_t)cfg->web.login_window * 1000);
	w->cache = cache_new();
	if (conns_setup(w, err, errlen) < 0) {
		if (listen_fd >= 0)
			close(listen_fd);
		goto fail;
	}
	if (listen_fd < 0) {
		listen_fd = bind_listen(cfg->web.listen, err, errlen);
		if (listen_fd < 0)
			goto fail;
	}
	if (getsockname(listen_fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			w->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			w->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	w->hub = hub_new(w->db_path, w->journal_dir, &w->generation, err, errlen);
	if (!w->hub) {
		close(listen_fd);
		goto fail;
	}
	w->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG,
	    0, conns_accept, w->conns, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, conns_mhd_limit(w->conns), MHD_OPTION_NOTIFY_CONNECTION,
	    conns_notify, w->conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)cfg->web.per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)cfg->web.connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)MHD_MEMORY_LIMIT, MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
	    MHD_OPTION_UNESCAPE_CALLBACK, url_unescape, NULL, MHD_OPTION_END);
	if (!w->mhd) {
		snprintf(err, errlen, "cannot start the HTTP daemon");
		close(listen_fd);
		goto fail;
	}
	if (hub_start(w->hub, err, errlen) < 0 || conns_start(w->conns, err, errlen) < 0)
		goto fail;
	return w;
fail:
	web_stop(w);
	return NULL;
}

void web_stop(struct web *w)
{
	if (!w)
		return;
	if (w->hub)
		hub_shutdown(w->hub); /* resumes every stream so MHD can stop */
	conns_stop(w->conns);
	if (w->mhd)
		MHD_stop_daemon(w->mhd);
	hub_free(w->hub);
	conns_free(w->conns);
	close_all_dbs();
	ratelimit_free(w->rl);
	cache_free(w->cache);
	explicit_bzero(w->secret, sizeof(w->secret));
	free(w->journal_dir);
	free(w->db_path);
	free(w);
}
