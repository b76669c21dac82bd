/* Parallel downloads with libcurl's multi interface; see download.h. */
#include "download.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "netcheck.h"
#include "timeutil.h"
#include "xalloc.h"

#define USER_AGENT     "left4me-fetcher/" LEFT4ME_VERSION
#define BACKOFF_MAX_MS 30000

void dl_global_init(void)
{
	static bool done;

	if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("curl_global_init failed");
	done = true;
}

void dl_init(struct dl *d, const char *url)
{
	dl_global_init(); /* the fetcher is single-threaded */
	memset(d, 0, sizeof(*d));
	d->url = url;
	d->fd = -1;
	d->content_length = -1;
	strbuf_init(&d->body);
}

void dl_fini(struct dl *d)
{
	if (!d)
		return;
	if (d->h)
		curl_easy_cleanup(d->h);
	curl_slist_free_all(d->hdrs);
	free(d->new_etag);
	free(d->new_last_modified);
	free(d->content_type);
	d->content_type = NULL;
	strbuf_fini(&d->body);
	d->h = NULL;
	d->hdrs = NULL;
	d->new_etag = d->new_last_modified = NULL;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct dl *d = arg;
	size_t len = size * nmemb, off = 0;

	if ((long long)(d->bytes + (int64_t)len) > d->max_size) {
		d->too_big = true;
		return 0;
	}
	if (d->fd < 0) {
		strbuf_append(&d->body, ptr, len);
	} else {
		while (off < len) {
			ssize_t w = write(d->fd, ptr + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				d->write_errno = w < 0 ? errno : EIO;
				return 0;
			}
			off += (size_t)w;
		}
	}
	d->bytes += (int64_t)len;
	if (d->opts && d->opts->bytes_total)
		*d->opts->bytes_total += (int64_t)len; /* a retry's bytes count again */
	return len;
}

/* A header value worth keeping as a validator: printable ASCII, capped. */
static char *validator(const char *v, size_t len)
{
	size_t i;

	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' ||
		       v[len - 1] == '\t'))
		len--;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (len == 0 || len > DL_VALIDATOR_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return NULL;
	return xstrndup(v, len);
}

/* Refuse the transfer (the policy said no): the reason stays in d->error. */
static void refuse(struct dl *d, const char *what, const char *why)
{
	if (d->refused)
		return;
	d->refused = true;
	snprintf(d->error, sizeof(d->error), "refused %s: %s", what, why);
}

/* The status code of a status line ("HTTP/1.1 302 Found"), or 0. */
static long status_code(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	long code = 0;
	int i;

	if (!sp || (size_t)(sp - line) + 4 > len)
		return 0;
	for (i = 1; i <= 3; i++) {
		if (sp[i] < '0' || sp[i] > '9')
			return 0;
		code = code * 10 + (sp[i] - '0');
	}
	return code;
}

/* A redirect's Location, checked before curl follows it: -1 refuses. */
static int check_location(struct dl *d, const char *v, size_t len)
{
	char *loc, *target, *base = NULL, why[200];
	int rc = 0;

	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' ||
		       v[len - 1] == '\t'))
		len--;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (len == 0)
		return 0; /* curl follows no empty Location */
	loc = xstrndup(v, len);
	curl_easy_getinfo(d->h, CURLINFO_EFFECTIVE_URL, &base);
	target = base ? netcheck_redirect_target(base, loc) : NULL;
	if (!target) {
		refuse(d, "redirect", "its Location is not a valid URL");
		rc = -1;
	} else if (d->opts->check_url(target, why, sizeof(why), d->opts->policy_arg) < 0) {
		refuse(d, "redirect", why);
		rc = -1;
	}
	free(target);
	free(loc);
	return rc;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct dl *d = arg;
	size_t len = size * nmemb;

	if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100): forget the last one's. */
		free(d->new_etag);
		free(d->new_last_modified);
		free(d->content_type);
		d->new_etag = d->new_last_modified = d->content_type = NULL;
		d->status = status_code(ptr, len);
	} else if (len > 13 && strncasecmp(ptr, "content-type:", 13) == 0) {
		free(d->content_type);
		d->content_type = validator(ptr + 13, len - 13);
	} else if (len > 5 && strncasecmp(ptr, "etag:", 5) == 0) {
		free(d->new_etag);
		d->new_etag = validator(ptr + 5, len - 5);
	} else if (len > 14 && strncasecmp(ptr, "last-modified:", 14) == 0) {
		free(d->new_last_modified);
		d->new_last_modified = validator(ptr + 14, len - 14);
	} else if (len > 9 && strncasecmp(ptr, "location:", 9) == 0 && d->status >= 300 &&
		   d->status < 400 && d->opts && d->opts->check_url) {
		if (check_location(d, ptr + 9, len - 9) < 0)
			return 0; /* curl stops: CURLE_WRITE_ERROR */
	}
	return len;
}

/* Every address curl is about to connect to (the resolved ones, whatever
 * the URL said): a refused one gets no socket, so no connect. */
static curl_socket_t on_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct dl *d = arg;
	char why[200];

	if (purpose != CURLSOCKTYPE_IPCXN) {
		refuse(d, "connection", "not an outgoing IP connection");
		return CURL_SOCKET_BAD;
	}
	if (d->opts->check_addr(&a->addr, a->addrlen, why, sizeof(why), d->opts->policy_arg) < 0) {
		refuse(d, "connection", why);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Before each request is sent, on the connection it will use (a reused one
 * included): the URL curl is about to request and the peer's address. */
static int on_prereq(void *arg, char *peer_ip, char *local_ip, int peer_port, int local_port)
{
	struct dl *d = arg;
	const struct dl_opts *o = d->opts;
	char *url = NULL, why[200];
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} peer;
	size_t plen = 0;

	(void)local_ip;
	(void)local_port;
	curl_easy_getinfo(d->h, CURLINFO_EFFECTIVE_URL, &url);
	if (o->check_url && (!url || o->check_url(url, why, sizeof(why), o->policy_arg) < 0)) {
		refuse(d, "request", url ? why : "no URL");
		return CURL_PREREQFUNC_ABORT;
	}
	if (!o->check_addr)
		return CURL_PREREQFUNC_OK;
	memset(&peer, 0, sizeof(peer));
	if (inet_pton(AF_INET, peer_ip, &peer.in.sin_addr) == 1) {
		peer.in.sin_family = AF_INET;
		peer.in.sin_port = htons((uint16_t)peer_port);
		plen = sizeof(peer.in);
	} else if (inet_pton(AF_INET6, peer_ip, &peer.in6.sin6_addr) == 1) {
		peer.in6.sin6_family = AF_INET6;
		peer.in6.sin6_port = htons((uint16_t)peer_port);
		plen = sizeof(peer.in6);
	}
	if (!plen) {
		refuse(d, "request", "the peer's address is unknown");
		return CURL_PREREQFUNC_ABORT;
	}
	if (o->check_addr(&peer.sa, plen, why, sizeof(why), o->policy_arg) < 0) {
		refuse(d, "request", why);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/* Rewind the output for a new attempt. */
static int reset_output(struct dl *d)
{
	d->bytes = 0;
	d->too_big = false;
	d->refused = false;
	d->status = 0;
	d->write_errno = 0;
	d->content_length = -1;
	strbuf_reset(&d->body);
	if (d->fd >= 0 && (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)) {
		snprintf(d->error, sizeof(d->error), "cannot reset the temp file: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static CURL *make_handle(struct dl *d, const struct dl_opts *o)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;

	if (!h)
		fatal("curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_URL, d->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)o->low_speed_time);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)o->low_speed_time);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, (long)o->low_speed_limit);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)d->max_size);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, d);
	curl_easy_setopt(h, CURLOPT_PRIVATE, d);
	/* No proxy, whatever the environment says: through one, curl would
	 * connect only to the proxy and the address check could not see where
	 * the request really goes. */
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (d->post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(d->post));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->post);
	}
	if (o->check_addr) {
		curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, d);
	}
	if (o->check_url || o->check_addr) {
		curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
		curl_easy_setopt(h, CURLOPT_PREREQDATA, d);
	}
	if (d->etag) {
		char *line = xasprintf("If-None-Match: %s", d->etag);

		hdrs = curl_slist_append(hdrs, line);
		free(line);
	}
	if (d->last_modified) {
		char *line = xasprintf("If-Modified-Since: %s", d->last_modified);

		hdrs = curl_slist_append(hdrs, line);
		free(line);
	}
	if (d->post) /* no 100-continue round trip for a larger form */
		hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	d->hdrs = hdrs;
	return h;
}

/* Whether a failed attempt is worth repeating. */
static bool retryable(CURLcode cc, long code)
{
	switch (cc) {
	case CURLE_HTTP_RETURNED_ERROR:
		return code >= 500 || code == 429 || code == 408;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Classify a finished attempt: true when final. */
static bool finish_attempt(struct dl *d, CURLcode cc, const struct dl_opts *o)
{
	long code = 0;
	curl_off_t cl = -1;

	curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(d->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	d->http_code = code;
	d->content_length = cl;
	if (cc != CURLE_OK && d->refused) {
		d->result = DL_FAILED; /* the policy's answer does not change */
		return true;
	}
	if (cc == CURLE_OK && code == 304) {
		d->result = DL_NOT_MODIFIED;
		return true;
	}
	if (cc == CURLE_OK && code == 200) {
		d->result = DL_OK;
		return true;
	}
	if (cc == CURLE_OK)
		snprintf(d->error, sizeof(d->error), "unexpected HTTP status %ld", code);
	else if (d->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		snprintf(d->error, sizeof(d->error), "larger than %s (%lld bytes)",
			 d->max_size_name ? d->max_size_name : "max_file_size", d->max_size);
	else if (d->write_errno)
		snprintf(d->error, sizeof(d->error), "cannot write the download: %s",
			 strerror(d->write_errno));
	else if (cc == CURLE_HTTP_RETURNED_ERROR)
		snprintf(d->error, sizeof(d->error), "HTTP status %ld", code);
	else
		snprintf(d->error, sizeof(d->error), "%s", curl_easy_strerror(cc));
	if (cc != CURLE_OK && !d->too_big && !d->write_errno && retryable(cc, code) &&
	    d->attempts <= o->retries) {
		int64_t delay = o->backoff_ms;
		int i;

		for (i = 1; i < d->attempts && delay < BACKOFF_MAX_MS; i++)
			delay *= 2;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		d->retry_at = mono_ms() + delay;
		return false;
	}
	d->result = DL_FAILED;
	return true;
}

/* Start an attempt of d, or finish d at once (refused by the policy, no
 * temp file): true if it is running. */
static bool start_attempt(CURLM *m, struct dl *d, const struct dl_opts *o)
{
	char why[200];

	d->opts = o;
	if (d->attempts == 0 && o->check_url &&
	    o->check_url(d->url, why, sizeof(why), o->policy_arg) < 0) {
		snprintf(d->error, sizeof(d->error), "refused: %s", why);
		d->result = DL_FAILED;
	} else if (reset_output(d) < 0) {
		d->result = DL_FAILED;
	}
	if (d->result == DL_FAILED) {
		if (o->done)
			o->done(d, o->arg);
		return false;
	}
	d->attempts++;
	d->h = make_handle(d, o);
	curl_multi_add_handle(m, d->h);
	return true;
}

/* One dl_run.  Work per poll is O(parallel), not O(n): transfers start in
 * order from next; the ones waiting to be retried are in waiting[]. */
struct batch {
	CURLM *m;
	struct dl **v;
	size_t n;
	const struct dl_opts *o;
	struct dl **waiting;
	size_t active, finished, next, n_waiting;
};

/* Start what may start: at most parallel transfers at once, retries that
 * are due first.  Returns how long to wait for the next due retry (1 to
 * 500 ms). */
static int64_t batch_start(struct batch *b, int64_t now)
{
	const struct dl_opts *o = b->o;
	int64_t wait = 500;
	size_t i;

	for (i = 0; i < b->n_waiting && b->active < (size_t)o->parallel;) {
		struct dl *d = b->waiting[i];

		if (d->retry_at > now) {
			i++;
			continue;
		}
		b->waiting[i] = b->waiting[--b->n_waiting];
		if (start_attempt(b->m, d, o))
			b->active++;
		else
			b->finished++;
	}
	while (b->next < b->n && b->active < (size_t)o->parallel) {
		if (start_attempt(b->m, b->v[b->next++], o))
			b->active++;
		else
			b->finished++;
	}
	for (i = 0; i < b->n_waiting; i++)
		if (b->waiting[i]->retry_at - now < wait)
			wait = b->waiting[i]->retry_at - now;
	return wait < 1 ? 1 : wait;
}

/* Take in the attempts curl has finished: each transfer is done (o->done
 * called) or waits for its retry. */
static void batch_collect(struct batch *b)
{
	const struct dl_opts *o = b->o;
	struct CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(b->m, &left))) {
		struct dl *d = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
		curl_multi_remove_handle(b->m, msg->easy_handle);
		b->active--;
		if (finish_attempt(d, msg->data.result, o)) {
			b->finished++;
			curl_easy_cleanup(d->h);
			d->h = NULL;
			if (o->done)
				o->done(d, o->arg);
		} else {
			log_info("download %s: %s; retry %d of %d", d->url, d->error, d->attempts,
				 o->retries);
			curl_easy_cleanup(d->h);
			d->h = NULL;
			b->waiting[b->n_waiting++] = d;
		}
		curl_slist_free_all(d->hdrs);
		d->hdrs = NULL;
	}
}

/* Stop what still runs; a transfer that never finished has failed. */
static void batch_end(struct batch *b)
{
	size_t i;

	free(b->waiting);
	for (i = 0; i < b->n; i++) {
		struct dl *d = b->v[i];

		if (d->h) {
			curl_multi_remove_handle(b->m, d->h);
			curl_easy_cleanup(d->h);
			d->h = NULL;
		}
		curl_slist_free_all(d->hdrs);
		d->hdrs = NULL;
		if (d->result == DL_PENDING) {
			d->result = DL_FAILED;
			snprintf(d->error, sizeof(d->error), "abandoned (refresh stopped)");
		}
	}
	curl_multi_cleanup(b->m);
}

int dl_run(struct dl **v, size_t n, const struct dl_opts *o)
{
	struct batch b = {.m = curl_multi_init(),
			  .v = v,
			  .n = n,
			  .o = o,
			  .waiting = xcalloc(n ? n : 1, sizeof(*b.waiting))};
	int64_t last_tick = mono_ms();
	size_t i;
	int rc = 0, running;

	if (!b.m)
		fatal("curl_multi_init failed");
	curl_multi_setopt(b.m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->parallel);
	curl_multi_setopt(b.m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->max_host_connections);
	for (i = 0; i < n; i++) {
		v[i]->result = DL_PENDING;
		v[i]->attempts = 0;
		v[i]->retry_at = 0;
		v[i]->opts = o;
	}
	while (b.finished < n) {
		int64_t now;

		curl_multi_poll(b.m, NULL, 0, (int)batch_start(&b, mono_ms()), NULL);
		curl_multi_perform(b.m, &running);
		batch_collect(&b);
		now = mono_ms();
		if (o->deadline && now > o->deadline) {
			rc = -1;
			break;
		}
		if (now - last_tick >= 500) {
			last_tick = now;
			if (o->tick && o->tick(o->arg)) {
				rc = -1;
				break;
			}
		}
	}
	batch_end(&b);
	return rc;
}
