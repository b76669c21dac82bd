/* left4mectl: parse the global options, then hand over to ctl_run(). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "ctl.h"
#include "log.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl ctl = {.in = stdin, .out = stdout};
	int c, rc;

	log_init("left4mectl");
	log_set_prefix(false);
	/* '+': stop at the first non-option, the command's own flags follow. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctl.config_arg = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return 0;
		case 'V':
			printf("left4mectl %s\n", LEFT4ME_VERSION);
			return 0;
		default:
			ctl_usage(stderr);
			return EX_USAGE;
		}
	}
	rc = ctl_run(&ctl, argc - optind, argv + optind);
	ctl_fini(&ctl);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
