/* left4me-worker: the shared daemon startup (daemon.h: options, root
 * refusal, config, DB and schema, signals, exit codes), then the job loop
 * (worker.c).  Runs as the left4me user under left4me-worker.service
 * (Type=notify, WatchdogSec=); refuses root unless --allow-root.  Besides
 * daemon.h's codes: 71 when the DB watch cannot be set up. */
#include <sysexits.h>

#include "daemon.h"
#include "log.h"
#include "update_check.h"
#include "worker.h"

static bool once, check_update;

static const struct daemon_option options[] = {
    {.name = "once", .help = "run queued jobs until the queue is empty, then exit", .flag = &once},
    {.name = "check-update",
     .help = "record the newest game build Steam offers (SteamCMD app_info_print), then exit",
     .flag = &check_update},
    {0},
};

/* Non-dumpable: a process of another uid (a game server is untrusted code)
 * can neither ptrace us nor read /proc/PID/{mem,fd,root,environ} even where
 * ProtectProc= would let it see us.  SIGTERM/SIGINT are unblocked only
 * while the loop sleeps in ppoll(). */
static const struct daemon_spec spec = {
    .ident = "left4me-worker",
    .summary = "Claim and run left4me's jobs: servers, game installs, overlay builds.",
    .options = options,
    .flags = DAEMON_NONDUMPABLE | DAEMON_BLOCK_STOP_SIGNALS,
};

int main(int argc, char **argv)
{
	struct daemon d;
	struct worker w;
	char err[512];
	int rc;

	if (!daemon_start(&d, &spec, argc, argv))
		return d.status;
	if (check_update)
		return daemon_finish(&d, update_check(d.cfg, d.db, d.stop));
	if (worker_init(&w, d.cfg, d.db, d.db_path, d.stop, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return daemon_finish(&d, EX_OSERR);
	}
	w.once = once;
	rc = worker_run(&w) == 0 ? 0 : EX_SOFTWARE;
	worker_fini(&w);
	return daemon_finish(&d, rc);
}
