/* Test driver for left4me-web; see webtest.h. */
#include "webtest.h"

#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "db_user.h"
#include "strbuf.h"
#include "testutil.h"
#include "xalloc.h"

/* The child: limits and stderr, then exec the daemon. */
static void exec_web(struct wt *t, const char *port_file, unsigned long nofile, const char *log)
{
	char *jdir = xasprintf("%s/journal", t->dir);
	char *bin = tu_build_path("left4me-web/left4me-web");

	if (nofile) {
		struct rlimit rl = {.rlim_cur = nofile, .rlim_max = nofile};

		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(126);
	}
	if (log) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
	}
	execl(bin, bin, "-c", t->cfg, "--allow-root", "--port-file", port_file, "--journal-dir",
	      jdir, (char *)NULL);
	_exit(127);
}

static void write_config(struct wt *t, const char *extra_web)
{
	char *secret, *text;

	memset(t, 0, sizeof(*t));
	t->dir = tu_mkdtemp();
	t->db = tu_db_new(t->dir);
	secret = xasprintf("%s/secret", t->dir);
	tu_write_file(secret, "test-secret-0123456789abcdef0123456789\n");
	t->cfg = xasprintf("%s/left4me.yaml", t->dir);
	text = xasprintf(
	    "state_dir: %s\nbackup:\n  dir: %s/backups\nweb:\n  listen: 127.0.0.1:0\n%s  "
	    "secret_file: %s\n%s",
	    t->dir, t->dir,
	    extra_web && strstr(extra_web, "secure_cookies") ? "" : "  secure_cookies: false\n",
	    secret, extra_web ? extra_web : "");
	tu_write_file(t->cfg, text);
	free(text);
	free(secret);
}

int wt_start_fails(const char *extra_web, unsigned long nofile, const char *log)
{
	struct wt t;
	char *port_file;
	int status = 0;

	write_config(&t, extra_web);
	port_file = xasprintf("%s/port", t.dir);
	t.pid = fork();
	ck_assert(t.pid >= 0);
	if (t.pid == 0)
		exec_web(&t, port_file, nofile, log);
	ck_assert_int_eq(waitpid(t.pid, &status, 0), t.pid);
	t.pid = 0;
	db_close(t.db);
	tu_rmtree(t.dir);
	free(t.dir);
	free(t.cfg);
	free(port_file);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void wt_start(struct wt *t, const char *extra_web)
{
	wt_start_ex(t, extra_web, 0, NULL);
}

void wt_start_ex(struct wt *t, const char *extra_web, unsigned long nofile, const char *log)
{
	char *port_file;
	int i;

	write_config(t, extra_web);
	port_file = xasprintf("%s/port", t->dir);
	t->pid = fork();
	ck_assert(t->pid >= 0);
	if (t->pid == 0)
		exec_web(t, port_file, nofile, log);
	for (i = 0; i < 500; i++) {
		char *p = tu_read_file(port_file);

		if (p) {
			t->port = atoi(p);
			free(p);
			break;
		}
		usleep(10000);
	}
	ck_assert_msg(t->port > 0, "the daemon did not start");
	free(port_file);
}

void wt_stop(struct wt *t)
{
	int status = 0;

	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, &status, 0);
	}
	if (t->db)
		db_close(t->db);
	tu_rmtree(t->dir);
	free(t->dir);
	free(t->cfg);
	/* A clean stop exits 0 (sanitizers report through the exit code). */
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "web exit status %d", status);
}

int64_t wt_user(struct wt *t, const char *name, const char *pw, bool admin)
{
	char hash[AUTH_HASH_MAX];
	int64_t id = 0;

	ck_assert(auth_hash_password(pw, hash) == 0);
	ck_assert(db_user_add(t->db, name, hash, admin, &id) == DB_OK);
	return id;
}

char *wt_token(struct wt *t, int64_t user_id)
{
	char tok[AUTH_API_TOKEN_LEN + 1], hash[AUTH_SHA256_HEX + 1];

	ck_assert(auth_new_api_token(tok) == 0);
	auth_sha256_hex(tok, hash);
	ck_assert(db_token_add(t->db, user_id, hash, "test", NULL) == DB_OK);
	return xstrdup(tok);
}

void wt_resp_fini(struct wt_resp *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

char *wt_header(const struct wt_resp *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *eol = strstr(p, "\r\n");

		if (!eol)
			break;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			return xstrndup(v, (size_t)(eol - v));
		}
		p = eol + 2;
	}
	return NULL;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
	strbuf_append(ud, ptr, size * n);
	return size * n;
}

void wt_req(struct wt *t, const char *method, const char *path, const char *cookie,
	    const char *bearer, const char *ctype, const char *body, size_t len, const char *extra,
	    struct wt_resp *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct strbuf b, hd;
	char *url = xasprintf("http://127.0.0.1:%d%s", t->port, path), *line;
	char *iface = t->src ? xasprintf("host!%s", t->src) : NULL;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	strbuf_init(&b);
	strbuf_init(&hd);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hd);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (cookie) {
		line = xasprintf("Cookie: %s", cookie);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (bearer) {
		line = xasprintf("Authorization: Bearer %s", bearer);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (ctype) {
		line = xasprintf("Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (extra)
		h = curl_slist_append(h, extra);
	if (t->header)
		h = curl_slist_append(h, t->header);
	if (iface)
		curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
	h = curl_slist_append(h, "Expect:");
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
	out->len = b.len;
	out->body = strbuf_detach(&b);
	out->headers = strbuf_detach(&hd);
	strbuf_fini(&b);
	strbuf_fini(&hd);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(iface);
	free(url);
}

char *wt_csrf_from(const char *html)
{
	const char *p = strstr(html, "name=\"csrf_token\" value=\""), *e;

	if (!p)
		return NULL;
	p += strlen("name=\"csrf_token\" value=\"");
	e = strchr(p, '"');
	return e ? xstrndup(p, (size_t)(e - p)) : NULL;
}

/* "name=value" of a Set-Cookie header named name (new string). */
static char *cookie_from(const struct wt_resp *r, const char *name)
{
	const char *p = r->headers;
	size_t n = strlen(name);

	while ((p = strcasestr(p, "Set-Cookie: "))) {
		p += 12;
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return xstrndup(p, strcspn(p, ";\r\n"));
	}
	return NULL;
}

long wt_login(struct wt *t, const char *user, const char *pw, struct wt_session *s)
{
	struct wt_resp r;
	char *csrf, *pre, *sess, *form;
	long status;

	memset(s, 0, sizeof(*s));
	wt_req(t, "GET", "/login", NULL, NULL, NULL, NULL, 0, NULL, &r);
	csrf = wt_csrf_from(r.body);
	pre = cookie_from(&r, "l4m_login");
	ck_assert(csrf && pre);
	wt_resp_fini(&r);
	form = xasprintf("username=%s&password=%s&csrf_token=%s", user, pw, csrf);
	wt_req(t, "POST", "/login", pre, NULL, "application/x-www-form-urlencoded", form,
	       strlen(form), NULL, &r);
	status = r.status;
	sess = cookie_from(&r, "l4m_session");
	if (sess && status == 303) {
		snprintf(s->cookie, sizeof(s->cookie), "%s", sess);
		wt_resp_fini(&r);
		wt_get(t, s, "/", &r);
		free(csrf);
		csrf = wt_csrf_from(r.body);
		ck_assert(csrf != NULL);
		snprintf(s->csrf, sizeof(s->csrf), "%s", csrf);
	}
	free(sess);
	free(form);
	free(pre);
	free(csrf);
	wt_resp_fini(&r);
	return status;
}

void wt_post(struct wt *t, struct wt_session *s, const char *path, const char *form, bool csrf,
	     struct wt_resp *out)
{
	char *body = csrf ? xasprintf("%s%scsrf_token=%s", form, form[0] ? "&" : "", s->csrf)
			  : xstrdup(form);

	wt_req(t, "POST", path, s->cookie, NULL, "application/x-www-form-urlencoded", body,
	       strlen(body), NULL, out);
	free(body);
}

void wt_get(struct wt *t, struct wt_session *s, const char *path, struct wt_resp *out)
{
	wt_req(t, "GET", path, s ? s->cookie : NULL, NULL, NULL, NULL, 0, NULL, out);
}
