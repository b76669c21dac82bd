/* Driving the real left4me-web in tests: a temp state dir and DB, the
 * daemon on port 0 (--port-file), libcurl requests with manual cookies. */
#ifndef LEFT4ME_WEBTEST_H
#define LEFT4ME_WEBTEST_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct wt {
	char *dir, *cfg;
	sqlite3 *db;
	pid_t pid;
	int port;
	/* Every request's own local address (a loopback one such as
	 * "127.0.0.2"; NULL: the kernel's choice) and one more header line
	 * on it (NULL: none), e.g. an X-Forwarded-For. */
	const char *src;
	const char *header;
};

/* Start a daemon; extra_web is appended under "web:" (may be NULL). */
void wt_start(struct wt *t, const char *extra_web);
/* The same with RLIMIT_NOFILE set to nofile in the daemon (0: inherited)
 * and its stderr appended to log (NULL: the test's). */
void wt_start_ex(struct wt *t, const char *extra_web, unsigned long nofile, const char *log);
/* Run a daemon that is expected to refuse to start: its exit status. */
int wt_start_fails(const char *extra_web, unsigned long nofile, const char *log);
void wt_stop(struct wt *t);
int64_t wt_user(struct wt *t, const char *name, const char *pw, bool admin);
/* A new API token for user_id (caller frees). */
char *wt_token(struct wt *t, int64_t user_id);

struct wt_resp {
	long status;
	char *body;
	size_t len;
	char *headers; /* raw, all of them */
	double seconds;
};
void wt_resp_fini(struct wt_resp *r);
/* Header value (first), new string or NULL. */
char *wt_header(const struct wt_resp *r, const char *name);

/* One request.  cookie: "a=b; c=d" or NULL; bearer: token or NULL;
 * ctype: Content-Type for body (NULL: none); extra: one more header line. */
void wt_req(struct wt *t, const char *method, const char *path, const char *cookie,
	    const char *bearer, const char *ctype, const char *body, size_t len, const char *extra,
	    struct wt_resp *out);

struct wt_session {
	char cookie[128]; /* "l4m_session=..." */
	char csrf[80];
};
/* Log in through the form; returns the HTTP status of the POST. */
long wt_login(struct wt *t, const char *user, const char *pw, struct wt_session *s);
/* POST a form body with the session's cookie (and csrf appended unless
 * csrf is false). */
void wt_post(struct wt *t, struct wt_session *s, const char *path, const char *form, bool csrf,
	     struct wt_resp *out);
void wt_get(struct wt *t, struct wt_session *s, const char *path, struct wt_resp *out);
/* The value="..." after name="csrf_token" in html (new string). */
char *wt_csrf_from(const char *html);

#endif
