/* left4me-worker: parse args, load the config, open the DB, run the job
 * loop (worker.c).  Runs as the left4me user under left4me-worker.service
 * (Type=notify, WatchdogSec=); refuses root unless --allow-root. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "worker.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: left4me-worker [-c CONFIG] [--allow-root] [--once]\n"
		   "  -c, --config PATH  settings file (default $" CONFIG_ENV
		   " or " CONFIG_DEFAULT_PATH ")\n"
		   "  --allow-root       run as root (tests, make run)\n"
		   "  --once             run queued jobs until the queue is empty, then exit\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"allow-root", no_argument, NULL, 'R'},
	    {"once", no_argument, NULL, 'O'},	      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *config_arg = NULL;
	bool allow_root = false, once = false;
	struct config *cfg;
	struct worker w;
	struct sigaction sa;
	sigset_t block;
	char err[512];
	char *db_path;
	sqlite3 *db;
	int c, rc;

	log_init("left4me-worker");
	log_set_prefix(getenv("JOURNAL_STREAM") != NULL);
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_arg = optarg;
			break;
		case 'R':
			allow_root = true;
			break;
		case 'O':
			once = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("left4me-worker %s\n", LEFT4ME_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (geteuid() == 0 && !allow_root) {
		log_err("refusing to run as root (the unit runs it as left4me; --allow-root for "
			"tests)");
		return EX_USAGE;
	}
	cfg = config_load(config_path(config_arg), err, sizeof(err));
	if (!cfg) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	log_set_max_level((enum log_level)cfg->log_level);
	db_path = config_db_path(cfg);
	db = db_open(db_path, 0, err, sizeof(err));
	if (!db) {
		log_err("%s", err);
		free(db_path);
		config_free(cfg);
		return EX_UNAVAILABLE;
	}
	if (db_check_version(db, err, sizeof(err)) < 0) {
		log_err("%s", err);
		rc = EX_CONFIG;
		goto out;
	}

	/* Not dumpable: a process of another uid (a game server is untrusted
	 * code) can neither ptrace us nor read /proc/PID/{mem,fd,root,environ}
	 * even where ProtectProc= would let it see us. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_warn("prctl(PR_SET_DUMPABLE): %s", strerror(errno));

	/* SIGTERM/SIGINT only set a flag, and are unblocked only while the
	 * loop sleeps in ppoll(): no lost wake-up. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);

	if (worker_init(&w, cfg, db, db_path, &stop_flag, err, sizeof(err)) < 0) {
		log_err("%s", err);
		rc = EX_OSERR;
		goto out;
	}
	w.once = once;
	rc = worker_run(&w) == 0 ? 0 : EX_SOFTWARE;
	worker_fini(&w);
out:
	db_close(db);
	free(db_path);
	config_free(cfg);
	return rc;
}
