/* Steam Workshop ids as people type them (issue 15): the one parser of
 * what the web's form and API, and left4mectl, accept as the ids of a
 * workshop overlay.
 *
 * One entry is either a published file id in decimal ("123", 1..2^53, no
 * sign, no leading zero) or the URL of its page:
 *   http[s]://[www.]steamcommunity.com/sharedfiles/filedetails/?id=N
 *   http[s]://[www.]steamcommunity.com/workshop/filedetails/?id=N
 * (scheme and host case-insensitive; the '/' before '?' optional; other
 * query parameters such as &searchtext= allowed and ignored; a #fragment
 * ignored; exactly one id=).  Anything else is refused with one line that
 * quotes the entry (escaped, cut) and says what is accepted: another
 * host, a port, user info, another path, a missing, repeated or
 * non-decimal id. */
#ifndef LEFT4ME_WORKSHOP_IDS_H
#define LEFT4ME_WORKSHOP_IDS_H

#include <stddef.h>
#include <stdint.h>

/* The largest id accepted (as validate.h's ids: exact in JSON numbers). */
#define WORKSHOP_ID_MAX (INT64_C(1) << 53)
/* The longest entry looked at (a URL with a long searchtext=). */
#define WORKSHOP_ENTRY_MAX 2048

/* Parse one entry of len bytes (no surrounding space allowed).  0 with
 * *id set, or -1 with a message in err. */
int workshop_id_parse(const char *s, size_t len, int64_t *id, char *err, size_t errlen);

/* Parse a list: entries separated by any run of spaces, tabs, newlines
 * or commas (a textarea, a CLI's arguments joined, an API array's
 * strings joined).  Duplicates are dropped, the first kept, order kept.
 * More than max distinct ids is refused with a message naming
 * fetcher.workshop.max_ids.  0 with *ids (malloc'd, free it; NULL when
 * *n is 0) and *n set, or -1 with a message in err naming the first bad
 * entry ("entry 3: ..."). */
int workshop_ids_parse_list(const char *text, size_t max, int64_t **ids, size_t *n, char *err,
			    size_t errlen);

#endif
