/* The job kinds left4me-worker runs (docs/DESIGN.md §3.3): start, stop, restart,
 * reset, delete, initialize, install_game, build_overlay, delete_overlay.
 * Each step and every subprocess output line goes to job_log as it
 * happens; helpers are run as `sudo -n HELPER_DIR/left4me-X VERB ARG` (or
 * directly when worker.sudo is false), never through a shell. */
#ifndef LEFT4ME_WORKER_JOBS_H
#define LEFT4ME_WORKER_JOBS_H

#include "db_job.h"
#include "worker.h"

/* Run a claimed job and finish it (succeeded/failed, reason, exit code);
 * updates the server's state or the overlay's build status.  Does not
 * finish a job that another process recovered meanwhile. */
void jobs_run(struct worker *w, const struct job *job);

/* The reason a helper's sysexits code gives ("bad data", ...). */
const char *jobs_exit_meaning(int code);

#endif
