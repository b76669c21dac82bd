/* The web's connection table: how many client connections it takes, and
 * how long a request may take to arrive.
 *
 * The cap comes from the process's RLIMIT_NOFILE (the unit's LimitNOFILE=)
 * less CONNS_FD_RESERVE, halved because a connection may hold a second fd
 * (a file being sent or written); web.max_connections may only lower it.
 * It is split evenly between libmicrohttpd's worker threads and enforced
 * by the accept policy per worker, so that every worker keeps
 * CONNS_SELF_RESERVE connections beyond it for the liveness self-check
 * (web_self_check): a table full of idle clients is not a dead web.
 *
 * libmicrohttpd's own timeout restarts at every byte, so a client sending
 * one byte every 20 s would hold a connection for ever.  Here a connection
 * has a deadline: its request line and headers must be in within
 * web.header_timeout of the accept (or of the previous answer on a kept-
 * alive connection), and its body within web.body_timeout plus one second
 * per web.body_min_rate bytes received.  A sweeper thread shuts down the
 * socket of a connection past its deadline; libmicrohttpd then closes it.
 * Knows libmicrohttpd connections, not requests. */
#ifndef LEFT4ME_WEB_CONNS_H
#define LEFT4ME_WEB_CONNS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Fds kept for everything but connections: stdio, the listen socket, the
 * journal and notify sockets, SQLite (3 per connection, one connection per
 * thread), inotify, eventfds, epoll, the self-check's socket pairs and the
 * console journals the hub holds open. */
#define CONNS_FD_RESERVE 256
/* Connections per worker kept beyond the cap for the self-check. */
#define CONNS_SELF_RESERVE 4

struct conns_limits {
	unsigned workers;	   /* libmicrohttpd's worker threads */
	long long max_connections; /* web.max_connections */
	int header_timeout;	   /* seconds: web.header_timeout */
	int body_timeout;	   /* seconds: web.body_timeout */
	long long body_min_rate;   /* bytes per second: web.body_min_rate */
};

struct conns;

/* The client connection cap for max_connections (the config's) under an
 * RLIMIT_NOFILE of nofile, and in why one line saying how it was chosen.
 * 0 when nofile leaves no room for a connection per worker (why says so). */
unsigned conns_cap(long long max_connections, unsigned long long nofile, unsigned workers,
		   char *why, size_t whylen);

/* A table for at most cap client connections (conns_cap's). */
struct conns *conns_new(const struct conns_limits *l, unsigned cap);
/* The total for MHD_OPTION_CONNECTION_LIMIT: the cap rounded to whole
 * workers, and each worker's self-check reserve. */
unsigned conns_mhd_limit(const struct conns *c);
/* The cap the accept policy enforces (a multiple of the workers). */
unsigned conns_client_cap(const struct conns *c);
/* Start and stop the deadline sweeper thread.  -1 with err on failure. */
int conns_start(struct conns *c, char *err, size_t errlen);
void conns_stop(struct conns *c);
void conns_free(struct conns *c);

/* libmicrohttpd's accept policy (MHD_start_daemon's apc, cls the table). */
enum MHD_Result conns_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* MHD_OPTION_NOTIFY_CONNECTION (cls the table). */
void conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code);
/* Around MHD_add_connection of a self-check connection (same thread):
 * it is exempt from the cap and the deadlines. */
void conns_self_check(bool adding);

/* A request's phases, from the access handler's thread. */
/* The headers are in: the body's deadline starts. */
void conns_headers_in(struct MHD_Connection *conn);
/* n more body bytes arrived: the deadline moves on by n / body_min_rate. */
void conns_body_bytes(struct MHD_Connection *conn, size_t n);
/* The whole request is in: no deadline while it is answered. */
void conns_request_in(struct MHD_Connection *conn);
/* The answer is sent: the next request's headers are due within
 * header_timeout (a kept-alive connection). */
void conns_request_done(struct MHD_Connection *conn);

/* Client connections open now, and those closed for a missed deadline
 * and refused at the cap since start (metrics). */
unsigned conns_open(struct conns *c);
unsigned long conns_timed_out(struct conns *c);
unsigned long conns_refused(struct conns *c);

#endif
