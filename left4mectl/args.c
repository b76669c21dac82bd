/* Argument scanning for left4mectl commands; see args.h. */
#include "args.h"

#include <string.h>

#include "log.h"

int args_scan(int argc, char **argv, struct arg_flag *flags, int nflags, const char **pos, int npos)
{
	int i, j, got = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] != '\0') {
			for (j = 0; j < nflags; j++)
				if (strcmp(a, flags[j].name) == 0)
					break;
			if (j == nflags) {
				log_err("%s: unknown option '%s'", argv[0], a);
				return -1;
			}
			if (flags[j].seen) {
				log_err("%s: option '%s' given twice", argv[0], a);
				return -1;
			}
			flags[j].seen = true;
			if (flags[j].takes_value) {
				if (i + 1 >= argc) {
					log_err("%s: option '%s' needs a value", argv[0], a);
					return -1;
				}
				flags[j].value = argv[++i];
			}
			continue;
		}
		if (got >= npos) {
			log_err("%s: unexpected argument '%s'", argv[0], a);
			return -1;
		}
		pos[got++] = a;
	}
	if (got < npos) {
		log_err("%s: missing argument (see left4mectl --help)", argv[0]);
		return -1;
	}
	return 0;
}
