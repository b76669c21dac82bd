/* Parsing source indexes (untrusted upstream text); see index.h. */
#include "index.h"

#include <ctype.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netcheck.h"
#include "parse.h"
#include "strbuf.h"
#include "validate.h"
#include "xalloc.h"

void index_list_fini(struct index_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].url);
		free(l->items[i].md5);
	}
	free(l->items);
	free(l->problem);
	memset(l, 0, sizeof(*l));
}

/* The code point at s, which is valid UTF-8; *n gets its length. */
static unsigned long utf8_at(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*n = 2;
		return (s[0] & 0x1fUL) << 6 | (s[1] & 0x3fUL);
	}
	if (s[0] < 0xf0) {
		*n = 3;
		return (s[0] & 0x0fUL) << 12 | (s[1] & 0x3fUL) << 6 | (s[2] & 0x3fUL);
	}
	*n = 4;
	return (s[0] & 0x07UL) << 18 | (s[1] & 0x3fUL) << 12 | (s[2] & 0x3fUL) << 6 |
	       (s[3] & 0x3fUL);
}

/* Unicode's Bidi_Control characters: they reorder how a name is shown. */
static bool bidi_control(unsigned long c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

int fetch_name_check(const char *s, char *why, size_t whylen)
{
	size_t len, i, n;

	if (!s || !*s) {
		snprintf(why, whylen, "is empty");
		return -1;
	}
	len = strlen(s);
	if (len > PATH_COMPONENT_MAX) {
		snprintf(why, whylen, "is longer than %d bytes", PATH_COMPONENT_MAX);
		return -1;
	}
	if (s[0] == '.') {
		snprintf(why, whylen, "starts with '.'");
		return -1;
	}
	if (!valid_utf8(s, len)) {
		snprintf(why, whylen, "is not valid UTF-8");
		return -1;
	}
	for (i = 0; i < len; i += n) {
		unsigned long c = utf8_at((const unsigned char *)s + i, &n);

		if (c == '/' || c == '\\') {
			snprintf(why, whylen, "contains '%c'", (int)c);
			return -1;
		}
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
			snprintf(why, whylen, "has the control character U+%04lX", c);
			return -1;
		}
		if (bidi_control(c)) {
			snprintf(why, whylen, "has the bidi control U+%04lX", c);
			return -1;
		}
		if (c == 0x2028 || c == 0x2029) {
			snprintf(why, whylen, "has the line or paragraph separator U+%04lX", c);
			return -1;
		}
	}
	return 0;
}

bool fetch_safe_name(const char *s)
{
	char why[64];

	return fetch_name_check(s, why, sizeof(why)) == 0;
}

bool fetch_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

char *url_encode_loose(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb;
	const unsigned char *p;

	strbuf_init(&sb);
	for (p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		bool raw = c > 0x20 && c < 0x7f && !strchr("\"<>\\^`{|}", c);

		if (c == '%')
			raw = parse_hex_digit(p[1]) >= 0 && parse_hex_digit(p[2]) >= 0;
		if (raw) {
			strbuf_putc(&sb, (char)c);
		} else {
			strbuf_putc(&sb, '%');
			strbuf_putc(&sb, hex[c >> 4]);
			strbuf_putc(&sb, hex[c & 15]);
		}
	}
	{
		char *res = strbuf_detach(&sb);

		strbuf_fini(&sb);
		return res;
	}
}

char *url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *enc = url_encode_loose(ref), *scheme = NULL, *full = NULL, *res = NULL;

	if (!u)
		goto out;
	if (base && curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, enc, 0) != CURLUE_OK)
		goto out;
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto out;
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto out;
	if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
		goto out;
	if (strlen(full) <= INDEX_URL_MAX)
		res = xstrdup(full);
out:
	curl_free(scheme);
	curl_free(full);
	curl_url_cleanup(u);
	free(enc);
	return res;
}

/* The last path segment of an absolute URL, percent-decoded; NULL if the
 * URL does not parse or the segment holds %00.  New string. */
static char *url_segment(const char *url)
{
	CURLU *u = curl_url();
	char *path = NULL, *res = NULL;
	const char *seg;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	seg = strrchr(path, '/');
	seg = seg ? seg + 1 : path;
	/* A '%' without two hex digits stays as it is; %00 is refused. */
	if (parse_percent_decode(seg, strlen(seg), 0, &res, NULL) < 0)
		res = NULL;
out:
	curl_free(path);
	curl_url_cleanup(u);
	return res;
}

char *url_file_name(const char *url)
{
	char *seg = url_segment(url);

	if (seg && !fetch_safe_name(seg)) {
		free(seg);
		seg = NULL;
	}
	return seg;
}

static void refuse(struct index_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void refuse(struct index_list *l, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb;

	l->skipped++;
	if (l->problem)
		return;
	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	l->problem = strbuf_detach(&sb);
	strbuf_fini(&sb);
}

/* One parse: the list being built and the trees its duplicates are found
 * with (keys point at the accepted items' own strings). */
struct parse {
	struct index_list *l;
	const char *base;
	bool allow_private;
	void *names; /* accepted names, ASCII case-insensitively */
	void *urls;  /* accepted URLs, exactly (html pages and URL lists) */
};

/* Names compare case-insensitively: they become files on a server that
 * may be case-insensitive to its users, and l4d2center's names vary. */
static int cmp_name(const void *a, const void *b)
{
	return strcasecmp(a, b);
}

static int cmp_url(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void keep_key(void *key)
{
	(void)key; /* owned by the item */
}

static void tree_add(void **root, const char *key, int (*cmp)(const void *, const void *))
{
	if (!tsearch(key, root, cmp))
		fatal("out of memory");
}

static void parse_fini(struct parse *p)
{
	tdestroy(p->names, keep_key);
	tdestroy(p->urls, keep_key);
	p->names = p->urls = NULL;
}

/* Take ownership of name, url and md5; remember name (and url when
 * by_url) for the duplicate checks. */
static void add_item(struct parse *p, char *name, char *url, int64_t size, char *md5, bool by_url)
{
	struct index_list *l = p->l;
	struct index_item *it;

	/* Doubling: 100,000 items must not mean 100,000 reallocs. */
	if ((l->n & (l->n - 1)) == 0)
		l->items = xreallocarray(l->items, l->n ? 2 * l->n : 1, sizeof(*l->items));
	it = &l->items[l->n++];
	it->name = name;
	it->url = url;
	it->size = size;
	it->md5 = md5;
	tree_add(&p->names, name, cmp_name);
	if (by_url)
		tree_add(&p->urls, url, cmp_url);
}

/* 32 hex digits, lower-cased into a new string; NULL if not that. */
static char *md5_norm(const char *s)
{
	char *r;
	size_t i;

	if (strlen(s) != 32)
		return NULL;
	r = xstrdup(s);
	for (i = 0; i < 32; i++) {
		if (parse_hex_digit(r[i]) < 0) {
			free(r);
			return NULL;
		}
		r[i] = (char)tolower((unsigned char)r[i]);
	}
	return r;
}

static void json_entry(struct parse *p, size_t idx, json_object *o)
{
	struct index_list *l = p->l;
	json_object *jn, *jl, *js, *jm;
	const char *name, *link;
	char *url = NULL, *md5 = NULL, why[200];
	int64_t size = -1;

	if (!json_object_is_type(o, json_type_object)) {
		refuse(l, "entry %zu: not an object", idx);
		return;
	}
	if (!json_object_object_get_ex(o, "name", &jn) ||
	    !json_object_is_type(jn, json_type_string) ||
	    !json_object_object_get_ex(o, "download_link", &jl) ||
	    !json_object_is_type(jl, json_type_string)) {
		refuse(l, "entry %zu: name and download_link must be strings", idx);
		return;
	}
	name = json_object_get_string(jn);
	link = json_object_get_string(jl);
	if (strlen(name) != (size_t)json_object_get_string_len(jn)) {
		refuse(l, "entry %zu: name has a NUL byte", idx);
		return;
	}
	if (fetch_name_check(name, why, sizeof(why)) < 0) {
		refuse(l, "entry %zu: name \"%.100s\" %s", idx, name, why);
		return;
	}
	if (!fetch_has_suffix(name, ".vpk")) {
		refuse(l, "entry %zu: name \"%.100s\" does not end in .vpk", idx, name);
		return;
	}
	if (tfind(name, &p->names, cmp_name)) {
		refuse(l, "entry %zu: duplicate name \"%.100s\"", idx, name);
		return;
	}
	if (json_object_object_get_ex(o, "size", &js) && !json_object_is_type(js, json_type_null)) {
		if (!json_object_is_type(js, json_type_int) || json_object_get_int64(js) < 0) {
			refuse(l, "entry %zu (%.100s): size must be a non-negative integer", idx,
			       name);
			return;
		}
		size = json_object_get_int64(js);
	}
	if (json_object_object_get_ex(o, "md5", &jm) && !json_object_is_type(jm, json_type_null)) {
		if (!json_object_is_type(jm, json_type_string) ||
		    !(md5 = md5_norm(json_object_get_string(jm)))) {
			refuse(l, "entry %zu (%.100s): md5 must be 32 hex digits", idx, name);
			return;
		}
	}
	if (strlen(link) != (size_t)json_object_get_string_len(jl) ||
	    !(url = url_resolve(p->base, link))) {
		refuse(l, "entry %zu (%.100s): download_link is not an http(s) URL", idx, name);
		free(md5);
		return;
	}
	if (netcheck_url(url, p->allow_private, why, sizeof(why)) < 0) {
		refuse(l, "entry %zu (%.100s): download_link refused: %s", idx, name, why);
		free(url);
		free(md5);
		return;
	}
	add_item(p, xstrdup(name), url, size, md5, false);
}

int index_parse_json(const char *body, size_t len, const char *base_url, bool allow_private,
		     struct index_list *out, char *err, size_t errlen)
{
	struct parse p = {.l = out, .base = base_url, .allow_private = allow_private};
	struct json_tokener *tok;
	json_object *root;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (len > INDEX_MAX_BYTES) {
		snprintf(err, errlen, "index larger than %d bytes", INDEX_MAX_BYTES);
		return -1;
	}
	tok = json_tokener_new_ex(32);
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		/* Trailing whitespace is fine; anything else is not JSON. */
		size_t end = json_tokener_get_parse_end(tok);

		while (root && end < len && isspace((unsigned char)body[end]))
			end++;
		if (!root || end < len) {
			snprintf(err, errlen, "index is not valid JSON: %s",
				 root ? "trailing garbage"
				      : json_tokener_error_desc(json_tokener_get_error(tok)));
			json_object_put(root);
			json_tokener_free(tok);
			return -1;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_array)) {
		snprintf(err, errlen, "index is not a JSON array");
		json_object_put(root);
		return -1;
	}
	n = json_object_array_length(root);
	if (n > INDEX_MAX_ITEMS) {
		snprintf(err, errlen, "index has %zu entries (at most %d)", n, INDEX_MAX_ITEMS);
		json_object_put(root);
		return -1;
	}
	for (i = 0; i < n; i++)
		json_entry(&p, i, json_object_array_get_idx(root, i));
	parse_fini(&p);
	json_object_put(root);
	return 0;
}

/* Add an archive URL (link number idx) as an item named after its file
 * name. */
static void url_item(struct parse *p, size_t idx, const char *ref)
{
	struct index_list *l = p->l;
	char *url, *name, why[200];

	url = url_resolve(p->base, ref);
	if (!url) {
		refuse(l, "link %zu: not an http(s) URL", idx);
		return;
	}
	if (tfind(url, &p->urls, cmp_url)) {
		free(url);
		return; /* the same link twice on a page is not a problem */
	}
	name = url_segment(url);
	if (!name) {
		refuse(l, "link %zu: URL does not name a .zip or .7z file", idx);
		free(url);
		return;
	}
	if (fetch_name_check(name, why, sizeof(why)) < 0) {
		refuse(l, "link %zu: archive name \"%.100s\" %s", idx, name, why);
		goto refused;
	}
	if (!fetch_has_suffix(name, ".zip") && !fetch_has_suffix(name, ".7z")) {
		refuse(l, "link %zu: \"%.100s\" is not a .zip or .7z file", idx, name);
		goto refused;
	}
	if (netcheck_url(url, p->allow_private, why, sizeof(why)) < 0) {
		refuse(l, "link %zu (%.100s): refused: %s", idx, name, why);
		goto refused;
	}
	if (tfind(name, &p->names, cmp_name)) {
		refuse(l, "link %zu: duplicate archive name \"%.100s\"", idx, name);
		goto refused;
	}
	if (l->n >= INDEX_MAX_ITEMS) {
		refuse(l, "link %zu (%.100s): more than %d items", idx, name, INDEX_MAX_ITEMS);
		goto refused;
	}
	add_item(p, name, url, -1, NULL, true);
	return;
refused:
	free(name);
	free(url);
}

int index_from_urls(char *const *urls, size_t n, bool allow_private, struct index_list *out,
		    char *err, size_t errlen)
{
	struct parse p = {.l = out, .allow_private = allow_private};
	size_t i;

	(void)err;
	(void)errlen;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		url_item(&p, i, urls[i]);
	parse_fini(&p);
	return 0;
}

/* Decode the HTML character references of an attribute value (the few a
 * link can carry: &amp; &lt; &gt; &quot; &apos; &#N; &#xH;). */
static char *html_decode(const char *s, size_t len)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	struct strbuf sb;
	size_t i, k;

	strbuf_init(&sb);
	for (i = 0; i < len; i++) {
		if (s[i] != '&') {
			strbuf_putc(&sb, s[i]);
			continue;
		}
		for (k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
			size_t nl = strlen(named[k].name);

			if (len - i - 1 >= nl && strncasecmp(s + i + 1, named[k].name, nl) == 0) {
				strbuf_putc(&sb, named[k].c);
				i += nl;
				break;
			}
		}
		if (k < sizeof(named) / sizeof(named[0]))
			continue;
		if (i + 2 < len && s[i + 1] == '#') {
			bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
			size_t j = i + (hex ? 3 : 2);
			unsigned long v = 0;
			size_t digits = 0;

			while (j < len && digits < 6 &&
			       (hex ? parse_hex_digit(s[j]) >= 0 : (s[j] >= '0' && s[j] <= '9'))) {
				v = v * (hex ? 16 : 10) + (unsigned long)parse_hex_digit(s[j]);
				j++;
				digits++;
			}
			if (digits && j < len && s[j] == ';' && v >= 0x20 && v < 0x7f) {
				strbuf_putc(&sb, (char)v);
				i = j;
				continue;
			}
		}
		strbuf_putc(&sb, '&');
	}
	{
		char *res = strbuf_detach(&sb);

		strbuf_fini(&sb);
		return res;
	}
}

/* The href of an <a> tag starting at p (just after "<a"), or NULL; *end
 * gets where the tag ends. */
static char *tag_href(const char *p, const char *lim, const char **end)
{
	char *href = NULL;

	while (p < lim && *p != '>') {
		const char *name, *val;
		size_t nlen, vlen;

		while (p < lim && isspace((unsigned char)*p))
			p++;
		if (p >= lim || *p == '>')
			break;
		name = p;
		while (p < lim && !isspace((unsigned char)*p) && *p != '=' && *p != '>')
			p++;
		nlen = (size_t)(p - name);
		if (nlen == 0) {
			p++; /* a stray character: skip it */
			continue;
		}
		while (p < lim && isspace((unsigned char)*p))
			p++;
		if (p >= lim || *p != '=')
			continue;
		p++;
		while (p < lim && isspace((unsigned char)*p))
			p++;
		if (p < lim && (*p == '"' || *p == '\'')) {
			char q = *p++;

			val = p;
			while (p < lim && *p != q)
				p++;
			vlen = (size_t)(p - val);
			if (p < lim)
				p++;
		} else {
			val = p;
			while (p < lim && !isspace((unsigned char)*p) && *p != '>')
				p++;
			vlen = (size_t)(p - val);
		}
		if (!href && nlen == 4 && strncasecmp(name, "href", 4) == 0)
			href = html_decode(val, vlen);
	}
	*end = p;
	return href;
}

/* true if the URL's path (before ?/#) ends in .zip or .7z. */
static bool archive_link(const char *href)
{
	size_t n = strcspn(href, "?#");
	char *path = xstrndup(href, n);
	bool ok = fetch_has_suffix(path, ".zip") || fetch_has_suffix(path, ".7z");

	free(path);
	return ok;
}

int index_parse_html(const char *body, size_t len, const char *base_url, bool allow_private,
		     struct index_list *out, char *err, size_t errlen)
{
	struct parse ps = {.l = out, .base = base_url, .allow_private = allow_private};
	const char *p = body, *lim = body + len;
	size_t links = 0;

	memset(out, 0, sizeof(*out));
	if (len > INDEX_MAX_BYTES) {
		snprintf(err, errlen, "index page larger than %d bytes", INDEX_MAX_BYTES);
		return -1;
	}
	while (p < lim) {
		const char *lt = memchr(p, '<', (size_t)(lim - p)), *end;
		char *href;

		if (!lt || lim - lt < 3)
			break;
		p = lt + 1;
		if (lim - p >= 3 && strncmp(p, "!--", 3) == 0) {
			const char *q = p + 3;

			/* Skip comments: a commented-out link is not an item. */
			while (q + 2 < lim && strncmp(q, "-->", 3) != 0)
				q++;
			p = q + 3 <= lim ? q + 3 : lim;
			continue;
		}
		if ((*p != 'a' && *p != 'A') || !isspace((unsigned char)p[1]))
			continue;
		href = tag_href(p + 1, lim, &end);
		p = end;
		if (href && *href && archive_link(href))
			url_item(&ps, links++, href);
		free(href);
	}
	parse_fini(&ps);
	return 0;
}
