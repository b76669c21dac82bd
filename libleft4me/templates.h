/* Starter templates, in one place (issue 14): the server.cfg a new
 * blueprint starts from, and the build scripts the web's "New overlay
 * from template" offers.  Static text, compiled in; nothing here is run by
 * left4me itself (a script runs only as an overlay's build script, in the
 * sandbox: docs/SECURITY.md). */
#ifndef LEFT4ME_TEMPLATES_H
#define LEFT4ME_TEMPLATES_H

#include <stddef.h>

struct overlay_template {
	const char *id;		  /* [a-z0-9-]+, in URLs and forms */
	const char *name;	  /* the new overlay's name */
	const char *description;  /* one line */
	const char *build_script; /* the script, for /bin/sh in /overlay */
};

/* The server.cfg of a new blueprint (web form and API when omitted). */
extern const char template_server_cfg[];

extern const struct overlay_template overlay_templates[];
extern const size_t overlay_templates_len;

/* The template of that id, or NULL. */
const struct overlay_template *overlay_template_find(const char *id);

#endif
