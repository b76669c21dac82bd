/* The lowerdir allowlist: which directories a game server's overlay may
 * stack as lower layers.  One rule, used by left4me-worker (on the
 * canonical path of a directory it is about to name in instance.env) and
 * by left4me-overlay (on the text of instance.env, before it opens
 * anything).  Pure string work: no filesystem access. */
#ifndef LEFT4ME_LOWERDIR_H
#define LEFT4ME_LOWERDIR_H

#include <stdbool.h>

/* Longest build id accepted (digits; a Steam build id is a uint32). */
#define LOWERDIR_BUILD_ID_MAX 10

/* true if path is STATE/installation/builds/ID (exactly: ID is a build
 * id, 1 to 10 digits, no leading zero), STATE/overlays/X[/...],
 * STATE/global_overlay_cache/X[/...] or STATE/workshop_cache[/...], where
 * STATE is state_dir (absolute, no trailing slash) and every component
 * after it is non-empty and neither "." nor "..".  The state dir itself,
 * overlays/ or global_overlay_cache/ as a whole (every user's overlays),
 * installation/ itself or anything else in it (the staging tree, the
 * current pointer, a directory inside a build), runtime/, instances/,
 * look-alikes (installation-evil) and anything
 * outside are refused.  On true, *rel (if rel is not NULL) points into
 * path at the part below state_dir ("overlays/5"). */
bool lowerdir_allowed(const char *state_dir, const char *path, const char **rel);

#endif
