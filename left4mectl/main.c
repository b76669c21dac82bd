/* left4mectl: the global options through the daemons' shared parser
 * (daemon.h: -c, --help, --version, its exit codes), then ctl_run(). */
#include <stdio.h>
#include <sysexits.h>

#include "ctl.h"
#include "daemon.h"
#include "log.h"

/* Root may run the CLI (an operator's shell); the first non-option is the
 * command, whose own flags follow it. */
static const struct daemon_spec spec = {
    .ident = "left4mectl",
    .flags = DAEMON_ROOT_OK | DAEMON_ARGS_REST,
    .usage = ctl_usage,
};

int main(int argc, char **argv)
{
	struct ctl ctl = {.in = stdin, .out = stdout};
	struct daemon d;
	int rc;

	log_set_prefix(false); /* a terminal: "left4mectl: ..." */
	if (!daemon_parse_args(&d, &spec, argc, argv))
		return d.status;
	ctl.config_arg = d.config_arg;
	rc = ctl_run(&ctl, d.argc, d.argv);
	ctl_fini(&ctl);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
