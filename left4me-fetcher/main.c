/* left4me-fetcher: keeps the global overlays (curated map collections) in
 * sync.  Runs as the left4me user (never root without --allow-root), reads
 * the config and the DB, talks HTTP(S) to the configured sources and
 * writes only STATE/global_overlay_cache/ and its own DB tables.  Each
 * refresh job runs in a left4me-fetcher-refresh child (fetcher.h): the
 * waiting daemon links only SQLite, the config parser and libsystemd.
 *
 *   left4me-fetcher [-c CONFIG] [--allow-root] [--once]   the daemon
 *   left4me-fetcher [-c CONFIG] enqueue-refresh            for the timer */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "fetcher.h"
#include "log.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: left4me-fetcher [-c CONFIG] [--allow-root] [--once]\n"
		   "       left4me-fetcher [-c CONFIG] enqueue-refresh\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"allow-root", no_argument, NULL, 'R'},
	    {"once", no_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cfg_arg = NULL, *cmd = NULL;
	bool allow_root = false, once = false;
	struct config *cfg;
	struct sigaction sa;
	char err[512], *dbpath;
	sqlite3 *db;
	int c, rc;

	log_init("left4me-fetcher");
	log_set_prefix(getenv("JOURNAL_STREAM") != NULL);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_arg = optarg;
			break;
		case 'R':
			allow_root = true;
			break;
		case 'o':
			once = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc || (cmd && strcmp(cmd, "enqueue-refresh") != 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	cfg = config_load(config_path(cfg_arg), err, sizeof(err));
	if (!cfg) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	log_set_max_level((enum log_level)cfg->log_level);
	if (!cmd && geteuid() == 0 && !allow_root) {
		log_err("refusing to run as root (the unit's User= sets who the fetcher is; "
			"--allow-root for tests)");
		config_free(cfg);
		return EX_NOPERM;
	}
	dbpath = config_db_path(cfg);
	db = db_open(dbpath, 0, err, sizeof(err));
	free(dbpath);
	if (!db || db_check_version(db, err, sizeof(err)) < 0) {
		log_err("%s", err);
		db_close(db);
		config_free(cfg);
		return EX_UNAVAILABLE;
	}
	if (cmd) {
		rc = fetcher_enqueue_refresh(db) == 0 ? 0 : EX_SOFTWARE;
		db_close(db);
		config_free(cfg);
		return rc;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A gone refresh child must fail a write, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	{
		struct fetcher_opts o = {
		    .config_path = config_path(cfg_arg), .allow_root = allow_root, .once = once};

		rc = fetcher_loop(db, cfg, &o, &stop_flag) == 0 ? 0 : EX_SOFTWARE;
	}
	db_close(db);
	config_free(cfg);
	return rc;
}
