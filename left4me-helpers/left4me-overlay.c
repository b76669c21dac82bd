/* left4me-overlay mount|umount NAME
 *
 * Run as root by left4me-server@NAME.service (ExecStartPre/ExecStopPost,
 * through nsenter into PID 1's mount namespace) and by left4me-worker via
 * `sudo -n` (umount).  Trusts only its compiled-in state dir and systemd:
 * NAME is validated, the game's uid/gid are the unit's DynamicUser= ids
 * (`systemctl show`, so mount works only while systemd runs the unit), and
 * everything else is read from instances/NAME/instance.env and checked.
 * May change only the mount on STATE/runtime/NAME/merged, and (umount, when
 * nothing is mounted) remove overlayfs's own runtime/NAME/work/{work,index}.
 * Exit: 0 done (or nothing to do), 64 usage, 65 bad name or instance.env,
 * 66 missing files, 70 unexpected state (systemctl's output, a foreign
 * mount on merged), 71 a system call failed, 75 busy, 77 not root, a
 * path/owner refusal, or no dynamic user (ids outside 61184..65519). */
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
