/* Prometheus text format helpers; see promtext.h. */
#include "promtext.h"

void prom_label_value(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_puts(sb, "\\\\");
		else if (*s == '"')
			strbuf_puts(sb, "\\\"");
		else if (*s == '\n')
			strbuf_puts(sb, "\\n");
		else
			strbuf_putc(sb, *s);
	}
}

void prom_sample(struct strbuf *sb, const char *name, const char *label, const char *value,
		 const char *number)
{
	strbuf_printf(sb, "%s{%s=\"", name, label);
	prom_label_value(sb, value);
	strbuf_printf(sb, "\"} %s\n", number);
}
