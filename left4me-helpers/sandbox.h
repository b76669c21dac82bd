/* left4me-script-sandbox's work: run overlays/ID's build script in a
 * transient systemd service as l4d2-sandbox. */
#ifndef LEFT4ME_HELPERS_SANDBOX_H
#define LEFT4ME_HELPERS_SANDBOX_H

#include <stdint.h>

/* Returns the script's exit status (128+N if it died of signal N, or if
 * the helper was told to stop by signal N), or a sysexits code on refusal. */
int sandbox_run(int64_t overlay_id, long long allowance);

#endif
