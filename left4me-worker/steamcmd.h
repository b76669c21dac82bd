/* SteamCMD's side of install_game: reading its output (progress and result
 * lines, searched for anywhere in a line, since they may be glued to other
 * text) and the ~/.steam/sdk32|sdk64/steamclient.so copies srcds needs.
 * The output is untrusted text; numbers go through parse_int_n. */
#ifndef LEFT4ME_WORKER_STEAMCMD_H
#define LEFT4ME_WORKER_STEAMCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STEAM_APP_ID "222860"

struct steam_progress {
	double percent; /* 0..100 */
	int64_t done;	/* bytes, 0 when unknown */
	int64_t total;	/* bytes, 0 when unknown */
	char label[32]; /* "downloading", "verifying", "steamcmd self-update", ... */
};

/* "Update state (0x61) downloading, progress: 2.73 (465905134 / 17058703111)"
 * or "[ 71%] Downloading update (...)"; false for any other line. */
bool steamcmd_parse_progress(const char *line, struct steam_progress *p);

enum steam_result {
	STEAM_RESULT_NONE,	 /* not a result line */
	STEAM_RESULT_INSTALLED,	 /* Success! App '222860' fully installed. */
	STEAM_RESULT_UP_TO_DATE, /* Success! App '222860' already up to date. */
	STEAM_RESULT_ERROR,	 /* Error! App ... / ERROR! Failed to install ... */
};

/* Classify a line; for an error, *msg_off is where the message starts. */
enum steam_result steamcmd_parse_result(const char *line, size_t *msg_off);

/* What a failed SteamCMD run calls for, from its error line's
 * "state is 0xNNN": 0x402 and 0x602 (network) are retried, 0x202 and 0x212
 * (disk full) stop at once, anything else fails. */
enum steam_error_class {
	STEAM_ERR_OTHER,
	STEAM_ERR_RETRY,
	STEAM_ERR_DISK,
};
enum steam_error_class steamcmd_error_class(const char *msg);

/* The value at path[0]/path[1]/.../path[n-1] in Valve's KeyValues text
 * (appmanifest_222860.acf: {"AppState", "buildid"}; app_info_print:
 * {"222860", "depots", "branches", "public", "buildid"}).  The text may
 * have other lines before the block "path[0]" { ... }.  Keys compare
 * case-insensitively, as Steam's do.  true with the value in out (cut to
 * outlen - 1 bytes). */
bool steamcmd_vdf_get(const char *text, const char *const *path, size_t n, char *out,
		      size_t outlen);

/* Make HOME/.steam/sdk32/steamclient.so and sdk64/steamclient.so regular
 * 0644 copies (the game unit binds only HOME/.steam, read-only: a symlink
 * into SteamCMD's dir would dangle inside it), sources from SteamCMD's linux32/ and linux64/ beside
 * the real path of steamcmd, else from HOME/.steam/steamcmd/linux32|linux64/ (where Debian's
 * /usr/games/steamcmd wrapper installs the real SteamCMD), else from
 * install_dir/bin/ (sdk32: bin/steamclient.so, sdk64:
 * bin/linux64/steamclient.so).  Idempotent: an identical copy is left alone;
 * an old symlink, a stale copy or a stray file is replaced atomically.  say() gets one line
 * per action.  Returns 0, or -1 with a reason in err (no sdk32 source,
 * I/O error). */
int steamcmd_sdk_copies(const char *home, const char *steamcmd, const char *install_dir,
			void (*say)(void *ctx, const char *line), void *ctx, char *err,
			size_t errlen);

#endif
