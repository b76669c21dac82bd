/* left4me-web: the daemon skeleton (libleft4me/daemon.h) parses args,
 * refuses root unless --allow-root, loads the config and checks the DB
 * schema; then this file reads the secret (fail closed), takes the socket
 * from systemd (sd_listen_fds) or binds web.listen, serves (web.c, with the
 * routes of routes.c), and pings the watchdog while its threads answer,
 * until SIGTERM.  Runs as its own unprivileged user.  Exit codes:
 * daemon.h's policy, plus 69 (EX_UNAVAILABLE) when the server cannot start
 * and 73 (EX_CANTCREAT) when --port-file cannot be written. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "daemon_notify.h"
#include "log.h"
#include "routes.h"
#include "web.h"
#include "xalloc.h"

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

static const char *port_file, *journal_dir;

static const struct daemon_option options[] = {
    {.name = "port-file",
     .arg = "PATH",
     .help = "write the bound port there once serving (tests)",
     .value = &port_file},
    {.name = "journal-dir",
     .arg = "DIR",
     .help = "read server consoles from this journal directory (tests)",
     .value = &journal_dir},
    {0},
};

/* Non-dumpable: no core file, and ptrace and /proc/PID/{mem,environ,fd,
 * root} refused to every process but root, even one of our own uid: a
 * second wall behind the uid separation around the secret and the
 * sessions.  SIGTERM/SIGINT blocked before MHD's threads start (they
 * inherit the mask) and taken by sigtimedwait.  The DB is only checked:
 * each request thread opens its own connection. */
static const struct daemon_spec spec = {
    .ident = "left4me-web",
    .summary = "Serve left4me's web interface and JSON API.",
    .options = options,
    .flags = DAEMON_NONDUMPABLE | DAEMON_BLOCK_STOP_SIGNALS | DAEMON_DB_CHECK_ONLY,
};

/* The listening socket: systemd's (socket activation) or -1 to bind
 * web.listen.  0, or EX_USAGE when systemd passed more than one. */
static int listen_socket(int *fd)
{
	int n = sd_listen_fds(1);

	*fd = -1;
	if (n > 1) {
		log_err("expected one socket from systemd, got %d", n);
		return EX_USAGE;
	}
	if (n == 1)
		*fd = SD_LISTEN_FDS_START;
	return 0;
}

/* The watchdog is pinged only while every server thread answers a GET
 * /healthz (web_self_check): a web whose threads hang is restarted by
 * systemd, not kept alive by a main thread that merely runs. */
static bool threads_answer(void *ctx, int ms)
{
	if (web_self_check(ctx, ms) == 0)
		return true;
	log_warn("a server thread did not answer GET /healthz: no watchdog ping");
	return false;
}

int main(int argc, char **argv)
{
	static unsigned char secret[WEB_SECRET_MAX];
	struct daemon_notify notify;
	struct daemon d;
	struct web *w = NULL;
	size_t secret_len = 0;
	char err[512];
	int rc, listen_fd;

	/* Overlay dirs and files are shared with the worker and the build
	 * sandbox through group left4me (docs/SECURITY.md): created 02770 /
	 * 0660.  The setgid bit comes only from the parent (RestrictSUIDSGID=
	 * refuses a chmod that names it), so the umask must keep group write;
	 * set here as in the unit, whoever starts us. */
	umask(0007);
	if (!daemon_start(&d, &spec, argc, argv))
		return d.status;
	if (read_secret(d.cfg->web.secret_file, secret, sizeof(secret), &secret_len, err,
			sizeof(err)) < 0) {
		log_err("%s", err);
		return daemon_finish(&d, EX_CONFIG);
	}
	rc = listen_socket(&listen_fd);
	if (rc == 0) {
		w = web_start(d.cfg, secret, secret_len, listen_fd, journal_dir, &routes_hooks, err,
			      sizeof(err));
		if (!w) {
			log_err("%s", err);
			rc = EX_UNAVAILABLE;
		}
	}
	explicit_bzero(secret, sizeof(secret));
	if (rc == 0) {
		log_notice("listening on %s (port %d)",
			   listen_fd >= 0 ? "the socket from systemd" : d.cfg->web.listen, w->port);
		if (port_file && write_port_file(port_file, w->port) < 0) {
			log_err("cannot write %s: %s", port_file, strerror(errno));
			rc = EX_CANTCREAT;
		}
	}
	if (rc == 0) {
		daemon_notify_init(&notify);
		daemon_notify_ready("serving");
		daemon_notify_wait_for_stop(&notify, threads_answer, w);
		daemon_notify_stopping();
		log_notice("stopping");
	}
	web_stop(w);
	return daemon_finish(&d, rc);
}
