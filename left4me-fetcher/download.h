/* Parallel HTTP(S) downloads with one libcurl multi handle: a cap on
 * transfers and on connections per host, low-speed timeouts, retries with
 * exponential backoff, conditional requests (If-None-Match /
 * If-Modified-Since), a size cap checked by curl and again while writing,
 * and http/https only, redirects included.  Where a transfer may go is the
 * caller's policy (dl_opts.check_url / check_addr): every URL before it is
 * requested (the first and each redirect target, from the Location header
 * before curl follows it, and again before the request is sent) and every
 * address curl is about to connect to.  Proxies from the environment are
 * ignored: through one, the address check would see only the proxy.
 * Single-threaded: the caller's tick runs between polls and done runs as
 * each transfer ends. */
#ifndef LEFT4ME_FETCHER_DOWNLOAD_H
#define LEFT4ME_FETCHER_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "strbuf.h"

enum dl_result { DL_PENDING, DL_OK, DL_NOT_MODIFIED, DL_FAILED };

#define DL_VALIDATOR_MAX 256

struct dl_opts;

struct dl {
	/* set by the caller */
	const char *url;
	const char *etag, *last_modified; /* conditional request when set */
	int fd;				  /* body goes here; -1: into body */
	long long max_size;
	const char *max_size_name; /* the limit's name in errors; NULL: max_file_size */
	const char *post;	   /* a form body (x-www-form-urlencoded): POST it; NULL: GET */
	void *arg;
	/* results */
	enum dl_result result;
	long http_code;
	char *new_etag, *new_last_modified; /* of the final response */
	char *content_type;		    /* of the final response, NULL if none */
	char error[256];
	int64_t bytes;		/* body bytes of the final attempt */
	int64_t content_length; /* announced, -1 if unknown */
	int attempts;
	struct strbuf body;
	/* private */
	void *h, *hdrs;
	const struct dl_opts *opts;
	int64_t retry_at;
	bool too_big;
	bool refused; /* by the policy: error says why; never retried */
	long status;  /* of the response whose headers are arriving */
	int write_errno;
};

struct dl_opts {
	int parallel, max_host_connections;
	int low_speed_time, low_speed_limit;
	int retries;
	int64_t deadline; /* mono_ms() after which everything is abandoned, 0 = none */
	int backoff_ms;	  /* first retry delay; doubles, at most 30 s */
	/* Called at least every 500 ms; non-zero abandons the run. */
	int (*tick)(void *arg);
	/* Called once per transfer when its result is final. */
	void (*done)(struct dl *d, void *arg);
	void *arg;
	int64_t *bytes_total; /* += body bytes as received, retries too (may be NULL) */
	/* Where transfers may go (NULL: anywhere).  Each returns 0 to allow,
	 * else -1 with one line in why.  check_url sees each URL before it is
	 * requested, check_addr each address before curl connects to it. */
	int (*check_url)(const char *url, char *why, size_t whylen, void *arg);
	int (*check_addr)(const struct sockaddr *sa, size_t len, char *why, size_t whylen,
			  void *arg);
	void *policy_arg;
};

/* Initialise d for url (fd -1, everything else empty). */
void dl_init(struct dl *d, const char *url);
void dl_fini(struct dl *d);

/* Run every transfer to a final result.  0, or -1 when tick or the
 * deadline abandoned the run (unfinished ones are DL_FAILED, done not
 * called for them). */
int dl_run(struct dl **v, size_t n, const struct dl_opts *o);

/* curl_global_init once per process (dl_init calls it; single thread). */
void dl_global_init(void);

#endif
