/* The fetcher's pure parts: index parsers (tables and a seeded mutation
 * fuzz whose every output must still be safe, 100,000-item indexes), URL
 * helpers, the network policy (netcheck: address classes, URLs, redirect
 * targets; the source options in the config; download.c enforcing a policy
 * on redirects and resolved addresses against two loopback servers),
 * symlink reconciliation on a scratch tree, db_global on a temp database,
 * and the md5 thread of extraction (filehash) against a one-shot digest. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "db_global.h"
#include "download.h"
#include "filehash.h"
#include "httpd.h"
#include "index.h"
#include "netcheck.h"
#include "reconcile.h"
#include "strbuf.h"
#include "testutil.h"
#include "xalloc.h"

/* dir/name in a static buffer. */
static const char *pth2(const char *dir, const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

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
					  false, &l, err, sizeof(err)),
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

	ck_assert_int_eq(index_parse_json("{}", 2, NULL, false, &l, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "array"), "%s", err);
	ck_assert_int_eq(index_parse_json("[1,", 3, NULL, false, &l, err, sizeof(err)), -1);
	ck_assert_int_eq(index_parse_json("[] x", 4, NULL, false, &l, err, sizeof(err)), -1);
	ck_assert_int_eq(index_parse_json("", 0, NULL, false, &l, err, sizeof(err)), -1);
	{
		/* Deep nesting is refused by the tokenizer's depth limit. */
		char deep[2001];

		memset(deep, '[', 2000);
		deep[2000] = 0;
		ck_assert_int_eq(index_parse_json(deep, 2000, NULL, false, &l, err, sizeof(err)),
				 -1);
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

	ck_assert_int_eq(
	    index_parse_html(page, strlen(page), "http://h/m/", false, &l, err, sizeof(err)), 0);
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
			if (s == 0 && index_parse_json(buf, len, "http://h/i.json", false, &l, err,
						       sizeof(err)) == 0) {
				assert_safe(&l);
				index_list_fini(&l);
			}
			if (s == 1 && index_parse_html(buf, len, "http://h/m/i.html", false, &l,
						       err, sizeof(err)) == 0) {
				assert_safe(&l);
				index_list_fini(&l);
			}
		}
	}
}
END_TEST

/* ---- network policy --------------------------------------------------- */

static const struct {
	const char *addr, *cls; /* cls NULL: public */
} addr_cases[] = {
    {"127.0.0.1", "loopback"},
    {"127.255.255.254", "loopback"},
    {"0.0.0.0", "this-network (0.0.0.0/8)"},
    {"0.1.2.3", "this-network (0.0.0.0/8)"},
    {"10.0.0.1", "private"},
    {"172.16.0.1", "private"},
    {"172.31.255.255", "private"},
    {"192.168.1.1", "private"},
    {"100.64.0.1", "shared (CGNAT)"},
    {"100.127.255.255", "shared (CGNAT)"},
    {"169.254.169.254", "link-local"},
    {"224.0.0.1", "multicast"},
    {"239.255.255.250", "multicast"},
    {"240.0.0.1", "reserved"},
    {"255.255.255.255", "broadcast"},
    {"8.8.8.8", NULL},
    {"1.1.1.1", NULL},
    {"172.15.255.255", NULL},
    {"172.32.0.1", NULL},
    {"100.63.255.255", NULL},
    {"100.128.0.1", NULL},
    {"192.167.255.255", NULL},
    {"169.253.0.1", NULL},
    {"223.255.255.255", NULL},
    {"::1", "loopback"},
    {"::", "unspecified"},
    {"::127.0.0.1", "IPv4-compatible (deprecated)"},
    {"fc00::1", "unique-local (private)"},
    {"fdff:ffff::1", "unique-local (private)"},
    {"fe80::1", "link-local"},
    {"febf::1", "link-local"},
    {"fec0::1", "site-local"},
    {"ff02::1", "multicast"},
    {"::ffff:127.0.0.1", "loopback"},
    {"::ffff:10.1.2.3", "private"},
    {"::ffff:169.254.169.254", "link-local"},
    {"::ffff:8.8.8.8", NULL},
    {"64:ff9b::127.0.0.1", "loopback"},
    {"64:ff9b::192.168.0.1", "private"},
    {"64:ff9b::8.8.8.8", NULL},
    {"64:ff9b:1::1", "local-use NAT64"},
    {"2002:7f00:1::1", "loopback"},
    {"2002:0808:0808::1", NULL},
    {"2606:4700:4700::1111", NULL},
    {"2001:db8::1", NULL},
    {"fbff::1", NULL},
};

START_TEST(test_netcheck_addr)
{
	const char *a = addr_cases[_i].addr, *want = addr_cases[_i].cls, *got;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};

	if (inet_pton(AF_INET, a, &sin.sin_addr) == 1) {
		got = netcheck_ipv4((const unsigned char *)&sin.sin_addr);
		ck_assert_pstr_eq(netcheck_sockaddr((struct sockaddr *)&sin, sizeof(sin)), got);
		ck_assert_pstr_eq(netcheck_host(a), got);
	} else {
		char br[64];

		ck_assert_int_eq(inet_pton(AF_INET6, a, &sin6.sin6_addr), 1);
		got = netcheck_ipv6(sin6.sin6_addr.s6_addr);
		ck_assert_pstr_eq(netcheck_sockaddr((struct sockaddr *)&sin6, sizeof(sin6)), got);
		snprintf(br, sizeof(br), "[%s]", a);
		ck_assert_pstr_eq(netcheck_host(br), got);
	}
	ck_assert_msg(want ? got && strcmp(got, want) == 0 : got == NULL, "%s: %s, want %s", a,
		      got ? got : "public", want ? want : "public");
}
END_TEST

START_TEST(test_netcheck_host)
{
	struct sockaddr_un {
		sa_family_t family;
		char path[108];
	} un = {.family = AF_UNIX};

	/* Forms getaddrinfo takes, names that never leave the host. */
	ck_assert_str_eq(netcheck_host("127.1"), "loopback");
	ck_assert_str_eq(netcheck_host("0x7f.1"), "loopback");
	ck_assert_str_eq(netcheck_host("2130706433"), "loopback");
	ck_assert_str_eq(netcheck_host("017700000001"), "loopback");
	ck_assert_str_eq(netcheck_host("127.0.0.1."), "loopback");
	ck_assert_ptr_null(netcheck_host("localhost")); /* judged when resolved */
	ck_assert_str_eq(netcheck_host("[fe80::1%25eth0]"), "link-local");
	ck_assert_str_eq(netcheck_host("[::FFFF:7f00:1]"), "loopback");
	ck_assert_ptr_null(netcheck_host("l4d2center.com"));
	ck_assert_ptr_null(netcheck_host("localhost.example.com"));
	ck_assert_ptr_null(netcheck_host("notlocalhost"));
	ck_assert_ptr_null(netcheck_host("8.8.8.8"));
	ck_assert_ptr_null(netcheck_host("[2606:4700::1111]"));
	ck_assert_ptr_null(netcheck_host(""));
	ck_assert_ptr_null(netcheck_host("[::1"));
	ck_assert_str_eq(netcheck_sockaddr((struct sockaddr *)&un, sizeof(un)), "non-IP");
}
END_TEST

static const struct {
	const char *url;
	bool allow_private;
	const char *why; /* NULL: accepted; else a substring of the refusal */
} url_cases[] = {
    {"https://l4d2center.com/maps/servers/index.json", false, NULL},
    {"http://8.8.8.8/a.zip", false, NULL},
    {"http://[2606:4700::1111]:8080/a.zip", false, NULL},
    {"http://127.0.0.1:8080/a.zip", false, "127.0.0.1 is a loopback address"},
    {"http://127.0.0.1:8080/a.zip", true, NULL},
    {"http://127.1/a.zip", false, "127.0.0.1 is a loopback address"},
    {"http://0x7f.0.0.1/a.zip", false, "loopback"},
    {"http://2130706433/a.zip", false, "loopback"},
    {"http://%31%32%37.0.0.1/a.zip", false, "loopback"},
    {"http://localhost:8080/a.zip", false, NULL}, /* refused at the address */
    {"http://[::1]/a.zip", false, "[::1] is a loopback address"},
    {"http://[::ffff:127.0.0.1]/a.zip", false, "loopback"},
    {"http://[::ffff:a01:203]/a.zip", false, "private"},
    {"http://[64:ff9b::a9fe:a9fe]/a.zip", false, "link-local"},
    {"http://[fe80::1%25eth0]/a.zip", false, "link-local"},
    {"http://[fd00::1]/a.zip", false, "unique-local"},
    {"http://[ff02::1]/a.zip", false, "multicast"},
    {"http://10.1.2.3/a.zip", false, "10.1.2.3 is a private address"},
    {"http://172.16.5.4/a.zip", false, "private"},
    {"http://192.168.0.1/a.zip", false, "private"},
    {"http://100.64.1.1/a.zip", false, "CGNAT"},
    {"http://169.254.169.254/latest/meta-data/", false, "link-local"},
    {"http://224.0.0.1/a.zip", false, "multicast"},
    {"http://240.1.1.1/a.zip", false, "reserved"},
    {"http://255.255.255.255/a.zip", false, "broadcast"},
    {"http://0.0.0.0/a.zip", false, "this-network"},
    {"http://user:secret@h.example/a.zip", false, "credentials"},
    {"http://user:secret@h.example/a.zip", true, "credentials"},
    {"http://user@h.example/a.zip", true, "credentials"},
    {"http://:secret@h.example/a.zip", true, "credentials"},
    {"http://@h.example/a.zip", true, "credentials"},
    {"ftp://h.example/a.zip", true, "not an http or https URL"},
    {"file:///etc/passwd", true, "not an http or https URL"},
    {"relative/a.zip", true, "not a valid absolute URL"},
    {"gopher://h.example/", true, "not"},
};

START_TEST(test_netcheck_url)
{
	char why[256] = "";
	int rc = netcheck_url(url_cases[_i].url, url_cases[_i].allow_private, why, sizeof(why));

	if (!url_cases[_i].why) {
		ck_assert_msg(rc == 0, "%s refused: %s", url_cases[_i].url, why);
	} else {
		ck_assert_msg(rc == -1, "%s accepted", url_cases[_i].url);
		ck_assert_msg(strstr(why, url_cases[_i].why), "%s: %s", url_cases[_i].url, why);
		ck_assert_msg(!strstr(why, "secret"), "%s", why); /* never repeated */
	}
}
END_TEST

static const struct {
	const char *base, *loc, *out; /* out NULL: unparseable */
} redirect_cases[] = {
    {"http://h.example/maps/a.zip", "/other/b.zip", "http://h.example/other/b.zip"},
    {"http://h.example/maps/a.zip", "b c.zip", "http://h.example/maps/b%20c.zip"},
    {"http://h.example/maps/a.zip", "https://cdn.example/x.7z", "https://cdn.example/x.7z"},
    {"http://h.example/maps/a.zip", "//127.0.0.1/x.zip", "http://127.0.0.1/x.zip"},
    {"https://h.example/a", "http://u:p@h.example/", "http://u:p@h.example/"},
    {"http://h.example/a", "javascript:alert(1)", NULL},
};

START_TEST(test_redirect_target)
{
	char *t = netcheck_redirect_target(redirect_cases[_i].base, redirect_cases[_i].loc);

	if (!redirect_cases[_i].out)
		ck_assert_msg(t == NULL, "%s gave %s", redirect_cases[_i].loc, t);
	else
		ck_assert_str_eq(t, redirect_cases[_i].out);
	free(t);
}
END_TEST

static const struct {
	const char *name, *why; /* why NULL: safe */
} name_cases[] = {
    {"widebox1.vpk", NULL},
    {"my map.vpk", NULL},
    {"\xd0\xba\xd0\xb0\xd1\x80\xd1\x82\xd0\xb0.vpk", NULL}, /* Cyrillic */
    {"\xe5\x9c\xb0\xe5\x9b\xbe.vpk", NULL},		    /* CJK */
    {"evil\xe2\x80\xaegpj.vpk", "bidi control U+202E"},
    {"a\xe2\x80\xaa.vpk", "bidi control U+202A"},
    {"a\xe2\x81\xa6.vpk", "bidi control U+2066"},
    {"a\xe2\x81\xa9.vpk", "bidi control U+2069"},
    {"a\xe2\x80\x8e.vpk", "bidi control U+200E"},
    {"a\xe2\x80\x8f.vpk", "bidi control U+200F"},
    {"a\xd8\x9c.vpk", "bidi control U+061C"},
    {"a\xe2\x80\xa8.vpk", "separator U+2028"},
    {"a\x07.vpk", "control character U+0007"},
    {"a\x1b[31m.vpk", "control character U+001B"},
    {"a\x7f.vpk", "control character U+007F"},
    {"a\xc2\x85.vpk", "control character U+0085"},
    {"a\xc2\x9f.vpk", "control character U+009F"},
    {"a\xc2\xa0.vpk", NULL}, /* no-break space: printable */
    {"a/b.vpk", "contains '/'"},
    {"a\\b.vpk", "contains '\\'"},
    {".hidden.vpk", "starts with '.'"},
    {"", "is empty"},
    {"a\xff.vpk", "not valid UTF-8"},
    {"a\xc0\xaf.vpk", "not valid UTF-8"},
};

START_TEST(test_name_check)
{
	char why[128] = "";
	int rc = fetch_name_check(name_cases[_i].name, why, sizeof(why));

	if (!name_cases[_i].why) {
		ck_assert_msg(rc == 0, "case %d refused: %s", _i, why);
		ck_assert(fetch_safe_name(name_cases[_i].name));
	} else {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		ck_assert_msg(strstr(why, name_cases[_i].why), "case %d: %s", _i, why);
		ck_assert(!fetch_safe_name(name_cases[_i].name));
	}
}
END_TEST

/* Unsafe names are refused by name in every index kind; links to private
 * literals unless the source allows them; credentials always. */
START_TEST(test_index_refusals)
{
	const char *json =
	    "[{\"name\":\"evil\\u202egpj.vpk\",\"download_link\":\"https://h.example/e.7z\"},"
	    " {\"name\":\"c1\\u0085.vpk\",\"download_link\":\"https://h.example/c.7z\"},"
	    " {\"name\":\"lan.vpk\",\"download_link\":\"http://192.168.1.10/lan.7z\"},"
	    " {\"name\":\"meta.vpk\",\"download_link\":\"http://169.254.169.254/m.7z\"},"
	    " {\"name\":\"v6.vpk\",\"download_link\":\"http://[::1]:8080/v6.7z\"},"
	    " {\"name\":\"cred.vpk\",\"download_link\":\"https://user:secret@h.example/c.7z\"},"
	    " {\"name\":\"good.vpk\",\"download_link\":\"https://h.example/good.7z\"}]";
	const char *html = "<a href=\"http://10.0.0.8/lan.zip\">x</a>"
			   "<a href=\"ok.zip\">ok</a>"
			   "<a href=\"rtl%E2%80%AEpiz.7z\">rtl</a>"
			   "<a href=\"http://u:p@h.example/cred.zip\">c</a>";
	char *urls[] = {"http://127.0.0.1:9/a.zip", "http://h.example/b.zip"};
	struct index_list l;
	char err[256];

	ck_assert_int_eq(index_parse_json(json, strlen(json), NULL, false, &l, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].name, "good.vpk");
	ck_assert_uint_eq(l.skipped, 6);
	ck_assert_str_eq(l.problem,
			 "entry 0: name \"evil\xe2\x80\xaegpj.vpk\" has the bidi control U+202E");
	index_list_fini(&l);
	/* allow_private lets the LAN links through, never the others. */
	ck_assert_int_eq(index_parse_json(json, strlen(json), NULL, true, &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.skipped, 3);
	index_list_fini(&l);

	ck_assert_int_eq(index_parse_html(html, strlen(html), "https://h.example/m/", false, &l,
					  err, sizeof(err)),
			 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].name, "ok.zip");
	ck_assert_uint_eq(l.skipped, 3);
	ck_assert_str_eq(l.problem, "link 0 (lan.zip): refused: 10.0.0.8 is a private address "
				    "(allow_private is not set)");
	index_list_fini(&l);

	ck_assert_int_eq(index_from_urls(urls, 2, false, &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_ptr_nonnull(strstr(l.problem, "127.0.0.1 is a loopback address"));
	index_list_fini(&l);
	ck_assert_int_eq(index_from_urls(urls, 2, true, &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 2);
	index_list_fini(&l);
}
END_TEST

/* 100,000 entries, the most an index may have: duplicates (ASCII case
 * folded) are found, distinct names all pass.  The quadratic check this
 * replaced took about half a minute per parse here. */
START_TEST(test_index_100k)
{
	enum { N = INDEX_MAX_ITEMS, DISTINCT = 90000 };
	struct strbuf sb;
	struct index_list l;
	char err[256];
	int i, pass;

	for (pass = 0; pass < 2; pass++) {
		strbuf_init(&sb);
		strbuf_puts(&sb, "[");
		for (i = 0; i < N; i++) {
			/* pass 0: the last 10,000 repeat earlier names in upper case */
			bool dup = pass == 0 && i >= DISTINCT;
			int k = dup ? (int)((i * 7919L) % DISTINCT) : i;

			strbuf_printf(&sb,
				      "%s{\"name\":\"%s%06d.%s\",\"download_link\":"
				      "\"https://h.example/maps/m%06d.7z\"}",
				      i ? "," : "", dup ? "MAP" : "map", k, dup ? "VPK" : "vpk", i);
		}
		strbuf_puts(&sb, "]");
		ck_assert_int_eq(
		    index_parse_json(sb.buf, sb.len, NULL, false, &l, err, sizeof(err)), 0);
		ck_assert_uint_eq(l.n, pass == 0 ? DISTINCT : N);
		ck_assert_uint_eq(l.skipped, pass == 0 ? N - DISTINCT : 0);
		if (pass == 0)
			ck_assert_str_eq(l.problem,
					 "entry 90000: duplicate name \"MAP000000.VPK\"");
		ck_assert_str_eq(l.items[l.n - 1].name,
				 pass == 0 ? "map089999.vpk" : "map099999.vpk");
		index_list_fini(&l);
		strbuf_fini(&sb);
	}

	/* An HTML page of 100,000 links: the same link again is no item and no
	 * refusal; the same file name under another path is a duplicate. */
	strbuf_init(&sb);
	for (i = 0; i < N; i++)
		strbuf_printf(&sb, "<a href=\"%s/m%06d.zip\">x</a>\n",
			      (i % 2) ^ (i >= DISTINCT) ? "a" : "b",
			      i < DISTINCT ? i : i - DISTINCT);
	strbuf_printf(&sb, "<a href=\"b/m000000.zip\">again</a>\n");
	ck_assert_int_eq(
	    index_parse_html(sb.buf, sb.len, "https://h.example/", false, &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, DISTINCT);
	ck_assert_uint_eq(l.skipped, N - DISTINCT);
	ck_assert_ptr_nonnull(strstr(l.problem, "duplicate archive name"));
	index_list_fini(&l);
	strbuf_fini(&sb);
}
END_TEST

static struct config *cfg_of(const char *sources, char *err, size_t errlen)
{
	char *text = xasprintf("fetcher:\n  sources:\n%s", sources);
	struct config *c = config_parse("t.yaml", text, strlen(text), err, errlen);

	free(text);
	return c;
}

/* allow_private: a per-source boolean, false unless set; credentials in a
 * source's URLs are refused at load, naming the key. */
START_TEST(test_config_source_options)
{
	struct config *c;
	char err[256];

	c = cfg_of("    - {name: a, kind: json_index, url: \"http://127.0.0.1/i.json\"}\n"
		   "    - {name: b, kind: html_index, url: \"http://h/p\", allow_private: true}\n"
		   "    - {name: c, kind: url_list, urls: [\"http://h/c.zip\"], allow_private: "
		   "false}\n",
		   err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(!c->fetcher.sources[0].allow_private);
	ck_assert(c->fetcher.sources[1].allow_private);
	ck_assert(!c->fetcher.sources[2].allow_private);
	config_free(c);

	c = cfg_of("    - {name: a, kind: json_index, url: \"http://h/i\", allow_private: 1}\n",
		   err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "allow_private") && strstr(err, "true or false"), "%s", err);

	c = cfg_of("    - {name: a, kind: json_index, url: \"http://u:secret@h/i.json\"}\n", err,
		   sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "url") && strstr(err, "credentials"), "%s", err);
	ck_assert_msg(!strstr(err, "secret"), "%s", err);

	c = cfg_of("    - {name: a, kind: url_list, urls: [\"http://h/a.zip\", "
		   "\"https://token@h/b.zip\"]}\n",
		   err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "urls") && strstr(err, "credentials"), "%s", err);

	/* An @ after the host is a path or query, not credentials. */
	c = cfg_of("    - {name: a, kind: url_list, urls: [\"http://h/a@b.zip?x=@\"]}\n", err,
		   sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	config_free(c);
}
END_TEST

/* The policy of these tests: the first server's port is "public", all else
 * is judged by netcheck as a source without allow_private would be. */
static int public_port;

static int test_policy_url(const char *url, char *why, size_t whylen, void *arg)
{
	char prefix[64];

	(void)arg;
	snprintf(prefix, sizeof(prefix), "http://127.0.0.1:%d/", public_port);
	if (strncmp(url, prefix, strlen(prefix)) == 0)
		return 0;
	return netcheck_url(url, false, why, whylen);
}

static int test_policy_addr(const struct sockaddr *sa, size_t len, char *why, size_t whylen,
			    void *arg)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const char *cls;

	(void)arg;
	if (sa->sa_family == AF_INET && ntohs(in->sin_port) == public_port)
		return 0;
	cls = netcheck_sockaddr(sa, len);
	if (!cls)
		return 0;
	snprintf(why, whylen, "a %s address", cls);
	return -1;
}

/* download.c applies its policy to where a redirect leads before following
 * it (a literal host) and to the address a name resolves to (localhost):
 * the second server never sees a request. */
START_TEST(test_dl_redirect_policy)
{
	char *dir = tu_mkdtemp(), *to2, *to2_name;
	struct ts_server *s1 = ts_start(dir), *s2 = ts_start(dir);
	struct dl d[4], *v[4];
	struct dl_opts o = {.parallel = 4,
			    .max_host_connections = 4,
			    .low_speed_time = 5,
			    .low_speed_limit = 1,
			    .retries = 2,
			    .backoff_ms = 10,
			    .check_url = test_policy_url,
			    .check_addr = test_policy_addr};
	char *u[4];
	int i;

	public_port = ts_port(s1);
	tu_write_file(pth2(dir, "ok.txt"), "fine");
	to2 = xasprintf("http://127.0.0.1:%d/ok.txt", ts_port(s2));
	to2_name = xasprintf("http://localhost:%d/ok.txt", ts_port(s2));
	ts_redirect(s1, "/literal", to2);
	ts_redirect(s1, "/name", to2_name);
	ts_redirect(s1, "/local", "/ok.txt");
	ts_redirect(s1, "/cred", "http://user:secret@example.com/x");
	u[0] = xasprintf("http://127.0.0.1:%d/literal", ts_port(s1));
	u[1] = xasprintf("http://127.0.0.1:%d/name", ts_port(s1));
	u[2] = xasprintf("http://127.0.0.1:%d/local", ts_port(s1));
	u[3] = xasprintf("http://127.0.0.1:%d/cred", ts_port(s1));
	for (i = 0; i < 4; i++) {
		dl_init(&d[i], u[i]);
		d[i].max_size = 1 << 20;
		v[i] = &d[i];
	}
	ck_assert_int_eq(dl_run(v, 4, &o), 0);
	ck_assert_int_eq(d[0].result, DL_FAILED);
	ck_assert_msg(strstr(d[0].error, "refused redirect: 127.0.0.1 is a loopback address"), "%s",
		      d[0].error);
	ck_assert_int_eq(d[1].result, DL_FAILED);
	ck_assert_msg(strstr(d[1].error, "refused connection: a loopback address"), "%s",
		      d[1].error);
	ck_assert_int_eq(d[2].result, DL_OK);
	ck_assert_str_eq(d[2].body.buf, "fine");
	ck_assert_int_eq(d[3].result, DL_FAILED);
	ck_assert_msg(strstr(d[3].error, "refused redirect: the URL carries credentials"), "%s",
		      d[3].error);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(d[i].attempts, 1); /* a refusal is never retried */
	ck_assert_int_eq(ts_requests(s2, NULL), 0);
	ck_assert_int_eq(ts_requests(s1, "/ok.txt"), 1);

	/* The first URL itself: refused before any request. */
	for (i = 0; i < 4; i++)
		dl_fini(&d[i]);
	dl_init(&d[0], to2);
	d[0].max_size = 1 << 20;
	ck_assert_int_eq(dl_run(v, 1, &o), 0);
	ck_assert_int_eq(d[0].result, DL_FAILED);
	ck_assert_msg(strstr(d[0].error, "refused: 127.0.0.1 is a loopback address"), "%s",
		      d[0].error);
	ck_assert_int_eq(d[0].attempts, 0);
	ck_assert_int_eq(ts_requests(s2, NULL), 0);
	dl_fini(&d[0]);

	ts_stop(s1);
	ts_stop(s2);
	for (i = 0; i < 4; i++)
		free(u[i]);
	free(to2);
	free(to2_name);
	tu_rmtree(dir);
	free(dir);
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
	tcase_add_loop_test(tc, test_netcheck_addr, 0, sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_test(tc, test_netcheck_host);
	tcase_add_loop_test(tc, test_netcheck_url, 0, sizeof(url_cases) / sizeof(url_cases[0]));
	tcase_add_loop_test(tc, test_redirect_target, 0,
			    sizeof(redirect_cases) / sizeof(redirect_cases[0]));
	tcase_add_loop_test(tc, test_name_check, 0, sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, test_index_refusals);
	tcase_add_test(tc, test_index_100k);
	tcase_add_test(tc, test_config_source_options);
	tcase_add_test(tc, test_dl_redirect_policy);
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
