/* left4me-web's uploads stream to disk (issue 11): the PUT of the API and
 * the upload form write a nameless file beside the target while the body
 * comes, web.max_upload and the byte quotas are checked as it comes, and an
 * aborted or refused upload leaves the old file as it was and nothing
 * else.  The real daemon, driven over loopback. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define MULTIPART "multipart/form-data; boundary=XyZzY"

static struct wt t;
static char *tok;
static struct wt_session s;

static void start(void)
{
	int64_t alice;
	char path[PATH_MAX];

	wt_start(&t, "  max_upload: 1048576\nquotas:\n  overlay_bytes: 100000\n"
		     "  total_bytes: 150000\n");
	alice = wt_user(&t, "alice", "password-alice", false);
	tok = wt_token(&t, alice);
	snprintf(path, sizeof(path), "%s/overlays", t.dir);
	ck_assert_int_eq(mkdir(path, 0770), 0);
	tu_db_exec(t.db, "INSERT INTO overlays (user_id, name, kind, build_status, created_at, "
			 "updated_at) VALUES (1, 'ov1', 'user', 'never', 1, 1), "
			 "(1, 'ov2', 'user', 'never', 1, 1)");
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
}

static void stop(void)
{
	free(tok);
	wt_stop(&t);
}

/* PUT len bytes of c to overlay ov's name (chunked: no Content-Length);
 * the status, the answer's body to *body if not NULL. */
static long put(int64_t ov, const char *name, size_t len, char c, bool chunked, char **body)
{
	struct wt_resp r;
	char path[256], *data = xmalloc(len + 1);
	long status;

	memset(data, c, len);
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld/files/%s", (long long)ov, name);
	wt_req(&t, "PUT", path, NULL, tok, "application/octet-stream", data, len,
	       chunked ? "Transfer-Encoding: chunked" : NULL, &r);
	status = r.status;
	if (body)
		*body = xstrdup(r.body ? r.body : "");
	wt_resp_fini(&r);
	free(data);
	return status;
}

/* The size of overlay ov's file name, or -1 if there is none; its first
 * byte to *c. */
static long long file_size(int64_t ov, const char *name, char *c)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/overlays/%lld/%s", t.dir, (long long)ov, name);
	if (stat(path, &st) < 0)
		return -1;
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	*c = (char)fgetc(f);
	fclose(f);
	return (long long)st.st_size;
}

/* Entries of overlay ov's top directory whose name starts with '.' (a
 * temp file left behind). */
static int dot_files(int64_t ov)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/overlays/%lld", t.dir, (long long)ov);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* How many of the web's open fds lead into the state dir's overlays/: an
 * upload's file while it streams; the largest one's size to *size. */
static int web_upload_fds_size(long long *size)
{
	char dir[64], link[PATH_MAX], target[PATH_MAX], prefix[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)t.pid);
	snprintf(prefix, sizeof(prefix), "%s/overlays/", t.dir);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		/* A nameless file reads "DIR/#INODE (deleted)". */
		if (strncmp(target, prefix, strlen(prefix)) == 0 && strstr(target, "(deleted)")) {
			struct stat st;

			n++;
			if (stat(link, &st) == 0 && st.st_size > *size)
				*size = st.st_size;
		}
	}
	closedir(d);
	return n;
}

static int web_upload_fds(void)
{
	long long size = 0;

	return web_upload_fds_size(&size);
}

/* Wait up to 10 s for an upload's file that holds at least bytes. */
static bool wait_upload_bytes(long long bytes)
{
	for (int i = 0; i < 1000; i++) {
		long long size = 0;

		if (web_upload_fds_size(&size) == 1 && size >= bytes)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* Wait up to 10 s for web_upload_fds() to be want. */
static bool wait_upload_fds(int want)
{
	for (int i = 0; i < 1000; i++) {
		if (web_upload_fds() == want)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

static int connect_web(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t.port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
}

/* A PUT and a form upload that stop halfway: while the body comes the file
 * streams to a nameless file (not memory); when the client goes the file
 * is dropped, the old one is intact and nothing is left. */
START_TEST(aborted_upload_leaves_nothing)
{
	char head[2048], chunk[4096], c = 0;
	int fd;

	ck_assert_int_eq(put(1, "keep.bin", 1000, 'o', false, NULL), 201);
	memset(chunk, 'n', sizeof(chunk));

	/* The API's PUT: 64 KiB promised, 8 KiB sent, then the client goes. */
	fd = connect_web();
	snprintf(head, sizeof(head),
		 "PUT /api/v1/overlays/1/files/keep.bin HTTP/1.1\r\nHost: x\r\n"
		 "Authorization: Bearer %s\r\nContent-Length: 65536\r\n\r\n",
		 tok);
	send_all(fd, head, strlen(head));
	send_all(fd, chunk, sizeof(chunk));
	send_all(fd, chunk, sizeof(chunk));
	/* Gone once the web has taken what was sent (a client that goes with
	 * bytes still unread is seen at the connection's deadline). */
	ck_assert_msg(wait_upload_bytes(2 * sizeof(chunk)), "the PUT is not streaming to a file");
	close(fd);
	ck_assert_msg(wait_upload_fds(0), "the aborted PUT's file is still open");
	ck_assert_int_eq(file_size(1, "keep.bin", &c), 1000);
	ck_assert_int_eq(c, 'o');
	ck_assert_int_eq(dot_files(1), 0);

	/* The upload form, the same way. */
	fd = connect_web();
	snprintf(head, sizeof(head),
		 "POST /overlays/1/upload HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
		 "Content-Type: " MULTIPART "\r\nContent-Length: 65536\r\n\r\n"
		 "--XyZzY\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n%s\r\n"
		 "--XyZzY\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\nkeep.bin\r\n"
		 "--XyZzY\r\nContent-Disposition: form-data; name=\"file\"; "
		 "filename=\"k.bin\"\r\n\r\n",
		 s.cookie, s.csrf);
	send_all(fd, head, strlen(head));
	send_all(fd, chunk, sizeof(chunk));
	send_all(fd, chunk, sizeof(chunk));
	/* The parser holds back what could begin a delimiter. */
	ck_assert_msg(wait_upload_bytes(2 * sizeof(chunk) - 16),
		      "the form is not streaming to a file");
	close(fd);
	ck_assert_msg(wait_upload_fds(0), "the aborted form's file is still open");
	ck_assert_int_eq(file_size(1, "keep.bin", &c), 1000);
	ck_assert_int_eq(c, 'o');
	ck_assert_int_eq(dot_files(1), 0);

	/* A whole one replaces it. */
	ck_assert_int_eq(put(1, "keep.bin", 5000, 'n', true, NULL), 201);
	ck_assert_int_eq(file_size(1, "keep.bin", &c), 5000);
	ck_assert_int_eq(c, 'n');
	ck_assert_int_eq(dot_files(1), 0);
}
END_TEST

/* web.max_upload counts the bytes as they come (chunked: no
 * Content-Length to refuse early): 413 naming the key, old file intact. */
START_TEST(max_upload_while_streaming)
{
	char *body, c = 0;

	tu_db_exec(t.db, "UPDATE users SET role = 'admin'"); /* no quotas */
	ck_assert_int_eq(put(1, "big.bin", 10, 'o', false, NULL), 201);
	ck_assert_int_eq(put(1, "big.bin", 1048577, 'n', true, &body), 413);
	ck_assert_msg(strstr(body, "an upload is at most 1048576 bytes (web.max_upload)"), "%s",
		      body);
	free(body);
	ck_assert_int_eq(put(1, "big.bin", 1048577, 'n', false, &body), 413);
	ck_assert_msg(strstr(body, "(web.max_upload)"), "%s", body);
	free(body);
	ck_assert_int_eq(file_size(1, "big.bin", &c), 10);
	ck_assert_int_eq(c, 'o');
	ck_assert_int_eq(dot_files(1), 0);
	ck_assert_int_eq(put(1, "big.bin", 1048576, 'n', true, NULL), 201);
	ck_assert_int_eq(file_size(1, "big.bin", &c), 1048576);
	ck_assert_int_eq(web_upload_fds(), 0);
}
END_TEST

/* The byte quotas stop a body without a Content-Length once it would
 * pass them: 409 naming the key, the old file intact, nothing left. */
START_TEST(quota_while_streaming)
{
	char *body, c = 0;

	ck_assert_int_eq(put(1, "a.bin", 60000, 'o', false, NULL), 201);
	ck_assert_int_eq(put(1, "a.bin", 100001, 'n', true, &body), 409);
	ck_assert_msg(strstr(body, "quota: overlay_bytes: this upload would make overlay 1 hold at "
				   "least ") &&
			  strstr(body, "over 100000 (quotas.overlay_bytes)"),
		      "%s", body);
	free(body);
	ck_assert_int_eq(file_size(1, "a.bin", &c), 60000);
	ck_assert_int_eq(c, 'o');
	/* Replacing the file: the old one no longer counts. */
	ck_assert_int_eq(put(1, "a.bin", 100000, 'n', true, NULL), 201);
	ck_assert_int_eq(put(2, "b.bin", 50001, 'n', true, &body), 409);
	ck_assert_msg(strstr(body, "quota: total_bytes: this upload would make your overlays hold "
				   "at least ") &&
			  strstr(body, "over 150000 (quotas.total_bytes)"),
		      "%s", body);
	free(body);
	ck_assert_int_eq(file_size(2, "b.bin", &c), -1);
	ck_assert_int_eq(dot_files(2), 0);
	ck_assert_int_eq(put(2, "b.bin", 50000, 'n', true, NULL), 201);
	ck_assert_int_eq(web_upload_fds(), 0);
}
END_TEST

/* The form streams too: quota and max_upload refusals, and a field after
 * the file (whose path it would have named) is refused. */
START_TEST(form_upload_streams)
{
	struct wt_resp r;
	struct strbuf b;
	char *big = xmalloc(100001), c = 0;

	memset(big, 'f', 100001);
	strbuf_init(&b);
	strbuf_printf(&b,
		      "--XyZzY\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n%s\r\n"
		      "--XyZzY\r\nContent-Disposition: form-data; name=\"file\"; "
		      "filename=\"late.txt\"\r\n\r\nx\r\n"
		      "--XyZzY\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\nelse.txt\r\n"
		      "--XyZzY--\r\n",
		      s.csrf);
	wt_req(&t, "POST", "/overlays/1/upload", s.cookie, NULL, MULTIPART, b.buf, b.len, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_msg(strstr(r.body, "a form&#39;s fields must come before its file") ||
			  strstr(r.body, "a form's fields must come before its file"),
		      "%s", r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(file_size(1, "late.txt", &c), -1);
	ck_assert_int_eq(file_size(1, "else.txt", &c), -1);

	strbuf_reset(&b);
	strbuf_printf(&b,
		      "--XyZzY\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n%s\r\n"
		      "--XyZzY\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n\r\n"
		      "--XyZzY\r\nContent-Disposition: form-data; name=\"file\"; "
		      "filename=\"q.bin\"\r\n\r\n",
		      s.csrf);
	strbuf_append(&b, big, 100001);
	strbuf_puts(&b, "\r\n--XyZzY--\r\n");
	wt_req(&t, "POST", "/overlays/1/upload", s.cookie, NULL, MULTIPART, b.buf, b.len,
	       "Transfer-Encoding: chunked", &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert_msg(strstr(r.body, "(quotas.overlay_bytes)"), "%s", r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(file_size(1, "q.bin", &c), -1);
	ck_assert_int_eq(dot_files(1), 0);

	/* Within the quota it lands, under the file's own name. */
	b.len -= 13 + 2;
	strbuf_puts(&b, "\r\n--XyZzY--\r\n");
	wt_req(&t, "POST", "/overlays/1/upload", s.cookie, NULL, MULTIPART, b.buf, b.len,
	       "Transfer-Encoding: chunked", &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(file_size(1, "q.bin", &c), 99999);
	ck_assert_int_eq(c, 'f');
	ck_assert_int_eq(web_upload_fds(), 0);
	strbuf_fini(&b);
	free(big);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("web_upload");
	TCase *tc = tcase_create("web_upload");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, aborted_upload_leaves_nothing);
	tcase_add_test(tc, max_upload_while_streaming);
	tcase_add_test(tc, quota_while_streaming);
	tcase_add_test(tc, form_upload_streams);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_main(suite());
}
