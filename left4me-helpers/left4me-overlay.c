/* left4me-overlay mount|umount NAME
 *
 * Run as root by left4me-server@NAME.service (ExecStartPre/ExecStopPost,
 * through nsenter into PID 1's mount namespace) and by left4me-worker via
 * `sudo -n`.  Trusts only its compiled-in state dir; NAME is validated and
 * everything else is read from instances/NAME/instance.env and checked.
 * May change only the mount on STATE/runtime/NAME/merged, and (umount, when
 * nothing is mounted) remove overlayfs's own runtime/NAME/work/{work,index}.
 * Exit: 0 done (or nothing to do), 64 usage, 65 bad name or instance.env,
 * 66 missing files, 75 busy, 77 not root or a path/owner refusal. */
#include <string.h>

#include "helper.h"
#include "overlay.h"
#include "validate.h"

int main(int argc, char **argv)
{
	helper_start("left4me-overlay", argc, 3, "mount|umount NAME");
	if (strcmp(argv[1], "mount") != 0 && strcmp(argv[1], "umount") != 0)
		helper_die(EX_USAGE, "unknown verb (want mount or umount)");
	if (!valid_instance_name(argv[2]))
		helper_die(EX_DATAERR, "invalid instance name");
	helper_enter_host_mntns();
	return strcmp(argv[1], "mount") == 0 ? overlay_mount(argv[2]) : overlay_umount(argv[2]);
}
