/* The route table of left4me-web and the hooks that give it, the session
 * checks and the error renderers to the transport (web_start). */
#ifndef LEFT4ME_WEB_ROUTES_H
#define LEFT4ME_WEB_ROUTES_H

#include <stdbool.h>

#include "web.h"

/* The route of method and path (web_hooks.match). */
const struct route *route_match(const char *method, const char *path, char **cap, int *n_cap,
				bool *method_mismatch, web_error_fn *error);

extern const struct web_hooks routes_hooks;

#endif
