/* left4me-systemctl enable|disable|restart|status NAME
 *
 * Run as root by left4me-worker via `sudo -n`.  Acts only on
 * left4me-server@NAME.service: NAME is validated, the verb picks a fixed
 * systemctl argv from the table below and /usr/bin/systemctl is exec'd
 * (no shell).  enable/disable carry --now so "enabled" and "running" never
 * drift.  Exit: systemctl's own status, or 64 usage, 65 bad name, 77 not
 * root, 71 exec failure.  The test variant prints the argv instead. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "validate.h"

#define SYSTEMCTL "/usr/bin/systemctl"

static const struct {
	const char *verb;
	const char *args[3]; /* before the unit name; NULL-terminated */
} verbs[] = {
    {"enable", {"enable", "--now", NULL}},
    {"disable", {"disable", "--now", NULL}},
    {"restart", {"restart", NULL}},
    {"status", {"status", "--no-pager", NULL}},
};

int main(int argc, char **argv)
{
	char unit[128];
	const char *av[8];
	size_t v, n = 0;

	helper_start("left4me-systemctl", argc, 3, "enable|disable|restart|status NAME");
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
		if (strcmp(argv[1], verbs[v].verb) == 0)
			break;
	if (v == sizeof(verbs) / sizeof(verbs[0]))
		helper_die(EX_USAGE, "unknown verb (want enable, disable, restart or status)");
	if (!valid_instance_name(argv[2]))
		helper_die(EX_DATAERR, "invalid instance name");
	if (snprintf(unit, sizeof(unit), "left4me-server@%s.service", argv[2]) >= (int)sizeof(unit))
		helper_die(EX_SOFTWARE, "unit name too long");

	av[n++] = SYSTEMCTL;
	av[n++] = "--no-ask-password";
	for (const char *const *a = verbs[v].args; *a; a++)
		av[n++] = *a;
	av[n++] = unit;
	av[n] = NULL;
	if (HELPER_TEST_MODE) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", av[i]);
		return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	}
	execv(SYSTEMCTL, (char *const *)av);
	helper_die(EX_OSERR, "exec %s: %s", SYSTEMCTL, strerror(errno));
}
