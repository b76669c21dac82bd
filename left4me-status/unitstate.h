/* What systemd says about a left4me-server@NAME.service unit, and how
 * that maps to the six live states of db_status.h.  Pure: no bus, no DB
 * (tests/unit/check_status_unitstate.c tables it). */
#ifndef LEFT4ME_STATUS_UNITSTATE_H
#define LEFT4ME_STATUS_UNITSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "db_status.h"

/* The properties left4me-status reads (org.freedesktop.systemd1.Unit and
 * .Service).  UNIT_UNKNOWN_U64 is systemd's "not known" for the cgroup
 * counters. */
#define UNIT_UNKNOWN_U64 UINT64_MAX
struct unit_props {
	char active_state[33]; /* active, activating, deactivating, inactive, failed, reloading */
	char sub_state[33];    /* running, start-pre, auto-restart, stop-post, dead, failed, ... */
	char result[33];       /* success, exit-code, signal, core-dump, start-limit-hit, ... */
	uint32_t n_restarts;
	int32_t exec_main_code; /* CLD_EXITED, CLD_KILLED, CLD_DUMPED, or 0: never exited */
	int32_t exec_main_status;
	uint64_t cpu_nsec, memory_bytes, tasks; /* UNIT_UNKNOWN_U64 when unknown */
};

/* The props of a unit systemd has never started (inactive/dead). */
void unit_props_init(struct unit_props *p);

/* The live state: a2s_ok says the game answered its last A2S query (it
 * turns running into ready). */
enum live_state unit_live_state(const struct unit_props *p, bool a2s_ok);

/* Whether the game's process is up, so that A2S is worth asking. */
bool unit_process_up(const struct unit_props *p);

/* Copy the unit's part into st: active/sub state, result, restarts, the
 * last exit (code or signal), the resource counters, and the live state. */
void unit_to_status(const struct unit_props *p, bool a2s_ok, struct server_status *st);

#endif
