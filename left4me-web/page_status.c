/* What is not a page: the static assets, the health check and the
 * Prometheus metrics. */
#include "page_status.h"

#include "assets.h"
#include "conns.h"
#include "db.h"
#include "db_job.h"
#include "hub.h"

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
	return web_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", &sb);
}
