/* The web's connection table; see conns.h.
 *
 * Counting: the accept policy runs in the worker thread that accepted the
 * connection, and so does the connection's STARTED notification, so each
 * worker counts its own connections in its slot (a thread-local index)
 * and refuses beyond its share of the cap without a race.  A self-check
 * connection is added by the main thread between conns_self_check(true)
 * and (false): the policy lets it in, and its STARTED notification knows
 * it by its socket, one of an unnamed AF_UNIX pair (an accepted AF_UNIX
 * client's local address is the listening socket's path).
 *
 * Deadlines: each tracked connection is in a list under the lock; its
 * deadline (monotonic ms, 0: none) is an atomic the worker thread moves
 * and the sweeper reads.  libmicrohttpd calls CLOSED before it closes the
 * socket, and the list entry goes away under the lock, so the sweeper's
 * shutdown() under the lock never reaches a reused fd. */
#include "conns.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

#define SWEEP_MS       250
#define MAX_WORKERS    64
#define REFUSED_LOG_MS 10000

enum phase { PHASE_NONE, PHASE_HEADERS, PHASE_BODY };

struct ctrack {
	struct ctrack *prev, *next;
	struct conns *c;
	int fd;
	int slot; /* -1: a self-check connection, neither counted nor timed */
	atomic_int phase;
	atomic_int_fast64_t deadline; /* mono ms, 0: none */
	int64_t body_start;
	unsigned long long body_bytes;
};

struct conns {
	struct conns_limits l;
	unsigned per_worker; /* client connections each worker takes */
	atomic_uint count[MAX_WORKERS];
	atomic_uint next_slot;
	atomic_ulong timed_out, refused;
	atomic_int_fast64_t refused_logged_at;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ctrack *head;
	bool started, stopping;
	pthread_t thread;
};

static __thread const struct conns *t_conns;
static __thread int t_slot;
static __thread bool t_self_check;

unsigned conns_cap(long long max_connections, unsigned long long nofile, unsigned workers,
		   char *why, size_t whylen)
{
	unsigned long long room;

	if (nofile <= CONNS_FD_RESERVE + 2ULL * workers) {
		snprintf(why, whylen,
			 "RLIMIT_NOFILE %llu leaves no room for connections: %d fds are kept for "
			 "the database, journal, listen socket and self-checks, and each "
			 "connection may need 2 (raise LimitNOFILE= or ulimit -n)",
			 nofile, CONNS_FD_RESERVE);
		return 0;
	}
	room = (nofile - CONNS_FD_RESERVE) / 2;
	if (room > 1000000)
		room = 1000000;
	if ((unsigned long long)max_connections <= room) {
		snprintf(why, whylen,
			 "at most %lld connections (web.max_connections; RLIMIT_NOFILE %llu "
			 "would allow %llu)",
			 max_connections, nofile, room);
		return (unsigned)max_connections;
	}
	snprintf(why, whylen,
		 "at most %llu connections: web.max_connections %lld is clamped to what "
		 "RLIMIT_NOFILE %llu allows (%d fds kept for the database, journal, listen "
		 "socket and self-checks, then 2 per connection: its socket and a file it may "
		 "send or receive); raise LimitNOFILE= to allow more",
		 room, max_connections, nofile, CONNS_FD_RESERVE);
	return (unsigned)room;
}

struct conns *conns_new(const struct conns_limits *l, unsigned cap)
{
	struct conns *c = xcalloc(1, sizeof(*c));
	pthread_condattr_t ca;

	c->l = *l;
	if (c->l.workers < 1)
		c->l.workers = 1;
	if (c->l.workers > MAX_WORKERS)
		c->l.workers = MAX_WORKERS;
	c->per_worker = cap / c->l.workers;
	if (c->per_worker < 1)
		c->per_worker = 1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	return c;
}

unsigned conns_client_cap(const struct conns *c)
{
	return c->per_worker * c->l.workers;
}

unsigned conns_mhd_limit(const struct conns *c)
{
	return (c->per_worker + CONNS_SELF_RESERVE) * c->l.workers;
}

/* ---- the sweeper ---------------------------------------------------------- */

/* Shut down every connection past its deadline (lock held). */
static void sweep(struct conns *c)
{
	int64_t now = mono_ms();
	unsigned headers = 0, body = 0;

	for (struct ctrack *t = c->head; t; t = t->next) {
		int64_t d = atomic_load(&t->deadline);

		if (d == 0 || now < d)
			continue;
		atomic_store(&t->deadline, 0);
		if (atomic_load(&t->phase) == PHASE_BODY)
			body++;
		else
			headers++;
		shutdown(t->fd, SHUT_RDWR);
	}
	if (headers + body == 0)
		return;
	atomic_fetch_add(&c->timed_out, headers + body);
	if (headers)
		log_info("closed %u connection(s) whose request headers took longer than "
			 "web.header_timeout (%d s)",
			 headers, c->l.header_timeout);
	if (body)
		log_info("closed %u connection(s) whose request body came slower than "
			 "web.body_timeout (%d s) plus 1 s per web.body_min_rate (%lld) bytes",
			 body, c->l.body_timeout, c->l.body_min_rate);
}

static void *sweeper(void *arg)
{
	struct conns *c = arg;
	struct timespec ts;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		sweep(c);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int conns_start(struct conns *c, char *err, size_t errlen)
{
	int rc = pthread_create(&c->thread, NULL, sweeper, c);

	if (rc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		return -1;
	}
	c->started = true;
	return 0;
}

void conns_stop(struct conns *c)
{
	if (!c || !c->started)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->started = false;
}

void conns_free(struct conns *c)
{
	if (!c)
		return;
	conns_stop(c);
	/* libmicrohttpd is stopped: every connection was CLOSED. */
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ---- accepting and closing -------------------------------------------------- */

void conns_self_check(bool adding)
{
	t_self_check = adding;
}

/* This worker thread's slot. */
static int my_slot(struct conns *c)
{
	if (t_conns != c) {
		t_conns = c;
		t_slot = (int)(atomic_fetch_add(&c->next_slot, 1) % c->l.workers);
	}
	return t_slot;
}

enum MHD_Result conns_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct conns *c = cls;
	int64_t now, last;

	(void)addr;
	(void)len;
	if (t_self_check)
		return MHD_YES;
	if (atomic_load(&c->count[my_slot(c)]) < c->per_worker)
		return MHD_YES;
	atomic_fetch_add(&c->refused, 1);
	now = mono_ms();
	last = atomic_load(&c->refused_logged_at);
	if (now - last >= REFUSED_LOG_MS &&
	    atomic_compare_exchange_strong(&c->refused_logged_at, &last, now))
		log_warn("connection refused: the web holds its cap of %u connections "
			 "(web.max_connections, bounded by RLIMIT_NOFILE); %lu refused so far",
			 conns_client_cap(c), atomic_load(&c->refused));
	return MHD_NO;
}

/* Whether fd is one end of an unnamed AF_UNIX pair: a self-check. */
static bool is_self_check(int fd)
{
	struct sockaddr_un sa;
	socklen_t sl = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return false;
	return sa.sun_family == AF_UNIX && sl <= sizeof(sa_family_t);
}

static void started(struct conns *c, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ctrack *t = xcalloc(1, sizeof(*t));

	t->c = c;
	t->fd = ci ? ci->connect_fd : -1;
	if (t->fd < 0 || is_self_check(t->fd)) {
		t->slot = -1;
	} else {
		t->slot = my_slot(c);
		atomic_fetch_add(&c->count[t->slot], 1);
		atomic_store(&t->phase, PHASE_HEADERS);
		atomic_store(&t->deadline, mono_ms() + (int64_t)c->l.header_timeout * 1000);
	}
	pthread_mutex_lock(&c->lock);
	t->next = c->head;
	if (c->head)
		c->head->prev = t;
	c->head = t;
	pthread_mutex_unlock(&c->lock);
	*socket_context = t;
}

static void closed(struct conns *c, struct ctrack *t)
{
	pthread_mutex_lock(&c->lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		c->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&c->lock);
	if (t->slot >= 0)
		atomic_fetch_sub(&c->count[t->slot], 1);
	free(t);
}

void conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	struct conns *c = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		started(c, conn, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		closed(c, *socket_context);
		*socket_context = NULL;
	}
}

/* ---- a request's phases ----------------------------------------------------- */

static struct ctrack *track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct ctrack *t = ci ? ci->socket_context : NULL;

	return t && t->slot >= 0 ? t : NULL;
}

static void body_deadline(struct ctrack *t)
{
	const struct conns_limits *l = &t->c->l;

	atomic_store(&t->deadline,
		     t->body_start + (int64_t)l->body_timeout * 1000 +
			 (int64_t)(t->body_bytes * 1000 / (unsigned long long)l->body_min_rate));
}

void conns_headers_in(struct MHD_Connection *conn)
{
	struct ctrack *t = track_of(conn);

	if (!t)
		return;
	t->body_start = mono_ms();
	t->body_bytes = 0;
	atomic_store(&t->phase, PHASE_BODY);
	body_deadline(t);
}

void conns_body_bytes(struct MHD_Connection *conn, size_t n)
{
	struct ctrack *t = track_of(conn);

	if (!t || atomic_load(&t->phase) != PHASE_BODY)
		return;
	t->body_bytes += n;
	body_deadline(t);
}

void conns_request_in(struct MHD_Connection *conn)
{
	struct ctrack *t = track_of(conn);

	if (!t)
		return;
	atomic_store(&t->phase, PHASE_NONE);
	atomic_store(&t->deadline, 0);
}

void conns_request_done(struct MHD_Connection *conn)
{
	struct ctrack *t = track_of(conn);

	if (!t)
		return;
	atomic_store(&t->phase, PHASE_HEADERS);
	atomic_store(&t->deadline, mono_ms() + (int64_t)t->c->l.header_timeout * 1000);
}

unsigned conns_open(struct conns *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->l.workers; i++)
		n += atomic_load(&c->count[i]);
	return n;
}

unsigned long conns_timed_out(struct conns *c)
{
	return atomic_load(&c->timed_out);
}

unsigned long conns_refused(struct conns *c)
{
	return atomic_load(&c->refused);
}
