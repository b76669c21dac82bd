/* The Steam Web API's Workshop replies; see workshop_json.h. */
#include "workshop_json.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "validate.h"
#include "workshop_ids.h"
#include "xalloc.h"

/* A decimal string or a JSON integer, lo..hi: 0, or -1. */
static int get_int(json_object *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	json_object *v;
	int64_t x = 0;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t len = (size_t)json_object_get_string_len(v);

		if (len == 0 || len > 19 || strlen(s) != len)
			return -1;
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			x = x * 10 + (s[i] - '0');
		}
	} else {
		return -1;
	}
	if (x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

/* Text for display: valid UTF-8 without control characters, cut at max
 * bytes on a character boundary. */
static char *clean_text(const char *s, size_t len, size_t max)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		if (i + n > len || !valid_utf8(s + i, n) || c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)) {
			if (sb.len + 1 > max)
				break;
			strbuf_append(&sb, "?", 1);
			i++;
			continue;
		}
		if (sb.len + n > max)
			break;
		strbuf_append(&sb, s + i, n);
		i += n;
	}
	{
		char *out = strbuf_detach(&sb);

		strbuf_fini(&sb);
		return out;
	}
}

static char *get_text(json_object *o, const char *key, size_t max)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return xstrdup("");
	return clean_text(json_object_get_string(v), (size_t)json_object_get_string_len(v), max);
}

static char *get_url(json_object *o, const char *key)
{
	json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return xstrdup("");
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > WS_URL_MAX)
		return xstrdup("");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return xstrdup("");
	return xstrndup(s, len);
}

/* Parse body, check {"response":{"result":1,...,"KEY":[...]}}: the
 * array in *arr (owned by *root: json_object_put it). */
static int parse_envelope(const char *body, size_t len, const char *key, json_object **root,
			  json_object **arr, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	json_object *resp, *res;
	int64_t result = 0;

	*root = NULL;
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (len > INT32_MAX || memchr(body, '\0', len)) {
		json_tokener_free(tok);
		snprintf(err, errlen, "the reply is not JSON text");
		return -1;
	}
	*root = json_tokener_parse_ex(tok, body, (int)len);
	if (!*root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		snprintf(err, errlen, "the reply is not JSON: %s",
			 *root ? "text after the value"
			       : json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		json_object_put(*root);
		*root = NULL;
		return -1;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(*root, json_type_object) ||
	    !json_object_object_get_ex(*root, "response", &resp) ||
	    !json_object_is_type(resp, json_type_object)) {
		snprintf(err, errlen, "the reply has no \"response\" object");
		goto bad;
	}
	if (json_object_object_get_ex(resp, "result", &res) &&
	    (get_int(resp, "result", 0, INT32_MAX, &result) < 0 || result != 1)) {
		snprintf(err, errlen, "the API answered result %lld", (long long)result);
		goto bad;
	}
	if (!json_object_object_get_ex(resp, key, arr) ||
	    !json_object_is_type(*arr, json_type_array)) {
		snprintf(err, errlen, "the reply has no \"%s\" array", key);
		goto bad;
	}
	if (json_object_array_length(*arr) > WS_JSON_MAX_ENTRIES) {
		snprintf(err, errlen, "the reply has more than %d entries", WS_JSON_MAX_ENTRIES);
		goto bad;
	}
	return 0;
bad:
	json_object_put(*root);
	*root = NULL;
	return -1;
}

/* The id and result every entry has: 0, or -1 with err. */
static int entry_head(json_object *e, size_t i, int64_t *id, int *result, char *err, size_t errlen)
{
	int64_t r;

	if (!json_object_is_type(e, json_type_object)) {
		snprintf(err, errlen, "entry %zu is not an object", i);
		return -1;
	}
	if (get_int(e, "publishedfileid", 1, WORKSHOP_ID_MAX, id) < 0) {
		snprintf(err, errlen, "entry %zu has no valid publishedfileid", i);
		return -1;
	}
	if (get_int(e, "result", 0, INT32_MAX, &r) < 0) {
		snprintf(err, errlen, "entry %zu has no valid result", i);
		return -1;
	}
	*result = (int)r;
	return 0;
}

void ws_details_free(struct ws_details *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].title);
		free(v[i].file_url);
		free(v[i].preview_url);
	}
	free(v);
}

int ws_parse_details(const char *body, size_t len, struct ws_details **out, size_t *n, char *err,
		     size_t errlen)
{
	json_object *root, *arr;
	struct ws_details *v;
	size_t count;

	*out = NULL;
	*n = 0;
	if (parse_envelope(body, len, "publishedfiledetails", &root, &arr, err, errlen) < 0)
		return -1;
	count = json_object_array_length(arr);
	v = xcalloc(count ? count : 1, sizeof(*v));
	for (size_t i = 0; i < count; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct ws_details *d = &v[i];

		if (entry_head(e, i, &d->id, &d->result, err, errlen) < 0) {
			ws_details_free(v, i);
			json_object_put(root);
			return -1;
		}
		d->file_size = -1;
		if (d->result == 1) {
			get_int(e, "consumer_app_id", 0, INT64_MAX, &d->consumer_app_id);
			get_int(e, "creator_app_id", 0, INT64_MAX, &d->creator_app_id);
			get_int(e, "file_size", 0, INT64_MAX, &d->file_size);
			get_int(e, "time_updated", 0, INT64_MAX, &d->time_updated);
		}
		d->title = d->result == 1 ? get_text(e, "title", WS_TITLE_MAX) : xstrdup("");
		d->file_url = d->result == 1 ? get_url(e, "file_url") : xstrdup("");
		d->preview_url = d->result == 1 ? get_url(e, "preview_url") : xstrdup("");
	}
	json_object_put(root);
	*out = v;
	*n = count;
	return 0;
}

void ws_collections_free(struct ws_collection *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].children);
	free(v);
}

static int parse_children(json_object *e, size_t i, struct ws_collection *c, char *err,
			  size_t errlen)
{
	json_object *kids;
	size_t nk;

	if (!json_object_object_get_ex(e, "children", &kids))
		return 0;
	if (!json_object_is_type(kids, json_type_array)) {
		snprintf(err, errlen, "entry %zu: children is not an array", i);
		return -1;
	}
	nk = json_object_array_length(kids);
	if (nk > WS_JSON_MAX_ENTRIES) {
		snprintf(err, errlen, "entry %zu has more than %d children", i,
			 WS_JSON_MAX_ENTRIES);
		return -1;
	}
	c->children = xcalloc(nk ? nk : 1, sizeof(*c->children));
	for (size_t k = 0; k < nk; k++) {
		json_object *ch = json_object_array_get_idx(kids, k);
		int64_t ft = 0;

		if (!json_object_is_type(ch, json_type_object) ||
		    get_int(ch, "publishedfileid", 1, WORKSHOP_ID_MAX, &c->children[k].id) < 0) {
			snprintf(err, errlen, "entry %zu: child %zu has no valid publishedfileid",
				 i, k);
			return -1;
		}
		if (json_object_object_get_ex(ch, "filetype", NULL) &&
		    get_int(ch, "filetype", 0, 1000, &ft) < 0) {
			snprintf(err, errlen, "entry %zu: child %zu has an invalid filetype", i, k);
			return -1;
		}
		c->children[k].filetype = (int)ft;
		c->n_children++;
	}
	return 0;
}

int ws_parse_collections(const char *body, size_t len, struct ws_collection **out, size_t *n,
			 char *err, size_t errlen)
{
	json_object *root, *arr;
	struct ws_collection *v;
	size_t count;

	*out = NULL;
	*n = 0;
	if (parse_envelope(body, len, "collectiondetails", &root, &arr, err, errlen) < 0)
		return -1;
	count = json_object_array_length(arr);
	v = xcalloc(count ? count : 1, sizeof(*v));
	for (size_t i = 0; i < count; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (entry_head(e, i, &v[i].id, &v[i].result, err, errlen) < 0 ||
		    (v[i].result == 1 && parse_children(e, i, &v[i], err, errlen) < 0)) {
			ws_collections_free(v, i + 1);
			json_object_put(root);
			return -1;
		}
	}
	json_object_put(root);
	*out = v;
	*n = count;
	return 0;
}
