/* left4me-launcher NAME: the ExecStart of left4me-server@NAME.service.
 * Runs as the server's own unprivileged (dynamic) uid, never as root.  It
 * trusts its argv (written by the unit) and nothing under the state dir;
 * the work is in launcher.c, the reasons in docs/HACKING.md.  Exit codes
 * (sysexits): 64 usage, 65 bad name or instance.env, 66 missing input, 71
 * OS error, 77 refused (root, a symlink or a writable instance.env);
 * otherwise srcds_run's own status, 128+signal if it was killed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sysexits.h>
#include <unistd.h>

#include "launcher.h"
#include "log.h"
#include "validate.h"

/* Fixed at build time (make LAUNCHER_STATE_DIR=...), like the helpers'. */
#ifndef LEFT4ME_LAUNCHER_STATE_DIR
#define LEFT4ME_LAUNCHER_STATE_DIR "/var/lib/left4me"
#endif

#define IDENT	      "left4me-launcher"
#define STATE_DIR_MAX 1024

static const char usage_text[] =
    "usage: " IDENT " [--state-dir DIR] [--allow-root] NAME\n"
    "Run the L4D2 server NAME (srcds_run on a pseudo-terminal) as the ExecStart\n"
    "of left4me-server@NAME.service.\n"
    "  --state-dir DIR  the state dir (default " LEFT4ME_LAUNCHER_STATE_DIR ")\n"
    "  --allow-root     run even as root (tests only)\n"
    "  --help, --version\n";

static void usage_error(const char *what, const char *arg) __attribute__((noreturn));

static void usage_error(const char *what, const char *arg)
{
	char esc[160];

	fprintf(stderr, IDENT ": %s%s%s (usage: " IDENT " [--state-dir DIR] [--allow-root] NAME)\n",
		what, arg ? ": " : "", arg ? log_escape(esc, sizeof(esc), arg, strlen(arg)) : "");
	exit(EX_USAGE);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 's'},
	    {"allow-root", no_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *state_dir = LEFT4ME_LAUNCHER_STATE_DIR;
	const char *stream;
	bool allow_root = false, journal_out;
	struct launcher l;
	int c, code;

	/* First: the game runs as our uid, and a dumpable launcher could be
	 * ptraced or have its /proc/PID/fd opened by it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		fprintf(stderr, IDENT ": prctl(PR_SET_DUMPABLE): %s\n", strerror(errno));
		return EX_OSERR;
	}
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return EX_OSERR; /* cannot even report it */
	}
	log_init(IDENT);
	stream = getenv("JOURNAL_STREAM");
	log_set_prefix(log_fd_is_journal(STDERR_FILENO, stream));
	journal_out = log_fd_is_journal(STDOUT_FILENO, stream);
	/* Nothing below reads the environment; srcds gets one of its own. */
	if (clearenv() != 0) {
		fprintf(stderr, IDENT ": clearenv failed\n");
		return EX_OSERR;
	}

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state_dir = optarg;
			break;
		case 'r':
			allow_root = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf(IDENT " %s\n", LEFT4ME_VERSION);
			return 0;
		default:
			usage_error("unknown option or missing argument", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		usage_error(argc - optind == 0 ? "missing NAME" : "one NAME only", NULL);
	if (state_dir[0] != '/' || strlen(state_dir) > STATE_DIR_MAX)
		usage_error("--state-dir must be an absolute path of at most 1024 bytes",
			    state_dir);
	if ((getuid() == 0 || geteuid() == 0) && !allow_root) {
		log_err("refusing to run as root: the server runs as its own unprivileged uid "
			"(--allow-root is for tests)");
		return EX_NOPERM;
	}
	if (!valid_instance_name(argv[optind])) {
		char esc[100];
		log_err("invalid server name \"%s\": expected [a-z0-9][a-z0-9_-]{0,63}",
			log_escape(esc, sizeof(esc), argv[optind], strlen(argv[optind])));
		return EX_DATAERR;
	}

	launcher_init(&l, state_dir, argv[optind]);
	l.journal_out = journal_out;
	code = launcher_prepare(&l);
	if (code == 0)
		code = launcher_run(&l);
	launcher_fini(&l);
	return code;
}
