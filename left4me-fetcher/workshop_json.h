/* The Steam Web API's replies about Workshop files (issue 15), parsed
 * with json-c into plain structs.  Every byte is hostile: bodies are
 * bounded by the caller (the download's max size), nesting by the
 * tokener (depth 32), entries by WS_JSON_MAX_ENTRIES; a reply that is
 * not the documented shape is refused whole with one line in err.
 *
 *   POST ISteamRemoteStorage/GetPublishedFileDetails/v1/
 *     {"response":{"result":1,"resultcount":N,"publishedfiledetails":[
 *       {"publishedfileid":"ID","result":1,"creator_app_id":550,
 *        "consumer_app_id":550,"filename":"...","file_size":N,
 *        "file_url":"https://...","preview_url":"https://...",
 *        "title":"...","time_updated":T, ...}, ...]}}
 *   POST ISteamRemoteStorage/GetCollectionDetails/v1/
 *     {"response":{"result":1,"resultcount":N,"collectiondetails":[
 *       {"publishedfileid":"ID","result":1,"children":[
 *         {"publishedfileid":"ID","sortorder":1,"filetype":0}, ...]}, ...]}}
 *
 * Ids and sizes may be JSON numbers or decimal strings (Steam sends ids as
 * strings); an id must be 1..WORKSHOP_ID_MAX.  An entry whose own result
 * is not 1 carries only its id and result.  Text fields: title is cut to
 * WS_TITLE_MAX bytes on a character boundary with invalid UTF-8 and
 * control characters replaced by '?'; a URL longer than WS_URL_MAX or with
 * a byte outside printable ASCII is dropped (empty).  Missing optional
 * fields are 0 / "". */
#ifndef LEFT4ME_FETCHER_WORKSHOP_JSON_H
#define LEFT4ME_FETCHER_WORKSHOP_JSON_H

#include <stddef.h>
#include <stdint.h>

#define WS_JSON_MAX_ENTRIES 10000
#define WS_TITLE_MAX	    512
#define WS_URL_MAX	    2048

struct ws_details {
	int64_t id;
	int result; /* Steam's EResult: 1 is OK (9: not found, 15: access denied...) */
	int64_t consumer_app_id, creator_app_id;
	int64_t file_size;    /* -1 when not given */
	int64_t time_updated; /* unix seconds, 0 when not given */
	char *title;	      /* never NULL */
	char *file_url;	      /* "" when none (newer UGC items) */
	char *preview_url;    /* "" when none */
};

struct ws_child {
	int64_t id;
	int filetype; /* 0 an item, 2 a collection */
};

struct ws_collection {
	int64_t id;
	int result;
	struct ws_child *children;
	size_t n_children;
};

/* 0 with *out (n entries; ws_details_free it), or -1 with err. */
int ws_parse_details(const char *body, size_t len, struct ws_details **out, size_t *n, char *err,
		     size_t errlen);
void ws_details_free(struct ws_details *v, size_t n);

int ws_parse_collections(const char *body, size_t len, struct ws_collection **out, size_t *n,
			 char *err, size_t errlen);
void ws_collections_free(struct ws_collection *v, size_t n);

#endif
