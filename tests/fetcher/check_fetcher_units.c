/* The fetcher's pure parts: index parsers (tables and a seeded mutation
 * fuzz whose every output must still be safe), URL helpers, symlink
 * reconciliation on a scratch tree, db_global on a temp database, and the
 * md5 thread of extraction (filehash) against a one-shot digest. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "db_global.h"
#include "filehash.h"
#include "index.h"
#include "reconcile.h"
#include "testutil.h"
#include "xalloc.h"

static const struct {
	const char *in, *out;
} encode_cases[] = {
    {"http://h/a b.7z", "http://h/a%20b.7z"},
    {"http://h/a%20b.7z", "http://h/a%20b.7z"},
    {"http://h/100%.zip", "http://h/100%25.zip"},
    {"http://h/\xc3\xa9.zip", "http://h/%C3%A9.zip"},
    {"http://h/a\"<>{}|.zip", "http://h/a%22%3C%3E%7B%7D%7C.zip"},
};

START_TEST(test_encode)
{
	char *s = url_encode_loose(encode_cases[_i].in);

	ck_assert_str_eq(s, encode_cases[_i].out);
	free(s);
}
END_TEST

static const struct {
	const char *base, *ref, *out; /* out NULL: refused */
} resolve_cases[] = {
    {"http://h/maps/index.html", "a.zip", "http://h/maps/a.zip"},
    {"http://h/maps/index.html", "../x/a b.zip", "http://h/x/a%20b.zip"},
    {"http://h/maps/index.html", "/top.7z#frag", "http://h/top.7z"},
    {"http://h/maps/", "https://other/a.zip", "https://other/a.zip"},
    {"http://h/maps/", "ftp://other/a.zip", NULL},
    {"http://h/maps/", "file:///etc/passwd", NULL},
    {"http://h/maps/", "javascript:alert(1)", NULL},
    {NULL, "relative.zip", NULL},
    {NULL, "http://h/q.zip?a=1&b=2", "http://h/q.zip?a=1&b=2"},
};

START_TEST(test_resolve)
{
	char *s = url_resolve(resolve_cases[_i].base, resolve_cases[_i].ref);

	if (!resolve_cases[_i].out)
		ck_assert_msg(s == NULL, "%s accepted as %s", resolve_cases[_i].ref, s);
	else
		ck_assert_str_eq(s, resolve_cases[_i].out);
	free(s);
}
END_TEST

static const struct {
	const char *url, *name;
} file_name_cases[] = {
    {"http://h/maps/a%20b.zip", "a b.zip"}, {"http://h/maps/x.7z?dl=1", "x.7z"},
    {"http://h/maps/%2e%2e", NULL},	    {"http://h/maps/a%2fb.zip", NULL},
    {"http://h/maps/a%00b.zip", NULL},	    {"http://h/maps/", NULL},
    {"http://h/.hidden.zip", NULL},
};

START_TEST(test_file_name)
{
	char *s = url_file_name(file_name_cases[_i].url);

	if (!file_name_cases[_i].name)
		ck_assert_msg(s == NULL, "%s gave %s", file_name_cases[_i].url, s);
	else
		ck_assert_str_eq(s, file_name_cases[_i].name);
	free(s);
}
END_TEST

START_TEST(test_json)
{
	const char *body =
	    "[{\"name\":\"widebox1.vpk\",\"size\":10166415,"
	    "\"md5\":\"B0BD0123456789ABCDEF0123456789AB\","
	    "\"download_link\":\"https://l4d2center.com/maps/servers/widebox1.7z\"},"
	    " {\"name\":\"my map.vpk\",\"size\":1,\"md5\":\"b0bd0123456789abcdef0123456789ab\","
	    "\"download_link\":\"https://l4d2center.com/maps/servers/my map.7z\"},"
	    " {\"name\":\"../evil.vpk\",\"download_link\":\"https://x/e.7z\"},"
	    " {\"name\":\"nomd5.vpk\",\"download_link\":\"/rel/nomd5.zip\"},"
	    " {\"name\":\"badmd5.vpk\",\"md5\":\"xyz\",\"download_link\":\"https://x/b.7z\"},"
	    " {\"name\":\"WIDEBOX1.vpk\",\"download_link\":\"https://x/dup.7z\"},"
	    " {\"name\":\"x.vpk\",\"download_link\":\"ftp://x/x.7z\"},"
	    " {\"name\":\"neg.vpk\",\"size\":-1,\"download_link\":\"https://x/n.7z\"},"
	    " 42]  \n";
	struct index_list l;
	char err[256];

	ck_assert_int_eq(index_parse_json(body, strlen(body), "https://l4d2center.com/maps/i.json",
					  &l, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.items[0].name, "widebox1.vpk");
	ck_assert_str_eq(l.items[0].md5, "b0bd0123456789abcdef0123456789ab");
	ck_assert_int_eq(l.items[0].size, 10166415);
	ck_assert_str_eq(l.items[1].url, "https://l4d2center.com/maps/servers/my%20map.7z");
	ck_assert_str_eq(l.items[2].url, "https://l4d2center.com/rel/nomd5.zip");
	ck_assert_ptr_null(l.items[2].md5);
	ck_assert_int_eq(l.items[2].size, -1);
	ck_assert_uint_eq(l.skipped, 6);
	ck_assert_ptr_nonnull(l.problem);
	index_list_fini(&l);

	ck_assert_int_eq(index_parse_json("{}", 2, NULL, &l, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "array"), "%s", err);
	ck_assert_int_eq(index_parse_json("[1,", 3, NULL, &l, err, sizeof(err)), -1);
	ck_assert_int_eq(index_parse_json("[] x", 4, NULL, &l, err, sizeof(err)), -1);
	ck_assert_int_eq(index_parse_json("", 0, NULL, &l, err, sizeof(err)), -1);
	{
		/* Deep nesting is refused by the tokenizer's depth limit. */
		char deep[2001];

		memset(deep, '[', 2000);
		deep[2000] = 0;
		ck_assert_int_eq(index_parse_json(deep, 2000, NULL, &l, err, sizeof(err)), -1);
	}
}
END_TEST

START_TEST(test_html)
{
	const char *page = "<a href=\"a.zip\">a</a><a href='b%20c.7Z'>b</a>"
			   "<a\thref=d.zip>d</a><abbr href=\"no.zip\"></abbr>"
			   "<a name=x href=\"e.zip?x=1&amp;y=2\">e</a>"
			   "<a href=\"f&#46;zip\">f</a><a href=\"g.zip.txt\">g</a>"
			   "<!-- <a href=\"h.zip\"> --><a href=\"a.zip\">dup</a><a href=\"";
	struct index_list l;
	char err[256];

	ck_assert_int_eq(index_parse_html(page, strlen(page), "http://h/m/", &l, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(l.n, 5);
	ck_assert_str_eq(l.items[0].url, "http://h/m/a.zip");
	ck_assert_str_eq(l.items[1].name, "b c.7Z");
	ck_assert_str_eq(l.items[2].name, "d.zip");
	ck_assert_str_eq(l.items[3].url, "http://h/m/e.zip?x=1&y=2");
	ck_assert_str_eq(l.items[4].name, "f.zip");
	index_list_fini(&l);
}
END_TEST

/* Every item a parser returns, whatever the input. */
static void assert_safe(const struct index_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		ck_assert(fetch_safe_name(l->items[i].name));
		ck_assert(strncmp(l->items[i].url, "http://", 7) == 0 ||
			  strncmp(l->items[i].url, "https://", 8) == 0);
		ck_assert(!strchr(l->items[i].url, ' '));
		ck_assert(!l->items[i].md5 || strlen(l->items[i].md5) == 32);
	}
}

/* Seeded mutation fuzz: flip, insert, delete and splice bytes of seed
 * documents; nothing may crash (ASan watches) and all output stays safe. */
START_TEST(test_fuzz_parsers)
{
	static const char *const seeds[] = {
	    "[{\"name\":\"a b.vpk\",\"size\":1,\"md5\":\"0123456789abcdef0123456789abcdef\","
	    "\"download_link\":\"https://h/a b.7z\"}]",
	    "<html><a href=\"x.zip\">x</a><A HREF='../y%20z.7z'>y</A><!-- c --></html>",
	};
	static const char alphabet[] = "[]{}\",:<>=&#;/\\. %azAZ09\x00\x01\xc3\xa9\xff'-!";
	unsigned st = 12345;
	int iter, s;

	for (iter = 0; iter < 20000; iter++) {
		for (s = 0; s < 2; s++) {
			char buf[512];
			size_t len = strlen(seeds[s]), k, muts;
			struct index_list l;
			char err[256];

			memcpy(buf, seeds[s], len);
			st = st * 1103515245u + 12345u;
			muts = 1 + (st >> 16) % 8;
			for (k = 0; k < muts; k++) {
				size_t pos;
				char c;

				st = st * 1103515245u + 12345u;
				pos = len ? (st >> 8) % len : 0;
				c = alphabet[(st >> 20) % (sizeof(alphabet) - 1)];
				switch ((st >> 4) % 3) {
				case 0:
					if (len)
						buf[pos] = c;
					break;
				case 1:
					if (len + 1 < sizeof(buf)) {
						memmove(buf + pos + 1, buf + pos, len - pos);
						buf[pos] = c;
						len++;
					}
					break;
				default:
					if (len) {
						memmove(buf + pos, buf + pos + 1, len - pos - 1);
						len--;
					}
				}
			}
			if (s == 0 && index_parse_json(buf, len, "http://h/i.json", &l, err,
						       sizeof(err)) == 0) {
				assert_safe(&l);
				index_list_fini(&l);
			}
			if (s == 1 && index_parse_html(buf, len, "http://h/m/i.html", &l, err,
						       sizeof(err)) == 0) {
				assert_safe(&l);
				index_list_fini(&l);
			}
		}
	}
}
END_TEST

static void touch(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	tu_write_file(p, "x");
	free(p);
}

START_TEST(test_reconcile)
{
	char *root = tu_mkdtemp(), *cache = xasprintf("%s/cache", root),
	     *addons = xasprintf("%s/addons", root), *p, buf[PATH_MAX];
	struct reconcile_stats st;
	char err[256];
	ssize_t n;

	mkdir(cache, 0755);
	mkdir(addons, 0755);
	touch(cache, "a.vpk");
	touch(cache, "b.vpk");
	touch(cache, "c.vpk");
	touch(cache, "notes.txt");
	touch(cache, ".partial.vpk.tmp1");
	touch(addons, "c.vpk"); /* a foreign file holding a cached name */
	p = xasprintf("%s/foreign.vpk", addons);
	ck_assert_int_eq(symlink("/usr/share/foo.vpk", p), 0);
	free(p);
	p = xasprintf("%s/stale.vpk", addons);
	{
		char *t = xasprintf("%s/stale.vpk", cache);

		ck_assert_int_eq(symlink(t, p), 0);
		free(t);
	}
	free(p);
	p = xasprintf("%s/b.vpk", addons); /* ours, but pointing at the wrong file */
	{
		char *t = xasprintf("%s/a.vpk", cache);

		ck_assert_int_eq(symlink(t, p), 0);
		free(t);
	}
	free(p);
	p = xasprintf("%s/sneaky.vpk", addons); /* not ours: deeper than the cache */
	{
		char *t = xasprintf("%s/sub/x.vpk", cache);

		ck_assert_int_eq(symlink(t, p), 0);
		free(t);
	}
	free(p);

	ck_assert_int_eq(reconcile_links(cache, addons, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.cached, 3);
	ck_assert_uint_eq(st.added, 2);	  /* a, b */
	ck_assert_uint_eq(st.removed, 2); /* stale, wrong b */
	ck_assert_uint_eq(st.foreign, 3);
	ck_assert_uint_eq(st.conflicts, 1);
	p = xasprintf("%s/b.vpk", addons);
	n = readlink(p, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = 0;
	free(p);
	p = xasprintf("%s/b.vpk", cache);
	ck_assert_str_eq(buf, p);
	free(p);
	p = xasprintf("%s/c.vpk", addons);
	{
		char *t = tu_read_file(p);

		ck_assert_str_eq(t, "x");
		free(t);
	}
	free(p);

	/* Idempotent. */
	ck_assert_int_eq(reconcile_links(cache, addons, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.added + st.removed, 0);
	ck_assert_uint_eq(st.kept, 2);
	ck_assert_int_eq(reconcile_links("relative", addons, &st, err, sizeof(err)), -1);
	tu_rmtree(root);
	free(root);
	free(cache);
	free(addons);
}
END_TEST

START_TEST(test_db_global)
{
	char *dir = tu_mkdtemp();
	sqlite3 *db = tu_db_new(dir);
	struct global_source gs, *list;
	struct global_item *items;
	struct global_file files[2] = {{"a.vpk", 10, "0123456789abcdef0123456789abcdef"},
				       {"b.vpk", 20, NULL}};
	struct global_source_status stt = {
	    .success = true, .complete = true, .items_expected = 1, .items_present = 1};
	int64_t sid, sid2, iid, iid2;
	size_t n;
	bool complete;

	ck_assert_int_eq(
	    db_global_source_ensure(db, "l4d2center-maps", "json_index", "http://x/i", &sid),
	    DB_OK);
	ck_assert_int_eq(
	    db_global_source_ensure(db, "l4d2center-maps", "html_index", "http://x/h", &sid2),
	    DB_OK);
	ck_assert_int_eq(sid, sid2);
	ck_assert_int_eq(db_global_source_ensure(db, "Bad Name", "url_list", NULL, &sid2),
			 DB_INVALID);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM overlays WHERE kind = 'global'"), 1);
	ck_assert_int_eq(db_global_source_get(db, "l4d2center-maps", &gs), DB_OK);
	ck_assert_str_eq(gs.kind, "html_index");
	ck_assert_int_gt(gs.overlay_id, 0);
	ck_assert(!gs.complete);
	global_source_fini(&gs);
	ck_assert_int_eq(db_global_source_get(db, "nope", &gs), DB_NOTFOUND);
	ck_assert_int_eq(db_global_source_complete(db, "nope", &complete), DB_OK);
	ck_assert(!complete);

	ck_assert_int_eq(db_global_item_upsert(db, sid, "a.vpk", "http://x/a.7z", 10,
					       "0123456789abcdef0123456789abcdef", &iid),
			 DB_OK);
	ck_assert_int_eq(db_global_item_set_ok(db, iid, "\"e1\"", "Mon", files, 2), DB_OK);
	ck_assert_int_eq(db_global_item_upsert(db, sid, "a.vpk", "http://x/a.7z", 11, NULL, &iid2),
			 DB_OK);
	ck_assert_int_eq(iid, iid2);
	ck_assert_int_eq(db_global_item_list(db, sid, &items, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(items[0].etag, "\"e1\""); /* same url: validators kept */
	ck_assert_uint_eq(items[0].n_files, 2);
	ck_assert_int_eq(items[0].size, 11);
	ck_assert_int_eq(items[0].state, GITEM_OK);
	global_item_list_free(items, n);
	ck_assert_int_eq(
	    db_global_item_upsert(db, sid, "a.vpk", "http://x/moved.7z", -1, NULL, &iid2), DB_OK);
	ck_assert_int_eq(db_global_item_set_failed(db, iid, "boom"), DB_OK);
	ck_assert_int_eq(db_global_item_list(db, sid, &items, &n), DB_OK);
	ck_assert_ptr_null(items[0].etag); /* url changed: validators forgotten */
	ck_assert_int_eq(items[0].size, -1);
	ck_assert_int_eq(items[0].state, GITEM_FAILED);
	ck_assert_str_eq(items[0].error, "boom");
	global_item_list_free(items, n);

	ck_assert_int_eq(db_global_source_set_status(db, sid, &stt), DB_OK);
	ck_assert_int_eq(db_global_source_complete(db, "l4d2center-maps", &complete), DB_OK);
	ck_assert(complete);
	ck_assert_int_eq(db_global_source_list(db, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_gt(list[0].last_success_at, 0);
	global_source_list_free(list, n);
	ck_assert_int_eq(db_global_item_delete(db, iid), DB_OK);
	ck_assert_int_eq(db_global_item_delete(db, iid), DB_NOTFOUND);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM global_overlay_item_files"), 0);
	db_close(db);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Open dir/name for filehash (O_RDWR, new). */
static int fh_open(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	free(p);
	return fd;
}

/* Several files in uneven pieces (0, 1 byte, more than the read-back
 * buffer), more than FILEHASH_MAX_PENDING of them, each md5 equal to a
 * one-shot digest; an empty file hashes as empty. */
START_TEST(test_filehash)
{
	static const size_t pieces[] = {0, 1, 4095, 300000, 7, 1 << 20, 0, 123457};
	enum { NFILES = FILEHASH_MAX_PENDING + 3 };
	char *dir = tu_mkdtemp(), hex[33], want[NFILES][33];
	unsigned char *data, dig[EVP_MAX_MD_SIZE];
	size_t total = 0, i;
	struct filehash *h = filehash_new();
	int k;

	ck_assert_ptr_nonnull(h);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
		total += pieces[i];
	data = xmalloc(total);
	for (i = 0; i < total; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	for (k = 0; k < NFILES; k++) {
		char name[16];
		size_t off = 0, len = k == 1 ? 0 : total - (size_t)k;
		unsigned n = 0;
		int fd;

		ck_assert(EVP_Digest(data + k, len, dig, &n, EVP_md5(), NULL) && n == 16);
		for (i = 0; i < 16; i++)
			snprintf(want[k] + 2 * i, 3, "%02x", dig[i]);
		snprintf(name, sizeof(name), "%d.vpk", k);
		fd = fh_open(dir, name);
		ck_assert_int_eq(filehash_add(h, fd), 0);
		for (i = 0; off < len; i++) {
			size_t p = pieces[i % 8] < len - off ? pieces[i % 8] : len - off;

			ck_assert_int_eq(write(fd, data + k + off, p), (ssize_t)p);
			off += p;
			filehash_advance(h, (int64_t)off);
		}
		filehash_end(h);
		close(fd); /* filehash keeps its own */
	}
	for (k = NFILES - 1; k >= 0; k--) {
		ck_assert_int_eq(filehash_result(h, (size_t)k, hex), 0);
		ck_assert_str_eq(hex, want[k]);
	}
	ck_assert_str_eq(want[1], "d41d8cd98f00b204e9800998ecf8427e");
	filehash_free(h);
	filehash_free(NULL);
	free(data);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Freeing mid-file joins the thread and closes its fds (ASan and the fd
 * count see any leak); a file shorter than announced is a read-back error
 * for it and every later file, not a digest. */
START_TEST(test_filehash_errors)
{
	char *dir = tu_mkdtemp(), hex[33] = "x", buf[4096] = {0};
	struct filehash *h = filehash_new();
	int fd, i, lowest;

	ck_assert_ptr_nonnull(h);
	fd = fh_open(dir, "a.vpk");
	lowest = dup(0); /* the fd number filehash's dup will take */
	close(lowest);
	ck_assert_int_eq(filehash_add(h, fd), 0);
	for (i = 0; i < 64; i++) {
		ck_assert_int_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		filehash_advance(h, (int64_t)(i + 1) * (int64_t)sizeof(buf));
	}
	filehash_free(h);
	i = dup(0);
	ck_assert_int_eq(i, lowest); /* the dup is closed again */
	close(i);
	close(fd);

	h = filehash_new();
	ck_assert_ptr_nonnull(h);
	fd = fh_open(dir, "short.vpk");
	ck_assert_int_eq(filehash_add(h, fd), 0);
	ck_assert_int_eq(write(fd, buf, 100), 100);
	filehash_advance(h, 1000);
	filehash_end(h);
	errno = 0;
	ck_assert_int_eq(filehash_result(h, 0, hex), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_str_eq(hex, "");
	errno = 0;
	ck_assert_int_eq(filehash_add(h, fd), -1);
	ck_assert_int_eq(errno, EIO);
	filehash_free(h);
	close(fd);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fetcher_units");
	TCase *tc = tcase_create("units");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_encode, 0, sizeof(encode_cases) / sizeof(encode_cases[0]));
	tcase_add_loop_test(tc, test_resolve, 0, sizeof(resolve_cases) / sizeof(resolve_cases[0]));
	tcase_add_loop_test(tc, test_file_name, 0,
			    sizeof(file_name_cases) / sizeof(file_name_cases[0]));
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_fuzz_parsers);
	tcase_add_test(tc, test_reconcile);
	tcase_add_test(tc, test_db_global);
	tcase_add_test(tc, test_filehash);
	tcase_add_test(tc, test_filehash_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
