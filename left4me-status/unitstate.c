/* The unit -> live state mapping; see unitstate.h. */
#include "unitstate.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

void unit_props_init(struct unit_props *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->active_state, sizeof(p->active_state), "inactive");
	snprintf(p->sub_state, sizeof(p->sub_state), "dead");
	snprintf(p->result, sizeof(p->result), "success");
	p->cpu_nsec = p->memory_bytes = p->tasks = UNIT_UNKNOWN_U64;
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

bool unit_process_up(const struct unit_props *p)
{
	return (is(p->active_state, "active") || is(p->active_state, "reloading")) &&
	       (is(p->sub_state, "running") || is(p->sub_state, "reload"));
}

/* systemd's states for a service with Restart=on-failure:
 *   start:  inactive/dead -> activating/start-pre (ExecStartPre) ->
 *           active/running
 *   crash:  deactivating/stop-post (ExecStopPost) with Result not
 *           success -> activating/auto-restart (RestartSec; newer systemd
 *           also auto-restart-queued) -> activating/start-pre -> ...
 *   limit:  failed/failed with Result start-limit-hit (or the crash's own
 *           Result when RestartPreventExitStatus= matched)
 *   stop:   deactivating/stop-sigterm, stop-post -> inactive/dead */
enum live_state unit_live_state(const struct unit_props *p, bool a2s_ok)
{
	const char *a = p->active_state, *s = p->sub_state;

	if (is(a, "failed"))
		return LIVE_FAILED;
	if (strncmp(s, "auto-restart", 12) == 0)
		return LIVE_RESTARTING;
	if (unit_process_up(p))
		return a2s_ok ? LIVE_READY : LIVE_RUNNING;
	if (is(a, "active") || is(a, "reloading"))
		return LIVE_RUNNING; /* exited but active: not our Type=simple */
	if (is(a, "activating"))
		return LIVE_STARTING;
	/* Going down after a crash: systemd decides between a restart and
	 * failed once ExecStopPost is done. */
	if (is(a, "deactivating") && !is(p->result, "success"))
		return LIVE_RESTARTING;
	return LIVE_STOPPED;
}

void unit_to_status(const struct unit_props *p, bool a2s_ok, struct server_status *st)
{
	snprintf(st->active_state, sizeof(st->active_state), "%s", p->active_state);
	snprintf(st->sub_state, sizeof(st->sub_state), "%s", p->sub_state);
	snprintf(st->unit_result, sizeof(st->unit_result), "%s", p->result);
	st->restarts = p->n_restarts;
	st->has_exit_code = p->exec_main_code == CLD_EXITED;
	st->has_exit_signal = p->exec_main_code == CLD_KILLED || p->exec_main_code == CLD_DUMPED;
	st->exit_code = st->has_exit_code ? p->exec_main_status : 0;
	st->exit_signal = st->has_exit_signal ? p->exec_main_status : 0;
	st->has_cpu = p->cpu_nsec != UNIT_UNKNOWN_U64;
	st->cpu_nsec = st->has_cpu ? p->cpu_nsec : 0;
	st->has_memory = p->memory_bytes != UNIT_UNKNOWN_U64;
	st->memory_bytes = st->has_memory ? p->memory_bytes : 0;
	st->has_tasks = p->tasks != UNIT_UNKNOWN_U64;
	st->tasks = st->has_tasks ? p->tasks : 0;
	st->live_state = unit_live_state(p, a2s_ok);
}
