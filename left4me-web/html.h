/* The one escaping module: every byte of user or database data that goes
 * into a page passes through html_text, html_attr or html_url (directly or
 * through html_printf's %s/%a/%u/%p).  Pages are built in a struct html,
 * which only these writers append to, and answered only from one
 * (web_respond_html): a plain string cannot reach a page unescaped by
 * mistake, the compiler refuses it.  The one writer that does not escape
 * is html_raw_trusted, for markup of our own: grep for it. */
#ifndef LEFT4ME_WEB_HTML_H
#define LEFT4ME_WEB_HTML_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* HTML being built.  Touch .escaped only in html.c and in the transport
 * that sends it (tests/layers.sh checks). */
struct html {
	struct strbuf escaped;
};

void html_init(struct html *h);
void html_fini(struct html *h);
/* How many bytes h holds. */
size_t html_len(const struct html *h);

/* Text content: & < > " ' escaped. */
void html_text(struct html *h, const char *s);
/* A double-quoted attribute value: the same set, plus nothing else needed. */
void html_attr(struct html *h, const char *s);
/* One URL path segment or query value, percent-encoded (url_escape). */
void html_url(struct html *h, const char *s);
/* An overlay path inside a URL, percent-encoded but for '/'. */
void html_url_path(struct html *h, const char *s);
/* Markup of our own, written as it is: string literals only, never data. */
void html_raw_trusted(struct html *h, const char *s);
/* Append src, which is HTML already, to dst. */
void html_append(struct html *dst, const struct html *src);

/* A tiny template printer with its own directives, so that data can only
 * enter escaped (the format itself is trusted: a literal):
 *   %s  html_text of a const char * (NULL prints nothing)
 *   %a  html_attr of a const char *
 *   %u  html_url of a const char *
 *   %p  html_url_path of a const char *
 *   %d  int      %D int64_t     %%  a percent sign
 *   %T  int64_t unix ms as UTC time, "-" for 0
 * A '%' that ends the format is written as itself.  Anything else is a
 * programming error (assert). */
void html_printf(struct html *h, const char *fmt, ...);
void html_vprintf(struct html *h, const char *fmt, va_list ap);

/* URLs outside HTML (a Location header): one path segment or query value
 * with everything but [A-Za-z0-9._~-] percent-encoded; the _path form
 * keeps '/'. */
void url_escape(struct strbuf *sb, const char *s);
void url_escape_path(struct strbuf *sb, const char *s);

#endif
