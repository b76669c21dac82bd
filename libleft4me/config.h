/* left4me.yaml: the one settings file every daemon and left4mectl reads
 * (docs/DESIGN.md §5).  Parsed with libyaml; unknown keys, wrong types and bad
 * values are rejected with "FILE:LINE:COLUMN: KEY: reason".  Defaults are
 * filled in for every key that may be omitted. */
#ifndef LEFT4ME_CONFIG_H
#define LEFT4ME_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "netaddr.h"

#define CONFIG_MAX_TRUSTED_PROXIES 64 /* entries of web.trusted_proxies */

#define CONFIG_DEFAULT_PATH "/etc/left4me/left4me.yaml"
#define CONFIG_ENV	    "LEFT4ME_CONFIG"

enum source_kind {
	SOURCE_JSON_INDEX, /* l4d2center's JSON: [{name,size,md5,download_link}] */
	SOURCE_URL_LIST,   /* an explicit list of archive URLs */
	SOURCE_HTML_INDEX, /* an HTML page whose links to .zip/.7z are the items */
};

struct config_source {
	char *name; /* valid_source_name(); names global_overlay_cache/NAME */
	enum source_kind kind;
	char *url;   /* json_index, html_index: the index URL */
	char **urls; /* url_list: archive URLs */
	size_t n_urls;
	bool allow_private; /* may reach loopback, private, link-local... addresses */
};

enum update_policy {
	UPDATE_MANUAL,	   /* only show that a newer build exists */
	UPDATE_WHEN_EMPTY, /* install it, restart each server once it is empty */
	UPDATE_WINDOW,	   /* install it, restart every server in updates.window */
};

const char *update_policy_name(int policy);

/* "HH:MM-HH:MM" into minutes of the day (start == end is refused; an end
 * before the start runs past midnight).  0, or -1 with why. */
int config_window_parse(const char *s, int *start, int *end, char *why, size_t whylen);

struct config {
	char *path;	 /* the file this was read from; NULL from config_defaults() */
	char *state_dir; /* absolute; default /var/lib/left4me */
	int log_level;	 /* enum log_level; key log_level: err|warning|notice|info|debug */
	struct {
		char *listen;	  /* "HOST:PORT", default 127.0.0.1:8080 */
		char *public_url; /* default http://127.0.0.1:8080/ */
		char *game_host;  /* "": the host of public_url */
		bool secure_cookies;
		char *secret_file; /* default /etc/left4me/secret */
		int max_connections;
		int per_ip_connections;
		int connection_timeout;	   /* seconds an idle connection is kept */
		int header_timeout;	   /* seconds for a request's line and headers */
		int body_timeout;	   /* seconds for a body, plus its bytes / body_min_rate */
		long long body_min_rate;   /* bytes per second a body must keep up */
		int max_streams_per_user;  /* live SSE streams of one user */
		long long max_body;	   /* bytes of a form or JSON body */
		long long max_upload;	   /* bytes of one uploaded overlay file */
		long long max_edit;	   /* bytes of a text file the editor opens and saves */
		int session_ttl;	   /* seconds */
		int login_max_failures;	   /* per (address, account): before delays */
		int login_ip_max_failures; /* per address, any account: before delays */
		int login_delay;	   /* seconds: the first delay, then doubled */
		int login_max_delay;	   /* seconds: where doubling stops */
		int login_window;	   /* seconds: forgotten after the last failure */
		int login_throttle_keys;   /* keys counted at once (oldest evicted) */
		/* Peers that may name the client in X-Forwarded-For. */
		struct netaddr_block *trusted_proxies;
		size_t n_trusted_proxies;
	} web;
	struct {
		char *helper_dir;	/* default /usr/libexec/left4me */
		bool sudo;		/* false: run helpers directly (root, tests) */
		char *steamcmd;		/* default /usr/games/steamcmd */
		int heartbeat_interval; /* seconds */
		int stale_after;	/* seconds without heartbeat => worker died */
		int helper_timeout;	/* seconds for one helper call */
		int build_timeout;	/* seconds for one overlay build */
		int install_timeout;	/* seconds for one SteamCMD pass */
		int steamcmd_tries;	/* runs of one pass on 0x402/0x602/timeouts */
		int steamcmd_backoff;	/* seconds before the 2nd try, doubling */
		long long max_job_log;	/* bytes of one job's stored log lines */
	} worker;
	struct {
		struct config_source *sources;
		size_t n_sources;
		int parallel;		    /* concurrent transfers */
		int max_host_connections;   /* per host */
		long long max_file_size;    /* bytes of one archive download */
		long long max_extract_size; /* bytes extracted from one archive */
		int max_entries;	    /* entries in one archive */
		int low_speed_time;	    /* seconds below low_speed_limit => abort */
		int low_speed_limit;	    /* bytes per second */
		int retries;		    /* per download */
		int refresh_timeout;	    /* seconds for one whole refresh */
		/* Steam Workshop overlays (issue 15, db_workshop.h). */
		struct {
			char *api_url;		     /* the Steam Web API's base URL */
			bool allow_private;	     /* may it and file hosts be private? */
			long long max_item_bytes;    /* one item's vpk */
			long long max_preview_bytes; /* one item's preview image */
			int max_ids;		     /* ids in one overlay's list */
			int max_items;		     /* items one overlay resolves to */
			int max_depth;		     /* nested collections */
		} workshop;
	} fetcher;
	/* Read by left4me-script-sandbox (root) from the installed file. */
	struct {
		long long max_file_size; /* bytes of one file a build writes */
		long long max_output;	 /* bytes overlays/ID may hold during its build */
	} sandbox;
	/* Per non-admin user, enforced by left4me-web (ops.c); 0 = unlimited. */
	struct {
		int servers;
		int overlays; /* user and script overlays */
		int blueprints;
		int queued_jobs;	 /* jobs of the user in state queued */
		long long overlay_bytes; /* regular files' sizes in one overlay */
		long long total_bytes;	 /* the same over all the user's overlays */
		/* bytes on disk of all the user's script overlays, a build's
		 * included (the worker passes the rest to the sandbox) */
		long long build_output_bytes;
	} quotas;
	/* left4mectl backup create (and left4me-backup.timer). */
	struct {
		char *dir;     /* where backups are written; default /var/backups/left4me */
		int retention; /* backups kept in dir; older ones are removed */
		long long export_max_bytes; /* file bytes of one server export */
		int export_ttl;		    /* seconds an export stays downloadable */
	} backup;
	/* Schedules per server (left4me-worker fires them; web and
	 * left4mectl enforce max_per_server). */
	struct {
		int grace_seconds;  /* a firing missed by at most this runs late */
		int max_per_server; /* schedules of one server */
	} schedules;
	/* What the worker does once a newer game build is known. */
	struct {
		int policy;   /* enum update_policy */
		char *window; /* "HH:MM-HH:MM", local time (policy window) */
	} updates;
	/* left4me-status. */
	struct {
		int poll_interval;   /* seconds between A2S polls and unit samples */
		int a2s_timeout;     /* ms for one server's whole A2S exchange */
		int history_minutes; /* minutes of server_history kept */
	} status;
};

/* Which file to read: the -c/--config value if given, else $LEFT4ME_CONFIG,
 * else CONFIG_DEFAULT_PATH.  Returns a static or argument string. */
const char *config_path(const char *arg);

/* Read and validate PATH into a new config.  On error returns NULL and puts
 * one line ("FILE:LINE:COL: KEY: reason", or "FILE: reason") into err. */
struct config *config_load(const char *path, char *err, size_t errlen);
/* Same from an open file (read to its end; the caller closes it); name is
 * used in messages.  For a caller that checks the file's owner first. */
struct config *config_load_fd(int fd, const char *name, char *err, size_t errlen);
/* Same from a string; name is used in messages instead of a file name. */
struct config *config_parse(const char *name, const char *text, size_t len, char *err,
			    size_t errlen);
/* All defaults, as if the file were empty. */
struct config *config_defaults(void);
void config_free(struct config *cfg);

/* Path of the database: STATE_DIR/left4me.db (caller frees). */
char *config_db_path(const struct config *cfg);

#endif
