/* Starter templates; see templates.h. */
#include "templates.h"

#include <string.h>

const char template_server_cfg[] =
    "// server.cfg of this blueprint: it runs on every map load, after the\n"
    "// server.cfg of each overlay that opts in (exec lines above it).\n"
    "hostname \"left4me server\"\n"
    "// Lobbies may reserve the server; 0 lets players connect directly too.\n"
    "sv_allow_lobby_connect_only 0\n"
    "// Your Steam group's id (the number on its page), to list the server\n"
    "// for the group's members:\n"
    "// sv_steamgroup 0000000\n"
    "// Only lobbies that search with the same key find this server:\n"
    "// sv_search_key \"left4me\"\n";

/* Metamod:Source and SourceMod, pinned to one build each from
 * AlliedModders' official download servers (mms.alliedmods.net,
 * sm.alliedmods.net).  The script says itself how to bump them. */
static const char mmsm_script[] =
    "#!/bin/sh\n"
    "# Metamod:Source and SourceMod for Left 4 Dead 2 (32-bit Linux builds),\n"
    "# from AlliedModders' official download servers, pinned to one build each.\n"
    "#\n"
    "# To bump: each branch's newest file name is in\n"
    "#   https://mms.alliedmods.net/mmsdrop/1.12/mmsource-latest-linux\n"
    "#   https://sm.alliedmods.net/smdrop/1.12/sourcemod-latest-linux\n"
    "# (a one-line text file); put those names in the two URLs below, save,\n"
    "# and build the overlay again.  Another branch: change 1.12 in both.\n"
    "set -eu\n"
    "MMS_URL=https://mms.alliedmods.net/mmsdrop/1.12/mmsource-1.12.0-git1219-linux.tar.gz\n"
    "SM_URL=https://sm.alliedmods.net/smdrop/1.12/sourcemod-1.12.0-git7221-linux.tar.gz\n"
    "\n"
    "fetch() {\n"
    "\tif command -v curl >/dev/null 2>&1; then\n"
    "\t\tcurl -fsSL --retry 3 -o \"$2\" \"$1\"\n"
    "\telse\n"
    "\t\twget -q -O \"$2\" \"$1\"\n"
    "\tfi\n"
    "}\n"
    "\n"
    "# The build runs in the overlay's root: the game's own tree.\n"
    "mkdir -p left4dead2\n"
    "cd left4dead2\n"
    "for url in \"$MMS_URL\" \"$SM_URL\"; do # Metamod first\n"
    "\techo \"fetching $url\"\n"
    "\tfetch \"$url\" /tmp/addon.tar.gz\n"
    "\ttar -xzf /tmp/addon.tar.gz\n"
    "\trm -f /tmp/addon.tar.gz\n"
    "done\n"
    "# The engine loads addons/metamod.vdf; Metamod loads SourceMod.\n"
    "test -f addons/metamod.vdf\n"
    "test -d addons/sourcemod/bin\n"
    "echo \"Metamod:Source and SourceMod are in left4dead2/addons\"\n";

const struct overlay_template overlay_templates[] = {
    {"metamod-sourcemod", "Metamod:Source + SourceMod",
     "installs Metamod:Source 1.12 and SourceMod 1.12 (pinned builds) into left4dead2/addons",
     mmsm_script},
};
const size_t overlay_templates_len = sizeof(overlay_templates) / sizeof(overlay_templates[0]);

const struct overlay_template *overlay_template_find(const char *id)
{
	for (size_t i = 0; id && i < overlay_templates_len; i++)
		if (strcmp(overlay_templates[i].id, id) == 0)
			return &overlay_templates[i];
	return NULL;
}
