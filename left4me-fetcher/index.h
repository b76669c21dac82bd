/* Item lists of global overlay sources, from untrusted upstream text: a
 * JSON index in l4d2center's format, an HTML page whose links to .zip/.7z
 * archives are the items, or the config's explicit URL list.  Every URL is
 * percent-encoded where upstream left spaces and the like, resolved
 * against the index URL, and must pass netcheck_url() (http or https, no
 * credentials, no non-public literal host unless the source allows it).
 * Every name becomes a file name in the cache, so it is checked with
 * fetch_name_check().  Duplicates are found with balanced trees: an index
 * of INDEX_MAX_ITEMS entries parses in O(n log n). */
#ifndef LEFT4ME_FETCHER_INDEX_H
#define LEFT4ME_FETCHER_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest index body read, and most items taken from one index. */
#define INDEX_MAX_BYTES (16 * 1024 * 1024)
#define INDEX_MAX_ITEMS 100000
#define INDEX_URL_MAX	2048

struct index_item {
	char *name;   /* json: the vpk name; else the archive's file name */
	char *url;    /* absolute, encoded, http(s) */
	int64_t size; /* -1 when unknown */
	char *md5;    /* 32 lower-case hex digits, or NULL */
};

struct index_list {
	struct index_item *items;
	size_t n;
	size_t skipped; /* entries refused (bad name, URL, md5, duplicate) */
	char *problem;	/* why the first refused entry was refused, or NULL */
};

void index_list_fini(struct index_list *l);

/* A name usable as one file name in the cache, and shown to people: 1..255
 * bytes of valid UTF-8, not starting with '.', no '/' or '\\', no control
 * character (C0, DEL, C1), no bidi control (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) and no line or paragraph separator
 * (U+2028, U+2029).  0, or -1 with why ("has the bidi control U+202E"). */
int fetch_name_check(const char *s, char *why, size_t whylen);
/* fetch_name_check() as a predicate. */
bool fetch_safe_name(const char *s);
/* true if s ends in suffix, ASCII case-insensitively. */
bool fetch_has_suffix(const char *s, const char *suffix);

/* Percent-encode the bytes a URL may not hold raw (space, controls,
 * non-ASCII, "<>\\^`{|}) and a '%' not followed by two hex digits.  New
 * string. */
char *url_encode_loose(const char *s);
/* Resolve ref (absolute or relative, encoded loosely first) against base;
 * the fragment is dropped.  NULL unless the result is an http(s) URL of at
 * most INDEX_URL_MAX bytes.  New string. */
char *url_resolve(const char *base, const char *ref);
/* The last path segment of an absolute URL, percent-decoded, if it is a
 * fetch_safe_name(); else NULL.  New string. */
char *url_file_name(const char *url);

/* Parse the bodies.  -1 with one line in err when the whole index is
 * unusable (not JSON, not an array, too large); bad entries are skipped and
 * counted instead, and the first one's reason names it.  allow_private: the
 * source's allow_private (links to non-public literal hosts are refused
 * without it). */
int index_parse_json(const char *body, size_t len, const char *base_url, bool allow_private,
		     struct index_list *out, char *err, size_t errlen);
int index_parse_html(const char *body, size_t len, const char *base_url, bool allow_private,
		     struct index_list *out, char *err, size_t errlen);
int index_from_urls(char *const *urls, size_t n, bool allow_private, struct index_list *out,
		    char *err, size_t errlen);

#endif
