/* Prometheus's text exposition format (version 0.0.4): the escaping of a
 * label value, so a server name (or any text) is one well-formed label
 * whatever bytes it holds.  Knows no request. */
#ifndef LEFT4ME_WEB_PROMTEXT_H
#define LEFT4ME_WEB_PROMTEXT_H

#include "strbuf.h"

/* Append s as a label value without its quotes: backslash, double quote
 * and line feed escaped as \\, \" and \n; every other byte as it is. */
void prom_label_value(struct strbuf *sb, const char *s);

/* Append one sample "NAME{LABEL="VALUE"} NUMBER\n" (number printed by
 * the caller as text). */
void prom_sample(struct strbuf *sb, const char *name, const char *label, const char *value,
		 const char *number);

#endif
