/* left4me-status's loop: it follows every left4me-server@NAME.service
 * through systemd's PropertiesChanged signals (Manager.Subscribe plus a
 * match on the unit paths; it never polls systemctl), reads a unit's
 * properties again on each signal and every poll_interval (the resource
 * counters), asks each server whose process is up for A2S_INFO and
 * A2S_PLAYER on 127.0.0.1:PORT, and writes the result into server_status,
 * server_players and server_history (db_status.h).  The bus is the
 * system bus ($DBUS_SYSTEM_BUS_ADDRESS when set: the tests' stand-in). */
#ifndef LEFT4ME_STATUS_H
#define LEFT4ME_STATUS_H

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "a2s.h"
#include "daemon_notify.h"
#include "db_status.h"
#include "unitstate.h"

struct config;
struct console_relay;

/* One server being followed. */
struct status_srv {
	int64_t id;
	char name[65];
	int port;
	char *path; /* the unit's D-Bus object path */
	struct unit_props unit;
	bool dirty;	/* a signal came: read the unit again, whole */
	bool unit_read; /* it was read whole once */
	bool a2s_ok;
	uint32_t challenge;	      /* the game's last A2S challenge (a2s_query_known) */
	struct server_status st;      /* what the row should say */
	struct server_status written; /* what it said after the last write */
	bool ever_written;
	/* A poll round asks every server first and writes all their rows in
	 * one transaction at its end (status.c, write_round): polled marks
	 * the servers of this round, players holds the A2S_PLAYER answer
	 * until then (fresh_players: not written yet). */
	bool polled, fresh_players;
	struct a2s_player *players;
	size_t n_players;
	int64_t hist_minute; /* the last history row written, and */
	bool hist_players;   /* whether it had the players */
};

struct status {
	sqlite3 *db;
	sd_bus *bus;
	sd_bus_slot *match;
	struct status_srv *srv;
	size_t n;
	bool targets_stale; /* a signal for a unit we do not know yet */
	int64_t next_poll;  /* mono_ms() */
	int poll_ms, a2s_timeout_ms, history_minutes;
	volatile sig_atomic_t *stop;
	struct daemon_notify notify;
	struct console_relay *relay; /* systemd's lines into the console (may be NULL) */
	struct a2s_result res;	     /* scratch of one query */
};

/* Connect to the bus, subscribe, read every server's unit and write its
 * row (the state across a restart of left4me-status).  0, or -1 with err. */
int status_init(struct status *s, const struct config *cfg, sqlite3 *db,
		volatile sig_atomic_t *stop, char *err, size_t errlen);
/* Until *stop: 0 on a stop, -1 when the bus connection is lost. */
int status_run(struct status *s);
void status_fini(struct status *s);

/* One A2S poll of srv into srv->st and srv->players (written by the
 * round's end). */
void status_poll_a2s(struct status *s, struct status_srv *srv);

#endif
