/* left4me-web's transport (web.c): the libmicrohttpd daemon, a request's
 * state, the route table's types, body collection with its limits, and the
 * helpers every handler answers with.  It knows nothing of pages, the API
 * or sessions: the layers above plug in through struct web_hooks (the
 * route table, authentication, the CSRF check), and each route names the
 * renderer of its own errors.  The layering is in docs/HACKING.md.
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
#include "html.h"
#include "multipart.h"
#include "strbuf.h"

#define WEB_SECRET_MIN	   16
#define WEB_SECRET_MAX	   4096
#define WEB_MAX_PARAMS	   64
#define WEB_ROUTE_CAPTURES 3

struct hub;
struct cache;
struct conns;
struct ratelimit;
struct sse_stream;
struct req;

/* The daemon's state, shared by every request (read-only but for the
 * atomics and what the pointed-to modules lock themselves). */
struct web {
	const struct config *cfg;
	char *db_path;
	unsigned char secret[WEB_SECRET_MAX];
	size_t secret_len;
	char *journal_dir; /* tests: read console lines from this journal dir */
	struct MHD_Daemon *mhd;
	const struct web_hooks *hooks;
	struct hub *hub;
	struct ratelimit *rl; /* failed logins (session.c) */
	struct cache *cache;
	struct conns *conns;		 /* the connection cap and request deadlines */
	atomic_uint_fast64_t generation; /* bumped on every DB change (cache.h) */
	int port;			 /* the bound port */
	atomic_uint_fast64_t requests_total;
	atomic_uint_fast64_t responses_by_class[6]; /* 1xx..5xx by first digit */
};

/* ---- routes -------------------------------------------------------------- */

enum route_auth {
	AUTH_NONE,    /* anyone */
	AUTH_USER,    /* a session or an API token */
	AUTH_ADMIN,   /* the same, with role admin */
	AUTH_METRICS, /* admin, or a loopback peer when no proxy is trusted */
};

/* What a route's body is, which decides its limit and how it is read. */
enum route_body {
	BODY_FORM,	/* a POST's urlencoded form into params (max_body) */
	BODY_JSON,	/* kept in r->body for the handler (max_body) */
	BODY_FILE,	/* a file streamed to the route's upload hook (max_upload);
			   a conditional PUT (If-Match, If-None-Match) is a text
			   edit kept whole in r->body instead (max_edit) */
	BODY_MULTIPART, /* multipart/form-data: fields, then one file streamed
			   to the route's upload hook (max_upload) */
	BODY_EDIT,	/* BODY_FORM holding the editor's text (max_body + 3 * max_edit) */
};

typedef int (*web_handler)(struct req *r);
/* Answer r with an error: status and one line for the user. */
typedef int (*web_error_fn)(struct req *r, unsigned status, const char *msg);

struct route {
	const char *method;
	const char *pattern; /* "/servers/{}" ; a trailing "*" takes the rest */
	web_handler handler;
	enum route_auth auth;
	bool csrf; /* state-changing: the csrf_token must match */
	enum route_body body;
	bool cache;	    /* a GET page kept per session until the DB changes */
	web_error_fn error; /* how this route answers errors (a page, JSON) */
	/* BODY_FILE and BODY_MULTIPART: where the file goes.  Called once the
	 * CSRF token is checked (for BODY_FILE before the body, for
	 * BODY_MULTIPART at the file part's headers, with the fields before
	 * it in params and its filename in r->filename); it sets r->upload,
	 * or calls web_upload_fail and returns -1.  The handler runs after
	 * the body, with r->upload.ctx set if the file came. */
	int (*upload)(struct req *r);
};

/* What the layers above the transport give it at start. */
struct web_hooks {
	/* The route of method and path with its {} captures (new strings),
	 * or NULL: *method_mismatch then tells 405 from 404, and *error is
	 * the renderer to say so with. */
	const struct route *(*match)(const char *method, const char *path, char **cap, int *n_cap,
				     bool *method_mismatch, web_error_fn *error);
	/* Fill r->authed, r->via_token, r->user and r->sess from the
	 * request's credentials, if it has valid ones. */
	void (*authenticate)(struct req *r);
	/* true if a state-changing request carries its session's CSRF token. */
	bool (*csrf_ok)(struct req *r);
};

/* ---- a request ----------------------------------------------------------- */

struct param {
	char *key, *value;
};

/* Where a streamed body goes (set by a route's upload hook). */
struct web_upload {
	/* The file's next len bytes: 0, or -1 after web_upload_fail. */
	int (*write)(struct req *r, const char *data, size_t len);
	/* Drop ctx and what was not committed; called once, when the upload
	 * fails or the request ends (a committed upload clears ctx). */
	void (*drop)(struct req *r);
	void *ctx;
};

/* One request's state: allocated on the first callback, freed only in the
 * completion callback. */
struct req {
	struct web *w;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	const struct route *route;
	web_error_fn error;	       /* the route's, or the not-found one's */
	char *cap[WEB_ROUTE_CAPTURES]; /* {} captures, decoded */
	int n_cap;
	struct strbuf body; /* BODY_FORM, BODY_JSON, BODY_EDIT, an edit_put */
	long long body_limit;
	long long body_seen;
	bool too_big;
	bool edit_put; /* BODY_FILE: a conditional PUT, kept in r->body (max_edit) */
	bool body_done;
	struct param params[WEB_MAX_PARAMS]; /* the parsed form body */
	int n_params;
	struct multipart *mp; /* BODY_MULTIPART's parser */
	char *filename;	      /* BODY_MULTIPART: the file part's, once it began */
	struct web_upload upload;
	unsigned upload_status; /* a failed upload: the answer at the body's end */
	char *upload_msg;
	bool authed;
	bool via_token;	  /* Bearer rather than the session cookie */
	int64_t token_id; /* that Bearer token's id */
	struct user user;
	struct session sess;
	char *set_cookie[2]; /* Set-Cookie headers to send */
	char etag[40];	     /* an ETag header to send, if not empty */
	struct sse_stream *stream;
	bool is_loopback;     /* the peer's address is (not the X-Forwarded-For one) */
	unsigned retry_after; /* seconds: a Retry-After header when not 0 */
	bool cache_store;     /* keep the 200 answer in the page cache */
	uint64_t cache_gen;
	char ip[64]; /* the client's address (trusted proxies resolved; web.c) */
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
/* 200 with the regular file behind fd (consumed) as an attachment named after
 * the last component of name. */
int web_respond_file(struct req *r, int fd, const char *name);
/* 200 with the regular file behind fd (consumed) shown inline as type (an
 * image's, of the caller's own table, never a client's or upstream's
 * word), kept by the browser for 5 minutes and not for other sites
 * (Cross-Origin-Resource-Policy: same-origin). */
int web_respond_inline(struct req *r, int fd, const char *type);
/* 200 with a static asset (data stays ours), cacheable for 5 minutes. */
int web_respond_static(struct req *r, const char *type, const void *data, size_t len);
/* 200 with an SSE stream's response (hub.h; NULL: MHD_NO); the stream is
 * detached from the hub when the request ends. */
int web_respond_stream(struct req *r, struct MHD_Response *resp, struct sse_stream *stream);
/* 303 See Other to a local path. */
int web_redirect(struct req *r, const char *location);
/* An error in the route's style (its error renderer). */
int web_error(struct req *r, unsigned status, const char *msg);
/* The security headers and Set-Cookie of r on a response built by hand. */
void web_add_headers(struct req *r, struct MHD_Response *resp, const char *type);

/* The upload of r failed: drop it and answer status and msg (copied)
 * once the rest of the body has been read (the first failure wins). */
void web_upload_fail(struct req *r, unsigned status, const char *msg);

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

/* ---- the daemon --------------------------------------------------------- */

/* Start serving the routes and checks of hooks on listen_fd (from socket
 * activation) or, when it is -1, on cfg->web.listen.  NULL with a message
 * in err on failure. */
struct web *web_start(const struct config *cfg, const unsigned char *secret, size_t secret_len,
		      int listen_fd, const char *journal_dir, const struct web_hooks *hooks,
		      char *err, size_t errlen);
void web_stop(struct web *w);
/* Whether every server thread answers: a GET /healthz handed to each
 * worker over a socketpair (independent of web.listen), each answered 200
 * within ms.  0, or -1.  For the watchdog: a web that no longer answers
 * gets no ping. */
int web_self_check(struct web *w, int ms);

#endif
