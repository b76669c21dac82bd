/* left4me-web: parse args, load the config and the secret (fail closed),
 * check the DB schema, take the socket from systemd (sd_listen_fds) or bind
 * web.listen, serve (web.c, with the routes of routes.c), and answer the
 * watchdog until SIGTERM.  Runs as its own unprivileged user; refuses root
 * unless --allow-root. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "routes.h"
#include "web.h"
#include "xalloc.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: left4me-web [-c CONFIG] [--allow-root] [--port-file PATH]\n"
		   "  -c, --config PATH   settings file (default $" CONFIG_ENV
		   " or " CONFIG_DEFAULT_PATH ")\n"
		   "  --allow-root        run as root (tests, make run)\n"
		   "  --port-file PATH    write the bound port there once serving (tests)\n"
		   "  --journal-dir DIR   read server consoles from this journal directory "
		   "(tests)\n");
}

/* Read the secret into buf; -1 with a reason in err. */
static int read_secret(const char *path, unsigned char *buf, size_t cap, size_t *len, char *err,
		       size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t n = 0;
	ssize_t got;

	if (fd < 0) {
		snprintf(err, errlen, "web.secret_file %s: %s (refusing to start without a secret)",
			 path, strerror(errno));
		return -1;
	}
	while (n < cap && (got = read(fd, buf + n, cap - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "web.secret_file %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		n += (size_t)got;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < WEB_SECRET_MIN) {
		snprintf(err, errlen,
			 "web.secret_file %s: shorter than %d bytes (refusing to start)", path,
			 WEB_SECRET_MIN);
		explicit_bzero(buf, cap);
		return -1;
	}
	*len = n;
	return 0;
}

static int write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = -1;

	if (f) {
		fprintf(f, "%d\n", port);
		if (fclose(f) == 0 && rename(tmp, path) == 0)
			rc = 0;
	}
	free(tmp);
	return rc;
}

/* Over 100 lines until its startup moves into libleft4me's daemon skeleton. */
int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"allow-root", no_argument, NULL, 'R'},
	    {"port-file", required_argument, NULL, 'P'},
	    {"journal-dir", required_argument, NULL, 'J'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_arg = NULL, *port_file = NULL, *journal_dir = NULL;
	static unsigned char secret[WEB_SECRET_MAX];
	bool allow_root = false;
	struct config *cfg;
	struct web *w = NULL;
	size_t secret_len = 0;
	char err[512];
	char *db_path;
	sqlite3 *db;
	sigset_t set;
	uint64_t wd_usec = 0;
	int c, rc = 0, listen_fd = -1, n;

	log_init("left4me-web");
	log_set_prefix(getenv("JOURNAL_STREAM") != NULL);
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_arg = optarg;
			break;
		case 'R':
			allow_root = true;
			break;
		case 'P':
			port_file = optarg;
			break;
		case 'J':
			journal_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("left4me-web %s\n", LEFT4ME_VERSION);
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
	/* Non-dumpable: no core file, and ptrace and /proc/PID/{mem,environ,
	 * fd,root} refused to every process but root, even one of our own
	 * uid.  A second wall behind the uid separation around the secret and
	 * the sessions (the games run under uids of their own). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_err("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return EX_OSERR;
	}
	if (geteuid() == 0 && !allow_root) {
		log_err("refusing to run as root (the unit runs it as its own user; --allow-root "
			"for tests)");
		return EX_USAGE;
	}
	/* Overlay dirs and files are shared with the worker and the build
	 * sandbox through group left4me (docs/SECURITY.md): created 02770 /
	 * 0660.  The setgid bit comes only from the parent (RestrictSUIDSGID=
	 * refuses a chmod that names it), so the umask must keep group write;
	 * set here as in the unit, whoever starts us. */
	umask(0007);
	cfg = config_load(config_path(config_arg), err, sizeof(err));
	if (!cfg) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	log_set_max_level((enum log_level)cfg->log_level);
	if (read_secret(cfg->web.secret_file, secret, sizeof(secret), &secret_len, err,
			sizeof(err)) < 0) {
		log_err("%s", err);
		config_free(cfg);
		return EX_CONFIG;
	}
	db_path = config_db_path(cfg);
	db = db_open(db_path, 0, err, sizeof(err));
	free(db_path);
	if (!db) {
		log_err("%s", err);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if (db_check_version(db, err, sizeof(err)) < 0) {
		log_err("%s", err);
		db_close(db);
		rc = EX_CONFIG;
		goto out;
	}
	db_close(db);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL); /* threads inherit the mask */
	signal(SIGPIPE, SIG_IGN);

	n = sd_listen_fds(1);
	if (n > 1) {
		log_err("expected one socket from systemd, got %d", n);
		rc = EX_USAGE;
		goto out;
	}
	if (n == 1)
		listen_fd = SD_LISTEN_FDS_START;
	w = web_start(cfg, secret, secret_len, listen_fd, journal_dir, &routes_hooks, err,
		      sizeof(err));
	explicit_bzero(secret, sizeof(secret));
	if (!w) {
		log_err("%s", err);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if (n == 1)
		log_notice("listening on the socket from systemd (port %d)", w->port);
	else
		log_notice("listening on %s (port %d)", cfg->web.listen, w->port);
	if (port_file && write_port_file(port_file, w->port) < 0) {
		log_err("cannot write %s: %s", port_file, strerror(errno));
		rc = EX_CANTCREAT;
		goto out;
	}
	sd_notify(0, "READY=1\nSTATUS=serving");
	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	for (;;) {
		struct timespec ts = {3600, 0};
		int sig;

		if (wd_usec) {
			ts.tv_sec = (time_t)(wd_usec / 2 / 1000000);
			ts.tv_nsec = (long)((wd_usec / 2 % 1000000) * 1000);
		}
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (wd_usec)
			sd_notify(0, "WATCHDOG=1");
	}
	sd_notify(0, "STOPPING=1");
	log_notice("stopping");
out:
	web_stop(w);
	explicit_bzero(secret, sizeof(secret));
	config_free(cfg);
	return rc;
}
