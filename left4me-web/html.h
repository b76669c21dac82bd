/* The one escaping module: every byte of user or database data that goes
 * into a page passes through html_text, html_attr or url_escape (directly or
 * through html_printf's %s/%a/%u).  Nothing else formats data into HTML. */
#ifndef LEFT4ME_WEB_HTML_H
#define LEFT4ME_WEB_HTML_H

#include <stdint.h>

#include "strbuf.h"

/* Text content: & < > " ' escaped. */
void html_text(struct strbuf *sb, const char *s);
/* A double-quoted attribute value: the same set, plus nothing else needed. */
void html_attr(struct strbuf *sb, const char *s);
/* One URL path segment or query value: everything but [A-Za-z0-9._~-]
 * percent-encoded. */
void url_escape(struct strbuf *sb, const char *s);
/* Like url_escape but keeps '/' (an overlay path inside a URL). */
void url_escape_path(struct strbuf *sb, const char *s);

/* A tiny template printer with its own directives, so that data can only
 * enter escaped:
 *   %s  html_text of a const char * (NULL prints nothing)
 *   %a  html_attr of a const char *
 *   %u  url_escape of a const char *
 *   %p  url_escape_path of a const char *
 *   %d  int      %D int64_t     %%  a percent sign
 *   %T  int64_t unix ms as UTC time, "-" for 0
 *   %R  a trusted constant string (literals and enum names only)
 * A '%' that ends the format is written as itself.  Anything else is a
 * programming error (assert). */
void html_printf(struct strbuf *sb, const char *fmt, ...);

#endif
