/* An instance's files: planning initialize from a server's DB rows (every
 * check before anything is written), staging cfg files into
 * runtime/NAME/upper/ before any mount, writing instances/NAME/instance.env,
 * and removing both trees at reset.  Runs in left4me-worker as the left4me
 * user.  Trusts nothing read from the DB or from overlay directories:
 * names are re-validated, lowerdirs are resolved and checked against the
 * same allowlist the left4me-overlay helper uses, and files are opened
 * with O_NOFOLLOW under a directory fd. */
#ifndef LEFT4ME_WORKER_INSTANCE_H
#define LEFT4ME_WORKER_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_instance.h"

/* Largest overlay server.cfg copied into an instance. */
#define INSTANCE_CFG_MAX (1024 * 1024)

struct instance_cfg_copy {
	int64_t overlay_id;
	char *text; /* its left4dead2/cfg/server.cfg ("" if it has none) */
	bool missing;
};

/* Everything initialize will write, computed and checked up front. */
struct instance_plan {
	char *name;
	char *env_text;			  /* instance.env */
	char *server_cfg;		  /* staged cfg/server.cfg */
	struct instance_cfg_copy *copies; /* opted-in overlays, lowest first */
	size_t n_copies;
	size_t n_lowerdirs;
};

void instance_plan_fini(struct instance_plan *plan);

/* true if name may name an instance directory and a helper argument. */
bool instance_name_ok(const char *name);

/* Check spec against the state dir and compute the plan.  On refusal
 * returns -1 with one line in err (bad name in the DB, game not installed,
 * missing overlay, incomplete global source, lowerdir outside the
 * allowlist, unreadable overlay server.cfg, no valid spec->rcon_password);
 * nothing is written. */
int instance_plan(const char *state_dir, const struct instance_spec *spec,
		  struct instance_plan *plan, char *err, size_t errlen);

/* Stage runtime/NAME/upper/left4dead2/cfg/{server.cfg,server_overlay_ID.cfg}
 * (dropping stale server_overlay_*.cfg), create work/ and merged/, then
 * write instances/NAME/instance.env.  All files are written atomically
 * (temp + rename), 0644, but server.cfg 0600 (it holds the RCON password).  Refuses, writing
 * nothing, while runtime/NAME/merged is mounted: overlayfs leaves changes to upper/ under a live
 * mount undefined.  -1 with err on failure. */
int instance_apply(const char *state_dir, const struct instance_plan *plan, char *err,
		   size_t errlen);

/* Remove runtime/NAME and instances/NAME (absent is fine).  Refuses while
 * runtime/NAME/merged is still a mount point and never crosses into
 * another filesystem.  *removed (may be NULL) is set when anything was
 * there.  -1 with err on failure. */
int instance_remove(const char *state_dir, const char *name, bool *removed, char *err,
		    size_t errlen);

/* 1 if runtime/NAME/merged is a mount point (per /proc/self/mountinfo),
 * 0 if not (or absent), -1 with err if mountinfo cannot be read. */
int instance_mounted(const char *state_dir, const char *name, char *err, size_t errlen);

/* true if runtime/NAME or instances/NAME exists. */
bool instance_exists(const char *state_dir, const char *name);

#endif
