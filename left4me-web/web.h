/* left4me-web internals shared by its files: the daemon, a request's state,
 * the route table's types, and the helpers handlers use to answer.
 *
 * Threading: libmicrohttpd runs a small pool of epoll threads; every
 * handler runs on one of them and uses that thread's own SQLite connection
 * (web_db()).  SSE streams never hold a thread: see hub.h. */
#ifndef LEFT4ME_WEB_WEB_H
#define LEFT4ME_WEB_WEB_H

#include <microhttpd.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db_session.h"
#include "db_user.h"
#include "multipart.h"
#include "strbuf.h"

#define WEB_SECRET_MIN	   16
#define WEB_SECRET_MAX	   4096
#define WEB_MAX_PARAMS	   64
#define WEB_ROUTE_CAPTURES 3

struct hub;
struct html;
struct cache;
struct ratelimit;
struct sse_stream;

struct web {
	const struct config *cfg;
	char *db_path;
	unsigned char secret[WEB_SECRET_MAX];
	size_t secret_len;
	char *journal_dir; /* tests: read console lines from this journal dir */
	struct MHD_Daemon *mhd;
	struct hub *hub;
	struct ratelimit *rl;
	struct cache *cache;
	atomic_uint_fast64_t generation; /* bumped on every DB change (cache.h) */
	int port;			 /* the bound port */
	atomic_uint_fast64_t requests_total;
	atomic_uint_fast64_t responses_by_class[6]; /* 1xx..5xx by first digit */
};

enum route_auth {
	AUTH_NONE,    /* anyone */
	AUTH_USER,    /* a session or an API token */
	AUTH_ADMIN,   /* the same, with role admin */
	AUTH_METRICS, /* admin, or a loopback peer */
};

struct req;
typedef int (*route_handler)(struct req *r);

struct route {
	const char *method;
	const char *pattern; /* "/servers/{}" ; a trailing "*" takes the rest */
	route_handler handler;
	enum route_auth auth;
	bool csrf;	/* state-changing: the csrf_token must match */
	bool api;	/* JSON errors; Bearer accepted */
	bool raw_body;	/* the body is a file (max_upload), not a form/JSON */
	bool cache;	/* a GET page kept per session until the DB changes */
	bool multipart; /* a multipart/form-data form with a file (max_upload) */
};

struct param {
	char *key, *value;
};

/* One request's state: allocated on the first callback, freed only in the
 * completion callback. */
struct req {
	struct web *w;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	const struct route *route;
	char *cap[WEB_ROUTE_CAPTURES]; /* {} captures, decoded */
	int n_cap;
	struct strbuf body;
	long long body_limit;
	bool too_big;
	bool body_done;
	struct param params[WEB_MAX_PARAMS]; /* the parsed form body */
	int n_params;
	const struct multipart_part *file; /* multipart routes: the file part */
	struct multipart_part *parts;	   /* [MULTIPART_MAX_PARTS], multipart routes only */
	size_t n_parts;
	bool authed;
	bool via_token; /* Bearer rather than the session cookie */
	struct user user;
	struct session sess;
	char *set_cookie[2]; /* Set-Cookie headers to send */
	struct sse_stream *stream;
	bool is_loopback;
	bool cache_store; /* keep the 200 answer in the page cache */
	uint64_t cache_gen;
	char ip[64];
};

/* The calling thread's connection to the database (opened on first use). */
sqlite3 *web_db(struct req *r);

/* ---- answering ---------------------------------------------------------- */

/* Queue body (taken over) with status and type; adds the security headers.
 * Not for HTML: a page goes out only through web_respond_html. */
int web_respond(struct req *r, unsigned status, const char *type, struct strbuf *body);
/* Queue the page (taken over) as text/html. */
int web_respond_html(struct req *r, unsigned status, struct html *page);
int web_respond_text(struct req *r, unsigned status, const char *text);
/* 200 with the file behind fd (consumed) as an attachment named after
 * the last component of name. */
int web_respond_file(struct req *r, int fd, const char *name);
/* 200 with a static asset (data stays ours), cacheable for 5 minutes. */
int web_respond_static(struct req *r, const char *type, const void *data, size_t len);
/* 200 with an SSE stream's response (hub.h; NULL: MHD_NO); the stream is
 * detached from the hub when the request ends. */
int web_respond_stream(struct req *r, struct MHD_Response *resp, struct sse_stream *stream);
/* 303 See Other to a local path. */
int web_redirect(struct req *r, const char *location);
/* An error in the route's style: JSON {"error": msg} for the API, else a
 * small HTML page. */
int web_error(struct req *r, unsigned status, const char *msg);
/* The two error styles (pages.c, api.c). */
int page_error(struct req *r, unsigned status, const char *msg);
int api_error(struct req *r, unsigned status, const char *msg);
/* The security headers and Set-Cookie of r on a response built by hand. */
void web_add_headers(struct req *r, struct MHD_Response *resp, const char *type);

/* ---- request data ------------------------------------------------------- */

/* A form field of the body (first value), or NULL. */
const char *web_param(struct req *r, const char *key);
/* A query-string argument, or NULL. */
const char *web_query(struct req *r, const char *key);
const char *web_header(struct req *r, const char *name);
const char *web_cookie(struct req *r, const char *name);
/* Decode an application/x-www-form-urlencoded body into r->params; -1 on a
 * malformed encoding (bad %XX, invalid UTF-8, too many fields). */
int web_parse_form(struct req *r, const char *data, size_t len);

/* ---- auth (auth.c of the web) -------------------------------------------- */

/* Authenticate from the Bearer header (API routes) or the session cookie. */
void web_auth_request(struct req *r);
/* true if the request's csrf_token (form field or X-CSRF-Token header)
 * matches the session's. */
bool web_csrf_ok(struct req *r);
/* A pre-login CSRF token for the login form (signed double submit), and
 * the cookie that goes with it; both new strings. */
void web_login_csrf_new(struct web *w, char **token, char **cookie_value);
bool web_login_csrf_ok(struct req *r);
char *web_cookie_header(struct web *w, const char *name, const char *value, int max_age);

/* Handlers shared with the route table. */
int page_login_form(struct req *r);
int page_login(struct req *r);
int page_logout(struct req *r);

/* ---- the daemon --------------------------------------------------------- */

/* Start serving on listen_fd (from socket activation) or, when it is -1, on
 * cfg->web.listen.  NULL with a message in err on failure. */
struct web *web_start(const struct config *cfg, const unsigned char *secret, size_t secret_len,
		      int listen_fd, const char *journal_dir, char *err, size_t errlen);
void web_stop(struct web *w);

/* Route lookup (routes.c). */
const struct route *route_match(const char *method, const char *path, char **cap, int *n_cap,
				bool *method_mismatch);

#endif
