/* HTML and URL escaping; see html.h. */
#include "html.h"

#include <assert.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "timeutil.h"

static void escape_html(struct strbuf *sb, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		strbuf_append(sb, run, (size_t)(s - run));
		strbuf_puts(sb, rep);
		run = s + 1;
	}
	strbuf_append(sb, run, (size_t)(s - run));
}

void html_init(struct html *h)
{
	strbuf_init(&h->escaped);
}

void html_fini(struct html *h)
{
	strbuf_fini(&h->escaped);
}

size_t html_len(const struct html *h)
{
	return h->escaped.len;
}

void html_text(struct html *h, const char *s)
{
	escape_html(&h->escaped, s);
}

void html_attr(struct html *h, const char *s)
{
	escape_html(&h->escaped, s);
}

void html_raw_trusted(struct html *h, const char *s)
{
	strbuf_puts(&h->escaped, s);
}

void html_append(struct html *dst, const struct html *src)
{
	strbuf_append(&dst->escaped, src->escaped.buf, src->escaped.len);
}

static void escape_url(struct strbuf *sb, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '~' || c == '-' || (keep_slash && c == '/')) {
			strbuf_putc(sb, (char)c);
		} else {
			strbuf_putc(sb, '%');
			strbuf_putc(sb, hex[c >> 4]);
			strbuf_putc(sb, hex[c & 15]);
		}
	}
}

void url_escape(struct strbuf *sb, const char *s)
{
	escape_url(sb, s, false);
}

void url_escape_path(struct strbuf *sb, const char *s)
{
	escape_url(sb, s, true);
}

void html_url(struct html *h, const char *s)
{
	escape_url(&h->escaped, s, false);
}

void html_url_path(struct html *h, const char *s)
{
	escape_url(&h->escaped, s, true);
}

void html_vprintf(struct html *h, const char *fmt, va_list ap)
{
	struct strbuf *sb = &h->escaped;
	const char *run = fmt;
	char tbuf[32];

	for (; *fmt; fmt++) {
		if (*fmt != '%')
			continue;
		strbuf_append(sb, run, (size_t)(fmt - run));
		fmt++;
		if (*fmt == '\0') {
			/* A lone '%' at the very end is itself: never step
			 * over the NUL and read on. */
			strbuf_putc(sb, '%');
			run = fmt;
			break;
		}
		switch (*fmt) {
		case 's':
			html_text(h, va_arg(ap, const char *));
			break;
		case 'a':
			html_attr(h, va_arg(ap, const char *));
			break;
		case 'u':
			html_url(h, va_arg(ap, const char *));
			break;
		case 'p':
			html_url_path(h, va_arg(ap, const char *));
			break;
		case 'd':
			strbuf_printf(sb, "%d", va_arg(ap, int));
			break;
		case 'D':
			strbuf_printf(sb, "%" PRId64, va_arg(ap, int64_t));
			break;
		case 'T':
			html_text(h, time_format_utc(va_arg(ap, int64_t), tbuf, sizeof(tbuf)));
			break;
		case '%':
			strbuf_putc(sb, '%');
			break;
		default:
			assert(!"bad html_printf directive");
			break;
		}
		run = fmt + 1;
	}
	strbuf_append(sb, run, (size_t)(fmt - run));
}

void html_printf(struct html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	html_vprintf(h, fmt, ap);
	va_end(ap);
}
