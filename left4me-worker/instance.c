/* Instance planning, staging and removal; see instance.h. */
#include "instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builds.h"
#include "console.h"
#include "instance_env.h"
#include "launch_args.h"
#include "log.h"
#include "lowerdir.h"
#include "mountinfo.h"
#include "parse.h"
#include "rcon.h"
#include "rmtree.h"
#include "strbuf.h"
#include "validate.h"
#include "xalloc.h"

void instance_plan_fini(struct instance_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < plan->n_copies; i++)
		free(plan->copies[i].text);
	free(plan->copies);
	free(plan->name);
	free(plan->env_text);
	if (plan->server_cfg)
		explicit_bzero(plan->server_cfg, strlen(plan->server_cfg));
	free(plan->server_cfg);
	memset(plan, 0, sizeof(*plan));
}

bool instance_name_ok(const char *name)
{
	return name && valid_instance_name(name);
}

/* Resolve dir and check it is an allowed directory.  what names it. */
static int check_lowerdir(const char *state_real, const char *dir, const char *what, char *err,
			  size_t errlen)
{
	char real[PATH_MAX];
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "%s is missing: %s: %s", what, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is missing: %s is not a directory", what, dir);
		return -1;
	}
	if (!realpath(dir, real)) {
		snprintf(err, errlen, "%s: %s: %s", what, dir, strerror(errno));
		return -1;
	}
	if (!lowerdir_allowed(state_real, real, NULL)) {
		char esc[256];

		snprintf(err, errlen, "%s: %s resolves to %s, outside the allowed directories",
			 what, dir, log_escape(esc, sizeof(esc), real, strlen(real)));
		return -1;
	}
	return 0;
}

/* Read DIR/left4dead2/cfg/server.cfg without following a symlink below
 * DIR.  0 with *text (maybe *missing), -1 with err. */
static int read_overlay_cfg(const char *dir, int64_t id, char **text, bool *missing, char *err,
			    size_t errlen)
{
	static const char *const parts[] = {"left4dead2", "cfg"};
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next, rc = -1;
	struct strbuf sb;
	struct stat st;
	char buf[8192];
	ssize_t n;
	size_t i;

	*text = NULL;
	*missing = false;
	if (fd < 0) {
		snprintf(err, errlen, "overlay %lld: %s: %s", (long long)id, dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd < 0)
			break;
	}
	if (fd >= 0) {
		next = openat(fd, "server.cfg", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0) {
		if (errno == ENOENT) {
			*missing = true;
			*text = xstrdup("");
			return 0;
		}
		snprintf(err, errlen,
			 "overlay %lld: left4dead2/cfg/server.cfg cannot be read (%s; symlinks "
			 "are not followed)",
			 (long long)id, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "overlay %lld: left4dead2/cfg/server.cfg is not a regular file",
			 (long long)id);
		close(fd);
		return -1;
	}
	strbuf_init(&sb);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "overlay %lld: server.cfg: %s", (long long)id,
				 strerror(errno));
			goto out;
		}
		strbuf_append(&sb, buf, (size_t)n);
		if (sb.len > INSTANCE_CFG_MAX) {
			snprintf(err, errlen, "overlay %lld: server.cfg is larger than %d bytes",
				 (long long)id, INSTANCE_CFG_MAX);
			goto out;
		}
	}
	if (memchr(sb.buf, '\0', sb.len)) {
		snprintf(err, errlen, "overlay %lld: server.cfg contains a NUL byte",
			 (long long)id);
		goto out;
	}
	*text = strbuf_detach(&sb);
	rc = 0;
out:
	strbuf_fini(&sb);
	close(fd);
	return rc;
}

static char *overlay_dir(const char *state_dir, const struct instance_overlay *o)
{
	if (o->kind == OVERLAY_GLOBAL)
		return xasprintf("%s/global_overlay_cache/%s/overlay", state_dir, o->source_name);
	/* the fetcher's tree of links into workshop_cache/ (db_workshop.h) */
	if (o->kind == OVERLAY_WORKSHOP)
		return xasprintf("%s/workshop_cache/overlays/%lld", state_dir, (long long)o->id);
	return xasprintf("%s/overlays/%lld", state_dir, (long long)o->id);
}

/* The spec's values came from the DB: check them again before any path is
 * built from them. */
static int plan_check_spec(const struct instance_spec *spec, char *err, size_t errlen)
{
	if (!instance_name_ok(spec->name)) {
		char esc[96];

		snprintf(err, errlen, "invalid server name in the database: '%s'",
			 log_escape(esc, sizeof(esc), spec->name ? spec->name : "",
				    spec->name ? strlen(spec->name) : 0));
		return -1;
	}
	if (!valid_server_port(spec->port)) {
		snprintf(err, errlen, "invalid port %d in the database", spec->port);
		return -1;
	}
	if (!rcon_password_ok(spec->rcon_password)) {
		snprintf(err, errlen, "server %s has no valid RCON password", spec->name);
		return -1;
	}
	if (spec->n_overlays + 1 > INSTANCE_ENV_MAX_LOWERDIRS) {
		snprintf(err, errlen, "too many overlays (%zu)", spec->n_overlays);
		return -1;
	}
	return 0;
}

/* The lowerdirs in spec order (top overlay first), the game build that
 * installation/current names last (the caller holds builds_lock shared),
 * each in the allowlist.  *dirs gets n_overlays + 1 slots, *n of them
 * filled; the caller frees them, also after a failure. */
static int plan_lowerdirs(const char *state_dir, const struct instance_spec *spec, char ***dirs,
			  size_t *n, char *err, size_t errlen)
{
	char state_real[PATH_MAX], what[128], *path;
	struct stat st;
	int64_t build = 0;
	char **v = xcalloc(spec->n_overlays + 1, sizeof(*v));
	size_t i;

	*dirs = v;
	*n = 0;
	if (!realpath(state_dir, state_real)) {
		snprintf(err, errlen, "state dir %s: %s", state_dir, strerror(errno));
		return -1;
	}
	switch (builds_current(state_dir, &build, err, errlen)) {
	case -1:
		return -1;
	case 0:
		snprintf(err, errlen,
			 "the game is not installed (%s/installation/current is missing): run "
			 "the install_game job first",
			 state_dir);
		return -1;
	}
	path = xasprintf("%s/installation/builds/%lld/srcds_run", state_dir, (long long)build);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "game build %lld is incomplete (%s is missing): run the "
			 "install_game job",
			 (long long)build, path);
		free(path);
		return -1;
	}
	free(path);
	for (i = 0; i < spec->n_overlays; i++) {
		const struct instance_overlay *o = &spec->overlays[i];

		if (o->kind == OVERLAY_GLOBAL) {
			if (!o->source_name || !valid_source_name(o->source_name)) {
				snprintf(err, errlen,
					 "global overlay %lld has an invalid source name in the "
					 "database",
					 (long long)o->id);
				return -1;
			}
			if (!o->source_complete) {
				snprintf(err, errlen,
					 "global overlay %lld (source %s) is incomplete: vpks are "
					 "missing from its cache; refresh it first",
					 (long long)o->id, o->source_name);
				return -1;
			}
		}
		v[*n] = overlay_dir(state_dir, o);
		snprintf(what, sizeof(what), "overlay %lld", (long long)o->id);
		if (check_lowerdir(state_real, v[(*n)++], what, err, errlen) < 0)
			return -1;
	}
	/* the build as a concrete directory: a running server keeps it when
	 * installation/current moves on */
	v[*n] = xasprintf("%s/installation/builds/%lld", state_dir, (long long)build);
	return check_lowerdir(state_real, v[(*n)++], "the game installation", err, errlen);
}

/* server.cfg: an exec line per overlay that exposes its server.cfg (their
 * texts go to plan->copies), lowest overlay first so the top one's
 * settings win, then the blueprint's own config, then the RCON password
 * as the very last line, so that nothing an overlay or the blueprint
 * sets in the cfg overrides it (docs/SECURITY.md, "RCON"). */
static int plan_server_cfg(const struct instance_spec *spec, char *const *dirs,
			   struct instance_plan *plan, struct strbuf *cfg, char *err, size_t errlen)
{
	size_t i;

	for (i = spec->n_overlays; i-- > 0;) {
		const struct instance_overlay *o = &spec->overlays[i];
		struct instance_cfg_copy *c;

		if (!o->expose_server_cfg)
			continue;
		plan->copies =
		    xreallocarray(plan->copies, plan->n_copies + 1, sizeof(*plan->copies));
		c = &plan->copies[plan->n_copies++];
		memset(c, 0, sizeof(*c));
		c->overlay_id = o->id;
		if (read_overlay_cfg(dirs[i], o->id, &c->text, &c->missing, err, errlen) < 0)
			return -1;
		strbuf_printf(cfg, "exec server_overlay_%lld\n", (long long)o->id);
	}
	strbuf_puts(cfg, spec->config ? spec->config : "");
	if (cfg->len > 0 && cfg->buf[cfg->len - 1] != '\n')
		strbuf_putc(cfg, '\n');
	/* the alphabet of rcon.h needs no escaping inside the quotes */
	strbuf_printf(cfg, RCON_SETTING " \"%s\"\n", spec->rcon_password);
	return 0;
}

/* The effective launch settings (the server's, else the blueprint's, else
 * the defaults) into env, each checked again: they came from the DB. */
static int plan_launch(const struct instance_spec *spec, struct instance_env *env, char *err,
		       size_t errlen)
{
	const struct launch_settings srv = {spec->start_map, spec->max_players, spec->tickrate,
					    spec->launch_args};
	const struct launch_settings bp = {spec->bp_start_map, spec->bp_max_players,
					   spec->bp_tickrate, spec->bp_launch_args};
	struct launch_settings eff;
	char why[512];

	launch_effective(&srv, &bp, &eff);
	if (!launch_map_ok(eff.start_map) || !launch_max_players_ok(eff.max_players) ||
	    (eff.tickrate && !launch_tickrate_ok(eff.tickrate))) {
		snprintf(err, errlen,
			 "invalid launch settings in the database (start_map, "
			 "max_players or tickrate)");
		return -1;
	}
	if (launch_args_split(eff.launch_args, &env->args, &env->n_args, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid launch settings in the database: %s", why);
		return -1;
	}
	env->map = xstrdup(eff.start_map);
	env->maxplayers = eff.max_players;
	env->tickrate = eff.tickrate;
	return 0;
}

int instance_plan(const char *state_dir, const struct instance_spec *spec,
		  struct instance_plan *plan, char *err, size_t errlen)
{
	struct instance_env env = {0};
	struct strbuf cfg;
	char **dirs = NULL;
	size_t i, n = 0;
	int rc = -1;

	memset(plan, 0, sizeof(*plan));
	strbuf_init(&cfg);
	if (plan_check_spec(spec, err, errlen) < 0 || plan_launch(spec, &env, err, errlen) < 0 ||
	    plan_lowerdirs(state_dir, spec, &dirs, &n, err, errlen) < 0 ||
	    plan_server_cfg(spec, dirs, plan, &cfg, err, errlen) < 0)
		goto out;
	env.lowerdirs = dirs;
	env.n_lowerdirs = n;
	env.port = spec->port;
	plan->env_text = instance_env_format(&env, err, errlen);
	if (!plan->env_text)
		goto out;
	plan->name = xstrdup(spec->name);
	plan->server_cfg = strbuf_detach(&cfg);
	plan->n_lowerdirs = n;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	free(env.map);
	launch_args_free(env.args);
	strbuf_fini(&cfg);
	if (rc < 0)
		instance_plan_fini(plan);
	return rc;
}

/* mkdir (if missing) and open a directory below dirfd, never through a
 * symlink. */
static int open_subdir(int dirfd, const char *name, bool create)
{
	if (create && mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Write text to dirfd/name via a temp file and rename. */
static int write_atomic(int dirfd, const char *name, const char *text, mode_t mode, char *err,
			size_t errlen)
{
	char tmp[PATH_COMPONENT_MAX + 16];
	size_t len = strlen(text), off = 0;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: name too long", name);
		return -1;
	}
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) < 0) /* whatever the umask */
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "write %s: %s", name, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return -1;
}

/* server_overlay_ID.cfg -> ID, or 0. */
static int64_t staged_overlay_id(const char *name)
{
	static const char pre[] = "server_overlay_", suf[] = ".cfg";
	size_t n = strlen(name);
	long long id;

	if (n <= strlen(pre) + strlen(suf) || strncmp(name, pre, strlen(pre)) != 0 ||
	    strcmp(name + n - strlen(suf), suf) != 0)
		return 0;
	if (parse_int_n(name + strlen(pre), n - strlen(pre) - strlen(suf), 1, INT64_MAX, &id) < 0)
		return 0;
	return id;
}

static void drop_stale_copies(int cfgfd, const struct instance_plan *plan)
{
	int fd = dup(cfgfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		int64_t id = staged_overlay_id(de->d_name);
		bool keep = false;

		if (id == 0)
			continue;
		for (size_t i = 0; i < plan->n_copies; i++)
			keep = keep || plan->copies[i].overlay_id == id;
		if (!keep)
			unlinkat(cfgfd, de->d_name, 0);
	}
	closedir(d);
}

/* console/NAME: the server's console input (libleft4me/console.h).
 * console/ is 0750, the FIFO 0664, both owner and group left4me: the
 * worker and the web (group left4me) write, left4me-launcher (the
 * server's dynamic uid, "other", with the FIFO bound into its unit)
 * reads.  Anything else in its place is replaced. */
static int make_console_fifo(int state, const char *name, char *err, size_t errlen)
{
	struct stat st;
	int dir, rc = -1;

	if (mkdirat(state, CONSOLE_DIR, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", CONSOLE_DIR, strerror(errno));
		return -1;
	}
	dir = openat(state, CONSOLE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0) {
		snprintf(err, errlen, "directory %s: %s (symlinks are not followed)", CONSOLE_DIR,
			 strerror(errno));
		return -1;
	}
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISFIFO(st.st_mode) &&
	    unlinkat(dir, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
		snprintf(err, errlen, "remove the non-FIFO %s/%s: %s", CONSOLE_DIR, name,
			 strerror(errno));
		goto out;
	}
	if (mkfifoat(dir, name, 0664) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkfifo %s/%s: %s", CONSOLE_DIR, name, strerror(errno));
		goto out;
	}
	/* whatever the umask; only left4me writes console/, so nothing can
	 * swap the FIFO for a link between the two calls */
	if (fchmodat(dir, name, 0664, 0) < 0) {
		snprintf(err, errlen, "chmod %s/%s: %s", CONSOLE_DIR, name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(dir);
	return rc;
}

int instance_apply(const char *state_dir, const struct instance_plan *plan, char *err,
		   size_t errlen)
{
	int state = -1, runtime = -1, inst = -1, upper = -1, game = -1, cfg = -1, fd = -1;
	int rc = -1;
	size_t i;

	if (!instance_name_ok(plan->name)) {
		snprintf(err, errlen, "invalid server name");
		return -1;
	}
	rc = instance_mounted(state_dir, plan->name, err, errlen);
	if (rc != 0) {
		if (rc > 0)
			snprintf(err, errlen,
				 "runtime/%s/merged is mounted (the server is running): stop it "
				 "first",
				 plan->name);
		return -1;
	}
	rc = -1;
	state = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state < 0) {
		snprintf(err, errlen, "state dir %s: %s", state_dir, strerror(errno));
		return -1;
	}
#define STEP(var, parent, name)                                                                    \
	do {                                                                                       \
		var = open_subdir(parent, name, true);                                             \
		if (var < 0) {                                                                     \
			snprintf(err, errlen, "directory %s: %s (symlinks are not followed)",      \
				 name, strerror(errno));                                           \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)
	STEP(fd, state, "runtime");
	STEP(runtime, fd, plan->name);
	close(fd);
	fd = -1;
	STEP(upper, runtime, "upper");
	STEP(game, upper, "left4dead2");
	STEP(cfg, game, "cfg");
	/* the cfg files go into upper/ before anything is mounted on merged/ */
	for (i = 0; i < plan->n_copies; i++) {
		char name[64];

		snprintf(name, sizeof(name), "server_overlay_%lld.cfg",
			 (long long)plan->copies[i].overlay_id);
		if (write_atomic(cfg, name, plan->copies[i].text, 0644, err, errlen) < 0)
			goto out;
	}
	drop_stale_copies(cfg, plan);
	/* 0600: it holds the RCON password.  Through the idmapped upper the
	 * game's uid is its owner; on disk it is left4me's, in runtime/NAME
	 * (0700), which no other server's unit has (docs/SECURITY.md). */
	if (write_atomic(cfg, "server.cfg", plan->server_cfg, 0600, err, errlen) < 0)
		goto out;
	STEP(fd, runtime, "work");
	close(fd);
	STEP(fd, runtime, "merged");
	close(fd);
	fd = -1;
	if (make_console_fifo(state, plan->name, err, errlen) < 0)
		goto out;
	STEP(fd, state, "instances");
	STEP(inst, fd, plan->name);
	if (write_atomic(inst, "instance.env", plan->env_text, 0644, err, errlen) < 0)
		goto out;
	rc = 0;
#undef STEP
out:
	if (fd >= 0)
		close(fd);
	if (cfg >= 0)
		close(cfg);
	if (game >= 0)
		close(game);
	if (upper >= 0)
		close(upper);
	if (inst >= 0)
		close(inst);
	if (runtime >= 0)
		close(runtime);
	close(state);
	return rc;
}

/* A symlinked runtime/ or instances/ would take the removal elsewhere. */
static int check_parent(const char *state_dir, const char *sub, char *err, size_t errlen)
{
	char *p = xasprintf("%s/%s", state_dir, sub);
	struct stat st;
	int rc = 0;

	if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", p);
		rc = -1;
	}
	free(p);
	return rc;
}

int instance_remove(const char *state_dir, const char *name, bool *removed, char *err,
		    size_t errlen)
{
	bool any = false;
	int rc = -1, m;

	if (removed)
		*removed = false;
	if (!instance_name_ok(name)) {
		snprintf(err, errlen, "invalid server name");
		return -1;
	}
	if (check_parent(state_dir, "runtime", err, errlen) < 0 ||
	    check_parent(state_dir, "instances", err, errlen) < 0)
		return -1;
	m = instance_mounted(state_dir, name, err, errlen);
	if (m < 0)
		goto out;
	if (m > 0) {
		snprintf(err, errlen, "runtime/%s/merged is still mounted", name);
		goto out;
	}
	if (rmtree_under(state_dir, "runtime", name, &any, err, errlen) < 0 ||
	    rmtree_under(state_dir, "instances", name, &any, err, errlen) < 0 ||
	    rmtree_under(state_dir, CONSOLE_DIR, name, &any, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	if (removed)
		*removed = any;
	return rc;
}

int instance_mounted(const char *state_dir, const char *name, char *err, size_t errlen)
{
	char *merged = xasprintf("%s/runtime/%s/merged", state_dir, name);
	char real[PATH_MAX];
	int m = 0;

	if (realpath(merged, real)) {
		m = mountinfo_lookup(real, NULL, 0);
		if (m < 0)
			snprintf(err, errlen, "/proc/self/mountinfo: %s", strerror(errno));
	}
	free(merged);
	return m < 0 ? -1 : m > 0;
}

bool instance_exists(const char *state_dir, const char *name)
{
	char *rt = xasprintf("%s/runtime/%s", state_dir, name);
	char *inst = xasprintf("%s/instances/%s", state_dir, name);
	struct stat st;
	bool any = lstat(rt, &st) == 0 || lstat(inst, &st) == 0;

	free(rt);
	free(inst);
	return any;
}
