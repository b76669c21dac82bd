/* The daemons' shared startup and exit-code policy; see daemon.h. */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "db_job.h"
#include "log.h"
#include "xalloc.h"

/* getopt values of the long-only options: ours, then the spec's own. */
#define OPT_ALLOW_ROOT 256
#define OPT_OWN	       512

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Log one line, set the exit code, and say "stop". */
static bool refuse(struct daemon *d, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool refuse(struct daemon *d, int status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap); /* a cut line is still one line */
	va_end(ap);
	log_err("%s", line);
	d->status = status;
	return false;
}

static size_t count_options(const struct daemon_spec *spec)
{
	size_t n = 0;

	while (spec->options && spec->options[n].name)
		n++;
	return n;
}

/* The getopt_long table: -c, --allow-root, -h, -V and the spec's own. */
static struct option *long_options(const struct daemon_spec *spec)
{
	size_t n = count_options(spec), k = 0, i;
	struct option *v = xcalloc(n + 5, sizeof(*v)); /* zeroed: the terminator */

	v[k++] = (struct option){"config", required_argument, NULL, 'c'};
	if (!(spec->flags & DAEMON_ROOT_OK))
		v[k++] = (struct option){"allow-root", no_argument, NULL, OPT_ALLOW_ROOT};
	v[k++] = (struct option){"help", no_argument, NULL, 'h'};
	v[k++] = (struct option){"version", no_argument, NULL, 'V'};
	for (i = 0; i < n; i++) {
		const struct daemon_option *o = &spec->options[i];

		v[k++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
					 OPT_OWN + (int)i};
	}
	return v;
}

static void usage_line(FILE *f, const char *left, const char *help)
{
	fprintf(f, "  %-22s %s\n", left, help);
}

/* --help: the spec's own text, or one made from its tables. */
static void usage(const struct daemon_spec *spec, FILE *f)
{
	size_t n = count_options(spec), i;
	char left[64];

	if (spec->usage) {
		spec->usage(f);
		return;
	}
	fprintf(f, "usage: %s [-c CONFIG]%s", spec->ident,
		spec->flags & DAEMON_ROOT_OK ? "" : " [--allow-root]");
	for (i = 0; i < n; i++) {
		const struct daemon_option *o = &spec->options[i];
		bool opt = !(o->arg && o->required);

		fprintf(f, " %s--%s%s%s%s", opt ? "[" : "", o->name, o->arg ? " " : "",
			o->arg ? o->arg : "", opt ? "]" : "");
	}
	fprintf(f, "%s\n", spec->commands ? " [COMMAND]" : "");
	if (spec->summary)
		fprintf(f, "%s\n", spec->summary);
	usage_line(f, "-c, --config PATH",
		   "settings (default $" CONFIG_ENV ", then " CONFIG_DEFAULT_PATH ")");
	if (!(spec->flags & DAEMON_ROOT_OK))
		usage_line(f, "--allow-root", "run as root (tests, make run)");
	for (i = 0; i < n; i++) {
		const struct daemon_option *o = &spec->options[i];

		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		usage_line(f, left, o->help);
	}
	usage_line(f, "-h, --help", "print this help");
	usage_line(f, "-V, --version", "print the version");
	for (i = 0; spec->commands && spec->commands[i].name; i++) {
		if (i == 0)
			fprintf(f, "commands:\n");
		usage_line(f, spec->commands[i].name, spec->commands[i].help);
	}
}

/* A usage error: one line saying what, then the usage, on stderr. */
static bool usage_error(struct daemon *d, const char *what, const char *arg)
{
	char esc[128];

	if (what) {
		if (arg)
			log_err("%s '%s'", what, log_escape(esc, sizeof(esc), arg, strlen(arg)));
		else
			log_err("%s", what);
	}
	usage(d->spec, stderr);
	d->status = EX_USAGE;
	return false;
}

/* What follows the options: a command of the spec's, or nothing. */
static bool parse_rest(struct daemon *d, int argc, char **argv)
{
	const struct daemon_spec *spec = d->spec;
	size_t i;

	if (spec->flags & DAEMON_ARGS_REST) {
		d->argc = argc - optind;
		d->argv = argv + optind;
		return true;
	}
	if (optind == argc)
		return true;
	for (i = 0; spec->commands && spec->commands[i].name; i++) {
		if (strcmp(spec->commands[i].name, argv[optind]) == 0)
			d->command = &spec->commands[i];
	}
	if (!d->command)
		return usage_error(d, spec->commands ? "unknown command" : "unexpected argument",
				   argv[optind]);
	if (optind + 1 < argc)
		return usage_error(d, "unexpected argument", argv[optind + 1]);
	return true;
}

/* Every required option was given, and the spec's own check passes. */
static bool check_args(struct daemon *d)
{
	const struct daemon_spec *spec = d->spec;
	const char *why;
	size_t i;

	for (i = 0; i < count_options(spec); i++) {
		const struct daemon_option *o = &spec->options[i];

		if (o->arg && o->required && !*o->value) {
			char line[96];

			snprintf(line, sizeof(line), "--%s %s is required", o->name, o->arg);
			return usage_error(d, line, NULL);
		}
	}
	if (spec->check_args && (why = spec->check_args()))
		return usage_error(d, why, NULL);
	return true;
}

bool daemon_parse_args(struct daemon *d, const struct daemon_spec *spec, int argc, char **argv)
{
	struct option *opts = long_options(spec);
	const char *shortopts = spec->flags & DAEMON_ARGS_REST ? "+c:hV" : "c:hV";
	int c;

	memset(d, 0, sizeof(*d));
	d->spec = spec;
	log_init(spec->ident);
	optind = 0; /* GNU: start over (tests parse more than once) */
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		const struct daemon_option *o = c >= OPT_OWN ? &spec->options[c - OPT_OWN] : NULL;

		if (o && o->arg)
			*o->value = optarg;
		else if (o)
			*o->flag = true;
		else if (c == 'c')
			d->config_arg = optarg;
		else if (c == OPT_ALLOW_ROOT)
			d->allow_root = true;
		else
			break; /* -h, -V, or getopt said what was wrong */
	}
	free(opts);
	if (c == 'h') {
		usage(spec, stdout);
		d->status = 0;
		return false;
	}
	if (c == 'V') {
		daemon_print_version(spec->ident);
		d->status = 0;
		return false;
	}
	if (c != -1)
		return usage_error(d, NULL, NULL);
	return parse_rest(d, argc, argv) && check_args(d);
}

bool daemon_root_refused(const struct daemon *d, uid_t euid)
{
	if (euid != 0 || d->allow_root || (d->spec->flags & DAEMON_ROOT_OK))
		return false;
	return !(d->command && d->command->root_ok);
}

int daemon_load_config(const char *arg, struct config **cfg)
{
	char err[512];

	*cfg = config_load(config_path(arg), err, sizeof(err));
	if (!*cfg) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	db_job_set_log_max((*cfg)->worker.max_job_log);
	return 0;
}

int daemon_open_db(const struct config *cfg, bool create, sqlite3 **db, char **path)
{
	char err[512];
	int status;

	*path = config_db_path(cfg);
	*db = db_open(*path, create ? DB_OPEN_CREATE : 0, err, sizeof(err));
	if (!*db) {
		log_err("%s", err); /* names the file */
		status = EX_NOINPUT;
		goto fail;
	}
	if (!create && db_check_version(*db, err, sizeof(err)) < 0) {
		log_err("%s: %s", *path, err);
		status = EX_CONFIG;
		goto fail;
	}
	return 0;
fail:
	db_close(*db);
	*db = NULL;
	free(*path);
	*path = NULL;
	return status;
}

void daemon_print_version(const char *ident)
{
	printf("%s %s\n", ident, LEFT4ME_VERSION);
}

/* SIGTERM/SIGINT set *d->stop; no SA_RESTART, so a wait returns early. */
static bool catch_stop_signals(struct daemon *d)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return refuse(d, EX_OSERR, "sigaction: %s", strerror(errno));
	/* A gone reader (a refresh child, a client) fails a write, not us. */
	signal(SIGPIPE, SIG_IGN);
	if (d->spec->flags & DAEMON_BLOCK_STOP_SIGNALS) {
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, NULL); /* threads started later inherit it */
	}
	d->stop = &stop_flag;
	return true;
}

bool daemon_start(struct daemon *d, const struct daemon_spec *spec, int argc, char **argv)
{
	log_set_prefix(log_fd_is_journal(STDERR_FILENO, getenv("JOURNAL_STREAM")));
	if (!daemon_parse_args(d, spec, argc, argv))
		return false;
	if ((spec->flags & DAEMON_NONDUMPABLE) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return refuse(d, EX_OSERR, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	if (daemon_root_refused(d, geteuid()))
		return refuse(d, EX_NOPERM,
			      "refusing to run as root (its unit's User= says who runs it; "
			      "--allow-root is for tests and make run)");
	d->status = daemon_load_config(d->config_arg, &d->cfg);
	if (d->status != 0)
		return false;
	log_set_max_level((enum log_level)d->cfg->log_level);
	d->status = daemon_open_db(d->cfg, false, &d->db, &d->db_path);
	if (d->status == 0 && (spec->flags & DAEMON_DB_CHECK_ONLY)) {
		db_close(d->db);
		d->db = NULL;
	}
	if (d->status == 0 && catch_stop_signals(d))
		return true;
	daemon_finish(d, d->status);
	return false;
}

int daemon_finish(struct daemon *d, int status)
{
	db_close(d->db);
	d->db = NULL;
	free(d->db_path);
	d->db_path = NULL;
	config_free(d->cfg);
	d->cfg = NULL;
	return status;
}
