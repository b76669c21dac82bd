/* The static files served under /static/ (app.css, app.js, favicon.svg),
 * embedded at build time from left4me-web/static/. */
#ifndef LEFT4ME_WEB_ASSETS_H
#define LEFT4ME_WEB_ASSETS_H

#include <stddef.h>

/* The embedded file called name with its type and length, or NULL. */
const char *asset_get(const char *name, const char **type, size_t *len);

#endif
