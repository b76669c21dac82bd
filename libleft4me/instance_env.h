/* instances/NAME/instance.env: written by left4me-worker at initialize,
 * read with this parser by the left4me-overlay helper (root) and by
 * left4me-launcher (the server's own uid).  No unit reads it as an
 * EnvironmentFile= (systemd would apply it to the unit's root commands
 * too: docs/SECURITY.md, "The game boundary").  The format is a strict
 * subset of systemd's EnvironmentFile syntax:
 *
 *   # comment lines and blank lines are allowed
 *   L4D2_LOWERDIRS="/var/lib/left4me/overlays/7:/var/lib/left4me/installation"
 *   L4D2_PORT=27015
 *   L4D2_MAP=c1m1_hotel
 *   L4D2_MAXPLAYERS=8
 *   L4D2_TICKRATE=100
 *   L4D2_ARGS="-nohltv +sv_pure 2"
 *
 * Every key is required exactly once, except L4D2_TICKRATE and L4D2_ARGS,
 * which are optional (absent: no -tickrate, no extra options; an
 * instance.env of an older worker still starts).  L4D2_ARGS is checked
 * against the one allowlist (launch_args.h).  Unknown or duplicate keys, a value
 * with characters outside [A-Za-z0-9_@%+=:,./-] (plus space inside double
 * quotes), a lone or unbalanced quote, or escapes are refused.  Lowerdirs
 * are absolute, top-down (the top layer first, installation/ last), and
 * separated by ':'.  The parser is pure: it checks the syntax and shapes;
 * the helper additionally realpath()s every lowerdir against its allowlist. */
#ifndef LEFT4ME_INSTANCE_ENV_H
#define LEFT4ME_INSTANCE_ENV_H

#include <stddef.h>

#define INSTANCE_ENV_MAX_LOWERDIRS 128
#define INSTANCE_ENV_MAX_SIZE	   65536
#define INSTANCE_ENV_MAX_VALUE	   32768

struct instance_env {
	char **lowerdirs; /* top first; n_lowerdirs >= 1 */
	size_t n_lowerdirs;
	int port;	/* 1024..65535 */
	char *map;	/* [A-Za-z0-9_]{1,64} */
	int maxplayers; /* 1..32 */
	int tickrate;	/* 30..128, 0: none */
	char **args;	/* allowlisted srcds options (launch_args.h), NULL-terminated */
	size_t n_args;
};

/* Parse text; on success fill *env (release with instance_env_fini) and
 * return 0; on error return -1 with "line N: reason" in err. */
int instance_env_parse(const char *text, size_t len, struct instance_env *env, char *err,
		       size_t errlen);
/* Render env in the format above; returns NULL (and err) if any field would
 * not parse back.  Caller frees. */
char *instance_env_format(const struct instance_env *env, char *err, size_t errlen);
void instance_env_fini(struct instance_env *env);

#endif
