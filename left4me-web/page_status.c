/* What is not a page: the static assets, the health check and the
 * Prometheus metrics. */
#include "page_status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "assets.h"
#include "conns.h"
#include "db.h"
#include "db_job.h"
#include "db_status.h"
#include "hub.h"
#include "promtext.h"

int page_static(struct req *r)
{
	const char *type;
	size_t len;
	const char *data = asset_get(r->cap[0], &type, &len);

	if (!data)
		return web_error(r, 404, "not found");
	return web_respond_static(r, type, data, len);
}

int page_healthz(struct req *r)
{
	return web_respond_text(r, 200, "ok\n");
}

/* The per-server families, from server_status (what left4me-status
 * wrote).  A value nobody knows is left out, not written as 0: a server
 * left4me-status has not seen has only up and ready (0), and players is
 * 0 unless A2S answers now (the last answer of a stopped server is not its
 * player count). */
enum srv_metric { M_UP, M_READY, M_PLAYERS, M_MAX_PLAYERS, M_CPU, M_MEMORY, M_COUNT };

static const struct {
	const char *name, *type, *help;
} srv_metrics[M_COUNT] = {
    {"left4me_server_up", "gauge", "1 when the server's process is up (running or ready)."},
    {"left4me_server_ready", "gauge", "1 when the server answers A2S queries."},
    {"left4me_server_players", "gauge", "Players on the server (A2S), bots not counted."},
    {"left4me_server_max_players", "gauge", "The server's player slots (A2S)."},
    {"left4me_server_cpu_seconds_total", "counter",
     "CPU time of the server's unit (systemd CPUUsageNSec), in seconds."},
    {"left4me_server_memory_bytes", "gauge",
     "Memory of the server's unit (systemd MemoryCurrent), in bytes."},
};

/* e's value of metric m as text into buf; false when it is not known. */
static bool srv_metric_value(const struct status_entry *e, enum srv_metric m, char *buf, size_t len)
{
	const struct server_status *st = &e->st;
	enum live_state ls = e->has_status ? st->live_state : LIVE_STOPPED;

	switch (m) {
	case M_UP:
		snprintf(buf, len, "%d", ls == LIVE_RUNNING || ls == LIVE_READY);
		return true;
	case M_READY:
		snprintf(buf, len, "%d", ls == LIVE_READY);
		return true;
	case M_PLAYERS:
		snprintf(buf, len, "%d", live_a2s_current(st, e->has_status) ? st->players : 0);
		return true;
	case M_MAX_PLAYERS:
		snprintf(buf, len, "%d", st->max_players);
		return e->has_status && st->has_a2s;
	case M_CPU:
		snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, st->cpu_nsec / 1000000000u,
			 st->cpu_nsec % 1000000000u);
		return e->has_status && st->has_cpu;
	case M_MEMORY:
		snprintf(buf, len, "%" PRIu64, st->memory_bytes);
		return e->has_status && st->has_memory;
	default:
		return false;
	}
}

/* Every server's families; nothing (and -1) when the database fails. */
static int server_metrics(struct req *r, struct strbuf *sb)
{
	struct status_entry *list;
	size_t n, i;
	char num[48];
	int m;

	if (db_status_list(web_db(r), 0, &list, &n) != DB_OK)
		return -1;
	for (m = 0; m < M_COUNT; m++) {
		strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", srv_metrics[m].name,
			      srv_metrics[m].help, srv_metrics[m].name, srv_metrics[m].type);
		for (i = 0; i < n; i++)
			if (srv_metric_value(&list[i], (enum srv_metric)m, num, sizeof(num)))
				prom_sample(sb, srv_metrics[m].name, "server", list[i].name, num);
	}
	free(list);
	return 0;
}

int page_metrics(struct req *r)
{
	int64_t counts[5] = {0};
	struct strbuf sb;
	int i;

	strbuf_init(&sb);
	strbuf_printf(&sb,
		      "# HELP left4me_web_requests_total HTTP requests received.\n"
		      "# TYPE left4me_web_requests_total counter\n"
		      "left4me_web_requests_total %llu\n",
		      (unsigned long long)atomic_load(&r->w->requests_total));
	strbuf_puts(&sb, "# HELP left4me_web_responses_total HTTP responses by status class.\n"
			 "# TYPE left4me_web_responses_total counter\n");
	for (i = 1; i < 6; i++)
		strbuf_printf(&sb, "left4me_web_responses_total{code=\"%dxx\"} %llu\n", i,
			      (unsigned long long)atomic_load(&r->w->responses_by_class[i]));
	strbuf_printf(&sb,
		      "# HELP left4me_web_streams_open Open SSE streams.\n"
		      "# TYPE left4me_web_streams_open gauge\n"
		      "left4me_web_streams_open %zu\n",
		      hub_streams_open(r->w->hub));
	strbuf_printf(
	    &sb,
	    "# HELP left4me_web_connections_open Open client connections.\n"
	    "# TYPE left4me_web_connections_open gauge\n"
	    "left4me_web_connections_open %u\n"
	    "# HELP left4me_web_connections_refused_total Connections refused at the cap.\n"
	    "# TYPE left4me_web_connections_refused_total counter\n"
	    "left4me_web_connections_refused_total %lu\n"
	    "# HELP left4me_web_connections_timed_out_total Connections closed for a "
	    "missed header or body deadline.\n"
	    "# TYPE left4me_web_connections_timed_out_total counter\n"
	    "left4me_web_connections_timed_out_total %lu\n",
	    conns_open(r->w->conns), conns_refused(r->w->conns), conns_timed_out(r->w->conns));
	if (db_job_count_by_state(web_db(r), counts) == DB_OK) {
		strbuf_puts(&sb, "# HELP left4me_jobs Jobs by state.\n# TYPE left4me_jobs gauge\n");
		for (i = 0; i < 5; i++)
			strbuf_printf(&sb, "left4me_jobs{state=\"%s\"} %lld\n",
				      job_state_name((enum job_state)i), (long long)counts[i]);
	}
	(void)server_metrics(r, &sb);
	return web_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", &sb);
}
