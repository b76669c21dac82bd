/* left4me-script-sandbox OVERLAY_ID [ALLOWANCE]
 *
 * Run as root by left4me-worker via `sudo -n`.  Runs STATE/scripts/ID.sh
 * (written by the worker) against STATE/overlays/ID in a transient,
 * hardened systemd service as l4d2-sandbox; see sandbox.c for what it
 * trusts and changes.  ALLOWANCE (bytes) is what the job's user's
 * quotas.build_output_bytes leaves this overlay, computed by the worker:
 * the build's output limit is the smaller of it and sandbox.max_output.
 * Exit: the script's own status (128+N for signal N),
 * or 64 usage, 65 bad id, 66 missing script/overlay, 69 no cgroup2 at
 * /sys/fs/cgroup (IPAddressDeny= would be ignored), 73 a limit
 * (sandbox.max_file_size, sandbox.max_output) stopped or failed the build,
 * 77 not root or an owner/mode refusal, 71 a system call failed, 78 users
 * missing or a bad left4me.yaml (not root's, or invalid). */
#include <stdint.h>

#include "helper.h"
#include "parse.h"
#include "sandbox.h"
#include "validate.h"

int main(int argc, char **argv)
{
	long long allowance = -1;
	int64_t id;

	helper_start("left4me-script-sandbox", argc, argc == 3 ? 3 : 2, "OVERLAY_ID [ALLOWANCE]");
	if (!valid_id(argv[1], &id))
		helper_die(EX_DATAERR, "invalid overlay id");
	if (argc == 3 && parse_int(argv[2], 0, (long long)1 << 62, &allowance) < 0)
		helper_die(EX_DATAERR, "invalid output allowance");
	helper_enter_host_mntns();
	return sandbox_run(id, allowance);
}
