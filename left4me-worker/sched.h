/* The worker's scheduler (issue 16): between jobs, the loop calls
 * sched_tick, which fires due schedules (table schedules) and acts on the
 * update policy (updates.policy).  A firing becomes a normal job whose
 * first log lines say why it ran; a skipped or missed firing becomes a
 * cancelled job saying why.  State lives in the DB (next_run,
 * waiting_since), so a restarted worker goes on where the last one
 * stopped; a firing missed by more than schedules.grace_seconds is
 * recorded as missed instead of run.
 *
 * The clock: time(2), unless the environment has LEFT4ME_TEST_CLOCK=FILE
 * (tests only; a unit never sets it): then "now" is the unix time written
 * in FILE, which must be a regular file of the worker's own uid that no
 * group or other may write.  Whoever can set the worker's environment can
 * already run code as it, so this grants nothing new. */
#ifndef LEFT4ME_WORKER_SCHED_H
#define LEFT4ME_WORKER_SCHED_H

#include <stdint.h>

#include "worker.h"

#define SCHED_TEST_CLOCK_ENV "LEFT4ME_TEST_CLOCK"

/* Read LEFT4ME_TEST_CLOCK into w (logged loudly when set). */
void sched_init(struct worker *w);
void sched_fini(struct worker *w);
/* Now, in unix seconds, by w's clock. */
int64_t sched_now(struct worker *w);
/* Fire what is due and act on the update policy. */
void sched_tick(struct worker *w);

#endif
