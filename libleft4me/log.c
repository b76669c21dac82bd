/* stderr logging with sd-daemon prefixes; see log.h. */
#include "log.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"

static const char *log_ident = "left4me";
static enum log_level log_max = LOG_LEVEL_INFO;
static int log_prefix = -1; /* -1: decide from JOURNAL_STREAM / isatty */

void log_init(const char *ident)
{
	log_ident = ident;
}

void log_set_max_level(enum log_level max)
{
	log_max = max;
}

void log_set_prefix(bool sd_prefix)
{
	log_prefix = sd_prefix;
}

bool log_fd_is_journal(int fd, const char *journal_stream)
{
	const char *colon = journal_stream ? strchr(journal_stream, ':') : NULL;
	long long dev, ino;
	struct stat st;

	if (!colon ||
	    parse_int_n(journal_stream, (size_t)(colon - journal_stream), 0, LLONG_MAX, &dev) < 0 ||
	    parse_int(colon + 1, 0, LLONG_MAX, &ino) < 0 || fstat(fd, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

static bool use_prefix(void)
{
	if (log_prefix < 0)
		log_prefix = getenv("JOURNAL_STREAM") != NULL;
	return log_prefix;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (level > log_max)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	if (use_prefix())
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "%s: %s\n", log_ident, line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

static size_t escaped_len(unsigned char c)
{
	return (c < 0x20 || c >= 0x7f || c == '\\') ? 4 : 1;
}

char *log_escape(char *buf, size_t size, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i, total = 0, limit;

	for (i = 0; i < len; i++)
		total += escaped_len((unsigned char)text[i]);
	/* Everything fits: no marker.  Else keep room for "...". */
	limit = total < size ? total : size - 4;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		size_t need = escaped_len(c);

		if (o + need > limit)
			break;
		if (need == 1) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if (total >= size)
		memcpy(buf + o, "...", 4);
	else
		buf[o] = '\0';
	return buf;
}
