/* left4me-status's loop; see status.h. */
#include "status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "relay.h"
#include "timeutil.h"
#include "xalloc.h"

#define SD_DEST	     "org.freedesktop.systemd1"
#define SD_PATH	     "/org/freedesktop/systemd1"
#define SD_UNIT_PATH "/org/freedesktop/systemd1/unit"
#define SD_MANAGER   "org.freedesktop.systemd1.Manager"
#define SD_UNIT	     "org.freedesktop.systemd1.Unit"
#define SD_SERVICE   "org.freedesktop.systemd1.Service"
#define UNIT_PREFIX  "left4me-server@"

/* ---- reading a unit ------------------------------------------------------ */

static int read_string(sd_bus_message *m, char *dst, size_t len)
{
	const char *v;
	int r = sd_bus_message_read(m, "s", &v);

	if (r >= 0)
		snprintf(dst, len, "%s", v);
	return r;
}

/* One property's variant: read it into p if it is one we want and of the
 * type systemd gives it, else skip it. */
static int read_prop(sd_bus_message *m, const char *name, struct unit_props *p)
{
	static const struct {
		const char *name;
		char type;
		size_t off;
	} want[] = {
	    {"ActiveState", 's', offsetof(struct unit_props, active_state)},
	    {"SubState", 's', offsetof(struct unit_props, sub_state)},
	    {"Result", 's', offsetof(struct unit_props, result)},
	    {"NRestarts", 'u', offsetof(struct unit_props, n_restarts)},
	    {"ExecMainCode", 'i', offsetof(struct unit_props, exec_main_code)},
	    {"ExecMainStatus", 'i', offsetof(struct unit_props, exec_main_status)},
	    {"CPUUsageNSec", 't', offsetof(struct unit_props, cpu_nsec)},
	    {"MemoryCurrent", 't', offsetof(struct unit_props, memory_bytes)},
	    {"TasksCurrent", 't', offsetof(struct unit_props, tasks)},
	};
	char sig[2] = "";
	int r;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (strcmp(name, want[i].name) != 0)
			continue;
		sig[0] = want[i].type;
		if (sd_bus_message_enter_container(m, 'v', sig) <= 0)
			break; /* another type: skip it */
		if (want[i].type == 's')
			r = read_string(m, (char *)p + want[i].off, 33);
		else
			r = sd_bus_message_read_basic(m, want[i].type, (char *)p + want[i].off);
		if (r < 0)
			return r;
		return sd_bus_message_exit_container(m);
	}
	return sd_bus_message_skip(m, "v");
}

/* a{sv}, from GetAll or PropertiesChanged, into p. */
static int read_props(sd_bus_message *m, struct unit_props *p)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *name;

		if ((r = sd_bus_message_read(m, "s", &name)) < 0 ||
		    (r = read_prop(m, name, p)) < 0 || (r = sd_bus_message_exit_container(m)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int get_all(struct status *s, const char *path, const char *iface, struct unit_props *p)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = sd_bus_call_method(s->bus, SD_DEST, path, "org.freedesktop.DBus.Properties",
				   "GetAll", &e, &reply, "s", iface);

	if (r >= 0)
		r = read_props(reply, p);
	else
		log_debug("GetAll %s %s: %s", path, iface, e.message ? e.message : strerror(-r));
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	return r;
}

/* Read srv's unit: whole after a signal (or the first time), else only
 * its .Service interface (the exit status and the resource counters, which
 * change without a signal; ActiveState and SubState are on .Unit and
 * always come with one), which halves a poll round's bus traffic.  A unit
 * systemd cannot tell us about is stopped (systemd itself loads a unit it
 * is asked about, so this is a unit with no file, or a broken bus). */
static void read_unit(struct status *s, struct status_srv *srv)
{
	struct unit_props p;
	bool whole = srv->dirty || !srv->unit_read;

	if (whole)
		unit_props_init(&p);
	else
		p = srv->unit;
	srv->dirty = false;
	srv->unit_read = true;
	if ((whole && get_all(s, srv->path, SD_UNIT, &p) < 0) ||
	    get_all(s, srv->path, SD_SERVICE, &p) < 0) {
		log_warn("server=%s: cannot read its unit; taken as stopped", srv->name);
		unit_props_init(&p);
		srv->unit_read = false;
	}
	srv->unit = p;
	if (!unit_process_up(&p))
		srv->a2s_ok = false;
}

/* ---- writing ------------------------------------------------------------- */

static void write_row(struct status *s, struct status_srv *srv)
{
	int rc;

	unit_to_status(&srv->unit, srv->a2s_ok, &srv->st);
	if (srv->ever_written && memcmp(&srv->st, &srv->written, sizeof(srv->st)) == 0)
		return;
	rc = db_status_put(s->db, srv->id, &srv->st);
	if (rc != DB_OK) {
		/* the server was deleted under us (DB_INVALID), or busy */
		log_debug("server=%s: status not written (%d)", srv->name, rc);
		s->targets_stale = true;
		return;
	}
	if (!srv->ever_written || srv->written.live_state != srv->st.live_state)
		log_info("server=%s: %s (%s/%s, result %s, %u restarts)", srv->name,
			 live_state_name(srv->st.live_state), srv->st.active_state,
			 srv->st.sub_state, srv->st.unit_result, srv->st.restarts);
	srv->written = srv->st;
	srv->ever_written = true;
}

/* The minute's history row: its first sample (one write a minute, not
 * one a round), written again only to add the players that sample
 * lacked. */
static void record_minute(struct status *s, struct status_srv *srv)
{
	struct status_sample smp = {.minute = now_ms() / 60000};

	if (smp.minute == srv->hist_minute && (srv->hist_players || !srv->a2s_ok))
		return;
	smp.has_players = srv->a2s_ok;
	smp.players = srv->st.players;
	smp.has_cpu = srv->st.has_cpu;
	smp.cpu_nsec = srv->st.cpu_nsec;
	smp.has_memory = srv->st.has_memory;
	smp.memory_bytes = srv->st.memory_bytes;
	if (db_status_record(s->db, srv->id, &smp) != DB_OK) {
		log_debug("server=%s: history not written", srv->name);
		return;
	}
	srv->hist_minute = smp.minute;
	srv->hist_players = smp.has_players;
}

/* ---- the servers --------------------------------------------------------- */

static struct status_srv *find_path(struct status *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->srv[i].path, path) == 0)
			return &s->srv[i];
	return NULL;
}

static struct status_srv *find_id(struct status *s, int64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->srv[i].id == id)
			return &s->srv[i];
	return NULL;
}

static void srv_free(struct status_srv *srv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(srv[i].path);
		free(srv[i].players);
	}
	free(srv);
}

/* The servers table again: keep what we know of the servers still there,
 * add the new ones (dirty: read their unit), drop the deleted. */
static int refresh_targets(struct status *s)
{
	struct status_target *t;
	struct status_srv *next;
	size_t n;

	if (db_status_targets(s->db, &t, &n) != DB_OK)
		return -1;
	next = xcalloc(n ? n : 1, sizeof(*next));
	for (size_t i = 0; i < n; i++) {
		struct status_srv *old = find_id(s, t[i].id), *srv = &next[i];
		char unit[128];

		if (old && strcmp(old->name, t[i].name) == 0) {
			*srv = *old;
			old->path = NULL;
			old->players = NULL;
		} else {
			snprintf(unit, sizeof(unit), UNIT_PREFIX "%s.service", t[i].name);
			if (sd_bus_path_encode(SD_UNIT_PATH, unit, &srv->path) < 0)
				srv->path = xstrdup("/");
			unit_props_init(&srv->unit);
			srv->dirty = true;
		}
		srv->id = t[i].id;
		snprintf(srv->name, sizeof(srv->name), "%s", t[i].name);
		srv->port = t[i].port;
	}
	free(t);
	srv_free(s->srv, s->n);
	s->srv = next;
	s->n = n;
	s->targets_stale = false;
	return 0;
}

/* ---- the bus ------------------------------------------------------------- */

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	struct status *s = userdata;
	const char *path = sd_bus_message_get_path(m);
	struct status_srv *srv;
	char *unit = NULL;

	(void)e;
	if (!path || sd_bus_path_decode(path, SD_UNIT_PATH, &unit) <= 0)
		return 0;
	if (strncmp(unit, UNIT_PREFIX, strlen(UNIT_PREFIX)) == 0) {
		srv = find_path(s, path);
		if (srv)
			srv->dirty = true;
		else
			s->targets_stale = true;
	}
	free(unit);
	return 0;
}

static int bus_connect(struct status *s, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_open_system(&s->bus);

	if (r < 0) {
		snprintf(err, errlen, "cannot connect to the system bus: %s", strerror(-r));
		return -1;
	}
	r = sd_bus_add_match(s->bus, &s->match,
			     "type='signal',sender='" SD_DEST "',"
			     "interface='org.freedesktop.DBus.Properties',"
			     "member='PropertiesChanged',path_namespace='" SD_UNIT_PATH "'",
			     on_changed, s);
	if (r >= 0)
		r = sd_bus_call_method(s->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL,
				       NULL);
	if (r < 0) {
		snprintf(err, errlen, "cannot subscribe to systemd's signals: %s",
			 e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return -1;
	}
	return 0;
}

/* Run queued bus messages and read every unit a signal named.  -1 when the
 * connection is gone. */
static int pump(struct status *s)
{
	int r;

	while ((r = sd_bus_process(s->bus, NULL)) > 0)
		;
	if (r < 0) {
		log_err("system bus: %s", strerror(-r));
		return -1;
	}
	if (s->targets_stale && refresh_targets(s) < 0)
		log_warn("cannot read the servers table");
	for (size_t i = 0; i < s->n; i++) {
		if (s->srv[i].dirty) {
			read_unit(s, &s->srv[i]);
			write_row(s, &s->srv[i]);
		}
	}
	if (s->relay)
		console_relay_pump(s->relay);
	return 0;
}

/* ---- A2S ------------------------------------------------------------------ */

static void keep_a2s(struct status_srv *srv, const struct a2s_result *res)
{
	struct server_status *st = &srv->st;

	st->has_a2s = true;
	st->a2s_at = now_ms();
	snprintf(st->map, sizeof(st->map), "%s", res->info.map);
	snprintf(st->name, sizeof(st->name), "%s", res->info.name);
	snprintf(st->version, sizeof(st->version), "%s", res->info.version);
	st->players = res->info.players;
	st->bots = res->info.bots;
	st->max_players = res->info.max_players;
	st->vac = res->info.vac;
	st->rtt_ms = res->rtt_ms;
	st->a2s_error[0] = '\0';
}

void status_poll_a2s(struct status *s, struct status_srv *srv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	char why[200] = "";

	sin.sin_port = htons((uint16_t)srv->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (a2s_query_known((struct sockaddr *)&sin, sizeof(sin), true, s->a2s_timeout_ms,
			    &srv->challenge, &s->res, why, sizeof(why)) < 0) {
		if (srv->a2s_ok || strcmp(srv->st.a2s_error, why) != 0)
			log_debug("server=%s: A2S: %s", srv->name, why);
		srv->a2s_ok = false;
		snprintf(srv->st.a2s_error, sizeof(srv->st.a2s_error), "%s", why);
		return;
	}
	srv->a2s_ok = true;
	keep_a2s(srv, &s->res);
	srv->players = xreallocarray(srv->players, s->res.n_players ? s->res.n_players : 1,
				     sizeof(*srv->players));
	memcpy(srv->players, s->res.players, s->res.n_players * sizeof(*srv->players));
	srv->n_players = s->res.n_players;
	srv->fresh_players = true;
}

static bool stop_requested(struct status *s)
{
	sigset_t pending;

	if (*s->stop)
		return true;
	if (sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1))
		return true;
	return false;
}

/* The rows of the servers polled this round, their players and their
 * minute of history, in one transaction: a commit per row cost more CPU
 * than all the rest of the round (WAL frames and file locks for each;
 * bench/README.md, left4me-status).  The transaction is short (no
 * network in it).  If it cannot be taken each write is its own; if the
 * commit fails, the next round writes every row again. */
static void write_round(struct status *s)
{
	bool tx = db_begin_immediate(s->db) == DB_OK;

	for (size_t i = 0; i < s->n; i++) {
		struct status_srv *srv = &s->srv[i];

		if (!srv->polled)
			continue;
		write_row(s, srv);
		if (srv->fresh_players &&
		    db_status_put_players(s->db, srv->id, srv->players, srv->n_players) != DB_OK)
			log_debug("server=%s: players not written", srv->name);
		srv->fresh_players = false;
		if (unit_process_up(&srv->unit))
			record_minute(s, srv);
	}
	if (tx && db_commit(s->db) != DB_OK) { /* (rolled back) */
		log_warn("the status of this round was not written; again at the next");
		for (size_t i = 0; i < s->n; i++) {
			if (s->srv[i].polled) {
				s->srv[i].ever_written = false;
				s->srv[i].fresh_players = s->srv[i].a2s_ok;
				s->srv[i].hist_minute = 0;
			}
		}
	}
}

/* Every server: its unit again (the resource counters), and A2S when its
 * process is up; the bus is pumped between servers, so a signal waits at
 * most one A2S timeout (and a unit's change is written at once, by
 * pump).  Then the round's rows, together. */
static int poll_all(struct status *s)
{
	if (refresh_targets(s) < 0)
		log_warn("cannot read the servers table");
	for (size_t i = 0; i < s->n; i++)
		s->srv[i].polled = false;
	for (size_t i = 0; i < s->n && !stop_requested(s); i++) {
		struct status_srv *srv = &s->srv[i];

		if (!unit_process_up(&srv->unit) && !srv->dirty)
			continue;
		read_unit(s, srv);
		if (unit_process_up(&srv->unit))
			status_poll_a2s(s, srv);
		srv->polled = true;
		if (pump(s) < 0)
			return -1;
	}
	write_round(s);
	return 0;
}

/* ---- the loop ------------------------------------------------------------ */

int status_init(struct status *s, const struct config *cfg, sqlite3 *db,
		volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->db = db;
	s->stop = stop;
	s->poll_ms = cfg->status.poll_interval * 1000;
	s->a2s_timeout_ms = cfg->status.a2s_timeout;
	s->history_minutes = cfg->status.history_minutes;
	if (bus_connect(s, err, errlen) < 0)
		return -1;
	if (refresh_targets(s) < 0) {
		snprintf(err, errlen, "cannot read the servers table");
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		read_unit(s, &s->srv[i]);
		write_row(s, &s->srv[i]);
	}
	daemon_notify_init(&s->notify);
	return 0;
}

static int wait_bus(struct status *s, int64_t max_ms)
{
	struct pollfd pfd[2];
	nfds_t n = 1;
	uint64_t until;
	sigset_t unblocked;
	struct timespec ts;
	int r;

	if (sd_bus_get_timeout(s->bus, &until) >= 0 && until != UINT64_MAX) {
		int64_t left = ((int64_t)until / 1000 - mono_ms());

		if (left < max_ms)
			max_ms = left < 0 ? 0 : left;
	}
	if (max_ms < 0)
		max_ms = 0;
	max_ms = daemon_notify_wait_ms(&s->notify, max_ms);
	pfd[0] = (struct pollfd){.fd = sd_bus_get_fd(s->bus), .events = 0};
	r = sd_bus_get_events(s->bus);
	pfd[0].events = (short)(r > 0 ? r : POLLIN);
	if (s->relay && (pfd[1].fd = console_relay_fd(s->relay)) >= 0) {
		pfd[1].events = (short)console_relay_events(s->relay);
		n = 2;
	}
	ts.tv_sec = max_ms / 1000;
	ts.tv_nsec = (max_ms % 1000) * 1000000;
	sigprocmask(SIG_SETMASK, NULL, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	if (ppoll(pfd, n, &ts, &unblocked) < 0 && errno != EINTR) {
		log_err("ppoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int status_run(struct status *s)
{
	int64_t last_prune = 0;

	daemon_notify_ready("following the game servers");
	s->next_poll = mono_ms();
	while (!*s->stop) {
		int64_t now;

		if (pump(s) < 0)
			return -1;
		now = mono_ms();
		if (now >= s->next_poll) {
			if (poll_all(s) < 0)
				return -1;
			s->next_poll = now + s->poll_ms;
		}
		if (now - last_prune >= 60000 || last_prune == 0) {
			db_status_prune(s->db, now_ms() / 60000, s->history_minutes, NULL);
			last_prune = now;
		}
		daemon_notify_watchdog(&s->notify);
		if (wait_bus(s, s->next_poll - mono_ms()) < 0)
			return -1;
	}
	daemon_notify_stopping();
	return 0;
}

void status_fini(struct status *s)
{
	srv_free(s->srv, s->n);
	s->srv = NULL;
	s->n = 0;
	sd_bus_slot_unref(s->match);
	sd_bus_flush_close_unref(s->bus);
	s->bus = NULL;
}
