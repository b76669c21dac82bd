/* left4me-status: the live state of every game server (issue 14).  It
 * follows each left4me-server@NAME.service through systemd's D-Bus
 * signals, asks the game over A2S on 127.0.0.1, and writes
 * server_status, server_players and server_history (status.h); it also
 * sends systemd's own lines about a server into that server's console
 * (relay.h).  Runs as the left4me user under left4me-status.service
 * (Type=notify, WatchdogSec=); refuses root unless --allow-root.  Besides
 * daemon.h's codes: 71 when the system bus cannot be reached, 70 when the
 * connection to it is lost. */
#include <sysexits.h>

#include "daemon.h"
#include "log.h"
#include "relay.h"
#include "status.h"

static bool no_console;

static const struct daemon_option options[] = {
    {.name = "no-console",
     .help = "do not copy systemd's lines about a server into its console",
     .flag = &no_console},
    {0},
};

/* Non-dumpable like the worker: a game server of another uid cannot
 * ptrace it or read its /proc files. */
static const struct daemon_spec spec = {
    .ident = "left4me-status",
    .summary = "Follow the game servers' units and A2S answers into the database.",
    .options = options,
    .flags = DAEMON_NONDUMPABLE | DAEMON_BLOCK_STOP_SIGNALS,
};

int main(int argc, char **argv)
{
	struct daemon d;
	static struct status s;
	char err[512];
	int rc;

	if (!daemon_start(&d, &spec, argc, argv))
		return d.status;
	if (status_init(&s, d.cfg, d.db, d.stop, err, sizeof(err)) < 0) {
		log_err("%s", err);
		status_fini(&s);
		return daemon_finish(&d, EX_OSERR);
	}
	if (!no_console && !(s.relay = console_relay_open(err, sizeof(err))))
		log_warn("%s; systemd's lines will not reach the consoles", err);
	rc = status_run(&s) == 0 ? 0 : EX_SOFTWARE;
	console_relay_close(s.relay);
	status_fini(&s);
	return daemon_finish(&d, rc);
}
