/* left4me-fetcher: keeps the global overlays (curated map collections) in
 * sync.  Runs as the left4me user (never root without --allow-root), reads
 * the config and the DB, talks HTTP(S) to the configured sources and
 * writes only STATE/global_overlay_cache/ and its own DB tables.  Each
 * refresh job runs in a left4me-fetcher-refresh child (fetcher.h): the
 * waiting daemon links only SQLite, the config parser and libsystemd.
 * Startup and exit codes: daemon.h.
 *
 *   left4me-fetcher [-c CONFIG] [--allow-root] [--once]   the daemon
 *   left4me-fetcher [-c CONFIG] enqueue-refresh            for the timer */
#include <sysexits.h>

#include "config.h"
#include "daemon.h"
#include "fetcher.h"

static bool once;

static const struct daemon_option options[] = {
    {.name = "once", .help = "run queued refresh jobs, then exit", .flag = &once},
    {0},
};

/* enqueue-refresh only adds a row, like left4mectl: root may run it. */
static const struct daemon_command commands[] = {
    {.name = "enqueue-refresh",
     .help = "queue a refresh of every source (the daily timer), then exit",
     .root_ok = true},
    {0},
};

static const struct daemon_spec spec = {
    .ident = "left4me-fetcher",
    .summary = "Keep the global overlays (curated map collections) in sync.",
    .options = options,
    .commands = commands,
};

int main(int argc, char **argv)
{
	struct daemon d;
	struct fetcher_opts o = {.once = false};
	int rc;

	if (!daemon_start(&d, &spec, argc, argv))
		return d.status;
	if (d.command)
		return daemon_finish(&d, fetcher_enqueue_refresh(d.db) == 0 ? 0 : EX_SOFTWARE);
	o.config_path = config_path(d.config_arg);
	o.allow_root = d.allow_root;
	o.once = once;
	rc = fetcher_loop(d.db, d.cfg, &o, d.stop) == 0 ? 0 : EX_SOFTWARE;
	return daemon_finish(&d, rc);
}
