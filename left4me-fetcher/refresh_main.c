/* left4me-fetcher-refresh: runs one claimed refresh_global_overlays job
 * for left4me-fetcher, which forks it per job so that only this program
 * maps libcurl, libarchive, json-c and libcrypto.  Runs as the daemon's
 * user (never root without --allow-root); trusts its config and the DB.
 * Logs to the job's log; prints a one-line summary on stdout; exits 0 when
 * the refresh succeeded, 1 when it failed (the daemon finishes the job and
 * heartbeats it meanwhile).  SIGTERM abandons the refresh.
 *
 *   left4me-fetcher-refresh -c CONFIG --job ID [--allow-root] */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "db_job.h"
#include "fetcher.h"
#include "log.h"
#include "parse.h"
#include "refresh.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: left4me-fetcher-refresh -c CONFIG --job ID [--allow-root]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"job", required_argument, NULL, 'j'},
	    {"allow-root", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cfg_arg = NULL, *job_arg = NULL;
	bool allow_root = false;
	struct config *cfg;
	struct sigaction sa;
	struct refresh_ctx rc;
	struct job job;
	char err[512], summary[JOB_REASON_MAX], *dbpath;
	long long id = 0;
	sqlite3 *db;
	int c, r;

	log_init("left4me-fetcher-refresh");
	log_set_prefix(getenv("JOURNAL_STREAM") != NULL);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_arg = optarg;
			break;
		case 'j':
			job_arg = optarg;
			break;
		case 'R':
			allow_root = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc || !job_arg || parse_int(job_arg, 1, INT64_MAX, &id) < 0) {
		usage(stderr);
		return EX_USAGE;
	}
	cfg = config_load(config_path(cfg_arg), err, sizeof(err));
	if (!cfg) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	log_set_max_level((enum log_level)cfg->log_level);
	if (geteuid() == 0 && !allow_root) {
		log_err("refusing to run as root (--allow-root for tests)");
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
	if (db_job_get(db, id, &job) != DB_OK) {
		log_err("job=%lld: no such job", id);
		printf("no such job\n");
		db_close(db);
		config_free(cfg);
		return EX_DATAERR;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A full disk or RLIMIT_FSIZE must fail a write, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	memset(&rc, 0, sizeof(rc));
	rc.db = db;
	rc.cfg = cfg;
	rc.job_id = id;
	rc.worker = NULL; /* the daemon heartbeats */
	rc.stop = &stop_flag;
	r = refresh_run(&rc, job.target, summary, sizeof(summary));
	printf("%s\n", summary);
	fflush(stdout);
	job_fini(&job);
	db_close(db);
	config_free(cfg);
	return r == 0 ? 0 : FETCHER_REFRESH_FAILED;
}
