/* left4me-web, issue 17: a new overlay comes with its directory (an empty
 * layer), and an overlay without one says so on its page; the text editor
 * (the page's form and the API's PUT with If-Match / If-None-Match): ETags,
 * 409 on a conflict, web.max_edit, text only; the blueprint page shows the
 * exposed server.cfg; the dashboard's first-run checklist and the servers
 * page's "install the game first". */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define FORM "application/x-www-form-urlencoded"

static struct wt t;

static void start(void)
{
	char *p;

	wt_start(&t, "  max_edit: 64\n");
	p = xasprintf("%s/overlays", t.dir);
	ck_assert_int_eq(mkdir(p, 02770), 0); /* as the state-layout makes it */
	ck_assert_int_eq(chmod(p, 02770), 0);
	free(p);
}

static void stop(void)
{
	wt_stop(&t);
}

START_TEST(new_overlay_has_its_dir)
{
	struct wt_session s;
	struct wt_resp r;
	struct stat st;
	char *p;

	wt_user(&t, "alice", "password-alice", false);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	wt_post(&t, &s, "/overlays", "name=fresh", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	p = xasprintf("%s/overlays/1", t.dir);
	ck_assert_msg(lstat(p, &st) == 0 && S_ISDIR(st.st_mode), "%s was not made", p);
	ck_assert_uint_eq(st.st_mode & 07777, 02770);
	wt_get(&t, &s, "/overlays/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body, "id=\"no-dir\""));
	wt_resp_fini(&r);
	/* Without its directory the page says so, and what makes it. */
	ck_assert_int_eq(rmdir(p), 0);
	wt_get(&t, &s, "/overlays/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"no-dir\""));
	ck_assert_ptr_nonnull(strstr(r.body, "no directory (<code>overlays/1</code>) yet"));
	wt_resp_fini(&r);
	free(p);
}
END_TEST

#define CFG	"left4dead2/cfg/server.cfg"
#define CFG_URL "/api/v1/overlays/1/files/" CFG
#define OCTET	"application/octet-stream"

/* alice with overlay 1 ("cfg"), made through the API; her token. */
static char *alice_overlay(void)
{
	int64_t uid = wt_user(&t, "alice", "password-alice", false);
	char *tok = wt_token(&t, uid);
	struct wt_resp r;

	wt_req(&t, "POST", "/api/v1/overlays", NULL, tok, "application/json", "{\"name\":\"cfg\"}",
	       14, NULL, &r);
	ck_assert_msg(r.status == 201, "create overlay: %ld %s", r.status, r.body);
	wt_resp_fini(&r);
	return tok;
}

/* A PUT of body with one extra header (or none); the status, *etag gets
 * the ETag header (new string or NULL) when etag is given. */
static long put(const char *tok, const char *url, const char *body, size_t len, const char *header,
		char **etag, char **err)
{
	struct wt_resp r;
	long st;

	wt_req(&t, "PUT", url, NULL, tok, OCTET, body, len, header, &r);
	st = r.status;
	if (etag)
		*etag = wt_header(&r, "ETag");
	if (err)
		*err = xstrdup(r.body ? r.body : "");
	wt_resp_fini(&r);
	return st;
}

static char *file_text(const char *rel)
{
	char *p = xasprintf("%s/overlays/1/%s", t.dir, rel), *s = tu_read_file(p);

	free(p);
	return s;
}

START_TEST(api_if_match)
{
	char *tok = alice_overlay(), *e1, *e2, *e, *msg, hdr[80];
	struct wt_resp r;

	/* Create only: If-None-Match: *, then it exists. */
	ck_assert_int_eq(put(tok, CFG_URL, "hostname a\n", 11, "If-None-Match: *", &e1, NULL), 201);
	ck_assert_ptr_nonnull(e1);
	ck_assert_int_eq(strlen(e1), 34);
	ck_assert_int_eq(put(tok, CFG_URL, "hostname z\n", 11, "If-None-Match: *", NULL, &msg),
			 409);
	ck_assert_ptr_nonnull(strstr(msg, "exists already"));
	free(msg);
	/* GET gives the same ETag. */
	wt_req(&t, "GET", CFG_URL, NULL, tok, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	e = wt_header(&r, "ETag");
	ck_assert_str_eq(e, e1);
	free(e);
	wt_resp_fini(&r);
	/* A save naming it wins; a second save naming it is a conflict. */
	snprintf(hdr, sizeof(hdr), "If-Match: %s", e1);
	ck_assert_int_eq(put(tok, CFG_URL, "hostname b\n", 11, hdr, &e2, NULL), 200);
	ck_assert_ptr_nonnull(e2);
	ck_assert_str_ne(e2, e1);
	ck_assert_int_eq(put(tok, CFG_URL, "hostname c\n", 11, hdr, NULL, &msg), 409);
	ck_assert_ptr_nonnull(strstr(msg, "changed since you loaded it"));
	free(msg);
	e = file_text(CFG);
	ck_assert_str_eq(e, "hostname b\n");
	free(e);
	/* If-Match: * needs the file; a deleted one is a conflict too. */
	ck_assert_int_eq(
	    put(tok, "/api/v1/overlays/1/files/none.cfg", "x", 1, "If-Match: *", NULL, NULL), 409);
	ck_assert_int_eq(put(tok, "/api/v1/overlays/1/files/none.cfg", "x", 1, hdr, NULL, &msg),
			 409);
	ck_assert_ptr_nonnull(strstr(msg, "deleted"));
	free(msg);
	/* Odd headers. */
	ck_assert_int_eq(put(tok, CFG_URL, "x", 1, "If-None-Match: \"abc\"", NULL, NULL), 400);
	free(e1);
	free(e2);
	free(tok);
}
END_TEST

START_TEST(api_text_rules)
{
	char *tok = alice_overlay(), *e, *msg, hdr[80], big[80];
	struct wt_resp r;

	ck_assert_int_eq(put(tok, CFG_URL, "", 0, "If-None-Match: *", &e, NULL), 201);
	snprintf(hdr, sizeof(hdr), "If-Match: %s", e);
	free(e);
	/* web.max_edit is 64 here: 64 bytes pass, 65 are a 413 naming it. */
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(put(tok, CFG_URL, big, 65, hdr, NULL, &msg), 413);
	ck_assert_ptr_nonnull(strstr(msg, "web.max_edit (64 bytes)"));
	free(msg);
	ck_assert_int_eq(put(tok, CFG_URL, "\xff\xfe bad", 6, hdr, NULL, &msg), 400);
	ck_assert_ptr_nonnull(strstr(msg, "UTF-8"));
	free(msg);
	ck_assert_int_eq(put(tok, CFG_URL, "a\0b", 3, hdr, NULL, &msg), 400);
	ck_assert_ptr_nonnull(strstr(msg, "NUL"));
	free(msg);
	e = file_text(CFG);
	ck_assert_str_eq(e, "");
	free(e);
	ck_assert_int_eq(put(tok, CFG_URL, big, 64, hdr, NULL, NULL), 200);
	/* A plain upload (no If-Match) is not the editor's: binary and larger
	 * files still go in, and their GET has no ETag over web.max_edit. */
	ck_assert_int_eq(put(tok, "/api/v1/overlays/1/files/big.bin", big, 65, NULL, NULL, NULL),
			 201);
	wt_req(&t, "GET", "/api/v1/overlays/1/files/big.bin", NULL, tok, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	e = wt_header(&r, "ETag");
	ck_assert_ptr_null(e);
	wt_resp_fini(&r);
	free(tok);
}
END_TEST

/* The value of the hidden input name in html (new string). */
static char *input_value(const char *html, const char *name)
{
	char *key = xasprintf("name=\"%s\" value=\"", name);
	const char *p = strstr(html, key), *q;
	char *out;

	free(key);
	ck_assert_msg(p != NULL, "no input %s", name);
	p = strchr(p, '=') + 1;
	p = strstr(p, "value=\"") + 7;
	q = strchr(p, '"');
	/* An ETag is quoted: html_attr wrote its quotes as &quot;. */
	struct strbuf sb;

	strbuf_init(&sb);
	while (p < q) {
		if (strncmp(p, "&quot;", 6) == 0) {
			strbuf_putc(&sb, '"');
			p += 6;
		} else {
			strbuf_putc(&sb, *p++);
		}
	}
	out = strbuf_detach(&sb);
	strbuf_fini(&sb);
	return out;
}

/* s percent-encoded into sb (every byte but [A-Za-z0-9]). */
static void pct(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			strbuf_putc(sb, (char)c);
		else
			strbuf_printf(sb, "%%%02X", c);
	}
}

/* name=value&... with the values percent-encoded, for wt_post. */
static char *form(const char *path, const char *etag, const char *text)
{
	struct strbuf sb;
	char *out;

	strbuf_init(&sb);
	strbuf_puts(&sb, "path=");
	pct(&sb, path);
	strbuf_puts(&sb, "&eol=lf&etag=");
	pct(&sb, etag);
	strbuf_puts(&sb, "&text=");
	pct(&sb, text);
	out = strbuf_detach(&sb);
	strbuf_fini(&sb);
	return out;
}

START_TEST(page_editor_saves_and_conflicts)
{
	char *tok = alice_overlay(), *f, *etag, *loc, *s;
	struct wt_session ss;
	struct wt_resp r;

	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &ss), 303);
	/* A new file: an empty form with no ETag. */
	wt_get(&t, &ss, "/overlays/1/edit?path=" CFG, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"new-file\""));
	etag = input_value(r.body, "etag");
	ck_assert_str_eq(etag, "");
	wt_resp_fini(&r);
	/* Save (the browser's CRLF line ends become LF). */
	f = form(CFG, etag, "hostname \"x\"\r\nsv_lan 0\r\n");
	wt_post(&t, &ss, "/overlays/1/edit", f, true, &r);
	ck_assert_int_eq(r.status, 303);
	loc = wt_header(&r, "Location");
	ck_assert_str_eq(loc, "/overlays/1/edit?saved=1&path=left4dead2%2Fcfg%2Fserver.cfg");
	free(loc);
	wt_resp_fini(&r);
	s = file_text(CFG);
	ck_assert_str_eq(s, "hostname \"x\"\nsv_lan 0\n");
	free(s);
	/* Reloaded: the text, escaped, and its ETag. */
	wt_get(&t, &ss, "/overlays/1/edit?saved=1&path=" CFG, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"saved\""));
	ck_assert_ptr_nonnull(strstr(r.body, ">\nhostname &quot;x&quot;\nsv_lan 0\n</textarea>"));
	free(etag);
	etag = input_value(r.body, "etag");
	ck_assert_int_eq(strlen(etag), 34);
	wt_resp_fini(&r);
	/* The first form (no ETag: "new file") saved again: a 409 page with
	 * the conflict and the text kept, now carrying the current ETag. */
	wt_post(&t, &ss, "/overlays/1/edit", f, true, &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"conflict\""));
	ck_assert_ptr_nonnull(strstr(r.body, "exists already"));
	s = input_value(r.body, "etag");
	ck_assert_str_eq(s, etag);
	free(s);
	wt_resp_fini(&r);
	free(f);
	/* Over web.max_edit (64): refused, the file stays. */
	f = form(CFG, etag, "0123456789012345678901234567890123456789012345678901234567890123x");
	wt_post(&t, &ss, "/overlays/1/edit", f, true, &r);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(strstr(r.body, "web.max_edit"));
	wt_resp_fini(&r);
	free(f);
	/* Without the CSRF token: refused. */
	f = form(CFG, etag, "hostname y\n");
	wt_post(&t, &ss, "/overlays/1/edit", f, false, &r);
	ck_assert_int_eq(r.status, 403);
	wt_resp_fini(&r);
	free(f);
	s = file_text(CFG);
	ck_assert_str_eq(s, "hostname \"x\"\nsv_lan 0\n");
	free(s);
	/* The overlay page links the editor. */
	wt_get(&t, &ss, "/overlays/1?path=left4dead2/cfg", &r);
	ck_assert_ptr_nonnull(
	    strstr(r.body, "href=\"/overlays/1/edit?path=left4dead2%2Fcfg%2Fserver.cfg\""));
	wt_resp_fini(&r);
	/* Another user's overlay: not found. */
	wt_user(&t, "bob", "password-bob", false);
	ck_assert_int_eq(wt_login(&t, "bob", "password-bob", &ss), 303);
	wt_get(&t, &ss, "/overlays/1/edit?path=" CFG, &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	free(etag);
	free(tok);
}
END_TEST

START_TEST(blueprint_shows_exposed_cfg)
{
	char *tok = alice_overlay();
	struct wt_session ss;
	struct wt_resp r;
	const char *bp = "{\"name\":\"bp\",\"config\":\"\",\"overlays\":[{\"overlay_id\":1,"
			 "\"expose_server_cfg\":true}]}";

	ck_assert_int_eq(put(tok, CFG_URL, "sv_cheats 0\n", 12, "If-None-Match: *", NULL, NULL),
			 201);
	wt_req(&t, "POST", "/api/v1/blueprints", NULL, tok, "application/json", bp, strlen(bp),
	       NULL, &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &ss), 303);
	wt_get(&t, &ss, "/blueprints/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"exposed\""));
	ck_assert_ptr_nonnull(strstr(r.body, "server_overlay_1.cfg"));
	ck_assert_ptr_nonnull(strstr(r.body, "data-overlay=\"1\">sv_cheats 0\n</pre>"));
	wt_resp_fini(&r);
	free(tok);
}
END_TEST

START_TEST(first_run_checklist)
{
	char *tok = alice_overlay(), *p;
	struct wt_session ss;
	struct wt_resp r;

	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &ss), 303);
	wt_get(&t, &ss, "/", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"checklist\""));
	ck_assert_ptr_nonnull(strstr(r.body, "1 of 5 done"));
	ck_assert_ptr_nonnull(strstr(r.body, "<a href=\"/blueprints\">"));
	ck_assert_ptr_null(strstr(r.body, "<a href=\"/overlays\">Create an overlay"));
	wt_resp_fini(&r);
	wt_get(&t, &ss, "/servers", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "install the game first"));
	wt_resp_fini(&r);
	/* The game, a blueprint, a running server: all done, no list. */
	for (const char *d = "installation\0installation/builds\0installation/builds/7\0"; *d;
	     d += strlen(d) + 1) {
		p = xasprintf("%s/%s", t.dir, d);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		free(p);
	}
	p = xasprintf("%s/installation/builds/7/srcds_run", t.dir);
	tu_write_file(p, "#!/bin/sh\n");
	free(p);
	p = xasprintf("%s/installation/current", t.dir);
	ck_assert_int_eq(symlink("builds/7", p), 0);
	free(p);
	tu_db_exec(t.db,
		   "INSERT INTO blueprints (id, user_id, name, config, created_at, "
		   "updated_at) SELECT 1, id, 'bp', '', 0, 0 FROM users WHERE name = 'alice';"
		   "INSERT INTO servers (name, user_id, blueprint_id, port, state, created_at, "
		   "updated_at) SELECT 'alpha', id, 1, 27015, 'running', 0, 0 FROM users "
		   "WHERE name = 'alice'");
	/* The dashboard is cached until the web sees the DB change (db_watch,
	 * inotify): wait for that, with a deadline. */
	for (int i = 0;; i++) {
		bool shown;

		wt_get(&t, &ss, "/", &r);
		shown = strstr(r.body, "id=\"checklist\"") != NULL;
		wt_resp_fini(&r);
		if (!shown)
			break;
		ck_assert_msg(i < 500, "the checklist is still shown after 10 s");
		usleep(20000);
	}
	wt_get(&t, &ss, "/servers", &r);
	ck_assert_ptr_null(strstr(r.body, "install the game first"));
	wt_resp_fini(&r);
	free(tok);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("web_edit");
	TCase *tc = tcase_create("web_edit");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, new_overlay_has_its_dir);
	tcase_add_test(tc, api_if_match);
	tcase_add_test(tc, api_text_rules);
	tcase_add_test(tc, page_editor_saves_and_conflicts);
	tcase_add_test(tc, blueprint_shows_exposed_cfg);
	tcase_add_test(tc, first_run_checklist);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
