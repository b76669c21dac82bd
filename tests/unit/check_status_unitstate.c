/* left4me-status's mapping of a unit's properties to the six live states,
 * one row per state systemd can report for left4me-server@.service, and
 * the last exit (code or signal) it keeps; and the relay's reading of
 * UNIT=left4me-server@NAME.service. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "relay.h"
#include "testutil.h"
#include "unitstate.h"

static const struct {
	const char *active, *sub, *result;
	bool a2s_ok;
	enum live_state want;
} rows[] = {
    {"inactive", "dead", "success", false, LIVE_STOPPED},
    {"inactive", "dead", "success", true, LIVE_STOPPED},
    {"activating", "start-pre", "success", false, LIVE_STARTING},
    {"activating", "start", "success", false, LIVE_STARTING},
    {"active", "running", "success", false, LIVE_RUNNING},
    {"active", "running", "success", true, LIVE_READY},
    {"reloading", "reload", "success", true, LIVE_READY},
    {"deactivating", "stop-sigterm", "success", true, LIVE_STOPPED},
    {"deactivating", "stop-post", "success", false, LIVE_STOPPED},
    /* a crash: systemd runs ExecStopPost, then waits RestartSec */
    {"deactivating", "stop-post", "exit-code", false, LIVE_RESTARTING},
    {"deactivating", "final-sigterm", "signal", false, LIVE_RESTARTING},
    {"activating", "auto-restart", "exit-code", false, LIVE_RESTARTING},
    {"activating", "auto-restart-queued", "signal", false, LIVE_RESTARTING},
    /* the start limit, or an exit status RestartPreventExitStatus= names */
    {"failed", "failed", "start-limit-hit", false, LIVE_FAILED},
    {"failed", "failed", "exit-code", true, LIVE_FAILED},
    {"", "", "", false, LIVE_STOPPED},
};

START_TEST(test_states)
{
	struct unit_props p;

	unit_props_init(&p);
	snprintf(p.active_state, sizeof(p.active_state), "%s", rows[_i].active);
	snprintf(p.sub_state, sizeof(p.sub_state), "%s", rows[_i].sub);
	snprintf(p.result, sizeof(p.result), "%s", rows[_i].result);
	ck_assert_msg(unit_live_state(&p, rows[_i].a2s_ok) == rows[_i].want,
		      "%s/%s result %s a2s %d: %s, want %s", rows[_i].active, rows[_i].sub,
		      rows[_i].result, rows[_i].a2s_ok,
		      live_state_name(unit_live_state(&p, rows[_i].a2s_ok)),
		      live_state_name(rows[_i].want));
}
END_TEST

START_TEST(test_exit_and_counters)
{
	struct unit_props p;
	struct server_status st;

	memset(&st, 0, sizeof(st));
	unit_props_init(&p);
	unit_to_status(&p, false, &st);
	ck_assert(!st.has_exit_code && !st.has_exit_signal);
	ck_assert(!st.has_cpu && !st.has_memory && !st.has_tasks);
	ck_assert_str_eq(st.active_state, "inactive");

	snprintf(p.active_state, sizeof(p.active_state), "failed");
	snprintf(p.sub_state, sizeof(p.sub_state), "failed");
	snprintf(p.result, sizeof(p.result), "start-limit-hit");
	p.n_restarts = 4;
	p.exec_main_code = CLD_EXITED;
	p.exec_main_status = 2;
	p.cpu_nsec = 123456789;
	p.memory_bytes = 1 << 20;
	p.tasks = 3;
	unit_to_status(&p, true, &st);
	ck_assert_int_eq(st.live_state, LIVE_FAILED);
	ck_assert_str_eq(st.unit_result, "start-limit-hit");
	ck_assert_uint_eq(st.restarts, 4);
	ck_assert(st.has_exit_code && !st.has_exit_signal);
	ck_assert_int_eq(st.exit_code, 2);
	ck_assert(st.has_cpu && st.has_memory && st.has_tasks);
	ck_assert_uint_eq(st.cpu_nsec, 123456789);
	ck_assert_uint_eq(st.memory_bytes, 1 << 20);
	ck_assert_uint_eq(st.tasks, 3);

	p.exec_main_code = CLD_DUMPED;
	p.exec_main_status = SIGSEGV;
	unit_to_status(&p, false, &st);
	ck_assert(!st.has_exit_code && st.has_exit_signal);
	ck_assert_int_eq(st.exit_signal, SIGSEGV);
	p.exec_main_code = CLD_KILLED;
	p.exec_main_status = SIGKILL;
	unit_to_status(&p, false, &st);
	ck_assert(st.has_exit_signal && st.exit_signal == SIGKILL);
}
END_TEST

START_TEST(test_process_up)
{
	struct unit_props p;

	unit_props_init(&p);
	ck_assert(!unit_process_up(&p));
	snprintf(p.active_state, sizeof(p.active_state), "active");
	snprintf(p.sub_state, sizeof(p.sub_state), "running");
	ck_assert(unit_process_up(&p));
	snprintf(p.sub_state, sizeof(p.sub_state), "exited");
	ck_assert(!unit_process_up(&p));
}
END_TEST

static const struct {
	const char *unit;
	const char *name; /* NULL: refused */
} units[] = {
    {"left4me-server@alpha.service", "alpha"},
    {"left4me-server@a-1_b.service", "a-1_b"},
    {"left4me-server@.service", NULL},
    {"left4me-server@Alpha.service", NULL},
    {"left4me-server@../x.service", NULL},
    {"left4me-server@alpha.socket", NULL},
    {"left4me-worker.service", NULL},
    {"left4me-server@a b.service", NULL},
    {"left4me-server@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.service",
     NULL},
    {"", NULL},
};

START_TEST(test_relay_unit_name)
{
	char name[65] = "";
	bool ok = console_relay_server(units[_i].unit, strlen(units[_i].unit), name, sizeof(name));

	if (units[_i].name) {
		ck_assert_msg(ok, "%s refused", units[_i].unit);
		ck_assert_str_eq(name, units[_i].name);
	} else {
		ck_assert_msg(!ok, "%s accepted as %s", units[_i].unit, name);
	}
}
END_TEST

START_TEST(test_relay_unit_nul)
{
	char name[65];

	ck_assert(!console_relay_server("left4me-server@al\0pha.service", 29, name, sizeof(name)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status_unitstate");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_states, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_exit_and_counters);
	tcase_add_test(tc, test_process_up);
	tcase_add_loop_test(tc, test_relay_unit_name, 0, sizeof(units) / sizeof(units[0]));
	tcase_add_test(tc, test_relay_unit_nul);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
